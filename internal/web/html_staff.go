package web

import (
	"cmp"
	"context"
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
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
)

// ---- First-run setup ----

type setupData struct {
	Token   string
	OrgName string
	Email   string
	MinLen  int
	Errors  map[string]string
}

func (s *Server) setupAllowed(r *http.Request, token string) (bool, error) {
	if token == "" {
		return false, nil
	}
	done, err := org.Initialized(r.Context(), s.d.DB, s.d.Tenant)
	if err != nil || done {
		return false, err
	}
	return org.SetupTokenValid(r.Context(), s.d.DB, s.d.Tenant, token)
}

func (s *Server) setupInvalid(w http.ResponseWriter, r *http.Request, lang string) {
	s.pages.message(w, r, http.StatusNotFound, lang, "staff.setup.title", "/login", "staff.setup.login", "staff.setup.invalid")
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	token := r.URL.Query().Get("token")
	ok, err := s.setupAllowed(r, token)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if !ok {
		s.setupInvalid(w, r, lang)
		return
	}
	s.renderSetup(w, r, lang, http.StatusOK, setupData{Token: token})
}

func (s *Server) renderSetup(w http.ResponseWriter, r *http.Request, lang string, status int, d setupData) {
	v := s.pages.newView(r, lang, "staff.setup.title")
	v.Staff = true
	d.MinLen = accounts.MinPasswordLen
	for _, id := range []string{"org", "email", "password", "password2"} {
		if msg := d.Errors[id]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: "#" + id, Text: msg})
		}
	}
	v.Data = d
	s.pages.render(w, r, status, "setup", v)
}

type setupDoneData struct {
	TOTPSecret  string
	TOTPURI     string
	RecoveryKey string
}

func (s *Server) setupSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	if !sameOrigin(r) {
		s.errorPage(w, r, lang, errCrossSite, "/")
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	f := r.PostForm
	lang = pageLang(r, f.Get("lang"))
	c := s.d.Catalog
	d := setupData{Token: f.Get("token"), OrgName: f.Get("org"), Email: f.Get("email"), Errors: map[string]string{}}
	name := strings.TrimSpace(d.OrgName)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		d.Errors["org"] = c.T(lang, "staff.setup.error.org")
	}
	if _, err := accounts.NormalizeEmail(d.Email); err != nil {
		d.Errors["email"] = c.T(lang, "staff.setup.error.email")
	}
	pw := f.Get("password")
	if utf8.RuneCountInString(pw) < accounts.MinPasswordLen {
		d.Errors["password"] = c.T(lang, "staff.setup.error.password", accounts.MinPasswordLen)
	} else if pw != f.Get("password2") {
		d.Errors["password2"] = c.T(lang, "staff.setup.error.mismatch")
	}
	if len(d.Errors) > 0 {
		ok, err := s.setupAllowed(r, d.Token)
		if err != nil {
			s.errorPage(w, r, lang, err, "/")
			return
		}
		if !ok {
			s.setupInvalid(w, r, lang)
			return
		}
		s.renderSetup(w, r, lang, http.StatusUnprocessableEntity, d)
		return
	}
	created, err := org.CompleteSetup(r.Context(), s.d.DB, s.d.Accounts, s.d.Tenant,
		org.Setup{Token: d.Token, OrgName: name, Email: d.Email, Password: pw}, s.d.Now())
	switch {
	case errors.Is(err, org.ErrBadSetupToken), errors.Is(err, org.ErrInitialized):
		s.setupInvalid(w, r, lang)
		return
	case errors.Is(err, org.ErrInvalidName):
		d.Errors["org"] = c.T(lang, "staff.setup.error.org")
	case errors.Is(err, accounts.ErrInvalidEmail):
		d.Errors["email"] = c.T(lang, "staff.setup.error.email")
	case errors.Is(err, accounts.ErrWeakPassword):
		d.Errors["password"] = c.T(lang, "staff.setup.error.password", accounts.MinPasswordLen)
	case err != nil:
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if len(d.Errors) > 0 {
		s.renderSetup(w, r, lang, http.StatusUnprocessableEntity, d)
		return
	}
	v := s.pages.newView(r, lang, "staff.setup.done.title")
	v.Staff = true
	v.Data = setupDoneData{TOTPSecret: created.TOTPSecret, TOTPURI: created.TOTPURI, RecoveryKey: created.RecoveryKey}
	s.pages.render(w, r, http.StatusOK, "setup_done", v)
}

// ---- Staff login ----

type staffLoginData struct {
	Email string
}

func (s *Server) staffLoginForm(w http.ResponseWriter, r *http.Request) {
	s.renderStaffLogin(w, r, pageLang(r, ""), http.StatusOK, "", "")
}

func (s *Server) renderStaffLogin(w http.ResponseWriter, r *http.Request, lang string, status int, email, errMsg string) {
	v := s.pages.newView(r, lang, "staff.login.title")
	v.Staff = true
	if errMsg != "" {
		v.Errors = []errorItem{{Href: "#email", Text: errMsg}}
	}
	v.Data = staffLoginData{Email: email}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	s.pages.render(w, r, status, "staff_login", v)
}

