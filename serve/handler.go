package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// contentSecurityPolicy allows exactly what the bundle needs and nothing from
// another origin: its own scripts (app.html loads wasm_exec.js and
// loader.js, index.html loads article.js, no inline script), compiling
// WebAssembly ('wasm-unsafe-eval', without which WebAssembly.instantiate is
// refused), fetching app.wasm and data files from the same origin, its own
// stylesheets (Ebiten styles its canvas through the CSSOM, which style-src
// does not restrict, so no 'unsafe-inline'), blob:/data: images so the app
// can export a PNG, a same-origin Web Worker (worker.js, which runs the
// page's compiled app.wasm, or fetches and compiles it under this same
// policy), and same-origin frames both
// ways: the companion article (index.html) embeds the app (app.html) in an
// iframe, and no other site may frame either page.
const contentSecurityPolicy = "default-src 'none'; " +
	"script-src 'self' 'wasm-unsafe-eval'; " +
	"worker-src 'self'; " +
	"connect-src 'self'; " +
	"img-src 'self' blob: data:; " +
	"style-src 'self'; " +
	"font-src 'self'; " +
	"frame-src 'self'; " +
	"base-uri 'none'; " +
	"form-action 'none'; " +
	"frame-ancestors 'self'"

// cacheControl is sent with every file. The bundle's names are not
// content-hashed (app.wasm is always app.wasm), and app.wasm only works with
// the wasm_exec.js of the Go that built it, so any max-age could pair a
// fresh file with a stale one after a rebuild. "no-cache" lets the browser
// keep everything but revalidate it; each response carries ETag and
// Last-Modified, so an unchanged file costs one 304 without a body.
const cacheControl = "no-cache"

// contentTypes maps the extensions the bundle uses to their media types. Any
// other extension is served as application/octet-stream: with nosniff the
// browser then never guesses a type from the content.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".mjs":  "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".wasm": "application/wasm",
	".json": "application/json",
	".png":  "image/png",
	".svg":  "image/svg+xml",
	".ico":  "image/x-icon",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".gz":   "application/gzip",
	".npy":  "application/octet-stream",
	".ckpt": "application/octet-stream",
}

// contentType returns the media type for a file name by its extension.
func contentType(name string) string {
	if t, ok := contentTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}

// fileHandler serves the regular files below root; see newHandler.
type fileHandler struct {
	root string // absolute, symlinks resolved
}

// newHandler returns a handler that serves the static files below root.
// It answers GET and HEAD only; it serves X.gz in place of X to clients that
// accept gzip; it never lists a directory (a directory URL serves its
// index.html or 404), never serves a dot-file, and never serves anything that
// is not below root after symlinks are resolved. Malformed paths (dot
// segments, encoded separators, backslashes, NUL, empty segments) get 400.
func newHandler(root string) (http.Handler, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("directory %s does not exist", root)
		}
		return nil, err
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", root)
	}
	return &fileHandler{root: real}, nil
}

// ServeHTTP implements http.Handler.
func (h *fileHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("Referrer-Policy", "no-referrer")

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel, wantDir, status := requestPath(r)
	if status != 0 {
		http.Error(w, strconv.Itoa(status)+" "+strings.ToLower(http.StatusText(status)), status)
		return
	}
	real, fi, ok := h.resolve(rel)
	if !ok {
		http.NotFound(w, r)
		return
	}
	if fi.IsDir() {
		index := path.Join(rel, "index.html")
		ireal, ifi, ok := h.resolve(index)
		if !ok || !ifi.Mode().IsRegular() {
			http.NotFound(w, r)
			return
		}
		if !wantDir {
			// The page's relative URLs only resolve below the directory when
			// its URL ends in a slash. The path was validated above, so the
			// location stays on this host.
			target := path.Base(r.URL.Path) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusMovedPermanently)
			return
		}
		rel, real, fi = index, ireal, ifi
	} else if wantDir {
		http.NotFound(w, r) // "/app.wasm/" names no directory
		return
	}
	if !fi.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, rel, real, fi)
}

