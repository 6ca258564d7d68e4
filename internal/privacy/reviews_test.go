package privacy_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func (e *env) auditCount(action, objectType, objectID, detail string) int {
	e.t.Helper()
	rows, err := e.db.AuditEntries(context.Background(), org.DefaultTenant, math.MinInt64, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Action == action && r.ObjectType == objectType && r.ObjectID == objectID && r.Detail == detail {
			n++
		}
	}
	return n
}

// AR-1: a quarterly campaign lists every staff user with role, channels
// and case-key counts; each line is attested; revocations and disabling
// act on the account and are audited; a review is overdue when none was
// completed in the last three months.
func TestAccessReviewCampaignAR1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		handler, leaver, admin2 := e.user(accounts.RoleHandler), e.user(accounts.RoleHandler), e.user(accounts.RoleAdmin)
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.AddChannelHandler(ctx, org.DefaultTenant, org.DefaultChannel, handler.UserID); err != nil {
				return err
			}
			for _, rep := range []string{"r1", "r2"} {
				for _, kind := range []string{store.KeyReport, store.KeyCase} {
					if err := tx.InsertReportKey(ctx, store.ReportKey{TenantID: org.DefaultTenant, ReportID: rep, Kind: kind,
						HolderType: store.HolderUser, HolderID: handler.UserID, Alg: "x", Wrapped: []byte{1}, CreatedAt: start}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		_, err := e.svc.AccessReviews(ctx, handler)
		wantErr(t, err, privacy.ErrForbidden)
		state := must[privacy.AccessReviewsState](t)(e.svc.AccessReviews(ctx, dpo))
		if !state.Overdue || len(state.Reviews) != 0 {
			t.Fatalf("never reviewed: %+v", state)
		}
		r := must[privacy.AccessReviewView](t)(e.svc.StartAccessReview(ctx, dpo))
		if len(r.Lines) != 5 || r.Pending != 5 || !r.Open {
			t.Fatalf("campaign %+v", r)
		}
		for _, l := range r.Lines {
			if l.UserID == handler.UserID && (l.CaseKeys != 2 || len(l.Channels) != 1 || l.Role != accounts.RoleHandler) {
				t.Fatalf("handler line %+v", l)
			}
			if l.UserID == dpo.UserID && (l.CaseKeys != 0 || l.Role != accounts.RoleDPO) {
				t.Fatalf("dpo line %+v", l)
			}
		}
		_, err = e.svc.StartAccessReview(ctx, admin)
		wantErr(t, err, privacy.ErrReviewOpen)

		_, err = e.svc.Attest(ctx, dpo, r.ID, dpo.UserID, privacy.Attestation{Decision: privacy.DecisionDisable})
		wantErr(t, err, privacy.ErrSelfRevocation)
		_, err = e.svc.Attest(ctx, dpo, r.ID, handler.UserID, privacy.Attestation{Decision: "delete"})
		wantErr(t, err, privacy.ErrInvalid)
		_, err = e.svc.Attest(ctx, dpo, r.ID, handler.UserID, privacy.Attestation{Decision: privacy.DecisionRevokeRole})
		wantErr(t, err, privacy.ErrNothingToRevoke)
		_, err = e.svc.Attest(ctx, dpo, r.ID, "nobody", privacy.Attestation{Decision: privacy.DecisionKeep})
		wantErr(t, err, privacy.ErrNotFound)

		must[privacy.AccessReviewView](t)(e.svc.Attest(ctx, dpo, r.ID, handler.UserID, privacy.Attestation{Decision: privacy.DecisionKeep}))
		_, err = e.svc.Attest(ctx, dpo, r.ID, handler.UserID, privacy.Attestation{Decision: privacy.DecisionKeep})
		wantErr(t, err, privacy.ErrAlreadyAttested)
		must[privacy.AccessReviewView](t)(e.svc.Attest(ctx, dpo, r.ID, leaver.UserID, privacy.Attestation{Decision: privacy.DecisionDisable}))
		must[privacy.AccessReviewView](t)(e.svc.Attest(ctx, admin, r.ID, admin2.UserID, privacy.Attestation{Decision: privacy.DecisionRevokeRole}))
		// admin is now the only admin: disabling them is refused.
		_, err = e.svc.Attest(ctx, dpo, r.ID, admin.UserID, privacy.Attestation{Decision: privacy.DecisionDisable})
		wantErr(t, err, privacy.ErrLastAdmin)
		must[privacy.AccessReviewView](t)(e.svc.Attest(ctx, dpo, r.ID, admin.UserID, privacy.Attestation{Decision: privacy.DecisionKeep}))
		e.clock.Set(start.Add(time.Hour))
		done := must[privacy.AccessReviewView](t)(e.svc.Attest(ctx, admin, r.ID, dpo.UserID, privacy.Attestation{Decision: privacy.DecisionKeep}))
		if done.Open || done.Pending != 0 || done.CompletedAt == nil {
			t.Fatalf("completed campaign %+v", done)
		}

		if u, _ := db.UserByID(ctx, org.DefaultTenant, leaver.UserID); u.DisabledAt.IsZero() {
			t.Fatal("the leaver is not disabled")
		}
		if u, _ := db.UserByID(ctx, org.DefaultTenant, admin2.UserID); u.Role != accounts.RoleHandler {
			t.Fatalf("revoked admin has role %s", u.Role)
		}
		for _, c := range []struct{ action, objType, id, detail string }{
			{audit.ActionRegisterWrite, audit.ObjectAccessReview, r.ID, "review.start"},
			{audit.ActionRegisterWrite, audit.ObjectAccessReview, r.ID, "review.keep"},
			{audit.ActionRegisterWrite, audit.ObjectAccessReview, r.ID, "review.disable"},
			{audit.ActionRegisterWrite, audit.ObjectAccessReview, r.ID, "review.revoke-role"},
			{audit.ActionRegisterWrite, audit.ObjectAccessReview, r.ID, "review.complete"},
			{audit.ActionUserDisable, audit.ObjectUser, leaver.UserID, ""},
			{audit.ActionUserRoleChange, audit.ObjectUser, admin2.UserID, accounts.RoleHandler},
		} {
			if e.auditCount(c.action, c.objType, c.id, c.detail) == 0 {
				t.Errorf("no audit entry %+v", c)
			}
		}
		// Refused attestations left no trace.
		if n := e.auditCount(audit.ActionUserDisable, audit.ObjectUser, admin.UserID, ""); n != 0 {
			t.Errorf("a refused disable was audited")
		}

		state = must[privacy.AccessReviewsState](t)(e.svc.AccessReviews(ctx, dpo))
		if state.Overdue || len(state.Reviews) != 1 {
			t.Fatalf("after a review: %+v", state)
		}
		// Three months later the next review is overdue.
		e.clock.Set(start.Add(time.Hour).AddDate(0, 3, 0))
		state = must[privacy.AccessReviewsState](t)(e.svc.AccessReviews(ctx, dpo))
		if !state.Overdue {
			t.Fatal("a review three months old is not overdue")
		}
		next := must[privacy.AccessReviewView](t)(e.svc.StartAccessReview(ctx, dpo))
		if len(next.Lines) != 4 { // the leaver is gone
			t.Fatalf("next campaign has %d lines", len(next.Lines))
		}
	})
}