func (s *Server) staffLoginSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	if !sameOrigin(r) {
		s.errorPage(w, r, lang, errCrossSite, "/login")
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/login")
		return
	}
	f := r.PostForm
	lang = pageLang(r, f.Get("lang"))
	email := f.Get("email")
	token, err := s.d.Accounts.Login(r.Context(), email, f.Get("password"), f.Get("code"))
	switch {
	case errors.Is(err, accounts.ErrBadCredentials):
		s.renderStaffLogin(w, r, lang, http.StatusUnauthorized, email, s.d.Catalog.T(lang, "staff.login.invalid"))
		return
	case errors.Is(err, accounts.ErrThrottled):
		s.renderStaffLogin(w, r, lang, http.StatusTooManyRequests, email, s.d.Catalog.T(lang, "error.too_many_attempts"))
		return
	case err != nil:
		s.errorPage(w, r, lang, err, "/login")
		return
	}
	s.setSessionCookie(w, staffCookie, token)
	http.Redirect(w, r, withLang("/", lang), http.StatusSeeOther)
}

func (s *Server) staffLogout(w http.ResponseWriter, r *http.Request) {
	s.logout(w, r, staffCookie, s.d.Accounts.Logout, "/", func(lang string) {
		s.pages.message(w, r, http.StatusOK, lang, "staff.logged_out", "/login", "staff.login.title", "report.logged_out.help")
	})
}

// staffSession authenticates the staff cookie. On failure it answers the
// request itself (sign-in page) and returns nil.
func (s *Server) staffSession(w http.ResponseWriter, r *http.Request, lang string) (*accounts.Staff, string) {
	token := cookieToken(r, staffCookie)
	if token == "" {
		http.Redirect(w, r, withLang("/login", lang), http.StatusSeeOther)
		return nil, ""
	}
	st, err := s.d.Accounts.Authenticate(r.Context(), token)
	if errors.Is(err, session.ErrNoSession) {
		s.clearSessionCookie(w, staffCookie)
		http.Redirect(w, r, withLang("/login", lang), http.StatusSeeOther)
		return nil, ""
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return nil, ""
	}
	return st, token
}

// staffView starts a page of a logged-in staff user.
func (s *Server) staffView(r *http.Request, lang, token, titleKey string, args ...any) *view {
	v := s.pages.newView(r, lang, titleKey, args...)
	v.Staff = true
	v.LoggedIn = true
	v.CSRF = csrfToken(token)
	return v
}

// ---- Deadlines ----

// How long before a statutory deadline the staff pages warn: the
// acknowledgement period is short (seven days), the feedback period long.
const (
	ackWarnBefore      = 2 * 24 * time.Hour
	feedbackWarnBefore = 14 * 24 * time.Hour
)

// dueView is an open deadline as shown to staff. The status is always
// given as text; the class only adds emphasis.
type dueView struct {
	Label  string // "Acknowledge by 2027-01-31"
	ISO    string
	Status string // "Overdue", "Due soon" or ""
	Class  string // "due-overdue", "due-soon" or ""
}

// orgLocation is the organisation's time zone, in which deadlines fall on
// calendar days.
func (s *Server) orgLocation(r *http.Request, tenantID string) (*time.Location, error) {
	t, err := s.d.DB.Tenant(r.Context(), tenantID)
	if err != nil {
		return nil, err
	}
	return deadline.LoadLocation(t.TimeZone)
}

