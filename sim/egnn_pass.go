package sim

import (
	"math"
	"runtime"
)

// EGNNWorkspaceOptions tunes an EGNNWorkspace; the zero value gives the
// defaults.
type EGNNWorkspaceOptions struct {
	// MaxBytes bounds the activations kept from Forward for Backward, about
	// 8·(2LH + 2L)·N(N−1) bytes per configuration for the edges plus
	// 8·(5L−2)·H·N for the nodes. When keeping those of maxBatch
	// configurations would take more, Backward instead recomputes the forward
	// pass chunk by chunk (about a third more arithmetic per
	// Forward+Backward) and keeps only one chunk per worker. 0 means 1 GiB;
	// a negative value always recomputes, which also suits a workspace used
	// only for Forward (sampling): it then touches the least memory.
	MaxBytes int64
	// ChunkEdges is about the number of edges (ordered particle pairs,
	// N(N−1) per configuration) processed together, which sizes the scratch
	// matrices; 0 means 2048. A chunk holds at least one configuration.
	ChunkEdges int
	// Workers is the number of goroutines sharing a batch's chunks (the
	// caller's among them); 0 means runtime.GOMAXPROCS(0), at most 8. The
	// gradient is summed per worker, so its last bits depend on Workers.
	Workers int
}

// EGNNWorkspace holds the activations and scratch of an EGNN for batches of
// up to maxBatch configurations. Forward and Backward allocate nothing.
// Configurations are processed in chunks of about ChunkEdges edges, each
// chunk's products running over all of its edges at once (edges×H matrices),
// the chunks shared among Workers goroutines. The helper goroutines live as
// long as the workspace is reachable.
type EGNNWorkspace struct {
	c *egnnCore
}

// egnnCore is the state of an EGNNWorkspace shared with its helper
// goroutines, which must not reference the EGNNWorkspace itself so that a
// cleanup can stop them once it is unreachable.
type egnnCore struct {
	net      *EGNN
	maxBatch int
	cb       int  // configurations per chunk
	store    bool // keep every chunk's activations (else recompute in Backward)
	n        int  // configurations of the last Forward; −1 before the first
	xin, tin []float64
	slots    []egnnSlot // one per chunk (store) or per worker (recompute)
	workers  []*egnnWorker
	done     chan struct{}
}

// egnnWorker is one goroutine's share of a workspace: its scratch, its
// gradient accumulator (worker 0 adds straight into the caller's), and the
// channel it takes jobs from (nil for worker 0, the caller).
type egnnWorker struct {
	id   int
	sc   egnnScratch
	grad []float64
	jobs chan egnnJob
}

// egnnJob is one Forward or Backward call handed to a helper goroutine.
type egnnJob struct {
	backward        bool
	n               int
	out, x, t, dout []float64
	grad            []float64
}

// egnnSlot holds the activations of one chunk of cb configurations through
// all layers; cn = cb·N nodes and ce = cb·N(N−1) edges, edge (b, i, k) of
// configuration b from particle i to its k-th other particle j (j = k for
// k < i, k + 1 otherwise) at index (b·N + i)(N−1) + k.
type egnnSlot struct {
	cn, ce    int
	tf        []float64 // cb×F time features
	r0        []float64 // ce squared input distances r⁰
	xs        []float64 // (L+1)×cn×D positions x^l
	hs        []float64 // L×cn×H node features h^l
	pq        []float64 // L×cn×2H: W₁ᵃh_i + b₁ and W₁ᵇh_i
	z2, z3    []float64 // L×ce×H pre-activations of m_ij and of φ_x's hidden layer
	gate, phi []float64 // L×ce gates e_ij and φ_ij
	msg, z4   []float64 // (L−1)×cn×H aggregates m_i and pre-activations of φ_h
}

// egnnScratch holds the per-chunk temporaries of one worker.
type egnnScratch struct {
	s1, s2, s3, s4 []float64 // ce×H
	n1, n2, n3     []float64 // cn×H
	dh             []float64 // cn×H
	dpq            []float64 // cn×2H
	dx, dxg        []float64 // cn×D
	dphi, dr       []float64 // ce
	du             []float64 // ce×D
	out            []float64 // cn×D output of a recomputed pass
	wr, w0         []float64 // H: columns 2H and 2H+1 of W₁
	gwr, gw0       []float64 // H: their gradients
	gemm           gemmScratch
}

