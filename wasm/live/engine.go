package live

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"iwsm/sim"
	"iwsm/targets"
)

// evalSamples is the number of samples of every quality check of a 2-D
// target, as in the command line's evaluations.
const evalSamples = 1000

// particleEvalSamples is the number of samples of a quality check of a
// particle system: the EGNN costs a hundred (DW-4) to a few thousand
// (LJ-13) times the 2-D MLP per sample (0.3 ms and 3 ms per sample and step
// natively), and its checks take the sampler's full SDE steps
// (evalSDESteps), so a thousand samples would stall the engine for minutes.
// Small sets score a higher x-W2 than the command line's 1,000 samples even
// for exact samples. A variable so that the tests can make it smaller.
var particleEvalSamples = struct{ small, large int }{small: 128, large: 64} // up to four particles, more

// evalSamplesFor returns the sample count of a target's quality checks.
func evalSamplesFor(t targets.Target) int {
	ps, ok := t.(targets.ParticleSystem)
	if !ok {
		return evalSamples
	}
	n, _ := ps.Particles()
	if n <= 4 {
		return particleEvalSamples.small
	}
	return particleEvalSamples.large
}

// evalSDESteps caps the reverse-SDE steps of a quality check. Thirty
// Euler–Maruyama steps cost a third of the default hundred and, on the
// shipped networks, give nearly the same figures ("iwsm sample -integrator em
// -sde-steps 30|100 -seed 1" then "iwsm eval"): gmm40-iwsm x-W2 4.88 vs 4.51
// (seed 2: 5.49 vs 5.65), gmm120-idem 15.2 vs 14.4 with 112 vs 115 modes.
// In the browser's worker this is the difference between a first check in
// about a second and one in four. A particle system's checks keep the
// sampler's steps (TrainConfig: at most particleRefreshSteps): its
// configurations need them, e.g. 256 samples of the shipped DW-4 iDEM
// network scored E-W2 717 with 30 steps and 0.49 with 100
// ("iwsm sample -model assets/pretrained/dw4-idem.ckpt -n 256 -seed 5
// -sde-steps 30|100" then "iwsm eval -target dw4").
const evalSDESteps = 30

// bufferEvery is how often a report carries a sample of the replay buffer.
const bufferEvery = time.Second

// A network of more than bigNetParams parameters (the EGNN: DW-4 has 0.3 M,
// LJ-13 0.5 M; the 2-D MLP 15 k) is reported at most every bigNetEvery: each
// copy is megabytes to encode and, in the browser, to decode on the page's
// thread.
const (
	bigNetParams = 100_000
	bigNetEvery  = time.Second
)

// Live limits of a particle system's buffer refresh (see TrainConfig).
const (
	particleRefreshSteps = 100
	particleRefreshSize  = 256
)

// refreshSteps caps the reverse-SDE steps of a 2-D target's buffer refresh
// in the app (sim.DefaultConfig: 100). Under Node a refresh of 500 samples
// with 100 steps cost nearly as much as the fifty training steps between two
// refreshes (0.7–0.9 s against about 1 s); the buffer is only the proposal,
// whose blur the importance weights (or, for iDEM, the Monte Carlo targets)
// absorb. BenchmarkEngineToCoverage under Node, seeds 1 and 2: 50 steps took
// the engine from 18.6 / 28.3 to 36.4 / 36.5 training steps a second and
// 40/40 modes from 86 / 51 s to 37 / 42 s. A variable so that the benchmark
// can compare.
var refreshSteps = 50