func formatDay(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

func (s *Server) due(lang, labelKey string, due time.Time, warn time.Duration, loc *time.Location) dueView {
	c := s.d.Catalog
	d := dueView{Label: c.T(lang, labelKey, formatDay(due, loc)), ISO: due.UTC().Format(time.RFC3339)}
	switch deadline.Status(due, s.d.Now(), warn) {
	case deadline.StatusOverdue:
		d.Status, d.Class = c.T(lang, "staff.due.overdue"), "due-overdue"
	case deadline.StatusDueSoon:
		d.Status, d.Class = c.T(lang, "staff.due.soon"), "due-soon"
	}
	return d
}

// stateName names a case state for staff (the whistleblower sees gentler
// names for the same states).
func stateName(c *i18n.Catalog, lang, state string) string {
	if k := "staff.state." + state; c.Has(k) {
		return c.T(lang, k)
	}
	return state
}

// ---- Inbox ----

type inboxColumn struct {
	Label   string
	URL     string
	Sorted  string // "", "ascending" or "descending" for aria-sort
	SortTip string
}

type inboxRow struct {
	URL         string
	Number      int64
	Status      string
	Channel     string
	Unread      bool
	Due         *dueView
	ReceivedAt  string
	ActivityAt  string
	ReceivedISO string
	ActivityISO string
}

type inboxData struct {
	Columns []inboxColumn
	Rows    []inboxRow
	Range   string
	Prev    string
	Next    string
	Total   int
	// StatisticsURL links the statistics for admins and the DPO.
	StatisticsURL string
	// ShowSettings links the workflow settings for admins.
	ShowSettings bool
	// OralReportURL links the oral report form for handlers of a channel.
	OralReportURL string
}

// inboxSorts are the sortable columns in the order the table shows them.
var inboxSorts = []struct{ key, label string }{
	{"number", "staff.col.number"},
	{"status", "staff.col.status"},
	{"due", "staff.col.due"},
	{"channel", "staff.col.channel"},
	{"received", "staff.col.received"},
	{"activity", "staff.col.activity"},
}

func inboxURL(sort string, asc bool, limit, offset int, lang string) string {
	q := url.Values{}
	q.Set("sort", sort)
	if asc {
		q.Set("order", "asc")
	} else {
		q.Set("order", "desc")
	}
	if limit != 50 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	q.Set("lang", lang)
	return "/?" + q.Encode()
}

func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	sort, asc, limit, offset := inboxParams(r)
	known := false
	for _, c := range inboxSorts {
		known = known || c.key == sort
	}
	if !known {
		// The most urgent case first (CW-2, CW-3).
		sort, asc = "due", true
	}
	page, err := s.d.Cases.Inbox(r.Context(), st, sort, asc, limit, offset)
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
	v := s.staffView(r, lang, token, "staff.inbox.title")
	d := inboxData{Total: page.Total}
	if cases.MayReadStatistics(st.Role) {
		d.StatisticsURL = withLang("/statistics", lang)
	}
	d.ShowSettings = st.Role == accounts.RoleAdmin
	if ok, err := s.handlesAChannel(r, st); err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	} else if ok {
		d.OralReportURL = withLang("/oral-reports/new", lang)
	}
	for _, col := range inboxSorts {
		ic := inboxColumn{Label: c.T(lang, col.label)}
		// A click on the current column reverses it; another column starts
		// descending, except the deadline, which starts with the nearest.
		nextAsc := col.key == "due"
		if col.key == sort {
			nextAsc = !asc
			if asc {
				ic.Sorted = "ascending"
				ic.SortTip = c.T(lang, "staff.sort.asc")
			} else {
				ic.Sorted = "descending"
				ic.SortTip = c.T(lang, "staff.sort.desc")
			}
		}
		ic.URL = inboxURL(col.key, nextAsc, limit, 0, lang)
		d.Columns = append(d.Columns, ic)
	}
	for _, row := range page.Rows {
		ir := inboxRow{URL: withLang("/cases/"+url.PathEscape(row.ReportID), lang), Number: row.CaseNumber,
			Status: stateName(c, lang, row.Status), Channel: channelName(row, lang), Unread: row.Unread(),
			ReceivedAt: formatDate(row.ReceivedAt), ActivityAt: formatDate(row.LastActivityAt),
			ReceivedISO: v.ISO(row.ReceivedAt), ActivityISO: v.ISO(row.LastActivityAt)}
		if !row.NextDueAt.IsZero() {
			var due dueView
			if row.Acknowledged {
				due = s.due(lang, "staff.due.feedback", row.NextDueAt, feedbackWarnBefore, loc)
			} else {
				due = s.due(lang, "staff.due.ack", row.NextDueAt, ackWarnBefore, loc)
			}
			ir.Due = &due
		}
		// A meeting the whistleblower asked for (RC-2), when it comes first.
		if !row.TaskDueAt.IsZero() && (row.NextDueAt.IsZero() || row.TaskDueAt.Before(row.NextDueAt)) {
			due := s.meetingDue(lang, row.TaskDueAt, loc)
			ir.Due = &due
		}
		d.Rows = append(d.Rows, ir)
	}
	if len(page.Rows) > 0 {
		key := "staff.range"
		if page.TotalIsLowerBound {
			key = "staff.range_more"
		}
		d.Range = c.T(lang, key, offset+1, offset+len(page.Rows), page.Total)
	}
	if offset > 0 {
		d.Prev = inboxURL(sort, asc, limit, max(offset-limit, 0), lang)
	}
	if offset+len(page.Rows) < page.Total || page.TotalIsLowerBound {
		d.Next = inboxURL(sort, asc, limit, offset+limit, lang)
	}
	v.Data = d
	s.pages.render(w, r, http.StatusOK, "inbox", v)
}

func channelName(row cases.InboxRow, lang string) string {
	if n := row.ChannelName.In(lang); n != "" {
		return n
	}
	return row.ChannelID
}

// ---- Case ----

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// caseSummary is the box of facts at the top of a case.
type caseSummary struct {
	State           string
	Closed          bool
	ReceivedAt      time.Time
	LastActivity    time.Time
	AckDue          *dueView
	AcknowledgedAt  string // the day, in the organisation's time zone
	AckISO          string
	FeedbackDue     *dueView
	FeedbackGivenAt string
	FeedbackISO     string
	ClosedAt        string
	ClosedISO       string
	Outcome         string
}

