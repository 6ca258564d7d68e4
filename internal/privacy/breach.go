package privacy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// BreachDetails is the sealed content of a breach: art. 33(5) facts,
// effects and remedy, and the art. 33(3) content of a notification.
type BreachDetails struct {
	WhatHappened   string `json:"what_happened,omitempty"`       // 33(3)(a) nature
	DataCategories string `json:"data_categories,omitempty"`     // 33(3)(a)
	ApproxSubjects *int64 `json:"approx_subjects,omitempty"`     // 33(3)(a)
	ApproxRecords  *int64 `json:"approx_records,omitempty"`      // 33(3)(a)
	ContactPoint   string `json:"contact_point,omitempty"`       // 33(3)(b) DPO or other contact
	Consequences   string `json:"likely_consequences,omitempty"` // 33(3)(c)
	Measures       string `json:"measures,omitempty"`            // 33(3)(d) taken or proposed
	RiskReason     string `json:"risk_reason,omitempty"`         // why the risk level differs from RiskFor(severity)
}

func (d BreachDetails) texts() map[string]string {
	return map[string]string{"what_happened": d.WhatHappened, "data_categories": d.DataCategories,
		"contact_point": d.ContactPoint, "likely_consequences": d.Consequences, "measures": d.Measures, "risk_reason": d.RiskReason}
}

func (d *BreachDetails) trim() {
	for _, p := range []*string{&d.WhatHappened, &d.DataCategories, &d.ContactPoint, &d.Consequences, &d.Measures, &d.RiskReason} {
		*p = clean(*p)
	}
}

// merge lays the fields given in u over d (a phased update, art. 33(4)).
func (d *BreachDetails) merge(u BreachDetails) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&d.WhatHappened, u.WhatHappened)
	set(&d.DataCategories, u.DataCategories)
	set(&d.ContactPoint, u.ContactPoint)
	set(&d.Consequences, u.Consequences)
	set(&d.Measures, u.Measures)
	set(&d.RiskReason, u.RiskReason)
	if u.ApproxSubjects != nil {
		d.ApproxSubjects = u.ApproxSubjects
	}
	if u.ApproxRecords != nil {
		d.ApproxRecords = u.ApproxRecords
	}
}

// MissingForNotification names the art. 33(3)(a)–(d) fields that d lacks.
func MissingForNotification(d BreachDetails) []string {
	var out []string
	if d.WhatHappened == "" {
		out = append(out, "what_happened")
	}
	if d.DataCategories == "" {
		out = append(out, "data_categories")
	}
	if d.ApproxSubjects == nil {
		out = append(out, "approx_subjects")
	}
	if d.ApproxRecords == nil {
		out = append(out, "approx_records")
	}
	if d.ContactPoint == "" {
		out = append(out, "contact_point")
	}
	if d.Consequences == "" {
		out = append(out, "likely_consequences")
	}
	if d.Measures == "" {
		out = append(out, "measures")
	}
	return out
}

// NewBreach is the input of RecordBreach.
type NewBreach struct {
	AwareAt  time.Time `json:"aware_at"`
	Type     string    `json:"type"`
	Severity int       `json:"severity"`
	Risk     string    `json:"risk,omitempty"` // empty: RiskFor(Severity)
	BreachDetails
}

// BreachUpdate is a phased update: any details that became known, a
// response-plan phase, a note, and optionally a new severity or risk.
type BreachUpdate struct {
	Phase    string `json:"phase,omitempty"`
	Note     string `json:"note,omitempty"`
	Severity int    `json:"severity,omitempty"` // 0: unchanged
	Risk     string `json:"risk,omitempty"`     // empty: derived from the (new) severity
	BreachDetails
}

// AuthorityNotification records the art. 33 notification.
type AuthorityNotification struct {
	NotifiedAt time.Time `json:"notified_at,omitempty"` // zero: now
	Reference  string    `json:"reference,omitempty"`   // the authority's case number
	LateReason string    `json:"late_reason,omitempty"`
}

// SubjectNotice records the art. 34 notice or an art. 34(3) exception.
type SubjectNotice struct {
	Kind   string    `json:"kind"`             // SubjectNoticeGiven or SubjectNoticeException
	At     time.Time `json:"at,omitempty"`     // zero: now
	Ground string    `json:"ground,omitempty"` // exception: 34(3)(a), (b) or (c)
	Text   string    `json:"text"`             // notice: content and means; exception: the reasoning
}

// BreachClose is the input of CloseBreach.
type BreachClose struct {
	Note string `json:"note,omitempty"`
}

