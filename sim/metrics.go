package sim

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"iwsm/targets"
)

// NonFiniteError reports that an input of a metric holds NaN or infinite
// values. Metrics never skip such values silently: the caller decides
// whether to drop them (and report how many) or to treat the run as failed.
type NonFiniteError struct {
	Metric string // the metric, e.g. "W2"
	Arg    string // the offending argument, e.g. "b" or "gen"
	Count  int    // number of items (points, energies, configurations) with a non-finite value
	Len    int    // number of items of that argument
}

// Error returns "sim: <metric>: <count> of <len> <arg> items are not finite".
func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("sim: %s: %d of %d %s items are not finite", e.Metric, e.Count, e.Len, e.Arg)
}

// countNonFiniteRows returns the number of rows of x (rows of length d) with
// at least one NaN or infinite entry.
func countNonFiniteRows(x []float64, d int) int {
	bad := 0
	for i := 0; i < len(x); i += d {
		for _, v := range x[i : i+d] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad++
				break
			}
		}
	}
	return bad
}

// checkPoints validates a set of points x (rows of length d) for metric:
// at least one whole row and finite entries.
func checkPoints(metric, arg string, x []float64, d int) error {
	if d < 1 {
		return fmt.Errorf("sim: %s: dimension %d, want ≥ 1", metric, d)
	}
	if len(x) == 0 || len(x)%d != 0 {
		return fmt.Errorf("sim: %s: %s has %d values, want a positive multiple of the dimension %d", metric, arg, len(x), d)
	}
	if bad := countNonFiniteRows(x, d); bad > 0 {
		return &NonFiniteError{Metric: metric, Arg: arg, Count: bad, Len: len(x) / d}
	}
	return nil
}

// W2Solver computes exact 2-Wasserstein distances between equal-size point
// sets with uniform weights (see W2). It keeps the cost matrix and the
// assignment workspace between calls, so repeated evaluation at the same or a
// smaller size allocates nothing. Distance evaluates in one call; Start,
// Advance and Result evaluate the same distance in bounded slices of work,
// for a caller on the browser's main thread (a 1000-point solve takes 6 to
// 9 times longer in WebAssembly than natively). The zero value is ready to
// use; a W2Solver belongs to one goroutine at a time.
type W2Solver struct {
	asg   Assignment
	cost  []float64
	match []int

	// Evaluation in progress.
	a, b    []float64
	d, n    int
	built   int // cost rows built so far
	state   int
	w       float64
	failure error
}

// States of a W2Solver evaluation.
const (
	w2Idle     = iota // nothing started
	w2Building        // filling the cost matrix row by row
	w2Solving         // solving the assignment
	w2Done            // finished: w or failure holds the outcome
)

// ErrW2NotFinished is returned by W2Solver.Result before Advance has reported
// the evaluation finished.
var ErrW2NotFinished = errors.New("sim: W2: no finished evaluation (call Start, then Advance until it returns true)")

// Distance returns the exact 2-Wasserstein distance between the uniform
// empirical measures of a and b, n points each (rows of length d, flat
// row-major), for the squared Euclidean cost:
//
//	W2(a, b) = √( min_σ (1/n) Σ_i ‖a_i − b_σ(i)‖² ),
//
// the minimum over permutations σ, which for equal sizes and uniform weights
// is the optimum over all transport plans (Birkhoff–von Neumann). The optimal
// σ is available from Matching until the next evaluation.
//
// Errors: d < 1, empty sets, lengths that are not a multiple of d, different
// numbers of points, more than 32768 points, NaN or infinite coordinates
// (a *NonFiniteError with the number of bad points), and squared distances
// beyond MaxAssignmentCost (coordinates of about 1e75).
func (s *W2Solver) Distance(a, b []float64, d int) (float64, error) {
	if err := s.Start(a, b, d); err != nil {
		return 0, err
	}
	s.Advance(math.MaxInt)
	return s.Result()
}

