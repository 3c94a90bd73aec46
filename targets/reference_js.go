//go:build js

package targets

import (
	"os"
	"path"
)

// defaultReferenceLoader reads data/<file> relative to the working directory:
// the js/wasm build does not embed the reference sets (they would double the
// page's download). Under Node, go test runs in the package directory, where
// the files are; the browser app replaces this loader with one that fetches
// them (SetReferenceLoader).
func defaultReferenceLoader(file string) ([]byte, error) {
	return os.ReadFile(path.Join("data", path.Base(file)))
}