// BreachView is a breach as shown to admins and the DPO.
type BreachView struct {
	ID                     string         `json:"id"`
	Type                   string         `json:"type"`
	AwareAt                time.Time      `json:"aware_at"`
	NotifyDue              time.Time      `json:"notify_due"`
	Severity               int            `json:"severity"`
	Risk                   string         `json:"risk"`
	DerivedRisk            string         `json:"derived_risk"`
	RiskOverridden         bool           `json:"risk_overridden"`
	Status                 string         `json:"status"`
	AuthorityNotifiedAt    *time.Time     `json:"authority_notified_at"`
	NotifiedLate           bool           `json:"notified_late"`
	NotificationOverdue    bool           `json:"notification_overdue"`
	SubjectNotice          string         `json:"subject_notice"`
	SubjectNoticeAt        *time.Time     `json:"subject_notice_at"`
	ClosedAt               *time.Time     `json:"closed_at"`
	CreatedAt              time.Time      `json:"created_at"`
	UpdatedAt              time.Time      `json:"updated_at"`
	MissingForNotification []string       `json:"missing_for_notification,omitempty"`
	Details                *BreachDetails `json:"details,omitempty"`
	Phases                 []PhaseView    `json:"phases,omitempty"` // the response plan (phases.go)
	Entries                []EntryView    `json:"entries,omitempty"`
}

func breachView(b store.Breach, now time.Time) BreachView {
	return BreachView{ID: b.ID, Type: b.Type, AwareAt: b.AwareAt, NotifyDue: b.NotifyDueAt, Severity: b.Severity,
		Risk: b.Risk, DerivedRisk: RiskFor(b.Severity), RiskOverridden: b.RiskOverridden, Status: b.Status,
		AuthorityNotifiedAt: optTime(b.AuthorityNotifiedAt), NotifiedLate: b.NotifiedLate,
		NotificationOverdue: b.Status == BreachOpen && b.AuthorityNotifiedAt.IsZero() && b.Risk != RiskNone && Overdue(b.NotifyDueAt, now),
		SubjectNotice:       b.SubjectNotice, SubjectNoticeAt: optTime(b.SubjectNoticeAt), ClosedAt: optTime(b.ClosedAt),
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
}

// chooseRisk applies BR-4: the derived level, or another one with a reason.
func chooseRisk(severity int, risk, reason string) (string, bool, error) {
	derived := RiskFor(severity)
	if risk == "" || risk == derived {
		return derived, false, nil
	}
	if risk != RiskNone && risk != RiskSome && risk != RiskHigh {
		return "", false, ErrInvalid.with("risk")
	}
	if reason == "" {
		return "", false, ErrRiskReasonRequired
	}
	return risk, true, nil
}

// RecordBreach adds a breach to the log (BR-1), notified or not.
func (s *Service) RecordBreach(ctx context.Context, st *accounts.Staff, in NewBreach) (BreachView, error) {
	if err := s.authorize(st); err != nil {
		return BreachView{}, err
	}
	now := s.now()
	in.trim()
	var bad []string
	if in.AwareAt.IsZero() || in.AwareAt.After(now) {
		bad = append(bad, "aware_at")
	}
	if in.Type != TypeConfidentiality && in.Type != TypeIntegrity && in.Type != TypeAvailability {
		bad = append(bad, "type")
	}
	if in.Severity < 1 || in.Severity > 10 {
		bad = append(bad, "severity")
	}
	if in.WhatHappened == "" {
		bad = append(bad, "what_happened")
	}
	if (in.ApproxSubjects != nil && *in.ApproxSubjects < 0) || (in.ApproxRecords != nil && *in.ApproxRecords < 0) {
		bad = append(bad, "approx_numbers")
	}
	if len(bad) > 0 {
		return BreachView{}, ErrInvalid.with(bad...)
	}
	if err := checkText(in.texts()); err != nil {
		return BreachView{}, err
	}
	risk, overridden, err := chooseRisk(in.Severity, in.Risk, in.RiskReason)
	if err != nil {
		return BreachView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return BreachView{}, err
	}
	b := store.Breach{TenantID: s.tenant, ID: store.NewID(), Type: in.Type, AwareAt: in.AwareAt.UTC(),
		NotifyDueAt: NotifyDue(in.AwareAt).UTC(), Severity: in.Severity, Risk: risk, RiskOverridden: overridden,
		Status: BreachOpen, EntrySeq: 1, CreatedBy: st.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertBreach(ctx, b); err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, store.RegisterBreach, b.ID, 1, "record", in.BreachDetails, now)
	})
	if err != nil {
		return BreachView{}, err
	}
	v := breachView(b, now)
	d := in.BreachDetails
	v.Details, v.MissingForNotification = &d, MissingForNotification(d)
	return v, nil
}

