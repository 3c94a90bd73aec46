package sim

// sigmoidRowsAVX2 sets z[i·h+q] += bias[q] (bias may be nil) and
// s[i·h+q] = σ(z[i·h+q]) for rows×h values, h a multiple of 4, with the
// formulas of sigmoidsGo (activations_amd64.s).
//
//go:noescape
func sigmoidRowsAVX2(s, z, bias *float64, rows, h int)

// geluAVX2 sets z[i] = v[i]·Φ(v[i]) (+ res[i] when res is not nil) and
// dg[i] = Φ(v[i]) + v[i]·φ(v[i]) for n values, n a multiple of 4, with the
// formulas of geluGo (activations_amd64.s).
//
//go:noescape
func geluAVX2(z, dg, v, res *float64, n int)
