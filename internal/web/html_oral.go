package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Transcripts and minutes of oral reports as pages (issue 3; JR-3,
// Directive art. 18(2)–(4)): on the case page handlers write versions and
// send them; on the status page the whistleblower reads what was sent and
// corrects or approves it through the receipt login. No JavaScript: every
// step is a form post with the session's CSRF token.

// transcriptsPanel is the transcripts section of the case or status page.
type transcriptsPanel struct {
	Staff     bool
	Docs      []transcriptDoc
	NewAction string // staff: start a new document
	NewText   string
	NewError  string
}

// transcriptDoc is one document with its versions, oldest first.
type transcriptDoc struct {
	Anchor   string
	Number   int
	Approved bool
	Versions []transcriptVersion
	// Latest is the version a step applies to.
	Latest transcriptVersion
	// Staff: a new version of a document not approved, sending a draft.
	ReviseAction, SendAction string
	// Whistleblower: correcting or approving what was sent.
	CorrectAction, ApproveAction string
	Text                         string // the posted text after an error, or the latest version's
	Error                        string
}

type transcriptVersion struct {
	ID      string
	Version int64
	State   string
	Author  string
	Time    time.Time
	Text    string
	Signed  bool
}

// transcriptInput carries a rejected transcript post back to its form.
type transcriptInput struct {
	DocID string // "" for a new document
	Text  string
	Error string
}

func transcriptStateName(c *i18n.Catalog, lang, state string) string {
	if k := "transcript.state." + state; c.Has(k) {
		return c.T(lang, k)
	}
	return state
}

// buildTranscripts groups versions into documents and offers the steps
// the service accepts: base is the URL prefix of the forms.
func (s *Server) buildTranscripts(lang string, views []report.TranscriptView, staff bool, base string, in *transcriptInput) *transcriptsPanel {
	c := s.d.Catalog
	p := &transcriptsPanel{Staff: staff}
	index := map[string]int{}
	for _, t := range views {
		i, ok := index[t.DocID]
		if !ok {
			i = len(p.Docs)
			index[t.DocID] = i
			p.Docs = append(p.Docs, transcriptDoc{Anchor: "transcript-" + t.DocID, Number: i + 1})
		}
		author := c.T(lang, "report.from.handler")
		if t.Author == store.AuthorWhistleblower {
			author = c.T(lang, "report.from.you")
			if staff {
				author = c.T(lang, "staff.from.whistleblower")
			}
		}
		v := transcriptVersion{ID: t.ID, Version: t.Version, State: transcriptStateName(c, lang, t.State), Author: author,
			Time: t.CreatedAt, Text: t.Text, Signed: t.Signed}
		d := &p.Docs[i]
		d.Versions = append(d.Versions, v)
		d.Approved = d.Approved || t.State == store.TranscriptApproved
		if t.Version >= d.Latest.Version {
			d.Latest = v
			d.Text = t.Text
			d.SendAction, d.ApproveAction, d.CorrectAction, d.ReviseAction = "", "", "", ""
			tid := url.PathEscape(t.ID)
			switch {
			case staff && t.State == store.TranscriptDraft:
				d.SendAction = withLang(base+"/transcripts/"+tid+"/send", lang)
				d.ReviseAction = withLang(base+"/transcripts", lang)
			case staff && t.State != store.TranscriptApproved:
				d.ReviseAction = withLang(base+"/transcripts", lang)
			case !staff && (t.State == store.TranscriptSent || t.State == store.TranscriptCorrected):
				d.CorrectAction = withLang(base+"/transcripts/"+tid+"/correction", lang)
				d.ApproveAction = withLang(base+"/transcripts/"+tid+"/approve", lang)
			}
		}
	}
	for i := range p.Docs {
		if p.Docs[i].Approved {
			p.Docs[i].SendAction, p.Docs[i].ReviseAction, p.Docs[i].CorrectAction, p.Docs[i].ApproveAction = "", "", "", ""
		}
	}
	if staff {
		p.NewAction = withLang(base+"/transcripts", lang)
	}
	if in != nil {
		if in.DocID == "" {
			p.NewText, p.NewError = in.Text, in.Error
		}
		for i := range p.Docs {
			if p.Docs[i].Latest.ID == in.DocID {
				p.Docs[i].Text, p.Docs[i].Error = in.Text, in.Error
			}
		}
	}
	return p
}

// transcriptError is the text shown at a transcript form for a refused
// step; ok is false for errors that are no fault of the form.
func transcriptError(c *i18n.Catalog, lang string, err error) (string, bool) {
	switch {
	case errors.Is(err, report.ErrTranscriptFixed):
		return c.T(lang, "transcript.error.fixed"), true
	case errors.Is(err, report.ErrTranscriptState):
		return c.T(lang, "transcript.error.state"), true
	}
	return messageError(c, lang, err)
}

// ---- Staff ----

// caseTranscripts fills the case page's transcripts section; nil (no
// section) for a case without any and not made from an oral report.
func (s *Server) caseTranscripts(lang, id string, views []report.TranscriptView, oral bool, in *transcriptInput) *transcriptsPanel {
	if len(views) == 0 && !oral {
		return nil
	}
	return s.buildTranscripts(lang, views, true, "/cases/"+url.PathEscape(id), in)
}

// caseTranscriptSubmit writes a draft: a new document, or with
// "supersedes" the next version of one.
func (s *Server) caseTranscriptSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	text, supersedes := r.PostForm.Get("text"), r.PostForm.Get("supersedes")
	v, err := s.d.Cases.CreateTranscript(r.Context(), st, id, text, supersedes)
	if err == nil {
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#transcript-"+url.PathEscape(v.DocID), http.StatusSeeOther)
		return
	}
	s.caseTranscriptFailed(w, r, lang, st, token, id, &transcriptInput{DocID: supersedes, Text: text}, err)
}

