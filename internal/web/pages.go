package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/questionnaire"
)

// The HTML pages are server-rendered with html/template and work without
// JavaScript. Every text comes from the i18n catalog.
//
//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// pageNames are the page templates; each is parsed together with the layout.
var pageNames = []string{
	"landing", "privacy", "report", "receipt", "status", "message",
	"setup", "setup_done", "staff_login", "inbox", "case", "identity_requests", "confirm",
	"person_add", "person", "disclosures", "disclosure", "statistics",
	"registers", "registers_breaches", "registers_breach", "registers_requests", "registers_request", "registers_request_links",
	"registers_dashboard", "registers_declaration", "registers_declarations",
	"registers_items", "registers_item", "registers_reviews", "registers_review", "registers_retention", "registers_case_retention",
	"settings",
	"redactions", "redaction",
	"oral_report", "oral_receipt", "case_request_erase", "case_request_rectify",
	"channels_info",
}

// pages renders the HTML pages.
type pages struct {
	cat     *i18n.Catalog
	log     *slog.Logger
	tmpl    map[string]*pageTemplate
	cssPath string // versioned URL of the stylesheet
}

// pageTemplate is one page, parsed on its first use: parsing every page
// at start was the largest part of a cold start (a budget, see
// docs/benchmarks.md), and most pages are never shown by a given process.
// The templates are embedded, so a broken one is a build defect; the test
// TestEveryPageTemplateParses catches it before a release.
type pageTemplate struct {
	once sync.Once
	t    *template.Template
	err  error
}

func newPages(c *i18n.Catalog, log *slog.Logger) (*pages, error) {
	p := &pages{cat: c, log: log, tmpl: make(map[string]*pageTemplate, len(pageNames))}
	for _, name := range pageNames {
		p.tmpl[name] = &pageTemplate{}
	}
	css, err := staticFS.ReadFile("static/varsel.css")
	if err != nil {
		return nil, fmt.Errorf("web: stylesheet: %w", err)
	}
	sum := sha256.Sum256(css)
	// The query string changes with the content, so the long cache lifetime
	// never serves an old stylesheet after an upgrade.
	p.cssPath = "/static/varsel.css?v=" + hex.EncodeToString(sum[:6])
	return p, nil
}

// template returns a page's parsed template, parsing it on first use.
func (p *pages) template(name string) (*template.Template, error) {
	pt := p.tmpl[name]
	if pt == nil {
		return nil, fmt.Errorf("web: no page template %q", name)
	}
	pt.once.Do(func() { pt.t, pt.err = parsePage(name) })
	return pt.t, pt.err
}

// parsePage parses one page template with the layout and the parts it uses.
func parsePage(name string) (*template.Template, error) {
	files := []string{"templates/layout.html", "templates/" + name + ".html"}
	if strings.HasPrefix(name, "registers") {
		files = append(files, "templates/registers_parts.html", "templates/registers_items_parts.html") // the register forms
	}
	if name == "case" || name == "status" {
		files = append(files, "templates/case_handling_parts.html") // transcripts, exports, custom status
		files = append(files, "templates/meeting_parts.html")       // meeting requests (RC-2)
	}
	if name == "report" || name == "oral_report" {
		files = append(files, "templates/form_parts.html") // questionnaire fields
	}
	if name == "case" {
		files = append(files, "templates/case_requests_parts.html") // recording, data-subject requests
	}
	t, err := template.New(name).ParseFS(templateFS, files...)
	if err != nil {
		return nil, fmt.Errorf("web: parse template %s: %w", name, err)
	}
	return t, nil
}

// langLink is one entry of the language switcher.
type langLink struct {
	Code    string
	Name    string
	URL     string
	Current bool
}

// errorItem is one entry of a form's error summary.
type errorItem struct {
	Href string // "#field-id"
	Text string
}

// view is what every page template receives.
type view struct {
	cat      *i18n.Catalog
	Lang     string
	Staff    bool
	Title    string
	CSS      string
	Switcher bool
	Langs    []langLink
	Errors   []errorItem
	// CSRF is set on staff pages of a logged-in user for the sign-out form.
	CSRF     string
	LoggedIn bool
	Data     any
}

// T translates key into the page's language.
func (v *view) T(key string, args ...any) string { return v.cat.T(v.Lang, key, args...) }

// Text picks a questionnaire text in the page's language.
func (v *view) Text(t questionnaire.Text) string { return t.In(v.Lang) }

// Date formats a time for display.
func (v *view) Date(t time.Time) string { return formatDate(t) }

