package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
)

type running struct {
	app                 *App
	publicURL, staffURL string
	out, log            *syncBuffer
	stop                func()
}

// start opens an App on dataDir and serves it on ephemeral ports until the
// test ends.
func start(t *testing.T, dataDir string) *running {
	t.Helper()
	r := &running{out: &syncBuffer{}, log: &syncBuffer{}}
	a, err := Open(context.Background(), Config{
		DataDir:        dataDir,
		ReceiptParams:  keys.TestParams,
		PasswordParams: keys.TestParams,
		Logger:         slog.New(slog.NewJSONHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Out:            r.out,
	})
	if err != nil {
		t.Fatal(err)
	}
	r.app = a
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	staffLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.publicURL, r.staffURL = "http://"+ln.Addr().String(), "http://"+staffLn.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, staffLn) }()
	stopped := false
	r.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Serve did not return after cancel")
		}
		a.Close()
	}
	t.Cleanup(r.stop)
	r.waitFor(t, "Staff site:")
	return r
}

func (r *running) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if out := r.out.String(); strings.Contains(out, s) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q; got:\n%s", s, r.out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

var setupLink = regexp.MustCompile(`Open this link to set up Varsel: (http://\S+/setup\?token=\S+)`)

func TestServeFirstRunPrintsSetupLinkAndSeparatesListeners(t *testing.T) {
	dir := t.TempDir() + "/data"
	r := start(t, dir)
	out := r.waitFor(t, "Open this link")
	for _, want := range []string{"Whistleblower site: " + r.publicURL, "Staff site: " + r.staffURL, r.staffURL + "/setup?token="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := setupLink.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no setup link in output:\n%s", out)
	}
	if code := get(t, m[1]); code != http.StatusOK {
		t.Errorf("GET setup link: %d", code)
	}
	if code := get(t, r.publicURL+"/"); code >= 500 || code == http.StatusNotFound {
		t.Errorf("GET / on the public listener: %d", code)
	}
	if code := get(t, r.publicURL+"/api/v1/staff/cases"); code != http.StatusNotFound {
		t.Errorf("staff API on the public listener: %d, want 404", code)
	}
	if code := get(t, r.staffURL+"/api/v1/staff/cases"); code == http.StatusNotFound {
		t.Errorf("staff API missing on the staff listener")
	}
	if strings.Contains(r.log.String(), m[1][strings.Index(m[1], "token=")+6:]) {
		t.Error("the setup token reached the structured log")
	}

	r.stop()
	// The listeners' own addresses may be logged; a client's never.
	own := map[string]bool{strings.TrimPrefix(r.publicURL, "http://"): true, strings.TrimPrefix(r.staffURL, "http://"): true}
	for _, addr := range regexp.MustCompile(`127\.0\.0\.1:\d+`).FindAllString(r.log.String(), -1) {
		if !own[addr] {
			t.Errorf("log contains the client address %s:\n%s", addr, r.log.String())
		}
	}
	for _, p := range []string{dir, dir + "/pepper"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is accessible to others: %v", p, fi.Mode().Perm())
		}
	}
}

func TestServeInitialisedHasNoSetupLink(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Config{DataDir: dir, ReceiptParams: keys.TestParams, PasswordParams: keys.TestParams,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := org.Init(context.Background(), a.DB, org.DefaultTenant, "Acme A/S", time.Now()); err != nil {
		t.Fatal(err)
	}
	a.Close()

	r := start(t, dir)
	if code := get(t, r.publicURL+"/"); code != http.StatusOK {
		t.Errorf("GET / on the public listener: %d", code)
	}
	r.stop()
	if strings.Contains(r.out.String(), "set up Varsel") {
		t.Errorf("setup link printed for an initialised organisation:\n%s", r.out.String())
	}
	if r.app.Accounts == nil {
		t.Fatal("accounts service missing")
	}
}

func TestServeReturnsWhenAListenerFails(t *testing.T) {
	a, err := Open(context.Background(), Config{DataDir: t.TempDir(), ReceiptParams: keys.TestParams, PasswordParams: keys.TestParams,
		Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	staffLn, _ := net.Listen("tcp", "127.0.0.1:0")
	staffLn.Close() // Serve on a closed listener fails at once.
	errc := make(chan error, 1)
	go func() { errc <- a.Serve(context.Background(), ln, staffLn) }()
	select {
	case err := <-errc:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("Serve = %v, want the listener error", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve kept running after a listener failed")
	}
}
