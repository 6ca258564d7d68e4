package privacy

// Owners and review dates of every register entry (issue 5, "Reviews and
// staff duties"): records of processing, processors, DPIAs, risks and
// retention policies each have an owner (a staff user) and a next review
// date, because each of these controls is meant to be repeated at least
// yearly (GDPR arts. 5(2), 24(1), 32(1)(d), 35(11)). "Mark reviewed"
// records who reviewed the entry and when, and sets the next date (by
// default DefaultReviewInterval on). Activities, processors, DPIAs and
// risks keep owner and date in their own row (register_items); retention
// policies, which may still be the unstored default, in review_schedules.

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// ReviewableRegisters are the registers whose entries are reviewed.
var ReviewableRegisters = []string{store.RegisterActivity, store.RegisterProcessor, store.RegisterDPIA, store.RegisterRisk,
	store.RegisterRetentionPolicy}

// MarkReviewed is the input of MarkReviewed.
type MarkReviewed struct {
	// NextReviewAt is the next review date; zero: DefaultReviewInterval
	// from now.
	NextReviewAt time.Time `json:"next_review_at,omitempty"`
}

// ReviewRecordView is one recorded review.
type ReviewRecordView struct {
	ID           string    `json:"id"`
	ReviewedBy   string    `json:"reviewed_by"`
	ReviewedAt   time.Time `json:"reviewed_at"`
	NextReviewAt time.Time `json:"next_review_at"`
}

// ReviewHistory is an entry's review date and its recorded reviews.
type ReviewHistory struct {
	Register string             `json:"register"`
	ID       string             `json:"id"`
	ReviewAt *time.Time         `json:"review_at"`
	Reviews  []ReviewRecordView `json:"reviews"`
}

// ErrReviewDate is a next review date that is not in the future.
var ErrReviewDate = &Error{Kind: KindInvalid, Code: "invalid_request", Msg: "the next review date must be in the future"}

// nextReview checks or defaults the next review date.
func nextReview(in time.Time, now time.Time) (time.Time, error) {
	if in.IsZero() {
		return now.AddDate(DefaultReviewInterval, 0, 0).UTC(), nil
	}
	if !in.After(now) {
		return time.Time{}, ErrReviewDate.with("next_review_at")
	}
	return in.UTC(), nil
}

// MarkReviewed records a review of one entry and sets its next review date.
func (s *Service) MarkReviewed(ctx context.Context, st *accounts.Staff, register, id string, in MarkReviewed) (ReviewHistory, error) {
	if err := s.authorize(st); err != nil {
		return ReviewHistory{}, err
	}
	if !slices.Contains(ReviewableRegisters, register) {
		return ReviewHistory{}, ErrNotFound
	}
	now := s.now()
	next, err := nextReview(in.NextReviewAt, now)
	if err != nil {
		return ReviewHistory{}, err
	}
	var sched *store.ReviewSchedule
	if register == store.RegisterRetentionPolicy {
		p, cur, err := s.policySchedule(ctx, id)
		if err != nil {
			return ReviewHistory{}, err
		}
		sched = &store.ReviewSchedule{TenantID: s.tenant, Register: register, ItemID: id, OwnerID: cur.OwnerID,
			ReviewAt: next, UpdatedBy: st.UserID, UpdatedAt: now}
		if sched.OwnerID == "" {
			sched.OwnerID = p.OwnerID // the effective owner becomes the stored one
		}
	} else if _, err := s.db.RegisterItemByID(ctx, s.tenant, register, id); err != nil {
		return ReviewHistory{}, notFound(err)
	}
	rec := store.RegisterReview{TenantID: s.tenant, ID: store.NewID(), Register: register, ItemID: id, ReviewedBy: st.UserID,
		ReviewedAt: now, NextReviewAt: next}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if sched != nil {
			if err := tx.PutReviewSchedule(ctx, *sched); err != nil {
				return err
			}
		} else if err := tx.SetRegisterItemReview(ctx, s.tenant, register, id, next, st.UserID, now); err != nil {
			return notFound(err)
		}
		if err := tx.InsertRegisterReview(ctx, rec); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionRegisterWrite, ObjectType: reviewObject(register), ObjectID: auditID(id), Detail: register + ".review"})
		return err
	})
	if err != nil {
		return ReviewHistory{}, err
	}
	return s.reviewHistory(ctx, register, id, next)
}

