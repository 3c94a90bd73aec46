package targets

import (
	"fmt"
	"sync"
)

// refState is the reference loader and the cache of parsed sets. Replacing
// the loader starts a fresh cache.
var refState struct {
	mu     sync.Mutex
	loader func(file string) ([]byte, error)
	sets   map[string]*refEntry
}

// refEntry caches one parsed, centred reference file. Its mutex serializes
// the first load; a failed load is not cached, so a later call retries.
type refEntry struct {
	mu   sync.Mutex
	data []float64 // rows×(n·D), centred; shared and read-only
}

// SetReferenceLoader replaces the function that reads a reference file by its
// base name (e.g. "test_split_DW4.npy") and clears the cache of parsed sets;
// nil restores the default. The default reads the files embedded in native
// builds and, in js/wasm builds (where they are not embedded, to keep the
// download small), data/<file> relative to the working directory; the
// browser app installs a loader that fetches the files instead.
func SetReferenceLoader(load func(file string) ([]byte, error)) {
	refState.mu.Lock()
	defer refState.mu.Unlock()
	refState.loader = load
	refState.sets = nil
}

// ReferenceFiles returns the base names of every reference file the targets
// may ask the loader for (for bundling them with the web app).
func ReferenceFiles() []string {
	return []string{"test_split_DW4.npy", "val_split_DW4.npy", "test_split_LJ13-1000.npy", "val_split_LJ13-1000.npy"}
}

// loadReference returns the cached, parsed and centred set in file, which
// must hold rows×(n·D) finite values. The slice is shared: callers copy it.
func loadReference(file string, n, sd int) ([]float64, error) {
	refState.mu.Lock()
	if refState.sets == nil {
		refState.sets = map[string]*refEntry{}
	}
	e := refState.sets[file]
	if e == nil {
		e = &refEntry{}
		refState.sets[file] = e
	}
	load := refState.loader
	if load == nil {
		load = defaultReferenceLoader
	}
	refState.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.data != nil {
		return e.data, nil
	}
	raw, err := load(file)
	if err != nil {
		return nil, fmt.Errorf("targets: loading reference %s: %w", file, err)
	}
	data, rows, cols, err := ParseNPY(raw)
	if err != nil {
		return nil, fmt.Errorf("targets: reference %s: %w", file, err)
	}
	if rows < 1 || cols != n*sd {
		return nil, fmt.Errorf("targets: reference %s has shape (%d, %d), want (rows ≥ 1, %d)", file, rows, cols, n*sd)
	}
	for i, v := range data {
		if !finite(v) {
			return nil, fmt.Errorf("targets: reference %s: value %d is not finite", file, i)
		}
	}
	RemoveMeanBatch(data, n, sd)
	e.data = data
	return data, nil
}
