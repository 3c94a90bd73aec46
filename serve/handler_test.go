package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// secretContent is written just outside the served root (and into dot-files
// inside it); no response may ever contain it.
const secretContent = "TOP-SECRET-7f3a9c"

// testTree builds a served root with one file per content type, a gzip
// sibling for app.wasm, directories with and without index.html, dot-files and
// symlinks pointing inside and outside, next to a secret file outside the
// root. It returns the root and the raw app.wasm bytes.
func testTree(t *testing.T) (root string, wasm []byte) {
	t.Helper()
	base := t.TempDir()
	root = filepath.Join(base, "root")
	wasm = bytes.Repeat([]byte("\x00asm\x01\x00\x00\x00 fake module "), 4000)
	files := map[string][]byte{
		"../secret.txt":   []byte(secretContent),
		"index.html":      []byte("<!doctype html><title>root index</title>"),
		"app.html":        []byte("<!doctype html><title>app</title>"),
		"app.wasm":        wasm,
		"app.wasm.gz":     gzipBytes(t, wasm),
		"worker.js":       []byte("// worker"),
		"wasm_exec.js":    []byte("// wasm_exec"),
		"loader.js":       []byte("// loader"),
		"article.js":      []byte("// article"),
		"style.css":       []byte("body{}"),
		"article.css":     []byte("main{}"),
		"data.json":       []byte(`{"a":1}`),
		"means.npy":       []byte("\x93NUMPY"),
		"gmm40.ckpt":      []byte("ckpt"),
		"shot.png":        []byte("\x89PNG\r\n\x1a\n"),
		"README":          []byte("no extension"),
		"sub/file.txt":    []byte("plain file in sub"),
		"site/index.html": []byte("<!doctype html><title>site index</title>"),
		".env":            []byte(secretContent),
		".git/config":     []byte(secretContent),
		"sub/.hidden":     []byte(secretContent),
	}
	for name, data := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"link-out":     "../secret.txt",                   // file outside
		"link-abs":     filepath.Join(base, "secret.txt"), // absolute, outside
		"linkdir":      "..",                              // directory outside
		"link-in":      "index.html",                      // inside: allowed
		"link-dot":     ".env",                            // inside but a dot-file
		"sub/link-up2": "../../secret.txt",                // outside from a subfolder
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(root, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	return root, wasm
}

// gzipBytes compresses data as make build does (gzip -9).
func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return gz.Bytes()
}

// serveRecorded runs one request through a fresh handler for root.
func serveRecorded(t *testing.T, root string, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	h, err := newHandler(root)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestContentTypesAndHeaders(t *testing.T) {
	root, _ := testTree(t)
	tests := []struct {
		path, ctype string
	}{
		{"/index.html", "text/html; charset=utf-8"},
		{"/app.html", "text/html; charset=utf-8"},
		{"/app.wasm", "application/wasm"},
		{"/worker.js", "text/javascript; charset=utf-8"},
		{"/wasm_exec.js", "text/javascript; charset=utf-8"},
		{"/loader.js", "text/javascript; charset=utf-8"},
		{"/article.js", "text/javascript; charset=utf-8"},
		{"/style.css", "text/css; charset=utf-8"},
		{"/article.css", "text/css; charset=utf-8"},
		{"/data.json", "application/json"},
		{"/shot.png", "image/png"},
		{"/means.npy", "application/octet-stream"},
		{"/gmm40.ckpt", "application/octet-stream"},
		{"/app.wasm.gz", "application/gzip"},
		{"/README", "application/octet-stream"},
		{"/sub/file.txt", "text/plain; charset=utf-8"},
		{"/link-in", "application/octet-stream"}, // typed by the requested name
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := serveRecorded(t, root, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, want 200", rec.Code)
			}
			want, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(tc.path[1:])))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body differs from the file (%d bytes, want %d)", rec.Body.Len(), len(want))
			}
			h := rec.Header()
			checks := map[string]string{
				"Content-Type":            tc.ctype,
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": contentSecurityPolicy,
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-cache",
				"Content-Length":          strconv.Itoa(len(want)),
			}
			for k, v := range checks {
				if got := h.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if h.Get("ETag") == "" || h.Get("Last-Modified") == "" {
				t.Errorf("missing validators: ETag %q, Last-Modified %q", h.Get("ETag"), h.Get("Last-Modified"))
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	csp := contentSecurityPolicy
	directives := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if _, dup := directives[name]; dup {
			t.Errorf("CSP repeats %s (browsers ignore the repeat): %s", name, csp)
		}
		directives[name] = value
	}
	// Every directive the bundle relies on, with exactly the sources it needs:
	// the article (index.html) frames the app (app.html), the app may start a
	// same-origin Web Worker (worker.js), and nothing else may frame either.
	want := map[string]string{
		"default-src":     "'none'",
		"script-src":      "'self' 'wasm-unsafe-eval'",
		"worker-src":      "'self'",
		"connect-src":     "'self'",
		"img-src":         "'self' blob: data:",
		"style-src":       "'self'",
		"font-src":        "'self'",
		"frame-src":       "'self'",
		"frame-ancestors": "'self'",
		"base-uri":        "'none'",
		"form-action":     "'none'",
	}
	for name, value := range want {
		if got, ok := directives[name]; !ok {
			t.Errorf("CSP lacks %s: %s", name, csp)
		} else if got != value {
			t.Errorf("CSP %s = %q, want %q", name, got, value)
		}
	}
	for name := range directives {
		if _, ok := want[name]; !ok {
			t.Errorf("CSP has unexpected directive %s: %s", name, csp)
		}
	}
	// No other origin, no inline script, no eval of strings.
	for _, mustNot := range []string{"http:", "https:", "*", "'unsafe-inline'", "'unsafe-eval'"} {
		if strings.Contains(csp, mustNot) {
			t.Errorf("CSP allows %q: %s", mustNot, csp)
		}
	}
}

