package crashtest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/totp"
)

const childEnv = "VARSEL_CRASHTEST_CHILD_DATA"

// TestMain turns the test binary into a Varsel server when started as the
// child of a crash test, so the test can SIGKILL a real process.
func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(serveChild(dir))
	}
	os.Exit(m.Run())
}

func testConfig(dir string) app.Config {
	return app.Config{DataDir: dir, ReceiptParams: keys.TestParams, PasswordParams: keys.TestParams, LogLevel: "error"}
}

func serveChild(dir string) int {
	ctx := context.Background()
	a, err := app.Open(ctx, testConfig(dir))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err1 := netListen()
	sln, err2 := netListen()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, err1, err2)
		return 1
	}
	a.Config.Out = io.Discard
	fmt.Printf("READY %s\n", ln.Addr())
	if err := a.Serve(ctx, ln, sln); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type child struct {
	cmd  *exec.Cmd
	base string
}

func startChild(t *testing.T, dir string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
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
		if addr, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
			go io.Copy(io.Discard, out)
			return &child{cmd: cmd, base: "http://" + addr}
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("child server did not start: %v", sc.Err())
	return nil
}

func (c *child) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	c.cmd.Wait()
}

type acked struct {
	receipt string
	marker  string
	files   map[string]string // name → sha256 of content
}

// submit sends one report with files of the given sizes.
func submit(client *http.Client, base string, sizes []int) (acked, error) {
	var mb [8]byte
	rand.Read(mb[:])
	a := acked{marker: "crash-" + hex.EncodeToString(mb[:]), files: map[string]string{}}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		rep, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel,
			"answers": map[string]any{"what": a.marker, "when": "now", "how_known": "witnessed"}})
		if err := mw.WriteField("report", string(rep)); err != nil {
			pw.CloseWithError(err)
			return
		}
		for i, n := range sizes {
			name := fmt.Sprintf("%s-%d.bin", a.marker, i)
			body := make([]byte, n)
			rand.Read(body)
			sum := sha256.Sum256(body)
			a.files[name] = hex.EncodeToString(sum[:])
			p, err := mw.CreateFormFile("file", name)
			if err != nil {
				pw.CloseWithError(err)
				return
			}
			// Write in pieces so a kill can land mid-file.
			for off := 0; off < n; off += 32 << 10 {
				if _, err := p.Write(body[off:min(off+32<<10, n)]); err != nil {
					pw.CloseWithError(err)
					return
				}
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	resp, err := client.Post(base+"/api/v1/reports", mw.FormDataContentType(), pr)
	if err != nil {
		return acked{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return acked{}, fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct{ Receipt string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return acked{}, err
	}
	a.receipt = out.Receipt
	return a, nil
}

// Atomic submission: SIGKILL at arbitrary moments while several
// whistleblowers submit reports with files. After restart every
// acknowledged report is complete and readable, every stored report is
// whole, and no orphan blob or temporary file remains.
func TestKillDuringSubmissionsLosesNothingAcknowledgedAndLeavesNoOrphans(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts server processes")
	}
	dir := t.TempDir()
	ctx := context.Background()
	a, err := app.Open(ctx, testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := org.Init(ctx, a.DB, org.DefaultTenant, "Crash Org", time.Now()); err != nil {
		t.Fatal(err)
	}
	created, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Email: "h@example.org", Role: accounts.RoleHandler,
		Password: "correct horse battery staple", Channels: []string{org.DefaultChannel}})
	if err != nil {
		t.Fatal(err)
	}
	if err := privacy.AcceptCurrentDeclaration(ctx, a.DB, org.DefaultTenant, created.UserID); err != nil {
		t.Fatal(err)
	}
	a.Close()

	var mu sync.Mutex
	var all []acked
	client := &http.Client{Timeout: 30 * time.Second}
	for round := range 4 {
		c := startChild(t, dir)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					sizes := []int{1 << 10, (w*7 + i*13) % 5 << 18} // up to ~1 MiB, sometimes empty
					if w == 0 && i%3 == 0 {
						sizes = append(sizes, 8<<20) // a larger upload, likely cut by the kill
					}
					got, err := submit(client, c.base, sizes)
					if err != nil {
						continue // refused or cut by the kill: not acknowledged
					}
					mu.Lock()
					all = append(all, got)
					mu.Unlock()
				}
			})
		}
		// Kill after a varying delay so the kill lands in different phases.
		time.Sleep(time.Duration(300+round*170) * time.Millisecond)
		c.kill()
		close(stop)
		wg.Wait()
	}
	if len(all) == 0 {
		t.Fatal("no submission was acknowledged; the test proves nothing")
	}

	// Restart once more (which sweeps orphans), then check everything.
	c := startChild(t, dir)
	for _, r := range all {
		checkReport(t, client, c.base, r)
	}
	c.kill()

	a, err = app.Open(ctx, testConfig(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	checkStore(t, a, created)
	t.Logf("%d acknowledged reports survived 4 kills", len(all))
}

func checkReport(t *testing.T, client *http.Client, base string, r acked) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"receipt": r.receipt})
	resp, err := client.Post(base+"/api/v1/wb/session", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("acknowledged receipt no longer logs in: %v %v", err, resp)
	}
	var tok struct{ Token string }
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	get := func(path string) []byte {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Token)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	var rep struct {
		Answers map[string]any
		Files   []struct{ ID, Name string }
	}
	json.Unmarshal(get("/api/v1/wb/report"), &rep)
	if rep.Answers["what"] != r.marker || len(rep.Files) != len(r.files) {
		t.Fatalf("acknowledged report incomplete: %d files of %d", len(rep.Files), len(r.files))
	}
	for _, f := range rep.Files {
		sum := sha256.Sum256(get("/api/v1/wb/files/" + f.ID))
		if hex.EncodeToString(sum[:]) != r.files[f.Name] {
			t.Fatalf("file %s of an acknowledged report is damaged", f.Name)
		}
	}
}

