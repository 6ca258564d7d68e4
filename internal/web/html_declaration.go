package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/session"
)

// Confidentiality declarations on the staff site: the gate in front of
// every case route, the page where a user reads and accepts the
// declaration, and the admins' and DPO's list of acceptances with the
// form that publishes a new version (admins).

// needsDeclaration tells whether a staff route shows or changes case
// content: the case pages and the case API, and the oral report, where
// the handler types what the whistleblower says.
func needsDeclaration(path string) bool {
	return strings.HasPrefix(path, "/cases/") || strings.HasPrefix(path, "/api/v1/staff/cases/") ||
		path == "/api/v1/staff/oral-reports" || strings.HasPrefix(path, "/oral-reports")
}

// withDeclarationGate puts the declaration check in front of the case routes.
func (s *Server) withDeclarationGate(routes []route) []route {
	for i, rt := range routes {
		if needsDeclaration(rt.Path) {
			routes[i].Handler = s.requireDeclaration(rt.Handler)
		}
	}
	return routes
}

// requireDeclaration lets a request through when its user accepted the
// declaration in force. A request without a valid session goes through
// too: the handler answers it as it always does (401, or the sign-in page).
// Otherwise the API answers 403 "declaration_required" and a page
// redirects to the declaration, which leads back after acceptance.
func (s *Server) requireDeclaration(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var st *accounts.Staff
		var err error
		if isAPI(r) {
			st, err = s.apiStaff(r)
		} else if token := cookieToken(r, staffCookie); token != "" {
			st, err = s.d.Accounts.Authenticate(r.Context(), token)
		} else {
			err = session.ErrNoSession
		}
		if err != nil {
			next(w, r)
			return
		}
		ok, err := s.privacy().HasAcceptedDeclaration(r.Context(), st)
		switch {
		case err != nil && isAPI(r):
			s.fail(w, r, err)
		case err != nil:
			s.errorPage(w, r, pageLang(r, ""), err, "/")
		case ok:
			next(w, r)
		case isAPI(r):
			s.fail(w, r, privacy.ErrDeclarationRequired)
		default:
			target := "/declaration?next=" + url.QueryEscape(r.URL.Path)
			http.Redirect(w, r, withLang(target, pageLang(r, "")), http.StatusSeeOther)
		}
	}
}

// safeNext is where the declaration page leads after acceptance: a case
// page of this site, nothing else.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/cases/") && !strings.ContainsAny(next, "\\?#") && !strings.Contains(next, "//") {
		return next
	}
	return "/"
}

type declarationData struct {
	Version    int
	Text       string
	Accepted   bool
	AcceptedAt string
	Next       string
	Action     string
	CSRF       string
	Lang       string
	Confirm    regField
}

func (s *Server) declarationPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderDeclaration(w, r, lang, http.StatusOK, st, token, r.URL.Query().Get("next"), nil)
}

func (s *Server) renderDeclaration(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token, next string, in *regInput) {
	d, err := s.privacy().Declaration(r.Context(), st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.declaration.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	data := declarationData{Version: d.Version, Text: d.Text, Accepted: d.Accepted, Next: safeNext(next)}
	if d.Standard {
		data.Text = p.t("staff.declaration.standard")
	}
	if d.AcceptedAt != nil {
		data.AcceptedAt = p.when(*d.AcceptedAt)
	}
	data.Confirm = p.field("declaration", "confirm", "checkbox", "staff.declaration.confirm", "", true)
	data.Confirm.Optional = ""
	data.Action, data.CSRF, data.Lang = withLang("/declaration", lang), v.CSRF, lang
	p.summarize()
	v.Data = data
	s.pages.render(w, r, status, "registers_declaration", v)
}

func (s *Server) declarationAcceptSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	f := r.PostForm
	next := safeNext(f.Get("next"))
	in := newInput("declaration", f, "confirm")
	if f.Get("confirm") == "" {
		in.fail("confirm", s.d.Catalog.T(lang, "staff.declaration.error.confirm"))
		s.renderDeclaration(w, r, lang, http.StatusUnprocessableEntity, st, token, next, in)
		return
	}
	version, err := strconv.Atoi(f.Get("version"))
	if err != nil {
		s.renderDeclaration(w, r, lang, http.StatusUnprocessableEntity, st, token, next, in)
		return
	}
	if _, err := s.privacy().AcceptDeclaration(r.Context(), st, privacy.DeclarationAcceptance{Version: &version}); err != nil {
		if errors.Is(err, privacy.ErrDeclarationChanged) {
			in.Other = s.d.Catalog.T(lang, "staff.declaration.error.changed")
			s.renderDeclaration(w, r, lang, http.StatusConflict, st, token, next, in)
			return
		}
		s.errorPage(w, r, lang, err, "/")
		return
	}
	http.Redirect(w, r, withLang(next, lang), http.StatusSeeOther)
}

