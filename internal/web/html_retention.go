package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// Retention on the staff site (RT-1, RT-2, RT-4, JR-4).
//
// /registers/retention, for admins and the DPO: the policy of every
// channel and data category (an admin sets and confirms the period; the
// job deletes nothing under an unconfirmed policy), its owner and next
// review, the cases that expire within the warning window and the
// deletion records. /cases/{id}/retention, for whoever may open the case:
// its expiry, the legal hold, the one extension and the purge of
// manifestly irrelevant messages and files. Every change is audited and
// journaled by the domain (internal/cases/retention.go).

// channelNames maps channel ids to their names in lang.
func (s *Server) channelNames(ctx context.Context, tenant, lang string) (map[string]string, error) {
	chs, err := s.d.DB.Channels(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(chs))
	for _, c := range chs {
		var t questionnaire.Text
		if json.Unmarshal([]byte(c.Name), &t) == nil && t.In(lang) != "" {
			out[c.ID] = t.In(lang)
		} else {
			out[c.ID] = c.ID
		}
	}
	return out, nil
}

type policyRow struct {
	ID, Channel, Category string
	Months                int
	Status                string
	Pending               bool // the admin has not confirmed the period
	Owner                 string
	Due                   *dueView
	Form                  *regFormView // admins: change and confirm
	Review                regFormView
}

type upcomingRow struct {
	CaseNumber int64
	URL        string
	Channel    string
	Closed     string
	Due        dueView
	Notes      []string
}

type deletionRow struct {
	Category   string
	CaseNumber int64
	Channel    string
	Deleted    string
	DeletedISO string
	Basis      string
	Policy     string
	Request    *regLink
	Export     string
}

type retentionData struct {
	BackURL, DashboardURL string
	Admin                 bool
	DefaultMonths, Grace  int
	Policies              []policyRow
	Upcoming              []upcomingRow
	Deletions             []deletionRow
}

