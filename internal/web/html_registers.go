package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The GDPR registers on the staff site: an overview, the breach log and
// the data-subject requests. Admins and the DPO only; other roles get a
// 403 page. Every form posts to an HTML route that calls the same
// privacy.Service methods as the JSON API.

// mayUseRegisters tells whether st may open the registers.
func mayUseRegisters(st *accounts.Staff) bool { return st != nil && privacy.MayUse(st.Role) }

// How long before a register deadline the pages warn.
const (
	breachWarnBefore  = 24 * time.Hour
	requestWarnBefore = 7 * 24 * time.Hour
)

// Choices offered by the forms (the service checks them again).
var (
	breachTypes     = []string{privacy.TypeConfidentiality, privacy.TypeIntegrity, privacy.TypeAvailability}
	requestTypeList = []string{"access", "rectification", "erasure", "restriction", "portability", "objection"}
	requestChannels = []string{"email", "letter", "web_form", "phone", "in_person", "other"}
	verifyMethods   = []string{"in_person", "call_back", "registered_address"}
	onBehalfKinds   = []string{"", "parent", "power_of_attorney"}
)

// datetime-local and date controls carry local times of the organisation.
const (
	localDateTime = "2006-01-02T15:04"
	shownDateTime = "2006-01-02 15:04 MST"
)

// regField is one control of a register form.
type regField struct {
	ID, Name, Label, Hint, Kind, Value, Error, Optional string
	Options                                             []option
	Checked                                             bool
}

// Described is the aria-describedby value of the control.
func (f regField) Described() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// regFormView is a whole register form.
type regFormView struct {
	ID, Title, Help, Action, Submit, CSRF, Lang string
	Secondary                                   bool
	Fields                                      []regField
}

// regInput is what was posted to one form: its values survive an error.
type regInput struct {
	Form   string // which form was posted
	Values url.Values
	Errors map[string]string // by field name
	Order  []string          // field names in the order of the form
	Other  string            // an error not tied to a field
}

func (in *regInput) fail(field, msg string) {
	if _, ok := in.Errors[field]; !ok {
		in.Errors[field] = msg
	}
}

// regPage is what every register page needs to build its forms.
type regPage struct {
	s    *Server
	v    *view
	in   *regInput
	loc  *time.Location
	lang string
}

func (p *regPage) t(key string, args ...any) string { return p.s.d.Catalog.T(p.lang, key, args...) }

// name translates prefix+value, falling back to the value itself.
func (p *regPage) name(prefix, value string) string {
	if k := prefix + value; p.s.d.Catalog.Has(k) {
		return p.s.d.Catalog.T(p.lang, k)
	}
	return value
}

func (p *regPage) options(prefix string, values []string, selected string, choose bool) []option {
	var out []option
	if choose {
		out = append(out, option{Value: "", Label: p.t("staff.registers.choose"), Selected: selected == ""})
	}
	for _, v := range values {
		label := p.name(prefix, v)
		if v == "" {
			label = p.t(prefix + "none")
		}
		out = append(out, option{Value: v, Label: label, Selected: v == selected})
	}
	return out
}

// field builds a control of form; posted values and errors are filled in
// when form is the one that was posted.
func (p *regPage) field(form, name, kind, labelKey, hintKey string, required bool) regField {
	f := regField{ID: form + "-" + name, Name: name, Kind: kind, Label: p.t(labelKey)}
	if hintKey != "" {
		f.Hint = p.t(hintKey)
	}
	if !required {
		f.Optional = p.t("form.optional")
	}
	if p.in != nil && p.in.Form == form {
		f.Value = p.in.Values.Get(name)
		f.Checked = f.Value != ""
		f.Error = p.in.Errors[name]
	}
	return f
}

func (p *regPage) sel(form, name, labelKey, prefix string, values []string, required bool) regField {
	f := p.field(form, name, "select", labelKey, "", required)
	f.Options = p.options(prefix, values, f.Value, required)
	return f
}

func (p *regPage) form(id, titleKey, submitKey, action string, fields ...regField) regFormView {
	return regFormView{ID: id, Title: p.t(titleKey), Submit: p.t(submitKey), Action: withLang(action, p.lang),
		CSRF: p.v.CSRF, Lang: p.lang, Fields: fields}
}

