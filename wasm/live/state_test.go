package live

import (
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	cases := map[string]State{
		"default":  DefaultState(),
		"gmm120":   {Target: "gmm120", Seed: 7, Particles: 1000, Steps: 200},
		"extremes": {Target: "gmm80", Seed: 1<<64 - 1, Particles: 1, Steps: 5000},
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			got, warnings := Decode(s.Encode())
			if len(warnings) != 0 {
				t.Fatalf("Decode(%q) warned %v", s.Encode(), warnings)
			}
			if got != s {
				t.Fatalf("Decode(Encode(s)) = %+v, want %+v", got, s)
			}
			if got2, _ := Decode("#" + s.Encode()); got2 != s {
				t.Fatalf("leading '#' changed the result: %+v", got2)
			}
		})
	}
}

func TestDecodeCorrects(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		want     State
		warnFrag string // a fragment each case's single warning must contain
	}{
		{"clamp high", "particles=1000000", with(func(s *State) { s.Particles = 20000 }), "outside"},
		{"clamp low", "steps=1", with(func(s *State) { s.Steps = 10 }), "outside"},
		{"not a number", "particles=lots", DefaultState(), "not a whole number"},
		{"negative seed", "seed=-3", DefaultState(), "seed"},
		{"unknown target", "target=banana", DefaultState(), "valid:"},
		{"unknown key", "colour=red", DefaultState(), "unknown setting"},
		{"bad escape", "target=%zz", DefaultState(), "malformed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warnings := Decode(c.in)
			if got != c.want {
				t.Errorf("Decode(%q) = %+v, want %+v", c.in, got, c.want)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], c.warnFrag) {
				t.Errorf("Decode(%q) warnings %q, want one containing %q", c.in, warnings, c.warnFrag)
			}
		})
	}
}

func with(f func(*State)) State {
	s := DefaultState()
	f(&s)
	return s
}

func FuzzDecode(f *testing.F) {
	f.Add(DefaultState().Encode())
	f.Add("#target=gmm40&seed=1&&particles=%41")
	f.Add("=&==&%&target")
	f.Fuzz(func(t *testing.T, in string) {
		s, _ := Decode(in)
		// Whatever came in, the result is valid: it round-trips silently.
		back, warnings := Decode(s.Encode())
		if back != s || len(warnings) != 0 {
			t.Fatalf("Decode(%q) = %+v does not round-trip: %+v %v", in, s, back, warnings)
		}
	})
}