func (s *Server) retentionPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRetention(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func policyForm(id string) string { return "policy-" + strings.ReplaceAll(id, "/", "-") }
func policyReviewForm(id string) string {
	return "policy-review-" + strings.ReplaceAll(id, "/", "-")
}

func (s *Server) renderRetention(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	ctx := r.Context()
	pols, err := s.privacy().RetentionPolicies(ctx, st)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	up, err := s.retention().Upcoming(ctx, st)
	if err != nil {
		s.errorPage(w, r, lang, retentionProblem(err), "/registers")
		return
	}
	dels, err := s.retention().Deletions(ctx, st)
	if err != nil {
		s.errorPage(w, r, lang, retentionProblem(err), "/registers")
		return
	}
	names, err := s.channelNames(ctx, st.TenantID, lang)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers")
		return
	}
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers")
		return
	}
	var owners []option
	if users, err := s.d.DB.Users(ctx, st.TenantID); err != nil {
		s.errorPage(w, r, lang, err, "/registers")
		return
	} else {
		for _, u := range users {
			if u.DisabledAt.IsZero() {
				owners = append(owners, option{Value: u.ID, Label: u.Email + " (" + s.roleName(lang, u.Role) + ")"})
			}
		}
	}
	v := s.staffView(r, lang, token, "staff.retention.title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	d := retentionData{BackURL: withLang("/registers", lang), DashboardURL: withLang("/registers/dashboard", lang),
		Admin: st.Role == accounts.RoleAdmin, DefaultMonths: retention.DefaultMonths, Grace: int(retention.Grace.Hours() / 24)}
	for _, pol := range pols {
		row := policyRow{ID: pol.ID, Channel: names[pol.ChannelID], Category: p.name("staff.retention.category.", pol.Category),
			Months: pol.Months, Pending: !pol.Confirmed, Owner: emails[pol.OwnerID]}
		switch {
		case pol.Confirmed && pol.ConfirmedAt != nil:
			row.Status = p.t("staff.retention.confirmed_on", formatDay(*pol.ConfirmedAt, loc))
		case pol.Default:
			row.Status = p.t("staff.retention.default_unconfirmed")
		default:
			row.Status = p.t("staff.retention.unconfirmed")
		}
		if pol.ReviewAt != nil {
			due := p.due("staff.dashboard.review_by", *pol.ReviewAt, pol.ReviewOverdue, privacy.ReviewWarnWithin, true)
			row.Due = &due
		}
		path := "/registers/retention/policies/" + url.PathEscape(pol.ChannelID) + "/" + url.PathEscape(pol.Category)
		if d.Admin {
			fid := policyForm(pol.ID)
			// The stored values fill the form unless this one was posted.
			fp := p
			if in == nil || in.Form != fid {
				vals := url.Values{"months": {strconv.Itoa(pol.Months)}, "owner_id": {pol.OwnerID}}
				if pol.ReviewAt != nil {
					vals.Set("review_at", formatDay(*pol.ReviewAt, loc))
				}
				fp = &regPage{s: s, v: v, in: &regInput{Form: fid, Values: vals, Errors: map[string]string{}}, loc: loc, lang: lang}
			}
			months := fp.field(fid, "months", "number", "staff.retention.months", "staff.retention.months.help", true)
			confirm := fp.field(fid, "confirm", "checkbox", "staff.retention.confirm", "", true)
			confirm.Optional = ""
			owner := fp.field(fid, "owner_id", "select", "staff.regitems.owner", "", false)
			owner.Options = markSelected(owners, owner.Value)
			form := fp.form(fid, "staff.retention.policy.title", "staff.retention.policy.submit", path, months, confirm, owner,
				fp.field(fid, "review_at", "date", "staff.regitems.review_at", "", false))
			form.Title = p.t("staff.retention.policy.title", row.Channel, row.Category)
			form.Secondary = !row.Pending
			row.Form = &form
		}
		rid := policyReviewForm(pol.ID)
		row.Review = p.form(rid, "staff.regitems.review.title", "staff.dashboard.mark_reviewed", path+"/reviewed",
			p.field(rid, "next_review_at", "date", "staff.regitems.review.next", "staff.regitems.review.next.help", false))
		row.Review.Title = p.t("staff.retention.review.title", row.Channel, row.Category)
		row.Review.Secondary = true
		d.Policies = append(d.Policies, row)
	}
	for _, u := range up {
		row := upcomingRow{CaseNumber: u.CaseNumber, Channel: names[u.ChannelID], Closed: formatDay(u.ClosedAt, loc)}
		// Link the case only for those who can open it: the DPO never
		// can, an admin only where they hold the case key.
		if st.Role != accounts.RoleDPO {
			_, err := s.d.DB.ReportKey(ctx, st.TenantID, u.ReportID, store.KeyReport, store.HolderUser, st.UserID)
			switch {
			case err == nil:
				row.URL = withLang("/cases/"+url.PathEscape(u.ReportID)+"/retention", lang)
			case !errors.Is(err, store.ErrNotFound):
				s.errorPage(w, r, lang, err, "/registers")
				return
			}
		}
		row.Due = p.due("staff.retention.deleted_on", u.ExpiresAt, !u.ExpiresAt.After(s.d.Now()), retention.WarnWithin, true)
		if !u.Confirmed {
			row.Notes = append(row.Notes, p.t("staff.retention.note.unconfirmed"))
		}
		if u.Extended {
			row.Notes = append(row.Notes, p.t("staff.retention.note.extended"))
		}
		d.Upcoming = append(d.Upcoming, row)
	}
	for _, x := range dels {
		row := deletionRow{Category: p.name("staff.retention.category.", x.Category), CaseNumber: x.CaseNumber,
			Channel: names[x.ChannelID], Deleted: p.when(x.DeletedAt), DeletedISO: x.DeletedAt.UTC().Format(time.RFC3339),
			Basis: p.name("staff.retention.basis.", x.Basis)}
		if row.Channel == "" {
			row.Channel = x.ChannelID
		}
		if x.PolicyMonths > 0 {
			row.Policy = p.t("staff.retention.policy.months", names[x.PolicyChannelID], x.PolicyMonths)
			if x.PolicyConfirmedAt != nil {
				row.Policy += " " + p.t("staff.retention.confirmed_on", formatDay(*x.PolicyConfirmedAt, loc))
			}
		}
		if x.RequestID != "" {
			row.Request = &regLink{URL: withLang("/registers/requests/"+url.PathEscape(x.RequestID), lang), Text: x.RequestID}
		}
		if x.ExportID != "" {
			row.Export = x.ExportID
		}
		d.Deletions = append(d.Deletions, row)
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_retention", v)
}

