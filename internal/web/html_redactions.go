package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/redact"
	"github.com/varsel/varsel/internal/store"
)

// Staff pages for anonymised copies of case files (issue 4, DA-2): the
// list with the form that starts a copy, and the review page of one copy
// (findings with keep/redact checkboxes, manual areas and values, the
// preview, submit, and the second handler's approve/reject, then
// release). Everything works without JavaScript; a user without the case
// key gets 404.

type redactionRow struct {
	URL      string
	FileName string
	State    string
	Updated  time.Time
}

type redactionsData struct {
	Back        string
	Rows        []redactionRow
	StartAction string
	Files       []choice
	Langs       []option
	Error       string
}

func (s *Server) redactionStateName(lang, state string) string {
	return s.d.Catalog.T(lang, "staff.redaction.state."+state)
}

func (s *Server) redactionsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderRedactions(w, r, lang, http.StatusOK, st, token, "", "")
}

func (s *Server) renderRedactions(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token, selected, msg string) {
	id := r.PathValue("id")
	xs, err := s.d.Cases.Redactions(r.Context(), st, id)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	rv, err := s.d.Cases.Open(r.Context(), st, id)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	base := "/cases/" + url.PathEscape(id)
	v := s.staffView(r, lang, token, "staff.redaction.list.title", rv.CaseNumber)
	d := redactionsData{Back: withLang(base, lang), StartAction: withLang(base+"/redactions", lang), Error: msg}
	for _, x := range xs {
		d.Rows = append(d.Rows, redactionRow{URL: withLang(base+"/redactions/"+url.PathEscape(x.ID), lang),
			FileName: x.FileName, State: s.redactionStateName(lang, x.State), Updated: x.UpdatedAt})
	}
	for i, f := range rv.Files {
		d.Files = append(d.Files, choice{ID: "redact-file-" + itoa(int64(i+1)), Value: f.ID, Label: f.Name,
			Detail: formatSize(f.Size), Checked: f.ID == selected})
	}
	for _, l := range redact.Languages() {
		d.Langs = append(d.Langs, option{Value: l, Label: i18n.Name(l), Selected: l == lang})
	}
	if msg != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#redact-files", Text: msg})
	}
	v.Data = d
	s.pages.render(w, r, status, "redactions", v)
}

// redactionFailure turns a service error into a status and a message for
// the page; ok is false for errors the generic error page handles.
func (s *Server) redactionFailure(lang string, err error) (status int, msg string, ok bool) {
	c := s.d.Catalog
	var gf *cases.GateFailure
	switch {
	case errors.As(err, &gf):
		return http.StatusUnprocessableEntity, c.T(lang, "staff.redaction.error.gate", strings.Join(gf.Checks, ", ")), true
	case errors.Is(err, cases.ErrFourEyes):
		return http.StatusForbidden, c.T(lang, "staff.redaction.error.four_eyes"), true
	case errors.Is(err, cases.ErrRedactionState):
		return http.StatusConflict, c.T(lang, "staff.redaction.error.state"), true
	case errors.Is(err, cases.ErrConflict):
		return http.StatusConflict, c.T(lang, "staff.redaction.error.conflict"), true
	case errors.Is(err, cases.ErrInvalidRedaction):
		return http.StatusUnprocessableEntity, c.T(lang, "staff.redaction.error.invalid"), true
	case errors.Is(err, cases.ErrRejectReason):
		return http.StatusUnprocessableEntity, c.T(lang, "staff.redaction.error.reason"), true
	case errors.Is(err, cases.ErrRedactionUnsupported), errors.Is(err, cases.ErrRedactionMalformed):
		return http.StatusUnprocessableEntity, c.T(lang, "staff.redaction.error.unsupported"), true
	case errors.Is(err, cases.ErrRedactionTooLarge):
		return http.StatusRequestEntityTooLarge, c.T(lang, "staff.redaction.error.too_large"), true
	case errors.Is(err, cases.ErrRedactionTool):
		return http.StatusServiceUnavailable, c.T(lang, "staff.redaction.error.tool"), true
	}
	return 0, "", false
}

