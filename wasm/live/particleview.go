package live

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"iwsm/sim"
	"iwsm/targets"
)

// A particle system's pane animates a few whole configurations rather than
// thousands of points: every SDE step runs the EGNN once per configuration
// (DW-4 about 0.3 ms, LJ-13 about 3 ms natively), and a frame has about 9 ms.
const (
	// shownConfigs is the number of configurations drawn as small multiples.
	shownConfigs = 16
	// smallSystemConfigs is the number of configurations animated for a
	// system of at most four particles (DW-4); the extra ones feed the
	// histograms. (64 made a step cost about 17 ms natively, more than a
	// frame's budget.)
	smallSystemConfigs = 32
	// largeSystemConfigs is the number animated for larger systems (LJ-13).
	largeSystemConfigs = 16
	// largeSystemSteps caps the SDE steps per run of a larger system so that
	// a run keeps roughly to the planned pace.
	largeSystemSteps = 50
	// histogramBins is the number of bins of the energy and distance
	// histograms.
	histogramBins = 32
)

// particleConfigs returns the number of configurations a pane animates for a
// system of n particles.
func particleConfigs(n int) int {
	if n <= 4 {
		return smallSystemConfigs
	}
	return largeSystemConfigs
}

// particleSteps returns the SDE steps per run for a system of n particles.
func particleSteps(n, steps int) int {
	if n <= 4 {
		return steps
	}
	return min(steps, largeSystemSteps)
}

// Histogram is a histogram of a particle pane's samples at t = 0 against the
// target's reference set, on equal bins over [Lo, Hi].
type Histogram struct {
	Lo, Hi float64
	// Counts holds the samples per bin, values beyond the range counted in
	// the end bins (so the counts sum to the number of values); nil during a
	// flow.
	Counts []int
	// Ref is the reference set's share per bin (summing to at most 1); nil
	// until the reference set is loaded, or when there is none.
	Ref []float64
}

// Molecules is what the drawing code needs from a particle system's pane:
// the configurations in flight and, at the hold (t = 0), their energies and
// interatomic distances.
type Molecules struct {
	Particles  int // particles per configuration
	SpatialDim int // coordinates per particle
	Configs    int // configurations animated
	Shown      int // the first Shown configurations are drawn
	// Extent is the half-width, in the target's units, of the box in which
	// one configuration is drawn (a little beyond the reference set's
	// coordinates; σ_max until the reference is loaded).
	Extent float64
	// Radius is a particle's drawing radius and Bond the longest distance
	// drawn as a bond (0: none), in the target's units.
	Radius, Bond float64
	// X holds the current positions, Configs×Particles×SpatialDim, each
	// configuration with zero centre of mass.
	X       []float32
	Holding bool // the run has finished: the fields below are set
	// Energies holds E(x) of every configuration, Distances every
	// configuration's interatomic distances (pairs in targets.PairDistances
	// order); both nil during a flow.
	Energies  []float64
	Distances []float64
	Energy    Histogram // of Energies, against the reference's energies
	Distance  Histogram // of Distances, against the reference's distances
	// RefErr says why the reference histograms are missing ("" while they
	// load and once they are there).
	RefErr string
	// Corrector is the number of MALA steps applied to the samples at the
	// hold (0: the corrector is off); Corrected counts the holds it relaxed,
	// Acceptance is the last one's acceptance rate at the final step size,
	// CorrectorErr why the last one failed ("" when it did not).
	Corrector    int
	Corrected    int
	Acceptance   float64
	CorrectorErr string
}

// refHistograms are the reference set's histograms of one target, computed
// once per target and shared by every pane.
type refHistograms struct {
	energy, distance Histogram
	extent           float64 // 99.5th percentile of the reference set's |coordinates|
	radius           float64 // drawing radius of a particle
	bond             float64 // longest distance drawn as a bond (0: none)
}

// refCache holds the reference histograms by target name. Loading runs in a
// goroutine (in the browser the loader fetches the file), so a view polls.
var refCache struct {
	mu sync.Mutex
	m  map[string]*refEntry
}

// refEntry is one target's reference histograms, ready once done is closed;
// h stays nil when the target has no reference set or it failed to load.
type refEntry struct {
	done chan struct{}
	h    *refHistograms
	err  error
}

// referenceHistograms returns the entry of a particle system, starting its
// computation on first use.
func referenceHistograms(t targets.Target) *refEntry {
	refCache.mu.Lock()
	defer refCache.mu.Unlock()
	if refCache.m == nil {
		refCache.m = map[string]*refEntry{}
	}
	if e, ok := refCache.m[t.Name()]; ok {
		select {
		case <-e.done:
			if e.h != nil {
				return e
			}
			// It failed (e.g. a fetch): try again.
		default:
			return e // still loading
		}
	}
	e := &refEntry{done: make(chan struct{})}
	refCache.m[t.Name()] = e
	go func() {
		defer close(e.done)
		e.h, e.err = computeRefHistograms(t)
	}()
	return e
}

