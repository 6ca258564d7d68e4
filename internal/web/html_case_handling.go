package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/store"
)

// The case page's parts of issue 3 that have no page of their own: the
// organisation's custom status of the case, the exports with the
// confirmation that deletes the case after its export (RT-3), and the
// transcripts of an oral report (html_oral.go).

// caseHandling is what these parts add to the case page.
type caseHandling struct {
	// CustomStatus is nil when the organisation has no custom status for
	// the case's state and the case carries none.
	CustomStatus *customStatusForm
	// Exports is nil for a holder without the case key.
	Exports *exportPanel
}

// customStatusForm offers the custom statuses of the case's state.
type customStatusForm struct {
	Action  string
	Current string // label of the status the case carries, or ""
	Options []option
}

// exportPanel lists the case's exports and, when the channel deletes
// cases after a confirmed export and the case is closed, the
// confirmation form of the latest whole export.
type exportPanel struct {
	ExportURL string
	Exports   []exportRow
	// DeleteAfter says the channel deletes cases after a confirmed export.
	DeleteAfter bool
	// Confirm is the confirmation of the latest export; nil when none can
	// be confirmed now, with Why saying why.
	Confirm *deletionInput
	Why     string
}

type exportRow struct {
	ID       string
	Time     string
	ISO      string
	By       string
	Complete bool
	Current  bool
}

// deletionInput is the confirmation form of one export.
type deletionInput struct {
	Action   string
	ExportID string
	SHA256   string
	Error    string
}

func (s *Server) fillCaseHandling(r *http.Request, st *accounts.Staff, id, state, lang string, in caseInput, d *caseData) error {
	ctx := r.Context()
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id)

	// Custom status: only those that map onto the case's state.
	statuses, err := s.d.Cases.Statuses(ctx, st)
	if err != nil {
		return err
	}
	current, err := s.d.Cases.CustomStatusOf(ctx, st, id)
	if err != nil {
		return err
	}
	label := func(cs cases.CustomStatus) string { return cmp.Or(cs.Labels[lang], cs.Labels["en"], cs.ID) }
	f := &customStatusForm{Action: withLang(base+"/custom-status", lang),
		Options: []option{{Value: "", Label: c.T(lang, "staff.custom_status.none"), Selected: current == ""}}}
	for _, cs := range statuses {
		if cs.ID == current {
			f.Current = label(cs)
		}
		if cs.State == state {
			f.Options = append(f.Options, option{Value: cs.ID, Label: label(cs), Selected: cs.ID == current})
		}
	}
	if current != "" && f.Current == "" {
		f.Current = current // no longer configured: shown by id until changed
	}
	if len(f.Options) > 1 || current != "" {
		d.CustomStatus = f
	}

	// Transcripts of an oral report.
	_, oralErr := s.d.DB.OralReportOf(ctx, st.TenantID, id)
	if oralErr != nil && !errors.Is(oralErr, store.ErrNotFound) {
		return oralErr
	}
	views, err := s.d.Cases.Transcripts(ctx, st, id)
	if err != nil {
		return err
	}
	d.Transcripts = s.caseTranscripts(lang, id, views, oralErr == nil, in.Transcript)

	// Exports and deletion after a confirmed export.
	exports, err := s.d.Cases.Exports(ctx, st, id)
	if errors.Is(err, cases.ErrNoCaseKey) {
		return nil
	}
	if err != nil {
		return err
	}
	deleteAfter, err := s.d.Cases.DeletesAfterExport(ctx, st, id)
	if err != nil {
		return err
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		return err
	}
	p := &exportPanel{ExportURL: withLang(base+"/export", lang), DeleteAfter: deleteAfter}
	for _, e := range exports {
		p.Exports = append(p.Exports, exportRow{ID: e.ID, Time: e.CreatedAt.In(loc).Format("2006-01-02 15:04"),
			ISO: e.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), By: s.userLabel(ctx, st.TenantID, e.CreatedBy),
			Complete: e.Complete, Current: e.Current})
	}
	if deleteAfter {
		held := false
		if _, err := s.d.DB.Hold(ctx, st.TenantID, id); err == nil {
			held = true
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		i := slices.IndexFunc(exports, func(e cases.ExportInfo) bool { return e.Complete && e.Current })
		switch {
		case state != cases.StateClosed:
			p.Why = c.T(lang, "staff.export.delete.not_closed")
		case held:
			p.Why = c.T(lang, "staff.export.delete.held")
		case i < 0:
			p.Why = c.T(lang, "staff.export.delete.no_export")
		default:
			p.Confirm = &deletionInput{ExportID: exports[i].ID,
				Action: withLang(base+"/exports/"+url.PathEscape(exports[i].ID)+"/confirm-deletion", lang)}
			if in.Deletion != nil && in.Deletion.ExportID == exports[i].ID {
				p.Confirm.SHA256, p.Confirm.Error = in.Deletion.SHA256, in.Deletion.Error
			}
		}
	}
	d.Exports = p
	return nil
}