// Start validates a and b as Distance does and begins evaluating their
// distance; Advance does the work. a and b must not change until the
// evaluation is finished. Starting again abandons an unfinished evaluation.
func (s *W2Solver) Start(a, b []float64, d int) error {
	s.state, s.a, s.b, s.match = w2Idle, nil, nil, nil
	if err := checkPoints("W2", "a", a, d); err != nil {
		return err
	}
	if err := checkPoints("W2", "b", b, d); err != nil {
		return err
	}
	if len(a) != len(b) {
		return fmt.Errorf("sim: W2: sets of %d and %d points, want equal sizes", len(a)/d, len(b)/d)
	}
	n := len(a) / d
	if n > 1<<15 {
		return fmt.Errorf("sim: W2: %d points exceed the exact solver's limit of %d (an n² cost matrix)", n, 1<<15)
	}
	if cap(s.cost) < n*n {
		s.cost = make([]float64, n*n)
	}
	s.cost = s.cost[:n*n]
	s.a, s.b, s.d, s.n, s.built = a, b, d, n, 0
	s.state, s.w, s.failure = w2Building, 0, nil
	return nil
}

// Advance continues the evaluation begun by Start by at most maxRows units
// of work, each one row of the n×n cost matrix (O(n·d)) or one row scan of
// the assignment solver (O(n)), and reports whether it is finished (then
// Result has the outcome). A whole 1000-point solve of gmm40 samples is
// about 38,000 units (1000 cost rows, then row scans).
func (s *W2Solver) Advance(maxRows int) (finished bool) {
	for maxRows > 0 {
		switch s.state {
		case w2Building:
			k := min(maxRows, s.n-s.built)
			lo, hi := s.built*s.d, (s.built+k)*s.d
			sqDistMatrix(s.cost[s.built*s.n:(s.built+k)*s.n], s.a[lo:hi], s.b, s.d)
			s.built += k
			maxRows -= k
			if s.built == s.n {
				if err := s.asg.Begin(s.cost, s.n); err != nil {
					// The coordinates are finite, so a squared distance
					// exceeds MaxAssignmentCost.
					s.finish(fmt.Errorf("sim: W2: a squared distance exceeds the solver's range of %g (coordinates of magnitude about 1e75)", MaxAssignmentCost))
				} else {
					s.state = w2Solving
				}
			}
		case w2Solving:
			rest := maxRows
			maxRows = 0
			if s.asg.Step(rest) {
				sigma, total, _ := s.asg.Result()
				s.match = sigma
				s.w = math.Sqrt(math.Max(total, 0) / float64(s.n))
				s.finish(nil)
			}
		default:
			return s.state == w2Done
		}
	}
	return s.state == w2Done
}

// finish ends the evaluation with err (nil on success) and drops the
// references to the caller's point sets.
func (s *W2Solver) finish(err error) {
	s.state, s.failure, s.a, s.b = w2Done, err, nil, nil
}

// Result returns the distance of the evaluation that Advance finished, the
// error that ended it, or ErrW2NotFinished.
func (s *W2Solver) Result() (float64, error) {
	if s.state != w2Done {
		return 0, ErrW2NotFinished
	}
	return s.w, s.failure
}

// Matching returns the optimal permutation of the last successful
// evaluation: point i of a is transported to point Matching()[i] of b. The
// slice is owned by the solver and changes with the next evaluation; it is
// nil while none has succeeded.
func (s *W2Solver) Matching() []int { return s.match }

// W2 returns the exact 2-Wasserstein distance between two equal-size point
// sets with uniform weights, squared Euclidean cost in the flattened
// coordinates (rows of length d):
//
//	W2(a, b) = √( min_σ (1/n) Σ_i ‖a_i − b_σ(i)‖² ),
//
// the x-W2 of iDEM and IW-SM. It allocates a fresh W2Solver; use one
// W2Solver for repeated evaluation. Errors as W2Solver.Distance.
func W2(a, b []float64, d int) (float64, error) {
	var s W2Solver
	return s.Distance(a, b, d)
}

// sqDistMatrix writes c_ij = ‖a_i − b_j‖² (rows of length d) into cost
// (n×m, row-major), from the differences themselves rather than
// ‖a‖² + ‖b‖² − 2a·b, so that near-identical points keep full relative
// precision.
func sqDistMatrix(cost, a, b []float64, d int) {
	n, m := len(a)/d, len(b)/d
	if d == 2 {
		for i := range n {
			x0, x1 := a[2*i], a[2*i+1]
			row := cost[i*m : (i+1)*m]
			for j := range row {
				d0, d1 := x0-b[2*j], x1-b[2*j+1]
				row[j] = d0*d0 + d1*d1
			}
		}
		return
	}
	for i := range n {
		ai := a[i*d : (i+1)*d]
		row := cost[i*m : (i+1)*m]
		for j := range row {
			bj := b[j*d : (j+1)*d]
			var s float64
			for k, x := range ai {
				t := x - bj[k]
				s += t * t
			}
			row[j] = s
		}
	}
}

