package web

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
)

// CA-4, DN-1, DN-2: persons concerned through the staff pages.
func TestHTMLPersonsConcerned(t *testing.T) {
	env := htmlTestServer(t, true)
	c, casePath := htmlStaffCase(t, env, htmlValidAnswers())
	csrf := csrfToken(c.Value)
	staff := env.srv.Staff()

	_, body := htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page", body, `id="persons-title"`, `id="person-role"`, "No persons concerned have been registered.",
		"Disclosure notes", "Export case (zip)")

	// A rejected add shows the form again with its values.
	res, body := htmlDo(t, staff, htmlPostForm(casePath+"/persons", url.Values{"csrf": {csrf}, "role": {"witness"}, "name": {""}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("add without a name: %d", res.StatusCode)
	}
	htmlWant(t, "rejected add", body, "error-summary", `href="#person-name"`, "Enter the person&#39;s name.")

	res, body = htmlDo(t, staff, htmlPostForm(casePath+"/persons", url.Values{"csrf": {csrf}, "role": {"reported_person"},
		"name": {"Jane <Doe>"}, "aliases": {"JD, J. Doe ,"}, "contact": {"jane@example.org"}, "notes": {"Head of finance"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add person: %d\n%s", res.StatusCode, body)
	}
	personPath := res.Header.Get("Location")
	if !strings.HasPrefix(personPath, casePath+"/persons/") {
		t.Fatalf("add person redirects to %q", personPath)
	}
	personPath = strings.SplitN(personPath, "?", 2)[0]

	_, body = htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page with a person", body, ">Person A</a>", "Reported person", "Pending")
	htmlWantNot(t, "case page with a person", body, "Jane", "jane@example.org", "Head of finance")

	_, body = htmlDo(t, staff, htmlGet(personPath, c))
	htmlWant(t, "person page", body, "Person A", "Jane &lt;Doe&gt;", "<li>JD</li>", "<li>J. Doe</li>", "jane@example.org",
		"Head of finance", `id="notified-on"`, `id="defer-reason"`)

	// A deferral needs a reason.
	review := env.clock.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	res, body = htmlDo(t, staff, htmlPostForm(personPath+"/defer", url.Values{"csrf": {csrf}, "legal_basis": {"GDPR art. 14(5)(b)"},
		"review_on": {review}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("defer without a reason: %d", res.StatusCode)
	}
	htmlWant(t, "rejected deferral", body, "error-summary", `href="#defer-reason"`, "Enter the reason for deferring the notification.",
		`value="GDPR art. 14(5)(b)"`)

	res, _ = htmlDo(t, staff, htmlPostForm(personPath+"/defer", url.Values{"csrf": {csrf}, "reason": {"It would warn the suspect"},
		"legal_basis": {"GDPR art. 14(5)(b)"}, "review_on": {review}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("defer: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page after the deferral", body, "Deferred", review)

	today := env.clock.Now().Format(time.DateOnly)
	res, _ = htmlDo(t, staff, htmlPostForm(personPath+"/notified", url.Values{"csrf": {csrf}, "on": {today}, "method": {"letter"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("notified: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(personPath, c))
	htmlWant(t, "person page after notification", body, "Notified", "Letter")
	htmlWantNot(t, "person page after notification", body, `id="defer-reason"`)

	res, _ = htmlDo(t, staff, htmlPostForm(casePath+"/persons", url.Values{"role": {"witness"}, "name": {"X"}}, c))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("add without csrf: %d", res.StatusCode)
	}
}

var htmlNoteLinkRE = regexp.MustCompile(`href="(/cases/[^"/]+/disclosures/[^"?]+)\?`)

// DA-1: disclosure notes through the staff pages; RT-3: the export.
func TestHTMLDisclosureNotesAndExport(t *testing.T) {
	env := htmlTestServer(t, true)
	c, casePath := htmlStaffCase(t, env, htmlValidAnswers())
	csrf := csrfToken(c.Value)
	staff := env.srv.Staff()

	_, body := htmlDo(t, staff, htmlGet(casePath+"/disclosures", c))
	htmlWant(t, "disclosures page", body, "No disclosure notes yet.", `id="disclose-recipient"`, `name="answers" value="what"`)

	res, body := htmlDo(t, staff, htmlPostForm(casePath+"/disclosures", url.Values{"csrf": {csrf}, "legal_basis": {"Law"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("note without recipient: %d", res.StatusCode)
	}
	htmlWant(t, "rejected note", body, "error-summary", "Enter the recipient.", "Select at least one answer")

	res, body = htmlDo(t, staff, htmlPostForm(casePath+"/disclosures", url.Values{"csrf": {csrf}, "recipient": {"The Police"},
		"legal_basis": {"Criminal procedure act"}, "date": {env.clock.Now().Format(time.DateOnly)}, "answers": {"what"},
		"text": {"Forwarded for investigation."}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create note: %d\n%s", res.StatusCode, body)
	}
	notePath := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]

	_, body = htmlDo(t, staff, htmlGet(casePath+"/disclosures", c))
	htmlWant(t, "disclosures page", body, "The Police", "Draft")
	if m := htmlNoteLinkRE.FindStringSubmatch(body); m == nil || m[1] != notePath {
		t.Errorf("note link %v, want %s", m, notePath)
	}

	_, body = htmlDo(t, staff, htmlGet(notePath, c))
	htmlWant(t, "note page", body, "Criminal procedure act", "The boss took the money.", "Forwarded for investigation.",
		notePath+"/pdf", `action="`+notePath+`/finalise`)

	res, _ = htmlDo(t, staff, htmlPostForm(notePath+"/finalise", url.Values{"csrf": {csrf}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("finalise: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(notePath, c))
	htmlWant(t, "final note", body, "Final")
	htmlWantNot(t, "final note", body, "/finalise")
	res, body = htmlDo(t, staff, htmlPostForm(notePath+"/finalise", url.Values{"csrf": {csrf}}, c))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("finalise twice: %d", res.StatusCode)
	}
	htmlWant(t, "second finalise", body, "The note is already final.")

	res, body = htmlDo(t, staff, htmlGet(notePath+"/pdf", c))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(body, "%PDF") {
		t.Fatalf("pdf: %d %.20q", res.StatusCode, body)
	}

	res, body = htmlDo(t, staff, htmlGet(casePath+"/export", c))
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(body, "PK") {
		t.Error("the export is not a zip")
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Errorf("export disposition %q", cd)
	}

	// Without a session: to the sign-in page.
	res, _ = htmlDo(t, staff, htmlGet(casePath+"/export"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("export without a session: %d", res.StatusCode)
	}
}

// ST-1: the statistics page is for admins and the DPO only.
func TestHTMLStatisticsForbiddenToHandlers(t *testing.T) {
	env := htmlTestServer(t, true)
	c := htmlStaffLogin(t, env)
	staff := env.srv.Staff()
	res, body := htmlDo(t, staff, htmlGet("/statistics", c))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("statistics for a handler: %d", res.StatusCode)
	}
	htmlWant(t, "refused statistics", body, "Only administrators and the data protection officer")
	_, body = htmlDo(t, staff, htmlGet("/", c))
	htmlWantNot(t, "handler's inbox", body, `href="/statistics`)
}

// ST-1: an admin sees the counts, small ones suppressed, and picks a year.
func TestHTMLStatisticsForAdmins(t *testing.T) {
	env := htmlTestServer(t, true)
	htmlSubmitReport(t, env, htmlValidAnswers(), nil)
	acc := accounts.New(accounts.Config{DB: env.db, KDF: keys.NewKDF(1), Params: keys.TestParams, Tenant: org.DefaultTenant, Now: env.clock.Now})
	admin, err := acc.CreateUser(context.Background(), accounts.NewUser{Email: "admin@example.org", Role: accounts.RoleAdmin, Password: htmlPassword})
	if err != nil {
		t.Fatal(err)
	}
	acceptDeclarationFor(t, env.db, org.DefaultTenant, admin.UserID)
	env.email = "admin@example.org"
	if env.totpSecret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(admin.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	c := htmlStaffLogin(t, env)
	staff := env.srv.Staff()
	_, body := htmlDo(t, staff, htmlGet("/", c))
	htmlWant(t, "admin's inbox", body, `href="/statistics?lang=en"`)
	res, body := htmlDo(t, staff, htmlGet("/statistics?year=2025&lang=en", c))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("statistics: %d\n%s", res.StatusCode, body)
	}
	htmlWant(t, "statistics", body, `<option value="2025" selected>`, "Reports received in 2025", "&lt;5", "Reports received per month")
	res, _ = htmlDo(t, staff, htmlGet("/statistics?year=1999", c))
	if res.StatusCode != http.StatusUnprocessableEntity && res.StatusCode != http.StatusBadRequest {
		t.Fatalf("statistics for 1999: %d", res.StatusCode)
	}
}
