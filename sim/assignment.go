package sim

import (
	"fmt"
	"math"
)

// MaxAssignmentCost bounds the magnitude of the entries that Assignment
// accepts: |c_ij| ≤ 1e150. The bound keeps every potential and path length
// of the solver (sums of at most a few times n costs) far from float64
// overflow, so the solver never produces an infinity or a NaN internally.
const MaxAssignmentCost = 1e150

// Assignment solves the linear assignment problem (minimum-cost perfect
// matching of a dense n×n cost matrix)
//
//	min_σ Σ_i c_{i,σ(i)}   over the permutations σ of {0, …, n−1},
//
// exactly, in float64, by the Jonker–Volgenant method ("A shortest augmenting
// path algorithm for dense and sparse linear assignment problems", 1987):
// a column reduction v_j = min_i c_ij with a greedy assignment of tight
// pairs, two passes of augmenting row reduction, then one Dijkstra search
// for a shortest augmenting path over the reduced costs c_ij − u_i − v_j ≥ 0
// per row still free (in the form of Crouse, "On implementing 2D rectangular
// assignment algorithms", 2016). Each search is O(n²), so the worst case is
// O(n³); every search ends after at most n row scans and the row reduction
// has a fixed budget, so the solver always terminates, even with ties or
// rounding. The potentials are an optimality certificate: at the end
// u_i + v_j ≤ c_ij for all pairs, with equality on the matching (up to
// rounding).
//
// Solve runs to the end. Begin, Step and Result run the same computation in
// slices of a bounded number of O(n) row scans, for callers that must not
// block (Go's WebAssembly runs on the browser's main thread); both give
// identical results.
//
// An Assignment is a reusable workspace: after the first solve of a given
// size, further solves of that size or smaller allocate nothing. The zero
// value is ready to use. An Assignment belongs to one goroutine at a time.
type Assignment struct {
	u, v     []float64 // dual potentials of rows and columns
	spc      []float64 // shortest reduced path cost to each column
	path     []int     // predecessor row of each column on the path tree
	row4col  []int     // row assigned to each column, or −1
	col4row  []int     // column assigned to each row, or −1
	free     []int     // free rows of the row reduction
	scanRows []int     // rows reached by the current search
	scanCols []int     // columns scanned by the current search
	done     []bool    // columns whose shortest path is final

	// State of the solve in progress, so that Step can resume it.
	cost  []float64
	n     int
	phase int
	total float64
	// Row reduction: pass number, position k in the list of prev free
	// rows, length of the list of rows freed for the next pass, scans left.
	pass, k, prev, nFree, budget int
	// Search: its free row cur, the row to scan next, the length of the
	// shortest path found so far, and the lengths of scanRows and scanCols.
	cur, row     int
	minVal       float64
	nRows, nCols int
}

// Phases of a solve.
const (
	phaseIdle   = iota // no solve begun
	phaseRows          // augmenting row reduction
	phaseSearch        // shortest augmenting paths
	phaseSolved        // finished; col4row and total hold the result
)

// grow sizes the workspace for an n×n problem, reusing its buffers when they
// are large enough.
func (a *Assignment) grow(n int) {
	if cap(a.u) < n {
		a.u, a.v, a.spc = make([]float64, n), make([]float64, n), make([]float64, n)
		a.path, a.row4col, a.col4row = make([]int, n), make([]int, n), make([]int, n)
		a.free, a.scanRows, a.scanCols = make([]int, n), make([]int, n), make([]int, n)
		a.done = make([]bool, n)
	}
	a.u, a.v, a.spc = a.u[:n], a.v[:n], a.spc[:n]
	a.path, a.row4col, a.col4row = a.path[:n], a.row4col[:n], a.col4row[:n]
	a.free, a.scanRows, a.scanCols = a.free[:n], a.scanRows[:n], a.scanCols[:n]
	a.done = a.done[:n]
}

// Solve returns an optimal assignment of the n×n cost matrix cost (row-major,
// c_ij = cost[i·n+j]): rowToCol[i] = σ(i), the column matched to row i, and
// the optimal total Σ_i c_{i,σ(i)}, summed from the costs themselves (not
// from the potentials). rowToCol is owned by the workspace and is
// overwritten by the next solve; copy it to keep it.
//
// Errors: len(cost) ≠ n·n or n < 0, and any entry that is NaN, ±Inf or larger
// in magnitude than MaxAssignmentCost. Infinite entries are not read as
// "forbidden pairs": every input of this package is a finite distance, so a
// non-finite cost signals a bug upstream and is reported rather than
// interpreted. n = 0 gives an empty assignment with total 0.
func (a *Assignment) Solve(cost []float64, n int) (rowToCol []int, total float64, err error) {
	if err := a.Begin(cost, n); err != nil {
		return nil, 0, err
	}
	a.Step(math.MaxInt)
	rowToCol, total, _ = a.Result()
	return rowToCol, total, nil
}

