package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/totp"
)

// addCustodian creates a custodian of identities.
func (e *apiEnv) addCustodian(email, role string, channels ...string) staffUser {
	e.t.Helper()
	pw := "correct horse battery staple"
	c, err := e.accounts.CreateUser(context.Background(), accounts.NewUser{Email: email, Role: role, Password: pw,
		Channels: channels, Custodian: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.acceptDeclaration(c.UserID)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(c.TOTPSecret)
	if err != nil {
		e.t.Fatal(err)
	}
	return staffUser{Email: email, Password: pw, TOTP: secret}
}

func (e *apiEnv) userID(u staffUser) string {
	e.t.Helper()
	row, err := e.db.UserByEmail(context.Background(), org.DefaultTenant, u.Email)
	if err != nil {
		e.t.Fatal(err)
	}
	return row.ID
}

// auditHas tells whether the audit log holds an entry with action and detail.
func (e *apiEnv) auditHas(action, objectID, detail string) bool {
	e.t.Helper()
	entries, err := e.db.AuditEntries(context.Background(), org.DefaultTenant, 0, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range entries {
		if a.Action == action && a.ObjectID == objectID && a.Detail == detail {
			return true
		}
	}
	return false
}

// storedBytes concatenates every stored value of the database.
func (e *apiEnv) storedBytes() []byte {
	e.t.Helper()
	var out bytes.Buffer
	if err := e.db.EachStoredValue(context.Background(), func(_ string, v []byte) { out.Write(v); out.WriteByte(0) }); err != nil {
		e.t.Fatal(err)
	}
	return out.Bytes()
}

type identityCaseJSON struct {
	HasIdentity bool           `json:"has_identity"`
	Identity    map[string]any `json:"identity"`
}

type identityRequestJSON struct {
	ID             string `json:"id"`
	CaseID         string `json:"case_id"`
	RequesterID    string `json:"requester_id"`
	State          string `json:"state"`
	Reason         string `json:"reason"`
	DecisionReason string `json:"decision_reason"`
	CanDecide      bool   `json:"can_decide"`
}

type identityListJSON struct {
	Pending []identityRequestJSON `json:"pending"`
	Own     []identityRequestJSON `json:"own"`
}

type journalJSON struct {
	Entries []struct {
		Kind     string `json:"kind"`
		Action   string `json:"action"`
		AuthorID string `json:"author_id"`
		UserID   string `json:"user_id"`
		Reason   string `json:"reason"`
	} `json:"entries"`
}

func identityAnswers(what, name string) map[string]any {
	a := minimalAnswers(what)
	a["identity_name"] = name
	return a
}

// CA-2, CA-3: after submission the channel's handlers see that an
// identity exists but cannot read it; no identity key is wrapped to them.
// A handler asks with a reason, a custodian approves, and then the handler
// reads it. Request and decision are journaled and audited; the reason is
// sealed.
func TestIdentityIsReadAfterACustodianApproves(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		ctx := context.Background()
		custodian := e.addCustodian("custodian@example.org", accounts.RoleAdmin)
		colleague := e.addUser("colleague@example.org", accounts.RoleHandler, org.DefaultChannel)
		const name, reason = "Kari Identitymarker", "need to interview reasonmarker-7q"
		e.submitOK(identityAnswers("vault", name))
		owner := e.staffLogin(e.handler)
		id := e.oneCase(owner)
		handlerID, custodianID, colleagueID := e.userID(e.handler), e.userID(custodian), e.userID(colleague)

		var c identityCaseJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, owner, nil, http.StatusOK, &c)
		if !c.HasIdentity || len(c.Identity) != 0 {
			t.Fatalf("handler sees identity at submission: %+v", c)
		}
		for _, ht := range []string{store.HolderUser, store.HolderCustodian} {
			for _, uid := range []string{handlerID, colleagueID} {
				if _, err := e.db.ReportKey(ctx, org.DefaultTenant, id, store.KeyIdentity, ht, uid); err == nil {
					t.Fatalf("an identity key (%s) is wrapped to a handler", ht)
				}
			}
		}
		if _, err := e.db.ReportKey(ctx, org.DefaultTenant, id, store.KeyIdentity, store.HolderCustodian, custodianID); err != nil {
			t.Fatalf("the custodian holds no identity key: %v", err)
		}
		// Custody is not access: the custodian cannot open the case.
		custTok := e.staffLogin(custodian)
		if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases/"+id, custTok); status != http.StatusNotFound {
			t.Fatalf("custodian opened the case: %d", status)
		}
		// Only those who can open the case may ask.
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", custTok, map[string]string{"reason": "x"}, http.StatusNotFound, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": " "}, http.StatusUnprocessableEntity, nil)

		var req identityRequestJSON
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": reason}, http.StatusCreated, &req)
		if req.State != store.IdentityPending || req.Reason != reason || req.RequesterID != handlerID {
			t.Fatalf("request %+v", req)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": reason}, http.StatusConflict, nil)

		// Neither a handler nor the requester can decide.
		colTok := e.staffLogin(colleague)
		for _, tok := range []string{colTok, owner} {
			var out struct{ Error struct{ Code string } }
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/approve", tok, nil, http.StatusForbidden, &out)
			if out.Error.Code != "forbidden" {
				t.Fatalf("code %q", out.Error.Code)
			}
		}
		var list identityListJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/identity-requests", colTok, nil, http.StatusOK, &list)
		if len(list.Pending) != 0 || len(list.Own) != 0 {
			t.Fatalf("a handler sees requests: %+v", list)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/identity-requests", custTok, nil, http.StatusOK, &list)
		if len(list.Pending) != 1 || list.Pending[0].Reason != reason || !list.Pending[0].CanDecide || list.Pending[0].CaseID != id {
			t.Fatalf("custodian's list %+v", list)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/approve", custTok, nil, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/approve", custTok, nil, http.StatusConflict, nil)

		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, owner, nil, http.StatusOK, &c)
		if c.Identity["identity_name"] != name {
			t.Fatalf("approved handler does not read the identity: %+v", c)
		}
		// The colleague still cannot.
		c = identityCaseJSON{}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, colTok, nil, http.StatusOK, &c)
		if len(c.Identity) != 0 {
			t.Fatalf("colleague reads the identity: %+v", c)
		}

		// Journal: request and decision; the reason only for the requester.
		for tok, wantReason := range map[string]string{owner: reason, colTok: ""} {
			var j journalJSON
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", tok, nil, http.StatusOK, &j)
			var actions []string
			for _, en := range j.Entries {
				if en.Kind == "identity" {
					actions = append(actions, en.Action)
					if en.Action == "request" && (en.Reason != wantReason || en.UserID != handlerID) {
						t.Errorf("journal request entry %+v, want reason %q", en, wantReason)
					}
					if en.Action == "approve" && (en.AuthorID != custodianID || en.UserID != handlerID) {
						t.Errorf("journal approve entry %+v", en)
					}
				}
			}
			if strings.Join(actions, ",") != "request,approve" {
				t.Errorf("journal identity entries %v", actions)
			}
		}

		if !e.auditHas("identity.request", id, "") || !e.auditHas("identity.approve", id, handlerID) || !e.auditHas("identity.read", id, "") {
			t.Error("audit log lacks the identity request, approval or read")
		}
		if raw := e.storedBytes(); bytes.Contains(raw, []byte("reasonmarker-7q")) || bytes.Contains(raw, []byte("Identitymarker")) {
			t.Error("the reason or the identity is stored in clear")
		}
	})
}

