package web

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
)

// Confidentiality declarations, the breach response plan, register
// reviews, the DPO's dashboard and the registers PDF over HTTP.

func TestCaseRoutesRefuseUntilTheDeclarationIsAccepted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		ownerTok := e.staffLogin(e.handler)
		e.submitOK(minimalAnswers("DECLMARK what"))
		c := e.caseWith(ownerTok, "DECLMARK what")

		// A handler of the channel who has not accepted yet.
		created, err := e.accounts.CreateUser(context.Background(), accounts.NewUser{Email: "new@example.org",
			Role: accounts.RoleHandler, Password: "correct horse battery staple", Channels: []string{org.DefaultChannel}})
		if err != nil {
			t.Fatal(err)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/access", ownerTok, map[string]string{"user": created.UserID}, http.StatusNoContent, nil)
		secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret)
		tok := e.staffLogin(staffUser{Email: "new@example.org", Password: "correct horse battery staple", TOTP: secret})

		res := e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, tok, nil)
		if res.status != http.StatusForbidden || !strings.Contains(string(res.body), `"declaration_required"`) ||
			strings.Contains(string(res.body), "DECLMARK") {
			t.Fatalf("case before acceptance: %d %s", res.status, res.body)
		}
		// Lists without content stay open.
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", tok, nil, http.StatusOK, nil)

		var decl privacy.DeclarationView
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/declaration?lang=da", tok, nil, http.StatusOK, &decl)
		if decl.Version != 0 || !decl.Standard || decl.Accepted || !strings.Contains(decl.Text, "tavshedspligten") {
			t.Fatalf("declaration %+v", decl)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declaration/acceptance", tok, map[string]int{"version": 0}, http.StatusOK, &decl)
		if !decl.Accepted || decl.AcceptedAt == nil || !decl.AcceptedAt.Equal(e.clock.Now()) {
			t.Fatalf("accepted %+v", decl)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, tok, nil, http.StatusOK, nil)

		// A new version: everyone accepts again before the next case.
		admin := e.addUser("admin@example.org", accounts.RoleAdmin)
		adminTok := e.staffLogin(admin)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declarations", tok, map[string]string{"text": "x"}, http.StatusForbidden, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declarations", adminTok, map[string]string{"text": "Version one of our text."}, http.StatusCreated, nil)
		res = e.call(e.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/journal", tok, map[string]string{"text": "note"})
		if res.status != http.StatusForbidden || !strings.Contains(string(res.body), `"declaration_required"`) {
			t.Fatalf("journal after a new version: %d %s", res.status, res.body)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declaration/acceptance", tok, map[string]int{"version": 0}, http.StatusConflict, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declaration/acceptance", tok, map[string]int{"version": 1}, http.StatusOK, nil)
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, tok, nil, http.StatusOK, nil)

		// The DPO sees who accepted which version; a handler may not.
		dpoTok := e.staffLogin(e.addUser("dpo@example.org", accounts.RoleDPO))
		var list privacy.DeclarationsView
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/declarations", dpoTok, nil, http.StatusOK, &list)
		found := false
		for _, u := range list.Users {
			if u.UserID == created.UserID {
				found = u.Current && len(u.Accepted) == 2 && u.Latest.Version == 1
			}
		}
		if list.Current != 1 || !found {
			t.Fatalf("acceptances %+v", list)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/declarations", tok, nil, http.StatusForbidden, nil)
		// Without a session the case routes still answer 401.
		if res := e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, "", nil); res.status != http.StatusUnauthorized {
			t.Fatalf("anonymous: %d", res.status)
		}
	})
}

