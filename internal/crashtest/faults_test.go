package crashtest

// Fault tests (issue 6, "Faults"): a read-only data directory, a full disk,
// PostgreSQL restarted under load, and SIGKILL during a staff state change
// and during the retention job. Like crash_test.go they run the test binary
// itself as a child process; faultChildEnv selects a child mode of this
// file (a server on any database, with a skewed clock, or the retention
// job), since crash_test.go's child only serves the default SQLite store.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/totp"
)

// faultChildEnv holds a JSON faultSpec when the binary runs as a child of a
// fault test. It is checked in init, before crash_test.go's TestMain.
const faultChildEnv = "VARSEL_FAULTTEST_CHILD"

type faultSpec struct {
	Mode string        `json:"mode"` // "serve" or "retention"
	Dir  string        `json:"dir"`
	DSN  string        `json:"dsn,omitempty"`
	Skew time.Duration `json:"skew,omitempty"` // added to the child's clock
}

func (s faultSpec) config() app.Config {
	cfg := testConfig(s.Dir)
	cfg.DSN = s.DSN
	if skew := s.Skew; skew != 0 {
		cfg.Now = func() time.Time { return time.Now().Add(skew) }
	}
	return cfg
}

func init() {
	v := os.Getenv(faultChildEnv)
	if v == "" {
		return
	}
	var s faultSpec
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(runFaultChild(s))
}

func runFaultChild(s faultSpec) int {
	ctx := context.Background()
	a, err := app.Open(ctx, s.config())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	a.Config.Out = io.Discard
	if s.Mode == "retention" {
		// What housekeeping does every ten minutes, started at once.
		j := &retention.Job{DB: a.DB, Blobs: a.Blobs, Now: a.Config.Now, Logger: a.Config.Logger}
		fmt.Println("READY retention")
		res, err := j.Run(ctx, org.DefaultTenant)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("DONE busy=%v deleted=%d\n", res.Busy, len(res.Deleted))
		return 0
	}
	ln, err1 := netListen()
	sln, err2 := netListen()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		return 1
	}
	fmt.Printf("READY %s %s\n", ln.Addr(), sln.Addr())
	if err := a.Serve(ctx, ln, sln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// faultChild is a running child; staff is the staff site's base URL (the
// crash_test.go child serves only the public one), lines its later output.
type faultChild struct {
	child
	staff string
	lines chan string
}

func startFaultChild(t *testing.T, s faultSpec) *faultChild {
	t.Helper()
	spec, _ := json.Marshal(s)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), faultChildEnv+"="+string(spec))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "READY ")
		if !ok {
			continue
		}
		c := &faultChild{child: child{cmd: cmd}, lines: make(chan string, 16)}
		if f := strings.Fields(rest); len(f) == 2 {
			c.base, c.staff = "http://"+f[0], "http://"+f[1]
		}
		go func() {
			for sc.Scan() {
				c.lines <- sc.Text()
			}
			close(c.lines)
		}()
		return c
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("fault child did not start: %v", sc.Err())
	return nil
}

func (c *faultChild) alive() bool { return c.cmd.Process.Signal(syscall.Signal(0)) == nil }

// fixture is an initialised organisation with a handler (and an admin).
type fixture struct {
	cfg     app.Config
	handler accounts.Created
	admin   accounts.Created
}

const (
	handlerEmail = "h@example.org" // checkStore logs in as this address
	adminEmail   = "admin@example.org"
	staffPass    = "correct horse battery staple"
)

