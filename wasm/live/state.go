package live

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"iwsm/sim"
	"iwsm/targets"
)

// Variants are the methods a pane can show: IW-SM and iDEM, each with or
// without the defensive share of the replay buffer, and the oracle (the
// exact noised score of a mixture, no training).
var Variants = []string{"iwsm", "idem", "iwsm-nodef", "idem-nodef", "oracle"}

// State holds every user setting of the app. It round-trips through the page
// URL fragment ("target=gmm40&method=iwsm&compare=idem&seed=1") and the
// desktop app's -state flag: Decode(s.Encode()) == s for every valid State.
// Encode writes only the settings that differ from DefaultState.
type State struct {
	Target     string       // registry name of the target (targets.Names)
	Modes      [][2]float64 // edited mode centres of a mixture target; nil keeps the target's own
	Method     string       // the first pane's variant (Variants)
	Compare    string       // the second pane's variant, "" for a single pane
	Seed       uint64       // seed of every random draw: both panes share it, and so their noise
	Particles  int          // particles animated per pane
	Steps      int          // reverse-SDE steps per animated run
	Speed      float64      // playback speed of the animation
	Pretrained bool         // start from the shipped checkpoint when one exists
	K          int          // Monte Carlo samples per point
	LR         float64      // Adam's learning rate
	Batch      int          // training points per step (the target's G time values × Batch/G points)
	Buffer     int          // replay-buffer capacity
	Defensive  float64      // defensive share of the buffer ("-nodef" variants use 0)
	Corrector  bool         // particle systems: relax each run's final samples by MALA on the energy (not part of the methods)
	Classroom  bool         // hide the controls
	Layers     Layers       // optional drawing layers
}

// Layers are the optional views drawn over the particles.
type Layers struct {
	Buffer   bool // the replay buffer's samples
	Proposal bool // the proposal p_Bt at the animation's current time, as points
	Weights  bool // the last training batch, each point sized by its importance weight
	Field    bool // the learned score field against the exact one (mixtures)
}

// DefaultState is what a visitor sees without URL parameters: gmm40 with
// its training knobs (DefaultStateFor).
func DefaultState() State { return DefaultStateFor("gmm40") }

// DefaultStateFor returns the default state on the named target, whose
// training knobs (K, learning rate, batch, buffer, defensive share) are the
// target's sim.DefaultConfig except the batch: half of it, because the app
// trains on one thread (a Web Worker in the browser), where a step's speed
// matters more than its quality. On gmm40 from scratch batches of 256
// reached 40/40 modes after about 7 s of one core's training against 18 s
// for 512 (README.md, "Speed"). A particle system thus trains with K = 200
// and iDEM's learning rate 10⁻³, not the 2-D targets' K = 20 and 5·10⁻³.
// An unknown name gets gmm40's knobs.
func DefaultStateFor(target string) State {
	s := State{Target: target, Method: "iwsm", Seed: 1, Particles: 4000, Steps: 100, Speed: 1, Pretrained: true}
	s.resetKnobs()
	return s
}

// WithTarget returns s on another target: its edited modes dropped and its
// training knobs reset to the new target's defaults (DefaultStateFor), which
// can differ by an order of magnitude between a 2-D mixture and a particle
// system; an oracle pane becomes an IW-SM pane off a mixture (reconcile).
// The other settings are kept.
func (s State) WithTarget(target string) State {
	s.Target, s.Modes = target, nil
	s.resetKnobs()
	s.reconcile()
	return s
}

// resetKnobs sets the training knobs to the target's defaults.
func (s *State) resetKnobs() {
	t, err := targets.Lookup(s.Target)
	if err != nil {
		t, _ = targets.Lookup("gmm40")
	}
	cfg := sim.DefaultConfig(t)
	s.K, s.LR, s.Buffer, s.Defensive = cfg.K, cfg.Adam.LR, cfg.BufferSize, cfg.DefensiveShare
	s.Batch = max(cfg.Groups, cfg.Groups*cfg.GroupSize/2)
}

// Equal reports whether two states hold the same settings.
func (s State) Equal(o State) bool {
	return s.Encode() == o.Encode()
}

// Variants returns the variants of the panes, one or two.
func (s State) Variants() []string {
	if s.Compare == "" {
		return []string{s.Method}
	}
	return []string{s.Method, s.Compare}
}

// maxModes caps the number of edited modes.
const maxModes = 200

// field describes one URL key of State: how to print and how to parse (and
// validate and clamp) it. One table serves Encode and Decode.
type field struct {
	key    string
	encode func(s *State) string
	decode func(s *State, v string) (warn string)
}

