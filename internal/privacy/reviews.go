package privacy

// Quarterly access reviews (GDPR art. 32(1)(d); compliance id AR-1) and
// the DPO's read access to the audit log (AL-2).
//
// A campaign lists every enabled staff user as they stand when it starts:
// role, the channels they handle and how many cases they hold a key for
// (counts only). An admin or the DPO attests each line: keep, revoke-role
// (the user becomes a handler) or disable (users.disabled_at is set: no
// login, no session). Revoking access to single cases is not part of a
// review. When every line is attested the campaign is completed; a tenant
// without a completed campaign in the last three months is overdue. Each
// start, attestation, role change, disabling and completion is audited.

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Decisions on a review line.
const (
	DecisionKeep       = "keep"
	DecisionRevokeRole = "revoke-role"
	DecisionDisable    = "disable"
)

// ReviewPeriodMonths is how often access is reviewed.
const ReviewPeriodMonths = 3

// reviewDue is how long a campaign may stay open.
const reviewDueMonths = 1

// AccessReviewLineView is one user of a campaign.
type AccessReviewLineView struct {
	UserID      string     `json:"user_id"`
	Email       string     `json:"email,omitempty"`
	Role        string     `json:"role"`
	CurrentRole string     `json:"current_role,omitempty"`
	Disabled    bool       `json:"disabled"`
	Channels    []string   `json:"channels"`
	CaseKeys    int        `json:"case_keys"`
	Decision    string     `json:"decision"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	DecidedAt   *time.Time `json:"decided_at"`
}

// AccessReviewView is a campaign.
type AccessReviewView struct {
	ID          string                 `json:"id"`
	StartedBy   string                 `json:"started_by"`
	StartedAt   time.Time              `json:"started_at"`
	DueAt       time.Time              `json:"due_at"`
	CompletedAt *time.Time             `json:"completed_at"`
	Open        bool                   `json:"open"`
	Late        bool                   `json:"late"` // open past its due date
	Pending     int                    `json:"pending"`
	Lines       []AccessReviewLineView `json:"lines,omitempty"`
}

// AccessReviewsState is the list of campaigns and whether a review is due.
type AccessReviewsState struct {
	Overdue         bool               `json:"overdue"` // no campaign completed in the last three months
	LastCompletedAt *time.Time         `json:"last_completed_at"`
	NextDueAt       *time.Time         `json:"next_due_at"`
	Reviews         []AccessReviewView `json:"reviews"`
}

// ReviewOverdue tells whether a review is overdue at now given when the
// last campaign was completed (zero: never).
func ReviewOverdue(lastCompleted, now time.Time) bool {
	return lastCompleted.IsZero() || !now.Before(lastCompleted.AddDate(0, ReviewPeriodMonths, 0))
}

func (s *Service) reviewView(ctx context.Context, r store.AccessReview, now time.Time, withLines bool) (AccessReviewView, error) {
	lines, err := s.db.AccessReviewLines(ctx, s.tenant, r.ID)
	if err != nil {
		return AccessReviewView{}, err
	}
	v := AccessReviewView{ID: r.ID, StartedBy: r.StartedBy, StartedAt: r.StartedAt, DueAt: r.DueAt,
		CompletedAt: optTime(r.CompletedAt), Open: r.CompletedAt.IsZero()}
	v.Late = v.Open && !now.Before(r.DueAt)
	for _, l := range lines {
		if l.Decision == "" {
			v.Pending++
		}
		if !withLines {
			continue
		}
		lv := AccessReviewLineView{UserID: l.UserID, Role: l.Role, Channels: nonNil(l.Channels), CaseKeys: l.CaseKeys,
			Decision: l.Decision, DecidedBy: l.DecidedBy, DecidedAt: optTime(l.DecidedAt)}
		if u, err := s.db.UserByID(ctx, s.tenant, l.UserID); err == nil {
			lv.Email, lv.CurrentRole, lv.Disabled = u.Email, u.Role, !u.DisabledAt.IsZero()
		} else if !errors.Is(err, store.ErrNotFound) {
			return AccessReviewView{}, err
		}
		v.Lines = append(v.Lines, lv)
	}
	return v, nil
}

func (s *Service) reviewsState(ctx context.Context) (AccessReviewsState, error) {
	now := s.now()
	last, err := s.db.LastAccessReviewCompleted(ctx, s.tenant)
	if err != nil {
		return AccessReviewsState{}, err
	}
	rows, err := s.db.AccessReviews(ctx, s.tenant, 100)
	if err != nil {
		return AccessReviewsState{}, err
	}
	out := AccessReviewsState{Overdue: ReviewOverdue(last, now), LastCompletedAt: optTime(last), Reviews: []AccessReviewView{}}
	if !last.IsZero() {
		next := last.AddDate(0, ReviewPeriodMonths, 0)
		out.NextDueAt = &next
	}
	for _, r := range rows {
		v, err := s.reviewView(ctx, r, now, false)
		if err != nil {
			return AccessReviewsState{}, err
		}
		out.Reviews = append(out.Reviews, v)
	}
	return out, nil
}

// AccessReviews lists the campaigns and flags an overdue review.
func (s *Service) AccessReviews(ctx context.Context, st *accounts.Staff) (AccessReviewsState, error) {
	if err := s.authorize(st); err != nil {
		return AccessReviewsState{}, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, "access_reviews"); err != nil {
		return AccessReviewsState{}, err
	}
	return s.reviewsState(ctx)
}

// AccessReview opens one campaign with its lines.
func (s *Service) AccessReview(ctx context.Context, st *accounts.Staff, id string) (AccessReviewView, error) {
	if err := s.authorize(st); err != nil {
		return AccessReviewView{}, err
	}
	r, err := s.db.AccessReviewByID(ctx, s.tenant, id)
	if err != nil {
		return AccessReviewView{}, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectAccessReview, id); err != nil {
		return AccessReviewView{}, err
	}
	return s.reviewView(ctx, r, s.now(), true)
}

// StartAccessReview opens a campaign over every enabled staff user. Only
// one campaign is open at a time.
func (s *Service) StartAccessReview(ctx context.Context, st *accounts.Staff) (AccessReviewView, error) {
	if err := s.authorize(st); err != nil {
		return AccessReviewView{}, err
	}
	now := s.now()
	users, err := s.db.StaffAccessSummary(ctx, s.tenant)
	if err != nil {
		return AccessReviewView{}, err
	}
	r := store.AccessReview{TenantID: s.tenant, ID: store.NewID(), StartedBy: st.UserID, StartedAt: now,
		DueAt: now.AddDate(0, reviewDueMonths, 0)}
	lines := make([]store.AccessReviewLine, 0, len(users))
	for _, u := range users {
		lines = append(lines, store.AccessReviewLine{UserID: u.UserID, Role: u.Role, Channels: u.Channels, CaseKeys: u.CaseKeys})
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAccessReview(ctx, r, lines); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return ErrReviewOpen
			}
			return err
		}
		return s.reviewAudit(ctx, tx, st, r.ID, "review.start")
	})
	if err != nil {
		return AccessReviewView{}, err
	}
	return s.reviewView(ctx, r, now, true)
}

func (s *Service) reviewAudit(ctx context.Context, tx *store.Tx, st *accounts.Staff, reviewID, detail string) error {
	_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterWrite, ObjectType: audit.ObjectAccessReview, ObjectID: reviewID, Detail: detail})
	return err
}

// Attestation is the input of Attest.
type Attestation struct {
	Decision string `json:"decision"`
}

// Attest records the decision on one user of an open campaign and acts on
// it: revoke-role makes the user a handler, disable disables the account.
// Nobody revokes their own role or disables themselves, and the last
// enabled admin stays. The campaign completes with its last line.
func (s *Service) Attest(ctx context.Context, st *accounts.Staff, reviewID, userID string, in Attestation) (AccessReviewView, error) {
	if err := s.authorize(st); err != nil {
		return AccessReviewView{}, err
	}
	switch in.Decision {
	case DecisionKeep, DecisionRevokeRole, DecisionDisable:
	default:
		return AccessReviewView{}, ErrInvalid.with("decision")
	}
	r, err := s.db.AccessReviewByID(ctx, s.tenant, reviewID)
	if err != nil {
		return AccessReviewView{}, notFound(err)
	}
	if in.Decision != DecisionKeep && userID == st.UserID {
		return AccessReviewView{}, ErrSelfRevocation
	}
	// A user who loses the admin or dpo role loses the register key too:
	// with the reviewer's copy at hand it is rotated in the same
	// transaction (rotation.go).
	var rk regKeyAt
	if in.Decision != DecisionKeep {
		if rk.key, rk.ok, err = s.currentRegisterKey(ctx, st); err != nil {
			return AccessReviewView{}, err
		}
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.DecideAccessReviewLine(ctx, s.tenant, reviewID, userID, in.Decision, st.UserID, now); err != nil {
			if errors.Is(err, store.ErrDecided) {
				return ErrAlreadyAttested
			}
			return notFound(err)
		}
		if err := s.applyDecision(ctx, tx, st, userID, in.Decision, now, rk); err != nil {
			return err
		}
		if err := s.reviewAudit(ctx, tx, st, reviewID, "review."+in.Decision); err != nil {
			return err
		}
		done, err := tx.CompleteAccessReviewIfDone(ctx, s.tenant, reviewID, now)
		if err != nil || !done {
			return err
		}
		return s.reviewAudit(ctx, tx, st, reviewID, "review.complete")
	})
	if err != nil {
		return AccessReviewView{}, err
	}
	r, err = s.db.AccessReviewByID(ctx, s.tenant, reviewID)
	if err != nil {
		return AccessReviewView{}, err
	}
	return s.reviewView(ctx, r, now, true)
}

// regKeyAt is the acting user's register key, if they hold one.
type regKeyAt struct {
	key keys.Key
	ok  bool
}

func (s *Service) applyDecision(ctx context.Context, tx *store.Tx, st *accounts.Staff, userID, decision string, now time.Time, rk regKeyAt) error {
	if decision == DecisionKeep {
		return nil
	}
	u, err := s.db.UserByID(ctx, s.tenant, userID)
	if err != nil {
		return notFound(err)
	}
	if !u.DisabledAt.IsZero() {
		return nil // disabled meanwhile: nothing left to revoke
	}
	if decision == DecisionRevokeRole && u.Role == accounts.RoleHandler {
		return ErrNothingToRevoke
	}
	if u.Role == accounts.RoleAdmin {
		n, err := tx.CountEnabledRole(ctx, s.tenant, accounts.RoleAdmin)
		if err != nil {
			return err
		}
		if n <= 1 {
			return ErrLastAdmin
		}
	}
	e := audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID, ObjectType: audit.ObjectUser, ObjectID: userID}
	if decision == DecisionDisable {
		if err := tx.DisableUser(ctx, s.tenant, userID, now); err != nil {
			return notFound(err)
		}
		e.Action = audit.ActionUserDisable
	} else {
		if err := tx.SetUserRole(ctx, s.tenant, userID, accounts.RoleHandler); err != nil {
			return notFound(err)
		}
		e.Action, e.Detail = audit.ActionUserRoleChange, accounts.RoleHandler
	}
	if _, err = s.audit.RecordTx(ctx, tx, e); err != nil {
		return err
	}
	if MayUse(u.Role) {
		return s.dropRegisterHolder(ctx, tx, st, userID, rk.key, rk.ok, now)
	}
	return nil
}

// --- audit log (AL-2) ---

// AuditEntryView is an audit-log entry as stored: ids and vocabulary only.
type AuditEntryView struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	ActorType  string    `json:"actor_type"`
	ActorID    string    `json:"actor_id"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectID   string    `json:"object_id"`
	Detail     string    `json:"detail"`
	PrevHash   string    `json:"prev_hash"`
	Hash       string    `json:"hash"`
}

