package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// Staff pages of the records of processing, processors, DPIAs, risks
// (RP-1, RP-2, RK-1, RK-2), access reviews (AR-1) and retention (RT-1,
// RT-2, RT-4, JR-4), on both engines, through the real handler with the
// cookie session and CSRF token.

// regEnv is an apiEnv with an admin and a DPO signed in by cookie.
type regEnv struct {
	*apiEnv
	h            http.Handler
	admin, dpo   *http.Cookie
	handler      *http.Cookie
	adminCSRF    string
	adminID      string
	dpoID        string
	handlerToken string
}

func newRegEnv(t *testing.T, d store.Dialect) *regEnv {
	e := newAPIEnv(t, d)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
	r := &regEnv{apiEnv: e, h: e.srv.Staff()}
	r.admin, r.dpo, r.handler = e.staffCookieLogin(admin), e.staffCookieLogin(dpo), e.staffCookieLogin(e.handler)
	r.adminCSRF = csrfToken(r.admin.Value)
	r.adminID = e.userIDIn(org.DefaultTenant, "admin@example.org")
	r.dpoID = e.userIDIn(org.DefaultTenant, "dpo@example.org")
	r.handlerToken = e.staffLogin(e.handler)
	return r
}

func (r *regEnv) get(t *testing.T, path string, c *http.Cookie) (int, string) {
	t.Helper()
	res, body := htmlDo(t, r.h, htmlGet(path, c))
	return res.StatusCode, body
}

// post sends a form with the CSRF token of c and lang=en.
func (r *regEnv) post(t *testing.T, path string, c *http.Cookie, form url.Values) (int, string, string) {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", csrfToken(c.Value))
	form.Set("lang", "en")
	res, body := htmlDo(t, r.h, htmlPostForm(path, form, c))
	return res.StatusCode, body, strings.SplitN(res.Header.Get("Location"), "?", 2)[0]
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, got, want, body)
	}
}