// CA-3: a custodian denies with a reason; the handler still cannot read
// the identity and sees the decision.
func TestIdentityRequestDenied(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		custodian := e.addCustodian("custodian@example.org", accounts.RoleAdmin)
		e.submitOK(identityAnswers("deny me", "Ola"))
		owner := e.staffLogin(e.handler)
		id := e.oneCase(owner)
		var req identityRequestJSON
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": "curious"}, http.StatusCreated, &req)
		custTok := e.staffLogin(custodian)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/deny", custTok, map[string]string{"reason": ""}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/deny", custTok, map[string]string{"reason": "no need shown denymarker-3k"}, http.StatusNoContent, nil)

		var c identityCaseJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, owner, nil, http.StatusOK, &c)
		if !c.HasIdentity || len(c.Identity) != 0 {
			t.Fatalf("denied handler reads the identity: %+v", c)
		}
		var list identityListJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/identity-requests", owner, nil, http.StatusOK, &list)
		if len(list.Own) != 1 || list.Own[0].State != store.IdentityDenied || list.Own[0].DecisionReason != "no need shown denymarker-3k" {
			t.Fatalf("own requests %+v", list)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/identity-requests", custTok, nil, http.StatusOK, &list)
		if len(list.Pending) != 0 {
			t.Fatalf("decided request still pending: %+v", list)
		}
		var j journalJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", owner, nil, http.StatusOK, &j)
		found := false
		for _, en := range j.Entries {
			found = found || en.Kind == "identity" && en.Action == "deny" && en.Reason == "no need shown denymarker-3k"
		}
		if !found {
			t.Errorf("journal lacks the denial: %+v", j)
		}
		if !e.auditHas("identity.deny", id, e.userID(e.handler)) {
			t.Error("audit log lacks the denial")
		}
		if bytes.Contains(e.storedBytes(), []byte("denymarker-3k")) {
			t.Error("the denial reason is stored in clear")
		}
		// A new request is possible after a denial.
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": "now with cause"}, http.StatusCreated, nil)
	})
}