// reviewObject is the audit object of a reviewed entry.
func reviewObject(register string) string {
	if register == store.RegisterRetentionPolicy {
		return audit.ObjectChannel
	}
	return objectOf(register)
}

// auditID is the audit object id of an entry: a retention policy is
// audited on its channel, like retention.SetPolicy does.
func auditID(id string) string {
	if ch, _, ok := strings.Cut(id, "/"); ok {
		return ch
	}
	return id
}

func (s *Service) reviewHistory(ctx context.Context, register, id string, next time.Time) (ReviewHistory, error) {
	rows, err := s.db.RegisterReviews(ctx, s.tenant, register, id)
	if err != nil {
		return ReviewHistory{}, err
	}
	out := ReviewHistory{Register: register, ID: id, ReviewAt: optTime(next), Reviews: make([]ReviewRecordView, 0, len(rows))}
	for _, r := range rows {
		out.Reviews = append(out.Reviews, ReviewRecordView{ID: r.ID, ReviewedBy: r.ReviewedBy, ReviewedAt: r.ReviewedAt, NextReviewAt: r.NextReviewAt})
	}
	return out, nil
}

// Reviews lists the recorded reviews of one entry.
func (s *Service) Reviews(ctx context.Context, st *accounts.Staff, register, id string) (ReviewHistory, error) {
	if err := s.authorize(st); err != nil {
		return ReviewHistory{}, err
	}
	var next time.Time
	switch {
	case register == store.RegisterRetentionPolicy:
		p, _, err := s.policySchedule(ctx, id)
		if err != nil {
			return ReviewHistory{}, err
		}
		if p.ReviewAt != nil {
			next = *p.ReviewAt
		}
	case slices.Contains(ReviewableRegisters, register):
		it, err := s.db.RegisterItemByID(ctx, s.tenant, register, id)
		if err != nil {
			return ReviewHistory{}, notFound(err)
		}
		next = it.ReviewAt
	default:
		return ReviewHistory{}, ErrNotFound
	}
	if err := s.recordRead(ctx, st, reviewObject(register), auditID(id)); err != nil {
		return ReviewHistory{}, err
	}
	return s.reviewHistory(ctx, register, id, next)
}

// --- retention policies as register entries ---

// PolicyView is a retention policy with its owner and review date.
type PolicyView struct {
	ID            string     `json:"id"` // "<channel id>/<category>"
	ChannelID     string     `json:"channel_id"`
	Category      string     `json:"category"`
	Months        int        `json:"months"`
	Confirmed     bool       `json:"confirmed"`
	ConfirmedAt   *time.Time `json:"confirmed_at"`
	Default       bool       `json:"default"`
	OwnerID       string     `json:"owner_id"`
	ReviewAt      *time.Time `json:"review_at"`
	ReviewOverdue bool       `json:"review_overdue"`
	// ConfirmationPending: nothing is deleted under this policy until an
	// admin confirms it.
	ConfirmationPending bool `json:"confirmation_pending"`
}

// PolicySchedule sets the owner and next review date of a policy.
type PolicySchedule struct {
	OwnerID  string    `json:"owner_id,omitempty"`  // default: unchanged, or the admin who confirmed
	ReviewAt time.Time `json:"review_at,omitempty"` // default: unchanged, or a year after confirmation
}

func policyID(channel, category string) string { return channel + "/" + category }