// stateForm is one offered state change; its values survive an error.
type stateForm struct {
	To       string
	Kind     string // "plain", "close" or "reopen"
	Legend   string
	Submit   string
	Outcome  string // the posted outcome
	Outcomes []option
	Reason   string
	Message  string
	Errors   map[string]string // by field: outcome, reason, message
}

// noteForm is the form adding a journal note, or correcting one.
type noteForm struct {
	V          *view
	Action     string
	Submit     string
	Prefix     string // id prefix of the controls: "journal" or "correct-<entry>"
	Supersedes string
	Text       string
	Sources    []option
	LearnedOn  string
	Today      string
	Open       bool              // a correction form shown open (it has errors)
	Errors     map[string]string // by field: text, source, learned
}

// journalRow is one journal entry on the case page.
type journalRow struct {
	Anchor    string
	Kind      string // note, state, message, file, access, deadline
	Time      time.Time
	Author    string
	Text      string
	Source    string
	LearnedOn string
	// SupersededBy and Supersedes are anchors of the linked versions.
	SupersededBy string
	Supersedes   string
	Correct      *noteForm
	From, To     string
	Outcome      string
	Reason       string
	URL          string
}

type caseData struct {
	reportData
	// Meetings the whistleblower asked for (RC-2, html_meetings.go).
	Meetings *staffMeetingsPanel

	Summary     caseSummary
	StateAction string
	Transitions []stateForm
	Journal     []journalRow
	Note        noteForm
	// IdentityAccess is the request form for a sealed identity (CA-3).
	IdentityAccess *identityPanel
	// Access lists who can open the case; Grantable who could be added.
	AccessAction string
	Access       []holderRow
	// RetentionURL is the case's retention page (legal hold, extension,
	// purge; html_retention.go).
	RetentionURL string
	Grantable    []option
	// ExtendAction is set while a feedback deadline is open.
	ExtendAction string
	caseExtras   // persons concerned, disclosure notes, export (html_persons.go)
	caseHandling // custom status, exports and deletion, transcripts (html_case_handling.go)

	// The oral report's recording and the data-subject requests
	// (html_oral_report.go, html_case_requests.go).
	caseRequestParts
}

// holderRow is one person with access to the case.
type holderRow struct {
	UserID, Label string
	Self          bool
}

// caseInput carries what a rejected form posted, to show it again.
type caseInput struct {
	ReplyText, ReplyError string
	State                 *stateForm // the posted state change
	Note                  *noteForm  // the posted note or correction
	Other                 string     // an error that belongs to no field
	OtherHref             string
	Transcript            *transcriptInput // a rejected transcript post (html_oral.go)
	Deletion              *deletionInput   // a rejected confirmation of an export (html_case_handling.go)
	Recording             string           // a refused recording upload (html_oral_report.go)
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderCase(w, r, lang, http.StatusOK, st, token, caseInput{})
}

// outcomeOptions lists the organisation's closing reasons; the built-in
// ones carry translated labels from the catalog, configured ones their own.
func (s *Server) outcomeOptions(lang, selected string, outcomes []cases.Outcome, configured bool) []option {
	out := []option{{Value: "", Label: s.d.Catalog.T(lang, "staff.close.outcome.choose"), Selected: selected == ""}}
	for _, o := range outcomes {
		label := outcomeName(s.d.Catalog, lang, o.ID)
		if configured {
			label = cmp.Or(o.Labels[lang], o.Labels["en"], o.ID)
		}
		out = append(out, option{Value: o.ID, Label: label, Selected: o.ID == selected})
	}
	return out
}

// findOutcome looks a closing reason up in the organisation's list.
func findOutcome(outcomes []cases.Outcome, id string) (cases.Outcome, bool) {
	for _, o := range outcomes {
		if o.ID == id {
			return o, true
		}
	}
	return cases.Outcome{}, false
}

func (s *Server) sourceOptions(lang, selected string) []option {
	out := []option{{Value: "", Label: s.d.Catalog.T(lang, "staff.journal.source.choose"), Selected: selected == ""}}
	for _, o := range cases.Sources {
		out = append(out, option{Value: o, Label: s.d.Catalog.T(lang, "staff.source."+o), Selected: o == selected})
	}
	return out
}

func outcomeName(c *i18n.Catalog, lang, o string) string {
	if k := "staff.outcome." + o; o != "" && c.Has(k) {
		return c.T(lang, k)
	}
	return o
}

func sourceName(c *i18n.Catalog, lang, src string) string {
	if k := "staff.source." + src; src != "" && c.Has(k) {
		return c.T(lang, k)
	}
	return src
}

