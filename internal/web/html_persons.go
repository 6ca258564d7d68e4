package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Staff pages for the persons concerned by a case and their GDPR art. 14
// notification (CA-4, DN-1, DN-2), and the yearly statistics (ST-1). The
// case page lists persons by pseudonym only; the sealed details appear
// only on a person's own page.

// caseExtras is what the case page shows besides the report: the persons
// concerned and the links to the disclosure notes and the export.
type caseExtras struct {
	// PersonsShown is false for a holder without the case key.
	PersonsShown   bool
	Persons        []personRow
	PersonAction   string
	PersonRoles    []option
	DisclosuresURL string
	ExportURL      string
	RedactionsURL  string // anonymised copies of the case's files (DA-2)
}

// personRow is one person concerned in a list: pseudonym, never the name.
type personRow struct {
	URL       string
	Pseudonym string
	Role      string
	Notice    noticeStatus
}

// noticeStatus is the state of a person's notification as shown.
type noticeStatus struct {
	Label string // Pending, Due, Overdue, Notified, Deferred, Notice generated
	Class string // "due-overdue", "due-soon" or ""
	Date  string // the due, notification or review day
}

// fillCaseExtras fills the case page's persons section and links. A case
// whose key the user lacks shows no persons (they are sealed under it).
func (s *Server) fillCaseExtras(r *http.Request, st *accounts.Staff, id, lang string, x *caseExtras) error {
	base := "/cases/" + url.PathEscape(id)
	x.DisclosuresURL = withLang(base+"/disclosures", lang)
	x.ExportURL = withLang(base+"/export", lang)
	x.RedactionsURL = withLang(base+"/redactions", lang)
	ps, err := s.d.Cases.Persons(r.Context(), st, id)
	if errors.Is(err, cases.ErrNoCaseKey) {
		return nil
	}
	if err != nil {
		return err
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		return err
	}
	x.PersonsShown = true
	x.PersonAction = withLang(base+"/persons", lang)
	x.PersonRoles = s.personRoleOptions(lang, "")
	for _, p := range ps {
		x.Persons = append(x.Persons, personRow{URL: withLang(base+"/persons/"+url.PathEscape(p.ID), lang),
			Pseudonym: p.Pseudonym, Role: personRoleName(s.d.Catalog, lang, p.Role),
			Notice: noticeStatusOf(s.d.Catalog, lang, p.Notification, loc)})
	}
	return nil
}

func personRoleName(c *i18n.Catalog, lang, role string) string {
	if k := "staff.person.role." + role; role != "" && c.Has(k) {
		return c.T(lang, k)
	}
	return role
}

func (s *Server) personRoleOptions(lang, selected string) []option {
	out := []option{{Value: "", Label: s.d.Catalog.T(lang, "staff.person.role.choose"), Selected: selected == ""}}
	for _, r := range cases.PersonRoles {
		out = append(out, option{Value: r, Label: personRoleName(s.d.Catalog, lang, r), Selected: r == selected})
	}
	return out
}

func (s *Server) noticeMethodOptions(lang, selected string) []option {
	out := []option{{Value: "", Label: s.d.Catalog.T(lang, "staff.person.method.choose"), Selected: selected == ""}}
	for _, m := range cases.NoticeMethods {
		out = append(out, option{Value: m, Label: s.d.Catalog.T(lang, "staff.person.method."+m), Selected: m == selected})
	}
	return out
}

// noticeStatusOf names a notification's state: notified, deferred and
// generated notices by their state; a pending one by how urgent it is.
func noticeStatusOf(c *i18n.Catalog, lang string, n cases.NotificationView, loc *time.Location) noticeStatus {
	var out noticeStatus
	if n.NextDueAt != nil {
		out.Date = formatDay(*n.NextDueAt, loc)
		switch n.Status {
		case cases.NotifyOverdue:
			out.Class = "due-overdue"
		case cases.NotifyDue, cases.NotifyDueSoon:
			out.Class = "due-soon"
		}
	}
	switch n.State {
	case cases.NoticeNotified:
		out.Label, out.Date, out.Class = c.T(lang, "staff.person.notice.notified"), n.NotifiedOn, ""
	case cases.NoticeDeferred:
		out.Label = c.T(lang, "staff.person.notice.deferred")
	case cases.NoticeGenerated:
		out.Label = c.T(lang, "staff.person.notice.generated")
	default:
		switch n.Status {
		case cases.NotifyOverdue:
			out.Label = c.T(lang, "staff.person.notice.overdue")
		case cases.NotifyDue:
			out.Label = c.T(lang, "staff.person.notice.due")
		default:
			out.Label = c.T(lang, "staff.person.notice.pending")
		}
	}
	return out
}

