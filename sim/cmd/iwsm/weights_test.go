package main

import (
	"context"
	"strings"
	"testing"
)

// TestWeights runs "iwsm weights" on a tiny checkpoint. With σ large enough
// to count every batch point, the self-normalized weights of each group sum
// to 1, so the total weight must equal the number of groups drawn; the
// implausible shares are percentages.
func TestWeights(t *testing.T) {
	ckpt, _ := trainTiny(t, "5")
	m, err := loadModel(ckpt, "")
	if err != nil {
		t.Fatal(err)
	}
	o := &weightsOpts{seed: 2, steps: 4, sigma: 1e9, fill: 60}
	ws, err := measureWeights(context.Background(), m.target, m.cfg, m.net, o)
	if err != nil {
		t.Fatal(err)
	}
	groups := float64(o.steps * m.cfg.Groups)
	if ws.Points != groups*float64(m.cfg.GroupSize) || ws.Weight < groups-1e-9 || ws.Weight > groups+1e-9 {
		t.Errorf("%v points with total weight %v; want %v points and weight %v (1 per group)", ws.Points, ws.Weight, groups*float64(m.cfg.GroupSize), groups)
	}
	if ws.Implausible < 0 || ws.Implausible > ws.Points || ws.WeightOf < 0 || ws.WeightOf > ws.Weight+1e-9 {
		t.Errorf("implausible %v of %v points, weight %v of %v", ws.Implausible, ws.Points, ws.WeightOf, ws.Weight)
	}

	code, out, errOut := runCLI(t, "weights", "-model", ckpt, "-steps", "3", "-fill", "50", "-sigma", "1e9")
	if code != 0 || !strings.Contains(out, "beyond 3σ of every mode:") || !strings.Contains(out, "% of their IW-SM weight") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, bad := range [][]string{
		{"weights"},
		{"weights", "-model", ckpt, "-sigma", "0"},
		{"weights", "-model", ckpt, "-steps", "0"},
		{"weights", "-model", ckpt, "-fill", "1"},
		{"weights", "-model", ckpt, "-target", "dw4"},
	} {
		if code, _, _ := runCLI(t, bad...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", bad, code, exitUsage)
		}
	}
}