// retentionPolicySubmit sets one channel's period, its confirmation,
// owner and next review (admins only). The fields are checked before
// anything is stored, so a bad input changes nothing.
func (s *Server) retentionPolicySubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	if st.Role != accounts.RoleAdmin {
		s.pages.message(w, r, http.StatusForbidden, lang, "staff.registers.forbidden.title", "/registers/retention", "staff.registers.back", "staff.retention.admin_only")
		return
	}
	c := s.d.Catalog
	channel, category := r.PathValue("channel"), r.PathValue("category")
	id := channel + "/" + category
	in := newInput(policyForm(id), r.PostForm, "months", "confirm", "owner_id", "review_at")
	months, err := strconv.Atoi(strings.TrimSpace(in.Values.Get("months")))
	if err != nil || months < 1 || months > retention.MaxMonths {
		in.fail("months", c.T(lang, "staff.retention.error.months", retention.MaxMonths))
	}
	if in.Values.Get("confirm") == "" {
		in.fail("confirm", c.T(lang, "staff.retention.error.confirm"))
	}
	owner := strings.TrimSpace(in.Values.Get("owner_id"))
	if owner != "" {
		if u, err := s.d.DB.UserByID(r.Context(), st.TenantID, owner); err != nil || !u.DisabledAt.IsZero() {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				s.errorPage(w, r, lang, err, "/registers/retention")
				return
			}
			in.fail("owner_id", c.T(lang, "staff.registers.error.field.owner_id"))
		}
	}
	var review time.Time
	if v := strings.TrimSpace(in.Values.Get("review_at")); v != "" {
		t, ok := parseLocal(v, loc, true)
		if !ok || !t.After(s.d.Now()) {
			in.fail("review_at", c.T(lang, "staff.registers.error.field.next_review_at"))
		}
		review = t
	}
	if !slices.Contains(retention.Categories, category) {
		s.pages.notFound(w, r)
		return
	}
	if len(in.Errors) > 0 {
		s.renderRetention(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if _, err := s.retention().SetPolicy(r.Context(), st, retention.PolicyChange{ChannelID: channel, Category: category,
		Months: months, Confirm: true}); err != nil {
		if errors.Is(err, retention.ErrInvalidPolicy) {
			s.pages.notFound(w, r) // the channel does not exist
			return
		}
		s.errorPage(w, r, lang, retentionProblem(err), "/registers/retention")
		return
	}
	// Keep the current review date unless a new one was given; a new
	// owner or date is stored with the policy's review schedule.
	if owner != "" || !review.IsZero() {
		if _, err := s.privacy().SetPolicySchedule(r.Context(), st, id, privacy.PolicySchedule{OwnerID: owner, ReviewAt: review}); err != nil {
			s.registersFailed(w, r, lang, err, "/registers/retention")
			return
		}
	}
	http.Redirect(w, r, withLang("/registers/retention", lang), http.StatusSeeOther)
}

// retentionPolicyReviewedSubmit records a review of a policy.
func (s *Server) retentionPolicyReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("channel") + "/" + r.PathValue("category")
	in := newInput(policyReviewForm(id), r.PostForm, "next_review_at")
	var next time.Time
	if v := strings.TrimSpace(in.Values.Get("next_review_at")); v != "" {
		t, ok := parseLocal(v, loc, true)
		if !ok || !t.After(s.d.Now()) {
			in.fail("next_review_at", s.d.Catalog.T(lang, "staff.registers.error.field.next_review_at"))
			s.renderRetention(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
			return
		}
		next = t
	}
	if _, err := s.privacy().MarkReviewed(r.Context(), st, store.RegisterRetentionPolicy, id, privacy.MarkReviewed{NextReviewAt: next}); err != nil {
		s.registersFailed(w, r, lang, err, "/registers/retention")
		return
	}
	http.Redirect(w, r, withLang("/registers/retention", lang), http.StatusSeeOther)
}

// ---- a case's retention ----

type caseRetentionData struct {
	BackURL    string
	CaseNumber int64
	Open       bool
	Expiry     *dueView
	Policy     string
	Held       bool
	HeldSince  string
	Extended   int
	Hold       *regFormView
	Release    *regFormView
	Extend     *regFormView
	Purge      regFormView
	Nothing    bool // no messages or files to purge
}

func (s *Server) caseRetentionPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	s.renderCaseRetention(w, r, lang, http.StatusOK, st, token, nil)
}