// computeRefHistograms loads the "test" reference set of t and bins its
// energies and interatomic distances. The energy range runs from the lowest
// reference energy to its 99.5th percentile, widened by a fifth of that span
// above (higher sample energies land in the last bin); the distance range
// from 0 to 1.15 times the largest reference distance.
func computeRefHistograms(t targets.Target) (*refHistograms, error) {
	ps := t.(targets.ParticleSystem)
	rs, ok := t.(targets.Referenced)
	if !ok {
		return nil, targets.ErrNoReference
	}
	ref, err := rs.Reference("test")
	if err != nil {
		return nil, err
	}
	n, sd := ps.Particles()
	h := &refHistograms{}
	abs := make([]float64, len(ref))
	for i, v := range ref {
		abs[i] = math.Abs(v)
	}
	h.extent = quantile(abs, 0.995)
	e := targets.EnergyBatch(t, nil, ref)
	lo, hi := slices.Min(e), quantile(slices.Clone(e), 0.995)
	if math.IsInf(lo, 0) || math.IsNaN(lo) || math.IsInf(hi, 0) || math.IsNaN(hi) {
		return nil, fmt.Errorf("reference energies of %s are not finite", t.Name())
	}
	span := math.Max(hi-lo, 1e-6)
	h.energy = Histogram{Lo: lo - 0.02*span, Hi: hi + 0.2*span}
	h.energy.Ref = shares(e, h.energy.Lo, h.energy.Hi)
	d := targets.PairDistances(nil, ref, n, sd)
	if dmax := slices.Max(d); !(dmax > 0) || math.IsInf(dmax, 0) {
		return nil, fmt.Errorf("reference distances of %s span no finite range", t.Name())
	}
	h.distance = Histogram{Lo: 0, Hi: 1.15 * slices.Max(d)}
	h.distance.Ref = shares(d, h.distance.Lo, h.distance.Hi)
	// Particles are discs of about a third of the shortest common distance;
	// in 3-D, neighbours (LJ-13's first shell, around 1.1) are bonded.
	near := quantile(d, 0.05)
	h.radius = 0.35 * near
	if sd == 3 {
		h.bond = 1.4 * near
	}
	return h, nil
}

// quantile returns the q-quantile of v (sorting v in place).
func quantile(v []float64, q float64) float64 {
	slices.Sort(v)
	return v[int(q*float64(len(v)-1))]
}

// shares returns the share of values per bin on histogramBins equal bins
// over [lo, hi] (sim.Histogram: values beyond the range are left out).
func shares(values []float64, lo, hi float64) []float64 {
	out := make([]float64, histogramBins)
	sim.Histogram(out, values, lo, hi)
	return out
}

// binOf returns the bin of v on histogramBins equal bins over [lo, hi],
// clamped into the end bins (NaN and +Inf go to the last bin).
func binOf(v, lo, hi float64) int {
	if !(v <= hi) {
		return histogramBins - 1
	}
	if v <= lo {
		return 0
	}
	return min(int((v-lo)/(hi-lo)*histogramBins), histogramBins-1)
}

// counts bins values on histogramBins equal bins over [lo, hi], the values
// beyond the range in the end bins.
func counts(values []float64, lo, hi float64) []int {
	out := make([]int, histogramBins)
	for _, v := range values {
		out[binOf(v, lo, hi)]++
	}
	return out
}

// particleView is the particle-system part of a PaneView.
type particleView struct {
	target     targets.Target
	n, sd      int
	configs    int
	sigmaMax   float64
	ref        *refEntry
	energies   []float64 // at the hold, else nil
	distances  []float64
	eHist      Histogram
	dHist      Histogram
	statsReady bool

	// The corrector (State.Corrector): MALA steps on the energy applied to
	// the samples at the hold, with its own random stream; mala.Steps is 0
	// when it is off.
	mala      sim.MALAConfig
	malaRng   *rand.Rand
	malaStats sim.MALAStats
	malaErr   string
	corrected int // holds relaxed by the corrector
}

// newParticleView returns the particle part of a view of t, or nil when t
// is not a particle system.
// With mala.Steps > 0 the samples of every hold are first relaxed by the
// corrector, drawing its noise from rng.
func newParticleView(t targets.Target, sigmaMax float64, mala sim.MALAConfig, rng *rand.Rand) *particleView {
	ps, ok := t.(targets.ParticleSystem)
	if !ok {
		return nil
	}
	n, sd := ps.Particles()
	return &particleView{target: t, n: n, sd: sd, configs: particleConfigs(n), sigmaMax: sigmaMax,
		ref: referenceHistograms(t), mala: mala, malaRng: rng}
}

// reference returns the reference histograms when they are ready.
func (p *particleView) reference() *refHistograms {
	select {
	case <-p.ref.done:
		return p.ref.h
	default:
		return nil
	}
}

// referenceErr returns why the reference histograms failed, or "".
func (p *particleView) referenceErr() string {
	select {
	case <-p.ref.done:
		if p.ref.err != nil {
			return p.ref.err.Error()
		}
	default:
	}
	return ""
}