// NewEGNNWorkspace returns a workspace for up to maxBatch configurations.
func (net *EGNN) NewEGNNWorkspace(maxBatch int, opt EGNNWorkspaceOptions) *EGNNWorkspace {
	if maxBatch < 1 {
		panic("sim: EGNN workspace needs maxBatch ≥ 1")
	}
	cfg := net.cfg
	N, D, H := cfg.Particles, cfg.SpatialDim, cfg.Hidden
	E1 := N * (N - 1)
	chunkEdges := opt.ChunkEdges
	if chunkEdges <= 0 {
		chunkEdges = 2048
	}
	W := opt.Workers
	if W <= 0 {
		W = min(runtime.GOMAXPROCS(0), 8)
	}
	W = min(W, maxBatch)
	// A multiple of W chunks of about chunkEdges edges each.
	perWorker := max(1, (maxBatch*E1+W*chunkEdges-1)/(W*chunkEdges))
	cb := max(1, (maxBatch+W*perWorker-1)/(W*perWorker))
	nChunks := (maxBatch + cb - 1) / cb
	W = min(W, nChunks)

	maxBytes := opt.MaxBytes
	if maxBytes == 0 {
		maxBytes = 1 << 30
	}
	slotLen := egnnSlotLen(cfg, net.nf, cb)
	store := maxBytes > 0 && int64(nChunks)*int64(slotLen)*8 <= maxBytes
	c := &egnnCore{net: net, maxBatch: maxBatch, cb: cb, store: store, n: -1}
	nSlots := W
	if store {
		nSlots = nChunks
	} else {
		c.xin = make([]float64, maxBatch*N*D)
		c.tin = make([]float64, maxBatch)
	}
	c.slots = make([]egnnSlot, nSlots)
	for s := range c.slots {
		c.slots[s] = newEGNNSlot(cfg, net.nf, cb)
	}
	cn, ce := cb*N, cb*E1
	c.workers = make([]*egnnWorker, W)
	for w := range c.workers {
		wk := &egnnWorker{id: w, sc: egnnScratch{
			s1: make([]float64, ce*H), s2: make([]float64, ce*H),
			s3: make([]float64, ce*H), s4: make([]float64, ce*H),
			n1: make([]float64, cn*H), n2: make([]float64, cn*H), n3: make([]float64, cn*H),
			dh: make([]float64, cn*H), dpq: make([]float64, cn*2*H),
			dx: make([]float64, cn*D), dxg: make([]float64, cn*D),
			dphi: make([]float64, ce), dr: make([]float64, ce), du: make([]float64, ce*D),
			out: make([]float64, cn*D),
			wr:  make([]float64, H), w0: make([]float64, H),
			gwr: make([]float64, H), gw0: make([]float64, H),
		}}
		wk.sc.gemm.reserve(H, H) // every product has n = H, and m = H when op(A) = Aᵀ
		if w > 0 {
			wk.grad = make([]float64, len(net.theta))
			wk.jobs = make(chan egnnJob)
		}
		c.workers[w] = wk
	}
	ws := &EGNNWorkspace{c: c}
	if W > 1 {
		c.done = make(chan struct{}, W)
		jobs := make([]chan egnnJob, 0, W-1)
		for _, wk := range c.workers[1:] {
			jobs = append(jobs, wk.jobs)
			go c.serve(wk)
		}
		runtime.AddCleanup(ws, func(jobs []chan egnnJob) {
			for _, ch := range jobs {
				close(ch)
			}
		}, jobs)
	}
	return ws
}

// serve runs the jobs of a helper goroutine until its channel is closed.
func (c *egnnCore) serve(wk *egnnWorker) {
	for job := range wk.jobs {
		c.runShare(wk, job)
		c.done <- struct{}{}
	}
}

// egnnSlotLen returns the number of float64 values of a slot of cb
// configurations.
func egnnSlotLen(cfg EGNNConfig, nf, cb int) int {
	N, D, H, L := cfg.Particles, cfg.SpatialDim, cfg.Hidden, cfg.Layers
	cn, ce := cb*N, cb*N*(N-1)
	return cb*nf + ce + (L+1)*cn*D + L*cn*H + L*cn*2*H + 2*L*ce*H + 2*L*ce + 2*(L-1)*cn*H
}

func newEGNNSlot(cfg EGNNConfig, nf, cb int) egnnSlot {
	N, D, H, L := cfg.Particles, cfg.SpatialDim, cfg.Hidden, cfg.Layers
	cn, ce := cb*N, cb*N*(N-1)
	buf := make([]float64, egnnSlotLen(cfg, nf, cb))
	take := func(n int) []float64 { s := buf[:n:n]; buf = buf[n:]; return s }
	return egnnSlot{
		cn: cn, ce: ce,
		tf: take(cb * nf), r0: take(ce),
		xs: take((L + 1) * cn * D), hs: take(L * cn * H), pq: take(L * cn * 2 * H),
		z2: take(L * ce * H), z3: take(L * ce * H),
		gate: take(L * ce), phi: take(L * ce),
		msg: take((L - 1) * cn * H), z4: take((L - 1) * cn * H),
	}
}

