package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// inboxCount counts the cases the handler sees.
func (e *apiEnv) inboxCount(tok string) int {
	e.t.Helper()
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", tok, nil, http.StatusOK, &inbox)
	return len(inbox.Cases)
}

func reportFormParts(answers map[string]string) []htmlPart {
	parts := []htmlPart{{name: "lang", value: "en"}}
	for k, v := range answers {
		parts = append(parts, htmlPart{name: "q_" + k, value: v})
	}
	return parts
}

// RC-1: anonymous reports follow the organisation's flag. By default a
// report without identity is taken; once an admin says no, the landing
// page says so before the whistleblower starts, the form marks the
// identity questions required, and both the form and the API refuse an
// anonymous report (422, code identity_required) without storing
// anything, while a report with a name and a contact is taken.
func TestRC1AnonymousReportFollowsTenantFlag(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		hTok := e.staffLogin(e.handler)
		admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		pub := e.public.Config.Handler

		// Allowed (the default).
		var pol reportingJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/reporting", hTok, nil, http.StatusOK, &pol)
		if !pol.AnonymousAllowed {
			t.Fatal("anonymous reports are refused by default")
		}
		_, body := htmlDo(t, pub, htmlGet("/?lang=en"))
		htmlWant(t, "landing", body, "You can stay anonymous")
		e.submitOK(minimalAnswers("anonymous one"))

		// A handler may not change the flag; the admin may.
		off := map[string]any{"anonymous_allowed": false, "jurisdiction": "dk"}
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", hTok, off, http.StatusForbidden, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, map[string]any{"jurisdiction": "dk"},
			http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, off, http.StatusOK, &pol)
		if pol.AnonymousAllowed {
			t.Fatal("flag not stored")
		}

		// Not allowed: told before starting, refused when anonymous.
		_, body = htmlDo(t, pub, htmlGet("/?lang=en"))
		htmlWant(t, "landing", body, "does not accept anonymous reports")
		htmlWantNot(t, "landing", body, "You can stay anonymous")
		_, body = htmlDo(t, pub, htmlGet("/report/general?lang=en"))
		htmlWant(t, "form", body, "About you (required)")
		htmlWantNot(t, "form", body, "Leave this empty to stay anonymous")

		before := e.inboxCount(hTok)
		status, raw := e.submit(minimalAnswers("anonymous two"))
		var apiErr struct {
			Error struct {
				Code   string
				Fields []struct{ Question, Code string }
			}
		}
		json.Unmarshal(raw, &apiErr)
		if status != http.StatusUnprocessableEntity || apiErr.Error.Code != "identity_required" {
			t.Fatalf("anonymous API submit: %d %s", status, raw)
		}
		asked := map[string]string{}
		for _, f := range apiErr.Error.Fields {
			asked[f.Question] = f.Code
		}
		if asked["identity_name"] != "identity_required" || asked["identity_contact"] != "identity_required" {
			t.Errorf("fields %v, want the name and the contact", asked)
		}
		// A name alone is not enough: there must be a way to make contact.
		if status, raw := e.submit(identityAnswers("name only", "Jo")); status != http.StatusUnprocessableEntity {
			t.Errorf("name without contact: %d %s", status, raw)
		}
		res, body := htmlDo(t, pub, htmlPostMultipart(t, "/report/general", reportFormParts(htmlValidAnswers())))
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("anonymous form submit: %d", res.StatusCode)
		}
		htmlWant(t, "refused form", body, `role="alert"`, `href="#q_identity_name"`, `id="q_identity_contact-error"`,
			html.EscapeString("This organisation does not accept anonymous reports. Answer this question"))
		htmlWantNot(t, "refused form", body, `id="receipt"`)
		if got := e.inboxCount(hTok); got != before {
			t.Fatalf("refused reports were stored: %d cases, want %d", got, before)
		}

		withID := identityAnswers("named one", "Jo Hansen")
		withID["identity_contact"] = "+45 12 34 56 78"
		e.submitOK(withID)
		answers := htmlValidAnswers()
		answers["identity_name"], answers["identity_contact"] = "Kim", "kim@example.net"
		res, body = htmlDo(t, pub, htmlPostMultipart(t, "/report/general", reportFormParts(answers)))
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="receipt"`) {
			t.Fatalf("identified form submit: %d", res.StatusCode)
		}
		if got := e.inboxCount(hTok); got != before+2 {
			t.Fatalf("identified reports: %d cases, want %d", got, before+2)
		}
	})
}

// RC-6: the public page on the channels explains the internal channel,
// links to the external channel of the jurisdiction (Datatilsynet's
// scheme in Denmark, Arbeidstilsynet in Norway) and the EU bodies, is
// linked from the landing page and the footer, and shows the admin's
// text escaped, with only web addresses as links.
func TestRC6ChannelsPageLinksToExternalChannel(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		admin := e.staffLogin(e.addUser("admin@example.org", accounts.RoleAdmin))
		pub := e.public.Config.Handler

		_, landing := htmlDo(t, pub, htmlGet("/?lang=da"))
		if strings.Count(landing, `href="/channels?lang=da"`) < 2 {
			t.Error("landing page and footer do not both link to the channels page")
		}
		// The default follows the time zone; the test tenant counts in UTC.
		res, body := htmlDo(t, pub, htmlGet("/channels?lang=en"))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		htmlWant(t, "default page", body, "The internal channel", `href="https://anti-fraud.ec.europa.eu/"`)
		htmlWantNot(t, "default page", body, "<script")

		hostile := "Call our ombud: https://ombud.example/kontakt.\n\n<script>alert(1)</script> <img src=x onerror=alert(2)> data:text/html,x"
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, map[string]any{"anonymous_allowed": true,
			"jurisdiction": "dk", "channel_info": map[string]string{"da": hostile}}, http.StatusOK, nil)
		_, body = htmlDo(t, pub, htmlGet("/channels?lang=da"))
		htmlWant(t, "danish page", body, `href="https://whistleblower.dk/"`, "Datatilsynet",
			`<a href="https://ombud.example/kontakt" rel="noreferrer noopener">https://ombud.example/kontakt</a>.`,
			"&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;img src=x onerror=alert(2)&gt; data:text/html,x")
		htmlWantNot(t, "danish page", body, `href="data:`, `href="#ZgotmplZ"`)
		// The English page has no admin text in English: the section is left out.
		_, body = htmlDo(t, pub, htmlGet("/channels?lang=en"))
		htmlWantNot(t, "english page", body, "ombud.example", "From the organisation")

		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, map[string]any{"anonymous_allowed": true,
			"jurisdiction": "no"}, http.StatusOK, nil)
		_, body = htmlDo(t, pub, htmlGet("/channels?lang=nb"))
		htmlWant(t, "norwegian page", body, `href="https://www.arbeidstilsynet.no/"`, "Arbeidstilsynet", `href="https://www.eppo.europa.eu/"`)
		htmlWantNot(t, "norwegian page", body, "whistleblower.dk")

		// Bad input changes nothing.
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, map[string]any{"anonymous_allowed": true,
			"jurisdiction": "se"}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/reporting", admin, map[string]any{"anonymous_allowed": true,
			"jurisdiction": "dk", "channel_info": map[string]string{"de": "x"}}, http.StatusUnprocessableEntity, nil)
		var pol reportingJSON
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/reporting", admin, nil, http.StatusOK, &pol)
		if pol.Jurisdiction != "no" {
			t.Errorf("jurisdiction %q after refused changes, want no", pol.Jurisdiction)
		}
	})
}

