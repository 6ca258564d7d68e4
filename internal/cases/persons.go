package cases

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Persons concerned (CA-4; Directive art. 22(2)) and their GDPR art. 14
// notification (DN-1, DN-2). A person is listed by a pseudonym ("Person
// A"), which is stored in clear since it says nothing; name, aliases,
// relatives, contact and notes are sealed under the case key, as is
// everything typed about a deferral and the generated notice.

// Roles of a person concerned.
const (
	RoleReportedPerson = "reported_person"
	RoleWitness        = "witness"
	RoleThirdParty     = "third_party"
)

// PersonRoles lists the roles a person concerned may have.
var PersonRoles = []string{RoleReportedPerson, RoleWitness, RoleThirdParty}

// Notification states (DN-1, DN-2).
const (
	NoticePending   = "pending"
	NoticeNotified  = "notified"
	NoticeDeferred  = "deferred"
	NoticeGenerated = "notice_generated" // produced at closure; the handler sends it
)

// NoticeMethods are how a person may have been notified.
var NoticeMethods = []string{"letter", "email", "in_person", "phone", "other"}

// NotifyDays is the tenant-wide default period for the art. 14
// notification: 10 days after the person is registered (DN-1). Whatever
// the period, the notification is never due later than one month after
// registration (art. 14(3)(a)).
const NotifyDays = 10

// EntryPerson journals a change to the persons concerned.
const EntryPerson = "person"

// Notification status words for lists.
const (
	NotifyOK      = "ok"
	NotifyDueSoon = "due_soon" // within NotifyWarnDays of the due day
	NotifyDue     = "due"      // the due day itself
	NotifyOverdue = "overdue"  // any day after it
)

// NotifyWarnDays is how many days before the due day a notification shows as due soon.
const NotifyWarnDays = 3

const maxPersonField = 2000

var (
	ErrInvalidPerson   = errors.New("a person needs a known role (reported_person, witness, third_party) and a name; each field at most 2,000 characters, at most 20 aliases or relatives")
	ErrInvalidNotified = errors.New("recording a notification needs a known method and the date (YYYY-MM-DD), not in the future")
	ErrInvalidDeferral = errors.New("a deferral needs a reason, a legal basis (e.g. GDPR art. 14(5)(b)) and a review date (YYYY-MM-DD) after today")
	ErrAlreadyNotified = errors.New("this person has already been notified")
	// ErrForbidden refuses an action the user's role does not allow.
	ErrForbidden = errors.New("your role does not allow this")
)

// NotificationDue is when the art. 14 notification of a person registered
// at registered is due: days calendar days later in loc (NotifyDays when
// days is not positive), and never later than one calendar month.
func NotificationDue(registered time.Time, days int, loc *time.Location) time.Time {
	if days <= 0 {
		days = NotifyDays
	}
	due := deadline.Policy{Location: loc}.Extend(registered, days)
	if limit := deadline.AddMonths(registered, 1, loc); due.After(limit) {
		due = limit
	}
	return due
}

// NotificationStatus compares calendar days in loc: a notification is due
// on its due day and overdue from the next day on (DN-1: alert at day 10,
// overdue at day 11).
func NotificationStatus(due, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	dd, nd := localDay(due, loc), localDay(now, loc)
	switch {
	case nd.After(dd):
		return NotifyOverdue
	case nd.Equal(dd):
		return NotifyDue
	case !nd.AddDate(0, 0, NotifyWarnDays).Before(dd):
		return NotifyDueSoon
	}
	return NotifyOK
}

func localDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Pseudonym is the name a person is listed by: Person A … Person Z,
// Person AA, … in the order they were registered on the case.
func Pseudonym(position int) string {
	if position < 1 {
		position = 1
	}
	var b []byte
	for n := position; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return "Person " + string(b)
}

// ADPerson binds a sealed field of a person concerned to its case, person
// and field name.
func ADPerson(tenant, reportID, personID, field string) []byte {
	return keys.AD(tenant, "report", reportID, "person", personID, field)
}

