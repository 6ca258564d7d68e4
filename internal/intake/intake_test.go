package intake_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

const tenant = org.DefaultTenant

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

type env struct {
	db      *store.DB
	blobs   *blob.FS
	blobDir string
	svc     *intake.Service
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if err := org.Init(context.Background(), db, tenant, "Test Org", c.Now()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fs, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := intake.New(intake.Config{DB: db, Blobs: fs, KDF: keys.NewKDF(2), Params: keys.TestParams,
		Pepper: bytes.Repeat([]byte{7}, 32), Tenant: tenant, Now: c.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return &env{db: db, blobs: fs, blobDir: dir, svc: svc}
}

func validAnswers() questionnaire.Answers {
	return questionnaire.Answers{"what": "The purchasing manager takes kickbacks.", "when": "Spring 2025", "how_known": "witnessed"}
}

// submit sends a valid report with one file and returns its receipt.
func (e *env) submit(t *testing.T, answers questionnaire.Answers) intake.Receipt {
	t.Helper()
	ctx := context.Background()
	d, err := e.svc.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddFile(ctx, d, "proof.txt", "text/plain", strings.NewReader("proof")); err != nil {
		t.Fatal(err)
	}
	rc, err := e.svc.Submit(ctx, d, org.DefaultChannel, answers)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func (e *env) blobCount(t *testing.T) int {
	t.Helper()
	n := 0
	if err := e.blobs.Walk(context.Background(), func(string, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(e.blobDir, "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return n + len(ents)
}

func TestRejectedSubmissionStoresNothing(t *testing.T) {
	missing := validAnswers()
	delete(missing, "what")
	unknownQ := validAnswers()
	unknownQ["not_a_question"] = "x"
	badChoice := validAnswers()
	badChoice["how_known"] = "dreamt it"
	tests := []struct {
		name    string
		channel string
		answers questionnaire.Answers
		check   func(error) bool
	}{
		{"unknown channel", "no-such-channel", validAnswers(), func(err error) bool { return errors.Is(err, intake.ErrUnknownChannel) }},
		{"empty channel id", "", validAnswers(), func(err error) bool { return errors.Is(err, intake.ErrUnknownChannel) }},
		{"required answer missing", org.DefaultChannel, missing, isValidation},
		{"unknown question", org.DefaultChannel, unknownQ, isValidation},
		{"option not offered", org.DefaultChannel, badChoice, isValidation},
		{"no answers at all", org.DefaultChannel, nil, isValidation},
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d, err := e.svc.Begin()
				if err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"a.pdf", "b.pdf"} {
					if err := e.svc.AddFile(ctx, d, name, "application/pdf", strings.NewReader("%PDF "+name)); err != nil {
						t.Fatal(err)
					}
				}
				if n := e.blobCount(t); n != 2 {
					t.Fatalf("%d blobs before Submit, want 2", n)
				}
				_, err = e.svc.Submit(ctx, d, tt.channel, tt.answers)
				if err == nil || !tt.check(err) {
					t.Fatalf("Submit: %v", err)
				}
				if n, err := db.CountReports(ctx, tenant); err != nil || n != 0 {
					t.Errorf("%d reports stored (%v), want 0", n, err)
				}
				if n := e.blobCount(t); n != 0 {
					t.Errorf("%d blobs or temporary files left, want 0", n)
				}
			})
		}
	})
}

func isValidation(err error) bool {
	var ve *questionnaire.ValidationError
	return errors.As(err, &ve)
}

func TestReceiptLogsInHoweverItIsTyped(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		// Collect receipts until the look-alike substitutions (O for 0,
		// I and l for 1) have something to act on.
		var with0, with1 string
		var all []string
		for i := 0; i < 200 && (with0 == "" || with1 == ""); i++ {
			code := e.submit(t, validAnswers()).Code
			all = append(all, code)
			if with0 == "" && strings.Contains(code, "0") {
				with0 = code
			}
			if with1 == "" && strings.Contains(code, "1") {
				with1 = code
			}
		}
		if with0 == "" || with1 == "" {
			t.Fatal("no receipt with 0 or 1 in 200 tries")
		}
		code := all[0]
		variants := []struct{ name, typed string }{
			{"as shown", code},
			{"lower case", strings.ToLower(code)},
			{"dashes", strings.ReplaceAll(code, " ", "-")},
			{"no separators", strings.ReplaceAll(code, " ", "")},
			{"extra spaces", "  " + strings.ReplaceAll(code, " ", "   ") + "\t"},
			{"spaces everywhere", strings.Join(strings.Split(strings.ReplaceAll(code, " ", ""), ""), " ")},
			{"no-break spaces", strings.ReplaceAll(code, " ", "\u00a0")},
			{"en dashes", strings.ReplaceAll(code, " ", "\u2013")},
			{"O for 0", strings.ReplaceAll(with0, "0", "O")},
			{"o for 0", strings.ReplaceAll(with0, "0", "o")},
			{"I for 1", strings.ReplaceAll(with1, "1", "I")},
			{"l for 1", strings.ReplaceAll(with1, "1", "l")},
		}
		for _, v := range variants {
			t.Run(v.name, func(t *testing.T) {
				token, err := e.svc.Login(ctx, v.typed)
				if err != nil {
					t.Fatalf("Login(%q): %v", v.typed, err)
				}
				wb, err := e.svc.Authenticate(ctx, token)
				if err != nil {
					t.Fatal(err)
				}
				view, err := e.svc.View(ctx, wb)
				if err != nil {
					t.Fatal(err)
				}
				if view.Answers["what"] == nil || len(view.Files) != 1 {
					t.Errorf("view %+v", view)
				}
			})
		}
		for _, bad := range []string{"", strings.ReplaceAll(code, " ", "")[:15], code + " A", "UUUU UUUU UUUU UUUU", strings.Repeat("0", 16)} {
			if _, err := e.svc.Login(ctx, bad); !errors.Is(err, intake.ErrBadReceipt) {
				t.Errorf("Login(%q) = %v, want ErrBadReceipt", bad, err)
			}
		}
	})
}