// checkStore opens every report as the handler (including reports whose
// commit succeeded but whose answer the kill cut off) and checks that every
// blob belongs to a report and no temporary file is left.
func checkStore(t *testing.T, a *app.App, created accounts.Created) {
	t.Helper()
	ctx := context.Background()
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret)
	token, err := a.Accounts.Login(ctx, "h@example.org", "correct horse battery staple", totp.Code(secret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	staff, err := a.Accounts.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	page, err := a.Cases.Inbox(ctx, staff, "", false, 200, 0)
	if err != nil {
		t.Fatal(err)
	}
	total, err := a.DB.CountReports(ctx, org.DefaultTenant)
	if err != nil || total != page.Total {
		t.Fatalf("%d reports stored, %d readable by the handler (%v)", total, page.Total, err)
	}
	for _, row := range page.Rows {
		v, err := a.Cases.Open(ctx, staff, row.ReportID)
		if err != nil {
			t.Fatalf("stored report %d does not open: %v", row.CaseNumber, err)
		}
		for _, f := range v.Files {
			fr, err := a.Cases.OpenFile(ctx, staff, row.ReportID, f.ID)
			if err != nil {
				t.Fatalf("file of report %d: %v", row.CaseNumber, err)
			}
			n, err := io.Copy(io.Discard, fr)
			fr.Close()
			if err != nil || n != f.Size {
				t.Fatalf("file of report %d: read %d of %d bytes: %v", row.CaseNumber, n, f.Size, err)
			}
		}
	}
	orphans := 0
	a.Blobs.Walk(ctx, func(key string, _ time.Time) error {
		if ok, err := a.DB.BlobReferenced(ctx, key); err != nil || !ok {
			orphans++
		}
		return nil
	})
	temps, _ := os.ReadDir(filepath.Join(a.Config.DataDir, "blobs", "tmp"))
	if orphans != 0 || len(temps) != 0 {
		t.Fatalf("%d orphan blobs and %d temporary files remain after restart", orphans, len(temps))
	}
	_ = store.ErrNotFound
}