func (r *regEnv) itemCount(t *testing.T, register string) int {
	t.Helper()
	items, err := r.db.RegisterItems(context.Background(), org.DefaultTenant, register, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(items)
}

// RP-1: the records of processing as pages. The seeded entry of the
// whistleblowing scheme is listed; a form missing art. 30 fields shows
// each error with the entered values kept and stores nothing; a complete
// one is stored sealed and can be edited and marked reviewed.
func TestHTMLRecordsOfProcessingCreateEditReview(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		status, body := r.get(t, "/registers/ropa?lang=en", r.admin)
		wantStatus(t, "list", status, http.StatusOK, body)
		htmlWant(t, "list", body, "Records of processing activities", `id="new-controller"`, `id="new-legal_basis_art9"`, `name="owner_id"`)
		before := r.itemCount(t, store.RegisterActivity)
		if before != 1 {
			t.Fatalf("seeded activities = %d, want 1", before)
		}

		xss := `<script>alert("p")</script>`
		form := url.Values{"purposes": {"Payroll " + xss}, "controller": {"Acme A/S"}}
		status, body, _ = r.post(t, "/registers/ropa", r.admin, form)
		wantStatus(t, "incomplete", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "incomplete", body, `role="alert"`, `href="#new-dpo"`, `href="#new-security_measures"`, "Fill in this field",
			"Payroll &lt;script&gt;", `aria-invalid="true"`)
		htmlWantNot(t, "incomplete", body, `href="#new-purposes"`, xss)
		if n := r.itemCount(t, store.RegisterActivity); n != before {
			t.Fatalf("a rejected form stored an activity: %d", n)
		}

		full := url.Values{}
		for _, f := range privacy.ActivityFields() {
			full.Set(f, "text of "+f)
		}
		full.Set("purposes", "Payroll "+xss)
		full.Set("high_risk", "yes")
		full.Set("review_at", r.clock.Now().AddDate(0, 6, 0).Format(time.DateOnly))
		status, body, page := r.post(t, "/registers/ropa", r.admin, full)
		wantStatus(t, "create", status, http.StatusSeeOther, body)
		if !strings.HasPrefix(page, "/registers/ropa/") {
			t.Fatalf("redirect to %q", page)
		}
		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWant(t, "entry", body, "Payroll &lt;script&gt;", "text of security_measures", "High risk without a DPIA",
			"Review by 2026-09-02", `id="edit-purposes"`, `id="review-next_review_at"`, "admin@example.org")
		htmlWantNot(t, "entry", body, xss)

		// Editing with an emptied field changes nothing.
		bad := url.Values{}
		for k, v := range full {
			bad[k] = v
		}
		bad.Set("purposes", "")
		bad.Set("controller", "Changed controller")
		status, body, _ = r.post(t, page, r.admin, bad)
		wantStatus(t, "bad edit", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "bad edit", body, `href="#edit-purposes"`, "Changed controller")
		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWantNot(t, "after bad edit", body, "<dd><span class=\"text\">Changed controller")

		full.Set("controller", "Changed controller")
		full.Del("high_risk")
		status, body, _ = r.post(t, page, r.admin, full)
		wantStatus(t, "edit", status, http.StatusSeeOther, body)
		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWant(t, "edited", body, "Changed controller", "Recorded versions")
		htmlWantNot(t, "edited", body, "High risk without a DPIA")

		// Mark reviewed: a past date is refused, an empty one means a year on.
		status, body, _ = r.post(t, page+"/reviewed", r.admin, url.Values{"next_review_at": {"2020-01-01"}})
		wantStatus(t, "past review", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "past review", body, `href="#review-next_review_at"`, "Enter a date in the future")
		status, body, _ = r.post(t, page+"/reviewed", r.dpo, nil)
		wantStatus(t, "reviewed", status, http.StatusSeeOther, body)
		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWant(t, "reviewed", body, "Review by 2027-03-")

		// The overview and the dashboard link here.
		_, body = r.get(t, "/registers?lang=en", r.admin)
		htmlWant(t, "overview", body, `href="/registers/ropa?lang=en"`, `href="/registers/processors?lang=en"`,
			`href="/registers/dpias?lang=en"`, `href="/registers/risks?lang=en"`, `href="/registers/access-reviews?lang=en"`,
			`href="/registers/retention?lang=en"`)
	})
}

