package web

import (
	"context"
	"encoding/base32"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
)

var htmlVersionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

func htmlVersion(t *testing.T, body string) string {
	t.Helper()
	m := htmlVersionRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no version on the page:\n%s", body)
	}
	return m[1]
}

// DA-2 on the staff site, without JavaScript: one handler reviews the
// findings, adds a value and submits; they cannot approve their own copy;
// a second handler approves and releases it; the copy is offered in the
// disclosure form and the journal shows the steps.
func TestHTMLRedactionReviewAndFourEyesWorkWithoutJavaScript(t *testing.T) {
	env := htmlTestServer(t, true)
	ctx := context.Background()
	created, err := env.srv.d.Accounts.CreateUser(ctx, accounts.NewUser{Email: "reviewer@example.org", Role: accounts.RoleHandler,
		Password: htmlPassword, Channels: []string{org.DefaultChannel}})
	if err != nil {
		t.Fatal(err)
	}
	acceptDeclarationFor(t, env.db, org.DefaultTenant, created.UserID)
	reviewerEnv := *env
	reviewerEnv.email = "reviewer@example.org"
	if reviewerEnv.totpSecret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret); err != nil {
		t.Fatal(err)
	}
	const email = "ola.nordmann@example.no"
	htmlSubmitReport(t, env, htmlValidAnswers(), []byte("Kontakt "+email+" om saken i kantina.\n"))
	c1 := htmlStaffLogin(t, env)
	id := htmlOnlyCaseID(t, env, htmlStaff(t, env, c1))
	casePath := "/cases/" + id
	staff := env.srv.Staff()

	_, body := htmlDo(t, staff, htmlGet(casePath, c1))
	htmlWant(t, "case page", body, `href="`+casePath+`/redactions?lang=en"`)
	_, body = htmlDo(t, staff, htmlGet(casePath+"/redactions", c1))
	htmlWant(t, "copies page", body, "No anonymised copies yet.", `name="file"`, "evidence.txt")

	res, body := htmlDo(t, staff, htmlPostForm(casePath+"/redactions", url.Values{"csrf": {csrfToken(c1.Value)}}, c1))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("start without a file: %d", res.StatusCode)
	}
	htmlWant(t, "start without a file", body, "error-summary", "Choose a file.")
	fileID := regexp.MustCompile(`name="file" value="([a-z0-9]+)"`).FindStringSubmatch(body)[1]
	res, body = htmlDo(t, staff, htmlPostForm(casePath+"/redactions", url.Values{"csrf": {csrfToken(c1.Value)}, "file": {fileID}, "labels": {"nb"}}, c1))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d\n%s", res.StatusCode, body)
	}
	copyPath := strings.SplitN(res.Header.Get("Location"), "?", 2)[0]

	_, body = htmlDo(t, staff, htmlGet(copyPath, c1))
	htmlWant(t, "review page", body, email, `name="redact"`, "checked", "Submit for approval", `<pre class="text preview">`)
	preview := body[strings.Index(body, `<pre class="text preview">`):]
	if strings.Contains(preview[:strings.Index(preview, "</pre>")], email) {
		t.Error("the preview shows the e-mail address")
	}

	// A stale form changes nothing.
	res, body = htmlDo(t, staff, htmlPostForm(copyPath+"/values", url.Values{"csrf": {csrfToken(c1.Value)}, "version": {"99"}, "value": {"kantina"}}, c1))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("stale form: %d", res.StatusCode)
	}
	htmlWant(t, "stale form", body, "Someone changed the copy meanwhile.")
	res, _ = htmlDo(t, staff, htmlPostForm(copyPath+"/values", url.Values{"csrf": {csrfToken(c1.Value)}, "version": {htmlVersion(t, body)}, "value": {"kantina"}}, c1))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add value: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(copyPath, c1))
	preview = body[strings.Index(body, `<pre class="text preview">`):]
	if strings.Contains(preview[:strings.Index(preview, "</pre>")], "kantina") {
		t.Error("the manual value is still in the preview")
	}
	res, _ = htmlDo(t, staff, htmlPostForm(copyPath+"/submit", url.Values{"csrf": {csrfToken(c1.Value)}}, c1))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(copyPath, c1))
	htmlWant(t, "submitted copy", body, "Waiting for another case handler")
	htmlWantNot(t, "submitted copy as the preparer", body, copyPath+"/approve")
	res, body = htmlDo(t, staff, htmlPostForm(copyPath+"/approve", url.Values{"csrf": {csrfToken(c1.Value)}}, c1))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("the preparer approving: %d", res.StatusCode)
	}
	htmlWant(t, "the preparer approving", body, "another case handler must approve or reject it")

	c2 := htmlStaffLogin(t, &reviewerEnv)
	_, body = htmlDo(t, staff, htmlGet(copyPath, c2))
	htmlWant(t, "the reviewer's page", body, copyPath+"/approve", copyPath+"/reject")
	res, body = htmlDo(t, staff, htmlPostForm(copyPath+"/reject", url.Values{"csrf": {csrfToken(c2.Value)}}, c2))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reject without a reason: %d", res.StatusCode)
	}
	htmlWant(t, "reject without a reason", body, "Write why you reject the copy")
	for _, step := range []string{"approve", "release"} {
		res, body = htmlDo(t, staff, htmlPostForm(copyPath+"/"+step, url.Values{"csrf": {csrfToken(c2.Value)}}, c2))
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", step, res.StatusCode, body)
		}
	}
	_, body = htmlDo(t, staff, htmlGet(copyPath, c2))
	htmlWant(t, "released copy", body, "Released", copyPath+"/download")
	res, body = htmlDo(t, staff, htmlGet(copyPath+"/download", c2))
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") ||
		strings.Contains(body, email) || strings.Contains(body, "kantina") || !strings.Contains(body, "om saken") {
		t.Fatalf("download: %d %v %q", res.StatusCode, res.Header, body)
	}

	_, body = htmlDo(t, staff, htmlGet(casePath+"/disclosures", c1))
	htmlWant(t, "disclosure form", body, `name="redactions"`, "evidence (anonymised).txt")
	htmlWantNot(t, "disclosure form", body, `name="files"`)
	_, body = htmlDo(t, staff, htmlGet(casePath, c1))
	htmlWant(t, "journal", body, "An anonymised copy was approved", "An anonymised copy was released", "A released anonymised copy was downloaded")
}