func TestHTMLCasePageLeadsToTheDeclarationAndBack(t *testing.T) {
	env := htmlTestServer(t, true)
	// A second handler of the channel who has not accepted.
	acc := env.srv.d.Accounts
	created, err := acc.CreateUser(context.Background(), accounts.NewUser{Email: "late@example.org", Role: accounts.RoleHandler,
		Password: htmlPassword, Channels: []string{org.DefaultChannel}})
	if err != nil {
		t.Fatal(err)
	}
	htmlSubmitReport(t, env, htmlValidAnswers(), nil)
	owner := htmlStaffLogin(t, env)
	caseID := htmlOnlyCaseID(t, env, htmlStaff(t, env, owner))
	env.email = "late@example.org"
	if env.totpSecret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	c := htmlStaffLogin(t, env)
	h := env.srv.Staff()
	res, _ := htmlDo(t, h, htmlGet("/cases/"+caseID+"?lang=en", c))
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/declaration?next=%2Fcases%2F"+caseID) {
		t.Fatalf("case page before acceptance: %d to %q", res.StatusCode, loc)
	}
	res, body := htmlDo(t, h, htmlGet(loc, c))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("declaration page: %d", res.StatusCode)
	}
	htmlWant(t, "declaration page", body, "Confidentiality declaration", "I will keep confidential", "Version 0", `name="next" value="/cases/`+caseID+`"`)
	csrf := htmlCSRF(t, body)
	res, body = htmlDo(t, h, htmlPostForm("/declaration", url.Values{"csrf": {csrf}, "lang": {"en"}, "version": {"0"},
		"next": {"/cases/" + caseID}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("accept without the box: %d", res.StatusCode)
	}
	htmlWant(t, "declaration errors", body, `href="#declaration-confirm"`, "Tick the box")
	// The next address must be a case page of this site.
	res, _ = htmlDo(t, h, htmlPostForm("/declaration", url.Values{"csrf": {csrf}, "lang": {"en"}, "version": {"0"},
		"confirm": {"yes"}, "next": {"//evil.example/cases/x"}}, c))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/?lang=en" {
		t.Fatalf("foreign next: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = htmlDo(t, h, htmlGet("/cases/"+caseID+"?lang=en", c))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("case page after acceptance: %d", res.StatusCode)
	}
}

func TestHTMLBreachResponsePlanChecklistBR3(t *testing.T) {
	env := htmlTestServer(t, true)
	c := htmlRegistersAdmin(t, env)
	h := env.srv.Staff()
	st := htmlStaff(t, env, c)
	p := privacy.New(privacy.Config{DB: env.db, Tenant: org.DefaultTenant, Now: env.clock.Now})
	b, err := p.RecordBreach(context.Background(), st, privacy.NewBreach{AwareAt: env.clock.Now().Add(-time.Hour),
		Type: privacy.TypeIntegrity, Severity: 2, BreachDetails: privacy.BreachDetails{WhatHappened: "wrong recipient"}})
	if err != nil {
		t.Fatal(err)
	}
	page := "/registers/breaches/" + b.ID
	_, body := htmlDo(t, h, htmlGet(page+"?lang=en", c))
	htmlWant(t, "breach page", body, "Response plan", "1. Identify", "2. Contain and notify", "3. Remediate and verify",
		"Find and record the root cause", "Start the phase", "Complete the phase")
	csrf := htmlCSRF(t, body)

	// Not applicable without a note is refused and says why.
	item := page + "/phases/identify/items/inform_dpo"
	res, body := htmlDo(t, h, htmlPostForm(item, url.Values{"csrf": {csrf}, "lang": {"en"}, "state": {"not_applicable"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("n/a without note: %d", res.StatusCode)
	}
	htmlWant(t, "n/a error", body, `href="#item-identify-inform_dpo-note"`)

	res, _ = htmlDo(t, h, htmlPostForm(item, url.Values{"csrf": {csrf}, "lang": {"en"}, "state": {"not_applicable"},
		"note": {"the DPO reported it"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("n/a: %d", res.StatusCode)
	}
	res, body = htmlDo(t, h, htmlPostForm(page+"/phases/identify/complete", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("complete with open items: %d", res.StatusCode)
	}
	htmlWant(t, "complete error", body, "Every item must be done or marked not applicable")
	for _, id := range []string{"confirm_breach", "classify_type", "scope_data", "assess_risk"} {
		res, _ = htmlDo(t, h, htmlPostForm(page+"/phases/identify/items/"+id, url.Values{"csrf": {csrf}, "lang": {"en"}, "state": {"done"}}, c))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("tick %s: %d", id, res.StatusCode)
		}
	}
	res, _ = htmlDo(t, h, htmlPostForm(page+"/phases/identify/items", url.Values{"csrf": {csrf}, "lang": {"en"}, "text": {"Call the <b>insurer</b>"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add item: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, h, htmlPostForm(page+"/phases/identify/items/custom-1", url.Values{"csrf": {csrf}, "lang": {"en"}, "state": {"done"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("tick custom: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, h, htmlPostForm(page+"/phases/identify/complete", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: %d", res.StatusCode)
	}
	_, body = htmlDo(t, h, htmlGet(page+"?lang=en", c))
	when := env.clock.Now().UTC().Format(shownDateTime)
	htmlWant(t, "breach page after", body, "Completed "+when+" by admin@example.org", "Call the &lt;b&gt;insurer&lt;/b&gt;",
		"the DPO reported it", "Not applicable")

	// The service sees the same plan.
	v, err := p.Breach(context.Background(), st, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Phases[0].CompletedAt == nil || v.Phases[1].StartedAt != nil {
		t.Fatalf("phases %+v", v.Phases)
	}
}

func TestHTMLDashboardAndRegistersPDFForTheDPO(t *testing.T) {
	env := htmlTestServer(t, true)
	handlerSecret := env.totpSecret
	c := htmlRegistersAdmin(t, env)
	h := env.srv.Staff()
	st := htmlStaff(t, env, c)
	p := privacy.New(privacy.Config{DB: env.db, Tenant: org.DefaultTenant, Now: env.clock.Now})
	ctx := context.Background()
	risk, err := p.CreateRisk(ctx, st, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "DASHRISK"}, Likelihood: 2, Impact: 3,
		ReviewAt: env.clock.Now().AddDate(0, 0, 5)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.RecordBreach(ctx, st, privacy.NewBreach{AwareAt: env.clock.Now().Add(-80 * time.Hour), Type: privacy.TypeConfidentiality,
		Severity: 6, BreachDetails: privacy.BreachDetails{WhatHappened: "DASHBREACH"}}); err != nil {
		t.Fatal(err)
	}
	res, body := htmlDo(t, h, htmlGet("/registers/dashboard?lang=en", c))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("dashboard: %d", res.StatusCode)
	}
	htmlWant(t, "dashboard", body, "DPO dashboard", "Risk · "+risk.ID, "Running: 1. Past 72 hours: 1.",
		"The quarterly access review is overdue", "Awaiting an admin", "Mark reviewed")
	htmlWantNot(t, "dashboard", body, "DASHRISK", "DASHBREACH")
	csrf := htmlCSRF(t, body)
	res, _ = htmlDo(t, h, htmlPostForm("/registers/dashboard/reviewed", url.Values{"csrf": {csrf}, "lang": {"en"},
		"register": {"risk"}, "id": {risk.ID}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("mark reviewed: %d", res.StatusCode)
	}
	_, body = htmlDo(t, h, htmlGet("/registers/dashboard?lang=en", c))
	htmlWantNot(t, "dashboard after review", body, "Risk · "+risk.ID)
	res, _ = htmlDo(t, h, htmlPostForm("/registers/dashboard/reviewed", url.Values{"csrf": {csrf}, "lang": {"en"},
		"register": {"cases"}, "id": {risk.ID}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown register: %d", res.StatusCode)
	}

	req := htmlGet("/registers/export.pdf?lang=en", c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/pdf" || !strings.HasPrefix(rec.Body.String(), "%PDF-") {
		t.Fatalf("pdf: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}

	// A handler gets neither.
	env.email, env.totpSecret = "handler@example.org", handlerSecret
	hc := htmlStaffLogin(t, env)
	for _, path := range []string{"/registers/dashboard?lang=en", "/registers/export.pdf?lang=en", "/registers/declarations?lang=en"} {
		if res, _ := htmlDo(t, h, htmlGet(path, hc)); res.StatusCode != http.StatusForbidden {
			t.Errorf("%s as handler: %d", path, res.StatusCode)
		}
	}
}