func newFixture(t *testing.T, dir, dsn string) fixture {
	t.Helper()
	ctx := context.Background()
	f := fixture{cfg: testConfig(dir)}
	f.cfg.DSN = dsn
	a, err := app.Open(ctx, f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := org.Init(ctx, a.DB, org.DefaultTenant, "Fault Org", time.Now()); err != nil {
		t.Fatal(err)
	}
	if f.handler, err = a.Accounts.CreateUser(ctx, accounts.NewUser{Email: handlerEmail, Role: accounts.RoleHandler,
		Password: staffPass, Channels: []string{org.DefaultChannel}}); err != nil {
		t.Fatal(err)
	}
	if f.admin, err = a.Accounts.CreateUser(ctx, accounts.NewUser{Email: adminEmail, Role: accounts.RoleAdmin,
		Password: staffPass}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{f.handler.UserID, f.admin.UserID} {
		if err := privacy.AcceptCurrentDeclaration(ctx, a.DB, org.DefaultTenant, id); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f fixture) open(t *testing.T) *app.App {
	t.Helper()
	a, err := app.Open(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// login returns a staff session token. It uses the TOTP code of the
// previous 30-second step, so that checkStore's later login with the
// current step is still fresh (each step is accepted once per user).
func login(t *testing.T, a *app.App, email string, c accounts.Created) string {
	t.Helper()
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	token, err := a.Accounts.Login(context.Background(), email, staffPass, totp.Code(secret, time.Now().Add(-30*time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func staffOf(t *testing.T, a *app.App, token string) *accounts.Staff {
	t.Helper()
	st, err := a.Accounts.Authenticate(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// outcome is one submission attempt.
type outcome struct {
	acked     acked
	status    int // 0 when the request failed in transport
	body      []byte
	transport error
}

// trySubmit is submit from crash_test.go, keeping the status and body.
func trySubmit(client *http.Client, base string, sizes []int) outcome {
	var mb [8]byte
	rand.Read(mb[:])
	a := acked{marker: "fault-" + hex.EncodeToString(mb[:]), files: map[string]string{}}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	rep, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel,
		"answers": map[string]any{"what": a.marker, "when": "now", "how_known": "witnessed"}})
	mw.WriteField("report", string(rep))
	for i, n := range sizes {
		name := fmt.Sprintf("%s-%d.bin", a.marker, i)
		body := make([]byte, n)
		rand.Read(body)
		sum := sha256.Sum256(body)
		a.files[name] = hex.EncodeToString(sum[:])
		p, _ := mw.CreateFormFile("file", name)
		p.Write(body)
	}
	mw.Close()
	resp, err := client.Post(base+"/api/v1/reports", mw.FormDataContentType(), &buf)
	if err != nil {
		return outcome{transport: err}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	o := outcome{status: resp.StatusCode, body: b}
	if resp.StatusCode == http.StatusCreated {
		var out struct{ Receipt string }
		if err := json.Unmarshal(b, &out); err != nil || out.Receipt == "" {
			o.transport = fmt.Errorf("201 without a receipt: %q", b)
			return o
		}
		a.receipt = out.Receipt
		o.acked = a
	}
	return o
}

// cleanServerError tells whether a refusal is what a client can act on: a
// 5xx with a JSON error body carrying a code.
func cleanServerError(o outcome) error {
	if o.transport != nil {
		return fmt.Errorf("no answer: %w", o.transport)
	}
	if o.status < 500 {
		return fmt.Errorf("status %d (want 5xx): %s", o.status, o.body)
	}
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(o.body, &e); err != nil || e.Error.Code == "" {
		return fmt.Errorf("status %d without a JSON error: %q", o.status, o.body)
	}
	return nil
}

// waitSwept waits until the child's startup sweep has run: no orphan blob
// and no temporary file is left.
func waitSwept(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		orphans := 0
		a.Blobs.Walk(ctx, func(key string, _ time.Time) error {
			if ok, err := a.DB.BlobReferenced(ctx, key); err != nil || !ok {
				orphans++
			}
			return nil
		})
		temps, _ := os.ReadDir(filepath.Join(a.Config.DataDir, "blobs", "tmp"))
		if orphans == 0 && len(temps) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d orphan blobs and %d temporary files remain 10 s after restart", orphans, len(temps))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// finalCheck restarts the server (which sweeps orphans), reads every
// acknowledged report through it, and checks the whole store.
func finalCheck(t *testing.T, f fixture, spec faultSpec, all []acked) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second}
	c := startFaultChild(t, spec)
	for _, r := range all {
		checkReport(t, client, c.base, r)
	}
	a := f.open(t)
	waitSwept(t, a)
	c.kill()
	checkStore(t, a, f.handler)
	a.Close()
}

// ---------------------------------------------------------------------
// Read-only data directory

// makeReadOnly makes paths unwritable and returns the undo. Root ignores
// permission bits, so as root it sets the immutable attribute (chattr +i),
// which binds root too; otherwise it clears the write bits.
func makeReadOnly(t *testing.T, paths ...string) (undo func()) {
	t.Helper()
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("chattr"); err != nil {
			t.Skip("running as root, which ignores permission bits, and chattr (e2fsprogs) is missing")
		}
		args := append([]string{"+i"}, paths...)
		if out, err := exec.Command("chattr", args...).CombinedOutput(); err != nil {
			t.Skipf("running as root, which ignores permission bits, and chattr +i fails here (file system without the immutable attribute?): %v %s", err, out)
		}
		done := false
		undo = func() {
			if !done {
				done = true
				args := append([]string{"-i"}, paths...)
				if out, err := exec.Command("chattr", args...).CombinedOutput(); err != nil {
					t.Errorf("chattr -i: %v %s", err, out)
				}
			}
		}
		t.Cleanup(undo) // before t.TempDir's removal, which cannot remove immutable files
		return undo
	}
	modes := map[string]os.FileMode{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		modes[p] = fi.Mode().Perm()
		os.Chmod(p, fi.Mode().Perm()&^0o222)
	}
	done := false
	undo = func() {
		if !done {
			done = true
			for p, m := range modes {
				os.Chmod(p, m)
			}
		}
	}
	t.Cleanup(undo)
	return undo
}

// The blob store, then also the database, become read-only under a running
// server: submissions fail with a 5xx JSON error and leave nothing behind,
// acknowledged reports stay readable while only the blobs are read-only,
// and once write access returns the same process accepts reports again.
func TestFaultReadOnlyDataDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts server processes")
	}
	dir := t.TempDir()
	f := newFixture(t, dir, "")
	spec := faultSpec{Mode: "serve", Dir: dir}
	c := startFaultChild(t, spec)
	defer c.kill()
	client := &http.Client{Timeout: 30 * time.Second}
	var all []acked
	for range 3 {
		o := trySubmit(client, c.base, []int{1 << 10, 200 << 10})
		if o.status != http.StatusCreated {
			t.Fatalf("submission before the fault: %d %q %v", o.status, o.body, o.transport)
		}
		all = append(all, o.acked)
	}

	// Phase 1: the blob store is read-only.
	blobs := filepath.Join(dir, "blobs")
	undoBlobs := makeReadOnly(t, filepath.Join(blobs, "tmp"), filepath.Join(blobs, "objects"))
	for i := range 3 {
		o := trySubmit(client, c.base, []int{4 << 10})
		if err := cleanServerError(o); err != nil {
			t.Fatalf("submission %d with a read-only blob store: %v", i, err)
		}
	}
	for _, r := range all {
		checkReport(t, client, c.base, r) // reading needs no blob write
	}

	// Phase 2: the database as well (as root only: permission bits do not
	// stop writes through the descriptors SQLite already holds, the
	// immutable attribute does).
	if os.Geteuid() == 0 {
		db := filepath.Join(dir, "varsel.db")
		ro := []string{db, dir}
		if _, err := os.Stat(db + "-wal"); err == nil {
			ro = append(ro, db+"-wal")
		}
		undoDB := makeReadOnly(t, ro...)
		for i, sizes := range [][]int{nil, {4 << 10}, nil} {
			o := trySubmit(client, c.base, sizes)
			if err := cleanServerError(o); err != nil {
				t.Fatalf("submission %d with a read-only database: %v", i, err)
			}
		}
		undoDB()
	} else {
		t.Log("not root: the read-only database phase needs chattr +i; permission bits do not stop SQLite's open descriptors")
	}
	undoBlobs()

	// Recovery without restart.
	for i := range 3 {
		o := trySubmit(client, c.base, []int{1 << 10, 100 << 10})
		if o.status != http.StatusCreated {
			t.Fatalf("submission %d after write access returned: %d %q %v", i, o.status, o.body, o.transport)
		}
		all = append(all, o.acked)
	}
	for _, r := range all {
		checkReport(t, client, c.base, r)
	}
	if !c.alive() {
		t.Fatal("server process died")
	}
	c.kill()
	finalCheck(t, f, spec, all)
}

// ---------------------------------------------------------------------
// Disk full

// The data directory (SQLite and blobs) lives on an 16 MiB tmpfs that a
// filler file nearly fills. Every submission is either acknowledged and
// complete or refused with a 5xx JSON error; once the filler is deleted the
// same process accepts reports again and nothing acknowledged is lost.
func TestFaultDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts server processes")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a size-limited tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a size-limited tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			exec.Command("umount", "-l", mnt).Run()
			t.Logf("umount %s: %v %s (lazily unmounted)", mnt, err, out)
		}
	})
	dir := filepath.Join(mnt, "data")
	f := newFixture(t, dir, "")
	spec := faultSpec{Mode: "serve", Dir: dir}
	c := startFaultChild(t, spec)
	defer c.kill()
	client := &http.Client{Timeout: 30 * time.Second}
	var all []acked
	for range 3 {
		o := trySubmit(client, c.base, []int{1 << 10, 100 << 10})
		if o.status != http.StatusCreated {
			t.Fatalf("submission before the disk filled: %d %q %v", o.status, o.body, o.transport)
		}
		all = append(all, o.acked)
	}

	// Leave about 1.5 MiB free, then submit until the disk is full.
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(mnt, &sfs); err != nil {
		t.Fatal(err)
	}
	free := int64(sfs.Bavail) * int64(sfs.Bsize)
	filler := filepath.Join(mnt, "filler")
	if err := os.WriteFile(filler, make([]byte, max(free-3<<19, 0)), 0o600); err != nil {
		t.Fatal(err)
	}
	refused, failedInARow := 0, 0
	for i := 0; i < 200 && failedInARow < 6; i++ {
		o := trySubmit(client, c.base, []int{1 << 10, 96 << 10})
		if o.status == http.StatusCreated {
			all = append(all, o.acked)
			failedInARow = 0
			continue
		}
		if err := cleanServerError(o); err != nil {
			t.Fatalf("submission on a full disk: %v", err)
		}
		refused++
		failedInARow++
	}
	if refused == 0 {
		t.Fatal("no submission was refused; the disk never filled and the test proves nothing")
	}
	// A file larger than the space left fails while the blob is written,
	// before the database is touched.
	if err := cleanServerError(trySubmit(client, c.base, []int{4 << 20})); err != nil {
		t.Fatalf("submission of a file larger than the free space: %v", err)
	}
	t.Logf("%d submissions acknowledged, %d refused with a 5xx JSON error while the disk was full", len(all), refused)

	// Space returns: the same process accepts reports again.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		o := trySubmit(client, c.base, []int{1 << 10, 100 << 10})
		if o.status != http.StatusCreated {
			t.Fatalf("submission %d after space returned: %d %q %v", i, o.status, o.body, o.transport)
		}
		all = append(all, o.acked)
	}
	for _, r := range all {
		checkReport(t, client, c.base, r)
	}
	if !c.alive() {
		t.Fatal("server process died")
	}
	c.kill()
	finalCheck(t, f, spec, all)
}

// ---------------------------------------------------------------------
// PostgreSQL restarted under load

// Whistleblowers submit while a PostgreSQL cluster is stopped for two
// seconds and started again. While it is down every submission is refused
// with a 5xx JSON error (no hang, no crash); afterwards the same Varsel
// process accepts reports again, and every acknowledged report is
// complete. The cluster is a private one of this test (pgprivate_test.go),
// so the test is safe in CI and on a developer's machine.
func TestFaultPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts server processes")
	}
	pg := startPrivatePostgres(t)
	dsn, dir := pg.DSN(), t.TempDir()
	pgUp := pg.up
	pgctl := func(action string) {
		if action == "stop" {
			pg.stop()
		} else {
			pg.start()
		}
	}
	waitPG := func() {
		for range 60 {
			if pgUp() {
				return
			}
			time.Sleep(250 * time.Millisecond)
		}
		t.Fatal("PostgreSQL did not come back within 15 s")
	}

	f := newFixture(t, dir, dsn)
	spec := faultSpec{Mode: "serve", Dir: dir, DSN: dsn}
	c := startFaultChild(t, spec)
	defer c.kill()
	client := &http.Client{Timeout: 30 * time.Second}

	var (
		mu       sync.Mutex
		all      []acked
		problems []string
		down     bool
		downOK   int // acknowledged while the database was down: must be none
		refused  int
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := trySubmit(client, c.base, []int{1 << 10, 32 << 10})
				mu.Lock()
				switch {
				case o.status == http.StatusCreated:
					all = append(all, o.acked)
					if down {
						downOK++
					}
				default:
					refused++
					if err := cleanServerError(o); err != nil {
						problems = append(problems, err.Error())
					}
				}
				isDown := down
				mu.Unlock()
				if isDown {
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	start := time.Now()
	time.Sleep(time.Second)
	mu.Lock()
	before := len(all)
	mu.Unlock()
	pgctl("stop")
	mu.Lock()
	down, refused = true, 0
	mu.Unlock()
	time.Sleep(2 * time.Second)
	mu.Lock()
	down = false
	refusedDown := refused
	mu.Unlock()
	pgctl("start")
	waitPG()
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	t.Logf("%d acknowledged before the stop, %d refused while down, %d acknowledged in all, in %v",
		before, refusedDown, len(all), time.Since(start).Round(time.Millisecond))
	if len(problems) > 0 {
		t.Fatalf("%d refusals were not clean 5xx JSON errors, e.g. %s", len(problems), problems[0])
	}
	if downOK > 0 {
		t.Fatalf("%d submissions were acknowledged while PostgreSQL was stopped", downOK)
	}
	if refusedDown == 0 {
		t.Fatal("no submission was refused while PostgreSQL was down; the test proves nothing")
	}
	if !c.alive() {
		t.Fatal("server process died")
	}
	// After the restart the pool must have dropped its dead connections:
	// ten submissions in a row succeed.
	for i := range 10 {
		o := trySubmit(client, c.base, []int{1 << 10})
		if o.status != http.StatusCreated {
			t.Fatalf("submission %d after PostgreSQL came back: %d %q %v", i, o.status, o.body, o.transport)
		}
		all = append(all, o.acked)
	}
	// finalCheck reads every acknowledged report through a restarted server.
	c.kill()
	finalCheck(t, f, spec, all)
}

// ---------------------------------------------------------------------
// SIGKILL during staff state changes

var statePath = []string{cases.StateReceived, cases.StateScreening, cases.StateInvestigation, cases.StateClosed}

func transitionBody(to string) []byte {
	b := map[string]string{"state": to}
	if to == cases.StateClosed {
		b["outcome"], b["reason"], b["message"] = "unfounded", "nothing found", "We looked into it and found nothing."
	}
	out, _ := json.Marshal(b)
	return out
}

// Handlers move cases through the workflow while the server is killed.
// After each restart every case is in a state on its path at least as far
// as the last acknowledged change, its journal has exactly one state entry
// per step taken (and the audit log one state change), a closed case has
// its final message, and the audit chain verifies.
func TestFaultKillDuringStateChange(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts server processes")
	}
	dir := t.TempDir()
	f := newFixture(t, dir, "")
	a := f.open(t)
	token := login(t, a, handlerEmail, f.handler)
	a.Close()

	spec := faultSpec{Mode: "serve", Dir: dir}
	client := &http.Client{Timeout: 30 * time.Second}
	c := startFaultChild(t, spec)
	for range 24 {
		if o := trySubmit(client, c.base, []int{1 << 10}); o.status != http.StatusCreated {
			t.Fatalf("submission: %d %q %v", o.status, o.body, o.transport)
		}
	}
	c.kill()
	a = f.open(t)
	page, err := a.Cases.Inbox(context.Background(), staffOf(t, a, token), "", false, 200, 0)
	a.Close()
	if err != nil || len(page.Rows) != 24 {
		t.Fatalf("inbox: %v (%d rows)", err, len(page.Rows))
	}
	var ids []string
	for _, r := range page.Rows {
		ids = append(ids, r.ReportID)
	}

	acked := map[string]int{} // report → index in statePath of the last acknowledged state
	var mu sync.Mutex
	killedMidChange, rounds := 0, 0
	for round := 0; round < 8; round++ {
		rounds++
		c := startFaultChild(t, spec)
		var inFlight sync.WaitGroup
		stop := make(chan struct{})
		for w := range 4 {
			inFlight.Go(func() {
				for i := w; ; i = (i + 4) % len(ids) {
					select {
					case <-stop:
						return
					default:
					}
					id := ids[i]
					mu.Lock()
					cur := acked[id]
					mu.Unlock()
					if cur == len(statePath)-1 {
						if mine := ownCases(ids, w); allClosed(&mu, acked, mine) {
							return
						}
						continue
					}
					// Ask for the step after the last acknowledged one; after
					// an unacknowledged change that committed, this is refused
					// with 409 and the next round asks for the one after.
					to := statePath[cur+1]
					req, _ := http.NewRequest("POST", c.staff+"/api/v1/staff/cases/"+id+"/state", bytes.NewReader(transitionBody(to)))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						continue // cut by the kill
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == http.StatusNoContent {
						mu.Lock()
						acked[id] = max(acked[id], cur+1)
						mu.Unlock()
					}
				}
			})
		}
		time.Sleep(time.Duration(20+mrand.IntN(120)) * time.Millisecond)
		c.kill()
		close(stop)
		inFlight.Wait()

		// Refresh what was acknowledged from the store, so the next round
		// asks for valid steps, and check every case.
		a := f.open(t)
		st := staffOf(t, a, token)
		for _, id := range ids {
			idx := checkCaseStates(t, a, st, id)
			mu.Lock()
			if idx < acked[id] {
				mu.Unlock()
				a.Close()
				t.Fatalf("case %s is %s, but the change to %s was acknowledged", id, statePath[idx], statePath[acked[id]])
			}
			if idx > acked[id] {
				killedMidChange++ // committed, answer lost to the kill
			}
			acked[id] = idx
			mu.Unlock()
		}
		verifyAudit(t, a)
		a.Close()
		if allClosed(&mu, acked, ids) {
			break
		}
	}
	if !allClosed(&mu, acked, ids) {
		t.Logf("not every case reached closed in %d rounds; the checks above still held", rounds)
	}
	t.Logf("%d kills; %d state changes committed whose answer the kill cut off", rounds, killedMidChange)
}