// stateForms lists the changes allowed from the current state; in holds
// the values of a rejected post.
func (s *Server) stateForms(lang, from string, in *stateForm, outcomes []cases.Outcome, configured bool) []stateForm {
	c := s.d.Catalog
	var out []stateForm
	// Only the changes the service will accept are offered (CW-1).
	for _, to := range cases.AllowedTransitions(from) {
		f := stateForm{To: to, Kind: "plain"}
		switch {
		case to == cases.StateClosed:
			f.Kind, f.Legend, f.Submit = "close", c.T(lang, "staff.transition.close"), c.T(lang, "staff.transition.close.submit")
		case from == cases.StateClosed:
			f.Kind, f.Legend, f.Submit = "reopen", c.T(lang, "staff.transition.reopen"), c.T(lang, "staff.transition.reopen.submit")
		default:
			f.Legend = c.T(lang, "staff.transition."+to)
			f.Submit = f.Legend
		}
		selected := ""
		if in != nil && in.To == to {
			f.Reason, f.Message, f.Errors = in.Reason, in.Message, in.Errors
			selected = in.Outcome
		}
		if f.Kind == "close" {
			f.Outcomes = s.outcomeOptions(lang, selected, outcomes, configured)
		}
		out = append(out, f)
	}
	return out
}

