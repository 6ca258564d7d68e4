package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// GDPR art. 18 without JavaScript: from a restriction request's page the
// admin opens its links page, links the case by number, restricts it,
// and lifting without confirming that the requester was told is refused
// with the form kept; with it the restriction is lifted.
func TestHTMLRequestLinksRestrictAndLift(t *testing.T) {
	env := htmlTestServer(t, true)
	htmlSubmitReport(t, env, htmlValidAnswers(), nil)
	c := htmlRegistersAdmin(t, env)
	h := env.srv.Staff()
	_, body := htmlDo(t, h, htmlGet("/registers/requests?lang=en", c))
	csrf := htmlCSRF(t, body)
	form := url.Values{"csrf": {csrf}, "lang": {"en"}, "type": {"restriction"}, "requester": {"Jane Doe"},
		"received_at": {env.clock.Now().Format(time.DateOnly)}, "channel": {"email"}}
	res, body := htmlDo(t, h, htmlPostForm("/registers/requests", form, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register request: status %d\n%s", res.StatusCode, body)
	}
	path := strings.Split(res.Header.Get("Location"), "?")[0]
	_, body = htmlDo(t, h, htmlGet(path+"?lang=en", c))
	htmlWant(t, "request page", body, `href="`+path+`/links?lang=en"`)
	htmlDo(t, h, htmlPostForm(path+"/verify", url.Values{"csrf": {csrf}, "lang": {"en"}, "method": {"call_back"}}, c))

	// An unknown case number is a field error; the case's number links.
	res, body = htmlDo(t, h, htmlPostForm(path+"/links", url.Values{"csrf": {csrf}, "lang": {"en"}, "case_number": {"99"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown case: status %d", res.StatusCode)
	}
	htmlWant(t, "link error", body, `href="#link-case_number"`, `aria-invalid="true"`)
	res, _ = htmlDo(t, h, htmlPostForm(path+"/links", url.Values{"csrf": {csrf}, "lang": {"en"}, "case_number": {"1"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: status %d", res.StatusCode)
	}
	links, err := env.db.DSRLinksOfRequest(context.Background(), env.srv.d.Tenant, strings.TrimPrefix(path, "/registers/requests/"))
	if err != nil || len(links) != 1 {
		t.Fatalf("links: %v %v", links, err)
	}
	lid := links[0].ID
	_, body = htmlDo(t, h, htmlGet(path+"/links?lang=en", c))
	htmlWant(t, "links page", body, "Case 1", "not carried out yet", `action="`+path+`/links/`+lid+`/restrict?lang=en"`)
	htmlWantNot(t, "links page", body, "<script")

	res, _ = htmlDo(t, h, htmlPostForm(path+"/links/"+lid+"/restrict", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("restrict: status %d", res.StatusCode)
	}
	res, body = htmlDo(t, h, htmlPostForm(path+"/links/"+lid+"/lift", url.Values{"csrf": {csrf}, "lang": {"en"}, "reason": {"Accuracy confirmed"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("lift without telling the requester: status %d", res.StatusCode)
	}
	htmlWant(t, "lift error", body, `href="#lift-`+lid+`-requester_informed"`, "Accuracy confirmed", "processing restricted")
	res, _ = htmlDo(t, h, htmlPostForm(path+"/links/"+lid+"/lift", url.Values{"csrf": {csrf}, "lang": {"en"},
		"reason": {"Accuracy confirmed"}, "requester_informed": {"yes"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("lift: status %d", res.StatusCode)
	}
	_, body = htmlDo(t, h, htmlGet(path+"/links?lang=da", c))
	htmlWant(t, "links page in Danish", body, "Sag 1", "begrænsningen er ophævet")
}
