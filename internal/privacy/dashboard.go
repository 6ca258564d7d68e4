package privacy

// The DPO's dashboard: what falls due across the registers, as counts and
// ids to link to, never content. It reads clear columns only (dates,
// states, owners), so it opens nothing sealed and needs no register key;
// case content and case ids stay out of it entirely (persons-concerned
// notifications are counted, not listed, since the DPO may not open cases).

import (
	"context"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/store"
)

// How far ahead the dashboard looks.
const (
	ReviewWarnWithin  = 30 * 24 * time.Hour
	RequestWarnWithin = 7 * 24 * time.Hour
)

// DueEntry is a register entry whose review falls due.
type DueEntry struct {
	Register string    `json:"register"`
	ID       string    `json:"id"`
	OwnerID  string    `json:"owner_id"`
	DueAt    time.Time `json:"due_at"`
	Overdue  bool      `json:"overdue"`
}

// DueRequest is an open data-subject request near or past its deadline.
type DueRequest struct {
	ID      string    `json:"id"`
	Type    string    `json:"type"`
	DueAt   time.Time `json:"due_at"`
	Overdue bool      `json:"overdue"`
}

// RunningBreach is an open breach whose 72-hour clock runs: it has risk
// and the authority is not notified yet.
type RunningBreach struct {
	ID        string    `json:"id"`
	AwareAt   time.Time `json:"aware_at"`
	NotifyDue time.Time `json:"notify_due"`
	Overdue   bool      `json:"overdue"`
	Risk      string    `json:"risk"`
	// SubjectNoticeMissing: high risk and no art. 34 notice or exception yet.
	SubjectNoticeMissing bool `json:"subject_notice_missing"`
}

// Dashboard is the DPO's overview.
type Dashboard struct {
	At time.Time `json:"at"`
	// Register entries (activities, processors, DPIAs, risks, retention
	// policies) due for review within ReviewWarnWithin or overdue.
	Reviews         []DueEntry `json:"reviews"`
	ReviewsOverdue  int        `json:"reviews_overdue"`
	ReviewsDueSoon  int        `json:"reviews_due_soon"`
	EntriesNoReview int        `json:"entries_without_review_date"`
	// Quarterly access review (AR-1).
	AccessReviewOverdue bool       `json:"access_review_overdue"`
	AccessReviewOpenID  string     `json:"access_review_open_id,omitempty"`
	AccessReviewLate    bool       `json:"access_review_late"` // the open campaign is past its due date
	AccessReviewNextDue *time.Time `json:"access_review_next_due"`
	// Data-subject requests due within RequestWarnWithin or overdue.
	Requests        []DueRequest `json:"requests"`
	RequestsOverdue int          `json:"requests_overdue"`
	RequestsDueSoon int          `json:"requests_due_soon"`
	// Breaches with the 72-hour clock running.
	Breaches        []RunningBreach `json:"breaches"`
	BreachesOverdue int             `json:"breaches_overdue"`
	// Art. 14 notifications of persons concerned (counts only).
	NotificationsOverdue int `json:"notifications_overdue"`
	NotificationsDue     int `json:"notifications_due"` // due today or within cases.NotifyWarnDays
	// Retention policies awaiting an admin's confirmation.
	RetentionPending []string `json:"retention_confirmations_pending"` // policy ids "<channel>/<category>"
}

