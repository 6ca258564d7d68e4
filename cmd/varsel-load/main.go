// Command varsel-load measures a whole Varsel server on this machine. It
// starts one in-process, on 127.0.0.1 only, over a temporary data directory
// with the production Argon2 parameters, and measures:
//
//   - one large file streamed through POST /api/v1/reports: throughput and
//     the process's peak resident memory (VmHWM) during the upload;
//   - complete submissions per second with -concurrency whistleblowers for
//     -duration, as fast as the server answers;
//   - receipt login latency, median and p95, unloaded and while
//     submissions arrive at -rate per second;
//   - with -storm N, the peak RSS of a separate `varsel serve` process
//     while N receipt logins arrive at once (storm.go);
//   - with -starts N (default 7), against a separate `varsel serve`
//     process: the median time from exec to the first 200 on GET /, the
//     idle RSS and the landing page's weight (serve.go);
//   - with -mix D, a mixed load for D on a server of its own:
//     whistleblowers submitting with files, returning, messaging and
//     adding files, handlers listing, opening and answering cases, with
//     throughput, latency percentiles per operation and errors (mix.go).
//
// Client and server share the process, so the peak RSS it prints is an
// upper bound on the server's: the client streams its upload through an
// io.Pipe and never holds more than a small buffer. Every loop is bounded
// in count and time, and the data directory is removed on exit.
//
//	go run ./cmd/varsel-load -size 2GiB -concurrency 8 -duration 20s
//	go run ./cmd/varsel-load -only serve
//	go run ./cmd/varsel-load -only mix -mix 10m -mix-rate 8 -mix-ratio submit=4,return=4,handler=2
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
)

type config struct {
	size        int64
	fileSize    int
	concurrency int
	duration    time.Duration
	rate        float64
	logins      int
	dsn         string
	dataDir     string
	maxRequests int64
	verbose     bool
	storm       int
	varselBin   string
	only        string
	starts      int
	mixDuration time.Duration
	mixRate     float64
	mixRatio    mixRatio
	mixHandlers int
	// testParams replaces the production Argon2 parameters with
	// keys.TestParams; only the package's tests set it.
	testParams bool
}

