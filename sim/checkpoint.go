package sim

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// The checkpoint format, version 1, all integers little-endian:
//
//	magic      8 bytes  "IWSMCKPT"
//	version    uint32   1
//	kind       uint16 length (1..64) + bytes, e.g. "mlp"
//	config     uint32 length (≤ 1 MiB) + JSON bytes (the net's MarshalConfig)
//	meta       uint32 length (≤ 1 MiB) + JSON object of strings, or length 0
//	params     uint64 count P (≤ MaxNetParams) + P float64 (IEEE 754 bits)
//	crc        uint32   CRC-32 (IEEE) of every preceding byte
const (
	checkpointMagic   = "IWSMCKPT"
	checkpointVersion = 1
	maxKindLen        = 64
	maxConfigLen      = 1 << 20
	maxMetaLen        = 1 << 20
	paramChunk        = 8192 // parameters decoded per read
)

// ErrBadCheckpoint is wrapped by every error about the content of a
// checkpoint (truncated, corrupted, wrong version, unknown kind, sizes out of
// range, mismatched parameters), as opposed to errors of the reader itself.
var ErrBadCheckpoint = errors.New("sim: bad checkpoint")

func badCheckpoint(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBadCheckpoint}, args...)...)
}

// Checkpoint is a network with optional metadata, such as the target, the
// method and the training step ("target": "gmm40", "method": "iwsm",
// "step": "5000").
type Checkpoint struct {
	Net  ScoreNet
	Meta map[string]string
}

// SaveNet writes net as a checkpoint without metadata. See WriteCheckpoint.
func SaveNet(w io.Writer, net ScoreNet) error { return WriteCheckpoint(w, Checkpoint{Net: net}) }

// LoadNet reads a checkpoint and returns its network. See ReadCheckpoint.
func LoadNet(r io.Reader) (ScoreNet, error) {
	c, err := ReadCheckpoint(r)
	return c.Net, err
}

// WriteCheckpoint writes c in the version-1 format: the network's kind, its
// MarshalConfig JSON, the metadata as a JSON object, θ as little-endian
// float64 and a CRC-32 of everything. A network with a non-finite parameter
// is an error (nothing that cannot be loaded back is written in full).
func WriteCheckpoint(w io.Writer, c Checkpoint) error {
	net := c.Net
	if net == nil {
		return errors.New("sim: no network to save")
	}
	kind := net.Kind()
	if len(kind) == 0 || len(kind) > maxKindLen {
		return fmt.Errorf("sim: network kind %q must have 1 to %d bytes", kind, maxKindLen)
	}
	cfg, err := net.MarshalConfig()
	if err != nil {
		return fmt.Errorf("sim: saving the network config: %w", err)
	}
	if len(cfg) > maxConfigLen {
		return fmt.Errorf("sim: network config of %d bytes exceeds %d", len(cfg), maxConfigLen)
	}
	var meta []byte
	if len(c.Meta) > 0 {
		if meta, err = json.Marshal(c.Meta); err != nil {
			return fmt.Errorf("sim: saving checkpoint metadata: %w", err)
		}
		if len(meta) > maxMetaLen {
			return fmt.Errorf("sim: checkpoint metadata of %d bytes exceeds %d", len(meta), maxMetaLen)
		}
	}
	theta := net.Params()
	for i, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("sim: refusing to save a network whose parameter %d is %v", i, v)
		}
	}
	crc := crc32.NewIEEE()
	cw := &checkpointWriter{w: io.MultiWriter(w, crc)}
	cw.write([]byte(checkpointMagic))
	cw.u32(checkpointVersion)
	cw.u16(uint16(len(kind)))
	cw.write([]byte(kind))
	cw.u32(uint32(len(cfg)))
	cw.write(cfg)
	cw.u32(uint32(len(meta)))
	cw.write(meta)
	cw.u64(uint64(len(theta)))
	buf := make([]byte, 8*min(len(theta), paramChunk))
	for lo := 0; lo < len(theta); lo += paramChunk {
		hi := min(lo+paramChunk, len(theta))
		for i, v := range theta[lo:hi] {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(v))
		}
		cw.write(buf[:8*(hi-lo)])
	}
	if cw.err != nil {
		return fmt.Errorf("sim: writing checkpoint: %w", cw.err)
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], crc.Sum32())
	if _, err := w.Write(sum[:]); err != nil {
		return fmt.Errorf("sim: writing checkpoint: %w", err)
	}
	return nil
}

// checkpointWriter keeps the first write error.
type checkpointWriter struct {
	w   io.Writer
	err error
	b   [8]byte
}

func (c *checkpointWriter) write(p []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(p)
	}
}
func (c *checkpointWriter) u16(v uint16) {
	binary.LittleEndian.PutUint16(c.b[:], v)
	c.write(c.b[:2])
}
func (c *checkpointWriter) u32(v uint32) {
	binary.LittleEndian.PutUint32(c.b[:], v)
	c.write(c.b[:4])
}
func (c *checkpointWriter) u64(v uint64) {
	binary.LittleEndian.PutUint64(c.b[:], v)
	c.write(c.b[:8])
}

// checkpointReader reads fields while hashing them; allocations grow only
// with the bytes actually read, so a short file that declares huge sizes
// costs little.
type checkpointReader struct {
	r   io.Reader
	crc hash.Hash32
	b   [8]byte
}