// RP-2, RK-1, RK-2: processors with the art. 28(3) checklist linked to
// activities, DPIAs tied to an activity with a required review date, and
// risks scored on 1 to 5 scales.
func TestHTMLProcessorsDPIAsAndRisksLinkToActivities(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		_, body := r.get(t, "/registers/processors?lang=en", r.admin)
		htmlWant(t, "processors", body, `name="clauses" value="h"`, "(a) processes only on documented instructions", `name="activities"`)
		acts, err := r.db.RegisterItems(context.Background(), org.DefaultTenant, store.RegisterActivity, 10)
		if err != nil || len(acts) != 1 {
			t.Fatalf("activities: %v %d", err, len(acts))
		}
		act := acts[0].ID

		// A future agreement date and an unknown activity are refused.
		status, body, _ := r.post(t, "/registers/processors", r.admin, url.Values{"name": {"Hosting ApS"}, "contact": {"dpa@hosting.example"},
			"service": {"Hosting"}, "agreement_at": {"2030-01-01"}, "clauses": {"a", "b"}})
		wantStatus(t, "future agreement", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "future agreement", body, `href="#new-agreement_at"`, `value="a" checked`, `value="b" checked`, "Hosting ApS")
		status, body, _ = r.post(t, "/registers/processors", r.admin, url.Values{"name": {"Hosting ApS"}, "contact": {"dpa@hosting.example"},
			"service": {"Hosting"}, "activities": {"no-such-activity"}})
		wantStatus(t, "unknown activity", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "unknown activity", body, `href="#new-activities"`)
		if n := r.itemCount(t, store.RegisterProcessor); n != 0 {
			t.Fatalf("rejected forms stored %d processors", n)
		}

		status, body, proc := r.post(t, "/registers/processors", r.admin, url.Values{"name": {"Hosting ApS"}, "contact": {"dpa@hosting.example"},
			"service": {"Hosting"}, "clauses": {"a", "b"}, "activities": {act}})
		wantStatus(t, "processor", status, http.StatusSeeOther, body)
		_, body = r.get(t, proc+"?lang=en", r.admin)
		htmlWant(t, "processor", body, "No signed agreement", "Missing terms: c, d, e, f, g, h", `href="/registers/ropa/`+act)
		_, body = r.get(t, "/registers/ropa/"+act+"?lang=en", r.admin)
		htmlWant(t, "activity", body, `href="`+proc+`?lang=en"`, "Processor 1")

		// DPIA: the review date is required.
		dpia := url.Values{"activity_id": {act}, "description": {"d"}, "necessity": {"n"}, "risks": {"r"}, "measures": {"m"}, "dpo_advice": {"ok"}}
		status, body, _ = r.post(t, "/registers/dpias", r.admin, dpia)
		wantStatus(t, "dpia without review", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "dpia without review", body, `href="#new-review_at"`)
		dpia.Set("review_at", r.clock.Now().AddDate(0, 0, 10).Format(time.DateOnly))
		status, body, dp := r.post(t, "/registers/dpias", r.admin, dpia)
		wantStatus(t, "dpia", status, http.StatusSeeOther, body)
		_, body = r.get(t, dp+"?lang=en", r.dpo)
		htmlWant(t, "dpia", body, `href="/registers/ropa/`+act, "Review by 2026-03-12", "Due soon")

		// Risk: scales are 1 to 5.
		status, body, _ = r.post(t, "/registers/risks", r.admin, url.Values{"title": {"Lost laptop"}, "likelihood": {"9"}, "impact": {"3"}})
		wantStatus(t, "risk out of scale", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "risk out of scale", body, `href="#new-likelihood"`, "Lost laptop")
		status, body, risk := r.post(t, "/registers/risks", r.admin, url.Values{"title": {"Lost laptop"}, "likelihood": {"4"}, "impact": {"5"},
			"activity_id": {act}, "owner_id": {r.dpoID}, "review_at": {r.clock.Now().AddDate(0, 0, 20).Format(time.DateOnly)}})
		wantStatus(t, "risk", status, http.StatusSeeOther, body)
		_, body = r.get(t, "/registers/risks?lang=en", r.admin)
		htmlWant(t, "risks", body, "Score 20: critical", "dpo@example.org", `href="`+risk+`?lang=en"`)

		// An owner who is not an active user is refused.
		status, body, _ = r.post(t, risk, r.admin, url.Values{"title": {"Lost laptop"}, "likelihood": {"4"}, "impact": {"5"}, "owner_id": {"nobody"}})
		wantStatus(t, "bad owner", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "bad owner", body, `href="#edit-owner_id"`, "Choose an active user as owner")

		// The dashboard's review rows link to the entries that fall due.
		_, body = r.get(t, "/registers/dashboard?lang=en", r.dpo)
		htmlWant(t, "dashboard", body, `href="`+risk+`?lang=en"`, `href="`+dp+`?lang=en"`, `href="/registers/access-reviews?lang=en"`,
			`href="/registers/retention?lang=en"`)
	})
}

