package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// Staff pages for disclosure notes to other authorities (DA-1, CA-3) and
// the case export (RT-3). As in the API, a user without the case key gets
// 404: the notes are sealed under it.

// choice is one checkbox of the disclosure form.
type choice struct {
	ID      string // control id
	Value   string
	Label   string
	Detail  string
	Checked bool
}

type disclosureRow struct {
	URL       string
	Recipient string
	Date      string
	State     string
	Final     bool
}

type disclosureForm struct {
	Action     string
	Recipient  string
	LegalBasis string
	Date       string
	Text       string
	Answers    []choice
	Identity   []choice // only for a handler who can read the identity
	Messages   []choice
	// Redactions are the released anonymised copies (DA-2); original
	// files are never offered.
	Redactions []choice
	Errors     map[string]string // recipient, basis, date, select, identity
}

type disclosuresData struct {
	Back  string
	Notes []disclosureRow
	Form  disclosureForm
}

func isHidden(err error) bool {
	return errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, cases.ErrNoCaseKey)
}

func (s *Server) disclosureStateName(lang, state string) string {
	if state == store.DisclosureFinal {
		return s.d.Catalog.T(lang, "staff.disclosure.state.final")
	}
	return s.d.Catalog.T(lang, "staff.disclosure.state.draft")
}

func (s *Server) disclosuresPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderDisclosures(w, r, lang, http.StatusOK, st, token, nil)
}

// answerChoices lists a report's answers (or identity answers) as checkboxes.
func answerChoices(q questionnaire.Questionnaire, a questionnaire.Answers, lang, prefix string, identity bool, checked []string) []choice {
	var out []choice
	for _, qq := range q.Questions {
		if qq.Identity != identity {
			continue
		}
		rows := answerRows(questionnaire.Questionnaire{Questions: []questionnaire.Question{qq}}, a, lang, identity)
		if len(rows) == 0 {
			continue
		}
		detail := rows[0].Value
		if len(rows[0].Values) > 0 {
			detail = strings.Join(rows[0].Values, ", ")
		}
		out = append(out, choice{ID: prefix + qq.ID, Value: qq.ID, Label: rows[0].Label, Detail: detail, Checked: slices.Contains(checked, qq.ID)})
	}
	return out
}

func (s *Server) renderDisclosures(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string, in *disclosureForm) {
	id := r.PathValue("id")
	notes, err := s.d.Cases.Disclosures(r.Context(), st, id)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	rv, err := s.d.Cases.Open(r.Context(), st, id)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id)
	v := s.staffView(r, lang, token, "staff.disclosure.list.title", rv.CaseNumber)
	d := disclosuresData{Back: withLang(base, lang)}
	for _, n := range notes {
		d.Notes = append(d.Notes, disclosureRow{URL: withLang(base+"/disclosures/"+url.PathEscape(n.ID), lang),
			Recipient: n.Recipient, Date: n.Date, State: s.disclosureStateName(lang, n.State), Final: n.State == store.DisclosureFinal})
	}
	form := disclosureForm{Date: s.d.Now().UTC().Format(time.DateOnly)}
	if in != nil {
		form = *in
	}
	form.Action = withLang(base+"/disclosures", lang)
	var sel struct{ answers, identity, messages, redactions []string }
	if in != nil {
		sel.answers, sel.identity, sel.messages, sel.redactions = checkedValues(in.Answers), checkedValues(in.Identity), checkedValues(in.Messages), checkedValues(in.Redactions)
	}
	form.Answers = answerChoices(rv.Questionnaire, rv.Answers, lang, "disclose-answer-", false, sel.answers)
	if rv.Identity != nil {
		form.Identity = answerChoices(rv.Questionnaire, rv.Identity, lang, "disclose-identity-", true, sel.identity)
	} else {
		form.Identity = nil
	}
	form.Messages = nil
	for i, m := range rv.Messages {
		author := c.T(lang, "staff.from.whistleblower")
		if m.AuthorType == store.AuthorStaff {
			author = c.T(lang, "report.from.handler")
		}
		text := m.Text
		if r := []rune(text); len(r) > 120 {
			text = string(r[:120]) + "…"
		}
		form.Messages = append(form.Messages, choice{ID: "disclose-message-" + itoa(int64(i+1)), Value: m.ID,
			Label: author + " · " + formatDate(m.CreatedAt), Detail: text, Checked: slices.Contains(sel.messages, m.ID)})
	}
	released, err := s.d.Cases.ReleasedRedactions(r.Context(), st, id)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	form.Redactions = nil
	for i, x := range released {
		form.Redactions = append(form.Redactions, choice{ID: "disclose-redaction-" + itoa(int64(i+1)), Value: x.ID, Label: x.Name,
			Detail: formatSize(x.Size), Checked: slices.Contains(sel.redactions, x.ID)})
	}
	for _, fld := range []struct{ key, href string }{{"recipient", "#disclose-recipient"}, {"basis", "#disclose-basis"},
		{"date", "#disclose-date"}, {"text", "#disclose-text"}, {"select", "#disclose-select"}, {"identity", "#disclose-select"}} {
		if msg := form.Errors[fld.key]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: fld.href, Text: msg})
		}
	}
	d.Form = form
	v.Data = d
	s.pages.render(w, r, status, "disclosures", v)
}