// CA-2: identity answers are sealed apart from the content, under their
// own key.
func TestIdentityAnswersAreNotInTheContentPart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := validAnswers()
		a["identity_name"] = "Kari Nordmann"
		a["identity_contact"] = "+47 912 34 567"
		rc := e.submit(t, a)
		token, err := e.svc.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.svc.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		// Only the report key: what a holder without the identity key sees.
		v, err := report.Load(ctx, db, wb.Report, report.Keys{Report: wb.Keys.Report})
		if err != nil {
			t.Fatal(err)
		}
		if !v.HasIdentity || v.Identity != nil {
			t.Errorf("HasIdentity %v, Identity %v", v.HasIdentity, v.Identity)
		}
		for k, val := range v.Answers {
			if strings.HasPrefix(k, "identity_") {
				t.Errorf("content part holds %s", k)
			}
			if s, _ := val.(string); strings.Contains(s, "Kari") || strings.Contains(s, "912") {
				t.Errorf("content answer %s holds identity text %q", k, s)
			}
		}
		// The identity key itself cannot open the content, and vice versa.
		if _, err := report.Load(ctx, db, wb.Report, report.Keys{Report: *wb.Keys.Identity}); err == nil {
			t.Error("the identity key opened the content")
		}
		full, err := e.svc.View(ctx, wb)
		if err != nil {
			t.Fatal(err)
		}
		if full.Identity["identity_name"] != "Kari Nordmann" || full.Identity["identity_contact"] != "+47 912 34 567" {
			t.Errorf("identity %v", full.Identity)
		}
		if _, ok := full.Answers["identity_name"]; ok {
			t.Error("identity answer in the content answers")
		}
		// CA-5, RC-3: neither the identity nor the receipt is stored in clear.
		canonical, _ := keys.ParseReceipt(rc.Code)
		err = db.EachStoredValue(ctx, func(table string, val []byte) {
			for _, needle := range []string{"Kari Nordmann", "912 34 567", rc.Code, string(canonical)} {
				if bytes.Contains(val, []byte(needle)) {
					t.Errorf("table %s holds %q in clear", table, needle)
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestReportWithoutIdentityAnswersHasNoIdentityPart(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		a := validAnswers()
		a["identity_name"] = "   " // blank optional answers are dropped
		rc := e.submit(t, a)
		token, err := e.svc.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.svc.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if wb.Report.IdentityAnswers != nil {
			t.Errorf("identity answers stored for an anonymous report: %d bytes", len(wb.Report.IdentityAnswers))
		}
	})
}

// Crypto-shredding: once a report and its wrapped keys are deleted,
// neither an open session nor the receipt gets anywhere.
func TestDeletedReportEndsSessionsAndReceipt(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		rc := e.submit(t, validAnswers())
		keep := e.submit(t, validAnswers())
		token, err := e.svc.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.svc.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		var blobKeys []string
		err = db.InTx(ctx, func(tx *store.Tx) error {
			blobKeys, err = tx.DeleteReport(ctx, tenant, wb.Report.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(blobKeys) != 1 {
			t.Errorf("DeleteReport returned %d blob keys, want 1", len(blobKeys))
		}
		if _, err := e.svc.Authenticate(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("Authenticate after deletion: %v, want ErrNoSession", err)
		}
		if _, err := e.svc.Login(ctx, rc.Code); !errors.Is(err, intake.ErrBadReceipt) {
			t.Errorf("receipt login after deletion: %v, want ErrBadReceipt", err)
		}
		if _, err := db.ReportKey(ctx, tenant, wb.Report.ID, store.KeyReport, store.HolderReceipt, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("receipt-wrapped key after deletion: %v, want ErrNotFound", err)
		}
		if _, err := e.svc.Login(ctx, keep.Code); err != nil {
			t.Errorf("the other report's receipt stopped working: %v", err)
		}
	})
}

func TestLogoutEndsTheWhistleblowerSession(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		rc := e.submit(t, validAnswers())
		token, err := e.svc.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(ctx, token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, token); !errors.Is(err, session.ErrNoSession) {
			t.Errorf("after Logout: %v, want ErrNoSession", err)
		}
	})
}
