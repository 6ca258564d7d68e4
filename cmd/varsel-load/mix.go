package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/totp"
)

// The mixed load (issue 6: "a realistic mix: whistleblowers submitting
// with files, returning and messaging; handlers listing, opening and
// answering cases"). Workers take sessions from a ticker at -mix-rate per
// second and pick each session's kind by the weights of -mix-ratio:
//
//   - submit: a new whistleblower submits the questionnaire with a file;
//   - return: a whistleblower comes back with an earlier receipt, logs in
//     (one receipt Argon2), reads the report, writes a message, adds a
//     file every other visit, and logs out;
//   - handler: a handler lists the inbox, opens one of its cases and
//     answers it. Each handler account logs in once, before the clock
//     starts (a staff login is a 64 MiB Argon2), and keeps its bearer
//     token, as a handler keeps a browser session open all day.
//
// Every answer other than the expected status counts as an error; the
// budget is none (scripts/budgets, mix.errors).

// mixOps are the operation types in the order they are printed.
var mixOps = []string{"submit", "wb.login", "wb.report", "wb.message", "wb.files", "wb.logout",
	"staff.login", "staff.inbox", "staff.case", "staff.message"}

type mixRatio struct{ submit, ret, handler int }

// parseMixRatio reads "submit=4,return=4,handler=2".
func parseMixRatio(s string) (mixRatio, error) {
	var r mixRatio
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(val)
		if !ok || err != nil || n < 0 || n > 1000 {
			return r, fmt.Errorf("bad -mix-ratio part %q (want kind=weight, weight 0..1000)", part)
		}
		switch name {
		case "submit":
			r.submit = n
		case "return":
			r.ret = n
		case "handler":
			r.handler = n
		default:
			return r, fmt.Errorf("bad -mix-ratio kind %q (submit, return or handler)", name)
		}
	}
	if r.submit == 0 {
		// Returning whistleblowers and handlers need reports to work on.
		return r, errors.New("-mix-ratio needs submit > 0")
	}
	return r, nil
}

func (r mixRatio) String() string {
	return fmt.Sprintf("submit=%d,return=%d,handler=%d", r.submit, r.ret, r.handler)
}

// pick returns "submit", "return" or "handler" by weight.
func (r mixRatio) pick(rng *rand.Rand) string {
	n := rng.IntN(r.submit + r.ret + r.handler)
	switch {
	case n < r.submit:
		return "submit"
	case n < r.submit+r.ret:
		return "return"
	}
	return "handler"
}

// opStats collects the latencies and errors of one operation type.
type opStats struct {
	mu       sync.Mutex
	d        []time.Duration
	errs     int
	firstErr error
}

func (o *opStats) add(d time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.errs++
		if o.firstErr == nil {
			o.firstErr = err
		}
		return
	}
	o.d = append(o.d, d)
}

type mixResult struct {
	elapsed  time.Duration
	ops      map[string]*opStats
	sessions map[string]int64
	missed   int64 // sessions the ticker offered while every worker was busy
}

func (r *mixResult) errors() (n int, first error) {
	for _, name := range mixOps {
		o := r.ops[name]
		n += o.errs
		if first == nil && o.firstErr != nil {
			first = fmt.Errorf("%s: %w", name, o.firstErr)
		}
	}
	return n, first
}

// receiptPool keeps up to 5,000 receipts of reports submitted in the mix;
// returning whistleblowers draw from it.
type receiptPool struct {
	mu sync.Mutex
	r  []string
}

func (p *receiptPool) put(rng *rand.Rand, receipt string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.r) < 5000 {
		p.r = append(p.r, receipt)
		return
	}
	p.r[rng.IntN(len(p.r))] = receipt
}

func (p *receiptPool) get(rng *rand.Rand) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.r) == 0 {
		return ""
	}
	return p.r[rng.IntN(len(p.r))]
}

