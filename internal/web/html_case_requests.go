package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/store"
)

// Data-subject requests on the case page (issue 5; GDPR arts. 16 to 18,
// DSR-3): the DPO links an erasure, restriction or rectification request
// to the case or a person of it from the register (html_dsr.go); here the
// case's handlers see a banner while a restriction is in force, the
// linked requests, and carry out an erasure or a rectification of a
// person on a page of its own, because both need the case key.

// caseRequestParts is what this file and html_oral_report.go add to the
// case page.
type caseRequestParts struct {
	// Restrictions are the restrictions in force; the banner lists them.
	Restrictions []restrictionRow
	// Requests lists the linked requests; nil hides the section.
	Requests []caseRequestRow
	// Recording is the oral report's recording panel; nil for a case
	// not made from an oral report.
	Recording *recordingPanel
}

type restrictionRow struct {
	Person    string // pseudonym; empty for the whole case
	Since     string
	SinceISO  string
	Reference string
}

type caseRequestRow struct {
	Type       string
	Target     string // "the whole case" or the pseudonym
	State      string
	Pending    bool
	Linked     string
	Due        string
	DueISO     string
	Reference  string
	Hint       string // why nothing can be done here yet
	EraseURL   string
	RectifyURL string
}

func (s *Server) fillCaseRequestParts(r *http.Request, st *accounts.Staff, id, lang string, in caseInput, x *caseRequestParts) error {
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		return err
	}
	if x.Recording, err = s.recordingPanel(r, st, id, lang, loc, in); err != nil {
		return err
	}
	// Most cases have no linked request; only those read (and audit) them.
	links, err := s.d.DB.DSRLinksOfCase(r.Context(), st.TenantID, id)
	if err != nil || len(links) == 0 {
		return err
	}
	reqs, err := s.d.Cases.Requests(r.Context(), st, id)
	if err != nil {
		return err
	}
	c := s.d.Catalog
	base := "/cases/" + url.PathEscape(id) + "/requests/"
	for _, q := range reqs.Requests {
		ref := requestReference(q.RequestID)
		if q.State == store.LinkRestricted {
			row := restrictionRow{Person: q.Pseudonym, Reference: ref}
			if q.ActedAt != nil {
				row.Since, row.SinceISO = formatDay(*q.ActedAt, loc), q.ActedAt.UTC().Format(time.RFC3339)
			}
			x.Restrictions = append(x.Restrictions, row)
		}
		row := caseRequestRow{Type: upperFirst(s.requestTypeName(lang, q.RequestType)), State: s.linkStateName(lang, q.State),
			Pending: q.State == store.LinkPending, Linked: formatDay(q.LinkedAt, loc), Reference: ref,
			Target: c.T(lang, "staff.case_dsr.whole_case")}
		if q.Pseudonym != "" {
			row.Target = q.Pseudonym
		}
		if row.Pending && q.RequestStatus == "open" {
			row.Due, row.DueISO = formatDay(q.Due, loc), q.Due.UTC().Format(time.RFC3339)
		}
		lb := base + url.PathEscape(q.LinkID)
		switch {
		case slices.Contains(q.Actions, "erase"):
			row.EraseURL = withLang(lb+"/erase", lang)
		case slices.Contains(q.Actions, "rectify"):
			row.RectifyURL = withLang(lb+"/rectify", lang)
		case !row.Pending:
		case q.RequestStatus != "open":
			row.Hint = c.T(lang, "staff.case_dsr.hint.closed")
		case !q.Verified:
			row.Hint = c.T(lang, "staff.case_dsr.hint.unverified")
		default:
			// A restriction, or an erasure of the whole case: the DPO acts
			// from the register.
			row.Hint = c.T(lang, "staff.case_dsr.hint.register")
		}
		x.Requests = append(x.Requests, row)
	}
	return nil
}

// requestReference is the short form of a request id that the case shows
// and the DPO finds in the register's addresses.
func requestReference(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func (s *Server) requestTypeName(lang, typ string) string {
	if k := "staff.registers.request.type." + typ; s.d.Catalog.Has(k) {
		return s.d.Catalog.T(lang, k)
	}
	return typ
}

// upperFirst capitalises a name that the catalogs write in lower case
// for use inside sentences, for a table cell or a label.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func (s *Server) linkStateName(lang, state string) string {
	if k := "staff.dsr.state." + state; s.d.Catalog.Has(k) {
		return s.d.Catalog.T(lang, k)
	}
	return state
}