// AR-1: the access review lists every user with role and last activity;
// the reviewer keeps, revokes or disables each line; a revocation takes
// effect, is audited, and one's own line cannot be revoked.
func TestHTMLAccessReviewAttestsAndRevokes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		_, body := r.get(t, "/registers/access-reviews?lang=en", r.admin)
		htmlWant(t, "reviews", body, "The quarterly access review is overdue", "Start the review")
		status, body, page := r.post(t, "/registers/access-reviews", r.admin, nil)
		wantStatus(t, "start", status, http.StatusSeeOther, body)
		status, body, _ = r.post(t, "/registers/access-reviews", r.dpo, nil)
		wantStatus(t, "second start", status, http.StatusConflict, body)
		htmlWant(t, "second start", body, "already open")

		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWant(t, "review", body, "admin@example.org", "dpo@example.org", "handler@example.org", "data protection officer",
			"Last activity", "2026-03-02", `value="revoke-role"`)
		adminLine := page + "/lines/" + r.adminID
		status, body, _ = r.post(t, adminLine, r.admin, url.Values{"decision": {"disable"}})
		wantStatus(t, "self disable", status, http.StatusConflict, body)
		htmlWant(t, "self disable", body, "You cannot revoke your own role")
		status, body, _ = r.post(t, adminLine, r.admin, url.Values{"decision": {"promote"}})
		wantStatus(t, "unknown decision", status, http.StatusUnprocessableEntity, body)

		status, body, _ = r.post(t, page+"/lines/"+r.dpoID, r.admin, url.Values{"decision": {"revoke-role"}})
		wantStatus(t, "revoke", status, http.StatusSeeOther, body)
		u, err := r.db.UserByID(context.Background(), org.DefaultTenant, r.dpoID)
		if err != nil || u.Role != accounts.RoleHandler {
			t.Fatalf("after revocation the DPO has role %q (%v)", u.Role, err)
		}
		entries, err := r.db.AuditEntries(context.Background(), org.DefaultTenant, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		audited := false
		for _, a := range entries {
			audited = audited || a.Detail == "review.revoke-role" && a.ActorID == r.adminID
		}
		if !audited {
			t.Fatal("the revocation is not in the audit log")
		}
		_, body = r.get(t, page+"?lang=en", r.admin)
		htmlWant(t, "after revocation", body, "Role revoked", "now: case handler")
		// The former DPO lost the registers at once.
		status, _ = r.get(t, "/registers/ropa?lang=en", r.dpo)
		if status != http.StatusForbidden {
			t.Fatalf("revoked DPO opens the registers: %d", status)
		}
	})
}

// RT-1: an admin sets and confirms a channel's retention; without the
// confirmation nothing changes; the DPO reads but may not change it.
func TestHTMLRetentionPolicyNeedsTheAdminsConfirmation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		_, body := r.get(t, "/registers/retention?lang=en", r.admin)
		htmlWant(t, "retention", body, "Default, not confirmed: nothing is deleted", "Save and confirm", "Nothing has been deleted yet.")
		path := "/registers/retention/policies/" + org.DefaultChannel + "/report"
		form := "policy-" + org.DefaultChannel + "-report"
		status, body, _ := r.post(t, path, r.admin, url.Values{"months": {"6"}})
		wantStatus(t, "unconfirmed", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "unconfirmed", body, `href="#`+form+`-confirm"`, "Confirm the retention period")
		status, body, _ = r.post(t, path, r.admin, url.Values{"months": {"500"}, "confirm": {"yes"}})
		wantStatus(t, "too long", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "too long", body, `href="#`+form+`-months"`, "from 1 to 120")
		pols, err := r.srv.retention().Policies(context.Background(), nil)
		if err != nil || len(pols) != 1 || !pols[0].Default {
			t.Fatalf("a refused change was stored: %+v %v", pols, err)
		}
		status, body, _ = r.post(t, path, r.dpo, url.Values{"months": {"6"}, "confirm": {"yes"}})
		wantStatus(t, "dpo", status, http.StatusForbidden, body)

		status, body, _ = r.post(t, path, r.admin, url.Values{"months": {"6"}, "confirm": {"yes"}, "owner_id": {r.dpoID},
			"review_at": {r.clock.Now().AddDate(0, 8, 0).Format(time.DateOnly)}})
		wantStatus(t, "confirm", status, http.StatusSeeOther, body)
		pols, _ = r.srv.retention().Policies(context.Background(), nil)
		if len(pols) != 1 || pols[0].Months != 6 || !pols[0].Confirmed {
			t.Fatalf("policy = %+v", pols)
		}
		_, body = r.get(t, "/registers/retention?lang=en", r.dpo)
		htmlWant(t, "confirmed", body, "Confirmed 2026-03-02", "Review by 2026-11-02", "dpo@example.org",
			"Only administrators change and confirm retention periods.")
		htmlWantNot(t, "dpo view", body, "Save and confirm")
		status, body, _ = r.post(t, path+"/reviewed", r.dpo, nil)
		wantStatus(t, "policy reviewed", status, http.StatusSeeOther, body)
	})
}