// PersonDetails is what is sealed about a person.
type PersonDetails struct {
	Name      string   `json:"name"`
	Aliases   []string `json:"aliases,omitempty"`
	Relatives []string `json:"relatives,omitempty"`
	Contact   string   `json:"contact,omitempty"`
	Notes     string   `json:"notes,omitempty"`
}

func checkField(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		if required {
			return "", ErrInvalidPerson
		}
		return "", nil
	}
	t, err := report.CheckText(s)
	if err != nil || utf8.RuneCountInString(t) > maxPersonField {
		return "", ErrInvalidPerson
	}
	return t, nil
}

func checkList(in []string) ([]string, error) {
	if len(in) > 20 {
		return nil, ErrInvalidPerson
	}
	var out []string
	for _, s := range in {
		t, err := checkField(s, false)
		if err != nil {
			return nil, err
		}
		if t != "" {
			out = append(out, t)
		}
	}
	return out, nil
}

func (d PersonDetails) check() (PersonDetails, error) {
	var err error
	if d.Name, err = checkField(d.Name, true); err != nil {
		return d, err
	}
	if d.Contact, err = checkField(d.Contact, false); err != nil {
		return d, err
	}
	if d.Notes, err = checkField(d.Notes, false); err != nil {
		return d, err
	}
	if d.Aliases, err = checkList(d.Aliases); err != nil {
		return d, err
	}
	d.Relatives, err = checkList(d.Relatives)
	return d, err
}

// deferral is what is sealed about a deferral.
type deferral struct {
	Reason     string `json:"reason"`
	LegalBasis string `json:"legal_basis"`
}

// NotificationView is the art. 14 notification of one person.
type NotificationView struct {
	State      string     `json:"state"`
	DueAt      time.Time  `json:"due_at"`           // registration + NotifyDays
	NextDueAt  *time.Time `json:"next_due_at"`      // what the handler must act on next; nil once notified
	Status     string     `json:"status,omitempty"` // ok, due_soon, due, overdue; empty once notified
	NotifiedOn string     `json:"notified_on,omitempty"`
	Method     string     `json:"method,omitempty"`
	ReviewOn   string     `json:"review_on,omitempty"`
	NoticeAt   *time.Time `json:"notice_generated_at,omitempty"`
	// Sealed; only when one person is opened.
	Reason     string `json:"reason,omitempty"`
	LegalBasis string `json:"legal_basis,omitempty"`
	Notice     string `json:"notice,omitempty"`
}

// PersonView is a person concerned. Lists carry no Details.
type PersonView struct {
	ID           string           `json:"id"`
	Pseudonym    string           `json:"pseudonym"`
	Role         string           `json:"role"`
	RegisteredAt time.Time        `json:"registered_at"`
	Notification NotificationView `json:"notification"`
	Details      *PersonDetails   `json:"details,omitempty"`
	Version      int              `json:"version"` // of the details; one more per rectification
}

// nextDue is the date the open notification of p must be acted on: the
// due date while pending, the review date while deferred, and, once a
// notice was generated at closure, the later of the due date and that day.
func nextDue(state string, due, review, noticeAt time.Time) time.Time {
	switch state {
	case NoticePending:
		return due
	case NoticeDeferred:
		return review
	case NoticeGenerated:
		if noticeAt.After(due) {
			return noticeAt
		}
		return due
	}
	return time.Time{}
}

func optDate(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(time.DateOnly)
}

func personView(p store.Person, now time.Time, loc *time.Location) PersonView {
	v := PersonView{ID: p.ID, Pseudonym: p.Pseudonym, Role: p.Role, RegisteredAt: p.RegisteredAt, Version: p.Version,
		Notification: NotificationView{State: p.NoticeState, DueAt: p.NotifyDueAt, NotifiedOn: optDate(p.NotifiedAt, loc),
			Method: p.NoticeMethod, ReviewOn: optDate(p.ReviewAt, loc)}}
	if !p.NoticeAt.IsZero() {
		t := p.NoticeAt
		v.Notification.NoticeAt = &t
	}
	if next := nextDue(p.NoticeState, p.NotifyDueAt, p.ReviewAt, p.NoticeAt); !next.IsZero() {
		v.Notification.NextDueAt = &next
		v.Notification.Status = NotificationStatus(next, now, loc)
	}
	return v
}