// ---- Erasure and rectification pages ----

// caseRequestPage is the page of one linked request with its form.
type caseRequestPage struct {
	Back      string
	Action    string
	Type      string
	Person    string
	Due       string
	DueISO    string
	Reference string
	// Erasure.
	Journal, Ground, Reason string
	Confirmed               bool
	// Rectification: the person's details as they stand, or as posted.
	Name, Aliases, Relatives, Contact, Notes string
	Errors                                   map[string]string
}

// caseRequestFor finds a linked request of the case that the caller can
// carry out with action and starts its page; ok is false when it answered
// the request itself.
func (s *Server) caseRequestFor(w http.ResponseWriter, r *http.Request, lang string, st *accounts.Staff,
	action string) (q cases.CaseRequest, p *caseRequestPage, ok bool) {
	id, lid := r.PathValue("id"), r.PathValue("lid")
	reqs, err := s.d.Cases.Requests(r.Context(), st, id)
	if errors.Is(err, cases.ErrNotFound) || errors.Is(err, store.ErrNotFound) || errors.Is(err, cases.ErrNoCaseKey) {
		s.pages.notFound(w, r)
		return q, nil, false
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return q, nil, false
	}
	i := slices.IndexFunc(reqs.Requests, func(q cases.CaseRequest) bool { return q.LinkID == lid })
	if i < 0 {
		s.pages.notFound(w, r)
		return q, nil, false
	}
	q = reqs.Requests[i]
	if !slices.Contains(q.Actions, action) {
		s.pages.message(w, r, http.StatusConflict, lang, "staff.case_dsr.cannot.title", "/cases/"+url.PathEscape(id),
			"staff.case_dsr.back", "staff.case_dsr.cannot")
		return q, nil, false
	}
	loc, err := s.orgLocation(r, s.d.Tenant)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return q, nil, false
	}
	base := "/cases/" + url.PathEscape(id)
	return q, &caseRequestPage{Back: withLang(base, lang), Action: withLang(base+"/requests/"+url.PathEscape(q.LinkID)+"/"+action, lang),
		Type: upperFirst(s.requestTypeName(lang, q.RequestType)), Person: q.Pseudonym, Due: formatDay(q.Due, loc),
		DueISO: q.Due.UTC().Format(time.RFC3339), Reference: requestReference(q.RequestID), Errors: map[string]string{}}, true
}

// caseRequestDone answers a carried-out step, or an error of the service
// that no form check caught; true when it answered.
func (s *Server) caseRequestDone(w http.ResponseWriter, r *http.Request, lang string, err error) bool {
	id := r.PathValue("id")
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#requests-title", http.StatusSeeOther)
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, cases.ErrNoCaseKey):
		s.pages.notFound(w, r)
	case errors.Is(err, cases.ErrLinkState), errors.Is(err, cases.ErrConflict):
		s.pages.message(w, r, http.StatusConflict, lang, "staff.case_dsr.cannot.title", "/cases/"+url.PathEscape(id),
			"staff.case_dsr.back", "staff.case_dsr.cannot")
	default:
		return false
	}
	return true
}

func (s *Server) caseRequestErasePage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	_, p, ok := s.caseRequestFor(w, r, lang, st, "erase")
	if !ok {
		return
	}
	s.renderCaseRequest(w, r, lang, http.StatusOK, token, "case_request_erase", "staff.case_dsr.erase.title", p)
}

func (s *Server) renderCaseRequest(w http.ResponseWriter, r *http.Request, lang string, status int, token, page, titleKey string, p *caseRequestPage) {
	v := s.staffView(r, lang, token, titleKey, p.Person)
	if status != http.StatusOK {
		v.Switcher = false
	}
	for _, f := range []string{"journal", "ground", "reason", "confirm", "name", "aliases", "relatives", "contact", "notes", "changes"} {
		if msg := p.Errors[f]; msg != "" {
			href := "#" + f
			switch f {
			case "journal":
				href = "#journal-" + cases.ErasureRedact
			case "ground":
				href = "#ground-b"
			case "changes":
				href = "#name"
			}
			v.Errors = append(v.Errors, errorItem{Href: href, Text: msg})
		}
	}
	v.Data = p
	s.pages.render(w, r, status, page, v)
}

