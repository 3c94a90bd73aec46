package sim

// ScoreFunc approximates the noised score ∇ log p_t at a batch of points that
// share one time t: the network, the exact score of a mixture, or the Monte
// Carlo estimate.
type ScoreFunc interface {
	// Score writes s(x_i, t) into row i of dst for every row of x (n×d,
	// row-major). dst and x have the same length and do not overlap.
	Score(dst, x []float64, t float64)
}

// ScoreFuncOf adapts a plain function to ScoreFunc.
type ScoreFuncOf func(dst, x []float64, t float64)

// Score calls f(dst, x, t).
func (f ScoreFuncOf) Score(dst, x []float64, t float64) { f(dst, x, t) }