// EnergyW2 returns the squared 1-D 2-Wasserstein distance between two
// equal-size samples of energies (uniform weights), the E-W2 that iDEM
// reports (POT's emd2_1d, which is the squared distance):
//
//	E-W2 = (1/n) Σ_i (ea_(i) − eb_(i))²,
//
// with ea_(i), eb_(i) the sorted values (for equal sizes the monotone
// matching is optimal). The inputs are not modified. Note that it is
// squared, unlike W2.
//
// Errors: empty or different-length inputs, and NaN or infinite energies
// (a *NonFiniteError with their count; Lennard-Jones energies of collapsed
// configurations are +Inf). Nothing is dropped silently: a caller that
// wants iDEM-like filtering removes the bad energies from both sides itself
// and reports how many.
func EnergyW2(ea, eb []float64) (float64, error) {
	if len(ea) == 0 || len(ea) != len(eb) {
		return 0, fmt.Errorf("sim: EnergyW2: samples of %d and %d energies, want equal positive sizes", len(ea), len(eb))
	}
	if bad := countNonFiniteRows(ea, 1); bad > 0 {
		return 0, &NonFiniteError{Metric: "EnergyW2", Arg: "ea", Count: bad, Len: len(ea)}
	}
	if bad := countNonFiniteRows(eb, 1); bad > 0 {
		return 0, &NonFiniteError{Metric: "EnergyW2", Arg: "eb", Count: bad, Len: len(eb)}
	}
	sa, sb := slices.Clone(ea), slices.Clone(eb)
	slices.Sort(sa)
	slices.Sort(sb)
	var s float64
	for i, x := range sa {
		t := x - sb[i]
		s += t * t
	}
	return s / float64(len(sa)), nil
}

// defaultMMDScales are the bandwidths of METHOD.md's kernel sum.
var defaultMMDScales = [...]float64{0.01, 0.1, 1, 10, 100}

// DefaultMMDScales returns (a copy of) the bandwidths s of the kernel sum of
// MMD, as in METHOD.md: {0.01, 0.1, 1, 10, 100}.
func DefaultMMDScales() []float64 { return slices.Clone(defaultMMDScales[:]) }

// MMD returns the biased (V-statistic) squared maximum mean discrepancy
// between the point sets a (n rows of length d) and b (m rows):
//
//	MMD² = (1/n²) Σ_ij k(a_i, a_j) + (1/m²) Σ_ij k(b_i, b_j) − (2/nm) Σ_ij k(a_i, b_j),
//	k(x, y) = Σ_s exp(−‖x − y‖² / 2s²),
//
// with s over scales (nil means DefaultMMDScales()). It is the squared RKHS
// distance between the kernel mean embeddings, so it is ≥ 0; a negative
// result of rounding is returned as 0. n and m may differ.
//
// Errors: bad sizes (see W2), empty or non-positive / non-finite scales, and
// non-finite coordinates (*NonFiniteError).
func MMD(a, b []float64, d int, scales []float64) (float64, error) {
	if err := checkPoints("MMD", "a", a, d); err != nil {
		return 0, err
	}
	if err := checkPoints("MMD", "b", b, d); err != nil {
		return 0, err
	}
	if scales == nil {
		scales = defaultMMDScales[:]
	}
	if len(scales) == 0 || len(scales) > 64 {
		return 0, fmt.Errorf("sim: MMD: %d kernel scales, want 1 to 64", len(scales))
	}
	var coef [64]float64
	for k, s := range scales {
		if !(s > 0) || math.IsInf(s, 0) {
			return 0, fmt.Errorf("sim: MMD: kernel scale %v, want a positive finite number", s)
		}
		coef[k] = -1 / (2 * s * s)
	}
	c := coef[:len(scales)]
	n, m := float64(len(a)/d), float64(len(b)/d)
	kaa := kernelSelfSum(a, d, c)
	kbb := kernelSelfSum(b, d, c)
	kab := kernelCrossSum(a, b, d, c)
	mmd := kaa/(n*n) + kbb/(m*m) - 2*kab/(n*m)
	return math.Max(mmd, 0), nil
}