// Dashboard builds the DPO's overview (admins and the DPO).
func (s *Service) Dashboard(ctx context.Context, st *accounts.Staff) (Dashboard, error) {
	if err := s.authorize(st); err != nil {
		return Dashboard{}, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, "dashboard"); err != nil {
		return Dashboard{}, err
	}
	now := s.now()
	d := Dashboard{At: now, Reviews: []DueEntry{}, Requests: []DueRequest{}, Breaches: []RunningBreach{}, RetentionPending: []string{}}
	due := func(register, id, owner string, at time.Time) {
		if at.IsZero() {
			d.EntriesNoReview++
			return
		}
		if at.Sub(now) > ReviewWarnWithin {
			return
		}
		e := DueEntry{Register: register, ID: id, OwnerID: owner, DueAt: at, Overdue: reviewOverdue(at, now)}
		if e.Overdue {
			d.ReviewsOverdue++
		} else {
			d.ReviewsDueSoon++
		}
		d.Reviews = append(d.Reviews, e)
	}
	for _, reg := range []string{store.RegisterActivity, store.RegisterProcessor, store.RegisterDPIA, store.RegisterRisk} {
		items, err := s.db.RegisterItems(ctx, s.tenant, reg, maxItems)
		if err != nil {
			return Dashboard{}, err
		}
		for _, it := range items {
			due(reg, it.ID, it.OwnerID, it.ReviewAt)
		}
	}
	policies, _, err := s.policyViews(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	for _, p := range policies {
		if p.ConfirmationPending {
			d.RetentionPending = append(d.RetentionPending, p.ID)
			continue // its review starts with the confirmation
		}
		var at time.Time
		if p.ReviewAt != nil {
			at = *p.ReviewAt
		}
		due(store.RegisterRetentionPolicy, p.ID, p.OwnerID, at)
	}
	slices.SortStableFunc(d.Reviews, func(a, b DueEntry) int { return a.DueAt.Compare(b.DueAt) })

	reviews, err := s.reviewsState(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	d.AccessReviewOverdue, d.AccessReviewNextDue = reviews.Overdue, reviews.NextDueAt
	for _, r := range reviews.Reviews {
		if r.Open {
			d.AccessReviewOpenID, d.AccessReviewLate = r.ID, r.Late
		}
	}

	dsrs, err := s.db.DSRs(ctx, s.tenant, now, maxItems)
	if err != nil {
		return Dashboard{}, err
	}
	for _, q := range dsrs {
		v := requestView(q, now)
		if v.Status != RequestOpen || v.Due.Sub(now) > RequestWarnWithin {
			continue
		}
		if v.Overdue {
			d.RequestsOverdue++
		} else {
			d.RequestsDueSoon++
		}
		d.Requests = append(d.Requests, DueRequest{ID: v.ID, Type: v.Type, DueAt: v.Due, Overdue: v.Overdue})
	}

	breaches, err := s.db.Breaches(ctx, s.tenant, now, maxItems)
	if err != nil {
		return Dashboard{}, err
	}
	for _, b := range breaches {
		v := breachView(b, now)
		if v.Status != BreachOpen || v.Risk == RiskNone {
			continue
		}
		missing := v.Risk == RiskHigh && v.SubjectNotice == ""
		if v.AuthorityNotifiedAt != nil && !missing {
			continue
		}
		rb := RunningBreach{ID: v.ID, AwareAt: v.AwareAt, NotifyDue: v.NotifyDue, Overdue: v.NotificationOverdue, Risk: v.Risk,
			SubjectNoticeMissing: missing}
		if rb.Overdue {
			d.BreachesOverdue++
		}
		d.Breaches = append(d.Breaches, rb)
	}

	loc, err := s.location(ctx)
	if err != nil {
		return Dashboard{}, err
	}
	notices, err := s.db.OpenNoticeDates(ctx, s.tenant, cases.NoticePending, cases.NoticeDeferred, cases.NoticeGenerated)
	if err != nil {
		return Dashboard{}, err
	}
	for _, n := range notices {
		switch cases.NotificationStatus(noticeDue(n), now, loc) {
		case cases.NotifyOverdue:
			d.NotificationsOverdue++
		case cases.NotifyDue, cases.NotifyDueSoon:
			d.NotificationsDue++
		}
	}
	return d, nil
}

// noticeDue is when an open notification is next due: its deadline while
// pending, the review date of a deferral, and for a notice generated at
// closure the later of the deadline and the generation (as in
// internal/cases, which lists them per case for handlers).
func noticeDue(n store.NoticeDates) time.Time {
	switch n.State {
	case cases.NoticeDeferred:
		return n.ReviewAt
	case cases.NoticeGenerated:
		if n.NoticeAt.After(n.NotifyDueAt) {
			return n.NoticeAt
		}
	}
	return n.NotifyDueAt
}