// summarize adds the posted form's errors to the page's error summary.
func (p *regPage) summarize() {
	if p.in == nil {
		return
	}
	for _, name := range p.in.Order {
		if msg := p.in.Errors[name]; msg != "" {
			p.v.Errors = append(p.v.Errors, errorItem{Href: "#" + p.in.Form + "-" + name, Text: msg})
		}
	}
	for name, msg := range p.in.Errors {
		if !containsString(p.in.Order, name) {
			p.v.Errors = append(p.v.Errors, errorItem{Href: "#" + p.in.Form + "-title", Text: msg})
		}
	}
	if p.in.Other != "" {
		p.v.Errors = append(p.v.Errors, errorItem{Href: "#" + p.in.Form + "-title", Text: p.in.Other})
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (p *regPage) when(t time.Time) string { return t.In(p.loc).Format(shownDateTime) }

// due shows a register deadline with its status in words.
func (p *regPage) due(labelKey string, due time.Time, overdue bool, warn time.Duration, day bool) dueView {
	shown := p.when(due)
	if day {
		shown = formatDay(due, p.loc)
	}
	d := dueView{Label: p.t(labelKey, shown), ISO: due.UTC().Format(time.RFC3339)}
	now := p.s.d.Now()
	switch {
	case overdue:
		d.Status, d.Class = p.t("staff.registers.overdue_since", durationWords(p, now.Sub(due))), "due-overdue"
	case due.Sub(now) <= warn:
		d.Status, d.Class = p.t("staff.due.soon"), "due-soon"
	}
	return d
}

// durationWords says how long ago a deadline passed, in hours or days.
func durationWords(p *regPage, d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if h := int(d / time.Hour); h < 48 {
		return p.t("staff.registers.hours", h)
	}
	return p.t("staff.registers.days", int(d/(24*time.Hour)))
}

// ---- Access ----

func (s *Server) registersForbidden(w http.ResponseWriter, r *http.Request, lang string) {
	s.pages.message(w, r, http.StatusForbidden, lang, "staff.registers.forbidden.title", "/", "staff.case.back", "staff.registers.forbidden")
}

// registersGet starts a register page: the staff session, the role and
// the organisation's time zone. On failure it answers itself.
func (s *Server) registersGet(w http.ResponseWriter, r *http.Request) (*accounts.Staff, string, string, *time.Location) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return nil, "", "", nil
	}
	if !mayUseRegisters(st) {
		s.registersForbidden(w, r, lang)
		return nil, "", "", nil
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return nil, "", "", nil
	}
	return st, token, lang, loc
}

// registersPost checks a register form post (session, CSRF, role).
func (s *Server) registersPost(w http.ResponseWriter, r *http.Request) (*accounts.Staff, string, string, *time.Location) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return nil, "", "", nil
	}
	if !mayUseRegisters(st) {
		s.registersForbidden(w, r, lang)
		return nil, "", "", nil
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return nil, "", "", nil
	}
	return st, token, lang, loc
}

// registersFailed answers a service error that is not a form error.
func (s *Server) registersFailed(w http.ResponseWriter, r *http.Request, lang string, err error, back string) {
	var pe *privacy.Error
	if errors.As(err, &pe) {
		switch {
		case pe.Kind == privacy.KindNotFound:
			s.pages.notFound(w, r)
			return
		case errors.Is(err, privacy.ErrNoRegisterKey):
			s.pages.message(w, r, http.StatusForbidden, lang, "staff.registers.forbidden.title", "/", "staff.case.back", "staff.registers.no_key")
			return
		case pe.Kind == privacy.KindForbidden:
			s.registersForbidden(w, r, lang)
			return
		}
	}
	s.errorPage(w, r, lang, err, back)
}

// codeFields ties errors without field names to the field they concern.
var codeFields = map[string]string{
	"requester_required":        "requester",
	"late_reason_required":      "late_reason",
	"reason_required":           "reason",
	"complaint_notice_required": "complaint_notice_given",
	"risk_reason_required":      "severity",
}