// intField parses an integer setting, clamping it into [lo, hi].
func intField(key string, lo, hi int, p func(*State) *int) field {
	return field{
		key:    key,
		encode: func(s *State) string { return strconv.Itoa(*p(s)) },
		decode: func(s *State, v string) string {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Sprintf("%s=%q is not a whole number; kept %d", key, v, *p(s))
			}
			if n < lo || n > hi {
				c := min(max(n, lo), hi)
				*p(s) = c
				return fmt.Sprintf("%s=%d is outside [%d, %d]; using %d", key, n, lo, hi, c)
			}
			*p(s) = n
			return ""
		},
	}
}

// floatField parses a real setting, clamping it into [lo, hi].
func floatField(key string, lo, hi float64, p func(*State) *float64) field {
	return field{
		key:    key,
		encode: func(s *State) string { return strconv.FormatFloat(*p(s), 'g', -1, 64) },
		decode: func(s *State, v string) string {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) {
				return fmt.Sprintf("%s=%q is not a number; kept %g", key, v, *p(s))
			}
			if x < lo || x > hi {
				c := math.Min(math.Max(x, lo), hi)
				*p(s) = c
				return fmt.Sprintf("%s=%g is outside [%g, %g]; using %g", key, x, lo, hi, c)
			}
			*p(s) = x
			return ""
		},
	}
}

// boolField parses 1/0 (also true/false, on/off).
func boolField(key string, p func(*State) *bool) field {
	return field{
		key: key,
		encode: func(s *State) string {
			if *p(s) {
				return "1"
			}
			return "0"
		},
		decode: func(s *State, v string) string {
			switch strings.ToLower(v) {
			case "1", "true", "on", "yes":
				*p(s) = true
			case "0", "false", "off", "no":
				*p(s) = false
			default:
				return fmt.Sprintf("%s=%q is not 1 or 0; kept %v", key, v, *p(s))
			}
			return ""
		},
	}
}

// choiceField parses one of a fixed list of words.
func choiceField(key string, choices func() []string, p func(*State) *string) field {
	return field{
		key:    key,
		encode: func(s *State) string { return *p(s) },
		decode: func(s *State, v string) string {
			if !slices.Contains(choices(), v) {
				return fmt.Sprintf("%s=%q is unknown (valid: %s); kept %s", key, v, strings.Join(choices(), ", "), *p(s))
			}
			*p(s) = v
			return ""
		},
	}
}

var fields = []field{
	// The target first: Decode applies it before every other setting.
	choiceField("target", targets.Names, func(s *State) *string { return &s.Target }),
	{
		key:    "modes",
		encode: func(s *State) string { return encodeModes(s.Modes) },
		decode: func(s *State, v string) string {
			m, err := decodeModes(v)
			if err != nil {
				return fmt.Sprintf("modes: %v; kept the target's own", err)
			}
			s.Modes = m
			return ""
		},
	},
	choiceField("method", func() []string { return Variants }, func(s *State) *string { return &s.Method }),
	choiceField("compare", func() []string { return append([]string{""}, Variants...) }, func(s *State) *string { return &s.Compare }),
	{
		key:    "seed",
		encode: func(s *State) string { return strconv.FormatUint(s.Seed, 10) },
		decode: func(s *State, v string) string {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return fmt.Sprintf("seed=%q is not a non-negative whole number; kept %d", v, s.Seed)
			}
			s.Seed = n
			return ""
		},
	},
	intField("particles", 100, 20000, func(s *State) *int { return &s.Particles }),
	intField("steps", 10, 1000, func(s *State) *int { return &s.Steps }),
	floatField("speed", 0.1, 10, func(s *State) *float64 { return &s.Speed }),
	boolField("pretrained", func(s *State) *bool { return &s.Pretrained }),
	intField("K", 1, 1000, func(s *State) *int { return &s.K }),
	floatField("lr", 1e-5, 0.05, func(s *State) *float64 { return &s.LR }),
	intField("batch", 8, 4096, func(s *State) *int { return &s.Batch }),
	intField("buffer", 200, 50000, func(s *State) *int { return &s.Buffer }),
	floatField("defensive", 0, 0.9, func(s *State) *float64 { return &s.Defensive }),
	boolField("corrector", func(s *State) *bool { return &s.Corrector }),
	boolField("classroom", func(s *State) *bool { return &s.Classroom }),
	boolField("buffer_layer", func(s *State) *bool { return &s.Layers.Buffer }),
	boolField("proposal_layer", func(s *State) *bool { return &s.Layers.Proposal }),
	boolField("weights_layer", func(s *State) *bool { return &s.Layers.Weights }),
	boolField("field_layer", func(s *State) *bool { return &s.Layers.Field }),
}

