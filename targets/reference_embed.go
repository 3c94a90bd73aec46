//go:build !js

package targets

import "embed"

// referenceFS holds the reference sets in native builds.
//
//go:embed data/*.npy
var referenceFS embed.FS

// defaultReferenceLoader reads an embedded reference file.
func defaultReferenceLoader(file string) ([]byte, error) {
	return referenceFS.ReadFile("data/" + file)
}