// formError turns a validation or state error of the service into errors
// of in and returns the status to answer with; ok is false for other errors.
func (s *Server) formError(lang string, err error, in *regInput) (int, bool) {
	var pe *privacy.Error
	if !errors.As(err, &pe) {
		return 0, false
	}
	c := s.d.Catalog
	msg := func(field string) string {
		if k := "staff.registers.error.field." + field; c.Has(k) {
			return c.T(lang, k)
		}
		return c.T(lang, "staff.registers.error.field")
	}
	codeMsg := func() string {
		if k := "staff.registers.error." + pe.Code; c.Has(k) {
			return c.T(lang, k)
		}
		return c.T(lang, "staff.registers.error.invalid_request")
	}
	switch pe.Kind {
	case privacy.KindInvalid:
		if pe.Code == "notification_incomplete" {
			in.Other = codeMsg()
			return http.StatusUnprocessableEntity, true
		}
		if f, ok := codeFields[pe.Code]; ok {
			in.fail(f, codeMsg())
			return http.StatusUnprocessableEntity, true
		}
		for _, f := range pe.Fields {
			if f == "approx_numbers" {
				f = "approx_subjects"
			}
			in.fail(f, msg(f))
		}
		if len(pe.Fields) == 0 {
			in.Other = codeMsg()
		}
		return http.StatusUnprocessableEntity, true
	case privacy.KindConflict:
		in.Other = codeMsg()
		return http.StatusConflict, true
	}
	return 0, false
}

func newInput(form string, values url.Values, order ...string) *regInput {
	return &regInput{Form: form, Values: values, Errors: map[string]string{}, Order: order}
}

// parseLocal reads a datetime-local (or, with day, a date) control.
func parseLocal(v string, loc *time.Location, day bool) (time.Time, bool) {
	layout := localDateTime
	if day {
		layout = time.DateOnly
	}
	t, err := time.ParseInLocation(layout, strings.TrimSpace(v), loc)
	return t, err == nil
}

// parseCount reads an optional non-negative whole number.
func parseCount(v string) (*int64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return nil, false
	}
	return &n, true
}

// ---- Overview ----

type regBreachRow struct {
	URL      string
	Title    string
	AwareAt  string
	AwareISO string
	Type     string
	Severity int
	Risk     string
	Status   string
	Due      *dueView
	Note     string // notification state when there is no open deadline
}

type regRequestRow struct {
	URL         string
	Title       string
	Type        string
	Channel     string
	Received    string
	ReceivedISO string
	Due         *dueView
	Verified    string
	Status      string
}

type regOverviewData struct {
	BreachesURL, RequestsURL string
	OpenBreaches             int
	BreachesOverdue          int
	Breaches                 []regBreachRow
	OpenRequests             int
	RequestsOverdue          int
	RequestsDueSoon          int
	Processors               int
	ProcessorsFlagged        int
	Activities               int
	DPIAMissing              int
	ReviewOverdue            bool
	LastReview               string
	Flags                    []string
}

func (p *regPage) breachRow(b privacy.BreachView) regBreachRow {
	row := regBreachRow{URL: withLang("/registers/breaches/"+url.PathEscape(b.ID), p.lang),
		AwareAt: p.when(b.AwareAt), AwareISO: b.AwareAt.UTC().Format(time.RFC3339),
		Type: p.name("staff.registers.breach.type.", b.Type), Severity: b.Severity,
		Risk: p.name("staff.registers.risk.", b.Risk), Status: p.name("staff.registers.status.", b.Status)}
	row.Title = p.t("staff.registers.breach.title", row.Type, row.AwareAt)
	switch {
	case b.AuthorityNotifiedAt != nil:
		row.Note = p.t("staff.registers.breach.notified_on", p.when(*b.AuthorityNotifiedAt))
		if b.NotifiedLate {
			row.Note += " " + p.t("staff.registers.breach.late")
		}
	case b.Status != privacy.BreachOpen:
		row.Note = p.t("staff.registers.breach.not_notified")
	case b.Risk == privacy.RiskNone:
		row.Note = p.t("staff.registers.breach.no_notification")
	default:
		d := p.due("staff.registers.breach.notify_by", b.NotifyDue, b.NotificationOverdue, breachWarnBefore, false)
		row.Due = &d
	}
	return row
}

func (p *regPage) requestRow(q privacy.RequestView) regRequestRow {
	row := regRequestRow{URL: withLang("/registers/requests/"+url.PathEscape(q.ID), p.lang),
		Type: p.name("staff.registers.request.type.", q.Type), Channel: p.name("staff.registers.request.channel.", q.Channel),
		Received: formatDay(q.ReceivedAt, p.loc), ReceivedISO: q.ReceivedAt.UTC().Format(time.RFC3339),
		Verified: p.name("staff.registers.verification.", q.Verification), Status: p.name("staff.registers.status.", q.Status)}
	row.Title = p.t("staff.registers.request.title", row.Type, row.Received)
	if q.Status == privacy.RequestOpen {
		d := p.due("staff.registers.request.answer_by", q.Due, q.Overdue, requestWarnBefore, true)
		row.Due = &d
	}
	return row
}