// ---- Adding a person ----

// personAddForm is the add-person form with what was posted.
type personAddForm struct {
	Back    string
	Action  string
	Roles   []option
	Name    string
	Aliases string
	Contact string
	Notes   string
	Errors  map[string]string // role, name, aliases, contact, notes
}

// splitList reads a comma-separated list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (s *Server) casePersonSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	id := r.PathValue("id")
	base := "/cases/" + url.PathEscape(id)
	role := f.Get("role")
	in := personAddForm{Back: withLang(base, lang), Action: withLang(base+"/persons", lang), Roles: s.personRoleOptions(lang, role),
		Name: f.Get("name"), Aliases: f.Get("aliases"), Contact: f.Get("contact"), Notes: f.Get("notes"), Errors: map[string]string{}}
	if !slices.Contains(cases.PersonRoles, role) {
		in.Errors["role"] = c.T(lang, "staff.person.error.role")
	}
	if strings.TrimSpace(in.Name) == "" {
		in.Errors["name"] = c.T(lang, "staff.person.error.name")
	}
	aliases := splitList(in.Aliases)
	if len(aliases) > 20 {
		in.Errors["aliases"] = c.T(lang, "staff.person.error.aliases")
	}
	for _, fld := range []struct{ id, v string }{{"name", in.Name}, {"contact", in.Contact}, {"notes", in.Notes}} {
		if in.Errors[fld.id] == "" && utf8.RuneCountInString(fld.v) > 2000 {
			in.Errors[fld.id] = c.T(lang, "staff.person.error.long")
		}
	}
	if len(in.Errors) == 0 {
		p, err := s.d.Cases.AddPerson(r.Context(), st, id, role, cases.PersonDetails{Name: in.Name, Aliases: aliases,
			Contact: in.Contact, Notes: in.Notes})
		switch {
		case err == nil:
			http.Redirect(w, r, withLang(base+"/persons/"+url.PathEscape(p.ID), lang), http.StatusSeeOther)
			return
		case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, cases.ErrNoCaseKey):
			s.pages.notFound(w, r)
			return
		case errors.Is(err, cases.ErrInvalidPerson):
			in.Errors["name"] = c.T(lang, "staff.person.error.invalid")
		default:
			s.errorPage(w, r, lang, err, base)
			return
		}
	}
	// The case must be visible before its form is shown again.
	if _, err := s.d.Cases.Persons(r.Context(), st, id); err != nil {
		if errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, cases.ErrNoCaseKey) {
			s.pages.notFound(w, r)
			return
		}
		s.errorPage(w, r, lang, err, base)
		return
	}
	v := s.staffView(r, lang, token, "staff.person.add.title")
	for _, fld := range []string{"role", "name", "aliases", "contact", "notes"} {
		if msg := in.Errors[fld]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: "#person-" + fld, Text: msg})
		}
	}
	v.Data = in
	s.pages.render(w, r, http.StatusUnprocessableEntity, "person_add", v)
}

// ---- One person ----

type personData struct {
	Back       string
	Pseudonym  string
	Role       string
	Registered time.Time
	Notice     noticeStatus
	Details    cases.PersonDetails
	N          cases.NotificationView
	Open       bool // the notification can still be recorded or deferred
	// Forms.
	NotifiedAction string
	NotifiedOn     string
	Methods        []option
	DeferAction    string
	Reason         string
	Basis          string
	ReviewOn       string
	Today          string
	Errors         map[string]string // notified-on, notified-method, defer-reason, defer-basis, defer-review
}

// personInput carries a rejected post back to the person page.
type personInput struct {
	NotifiedOn, Method      string
	Reason, Basis, ReviewOn string
	Errors                  map[string]string
	Other, OtherHref        string
}