func (s *Server) newNoteForm(lang, prefix, supersedes string) noteForm {
	today := s.d.Now().UTC().Format(time.DateOnly)
	return noteForm{Prefix: prefix, Supersedes: supersedes, Sources: s.sourceOptions(lang, ""), LearnedOn: today, Today: today}
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string, in caseInput) {
	id := r.PathValue("id")
	rv, err := s.d.Cases.Open(r.Context(), st, id)
	if errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	journal, err := s.d.Cases.Journal(r.Context(), st, id)
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
	v := s.staffView(r, lang, token, "staff.case.title", rv.CaseNumber)
	base := "/cases/" + url.PathEscape(rv.ID)
	d := caseData{reportData: reportData{CaseNumber: rv.CaseNumber, Status: stateName(c, lang, rv.Status), ReceivedAt: rv.ReceivedAt,
		LastActivity: rv.LastActivityAt, CaseID: rv.ID,
		Answers:     answerRows(rv.Questionnaire, rv.Answers, lang, false),
		HasIdentity: rv.HasIdentity,
		ReplyAction: withLang(base+"/messages", lang), ReplyText: in.ReplyText, ReplyError: in.ReplyError},
		StateAction: withLang(base+"/state", lang)}
	if rv.Identity != nil {
		d.Identity = answerRows(rv.Questionnaire, rv.Identity, lang, true)
	}
	if d.IdentityAccess, err = s.identityPanel(r, lang, st, rv); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if err := s.fillAccess(r, st, rv.ID, lang, &d); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if err := s.fillCaseExtras(r, st, rv.ID, lang, &d.caseExtras); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if err := s.fillCaseHandling(r, st, rv.ID, rv.Status, lang, in, &d); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if err := s.fillCaseRequestParts(r, st, rv.ID, lang, in, &d.caseRequestParts); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if err := s.fillMeetings(r, st, rv.ID, lang, &d); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if !rv.FeedbackDueAt.IsZero() && rv.FeedbackGivenAt.IsZero() && rv.ClosedAt.IsZero() {
		d.ExtendAction = withLang(base+"/deadline-extension", lang)
	}
	for _, f := range rv.Files {
		author := c.T(lang, "staff.from.whistleblower")
		if f.AuthorType == store.AuthorStaff {
			author = c.T(lang, "report.from.handler")
		}
		d.Files = append(d.Files, fileRow{Name: f.Name, Size: formatSize(f.Size), Time: f.CreatedAt, Author: author,
			URL: base + "/files/" + url.PathEscape(f.ID), Metadata: fileMetadataNote(c, lang, f)})
	}
	for _, m := range rv.Messages {
		mine := m.AuthorType == store.AuthorStaff
		author := c.T(lang, "staff.from.whistleblower")
		if mine {
			author = c.T(lang, "report.from.handler")
		}
		d.Messages = append(d.Messages, messageRow{Author: author, Mine: mine, Time: m.CreatedAt, Text: m.Text})
	}

	// Summary: state, milestones and the open deadlines.
	sum := caseSummary{State: stateName(c, lang, rv.Status), Closed: rv.Status == cases.StateClosed,
		ReceivedAt: rv.ReceivedAt, LastActivity: rv.LastActivityAt}
	// Closing ends the open deadlines, and the final message answers the
	// report, so a reopened case has none either (as in the inbox).
	open := rv.ClosedAt.IsZero() && rv.Status != cases.StateClosed && rv.FeedbackGivenAt.IsZero()
	if !rv.AcknowledgedAt.IsZero() {
		sum.AcknowledgedAt, sum.AckISO = c.T(lang, "staff.ack.done", formatDay(rv.AcknowledgedAt, loc)), v.ISO(rv.AcknowledgedAt)
	} else if !rv.AckDueAt.IsZero() && open {
		due := s.due(lang, "staff.due.ack", rv.AckDueAt, ackWarnBefore, loc)
		sum.AckDue = &due
	}
	if !rv.FeedbackGivenAt.IsZero() {
		sum.FeedbackGivenAt, sum.FeedbackISO = c.T(lang, "staff.feedback.given", formatDay(rv.FeedbackGivenAt, loc)), v.ISO(rv.FeedbackGivenAt)
	} else if !rv.FeedbackDueAt.IsZero() && open {
		due := s.due(lang, "staff.due.feedback", rv.FeedbackDueAt, feedbackWarnBefore, loc)
		sum.FeedbackDue = &due
	}
	if sum.Closed {
		sum.Outcome = outcomeName(c, lang, rv.Outcome)
		if !rv.ClosedAt.IsZero() {
			sum.ClosedAt, sum.ClosedISO = formatDay(rv.ClosedAt, loc), v.ISO(rv.ClosedAt)
		}
	}
	d.Summary = sum
	outcomes, configured, err := s.d.Cases.ConfiguredOutcomes(r.Context(), st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	d.Transitions = s.stateForms(lang, rv.Status, in.State, outcomes, configured)

	// Journal, oldest first; corrections link both ways.
	noteAction := withLang(base+"/journal", lang)
	d.Note = s.newNoteForm(lang, "journal", "")
	if in.Note != nil && in.Note.Supersedes == "" {
		d.Note = *in.Note
	}
	d.Note.V, d.Note.Action, d.Note.Submit = v, noteAction, c.T(lang, "staff.journal.add.submit")
	for _, e := range journal {
		row := journalRow{Anchor: "entry-" + e.ID, Kind: e.Kind, Time: e.CreatedAt}
		switch e.AuthorType {
		case store.AuthorStaff:
			row.Author = c.T(lang, "report.from.handler")
		default:
			row.Author = c.T(lang, "staff.from.whistleblower")
		}
		switch e.Kind {
		case cases.EntryNote:
			row.Text, row.Source, row.LearnedOn = e.Text, sourceName(c, lang, e.Source), e.LearnedOn
			if e.Supersedes != "" {
				row.Supersedes = "entry-" + e.Supersedes
			}
			if e.SupersededBy != "" {
				row.SupersededBy = "entry-" + e.SupersededBy
			} else {
				f := s.newNoteForm(lang, "correct-"+e.ID, e.ID)
				f.Text, f.Sources, f.LearnedOn = e.Text, s.sourceOptions(lang, e.Source), e.LearnedOn
				if in.Note != nil && in.Note.Supersedes == e.ID {
					f = *in.Note
				}
				f.V, f.Action, f.Submit = v, noteAction, c.T(lang, "staff.journal.correct.submit")
				row.Correct = &f
			}
		case cases.EntryState:
			row.From, row.To = stateName(c, lang, e.From), stateName(c, lang, e.To)
			row.Outcome, row.Reason = outcomeName(c, lang, e.Outcome), e.Reason
		case "message":
			row.URL = "#messages-title"
		case "file":
			row.Text, row.URL = e.Text, base+"/files/"+url.PathEscape(e.FileID)
		case cases.EntryIdentity:
			s.identityJournalRow(r.Context(), st, lang, &row, e)
		case cases.EntryAccess:
			who := s.userLabel(r.Context(), st.TenantID, e.UserID)
			if e.Action == "revoke" {
				row.Text = c.T(lang, "staff.journal.access.revoke", who)
			} else {
				row.Text = c.T(lang, "staff.journal.access.grant", who)
			}
		case cases.EntryRedaction:
			row.Text = s.redactionJournalText(lang, e)
		case "oral_report", cases.EntryRecording, cases.EntryDSR:
			s.oralDSRJournalRow(lang, &row, e)
		case cases.EntryDeadline:
			row.Text = c.T(lang, "staff.journal.deadline.moved", s.formatLocalDate(r, st.TenantID, e.From),
				s.formatLocalDate(r, st.TenantID, e.To))
			row.Reason = e.Reason
		}
		d.Journal = append(d.Journal, row)
	}

	// Error summary: the reply, then the state change, then the note.
	if in.ReplyError != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#text", Text: in.ReplyError})
	}
	if in.State != nil {
		prefix := "state-" + in.State.To + "-"
		for _, field := range []string{"outcome", "reason", "message"} {
			if msg := in.State.Errors[field]; msg != "" {
				v.Errors = append(v.Errors, errorItem{Href: "#" + prefix + field, Text: msg})
			}
		}
	}
	if in.Note != nil {
		for _, field := range []string{"text", "source", "learned"} {
			if msg := in.Note.Errors[field]; msg != "" {
				v.Errors = append(v.Errors, errorItem{Href: "#" + in.Note.Prefix + "-" + field, Text: msg})
			}
		}
	}
	if in.Other != "" {
		v.Errors = append(v.Errors, errorItem{Href: in.OtherHref, Text: in.Other})
	}
	v.Data = d
	s.pages.render(w, r, status, "case", v)
}

// staffForm authenticates a staff form post and checks its CSRF field. On
// failure it answers the request itself and returns nil.
func (s *Server) staffForm(w http.ResponseWriter, r *http.Request) (*accounts.Staff, string, string) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return nil, "", lang
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return nil, "", lang
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/")
		return nil, "", lang
	}
	return st, token, lang
}