func TestGzipSibling(t *testing.T) {
	root, wasm := testTree(t)
	tests := []struct {
		name, accept string
		gzip         bool
	}{
		{"plain gzip", "gzip", true},
		{"browser list", "gzip, deflate, br, zstd", true},
		{"upper case", "GZIP", true},
		{"x-gzip", "x-gzip", true},
		{"star", "*", true},
		{"q half", "br;q=1.0, gzip;q=0.5", true},
		{"none", "", false},
		{"identity", "identity", false},
		{"gzip refused", "gzip;q=0", false},
		{"star but not gzip", "*, gzip;q=0", false},
		{"star refused", "*;q=0", false},
		{"br only", "br", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/app.wasm", nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Encoding", tc.accept)
			}
			rec := serveRecorded(t, root, req)
			h := rec.Header()
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d", rec.Code)
			}
			if got := h.Get("Content-Type"); got != "application/wasm" {
				t.Errorf("Content-Type %q, want application/wasm", got)
			}
			if got := h.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("Vary %q, want Accept-Encoding", got)
			}
			body := rec.Body.Bytes()
			if tc.gzip {
				if h.Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q, want gzip", h.Get("Content-Encoding"))
				}
				if got := h.Get("X-Uncompressed-Length"); got != strconv.Itoa(len(wasm)) {
					t.Errorf("X-Uncompressed-Length %q, want %d", got, len(wasm))
				}
				if got := h.Get("Content-Length"); got != strconv.Itoa(len(body)) {
					t.Errorf("Content-Length %q, want the compressed size %d", got, len(body))
				}
				if len(body) >= len(wasm) {
					t.Errorf("gzip body is %d bytes, not smaller than %d", len(body), len(wasm))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			} else if h.Get("Content-Encoding") != "" {
				t.Fatalf("Content-Encoding %q, want none", h.Get("Content-Encoding"))
			}
			if !bytes.Equal(body, wasm) {
				t.Error("decoded body differs from app.wasm")
			}
		})
	}
	t.Run("no sibling no vary", func(t *testing.T) {
		req := httptest.NewRequest("GET", "/index.html", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := serveRecorded(t, root, req)
		if v, ce := rec.Header().Get("Vary"), rec.Header().Get("Content-Encoding"); v != "" || ce != "" {
			t.Errorf("Vary %q, Content-Encoding %q for a file without .gz sibling", v, ce)
		}
	})
	t.Run("distinct etags", func(t *testing.T) {
		plain := serveRecorded(t, root, httptest.NewRequest("GET", "/app.wasm", nil))
		req := httptest.NewRequest("GET", "/app.wasm", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		gz := serveRecorded(t, root, req)
		if plain.Header().Get("ETag") == gz.Header().Get("ETag") {
			t.Errorf("identity and gzip variants share ETag %s", gz.Header().Get("ETag"))
		}
	})
}

func TestConditionalAndRange(t *testing.T) {
	root, wasm := testTree(t)
	first := serveRecorded(t, root, httptest.NewRequest("GET", "/app.wasm", nil))
	etag, lastMod := first.Header().Get("ETag"), first.Header().Get("Last-Modified")

	req := httptest.NewRequest("GET", "/app.wasm", nil)
	req.Header.Set("If-None-Match", etag)
	if rec := serveRecorded(t, root, req); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match: status %d with %d bytes, want 304 empty", rec.Code, rec.Body.Len())
	} else if rec.Header().Get("Vary") != "Accept-Encoding" {
		t.Errorf("304 lacks Vary: %v", rec.Header())
	}

	req = httptest.NewRequest("GET", "/app.wasm", nil)
	req.Header.Set("If-Modified-Since", lastMod)
	if rec := serveRecorded(t, root, req); rec.Code != http.StatusNotModified {
		t.Errorf("If-Modified-Since: status %d, want 304", rec.Code)
	}

	req = httptest.NewRequest("GET", "/app.wasm", nil)
	req.Header.Set("Range", "bytes=0-3")
	if rec := serveRecorded(t, root, req); rec.Code != http.StatusPartialContent || !bytes.Equal(rec.Body.Bytes(), wasm[:4]) {
		t.Errorf("Range: status %d body %q, want 206 %q", rec.Code, rec.Body.Bytes(), wasm[:4])
	}

	rec := serveRecorded(t, root, httptest.NewRequest("HEAD", "/app.wasm", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(len(wasm)) {
		t.Errorf("HEAD: status %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
	}
}

func TestMethodNotAllowed(t *testing.T) {
	root, _ := testTree(t)
	for _, m := range []string{"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT", "PROPFIND"} {
		t.Run(m, func(t *testing.T) {
			rec := serveRecorded(t, root, httptest.NewRequest(m, "/index.html", strings.NewReader("x=1")))
			if rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("status %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
				t.Errorf("Allow %q, want %q", got, "GET, HEAD")
			}
			if strings.Contains(rec.Body.String(), "root index") {
				t.Error("405 response carries the file")
			}
		})
	}
}

func TestDirectories(t *testing.T) {
	root, _ := testTree(t)
	tests := []struct {
		path     string
		status   int
		contains string // body substring, or Location for redirects
	}{
		{"/", 200, "root index"},
		{"/site/", 200, "site index"},
		{"/site", 301, "/site/"},
		{"/site?x=1", 301, "/site/?x=1"},
		{"/sub/", 404, ""}, // no index.html: no listing
		{"/sub", 404, ""},
		{"/index.html/", 404, ""},
		{"/app.wasm/", 404, ""},
		{"/missing.js", 404, ""},
		{"/link-in", 200, "root index"}, // symlink inside the root is fine
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			rec := serveRecorded(t, root, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			body := rec.Body.String()
			switch {
			case tc.status == 301:
				if loc := rec.Header().Get("Location"); loc != tc.contains {
					t.Errorf("Location %q, want %q", loc, tc.contains)
				}
			case !strings.Contains(body, tc.contains):
				t.Errorf("body %q lacks %q", body, tc.contains)
			}
			if strings.Contains(body, "file.txt") {
				t.Errorf("directory listed: %q", body)
			}
			if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Error("nosniff missing")
			}
		})
	}
}

// rawGet sends requestURI verbatim over a real connection (Go's client
// would clean or re-encode it) and returns the status and body.
func rawGet(t *testing.T, addr, requestURI string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET "+requestURI+" HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading response to %q: %v", requestURI, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHostilePaths(t *testing.T) {
	root, _ := testTree(t)
	h, err := newHandler(root)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	abs := filepath.ToSlash(filepath.Join(filepath.Dir(root), "secret.txt"))

	tests := []struct {
		name, uri string
	}{
		{"dotdot", "/../secret.txt"},
		{"dotdot deep", "/sub/../../secret.txt"},
		{"dotdot after file", "/index.html/../../secret.txt"},
		{"dot then dotdot", "/./../secret.txt"},
		{"encoded dots", "/%2e%2e/secret.txt"},
		{"encoded dots upper", "/%2E%2E/secret.txt"},
		{"half encoded dots", "/.%2e/secret.txt"},
		{"encoded slash", "/..%2fsecret.txt"},
		{"encoded slash upper", "/%2E%2E%2Fsecret.txt"},
		{"encoded slash in sub", "/sub%2f..%2f..%2fsecret.txt"},
		{"backslash", `/..\secret.txt`},
		{"encoded backslash", "/..%5csecret.txt"},
		{"encoded backslashes", "/%5c..%5csecret.txt"},
		{"encoded NUL", "/secret.txt%00.html"},
		{"encoded NUL in index", "/index.html%00"},
		{"raw NUL", "/secret.txt\x00.html"},
		{"double slash", "//secret.txt"},
		{"double slash inside", "/sub//file.txt"},
		{"absolute path", "/" + abs},
		{"absolute-form URI", "http://example.test/../secret.txt"},
		{"double encoding", "/%252e%252e/secret.txt"},
		{"overlong utf8 dot", "/%c0%ae%c0%ae/secret.txt"},
		{"dot-dot-semicolon", "/..;/secret.txt"},
		{"symlink to outside file", "/link-out"},
		{"absolute symlink", "/link-abs"},
		{"symlinked dir outside", "/linkdir/secret.txt"},
		{"symlinked dir listing", "/linkdir/"},
		{"symlink up from sub", "/sub/link-up2"},
		{"symlink to dot-file", "/link-dot"},
		{"dot-file", "/.env"},
		{"dot-dir", "/.git/config"},
		{"encoded dot-file", "/%2eenv"},
		{"nested dot-file", "/sub/.hidden"},
		{"control char", "/index.html%01"},
	}
	// Control: the same raw client does get a file that is allowed.
	if status, body := rawGet(t, addr, "/index.html"); status != http.StatusOK || !strings.Contains(body, "root index") {
		t.Fatalf("control request: status %d body %q", status, body)
	}
	if len(tests) < 15 {
		t.Fatalf("only %d hostile paths", len(tests))
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawGet(t, addr, tc.uri)
			t.Logf("%-28q -> %d", tc.uri, status)
			if status != http.StatusBadRequest && status != http.StatusNotFound {
				t.Errorf("%q: status %d, want 400 or 404", tc.uri, status)
			}
			if strings.Contains(body, secretContent) {
				t.Errorf("%q: response leaks the secret", tc.uri)
			}
		})
	}
}

