package live

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"iwsm/targets"
)

// State holds every user setting of the app. It round-trips through the page
// URL fragment ("target=gmm40&seed=1&particles=4000") and the desktop app's
// -state flag: Decode(s.Encode()) == s for every valid State.
type State struct {
	Target    string // registry name of the target (targets.Names)
	Seed      uint64 // seed of every random draw of the run
	Particles int    // number of particles the sampler animates
	Steps     int    // reverse-SDE steps per run
}

// DefaultState is what a visitor sees without URL parameters.
func DefaultState() State {
	return State{Target: "gmm40", Seed: 1, Particles: 4000, Steps: 500}
}

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

var fields = []field{
	{
		key:    "target",
		encode: func(s *State) string { return s.Target },
		decode: func(s *State, v string) string {
			if !slices.Contains(targets.Names(), v) {
				return fmt.Sprintf("unknown target %q (valid: %s); kept %s", v, strings.Join(targets.Names(), ", "), s.Target)
			}
			s.Target = v
			return ""
		},
	},
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
	intField("particles", 1, 20000, func(s *State) *int { return &s.Particles }),
	intField("steps", 10, 5000, func(s *State) *int { return &s.Steps }),
}

// Encode returns the URL-fragment form of s, keys in a fixed order.
func (s State) Encode() string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.encode(&s)))
	}
	return b.String()
}

// Decode parses a URL fragment (with or without the leading '#') on top of
// DefaultState. It never fails: an unknown key, a malformed value or an
// out-of-range one is corrected (kept at its default or clamped) and reported
// in warnings, one human-readable line each.
func Decode(fragment string) (s State, warnings []string) {
	s = DefaultState()
	fragment = strings.TrimPrefix(fragment, "#")
	if fragment == "" {
		return s, nil
	}
	for _, kv := range strings.Split(fragment, "&") {
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
		i := slices.IndexFunc(fields, func(f field) bool { return f.key == k })
		if i < 0 {
			warnings = append(warnings, fmt.Sprintf("unknown setting %q ignored", k))
			continue
		}
		if w := fields[i].decode(&s, uv); w != "" {
			warnings = append(warnings, w)
		}
	}
	return s, warnings
}