// TrainConfig returns the trainer settings of one pane: sim.DefaultConfig
// with the state's knobs, and the variant's weights and defensive share.
//
// The knobs K, learning rate, batch, buffer and defensive share come from
// the state, whose defaults are the target's own (DefaultStateFor); the
// batch keeps the target's G time values, each with Batch/G points. A
// particle system keeps its own network (the EGNN), schedule, λ, score clip
// and η. Its refreshes are cut to at most
// particleRefreshSize samples drawn with particleRefreshSteps SDE steps
// (iDEM: 1000 samples, 1000 steps): with the EGNN a full refresh would take
// minutes on one core (the 2-D targets' DefaultConfig makes a similar cut).
// A 2-D target's refreshes take at most refreshSteps SDE steps.
func (s State) TrainConfig(t targets.Target, variant string) sim.Config {
	cfg := sim.DefaultConfig(t)
	if _, ok := t.(targets.ParticleSystem); ok {
		cfg.Sampler.Steps = min(cfg.Sampler.Steps, particleRefreshSteps)
		cfg.RefreshSize = min(cfg.RefreshSize, particleRefreshSize)
	} else {
		cfg.Sampler.Steps = min(cfg.Sampler.Steps, refreshSteps)
	}
	cfg.Weights = strings.HasPrefix(variant, "iwsm")
	cfg.K = s.K
	cfg.Adam.LR = s.LR
	cfg.GroupSize = max(1, s.Batch/cfg.Groups)
	cfg.BufferSize = s.Buffer
	cfg.RefreshSize = min(cfg.RefreshSize, s.Buffer/2)
	cfg.DefensiveShare = s.Defensive
	if strings.HasSuffix(variant, "-nodef") {
		cfg.DefensiveShare = 0
	}
	cfg.Workers = 1 // the engine runs on one thread: the browser's worker, or one goroutine
	return cfg
}

// PretrainedName is the file name of the shipped checkpoint for a target and
// variant, e.g. "pretrained/gmm40-iwsm.ckpt".
func PretrainedName(target, variant string) string {
	return fmt.Sprintf("pretrained/%s-%s.ckpt", target, variant)
}

// Engine trains the panes of the app: one trainer per pane that learns (the
// oracle needs none), stepped in turn within a time budget, with regular
// quality checks. It runs wherever the app puts it (a goroutine on the
// desktop, a Web Worker in the browser) and talks through Commands and
// Reports only.
type Engine struct {
	load    func(name string) ([]byte, error) // reads a shipped checkpoint
	gen     int
	running bool
	steps   int // single steps requested while paused
	panes   []*trainPane
	next    int // pane that steps next
}

// nan is a missing figure.
var nan = math.NaN()

type trainPane struct {
	variant string
	target  targets.Target
	tr      *sim.Trainer // nil for the oracle
	ev      *sim.Evaluator
	evalN   int // samples per quality check
	evalRng *rand.Rand

	trainSeconds float64
	lossSum      float64
	essSum       float64
	statSteps    int
	last         sim.StepStats
	eval         *Evaluation
	evalDue      float64 // training seconds at which the next check runs
	evalCost     float64 // seconds the last check took
	lastBuffer   time.Time
	lastParams   time.Time // when θ was last reported
	sentParams   int       // step whose θ was last reported
	needEval     bool      // check the quality before training (a pretrained start)
	pending      []float64 // samples of a started quality check awaiting x-W2 and MMD
	note         string
	err          error
}

// NewEngine returns an idle engine; load reads shipped checkpoints by name
// (nil: no pretrained networks).
func NewEngine(load func(name string) ([]byte, error)) *Engine {
	return &Engine{load: load}
}

// Handle applies a command. A reset that fails leaves no panes and the error
// in the returned value (and in every later report).
func (e *Engine) Handle(c Command) error {
	switch c.Kind {
	case "reset":
		e.close()
		e.gen++
		e.running = c.Running
		st, warnings := Decode(c.State)
		_ = warnings // the app reports corrections itself
		return e.reset(st)
	case "run":
		e.running = c.Running
	case "step":
		e.steps += max(0, c.Steps)
	default:
		return fmt.Errorf("live: unknown command %q", c.Kind)
	}
	return nil
}

