package targets

import (
	"encoding/json"
	"math"
	"testing"
)

// mt19937 is a port of Matsumoto and Nishimura's reference MT19937
// (init_genrand, genrand_int32), the generator behind PyTorch's CPU
// torch.rand; used only to reproduce the benchmark mixtures' means.
type mt19937 struct {
	mt  [624]uint32
	idx int
}

// newMT19937 seeds the generator as init_genrand(seed).
func newMT19937(seed uint32) *mt19937 {
	g := &mt19937{idx: 624}
	g.mt[0] = seed
	for i := 1; i < 624; i++ {
		g.mt[i] = 1812433253*(g.mt[i-1]^(g.mt[i-1]>>30)) + uint32(i)
	}
	return g
}

// uint32 returns the next output of genrand_int32.
func (g *mt19937) uint32() uint32 {
	const upper, lower, matrixA = 0x80000000, 0x7fffffff, 0x9908b0df
	if g.idx >= 624 {
		for k := range 624 {
			y := g.mt[k]&upper | g.mt[(k+1)%624]&lower
			v := g.mt[(k+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= matrixA
			}
			g.mt[k] = v
		}
		g.idx = 0
	}
	y := g.mt[g.idx]
	g.idx++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// float32 returns torch.rand's float32 uniform (r & 0xFFFFFF) / 2^24.
func (g *mt19937) float32() float32 {
	return float32(g.uint32()&0xFFFFFF) / (1 << 24)
}

func TestMT19937KnownOutputs(t *testing.T) {
	// The reference implementation's first outputs for init_genrand(5489)
	// (mt19937ar.out starts with init_by_array; these are the default seed's,
	// as listed for std::mt19937: the 10000th output is 4123659995).
	g := newMT19937(5489)
	var v uint32
	for range 10000 {
		v = g.uint32()
	}
	if v != 4123659995 {
		t.Fatalf("10000th output of seed 5489 = %d, want 4123659995", v)
	}
	// The data README's first torch.rand uniforms for seed 0.
	g = newMT19937(0)
	for i, want := range []float32{0.49625659, 0.76822180, 0.08847743} {
		if got := g.float32(); abs32(got-want) > 5e-8 {
			t.Errorf("uniform %d = %.8f, want %.8f", i, got, want)
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// TestGMMMeansFromMT19937 regenerates every mixture's means as the
// benchmark does (torch.manual_seed(0); (torch.rand(K, 2) − 0.5)·2·L in
// float32) and compares them bit for bit with data/gmm_means.json.
func TestGMMMeansFromMT19937(t *testing.T) {
	var specs map[string]gmmSpec
	if err := json.Unmarshal(gmmMeansJSON, &specs); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"gmm40", "gmm80", "gmm120"} {
		t.Run(name, func(t *testing.T) {
			s, ok := specs[name]
			if !ok {
				t.Fatalf("%s missing from gmm_means.json", name)
			}
			if len(s.Means) != s.NModes {
				t.Fatalf("%d means for %d modes", len(s.Means), s.NModes)
			}
			g := newMT19937(0)
			L := float32(s.LocScaling)
			for k, mu := range s.Means {
				for j := range 2 {
					u := g.float32()
					want := (u - 0.5) * 2 * L
					if float64(want) != mu[j] {
						t.Fatalf("mean %d coordinate %d: json %v, MT19937 %v", k, j, mu[j], want)
					}
				}
			}
			m, err := NewGMM(name)
			if err != nil {
				t.Fatal(err)
			}
			if softplus1 := math.Log1p(math.E); m.NumModes() != s.NModes || math.Abs(m.ModeStd(0)-softplus1) > 1e-15 {
				t.Errorf("NewGMM(%q): %d modes, std %v", name, m.NumModes(), m.ModeStd(0))
			}
		})
	}
}