// Begin validates cost (as Solve) and starts solving it: it performs the
// O(n²) column reduction, and Step does the rest. cost must not change until
// the solve is finished.
func (a *Assignment) Begin(cost []float64, n int) error {
	a.phase, a.cost = phaseIdle, nil
	if n < 0 || len(cost) != n*n {
		return fmt.Errorf("sim: assignment: cost matrix has %d entries, want n·n with n = %d", len(cost), n)
	}
	for k, c := range cost {
		if !(math.Abs(c) <= MaxAssignmentCost) {
			return fmt.Errorf("sim: assignment: cost[%d][%d] = %v is not a finite number of magnitude ≤ %g",
				k/n, k%n, c, MaxAssignmentCost)
		}
	}
	a.grow(n)
	a.cost, a.n, a.total = cost, n, 0
	a.reduceColumns()
	a.phase = phaseRows
	a.pass, a.k, a.nFree, a.budget = 0, 0, 0, rowReductionBudget(n)
	a.prev = 0
	for i, j := range a.col4row {
		if j < 0 {
			a.free[a.prev] = i
			a.prev++
		}
	}
	return nil
}

// Step advances the solve begun by Begin by at most maxScans row scans (each
// O(n)) and reports whether it is finished. Step on a finished solve, or
// with none begun, returns true at once.
func (a *Assignment) Step(maxScans int) (finished bool) {
	for {
		switch a.phase {
		case phaseIdle, phaseSolved:
			return true
		case phaseRows:
			if a.reduceRows(&maxScans) {
				a.endRowReduction()
			}
		case phaseSearch:
			if a.search(&maxScans) {
				a.nextSearch()
			}
		}
		if maxScans <= 0 {
			return a.phase == phaseSolved || a.phase == phaseIdle
		}
	}
}

// Result returns the assignment and its total once Step has reported the
// solve finished (ok false before). rowToCol is owned by the workspace.
func (a *Assignment) Result() (rowToCol []int, total float64, ok bool) {
	if a.phase != phaseSolved {
		return nil, 0, false
	}
	return a.col4row, a.total, true
}

// reduceColumns sets u = 0 and v_j = min_i c_ij, which makes every reduced
// cost c_ij − u_i − v_j non-negative, and assigns each column to its
// minimising row when that row is still free (a tight pair, so complementary
// slackness holds for every assigned pair).
func (a *Assignment) reduceColumns() {
	cost, n := a.cost, a.n
	u, v, row4col, col4row := a.u, a.v, a.row4col, a.col4row
	argmin := a.path // scratch: path is rebuilt by every search
	if n == 0 {
		return
	}
	copy(v, cost[:n])
	for j := range n {
		u[j], argmin[j], row4col[j], col4row[j] = 0, 0, -1, -1
	}
	for i := 1; i < n; i++ {
		row := cost[i*n : (i+1)*n]
		row = row[:len(v)]
		for j, c := range row {
			if c < v[j] {
				v[j], argmin[j] = c, i
			}
		}
	}
	for j := range n {
		if i := argmin[j]; col4row[i] < 0 {
			col4row[i], row4col[j] = j, i
		}
	}
}

// rowReductionBudget returns how many row scans the row reduction may spend
// on an n×n problem, 8n (a variable so that the tests can exhaust it).
var rowReductionBudget = func(n int) int { return 8 * n }

// reduceRows runs the augmenting row reduction of Jonker and Volgenant until
// it ends (true) or *scans runs out: each free row i takes the column j1 of
// its smallest reduced cost c_ij1 − v_j1 = m1, and v_j1 is lowered by the
// gap to the second smallest, m2 − m1, so that j1 stays a row minimum; the
// row that held j1 (if any) is freed and, when the gap was positive, tried
// next. Every column potential only decreases, so each assigned row keeps a
// row minimum and the potentials u_i = min_j (c_ij − v_j) stay feasible with
// complementary slackness on the matching. Two passes over the free rows,
// with a total budget of rowReductionBudget(n) row scans so that float
// rounding cannot make it cycle; the rows still free go to the searches.
func (a *Assignment) reduceRows(scans *int) (ended bool) {
	cost, n := a.cost, a.n
	v, row4col, col4row, list := a.v, a.row4col, a.col4row, a.free
	for {
		if a.k >= a.prev || a.budget <= 0 { // end of a pass
			a.pass++
			if a.pass >= 2 || a.nFree == 0 || a.budget <= 0 {
				return true
			}
			a.k, a.prev, a.nFree = 0, a.nFree, 0
		}
		if *scans <= 0 {
			return false
		}
		*scans--
		a.budget--
		i := list[a.k]
		a.k++
		row := cost[i*n : (i+1)*n]
		vv := v[:len(row)]
		m1, m2 := row[0]-vv[0], math.Inf(1)
		j1, j2 := 0, -1
		for j := 1; j < len(row); j++ {
			h := row[j] - vv[j]
			if h < m2 {
				if h >= m1 {
					m2, j2 = h, j
				} else {
					m2, m1, j2, j1 = m1, h, j1, j
				}
			}
		}
		i0 := row4col[j1]
		if m1 < m2 {
			v[j1] -= m2 - m1
		} else if i0 >= 0 {
			j1, i0 = j2, row4col[j2]
		}
		if i0 >= 0 {
			col4row[i0] = -1
		}
		col4row[i], row4col[j1] = j1, i
		if i0 >= 0 {
			if m1 < m2 { // continue with the freed row right away
				a.k--
				list[a.k] = i0
			} else { // leave it for the next pass
				list[a.nFree] = i0
				a.nFree++
			}
		}
	}
}

