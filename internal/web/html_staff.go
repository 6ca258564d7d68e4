package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/org"
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
}

var inboxSorts = []struct{ key, label string }{
	{"number", "staff.col.number"},
	{"status", "staff.col.status"},
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
		sort = "received"
	}
	page, err := s.d.Cases.Inbox(r.Context(), st, sort, asc, limit, offset)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	c := s.d.Catalog
	v := s.staffView(r, lang, token, "staff.inbox.title")
	d := inboxData{Total: page.Total}
	for _, col := range inboxSorts {
		ic := inboxColumn{Label: c.T(lang, col.label)}
		// A click on the current column reverses it; another column starts descending.
		nextAsc := false
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
		d.Rows = append(d.Rows, inboxRow{URL: withLang("/cases/"+url.PathEscape(row.ReportID), lang), Number: row.CaseNumber,
			Status: statusName(c, lang, row.Status), Channel: channelName(row, lang), Unread: row.Unread(),
			ReceivedAt: formatDate(row.ReceivedAt), ActivityAt: formatDate(row.LastActivityAt),
			ReceivedISO: v.ISO(row.ReceivedAt), ActivityISO: v.ISO(row.LastActivityAt)})
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

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderCase(w, r, lang, http.StatusOK, st, token, "", "")
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token, replyText, replyErr string) {
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
	c := s.d.Catalog
	v := s.staffView(r, lang, token, "staff.case.title", rv.CaseNumber)
	base := "/cases/" + url.PathEscape(rv.ID)
	d := reportData{CaseNumber: rv.CaseNumber, Status: statusName(c, lang, rv.Status), ReceivedAt: rv.ReceivedAt,
		LastActivity: rv.LastActivityAt, CaseID: rv.ID,
		Answers:     answerRows(rv.Questionnaire, rv.Answers, lang, false),
		HasIdentity: rv.HasIdentity,
		ReplyAction: withLang(base+"/messages", lang), ReplyText: replyText, ReplyError: replyErr}
	if rv.Identity != nil {
		d.Identity = answerRows(rv.Questionnaire, rv.Identity, lang, true)
	}
	for _, f := range rv.Files {
		author := c.T(lang, "staff.from.whistleblower")
		if f.AuthorType == store.AuthorStaff {
			author = c.T(lang, "report.from.handler")
		}
		d.Files = append(d.Files, fileRow{Name: f.Name, Size: formatSize(f.Size), Time: f.CreatedAt, Author: author,
			URL: base + "/files/" + url.PathEscape(f.ID)})
	}
	for _, m := range rv.Messages {
		mine := m.AuthorType == store.AuthorStaff
		author := c.T(lang, "staff.from.whistleblower")
		if mine {
			author = c.T(lang, "report.from.handler")
		}
		d.Messages = append(d.Messages, messageRow{Author: author, Mine: mine, Time: m.CreatedAt, Text: m.Text})
	}
	if replyErr != "" {
		v.Errors = []errorItem{{Href: "#text", Text: replyErr}}
	}
	v.Data = d
	s.pages.render(w, r, status, "case", v)
}

func (s *Server) caseMessageSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/")
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
			s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, text, msg)
			return
		}
		s.errorPage(w, r, lang, err, "/")
		return
	}
	http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang), http.StatusSeeOther)
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
