package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// The login storm (issue 6: "many concurrent receipt logins (memory stays
// bounded)"): n receipt logins at once against a real `varsel serve`
// process with the production Argon2 parameters (19 MiB, 2 passes per
// login), most with wrong receipts, some with right ones. Every login
// costs an Argon2 call whether the receipt exists or not, so this is what
// an attacker guessing receipts in parallel does. The server's KDF
// semaphore lets only GOMAXPROCS calls hold their 19 MiB at once; the
// others wait holding a goroutine and a small request. The figure is the
// server process's peak RSS (VmHWM of /proc/PID/status) during the storm.

type stormResult struct {
	n, right            int
	statuses            map[int]int
	errs                int
	firstErr            error
	elapsed             time.Duration
	hwmBefore, hwmStorm int64 // VmHWM before (since start) and during the storm (after a reset)
	rssAfter            int64
	resetOK             bool
}

// buildVarsel compiles ./cmd/varsel into dir unless a binary was given.
func buildVarsel(given, dir string) (string, error) {
	if given != "" {
		return given, nil
	}
	out := filepath.Join(dir, "varsel")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/varsel")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build ./cmd/varsel (run from the repository root or pass -varsel): %w", err)
	}
	return out, nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// pidStatus reads a kB field of /proc/PID/status in bytes.
func pidStatus(pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(raw)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n << 10
		}
	}
	return -1
}

func loginStorm(c config, parent string) (stormResult, error) {
	r := stormResult{n: c.storm, statuses: map[int]int{}}
	dir, err := os.MkdirTemp(parent, "varsel-storm-")
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
	p, err := startServe(c, bin, data, c.storm)
	if err != nil {
		return r, err
	}
	defer p.stop()
	base, client, pid := p.base, p.client, p.pid

	// The right receipts: a few real submissions.
	s := &server{url: base, client: client}
	r.right = max(1, c.storm/20)
	var receipts []string
	for range r.right {
		receipt, err := s.submitSmall(context.Background())
		if err != nil {
			return r, fmt.Errorf("submission for the storm: %w", err)
		}
		receipts = append(receipts, receipt)
	}

	r.hwmBefore = pidStatus(pid, "VmHWM")
	// Measure the storm's own peak, not the set-up's (Linux 4.0+; needs
	// the right to write the server's clear_refs, which its owner has).
	r.resetOK = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil

	bodies := make([][]byte, c.storm)
	for i := range bodies {
		receipt := ""
		if i%(c.storm/r.right) == 0 && len(receipts) > 0 {
			receipt, receipts = receipts[0], receipts[1:]
		} else {
			receipt = randomReceipt()
		}
		bodies[i], _ = json.Marshal(map[string]string{"receipt": receipt})
	}
	start := make(chan struct{})
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range c.storm {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", base+"/api/v1/wb/session", bytes.NewReader(bodies[i]))
			req.Header.Set("Content-Type", "application/json")
			<-start
			resp, err := client.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.errs++
				if r.firstErr == nil {
					r.firstErr = err
				}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			r.statuses[resp.StatusCode]++
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	r.elapsed = time.Since(t0)
	r.hwmStorm = pidStatus(pid, "VmHWM")
	if !r.resetOK {
		r.hwmStorm = max(r.hwmStorm, r.hwmBefore)
	}
	r.rssAfter = pidStatus(pid, "VmRSS")
	for st, n := range r.statuses {
		if st != http.StatusOK && st != http.StatusUnauthorized && st != http.StatusTooManyRequests {
			r.errs += n
			if r.firstErr == nil {
				r.firstErr = fmt.Errorf("%d logins answered %d", n, st)
			}
		}
	}
	if r.hwmStorm < 0 {
		return r, errors.New("cannot read the server's /proc status (not Linux?)")
	}
	return r, nil
}

// randomReceipt is a well-formed receipt that exists with overwhelming
// improbability: it passes parsing, so the server pays the Argon2 call.
func randomReceipt() string {
	const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	b := make([]byte, 16)
	rand.Read(b)
	var out strings.Builder
	for i, c := range b {
		if i > 0 && i%4 == 0 {
			out.WriteByte(' ')
		}
		out.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return out.String()
}

func printStorm(tw *tabwriter.Writer, r stormResult) {
	row := func(what, value, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", what, value, note) }
	row("receipt login storm, server peak RSS", mib(r.hwmStorm),
		fmt.Sprintf("%d concurrent logins (%d right receipts) at a varsel serve process; VmHWM after a reset; before: %s", r.n, r.right, mib(r.hwmBefore)))
	counts := []string{}
	for _, st := range []int{http.StatusOK, http.StatusUnauthorized, http.StatusTooManyRequests} {
		counts = append(counts, fmt.Sprintf("%d×%d", r.statuses[st], st))
	}
	row("receipt login storm, answers", strings.Join(counts, " "), fmt.Sprintf("%d errors, %.1f s for all, RSS after %s", r.errs, r.elapsed.Seconds(), mib(r.rssAfter)))
}