// kernelOf returns k = Σ_s exp(coef_s r²) for a squared distance r², skipping
// the terms that underflow to zero.
func kernelOf(r2 float64, coef []float64) float64 {
	var k float64
	for _, c := range coef {
		if e := c * r2; e > -746 {
			k += math.Exp(e)
		}
	}
	return k
}

// kernelSelfSum returns Σ_ij k(x_i, x_j) over all ordered pairs of rows of x,
// using symmetry: S·n on the diagonal (k(x, x) = S, the number of scales)
// plus twice the sum over i < j.
func kernelSelfSum(x []float64, d int, coef []float64) float64 {
	n := len(x) / d
	var off float64
	for i := range n {
		xi := x[i*d : (i+1)*d]
		var rowSum float64
		for j := i + 1; j < n; j++ {
			rowSum += kernelOf(rowSqDist(xi, x[j*d:(j+1)*d]), coef)
		}
		off += rowSum
	}
	return float64(len(coef))*float64(n) + 2*off
}

// kernelCrossSum returns Σ_ij k(a_i, b_j).
func kernelCrossSum(a, b []float64, d int, coef []float64) float64 {
	n, m := len(a)/d, len(b)/d
	var sum float64
	for i := range n {
		ai := a[i*d : (i+1)*d]
		var rowSum float64
		for j := range m {
			rowSum += kernelOf(rowSqDist(ai, b[j*d:(j+1)*d]), coef)
		}
		sum += rowSum
	}
	return sum
}

// rowSqDist returns ‖x − y‖² for len(x) = len(y).
func rowSqDist(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for k, v := range x {
		t := v - y[k]
		s += t * t
	}
	return s
}

// CoverageConfig sets the mode-coverage criterion of ModeCoverage.
type CoverageConfig struct {
	// Radius r: a sample belongs to its nearest mean μ_k when
	// ‖x − μ_k‖ ≤ r·s_k (default 3 standard deviations, METHOD.md; in 2-D a
	// Gaussian mode puts 1 − e^{−r²/2} ≈ 98.9 % of its mass there).
	Radius float64
	// MinShare f: mode k is covered when it holds n_k ≥ f·n·w_k samples and
	// at least one (default 0.2, i.e. 20 % of its fair share n·w_k, which is
	// n/K for equal weights). f = 0 counts a mode as covered as soon as one
	// sample lies within its radius.
	MinShare float64
}

// DefaultCoverageConfig returns the criterion of METHOD.md: radius 3
// standard deviations, covered at 20 % of the fair share.
func DefaultCoverageConfig() CoverageConfig { return CoverageConfig{Radius: 3, MinShare: 0.2} }

// Validate reports whether Radius is positive and finite and MinShare is in
// [0, 1].
func (c CoverageConfig) Validate() error {
	if !(c.Radius > 0) || math.IsInf(c.Radius, 0) {
		return fmt.Errorf("sim: coverage radius %v, want a positive finite number of standard deviations", c.Radius)
	}
	if !(c.MinShare >= 0 && c.MinShare <= 1) {
		return fmt.Errorf("sim: coverage share %v, want a fraction in [0, 1]", c.MinShare)
	}
	return nil
}

// CoverageResult is the outcome of ModeCoverage.
type CoverageResult struct {
	Covered int   // number of covered modes
	Modes   int   // number K of modes
	Counts  []int // n_k: samples assigned to mode k
	Outside int   // samples farther than the radius from their nearest mean (including non-finite samples)
	// ModeTV is the total variation between the empirical mode weights of
	// the assigned samples and the mixture weights,
	// ½ Σ_k |n_k/n_in − w_k| with n_in = n − Outside; it is 1 when no sample
	// is assigned at all.
	ModeTV float64
}

// Coverage evaluates the mode coverage of the samples x (rows of length d,
// the dimension of the modes) for a mixture with known modes, with
// DefaultCoverageConfig. See ModeCoverage.
func Coverage(x []float64, m targets.Moder) (CoverageResult, error) {
	return CoverageWith(x, m, DefaultCoverageConfig())
}

