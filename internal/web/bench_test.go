package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
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
)

// benchEnv is a Varsel wired as app.Open wires it, with the PRODUCTION
// Argon2 parameters (keys.ReceiptParams, keys.PasswordParams), a KDF
// bounded to the number of CPUs, the real clock, and an info-level JSON
// logger writing to nowhere. It serves the public site on an httptest
// server; one handler is assigned to the default channel, so every
// submission wraps its keys to one age recipient.
type benchEnv struct {
	public *httptest.Server
	client *http.Client
}

func newBenchEnv(b *testing.B, d store.Dialect) *benchEnv {
	b.Helper()
	ctx := context.Background()
	db := storetest.Open(b, d)
	blobs, err := blob.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	kdf := keys.NewKDF(0)
	pepper := make([]byte, 32) // as app's pepper file
	rand.NewChaCha8([32]byte{3}).Read(pepper)
	in := intake.New(intake.Config{DB: db, Blobs: blobs, KDF: kdf, Params: keys.ReceiptParams, Pepper: pepper,
		Tenant: org.DefaultTenant, Now: time.Now, Logger: logger})
	acc := accounts.New(accounts.Config{DB: db, KDF: kdf, Params: keys.PasswordParams, Tenant: org.DefaultTenant, Now: time.Now})
	if err := org.Init(ctx, db, org.DefaultTenant, "Bench Org", time.Now()); err != nil {
		b.Fatal(err)
	}
	handler, err := acc.CreateUser(ctx, accounts.NewUser{Email: "handler@example.org", Role: accounts.RoleHandler,
		Password: "correct horse battery staple", Channels: []string{org.DefaultChannel}})
	if err != nil {
		b.Fatal(err)
	}
	acceptDeclarationFor(b, db, org.DefaultTenant, handler.UserID)
	cat, err := i18n.Load()
	if err != nil {
		b.Fatal(err)
	}
	srv, err := New(Deps{Intake: in, Cases: cases.New(cases.Config{DB: db, Blobs: blobs, Now: time.Now}),
		Accounts: acc, DB: db, Catalog: cat, Logger: logger, Now: time.Now, Tenant: org.DefaultTenant})
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{public: httptest.NewServer(srv.Public())}
	b.Cleanup(e.public.Close)
	e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(e.client.CloseIdleConnections)
	return e
}

// benchReportJSON fills in the default questionnaire about as a real
// whistleblower would: a few paragraphs and the short answers.
var benchReportJSON = func() string {
	what := bytes.Repeat([]byte("The invoices for the framework contract were approved without the second signature. "), 24)
	out, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel, "answers": map[string]any{
		"what": string(what), "when": "Between January and March this year", "how_known": "witnessed"}})
	return string(out)
}()

// benchFile is 100 KB of incompressible bytes, the size of a phone photo
// scaled down or a short PDF.
var benchFile = func() []byte {
	p := make([]byte, 100_000)
	rand.NewChaCha8([32]byte{2}).Read(p)
	return p
}()

func benchSubmission() (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="report"`)
	h.Set("Content-Type", "application/json")
	p, _ := mw.CreatePart(h)
	p.Write([]byte(benchReportJSON))
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="evidence.pdf"`)
	h.Set("Content-Type", "application/pdf")
	p, _ = mw.CreatePart(h)
	p.Write(benchFile)
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func (e *benchEnv) submit() (string, error) {
	ctype, body := benchSubmission()
	resp, err := e.client.Post(e.public.URL+"/api/v1/reports", ctype, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("submit: status %d: %s", resp.StatusCode, raw)
	}
	var out struct{ Receipt string }
	if err := json.Unmarshal(raw, &out); err != nil || out.Receipt == "" {
		return "", fmt.Errorf("submit: no receipt in %s", raw)
	}
	return out.Receipt, nil
}

func (e *benchEnv) login(receipt string) error {
	body, _ := json.Marshal(map[string]string{"receipt": receipt})
	resp, err := e.client.Post(e.public.URL+"/api/v1/wb/session", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("login: status %d: %s", resp.StatusCode, raw)
	}
	return nil
}

func forEachEngine(b *testing.B, fn func(b *testing.B, d store.Dialect)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) { fn(b, d) })
	}
}

// BenchmarkSubmit posts complete submissions (report JSON plus one 100 KB
// file) through the public API from several goroutines at once, with the
// production receipt Argon2 on every one. submissions/s is the throughput
// of the whole server on this machine; the client shares its CPUs.
//
//	go test -run '^$' -bench Submit -benchtime 200x ./internal/web/
func BenchmarkSubmit(b *testing.B) {
	forEachEngine(b, func(b *testing.B, d store.Dialect) {
		e := newBenchEnv(b, d)
		if _, err := e.submit(); err != nil { // warm the connection pools and caches
			b.Fatal(err)
		}
		b.SetParallelism(2) // 2×GOMAXPROCS clients, so the KDF slots never idle while a client waits on I/O
		b.SetBytes(int64(len(benchFile)))
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := e.submit(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		elapsed := time.Since(start)
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "submissions/s")
	})
}

// BenchmarkReceiptLogin logs a whistleblower in with the receipt, one at a
// time, with the production receipt Argon2.
func BenchmarkReceiptLogin(b *testing.B) {
	forEachEngine(b, func(b *testing.B, d store.Dialect) {
		e := newBenchEnv(b, d)
		receipt, err := e.submit()
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			if err := e.login(receipt); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/login")
	})
}
