//go:build js

package targets

import (
	"errors"
	"io/fs"
	"os"
	"path"
)

// defaultReferenceLoader reads data/<file> relative to the working directory
// or, failing that, targets/data/<file> in the nearest of its parents that
// has it: the js/wasm build does not embed the reference sets (they would
// double the page's download). Under Node, go test runs in the directory of
// the package under test, so this finds the repository's files from any
// package; the browser app replaces this loader with one that fetches them
// (SetReferenceLoader).
func defaultReferenceLoader(file string) ([]byte, error) {
	name := path.Base(file)
	b, err := os.ReadFile(path.Join("data", name))
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	up := ".."
	for range 4 {
		if b, err2 := os.ReadFile(path.Join(up, "targets", "data", name)); !errors.Is(err2, fs.ErrNotExist) {
			return b, err2
		}
		up = path.Join(up, "..")
	}
	return nil, err
}