// encodeModes writes "x,y;x,y;…" with the shortest exact form of each value.
func encodeModes(m [][2]float64) string {
	parts := make([]string, len(m))
	for i, p := range m {
		parts[i] = strconv.FormatFloat(p[0], 'g', -1, 64) + "," + strconv.FormatFloat(p[1], 'g', -1, 64)
	}
	return strings.Join(parts, ";")
}

// decodeModes parses encodeModes' form; "" is no edit.
func decodeModes(v string) ([][2]float64, error) {
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ";")
	if len(parts) > maxModes {
		return nil, fmt.Errorf("%d modes, at most %d", len(parts), maxModes)
	}
	out := make([][2]float64, len(parts))
	for i, p := range parts {
		xs, ys, ok := strings.Cut(p, ",")
		x, err1 := strconv.ParseFloat(xs, 64)
		y, err2 := strconv.ParseFloat(ys, 64)
		if !ok || err1 != nil || err2 != nil || math.IsNaN(x+y) || math.IsInf(x+y, 0) || math.Abs(x) > 1e6 || math.Abs(y) > 1e6 {
			return nil, fmt.Errorf("mode %d (%q) is not a pair of finite numbers", i+1, p)
		}
		out[i] = [2]float64{x, y}
	}
	return out, nil
}

// Encode returns the URL-fragment form of s, keys in a fixed order: the
// target when it is not DefaultState's, and the settings that differ from
// the target's own defaults (DefaultStateFor).
func (s State) Encode() string {
	def := DefaultStateFor(s.Target)
	def.Target = DefaultState().Target
	var b strings.Builder
	for _, f := range fields {
		v := f.encode(&s)
		if v == f.encode(&def) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(v))
	}
	return b.String()
}

// Decode parses a URL fragment (with or without the leading '#') on top of
// the default state of the fragment's target (DefaultStateFor), so the
// training knobs a fragment leaves out are its target's. It never fails: an
// unknown key, a malformed value or an out-of-range one is corrected (kept
// at its default or clamped) and reported in warnings, one human-readable
// line each. Settings that cannot go together are reconciled last (an
// oracle pane needs a mixture target; two equal panes become one).
func Decode(fragment string) (s State, warnings []string) {
	type setting struct{ key, value string }
	var settings []setting
	for _, kv := range strings.Split(strings.TrimPrefix(fragment, "#"), "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: malformed escape in %q", k, v))
			continue
		}
		settings = append(settings, setting{k, uv})
	}
	// The target first: the other settings default to its values.
	s = DefaultState()
	for _, kv := range settings {
		if kv.key == "target" {
			if w := fields[0].decode(&s, kv.value); w != "" {
				warnings = append(warnings, w)
			}
		}
	}
	s = DefaultStateFor(s.Target)
	for _, kv := range settings {
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == kv.key })
		switch {
		case i < 0:
			warnings = append(warnings, fmt.Sprintf("unknown setting %q ignored", kv.key))
		case i > 0: // the target is set
			if w := fields[i].decode(&s, kv.value); w != "" {
				warnings = append(warnings, w)
			}
		}
	}
	return s, append(warnings, s.reconcile()...)
}

// reconcile corrects combinations of valid settings that cannot work
// together and says what it changed.
func (s *State) reconcile() (warnings []string) {
	mixture := IsMixtureTarget(s.Target)
	if len(s.Modes) > 0 && !mixture {
		warnings = append(warnings, fmt.Sprintf("modes can only be edited on a mixture target, not %s; ignored", s.Target))
		s.Modes = nil
	}
	if s.Corrector && !IsParticleTarget(s.Target) {
		warnings = append(warnings, fmt.Sprintf("the corrector is offered for particle systems, not %s; off", s.Target))
		s.Corrector = false
	}
	for _, p := range []*string{&s.Method, &s.Compare} {
		if *p == "oracle" && !mixture {
			warnings = append(warnings, fmt.Sprintf("the oracle needs a mixture target, not %s; using iwsm", s.Target))
			*p = "iwsm"
		}
	}
	if s.Compare == s.Method {
		s.Compare = ""
	}
	return warnings
}

// IsMixtureTarget reports whether the named target is a Gaussian mixture,
// whose noised score is exact (the oracle) and whose modes can be edited.
func IsMixtureTarget(name string) bool {
	t, err := targets.Lookup(name)
	if err != nil {
		return false
	}
	_, ok := t.(*targets.Mixture)
	return ok
}

// IsParticleTarget reports whether the named target is a particle system,
// whose panes show configurations and can apply the corrector.
func IsParticleTarget(name string) bool {
	t, err := targets.Lookup(name)
	if err != nil {
		return false
	}
	_, ok := t.(targets.ParticleSystem)
	return ok
}