func TestReviewOverdueRule(t *testing.T) {
	last := time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		last, now time.Time
		want      bool
	}{
		{time.Time{}, last, true},
		{last, last.AddDate(0, 3, 0).Add(-time.Second), false},
		{last, last.AddDate(0, 3, 0), true},
	} {
		if got := privacy.ReviewOverdue(tc.last, tc.now); got != tc.want {
			t.Errorf("ReviewOverdue(%s, %s) = %v", tc.last, tc.now, got)
		}
	}
}

// AL-2: the DPO reads the audit log (ids and vocabulary only); handlers
// may not; the read is itself audited.
func TestAuditLogForDPOAL2(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		dpo, handler := e.user(accounts.RoleDPO), e.user(accounts.RoleHandler)
		_, err := e.svc.AuditLog(ctx, handler, 1, 10)
		wantErr(t, err, privacy.ErrForbidden)
		must[[]privacy.RiskView](t)(e.svc.Risks(ctx, dpo))
		page := must[privacy.AuditPage](t)(e.svc.AuditLog(ctx, dpo, 0, 0))
		if len(page.Entries) == 0 || page.Entries[len(page.Entries)-1].Action != audit.ActionAuditLogRead || page.Entries[0].Seq != 1 {
			t.Fatalf("page %+v", page)
		}
		next := must[privacy.AuditPage](t)(e.svc.AuditLog(ctx, dpo, page.NextSeq, 1))
		if len(next.Entries) != 1 || next.Entries[0].Seq != page.NextSeq {
			t.Fatalf("next page %+v", next)
		}
	})
}