// Breaches lists the log without sealed content: overdue notifications
// first.
func (s *Service) Breaches(ctx context.Context, st *accounts.Staff) ([]BreachView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, "breaches"); err != nil {
		return nil, err
	}
	now := s.now()
	rows, err := s.db.Breaches(ctx, s.tenant, now, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]BreachView, 0, len(rows))
	for _, b := range rows {
		out = append(out, breachView(b, now))
	}
	return out, nil
}

// Breach opens one breach with its current details and full history.
func (s *Service) Breach(ctx context.Context, st *accounts.Staff, id string) (BreachView, error) {
	if err := s.authorize(st); err != nil {
		return BreachView{}, err
	}
	b, err := s.db.BreachByID(ctx, s.tenant, id)
	if err != nil {
		return BreachView{}, notFound(err)
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return BreachView{}, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectBreach, b.ID); err != nil {
		return BreachView{}, err
	}
	d, entries, err := s.breachContent(ctx, k, b.ID)
	if err != nil {
		return BreachView{}, err
	}
	phases, err := FoldPhases(entries)
	if err != nil {
		return BreachView{}, err
	}
	v := breachView(b, s.now())
	v.Details, v.Entries, v.MissingForNotification, v.Phases = &d, entries, MissingForNotification(d), phases
	return v, nil
}

// breachContent opens every entry and merges the details in order.
func (s *Service) breachContent(ctx context.Context, k keys.Key, id string) (BreachDetails, []EntryView, error) {
	rows, err := s.db.RegisterEntries(ctx, s.tenant, store.RegisterBreach, id)
	if err != nil {
		return BreachDetails{}, nil, err
	}
	var d BreachDetails
	views := make([]EntryView, 0, len(rows))
	for _, e := range rows {
		var raw json.RawMessage
		if err := s.open(k, e, &raw); err != nil {
			return BreachDetails{}, nil, err
		}
		if e.Kind == "record" || e.Kind == "update" {
			var u BreachDetails
			if err := json.Unmarshal(raw, &u); err != nil {
				return BreachDetails{}, nil, err
			}
			d.merge(u)
		}
		views = append(views, EntryView{ID: e.ID, Seq: e.Seq, Kind: e.Kind, AuthorID: e.AuthorID, CreatedAt: e.CreatedAt, Body: raw})
	}
	return d, views, nil
}

// changeBreach runs step on the locked breach in one transaction and
// appends its sealed entry. step returns the entry's body.
func (s *Service) changeBreach(ctx context.Context, st *accounts.Staff, id, kind string,
	step func(b *store.Breach, current BreachDetails, now time.Time) (any, error)) (BreachView, error) {
	return s.changeBreachWith(ctx, st, id, kind, func(b *store.Breach, current BreachDetails, _ []EntryView, now time.Time) (any, error) {
		return step(b, current, now)
	})
}

// changeBreachWith is changeBreach for a step that also needs the opened
// entries (the response plan folds its state from them).
func (s *Service) changeBreachWith(ctx context.Context, st *accounts.Staff, id, kind string,
	step func(b *store.Breach, current BreachDetails, entries []EntryView, now time.Time) (any, error)) (BreachView, error) {
	if err := s.authorize(st); err != nil {
		return BreachView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return BreachView{}, err
	}
	now := s.now()
	var b store.Breach
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if b, err = tx.LockBreach(ctx, s.tenant, id); err != nil {
			return notFound(err)
		}
		if b.Status == BreachClosed {
			return ErrClosed
		}
		// The entries read outside tx are complete: the row lock (and on
		// SQLite the single writer) orders every change of this breach.
		current, entries, err := s.breachContent(ctx, k, id)
		if err != nil {
			return err
		}
		body, err := step(&b, current, entries, now)
		if err != nil {
			return err
		}
		b.UpdatedAt = now
		if err := tx.SaveBreach(ctx, b); err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, store.RegisterBreach, id, b.EntrySeq, kind, body, now)
	})
	if err != nil {
		return BreachView{}, err
	}
	return breachView(b, now), nil
}