func checkedValues(cs []choice) []string {
	var out []string
	for _, c := range cs {
		if c.Checked {
			out = append(out, c.Value)
		}
	}
	return out
}

func posted(vals []string) []choice {
	out := make([]choice, 0, len(vals))
	for _, v := range vals {
		out = append(out, choice{Value: v, Checked: true})
	}
	return out
}

func (s *Server) disclosureSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	id := r.PathValue("id")
	in := cases.DisclosureInput{Recipient: f.Get("recipient"), LegalBasis: f.Get("legal_basis"), Date: f.Get("date"),
		Answers: f["answers"], Identity: f["identity"], Messages: f["messages"], Files: f["files"], Redactions: f["redactions"],
		Text: f.Get("text")}
	form := disclosureForm{Recipient: in.Recipient, LegalBasis: in.LegalBasis, Date: in.Date, Text: in.Text,
		Answers: posted(in.Answers), Identity: posted(in.Identity), Messages: posted(in.Messages), Redactions: posted(in.Redactions),
		Errors: map[string]string{}}
	if strings.TrimSpace(in.Recipient) == "" {
		form.Errors["recipient"] = c.T(lang, "staff.disclosure.error.recipient")
	}
	if strings.TrimSpace(in.LegalBasis) == "" {
		form.Errors["basis"] = c.T(lang, "staff.disclosure.error.basis")
	}
	if _, err := time.Parse(time.DateOnly, strings.TrimSpace(in.Date)); strings.TrimSpace(in.Date) != "" && err != nil {
		form.Errors["date"] = c.T(lang, "staff.disclosure.error.date")
	}
	if len(in.Answers)+len(in.Identity)+len(in.Messages)+len(in.Redactions) == 0 && strings.TrimSpace(in.Text) == "" {
		form.Errors["select"] = c.T(lang, "staff.disclosure.error.select")
	}
	if len(form.Errors) == 0 {
		n, err := s.d.Cases.CreateDisclosure(r.Context(), st, id, in)
		switch {
		case err == nil:
			http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id)+"/disclosures/"+url.PathEscape(n.ID), lang), http.StatusSeeOther)
			return
		case isHidden(err):
			s.pages.notFound(w, r)
			return
		case errors.Is(err, cases.ErrIdentityNotReadable):
			form.Errors["identity"] = c.T(lang, "staff.disclosure.error.identity")
		case errors.Is(err, cases.ErrOriginalFile), errors.Is(err, cases.ErrRedactionNotReleased):
			form.Errors["select"] = c.T(lang, "staff.disclosure.error.original")
		case errors.Is(err, cases.ErrInvalidDisclosure):
			form.Errors["select"] = c.T(lang, "staff.disclosure.error.invalid")
		default:
			s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
			return
		}
	}
	s.renderDisclosures(w, r, lang, http.StatusUnprocessableEntity, st, token, &form)
}

// ---- One note ----

type disclosureData struct {
	Back           string
	Note           cases.DisclosureView
	State          string
	Final          bool
	PDFURL         string
	FinaliseAction string
	// NeedsBasis: the note discloses the identity, so finalising asks for
	// the basis and the notice to the whistleblower.
	NeedsBasis  bool
	CanFinalise bool
	Bases       []option
	Notice      string
	Errors      map[string]string // basis, notice
	Messages    []messageRow
}

type finaliseInput struct {
	Basis, Notice string
	Errors        map[string]string
	Other         string
}

func (s *Server) disclosurePage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderDisclosure(w, r, lang, http.StatusOK, st, token, finaliseInput{})
}