func (s *Server) caseMessageSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	text := r.PostForm.Get("text")
	err := s.d.Cases.Reply(r.Context(), st, id, text)
	if errors.Is(err, cases.ErrNotFound) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		if msg, ok := messageError(s.d.Catalog, lang, err); ok {
			s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, caseInput{ReplyText: text, ReplyError: msg})
			return
		}
		s.errorPage(w, r, lang, err, "/")
		return
	}
	http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang), http.StatusSeeOther)
}

// caseStateSubmit changes the state of a case (CW-1, CW-6, CW-7).
func (s *Server) caseStateSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	id := r.PathValue("id")
	t := cases.Transition{To: f.Get("state"), Outcome: f.Get("outcome"), Reason: f.Get("reason"), Message: f.Get("message")}
	in := &stateForm{To: t.To, Outcome: t.Outcome, Reason: t.Reason, Message: t.Message, Errors: map[string]string{}}
	if utf8.RuneCountInString(t.Reason) > report.MaxMessageLen {
		in.Errors["reason"] = c.T(lang, "message.error.too_long", report.MaxMessageLen)
	}
	if t.To == cases.StateClosed {
		// Check every field at once, so one answer lists every problem.
		outcomes, _, err := s.d.Cases.ConfiguredOutcomes(r.Context(), st)
		if err != nil {
			s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
			return
		}
		o, known := findOutcome(outcomes, t.Outcome)
		if !known {
			in.Errors["outcome"] = c.T(lang, "staff.close.error.outcome")
		}
		if strings.TrimSpace(t.Reason) == "" {
			in.Errors["reason"] = c.T(lang, "staff.close.error.reason")
		}
		// An outcome with a message template may be closed without a
		// message of the handler's own: the template is sent.
		if strings.TrimSpace(t.Message) == "" && (!known || o.Render("en", 0) == "") {
			in.Errors["message"] = c.T(lang, "staff.close.error.message")
		}
	}
	var err error
	if len(in.Errors) == 0 {
		err = s.d.Cases.ChangeState(r.Context(), st, id, t)
	}
	status := http.StatusUnprocessableEntity
	other := ""
	switch {
	case len(in.Errors) > 0:
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang), http.StatusSeeOther)
		return
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
		return
	case errors.Is(err, cases.ErrOutcomeRequired):
		in.Errors["outcome"] = c.T(lang, "staff.close.error.outcome")
	case errors.Is(err, cases.ErrReasonRequired):
		in.Errors["reason"] = c.T(lang, "staff.close.error.reason")
	case errors.Is(err, cases.ErrMessageRequired):
		in.Errors["message"] = c.T(lang, "staff.close.error.message")
	case errors.Is(err, cases.ErrInvalidNote):
		in.Errors["reason"] = c.T(lang, "message.error.too_long", report.MaxMessageLen)
	case errors.Is(err, cases.ErrInvalidTransition):
		status, other = http.StatusConflict, c.T(lang, "staff.state.error.transition")
	case errors.Is(err, cases.ErrConflict):
		status, other = http.StatusConflict, c.T(lang, "staff.state.error.conflict")
	case errors.Is(err, cases.ErrNoCaseKey):
		status, other = http.StatusConflict, c.T(lang, "staff.case.error.no_key")
	default:
		if msg, ok := messageError(c, lang, err); ok {
			in.Errors["message"] = msg
			break
		}
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if other != "" {
		// The form no longer fits the case: show the case as it is now.
		s.renderCase(w, r, lang, status, st, token, caseInput{Other: other, OtherHref: "#state-title"})
		return
	}
	s.renderCase(w, r, lang, status, st, token, caseInput{State: in})
}

// caseJournalSubmit adds a note to the journal, or a corrected version of
// one (JR-1, JR-2).
func (s *Server) caseJournalSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	id := r.PathValue("id")
	n := cases.Note{Text: f.Get("text"), Source: f.Get("source"), LearnedOn: f.Get("learned_on")}
	supersedes := f.Get("supersedes")
	prefix := "journal"
	if supersedes != "" {
		prefix = "correct-" + supersedes
	}
	in := s.newNoteForm(lang, prefix, supersedes)
	in.Text, in.Sources, in.LearnedOn, in.Open, in.Errors = n.Text, s.sourceOptions(lang, n.Source), n.LearnedOn, true, map[string]string{}
	if _, err := report.CheckText(n.Text); err != nil {
		msg, _ := messageError(c, lang, err)
		if errors.Is(err, report.ErrEmptyMessage) {
			msg = c.T(lang, "staff.journal.error.text")
		}
		in.Errors["text"] = msg
	}
	if !slices.Contains(cases.Sources, n.Source) {
		in.Errors["source"] = c.T(lang, "staff.journal.error.source")
	}
	if day, err := time.Parse(time.DateOnly, n.LearnedOn); err != nil || day.After(s.d.Now()) {
		in.Errors["learned"] = c.T(lang, "staff.journal.error.date")
	}
	if len(in.Errors) > 0 {
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, caseInput{Note: &in})
		return
	}
	e, err := s.d.Cases.AddNote(r.Context(), st, id, n, supersedes)
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#entry-"+url.PathEscape(e.ID), http.StatusSeeOther)
	case errors.Is(err, cases.ErrNotFound) && supersedes != "":
		// Either the case or the entry to correct is missing; the case
		// page answers 404 for the former.
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token,
			caseInput{Other: c.T(lang, "staff.journal.error.not_found"), OtherHref: "#journal-title"})
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
	case errors.Is(err, cases.ErrInvalidNote):
		in.Errors["text"] = c.T(lang, "staff.journal.error.invalid")
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, caseInput{Note: &in})
	case errors.Is(err, cases.ErrNoCaseKey):
		s.renderCase(w, r, lang, http.StatusConflict, st, token,
			caseInput{Other: c.T(lang, "staff.case.error.no_key"), OtherHref: "#journal-title"})
	default:
		s.errorPage(w, r, lang, err, "/")
	}
}