// CoverageWith is Coverage with an explicit criterion.
func CoverageWith(x []float64, m targets.Moder, cfg CoverageConfig) (CoverageResult, error) {
	modes := m.Modes()
	if len(modes) == 0 || len(modes[0]) == 0 {
		return CoverageResult{}, errors.New("sim: coverage: the target lists no modes")
	}
	d := len(modes[0])
	means := make([]float64, 0, len(modes)*d)
	std := make([]float64, len(modes))
	for k, mu := range modes {
		if len(mu) != d {
			return CoverageResult{}, fmt.Errorf("sim: coverage: mode %d has %d coordinates, want %d", k, len(mu), d)
		}
		means = append(means, mu...)
		std[k] = m.ModeStd(k)
	}
	var res CoverageResult
	err := ModeCoverage(&res, x, d, means, std, m.ModeWeights(), cfg)
	return res, err
}

// ModeCoverage assigns each sample x_i (rows of length d) to its nearest mean
// μ_k (Euclidean; the lowest k on ties) when ‖x_i − μ_k‖ ≤ Radius·s_k, and
// counts it Outside otherwise (non-finite samples are Outside too). Mode k is
// covered when n_k ≥ max(1, MinShare·n·w_k) up to rounding, with n the
// number of all samples: its fair share is n·w_k, n/K for equal weights
// (weights nil). The mode-weight TV is ½ Σ_k |n_k/n_in − w_k| over the
// n_in = n − Outside assigned samples (1 if n_in = 0).
//
// means is K×d row-major, std the per-mode standard deviations s_k, weights
// the mixture weights (nil for 1/K; otherwise positive, normalized here).
// The result goes into dst, reusing dst.Counts when it is large enough, so
// that repeated evaluation allocates nothing. Errors: bad sizes, empty x,
// non-positive std or weights, and an invalid cfg.
func ModeCoverage(dst *CoverageResult, x []float64, d int, means, std, weights []float64, cfg CoverageConfig) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if d < 1 || len(means) == 0 || len(means)%d != 0 {
		return fmt.Errorf("sim: coverage: %d mean coordinates for dimension %d", len(means), d)
	}
	nModes := len(means) / d
	if len(std) != nModes || (weights != nil && len(weights) != nModes) {
		return fmt.Errorf("sim: coverage: %d modes but %d standard deviations and %d weights", nModes, len(std), len(weights))
	}
	if len(x) == 0 || len(x)%d != 0 {
		return fmt.Errorf("sim: coverage: %d sample values, want a positive multiple of the dimension %d", len(x), d)
	}
	var wsum float64
	for k, s := range std {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("sim: coverage: standard deviation of mode %d is %v", k, s)
		}
		if weights != nil {
			if w := weights[k]; !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("sim: coverage: weight of mode %d is %v", k, w)
			}
			wsum += weights[k]
		}
	}
	if cap(dst.Counts) < nModes {
		dst.Counts = make([]int, nModes)
	}
	counts := dst.Counts[:nModes]
	clear(counts)
	n := len(x) / d
	outside := 0
	for i := range n {
		xi := x[i*d : (i+1)*d]
		best, bestK := math.Inf(1), -1
		for k := range nModes {
			if r2 := rowSqDist(xi, means[k*d:(k+1)*d]); r2 < best {
				best, bestK = r2, k
			}
		}
		if bestK < 0 { // NaN coordinates: no distance compares
			outside++
			continue
		}
		if rad := cfg.Radius * std[bestK]; best <= rad*rad {
			counts[bestK]++
		} else {
			outside++
		}
	}
	covered := 0
	var tv float64
	nIn := n - outside
	for k, c := range counts {
		w := 1 / float64(nModes)
		if weights != nil {
			w = weights[k] / wsum
		}
		if need := cfg.MinShare * float64(n) * w; c >= 1 && float64(c) >= need*(1-1e-12) {
			covered++
		}
		if nIn > 0 {
			tv += math.Abs(float64(c)/float64(nIn) - w)
		}
	}
	tv /= 2
	if nIn == 0 {
		tv = 1
	}
	*dst = CoverageResult{Covered: covered, Modes: nModes, Counts: counts, Outside: outside, ModeTV: tv}
	return nil
}