// location is the organisation's time zone, in which notification days count.
func (s *Service) location(ctx context.Context, tenantID string) (*time.Location, error) {
	t, err := s.cfg.DB.Tenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	return deadline.LoadLocation(t.TimeZone)
}

// openForPersons opens a case whose persons the user may see and change:
// they must hold the case key.
func (s *Service) openForPersons(ctx context.Context, st *accounts.Staff, reportID string) (*Case, *time.Location, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, nil, err
	}
	if c.Keys.Case == nil {
		return nil, nil, ErrNoCaseKey
	}
	loc, err := s.location(ctx, st.TenantID)
	if err != nil {
		return nil, nil, err
	}
	return c, loc, nil
}

// Persons lists the persons concerned by a case, by pseudonym: no
// sealed detail is opened.
func (s *Service) Persons(ctx context.Context, st *accounts.Staff, reportID string) ([]PersonView, error) {
	_, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	ps, err := s.cfg.DB.Persons(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "persons")); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := make([]PersonView, 0, len(ps))
	for _, p := range ps {
		out = append(out, personView(p, now, loc))
	}
	return out, nil
}

// Person opens one person concerned with the sealed details, deferral and notice.
func (s *Service) Person(ctx context.Context, st *accounts.Staff, reportID, personID string) (PersonView, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return PersonView{}, err
	}
	p, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return PersonView{}, err
	}
	v := personView(p, s.cfg.Now(), loc)
	var d PersonDetails
	if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
		return PersonView{}, fmt.Errorf("cases: open person: %w", err)
	}
	if len(p.Deferral) > 0 {
		var df deferral
		if err := report.OpenJSON(*c.Keys.Case, p.Deferral, ADPerson(p.TenantID, p.ReportID, p.ID, "deferral"), &df); err != nil {
			return PersonView{}, fmt.Errorf("cases: open deferral: %w", err)
		}
		v.Notification.Reason, v.Notification.LegalBasis = df.Reason, df.LegalBasis
	}
	if len(p.Notice) > 0 {
		raw, err := keys.Open(*c.Keys.Case, p.Notice, ADPerson(p.TenantID, p.ReportID, p.ID, "notice"))
		if err != nil {
			return PersonView{}, fmt.Errorf("cases: open notice: %w", err)
		}
		v.Notification.Notice = string(raw)
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "person")); err != nil {
		return PersonView{}, err
	}
	v.Details = &d
	return v, nil
}

func (s *Service) person(ctx context.Context, st *accounts.Staff, reportID, personID string) (store.Person, error) {
	p, err := s.cfg.DB.Person(ctx, st.TenantID, reportID, personID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Person{}, ErrNotFound
	}
	return p, err
}

func sealPersonJSON(k keys.Key, v any, ad []byte) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("cases: encode: %w", err)
	}
	return keys.Seal(k, raw, ad), nil
}

// personChange writes one journaled and audited change to the persons of
// a case in one transaction. body fills the journal entry once write ran.
func (s *Service) personChange(ctx context.Context, st *accounts.Staff, c *Case, step string,
	write func(tx *store.Tx) (journalBody, error)) error {
	now := s.cfg.Now()
	err := s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		b, err := write(tx)
		if err != nil {
			return err
		}
		b.Action = step
		entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: c.Report.ID, ID: store.NewID(),
			Kind: EntryPerson, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now}, b)
		if err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCasePerson, audit.ObjectCase, c.Report.ID, "person."+step))
		return err
	})
	if errors.Is(err, store.ErrDuplicate) {
		return ErrConflict
	}
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// AddPerson registers a person concerned; the art. 14 notification is due
// NotifyDays later.
func (s *Service) AddPerson(ctx context.Context, st *accounts.Staff, reportID, role string, d PersonDetails) (PersonView, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return PersonView{}, err
	}
	if !slices.Contains(PersonRoles, role) {
		return PersonView{}, ErrInvalidPerson
	}
	if d, err = d.check(); err != nil {
		return PersonView{}, err
	}
	now := s.cfg.Now()
	p := store.Person{TenantID: st.TenantID, ID: store.NewID(), ReportID: reportID, Role: role, RegisteredAt: now,
		NotifyDueAt: NotificationDue(now, NotifyDays, loc), NoticeState: NoticePending, UpdatedAt: now}
	if p.Details, err = sealPersonJSON(*c.Keys.Case, d, ADPerson(p.TenantID, reportID, p.ID, "details")); err != nil {
		return PersonView{}, err
	}
	err = s.personChange(ctx, st, c, "add", func(tx *store.Tx) (journalBody, error) {
		if p.Position, err = tx.NextPersonPosition(ctx, st.TenantID, reportID); err != nil {
			return journalBody{}, err
		}
		p.Pseudonym = Pseudonym(p.Position)
		return journalBody{Person: p.Pseudonym, Text: role}, tx.InsertPerson(ctx, p)
	})
	if err != nil {
		return PersonView{}, err
	}
	return personView(p, now, loc), nil
}

