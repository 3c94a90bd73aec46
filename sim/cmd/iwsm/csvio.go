package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// maxCSVRows caps the samples read from one CSV file.
const maxCSVRows = 10_000_000

// writeCSV writes samples x (n×d) as CSV: a header x0,x1,...,x{d−1}, then
// one row per sample with every value in the shortest form that parses back
// to the same float64 (strconv 'g', −1).
func writeCSV(w io.Writer, x []float64, d int) error {
	if d < 1 || len(x)%d != 0 {
		return fmt.Errorf("writing CSV: %d values are not rows of %d", len(x), d)
	}
	bw := bufio.NewWriter(w)
	for j := range d {
		if j > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("x" + strconv.Itoa(j))
	}
	bw.WriteByte('\n')
	var buf []byte
	for i := 0; i < len(x); i += d {
		buf = buf[:0]
		for j, v := range x[i : i+d] {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
		}
		buf = append(buf, '\n')
		bw.Write(buf)
	}
	return bw.Flush()
}

// readCSV reads samples written by writeCSV (or any CSV of numbers with an
// optional header row) and checks that every row has d finite numbers. An
// error names the line and column of the first problem.
func readCSV(r io.Reader, d int) ([]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	cr.Comment = '#'
	var x []float64
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("line %d: %v", pe.Line, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != d {
			return nil, fmt.Errorf("line %d: %d %s, want %d (the target's dimension)", line, len(rec), plural(len(rec), "column"), d)
		}
		if first {
			first = false
			if isHeader(rec) {
				continue
			}
		}
		if len(x)/d >= maxCSVRows {
			return nil, fmt.Errorf("line %d: more than %d rows", line, maxCSVRows)
		}
		for j, f := range rec {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("line %d, column %d: %q is not a finite number", line, j+1, f)
			}
			x = append(x, v)
		}
	}
	if len(x) == 0 {
		return nil, errors.New("no samples")
	}
	return x, nil
}

// isHeader reports whether a first row is a header: no field is a number.
func isHeader(rec []string) bool {
	for _, f := range rec {
		if _, err := strconv.ParseFloat(strings.TrimSpace(f), 64); err == nil {
			return false
		}
	}
	return true
}

// readCSVFile reads a samples file; every problem is a usage error naming
// the file.
func readCSVFile(path string, d int) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, asUsage(err)
	}
	defer f.Close()
	x, err := readCSV(f, d)
	if err != nil {
		return nil, usageErr("%s: %v", path, err)
	}
	return x, nil
}

// checkWritable verifies early, before a long run, that a file can be
// created at path (the empty path is fine: nothing will be written).
func checkWritable(path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return usageErr("%s is a directory", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".iwsm-check-*")
	if err != nil {
		return usageErr("cannot write %s: %v", path, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// writeFileAtomic writes a file through a temporary file in the same
// directory and renames it into place, so that an interrupted write never
// leaves a truncated file under the final name.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	bw := bufio.NewWriter(f)
	err = f.Chmod(0o644)
	if err == nil {
		err = write(bw)
	}
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// plural returns word with an s unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