func (s *Server) registersPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	ctx := r.Context()
	pv := s.privacy()
	breaches, err := pv.Breaches(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/")
		return
	}
	requests, err := pv.Requests(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/")
		return
	}
	processors, err := pv.Processors(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/")
		return
	}
	activities, err := pv.Activities(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/")
		return
	}
	reviews, err := pv.AccessReviews(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.registers.title")
	p := &regPage{s: s, v: v, loc: loc, lang: lang}
	now := s.d.Now()
	d := regOverviewData{BreachesURL: withLang("/registers/breaches", lang), RequestsURL: withLang("/registers/requests", lang),
		Processors: len(processors), Activities: len(activities), ReviewOverdue: reviews.Overdue}
	for _, b := range breaches {
		if b.Status != privacy.BreachOpen {
			continue
		}
		d.OpenBreaches++
		if b.NotificationOverdue {
			d.BreachesOverdue++
		}
		d.Breaches = append(d.Breaches, p.breachRow(b))
	}
	for _, q := range requests {
		if q.Status != privacy.RequestOpen {
			continue
		}
		d.OpenRequests++
		if q.Overdue {
			d.RequestsOverdue++
		} else if q.Due.Sub(now) <= requestWarnBefore {
			d.RequestsDueSoon++
		}
	}
	for _, pr := range processors {
		if pr.Flagged {
			d.ProcessorsFlagged++
		}
	}
	for _, a := range activities {
		if a.DPIAMissing {
			d.DPIAMissing++
		}
	}
	if reviews.LastCompletedAt != nil {
		d.LastReview = formatDay(*reviews.LastCompletedAt, loc)
	}
	if d.BreachesOverdue > 0 {
		d.Flags = append(d.Flags, p.t("staff.registers.flag.breaches", d.BreachesOverdue))
	}
	if d.RequestsOverdue > 0 {
		d.Flags = append(d.Flags, p.t("staff.registers.flag.requests", d.RequestsOverdue))
	}
	if d.ProcessorsFlagged > 0 {
		d.Flags = append(d.Flags, p.t("staff.registers.flag.processors", d.ProcessorsFlagged))
	}
	if d.DPIAMissing > 0 {
		d.Flags = append(d.Flags, p.t("staff.registers.flag.dpia", d.DPIAMissing))
	}
	if d.ReviewOverdue {
		d.Flags = append(d.Flags, p.t("staff.registers.flag.review"))
	}
	v.Data = d
	s.pages.render(w, r, http.StatusOK, "registers", v)
}

// ---- Breaches ----

type regBreachesData struct {
	BackURL string
	Rows    []regBreachRow
	Form    regFormView
}

var breachFields = []string{"aware_at", "type", "what_happened", "data_categories", "approx_subjects", "approx_records",
	"likely_consequences", "measures", "contact_point", "severity"}

