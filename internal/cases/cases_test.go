package cases_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
	"github.com/varsel/varsel/internal/totp"
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

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	db     *store.DB
	blobs  blob.Store
	clock  *clock
	acc    *accounts.Service
	intake *intake.Service
	cases  *cases.Service
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if err := org.Init(context.Background(), db, tenant, "Test Org", c.Now()); err != nil {
		t.Fatal(err)
	}
	fs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kdf := keys.NewKDF(2)
	return &env{db: db, blobs: fs, clock: c,
		acc: accounts.New(accounts.Config{DB: db, KDF: kdf, Params: keys.TestParams, Tenant: tenant, Now: c.Now}),
		intake: intake.New(intake.Config{DB: db, Blobs: fs, KDF: kdf, Params: keys.TestParams, Pepper: bytes.Repeat([]byte{7}, 32),
			Tenant: tenant, Now: c.Now, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
		cases: cases.New(cases.Config{DB: db, Blobs: fs, Now: c.Now}),
	}
}

// staff creates a user handling channels and logs them in.
func (e *env) staff(t *testing.T, email string, channels ...string) *accounts.Staff {
	t.Helper()
	ctx := context.Background()
	const pw = "correct horse battery staple"
	c, err := e.acc.CreateUser(ctx, accounts.NewUser{Email: email, Role: accounts.RoleHandler, Password: pw, Channels: channels})
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Second)
	token, err := e.acc.Login(ctx, email, pw, totp.Code(secret, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.acc.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// submit files a report with one attachment and returns its id and file id.
func (e *env) submit(t *testing.T, what string) (reportID, fileID string) {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(time.Minute)
	d, err := e.intake.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.intake.AddFile(ctx, d, "ledger.csv", "text/csv", strings.NewReader("a,b\n1,2\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.intake.Submit(ctx, d, org.DefaultChannel, questionnaire.Answers{
		"what": what, "when": "2025", "how_known": "documents", "identity_name": "Kari"}); err != nil {
		t.Fatal(err)
	}
	files, err := e.db.Files(ctx, tenant, d.ID)
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	return d.ID, files[0].ID
}

func TestHandlerOfTheChannelOpensTheCase(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		id, fileID := e.submit(t, "kickbacks")

		page, err := e.cases.Inbox(ctx, h, "", false, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 1 || len(page.Rows) != 1 || page.Rows[0].ReportID != id || !page.Rows[0].Unread() {
			t.Fatalf("inbox %+v", page)
		}
		if page.Rows[0].ChannelName["en"] == "" {
			t.Error("inbox row has no channel name")
		}
		v, err := e.cases.Open(ctx, h, id)
		if err != nil {
			t.Fatal(err)
		}
		// CA-3: the identity answers stay sealed for the channel's handlers.
		if v.Answers["what"] != "kickbacks" || !v.HasIdentity || v.Identity != nil {
			t.Errorf("view answers %v has identity %v identity %v", v.Answers, v.HasIdentity, v.Identity)
		}
		f, err := e.cases.OpenFile(ctx, h, id, fileID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(f)
		f.Close()
		if string(body) != "a,b\n1,2\n" || f.Meta.Name != "ledger.csv" {
			t.Errorf("file %q %+v", body, f.Meta)
		}
		page, _ = e.cases.Inbox(ctx, h, "", false, 0, 0)
		if page.Rows[0].Unread() {
			t.Error("the case is still unread after Open")
		}
	})
}

// CA-1 need-to-know: staff outside the channel, including staff added to
// the channel after the report arrived, hold no key and see "not found".
func TestStaffWithoutAKeyGetNotFound(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		e.staff(t, "h@example.org", org.DefaultChannel)
		id, fileID := e.submit(t, "kickbacks")
		outsiders := map[string]*accounts.Staff{
			"not in the channel":         e.staff(t, "out@example.org"),
			"added to the channel later": e.staff(t, "late@example.org", org.DefaultChannel),
		}
		for name, st := range outsiders {
			t.Run(name, func(t *testing.T) {
				if _, err := e.cases.Open(ctx, st, id); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("Open: %v, want ErrNotFound", err)
				}
				if err := e.cases.Reply(ctx, st, id, "hello"); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("Reply: %v, want ErrNotFound", err)
				}
				if _, err := e.cases.OpenFile(ctx, st, id, fileID); !errors.Is(err, cases.ErrNotFound) {
					t.Errorf("OpenFile: %v, want ErrNotFound", err)
				}
				page, err := e.cases.Inbox(ctx, st, "", false, 0, 0)
				if err != nil {
					t.Fatal(err)
				}
				if page.Total != 0 || len(page.Rows) != 0 {
					t.Errorf("inbox shows %d of %d cases", len(page.Rows), page.Total)
				}
			})
		}
		msgs, err := db.Messages(ctx, tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 0 {
			t.Errorf("a refused reply stored %d messages", len(msgs))
		}
	})
}