// endRowReduction sets u_i = c_{i,σ(i)} − v_σ(i), the row minimum of the
// reduced costs, for every assigned row (0 for the free ones, which the
// searches do not need) and moves on to the searches.
func (a *Assignment) endRowReduction() {
	for i, j := range a.col4row {
		if j >= 0 {
			a.u[i] = a.cost[i*a.n+j] - a.v[j]
		} else {
			a.u[i] = 0
		}
	}
	a.phase, a.cur = phaseSearch, -1
	a.nextSearch()
}

// nextSearch starts the search from the next free row, or finishes the
// solve when every row is assigned.
func (a *Assignment) nextSearch() {
	n := a.n
	for a.cur++; a.cur < n && a.col4row[a.cur] >= 0; a.cur++ {
	}
	if a.cur >= n {
		a.total = 0
		for i, j := range a.col4row {
			a.total += a.cost[i*n+j]
		}
		a.phase = phaseSolved
		return
	}
	spc, done := a.spc[:n], a.done[:n]
	for j := range spc {
		spc[j] = math.Inf(1)
		done[j] = false
	}
	a.row, a.minVal, a.nRows, a.nCols = a.cur, 0, 0, 0
}

// search continues the Dijkstra search for a shortest augmenting path in the
// reduced costs from the free row cur to a free column (ties prefer a free
// column) until it reaches one (then it updates the potentials so that
// reduced costs stay non-negative and tight along the matching, flips the
// path, which assigns cur, and returns true) or *scans runs out.
//
// The scan of a row runs over all n columns in order with a done flag, and
// the relaxation is written without branches (min and a conditional move):
// contiguous, bounds-check-free loads made it about 1.5× faster than
// scanning a list of the remaining columns in our measurements.
func (a *Assignment) search(scans *int) (augmented bool) {
	n := a.n
	u, v, spc, path := a.u[:n], a.v[:n], a.spc[:n], a.path[:n]
	row4col, col4row, done := a.row4col[:n], a.col4row[:n], a.done[:n]
	for *scans > 0 {
		*scans--
		i := a.row
		a.scanRows[a.nRows] = i
		a.nRows++
		row := a.cost[i*n : (i+1)*n]
		row = row[:len(v)]
		base := a.minVal - u[i]
		lowest, jmin := math.Inf(1), -1
		for j, c := range row {
			if done[j] {
				continue
			}
			r := base + c - v[j]
			s, p := spc[j], path[j]
			if r < s {
				p = i
			}
			s = min(s, r)
			path[j], spc[j] = p, s
			if s < lowest || (s == lowest && row4col[j] < 0) {
				lowest, jmin = s, j
			}
		}
		if jmin < 0 {
			panic("sim: assignment: no augmenting path (internal error)")
		}
		a.minVal = lowest
		done[jmin] = true
		a.scanCols[a.nCols] = jmin
		a.nCols++
		if row4col[jmin] >= 0 {
			a.row = row4col[jmin]
			continue
		}
		// Dual update: rows and columns on the search tree move by how
		// much shorter than minVal their shortest path was.
		cur, minVal := a.cur, a.minVal
		u[cur] += minVal
		for _, r := range a.scanRows[1:a.nRows] {
			u[r] += minVal - spc[col4row[r]]
		}
		for _, c := range a.scanCols[:a.nCols] {
			v[c] -= minVal - spc[c]
		}
		// Flip the alternating path from the sink back to cur.
		for j := jmin; ; {
			r := path[j]
			row4col[j] = r
			col4row[r], j = j, col4row[r]
			if r == cur {
				break
			}
		}
		return true
	}
	return false
}

// duals returns the potentials of the last solve: u_i + v_j ≤ c_ij for every
// pair, with equality on the assignment (the optimality certificate the
// tests check).
func (a *Assignment) duals() (u, v []float64) { return a.u, a.v }

// SolveAssignment is Assignment.Solve with a fresh workspace; the returned
// rowToCol belongs to the caller.
func SolveAssignment(cost []float64, n int) (rowToCol []int, total float64, err error) {
	var a Assignment
	return a.Solve(cost, n)
}