// clear forgets the figures of the last hold.
func (p *particleView) clear() {
	p.energies, p.distances = nil, nil
	p.eHist, p.dHist = Histogram{}, Histogram{}
	p.statsReady = false
}

// hold computes the energies, distances and histograms of the finished
// samples x, after relaxing them in place when the corrector is on. A
// corrector error (none is expected: its settings are fixed) is shown, and
// the samples are kept as the sampler left them.
func (p *particleView) hold(x []float64) {
	if p.mala.Steps > 0 {
		p.malaStats, p.malaErr = sim.MALAStats{}, ""
		if st, err := sim.MALA(p.target, x, p.mala, p.malaRng); err != nil {
			p.malaErr = err.Error()
		} else {
			p.malaStats = st
			p.corrected++
		}
	}
	p.energies = targets.EnergyBatch(p.target, nil, x)
	p.distances = targets.PairDistances(nil, x, p.n, p.sd)
	p.statsReady = false
	p.histograms()
}

// histograms bins the held samples against the reference (once it is
// loaded; until then on the samples' own range).
func (p *particleView) histograms() {
	if p.energies == nil {
		return
	}
	ref := p.reference()
	if ref != nil {
		p.eHist = Histogram{Lo: ref.energy.Lo, Hi: ref.energy.Hi, Ref: ref.energy.Ref}
		p.dHist = Histogram{Lo: ref.distance.Lo, Hi: ref.distance.Hi, Ref: ref.distance.Ref}
	} else {
		p.eHist.Lo, p.eHist.Hi = finiteRange(p.energies)
		p.dHist.Lo, p.dHist.Hi = finiteRange(p.distances)
		p.dHist.Lo = 0
	}
	p.eHist.Counts = counts(p.energies, p.eHist.Lo, p.eHist.Hi)
	p.dHist.Counts = counts(p.distances, p.dHist.Lo, p.dHist.Hi)
	p.statsReady = ref != nil
}

// finiteRange returns the range of the finite values, widened to a positive
// width ([0, 1] when there are none).
func finiteRange(v []float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			lo, hi = math.Min(lo, x), math.Max(hi, x)
		}
	}
	if lo > hi {
		return 0, 1
	}
	if hi-lo < 1e-9 {
		return lo - 0.5, hi + 0.5
	}
	return lo, hi
}

// IsParticleSystem reports whether the pane shows a particle system (then
// MoleculesInto applies and the 2-D layers do not).
func (v *PaneView) IsParticleSystem() bool { return v.particles != nil }

// MoleculesInto copies a particle system's configurations and, at the hold,
// their figures into m, reusing its buffers. It leaves m empty for a 2-D
// target.
func (v *PaneView) MoleculesInto(m *Molecules) {
	p := v.particles
	if p == nil {
		*m = Molecules{}
		return
	}
	if p.energies != nil && !p.statsReady {
		p.histograms() // the reference arrived during the hold
	}
	m.Particles, m.SpatialDim, m.Configs = p.n, p.sd, p.configs
	m.Shown = min(shownConfigs, p.configs)
	m.Extent, m.Radius, m.Bond = p.sigmaMax, 0.1*p.sigmaMax, 0
	if ref := p.reference(); ref != nil {
		m.Extent, m.Radius, m.Bond = 1.15*ref.extent, ref.radius, ref.bond
	}
	x := v.sampler.Positions()
	m.X = slices.Grow(m.X[:0], len(x))[:len(x)]
	for i, c := range x {
		m.X[i] = float32(c)
	}
	m.Holding = v.sampler.Done() && p.energies != nil
	m.Energies = append(m.Energies[:0], p.energies...)
	m.Distances = append(m.Distances[:0], p.distances...)
	if !m.Holding {
		m.Energies, m.Distances = nil, nil
	}
	m.RefErr = p.referenceErr()
	m.Corrector, m.Corrected, m.Acceptance, m.CorrectorErr = p.mala.Steps, p.corrected, p.malaStats.Acceptance, p.malaErr
	m.Energy = copyHistogram(m.Energy, p.eHist)
	m.Distance = copyHistogram(m.Distance, p.dHist)
	if ref := p.reference(); ref != nil && m.Energy.Ref == nil {
		// During a flow: the reference outline with the bins of the last hold.
		m.Energy.Lo, m.Energy.Hi, m.Energy.Ref = ref.energy.Lo, ref.energy.Hi, ref.energy.Ref
		m.Distance.Lo, m.Distance.Hi, m.Distance.Ref = ref.distance.Lo, ref.distance.Hi, ref.distance.Ref
	}
}

// copyHistogram returns src with its counts copied into dst's buffer (the
// reference shares are shared and read-only).
func copyHistogram(dst, src Histogram) Histogram {
	c := append(dst.Counts[:0], src.Counts...)
	if src.Counts == nil {
		c = nil
	}
	src.Counts = c
	return src
}