func (e *Engine) reset(st State) error {
	t, err := st.BuildTarget()
	if err != nil {
		return err
	}
	for _, v := range st.Variants() {
		p := &trainPane{variant: v, target: t, evalN: evalSamplesFor(t), evalRng: rand.New(rand.NewPCG(st.Seed, 0xe7a1))}
		e.panes = append(e.panes, p)
		if v == "oracle" {
			continue
		}
		if p.ev, err = sim.NewEvaluator(t, p.evalN, rand.New(rand.NewPCG(st.Seed, 0x7e57))); err != nil {
			p.err = err
			continue
		}
		cfg := st.TrainConfig(t, v)
		if err := cfg.Validate(t); err != nil {
			p.err = err
			continue
		}
		var net sim.ScoreNet
		if st.Pretrained && len(st.Modes) == 0 && e.load != nil {
			net, p.note = e.pretrained(st.Target, v)
		}
		if net != nil {
			p.tr, p.err = sim.NewTrainerFrom(t, cfg, st.Seed, net)
			p.needEval = true
		} else {
			p.tr, p.err = sim.NewTrainer(t, cfg, st.Seed)
		}
		p.sentParams = -1
		if ps, ok := t.(targets.ParticleSystem); ok && p.err == nil {
			if n, _ := ps.Particles(); n > 4 {
				if p.note == "" {
					p.note = "the EGNN on these particles takes seconds per step"
				} else {
					p.note += " (the EGNN on these particles takes seconds per step)"
				}
			}
		}
	}
	return nil
}

// pretrained loads the shipped network of a target and variant, or says why
// there is none.
func (e *Engine) pretrained(target, variant string) (sim.ScoreNet, string) {
	b, err := e.load(PretrainedName(target, variant))
	if err != nil {
		return nil, fmt.Sprintf("no pretrained network for %s %s: training from scratch", target, variant)
	}
	ck, err := sim.ReadCheckpoint(strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Sprintf("pretrained network unreadable (%v): training from scratch", err)
	}
	return ck.Net, fmt.Sprintf("started from the pretrained network (%s steps)", ck.Meta["step"])
}

// Active reports whether the engine has work to do without a new command.
func (e *Engine) Active() bool {
	for _, p := range e.panes {
		if p.tr != nil && p.err == nil && (p.needEval || p.pending != nil || e.steps > 0 || e.running) {
			return true
		}
	}
	return false
}

// Work trains for about budget: one step of each learning pane in turn
// (single steps first when some were requested), with a quality check
// whenever one is due. It also runs a pretrained pane's first check
// immediately.
func (e *Engine) Work(budget time.Duration) {
	deadline := time.Now().Add(budget)
	for _, p := range e.panes {
		switch {
		case p.tr == nil || p.err != nil:
		case p.pending != nil:
			p.finish()
			return // report the finished check before training on
		case p.needEval:
			p.needEval = false
			p.evaluate()
			return // report the coverage at once
		}
	}
	for (e.running || e.steps > 0) && e.Active() && time.Now().Before(deadline) {
		if !e.running { // single steps: one for every pane
			for _, p := range e.panes {
				p.step()
			}
			e.steps--
			continue
		}
		e.panes[e.next%len(e.panes)].step()
		e.next++
	}
}

// step takes one training step of a learning pane, with a quality check when
// one is due.
func (p *trainPane) step() {
	if p.tr == nil || p.err != nil {
		return
	}
	st, err := p.tr.Step()
	if err != nil {
		p.err = err
		return
	}
	p.last = st
	p.trainSeconds += st.Seconds
	p.lossSum += st.Loss
	p.essSum += st.ESS
	p.statSteps++
	if p.trainSeconds >= p.evalDue && p.pending == nil {
		p.evaluate()
	}
}

// evaluate starts a quality check: it draws samples from the sampling
// network and counts the modes they cover, which goes out in the next report
// at once; the exact x-W2 and MMD follow in the next slice of work (finish).
// The next check comes after at least five times the cost of this one, so
// checks take at most a sixth of the time.
func (p *trainPane) evaluate() {
	start := time.Now()
	sc := p.tr.Config().Sampler
	if _, particles := p.target.(targets.ParticleSystem); !particles {
		sc.Steps = min(sc.Steps, evalSDESteps)
	}
	x, err := p.tr.SampleWith(p.evalN, sc, p.evalRng)
	if err != nil {
		p.note = "quality check failed: " + err.Error()
		p.evalDue = p.trainSeconds + 5
		return
	}
	ev := &Evaluation{Step: p.tr.Steps(), Seconds: p.trainSeconds, N: p.evalN, W2: nan, MMD: nan, EnergyW2: nan, DistTV: nan}
	if p.eval != nil {
		ev.W2, ev.MMD = p.eval.W2, p.eval.MMD // until the new ones are known
		ev.EnergyW2, ev.DistTV = p.eval.EnergyW2, p.eval.DistTV
	}
	if mo, ok := p.target.(targets.Moder); ok {
		if cov, err := sim.Coverage(x, mo); err == nil {
			ev.Covered, ev.Modes, ev.Counts = cov.Covered, cov.Modes, cov.Counts
		}
	}
	p.eval, p.pending = ev, x
	p.evalCost = time.Since(start).Seconds()
}