func (s *Server) redactionStartSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	fileID := r.PostForm.Get("file")
	if fileID == "" {
		s.renderRedactions(w, r, lang, http.StatusUnprocessableEntity, st, token, "", s.d.Catalog.T(lang, "staff.redaction.error.file"))
		return
	}
	x, err := s.d.Cases.CreateRedaction(r.Context(), st, id, cases.RedactionStart{FileID: fileID, Lang: r.PostForm.Get("labels")})
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id)+"/redactions/"+url.PathEscape(x.ID), lang), http.StatusSeeOther)
		return
	case isHidden(err):
		s.pages.notFound(w, r)
		return
	}
	if status, msg, ok := s.redactionFailure(lang, err); ok {
		s.renderRedactions(w, r, lang, status, st, token, fileID, msg)
		return
	}
	s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
}

// ---- One copy ----

type findingRow struct {
	ID       string
	Control  string
	Category string
	Type     string
	Page     int
	Score    string
	Rule     string
	Source   string
	Value    string
	Redact   bool
}

type areaRow struct {
	ID         string
	Page       int
	X, Y, W, H string // percent
}

// redactionInput keeps what a rejected form held.
type redactionInput struct {
	Area   struct{ Page, X, Y, W, H string }
	Value  string
	Reason string
	Errors map[string]string // area, value, reason
	Other  string
}

type redactionData struct {
	Back      string
	Copy      cases.RedactionView
	State     string
	Findings  []findingRow
	Areas     []areaRow
	Pages     []option
	Editable  bool
	CanSubmit bool
	CanDecide bool
	// Preparer: the reader had a hand in the copy, so another handler
	// decides on it.
	Preparer    bool
	CanRelease  bool
	Released    bool
	PreviewText string
	// PreviewImage: the preview is an image shown on the page;
	// PreviewFile: it is a file to download (PDF).
	PreviewImage bool
	PreviewFile  bool
	PreviewURL   string
	DownloadURL  string
	Actions      map[string]string // decisions, areas, values, remove, submit, approve, reject, release
	In           redactionInput
	// PageView: page previews of a file with pages (html_redaction_pages.go).
	PageView *pageView
}

func (s *Server) redactionPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderRedaction(w, r, lang, http.StatusOK, st, token, redactionInput{})
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) }

func (s *Server) renderRedaction(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string, in redactionInput) {
	id, rid := r.PathValue("id"), r.PathValue("redaction")
	x, err := s.d.Cases.Redaction(r.Context(), st, id, rid)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id) + "/redactions"
	xbase := base + "/" + url.PathEscape(rid)
	v := s.staffView(r, lang, token, "staff.redaction.title", x.FileName)
	d := redactionData{Back: withLang(base, lang), Copy: x, State: s.redactionStateName(lang, x.State),
		Editable:  x.State == store.RedactionDraft || x.State == store.RedactionSubmitted || x.State == store.RedactionRejected,
		CanSubmit: x.State == store.RedactionDraft, CanDecide: x.CanDecide,
		Preparer:   x.State == store.RedactionSubmitted && !x.CanDecide,
		CanRelease: x.State == store.RedactionApproved, Released: x.State == store.RedactionReleased,
		PreviewText: x.Preview, PreviewURL: withLang(xbase+"/preview", lang), DownloadURL: withLang(xbase+"/download", lang),
		Actions: map[string]string{}, In: in}
	for _, a := range []string{"decisions", "areas", "values", "remove", "submit", "approve", "reject", "release"} {
		d.Actions[a] = withLang(xbase+"/"+a, lang)
	}
	if !x.PlainText {
		mt := x.MediaType
		if x.Output != nil {
			mt = x.Output.MediaType
		}
		d.PreviewImage = strings.HasPrefix(mt, "image/")
		d.PreviewFile = !d.PreviewImage
	}
	for i, f := range x.Findings {
		d.Findings = append(d.Findings, findingRow{ID: f.ID, Control: "finding-" + itoa(int64(i+1)),
			Category: redact.Category(f.Type, lang), Type: f.Type, Page: f.Page, Score: fmt.Sprintf("%.2f", f.Score),
			Rule: f.Rule, Source: f.Source, Value: f.Value, Redact: f.Redact})
	}
	for _, a := range x.Areas {
		d.Areas = append(d.Areas, areaRow{ID: a.ID, Page: a.Page, X: percent(a.X), Y: percent(a.Y), W: percent(a.W), H: percent(a.H)})
	}
	d.PageView = s.redactionPageView(r, lang, x, in, d.Findings, d.Areas)
	for p := 1; p <= x.Pages; p++ {
		d.Pages = append(d.Pages, option{Value: itoa(int64(p)), Label: itoa(int64(p)), Selected: in.Area.Page == itoa(int64(p))})
	}
	if len(x.GateChecks) > 0 {
		v.Errors = append(v.Errors, errorItem{Href: "#gate-title", Text: c.T(lang, "staff.redaction.gate.failed",
			strings.Join(x.GateChecks, ", "), x.GateLeaks)})
	}
	areaHref := "#area-x"
	if pv := d.PageView; pv != nil {
		for _, p := range pv.Pages {
			if p.Error != "" {
				areaHref = "#" + p.Prefix + "area-x" // the form under the page's preview
			}
		}
	}
	for _, f := range []struct{ key, href string }{{"area", areaHref}, {"value", "#value-text"}, {"reason", "#reject-reason"}} {
		if msg := in.Errors[f.key]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: f.href, Text: msg})
		}
	}
	if in.Other != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#findings-title", Text: in.Other})
	}
	if areaHref != "#area-x" {
		// The form under the page preview shows the refused values and
		// the message; the general form stays empty.
		d.In.Area = redactionInput{}.Area
		d.In.Errors = map[string]string{}
		for k, m := range in.Errors {
			if k != "area" {
				d.In.Errors[k] = m
			}
		}
	}
	v.Data = d
	s.pages.render(w, r, status, "redaction", v)
}

