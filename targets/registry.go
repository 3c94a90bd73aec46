package targets

import (
	"fmt"
	"sort"
	"strings"
)

// constructors maps every registered name to its constructor.
var constructors = map[string]func() (Target, error){
	"gmm40":    func() (Target, error) { return target(NewGMM("gmm40")) },
	"gmm80":    func() (Target, error) { return target(NewGMM("gmm80")) },
	"gmm120":   func() (Target, error) { return target(NewGMM("gmm120")) },
	"dw4":      func() (Target, error) { return NewDW4(), nil },
	"lj13":     func() (Target, error) { return target(NewLJ(13)) },
	"lj55":     func() (Target, error) { return target(NewLJ(55)) },
	"rings":    func() (Target, error) { return NewRingsTarget(), nil },
	"manywell": func() (Target, error) { return NewManyWellTarget(), nil },
	"uneven":   func() (Target, error) { return NewUnevenTarget(), nil },
}

// Names returns the registered target names in sorted order.
func Names() []string {
	names := make([]string, 0, len(constructors))
	for n := range constructors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns a new instance of the target registered under name. An
// unknown name is an error that lists the valid ones.
func Lookup(name string) (Target, error) {
	c, ok := constructors[name]
	if !ok {
		return nil, fmt.Errorf("targets: unknown target %q (valid: %s)", name, strings.Join(Names(), ", "))
	}
	return c()
}

// target converts a constructor's result to (Target, error) without wrapping
// a nil pointer in a non-nil interface.
func target[T Target](t T, err error) (Target, error) {
	if err != nil {
		return nil, err
	}
	return t, nil
}
