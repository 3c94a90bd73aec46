// Package targets holds the unnormalized densities π(x) ∝ exp(−E(x)) that the
// samplers learn: the Gaussian-mixture benchmarks (gmm40, gmm80, gmm120),
// friendly 2-D shapes (rings, manywell, uneven) and the particle systems
// (dw4, lj13, lj55), with their exact samplers or reference sets.
//
// Every target implements Target (name, dimension, log density, score) and
// the batched, allocation-free BatchTarget; optional capabilities are found
// by type assertion: Moder, ExactSampler, Bounded, ParticleSystem,
// Referenced and NoiseHinter. Lookup builds a target by its registry name.
// A non-finite energy is a log density of −Inf with a zero score, never NaN.
//
// The reference sets (NumPy .npy files under data/) are embedded in native
// builds only; js/wasm builds read them through a replaceable loader
// (SetReferenceLoader) so that the browser fetches them on demand. The
// package imports only the standard library and gonum.
package targets
