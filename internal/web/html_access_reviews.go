package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The quarterly access review on the staff site (AR-1): the campaigns,
// with an overdue review flagged, and a campaign's page listing every user
// with their role, channels, case keys and last activity, where a
// reviewer keeps, revokes the role of or disables each. The service
// audits every decision; a revocation or disabling takes effect at once.
// Admins and the DPO only.

type reviewRow struct {
	URL, Started, StartedISO string
	Due                      dueView
	Completed                string
	Pending                  int
}

type accessReviewsData struct {
	BackURL, DashboardURL string
	Overdue               bool
	LastCompleted         string
	NextDue               *dueView
	Open                  string // URL of the open campaign
	Rows                  []reviewRow
	Start                 *regFormView
}

func (p *regPage) reviewRow(rv privacy.AccessReviewView) reviewRow {
	row := reviewRow{URL: withLang("/registers/access-reviews/"+url.PathEscape(rv.ID), p.lang), Started: formatDay(rv.StartedAt, p.loc),
		StartedISO: rv.StartedAt.UTC().Format(time.RFC3339), Pending: rv.Pending}
	row.Due = p.due("staff.reviews.complete_by", rv.DueAt, rv.Late, 7*24*time.Hour, true)
	if rv.CompletedAt != nil {
		row.Completed = formatDay(*rv.CompletedAt, p.loc)
		row.Due.Status, row.Due.Class = "", ""
	}
	return row
}

func (s *Server) accessReviewsPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderAccessReviews(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderAccessReviews(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	state, err := s.privacy().AccessReviews(r.Context(), st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	v := s.staffView(r, lang, token, "staff.reviews.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := accessReviewsData{BackURL: withLang("/registers", lang), DashboardURL: withLang("/registers/dashboard", lang), Overdue: state.Overdue}
	if state.LastCompletedAt != nil {
		d.LastCompleted = formatDay(*state.LastCompletedAt, loc)
	}
	if state.NextDueAt != nil {
		due := p.due("staff.reviews.next_by", *state.NextDueAt, state.Overdue, 14*24*time.Hour, true)
		d.NextDue = &due
	}
	for _, rv := range state.Reviews {
		d.Rows = append(d.Rows, p.reviewRow(rv))
		if rv.Open {
			d.Open = withLang("/registers/access-reviews/"+url.PathEscape(rv.ID), lang)
		}
	}
	if d.Open == "" {
		form := p.form("start", "staff.reviews.start.title", "staff.reviews.start.submit", "/registers/access-reviews")
		form.Help = p.t("staff.reviews.start.help")
		d.Start = &form
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_reviews", v)
}

func (s *Server) accessReviewStartSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	rv, err := s.privacy().StartAccessReview(r.Context(), st)
	if err != nil {
		in := newInput("start", r.PostForm)
		if status, ok := s.formError(lang, err, in); ok {
			s.renderAccessReviews(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/access-reviews")
		return
	}
	http.Redirect(w, r, withLang("/registers/access-reviews/"+url.PathEscape(rv.ID), lang), http.StatusSeeOther)
}

type reviewLineRow struct {
	ID           string // anchor of the row, for the error summary
	Email        string
	Role         string
	CurrentRole  string // when it changed since the campaign started
	Disabled     bool
	Channels     string
	CaseKeys     int
	LastActivity string
	Dormant      bool // no recorded activity for a review period or more
	Decision     string
	DecidedBy    string
	DecidedAt    string
	Action       string // form action when the line is still open
	Self         bool   // the reviewer's own line: only "keep"
	Error        string
}

type accessReviewData struct {
	BackURL      string
	Started, Due string
	Late, Open   bool
	Completed    string
	Pending      int
	Lines        []reviewLineRow
	CSRF, Lang   string
}

func (s *Server) accessReviewPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderAccessReview(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderAccessReview(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	ctx := r.Context()
	rv, err := s.privacy().AccessReview(ctx, st, r.PathValue("id"))
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers/access-reviews")
		return
	}
	last, err := s.d.DB.StaffLastActivity(ctx, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers/access-reviews")
		return
	}
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers/access-reviews")
		return
	}
	v := s.staffView(r, lang, token, "staff.reviews.page", formatDay(rv.StartedAt, loc))
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := accessReviewData{BackURL: withLang("/registers/access-reviews", lang), Started: formatDay(rv.StartedAt, loc),
		Due: formatDay(rv.DueAt, loc), Late: rv.Late, Open: rv.Open, Pending: rv.Pending, CSRF: v.CSRF, Lang: lang}
	if rv.CompletedAt != nil {
		d.Completed = formatDay(*rv.CompletedAt, loc)
	}
	now := s.d.Now()
	base := "/registers/access-reviews/" + url.PathEscape(rv.ID) + "/lines/"
	for i, l := range rv.Lines {
		row := reviewLineRow{ID: "line-" + strconv.Itoa(i+1), Email: l.Email, Role: s.roleName(lang, l.Role), Disabled: l.Disabled,
			CaseKeys: l.CaseKeys, Self: l.UserID == st.UserID}
		if row.Email == "" {
			row.Email = p.t("staff.reviews.deleted_user")
		}
		if l.CurrentRole != "" && l.CurrentRole != l.Role {
			row.CurrentRole = s.roleName(lang, l.CurrentRole)
		}
		row.Channels = strings.Join(l.Channels, ", ")
		if at, ok := last[l.UserID]; ok {
			row.LastActivity = formatDay(at, loc)
			row.Dormant = now.Sub(at) > time.Duration(privacy.ReviewPeriodMonths)*30*24*time.Hour
		} else {
			row.LastActivity, row.Dormant = p.t("staff.reviews.never"), true
		}
		if l.Decision != "" {
			row.Decision = p.t("staff.reviews.decision." + l.Decision)
			row.DecidedBy = emails[l.DecidedBy]
			if l.DecidedAt != nil {
				row.DecidedAt = formatDay(*l.DecidedAt, loc)
			}
		} else if rv.Open {
			row.Action = withLang(base+url.PathEscape(l.UserID), lang)
		}
		if in != nil && in.Form == l.UserID && in.Other != "" {
			row.Error = in.Other
			v.Errors = append(v.Errors, errorItem{Href: "#" + row.ID, Text: in.Other})
		}
		d.Lines = append(d.Lines, row)
	}
	v.Data = d
	s.pages.render(w, r, status, "registers_review", v)
}

// accessReviewAttestSubmit records the decision on one line: keep,
// revoke-role (the user becomes a handler) or disable.
func (s *Server) accessReviewAttestSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	user := r.PathValue("user")
	in := newInput(user, r.PostForm)
	decision := r.PostForm.Get("decision")
	switch decision {
	case privacy.DecisionKeep, privacy.DecisionRevokeRole, privacy.DecisionDisable:
	default:
		in.Other = s.d.Catalog.T(lang, "staff.reviews.error.decision")
		s.renderAccessReview(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	_, err := s.privacy().Attest(r.Context(), st, r.PathValue("id"), user, privacy.Attestation{Decision: decision})
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			if in.Other == "" {
				in.Other = s.d.Catalog.T(lang, "staff.registers.error.invalid_request")
			}
			s.renderAccessReview(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/access-reviews")
		return
	}
	http.Redirect(w, r, withLang("/registers/access-reviews/"+url.PathEscape(r.PathValue("id")), lang), http.StatusSeeOther)
}