// AuditPage is a page of the audit log.
type AuditPage struct {
	Entries []AuditEntryView `json:"entries"`
	NextSeq int64            `json:"next_seq"` // from_seq of the next page
}

// Audit log pages.
const (
	DefaultAuditPage = 100
	MaxAuditPage     = 1000
)

// AuditLog returns up to limit entries from fromSeq on, for admins and the
// DPO; the read itself is audited first.
func (s *Service) AuditLog(ctx context.Context, st *accounts.Staff, fromSeq int64, limit int) (AuditPage, error) {
	if err := s.authorize(st); err != nil {
		return AuditPage{}, err
	}
	if fromSeq < 1 {
		fromSeq = 1
	}
	if limit <= 0 {
		limit = DefaultAuditPage
	}
	limit = min(limit, MaxAuditPage)
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionAuditLogRead, ObjectType: audit.ObjectAuditLog}); err != nil {
		return AuditPage{}, err
	}
	rows, err := s.db.AuditEntries(ctx, s.tenant, fromSeq, limit)
	if err != nil {
		return AuditPage{}, err
	}
	out := AuditPage{Entries: make([]AuditEntryView, 0, len(rows)), NextSeq: fromSeq}
	for _, e := range rows {
		out.Entries = append(out.Entries, AuditEntryView{Seq: e.Seq, At: e.At, ActorType: e.ActorType, ActorID: e.ActorID,
			Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)})
		out.NextSeq = e.Seq + 1
	}
	return out, nil
}
