package store_test

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// Sizes of the sealed fields a real submission stores, rounded up: the
// answers of a filled-in default questionnaire sealed with
// XChaCha20-Poly1305, an age identity sealed under the report key, and an
// age X25519 stanza wrapping a 32-byte key for a handler.
const (
	benchAnswersSize  = 2048
	benchIdentitySize = 512
	benchFileIDSize   = 120
	benchAgeWrapSize  = 250
	benchSealWrapSize = 72
)

var benchStatuses = []string{"received", "received", "in_progress", "in_progress", "in_progress", "closed"}

// BenchmarkInbox lists one handler's inbox when that handler holds keys
// for every case. Each engine and size is seeded once, in one transaction,
// through the same Tx methods a submission uses.
//
//	go test -run '^$' -bench Inbox ./internal/store/
func BenchmarkInbox(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			for _, n := range []int{10_000, 100_000} {
				b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
					if n > 10_000 && testing.Short() {
						b.Skip("100,000 cases are skipped under -short")
					}
					db, raw := openInboxDB(b, d)
					start := time.Now()
					seedInbox(b, db, n)
					if raw != nil {
						if _, err := raw.Exec("VACUUM ANALYZE"); err != nil {
							b.Fatal(err)
						}
					}
					b.Logf("%s: seeded %d cases (%d key rows) in %v", d, n, 4*n, time.Since(start).Round(time.Millisecond))
					benchInboxQueries(b, db, n)
				})
			}
		})
	}
}

const benchHandler = "u-handler"

func benchInboxQueries(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	cases := []struct {
		name string
		q    store.InboxQuery
	}{
		{"default_due_first", store.InboxQuery{}},
		{"first_page", store.InboxQuery{Sort: "received"}},
		{"offset_5000", store.InboxQuery{Sort: "received", Offset: 5000}},
		{"sort_status", store.InboxQuery{Sort: "status"}},
		{"sort_status_offset_5000", store.InboxQuery{Sort: "status", Offset: 5000}},
	}
	for _, c := range cases {
		q := c.q
		q.TenantID, q.UserID, q.Limit = "default", benchHandler, 50
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				page, err := db.Inbox(ctx, q)
				if err != nil {
					b.Fatal(err)
				}
				wantTotal := min(n, q.Offset+q.Limit+store.InboxCountWindow)
				if page.Total != wantTotal || len(page.Rows) != 50 {
					b.Fatalf("got %d rows of %d, want 50 of %d", len(page.Rows), page.Total, wantTotal)
				}
			}
		})
	}
}

// seedInbox writes n reports, each with the four key rows a submission to a
// channel with one handler writes: report and identity key wrapped to the
// receipt and to the handler.
func seedInbox(b *testing.B, db *store.DB, n int) {
	b.Helper()
	ctx := context.Background()
	src := rand.NewChaCha8([32]byte{1})
	rng := rand.New(src)
	fill := func(size int) []byte {
		p := make([]byte, size)
		src.Read(p)
		return p
	}
	// One buffer per field, reused: the driver copies arguments, and
	// content is opaque to every query here.
	answers, identity, fileID := fill(benchAnswersSize), fill(benchIdentitySize), fill(benchFileIDSize)
	ageWrap, sealWrap := fill(benchAgeWrapSize), fill(benchSealWrapSize)
	newest := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTenant(ctx, store.Tenant{ID: "default", Name: "Org", ReceiptSalt: fill(16), CreatedAt: newest}); err != nil {
			return err
		}
		if err := tx.InsertChannel(ctx, store.Channel{TenantID: "default", ID: "general", Name: `{"en":"General"}`, Description: `{}`,
			QuestionnaireID: "default", QuestionnaireVersion: 1, CreatedAt: newest}); err != nil {
			return err
		}
		for i := range n {
			id := hex.EncodeToString(fill(16))
			// Vary a few bytes so rows are not identical on disk.
			answers[0], answers[1], answers[2] = byte(i), byte(i>>8), byte(i>>16)
			at := newest.Add(-time.Duration(n-i) * 7 * time.Minute)
			if err := tx.InsertReport(ctx, store.Report{
				TenantID: "default", ID: id, CaseNumber: int64(i + 1), ChannelID: "general",
				QuestionnaireID: "default", QuestionnaireVersion: 1, Status: benchStatuses[rng.IntN(len(benchStatuses))],
				ReceiptLookup: fill(32), FileRecipient: "age1" + hex.EncodeToString(fill(29)),
				FileIdentity: fileID, Answers: answers, IdentityAnswers: identity,
				ReceivedAt: at, LastActivityAt: at.Add(time.Duration(rng.IntN(3600)) * time.Second),
			}); err != nil {
				return err
			}
			for _, k := range []store.ReportKey{
				{Kind: store.KeyReport, HolderType: store.HolderReceipt, Alg: "xchacha20poly1305-v1", Wrapped: sealWrap},
				{Kind: store.KeyIdentity, HolderType: store.HolderReceipt, Alg: "xchacha20poly1305-v1", Wrapped: sealWrap},
				{Kind: store.KeyReport, HolderType: store.HolderUser, HolderID: benchHandler, Alg: "age-x25519-v1", Wrapped: ageWrap},
				{Kind: store.KeyIdentity, HolderType: store.HolderUser, HolderID: benchHandler, Alg: "age-x25519-v1", Wrapped: ageWrap},
			} {
				k.TenantID, k.ReportID, k.CreatedAt = "default", id, at
				if err := tx.InsertReportKey(ctx, k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// openInboxDB opens an empty database; on PostgreSQL it also returns a
// plain connection for VACUUM ANALYZE, since a real installation's autovacuum
// would have gathered statistics and set the visibility map (which
// index-only scans need) that a freshly filled table lacks.
func openInboxDB(b *testing.B, d store.Dialect) (*store.DB, *sql.DB) {
	b.Helper()
	dsn, dir := storetest.DSN(b, d)
	db, err := store.Open(context.Background(), dsn, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if d != store.Postgres {
		return db, nil
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	return db, raw
}