// PersonPatch changes a person: nil fields stay as they are.
type PersonPatch struct {
	Role      *string
	Name      *string
	Aliases   *[]string
	Relatives *[]string
	Contact   *string
	Notes     *string
}

// UpdatePerson changes a person's role or details. The journal says which
// fields changed, never their values.
func (s *Service) UpdatePerson(ctx context.Context, st *accounts.Staff, reportID, personID string, patch PersonPatch) (PersonView, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return PersonView{}, err
	}
	p, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return PersonView{}, err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, personID); err != nil {
		return PersonView{}, err
	}
	var d PersonDetails
	if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
		return PersonView{}, fmt.Errorf("cases: open person: %w", err)
	}
	var changed []string
	if patch.Role != nil && *patch.Role != p.Role {
		if !slices.Contains(PersonRoles, *patch.Role) {
			return PersonView{}, ErrInvalidPerson
		}
		p.Role = *patch.Role
		changed = append(changed, "role")
	}
	for _, f := range []struct {
		name string
		in   *string
		to   *string
	}{{"name", patch.Name, &d.Name}, {"contact", patch.Contact, &d.Contact}, {"notes", patch.Notes, &d.Notes}} {
		if f.in != nil && *f.in != *f.to {
			*f.to = *f.in
			changed = append(changed, f.name)
		}
	}
	for _, f := range []struct {
		name string
		in   *[]string
		to   *[]string
	}{{"aliases", patch.Aliases, &d.Aliases}, {"relatives", patch.Relatives, &d.Relatives}} {
		if f.in != nil && !slices.Equal(*f.in, *f.to) {
			*f.to = *f.in
			changed = append(changed, f.name)
		}
	}
	if d, err = d.check(); err != nil {
		return PersonView{}, err
	}
	if len(changed) == 0 {
		return personView(p, s.cfg.Now(), loc), nil
	}
	details, err := sealPersonJSON(*c.Keys.Case, d, ADPerson(p.TenantID, reportID, p.ID, "details"))
	if err != nil {
		return PersonView{}, err
	}
	now := s.cfg.Now()
	err = s.personChange(ctx, st, c, "edit", func(tx *store.Tx) (journalBody, error) {
		return journalBody{Person: p.Pseudonym, Text: "changed: " + strings.Join(changed, ", ")},
			tx.UpdatePerson(ctx, st.TenantID, reportID, p.ID, p.Role, details, now)
	})
	if err != nil {
		return PersonView{}, err
	}
	return personView(p, now, loc), nil
}

// RemovePerson takes a person off the case: the sealed details are
// erased; the pseudonym stays in the journal and is not reused.
func (s *Service) RemovePerson(ctx context.Context, st *accounts.Staff, reportID, personID string) error {
	c, _, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return err
	}
	p, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, personID); err != nil {
		return err
	}
	return s.personChange(ctx, st, c, "remove", func(tx *store.Tx) (journalBody, error) {
		return journalBody{Person: p.Pseudonym}, tx.RemovePerson(ctx, st.TenantID, reportID, p.ID, s.cfg.Now())
	})
}

// parseDay reads a YYYY-MM-DD date as midnight of that day in loc.
func parseDay(s string, loc *time.Location) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(s), loc)
	return d, err == nil
}