// full reads exactly len(p) bytes, naming what was being read when the data
// ends early.
func (c *checkpointReader) full(p []byte, what string) error {
	if _, err := io.ReadFull(c.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return badCheckpoint("truncated while reading the %s", what)
		}
		return fmt.Errorf("sim: reading checkpoint %s: %w", what, err)
	}
	c.crc.Write(p)
	return nil
}

func (c *checkpointReader) uint(size int, what string) (uint64, error) {
	if err := c.full(c.b[:size], what); err != nil {
		return 0, err
	}
	switch size {
	case 2:
		return uint64(binary.LittleEndian.Uint16(c.b[:])), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(c.b[:])), nil
	default:
		return binary.LittleEndian.Uint64(c.b[:]), nil
	}
}

// blob reads a length-prefixed field of at most limit bytes.
func (c *checkpointReader) blob(lenSize int, limit uint64, what string) ([]byte, error) {
	n, err := c.uint(lenSize, what+" length")
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, badCheckpoint("%s length %d exceeds the limit %d", what, n, limit)
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, c.r, int64(n)); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, badCheckpoint("truncated while reading the %s", what)
		}
		return nil, fmt.Errorf("sim: reading checkpoint %s: %w", what, err)
	}
	c.crc.Write(buf.Bytes())
	return buf.Bytes(), nil
}

// ReadCheckpoint reads a checkpoint written by WriteCheckpoint and rebuilds
// its network through the constructor registered for its kind. A truncated
// or corrupted file (CRC mismatch), another version, an unknown kind, sizes
// beyond the limits (config or metadata over 1 MiB, more than MaxNetParams
// parameters), a parameter count that does not match the configuration or a
// non-finite parameter is an error wrapping ErrBadCheckpoint; it never
// panics, and it allocates in proportion to the bytes actually present.
// Bytes after the CRC are not read.
func ReadCheckpoint(r io.Reader) (Checkpoint, error) {
	c := &checkpointReader{r: r, crc: crc32.NewIEEE()}
	var magic [8]byte
	if err := c.full(magic[:], "magic"); err != nil {
		return Checkpoint{}, err
	}
	if string(magic[:]) != checkpointMagic {
		return Checkpoint{}, badCheckpoint("not a checkpoint (magic %q, want %q)", magic[:], checkpointMagic)
	}
	version, err := c.uint(4, "version")
	if err != nil {
		return Checkpoint{}, err
	}
	if version != checkpointVersion {
		return Checkpoint{}, badCheckpoint("version %d, this program reads version %d", version, checkpointVersion)
	}
	kindBytes, err := c.blob(2, maxKindLen, "kind")
	if err != nil {
		return Checkpoint{}, err
	}
	kind := string(kindBytes)
	build, ok := netBuilders[kind]
	if !ok {
		return Checkpoint{}, badCheckpoint("unknown network kind %q", kind)
	}
	cfg, err := c.blob(4, maxConfigLen, "config")
	if err != nil {
		return Checkpoint{}, err
	}
	metaBytes, err := c.blob(4, maxMetaLen, "metadata")
	if err != nil {
		return Checkpoint{}, err
	}
	count, err := c.uint(8, "parameter count")
	if err != nil {
		return Checkpoint{}, err
	}
	if count > MaxNetParams {
		return Checkpoint{}, badCheckpoint("%d parameters exceed the limit %d", count, MaxNetParams)
	}
	if size, ok := netSizers[kind]; ok {
		n, err := size(cfg)
		if err != nil {
			return Checkpoint{}, badCheckpoint("%s config: %v", kind, err)
		}
		if uint64(n) != count {
			return Checkpoint{}, badCheckpoint("%d parameters stored, the %s config needs %d", count, kind, n)
		}
	}
	theta := make([]float64, 0, min(int(count), paramChunk))
	buf := make([]byte, 8*min(int(count), paramChunk))
	for read := 0; read < int(count); {
		k := min(int(count)-read, paramChunk)
		if err := c.full(buf[:8*k], "parameters"); err != nil {
			return Checkpoint{}, err
		}
		for i := range k {
			theta = append(theta, math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:])))
		}
		read += k
	}
	want := c.crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return Checkpoint{}, badCheckpoint("truncated while reading the CRC")
		}
		return Checkpoint{}, fmt.Errorf("sim: reading checkpoint CRC: %w", err)
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return Checkpoint{}, badCheckpoint("CRC mismatch (stored %08x, computed %08x): the file is corrupted", got, want)
	}
	var meta map[string]string
	if len(metaBytes) > 0 {
		if err := json.Unmarshal(metaBytes, &meta); err != nil {
			return Checkpoint{}, badCheckpoint("metadata: %v", err)
		}
	}
	for i, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Checkpoint{}, badCheckpoint("parameter %d is %v", i, v)
		}
	}
	net, err := build(cfg)
	if err != nil {
		return Checkpoint{}, badCheckpoint("%s config: %v", kind, err)
	}
	if p := net.Params(); len(p) != len(theta) {
		return Checkpoint{}, badCheckpoint("%d parameters stored, the %s config needs %d", len(theta), kind, len(p))
	}
	copy(net.Params(), theta)
	return Checkpoint{Net: net, Meta: meta}, nil
}
