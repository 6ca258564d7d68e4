// Package retention enforces how long case data is kept (RT-1, RT-2, RT-4;
// Directive 2019/1937 art. 18, GDPR art. 5(1)(e)): policies per channel
// and data category counted from the case's closure, legal holds, the
// whistleblower's grace period and the job that deletes expired cases by
// crypto-shredding them.
//
// Expiry of a closed case:
//
//	expires_at = max(closed_at + months + extension months,
//	                 last_activity_at + 30 days)
//
// The second term is the grace period (RT-4): content the whistleblower
// adds shortly before expiry postpones it to 30 days after that activity.
// reports.last_activity_at also moves on staff activity (a handler's
// message, a state change, an identity consent); such activity postpones
// deletion in the same way, which errs on the side of keeping a case that
// someone is still working on. A case on legal hold (RT-2) does not
// expire; nothing is deleted under a policy an admin has not confirmed.
package retention

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// Data categories. For now a policy covers the whole case: answers,
// messages, files, journal and identity answers.
const CategoryReport = "report"

// Categories lists the known data categories.
var Categories = []string{CategoryReport}

const (
	// DefaultMonths is the retention after closure until an admin confirms
	// another period: the Directive's "no longer than necessary and
	// proportionate" (art. 18(1)), read as one year to allow follow-up
	// and appeals.
	DefaultMonths = 12
	// MaxMonths bounds a policy (10 years).
	MaxMonths = 120
	// Grace is how long after the whistleblower's last activity a case is
	// kept at least (RT-4).
	Grace = 30 * 24 * time.Hour
	// WarnWithin is how far ahead the upcoming list looks.
	WarnWithin = 14 * 24 * time.Hour
	// MaxExtensionMonths bounds the one extension of a case.
	MaxExtensionMonths = 24
	// minPolicy is a lower bound of the shortest policy (one month).
	minPolicy = 28 * 24 * time.Hour
)

var (
	ErrForbidden     = errors.New("only admins may change retention policies")
	ErrRegister      = errors.New("only admins and the data protection officer may read the deletion records")
	ErrInvalidPolicy = errors.New("a policy needs a known channel, a known category and 1 to 120 months")
)

// Policy is the effective policy of one channel and category.
type Policy struct {
	ChannelID   string     `json:"channel_id"`
	Category    string     `json:"category"`
	Months      int        `json:"months"`
	Confirmed   bool       `json:"confirmed"`
	ConfirmedBy string     `json:"confirmed_by,omitempty"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"`
	// Default is set when no policy was stored: the default period,
	// awaiting an admin's confirmation.
	Default bool `json:"default"`
}

func fromStore(p store.RetentionPolicy) Policy {
	out := Policy{ChannelID: p.ChannelID, Category: p.Category, Months: p.Months, ConfirmedBy: p.ConfirmedBy}
	if !p.ConfirmedAt.IsZero() {
		t := p.ConfirmedAt
		out.Confirmed, out.ConfirmedAt = true, &t
	}
	return out
}

// Expiry is when case c expires under a policy of months; zero for an
// open case or a case on hold.
func Expiry(c store.RetentionCase, months int) time.Time {
	if c.ClosedAt.IsZero() || c.Held {
		return time.Time{}
	}
	base := c.ClosedAt.UTC().AddDate(0, months+c.ExtensionMonths, 0)
	if grace := c.LastActivityAt.Add(Grace); grace.After(base) {
		return grace
	}
	return base
}

// Service reads and changes policies and lists upcoming deletions and
// deletion records.
type Service struct {
	DB     *store.DB
	Tenant string
	Now    func() time.Time
	audit  *audit.Log
}

// New returns a Service.
func New(db *store.DB, tenant string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{DB: db, Tenant: tenant, Now: now, audit: audit.New(db, now)}
}

