package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// rawCheckpoint assembles a checkpoint by hand from the documented layout,
// with a correct CRC, so that tests can build well-formed files with any
// content (an independent encoder for WriteCheckpoint's format).
func rawCheckpoint(version uint32, kind string, cfg, meta []byte, declared uint64, params []float64) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("IWSMCKPT")
	b.Write(le.AppendUint32(nil, version))
	b.Write(le.AppendUint16(nil, uint16(len(kind))))
	b.WriteString(kind)
	b.Write(le.AppendUint32(nil, uint32(len(cfg))))
	b.Write(cfg)
	b.Write(le.AppendUint32(nil, uint32(len(meta))))
	b.Write(meta)
	b.Write(le.AppendUint64(nil, declared))
	for _, p := range params {
		b.Write(le.AppendUint64(nil, math.Float64bits(p)))
	}
	b.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	return b.Bytes()
}

func testNet(t testing.TB) *MLP {
	net, err := NewMLP(smallMLPConfig(), rand.New(rand.NewPCG(21, 22)))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func TestCheckpointRoundTrip(t *testing.T) {
	net := testNet(t)
	meta := map[string]string{"target": "gmm40", "method": "dsm", "step": "1234"}
	var buf bytes.Buffer
	if err := WriteCheckpoint(&buf, Checkpoint{Net: net, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	cfg, _ := net.MarshalConfig()
	metaJSON := []byte(`{"method":"dsm","step":"1234","target":"gmm40"}`)
	want := rawCheckpoint(1, "mlp", cfg, metaJSON, uint64(len(net.Params())), net.Params())
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("WriteCheckpoint differs from the documented layout")
	}
	c, err := ReadCheckpoint(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	got, ok := c.Net.(*MLP)
	if !ok || got.Config() != net.Config() {
		t.Fatalf("loaded %T %+v", c.Net, c.Net)
	}
	for i, p := range net.Params() {
		if math.Float64bits(got.Params()[i]) != math.Float64bits(p) {
			t.Fatalf("parameter %d: %v, want %v", i, got.Params()[i], p)
		}
	}
	if len(c.Meta) != 3 || c.Meta["step"] != "1234" || c.Meta["target"] != "gmm40" {
		t.Fatalf("meta %v", c.Meta)
	}
	// The loaded network computes the same function.
	rng := rand.New(rand.NewPCG(1, 1))
	x, tt := randomBatch(rng, 4, 3)
	o1, o2 := make([]float64, 12), make([]float64, 12)
	net.NewWorkspace(4).Forward(o1, x, tt)
	got.NewWorkspace(4).Forward(o2, x, tt)
	for i := range o1 {
		if o1[i] != o2[i] {
			t.Fatalf("outputs differ: %v vs %v", o1, o2)
		}
	}
	// SaveNet/LoadNet: no metadata.
	buf.Reset()
	if err := SaveNet(&buf, net); err != nil {
		t.Fatal(err)
	}
	if n, err := LoadNet(&buf); err != nil || len(n.Params()) != len(net.Params()) {
		t.Fatalf("LoadNet: %v", err)
	}
}

func TestCheckpointRejectsBadFiles(t *testing.T) {
	net := testNet(t)
	cfg, _ := net.MarshalConfig()
	p := net.Params()
	n := uint64(len(p))
	var valid bytes.Buffer
	if err := SaveNet(&valid, net); err != nil {
		t.Fatal(err)
	}
	v := valid.Bytes()
	corrupt := append([]byte(nil), v...)
	corrupt[len(corrupt)/2] ^= 0x10
	withNaN := append([]float64(nil), p...)
	withNaN[3] = math.NaN()
	bigCfg := DefaultMLPConfig(2)
	bigCfgJSON, _ := (&MLP{cfg: bigCfg}).MarshalConfig()
	hugeLen := append([]byte(nil), v[:8+4+2+3]...)
	hugeLen = binary.LittleEndian.AppendUint32(hugeLen, 1<<31)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"not a checkpoint", []byte("PK\x03\x04 definitely a zip file"), "not a checkpoint"},
		{"corrupted byte", corrupt, "CRC mismatch"},
		{"wrong version", rawCheckpoint(2, "mlp", cfg, nil, n, p), "version 2"},
		{"unknown kind", rawCheckpoint(1, "transformer", cfg, nil, n, p), "unknown network kind"},
		{"empty kind", rawCheckpoint(1, "", cfg, nil, n, p), "unknown network kind"},
		{"param count mismatch", rawCheckpoint(1, "mlp", bigCfgJSON, nil, n, p), "config needs"},
		{"absurd param count", rawCheckpoint(1, "mlp", cfg, nil, 1<<40, nil), "exceed the limit"},
		{"absurd config length", hugeLen, "exceeds the limit"},
		{"invalid config", rawCheckpoint(1, "mlp", []byte(`{"dim":-1}`), nil, n, p), "mlp config"},
		{"bad metadata", rawCheckpoint(1, "mlp", cfg, []byte(`[1,2]`), n, p), "metadata"},
		{"NaN parameter", rawCheckpoint(1, "mlp", cfg, nil, n, withNaN), "parameter 3 is NaN"},
		{"declares more than present", rawCheckpoint(1, "mlp", cfg, nil, n+5, p), "config needs"},
		{"params cut short", rawCheckpoint(1, "mlp", cfg, nil, n, p)[:len(v)-40], "truncated while reading the parameters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadNet(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrBadCheckpoint) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrBadCheckpoint mentioning %q", err, tc.want)
			}
		})
	}
	// Every truncation of a valid file is an error, never a panic.
	for i := range len(v) {
		if _, err := LoadNet(bytes.NewReader(v[:i])); !errors.Is(err, ErrBadCheckpoint) {
			t.Fatalf("truncated to %d of %d bytes: %v", i, len(v), err)
		}
	}
}

