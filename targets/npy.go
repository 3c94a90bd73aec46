package targets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// npyMagic opens every NumPy .npy file.
var npyMagic = []byte("\x93NUMPY")

// ParseNPY decodes a NumPy .npy file holding a 2-D little-endian float array
// in C (row-major) order: the magic "\x93NUMPY", version 1.0 (uint16 header
// length) or 2.0 (uint32), a Python-literal header dict
// {'descr': '<f4' or '<f8', 'fortran_order': False, 'shape': (rows, cols)},
// then exactly rows·cols values. It returns the values as float64, row-major.
// Anything else (another version, dtype, order or rank, a malformed header,
// missing or extra bytes) is an error; it never panics.
func ParseNPY(b []byte) (data []float64, rows, cols int, err error) {
	if len(b) < 10 || !bytes.Equal(b[:6], npyMagic) {
		return nil, 0, 0, errors.New("targets: npy: not a .npy file (bad magic)")
	}
	major, minor := b[6], b[7]
	var hlen, start int
	switch {
	case major == 1 && minor == 0:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:10])), 10
	case major == 2 && minor == 0:
		if len(b) < 12 {
			return nil, 0, 0, errors.New("targets: npy: truncated preamble")
		}
		h := binary.LittleEndian.Uint32(b[8:12])
		if uint64(h) > uint64(len(b)) {
			return nil, 0, 0, errors.New("targets: npy: truncated header")
		}
		hlen, start = int(h), 12
	default:
		return nil, 0, 0, fmt.Errorf("targets: npy: unsupported version %d.%d (want 1.0 or 2.0)", major, minor)
	}
	if len(b)-start < hlen {
		return nil, 0, 0, errors.New("targets: npy: truncated header")
	}
	h, err := parseNPYHeader(b[start : start+hlen])
	if err != nil {
		return nil, 0, 0, err
	}
	if h.fortran {
		return nil, 0, 0, errors.New("targets: npy: Fortran order is not supported")
	}
	var size uint64
	switch h.descr {
	case "<f4":
		size = 4
	case "<f8":
		size = 8
	default:
		return nil, 0, 0, fmt.Errorf("targets: npy: unsupported dtype %q (want '<f4' or '<f8')", h.descr)
	}
	if len(h.shape) != 2 {
		return nil, 0, 0, fmt.Errorf("targets: npy: shape has %d dimensions, want 2", len(h.shape))
	}
	payload := b[start+hlen:]
	hi, count := bits.Mul64(h.shape[0], h.shape[1])
	hi2, nbytes := bits.Mul64(count, size)
	if hi != 0 || hi2 != 0 || nbytes != uint64(len(payload)) {
		return nil, 0, 0, fmt.Errorf("targets: npy: shape (%d, %d) needs %d-byte values but %d bytes follow the header",
			h.shape[0], h.shape[1], size, len(payload))
	}
	data = make([]float64, count)
	if size == 4 {
		for i := range data {
			data[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:])))
		}
	} else {
		for i := range data {
			data[i] = math.Float64frombits(binary.LittleEndian.Uint64(payload[8*i:]))
		}
	}
	return data, int(h.shape[0]), int(h.shape[1]), nil
}

// npyHeader is the decoded header dict of a .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []uint64
}

// npyMaxDim bounds every shape entry so that products cannot overflow
// before they are compared with the payload length and fit an int anywhere.
const npyMaxDim = math.MaxInt32

// parseNPYHeader parses the Python dict literal of a .npy header: the keys
// 'descr' (a string), 'fortran_order' (True or False) and 'shape' (a tuple of
// non-negative integers), each exactly once, in any order, with optional
// trailing commas, followed by space padding and a newline.
func parseNPYHeader(h []byte) (npyHeader, error) {
	p := &npyScanner{s: h}
	var out npyHeader
	seen := map[string]bool{}
	fail := func(what string) (npyHeader, error) {
		return npyHeader{}, fmt.Errorf("targets: npy: malformed header: %s at byte %d", what, p.i)
	}
	p.space()
	if !p.eat('{') {
		return fail("want '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok {
			return fail("want a quoted key")
		}
		if seen[key] {
			return fail("duplicate key " + key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return fail("want ':'")
		}
		p.space()
		switch key {
		case "descr":
			if out.descr, ok = p.str(); !ok {
				return fail("want a quoted descr")
			}
		case "fortran_order":
			switch {
			case p.word("True"):
				out.fortran = true
			case p.word("False"):
				out.fortran = false
			default:
				return fail("want True or False")
			}
		case "shape":
			if out.shape, ok = p.tuple(); !ok {
				return fail("want a shape tuple")
			}
		default:
			return fail("unknown key " + key)
		}
		p.space()
		if !p.eat(',') {
			p.space()
			if !p.eat('}') {
				return fail("want ',' or '}'")
			}
			break
		}
	}
	p.space()
	if p.i != len(p.s) {
		return fail("trailing bytes")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return fail("missing key")
	}
	return out, nil
}

// npyScanner reads a .npy header byte by byte.
type npyScanner struct {
	s []byte
	i int
}

// space skips blanks, tabs and newlines.
func (p *npyScanner) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

// eat consumes c if it comes next.
func (p *npyScanner) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word consumes w if it comes next.
func (p *npyScanner) word(w string) bool {
	if bytes.HasPrefix(p.s[p.i:], []byte(w)) {
		p.i += len(w)
		return true
	}
	return false
}

// str reads a string quoted with ' or " (no escapes).
func (p *npyScanner) str() (string, bool) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := bytes.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := string(p.s[p.i+1 : p.i+1+end])
	p.i += end + 2
	return v, true
}

// tuple reads (n0, n1, …) with an optional trailing comma; () is the empty
// tuple.
func (p *npyScanner) tuple() ([]uint64, bool) {
	if !p.eat('(') {
		return nil, false
	}
	var out []uint64
	for {
		p.space()
		if p.eat(')') {
			return out, true
		}
		if len(out) >= 32 {
			return nil, false
		}
		v, ok := p.uint()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		p.space()
		if !p.eat(',') {
			p.space()
			return out, p.eat(')')
		}
	}
}

// uint reads a decimal integer no larger than npyMaxDim.
func (p *npyScanner) uint() (uint64, bool) {
	start := p.i
	var v uint64
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = 10*v + uint64(p.s[p.i]-'0')
		if v > npyMaxDim {
			return 0, false
		}
		p.i++
	}
	return v, p.i > start
}