func (s *Server) personPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderPerson(w, r, lang, http.StatusOK, st, token, personInput{})
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string, in personInput) {
	id, pid := r.PathValue("id"), r.PathValue("pid")
	p, err := s.d.Cases.Person(r.Context(), st, id, pid)
	if errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, cases.ErrNoCaseKey) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id)
	pbase := base + "/persons/" + url.PathEscape(pid)
	v := s.staffView(r, lang, token, "staff.person.title", p.Pseudonym)
	today := s.d.Now().In(loc).Format(time.DateOnly)
	d := personData{Back: withLang(base, lang), Pseudonym: p.Pseudonym, Role: personRoleName(c, lang, p.Role),
		Registered: p.RegisteredAt, Notice: noticeStatusOf(c, lang, p.Notification, loc), N: p.Notification,
		Open:           p.Notification.State != cases.NoticeNotified,
		NotifiedAction: withLang(pbase+"/notified", lang), NotifiedOn: today, Methods: s.noticeMethodOptions(lang, in.Method),
		DeferAction: withLang(pbase+"/defer", lang), Reason: in.Reason, Basis: in.Basis, ReviewOn: in.ReviewOn,
		Today: today, Errors: in.Errors}
	if in.NotifiedOn != "" {
		d.NotifiedOn = in.NotifiedOn
	}
	if p.Details != nil {
		d.Details = *p.Details
	}
	for _, fld := range []string{"notified-on", "notified-method", "defer-reason", "defer-basis", "defer-review"} {
		if msg := in.Errors[fld]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: "#" + fld, Text: msg})
		}
	}
	if in.Other != "" {
		v.Errors = append(v.Errors, errorItem{Href: in.OtherHref, Text: in.Other})
	}
	v.Data = d
	s.pages.render(w, r, status, "person", v)
}

func (s *Server) personNotifiedSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	id, pid := r.PathValue("id"), r.PathValue("pid")
	in := personInput{NotifiedOn: r.PostForm.Get("on"), Method: r.PostForm.Get("method"), Errors: map[string]string{}}
	day, err := time.Parse(time.DateOnly, strings.TrimSpace(in.NotifiedOn))
	if err != nil || day.After(s.d.Now()) {
		in.Errors["notified-on"] = c.T(lang, "staff.person.error.notified_on")
	}
	if !slices.Contains(cases.NoticeMethods, in.Method) {
		in.Errors["notified-method"] = c.T(lang, "staff.person.error.method")
	}
	if len(in.Errors) == 0 {
		_, err := s.d.Cases.MarkNotified(r.Context(), st, id, pid, in.NotifiedOn, in.Method)
		if s.personDone(w, r, lang, id, pid, err, &in) {
			return
		}
		if err != nil && errors.Is(err, cases.ErrInvalidNotified) {
			in.Errors["notified-on"] = c.T(lang, "staff.person.error.notified_on")
		}
	}
	status := http.StatusUnprocessableEntity
	if in.Other != "" {
		status = http.StatusConflict
	}
	s.renderPerson(w, r, lang, status, st, token, in)
}

func (s *Server) personDeferSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	id, pid := r.PathValue("id"), r.PathValue("pid")
	in := personInput{Reason: f.Get("reason"), Basis: f.Get("legal_basis"), ReviewOn: f.Get("review_on"), Errors: map[string]string{}}
	if _, err := report.CheckText(in.Reason); err != nil {
		in.Errors["defer-reason"] = c.T(lang, "staff.person.error.reason")
	}
	if _, err := report.CheckText(in.Basis); err != nil || utf8.RuneCountInString(in.Basis) > 2000 {
		in.Errors["defer-basis"] = c.T(lang, "staff.person.error.basis")
	}
	if day, err := time.Parse(time.DateOnly, strings.TrimSpace(in.ReviewOn)); err != nil || !day.After(s.d.Now()) {
		in.Errors["defer-review"] = c.T(lang, "staff.person.error.review")
	}
	if len(in.Errors) == 0 {
		_, err := s.d.Cases.DeferNotification(r.Context(), st, id, pid, cases.Deferral{Reason: in.Reason, LegalBasis: in.Basis, ReviewOn: in.ReviewOn})
		if s.personDone(w, r, lang, id, pid, err, &in) {
			return
		}
		if err != nil && errors.Is(err, cases.ErrInvalidDeferral) {
			in.Errors["defer-review"] = c.T(lang, "staff.person.error.review")
		}
	}
	status := http.StatusUnprocessableEntity
	if in.Other != "" {
		status = http.StatusConflict
	}
	s.renderPerson(w, r, lang, status, st, token, in)
}