// call sends one request and checks the status; it returns the body.
func call(client *http.Client, method, url, token, ctype string, body io.Reader, want int) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, 0, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		return nil, 0, err
	}
	if resp.StatusCode != want {
		return nil, 0, fmt.Errorf("%s %s: status %d: %.200s", method, strings.TrimPrefix(url, "http://"), resp.StatusCode, bytes.TrimSpace(raw))
	}
	return raw, d, nil
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// filesBody is a multipart body with one more file for POST /api/v1/wb/files.
func filesBody() (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="more-evidence.bin"`)
	h.Set("Content-Type", "application/octet-stream")
	p, _ := mw.CreatePart(h)
	p.Write(smallFile)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

type mixHandler struct {
	email, secret string
}

// createMixHandlers adds n handlers on the default channel before any
// report exists, so every report of the mix is wrapped to each of them.
func createMixHandlers(ctx context.Context, s *server, n int) ([]mixHandler, error) {
	var out []mixHandler
	for i := range n {
		email := fmt.Sprintf("mix-handler-%d@example.org", i+1)
		cr, err := s.app.Accounts.CreateUser(ctx, accounts.NewUser{Email: email, Role: accounts.RoleHandler,
			Password: "correct horse battery staple", Channels: []string{org.DefaultChannel}})
		if err != nil {
			return nil, fmt.Errorf("create handler %d: %w", i+1, err)
		}
		out = append(out, mixHandler{email: email, secret: cr.TOTPSecret})
	}
	return out, nil
}

// staffLogin logs a handler in over the staff API with a current TOTP code.
func staffLogin(s *server, h mixHandler) (string, time.Duration, error) {
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(h.secret)
	if err != nil {
		return "", 0, err
	}
	raw, d, err := call(s.client, "POST", s.staffURL+"/api/v1/staff/session", "", "application/json",
		jsonBody(map[string]string{"email": h.email, "password": "correct horse battery staple",
			"totp": totp.Code(secret, time.Now())}), http.StatusOK)
	if err != nil {
		return "", 0, err
	}
	var out struct{ Token string }
	if err := json.Unmarshal(raw, &out); err != nil || out.Token == "" {
		return "", 0, fmt.Errorf("staff login: no token in %.200s", raw)
	}
	// A handler reads and accepts the confidentiality declaration once
	// before opening cases, as the staff UI makes them do.
	raw, _, err = call(s.client, "GET", s.staffURL+"/api/v1/staff/declaration", out.Token, "", nil, http.StatusOK)
	if err != nil {
		return "", 0, err
	}
	var decl struct {
		Version  int
		Accepted bool
	}
	if err := json.Unmarshal(raw, &decl); err != nil {
		return "", 0, fmt.Errorf("declaration: %w", err)
	}
	if !decl.Accepted {
		if _, _, err := call(s.client, "POST", s.staffURL+"/api/v1/staff/declaration/acceptance", out.Token, "application/json",
			jsonBody(map[string]int{"version": decl.Version}), http.StatusOK); err != nil {
			return "", 0, err
		}
	}
	return out.Token, d, nil
}

// runMix replays the mix against s for c.mixDuration.
func runMix(c config, s *server, handlers []mixHandler) (*mixResult, error) {
	r := &mixResult{ops: map[string]*opStats{}, sessions: map[string]int64{}}
	for _, name := range mixOps {
		r.ops[name] = &opStats{}
	}
	var tokens []string
	for _, h := range handlers {
		token, d, err := staffLogin(s, h)
		r.ops["staff.login"].add(d, err)
		if err != nil {
			return r, fmt.Errorf("handler login: %w", err)
		}
		tokens = append(tokens, token)
	}
	// A few reports first, so the first returning whistleblowers and
	// handlers have something to work on.
	pool := &receiptPool{}
	seedRng := rand.New(rand.NewPCG(1, 2))
	for range 4 {
		t0 := time.Now()
		receipt, err := s.submitSmall(context.Background())
		r.ops["submit"].add(time.Since(t0), err)
		if err != nil {
			return r, fmt.Errorf("seed submission: %w", err)
		}
		pool.put(seedRng, receipt)
	}

	ctx, cancel := context.WithTimeout(context.Background(), c.mixDuration)
	defer cancel()
	workers := c.concurrency
	sessions := make(chan struct{}, workers)
	var missed atomic.Int64
	go func() {
		t := time.NewTicker(time.Duration(float64(time.Second) / c.mixRate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				select {
				case sessions <- struct{}{}:
				default: // every worker is busy: the offered load is not met
					missed.Add(1)
				}
			}
		}
	}()
	var mu sync.Mutex
	var issued atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			visits := 0
			for issued.Add(1) <= c.maxRequests {
				select {
				case <-ctx.Done():
					return
				case <-sessions:
				}
				kind := c.mixRatio.pick(rng)
				receipt := ""
				if kind == "return" {
					if receipt = pool.get(rng); receipt == "" {
						kind = "submit"
					}
				}
				mu.Lock()
				r.sessions[kind]++
				mu.Unlock()
				// A session under way when the time is up finishes.
				switch kind {
				case "submit":
					t := time.Now()
					receipt, err := s.submitSmall(context.Background())
					r.ops["submit"].add(time.Since(t), err)
					if err == nil {
						pool.put(rng, receipt)
					}
				case "return":
					visits++
					mixReturn(s, r, receipt, visits%2 == 0)
				case "handler":
					mixHandle(s, r, tokens[rng.IntN(len(tokens))], rng)
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(t0)
	r.missed = missed.Load()
	return r, nil
}

// mixReturn is one visit of a returning whistleblower.
func mixReturn(s *server, r *mixResult, receipt string, addFile bool) {
	raw, d, err := call(s.client, "POST", s.url+"/api/v1/wb/session", "", "application/json",
		jsonBody(map[string]string{"receipt": receipt}), http.StatusOK)
	var out struct{ Token string }
	if err == nil {
		if err = json.Unmarshal(raw, &out); err == nil && out.Token == "" {
			err = errors.New("receipt login: no token")
		}
	}
	r.ops["wb.login"].add(d, err)
	if err != nil {
		return
	}
	_, d, err = call(s.client, "GET", s.url+"/api/v1/wb/report", out.Token, "", nil, http.StatusOK)
	r.ops["wb.report"].add(d, err)
	_, d, err = call(s.client, "POST", s.url+"/api/v1/wb/messages", out.Token, "application/json",
		jsonBody(map[string]string{"text": "I have found the second invoice; it is attached. The amounts do not match the contract."}),
		http.StatusCreated)
	r.ops["wb.message"].add(d, err)
	if addFile {
		ctype, body := filesBody()
		_, d, err = call(s.client, "POST", s.url+"/api/v1/wb/files", out.Token, ctype, body, http.StatusCreated)
		r.ops["wb.files"].add(d, err)
	}
	_, d, err = call(s.client, "DELETE", s.url+"/api/v1/wb/session", out.Token, "", nil, http.StatusNoContent)
	r.ops["wb.logout"].add(d, err)
}

// mixHandle is one look at the inbox by a logged-in handler: list, open
// one of the first page's cases, answer it.
func mixHandle(s *server, r *mixResult, token string, rng *rand.Rand) {
	q := "?limit=50"
	if rng.IntN(4) == 0 {
		q += "&sort=status"
	}
	raw, d, err := call(s.client, "GET", s.staffURL+"/api/v1/staff/cases"+q, token, "", nil, http.StatusOK)
	var page struct {
		Cases []struct{ ID string }
	}
	if err == nil {
		err = json.Unmarshal(raw, &page)
	}
	r.ops["staff.inbox"].add(d, err)
	if err != nil || len(page.Cases) == 0 {
		return
	}
	id := page.Cases[rng.IntN(len(page.Cases))].ID
	_, d, err = call(s.client, "GET", s.staffURL+"/api/v1/staff/cases/"+id, token, "", nil, http.StatusOK)
	r.ops["staff.case"].add(d, err)
	if err != nil {
		return
	}
	_, d, err = call(s.client, "POST", s.staffURL+"/api/v1/staff/cases/"+id+"/messages", token, "application/json",
		jsonBody(map[string]string{"text": "Thank you. We have received your report and will come back to you within three months."}),
		http.StatusCreated)
	r.ops["staff.message"].add(d, err)
}

func pctOf(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

// printMix prints one row per operation type and a total row whose label
// scripts/budgets reads ("mixed load, errors").
func printMix(w io.Writer, c config, r *mixResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "operation\tcount\tper s\tmedian\tp95\tp99\tmax\terrors\n")
	total := 0
	for _, name := range mixOps {
		o := r.ops[name]
		d := slices.Clone(o.d)
		slices.Sort(d)
		total += len(d) + o.errs
		rate := float64(len(d)) / r.elapsed.Seconds()
		if name == "staff.login" {
			rate = 0 // before the clock started
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%s\t%s\t%s\t%s\t%d\n", name, len(d), rate,
			ms(pctOf(d, 0.5)), ms(pctOf(d, 0.95)), ms(pctOf(d, 0.99)), ms(pctOf(d, 1)), o.errs)
	}
	tw.Flush()
	errs, first := r.errors()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	n := r.sessions["submit"] + r.sessions["return"] + r.sessions["handler"]
	fmt.Fprintf(tw, "mixed load, sessions\t%d\tsubmit %d, return %d, handler %d; %.1f/s achieved, %.1f/s offered, %d offered while every worker was busy\n",
		n, r.sessions["submit"], r.sessions["return"], r.sessions["handler"], float64(n)/r.elapsed.Seconds(), c.mixRate, r.missed)
	fmt.Fprintf(tw, "mixed load, requests/s\t%.1f\t%d requests in %v\n", float64(total)/r.elapsed.Seconds(), total, r.elapsed.Round(time.Second))
	fmt.Fprintf(tw, "mixed load, errors\t%d\t%d errors in %v (ratio %s, %d workers, %d handlers)\n", errs, errs,
		r.elapsed.Round(time.Second), c.mixRatio, c.concurrency, c.mixHandlers)
	tw.Flush()
	if first != nil {
		fmt.Fprintln(w, "first error:", first)
	}
}

// mixLoad runs the mix on a fresh server of its own, so the handlers it
// creates hold keys for every report it lists.
func mixLoad(c config, dir string) error {
	s, err := start(c, dir)
	if err != nil {
		return err
	}
	defer s.stop()
	handlers, err := createMixHandlers(context.Background(), s, c.mixHandlers)
	if err != nil {
		return err
	}
	engine := "SQLite"
	if c.dsn != "" {
		engine = "PostgreSQL"
	}
	fmt.Printf("varsel-load: mixed load, server on %s and %s (%s, production Argon2), %v at %.1f sessions/s\n",
		s.url, s.staffURL, engine, c.mixDuration, c.mixRate)
	r, err := runMix(c, s, handlers)
	if err != nil {
		return err
	}
	printMix(os.Stdout, c, r)
	if n, first := r.errors(); n > 0 {
		return fmt.Errorf("mixed load: %d errors, first: %w", n, first)
	}
	return nil
}
