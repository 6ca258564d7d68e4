package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// ---- Identity vault on the staff site (CA-3) ----

// identityPanel is the identity section of a case for a handler who
// cannot read the identity: the request form and their own requests.
type identityPanel struct {
	Action   string // the request form; empty while a request is pending
	Reason   string // a rejected post's reason
	Error    string
	Requests []identityRequestRow
	// NoCustodian: nobody could decide a request.
	NoCustodian bool
}

// identityRequestRow is one request as a page shows it.
type identityRequestRow struct {
	ID             string
	CaseNumber     int64
	CaseURL        string
	Requester      string
	State          string // translated
	StateID        string
	Reason         string
	DecisionReason string
	DecidedBy      string
	Time           time.Time
	DecidedAt      time.Time
	ApproveAction  string
	DenyAction     string
	DenyReason     string
	DenyError      string
}

// identityInputKey carries a rejected request form back to the case page.
type identityInputKey struct{}

type identityInput struct{ Reason, Error string }

// identityPanel builds the panel for the case page; nil when the case has
// no identity or the user can read it.
func (s *Server) identityPanel(r *http.Request, lang string, st *accounts.Staff, rv report.View) (*identityPanel, error) {
	if !rv.HasIdentity || rv.Identity != nil {
		return nil, nil
	}
	own, err := s.d.Cases.OwnIdentityRequests(r.Context(), st, rv.ID)
	if err != nil {
		return nil, err
	}
	p := &identityPanel{Action: withLang("/cases/"+url.PathEscape(rv.ID)+"/identity-requests", lang)}
	for _, q := range own {
		if q.State == store.IdentityPending {
			p.Action = ""
		}
		p.Requests = append(p.Requests, s.identityRow(r.Context(), st, lang, q))
	}
	if in, ok := r.Context().Value(identityInputKey{}).(identityInput); ok {
		p.Reason, p.Error = in.Reason, in.Error
	}
	return p, nil
}

func (s *Server) identityRow(ctx context.Context, st *accounts.Staff, lang string, q cases.IdentityRequestView) identityRequestRow {
	c := s.d.Catalog
	row := identityRequestRow{ID: q.ID, CaseNumber: q.CaseNumber, CaseURL: withLang("/cases/"+url.PathEscape(q.CaseID), lang),
		Requester: s.identityUserLabel(ctx, st.TenantID, q.RequesterID), StateID: q.State,
		State: c.T(lang, "staff.identity.state."+q.State), Reason: q.Reason, DecisionReason: q.DecisionReason,
		Time: q.CreatedAt, DecidedAt: q.DecidedAt}
	if q.DecidedBy != "" {
		row.DecidedBy = s.identityUserLabel(ctx, st.TenantID, q.DecidedBy)
	}
	if q.CanDecide {
		base := "/identity-requests/" + url.PathEscape(q.ID)
		row.ApproveAction, row.DenyAction = withLang(base+"/approve", lang), withLang(base+"/deny", lang)
	}
	return row
}

// identityUserLabel names a staff user by e-mail address, or by id if the
// user is gone.
func (s *Server) identityUserLabel(ctx context.Context, tenant, userID string) string {
	u, err := s.d.DB.UserByID(ctx, tenant, userID)
	if err != nil {
		return userID
	}
	return u.Email
}

// identityJournalRow fills a journal row for a request, decision or consent.
func (s *Server) identityJournalRow(ctx context.Context, st *accounts.Staff, lang string, row *journalRow, e cases.JournalView) {
	c := s.d.Catalog
	who := ""
	if e.UserID != "" {
		who = s.identityUserLabel(ctx, st.TenantID, e.UserID)
	}
	switch e.Action {
	case cases.IdentityActionConsent:
		row.Text = c.T(lang, "staff.journal.identity.consent")
	case cases.IdentityActionApprove:
		row.Text = c.T(lang, "staff.journal.identity.approve", who)
	case cases.IdentityActionDeny:
		row.Text = c.T(lang, "staff.journal.identity.deny", who)
	default:
		row.Text = c.T(lang, "staff.journal.identity.request", who)
	}
	row.Reason = e.Reason
}