func (s *Server) renderDisclosure(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string, in finaliseInput) {
	id, did := r.PathValue("id"), r.PathValue("did")
	n, err := s.d.Cases.Disclosure(r.Context(), st, id, did)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id) + "/disclosures"
	nbase := base + "/" + url.PathEscape(did)
	v := s.staffView(r, lang, token, "staff.disclosure.title", n.Recipient)
	d := disclosureData{Back: withLang(base, lang), Note: n, State: s.disclosureStateName(lang, n.State),
		Final: n.State == store.DisclosureFinal, PDFURL: withLang(nbase+"/pdf", lang),
		FinaliseAction: withLang(nbase+"/finalise", lang), NeedsBasis: len(n.IdentitySelected) > 0,
		Notice: in.Notice, Errors: in.Errors}
	d.CanFinalise = !d.Final && (!d.NeedsBasis || !n.IdentityWithheld)
	d.Bases = []option{{Value: "", Label: c.T(lang, "staff.disclosure.basis.choose"), Selected: in.Basis == ""}}
	for _, b := range []string{cases.IdentityBasisConsent, cases.IdentityBasisLegalBasis} {
		d.Bases = append(d.Bases, option{Value: b, Label: c.T(lang, "staff.disclosure.basis."+b), Selected: in.Basis == b})
	}
	for _, m := range n.Messages {
		author := c.T(lang, "staff.from.whistleblower")
		if m.AuthorType == store.AuthorStaff {
			author = c.T(lang, "report.from.handler")
		}
		d.Messages = append(d.Messages, messageRow{Author: author, Mine: m.AuthorType == store.AuthorStaff, Time: m.CreatedAt, Text: m.Text})
	}
	if msg := in.Errors["basis"]; msg != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#finalise-basis", Text: msg})
	}
	if msg := in.Errors["notice"]; msg != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#finalise-notice", Text: msg})
	}
	if in.Other != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#finalise-title", Text: in.Other})
	}
	v.Data = d
	s.pages.render(w, r, status, "disclosure", v)
}

func (s *Server) disclosureFinaliseSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	id, did := r.PathValue("id"), r.PathValue("did")
	in := finaliseInput{Basis: r.PostForm.Get("identity_basis"), Notice: r.PostForm.Get("notice"), Errors: map[string]string{}}
	_, err := s.d.Cases.FinaliseDisclosure(r.Context(), st, id, did, cases.FinaliseInput{IdentityBasis: in.Basis, Notice: in.Notice})
	status := http.StatusUnprocessableEntity
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id)+"/disclosures/"+url.PathEscape(did), lang), http.StatusSeeOther)
		return
	case isHidden(err):
		s.pages.notFound(w, r)
		return
	case errors.Is(err, cases.ErrIdentityBasisRequired):
		if in.Basis != cases.IdentityBasisConsent && in.Basis != cases.IdentityBasisLegalBasis {
			in.Errors["basis"] = c.T(lang, "staff.disclosure.error.identity_basis")
		}
		if strings.TrimSpace(in.Notice) == "" {
			in.Errors["notice"] = c.T(lang, "staff.disclosure.error.notice")
		}
		if len(in.Errors) == 0 {
			in.Errors["basis"] = c.T(lang, "staff.disclosure.error.identity_basis")
		}
	case errors.Is(err, cases.ErrIdentityNotReadable):
		status, in.Other = http.StatusForbidden, c.T(lang, "staff.disclosure.error.identity")
	case errors.Is(err, cases.ErrDisclosureFinal):
		status, in.Other = http.StatusConflict, c.T(lang, "staff.disclosure.error.final")
	case errors.Is(err, cases.ErrInvalidDisclosure):
		in.Other = c.T(lang, "staff.disclosure.error.invalid")
	default:
		if msg, ok := messageError(c, lang, err); ok {
			in.Errors["notice"] = msg
			break
		}
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
		return
	}
	s.renderDisclosure(w, r, lang, status, st, token, in)
}

func (s *Server) disclosurePDFDownload(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	name, pdf, err := s.d.Cases.DisclosurePDF(r.Context(), st, r.PathValue("id"), r.PathValue("did"))
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", mimeAttachment(name))
	h.Set("Content-Length", itoa(int64(len(pdf))))
	w.WriteHeader(http.StatusOK)
	w.Write(pdf)
}

// caseExportDownload streams the case as a zip, as the API does; a
// failure once streaming has begun aborts the connection.
func (s *Server) caseExportDownload(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	exp, err := s.d.Cases.Export(r.Context(), st, r.PathValue("id"))
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mimeAttachment(exp.Name))
	h.Set(headerExportID, exp.ID)
	h.Set("Trailer", trailerExportSHA256)
	w.WriteHeader(http.StatusOK)
	if err := exp.WriteZip(r.Context(), w); err != nil {
		s.d.Logger.Error("case export failed", "route", r.Pattern, "err", err.Error())
		panic(http.ErrAbortHandler)
	}
	h.Set(trailerExportSHA256, exp.SHA256())
}