func (s *Server) breachesPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderBreaches(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderBreaches(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	rows, err := s.privacy().Breaches(r.Context(), st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	v := s.staffView(r, lang, token, "staff.registers.breaches.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := regBreachesData{BackURL: withLang("/registers", lang)}
	for _, b := range rows {
		d.Rows = append(d.Rows, p.breachRow(b))
	}
	const f = "breach"
	sev := make([]string, 10)
	for i := range sev {
		sev[i] = strconv.Itoa(i + 1)
	}
	severity := p.field(f, "severity", "select", "staff.registers.breach.severity", "staff.registers.breach.severity.help", true)
	severity.Options = append([]option{{Value: "", Label: p.t("staff.registers.choose"), Selected: severity.Value == ""}}, optionsOf(sev, severity.Value)...)
	d.Form = p.form(f, "staff.registers.breach.new", "staff.registers.breach.new.submit", "/registers/breaches",
		p.field(f, "aware_at", "datetime-local", "staff.registers.breach.aware_at", "staff.registers.breach.aware_at.help", true),
		p.sel(f, "type", "staff.registers.breach.type", "staff.registers.breach.type.", breachTypes, true),
		p.field(f, "what_happened", "textarea", "staff.registers.breach.what_happened", "", true),
		p.field(f, "data_categories", "textarea", "staff.registers.breach.data_categories", "", false),
		p.field(f, "approx_subjects", "number", "staff.registers.breach.approx_subjects", "", false),
		p.field(f, "approx_records", "number", "staff.registers.breach.approx_records", "", false),
		p.field(f, "likely_consequences", "textarea", "staff.registers.breach.consequences", "", false),
		p.field(f, "measures", "textarea", "staff.registers.breach.measures", "", false),
		p.field(f, "contact_point", "text", "staff.registers.breach.contact_point", "staff.registers.breach.contact_point.help", false),
		severity)
	d.Form.Help = p.t("staff.registers.breach.new.help")
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_breaches", v)
}

func optionsOf(values []string, selected string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{Value: v, Label: v, Selected: v == selected})
	}
	return out
}

func (s *Server) breachCreateSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	in := newInput("breach", f, breachFields...)
	nb := privacy.NewBreach{Type: f.Get("type"), BreachDetails: privacy.BreachDetails{WhatHappened: f.Get("what_happened"),
		DataCategories: f.Get("data_categories"), Consequences: f.Get("likely_consequences"), Measures: f.Get("measures"),
		ContactPoint: f.Get("contact_point")}}
	var ok bool
	if nb.AwareAt, ok = parseLocal(f.Get("aware_at"), loc, false); !ok || nb.AwareAt.After(s.d.Now()) {
		in.fail("aware_at", c.T(lang, "staff.registers.error.field.aware_at"))
	}
	if !containsString(breachTypes, nb.Type) {
		in.fail("type", c.T(lang, "staff.registers.error.field.type"))
	}
	if strings.TrimSpace(nb.WhatHappened) == "" {
		in.fail("what_happened", c.T(lang, "staff.registers.error.field.what_happened"))
	}
	if nb.ApproxSubjects, ok = parseCount(f.Get("approx_subjects")); !ok {
		in.fail("approx_subjects", c.T(lang, "staff.registers.error.field.approx_subjects"))
	}
	if nb.ApproxRecords, ok = parseCount(f.Get("approx_records")); !ok {
		in.fail("approx_records", c.T(lang, "staff.registers.error.field.approx_records"))
	}
	if sev, err := strconv.Atoi(f.Get("severity")); err != nil || sev < 1 || sev > 10 {
		in.fail("severity", c.T(lang, "staff.registers.error.field.severity"))
	} else {
		nb.Severity = sev
	}
	if len(in.Errors) > 0 {
		s.renderBreaches(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	b, err := s.privacy().RecordBreach(r.Context(), st, nb)
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderBreaches(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/breaches")
		return
	}
	http.Redirect(w, r, withLang("/registers/breaches/"+url.PathEscape(b.ID), lang), http.StatusSeeOther)
}

type regFact struct {
	Label, Value string
	Text         bool // free text: keep line breaks
}

type regBreachData struct {
	BackURL string
	Row     regBreachRow
	Facts   []regFact
	Missing []string
	Notify  *regFormView
	Close   *regFormView
	Phases  []regPhaseView // the response plan (html_breach_phases.go)
}

func (s *Server) breachPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderBreach(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderBreach(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	id := r.PathValue("id")
	b, err := s.privacy().Breach(r.Context(), st, id)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers/breaches")
		return
	}
	v := s.staffView(r, lang, token, "staff.registers.breach.page")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := regBreachData{BackURL: withLang("/registers/breaches", lang), Row: p.breachRow(b)}
	v.Title = d.Row.Title
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers/breaches")
		return
	}
	d.Phases = p.phaseViews(b, emails)
	count := func(n *int64) string {
		if n == nil {
			return p.t("staff.registers.unknown")
		}
		return strconv.FormatInt(*n, 10)
	}
	fact := func(key, value string, text bool) {
		if value == "" {
			value = p.t("staff.registers.unknown")
			text = false
		}
		d.Facts = append(d.Facts, regFact{Label: p.t(key), Value: value, Text: text})
	}
	fact("staff.registers.breach.severity", strconv.Itoa(b.Severity), false)
	fact("staff.registers.breach.risk", d.Row.Risk, false)
	if det := b.Details; det != nil {
		fact("staff.registers.breach.what_happened", det.WhatHappened, true)
		fact("staff.registers.breach.data_categories", det.DataCategories, true)
		fact("staff.registers.breach.approx_subjects", count(det.ApproxSubjects), false)
		fact("staff.registers.breach.approx_records", count(det.ApproxRecords), false)
		fact("staff.registers.breach.consequences", det.Consequences, true)
		fact("staff.registers.breach.measures", det.Measures, true)
		fact("staff.registers.breach.contact_point", det.ContactPoint, true)
	}
	for _, m := range b.MissingForNotification {
		d.Missing = append(d.Missing, p.name("staff.registers.missing.", m))
	}
	base := "/registers/breaches/" + url.PathEscape(b.ID)
	if b.Status == privacy.BreachOpen {
		if b.AuthorityNotifiedAt == nil {
			const f = "notify"
			fields := []regField{
				p.field(f, "notified_at", "datetime-local", "staff.registers.notify.at", "staff.registers.notify.at.help", false),
				p.field(f, "reference", "text", "staff.registers.notify.reference", "", false),
			}
			if !s.d.Now().Before(b.NotifyDue) {
				fields = append(fields, p.field(f, "late_reason", "textarea", "staff.registers.notify.late_reason", "staff.registers.notify.late_reason.help", true))
			}
			form := p.form(f, "staff.registers.notify.title", "staff.registers.notify.submit", base+"/notify-authority", fields...)
			d.Notify = &form
		}
		form := p.form("close", "staff.registers.close.title", "staff.registers.close.submit", base+"/close",
			p.field("close", "note", "textarea", "staff.registers.close.note", "", false))
		form.Help, form.Secondary = p.t("staff.registers.close.help"), true
		d.Close = &form
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_breach", v)
}

// breachStep posts one of the breach page's forms.
func (s *Server) breachStep(w http.ResponseWriter, r *http.Request, form string, order []string,
	call func(p *privacy.Service, st *accounts.Staff, lang string, loc *time.Location, in *regInput) error) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput(form, r.PostForm, order...)
	err := call(s.privacy(), st, lang, loc, in)
	if err == nil && len(in.Errors) > 0 {
		s.renderBreach(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderBreach(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/breaches")
		return
	}
	http.Redirect(w, r, withLang("/registers/breaches/"+url.PathEscape(r.PathValue("id")), lang), http.StatusSeeOther)
}

func (s *Server) breachNotifySubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "notify", []string{"notified_at", "reference", "late_reason"},
		func(p *privacy.Service, st *accounts.Staff, lang string, loc *time.Location, in *regInput) error {
			n := privacy.AuthorityNotification{Reference: in.Values.Get("reference"), LateReason: in.Values.Get("late_reason")}
			if v := strings.TrimSpace(in.Values.Get("notified_at")); v != "" {
				at, ok := parseLocal(v, loc, false)
				if !ok {
					in.fail("notified_at", s.d.Catalog.T(lang, "staff.registers.error.field.notified_at"))
					return nil
				}
				n.NotifiedAt = at
			}
			_, err := p.NotifyAuthority(r.Context(), st, r.PathValue("id"), n)
			return err
		})
}

func (s *Server) breachCloseSubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "close", []string{"note"},
		func(p *privacy.Service, st *accounts.Staff, _ string, _ *time.Location, in *regInput) error {
			_, err := p.CloseBreach(r.Context(), st, r.PathValue("id"), privacy.BreachClose{Note: in.Values.Get("note")})
			return err
		})
}