// ISO formats a time for a <time datetime> attribute.
func (v *view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// L adds the page's language to a local link, because the public site keeps
// no cookie to remember it.
func (v *view) L(p string) string { return withLang(p, v.Lang) }

// Status names a case status in the page's language.
func (v *view) Status(s string) string { return statusName(v.cat, v.Lang, s) }

func formatDate(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func statusName(c *i18n.Catalog, lang, s string) string {
	if k := "report.status." + s; c.Has(k) {
		return c.T(lang, k)
	}
	return s
}

func withLang(p, lang string) string {
	sep := "?"
	if strings.Contains(p, "?") {
		sep = "&"
	}
	return p + sep + "lang=" + url.QueryEscape(lang)
}

// pageLang picks the language of a request: an explicit choice in the query
// or form, then the Accept-Language header.
func pageLang(r *http.Request, formLang string) string {
	explicit := r.URL.Query().Get("lang")
	if explicit == "" {
		explicit = formLang
	}
	return i18n.Negotiate(explicit, r.Header.Get("Accept-Language"))
}

// newView starts a page. The language switcher is offered on GET pages
// only: a page rendered in answer to a POST (a receipt, a form with errors)
// would lose its content if the reader followed a switcher link.
func (p *pages) newView(r *http.Request, lang, titleKey string, titleArgs ...any) *view {
	v := &view{cat: p.cat, Lang: lang, CSS: p.cssPath, Switcher: r.Method == http.MethodGet}
	v.Title = p.cat.T(lang, titleKey, titleArgs...)
	return v
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v *view) {
	if v.Switcher {
		v.Langs = langLinks(r, v.Lang)
	}
	var buf bytes.Buffer
	t, err := p.template(name)
	if err != nil {
		p.log.Error("page template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", itoa(int64(buf.Len())))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// langLinks builds the switcher: the current address with lang replaced.
func langLinks(r *http.Request, current string) []langLink {
	out := make([]langLink, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		q := r.URL.Query()
		q.Set("lang", l)
		out = append(out, langLink{Code: l, Name: i18n.Name(l), URL: r.URL.Path + "?" + q.Encode(), Current: l == current})
	}
	return out
}

// messageData is the content of a simple page: a heading, paragraphs and
// an optional link.
type messageData struct {
	Paragraphs []string
	Link       string
	LinkText   string
}

// message renders a simple page.
func (p *pages) message(w http.ResponseWriter, r *http.Request, status int, lang, titleKey string, link, linkKey string, paraKeys ...string) {
	v := p.newView(r, lang, titleKey)
	d := messageData{}
	for _, k := range paraKeys {
		d.Paragraphs = append(d.Paragraphs, p.cat.T(lang, k))
	}
	if link != "" {
		d.Link = withLang(link, lang)
		d.LinkText = p.cat.T(lang, linkKey)
	}
	v.Data = d
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	p.render(w, r, status, "message", v)
}

// alreadySent answers a report form posted again after its report was
// stored. The receipt cannot be shown again: it is stored nowhere.
func (p *pages) alreadySent(w http.ResponseWriter, r *http.Request, lang string) {
	p.message(w, r, http.StatusConflict, lang, "sent_already.title", "/", "sent_already.link",
		"sent_already.not_again", "sent_already.receipt", "sent_already.lost")
}

func (p *pages) notFound(w http.ResponseWriter, r *http.Request) {
	p.message(w, r, http.StatusNotFound, pageLang(r, ""), "error.title", "/", "error.back", "error.not_found")
}

// pageFailed answers a failed lookup and reports whether it did: a hidden
// object (no access, other tenant) as a plain 404, any other error as an
// error page leading back to back. A nil err answers nothing.
func (s *Server) pageFailed(w http.ResponseWriter, r *http.Request, lang string, err error, back string) bool {
	if isHidden(err) {
		s.pages.notFound(w, r)
		return true
	}
	if err != nil {
		s.errorPage(w, r, lang, err, back)
		return true
	}
	return false
}

// errorPage shows a classified error as a page with the fitting status.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, lang string, err error, back string) {
	pr := classify(err)
	if pr.code == "already_submitted" {
		s.pages.alreadySent(w, r, lang)
		return
	}
	key := "error.bad_request"
	switch pr.status {
	case http.StatusNotFound:
		key = "error.not_found"
	case http.StatusForbidden:
		key = "error.forbidden"
	case http.StatusRequestEntityTooLarge:
		key = "error.too_large"
	case http.StatusTooManyRequests:
		key = "error.too_many_attempts"
	case http.StatusUnauthorized:
		key = "error.session_expired"
	case http.StatusInternalServerError:
		key = "error.internal"
		s.d.Logger.Error("request failed", "route", r.Pattern, "err", err.Error())
	}
	if back == "" {
		back = "/"
	}
	s.pages.message(w, r, pr.status, lang, "error.title", back, "error.back", key)
}

var errCrossSite = &problem{status: http.StatusForbidden, code: "cross_site", msg: "cross-site request refused"}

// static serves the embedded stylesheet. Its URL carries a content hash,
// so it may be cached for long.
func (s *Server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil || strings.Contains(name, "/") {
		if !errors.Is(err, fs.ErrNotExist) && err != nil {
			s.d.Logger.Error("static file", "err", err.Error())
		}
		s.pages.notFound(w, r)
		return
	}
	ctype := "application/octet-stream"
	switch path.Ext(name) {
	case ".css":
		ctype = "text/css; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	case ".png":
		ctype = "image/png"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Content-Length", itoa(int64(len(b))))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// formatSize shows a file size in readable units.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