// NESS returns the normalized effective sample size of self-normalized
// importance weights given by their logarithms,
//
//	nESS = 1 / (n Σ_i w̄_i²) = (Σ_i w_i)² / (n Σ_i w_i²),  w̄ = softmax(logw),
//
// in (0, 1], computed stably around the largest log weight. A −Inf or NaN
// log weight is a zero weight (a sample whose energy was not finite); if some
// log weights are +Inf, those samples share all the weight (nESS = #(+Inf)/n).
// An empty slice or all-zero weights give 0.
func NESS(logw []float64) float64 {
	maxL, nInf := math.Inf(-1), 0
	for _, l := range logw {
		switch {
		case math.IsInf(l, 1):
			nInf++
		case l > maxL: // false for NaN
			maxL = l
		}
	}
	n := float64(len(logw))
	if nInf > 0 {
		return float64(nInf) / n
	}
	if math.IsInf(maxL, -1) {
		return 0
	}
	var s1, s2 float64
	for _, l := range logw {
		if l > math.Inf(-1) { // excludes −Inf and NaN
			e := math.Exp(l - maxL)
			s1 += e
			s2 += e * e
		}
	}
	return s1 * s1 / (n * s2)
}

// NESSWeights returns the normalized effective sample size of non-negative
// (not necessarily normalized) importance weights,
//
//	nESS = (Σ_i w_i)² / (n Σ_i w_i²),
//
// which is 1/(n Σ w̄_i²) for weights w̄ that sum to 1. Weights are rescaled by
// their maximum first, so large weights do not overflow. NaN and negative
// weights count as zero; +Inf weights share all the weight. An empty slice
// or all-zero weights give 0.
func NESSWeights(w []float64) float64 {
	maxW, nInf := 0.0, 0
	for _, x := range w {
		switch {
		case math.IsInf(x, 1):
			nInf++
		case x > maxW:
			maxW = x
		}
	}
	n := float64(len(w))
	if nInf > 0 {
		return float64(nInf) / n
	}
	if maxW == 0 {
		return 0
	}
	var s1, s2 float64
	for _, x := range w {
		if x > 0 {
			e := x / maxW
			s1 += e
			s2 += e * e
		}
	}
	return s1 * s1 / (n * s2)
}

// Histogram fills dst with the normalized histogram of values over len(dst)
// equal bins spanning [lo, hi], and returns the number of values counted.
// Binning follows numpy.histogram: bin k is [e_k, e_{k+1}) with edges
// e_k = lo + k·(hi − lo)/bins, the last bin also includes hi, and values
// outside [lo, hi] (and NaN) are dropped. Each entry is count_k/counted, so
// dst sums to 1, or is all zero when nothing was counted.
//
// It panics if dst is empty or unless lo < hi are finite (programmer errors).
func Histogram(dst []float64, values []float64, lo, hi float64) int {
	checkBins("Histogram", len(dst), lo, hi)
	clear(dst)
	h := newBinner(lo, hi, len(dst))
	counted := 0
	for _, v := range values {
		if k := h.bin(v); k >= 0 {
			dst[k]++
			counted++
		}
	}
	if counted > 0 {
		inv := 1 / float64(counted)
		for k := range dst {
			dst[k] *= inv
		}
	}
	return counted
}

func checkBins(fn string, bins int, lo, hi float64) {
	if bins < 1 {
		panic(fmt.Sprintf("sim: %s: %d bins, want ≥ 1", fn, bins))
	}
	if !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		panic(fmt.Sprintf("sim: %s: range [%v, %v], want finite lo < hi", fn, lo, hi))
	}
}

// binner maps values to numpy.histogram's equal-width bins.
type binner struct {
	lo, hi, step, norm float64
	bins               int
}

func newBinner(lo, hi float64, bins int) binner {
	return binner{lo: lo, hi: hi, step: (hi - lo) / float64(bins), norm: float64(bins) / (hi - lo), bins: bins}
}

// edge returns e_k = lo + k·step, and hi for k = bins, as numpy.linspace.
func (h binner) edge(k int) float64 {
	if k == h.bins {
		return h.hi
	}
	return float64(k)*h.step + h.lo
}

// bin returns the bin of v, or −1 if v is outside [lo, hi] or NaN. The index
// computed by scaling is corrected against the edges so that a value equal
// to an edge always lands in the bin that starts there.
func (h binner) bin(v float64) int {
	if !(v >= h.lo && v <= h.hi) {
		return -1
	}
	k := int((v - h.lo) * h.norm)
	if k >= h.bins {
		k = h.bins - 1
	}
	if v < h.edge(k) {
		k--
	} else if k < h.bins-1 && v >= h.edge(k+1) {
		k++
	}
	return k
}

