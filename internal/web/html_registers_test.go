package web

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
)

// htmlRegistersAdmin creates an admin, signs in and returns the cookie.
func htmlRegistersAdmin(t *testing.T, env *htmlEnv) *http.Cookie {
	t.Helper()
	acc := env.srv.d.Accounts
	created, err := acc.CreateUser(context.Background(), accounts.NewUser{Email: "admin@example.org", Role: accounts.RoleAdmin, Password: htmlPassword})
	if err != nil {
		t.Fatal(err)
	}
	acceptDeclarationFor(t, env.db, env.srv.d.Tenant, created.UserID)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret)
	if err != nil {
		t.Fatal(err)
	}
	env.email, env.totpSecret = "admin@example.org", secret
	return htmlStaffLogin(t, env)
}

func htmlCSRF(t *testing.T, body string) string {
	t.Helper()
	const marker = `name="csrf" value="`
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatal("page has no csrf field")
	}
	rest := body[i+len(marker):]
	return rest[:strings.Index(rest, `"`)]
}

func TestHTMLRegistersForbiddenToHandlers(t *testing.T) {
	env := htmlTestServer(t, true)
	c := htmlStaffLogin(t, env)
	for _, p := range []string{"/registers", "/registers/breaches", "/registers/requests"} {
		res, body := htmlDo(t, env.srv.Staff(), htmlGet(p+"?lang=en", c))
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", p, res.StatusCode)
		}
		htmlWant(t, p, body, "Only administrators and the data protection officer")
	}
	_, body := htmlDo(t, env.srv.Staff(), htmlGet("/?lang=en", c))
	htmlWantNot(t, "handler's inbox", body, `href="/registers`)
}

func TestHTMLRegistersBreachFlow(t *testing.T) {
	env := htmlTestServer(t, true)
	c := htmlRegistersAdmin(t, env)
	h := env.srv.Staff()

	_, body := htmlDo(t, h, htmlGet("/?lang=en", c))
	htmlWant(t, "admin's inbox", body, `href="/registers?lang=en"`)
	res, body := htmlDo(t, h, htmlGet("/registers/breaches?lang=en", c))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("breaches: status %d\n%s", res.StatusCode, body)
	}
	csrf := htmlCSRF(t, body)

	// Aware 80 hours ago (UTC organisation): the 72 hours have passed.
	aware := env.clock.Now().Add(-80 * time.Hour).UTC().Format(localDateTime)
	xss := `<script>alert("x")</script>`
	form := url.Values{"csrf": {csrf}, "lang": {"en"}, "aware_at": {aware}, "type": {"confidentiality"},
		"what_happened": {"A laptop was stolen " + xss}, "approx_subjects": {"12"}, "severity": {"6"}}
	res, body = htmlDo(t, h, htmlPostForm("/registers/breaches", form, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record breach: status %d\n%s", res.StatusCode, body)
	}
	page := res.Header.Get("Location")
	if !strings.HasPrefix(page, "/registers/breaches/") {
		t.Fatalf("redirect to %q", page)
	}

	_, body = htmlDo(t, h, htmlGet("/registers/breaches?lang=en", c))
	htmlWant(t, "breach list", body, "<td>Confidentiality</td>", "Notify the authority by", "Overdue by 8 hours", "due-overdue")

	_, body = htmlDo(t, h, htmlGet(page, c))
	htmlWant(t, "breach page", body, "Confidentiality breach, known since", "A laptop was stolen &lt;script&gt;", "Reason for the delay", "notify-late_reason", "Close the breach")
	htmlWantNot(t, "breach page", body, xss)

	// Notifying late without a reason names the missing content and reason.
	res, body = htmlDo(t, h, htmlPostForm(strings.Split(page, "?")[0]+"/notify-authority", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("notify: status %d", res.StatusCode)
	}
	htmlWant(t, "incomplete notification", body, `role="alert"`, "lacks required content")

	_, body = htmlDo(t, h, htmlGet("/registers?lang=en", c))
	htmlWant(t, "overview", body, "Breaches not notified within 72 hours: 1", "Open: 1. Not notified in time: 1.", "The quarterly access review is overdue")
}

func TestHTMLRegistersRequestValidation(t *testing.T) {
	env := htmlTestServer(t, true)
	c := htmlRegistersAdmin(t, env)
	h := env.srv.Staff()
	_, body := htmlDo(t, h, htmlGet("/registers/requests?lang=en", c))
	csrf := htmlCSRF(t, body)

	res, body := htmlDo(t, h, htmlPostForm("/registers/requests", url.Values{"csrf": {csrf}, "lang": {"en"}, "type": {"access"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("missing fields: status %d", res.StatusCode)
	}
	htmlWant(t, "request errors", body, `role="alert"`, `href="#request-requester"`, `href="#request-received_at"`,
		`href="#request-channel"`, `aria-invalid="true"`, `<option value="access" selected>`)
	htmlWantNot(t, "request errors", body, `href="#request-type"`)

	day := env.clock.Now().Format(time.DateOnly)
	form := url.Values{"csrf": {csrf}, "lang": {"en"}, "type": {"erasure"}, "requester": {"Jane <b>Doe</b>"},
		"received_at": {day}, "channel": {"email"}}
	res, body = htmlDo(t, h, htmlPostForm("/registers/requests", form, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register request: status %d\n%s", res.StatusCode, body)
	}
	page := res.Header.Get("Location")
	_, body = htmlDo(t, h, htmlGet(page, c))
	htmlWant(t, "request page", body, "Jane &lt;b&gt;Doe&lt;/b&gt;", "Answer by 2025-04-04", "Verify the identity", "Refuse the request")

	// Refusing without confirming the complaint notice is refused.
	path := strings.Split(page, "?")[0]
	res, body = htmlDo(t, h, htmlPostForm(path+"/refuse", url.Values{"csrf": {csrf}, "lang": {"en"}, "reason": {"Manifestly unfounded"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("refuse: status %d", res.StatusCode)
	}
	htmlWant(t, "refusal", body, `href="#refuse-complaint_notice_given"`, "Manifestly unfounded")

	res, _ = htmlDo(t, h, htmlPostForm(path+"/verify", url.Values{"csrf": {csrf}, "lang": {"en"}, "method": {"call_back"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("verify: status %d", res.StatusCode)
	}
	res, _ = htmlDo(t, h, htmlPostForm(path+"/complete", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: status %d", res.StatusCode)
	}
	_, body = htmlDo(t, h, htmlGet("/registers/requests?lang=en", c))
	htmlWant(t, "request list", body, "Completed")
}