func (s *Server) renderCaseRetention(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, in *regInput) {
	ctx := r.Context()
	id := r.PathValue("id")
	rv, err := s.d.Cases.Open(ctx, st, id)
	if s.pageFailed(w, r, lang, err, "/") {
		return
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	rc, err := s.d.DB.RetentionCase(ctx, st.TenantID, id)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	exp, confirmed, err := s.retention().CaseExpiry(ctx, id)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.retention.case.title", rv.CaseNumber)
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	base := "/cases/" + url.PathEscape(id)
	d := caseRetentionData{BackURL: withLang(base, lang), CaseNumber: rv.CaseNumber, Open: rc.ClosedAt.IsZero(), Held: rc.Held,
		Extended: rc.ExtensionMonths}
	if !exp.IsZero() {
		due := p.due("staff.retention.deleted_on", exp, !exp.After(s.d.Now()), retention.WarnWithin, true)
		d.Expiry = &due
	}
	if confirmed {
		d.Policy = p.t("staff.retention.case.policy_confirmed")
	} else {
		d.Policy = p.t("staff.retention.case.policy_unconfirmed")
	}
	if rc.Held {
		if h, err := s.d.DB.Hold(ctx, st.TenantID, id); err == nil {
			d.HeldSince = formatDay(h.PlacedAt, loc)
		}
		form := p.form("release", "staff.retention.release.title", "staff.retention.release.submit", base+"/retention/release",
			p.field("release", "reason", "textarea", "staff.retention.release.reason", "", false))
		form.Secondary = true
		d.Release = &form
	} else {
		form := p.form("hold", "staff.retention.hold.title", "staff.retention.hold.submit", base+"/retention/hold",
			p.field("hold", "reason", "textarea", "staff.retention.hold.reason", "staff.retention.hold.reason.help", true))
		form.Help = p.t("staff.retention.hold.help")
		d.Hold = &form
	}
	if rc.ExtensionMonths == 0 {
		months := make([]string, cases.MaxRetentionExtensionMonths)
		for i := range months {
			months[i] = strconv.Itoa(i + 1)
		}
		m := p.field("extend", "months", "select", "staff.retention.extend.months", "", true)
		m.Options = append([]option{{Value: "", Label: p.t("staff.registers.choose"), Selected: m.Value == ""}}, optionsOf(months, m.Value)...)
		form := p.form("extend", "staff.retention.extend.title", "staff.retention.extend.submit", base+"/retention/extend", m,
			p.field("extend", "reason", "textarea", "staff.retention.extend.reason", "", true))
		form.Help = p.t("staff.retention.extend.help")
		form.Secondary = true
		d.Extend = &form
	}
	var msgs, files []option
	for _, m := range rv.Messages {
		author := p.t("staff.from.whistleblower")
		if m.AuthorType == store.AuthorStaff {
			author = p.t("report.from.handler")
		}
		text := m.Text
		if rs := []rune(text); len(rs) > 120 {
			text = string(rs[:120]) + "…"
		}
		msgs = append(msgs, option{Value: m.ID, Label: author + " · " + p.when(m.CreatedAt) + ": " + text})
	}
	for _, f := range rv.Files {
		files = append(files, option{Value: f.ID, Label: f.Name + " (" + formatSize(f.Size) + ", " + p.when(f.CreatedAt) + ")"})
	}
	d.Nothing = len(msgs)+len(files) == 0
	purgeFields := []regField{}
	if len(msgs) > 0 {
		purgeFields = append(purgeFields, p.checks("purge", "message_ids", "staff.retention.purge.messages", msgs))
	}
	if len(files) > 0 {
		purgeFields = append(purgeFields, p.checks("purge", "file_ids", "staff.retention.purge.files", files))
	}
	purgeFields = append(purgeFields, p.field("purge", "reason", "textarea", "staff.retention.purge.reason", "staff.retention.purge.reason.help", true))
	d.Purge = p.form("purge", "staff.retention.purge.title", "staff.retention.purge.submit", base+"/retention/purge", purgeFields...)
	d.Purge.Help = p.t("staff.retention.purge.help")
	d.Purge.Secondary = true
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_case_retention", v)
}

// caseRetentionStep posts one form of the case's retention page; call
// returns the domain's error, which is turned into a form error when it
// is one.
func (s *Server) caseRetentionStep(w http.ResponseWriter, r *http.Request, form string, order []string,
	call func(st *accounts.Staff, lang string, in *regInput) error) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	in := newInput(form, r.PostForm, order...)
	err := call(st, lang, in)
	if err == nil && (len(in.Errors) > 0 || in.Other != "") {
		s.renderCaseRetention(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
		return
	}
	status := http.StatusUnprocessableEntity
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(r.PathValue("id"))+"/retention", lang), http.StatusSeeOther)
		return
	case isHidden(err):
		s.pages.notFound(w, r)
		return
	case errors.Is(err, cases.ErrReasonRequired):
		in.fail("reason", c.T(lang, "staff.registers.error.field.reason"))
	case errors.Is(err, cases.ErrInvalidNote):
		in.fail("reason", c.T(lang, "staff.retention.error.reason_text"))
	case errors.Is(err, cases.ErrInvalidRetention):
		in.fail("months", c.T(lang, "staff.retention.error.extend_months", cases.MaxRetentionExtensionMonths))
	case errors.Is(err, cases.ErrInvalidPurge):
		in.Other = c.T(lang, "staff.retention.error.purge_select")
	case errors.Is(err, cases.ErrHoldExists), errors.Is(err, cases.ErrNoHold), errors.Is(err, cases.ErrAlreadyExtended):
		in.Other, status = c.T(lang, "staff.retention.error.changed"), http.StatusConflict
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id")))
		return
	}
	s.renderCaseRetention(w, r, lang, status, st, token, in)
}