// DefaultDistanceBins is the number of bins of DistanceTV's histograms
// (iDEM's 200).
const DefaultDistanceBins = 200

// DistanceTV returns the total variation distance between the histograms of
// the interatomic distances of two sets of particle configurations, as iDEM
// computes it: every configuration is nParticles points in spatialDim
// dimensions (a row of nParticles·spatialDim values); all distances
// d_ij = ‖x_i − x_j‖, i < j, of ref are histogrammed into bins equal bins
// over [min, max] of the reference distances (numpy.histogram; a range of
// zero width becomes [min − ½, min + ½] as in numpy), those of gen on the
// same edges, each histogram is normalized by the number of distances it
// counted, and
//
//	TV = ½ Σ_k |p_k − q_k|.
//
// Generated distances outside the reference range are dropped before
// normalizing, as numpy.histogram with explicit edges does; if none is left
// the histograms share no mass and TV = 1. bins = 0 means
// DefaultDistanceBins. gen and ref may hold different numbers of
// configurations.
//
// Errors: nParticles < 2, spatialDim < 1, bins < 0, sizes that are not a
// positive multiple of a configuration, and non-finite coordinates
// (*NonFiniteError counting configurations).
func DistanceTV(gen, ref []float64, nParticles, spatialDim, bins int) (float64, error) {
	if nParticles < 2 || spatialDim < 1 {
		return 0, fmt.Errorf("sim: DistanceTV: %d particles in %d dimensions, want ≥ 2 particles and ≥ 1 dimension", nParticles, spatialDim)
	}
	if bins < 0 {
		return 0, fmt.Errorf("sim: DistanceTV: %d bins, want ≥ 1 (0 for the default %d)", bins, DefaultDistanceBins)
	}
	if bins == 0 {
		bins = DefaultDistanceBins
	}
	row := nParticles * spatialDim
	if err := checkPoints("DistanceTV", "gen", gen, row); err != nil {
		return 0, err
	}
	if err := checkPoints("DistanceTV", "ref", ref, row); err != nil {
		return 0, err
	}
	lo, hi := pairDistanceRange(ref, nParticles, spatialDim)
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	h := newBinner(lo, hi, bins)
	p := make([]float64, 2*bins)
	q := p[bins:]
	p = p[:bins]
	nRef := pairDistanceCounts(p, ref, nParticles, spatialDim, h)
	nq := pairDistanceCounts(q, gen, nParticles, spatialDim, h)
	if nq == 0 {
		return 1, nil
	}
	var tv float64
	for k := range p {
		tv += math.Abs(p[k]/float64(nRef) - q[k]/float64(nq))
	}
	return tv / 2, nil
}

// pairDistanceRange returns the smallest and largest interatomic distance
// over all configurations of x.
func pairDistanceRange(x []float64, nParticles, spatialDim int) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	row := nParticles * spatialDim
	for c := 0; c < len(x); c += row {
		conf := x[c : c+row]
		for i := range nParticles {
			xi := conf[i*spatialDim : (i+1)*spatialDim]
			for j := i + 1; j < nParticles; j++ {
				r := math.Sqrt(rowSqDist(xi, conf[j*spatialDim:(j+1)*spatialDim]))
				lo, hi = math.Min(lo, r), math.Max(hi, r)
			}
		}
	}
	return lo, hi
}

// pairDistanceCounts adds the histogram counts of all interatomic distances
// of x into counts and returns how many fell inside the binner's range.
func pairDistanceCounts(counts, x []float64, nParticles, spatialDim int, h binner) int {
	row := nParticles * spatialDim
	counted := 0
	for c := 0; c < len(x); c += row {
		conf := x[c : c+row]
		for i := range nParticles {
			xi := conf[i*spatialDim : (i+1)*spatialDim]
			for j := i + 1; j < nParticles; j++ {
				if k := h.bin(math.Sqrt(rowSqDist(xi, conf[j*spatialDim:(j+1)*spatialDim]))); k >= 0 {
					counts[k]++
					counted++
				}
			}
		}
	}
	return counted
}