// Recomputes reports whether Backward recomputes the forward pass (the
// activations of maxBatch configurations exceed MaxBytes).
func (w *EGNNWorkspace) Recomputes() bool { return !w.c.store }

// Workers returns the number of goroutines that share a batch.
func (w *EGNNWorkspace) Workers() int { return len(w.c.workers) }

// Forward writes out (n×d) = s_θ(x, t) for the n = len(t) configurations of x
// (n×d, row-major, d = N·D), configuration b at time t[b], and keeps what
// Backward needs. See EGNN for the equations.
func (w *EGNNWorkspace) Forward(out, x, t []float64) {
	c := w.c
	n, d := len(t), c.net.Dim()
	if n > c.maxBatch {
		panic("sim: EGNN batch larger than the workspace")
	}
	if len(x) != n*d || len(out) != n*d {
		panic("sim: EGNN batch size mismatch")
	}
	c.n = n
	if !c.store {
		copy(c.xin, x)
		copy(c.tin, t)
	}
	c.run(egnnJob{n: n, out: out, x: x, t: t})
}

// Backward adds ∂/∂θ Σ_bk dout_bk out_bk for the last Forward into grad
// (len(Params())), dout being n×d. θ must not change in between.
func (w *EGNNWorkspace) Backward(grad, dout []float64) {
	c := w.c
	if c.n < 0 {
		panic("sim: EGNN Backward before Forward")
	}
	if len(grad) != len(c.net.theta) || len(dout) != c.n*c.net.Dim() {
		panic("sim: EGNN gradient size mismatch")
	}
	job := egnnJob{backward: true, n: c.n, dout: dout, grad: grad}
	if !c.store {
		job.x, job.t = c.xin, c.tin
	}
	c.run(job)
	for _, wk := range c.workers[1:] {
		for i, v := range wk.grad {
			grad[i] += v
		}
		clear(wk.grad)
	}
}

// run hands the job to every helper, does the caller's share and waits.
func (c *egnnCore) run(job egnnJob) {
	busy := 0
	for _, wk := range c.workers[1:] {
		if c.shareOf(wk.id, job.n) > 0 {
			wk.jobs <- job
			busy++
		}
	}
	c.runShare(c.workers[0], job)
	for range busy {
		<-c.done
	}
}

// shareOf returns the number of chunks worker id handles in a batch of n.
func (c *egnnCore) shareOf(id, n int) int {
	lo, hi := c.chunkRange(id, n)
	return hi - lo
}

// chunkRange returns the chunks [lo, hi) of a batch of n that worker id
// handles: contiguous, as equal as can be.
func (c *egnnCore) chunkRange(id, n int) (lo, hi int) {
	nc, W := (n+c.cb-1)/c.cb, len(c.workers)
	return id * nc / W, (id + 1) * nc / W
}

// runShare does worker wk's chunks of job.
func (c *egnnCore) runShare(wk *egnnWorker, job egnnJob) {
	d := c.net.Dim()
	lo, hi := c.chunkRange(wk.id, job.n)
	grad := job.grad
	if wk.id > 0 {
		grad = wk.grad
	}
	for ch := lo; ch < hi; ch++ {
		c0 := ch * c.cb
		nb := min(c.cb, job.n-c0)
		sl := &c.slots[wk.id]
		if c.store {
			sl = &c.slots[ch]
		}
		if !job.backward {
			c.forwardChunk(&wk.sc, sl, nb, job.out[c0*d:(c0+nb)*d], job.x[c0*d:(c0+nb)*d], job.t[c0:c0+nb])
			continue
		}
		if !c.store {
			c.forwardChunk(&wk.sc, sl, nb, wk.sc.out[:nb*d], job.x[c0*d:(c0+nb)*d], job.t[c0:c0+nb])
		}
		c.backwardChunk(&wk.sc, sl, nb, grad, job.dout[c0*d:(c0+nb)*d])
	}
}