// RC-1, RC-6: the admin sets the policy on the settings page, without
// JavaScript; a bad post is refused with 422 and changes nothing.
func TestRC1RC6SettingsPageSetsReportingPolicy(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		u := e.addUser("admin@example.org", accounts.RoleAdmin)
		c := e.staffCookieLogin(u)
		page := e.page(e.staff.URL, "/settings?lang=en", c, http.StatusOK)
		htmlWant(t, "settings", page, `action="/settings/reporting?lang=en"`, `id="anonymous-yes" name="anonymous" value="yes" checked`,
			`name="text_da"`)
		e.postForm(e.staff.URL, "/settings/reporting", c, url.Values{"anonymous": {"yes"}, "jurisdiction": {"xx"}}, http.StatusUnprocessableEntity)
		e.postForm(e.staff.URL, "/settings/reporting", c, url.Values{"anonymous": {"no"}, "jurisdiction": {"no"},
			"text_en": {"Our ombud: https://ombud.example/"}}, http.StatusSeeOther)
		page = e.page(e.staff.URL, "/settings?lang=en", c, http.StatusOK)
		htmlWant(t, "settings after saving", page, `id="anonymous-no" name="anonymous" value="no" checked`, `value="no" selected`,
			"Our ombud: https://ombud.example/</textarea>")
		_, body := htmlDo(t, e.public.Config.Handler, htmlGet("/channels?lang=en"))
		htmlWant(t, "channels page", body, `<a href="https://ombud.example/" rel="noreferrer noopener">`, "Arbeidstilsynet",
			"does not accept anonymous reports")
		if !e.auditHas("settings.update", "", "public.reporting") {
			t.Error("audit log lacks the settings change")
		}
		// A handler cannot change it.
		h := e.staffCookieLogin(e.handler)
		e.postForm(e.staff.URL, "/settings/reporting", h, url.Values{"anonymous": {"yes"}, "jurisdiction": {"dk"}}, http.StatusForbidden)
	})
}

// externalChannelLink tells whether href is one of the authorities'
// external channels the channels page links to (RC-6): the only links to
// another origin a whistleblower page may hold, and only as <a href>.
func externalChannelLink(href string) bool {
	for _, j := range org.Jurisdictions {
		for _, ec := range org.ExternalChannels(j) {
			if ec.URL == href {
				return true
			}
		}
	}
	return false
}