func TestSaveNetRefusesNonFiniteParameters(t *testing.T) {
	net := testNet(t)
	net.Params()[7] = math.Inf(1)
	if err := SaveNet(&bytes.Buffer{}, net); err == nil || !strings.Contains(err.Error(), "parameter 7") {
		t.Fatalf("error %v", err)
	}
}

type failingWriter struct{ after int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		return 0, errors.New("disk full")
	}
	f.after -= len(p)
	return len(p), nil
}

func TestSaveNetReportsWriteErrors(t *testing.T) {
	net := testNet(t)
	for _, after := range []int{0, 10, 100, 1000} {
		if err := SaveNet(&failingWriter{after: after}, net); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("after %d bytes: error %v", after, err)
		}
	}
}

// FuzzLoadNet feeds arbitrary bytes to the decoder: it must never panic, and
// whatever it accepts must survive a save/load round trip unchanged.
func FuzzLoadNet(f *testing.F) {
	net := testNet(f)
	var b bytes.Buffer
	if err := WriteCheckpoint(&b, Checkpoint{Net: net, Meta: map[string]string{"target": "gmm40"}}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:len(b.Bytes())/2])
	cfg, _ := net.MarshalConfig()
	f.Add(rawCheckpoint(1, "mlp", cfg, nil, 1<<40, nil))
	f.Add([]byte("IWSMCKPT"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ReadCheckpoint(bytes.NewReader(data))
		if err != nil {
			if c.Net != nil {
				t.Fatal("a network returned with an error")
			}
			return
		}
		var out bytes.Buffer
		if err := WriteCheckpoint(&out, c); err != nil {
			t.Fatalf("re-saving an accepted checkpoint: %v", err)
		}
		c2, err := ReadCheckpoint(&out)
		if err != nil {
			t.Fatalf("re-loading: %v", err)
		}
		p1, p2 := c.Net.Params(), c2.Net.Params()
		if len(p1) != len(p2) {
			t.Fatal("parameter count changed")
		}
		for i := range p1 {
			if math.Float64bits(p1[i]) != math.Float64bits(p2[i]) {
				t.Fatalf("parameter %d changed", i)
			}
		}
	})
}

// ExampleWriteCheckpoint saves a network with its metadata and loads it back.
func ExampleWriteCheckpoint() {
	net, err := NewMLP(DefaultMLPConfig(2), rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		panic(err)
	}
	var file bytes.Buffer // an *os.File in practice
	meta := map[string]string{"target": "gmm40", "method": "dsm", "step": "5000"}
	if err := WriteCheckpoint(&file, Checkpoint{Net: net, Meta: meta}); err != nil {
		panic(err)
	}
	fmt.Println("bytes:", file.Len())
	c, err := ReadCheckpoint(&file)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Net.Kind(), len(c.Net.Params()), c.Meta["target"], c.Meta["step"])
	// Output:
	// bytes: 792791
	// mlp 99074 gmm40 5000
}