// policies returns the effective policy for every channel and category.
func policies(ctx context.Context, db *store.DB, tenant string) (map[[2]string]Policy, []Policy, error) {
	channels, err := db.Channels(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	stored, err := db.RetentionPolicies(ctx, tenant)
	if err != nil {
		return nil, nil, err
	}
	byKey := map[[2]string]Policy{}
	for _, p := range stored {
		byKey[[2]string{p.ChannelID, p.Category}] = fromStore(p)
	}
	var list []Policy
	for _, ch := range channels {
		for _, cat := range Categories {
			k := [2]string{ch.ID, cat}
			p, ok := byKey[k]
			if !ok {
				p = Policy{ChannelID: ch.ID, Category: cat, Months: DefaultMonths, Default: true}
				byKey[k] = p
			}
			list = append(list, p)
		}
	}
	return byKey, list, nil
}

// Policies lists the effective policy of every channel and category; a
// policy never stored shows the default, unconfirmed.
func (s *Service) Policies(ctx context.Context, st *accounts.Staff) ([]Policy, error) {
	_, list, err := policies(ctx, s.DB, s.Tenant)
	return list, err
}

// PolicyChange sets a policy; Confirm records the admin's confirmation.
type PolicyChange struct {
	ChannelID string `json:"channel_id"`
	Category  string `json:"category"`
	Months    int    `json:"months"`
	Confirm   bool   `json:"confirm"`
}

// SetPolicy stores a policy (admins only). A change without Confirm leaves
// the policy unconfirmed, so the job stops deleting under it until an
// admin confirms the new period.
func (s *Service) SetPolicy(ctx context.Context, st *accounts.Staff, c PolicyChange) (Policy, error) {
	if st == nil || st.TenantID != s.Tenant || st.Role != accounts.RoleAdmin {
		return Policy{}, ErrForbidden
	}
	if c.Category == "" {
		c.Category = CategoryReport
	}
	if !slices.Contains(Categories, c.Category) || c.Months < 1 || c.Months > MaxMonths {
		return Policy{}, ErrInvalidPolicy
	}
	if _, err := s.DB.Channel(ctx, s.Tenant, c.ChannelID); errors.Is(err, store.ErrNotFound) {
		return Policy{}, ErrInvalidPolicy
	} else if err != nil {
		return Policy{}, err
	}
	now := s.Now()
	p := store.RetentionPolicy{TenantID: s.Tenant, ChannelID: c.ChannelID, Category: c.Category, Months: c.Months,
		UpdatedBy: st.UserID, UpdatedAt: now}
	if c.Confirm {
		p.ConfirmedBy, p.ConfirmedAt = st.UserID, now
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutRetentionPolicy(ctx, p); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.Tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionSettingsChange, ObjectType: audit.ObjectChannel, ObjectID: c.ChannelID, Detail: "retention." + c.Category})
		return err
	})
	if err != nil {
		return Policy{}, err
	}
	return fromStore(p), nil
}