// ---- Data-subject requests ----

type regRequestsData struct {
	BackURL string
	Rows    []regRequestRow
	Form    regFormView
}

var requestFields = []string{"type", "requester", "contact", "received_at", "channel", "description"}

func (s *Server) requestsPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRequests(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderRequests(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	rows, err := s.privacy().Requests(r.Context(), st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	v := s.staffView(r, lang, token, "staff.registers.requests.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := regRequestsData{BackURL: withLang("/registers", lang)}
	for _, q := range rows { // overdue first, as the service orders them
		d.Rows = append(d.Rows, p.requestRow(q))
	}
	const f = "request"
	d.Form = p.form(f, "staff.registers.request.new", "staff.registers.request.new.submit", "/registers/requests",
		p.sel(f, "type", "staff.registers.request.type", "staff.registers.request.type.", requestTypeList, true),
		p.field(f, "requester", "text", "staff.registers.request.requester", "staff.registers.request.requester.help", true),
		p.field(f, "contact", "text", "staff.registers.request.contact", "", false),
		p.field(f, "received_at", "date", "staff.registers.request.received", "", true),
		p.sel(f, "channel", "staff.registers.request.channel", "staff.registers.request.channel.", requestChannels, true),
		p.field(f, "description", "textarea", "staff.registers.request.description", "", false))
	d.Form.Help = p.t("staff.registers.request.new.help")
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_requests", v)
}

func (s *Server) requestCreateSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	in := newInput("request", f, requestFields...)
	nr := privacy.NewRequest{Type: f.Get("type"), Channel: f.Get("channel"), Requester: f.Get("requester"),
		Contact: f.Get("contact"), Description: f.Get("description")}
	if !containsString(requestTypeList, nr.Type) {
		in.fail("type", c.T(lang, "staff.registers.error.field.type"))
	}
	if strings.TrimSpace(nr.Requester) == "" && strings.TrimSpace(nr.Contact) == "" {
		in.fail("requester", c.T(lang, "staff.registers.error.requester_required"))
	}
	var ok bool
	if nr.ReceivedAt, ok = parseLocal(f.Get("received_at"), loc, true); !ok || nr.ReceivedAt.After(s.d.Now()) {
		in.fail("received_at", c.T(lang, "staff.registers.error.field.received_at"))
	}
	if !containsString(requestChannels, nr.Channel) {
		in.fail("channel", c.T(lang, "staff.registers.error.field.channel"))
	}
	if len(in.Errors) > 0 {
		s.renderRequests(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	q, err := s.privacy().RecordRequest(r.Context(), st, nr)
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderRequests(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/requests")
		return
	}
	http.Redirect(w, r, withLang("/registers/requests/"+url.PathEscape(q.ID), lang), http.StatusSeeOther)
}

type regRequestData struct {
	BackURL  string
	Row      regRequestRow
	Facts    []regFact
	Verify   *regFormView
	Extend   *regFormView
	Complete *regFormView
	Refuse   *regFormView
	// LinksURL is the page that links the request to cases and persons
	// and acts on them (html_dsr.go).
	LinksURL string
}

func (s *Server) requestPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRequest(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderRequest(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	q, err := s.privacy().Request(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers/requests")
		return
	}
	v := s.staffView(r, lang, token, "staff.registers.request.page")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := regRequestData{BackURL: withLang("/registers/requests", lang), Row: p.requestRow(q),
		LinksURL: withLang("/registers/requests/"+url.PathEscape(q.ID)+"/links", lang)}
	v.Title = d.Row.Title
	fact := func(key, value string, text bool) {
		if value != "" {
			d.Facts = append(d.Facts, regFact{Label: p.t(key), Value: value, Text: text})
		}
	}
	if q.Requester != nil {
		fact("staff.registers.request.requester", q.Requester.Requester, true)
		fact("staff.registers.request.contact", q.Requester.Contact, true)
		fact("staff.registers.request.description", q.Requester.Description, true)
	}
	fact("staff.registers.request.channel", d.Row.Channel, false)
	if q.VerifyMethod != "" {
		fact("staff.registers.verify.method", p.name("staff.registers.verify.method.", q.VerifyMethod), false)
	}
	if q.ExtendedMonths > 0 {
		fact("staff.registers.extend.months", strconv.Itoa(q.ExtendedMonths), false)
	}
	if q.ClosedAt != nil {
		fact("staff.registers.request.closed", formatDay(*q.ClosedAt, loc), false)
	}
	base := "/registers/requests/" + url.PathEscape(q.ID)
	if q.Status == privacy.RequestOpen {
		if q.Verification != privacy.Verified {
			form := p.form("verify", "staff.registers.verify.title", "staff.registers.verify.submit", base+"/verify",
				p.sel("verify", "method", "staff.registers.verify.method", "staff.registers.verify.method.", verifyMethods, true),
				p.sel("verify", "on_behalf", "staff.registers.verify.on_behalf", "staff.registers.verify.on_behalf.", onBehalfKinds, false),
				p.field("verify", "note", "textarea", "staff.registers.note", "", false))
			d.Verify = &form
		}
		if q.ExtendedMonths == 0 {
			form := p.form("extend", "staff.registers.extend.title", "staff.registers.extend.submit", base+"/extend",
				p.sel("extend", "months", "staff.registers.extend.months", "staff.registers.extend.months.", []string{"1", "2"}, true),
				p.field("extend", "reason", "textarea", "staff.registers.extend.reason", "staff.registers.extend.reason.help", true))
			form.Help, form.Secondary = p.t("staff.registers.extend.help"), true
			d.Extend = &form
		}
		if q.Verification == privacy.Verified {
			form := p.form("complete", "staff.registers.complete.title", "staff.registers.complete.submit", base+"/complete",
				p.field("complete", "note", "textarea", "staff.registers.note", "", false),
				p.field("complete", "restriction_citation", "text", "staff.registers.citation", "staff.registers.citation.help", false))
			d.Complete = &form
		}
		complaint := p.field("refuse", "complaint_notice_given", "checkbox", "staff.registers.refuse.complaint", "", true)
		complaint.Optional = ""
		form := p.form("refuse", "staff.registers.refuse.title", "staff.registers.refuse.submit", base+"/refuse",
			p.field("refuse", "reason", "textarea", "staff.registers.refuse.reason", "", true),
			p.field("refuse", "restriction_citation", "text", "staff.registers.citation", "staff.registers.citation.help", false),
			complaint)
		form.Secondary = true
		d.Refuse = &form
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_request", v)
}

// requestStep posts one of the request page's forms.
func (s *Server) requestStep(w http.ResponseWriter, r *http.Request, form string, order []string,
	call func(p *privacy.Service, st *accounts.Staff, lang string, in *regInput) error) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput(form, r.PostForm, order...)
	err := call(s.privacy(), st, lang, in)
	if err == nil && len(in.Errors) > 0 {
		s.renderRequest(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderRequest(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/requests")
		return
	}
	http.Redirect(w, r, withLang("/registers/requests/"+url.PathEscape(r.PathValue("id")), lang), http.StatusSeeOther)
}

func (s *Server) requestVerifySubmit(w http.ResponseWriter, r *http.Request) {
	s.requestStep(w, r, "verify", []string{"method", "on_behalf", "note"},
		func(p *privacy.Service, st *accounts.Staff, _ string, in *regInput) error {
			_, err := p.VerifyRequest(r.Context(), st, r.PathValue("id"), privacy.Verification{Method: in.Values.Get("method"),
				OnBehalf: in.Values.Get("on_behalf"), Note: in.Values.Get("note")})
			return err
		})
}

func (s *Server) requestExtendSubmit(w http.ResponseWriter, r *http.Request) {
	s.requestStep(w, r, "extend", []string{"months", "reason"},
		func(p *privacy.Service, st *accounts.Staff, lang string, in *regInput) error {
			months, err := strconv.Atoi(in.Values.Get("months"))
			if err != nil || months < 1 || months > privacy.MaxExtensionMonths {
				in.fail("months", s.d.Catalog.T(lang, "staff.registers.error.field.months"))
			}
			if strings.TrimSpace(in.Values.Get("reason")) == "" {
				in.fail("reason", s.d.Catalog.T(lang, "staff.registers.error.field.reason"))
			}
			if len(in.Errors) > 0 {
				return nil
			}
			_, err = p.ExtendRequest(r.Context(), st, r.PathValue("id"), privacy.Extension{Months: months, Reason: in.Values.Get("reason")})
			return err
		})
}

func (s *Server) requestCompleteSubmit(w http.ResponseWriter, r *http.Request) {
	s.requestStep(w, r, "complete", []string{"note", "restriction_citation"},
		func(p *privacy.Service, st *accounts.Staff, _ string, in *regInput) error {
			_, err := p.CompleteRequest(r.Context(), st, r.PathValue("id"), privacy.Completion{Note: in.Values.Get("note"),
				RestrictionCitation: in.Values.Get("restriction_citation")})
			return err
		})
}

func (s *Server) requestRefuseSubmit(w http.ResponseWriter, r *http.Request) {
	s.requestStep(w, r, "refuse", []string{"reason", "restriction_citation", "complaint_notice_given"},
		func(p *privacy.Service, st *accounts.Staff, lang string, in *regInput) error {
			if strings.TrimSpace(in.Values.Get("reason")) == "" {
				in.fail("reason", s.d.Catalog.T(lang, "staff.registers.error.field.reason"))
			}
			if in.Values.Get("complaint_notice_given") == "" {
				in.fail("complaint_notice_given", s.d.Catalog.T(lang, "staff.registers.error.complaint_notice_required"))
			}
			if len(in.Errors) > 0 {
				return nil
			}
			_, err := p.RefuseRequest(r.Context(), st, r.PathValue("id"), privacy.Refusal{Reason: in.Values.Get("reason"),
				ComplaintNotice: true, RestrictionCitation: in.Values.Get("restriction_citation")})
			return err
		})
}

// ShowRegisters tells the inbox to link the registers. The statistics and
// the registers are both for admins and the DPO (cases.MayReadStatistics
// and privacy.MayUse agree), so the inbox's statistics link decides.
func (d inboxData) ShowRegisters() bool { return d.StatisticsURL != "" }