func (s *Server) caseFileDownload(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	f, err := s.d.Cases.OpenFile(r.Context(), st, r.PathValue("id"), r.PathValue("file"))
	if errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	sendFile(w, f)
}

// userLabel names a staff user in the journal by e-mail address; a user
// who no longer exists is shown by id.
func (s *Server) userLabel(ctx context.Context, tenant, userID string) string {
	u, err := s.d.DB.UserByID(ctx, tenant, userID)
	if err != nil {
		return userID
	}
	if u.DisplayName != "" {
		return u.DisplayName + " <" + u.Email + ">"
	}
	return u.Email
}

// formatLocalDate shows an RFC 3339 time from a journal entry as a date in
// the organisation's time zone.
func (s *Server) formatLocalDate(r *http.Request, tenant, rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return rfc3339
	}
	if loc, err := s.orgLocation(r, tenant); err == nil {
		t = t.In(loc)
	}
	return t.Format(time.DateOnly)
}

// fillAccess lists the case's holders and the users who could be granted
// access (CA-1).
func (s *Server) fillAccess(r *http.Request, st *accounts.Staff, id, lang string, d *caseData) error {
	holders, err := s.d.Cases.Holders(r.Context(), st, id)
	if err != nil {
		return err
	}
	users, err := s.d.DB.Users(r.Context(), st.TenantID)
	if err != nil {
		return err
	}
	d.AccessAction = withLang("/cases/"+url.PathEscape(id)+"/access", lang)
	d.RetentionURL = withLang("/cases/"+url.PathEscape(id)+"/retention", lang)
	held := map[string]bool{}
	for _, h := range holders {
		held[h.UserID] = true
		label := h.Email
		if h.DisplayName != "" {
			label = h.DisplayName + " <" + h.Email + ">"
		}
		d.Access = append(d.Access, holderRow{UserID: h.UserID, Label: label, Self: h.UserID == st.UserID})
	}
	for _, u := range users {
		if !held[u.ID] {
			d.Grantable = append(d.Grantable, option{Value: u.ID, Label: u.Email})
		}
	}
	return nil
}

// caseAccessSubmit grants or revokes access to a case.
func (s *Server) caseAccessSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id, user := r.PathValue("id"), r.PostForm.Get("user")
	var err error
	if r.PostForm.Get("action") == "revoke" {
		err = s.d.Cases.Revoke(r.Context(), st, id, user)
	} else {
		err = s.d.Cases.Grant(r.Context(), st, id, user)
	}
	c := s.d.Catalog
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#access-title", http.StatusSeeOther)
	case errors.Is(err, cases.ErrExcluded):
		s.renderCase(w, r, lang, http.StatusConflict, st, token, caseInput{Other: c.T(lang, "staff.access.error.excluded"), OtherHref: "#access-title"})
	case errors.Is(err, cases.ErrLastHolder):
		s.renderCase(w, r, lang, http.StatusConflict, st, token, caseInput{Other: c.T(lang, "staff.access.error.last"), OtherHref: "#access-title"})
	case errors.Is(err, cases.ErrNotFound) && r.PostForm.Get("action") != "revoke":
		// An unknown grantee or an unknown case: the case page decides which.
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, caseInput{Other: c.T(lang, "staff.access.error.user"), OtherHref: "#access-title"})
	case errors.Is(err, cases.ErrNotFound):
		s.pages.notFound(w, r)
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
	}
}

// caseExtendSubmit extends the feedback deadline with a reason (CW-3).
func (s *Server) caseExtendSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	days, _ := strconv.Atoi(r.PostForm.Get("days"))
	err := s.d.Cases.ExtendFeedback(r.Context(), st, id, days, r.PostForm.Get("reason"))
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#journal-title", http.StatusSeeOther)
	case errors.Is(err, cases.ErrInvalidExtension):
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token,
			caseInput{Other: s.d.Catalog.T(lang, "staff.extend.error"), OtherHref: "#extend-days"})
	case errors.Is(err, cases.ErrNotFound):
		s.pages.notFound(w, r)
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
	}
}