// Upcoming is a case that expires soon.
type Upcoming struct {
	ReportID   string    `json:"id"`
	CaseNumber int64     `json:"case_number"`
	ChannelID  string    `json:"channel"`
	ClosedAt   time.Time `json:"closed_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// Confirmed tells whether the policy is confirmed; if not, the job
	// will not delete the case at ExpiresAt.
	Confirmed bool `json:"policy_confirmed"`
	Extended  bool `json:"extended"`
}

// Upcoming lists the closed cases that expire within WarnWithin (or have
// expired and await the job), soonest first. Handlers see the cases they
// hold a key for; admins and the DPO see all (case numbers and dates, no
// content).
func (s *Service) Upcoming(ctx context.Context, st *accounts.Staff) ([]Upcoming, error) {
	byKey, _, err := policies(ctx, s.DB, s.Tenant)
	if err != nil {
		return nil, err
	}
	holder := st.UserID
	if st.Role == accounts.RoleAdmin || st.Role == accounts.RoleDPO {
		holder = ""
	}
	now := s.Now()
	// Every policy is at least a month (28 days or more); a case closed
	// later than that cannot expire within the window.
	cs, err := s.DB.RetentionCases(ctx, s.Tenant, now.Add(WarnWithin).Add(-minPolicy), holder)
	if err != nil {
		return nil, err
	}
	out := []Upcoming{}
	for _, c := range cs {
		p := byKey[[2]string{c.ChannelID, CategoryReport}]
		exp := Expiry(c, p.Months)
		if exp.IsZero() || exp.After(now.Add(WarnWithin)) {
			continue
		}
		out = append(out, Upcoming{ReportID: c.ReportID, CaseNumber: c.CaseNumber, ChannelID: c.ChannelID,
			ClosedAt: c.ClosedAt, ExpiresAt: exp, Confirmed: p.Confirmed, Extended: c.ExtensionMonths > 0})
	}
	slices.SortStableFunc(out, func(a, b Upcoming) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return out, nil
}

// CaseExpiry is a case's expiry under its channel's effective policy, and
// whether that policy is confirmed; zero for an open or held case.
func (s *Service) CaseExpiry(ctx context.Context, reportID string) (time.Time, bool, error) {
	c, err := s.DB.RetentionCase(ctx, s.Tenant, reportID)
	if err != nil {
		return time.Time{}, false, err
	}
	byKey, _, err := policies(ctx, s.DB, s.Tenant)
	if err != nil {
		return time.Time{}, false, err
	}
	p := byKey[[2]string{c.ChannelID, CategoryReport}]
	if p.Months == 0 {
		p.Months = DefaultMonths
	}
	return Expiry(c, p.Months), p.Confirmed, nil
}

// Deletion is one deletion record as shown to admins and the DPO.
type Deletion struct {
	ID                string     `json:"id"`
	Category          string     `json:"category"`
	CaseNumber        int64      `json:"case_number"`
	ChannelID         string     `json:"channel"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	DeletedAt         time.Time  `json:"deleted_at"`
	PolicyChannelID   string     `json:"policy_channel"`
	PolicyCategory    string     `json:"policy_category"`
	PolicyMonths      int        `json:"policy_months"`
	PolicyConfirmedAt *time.Time `json:"policy_confirmed_at,omitempty"`
	// Basis is "retention" or "export" (deleted after a confirmed
	// export, by DeletedBy, of the export ExportID with ExportSHA256).
	Basis        string `json:"basis"`
	DeletedBy    string `json:"deleted_by,omitempty"`
	ExportID     string `json:"export_id,omitempty"`
	ExportSHA256 string `json:"export_sha256,omitempty"`
	// RequestID is the data-subject request a case was erased on (basis
	// "erasure_request").
	RequestID string `json:"request_id,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Deletions lists the deletion records (admins and the DPO).
func (s *Service) Deletions(ctx context.Context, st *accounts.Staff) ([]Deletion, error) {
	if st == nil || st.TenantID != s.Tenant || st.Role != accounts.RoleAdmin && st.Role != accounts.RoleDPO {
		return nil, ErrRegister
	}
	recs, err := s.DB.DeletionRecords(ctx, s.Tenant)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: s.Tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterRead, ObjectType: audit.ObjectRegister, ObjectID: "deletions"}); err != nil {
		return nil, err
	}
	out := make([]Deletion, 0, len(recs))
	for _, r := range recs {
		out = append(out, Deletion{ID: r.ID, Category: r.Category, CaseNumber: r.CaseNumber, ChannelID: r.ChannelID,
			ClosedAt: optTime(r.ClosedAt), DeletedAt: r.DeletedAt, PolicyChannelID: r.PolicyChannelID,
			PolicyCategory: r.PolicyCategory, PolicyMonths: r.PolicyMonths, PolicyConfirmedAt: optTime(r.PolicyConfirmedAt),
			Basis: r.Basis, DeletedBy: r.DeletedBy, ExportID: r.ExportID, ExportSHA256: r.ExportSHA256, RequestID: r.RequestID})
	}
	return out, nil
}
