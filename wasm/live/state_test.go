package live

import (
	"reflect"
	"strings"
	"testing"
)

func TestStateRoundTrip(t *testing.T) {
	cases := map[string]State{
		"default": DefaultState(),
		"compare": with(func(s *State) { s.Target, s.Method, s.Compare, s.Seed = "gmm120", "iwsm", "idem", 7 }),
		"knobs": with(func(s *State) {
			s.K, s.LR, s.Batch, s.Buffer, s.Defensive, s.Speed = 64, 1.25e-3, 256, 9000, 0, 2.5
			s.Pretrained, s.Classroom = false, true
			s.Layers = Layers{Buffer: true, Proposal: true, Weights: true, Field: true}
		}),
		"edited modes": with(func(s *State) { s.Modes = [][2]float64{{1.5, -2}, {0.01, 33.33}, {-49.99, 0}} }),
		"extremes":     with(func(s *State) { s.Seed, s.Particles, s.Steps, s.Method = 1<<64-1, 100, 1000, "oracle" }),
		"dw4":          with(func(s *State) { s.Target, s.Compare = "dw4", "idem" }),
		"lj13":         with(func(s *State) { s.Target, s.K, s.Batch = "lj13", 10, 128 }),
	}
	for name, s := range cases {
		t.Run(name, func(t *testing.T) {
			got, warnings := Decode(s.Encode())
			if len(warnings) != 0 {
				t.Fatalf("Decode(%q) warned %v", s.Encode(), warnings)
			}
			if !reflect.DeepEqual(got, s) {
				t.Fatalf("Decode(Encode(s)) = %+v, want %+v", got, s)
			}
			if got2, _ := Decode("#" + s.Encode()); !reflect.DeepEqual(got2, s) {
				t.Fatalf("leading '#' changed the result: %+v", got2)
			}
		})
	}
	if e := DefaultState().Encode(); e != "" {
		t.Errorf("the default state encodes as %q, want an empty fragment", e)
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
		{"clamp float", "lr=3", with(func(s *State) { s.LR = 0.05 }), "outside"},
		{"not a number", "particles=lots", DefaultState(), "not a whole number"},
		{"NaN", "lr=NaN", DefaultState(), "not a number"},
		{"negative seed", "seed=-3", DefaultState(), "seed"},
		{"unknown target", "target=banana", DefaultState(), "valid:"},
		{"unknown target, knobs kept", "K=50&target=banana", with(func(s *State) { s.K = 50 }), "valid:"},
		{"unknown method", "method=vae", DefaultState(), "valid:"},
		{"unknown key", "colour=red", DefaultState(), "unknown setting"},
		{"bad escape", "target=%zz", DefaultState(), "malformed"},
		{"bad bool", "classroom=maybe", DefaultState(), "not 1 or 0"},
		{"bad modes", "modes=1,2;x,3", DefaultState(), "mode 2"},
		{"modes off a mixture", "target=rings&modes=1,2", with(func(s *State) { s.Target = "rings" }), "mixture"},
		{"oracle off a mixture", "target=manywell&method=oracle", with(func(s *State) { s.Target = "manywell" }), "oracle"},
		{"oracle on a particle system", "target=dw4&compare=oracle", DefaultStateFor("dw4"), "oracle"},
		{"modes on a particle system", "target=lj13&modes=1,2", DefaultStateFor("lj13"), "mixture"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, warnings := Decode(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Decode(%q) = %+v, want %+v", c.in, got, c.want)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], c.warnFrag) {
				t.Errorf("Decode(%q) warnings %q, want one containing %q", c.in, warnings, c.warnFrag)
			}
		})
	}
	if s, w := Decode("method=idem&compare=idem"); s.Compare != "" || len(w) != 0 {
		t.Errorf("two equal panes: compare %q, warnings %v; want one pane, silently", s.Compare, w)
	}
}

func with(f func(*State)) State {
	s := DefaultState()
	f(&s)
	return s
}

func FuzzDecode(f *testing.F) {
	f.Add(DefaultState().Encode())
	f.Add("#target=gmm40&seed=1&&particles=%41&compare=oracle")
	f.Add("modes=1,2;3,4&lr=1e-3&classroom=1")
	f.Add("=&==&%&target")
	f.Add("target=dw4&method=oracle&compare=idem")
	f.Add("target=lj13&modes=1,2&K=7")
	f.Fuzz(func(t *testing.T, in string) {
		s, _ := Decode(in)
		// Whatever came in, the result is valid: it round-trips silently.
		back, warnings := Decode(s.Encode())
		if !reflect.DeepEqual(back, s) || len(warnings) != 0 {
			t.Fatalf("Decode(%q) = %+v does not round-trip: %+v %v", in, s, back, warnings)
		}
	})
}

