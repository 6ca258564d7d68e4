package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/report"
)

// Files added from the status page go through the same confirmation step
// as a new report's files (RC-5): when one reveals something the batch is
// parked, and the whistleblower chooses per file before anything reaches
// the report. The step sits behind the receipt session; the parked batch
// also needs the token in the form's hidden field.

func statusConfirmFlow(lang, sessionToken string) confirmFlow {
	return confirmFlow{Action: withLang("/status/files/confirm", lang), CSRF: csrfToken(sessionToken),
		Title: "confirm.add.title", Intro: "confirm.add.intro", Expiry: "confirm.add.expiry", Submit: "confirm.add.submit",
		Cancel: "confirm.add.cancel", CancelHelp: "confirm.add.cancel.help"}
}

// wbFilesAdd checks the files just stored from the status page: it adds
// them when none reveals anything and shows the confirmation step
// otherwise.
func (s *Server) wbFilesAdd(w http.ResponseWriter, r *http.Request, lang string, wb *intake.Whistleblower, sessionToken string,
	pending []report.PendingFile) {
	checks, token, err := s.d.Intake.AddFiles(r.Context(), wb, pending)
	if err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	if token == "" {
		http.Redirect(w, r, withLang("/status", lang), http.StatusSeeOther)
		return
	}
	s.renderConfirm(w, r, lang, http.StatusOK, statusConfirmFlow(lang, sessionToken), token, checks, nil, nil)
}

// wbFilesConfirm applies the choices of the confirmation step and adds
// the files, or discards them when the whistleblower cancels.
func (s *Server) wbFilesConfirm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, sessionToken, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(sessionToken, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	ctx := r.Context()
	token := r.PostForm.Get("draft")
	switch action := r.PostForm.Get("action"); action {
	case "":
	case "cancel":
		err := s.d.Intake.CancelAdded(ctx, wb, token)
		if errors.Is(err, intake.ErrNoDraft) {
			s.pages.message(w, r, http.StatusNotFound, lang, "error.title", "/status", "error.back", "confirm.add.expired")
			return
		}
		if err != nil {
			s.errorPage(w, r, lang, err, "/status")
			return
		}
		http.Redirect(w, r, withLang("/status", lang), http.StatusSeeOther)
		return
	default:
		s.errorPage(w, r, lang, badRequest("invalid_action", "unknown action"), "/status")
		return
	}
	choices, bad := confirmChoices(r.PostForm)
	if len(bad) == 0 {
		_, err = s.d.Intake.ConfirmAdded(ctx, wb, token, choices)
		if err == nil {
			http.Redirect(w, r, withLang("/status", lang), http.StatusSeeOther)
			return
		}
	}
	checks, cerr := s.d.Intake.AddedChecks(ctx, wb, token)
	if errors.Is(err, intake.ErrNoDraft) || errors.Is(cerr, intake.ErrNoDraft) {
		s.pages.message(w, r, http.StatusNotFound, lang, "error.title", "/status", "error.back", "confirm.add.expired")
		return
	}
	problems, ok := confirmProblems(s.d.Catalog, lang, err, bad, checks, choices)
	if cerr != nil || !ok {
		if cerr == nil {
			cerr = err
		}
		s.errorPage(w, r, lang, cerr, "/status")
		return
	}
	s.renderConfirm(w, r, lang, http.StatusUnprocessableEntity, statusConfirmFlow(lang, sessionToken), token, checks, choices, problems)
}