// caseCustomStatusSubmit sets or clears the custom status of a case.
func (s *Server) caseCustomStatusSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	err := s.d.Cases.SetCustomStatus(r.Context(), st, id, r.PostForm.Get("status"))
	c := s.d.Catalog
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#summary-title", http.StatusSeeOther)
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
	case errors.Is(err, cases.ErrCustomStatus):
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token,
			caseInput{Other: c.T(lang, "staff.custom_status.error"), OtherHref: "#custom-status"})
	case errors.Is(err, cases.ErrConflict):
		s.renderCase(w, r, lang, http.StatusConflict, st, token,
			caseInput{Other: c.T(lang, "staff.state.error.conflict"), OtherHref: "#custom-status"})
	case errors.Is(err, cases.ErrNoCaseKey):
		s.renderCase(w, r, lang, http.StatusConflict, st, token,
			caseInput{Other: c.T(lang, "staff.case.error.no_key"), OtherHref: "#summary-title"})
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
	}
}

// caseExportConfirmSubmit confirms that the records system holds an
// export and deletes the case. The handler must tick the confirmation and
// give the SHA-256 of the zip as the records system received it.
func (s *Server) caseExportConfirmSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	id, eid := r.PathValue("id"), r.PathValue("eid")
	in := &deletionInput{ExportID: eid, SHA256: r.PostForm.Get("sha256")}
	var err error
	if r.PostForm.Get("confirm") != "yes" {
		in.Error = c.T(lang, "staff.export.delete.error.confirm")
	} else {
		var out cases.ExportDeletion
		out, err = s.d.Cases.ConfirmExportDeletion(r.Context(), st, id, eid, in.SHA256)
		if err == nil {
			v := s.staffView(r, lang, token, "staff.export.deleted.title", out.CaseNumber)
			v.Data = messageData{Paragraphs: []string{c.T(lang, "staff.export.deleted.body", out.CaseNumber)},
				Link: withLang("/", lang), LinkText: c.T(lang, "staff.case.back")}
			s.pages.render(w, r, http.StatusOK, "message", v)
			return
		}
	}
	status := http.StatusUnprocessableEntity
	switch {
	case in.Error != "":
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, cases.ErrExportNotFound):
		s.pages.notFound(w, r)
		return
	case errors.Is(err, cases.ErrExportMismatch):
		in.Error = c.T(lang, "staff.export.delete.error.mismatch")
	case errors.Is(err, cases.ErrExportDigest):
		in.Error = c.T(lang, "staff.export.delete.error.digest")
	case errors.Is(err, cases.ErrExportDeletionOff), errors.Is(err, cases.ErrExportNotClosed), errors.Is(err, cases.ErrExportHeld),
		errors.Is(err, cases.ErrExportIncomplete), errors.Is(err, cases.ErrExportStale):
		// The case page says why no export can be confirmed now.
		status = http.StatusConflict
		in.Error = c.T(lang, "staff.export.delete.error.changed")
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
		return
	}
	s.renderCase(w, r, lang, status, st, token, caseInput{Deletion: in, Other: in.Error, OtherHref: "#export-sha256"})
}
