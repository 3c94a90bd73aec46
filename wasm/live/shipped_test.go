package live

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"iwsm/assets"
	"iwsm/sim"
	"iwsm/targets"
)

// TestShippedNetworks reads every network the app starts from: each is
// named <target>-<variant>.ckpt after a registered target and an app
// variant, says so in its metadata, and has exactly the architecture the
// app's engine trains for that target (TrainConfig), so that a pretrained
// pane continues the network the command line trained.
func TestShippedNetworks(t *testing.T) {
	entries, err := fs.ReadDir(assets.Pretrained, "pretrained")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".ckpt")
		if !ok {
			continue
		}
		i := slices.IndexFunc(Variants, func(v string) bool { return strings.HasSuffix(name, "-"+v) })
		if i < 0 {
			t.Errorf("%s: no app variant in the name (valid: %v)", e.Name(), Variants)
			continue
		}
		variant := Variants[i]
		target := strings.TrimSuffix(name, "-"+variant)
		found[target+"-"+variant] = true
		tg, err := targets.Lookup(target)
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		ck := readShipped(t, e.Name())
		method := strings.TrimSuffix(variant, "-nodef")
		if ck.Meta["target"] != target || ck.Meta["method"] != method {
			t.Errorf("%s: metadata names target %q, method %q", e.Name(), ck.Meta["target"], ck.Meta["method"])
		}
		cfg := DefaultStateFor(target).TrainConfig(tg, variant)
		want, _ := json.Marshal(cfg.Net.MLP)
		if cfg.Net.Arch == "egnn" {
			want, _ = json.Marshal(cfg.Net.EGNN)
		}
		got, err := ck.Net.MarshalConfig()
		if err != nil || ck.Net.Kind() != cfg.Net.Arch || !bytes.Equal(got, want) {
			t.Errorf("%s: a %s network %s, the app trains a %s network %s", e.Name(), ck.Net.Kind(), got, cfg.Net.Arch, want)
		}
	}
	for _, want := range []string{"gmm40-iwsm", "gmm40-idem", "dw4-iwsm", "dw4-idem", "lj13-iwsm", "lj13-idem"} {
		if !found[want] {
			t.Errorf("no shipped network %s.ckpt", want)
		}
	}
}

// TestShippedDW4Samples draws DW-4 configurations from the shipped networks
// as a pretrained pane does (TrainConfig's sampler) and compares them with
// the test set: a trained network places the particles far better than an
// untrained one of the same architecture (x-W2 and distance TV of as many
// samples against as many of the test set as the app's quality check).
func TestShippedDW4Samples(t *testing.T) {
	if runtime.GOOS == "js" {
		t.Skip("EGNN sampling takes minutes as WebAssembly; the native run checks the same networks")
	}
	n := particleEvalSamples.small
	tg, _ := targets.Lookup("dw4")
	score := func(net sim.ScoreNet, variant string) sim.Metrics {
		cfg := DefaultStateFor("dw4").TrainConfig(tg, variant)
		tr, err := sim.NewTrainerFrom(tg, cfg, 1, net)
		if err != nil {
			t.Fatal(err)
		}
		x, err := tr.Sample(n, rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := sim.NewEvaluator(tg, n, rand.New(rand.NewPCG(1, 3)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ev.Evaluate(x)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	fresh, err := sim.NewEGNN(DefaultStateFor("dw4").TrainConfig(tg, "iwsm").Net.EGNN, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	untrained := score(fresh, "iwsm")
	for _, v := range []string{"iwsm", "idem"} {
		m := score(readShipped(t, "dw4-"+v+".ckpt").Net, v)
		t.Logf("dw4-%s: x-W2 %.3f, E-W2 %.3g, distance TV %.3f (untrained: %.3f, %.3g, %.3f)",
			v, m.W2, m.EnergyW2, m.DistTV, untrained.W2, untrained.EnergyW2, untrained.DistTV)
		if !(m.W2 < untrained.W2/2 && m.DistTV < 0.75*untrained.DistTV) {
			t.Errorf("dw4-%s: x-W2 %.3f and distance TV %.3f, want under half and three quarters of the untrained network's (%.3f, %.3f)",
				v, m.W2, m.DistTV, untrained.W2, untrained.DistTV)
		}
	}
}

func readShipped(t *testing.T, name string) sim.Checkpoint {
	t.Helper()
	b, err := assets.Pretrained.ReadFile("pretrained/" + name)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := sim.ReadCheckpoint(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return ck
}