// serveFile sends the file rel (already resolved to real), or its gzip
// sibling to clients that accept gzip.
func (h *fileHandler) serveFile(w http.ResponseWriter, r *http.Request, rel, real string, fi fs.FileInfo) {
	hdr := w.Header()
	ctype := contentType(rel)
	if !strings.HasSuffix(strings.ToLower(rel), ".gz") {
		if gzReal, gzFi, ok := h.resolve(rel + ".gz"); ok && gzFi.Mode().IsRegular() {
			// The response depends on Accept-Encoding whichever variant is sent.
			hdr.Add("Vary", "Accept-Encoding")
			if acceptsGzip(r.Header.Values("Accept-Encoding")) {
				hdr.Set("Content-Encoding", "gzip")
				// Content-Length is the compressed size while a browser's
				// fetch stream yields decompressed bytes: tell the loader the
				// decompressed size so it can show a true progress bar.
				hdr.Set("X-Uncompressed-Length", strconv.FormatInt(fi.Size(), 10))
				real, fi = gzReal, gzFi
			}
		}
	}
	f, err := os.Open(real)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	if hdr.Get("Content-Encoding") != "" && r.Header.Get("Range") == "" {
		// ServeContent leaves Content-Length out when Content-Encoding is
		// set. Here the file is the encoded body, so a whole-file response
		// has exactly its size; 304 and error responses drop the header.
		hdr.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	}
	hdr.Set("Content-Type", ctype)
	hdr.Set("Cache-Control", cacheControl)
	// A strong validator per stored representation: the gzip variant is a
	// different file, so it gets a different ETag.
	hdr.Set("ETag", fmt.Sprintf(`"%x-%x"`, fi.ModTime().UnixNano(), fi.Size()))
	http.ServeContent(w, r, rel, fi.ModTime(), f)
}

// resolve maps the slash-separated relative path rel to a file below the
// root. It resolves symlinks and reports false when the target does not exist,
// lies outside the root, or is (or lies inside) a dot-file.
func (h *fileHandler) resolve(rel string) (string, fs.FileInfo, bool) {
	full := filepath.Join(h.root, filepath.FromSlash(rel))
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return "", nil, false
	}
	inside, err := filepath.Rel(h.root, real)
	if err != nil || filepath.IsAbs(inside) {
		return "", nil, false
	}
	if inside != "." {
		for _, seg := range strings.Split(filepath.ToSlash(inside), "/") {
			if strings.HasPrefix(seg, ".") { // "..": outside; ".x": a dot-file
				return "", nil, false
			}
		}
	}
	fi, err := os.Stat(real)
	if err != nil {
		return "", nil, false
	}
	return real, fi, true
}

// requestPath validates the request's URL path. It returns the path relative
// to the root without its leading slash, whether it ended in a slash (names a
// directory), and a non-zero HTTP status when the path must be refused:
// 400 for malformed paths, 404 for dot-files.
func requestPath(r *http.Request) (rel string, dir bool, status int) {
	raw := strings.ToLower(r.URL.EscapedPath())
	// Encoded separators and NUL never occur in the bundle's names; decoding
	// them would let a segment smuggle a "/" or "\" past the checks below.
	for _, bad := range []string{"%2f", "%5c", "%00"} {
		if strings.Contains(raw, bad) {
			return "", false, http.StatusBadRequest
		}
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") || !utf8.ValidString(p) {
		return "", false, http.StatusBadRequest
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "", false, http.StatusBadRequest
		}
	}
	segs := strings.Split(p[1:], "/")
	last := len(segs) - 1
	for i, seg := range segs {
		switch {
		case seg == "" && i < last:
			return "", false, http.StatusBadRequest // "//": an absolute path or a sloppy join
		case seg == "." || seg == "..":
			return "", false, http.StatusBadRequest
		case strings.HasPrefix(seg, "."):
			return "", false, http.StatusNotFound // dot-files are never served
		}
	}
	dir = segs[last] == ""
	if dir {
		segs = segs[:last]
	}
	return strings.Join(segs, "/"), dir, 0
}

// acceptsGzip reports whether Accept-Encoding header values allow gzip: the
// gzip (or x-gzip) coding or "*" with a non-zero quality, unless gzip is
// explicitly refused with q=0.
func acceptsGzip(values []string) bool {
	star, gzip := -1.0, -1.0 // -1: not mentioned
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			q := 1.0
			for _, param := range strings.Split(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(param), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
					if err != nil {
						f = 0
					}
					q = f
				}
			}
			switch name {
			case "gzip", "x-gzip":
				gzip = q
			case "*":
				star = q
			}
		}
	}
	if gzip >= 0 {
		return gzip > 0
	}
	return star > 0
}
