// Command serve serves the static bundle of the IW-SM page (dist/ by default)
// on 127.0.0.1:8080: application/wasm, precompressed app.wasm.gz for clients
// that accept gzip, security and cache headers, no directory listings, no
// path outside the folder, request timeouts and a clean shutdown on
// SIGINT/SIGTERM.
//
//	go run ./serve -addr 127.0.0.1:8080 -dir dist
//
// Its first line on stdout is "serving DIR on URL", printed once the listener
// is bound, so -addr 127.0.0.1:0 reports the port it got.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

// run is the whole program behind main: it parses args, serves until ctx is
// done, then shuts down gracefully. It returns the exit status: 0 after a
// clean shutdown (or -h), 2 for bad flags or a missing folder, 1 when the
// address cannot be bound or serving fails.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("serve", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	addr := flags.String("addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free port)")
	dir := flags.String("dir", "dist", "`folder` to serve")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			flags.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: serve [-addr host:port] [-dir folder]")
			flags.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 2
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected argument %q (flags are -addr and -dir)\n", flags.Arg(0))
		return 2
	}
	if _, _, err := net.SplitHostPort(*addr); err != nil {
		fmt.Fprintf(stderr, "serve: bad -addr %q: %v\n", *addr, err)
		return 2
	}
	h, err := newHandler(*dir)
	if err != nil {
		fmt.Fprintf(stderr, "serve: -dir: %v (run make build first?)\n", err)
		return 2
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	srv := newServer(h)
	fmt.Fprintf(stdout, "serving %s on %s\n", *dir, displayURL(ln.Addr()))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		fmt.Fprintf(stderr, "serve: shutdown: %v\n", err)
		return 1
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintf(stderr, "serve: %v\n", err)
		return 1
	}
	return 0
}

// newServer wraps h in an http.Server with timeouts. Headers must arrive
// within 5 s (slowloris); a request body (there is none for GET) within 30 s;
// a response must be written within 2 min, enough for the 4 MB app.wasm.gz
// at about 0.3 Mbit/s; idle keep-alive connections close after 60 s.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
}

// displayURL is the URL to open for a listener address; an unspecified host
// (":8080", "0.0.0.0", "::") is shown as localhost.
func displayURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String() + "/"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return "http://" + net.JoinHostPort(host, port) + "/"
}