// Directive art. 16(1): the whistleblower's consent gives every current
// holder of the case the identity, with no custodian involved.
func TestWhistleblowerConsentSharesIdentity(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		colleague := e.addUser("colleague@example.org", accounts.RoleHandler, org.DefaultChannel)
		receipt := e.submitOK(identityAnswers("consent", "Per Consentmarker"))
		owner := e.staffLogin(e.handler)
		id := e.oneCase(owner)
		// Without a custodian nobody could decide a request.
		var out struct{ Error struct{ Code string } }
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/identity-requests", owner, map[string]string{"reason": "why"}, http.StatusConflict, &out)
		if out.Error.Code != "no_custodian" {
			t.Fatalf("code %q", out.Error.Code)
		}
		wb := e.wbLogin(receipt)
		var shared struct {
			SharedWith int `json:"shared_with"`
		}
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/identity-consent", wb, nil, http.StatusOK, &shared)
		if shared.SharedWith != 2 {
			t.Fatalf("shared with %d", shared.SharedWith)
		}
		colTok := e.staffLogin(colleague)
		for _, tok := range []string{owner, colTok} {
			var c identityCaseJSON
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, tok, nil, http.StatusOK, &c)
			if c.Identity["identity_name"] != "Per Consentmarker" {
				t.Fatalf("holder does not read the identity after consent: %+v", c)
			}
		}
		var j journalJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", colTok, nil, http.StatusOK, &j)
		found := false
		for _, en := range j.Entries {
			found = found || en.Kind == "identity" && en.Action == "consent"
		}
		if !found {
			t.Errorf("journal lacks the consent: %+v", j)
		}
		for _, u := range []staffUser{e.handler, colleague} {
			if !e.auditHas("identity.consent", id, e.userID(u)) {
				t.Errorf("audit log lacks the consent for %s", u.Email)
			}
		}
		// Again: nobody new to share with.
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/identity-consent", wb, nil, http.StatusOK, &shared)
		if shared.SharedWith != 0 {
			t.Fatalf("second consent shared with %d", shared.SharedWith)
		}
	})
}

