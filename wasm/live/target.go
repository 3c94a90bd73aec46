package live

import (
	"fmt"

	"iwsm/targets"
)

// BuildTarget returns the state's target. Edited modes replace a mixture's
// means, keeping its mode width, box and noise schedule, with equal weights.
func (s State) BuildTarget() (targets.Target, error) {
	t, err := targets.Lookup(s.Target)
	if err != nil {
		return nil, err
	}
	if len(s.Modes) == 0 {
		return t, nil
	}
	base, ok := t.(*targets.Mixture)
	if !ok {
		return nil, fmt.Errorf("live: modes can only be edited on a mixture target, not %s", s.Target)
	}
	means := make([][]float64, len(s.Modes))
	std := make([]float64, len(s.Modes))
	for i, p := range s.Modes {
		means[i] = []float64{p[0], p[1]}
		std[i] = base.ModeStd(0)
	}
	m, err := targets.NewMixture(s.Target+"*", means, std, nil)
	if err != nil {
		return nil, err
	}
	lo, hi := base.Bounds()
	m.SetBounds(lo, hi)
	if err := m.SetNoiseHint(base.NoiseHint()); err != nil {
		return nil, err
	}
	return m, nil
}

// ToggleMode returns the state with a mode added at (x, y), or, when (x, y)
// lies within two standard deviations of an existing mode, with that mode
// removed. The target must be a mixture; at least one mode always remains
// and at most maxModes exist.
func (s State) ToggleMode(x, y float64) (State, error) {
	t, err := s.BuildTarget()
	if err != nil {
		return s, err
	}
	m, ok := t.(*targets.Mixture)
	if !ok {
		return s, fmt.Errorf("live: modes can only be edited on a mixture target, not %s", s.Target)
	}
	modes := m.Modes()
	pts := make([][2]float64, len(modes))
	for i, mu := range modes {
		pts[i] = [2]float64{mu[0], mu[1]}
	}
	r := 2 * m.ModeStd(0)
	for i, p := range pts {
		if dx, dy := p[0]-x, p[1]-y; dx*dx+dy*dy <= r*r {
			if len(pts) == 1 {
				return s, fmt.Errorf("live: the last mode cannot be removed")
			}
			s.Modes = append(pts[:i:i], pts[i+1:]...)
			return s, nil
		}
	}
	if len(pts) >= maxModes {
		return s, fmt.Errorf("live: at most %d modes", maxModes)
	}
	// Round to 0.01 so the URL stays short.
	round := func(v float64) float64 { return float64(int64(v*100+copysignHalf(v))) / 100 }
	s.Modes = append(pts, [2]float64{round(x), round(y)})
	return s, nil
}

// copysignHalf is ±0.5 with the sign of v, for rounding half away from zero.
func copysignHalf(v float64) float64 {
	if v < 0 {
		return -0.5
	}
	return 0.5
}