// redactionChange runs one change of a form post and answers it: back to
// the page on success, the page with the error otherwise.
func (s *Server) redactionAnswer(w http.ResponseWriter, r *http.Request, st *accounts.Staff, token, lang string, in redactionInput, err error) {
	id, rid := r.PathValue("id"), r.PathValue("redaction")
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id)+"/redactions/"+url.PathEscape(rid), lang), http.StatusSeeOther)
		return
	case isHidden(err):
		s.pages.notFound(w, r)
		return
	}
	status, msg, ok := s.redactionFailure(lang, err)
	if !ok {
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
		return
	}
	if in.Errors == nil {
		in.Errors = map[string]string{}
	}
	switch {
	case errors.Is(err, cases.ErrRejectReason):
		in.Errors["reason"] = msg
	default:
		in.Other = msg
	}
	s.renderRedaction(w, r, lang, status, st, token, in)
}

// formVersion reads the version the form was rendered with; a stale form
// is refused rather than applied over someone else's change.
func formVersion(r *http.Request) int64 {
	v, err := strconv.ParseInt(r.PostForm.Get("version"), 10, 64)
	if err != nil || v < 1 {
		return -1
	}
	return v
}

func (s *Server) redactionDecisionsSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	// Every finding of the page is listed in "finding"; the checked ones
	// come back in "redact", so an unchecked box means keep.
	listed, checked := r.PostForm["finding"], r.PostForm["redact"]
	ch := cases.RedactionChange{Version: formVersion(r)}
	for _, id := range listed {
		if slices.Contains(checked, id) {
			ch.Redact = append(ch.Redact, id)
		} else {
			ch.Keep = append(ch.Keep, id)
		}
	}
	for _, id := range checked {
		if !slices.Contains(listed, id) {
			ch.Redact = append(ch.Redact, id) // unknown ids are refused by the service
		}
	}
	_, err := s.d.Cases.UpdateRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), ch)
	s.redactionAnswer(w, r, st, token, lang, redactionInput{}, err)
}

