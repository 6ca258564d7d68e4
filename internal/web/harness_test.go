package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
	"github.com/varsel/varsel/internal/totp"
)

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// testClock is a settable clock; TOTP replay protection needs time to move
// between logins.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type staffUser struct {
	Email, Password string
	TOTP            []byte
}

// apiEnv is a complete Varsel over a real database and blob store, with
// both listeners on httptest servers.
type apiEnv struct {
	t        *testing.T
	db       *store.DB
	blobs    *blob.FS
	blobDir  string
	srv      *Server
	public   *httptest.Server
	staff    *httptest.Server
	logs     *syncBuffer
	clock    *testClock
	accounts *accounts.Service
	handler  staffUser
}

type apiEnvOption func(*intake.Config)

func withMaxFileSize(n int64) apiEnvOption { return func(c *intake.Config) { c.MaxFileSize = n } }

func newAPIEnv(t *testing.T, d store.Dialect, opts ...apiEnvOption) *apiEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, d)
	blobDir := t.TempDir()
	blobs, err := blob.NewFS(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := &testClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	kdf := keys.NewKDF(4)
	pepper := bytes.Repeat([]byte{7}, 32)
	icfg := intake.Config{DB: db, Blobs: blobs, KDF: kdf, Params: keys.TestParams, Pepper: pepper,
		Tenant: org.DefaultTenant, Now: clock.Now, Logger: logger}
	for _, o := range opts {
		o(&icfg)
	}
	acc := accounts.New(accounts.Config{DB: db, KDF: kdf, Params: keys.TestParams, Tenant: org.DefaultTenant, Now: clock.Now})
	if err := org.Init(ctx, db, org.DefaultTenant, "Test Org", clock.Now()); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{Intake: intake.New(icfg), Cases: cases.New(cases.Config{DB: db, Blobs: blobs, Now: clock.Now}),
		Accounts: acc, DB: db, Catalog: cat, Logger: logger, Now: clock.Now, Tenant: org.DefaultTenant})
	if err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, db: db, blobs: blobs, blobDir: blobDir, srv: srv, logs: logs, clock: clock, accounts: acc,
		public: httptest.NewServer(srv.Public()), staff: httptest.NewServer(srv.Staff())}
	t.Cleanup(e.public.Close)
	t.Cleanup(e.staff.Close)
	e.handler = e.addUser("handler@example.org", accounts.RoleHandler, org.DefaultChannel)
	return e
}

func (e *apiEnv) addUser(email, role string, channels ...string) staffUser {
	e.t.Helper()
	pw := "correct horse battery staple"
	c, err := e.accounts.CreateUser(context.Background(), accounts.NewUser{Email: email, Role: role, Password: pw, Channels: channels})
	if err != nil {
		e.t.Fatal(err)
	}
	e.acceptDeclaration(c.UserID) // every staff user accepts before opening a case
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	if err != nil {
		e.t.Fatal(err)
	}
	return staffUser{Email: email, Password: pw, TOTP: secret}
}

// staffLogin logs u in through the API and returns the bearer token.
func (e *apiEnv) staffLogin(u staffUser) string {
	e.t.Helper()
	e.clock.Advance(31 * time.Second) // a fresh TOTP step: codes are single-use
	var out struct{ Token string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/session", "", map[string]string{
		"email": u.Email, "password": u.Password, "totp": totp.Code(u.TOTP, e.clock.Now())}, http.StatusOK, &out)
	return out.Token
}

// doJSON sends a JSON request and decodes the answer, failing on another status.
func (e *apiEnv) doJSON(base, method, path, token string, body any, want int, out any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, raw, err)
		}
	}
	return resp
}

type upload struct {
	Field, Name, Type string
	Body              io.Reader
}

// multipartBody builds a multipart body: the report JSON part (if given) and files.
func multipartBody(reportJSON string, files ...upload) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if reportJSON != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="report"`)
		h.Set("Content-Type", "application/json")
		p, _ := mw.CreatePart(h)
		p.Write([]byte(reportJSON))
	}
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.Field, f.Name))
		h.Set("Content-Type", f.Type)
		p, _ := mw.CreatePart(h)
		io.Copy(p, f.Body)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func reportJSONFor(channel string, answers map[string]any) string {
	b, _ := json.Marshal(map[string]any{"channel": channel, "answers": answers})
	return string(b)
}

// submit posts a report through the public API.
func (e *apiEnv) submit(answers map[string]any, files ...upload) (status int, body []byte) {
	e.t.Helper()
	for i := range files {
		if files[i].Field == "" {
			files[i].Field = "file"
		}
	}
	ctype, buf := multipartBody(reportJSONFor(org.DefaultChannel, answers), files...)
	resp, err := http.Post(e.public.URL+"/api/v1/reports", ctype, buf)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// submitOK submits and returns the receipt.
func (e *apiEnv) submitOK(answers map[string]any, files ...upload) string {
	e.t.Helper()
	status, body := e.submit(answers, files...)
	if status != http.StatusCreated {
		e.t.Fatalf("submit: %d %s", status, body)
	}
	var out struct{ Receipt string }
	json.Unmarshal(body, &out)
	return out.Receipt
}

func (e *apiEnv) wbLogin(receipt string) string {
	e.t.Helper()
	var out struct{ Token string }
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/session", "", map[string]string{"receipt": receipt}, http.StatusOK, &out)
	return out.Token
}

func (e *apiEnv) get(base, path, token string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func minimalAnswers(what string) map[string]any {
	return map[string]any{"what": what, "when": "last spring", "how_known": "witnessed"}
}

func fileOf(name, content string) upload {
	return upload{Name: name, Type: "text/plain", Body: strings.NewReader(content)}
}

func fmtCode(secret []byte, e *apiEnv) string { return totp.Code(secret, e.clock.Now()) }

// countTemp counts files in the blob store's temporary directory.
func countTemp(t *testing.T, dir string) int {
	entries, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil {
		return 0
	}
	return len(entries)
}

func decodeSecret(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
