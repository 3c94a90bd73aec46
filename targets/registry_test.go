package targets

import (
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			a, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name() != name {
				t.Errorf("Lookup(%q).Name() = %q", name, a.Name())
			}
			if b, _ := Lookup(name); any(a) == any(b) {
				t.Error("Lookup returned a shared instance")
			}
		})
	}
	for _, bad := range []string{"", "GMM40", "lj14", "rings "} {
		_, err := Lookup(bad)
		if err == nil {
			t.Errorf("Lookup(%q) succeeded", bad)
			continue
		}
		for _, name := range names {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Lookup(%q) error %q does not list %q", bad, err, name)
			}
		}
	}
}

// TestImports holds the line that targets uses only the standard library and
// gonum: never Ebiten, never syscall/js, never another package of the module.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources: %v", err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(fset, f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			first := strings.Split(p, "/")[0]
			switch {
			case p == "iwsm/targets" && strings.HasSuffix(f, "_test.go"):
			case p == "syscall/js":
				t.Errorf("%s imports syscall/js", f)
			case strings.HasPrefix(p, "gonum.org/v1/gonum/"):
			case strings.Contains(first, "."), first == "iwsm":
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}

// TestConcurrentUse evaluates every target and loads the reference sets from
// several goroutines at once (run with -race to check the cache's locking).
func TestConcurrentUse(t *testing.T) {
	SetReferenceLoader(nil) // a fresh cache, so the loads race
	var tgs []Target
	for _, name := range Names() {
		tgs = append(tgs, mustLookup(t, name))
	}
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for _, tg := range tgs {
				x := testPoints(t, tg, newRNG(uint64(20+g)), 8)
				logp, score := make([]float64, 8), make([]float64, len(x))
				LogProbScoreBatch(tg, logp, score, x)
				if r, ok := tg.(Referenced); ok {
					if _, e := r.Reference("val"); e != nil && !errors.Is(e, ErrNoReference) {
						err = e
					}
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