// ---- Acceptances (admins and the DPO) ----

type declarationUserRow struct {
	Email, Role, Latest, AcceptedAt string
	Current, Disabled               bool
}

type declarationsData struct {
	BackURL  string
	Current  int
	Standard bool
	Text     string
	Users    []declarationUserRow
	Versions []declarationVersionRow
	Publish  *regFormView
}

type declarationVersionRow struct {
	Version             int
	PublishedAt, Author string
}

func (s *Server) declarationsPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, _ := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderDeclarations(w, r, lang, http.StatusOK, st, token, nil)
}

func (s *Server) renderDeclarations(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, in *regInput) {
	list, err := s.privacy().Declarations(r.Context(), st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.declarations.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := declarationsData{BackURL: withLang("/registers", lang), Current: list.Current, Standard: len(list.Versions) == 0}
	emails := map[string]string{}
	for _, u := range list.Users {
		emails[u.UserID] = u.Email
		row := declarationUserRow{Email: u.Email, Role: p.name("staff.declarations.role.", u.Role), Current: u.Current, Disabled: u.Disabled}
		if u.Latest != nil {
			row.Latest, row.AcceptedAt = strconv.Itoa(u.Latest.Version), p.when(u.Latest.AcceptedAt)
		}
		d.Users = append(d.Users, row)
	}
	if d.Standard {
		d.Text = p.t("staff.declaration.standard")
	} else {
		d.Text = list.Versions[0].Text
	}
	for _, ver := range list.Versions {
		d.Versions = append(d.Versions, declarationVersionRow{Version: ver.Version, PublishedAt: p.when(ver.PublishedAt),
			Author: emails[ver.PublishedBy]})
	}
	if st.Role == accounts.RoleAdmin {
		form := p.form("publish", "staff.declarations.publish.title", "staff.declarations.publish.submit", "/registers/declarations",
			p.field("publish", "text", "textarea", "staff.declarations.publish.text", "staff.declarations.publish.help", true))
		form.Secondary = true
		d.Publish = &form
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_declarations", v)
}

func (s *Server) declarationPublishSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, _ := s.registersPost(w, r)
	if st == nil {
		return
	}
	if st.Role != accounts.RoleAdmin {
		s.registersForbidden(w, r, lang)
		return
	}
	in := newInput("publish", r.PostForm, "text")
	if strings.TrimSpace(r.PostForm.Get("text")) == "" {
		in.fail("text", s.d.Catalog.T(lang, "staff.registers.error.field"))
		s.renderDeclarations(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
		return
	}
	if _, err := s.privacy().PublishDeclaration(r.Context(), st, privacy.NewDeclaration{Text: r.PostForm.Get("text")}); err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderDeclarations(w, r, lang, status, st, token, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/declarations")
		return
	}
	http.Redirect(w, r, withLang("/registers/declarations", lang), http.StatusSeeOther)
}
