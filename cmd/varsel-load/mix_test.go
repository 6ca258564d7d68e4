package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func TestParseMixRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    mixRatio
		wantErr bool
	}{
		{in: "submit=4,return=4,handler=2", want: mixRatio{4, 4, 2}},
		{in: " submit=1 , handler=3", want: mixRatio{submit: 1, handler: 3}},
		{in: "submit=1", want: mixRatio{submit: 1}},
		{in: "return=4,handler=2", wantErr: true}, // nothing to return to
		{in: "submit=0,return=1", wantErr: true},
		{in: "submit=-1", wantErr: true},
		{in: "submit=1001", wantErr: true},
		{in: "submit", wantErr: true},
		{in: "submit=x", wantErr: true},
		{in: "browse=1,submit=1", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseMixRatio(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseMixRatio(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("parseMixRatio(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseMixRatio(f *testing.F) {
	for _, s := range []string{"submit=4,return=4,handler=2", "submit=1", "return=1", "submit==1,", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseMixRatio(s)
		if err != nil {
			return
		}
		if r.submit < 1 || r.ret < 0 || r.handler < 0 || r.submit > 1000 || r.ret > 1000 || r.handler > 1000 {
			t.Fatalf("parseMixRatio(%q) accepted %+v", s, r)
		}
		again, err := parseMixRatio(r.String())
		if err != nil || again != r {
			t.Fatalf("String() %q does not parse back: %+v, %v", r.String(), again, err)
		}
	})
}

// The mix drives the real API of an in-process server (cheap Argon2) on
// both engines: every operation type happens and none fails. One worker
// with a seeded generator makes the sequence of sessions the same on
// every run; the run is bounded by its count, not by time.
func TestMixRunsEveryOperationWithoutErrors(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			dsn, dir := storetest.DSN(t, d)
			smallFile = bytes.Repeat([]byte("evidence "), 1000)
			c := config{concurrency: 1, dsn: dsn, maxRequests: 40, mixDuration: time.Hour, mixRate: 1000,
				mixRatio: mixRatio{submit: 1, ret: 1, handler: 1}, mixHandlers: 2, testParams: true}
			s, err := start(c, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.stop()
			handlers, err := createMixHandlers(context.Background(), s, c.mixHandlers)
			if err != nil {
				t.Fatal(err)
			}
			r, err := runMix(c, s, handlers)
			if err != nil {
				t.Fatal(err)
			}
			if n, first := r.errors(); n != 0 {
				t.Fatalf("%d errors, first: %v", n, first)
			}
			for _, op := range mixOps {
				if len(r.ops[op].d) == 0 {
					t.Errorf("operation %s never ran", op)
				}
			}
			if got := r.sessions["submit"] + r.sessions["return"] + r.sessions["handler"]; got != c.maxRequests {
				t.Errorf("%d sessions, want the bound %d", got, c.maxRequests)
			}
		})
	}
}

// scripts/budgets reads the figures this command prints: the output of
// printMix and printServe is fed to the real script, and each budget is
// judged on the figure (met, missed) rather than "not measured".
func TestBudgetsReadTheMixedLoadAndServeFigures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("scripts/budgets is a bash script for the Linux benchmark machine")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	var out bytes.Buffer
	mk := func(errs int) *mixResult {
		r := &mixResult{elapsed: time.Minute, ops: map[string]*opStats{}, sessions: map[string]int64{"submit": 3}}
		for _, op := range mixOps {
			r.ops[op] = &opStats{d: []time.Duration{time.Millisecond}}
		}
		r.ops["wb.message"].errs = errs
		return r
	}
	c := config{mixRate: 8, mixRatio: mixRatio{4, 4, 2}, concurrency: 8, mixHandlers: 3}
	out.WriteString("varsel-load: varsel serve budgets, 3 cold starts (SQLite, production Argon2)\n")
	tw := tabwriter.NewWriter(&out, 0, 0, 2, ' ', 0)
	printServe(tw, c, serveResult{starts: []time.Duration{40 * time.Millisecond, 60 * time.Millisecond, 300 * time.Millisecond},
		idleRSS: 45 << 20, idleAfterUse: 60 << 20, pageBytes: 10558, pageParts: []string{"/ 3518 B", "/static/varsel.css 7040 B"}})
	tw.Flush()
	out.WriteString("\nvarsel-load: mixed load, server on http://127.0.0.1:1 and http://127.0.0.1:2 (SQLite, production Argon2), 1m0s at 8.0 sessions/s\n")
	printMix(&out, c, mk(0))
	out.WriteString("\nvarsel-load: mixed load, server on http://127.0.0.1:1 and http://127.0.0.1:2 (PostgreSQL, production Argon2), 1m0s at 8.0 sessions/s\n")
	printMix(&out, c, mk(2))
	in := filepath.Join(t.TempDir(), "bench.out")
	if err := os.WriteFile(in, out.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "../../scripts/budgets", in)
	got, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("scripts/budgets passed a run with missed budgets:\n%s", got)
	}
	for _, want := range []string{
		"ok coldstart.median sqlite 60 < 100 ms",
		"MISSED idle.rss sqlite 45 < 40 MiB",
		"ok landing.bytes sqlite 10.6 < 50 KB",
		"ok mix.errors sqlite 0 == 0",
		"MISSED mix.errors postgres 2 == 0",
	} {
		if !strings.Contains(strings.Join(strings.Fields(string(got)), " "), want) {
			t.Errorf("scripts/budgets output lacks %q:\n%s", want, got)
		}
	}
}