// MarkNotified records that the person was notified on the given day by method.
func (s *Service) MarkNotified(ctx context.Context, st *accounts.Staff, reportID, personID, on, method string) (PersonView, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return PersonView{}, err
	}
	p, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return PersonView{}, err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, personID); err != nil {
		return PersonView{}, err
	}
	now := s.cfg.Now()
	day, ok := parseDay(on, loc)
	if !ok || !slices.Contains(NoticeMethods, method) || localDay(day, loc).After(localDay(now, loc)) {
		return PersonView{}, ErrInvalidNotified
	}
	if p.NoticeState == NoticeNotified {
		return PersonView{}, ErrAlreadyNotified
	}
	err = s.personChange(ctx, st, c, "notified", func(tx *store.Tx) (journalBody, error) {
		return journalBody{Person: p.Pseudonym, To: day.Format(time.DateOnly), Text: "notified by " + method},
			tx.SetPersonNotified(ctx, st.TenantID, reportID, p.ID, NoticeNotified, day, method, now)
	})
	if err != nil {
		return PersonView{}, err
	}
	p.NoticeState, p.NotifiedAt, p.NoticeMethod, p.ReviewAt = NoticeNotified, day, method, time.Time{}
	return personView(p, now, loc), nil
}

// Deferral asks to defer a person's notification (DN-2; GDPR art.
// 14(5)(b), art. 23, e.g. Danish databeskyttelseslov § 22).
type Deferral struct {
	Reason     string
	LegalBasis string
	ReviewOn   string // YYYY-MM-DD, after today
}

// DeferNotification defers a person's notification until the review date.
// A deferral without a reason, legal basis or future review date is refused.
func (s *Service) DeferNotification(ctx context.Context, st *accounts.Staff, reportID, personID string, in Deferral) (PersonView, error) {
	c, loc, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return PersonView{}, err
	}
	p, err := s.person(ctx, st, reportID, personID)
	if err != nil {
		return PersonView{}, err
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, personID); err != nil {
		return PersonView{}, err
	}
	now := s.cfg.Now()
	reason, err1 := report.CheckText(in.Reason)
	basis, err2 := report.CheckText(in.LegalBasis)
	review, ok := parseDay(in.ReviewOn, loc)
	if err1 != nil || err2 != nil || utf8.RuneCountInString(basis) > maxPersonField || !ok ||
		!localDay(review, loc).After(localDay(now, loc)) {
		return PersonView{}, ErrInvalidDeferral
	}
	if p.NoticeState == NoticeNotified {
		return PersonView{}, ErrAlreadyNotified
	}
	sealed, err := sealPersonJSON(*c.Keys.Case, deferral{Reason: reason, LegalBasis: basis}, ADPerson(p.TenantID, reportID, p.ID, "deferral"))
	if err != nil {
		return PersonView{}, err
	}
	err = s.personChange(ctx, st, c, "defer", func(tx *store.Tx) (journalBody, error) {
		return journalBody{Person: p.Pseudonym, Reason: reason, Basis: basis, To: review.Format(time.DateOnly)},
			tx.SetPersonDeferred(ctx, st.TenantID, reportID, p.ID, NoticeDeferred, review, sealed, now)
	})
	if err != nil {
		return PersonView{}, err
	}
	p.NoticeState, p.ReviewAt = NoticeDeferred, review
	v := personView(p, now, loc)
	v.Notification.Reason, v.Notification.LegalBasis = reason, basis
	return v, nil
}

// NoticeTemplate is the standard art. 14 notice produced at closure for
// every person not yet notified (DN-2). It has two placeholders, the
// organisation's name and the categories of data, and by design none for
// anything about the whistleblower: the notice never names them
// (Directive art. 16).
const NoticeTemplate = `Information about the processing of your personal data (GDPR article 14)

{{organisation}} has handled a case under its whistleblowing scheme in which personal data about you was processed. The case is now closed.

Controller: {{organisation}}.
Purpose: handling and following up reports under the whistleblowing scheme (EU Directive 2019/1937 and the national whistleblower act).
Legal basis: GDPR article 6(1)(c) and (e), and where relevant article 9(2)(f) or (g) and article 10 with the national whistleblower act.
Categories of personal data: {{categories}}.
Source: the data comes from a report made through the whistleblowing scheme and from the follow-up of it. The identity of the person who made the report is protected by law and is not disclosed.
Recipients: the persons authorised to handle the case and, where the law requires it, the police or other public authorities.
Retention: the data is kept only as long as the handling of the case and legal obligations require, and is then deleted.
Your rights: within the limits set by law, you may ask for access to your data and for its rectification or erasure, ask for its processing to be restricted, and object to it. You may complain to the data protection authority.

To exercise your rights, contact {{organisation}}.`