// caseTranscriptSendSubmit shows a draft to the whistleblower.
func (s *Server) caseTranscriptSendSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id, tid := r.PathValue("id"), r.PathValue("tid")
	v, err := s.d.Cases.SendTranscript(r.Context(), st, id, tid)
	if err == nil {
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#transcript-"+url.PathEscape(v.DocID), http.StatusSeeOther)
		return
	}
	s.caseTranscriptFailed(w, r, lang, st, token, id, &transcriptInput{DocID: tid}, err)
}

func (s *Server) caseTranscriptFailed(w http.ResponseWriter, r *http.Request, lang string, st *accounts.Staff, token, id string,
	in *transcriptInput, err error) {
	switch {
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, report.ErrTranscriptNotFound):
		s.pages.notFound(w, r)
		return
	}
	msg, ok := transcriptError(s.d.Catalog, lang, err)
	if !ok {
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
		return
	}
	status := http.StatusUnprocessableEntity
	if errors.Is(err, report.ErrTranscriptFixed) || errors.Is(err, report.ErrTranscriptState) {
		status = http.StatusConflict
	}
	in.Error = msg
	s.renderCase(w, r, lang, status, st, token, caseInput{Transcript: in, Other: msg, OtherHref: "#transcripts-title"})
}

// ---- Whistleblower ----

// wbTranscripts fills the status page's transcripts section; nil when
// nothing was sent to the whistleblower.
func (s *Server) wbTranscripts(r *http.Request, lang string, views []report.TranscriptView, in *transcriptInput) *transcriptsPanel {
	if len(views) == 0 {
		return nil
	}
	return s.buildTranscripts(lang, views, false, "/status", in)
}

// wbTranscriptForm authenticates a transcript post of the status page.
func (s *Server) wbTranscriptForm(w http.ResponseWriter, r *http.Request) (*intake.Whistleblower, string, string, bool) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return nil, "", "", false
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return nil, "", "", false
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return nil, "", "", false
	}
	return wb, token, lang, true
}

// wbTranscriptCorrectSubmit proposes a corrected text.
func (s *Server) wbTranscriptCorrectSubmit(w http.ResponseWriter, r *http.Request) {
	wb, token, lang, ok := s.wbTranscriptForm(w, r)
	if !ok {
		return
	}
	tid, text := r.PathValue("tid"), r.PostForm.Get("text")
	v, err := s.d.Intake.CorrectTranscript(r.Context(), wb, tid, text)
	if err == nil {
		http.Redirect(w, r, withLang("/status", lang)+"#transcript-"+url.PathEscape(v.DocID), http.StatusSeeOther)
		return
	}
	s.wbTranscriptFailed(w, r, lang, wb, token, &transcriptInput{DocID: tid, Text: text}, err)
}

// wbTranscriptApproveSubmit approves the version shown; the document is
// then fixed. The form names the version, so a version that changed
// since the page was shown is refused rather than approved unseen.
func (s *Server) wbTranscriptApproveSubmit(w http.ResponseWriter, r *http.Request) {
	wb, token, lang, ok := s.wbTranscriptForm(w, r)
	if !ok {
		return
	}
	tid := r.PathValue("tid")
	if r.PostForm.Get("confirm") != "yes" {
		s.wbTranscriptFailed(w, r, lang, wb, token, &transcriptInput{DocID: tid},
			&problem{status: http.StatusUnprocessableEntity, code: "confirm", msg: s.d.Catalog.T(lang, "transcript.error.confirm")})
		return
	}
	v, err := s.d.Intake.ApproveTranscript(r.Context(), wb, tid)
	if err == nil {
		http.Redirect(w, r, withLang("/status", lang)+"#transcript-"+url.PathEscape(v.DocID), http.StatusSeeOther)
		return
	}
	s.wbTranscriptFailed(w, r, lang, wb, token, &transcriptInput{DocID: tid}, err)
}

func (s *Server) wbTranscriptFailed(w http.ResponseWriter, r *http.Request, lang string, wb *intake.Whistleblower, token string,
	in *transcriptInput, err error) {
	if errors.Is(err, report.ErrTranscriptNotFound) {
		s.pages.notFound(w, r)
		return
	}
	var p *problem
	msg, ok := transcriptError(s.d.Catalog, lang, err)
	if errors.As(err, &p) && p.code == "confirm" {
		msg, ok = p.msg, true
	}
	if !ok {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	status := http.StatusUnprocessableEntity
	if errors.Is(err, report.ErrTranscriptFixed) || errors.Is(err, report.ErrTranscriptState) {
		status = http.StatusConflict
	}
	in.Error = msg
	s.renderStatusWith(w, r, lang, status, wb, token, statusInput{Transcript: in})
}