// TestTargetKnobs checks each target's training knobs against the settings
// they come from (sim.DefaultConfig: METHOD.md's iDEM values for particle
// systems, the README's measured 2-D values), with the app's halved batch.
func TestTargetKnobs(t *testing.T) {
	type knobs struct {
		K             int
		LR            float64
		Batch, Buffer int
		Defensive     float64
	}
	of := func(s State) knobs { return knobs{s.K, s.LR, s.Batch, s.Buffer, s.Defensive} }
	want := map[string]knobs{
		"gmm40":  {20, 5e-3, 256, 4000, 0.1},
		"gmm120": {20, 5e-3, 256, 4000, 0.1},
		"rings":  {20, 5e-3, 256, 4000, 0.1},
		"dw4":    {200, 1e-3, 256, 10000, 0.1},
		"lj13":   {200, 1e-3, 128, 4000, 0.1},
	}
	for name, w := range want {
		s := DefaultStateFor(name)
		if got := of(s); got != w {
			t.Errorf("DefaultStateFor(%s) knobs %+v, want %+v", name, got, w)
		}
		// A fragment names the target only: its knobs are the target's.
		d, warnings := Decode("target=" + name)
		if name == "gmm40" {
			d, warnings = Decode("")
		}
		if len(warnings) != 0 || !reflect.DeepEqual(d, s) {
			t.Errorf("Decode(target=%s) = %+v (warnings %v), want %+v", name, d, warnings, s)
		}
		if enc := s.Encode(); name != "gmm40" && enc != "target="+name {
			t.Errorf("DefaultStateFor(%s).Encode() = %q, want only the target", name, enc)
		}
	}
	if !reflect.DeepEqual(DefaultState(), DefaultStateFor("gmm40")) {
		t.Error("DefaultState is not gmm40's DefaultStateFor")
	}
	// The order of a fragment's keys does not matter.
	a, _ := Decode("K=50&lr=0.002&target=dw4")
	b, _ := Decode("target=dw4&lr=0.002&K=50")
	if !reflect.DeepEqual(a, b) || a.K != 50 || a.LR != 2e-3 || a.Batch != 256 || a.Buffer != 10000 {
		t.Errorf("knobs before and after the target: %+v and %+v", a, b)
	}
}

func TestWithTarget(t *testing.T) {
	s := with(func(s *State) {
		s.Compare, s.K, s.Batch, s.Seed, s.Steps = "oracle", 50, 1024, 9, 200
		s.Modes = [][2]float64{{1, 2}}
	})
	got := s.WithTarget("dw4")
	want := DefaultStateFor("dw4")
	want.Seed, want.Steps = 9, 200 // kept: not training knobs
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WithTarget(dw4) = %+v, want %+v", got, want)
	}
	if back := got.WithTarget("gmm40"); back.K != 20 || back.Batch != 256 || back.LR != 5e-3 {
		t.Errorf("back on gmm40 the knobs are K %d, batch %d, lr %g; want 20, 256, 0.005", back.K, back.Batch, back.LR)
	}
}

func TestToggleMode(t *testing.T) {
	s := DefaultState()
	tg, _ := s.BuildTarget()
	k := len(tg.(interface{ Modes() [][]float64 }).Modes())
	s2, err := s.ToggleMode(0.123, -0.456)
	if err != nil || len(s2.Modes) != k+1 || s2.Modes[k] != [2]float64{0.12, -0.46} {
		t.Fatalf("adding a mode: %v, %d modes, last %v", err, len(s2.Modes), s2.Modes[len(s2.Modes)-1])
	}
	s3, err := s2.ToggleMode(0.5, -0.2) // within 2σ of the new mode: removes it
	if err != nil || len(s3.Modes) != k {
		t.Fatalf("removing a mode: %v, %d modes", err, len(s3.Modes))
	}
	back, w := Decode(s2.Encode())
	if len(w) != 0 || !reflect.DeepEqual(back, s2) {
		t.Fatalf("edited state does not round-trip: %v", w)
	}
	if _, err := with(func(s *State) { s.Target = "rings" }).ToggleMode(0, 0); err == nil {
		t.Fatal("edited the modes of a non-mixture")
	}
}