func main() {
	var c config
	var size, fileSize string
	flag.StringVar(&size, "size", "2GiB", "size of the large upload (e.g. 2GiB, 500MiB, 0 to skip)")
	flag.StringVar(&fileSize, "file-size", "100KB", "file attached to each submission in the throughput and latency runs")
	flag.IntVar(&c.concurrency, "concurrency", 8, "concurrent whistleblowers in the throughput run")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "length of the throughput run and of the loaded-login run (each)")
	flag.Float64Var(&c.rate, "rate", 20, "submissions per second offered while measuring loaded login latency")
	flag.IntVar(&c.logins, "logins", 40, "receipt logins for the unloaded latency measurement")
	flag.StringVar(&c.dsn, "dsn", "", "postgres://... to use PostgreSQL instead of SQLite in the temporary data directory")
	flag.StringVar(&c.dataDir, "data-dir", "", "parent of the temporary data directory (default $TMPDIR)")
	flag.Int64Var(&c.maxRequests, "max-requests", 100_000, "upper bound on submissions in any one run")
	flag.BoolVar(&c.verbose, "v", false, "print the server's log to standard error")
	flag.IntVar(&c.storm, "storm", 0, "concurrent receipt logins fired at once at a varsel serve process (0: skip)")
	flag.StringVar(&c.varselBin, "varsel", "", "varsel binary for -storm (default: go build ./cmd/varsel)")
	flag.StringVar(&c.only, "only", "", `"storm", "serve" or "mix" to run only the login storm, the varsel serve budgets or the mixed load`)
	flag.IntVar(&c.starts, "starts", 7, "cold starts of varsel serve for the start-up median, idle RSS and landing page size (0: skip)")
	flag.DurationVar(&c.mixDuration, "mix", 0, "length of the mixed load (0: skip; at most 2h)")
	flag.Float64Var(&c.mixRate, "mix-rate", 8, "sessions per second offered in the mixed load")
	mixRatioFlag := flag.String("mix-ratio", "submit=4,return=4,handler=2", "weights of the mixed load's session kinds")
	flag.IntVar(&c.mixHandlers, "mix-handlers", 3, "handler accounts in the mixed load, each logged in once")
	flag.Parse()
	var err error
	if c.size, err = parseSize(size); err != nil {
		fatal(err)
	}
	fs, err := parseSize(fileSize)
	if err != nil {
		fatal(err)
	}
	c.fileSize = int(fs)
	if c.concurrency < 1 || c.duration <= 0 || c.duration > 10*time.Minute {
		fatal(errors.New("-concurrency must be at least 1 and -duration between 0 and 10m"))
	}
	if c.storm < 0 || c.storm > 5000 || c.only == "storm" && c.storm == 0 {
		fatal(errors.New("-storm must be between 0 and 5000; -only storm needs -storm N"))
	}
	if c.mixRatio, err = parseMixRatio(*mixRatioFlag); err != nil {
		fatal(err)
	}
	if c.mixDuration < 0 || c.mixDuration > 2*time.Hour || c.mixRate <= 0 || c.mixRate > 1000 ||
		c.mixHandlers < 1 || c.mixHandlers > 50 || c.only == "mix" && c.mixDuration == 0 {
		fatal(errors.New("-mix must be between 0 and 2h, -mix-rate between 0 and 1000, -mix-handlers between 1 and 50; -only mix needs -mix D"))
	}
	if c.starts < 0 || c.starts > 100 || c.only == "serve" && c.starts == 0 {
		fatal(errors.New("-starts must be between 0 and 100; -only serve needs -starts N"))
	}
	if c.dsn != "" && c.mixDuration > 0 && c.only != "mix" {
		// Both would set up the organisation in the same database.
		fatal(errors.New("with -dsn, run the mixed load alone (-only mix) on a database or schema of its own"))
	}
	switch c.only {
	case "", "storm", "serve", "mix":
	default:
		fatal(fmt.Errorf("-only %q: storm, serve or mix", c.only))
	}
	if err := run(c); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "varsel-load:", err)
	os.Exit(1)
}

func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

type server struct {
	app      *app.App
	url      string
	staffURL string
	client   *http.Client
	stop     func()
}

func start(c config, dir string) (*server, error) {
	ctx := context.Background()
	// An info-level JSON logger as in production, written nowhere.
	logOut := io.Discard
	if c.verbose {
		logOut = os.Stderr
	}
	logger := slog.New(slog.NewJSONHandler(logOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := app.Config{DataDir: dir, DSN: c.dsn, MaxFileSize: max(c.size+(1<<20), 1<<30), Logger: logger, Out: io.Discard}
	if c.testParams {
		cfg.ReceiptParams, cfg.PasswordParams = keys.TestParams, keys.TestParams
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := org.Init(ctx, a.DB, org.DefaultTenant, "Load Test Org", time.Now()); err != nil {
		a.Close()
		return nil, err
	}
	// One handler on the default channel, so every report is wrapped to
	// one age recipient as in a real installation.
	if _, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Email: "handler@example.org", Role: accounts.RoleHandler,
		Password: "correct horse battery staple", Channels: []string{org.DefaultChannel}}); err != nil {
		a.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		a.Close()
		return nil, err
	}
	staffLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		a.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Serve(sctx, ln, staffLn) }()
	s := &server{app: a, url: "http://" + ln.Addr().String(), staffURL: "http://" + staffLn.Addr().String(),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c.concurrency + 8, DisableCompression: true}}}
	s.stop = func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "varsel-load: server:", err)
		}
		s.client.CloseIdleConnections()
		a.Close()
	}
	return s, nil
}

// reportJSON answers the default questionnaire with a few paragraphs.
var reportJSON = func() []byte {
	what := strings.Repeat("The invoices for the framework contract were approved without the second signature. ", 24)
	out, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel, "answers": map[string]any{
		"what": what, "when": "Between January and March this year", "how_known": "witnessed"}})
	return out
}()