// ownCases are the cases worker w of 4 works on.
func ownCases(ids []string, w int) []string {
	var out []string
	for i := w; i < len(ids); i += 4 {
		out = append(out, ids[i])
	}
	return out
}

func allClosed(mu *sync.Mutex, acked map[string]int, ids []string) bool {
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if acked[id] != len(statePath)-1 {
			return false
		}
	}
	return true
}

// checkCaseStates checks one case's state against its journal and audit
// entries and returns the index of its state in statePath.
func checkCaseStates(t *testing.T, a *app.App, st *accounts.Staff, id string) int {
	t.Helper()
	ctx := context.Background()
	v, err := a.Cases.Open(ctx, st, id)
	if err != nil {
		t.Fatalf("case %s does not open: %v", id, err)
	}
	idx := slices.Index(statePath, v.Status)
	if idx < 0 {
		t.Fatalf("case %s is in unknown state %q", id, v.Status)
	}
	journal, err := a.Cases.Journal(ctx, st, id)
	if err != nil {
		t.Fatalf("journal of %s: %v", id, err)
	}
	var steps []string
	staffMessages := 0
	for _, e := range journal {
		switch {
		case e.Kind == cases.EntryState:
			if e.From != statePath[len(steps)] {
				t.Fatalf("case %s: state entry %d goes from %s, want %s", id, len(steps), e.From, statePath[len(steps)])
			}
			steps = append(steps, e.To)
		case e.Kind == "message" && e.AuthorType == store.AuthorStaff:
			staffMessages++
		}
	}
	if !slices.Equal(steps, statePath[1:idx+1]) {
		t.Fatalf("case %s is %s but its journal has the state entries %v", id, v.Status, steps)
	}
	if closed := idx == len(statePath)-1; closed != (staffMessages == 1) || staffMessages > 1 {
		t.Fatalf("case %s is %s with %d final messages", id, v.Status, staffMessages)
	}
	n := 0
	for _, e := range auditEntries(t, a) {
		if e.Action == audit.ActionCaseStateChange && e.ObjectID == id {
			n++
		}
	}
	if n != idx {
		t.Fatalf("case %s took %d steps but the audit log has %d state changes", id, idx, n)
	}
	return idx
}

