package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/varsel/varsel/internal/org"
)

// A real `varsel serve` process, shared by the login storm (storm.go) and
// the start-up, idle-memory and page-weight budgets below. Unlike the
// in-process server of main.go, its RSS is the server's alone.

type serveProc struct {
	cmd    *exec.Cmd
	base   string // public listener, http://127.0.0.1:port
	staff  string
	pid    int
	client *http.Client
	logBuf *bytes.Buffer
	// firstAnswer is the time from exec to the first 200 on GET /.
	firstAnswer time.Duration
}

// initData runs `varsel init` on a new data directory.
func initData(bin, data string) error {
	if out, err := exec.Command(bin, "init", "--data", data, "--org", "Load Test Org").CombinedOutput(); err != nil {
		return fmt.Errorf("varsel init: %v: %s", err, out)
	}
	return nil
}

// startServe execs `varsel serve` on free loopback ports and waits for the
// first 200 on GET / of the public listener, polling every millisecond
// (a refused connection on loopback costs microseconds, so the poll adds
// at most about a millisecond to firstAnswer).
func startServe(c config, bin, data string, conns int) (*serveProc, error) {
	pub, err := freePort()
	if err != nil {
		return nil, err
	}
	staff, err := freePort()
	if err != nil {
		return nil, err
	}
	p := &serveProc{base: "http://" + pub, staff: "http://" + staff, logBuf: &bytes.Buffer{}}
	p.cmd = exec.Command(bin, "serve", "--data", data, "--listen", pub, "--staff-listen", staff, "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = io.Discard, p.logBuf
	if c.verbose {
		p.cmd.Stderr = os.Stderr
	}
	// The server runs with the environment of this process minus any
	// VARSEL_ settings that would change what is measured.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VARSEL_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: max(conns, 2), DisableCompression: true},
		Timeout: 5 * time.Minute}
	t0 := time.Now()
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	p.pid = p.cmd.Process.Pid
	for {
		resp, err := p.client.Get(p.base + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				p.firstAnswer = time.Since(t0)
				return p, nil
			}
			err = fmt.Errorf("GET /: status %d", resp.StatusCode)
		}
		if time.Since(t0) > 15*time.Second {
			p.stop()
			return nil, fmt.Errorf("varsel serve did not answer 200 within 15 s: %v\n%s", err, p.logBuf.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// stop asks the server to shut down and kills it after 15 s.
func (p *serveProc) stop() {
	p.client.CloseIdleConnections()
	p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

type serveResult struct {
	starts       []time.Duration // sorted
	idleRSS      int64
	idleAfterUse int64
	pageBytes    int64
	pageParts    []string
}

// assetRef finds same-origin resources a page loads: stylesheets,
// images, icons and scripts (there should be none of the last).
var assetRef = regexp.MustCompile(`<(?:link|img|script)\b[^>]*?\b(?:href|src)="(/[^"]*)"`)

// landingPage fetches GET / and every resource it references and returns
// the uncompressed bytes (the client sends no Accept-Encoding).
func landingPage(p *serveProc) (int64, []string, error) {
	get := func(path string) ([]byte, error) {
		resp, err := p.client.Get(p.base + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
		return body, err
	}
	page, err := get("/")
	if err != nil {
		return 0, nil, err
	}
	total := int64(len(page))
	parts := []string{fmt.Sprintf("/ %d B", len(page))}
	seen := map[string]bool{}
	for _, m := range assetRef.FindAllSubmatch(page, -1) {
		path := strings.ReplaceAll(string(m[1]), "&amp;", "&")
		if seen[path] {
			continue
		}
		seen[path] = true
		body, err := get(path)
		if err != nil {
			return 0, nil, err
		}
		total += int64(len(body))
		parts = append(parts, fmt.Sprintf("%s %d B", path, len(body)))
	}
	return total, parts, nil
}

// serveBudgets measures a real `varsel serve` on an initialised SQLite
// data directory: the time from exec to the first 200 on GET / over
// c.starts starts, the weight of the landing page, and the idle RSS after
// a few page requests, and again after a submission and a receipt login.
func serveBudgets(c config, parent string) (serveResult, error) {
	var r serveResult
	dir, err := os.MkdirTemp(parent, "varsel-serve-")
	if err != nil {
		return r, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildVarsel(c.varselBin, dir)
	if err != nil {
		return r, err
	}
	data := filepath.Join(dir, "data")
	if err := initData(bin, data); err != nil {
		return r, err
	}
	// One start not counted: it runs the migrations' first-start work and
	// brings the binary into the page cache, as any start after an
	// upgrade's first would find it.
	p, err := startServe(c, bin, data, 2)
	if err != nil {
		return r, err
	}
	p.stop()
	for range c.starts {
		p, err := startServe(c, bin, data, 2)
		if err != nil {
			return r, err
		}
		r.starts = append(r.starts, p.firstAnswer)
		p.stop()
	}
	slices.Sort(r.starts)

	p, err = startServe(c, bin, data, 2)
	if err != nil {
		return r, err
	}
	defer p.stop()
	if r.pageBytes, r.pageParts, err = landingPage(p); err != nil {
		return r, err
	}
	for _, path := range []string{"/", "/privacy", "/report/" + org.DefaultChannel, "/"} {
		resp, err := p.client.Get(p.base + path)
		if err != nil {
			return r, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return r, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
		}
	}
	time.Sleep(2 * time.Second)
	r.idleRSS = pidStatus(p.pid, "VmRSS")
	// After real work: one submission and a receipt login, each with its
	// 19 MiB Argon2. The runtime returns freed pages to the OS in the
	// background, so this is read after a pause, as an idle server would be.
	s := &server{url: p.base, client: p.client}
	receipt, err := s.submitSmall(context.Background())
	if err != nil {
		return r, fmt.Errorf("submission: %w", err)
	}
	if _, err := s.login(receipt); err != nil {
		return r, err
	}
	time.Sleep(10 * time.Second)
	r.idleAfterUse = pidStatus(p.pid, "VmRSS")
	if r.idleRSS < 0 {
		return r, errors.New("cannot read the server's /proc status (not Linux?)")
	}
	return r, nil
}

func printServe(tw *tabwriter.Writer, c config, r serveResult) {
	row := func(what, value, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", what, value, note) }
	list := make([]string, len(r.starts))
	for i, d := range r.starts {
		list[i] = fmt.Sprintf("%.0f", float64(d.Microseconds())/1000)
	}
	row("cold start to first answer, median", ms(r.starts[len(r.starts)/2]),
		fmt.Sprintf("exec of varsel serve to the first 200 on GET /, initialised SQLite data dir, %d starts (ms: %s)", len(r.starts), strings.Join(list, " ")))
	row("idle RSS", mib(r.idleRSS), "VmRSS of varsel serve 2 s after start and 6 page requests (landing page, its CSS, privacy, report form)")
	row("idle RSS after use", mib(r.idleAfterUse), "VmRSS 10 s after one submission and one receipt login (19 MiB Argon2 each)")
	row("landing page weight", fmt.Sprintf("%.1f KB", float64(r.pageBytes)/1000),
		fmt.Sprintf("%d bytes uncompressed: %s", r.pageBytes, strings.Join(r.pageParts, ", ")))
}
