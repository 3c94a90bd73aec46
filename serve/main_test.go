package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startupLine is the format of run's first stdout line.
var startupLine = regexp.MustCompile(`^serving (\S+) on (http://127\.0\.0\.1:([0-9]+)/)$`)

// startRun runs run in-process on port 0 and returns the URL from its first
// line and a channel that yields its exit status.
func startRun(t *testing.T, ctx context.Context, dir string) (string, <-chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		code := run(ctx, []string{"-addr", "127.0.0.1:0", "-dir", dir}, pw, &stderr)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line (stderr %q): %v", stderr.String(), err)
	}
	go io.Copy(io.Discard, pr)
	m := startupLine.FindStringSubmatch(strings.TrimSuffix(line, "\n"))
	if m == nil {
		t.Fatalf("startup line %q does not match %v", line, startupLine)
	}
	if m[1] != dir {
		t.Errorf("startup line names %q, want %q", m[1], dir)
	}
	if m[3] == "0" {
		t.Errorf("startup line shows port 0, not the bound port: %q", line)
	}
	return m[2], done
}

func TestRunServesAndShutsDown(t *testing.T) {
	root, _ := testTree(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB: more than the socket buffers hold
	if err := os.WriteFile(filepath.Join(root, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url, done := startRun(t, ctx, root)

	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "root index") {
		t.Fatalf("GET %s: %d %q", url, resp.StatusCode, body)
	}

	// Start a large download, read a little, then ask for shutdown: the
	// server must finish the response before it returns.
	resp, err = client.Get(url + "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	head := make([]byte, 1024)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}
	cancel()
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("in-flight download cut by shutdown: %v", err)
	}
	if got := len(head) + len(rest); got != len(big) {
		t.Fatalf("in-flight download got %d bytes, want %d", got, len(big))
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("run returned %d after shutdown, want 0", code)
		}
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("run did not return after its context was cancelled")
	}
	if _, err := client.Get(url); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestRunBadInvocations(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"unknown flag", []string{"-port", "80"}, 2},
		{"missing dir", []string{"-dir", filepath.Join(dir, "nope")}, 2},
		{"dir is a file", []string{"-dir", "main.go"}, 2},
		{"positional", []string{"-dir", dir, "extra"}, 2},
		{"addr without port", []string{"-dir", dir, "-addr", "localhost"}, 2},
		{"flag without value", []string{"-dir"}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			msg := stderr.String()
			if !strings.HasPrefix(msg, "serve: ") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr should be one line starting with \"serve: \", got %q", msg)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout not empty: %q", stdout.String())
			}
		})
	}
	t.Run("help", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 {
			t.Errorf("-h exit %d, want 0", code)
		}
		if !strings.Contains(stderr.String(), "-addr") || !strings.Contains(stderr.String(), "-dir") {
			t.Errorf("usage lacks the flags: %q", stderr.String())
		}
	})
}

func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-addr", ln.Addr().String(), "-dir", t.TempDir()}, &stdout, &stderr)
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, one line", code, stdout.String(), stderr.String())
	}
}

func TestDisplayURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"0.0.0.0:80", "http://localhost:80/"},
		{"[::]:8080", "http://localhost:8080/"},
		{"[::1]:9000", "http://[::1]:9000/"},
	}
	for _, tc := range tests {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := displayURL(a); got != tc.want {
			t.Errorf("displayURL(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

func TestNewServerTimeouts(t *testing.T) {
	s := newServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Errorf("unset timeouts: header %v read %v write %v idle %v", s.ReadHeaderTimeout, s.ReadTimeout, s.WriteTimeout, s.IdleTimeout)
	}
	// A client that never finishes its headers is cut off.
	s.ReadHeaderTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n") // no final blank line
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	io.ReadAll(conn) // returns when the server closes the connection
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("slow header client held the connection for %v", d)
	}
}

// TestSignalShutdown runs the real binary and stops it with SIGINT and
// SIGTERM: main must turn either into a clean shutdown with exit status 0.
func TestSignalShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server binary")
	}
	bin := filepath.Join(t.TempDir(), "serve")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	root, _ := testTree(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-dir", root)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			line, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				t.Fatalf("no startup line: %v (stderr %q)", err, stderr.String())
			}
			m := startupLine.FindStringSubmatch(strings.TrimSpace(line))
			if m == nil {
				t.Fatalf("startup line %q", line)
			}
			resp, err := http.Get(m[2] + "app.wasm")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" {
				t.Fatalf("GET app.wasm: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("exit after %v: %v (stderr %q)", sig, err, stderr.String())
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("still running 15 s after %v", sig)
			}
		})
	}
}