// noticeCategories names the categories of data per role.
var noticeCategories = map[string]string{
	RoleReportedPerson: "your name, your position or role, and information about the matters reported and about your alleged involvement in them",
	RoleWitness:        "your name, your contact details, and information about what you may have observed",
	RoleThirdParty:     "your name and the information in the case that mentions you",
}

// NoticeText fills the standard notice for a person with role.
func NoticeText(organisation, role string) string {
	cats, ok := noticeCategories[role]
	if !ok {
		cats = noticeCategories[RoleThirdParty]
	}
	return strings.NewReplacer("{{organisation}}", organisation, "{{categories}}", cats).Replace(NoticeTemplate)
}

// generateNotices runs inside the closing transaction of ChangeState: for
// every person not yet notified (pending or deferred) it seals the
// standard notice and marks them notice_generated for the handler to send.
func (s *Service) generateNotices(ctx context.Context, tx *store.Tx, st *accounts.Staff, c *Case, now time.Time) error {
	ps, err := tx.Persons(ctx, st.TenantID, c.Report.ID)
	if err != nil {
		return err
	}
	var org string
	for _, p := range ps {
		if p.NoticeState != NoticePending && p.NoticeState != NoticeDeferred {
			continue
		}
		if org == "" {
			t, err := s.cfg.DB.Tenant(ctx, st.TenantID)
			if err != nil {
				return err
			}
			org = t.Name
		}
		sealed := keys.Seal(*c.Keys.Case, []byte(NoticeText(org, p.Role)), ADPerson(p.TenantID, p.ReportID, p.ID, "notice"))
		if err := tx.SetPersonNotice(ctx, st.TenantID, c.Report.ID, p.ID, NoticeGenerated, sealed, now); err != nil {
			return err
		}
		entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: c.Report.ID, ID: store.NewID(),
			Kind: EntryPerson, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
			journalBody{Action: "notice", Person: p.Pseudonym, Text: "standard notice generated at closure"})
		if err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		if _, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCasePerson, audit.ObjectCase, c.Report.ID, "person.notice")); err != nil {
			return err
		}
	}
	return nil
}

// DueNotification is an open notification in the due list: no names.
type DueNotification struct {
	CaseID     string    `json:"case_id"`
	CaseNumber int64     `json:"case_number"`
	PersonID   string    `json:"person_id"`
	Pseudonym  string    `json:"pseudonym"`
	Role       string    `json:"role"`
	State      string    `json:"state"`
	DueAt      time.Time `json:"due_at"`
	Status     string    `json:"status"`
}

// DueNotifications lists the open notifications on the cases the user
// holds the case key for, the most urgent first (DN-1).
func (s *Service) DueNotifications(ctx context.Context, st *accounts.Staff) ([]DueNotification, error) {
	loc, err := s.location(ctx, st.TenantID)
	if err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.OpenNotifications(ctx, st.TenantID, st.UserID, NoticePending, NoticeDeferred, NoticeGenerated)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseList, audit.ObjectRegister, "notifications", "")); err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	out := make([]DueNotification, 0, len(rows))
	for _, r := range rows {
		due := nextDue(r.NoticeState, r.NotifyDueAt, r.ReviewAt, r.NoticeAt)
		out = append(out, DueNotification{CaseID: r.ReportID, CaseNumber: r.CaseNumber, PersonID: r.PersonID,
			Pseudonym: r.Pseudonym, Role: r.Role, State: r.NoticeState, DueAt: due, Status: NotificationStatus(due, now, loc)})
	}
	slices.SortStableFunc(out, func(a, b DueNotification) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), cmp.Compare(a.CaseNumber, b.CaseNumber))
	})
	return out, nil
}
