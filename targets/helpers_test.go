package targets

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// underWasm is true when the tests run as js/wasm under Node, where they use
// smaller sizes.
var underWasm = runtime.GOARCH == "wasm"

// newRNG returns the seeded source every test uses.
func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x1f2e3d4c5b6a7988)) }

// mustLookup returns the registered target or fails the test.
func mustLookup(t testing.TB, name string) Target {
	t.Helper()
	tg, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// testPoints returns n points (n×d) where the target is worth probing: rows
// of its reference set slightly perturbed, a jittered lattice for a particle
// system without data, uniform points of its box otherwise.
func testPoints(t testing.TB, tg Target, rng *rand.Rand, n int) []float64 {
	t.Helper()
	d := tg.Dim()
	x := make([]float64, n*d)
	if r, ok := tg.(Referenced); ok {
		if ref, err := r.Reference("test"); err == nil {
			rows := len(ref) / d
			for i := range n {
				k := rng.IntN(rows)
				for j := range d {
					x[i*d+j] = ref[k*d+j] + 0.02*rng.NormFloat64()
				}
			}
			return x
		}
	}
	if p, ok := tg.(ParticleSystem); ok {
		np, sd := p.Particles()
		for i := range n {
			copy(x[i*d:(i+1)*d], latticeConfig(np, sd, 1.15, 0.05, rng))
		}
		RemoveMeanBatch(x, np, sd)
		return x
	}
	b, ok := tg.(Bounded)
	if !ok {
		t.Fatalf("%s: no reference, particles or box to draw test points from", tg.Name())
	}
	lo, hi := b.Bounds()
	for i := range x {
		j := i % d
		x[i] = lo[j] + (hi[j]-lo[j])*rng.Float64()
	}
	return x
}

// latticeConfig places n particles on a cubic lattice of the given spacing
// in R^sd, each jittered by N(0, jitter²): a configuration without close
// contacts.
func latticeConfig(n, sd int, spacing, jitter float64, rng *rand.Rand) []float64 {
	side := int(math.Ceil(math.Pow(float64(n), 1/float64(sd))))
	x := make([]float64, n*sd)
	for i := range n {
		k := i
		for c := range sd {
			x[i*sd+c] = spacing*float64(k%side) + jitter*rng.NormFloat64()
			k /= side
		}
	}
	return x
}

// fdScoreError returns max_j |FD_j − s_j| / max(‖s‖∞, 1) at x, with FD_j the
// fourth-order central difference (8(f(x+h)−f(x−h)) − (f(x+2h)−f(x−2h)))/12h
// of LogProb, h = 1e−4·max(1, |x_j|). The floor 1 turns the relative
// criterion into an absolute one (1e−5 in score units) where the gradient
// is tiny.
func fdScoreError(tg Target, x []float64) float64 {
	s := tg.Score(nil, x)
	xp := append([]float64(nil), x...)
	var maxErr, maxS float64
	for j := range x {
		h := 1e-4 * math.Max(1, math.Abs(x[j]))
		f := func(dx float64) float64 {
			xp[j] = x[j] + dx
			v := tg.LogProb(xp)
			xp[j] = x[j]
			return v
		}
		fd := (8*(f(h)-f(-h)) - (f(2*h) - f(-2*h))) / (12 * h)
		maxErr = math.Max(maxErr, math.Abs(fd-s[j]))
		maxS = math.Max(maxS, math.Abs(s[j]))
	}
	return maxErr / math.Max(maxS, 1)
}

// moments returns the sample mean and covariance of the rows of x (n×d) and
// their standard errors, the covariance's from the sample fourth moments.
func moments(x []float64, d int) (mean, cov, seMean, seCov []float64) {
	n := len(x) / d
	mean, cov = make([]float64, d), make([]float64, d*d)
	seMean, seCov = make([]float64, d), make([]float64, d*d)
	for i := 0; i < len(x); i += d {
		for a := range d {
			mean[a] += x[i+a]
		}
	}
	for a := range mean {
		mean[a] /= float64(n)
	}
	sq := make([]float64, d*d)
	for i := 0; i < len(x); i += d {
		for a := range d {
			for b := range d {
				w := (x[i+a] - mean[a]) * (x[i+b] - mean[b])
				cov[a*d+b] += w
				sq[a*d+b] += w * w
			}
		}
	}
	for k := range cov {
		cov[k] /= float64(n)
		seCov[k] = math.Sqrt(math.Max(sq[k]/float64(n)-cov[k]*cov[k], 0) / float64(n))
	}
	for a := range d {
		seMean[a] = math.Sqrt(cov[a*d+a] / float64(n))
	}
	return mean, cov, seMean, seCov
}

// quad2D integrates π̃ = exp(LogProb) over the box [lo, hi] of a 2-D target
// by the midpoint rule on an m×m grid, and returns the mass Z, the mean and
// covariance of the normalized density and the mass of each cell of a c×c
// grid (m a multiple of c), divided by Z.
func quad2D(tg Target, lo, hi []float64, m, c int) (z float64, mean, cov, cells []float64) {
	hx, hy := (hi[0]-lo[0])/float64(m), (hi[1]-lo[1])/float64(m)
	mean, cov, cells = make([]float64, 2), make([]float64, 4), make([]float64, c*c)
	var sx, sy, sxx, sxy, syy float64
	x := make([]float64, 2)
	for i := range m {
		x[0] = lo[0] + (float64(i)+0.5)*hx
		for j := range m {
			x[1] = lo[1] + (float64(j)+0.5)*hy
			w := math.Exp(tg.LogProb(x)) * hx * hy
			z += w
			sx += w * x[0]
			sy += w * x[1]
			sxx += w * x[0] * x[0]
			sxy += w * x[0] * x[1]
			syy += w * x[1] * x[1]
			cells[(i*c/m)*c+j*c/m] += w
		}
	}
	mean[0], mean[1] = sx/z, sy/z
	cov[0] = sxx/z - mean[0]*mean[0]
	cov[1] = sxy/z - mean[0]*mean[1]
	cov[2] = cov[1]
	cov[3] = syy/z - mean[1]*mean[1]
	for k := range cells {
		cells[k] /= z
	}
	return z, mean, cov, cells
}

// allFinite reports whether every entry of s is finite.
func allFinite(s []float64) bool {
	for _, v := range s {
		if !finite(v) {
			return false
		}
	}
	return true
}

// allZero reports whether every entry of s is 0.
func allZero(s []float64) bool {
	for _, v := range s {
		if v != 0 {
			return false
		}
	}
	return true
}