// RT-2, RT-1, JR-4: on a case's retention page the handler places and
// releases a legal hold with a reason, extends once, and purges chosen
// messages; wrong input changes nothing. Deletion records show the basis
// and request; other handlers and the DPO cannot open the page.
func TestHTMLCaseRetentionHoldExtendPurge(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		r.submitOK(minimalAnswers("retention case"))
		c := r.caseWith(r.handlerToken, "retention case")
		r.doJSON(r.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/messages", r.handlerToken, map[string]string{"text": "lunch menu"}, http.StatusCreated, nil)
		r.doJSON(r.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/messages", r.handlerToken, map[string]string{"text": "relevant follow-up"}, http.StatusCreated, nil)
		page := "/cases/" + c.ID + "/retention"

		_, body := r.get(t, "/cases/"+c.ID+"?lang=en", r.handler)
		htmlWant(t, "case page", body, `href="`+page+`?lang=en"`)
		status, body := r.get(t, page+"?lang=en", r.handler)
		wantStatus(t, "page", status, http.StatusOK, body)
		htmlWant(t, "page", body, "Place a legal hold", "Extend the retention", "lunch menu", "relevant follow-up", "The case is open")
		for _, who := range []*http.Cookie{r.dpo, r.admin} {
			if status, _ := r.get(t, page+"?lang=en", who); status != http.StatusNotFound {
				t.Fatalf("a user without the case key opens its retention page: %d", status)
			}
		}

		status, body, _ = r.post(t, page+"/hold", r.handler, url.Values{"reason": {"  "}})
		wantStatus(t, "hold without reason", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "hold without reason", body, `href="#hold-reason"`)
		status, body, _ = r.post(t, page+"/hold", r.handler, url.Values{"reason": {"Pending lawsuit"}})
		wantStatus(t, "hold", status, http.StatusSeeOther, body)
		_, body = r.get(t, page+"?lang=en", r.handler)
		htmlWant(t, "held", body, "On hold since 2026-03-02", "Release the legal hold")
		status, body, _ = r.post(t, page+"/hold", r.handler, url.Values{"reason": {"again"}})
		wantStatus(t, "second hold", status, http.StatusConflict, body)
		status, body, _ = r.post(t, page+"/release", r.handler, url.Values{"reason": {"Settled"}})
		wantStatus(t, "release", status, http.StatusSeeOther, body)

		status, body, _ = r.post(t, page+"/extend", r.handler, url.Values{"months": {"30"}, "reason": {"appeal"}})
		wantStatus(t, "extend too long", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "extend too long", body, `href="#extend-months"`, "appeal")
		status, body, _ = r.post(t, page+"/extend", r.handler, url.Values{"months": {"6"}, "reason": {"appeal"}})
		wantStatus(t, "extend", status, http.StatusSeeOther, body)
		_, body = r.get(t, page+"?lang=en", r.handler)
		htmlWant(t, "extended", body, "Extended by 6 months")
		htmlWantNot(t, "extended", body, "Extend once")

		var j struct {
			Entries []struct {
				Kind, Text string
				MessageID  string `json:"message_id"`
			}
		}
		r.doJSON(r.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID+"/journal", r.handlerToken, nil, http.StatusOK, &j)
		var lunch string
		for _, en := range j.Entries {
			if en.Kind == "message" && en.Text == "lunch menu" {
				lunch = en.MessageID
			}
		}
		if lunch == "" {
			t.Fatalf("no message in the journal: %+v", j.Entries)
		}
		status, body, _ = r.post(t, page+"/purge", r.handler, url.Values{"reason": {"not about the report"}})
		wantStatus(t, "purge nothing", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "purge nothing", body, "Choose at least one message or file")
		status, body, _ = r.post(t, page+"/purge", r.handler, url.Values{"message_ids": {lunch}})
		wantStatus(t, "purge without reason", status, http.StatusUnprocessableEntity, body)
		htmlWant(t, "purge without reason", body, `value="`+lunch+`" checked`)
		status, body, _ = r.post(t, page+"/purge", r.handler, url.Values{"message_ids": {lunch}, "reason": {"not about the report"}})
		wantStatus(t, "purge", status, http.StatusSeeOther, body)
		_, body = r.get(t, page+"?lang=en", r.handler)
		htmlWantNot(t, "purged", body, "lunch menu")
		htmlWant(t, "purged", body, "relevant follow-up")
	})
}

