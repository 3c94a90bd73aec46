package sim

// sincosAVX2 sets s[k] = sin(u·f[k]) and c[k] = cos(u·f[k]) for n values,
// n a multiple of 4 and |u·f[k]| ≤ sincosMaxArg, with the formulas of
// sincosReduced (mlp_embed_amd64.s).
//
//go:noescape
func sincosAVX2(s, c, f *float64, u float64, n int)