func TestMissingCaseAndFileLookLikeNoAccess(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		id, _ := e.submit(t, "kickbacks")
		if _, err := e.cases.Open(ctx, h, "no-such-report"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("Open of a missing case: %v, want ErrNotFound", err)
		}
		if err := e.cases.Reply(ctx, h, "no-such-report", "hi"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("Reply to a missing case: %v, want ErrNotFound", err)
		}
		if _, err := e.cases.OpenFile(ctx, h, id, "no-such-file"); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("OpenFile of a missing file: %v, want ErrNotFound", err)
		}
		_, otherFile := e.submit(t, "other")
		if _, err := e.cases.OpenFile(ctx, h, id, otherFile); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("OpenFile of another case's file: %v, want ErrNotFound", err)
		}
	})
}

func TestInboxPagesCountAllVisibleCases(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		const n = 5
		for i := 0; i < n; i++ {
			e.submit(t, "case")
		}
		tests := []struct {
			limit, offset int
			want          []int64 // case numbers, ascending by number
		}{
			{2, 0, []int64{1, 2}},
			{2, 2, []int64{3, 4}},
			{2, 4, []int64{5}},
			{2, 6, nil},
			{0, 0, []int64{1, 2, 3, 4, 5}},   // default limit
			{10, -3, []int64{1, 2, 3, 4, 5}}, // negative offset treated as 0
		}
		for _, tt := range tests {
			page, err := e.cases.Inbox(ctx, h, "number", true, tt.limit, tt.offset)
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != n {
				t.Errorf("limit %d offset %d: Total %d, want %d", tt.limit, tt.offset, page.Total, n)
			}
			var got []int64
			for _, r := range page.Rows {
				got = append(got, r.CaseNumber)
			}
			if len(got) != len(tt.want) {
				t.Errorf("limit %d offset %d: cases %v, want %v", tt.limit, tt.offset, got, tt.want)
				continue
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("limit %d offset %d: cases %v, want %v", tt.limit, tt.offset, got, tt.want)
					break
				}
			}
		}
		desc, err := e.cases.Inbox(ctx, h, "number", false, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(desc.Rows) != 1 || desc.Rows[0].CaseNumber != n {
			t.Errorf("descending first page %+v, want case %d", desc.Rows, n)
		}
	})
}

func TestReplyMarksTheCaseReadForTheReplierOnly(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h1 := e.staff(t, "h1@example.org", org.DefaultChannel)
		h2 := e.staff(t, "h2@example.org", org.DefaultChannel)
		id, _ := e.submit(t, "kickbacks")
		if _, err := e.cases.Open(ctx, h2, id); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Minute)
		if err := e.cases.Reply(ctx, h1, id, "  Thank you, we are looking into it.  "); err != nil {
			t.Fatal(err)
		}
		unread := func(st *accounts.Staff) bool {
			t.Helper()
			page, err := e.cases.Inbox(ctx, st, "", false, 0, 0)
			if err != nil || len(page.Rows) != 1 {
				t.Fatalf("inbox %+v %v", page, err)
			}
			return page.Rows[0].Unread()
		}
		if unread(h1) {
			t.Error("the replier sees their own reply as unread")
		}
		if !unread(h2) {
			t.Error("the other handler does not see the reply as news")
		}
		v, err := e.cases.Open(ctx, h2, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Messages) != 1 || v.Messages[0].Text != "Thank you, we are looking into it." ||
			v.Messages[0].AuthorType != store.AuthorStaff || v.Messages[0].AuthorID != h1.UserID {
			t.Errorf("messages %+v", v.Messages)
		}
		for _, bad := range []string{"", "   ", "a\x00b", strings.Repeat("x", 20001)} {
			if err := e.cases.Reply(ctx, h1, id, bad); err == nil {
				t.Errorf("Reply(%.20q) accepted", bad)
			}
		}
	})
}

// shred deletes a case the way the retention job does and returns the
// blobs it leaves to delete after the commit.
func (e *env) shred(t *testing.T, reportID string) []string {
	t.Helper()
	ctx := context.Background()
	var blobs []string
	if err := e.db.InTx(ctx, func(tx *store.Tx) error {
		rc, err := tx.LockRetentionCase(ctx, tenant, reportID)
		if err != nil {
			return err
		}
		blobs, _, err = retention.Shred(ctx, tx, audit.New(e.db, e.clock.Now), rc,
			store.DeletionRecord{DeletedAt: e.clock.Now(), Basis: store.DeletionRetention},
			audit.Entry{TenantID: tenant, ActorType: audit.ActorSystem, ActorID: retention.ActorID,
				Action: audit.ActionRetentionDelete, ObjectType: audit.ObjectCase, ObjectID: reportID, Detail: retention.CategoryReport})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return blobs
}
