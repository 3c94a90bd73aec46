package targets

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// encodeNPY writes a .npy file the way NumPy does: the header dict padded
// with spaces and a newline so that the data start at a multiple of 64.
func encodeNPY(major byte, descr, header string, values []float64) []byte {
	pre := 10
	if major == 2 {
		pre = 12
	}
	h := header
	for (pre+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY")
	b.WriteByte(major)
	b.WriteByte(0)
	if major == 2 {
		binary.Write(&b, binary.LittleEndian, uint32(len(h)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	}
	b.WriteString(h)
	for _, v := range values {
		if descr == "<f4" {
			binary.Write(&b, binary.LittleEndian, float32(v))
		} else {
			binary.Write(&b, binary.LittleEndian, v)
		}
	}
	return b.Bytes()
}

// npyHeaderFor is NumPy's header dict for a C-order 2-D array.
func npyHeaderFor(descr string, rows, cols int) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
}

func TestParseNPYValid(t *testing.T) {
	vals := []float64{1, -2.5, 3.25, 0, math.Inf(1), 1e-3}
	cases := []struct {
		name   string
		file   []byte
		r, c   int
		exactF bool // values survive exactly (f8, or f4-representable)
	}{
		{"v1_f8", encodeNPY(1, "<f8", npyHeaderFor("<f8", 2, 3), vals), 2, 3, true},
		{"v2_f8", encodeNPY(2, "<f8", npyHeaderFor("<f8", 3, 2), vals), 3, 2, true},
		{"v1_f4", encodeNPY(1, "<f4", npyHeaderFor("<f4", 6, 1), vals), 6, 1, false},
		{"keys_reordered_no_trailing_comma",
			encodeNPY(1, "<f8", "{'shape': (1, 6), 'fortran_order': False, 'descr': '<f8'}", vals), 1, 6, true},
		{"double_quotes_and_spaces",
			encodeNPY(1, "<f8", `{ "descr" : "<f8" , "fortran_order" : False , "shape" : ( 2 , 3 , ) , }`, vals), 2, 3, true},
		{"empty", encodeNPY(1, "<f8", npyHeaderFor("<f8", 0, 3), nil), 0, 3, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data, r, cols, err := ParseNPY(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if r != c.r || cols != c.c || len(data) != r*cols {
				t.Fatalf("shape (%d, %d) with %d values, want (%d, %d)", r, cols, len(data), c.r, c.c)
			}
			for i, v := range data {
				want := vals[i]
				if !c.exactF {
					want = float64(float32(want))
				}
				if v != want {
					t.Errorf("value %d = %v, want %v", i, v, want)
				}
			}
		})
	}
}

func TestParseNPYRejects(t *testing.T) {
	good := encodeNPY(1, "<f8", npyHeaderFor("<f8", 2, 3), []float64{1, 2, 3, 4, 5, 6})
	withHeader := func(h string) []byte { return encodeNPY(1, "<f8", h, []float64{1, 2, 3, 4, 5, 6}) }
	version := func(major, minor byte) []byte {
		b := append([]byte(nil), good...)
		b[6], b[7] = major, minor
		return b
	}
	cases := []struct {
		name    string
		file    []byte
		wantErr string
	}{
		{"empty", nil, "magic"},
		{"bad_magic", append([]byte("\x93NUMPX"), good[6:]...), "magic"},
		{"version_3", version(3, 0), "version"},
		{"version_1_1", version(1, 1), "version"},
		{"truncated_preamble", good[:9], "magic"},
		{"truncated_header", good[:40], "truncated header"},
		{"truncated_data", good[:len(good)-1], "bytes follow"},
		{"extra_data", append(append([]byte(nil), good...), 0), "bytes follow"},
		{"big_endian", withHeader(npyHeaderFor(">f8", 2, 3)), "dtype"},
		{"int_dtype", withHeader(npyHeaderFor("<i8", 2, 3)), "dtype"},
		{"fortran", withHeader("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }"), "Fortran"},
		{"one_dimension", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }"), "dimensions"},
		{"three_dimensions", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }"), "dimensions"},
		{"missing_key", withHeader("{'descr': '<f8', 'shape': (2, 3), }"), "missing key"},
		{"duplicate_key", withHeader("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}"), "duplicate"},
		{"unknown_key", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}"), "unknown key"},
		{"negative_dim", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-2, 3), }"), "shape tuple"},
		{"huge_dim", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999, 3), }"), "shape tuple"},
		{"overflowing_product", withHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647), }"), "bytes follow"},
		{"unterminated_string", withHeader("{'descr: '<f8'}"), "malformed"},
		{"not_a_dict", withHeader("['descr', '<f8']"), "malformed"},
		{"trailing_garbage", withHeader(npyHeaderFor("<f8", 2, 3) + " x"), "trailing"},
		{"bad_bool", withHeader("{'descr': '<f8', 'fortran_order': false, 'shape': (2, 3), }"), "True or False"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, _, err := ParseNPY(c.file)
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
			}
		})
	}
}