// finish completes a started quality check with the exact x-W2 and MMD (and,
// for a particle system, E-W2 and the distance TV).
func (p *trainPane) finish() {
	start := time.Now()
	x := p.pending
	p.pending = nil
	m, err := p.ev.Evaluate(x)
	if err != nil {
		p.note = "quality check failed: " + err.Error()
	} else {
		ev := *p.eval
		ev.W2, ev.MMD = m.W2, m.MMD
		if m.HasModes {
			ev.Covered, ev.Modes = m.Covered, m.Modes
		}
		if m.HasEnergy {
			ev.EnergyW2, ev.DistTV = m.EnergyW2, m.DistTV
		}
		p.eval = &ev
	}
	p.evalCost += time.Since(start).Seconds()
	p.evalDue = p.trainSeconds + max(2, 5*p.evalCost)
}

// Reports returns one report per pane. It copies θ when it changed since the
// last report and, about once a second, a sample of the replay buffer.
func (e *Engine) Reports() []Report {
	out := make([]Report, len(e.panes))
	now := time.Now()
	for i, p := range e.panes {
		r := Report{Gen: e.gen, Pane: i, Variant: p.variant, Note: p.note, Eval: p.eval}
		if p.err != nil {
			r.Err = p.err.Error()
		}
		if p.tr != nil {
			r.Step, r.Seconds, r.EnergyEvals = p.tr.Steps(), p.trainSeconds, p.tr.EnergyEvals()
			if p.statSteps > 0 {
				r.Loss, r.ESS = p.lossSum/float64(p.statSteps), p.essSum/float64(p.statSteps)
				p.lossSum, p.essSum, p.statSteps = 0, 0, 0
			} else {
				r.Loss, r.ESS = p.last.Loss, p.last.ESS
			}
			params := p.tr.SamplingNet().Params()
			if p.sentParams != p.tr.Steps() && (len(params) <= bigNetParams || now.Sub(p.lastParams) >= bigNetEvery) {
				r.Params = append([]float64(nil), params...)
				p.sentParams, p.lastParams = p.tr.Steps(), now
				x, _ := p.tr.BatchPoints()
				r.Batch = toFloat32(x)
				w := p.tr.Weights()
				r.Weights = make([]float32, len(w))
				n := float32(p.tr.Config().GroupSize)
				for j, v := range w {
					r.Weights[j] = float32(v) * n
				}
			}
			if now.Sub(p.lastBuffer) >= bufferEvery {
				p.lastBuffer = now
				r.Buffer = sampleRows(p.tr.Buffer().Rows(), p.target.Dim(), 1500)
			}
		}
		out[i] = r
	}
	return out
}

// close stops the trainers' goroutines.
func (e *Engine) close() {
	for _, p := range e.panes {
		if p.tr != nil {
			p.tr.Close()
		}
	}
	e.panes, e.next, e.steps = nil, 0, 0
}

// toFloat32 converts for the drawing side.
func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// sampleRows returns up to m evenly spaced rows of x (rows of length d).
func sampleRows(x []float64, d, m int) []float32 {
	n := len(x) / d
	if n <= m {
		return toFloat32(x)
	}
	out := make([]float32, 0, m*d)
	for k := range m {
		i := k * n / m
		for _, v := range x[i*d : (i+1)*d] {
			out = append(out, float32(v))
		}
	}
	return out
}