// writeSubmission writes a multipart submission with one file of n bytes
// from src to w.
func writeSubmission(mw *multipart.Writer, n int64, src io.Reader) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="report"`)
	h.Set("Content-Type", "application/json")
	p, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := p.Write(reportJSON); err != nil {
		return err
	}
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="evidence.bin"`)
	h.Set("Content-Type", "application/octet-stream")
	if p, err = mw.CreatePart(h); err != nil {
		return err
	}
	if _, err := io.CopyN(p, src, n); err != nil {
		return err
	}
	return mw.Close()
}

func (s *server) post(ctx context.Context, ctype string, body io.Reader) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", s.url+"/api/v1/reports", body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	var out struct{ Receipt string }
	if err := json.Unmarshal(raw, &out); err != nil || out.Receipt == "" {
		return "", fmt.Errorf("no receipt in %s", raw)
	}
	return out.Receipt, nil
}

// smallFile is the same incompressible file for every small submission.
var smallFile []byte

func (s *server) submitSmall(ctx context.Context) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := writeSubmission(mw, int64(len(smallFile)), bytes.NewReader(smallFile)); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return s.post(ctx, mw.FormDataContentType(), &buf)
}

func (s *server) login(receipt string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"receipt": receipt})
	req, _ := http.NewRequestWithContext(ctx, "POST", s.url+"/api/v1/wb/session", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	t0 := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("login: status %d: %s", resp.StatusCode, bytes.TrimSpace(raw))
	}
	return d, nil
}

// procStatus reads a kB field of /proc/self/status.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n << 10
		}
	}
	return -1
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+).
func resetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

type prng struct{ r *rand.ChaCha8 }

func (p prng) Read(b []byte) (int, error) { return p.r.Read(b) }

type uploadResult struct {
	size              int64
	elapsed           time.Duration
	hwmStart, hwmEnd  int64 // VmHWM since process start
	peakDuring        int64 // VmHWM during the upload, after a reset
	resetOK           bool
	rssBefore, rssMax int64
}