// caseRequestEraseSubmit erases the person on a linked erasure request,
// after the handler decided what happens to the journal entries that name
// them and confirmed that the erasure cannot be undone.
func (s *Server) caseRequestEraseSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	q, p, ok := s.caseRequestFor(w, r, lang, st, "erase")
	if !ok {
		return
	}
	c, f := s.d.Catalog, r.PostForm
	in := cases.Erasure{Journal: f.Get("journal"), Reason: strings.TrimSpace(f.Get("reason"))}
	switch f.Get("ground") {
	case "b":
		in.Ground = cases.GroundLegalObligation
	case "e":
		in.Ground = cases.GroundLegalClaims
	}
	p.Journal, p.Ground, p.Reason, p.Confirmed = in.Journal, f.Get("ground"), f.Get("reason"), f.Get("confirm") == "yes"
	switch in.Journal {
	case cases.ErasureRedact:
	case cases.ErasureKeep:
		if in.Ground == "" {
			p.Errors["ground"] = c.T(lang, "staff.case_dsr.error.ground")
		}
		if in.Reason == "" {
			p.Errors["reason"] = c.T(lang, "staff.case_dsr.error.keep_reason")
		}
	default:
		p.Errors["journal"] = c.T(lang, "staff.case_dsr.error.journal")
	}
	if !p.Confirmed {
		p.Errors["confirm"] = c.T(lang, "staff.case_dsr.error.confirm")
	}
	if len(p.Errors) == 0 {
		_, err := s.d.Cases.ErasePerson(r.Context(), st, r.PathValue("id"), q.LinkID, in)
		if s.caseRequestDone(w, r, lang, err) {
			return
		}
		if !errors.Is(err, cases.ErrInvalidErasure) {
			s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id")))
			return
		}
		p.Errors["reason"] = c.T(lang, "staff.case_dsr.error.reason")
	}
	s.renderCaseRequest(w, r, lang, http.StatusUnprocessableEntity, token, "case_request_erase", "staff.case_dsr.erase.title", p)
}

func (s *Server) caseRequestRectifyPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	q, p, ok := s.caseRequestFor(w, r, lang, st, "rectify")
	if !ok {
		return
	}
	pv, err := s.d.Cases.Person(r.Context(), st, r.PathValue("id"), q.PersonID)
	if err != nil {
		if !s.caseRequestDone(w, r, lang, err) {
			s.errorPage(w, r, lang, err, "/")
		}
		return
	}
	if d := pv.Details; d != nil {
		p.Name, p.Aliases, p.Relatives, p.Contact, p.Notes = d.Name, strings.Join(d.Aliases, ", "), strings.Join(d.Relatives, ", "), d.Contact, d.Notes
	}
	s.renderCaseRequest(w, r, lang, http.StatusOK, token, "case_request_rectify", "staff.case_dsr.rectify.title", p)
}

