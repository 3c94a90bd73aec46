// Package assets embeds the shipped pretrained networks for the desktop app.
// The web bundle serves the same files from dist/pretrained/ (see the
// Makefile), so the browser build does not import this package.
package assets

import "embed"

// Pretrained holds pretrained/<target>-<variant>.ckpt, written by
// `make pretrained` (sim/cmd/iwsm train with the default configuration).
//
//go:embed pretrained
var Pretrained embed.FS
