package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// bruteForceAssignment returns the minimum of Σ_i c_{i,σ(i)} over all n!
// permutations σ (Heap's algorithm), the independent oracle for small n.
func bruteForceAssignment(cost []float64, n int) float64 {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	eval := func() float64 {
		var s float64
		for i, j := range perm {
			s += cost[i*n+j]
		}
		return s
	}
	best := eval()
	c := make([]int, n)
	for i := 0; i < n; {
		if c[i] < i {
			if i%2 == 0 {
				perm[0], perm[i] = perm[i], perm[0]
			} else {
				perm[c[i]], perm[i] = perm[i], perm[c[i]]
			}
			best = math.Min(best, eval())
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
	return best
}

// checkPermutation fails unless p is a permutation of 0..n−1 whose cost is total.
func checkPermutation(t *testing.T, cost []float64, n int, p []int, total float64) {
	t.Helper()
	if len(p) != n {
		t.Fatalf("assignment has %d rows, want %d", len(p), n)
	}
	seen := make([]bool, n)
	var s float64
	for i, j := range p {
		if j < 0 || j >= n || seen[j] {
			t.Fatalf("assignment %v is not a permutation", p)
		}
		seen[j] = true
		s += cost[i*n+j]
	}
	if s != total {
		t.Fatalf("reported total %v, but the assignment costs %v", total, s)
	}
}

// costGenerators produce random n×n matrices of different kinds, including
// degenerate ones (ties, zeros, a huge dynamic range, negative entries).
var costGenerators = []struct {
	name string
	gen  func(rng *rand.Rand, n int) []float64
}{
	{"uniform", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for k := range c {
			c[k] = rng.Float64()
		}
		return c
	}},
	{"small-integers-ties", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for k := range c {
			c[k] = float64(rng.IntN(3))
		}
		return c
	}},
	{"zeros", func(rng *rand.Rand, n int) []float64 { return make([]float64, n*n) }},
	{"constant-rows", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for i := range n {
			v := float64(rng.IntN(5))
			for j := range n {
				c[i*n+j] = v
			}
		}
		return c
	}},
	{"huge-range", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for k := range c {
			c[k] = math.Pow(10, float64(rng.IntN(201)-100)) * rng.Float64()
		}
		return c
	}},
	{"huge-equal-magnitude", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for k := range c {
			c[k] = 1e140 * (1 + float64(rng.IntN(4)))
		}
		return c
	}},
	{"negative", func(rng *rand.Rand, n int) []float64 {
		c := make([]float64, n*n)
		for k := range c {
			c[k] = 100*rng.Float64() - 70
		}
		return c
	}},
	{"squared-distances", func(rng *rand.Rand, n int) []float64 {
		a, b := make([]float64, 2*n), make([]float64, 2*n)
		for k := range a {
			a[k], b[k] = rng.NormFloat64(), rng.NormFloat64()
		}
		c := make([]float64, n*n)
		sqDistMatrix(c, a, b, 2)
		return c
	}},
}

func TestAssignmentMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var a Assignment // one workspace across sizes exercises reuse
	for _, g := range costGenerators {
		t.Run(g.name, func(t *testing.T) {
			for n := 1; n <= 8; n++ {
				trials := 60
				if n == 8 {
					trials = 6
				}
				for trial := range trials {
					cost := g.gen(rng, n)
					p, total, err := a.Solve(cost, n)
					if err != nil {
						t.Fatal(err)
					}
					checkPermutation(t, cost, n, p, total)
					want := bruteForceAssignment(cost, n)
					scale := 0.0
					for _, c := range cost {
						scale = math.Max(scale, math.Abs(c))
					}
					if math.Abs(total-want) > 1e-12*float64(n)*scale {
						t.Fatalf("n=%d trial %d: solver %v, brute force %v\ncost %v", n, trial, total, want, cost)
					}
				}
			}
		})
	}
}

// TestAssignmentDualCertificate checks optimality on sizes too large for brute
// force through linear-programming duality: the potentials satisfy
// u_i + v_j ≤ c_ij for every pair and equality on the matching, so the
// matching's cost equals a lower bound on every permutation's cost.
func TestAssignmentDualCertificate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a Assignment
	for _, g := range costGenerators {
		for _, n := range []int{17, 120} {
			cost := g.gen(rng, n)
			p, total, err := a.Solve(cost, n)
			if err != nil {
				t.Fatal(err)
			}
			checkPermutation(t, cost, n, p, total)
			u, v := a.duals()
			scale := 1e-300
			for _, c := range cost {
				scale = math.Max(scale, math.Abs(c))
			}
			tol := 1e-11 * scale
			var dual float64
			for i := range n {
				dual += u[i] + v[i]
				for j := range n {
					r := cost[i*n+j] - u[i] - v[j]
					if r < -tol || (p[i] == j && math.Abs(r) > tol) {
						t.Fatalf("%s n=%d: reduced cost c[%d][%d] − u − v = %v (matched: %v)", g.name, n, i, j, r, p[i] == j)
					}
				}
			}
			if math.Abs(dual-total) > float64(n)*tol {
				t.Fatalf("%s n=%d: primal %v ≠ dual %v", g.name, n, total, dual)
			}
		}
	}
}