// RT-4: the deletion records name the basis, the policy and, for an
// erasure request, the request.
func TestHTMLRetentionDeletionRecordsShowBasisAndRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		ctx := context.Background()
		err := r.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertErasureRecord(ctx, store.DeletionRecord{TenantID: org.DefaultTenant, ID: store.NewID(), Category: retention.CategoryReport,
				CaseNumber: 41, ChannelID: org.DefaultChannel, ClosedAt: r.clock.Now().Add(-time.Hour), DeletedAt: r.clock.Now(), DeletedBy: r.adminID}, "req-123")
		})
		if err != nil {
			t.Fatal(err)
		}
		_, body := r.get(t, "/registers/retention?lang=en", r.dpo)
		htmlWant(t, "deletions", body, "#41", "Erasure request", `href="/registers/requests/req-123?lang=en"`)
	})
}

// RT-1, RT-4: a closed case about to expire under a confirmed policy is
// listed with its deletion date; its case page warns the handler. The
// admin, who holds no key to it, sees the number but no link.
func TestHTMLRetentionListsUpcomingExpiries(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		r := newRegEnv(t, d)
		r.submitOK(minimalAnswers("expiring case"))
		c := r.caseWith(r.handlerToken, "expiring case")
		r.closeCase(r.handlerToken, c.ID)
		status, body, _ := r.post(t, "/registers/retention/policies/"+org.DefaultChannel+"/report", r.admin,
			url.Values{"months": {"1"}, "confirm": {"yes"}})
		wantStatus(t, "confirm", status, http.StatusSeeOther, body)

		_, body = r.get(t, "/registers/retention?lang=en", r.admin)
		htmlWant(t, "before the window", body, "No case expires within 14 days.")

		r.setClock(r.clock.Now().AddDate(0, 0, 25))
		admin := r.staffCookieLogin(r.addUser("admin2@example.org", accounts.RoleAdmin))
		r.handler = r.staffCookieLogin(r.apiEnv.handler)
		_, body = r.get(t, "/registers/retention?lang=en", admin)
		htmlWant(t, "upcoming", body, "#"+itoa(c.CaseNumber), "Deleted on 2026-04-", "Due soon")
		htmlWantNot(t, "upcoming", body, `href="/cases/`+c.ID+`/retention`)
		_, body = r.get(t, "/cases/"+c.ID+"/retention?lang=en", r.handler)
		htmlWant(t, "case page", body, "Deleted on 2026-04-", "Due soon", "The channel&#39;s retention period is confirmed")
	})
}