func (s *Server) redactionAreaSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	f := r.PostForm
	var in redactionInput
	in.Area.Page, in.Area.X, in.Area.Y, in.Area.W, in.Area.H = f.Get("page"), f.Get("x"), f.Get("y"), f.Get("w"), f.Get("h")
	num := func(s string) (float64, bool) {
		v, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(s, ",", ".")), 64)
		return v / 100, err == nil
	}
	page, perr := strconv.Atoi(in.Area.Page)
	x, ok1 := num(in.Area.X)
	y, ok2 := num(in.Area.Y)
	wd, ok3 := num(in.Area.W)
	ht, ok4 := num(in.Area.H)
	if perr != nil || !ok1 || !ok2 || !ok3 || !ok4 {
		in.Errors = map[string]string{"area": s.d.Catalog.T(lang, "staff.redaction.error.area")}
		s.renderRedaction(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
		return
	}
	a := docredact.Area{Page: page, X: x, Y: y, W: wd, H: ht}
	_, err := s.d.Cases.UpdateRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"),
		cases.RedactionChange{Version: formVersion(r), AddAreas: []docredact.Area{a}})
	if err == nil && f.Get("from") != "" {
		// Posted from under a page preview: back to that page, which now
		// shows the new box.
		http.Redirect(w, r, reviewURL(r.PathValue("id"), r.PathValue("redaction"), lang, pageViewStart(page), f.Get("grid") != "0",
			"page-"+strconv.Itoa(page)), http.StatusSeeOther)
		return
	}
	if errors.Is(err, cases.ErrInvalidRedaction) {
		in.Errors = map[string]string{"area": s.d.Catalog.T(lang, "staff.redaction.error.area")}
		s.renderRedaction(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
		return
	}
	s.redactionAnswer(w, r, st, token, lang, in, err)
}

func (s *Server) redactionValueSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	in := redactionInput{Value: r.PostForm.Get("value")}
	_, err := s.d.Cases.UpdateRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"),
		cases.RedactionChange{Version: formVersion(r), AddValues: []string{in.Value}})
	if errors.Is(err, cases.ErrInvalidRedaction) {
		in.Errors = map[string]string{"value": s.d.Catalog.T(lang, "staff.redaction.error.value")}
		s.renderRedaction(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
		return
	}
	s.redactionAnswer(w, r, st, token, lang, in, err)
}

func (s *Server) redactionRemoveSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	ch := cases.RedactionChange{Version: formVersion(r)}
	if a := r.PostForm.Get("area"); a != "" {
		ch.RemoveAreas = []string{a}
	}
	if v := r.PostForm.Get("value"); v != "" {
		ch.RemoveValues = []string{v}
	}
	_, err := s.d.Cases.UpdateRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), ch)
	s.redactionAnswer(w, r, st, token, lang, redactionInput{}, err)
}

func (s *Server) redactionSubmitSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	_, err := s.d.Cases.SubmitRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	s.redactionAnswer(w, r, st, token, lang, redactionInput{}, err)
}

func (s *Server) redactionApproveSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	_, err := s.d.Cases.ApproveRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	s.redactionAnswer(w, r, st, token, lang, redactionInput{}, err)
}

func (s *Server) redactionRejectSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	in := redactionInput{Reason: r.PostForm.Get("reason")}
	_, err := s.d.Cases.RejectRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), in.Reason)
	s.redactionAnswer(w, r, st, token, lang, in, err)
}

func (s *Server) redactionReleaseSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	_, err := s.d.Cases.ReleaseRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	s.redactionAnswer(w, r, st, token, lang, redactionInput{}, err)
}

// redactionPreviewPage serves the preview for the review page: an image
// inline (our own re-encoded output, under the site's CSP and nosniff, for
// the page's <img>), anything else as an attachment.
func (s *Server) redactionPreviewPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	name, mt, data, err := s.d.Cases.RedactionPreview(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	if s.pageFailed(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id"))) {
		return
	}
	h := w.Header()
	switch mt {
	case "image/png", "image/jpeg":
		h.Set("Content-Type", mt)
		h.Set("Content-Disposition", "inline")
	default:
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", mimeAttachment(name))
	}
	h.Set("Content-Length", itoa(int64(len(data))))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (s *Server) redactionDownload(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	f, err := s.d.Cases.OpenRedactedCopy(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	if s.pageFailed(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id"))+"/redactions/"+url.PathEscape(r.PathValue("redaction"))) {
		return
	}
	defer f.Close()
	sendRedactedCopy(s, w, r, f)
}

// redactionJournalText describes a journal entry of kind "redaction".
func (s *Server) redactionJournalText(lang string, e cases.JournalView) string {
	text := s.d.Catalog.T(lang, "staff.journal.redaction."+e.Action)
	if e.Action == "gate_failed" && e.Text != "" {
		text += " (" + e.Text + ")"
	}
	return text
}