func TestSecurityHeadersOnErrors(t *testing.T) {
	root, _ := testTree(t)
	for _, p := range []string{"/missing", "/../x", "/.env"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = p // set after parsing, so the dot segments stay
		rec := serveRecorded(t, root, req)
		if rec.Code < 400 {
			t.Errorf("%s: status %d", p, rec.Code)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Content-Security-Policy") == "" {
			t.Errorf("%s: security headers missing on error: %v", p, rec.Header())
		}
	}
}

func TestNewHandlerErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing"), file} {
		if _, err := newHandler(p); err == nil {
			t.Errorf("newHandler(%q) succeeded", p)
		}
	}
	if _, err := newHandler(dir); err != nil {
		t.Errorf("newHandler(%q): %v", dir, err)
	}
}

func TestRequestPath(t *testing.T) {
	tests := []struct {
		path   string
		rel    string
		dir    bool
		status int
	}{
		{"/", "", true, 0},
		{"/app.wasm", "app.wasm", false, 0},
		{"/a/b/", "a/b", true, 0},
		{"/a..b", "a..b", false, 0}, // dots inside a name are fine
		{"/a//b", "", false, 400},
		{"/a/./b", "", false, 400},
		{"/a/../b", "", false, 400},
		{"/.x", "", false, 404},
		{"/a\\b", "", false, 400},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = tc.path
		rel, dir, status := requestPath(req)
		if rel != tc.rel || dir != tc.dir || status != tc.status {
			t.Errorf("requestPath(%q) = %q, %v, %d; want %q, %v, %d", tc.path, rel, dir, status, tc.rel, tc.dir, tc.status)
		}
	}
}