// forwardChunk runs nb configurations through the network into slot sl.
func (c *egnnCore) forwardChunk(sc *egnnScratch, sl *egnnSlot, nb int, out, x, t []float64) {
	net := c.net
	cfg, th := net.cfg, net.theta
	N, D, H, L, F := cfg.Particles, cfg.SpatialDim, cfg.Hidden, cfg.Layers, net.nf
	Np, in1, H2 := N-1, 2*cfg.Hidden+2, 2*cfg.Hidden
	cn, ce := nb*N, nb*N*Np
	R, C, A := cfg.CoordRange, cfg.CoordScale, cfg.MessageScale

	// Time features and h⁰ = W_t f(t) + b_t, the same for every particle.
	tf := sl.tf[:nb*F]
	h0 := sl.hs[:cn*H]
	wt, bt := th[net.wt:net.wt+H*F], th[net.bt:net.bt+H]
	for b := range nb {
		f := tf[b*F : (b+1)*F]
		f[0] = t[b]
		for k := 1; k <= cfg.TimeFreqs; k++ {
			f[2*k-1], f[2*k] = math.Sincos(math.Pi * float64(k) * t[b])
		}
		row := h0[b*N*H : b*N*H+H]
		for q := range row {
			v := bt[q]
			for p, fv := range f {
				v += wt[q*F+p] * fv
			}
			row[q] = v
		}
		for i := 1; i < N; i++ {
			copy(h0[(b*N+i)*H:(b*N+i+1)*H], row)
		}
	}

	x0 := sl.xs[:cn*D]
	copy(x0, x)
	r0 := sl.r0[:ce]
	for ni, e := 0, 0; ni < cn; ni++ {
		base, i := ni-ni%N, ni%N
		xi := x0[ni*D : ni*D+D]
		for k := range Np {
			j := k
			if k >= i {
				j++
			}
			xj := x0[(base+j)*D : (base+j)*D+D]
			r := 0.0
			for a, v := range xi {
				r += (v - xj[a]) * (v - xj[a])
			}
			r0[e] = r
			e++
		}
	}

	for l := range L {
		ly := net.layers[l]
		h := sl.hs[l*sl.cn*H : l*sl.cn*H+cn*H]
		xl := sl.xs[l*sl.cn*D : l*sl.cn*D+cn*D]
		xn := sl.xs[(l+1)*sl.cn*D : (l+1)*sl.cn*D+cn*D]
		pq := sl.pq[l*sl.cn*H2 : l*sl.cn*H2+cn*H2]
		z2 := sl.z2[l*sl.ce*H : l*sl.ce*H+ce*H]
		z3 := sl.z3[l*sl.ce*H : l*sl.ce*H+ce*H]
		gate := sl.gate[l*sl.ce : l*sl.ce+ce]
		phi := sl.phi[l*sl.ce : l*sl.ce+ce]

		// P_i = W₁ᵃ h_i + b₁ and Q_i = W₁ᵇ h_i, per node.
		sc.gemm.gemm(false, false, true, cn, H, H, h, H, th[ly.w1:], in1, pq, H2)
		sc.gemm.gemm(false, false, true, cn, H, H, h, H, th[ly.w1+H:], in1, pq[H:], H2)
		b1 := th[ly.b1 : ly.b1+H]
		for ni := range cn {
			p := pq[ni*H2 : ni*H2+H]
			for q, v := range b1 {
				p[q] += v
			}
		}
		wr, w0 := sc.wr, sc.w0
		for q := range H {
			wr[q], w0[q] = th[ly.w1+q*in1+H2], th[ly.w1+q*in1+H2+1]
		}

		// a1_ij = SiLU(P_i + Q_j + w_r r_ij + w_0 r⁰_ij).
		a1, sig := sc.s1[:ce*H], sc.s4[:ce*H]
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			p := pq[ni*H2 : ni*H2+H]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				nj := base + j
				xj := xl[nj*D : nj*D+D]
				r := 0.0
				for a, v := range xi {
					r += (v - xj[a]) * (v - xj[a])
				}
				qv := pq[nj*H2+H : nj*H2+H2]
				re := r0[e]
				row := a1[e*H : e*H+H]
				qv, wr, w0, p := qv[:len(row)], wr[:len(row)], w0[:len(row)], p[:len(row)]
				for q := range row {
					row[q] = p[q] + qv[q] + wr[q]*r + w0[q]*re
				}
				e++
			}
		}
		sigmoidRows(sig, a1, nil, H)
		for q, s := range sig {
			a1[q] *= s
		}

		// z2 = W₂ a1 + b₂, m = SiLU(z2), e = σ(w_g·m + b_g), m̃ = e m.
		sc.gemm.gemm(false, false, true, ce, H, H, a1, H, th[ly.w2:], H, z2, H)
		sigmoidRows(sig, z2, th[ly.b2:ly.b2+H], H)
		wg, bg := th[ly.wg:ly.wg+H], th[ly.bg]
		mt := sc.s2[:ce*H]
		for e := range ce {
			zr := z2[e*H : e*H+H]
			mr, sr := mt[e*H:e*H+H], sig[e*H:e*H+H]
			mr, sr, wg := mr[:len(zr)], sr[:len(zr)], wg[:len(zr)]
			g := bg
			for q, z := range zr {
				m := z * sr[q]
				mr[q] = m
				g += wg[q] * m
			}
			ge := sigmoid(g)
			gate[e] = ge
			for q := range mr {
				mr[q] *= ge
			}
		}

		// z3 = W₃ m̃ + b₃, φ = w₄·SiLU(z3), x^{l+1}_i = x^l_i + C Σ_j u_ij φ̃_ij.
		sc.gemm.gemm(false, false, true, ce, H, H, mt, H, th[ly.w3:], H, z3, H)
		sigmoidRows(sig, z3, th[ly.b3:ly.b3+H], H)
		w4 := th[ly.w4 : ly.w4+H]
		copy(xn, xl)
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			xo := xn[ni*D : ni*D+D]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				xj := xl[(base+j)*D : (base+j)*D+D]
				zr, sr := z3[e*H:e*H+H], sig[e*H:e*H+H]
				sr, w4 := sr[:len(zr)], w4[:len(zr)]
				ph := 0.0
				for q, z := range zr {
					ph += w4[q] * z * sr[q]
				}
				phi[e] = ph
				pt := ph
				if R > 0 {
					pt = R * math.Tanh(ph)
				}
				r := 0.0
				for a, v := range xi {
					r += (v - xj[a]) * (v - xj[a])
				}
				coef := C * pt / (math.Sqrt(r+egnnDistEps) + 1)
				for a, v := range xi {
					xo[a] += coef * (v - xj[a])
				}
				e++
			}
		}

		if l == L-1 {
			break
		}
		// m_i = A Σ_j m̃_ij, h^{l+1} = h^l + W₆ SiLU(W₅ [h, m] + b₅) + b₆.
		msg := sl.msg[l*sl.cn*H : l*sl.cn*H+cn*H]
		z4 := sl.z4[l*sl.cn*H : l*sl.cn*H+cn*H]
		for ni := range cn {
			row := msg[ni*H : ni*H+H]
			clear(row)
			for e := ni * Np; e < (ni+1)*Np; e++ {
				mr := mt[e*H : e*H+H]
				mr = mr[:len(row)]
				for q, v := range mr {
					row[q] += v
				}
			}
			if A != 1 {
				for q := range row {
					row[q] *= A
				}
			}
		}
		sc.gemm.gemm(false, false, true, cn, H, H, h, H, th[ly.w5:], H2, z4, H)
		sc.gemm.gemm(true, false, true, cn, H, H, msg, H, th[ly.w5+H:], H2, z4, H)
		a4 := sc.n1[:cn*H]
		sigmoidRows(a4, z4, th[ly.b5:ly.b5+H], H)
		for q, z := range z4 {
			a4[q] *= z
		}
		hn := sl.hs[(l+1)*sl.cn*H : (l+1)*sl.cn*H+cn*H]
		sc.gemm.gemm(false, false, true, cn, H, H, a4, H, th[ly.w6:], H, hn, H)
		b6 := th[ly.b6 : ly.b6+H]
		for ni := range cn {
			row, hr := hn[ni*H:ni*H+H], h[ni*H:ni*H+H]
			for q, v := range b6 {
				row[q] += hr[q] + v
			}
		}
	}

	// out_i = S (Δ_i − mean_k Δ_k), Δ = x^L − x⁰.
	xL := sl.xs[L*sl.cn*D : L*sl.cn*D+cn*D]
	S := cfg.OutputScale
	for b := range nb {
		var mean [16]float64
		for i := range N {
			o := (b*N + i) * D
			for a := range D {
				mean[a] += xL[o+a] - x0[o+a]
			}
		}
		for a := range D {
			mean[a] /= float64(N)
		}
		for i := range N {
			o := (b*N + i) * D
			for a := range D {
				out[o+a] = S * (xL[o+a] - x0[o+a] - mean[a])
			}
		}
	}
}

