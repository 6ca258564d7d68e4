package app

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestScrubAddrsRemovesClientAddresses(t *testing.T) {
	cases := []struct{ in, leak string }{
		{"http: TLS handshake error from 203.0.113.7:51234: EOF", "203.0.113.7"},
		{"http: panic serving 198.51.100.23:40000: boom", "198.51.100.23"},
		{"http: panic serving [2001:db8::1]:443: boom", "2001:db8::1"},
		{"http: TLS handshake error from [fe80::1%eth0]:5555: EOF", "fe80::1"},
		{"http2: server: error reading preface from client 2001:db8:0:0:1:0:0:1: EOF", "2001:db8:0:0:1"},
		{"connection from ::ffff:192.0.2.1 closed", "192.0.2.1"},
		{"accept from 10.0.0.1 failed", "10.0.0.1"},
		{"http: TLS handshake error from [::1]:1234: bad", "::1"},
	}
	for _, c := range cases {
		got := scrubAddrs(c.in)
		if strings.Contains(got, c.leak) {
			t.Errorf("scrubAddrs(%q) = %q, still contains %q", c.in, got, c.leak)
		}
		if !strings.Contains(got, "[address removed]") {
			t.Errorf("scrubAddrs(%q) = %q, want a removal marker", c.in, got)
		}
	}
	// Stack traces must stay readable.
	const stack = "goroutine 7 [running]:\nnet/http.(*conn).serve(0xc000123456)\n\t/usr/lib/go/src/net/http/server.go:1947 +0x1a5"
	if got := scrubAddrs(stack); got != stack {
		t.Errorf("stack trace changed:\n%s", got)
	}
}

// syncBuffer lets a test read what goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerErrorLogDropsRemoteAddress drives net/http's own "panic
// serving <addr>" message through the server Serve builds.
func TestServerErrorLogDropsRemoteAddress(t *testing.T) {
	var logBuf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
	srv := newServer("public", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("handler bug")
	}), logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()

	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err == nil {
		resp.Body.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(logBuf.String(), "panic serving") {
		if time.Now().After(deadline) {
			t.Fatalf("no panic message logged; log: %s", logBuf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if out := logBuf.String(); strings.Contains(out, "127.0.0.1") {
		t.Fatalf("error log leaks the client address: %s", out)
	}
}

func TestNewLoggerRejectsUnknownLevel(t *testing.T) {
	if _, err := NewLogger(&bytes.Buffer{}, "loud"); err == nil {
		t.Fatal("want an error for an unknown level")
	}
	for _, l := range []string{"", "debug", "info", "warn", "error", "WARN"} {
		if _, err := NewLogger(&bytes.Buffer{}, l); err != nil {
			t.Errorf("level %q: %v", l, err)
		}
	}
}
