package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The DPO's dashboard on the staff site: what falls due across the
// registers, as counts and links, with a "mark reviewed" button per
// register entry. Admins and the DPO only.

type dashReviewRow struct {
	Register, ID, Label, Owner string
	URL                        string // the entry's page (registerEntryURL)
	Due                        dueView
}

type dashLinkRow struct {
	URL, Title string
	Due        dueView
	Note       string
}

type dashboardData struct {
	BackURL         string
	ReviewAction    string
	CSRF, Lang      string
	Reviews         []dashReviewRow
	ReviewsOverdue  int
	ReviewsDueSoon  int
	NoReviewDate    int
	AccessOverdue   bool
	AccessLate      bool
	AccessNext      string
	Requests        []dashLinkRow
	RequestsOverdue int
	RequestsDueSoon int
	Breaches        []dashLinkRow
	BreachesOverdue int
	NoticesOverdue  int
	NoticesDue      int
	Pending         []string
	DeclarationsURL string
	ExportPDF       string
	Nothing         bool
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderDashboard(w, r, lang, http.StatusOK, st, token, loc, "")
}

func (s *Server) renderDashboard(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, other string) {
	ctx := r.Context()
	pv := s.privacy()
	dash, err := pv.Dashboard(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers")
		return
	}
	v := s.staffView(r, lang, token, "staff.dashboard.title")
	if other != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#reviews-title", Text: other})
	}
	p := &regPage{s: s, v: v, loc: loc, lang: lang}
	d := dashboardData{BackURL: withLang("/registers", lang), ReviewAction: withLang("/registers/dashboard/reviewed", lang),
		CSRF: v.CSRF, Lang: lang, ReviewsOverdue: dash.ReviewsOverdue, ReviewsDueSoon: dash.ReviewsDueSoon,
		NoReviewDate: dash.EntriesNoReview, AccessOverdue: dash.AccessReviewOverdue, AccessLate: dash.AccessReviewLate,
		RequestsOverdue: dash.RequestsOverdue, RequestsDueSoon: dash.RequestsDueSoon, BreachesOverdue: dash.BreachesOverdue,
		NoticesOverdue: dash.NotificationsOverdue, NoticesDue: dash.NotificationsDue,
		DeclarationsURL: withLang("/registers/declarations", lang), ExportPDF: withLang("/registers/export.pdf", lang)}
	if dash.AccessReviewNextDue != nil {
		d.AccessNext = formatDay(*dash.AccessReviewNextDue, loc)
	}
	for _, e := range dash.Reviews {
		d.Reviews = append(d.Reviews, dashReviewRow{Register: e.Register, ID: e.ID, URL: registerEntryURL(e.Register, e.ID, lang),
			Label: p.name("staff.dashboard.register.", e.Register) + " · " + e.ID,
			Owner: emails[e.OwnerID], Due: p.due("staff.dashboard.review_by", e.DueAt, e.Overdue, privacy.ReviewWarnWithin, true)})
	}
	for _, q := range dash.Requests {
		d.Requests = append(d.Requests, dashLinkRow{URL: withLang("/registers/requests/"+url.PathEscape(q.ID), lang),
			Title: p.name("staff.registers.request.type.", q.Type),
			Due:   p.due("staff.registers.request.answer_by", q.DueAt, q.Overdue, requestWarnBefore, true)})
	}
	for _, b := range dash.Breaches {
		row := dashLinkRow{URL: withLang("/registers/breaches/"+url.PathEscape(b.ID), lang),
			Title: p.t("staff.dashboard.breach", p.when(b.AwareAt), p.name("staff.registers.risk.", b.Risk))}
		row.Due = p.due("staff.registers.breach.notify_by", b.NotifyDue, b.Overdue, breachWarnBefore, false)
		if b.SubjectNoticeMissing {
			row.Note = p.t("staff.dashboard.subject_notice_missing")
		}
		d.Breaches = append(d.Breaches, row)
	}
	for _, id := range dash.RetentionPending {
		d.Pending = append(d.Pending, strings.ReplaceAll(id, "/", " · "))
	}
	d.Nothing = len(d.Reviews) == 0 && !d.AccessOverdue && !d.AccessLate && len(d.Requests) == 0 && len(d.Breaches) == 0 &&
		d.NoticesOverdue == 0 && d.NoticesDue == 0 && len(d.Pending) == 0
	v.Data = d
	s.pages.render(w, r, status, "registers_dashboard", v)
}

// dashboardReviewedSubmit marks one register entry reviewed; the next
// review date is the default (a year on).
func (s *Server) dashboardReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	register, id := r.PostForm.Get("register"), r.PostForm.Get("id")
	if !slices.Contains(privacy.ReviewableRegisters, register) || id == "" {
		s.renderDashboard(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, s.d.Catalog.T(lang, "staff.registers.error.invalid_request"))
		return
	}
	if _, err := s.privacy().MarkReviewed(r.Context(), st, register, id, privacy.MarkReviewed{}); err != nil {
		s.registersFailed(w, r, lang, err, "/registers/dashboard")
		return
	}
	http.Redirect(w, r, withLang("/registers/dashboard", lang), http.StatusSeeOther)
}

// registersPDF answers with every register as one PDF for the
// supervisory authority (privacy/pdf.go).
func (s *Server) registersPDF(w http.ResponseWriter, r *http.Request, st *accounts.Staff) {
	b, err := s.privacy().ExportRegistersPDF(r.Context(), st)
	if err != nil {
		if isAPI(r) {
			s.fail(w, r, err)
		} else {
			s.registersFailed(w, r, pageLang(r, ""), err, "/registers")
		}
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="gdpr-registers.pdf"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) registersPDFDownload(w http.ResponseWriter, r *http.Request) {
	st, _, _, _ := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.registersPDF(w, r, st)
}
