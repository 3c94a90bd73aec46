// Package targets holds the unnormalized densities π(x) ∝ exp(−E(x)) that the
// samplers learn: the Gaussian-mixture benchmarks (gmm40, gmm80, gmm120),
// friendly 2-D shapes and the particle systems (DW-4, LJ-13, LJ-55), with their
// exact samplers or reference sets. It imports only the standard library and gonum.
package targets