// TestParseNPYShippedFiles parses the four reference files as shipped: the
// README's header, shape and float32 payload.
func TestParseNPYShippedFiles(t *testing.T) {
	for _, c := range []struct {
		file string
		cols int
	}{
		{"test_split_DW4.npy", 8}, {"val_split_DW4.npy", 8},
		{"test_split_LJ13-1000.npy", 39}, {"val_split_LJ13-1000.npy", 39},
	} {
		t.Run(c.file, func(t *testing.T) {
			raw, err := defaultReferenceLoader(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(raw[:128], []byte("'descr': '<f4'")) || raw[127] != '\n' {
				t.Fatalf("unexpected header %q", raw[:128])
			}
			data, r, cols, err := ParseNPY(raw)
			if err != nil {
				t.Fatal(err)
			}
			if r != 10000 || cols != c.cols || len(data) != r*cols {
				t.Fatalf("shape (%d, %d)", r, cols)
			}
			// The first value decoded independently of ParseNPY.
			if want := float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[128:]))); data[0] != want {
				t.Errorf("first value %v, want %v", data[0], want)
			}
		})
	}
}

// FuzzParseNPY checks that no input makes ParseNPY panic and that whatever
// it accepts is self-consistent.
func FuzzParseNPY(f *testing.F) {
	f.Add(encodeNPY(1, "<f8", npyHeaderFor("<f8", 2, 3), []float64{1, 2, 3, 4, 5, 6}))
	f.Add(encodeNPY(2, "<f4", npyHeaderFor("<f4", 1, 2), []float64{1, 2}))
	f.Add(encodeNPY(1, "<f4", npyHeaderFor("<f4", 0, 0), nil))
	f.Add([]byte("\x93NUMPY\x01\x00\xff\xff{"))
	f.Add([]byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		data, r, c, err := ParseNPY(b)
		if err != nil {
			if data != nil {
				t.Fatal("data returned with an error")
			}
			return
		}
		if r < 0 || c < 0 || len(data) != r*c {
			t.Fatalf("accepted shape (%d, %d) with %d values", r, c, len(data))
		}
	})
}

func TestReferenceLoader(t *testing.T) {
	t.Cleanup(func() { SetReferenceLoader(nil) })
	// Two DW-4 rows, each shifted by (1, −2): centring must remove the shift.
	rows := []float64{
		0 + 1, 0 - 2, 1 + 1, 0 - 2, 0 + 1, 1 - 2, 1 + 1, 1 - 2,
		2, 2, 3, 2, 2, 3, 3, 3,
	}
	var calls []string
	SetReferenceLoader(func(file string) ([]byte, error) {
		calls = append(calls, file)
		switch file {
		case "test_split_DW4.npy":
			return encodeNPY(1, "<f8", npyHeaderFor("<f8", 2, 8), rows), nil
		case "val_split_DW4.npy":
			return encodeNPY(1, "<f8", npyHeaderFor("<f8", 1, 6), rows[:6]), nil // wrong width
		case "test_split_LJ13-1000.npy":
			v := make([]float64, 39)
			v[4] = math.NaN()
			return encodeNPY(1, "<f8", npyHeaderFor("<f8", 1, 39), v), nil
		}
		return nil, errors.New("offline")
	})
	dw := NewDW4()
	got, err := dw.Reference("test")
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{-0.5, -0.5, 0.5, -0.5, -0.5, 0.5, 0.5, 0.5}
	for i := range got {
		if math.Abs(got[i]-want[i%8]) > 1e-15 {
			t.Fatalf("centred reference %v, want rows of %v", got, want)
		}
	}
	if _, err := dw.Reference("test"); err != nil || len(calls) != 1 {
		t.Fatalf("second call: err %v, loader calls %v (want the cached set)", err, calls)
	}
	if _, err := dw.Reference("val"); err == nil || !strings.Contains(err.Error(), "shape") {
		t.Errorf("wrong width: err = %v", err)
	}
	lj, _ := NewLJ(13)
	if _, err := lj.Reference("test"); err == nil || !strings.Contains(err.Error(), "not finite") {
		t.Errorf("NaN in the data: err = %v", err)
	}
	if _, err := lj.Reference("val"); err == nil || !strings.Contains(err.Error(), "offline") {
		t.Errorf("loader failure: err = %v", err)
	}
	n := len(calls)
	if _, err := lj.Reference("val"); err == nil || len(calls) != n+1 {
		t.Errorf("a failed load must be retried: err %v, calls %v", err, calls)
	}
	SetReferenceLoader(nil) // back to the shipped files, cache cleared
	if ref, err := dw.Reference("test"); err != nil || len(ref) != 10000*8 {
		t.Fatalf("default loader: %d values, err %v", len(ref), err)
	}
}
