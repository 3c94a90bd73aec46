package targets

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:embed data/gmm_means.json
var gmmMeansJSON []byte

// gmmSpec is one entry of data/gmm_means.json: the means of the FAB/iDEM
// Gaussian-mixture benchmarks (PyTorch's generator seeded with 0).
type gmmSpec struct {
	NModes        int         `json:"n_modes"`
	LocScaling    float64     `json:"loc_scaling"`
	Std           float64     `json:"std"`
	Normalization float64     `json:"normalization"`
	Means         [][]float64 `json:"means"`
}

var (
	gmmOnce  sync.Once
	gmmSpecs map[string]gmmSpec
	gmmErr   error
)

func loadGMMSpecs() (map[string]gmmSpec, error) {
	gmmOnce.Do(func() {
		gmmErr = json.Unmarshal(gmmMeansJSON, &gmmSpecs)
	})
	return gmmSpecs, gmmErr
}

// NewGMM returns one of the benchmark mixtures "gmm40", "gmm80" or "gmm120":
// K equal-weight isotropic Gaussians with standard deviation softplus(1) and
// means uniform in [−L, L]² (L = 40, 80, 120), as FAB and iDEM define them. Its
// box is [−N, N]² with N the benchmark's normalization (50 for gmm40), and its
// NoiseHint is iDEM's gmm40 schedule (σ_min, σ_max) = (1e−5, 1) in coordinates
// divided by N, that is (1e−5·N, N): (5e−4, 50), (1e−3, 100), (1.5e−3, 150).
func NewGMM(name string) (*Mixture, error) {
	specs, err := loadGMMSpecs()
	if err != nil {
		return nil, fmt.Errorf("targets: reading embedded mixture means: %w", err)
	}
	s, ok := specs[name]
	if !ok {
		return nil, fmt.Errorf("targets: no benchmark mixture %q", name)
	}
	if len(s.Means) != s.NModes {
		return nil, fmt.Errorf("targets: %s lists %d means for %d modes", name, len(s.Means), s.NModes)
	}
	std := make([]float64, s.NModes)
	for i := range std {
		std[i] = s.Std
	}
	m, err := NewMixture(name, s.Means, std, nil)
	if err != nil {
		return nil, err
	}
	n := s.Normalization
	m.SetBounds([]float64{-n, -n}, []float64{n, n})
	if err := m.SetNoiseHint(1e-5*n, n); err != nil {
		return nil, err
	}
	return m, nil
}
