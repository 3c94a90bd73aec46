package main

import (
	"encoding/json"
	"math"
	"strconv"

	"iwsm/sim"
)

// jfloat is a float64 that marshals NaN and ±Inf as JSON null (plain
// encoding/json refuses them) and unmarshals null as NaN.
type jfloat float64

// MarshalJSON writes the shortest decimal that round-trips, or null.
func (f jfloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number, or null as NaN.
func (f *jfloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jfloat(math.NaN())
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jfloat(v)
	return nil
}

// metricsRecord is sim.Metrics as JSON, with the fields that apply to the
// target always present (sim.Metrics omits a zero count of covered modes).
type metricsRecord struct {
	N       int     `json:"n"`
	W2      jfloat  `json:"w2"`
	MMD     jfloat  `json:"mmd"`
	Covered *int    `json:"covered,omitempty"`
	Modes   *int    `json:"modes,omitempty"`
	Outside *int    `json:"outside,omitempty"`
	ModeTV  *jfloat `json:"mode_tv,omitempty"`
	EW2     *jfloat `json:"e_w2,omitempty"`
	DistTV  *jfloat `json:"dist_tv,omitempty"`
	High    *int    `json:"high_energy,omitempty"` // absent in records written before it existed
}

func newMetricsRecord(m sim.Metrics) *metricsRecord {
	r := &metricsRecord{N: m.N, W2: jfloat(m.W2), MMD: jfloat(m.MMD)}
	if m.HasModes {
		covered, modes, outside, tv := m.Covered, m.Modes, m.Outside, jfloat(m.ModeTV)
		r.Covered, r.Modes, r.Outside, r.ModeTV = &covered, &modes, &outside, &tv
	}
	if m.HasEnergy {
		ew2, dtv := jfloat(m.EnergyW2), jfloat(m.DistTV)
		high := m.HighEnergy
		r.EW2, r.DistTV, r.High = &ew2, &dtv, &high
	}
	return r
}

// metrics converts the record back to sim.Metrics.
func (r *metricsRecord) metrics() sim.Metrics {
	m := sim.Metrics{N: r.N, W2: float64(r.W2), MMD: float64(r.MMD)}
	if r.Modes != nil {
		m.HasModes, m.Modes = true, *r.Modes
		if r.Covered != nil {
			m.Covered = *r.Covered
		}
		if r.Outside != nil {
			m.Outside = *r.Outside
		}
		if r.ModeTV != nil {
			m.ModeTV = float64(*r.ModeTV)
		}
	}
	if r.EW2 != nil || r.DistTV != nil {
		m.HasEnergy = true
		if r.EW2 != nil {
			m.EnergyW2 = float64(*r.EW2)
		}
		if r.DistTV != nil {
			m.DistTV = float64(*r.DistTV)
		}
		if r.High != nil {
			m.HighEnergy = *r.High
		}
	}
	return m
}

// Record events.
const (
	eventStep  = "step"  // training progress
	eventEval  = "eval"  // an evaluation during training
	eventFinal = "final" // one batch of the final evaluation
)

// record is one JSON line of "iwsm train -json" and of the reproduce run
// logs. Loss and ESS are means over the steps since the previous line.
type record struct {
	Event       string  `json:"event"`
	Step        int     `json:"step"`
	Seconds     jfloat  `json:"seconds"`       // training wall time (initial buffer included, evaluations excluded)
	Total       jfloat  `json:"total_seconds"` // wall time since the start, evaluations included
	Loss        jfloat  `json:"loss"`
	ESS         jfloat  `json:"ess"`
	EnergyEvals int64   `json:"energy_evals"`
	Batch       *int    `json:"batch,omitempty"`        // final evaluation batch
	EvalSeconds *jfloat `json:"eval_seconds,omitempty"` // wall time of this evaluation
	*metricsRecord
	Error string `json:"error,omitempty"` // an evaluation that failed
}
