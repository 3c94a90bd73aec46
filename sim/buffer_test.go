package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveLogProposal is the definition of log p_Bt(x), term by term.
func naiveLogProposal(rows []float64, d, dEff int, x []float64, sigma float64) float64 {
	n := len(rows) / d
	var sum float64
	for j := range n {
		var r2 float64
		for i := range d {
			e := x[i] - rows[j*d+i]
			r2 += e * e
		}
		sum += math.Exp(-r2/(2*sigma*sigma)) / math.Pow(2*math.Pi*sigma*sigma, float64(dEff)/2)
	}
	return math.Log(sum / float64(n))
}

func TestBufferProposalDensity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	b, err := NewBuffer(2, 50, 5, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	def := make([]float64, 10)
	for i := range def {
		def[i] = 10 * rng.NormFloat64()
	}
	b.SetDefensive(def)
	pts := make([]float64, 2*80) // more than the ring holds: it wraps
	for i := range pts {
		pts[i] = 3 * rng.NormFloat64()
	}
	if skipped := b.Push(pts); skipped != 0 || b.Len() != 50 {
		t.Fatalf("after push: %d skipped, len %d", skipped, b.Len())
	}
	// The ring keeps the newest 45 points.
	rows := b.Rows()
	newest := pts[len(pts)-2:]
	found := false
	for j := 5; j < 50; j++ {
		if rows[2*j] == newest[0] && rows[2*j+1] == newest[1] {
			found = true
		}
	}
	if !found {
		t.Fatal("newest point not in the ring")
	}
	for _, sigma := range []float64{0.05, 0.7, 4, 30} {
		for range 5 {
			x := []float64{4 * rng.NormFloat64(), 4 * rng.NormFloat64()}
			want := naiveLogProposal(rows, 2, 2, x, sigma)
			got := b.NoisedLogDensity(x, sigma)
			if math.IsInf(want, -1) {
				continue // the naive sum underflowed; the log-sum-exp did not
			}
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("σ=%v x=%v: log p_B = %v, naive %v", sigma, x, got, want)
			}
		}
	}
	// Far from every row the naive sum underflows but the log-sum-exp does not.
	if lp := b.NoisedLogDensity([]float64{500, 500}, 0.05); math.IsInf(lp, 0) || math.IsNaN(lp) {
		t.Fatalf("far point: %v", lp)
	}
	if skipped := b.Push([]float64{1, math.NaN(), math.Inf(1), 0}); skipped != 2 {
		t.Fatalf("non-finite rows: %d skipped, want 2", skipped)
	}
}

// TestBufferSubsetUnbiased checks that the subset estimate of p_Bt(x) (not its
// log) averages to the exact density.
func TestBufferSubsetUnbiased(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	b, _ := NewBuffer(2, 200, 0, 2, nil)
	pts := make([]float64, 400)
	for i := range pts {
		pts[i] = 2 * rng.NormFloat64()
	}
	b.Push(pts)
	scratch := ProposalScratch(b.Len())
	x := make([]float64, 2)
	for _, sigma := range []float64{0.3, 1.5} {
		src := b.SampleNoised(x, sigma, rng)
		exact := math.Exp(b.NoisedLogDensity(x, sigma))
		var mean float64
		const reps = 20000
		for range reps {
			mean += math.Exp(b.NoisedLogDensitySubset(scratch, x, sigma, src, 20, rng))
		}
		mean /= reps
		if math.Abs(mean/exact-1) > 0.02 {
			t.Errorf("σ=%v: subset estimate averages %v, exact %v", sigma, mean, exact)
		}
	}
}

func TestBufferSampleNoised(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	b, _ := NewBuffer(2, 1, 0, 2, nil)
	b.Push([]float64{3, -2})
	x := make([]float64, 2)
	var m0, m1, v0 float64
	const n = 40000
	for range n {
		if j := b.SampleNoised(x, 0.5, rng); j != 0 {
			t.Fatalf("picked row %d of a one-row buffer", j)
		}
		m0 += x[0]
		m1 += x[1]
		v0 += (x[0] - 3) * (x[0] - 3)
	}
	m0, m1, v0 = m0/n, m1/n, v0/n
	if math.Abs(m0-3) > 0.02 || math.Abs(m1+2) > 0.02 || math.Abs(v0-0.25) > 0.01 {
		t.Fatalf("noised samples: mean (%v, %v), var %v; want (3, −2), 0.25", m0, m1, v0)
	}
}

func TestNewBufferErrors(t *testing.T) {
	for _, c := range [][4]int{{0, 10, 0, 1}, {2, 0, 0, 2}, {2, 10, 10, 2}, {2, 10, -1, 2}, {4, 10, 1, 5}} {
		if _, err := NewBuffer(c[0], c[1], c[2], c[3], nil); err == nil {
			t.Errorf("NewBuffer%v accepted", c)
		}
	}
}