func TestAssignmentRejectsBadCosts(t *testing.T) {
	cases := []struct {
		name string
		cost []float64
		n    int
		want string
	}{
		{"nan", []float64{0, math.NaN(), 1, 2}, 2, "cost[0][1]"},
		{"+inf", []float64{0, 1, math.Inf(1), 2}, 2, "cost[1][0]"},
		{"-inf", []float64{math.Inf(-1), 1, 1, 2}, 2, "cost[0][0]"},
		{"too-large", []float64{0, 1, 1, 1e151}, 2, "cost[1][1]"},
		{"size", []float64{0, 1, 2}, 2, "3 entries"},
		{"negative-n", nil, -1, "n = -1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := SolveAssignment(c.cost, c.n)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "sim: ") {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestAssignmentTrivialSizes(t *testing.T) {
	p, total, err := SolveAssignment(nil, 0)
	if err != nil || len(p) != 0 || total != 0 {
		t.Fatalf("n=0: %v %v %v", p, total, err)
	}
	p, total, err = SolveAssignment([]float64{-2.5}, 1)
	if err != nil || len(p) != 1 || p[0] != 0 || total != -2.5 {
		t.Fatalf("n=1: %v %v %v", p, total, err)
	}
}

func TestAssignmentReuseAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	big := costGenerators[0].gen(rng, 60)
	small := costGenerators[0].gen(rng, 20)
	var a Assignment
	if _, _, err := a.Solve(big, 60); err != nil {
		t.Fatal(err)
	}
	_, wantSmall, _ := SolveAssignment(small, 20)
	_, wantBig, _ := SolveAssignment(big, 60)
	allocs := testing.AllocsPerRun(5, func() {
		if _, got, _ := a.Solve(small, 20); got != wantSmall {
			t.Fatalf("reused workspace gives %v, fresh %v", got, wantSmall)
		}
		if _, got, _ := a.Solve(big, 60); got != wantBig {
			t.Fatalf("reused workspace gives %v, fresh %v", got, wantBig)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per reused Solve pair, want 0", allocs)
	}
}

// TestAssignmentRowReductionBudget exhausts the row reduction's budget at
// every point (no reduction at all, a few scans, the full budget), so that
// the hand-over of the rows it leaves free to the augmenting searches is
// exercised; the optimum must not depend on it.
func TestAssignmentRowReductionBudget(t *testing.T) {
	saved := rowReductionBudget
	defer func() { rowReductionBudget = saved }()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, budget := range []int{0, 1, 2, 3, 5, 1 << 30} {
		rowReductionBudget = func(int) int { return budget }
		var a Assignment
		for _, g := range costGenerators {
			for n := 2; n <= 7; n++ {
				for range 10 {
					cost := g.gen(rng, n)
					p, total, err := a.Solve(cost, n)
					if err != nil {
						t.Fatal(err)
					}
					checkPermutation(t, cost, n, p, total)
					want := bruteForceAssignment(cost, n)
					scale := 0.0
					for _, c := range cost {
						scale = math.Max(scale, math.Abs(c))
					}
					if math.Abs(total-want) > 1e-12*float64(n)*scale {
						t.Fatalf("budget %d, %s n=%d: solver %v, brute force %v", budget, g.name, n, total, want)
					}
				}
			}
		}
	}
}

// TestAssignmentStepsGiveTheSameResult solves in slices of a few row scans
// and compares with a solve in one go: same matching, same total, bit for bit.
func TestAssignmentStepsGiveTheSameResult(t *testing.T) {
	var idle Assignment
	if !idle.Step(10) {
		t.Fatal("Step with no solve begun reports unfinished")
	}
	if _, _, ok := idle.Result(); ok {
		t.Fatal("Result with no solve begun reports ok")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	var whole, sliced Assignment
	for _, g := range costGenerators {
		for _, n := range []int{1, 2, 9, 40} {
			cost := g.gen(rng, n)
			p, total, err := whole.Solve(cost, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, slice := range []int{1, 3, 17} {
				if err := sliced.Begin(cost, n); err != nil {
					t.Fatal(err)
				}
				calls := 0
				for !sliced.Step(slice) {
					if _, _, ok := sliced.Result(); ok {
						t.Fatal("Result ok before the solve finished")
					}
					if calls++; calls > 10*n*n+10 {
						t.Fatalf("%s n=%d: no end after %d steps of %d scans", g.name, n, calls, slice)
					}
				}
				q, got, ok := sliced.Result()
				if !ok || got != total || !slices.Equal(p, q) {
					t.Fatalf("%s n=%d in slices of %d: %v %v, in one go: %v %v", g.name, n, slice, q, got, p, total)
				}
			}
		}
	}
}