func (s *Server) caseHoldSubmit(w http.ResponseWriter, r *http.Request) {
	s.caseRetentionStep(w, r, "hold", []string{"reason"}, func(st *accounts.Staff, lang string, in *regInput) error {
		return s.d.Cases.PlaceHold(r.Context(), st, r.PathValue("id"), in.Values.Get("reason"))
	})
}

func (s *Server) caseHoldReleaseSubmit(w http.ResponseWriter, r *http.Request) {
	s.caseRetentionStep(w, r, "release", []string{"reason"}, func(st *accounts.Staff, lang string, in *regInput) error {
		return s.d.Cases.ReleaseHold(r.Context(), st, r.PathValue("id"), in.Values.Get("reason"))
	})
}

func (s *Server) caseRetentionExtendSubmit(w http.ResponseWriter, r *http.Request) {
	s.caseRetentionStep(w, r, "extend", []string{"months", "reason"}, func(st *accounts.Staff, lang string, in *regInput) error {
		months, err := strconv.Atoi(in.Values.Get("months"))
		if err != nil || months < 1 || months > cases.MaxRetentionExtensionMonths {
			in.fail("months", s.d.Catalog.T(lang, "staff.retention.error.extend_months", cases.MaxRetentionExtensionMonths))
		}
		if strings.TrimSpace(in.Values.Get("reason")) == "" {
			in.fail("reason", s.d.Catalog.T(lang, "staff.registers.error.field.reason"))
		}
		if len(in.Errors) > 0 {
			return nil
		}
		return s.d.Cases.ExtendRetention(r.Context(), st, r.PathValue("id"), months, in.Values.Get("reason"))
	})
}

func (s *Server) casePurgeSubmit(w http.ResponseWriter, r *http.Request) {
	s.caseRetentionStep(w, r, "purge", []string{"message_ids", "file_ids", "reason"}, func(st *accounts.Staff, lang string, in *regInput) error {
		if len(in.Values["message_ids"])+len(in.Values["file_ids"]) == 0 {
			in.Other = s.d.Catalog.T(lang, "staff.retention.error.purge_select")
		}
		if strings.TrimSpace(in.Values.Get("reason")) == "" {
			in.fail("reason", s.d.Catalog.T(lang, "staff.registers.error.field.reason"))
		}
		if len(in.Errors) > 0 || in.Other != "" {
			return nil
		}
		return s.d.Cases.Purge(r.Context(), st, r.PathValue("id"), in.Values["message_ids"], in.Values["file_ids"], in.Values.Get("reason"))
	})
}