// caseRequestRectifySubmit writes the corrected details as a new version
// of the person record; the fields come pre-filled, so what the handler
// did not touch stays as it is.
func (s *Server) caseRequestRectifySubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	q, p, ok := s.caseRequestFor(w, r, lang, st, "rectify")
	if !ok {
		return
	}
	c, f := s.d.Catalog, r.PostForm
	p.Name, p.Aliases, p.Relatives, p.Contact, p.Notes, p.Reason =
		f.Get("name"), f.Get("aliases"), f.Get("relatives"), f.Get("contact"), f.Get("notes"), f.Get("reason")
	name, contact, notes := strings.TrimSpace(p.Name), strings.TrimSpace(p.Contact), strings.TrimSpace(p.Notes)
	aliases, relatives := splitList(p.Aliases), splitList(p.Relatives)
	if name == "" {
		p.Errors["name"] = c.T(lang, "staff.case_dsr.error.name")
	}
	if len(aliases) > 20 {
		p.Errors["aliases"] = c.T(lang, "staff.person.error.aliases")
	}
	if len(relatives) > 20 {
		p.Errors["relatives"] = c.T(lang, "staff.person.error.aliases")
	}
	if strings.TrimSpace(p.Reason) == "" {
		p.Errors["reason"] = c.T(lang, "staff.case_dsr.error.rectify_reason")
	}
	if len(p.Errors) == 0 {
		// Empty lists are sent as empty, not as "unchanged": clearing every
		// alias is a correction too.
		if aliases == nil {
			aliases = []string{}
		}
		if relatives == nil {
			relatives = []string{}
		}
		_, err := s.d.Cases.RectifyPerson(r.Context(), st, r.PathValue("id"), q.LinkID, cases.Rectification{Name: &name,
			Aliases: &aliases, Relatives: &relatives, Contact: &contact, Notes: &notes, Reason: p.Reason})
		if s.caseRequestDone(w, r, lang, err) {
			return
		}
		switch {
		case errors.Is(err, cases.ErrInvalidRectification):
			p.Errors["changes"] = c.T(lang, "staff.case_dsr.error.no_change")
		case errors.Is(err, cases.ErrInvalidPerson):
			p.Errors["name"] = c.T(lang, "staff.case_dsr.error.person")
		default:
			s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id")))
			return
		}
	}
	s.renderCaseRequest(w, r, lang, http.StatusUnprocessableEntity, token, "case_request_rectify", "staff.case_dsr.rectify.title", p)
}

// ---- Journal ----

// rectifiedField names the fields a rectification journals.
var rectifiedField = map[string]string{"name": "staff.person.name", "aliases": "staff.person.aliases",
	"relatives": "staff.case_dsr.rectify.relatives", "contact": "staff.person.contact", "notes": "staff.person.notes"}

// oralDSRJournalRow words the journal entries of oral reports, their
// recordings and data-subject requests: what was done, by which request,
// and the reason the handler gave; never who asked.
func (s *Server) oralDSRJournalRow(lang string, row *journalRow, e cases.JournalView) {
	c := s.d.Catalog
	target := func() string {
		if e.Person != "" {
			return e.Person
		}
		return c.T(lang, "staff.case_dsr.the_case")
	}
	switch {
	case e.Kind == cases.EntryRecording:
		row.Text = c.T(lang, "staff.journal.recording.added", len(e.FileIDs))
	case e.Kind != cases.EntryDSR:
		consent := c.T(lang, "staff.journal.oral.no_consent")
		if e.Action == "recording_consented" {
			consent = c.T(lang, "staff.journal.oral.consent")
		}
		row.Text = c.T(lang, "staff.journal.oral.report", strings.ToLower(sourceName(c, lang, e.Source)), e.LearnedOn) + " " + consent
	case e.Action == "link":
		row.Text = c.T(lang, "staff.journal.dsr.link", s.requestTypeName(lang, e.Text), target(), requestReference(e.RequestID))
	case e.Action == "restrict":
		row.Text = c.T(lang, "staff.journal.dsr.restrict", target(), requestReference(e.RequestID))
	case e.Action == "lift":
		row.Text = c.T(lang, "staff.journal.dsr.lift", target(), requestReference(e.RequestID))
	case e.Action == "erase" && e.Text == cases.ErasureKeep:
		row.Text = c.T(lang, "staff.journal.dsr.erase_keep", target(), e.Basis, requestReference(e.RequestID))
		row.Reason = e.Reason
	case e.Action == "erase":
		row.Text = c.T(lang, "staff.journal.dsr.erase_redact", target(), len(e.EntryIDs), requestReference(e.RequestID))
	case e.Action == "rectify":
		var fields []string
		for _, f := range strings.Split(strings.TrimPrefix(e.Text, "changed: "), ", ") {
			if k, ok := rectifiedField[f]; ok {
				f = strings.ToLower(c.T(lang, k))
			}
			fields = append(fields, f)
		}
		row.Text = c.T(lang, "staff.journal.dsr.rectify", target(), strings.Join(fields, ", "), requestReference(e.RequestID))
		row.Reason = e.Reason
	}
}