// policyViews joins the effective policies with their schedules. A policy
// without a schedule is owned by the admin who confirmed it and is due a
// year after the confirmation; an unconfirmed one has no date yet, it
// shows as a pending confirmation instead.
func (s *Service) policyViews(ctx context.Context) ([]PolicyView, map[string]store.ReviewSchedule, error) {
	list, err := retention.New(s.db, s.tenant, s.now).Policies(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	scheds, err := s.db.ReviewSchedules(ctx, s.tenant, store.RegisterRetentionPolicy)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]store.ReviewSchedule{}
	for _, sc := range scheds {
		byID[sc.ItemID] = sc
	}
	now := s.now()
	out := make([]PolicyView, 0, len(list))
	for _, p := range list {
		v := PolicyView{ID: policyID(p.ChannelID, p.Category), ChannelID: p.ChannelID, Category: p.Category, Months: p.Months,
			Confirmed: p.Confirmed, ConfirmedAt: p.ConfirmedAt, Default: p.Default, OwnerID: p.ConfirmedBy,
			ConfirmationPending: !p.Confirmed}
		if p.ConfirmedAt != nil {
			v.ReviewAt = optTime(p.ConfirmedAt.AddDate(DefaultReviewInterval, 0, 0))
		}
		if sc, ok := byID[v.ID]; ok {
			if sc.OwnerID != "" {
				v.OwnerID = sc.OwnerID
			}
			if !sc.ReviewAt.IsZero() {
				v.ReviewAt = optTime(sc.ReviewAt)
			}
		}
		v.ReviewOverdue = v.ReviewAt != nil && reviewOverdue(*v.ReviewAt, now)
		out = append(out, v)
	}
	return out, byID, nil
}

// policySchedule finds the policy named id and its stored schedule.
func (s *Service) policySchedule(ctx context.Context, id string) (PolicyView, store.ReviewSchedule, error) {
	list, byID, err := s.policyViews(ctx)
	if err != nil {
		return PolicyView{}, store.ReviewSchedule{}, err
	}
	for _, p := range list {
		if p.ID == id {
			return p, byID[id], nil
		}
	}
	return PolicyView{}, store.ReviewSchedule{}, ErrNotFound
}

// RetentionPolicies lists the retention policies as register entries.
func (s *Service) RetentionPolicies(ctx context.Context, st *accounts.Staff) ([]PolicyView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, store.RegisterRetentionPolicy); err != nil {
		return nil, err
	}
	list, _, err := s.policyViews(ctx)
	return list, err
}

// SetPolicySchedule sets the owner and next review date of a retention
// policy. The period itself is changed by an admin in the retention
// settings (retention.SetPolicy).
func (s *Service) SetPolicySchedule(ctx context.Context, st *accounts.Staff, id string, in PolicySchedule) (PolicyView, error) {
	if err := s.authorize(st); err != nil {
		return PolicyView{}, err
	}
	if clean(in.OwnerID) == "" && in.ReviewAt.IsZero() {
		return PolicyView{}, ErrInvalid.with("owner_id", "review_at")
	}
	p, cur, err := s.policySchedule(ctx, id)
	if err != nil {
		return PolicyView{}, err
	}
	now := s.now()
	sc := store.ReviewSchedule{TenantID: s.tenant, Register: store.RegisterRetentionPolicy, ItemID: id, OwnerID: cur.OwnerID,
		ReviewAt: cur.ReviewAt, UpdatedBy: st.UserID, UpdatedAt: now}
	if o := clean(in.OwnerID); o != "" {
		owner, _, err := s.itemMeta(ctx, st, o, now, now)
		if err != nil {
			return PolicyView{}, err
		}
		sc.OwnerID = owner
	}
	if !in.ReviewAt.IsZero() {
		if sc.ReviewAt, err = nextReview(in.ReviewAt, now); err != nil {
			return PolicyView{}, ErrInvalid.with("review_at")
		}
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutReviewSchedule(ctx, sc); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionRegisterWrite, ObjectType: audit.ObjectChannel, ObjectID: p.ChannelID, Detail: store.RegisterRetentionPolicy + ".schedule"})
		return err
	})
	if err != nil {
		return PolicyView{}, err
	}
	p, _, err = s.policySchedule(ctx, id)
	return p, err
}