// personDone answers a notification change that succeeded or failed for a
// reason no field explains; it returns false when the form is to be shown
// again.
func (s *Server) personDone(w http.ResponseWriter, r *http.Request, lang, id, pid string, err error, in *personInput) bool {
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id)+"/persons/"+url.PathEscape(pid), lang), http.StatusSeeOther)
		return true
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, cases.ErrNoCaseKey):
		s.pages.notFound(w, r)
		return true
	case errors.Is(err, cases.ErrAlreadyNotified):
		in.Other, in.OtherHref = s.d.Catalog.T(lang, "staff.person.error.already"), "#notice-title"
		return false
	case errors.Is(err, cases.ErrInvalidNotified), errors.Is(err, cases.ErrInvalidDeferral):
		return false
	}
	s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
	return true
}

// ---- Statistics ----

type statsRow struct {
	Label string
	Value string
}

type statsChannel struct {
	Name   string
	Months []string
	Total  string
}

type statsData struct {
	Action   string
	Years    []option
	Year     int
	TimeZone string
	Totals   []statsRow
	Months   []string // month names
	PerMonth []string
	Channels []statsChannel
	Times    []statsRow
	Outcomes []statsRow
	Note     string
}

func countText(c cases.Count) string {
	if c.Suppressed() {
		return "<" + strconv.Itoa(cases.SmallCount)
	}
	return strconv.Itoa(int(c))
}

func daysText(c *i18n.Catalog, lang string, d *float64) string {
	if d == nil {
		return "–"
	}
	return c.T(lang, "staff.stats.days", strconv.FormatFloat(*d, 'f', 1, 64))
}

func (s *Server) statisticsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	if !cases.MayReadStatistics(st.Role) {
		s.pages.message(w, r, http.StatusForbidden, lang, "staff.stats.title", "/", "staff.case.back", "staff.stats.forbidden")
		return
	}
	c := s.d.Catalog
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	current := s.d.Now().In(loc).Year()
	year := current
	if y := r.URL.Query().Get("year"); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 2000 || n > current {
			s.errorPage(w, r, lang, cases.ErrInvalidYear, "/statistics")
			return
		}
		year = n
	}
	stats, err := s.d.Cases.Statistics(r.Context(), st, year)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.stats.title")
	d := statsData{Action: "/statistics", Year: stats.Year, TimeZone: stats.TimeZone,
		Note: c.T(lang, "staff.stats.suppressed", cases.SmallCount)}
	for y := current; y >= max(2000, current-9); y-- {
		d.Years = append(d.Years, option{Value: strconv.Itoa(y), Label: strconv.Itoa(y), Selected: y == year})
	}
	d.Totals = []statsRow{
		{c.T(lang, "staff.stats.received"), countText(stats.Received)},
		{c.T(lang, "staff.stats.open"), countText(stats.Open)},
		{c.T(lang, "staff.stats.closed"), countText(stats.Closed)},
	}
	for i := range 12 {
		d.Months = append(d.Months, c.T(lang, "staff.stats.month."+strconv.Itoa(i+1)))
	}
	for _, n := range stats.PerMonth {
		d.PerMonth = append(d.PerMonth, countText(n))
	}
	for _, ch := range stats.PerChannel {
		sc := statsChannel{Name: ch.Channel, Total: countText(ch.Total)}
		for _, n := range ch.Months {
			sc.Months = append(sc.Months, countText(n))
		}
		d.Channels = append(d.Channels, sc)
	}
	for _, t := range []struct {
		key string
		d   cases.DurationStats
	}{{"staff.stats.ack", stats.Acknowledgement}, {"staff.stats.feedback", stats.Feedback}} {
		d.Times = append(d.Times, statsRow{Label: c.T(lang, t.key), Value: c.T(lang, "staff.stats.times",
			countText(t.d.Cases), daysText(c, lang, t.d.MedianDays), daysText(c, lang, t.d.P90Days))})
	}
	for _, o := range cases.Outcomes {
		if n, ok := stats.Outcomes[o]; ok {
			d.Outcomes = append(d.Outcomes, statsRow{Label: outcomeName(c, lang, o), Value: countText(n)})
		}
	}
	for o, n := range stats.Outcomes {
		if !slices.Contains(cases.Outcomes, o) {
			d.Outcomes = append(d.Outcomes, statsRow{Label: o, Value: countText(n)})
		}
	}
	v.Data = d
	s.pages.render(w, r, http.StatusOK, "statistics", v)
}