var auditCache struct {
	a       *app.App
	entries []store.AuditEntry
}

// auditEntries reads the whole audit log once per opened app; the state
// checks only look at state changes, which reading adds none of.
func auditEntries(t *testing.T, a *app.App) []store.AuditEntry {
	t.Helper()
	if auditCache.a == a {
		return auditCache.entries
	}
	es, err := a.DB.AuditEntries(context.Background(), org.DefaultTenant, math.MinInt64, math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	auditCache.a, auditCache.entries = a, es
	return es
}

func verifyAudit(t *testing.T, a *app.App) {
	t.Helper()
	r, err := audit.Verify(context.Background(), a.DB, org.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	if r.Broken {
		t.Fatalf("after the kill: %s", r)
	}
}

// ---------------------------------------------------------------------
// SIGKILL during the retention job

// Closed cases past a confirmed one-month policy are deleted by the
// retention job (run with a clock two years ahead) while it is killed again
// and again. After every kill each case is either whole (opens with all its
// files) or gone with a deletion record, never both or neither, and the
// audit chain verifies; at the end a restart leaves no orphan blob. The
// lease of a killed run expires (each run's clock is an hour later), so
// the job is not blocked by a dead holder.
func TestFaultKillDuringRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test starts server processes")
	}
	const n = 60
	dir := t.TempDir()
	f := newFixture(t, dir, "")
	spec := faultSpec{Mode: "serve", Dir: dir}
	client := &http.Client{Timeout: 30 * time.Second}
	c := startFaultChild(t, spec)
	for range n {
		if o := trySubmit(client, c.base, []int{1 << 10, 16 << 10}); o.status != http.StatusCreated {
			t.Fatalf("submission: %d %q %v", o.status, o.body, o.transport)
		}
	}
	c.kill()

	ctx := context.Background()
	a := f.open(t)
	token := login(t, a, handlerEmail, f.handler)
	adminToken := login(t, a, adminEmail, f.admin)
	st := staffOf(t, a, token)
	page, err := a.Cases.Inbox(ctx, st, "", false, 200, 0)
	if err != nil || len(page.Rows) != n {
		t.Fatalf("inbox: %v (%d rows)", err, len(page.Rows))
	}
	caseNumber := map[string]int64{}
	for _, r := range page.Rows {
		caseNumber[r.ReportID] = r.CaseNumber
		for _, to := range []string{cases.StateScreening, cases.StateClosed} {
			var tr cases.Transition
			json.Unmarshal(transitionBody(to), &struct {
				State   *string `json:"state"`
				Outcome *string `json:"outcome"`
				Reason  *string `json:"reason"`
				Message *string `json:"message"`
			}{&tr.To, &tr.Outcome, &tr.Reason, &tr.Message})
			if err := a.Cases.ChangeState(ctx, st, r.ReportID, tr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := retention.New(a.DB, org.DefaultTenant, nil).SetPolicy(ctx, staffOf(t, a, adminToken),
		retention.PolicyChange{ChannelID: org.DefaultChannel, Months: 1, Confirm: true}); err != nil {
		t.Fatal(err)
	}
	a.Close()

	killedMid, finished := 0, false
	for round := 0; round < 40 && !finished; round++ {
		rc := startFaultChild(t, faultSpec{Mode: "retention", Dir: dir,
			Skew: 2*365*24*time.Hour + time.Duration(round)*time.Hour})
		select {
		case line := <-rc.lines:
			if !strings.HasPrefix(line, "DONE") {
				t.Fatalf("retention child: %q", line)
			}
			if strings.Contains(line, "busy=true") {
				t.Fatalf("retention job found the lease of a killed run still held: %s", line)
			}
			finished = true
			rc.cmd.Wait()
		// Early kills land during start-up or the first cases; later ones
		// leave the job more time, so that it finishes in the end.
		case <-time.After(time.Duration(round*round+mrand.IntN(25)) * time.Millisecond):
			rc.kill()
		}

		a := f.open(t)
		deleted, remaining := checkRetentionState(t, a, staffOf(t, a, token), caseNumber)
		verifyAudit(t, a)
		a.Close()
		if !finished && deleted > 0 && remaining > 0 {
			killedMid++
		}
		if testing.Verbose() {
			t.Logf("round %d: %d deleted, %d remaining, finished %v", round, deleted, remaining, finished)
		}
	}
	if !finished {
		t.Fatal("the retention job never finished")
	}
	a = f.open(t)
	if deleted, remaining := checkRetentionState(t, a, staffOf(t, a, token), caseNumber); deleted != n || remaining != 0 {
		t.Fatalf("after the job finished: %d deleted, %d remaining of %d", deleted, remaining, n)
	}
	a.Close()
	t.Logf("%d kills landed while the job was part way through", killedMid)

	// A restart sweeps the blobs of cases deleted just before a kill.
	c = startFaultChild(t, spec)
	a = f.open(t)
	waitSwept(t, a)
	c.kill()
	verifyAudit(t, a)
	a.Close()
}

// checkRetentionState checks that every case is either whole or deleted
// with a deletion record, and counts both.
func checkRetentionState(t *testing.T, a *app.App, st *accounts.Staff, caseNumber map[string]int64) (deleted, remaining int) {
	t.Helper()
	ctx := context.Background()
	recs, err := a.DB.DeletionRecords(ctx, org.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[int64]int{}
	for _, r := range recs {
		recorded[r.CaseNumber]++
	}
	for id, num := range caseNumber {
		v, err := a.Cases.Open(ctx, st, id)
		switch {
		case err == nil:
			if recorded[num] != 0 {
				t.Fatalf("case %d still exists but has a deletion record", num)
			}
			if len(v.Files) != 2 {
				t.Fatalf("case %d survived with %d of 2 files", num, len(v.Files))
			}
			for _, file := range v.Files {
				fr, err := a.Cases.OpenFile(ctx, st, id, file.ID)
				if err != nil {
					t.Fatalf("file of surviving case %d: %v", num, err)
				}
				got, err := io.Copy(io.Discard, fr)
				fr.Close()
				if err != nil || got != file.Size {
					t.Fatalf("file of surviving case %d: read %d of %d bytes: %v", num, got, file.Size, err)
				}
			}
			remaining++
		case errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound):
			if recorded[num] != 1 {
				t.Fatalf("case %d is gone with %d deletion records", num, recorded[num])
			}
			deleted++
		default:
			t.Fatalf("case %d: %v", num, err)
		}
	}
	if len(recs) != deleted {
		t.Fatalf("%d deletion records for %d deleted cases", len(recs), deleted)
	}
	if total, err := a.DB.CountReports(ctx, org.DefaultTenant); err != nil || total != remaining {
		t.Fatalf("%d reports stored, %d expected (%v)", total, remaining, err)
	}
	return deleted, remaining
}