// backwardChunk adds the parameter gradient of Σ dout·out for the nb
// configurations held in slot sl into grad.
func (c *egnnCore) backwardChunk(sc *egnnScratch, sl *egnnSlot, nb int, grad, dout []float64) {
	net := c.net
	cfg, th := net.cfg, net.theta
	N, D, H, L, F := cfg.Particles, cfg.SpatialDim, cfg.Hidden, cfg.Layers, net.nf
	Np, in1, H2 := N-1, 2*cfg.Hidden+2, 2*cfg.Hidden
	cn, ce := nb*N, nb*N*Np
	R, C, A, S := cfg.CoordRange, cfg.CoordScale, cfg.MessageScale, cfg.OutputScale

	// ∂/∂x^L_i = S (dout_i − mean_k dout_k); nothing reaches h^L.
	dx := sc.dx[:cn*D]
	for b := range nb {
		var mean [16]float64
		for i := range N {
			o := (b*N + i) * D
			for a := range D {
				mean[a] += dout[o+a]
			}
		}
		for a := range D {
			mean[a] /= float64(N)
		}
		for i := range N {
			o := (b*N + i) * D
			for a := range D {
				dx[o+a] = S * (dout[o+a] - mean[a])
			}
		}
	}
	dh := sc.dh[:cn*H]
	clear(dh)
	r0 := sl.r0[:ce]

	for l := L - 1; l >= 0; l-- {
		ly := net.layers[l]
		h := sl.hs[l*sl.cn*H : l*sl.cn*H+cn*H]
		xl := sl.xs[l*sl.cn*D : l*sl.cn*D+cn*D]
		pq := sl.pq[l*sl.cn*H2 : l*sl.cn*H2+cn*H2]
		z2 := sl.z2[l*sl.ce*H : l*sl.ce*H+ce*H]
		z3 := sl.z3[l*sl.ce*H : l*sl.ce*H+ce*H]
		gate := sl.gate[l*sl.ce : l*sl.ce+ce]
		phi := sl.phi[l*sl.ce : l*sl.ce+ce]
		node := l < L-1
		dM := sc.n3[:cn*H]

		if node {
			// h^{l+1} = h^l + W₆ a4 + b₆, a4 = SiLU(z4), z4 = W₅ [h^l, m] + b₅.
			msg := sl.msg[l*sl.cn*H : l*sl.cn*H+cn*H]
			z4 := sl.z4[l*sl.cn*H : l*sl.cn*H+cn*H]
			a4, dz4, ds4 := sc.n1[:cn*H], sc.n2[:cn*H], dM
			gb6 := grad[ly.b6 : ly.b6+H]
			for ni := range cn {
				row := dh[ni*H : ni*H+H]
				for q, v := range row {
					gb6[q] += v
				}
			}
			sigmoidRows(a4, z4, nil, H)
			for q, z := range z4 {
				s := a4[q]
				a4[q] = z * s
				ds4[q] = s * (1 + z*(1-s))
			}
			sc.gemm.gemm(true, true, false, H, H, cn, dh, H, a4, H, grad[ly.w6:], H)
			sc.gemm.gemm(false, false, false, cn, H, H, dh, H, th[ly.w6:], H, dz4, H)
			gb5 := grad[ly.b5 : ly.b5+H]
			for ni := range cn {
				row, sr := dz4[ni*H:ni*H+H], ds4[ni*H:ni*H+H]
				for q := range row {
					row[q] *= sr[q]
					gb5[q] += row[q]
				}
			}
			sc.gemm.gemm(true, true, false, H, H, cn, dz4, H, h, H, grad[ly.w5:], H2)
			sc.gemm.gemm(true, true, false, H, H, cn, dz4, H, msg, H, grad[ly.w5+H:], H2)
			sc.gemm.gemm(false, false, false, cn, H, H, dz4, H, th[ly.w5+H:], H2, dM, H)
			sc.gemm.gemm(true, false, false, cn, H, H, dz4, H, th[ly.w5:], H2, dh, H)
		}

		// x^{l+1}_i = x^l_i + C Σ_j u_ij φ̃_ij: ∂/∂φ_ij and ∂/∂u_ij.
		dphi, du := sc.dphi[:ce], sc.du[:ce*D]
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			dxi := dx[ni*D : ni*D+D]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				xj := xl[(base+j)*D : (base+j)*D+D]
				r, dot := 0.0, 0.0
				for a, v := range xi {
					dl := v - xj[a]
					r += dl * dl
					dot += dxi[a] * dl
				}
				inv := 1 / (math.Sqrt(r+egnnDistEps) + 1)
				ph := phi[e]
				pt, dpt := ph, 1.0
				if R > 0 {
					tn := math.Tanh(ph)
					pt, dpt = R*tn, R*(1-tn*tn)
				}
				dphi[e] = C * dot * inv * dpt
				due := du[e*D : e*D+D]
				for a := range due {
					due[a] = C * pt * dxi[a]
				}
				e++
			}
		}

		// φ = w₄·SiLU(z3): dz3 → s1, ∂w₄, ∂b₃.
		w4, gw4, gb3 := th[ly.w4:ly.w4+H], grad[ly.w4:ly.w4+H], grad[ly.b3:ly.b3+H]
		dz3, sig3 := sc.s1[:ce*H], sc.s2[:ce*H]
		sigmoidRows(sig3, z3, nil, H)
		for e := range ce {
			zr := z3[e*H : e*H+H]
			dr, sr := dz3[e*H:e*H+H], sig3[e*H:e*H+H]
			dr, sr, w4, gw4, gb3 := dr[:len(zr)], sr[:len(zr)], w4[:len(zr)], gw4[:len(zr)], gb3[:len(zr)]
			dp := dphi[e]
			for q, z := range zr {
				s := sr[q]
				gw4[q] += dp * z * s
				v := dp * w4[q] * s * (1 + z*(1-s))
				dr[q] = v
				gb3[q] += v
			}
		}
		// z3 = W₃ m̃ + b₃: ∂m̃ → s3, plus the node path m_i = A Σ_j m̃_ij.
		dmt := sc.s3[:ce*H]
		sc.gemm.gemm(false, false, false, ce, H, H, dz3, H, th[ly.w3:], H, dmt, H)
		if node {
			for ni := range cn {
				dm := dM[ni*H : ni*H+H]
				for e := ni * Np; e < (ni+1)*Np; e++ {
					dr := dmt[e*H : e*H+H]
					dr = dr[:len(dm)]
					for q, v := range dm {
						dr[q] += A * v
					}
				}
			}
		}

		// m̃ = e m, e = σ(w_g·m + b_g), m = SiLU(z2): m → s2, dz2 → s3, and
		// dz3 → e·dz3 in s1 so that ∂W₃ = Σ (e dz3) mᵀ.
		wg, gwg, gb2 := th[ly.wg:ly.wg+H], grad[ly.wg:ly.wg+H], grad[ly.b2:ly.b2+H]
		mm, ds2 := sc.s2[:ce*H], sc.s4[:ce*H]
		sigmoidRows(ds2, z2, nil, H)
		gbg := 0.0
		for e := range ce {
			zr := z2[e*H : e*H+H]
			mr, sr, dr, d3 := mm[e*H:e*H+H], ds2[e*H:e*H+H], dmt[e*H:e*H+H], dz3[e*H:e*H+H]
			mr, sr, dr, d3 = mr[:len(zr)], sr[:len(zr)], dr[:len(zr)], d3[:len(zr)]
			de := 0.0
			for q, z := range zr {
				s := sr[q]
				m := z * s
				mr[q] = m
				sr[q] = s * (1 + z*(1-s))
				de += dr[q] * m
			}
			ge := gate[e]
			dg := de * ge * (1 - ge)
			gbg += dg
			wg, gwg, gb2 := wg[:len(zr)], gwg[:len(zr)], gb2[:len(zr)]
			for q, m := range mr {
				gwg[q] += dg * m
				v := (ge*dr[q] + dg*wg[q]) * sr[q]
				dr[q] = v
				gb2[q] += v
				d3[q] *= ge
			}
		}
		grad[ly.bg] += gbg
		sc.gemm.gemm(true, true, false, H, H, ce, dz3, H, mm, H, grad[ly.w3:], H)
		dz2 := dmt

		// z2 = W₂ a1 + b₂, a1 = SiLU(z1) recomputed: a1 → s1, SiLU'(z1) → s2.
		wr, w0 := sc.wr, sc.w0
		for q := range H {
			wr[q], w0[q] = th[ly.w1+q*in1+H2], th[ly.w1+q*in1+H2+1]
		}
		a1, ds1 := sc.s1[:ce*H], sc.s2[:ce*H]
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			p := pq[ni*H2 : ni*H2+H]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				nj := base + j
				xj := xl[nj*D : nj*D+D]
				r := 0.0
				for a, v := range xi {
					r += (v - xj[a]) * (v - xj[a])
				}
				qv := pq[nj*H2+H : nj*H2+H2]
				re := r0[e]
				ar := a1[e*H : e*H+H]
				qv, wr, w0, p := qv[:len(ar)], wr[:len(ar)], w0[:len(ar)], p[:len(ar)]
				for q := range ar {
					ar[q] = p[q] + qv[q] + wr[q]*r + w0[q]*re
				}
				e++
			}
		}
		sigmoidRows(ds1, a1, nil, H)
		for q, z := range a1 {
			s := ds1[q]
			a1[q] = z * s
			ds1[q] = s * (1 + z*(1-s))
		}
		sc.gemm.gemm(true, true, false, H, H, ce, dz2, H, a1, H, grad[ly.w2:], H)
		dz1 := sc.s4[:ce*H]
		sc.gemm.gemm(false, false, false, ce, H, H, dz2, H, th[ly.w2:], H, dz1, H)

		// z1_ij = P_i + Q_j + w_r r_ij + w_0 r⁰_ij: dz1 = da1 ⊙ SiLU'(z1), then
		// ∂b₁, ∂w_r, ∂w_0, dP, dQ and dr.
		gwr, gw0 := sc.gwr, sc.gw0
		clear(gwr)
		clear(gw0)
		dpq := sc.dpq[:cn*H2]
		clear(dpq)
		dr := sc.dr[:ce]
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			dp := dpq[ni*H2 : ni*H2+H]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				nj := base + j
				xj := xl[nj*D : nj*D+D]
				r := 0.0
				for a, v := range xi {
					r += (v - xj[a]) * (v - xj[a])
				}
				re := r0[e]
				zr, sr := dz1[e*H:e*H+H], ds1[e*H:e*H+H]
				dq := dpq[nj*H2+H : nj*H2+H2]
				sr, dq, dp, wr, gwr, gw0 := sr[:len(zr)], dq[:len(zr)], dp[:len(zr)], wr[:len(zr)], gwr[:len(zr)], gw0[:len(zr)]
				s := 0.0
				for q := range zr {
					v := zr[q] * sr[q]
					dp[q] += v
					dq[q] += v
					s += v * wr[q]
					gwr[q] += v * r
					gw0[q] += v * re
				}
				dr[e] = s
				e++
			}
		}
		gb1 := grad[ly.b1 : ly.b1+H]
		for ni := range cn {
			dp := dpq[ni*H2 : ni*H2+H]
			for q, v := range dp {
				gb1[q] += v
			}
		}
		for q := range H {
			grad[ly.w1+q*in1+H2] += gwr[q]
			grad[ly.w1+q*in1+H2+1] += gw0[q]
		}
		sc.gemm.gemm(true, true, false, H, H, cn, dpq, H2, h, H, grad[ly.w1:], in1)
		sc.gemm.gemm(true, true, false, H, H, cn, dpq[H:], H2, h, H, grad[ly.w1+H:], in1)
		sc.gemm.gemm(true, false, false, cn, H, H, dpq, H2, th[ly.w1:], in1, dh, H)
		sc.gemm.gemm(true, false, false, cn, H, H, dpq[H:], H2, th[ly.w1+H:], in1, dh, H)

		if l == 0 {
			break // x⁰ is the input
		}
		// r_ij and u_ij as functions of x^l:
		// ∂r/∂δ = 2δ, ∂u/∂δ = I/(ν+1) − δδᵀ/(ν(ν+1)²), ν = √(r+ε), δ = x_i − x_j.
		dxg := sc.dxg[:cn*D]
		clear(dxg)
		for ni, e := 0, 0; ni < cn; ni++ {
			base, i := ni-ni%N, ni%N
			xi := xl[ni*D : ni*D+D]
			gi := dxg[ni*D : ni*D+D]
			for k := range Np {
				j := k
				if k >= i {
					j++
				}
				nj := base + j
				xj := xl[nj*D : nj*D+D]
				gj := dxg[nj*D : nj*D+D]
				due := du[e*D : e*D+D]
				r, dot := 0.0, 0.0
				for a, v := range xi {
					dl := v - xj[a]
					r += dl * dl
					dot += dl * due[a]
				}
				nu := math.Sqrt(r + egnnDistEps)
				inv := 1 / (nu + 1)
				c1 := 2*dr[e] - dot*inv*inv/nu
				for a, v := range xi {
					g := c1*(v-xj[a]) + due[a]*inv
					gi[a] += g
					gj[a] -= g
				}
				e++
			}
		}
		for a, v := range dxg {
			dx[a] += v
		}
	}

	// h⁰_i = W_t f(t) + b_t for every particle i.
	tf := sl.tf[:nb*F]
	gwt, gbt := grad[net.wt:net.wt+H*F], grad[net.bt:net.bt+H]
	for b := range nb {
		f := tf[b*F : (b+1)*F]
		for i := range N {
			row := dh[(b*N+i)*H : (b*N+i+1)*H]
			for q, v := range row {
				gbt[q] += v
				for p, fv := range f {
					gwt[q*F+p] += v * fv
				}
			}
		}
	}
}