// caseIdentityRequestSubmit: a handler asks for the identity of a case.
func (s *Server) caseIdentityRequestSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	reason := r.PostForm.Get("reason")
	_, err := s.d.Cases.RequestIdentity(r.Context(), st, id, reason)
	c := s.d.Catalog
	msg := ""
	status := http.StatusUnprocessableEntity
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#identity-title", http.StatusSeeOther)
		return
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
		return
	case errors.Is(err, cases.ErrReasonInvalid):
		msg = c.T(lang, "staff.identity.error.reason", report.MaxMessageLen)
	case errors.Is(err, cases.ErrNoCustodian):
		msg, status = c.T(lang, "staff.identity.error.no_custodian"), http.StatusConflict
	case errors.Is(err, cases.ErrRequestPending), errors.Is(err, cases.ErrIdentityReadable), errors.Is(err, cases.ErrNoIdentity):
		// The page shows the case as it is now.
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#identity-title", http.StatusSeeOther)
		return
	default:
		s.errorPage(w, r, lang, err, "/")
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), identityInputKey{}, identityInput{Reason: reason, Error: msg}))
	s.renderCase(w, r, lang, status, st, token, caseInput{Other: msg, OtherHref: "#identity-reason"})
}

// identityRequestsData is the custodians' page of pending requests.
type identityRequestsData struct {
	Custodian bool
	Pending   []identityRequestRow
	Own       []identityRequestRow
}

// identityDenyInputKey carries a rejected denial back to the page.
type identityDenyInputKey struct{}

type identityDenyInput struct{ ID, Reason, Error string }

func (s *Server) identityRequestsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderIdentityRequests(w, r, lang, http.StatusOK, st, token)
}

func (s *Server) renderIdentityRequests(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string) {
	custodian, err := s.d.Cases.IsCustodian(r.Context(), st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	pending, own, err := s.d.Cases.IdentityRequests(r.Context(), st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.identity.requests.title")
	d := identityRequestsData{Custodian: custodian}
	in, _ := r.Context().Value(identityDenyInputKey{}).(identityDenyInput)
	for _, q := range pending {
		row := s.identityRow(r.Context(), st, lang, q)
		if in.ID == q.ID {
			row.DenyReason, row.DenyError = in.Reason, in.Error
			v.Errors = append(v.Errors, errorItem{Href: "#deny-" + q.ID, Text: in.Error})
		}
		d.Pending = append(d.Pending, row)
	}
	for _, q := range own {
		d.Own = append(d.Own, s.identityRow(r.Context(), st, lang, q))
	}
	v.Data = d
	s.pages.render(w, r, status, "identity_requests", v)
}

func (s *Server) identityApproveSubmit(w http.ResponseWriter, r *http.Request) {
	s.identityDecideSubmit(w, r, true)
}

func (s *Server) identityDenySubmit(w http.ResponseWriter, r *http.Request) {
	s.identityDecideSubmit(w, r, false)
}

func (s *Server) identityDecideSubmit(w http.ResponseWriter, r *http.Request, approve bool) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	rid := r.PathValue("rid")
	reason := r.PostForm.Get("reason")
	err := s.d.Cases.DecideIdentity(r.Context(), st, rid, approve, reason)
	switch {
	case err == nil, errors.Is(err, cases.ErrDecided):
		http.Redirect(w, r, withLang("/identity-requests", lang), http.StatusSeeOther)
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
	case errors.Is(err, cases.ErrReasonInvalid):
		r = r.WithContext(context.WithValue(r.Context(), identityDenyInputKey{},
			identityDenyInput{ID: rid, Reason: reason, Error: s.d.Catalog.T(lang, "staff.identity.error.reason", report.MaxMessageLen)}))
		s.renderIdentityRequests(w, r, lang, http.StatusUnprocessableEntity, st, token)
	default:
		s.errorPage(w, r, lang, identityProblem(err), "/identity-requests")
	}
}

// ---- Whistleblower consent on the status page ----

// identityConsentData is the consent section of the status page.
type identityConsentData struct {
	Action string
	Given  []time.Time
}

// identityConsent builds the status page's consent section; nil when the
// report has no identity answers.
func (s *Server) identityConsent(r *http.Request, lang string, wb *intake.Whistleblower) (*identityConsentData, error) {
	if len(wb.Report.IdentityAnswers) == 0 {
		return nil, nil
	}
	consents, err := s.d.Intake.Consents(r.Context(), wb)
	if err != nil {
		return nil, err
	}
	d := &identityConsentData{Action: withLang("/status/identity-consent", lang)}
	for _, c := range consents {
		d.Given = append(d.Given, c.At)
	}
	return d, nil
}

func (s *Server) wbIdentityConsentSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		http.Redirect(w, r, withLang("/status", lang)+"#identity-consent-title", http.StatusSeeOther)
		return
	}
	if _, err := s.d.Intake.ConsentIdentity(r.Context(), wb); err != nil && !errors.Is(err, intake.ErrNoIdentity) {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	http.Redirect(w, r, withLang("/status", lang)+"#identity-consent-title", http.StatusSeeOther)
}