func uploadLarge(s *server, size int64, dir string) (uploadResult, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return uploadResult{}, err
	}
	if free := int64(st.Bavail) * st.Bsize; free < size+size/10+(256<<20) {
		return uploadResult{}, fmt.Errorf("%s has %d MiB free; the upload needs about %d MiB", dir, free>>20, (size+size/10+(256<<20))>>20)
	}
	r := uploadResult{size: size, hwmStart: procStatus("VmHWM")}
	// Let the setup's 64 MiB password Argon2 go back to the OS, then
	// measure the peak from here: baseline plus whatever the upload adds.
	runtime.GC()
	debug.FreeOSMemory()
	r.resetOK = resetPeakRSS()
	r.rssBefore = procStatus("VmRSS")

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() { pw.CloseWithError(writeSubmission(mw, size, prng{rand.NewChaCha8([32]byte{9})})) }()

	stopSample := make(chan struct{})
	var sampler sync.WaitGroup
	var rssMax atomic.Int64
	sampler.Go(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if v := procStatus("VmRSS"); v > rssMax.Load() {
				rssMax.Store(v)
			}
			select {
			case <-stopSample:
				return
			case <-t.C:
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	t0 := time.Now()
	_, err := s.post(ctx, mw.FormDataContentType(), pr)
	r.elapsed = time.Since(t0)
	close(stopSample)
	sampler.Wait()
	pr.Close()
	r.peakDuring = procStatus("VmHWM")
	r.hwmEnd = r.peakDuring
	r.rssMax = rssMax.Load()
	if !r.resetOK {
		r.peakDuring = -1
	}
	return r, err
}

type loadResult struct {
	ok, failed int64
	elapsed    time.Duration
	firstErr   error
	receipts   []string
}

// submitLoad runs concurrency workers for d. With rate > 0 they take
// submissions from a ticker at that rate; otherwise they go flat out.
func submitLoad(s *server, concurrency int, d time.Duration, rate float64, maxRequests int64) loadResult {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var tokens chan struct{}
	if rate > 0 {
		tokens = make(chan struct{}, concurrency)
		go func() {
			t := time.NewTicker(time.Duration(float64(time.Second) / rate))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					select {
					case tokens <- struct{}{}:
					default: // every worker is busy: the offered load is not met
					}
				}
			}
		}()
	}
	var r loadResult
	var mu sync.Mutex
	var issued atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for range concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && issued.Add(1) <= maxRequests {
				if tokens != nil {
					select {
					case <-ctx.Done():
						return
					case <-tokens:
					}
				}
				// A submission under way when the time is up may finish.
				receipt, err := s.submitSmall(context.WithoutCancel(ctx))
				mu.Lock()
				if err != nil {
					r.failed++
					if r.firstErr == nil {
						r.firstErr = err
					}
				} else {
					r.ok++
					if len(r.receipts) < 1000 {
						r.receipts = append(r.receipts, receipt)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(t0)
	return r
}

type latencies struct {
	d      []time.Duration
	failed int
	err    error
}

func (l *latencies) add(d time.Duration, err error) {
	if err != nil {
		l.failed++
		if l.err == nil {
			l.err = err
		}
		return
	}
	l.d = append(l.d, d)
}

func (l *latencies) pct(p float64) time.Duration {
	if len(l.d) == 0 {
		return 0
	}
	s := slices.Clone(l.d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
func mib(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// removeLargeFiles deletes regular files of at least n bytes under root.
func removeLargeFiles(root string, n int64) {
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil && fi.Size() >= n {
				os.Remove(path)
			}
		}
		return nil
	})
}

func run(c config) error {
	parent := c.dataDir
	if parent == "" {
		parent = os.TempDir()
	}
	dir, err := os.MkdirTemp(parent, "varsel-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	smallFile = make([]byte, c.fileSize)
	rand.NewChaCha8([32]byte{4}).Read(smallFile)

	// The varsel serve budgets and the storm first, each with a server
	// process of its own, so nothing this process does is counted and the
	// server is otherwise idle.
	if c.starts > 0 && (c.only == "" || c.only == "serve") {
		fmt.Printf("varsel-load: varsel serve budgets, %d cold starts (SQLite, production Argon2)\n", c.starts)
		r, err := serveBudgets(c, parent)
		if err != nil {
			return fmt.Errorf("varsel serve budgets: %w", err)
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		printServe(tw, c, r)
		tw.Flush()
		if c.only == "serve" {
			return nil
		}
		fmt.Println()
	}
	if c.storm > 0 && (c.only == "" || c.only == "storm") {
		fmt.Printf("varsel-load: login storm, %d concurrent receipt logins at a varsel serve process (SQLite, production Argon2)\n", c.storm)
		r, err := loginStorm(c, parent)
		if err != nil {
			return fmt.Errorf("login storm: %w", err)
		}
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		printStorm(tw, r)
		tw.Flush()
		if r.errs > 0 {
			return fmt.Errorf("login storm: %d failed logins: %v", r.errs, r.firstErr)
		}
		if c.only == "storm" {
			return nil
		}
		fmt.Println()
	}
	if c.only == "mix" {
		return mixLoad(c, dir)
	}
	if err := measure(c, dir); err != nil {
		return err
	}
	if c.mixDuration > 0 {
		fmt.Println()
		mixDir, err := os.MkdirTemp(parent, "varsel-mix-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(mixDir)
		return mixLoad(c, mixDir)
	}
	return nil
}

// measure runs the upload, throughput and receipt login measurements on
// an in-process server over dir.
func measure(c config, dir string) error {
	s, err := start(c, dir)
	if err != nil {
		return err
	}
	defer s.stop()
	engine := "SQLite"
	if c.dsn != "" {
		engine = "PostgreSQL"
	}
	fmt.Printf("varsel-load: server on %s (%s, production Argon2, GOMAXPROCS=%d), data in %s\n", s.url, engine, runtime.GOMAXPROCS(0), dir)

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	row := func(what, value, note string) { fmt.Fprintf(tw, "%s\t%s\t%s\n", what, value, note) }
	var failures []string

	// (a) one large upload, first, so the peak RSS is the upload's own.
	if c.size > 0 {
		fmt.Printf("uploading %s ...\n", mib(c.size))
		u, err := uploadLarge(s, c.size, dir)
		if err != nil {
			failures = append(failures, fmt.Sprintf("large upload: %v", err))
		}
		removeLargeFiles(filepath.Join(dir, "blobs"), c.size/2) // the encrypted upload: free the disk now
		if err == nil {
			row("upload size", mib(u.size), "one file, one POST /api/v1/reports, streamed from a PRNG through io.Pipe")
			row("upload time", fmt.Sprintf("%.1f s", u.elapsed.Seconds()), "until the 201 with the receipt")
			row("upload throughput", fmt.Sprintf("%.1f MiB/s", float64(u.size)/(1<<20)/u.elapsed.Seconds()), "client and server on loopback, same process")
			row("RSS before upload", mib(u.rssBefore), "after setup, GC and FreeOSMemory")
			row("peak RSS during upload", mib(u.peakDuring), "VmHWM after reset via /proc/self/clear_refs; client+server process")
			row("max sampled RSS during upload", mib(u.rssMax), "VmRSS every 50 ms")
			row("peak RSS since process start", mib(max(u.hwmStart, u.hwmEnd)), fmt.Sprintf("VmHWM; before the upload it was %s (setup ran a 64 MiB password Argon2)", mib(u.hwmStart)))
		}
	}

	// Some receipts to log in with.
	seed := submitLoad(s, 2, 5*time.Second, 0, 20)
	if len(seed.receipts) == 0 {
		return fmt.Errorf("no submission succeeded: %v", seed.firstErr)
	}

	// (c, unloaded) logins one after the other on an idle server.
	var idle latencies
	for i := range c.logins {
		idle.add(s.login(seed.receipts[i%len(seed.receipts)]))
	}
	row("receipt login, unloaded, median", ms(idle.pct(0.5)), fmt.Sprintf("%d logins one at a time, %d failed", len(idle.d), idle.failed))
	row("receipt login, unloaded, p95", ms(idle.pct(0.95)), "")

	// (b) throughput flat out.
	fmt.Printf("submitting flat out with %d whistleblowers for %v ...\n", c.concurrency, c.duration)
	flat := submitLoad(s, c.concurrency, c.duration, 0, c.maxRequests)
	row("submissions/s, flat out", fmt.Sprintf("%.1f", float64(flat.ok)/flat.elapsed.Seconds()),
		fmt.Sprintf("%d concurrent, %v, %d ok, %d errors, %s file each", c.concurrency, flat.elapsed.Round(time.Millisecond), flat.ok, flat.failed, mib(int64(c.fileSize))))
	if flat.firstErr != nil {
		failures = append(failures, fmt.Sprintf("flat-out submissions: %v", flat.firstErr))
	}

	// (c, loaded) logins while submissions are offered at c.rate per second.
	fmt.Printf("logging in while submitting at %.0f/s for %v ...\n", c.rate, c.duration)
	var loaded latencies
	stop := make(chan struct{})
	var lg sync.WaitGroup
	lg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			loaded.add(s.login(seed.receipts[i%len(seed.receipts)]))
			time.Sleep(100 * time.Millisecond)
		}
	})
	paced := submitLoad(s, max(c.concurrency, int(c.rate)), c.duration, c.rate, c.maxRequests)
	close(stop)
	lg.Wait()
	row(fmt.Sprintf("submissions/s, offered %.0f/s", c.rate), fmt.Sprintf("%.1f", float64(paced.ok)/paced.elapsed.Seconds()),
		fmt.Sprintf("%d ok, %d errors", paced.ok, paced.failed))
	row("receipt login, loaded, median", ms(loaded.pct(0.5)), fmt.Sprintf("%d logins, %d failed, while submissions ran", len(loaded.d), loaded.failed))
	row("receipt login, loaded, p95", ms(loaded.pct(0.95)), "")
	if paced.firstErr != nil {
		failures = append(failures, fmt.Sprintf("paced submissions: %v", paced.firstErr))
	}
	if err := errors.Join(idle.err, loaded.err); err != nil {
		failures = append(failures, fmt.Sprintf("logins: %v", err))
	}
	fmt.Println()
	tw.Flush()
	for _, f := range failures {
		fmt.Println("ERROR:", f)
	}
	if len(failures) > 0 {
		return errors.New("some measurements failed")
	}
	return nil
}
