// Package live drives the companion app's simulation without drawing it: the
// settings State that round-trips through the page URL, and the Session that
// advances the sampler within a time budget per frame and hands the drawing
// code immutable snapshots. It imports iwsm/sim and iwsm/targets and never
// Ebiten or syscall/js, so it is tested natively and under Node like sim.
package live