// The pages work without JavaScript: the sealed identity offers a request
// form, the custodian's page lists it with approve and deny forms, and the
// whistleblower's status page offers consent.
func TestIdentityVaultPages(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	custodian := e.addCustodian("custodian@example.org", accounts.RoleAdmin)
	receipt := e.submitOK(identityAnswers("pages", "Liv Pagemarker"))
	id := e.oneCase(e.staffLogin(e.handler))

	hc := e.staffCookieLogin(e.handler)
	page := e.page(e.staff.URL, "/cases/"+id+"?lang=en", hc, http.StatusOK)
	if !strings.Contains(page, "Identity sealed — request access") || strings.Contains(page, "Pagemarker") {
		t.Fatalf("case page lacks the request form or shows the identity")
	}
	e.postForm(e.staff.URL, "/cases/"+id+"/identity-requests", hc, url.Values{"reason": {"page reason"}}, http.StatusSeeOther)
	page = e.page(e.staff.URL, "/cases/"+id+"?lang=en", hc, http.StatusOK)
	if !strings.Contains(page, "waiting for a custodian") {
		t.Fatalf("case page does not show the pending request")
	}

	cc := e.staffCookieLogin(custodian)
	page = e.page(e.staff.URL, "/identity-requests?lang=en", cc, http.StatusOK)
	if !strings.Contains(page, "page reason") || !strings.Contains(page, "/approve") || !strings.Contains(page, `name="csrf"`) {
		t.Fatalf("requests page lacks the request")
	}
	var list identityListJSON
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/identity-requests", e.staffLogin(custodian), nil, http.StatusOK, &list)
	e.postForm(e.staff.URL, "/identity-requests/"+list.Pending[0].ID+"/approve", cc, url.Values{}, http.StatusSeeOther)
	page = e.page(e.staff.URL, "/cases/"+id+"?lang=en", hc, http.StatusOK)
	if !strings.Contains(page, "Liv Pagemarker") {
		t.Fatalf("approved handler's case page lacks the identity")
	}

	// Whistleblower: consent form on the status page.
	wc := e.wbCookieLogin(receipt)
	page = e.page(e.public.URL, "/status?lang=en", wc, http.StatusOK)
	if !strings.Contains(page, "Share my identity") || strings.Contains(page, "<script") {
		t.Fatalf("status page lacks the consent form")
	}
	e.postForm(e.public.URL, "/status/identity-consent", wc, url.Values{"confirm": {"yes"}}, http.StatusSeeOther)
	page = e.page(e.public.URL, "/status?lang=en", wc, http.StatusOK)
	if !strings.Contains(page, "You shared your identity") {
		t.Fatalf("status page does not show the consent")
	}
}

// staffCookieLogin signs in through the staff login form.
func (e *apiEnv) staffCookieLogin(u staffUser) *http.Cookie {
	e.t.Helper()
	e.clock.Advance(31 * time.Second)
	form := url.Values{"email": {u.Email}, "password": {u.Password}, "code": {totp.Code(u.TOTP, e.clock.Now())}}
	return e.loginCookie(e.staff.URL+"/login", form, staffCookie)
}

func (e *apiEnv) wbCookieLogin(receipt string) *http.Cookie {
	e.t.Helper()
	return e.loginCookie(e.public.URL+"/login", url.Values{"receipt": {receipt}}, wbCookie)
}

func (e *apiEnv) loginCookie(target string, form url.Values, name string) *http.Cookie {
	e.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(target, form)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	e.t.Fatalf("login to %s: %d, no cookie", target, resp.StatusCode)
	return nil
}

func (e *apiEnv) page(base, path string, c *http.Cookie, want int) string {
	e.t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("GET %s: %d, want %d", path, resp.StatusCode, want)
	}
	return b.String()
}

// postForm posts a form with the session's CSRF token.
func (e *apiEnv) postForm(base, path string, c *http.Cookie, form url.Values, want int) {
	e.t.Helper()
	form.Set("csrf", csrfToken(c.Value))
	form.Set("lang", "en")
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		e.t.Fatalf("POST %s: %d, want %d: %.300s", path, resp.StatusCode, want, b.String())
	}
}