// UpdateBreach appends a phased update (art. 33(4)); nothing is overwritten.
func (s *Service) UpdateBreach(ctx context.Context, st *accounts.Staff, id string, in BreachUpdate) (BreachView, error) {
	in.trim()
	in.Note = clean(in.Note)
	if in.Phase != "" && !phases[in.Phase] {
		return BreachView{}, ErrInvalid.with("phase")
	}
	if in.Severity != 0 && (in.Severity < 1 || in.Severity > 10) {
		return BreachView{}, ErrInvalid.with("severity")
	}
	if (in.ApproxSubjects != nil && *in.ApproxSubjects < 0) || (in.ApproxRecords != nil && *in.ApproxRecords < 0) {
		return BreachView{}, ErrInvalid.with("approx_numbers")
	}
	t := in.texts()
	t["note"] = in.Note
	if err := checkText(t); err != nil {
		return BreachView{}, err
	}
	empty := in.BreachDetails == (BreachDetails{}) && in.Note == "" && in.Phase == "" && in.Severity == 0 && in.Risk == ""
	if empty {
		return BreachView{}, ErrInvalid.with("note")
	}
	return s.changeBreach(ctx, st, id, "update", func(b *store.Breach, _ BreachDetails, _ time.Time) (any, error) {
		if in.Severity != 0 || in.Risk != "" {
			sev := b.Severity
			if in.Severity != 0 {
				sev = in.Severity
			}
			risk, overridden, err := chooseRisk(sev, in.Risk, in.RiskReason)
			if err != nil {
				return nil, err
			}
			b.Severity, b.Risk, b.RiskOverridden = sev, risk, overridden
		}
		return in, nil
	})
}

// NotifyAuthority records the notification to the supervisory authority
// (BR-2, BR-3): the art. 33(3)(a)–(d) content must be present, and a
// notification after 72 hours needs the reason for the delay.
func (s *Service) NotifyAuthority(ctx context.Context, st *accounts.Staff, id string, in AuthorityNotification) (BreachView, error) {
	in.Reference, in.LateReason = clean(in.Reference), clean(in.LateReason)
	if err := checkText(map[string]string{"reference": in.Reference, "late_reason": in.LateReason}); err != nil {
		return BreachView{}, err
	}
	return s.changeBreach(ctx, st, id, "authority_notification", func(b *store.Breach, d BreachDetails, now time.Time) (any, error) {
		if !b.AuthorityNotifiedAt.IsZero() {
			return nil, ErrAlreadyNotified
		}
		at := in.NotifiedAt
		if at.IsZero() {
			at = now
		}
		if at.Before(b.AwareAt) || at.After(now) {
			return nil, ErrInvalid.with("notified_at")
		}
		if missing := MissingForNotification(d); len(missing) > 0 {
			return nil, ErrNotificationIncomplete.with(missing...)
		}
		late := NotifiedLate(b.AwareAt, at)
		if late && in.LateReason == "" {
			return nil, ErrLateReasonRequired
		}
		b.AuthorityNotifiedAt, b.NotifiedLate = at.UTC(), late
		in.NotifiedAt = at.UTC()
		return in, nil
	})
}

// RecordSubjectNotice records the art. 34 notice to the data subjects or
// the art. 34(3) exception that makes it unnecessary.
func (s *Service) RecordSubjectNotice(ctx context.Context, st *accounts.Staff, id string, in SubjectNotice) (BreachView, error) {
	in.Text, in.Ground = clean(in.Text), clean(in.Ground)
	var bad []string
	switch in.Kind {
	case SubjectNoticeGiven:
		in.Ground = ""
	case SubjectNoticeException:
		if !exceptionGrounds[in.Ground] {
			bad = append(bad, "ground")
		}
	default:
		bad = append(bad, "kind")
	}
	if in.Text == "" {
		bad = append(bad, "text")
	}
	if len(bad) > 0 {
		return BreachView{}, ErrInvalid.with(bad...)
	}
	if err := checkText(map[string]string{"text": in.Text}); err != nil {
		return BreachView{}, err
	}
	return s.changeBreach(ctx, st, id, "subject_notice", func(b *store.Breach, _ BreachDetails, now time.Time) (any, error) {
		if b.SubjectNotice != "" {
			return nil, ErrSubjectNoticeRecorded
		}
		at := in.At
		if at.IsZero() {
			at = now
		}
		if at.Before(b.AwareAt) || at.After(now) {
			return nil, ErrInvalid.with("at")
		}
		b.SubjectNotice, b.SubjectNoticeAt = in.Kind, at.UTC()
		in.At = at.UTC()
		return in, nil
	})
}

// CloseBreach closes a breach. A breach with risk needs the authority
// notification, and a high-risk one the art. 34 notice or exception (BR-4).
func (s *Service) CloseBreach(ctx context.Context, st *accounts.Staff, id string, in BreachClose) (BreachView, error) {
	in.Note = clean(in.Note)
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return BreachView{}, err
	}
	return s.changeBreach(ctx, st, id, "close", func(b *store.Breach, _ BreachDetails, now time.Time) (any, error) {
		if b.Risk == RiskHigh && b.SubjectNotice == "" {
			return nil, ErrSubjectNoticeRequired
		}
		if b.Risk != RiskNone && b.AuthorityNotifiedAt.IsZero() {
			return nil, ErrAuthorityNoticeNeeded
		}
		b.Status, b.ClosedAt = BreachClosed, now
		return in, nil
	})
}
