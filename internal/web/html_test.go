package web

import (
	"bytes"
	"context"
	"encoding/base32"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
	"github.com/varsel/varsel/internal/totp"
)

type htmlEnv struct {
	srv        *Server
	db         *store.DB
	clock      *testClock
	email      string
	password   string
	totpSecret []byte
}

const htmlPassword = "correct horse battery staple"

// htmlTestServer builds a real server over a fresh SQLite store. With
// initOrg the organisation exists with one handler of the default channel.
func htmlTestServer(t *testing.T, initOrg bool) *htmlEnv {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite)
	blobs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)}
	kdf := keys.NewKDF(2)
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	acc := accounts.New(accounts.Config{DB: db, KDF: kdf, Params: keys.TestParams, Tenant: org.DefaultTenant, Now: clock.Now})
	in := intake.New(intake.Config{DB: db, Blobs: blobs, KDF: kdf, Params: keys.TestParams,
		Pepper: []byte("0123456789abcdef0123456789abcdef"), Tenant: org.DefaultTenant, MaxFileSize: 1 << 20, Now: clock.Now})
	cs := cases.New(cases.Config{DB: db, Blobs: blobs, MaxFileSize: 1 << 20, Now: clock.Now})
	env := &htmlEnv{db: db, clock: clock, email: "handler@example.org", password: htmlPassword}
	if initOrg {
		if err := org.Init(ctx, db, org.DefaultTenant, "Acme", clock.Now()); err != nil {
			t.Fatal(err)
		}
		created, err := acc.CreateUser(ctx, accounts.NewUser{Email: env.email, Role: accounts.RoleHandler,
			Password: htmlPassword, Channels: []string{org.DefaultChannel}})
		if err != nil {
			t.Fatal(err)
		}
		acceptDeclarationFor(t, db, org.DefaultTenant, created.UserID)
		env.totpSecret, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret)
		if err != nil {
			t.Fatal(err)
		}
	}
	srv, err := New(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Intake: in, Cases: cs, Accounts: acc, DB: db, Catalog: cat, Now: clock.Now, Tenant: org.DefaultTenant})
	if err != nil {
		t.Fatal(err)
	}
	env.srv = srv
	return env
}

// htmlDo sends a request and checks the rules every HTML page follows.
func htmlDo(t *testing.T, h http.Handler, req *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") && (res.StatusCode < 300 || res.StatusCode >= 400) {
		htmlCheckPage(t, req, string(body))
	}
	return res, string(body)
}

var (
	htmlStyleAttr   = regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle\s*=`)
	htmlHandlerAttr = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
)

func htmlCheckPage(t *testing.T, req *http.Request, body string) {
	t.Helper()
	where := req.Method + " " + req.URL.Path
	lower := strings.ToLower(body)
	if strings.Contains(lower, "<script") {
		t.Errorf("%s: page contains <script", where)
	}
	if strings.Contains(lower, "<style") || htmlStyleAttr.MatchString(body) {
		t.Errorf("%s: page contains inline style", where)
	}
	if strings.Contains(lower, "javascript:") || htmlHandlerAttr.MatchString(body) {
		t.Errorf("%s: page contains script handlers", where)
	}
	if n := strings.Count(lower, "<h1"); n != 1 {
		t.Errorf("%s: %d h1 elements, want 1", where, n)
	}
	for _, landmark := range []string{"<html lang=", "<header", "<main", "<footer"} {
		if !strings.Contains(lower, landmark) {
			t.Errorf("%s: missing %s", where, landmark)
		}
	}
	// Every visible form control has a label.
	ids := regexp.MustCompile(`<(?:input|textarea|select)\s[^>]*>`).FindAllString(body, -1)
	for _, tag := range ids {
		if strings.Contains(tag, `type="hidden"`) {
			continue
		}
		m := regexp.MustCompile(`\sid="([^"]+)"`).FindStringSubmatch(tag)
		if m == nil {
			t.Errorf("%s: control without id: %s", where, tag)
			continue
		}
		if !strings.Contains(body, `for="`+m[1]+`"`) {
			t.Errorf("%s: control %q has no label", where, m[1])
		}
	}
}

func htmlGet(target string, cookies ...*http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func htmlPostForm(target string, form url.Values, cookies ...*http.Cookie) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

type htmlPart struct {
	name, value      string
	filename, ctype  string
	isFile           bool
	fileBody         []byte
	placeholderEmpty bool
}

func htmlPostMultipart(t *testing.T, target string, parts []htmlPart, cookies ...*http.Cookie) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		if p.isFile {
			fw, err := mw.CreateFormFile(p.name, p.filename)
			if err != nil {
				t.Fatal(err)
			}
			fw.Write(p.fileBody)
			continue
		}
		mw.WriteField(p.name, p.value)
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, target, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return req
}

func htmlCookie(t *testing.T, res *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s in response (status %d)", name, res.StatusCode)
	return nil
}

var htmlReceiptRE = regexp.MustCompile(`id="receipt"[^>]*>([^<]+)<`)

// htmlSubmitReport posts the report form with the given answers and files
// and returns the receipt shown on the page.
func htmlSubmitReport(t *testing.T, env *htmlEnv, answers map[string]string, file []byte) string {
	t.Helper()
	parts := []htmlPart{{name: "lang", value: "en"}}
	for k, v := range answers {
		parts = append(parts, htmlPart{name: "q_" + k, value: v})
	}
	if file != nil {
		parts = append(parts, htmlPart{name: "files", isFile: true, filename: "evidence.txt", fileBody: file})
	}
	res, body := htmlDo(t, env.srv.Public(), htmlPostMultipart(t, "/report/general", parts))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("submit: status %d\n%s", res.StatusCode, body)
	}
	m := htmlReceiptRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no receipt on page:\n%s", body)
	}
	if len(res.Cookies()) != 0 {
		t.Error("the receipt page sets a cookie")
	}
	return strings.TrimSpace(m[1])
}

func htmlValidAnswers() map[string]string {
	return map[string]string{"what": "The boss took the money.", "when": "March 2024", "how_known": "witnessed"}
}

// htmlStaffLogin signs the handler in through the login form.
func htmlStaffLogin(t *testing.T, env *htmlEnv) *http.Cookie {
	t.Helper()
	env.clock.Advance(30 * time.Second)
	form := url.Values{"email": {env.email}, "password": {env.password}, "code": {totp.Code(env.totpSecret, env.clock.Now())}, "lang": {"en"}}
	res, body := htmlDo(t, env.srv.Staff(), htmlPostForm("/login", form))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("staff login: status %d\n%s", res.StatusCode, body)
	}
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/") {
		t.Errorf("staff login redirects to %q", loc)
	}
	return htmlCookie(t, res, staffCookie)
}

func htmlStaff(t *testing.T, env *htmlEnv, c *http.Cookie) *accounts.Staff {
	t.Helper()
	st, err := env.srv.d.Accounts.Authenticate(context.Background(), c.Value)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestHTMLLandingInEveryLanguageIsSmall(t *testing.T) {
	env := htmlTestServer(t, true)
	css, err := staticFS.ReadFile("static/varsel.css")
	if err != nil {
		t.Fatal(err)
	}
	if len(css) > 8<<10 {
		t.Errorf("stylesheet is %d bytes, want < 8 KB", len(css))
	}
	for _, lang := range i18n.Supported {
		t.Run(lang, func(t *testing.T) {
			res, body := htmlDo(t, env.srv.Public(), htmlGet("/?lang="+lang))
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if !strings.Contains(body, `<html lang="`+lang+`"`) {
				t.Error("wrong html lang")
			}
			want := env.srv.d.Catalog.T(lang, "landing.title")
			if !strings.Contains(body, want) {
				t.Errorf("page lacks title %q", want)
			}
			for _, s := range []string{`href="/report/general?lang=` + lang + `"`, `action="/login?lang=` + lang + `"`,
				`name="receipt"`, `autocomplete="off"`, `href="/privacy?lang=` + lang + `"`, "Tor Browser", `?lang=da"`, `?lang=nb"`} {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			if total := len(body) + len(css); total > 50<<10 {
				t.Errorf("landing page with CSS is %d bytes, want at most 50 KB", total)
			}
		})
	}
	// Without an explicit choice, Accept-Language decides.
	req := htmlGet("/")
	req.Header.Set("Accept-Language", "nb-NO,nb;q=0.9")
	if _, body := htmlDo(t, env.srv.Public(), req); !strings.Contains(body, `<html lang="nb"`) {
		t.Error("Accept-Language nb not honoured")
	}
}

func TestHTMLStaticAndPrivacy(t *testing.T) {
	env := htmlTestServer(t, true)
	res, body := htmlDo(t, env.srv.Public(), htmlGet("/"))
	m := regexp.MustCompile(`href="(/static/varsel\.css[^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no stylesheet link")
	}
	res, _ = htmlDo(t, env.srv.Public(), htmlGet(strings.ReplaceAll(m[1], "&amp;", "&")))
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") ||
		!strings.Contains(res.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Errorf("stylesheet: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	for _, h := range []http.Handler{env.srv.Public(), env.srv.Staff()} {
		if res, _ := htmlDo(t, h, htmlGet("/static/nope.css")); res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown static file: %d", res.StatusCode)
		}
	}
	res, body = htmlDo(t, env.srv.Public(), htmlGet("/privacy?lang=da"))
	if res.StatusCode != 200 || !strings.Contains(body, "Sådan behandler vi dine oplysninger") {
		t.Errorf("privacy: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, env.srv.Public(), htmlGet("/no/such/page"))
	if res.StatusCode != http.StatusNotFound || res.Header.Get("Content-Security-Policy") == "" {
		t.Errorf("not found page: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, env.srv.Public(), htmlGet("/report/nosuch"))
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown channel: %d", res.StatusCode)
	}
}

func TestHTMLReportFormMarkup(t *testing.T) {
	env := htmlTestServer(t, true)
	res, body := htmlDo(t, env.srv.Public(), htmlGet("/report/general?lang=da"))
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, s := range []string{`method="post"`, `enctype="multipart/form-data"`, `action="/report/general?lang=da"`,
		`<textarea id="q_what" name="q_what"`, `type="radio" id="q_how_known--witnessed" name="q_how_known"`,
		`aria-describedby="q_what-help"`, `<legend>Om dig (valgfrit)</legend>`, `name="lang" value="da"`, "Skal udfyldes"} {
		if !strings.Contains(body, s) {
			t.Errorf("form lacks %s", s)
		}
	}
	// The file input is the last field, so text parts arrive before files.
	form := body[strings.Index(body, "<form"):strings.Index(body, "</form>")]
	if last := strings.LastIndex(form, "<input"); !strings.Contains(form[last:], `type="file" id="files" name="files" multiple`) {
		t.Errorf("file input is not last: %s", form[last:])
	}
}

func TestHTMLWhistleblowerFlow(t *testing.T) {
	env := htmlTestServer(t, true)
	pub := env.srv.Public()
	receipt := htmlSubmitReport(t, env, map[string]string{"what": "Line one\nLine two", "when": "Yesterday",
		"how_known": "documents", "identity_name": "Kari"}, []byte("the evidence"))

	// A wrong receipt re-renders the landing page with an error.
	res, body := htmlDo(t, pub, htmlPostForm("/login", url.Values{"receipt": {"AAAA-BBBB"}, "lang": {"en"}}))
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, `href="#receipt"`) {
		t.Errorf("bad receipt: %d", res.StatusCode)
	}

	res, body = htmlDo(t, pub, htmlPostForm("/login", url.Values{"receipt": {receipt}, "lang": {"da"}}))
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/status?lang=da" {
		t.Fatalf("login: %d %q\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	c := htmlCookie(t, res, wbCookie)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
		t.Error("session cookie lacks HttpOnly or SameSite=Strict")
	}

	res, body = htmlDo(t, pub, htmlGet("/status?lang=en", c))
	if res.StatusCode != 200 {
		t.Fatalf("status page: %d", res.StatusCode)
	}
	for _, s := range []string{"What happened?", "Line one\nLine two", "From documents", "Kari", "evidence.txt", "Received", "csrf"} {
		if !strings.Contains(body, s) {
			t.Errorf("status page lacks %q", s)
		}
	}
	csrf := csrfToken(c.Value)

	// A handler replies.
	staffC := htmlStaffLogin(t, env)
	st := htmlStaff(t, env, staffC)
	id := htmlOnlyCaseID(t, env, st)
	if err := env.srv.d.Cases.Reply(context.Background(), st, id, "Thank you. Can you tell us more?"); err != nil {
		t.Fatal(err)
	}
	_, body = htmlDo(t, pub, htmlGet("/status", c))
	if !strings.Contains(body, "Thank you. Can you tell us more?") || !strings.Contains(body, "Case handler") {
		t.Error("handler reply not shown")
	}

	// The whistleblower answers.
	res, _ = htmlDo(t, pub, htmlPostForm("/status/messages", url.Values{"text": {"More details here"}, "csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("message: %d", res.StatusCode)
	}
	// An empty message is refused on the page itself.
	res, body = htmlDo(t, pub, htmlPostForm("/status/messages", url.Values{"text": {"  "}, "csrf": {csrf}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#text"`) {
		t.Errorf("empty message: %d", res.StatusCode)
	}

	// Adding a file: csrf first, then files.
	res, _ = htmlDo(t, pub, htmlPostMultipart(t, "/status/files", []htmlPart{{name: "csrf", value: csrf}, {name: "lang", value: "en"},
		{name: "files", isFile: true, filename: "more.pdf", fileBody: []byte("%PDF")}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add files: %d", res.StatusCode)
	}
	_, body = htmlDo(t, pub, htmlGet("/status", c))
	if !strings.Contains(body, "More details here") || !strings.Contains(body, "more.pdf") {
		t.Error("message or file missing after posting")
	}
	m := regexp.MustCompile(`href="(/status/files/[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no file link")
	}
	rec := httptest.NewRecorder()
	pub.ServeHTTP(rec, htmlGet(m[1], c))
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d", rec.Code)
	}

	// Log out: the session ends and the cookie is removed.
	res, body = htmlDo(t, pub, htmlPostForm("/logout", url.Values{"csrf": {csrf}, "lang": {"en"}}, c))
	if res.StatusCode != 200 || !strings.Contains(body, "You have been logged out") {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	if gone := htmlCookie(t, res, wbCookie); gone.MaxAge >= 0 {
		t.Errorf("logout cookie MaxAge = %d, want < 0", gone.MaxAge)
	}
	res, _ = htmlDo(t, pub, htmlGet("/status", c))
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("status after logout: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, pub, htmlGet("/status"))
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("status without cookie: %d", res.StatusCode)
	}
}

func htmlOnlyCaseID(t *testing.T, env *htmlEnv, st *accounts.Staff) string {
	t.Helper()
	page, err := env.srv.d.Cases.Inbox(context.Background(), st, "", false, 10, 0)
	if err != nil || len(page.Rows) != 1 {
		t.Fatalf("inbox: %v, %d rows", err, len(page.Rows))
	}
	return page.Rows[0].ReportID
}

func TestHTMLValidationErrorKeepsValues(t *testing.T) {
	env := htmlTestServer(t, true)
	parts := []htmlPart{{name: "lang", value: "en"}, {name: "q_what", value: "Kept <text>"}, {name: "q_area", value: "environment"},
		{name: "files", isFile: true, filename: "a.txt", fileBody: []byte("x")}}
	res, body := htmlDo(t, env.srv.Public(), htmlPostMultipart(t, "/report/general", parts))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, s := range []string{`role="alert"`, "There is a problem", `href="#q_when"`, `href="#q_how_known--witnessed"`,
		`id="q_when-error"`, "Kept &lt;text&gt;", `value="environment" checked`, "attach them again"} {
		if !strings.Contains(body, s) {
			t.Errorf("page lacks %s", s)
		}
	}
	if strings.Contains(body, `id="receipt"`) {
		t.Error("receipt shown for invalid report")
	}

	// A file over the limit gives a friendly 413 page.
	parts = []htmlPart{{name: "lang", value: "en"}, {name: "q_what", value: "x"},
		{name: "files", isFile: true, filename: "big.bin", fileBody: make([]byte, 1<<20+1)}}
	res, body = htmlDo(t, env.srv.Public(), htmlPostMultipart(t, "/report/general", parts))
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large") {
		t.Errorf("oversized file: %d", res.StatusCode)
	}
}

func TestHTMLCSRFAndCrossSite(t *testing.T) {
	env := htmlTestServer(t, true)
	pub := env.srv.Public()
	receipt := htmlSubmitReport(t, env, htmlValidAnswers(), nil)
	res, _ := htmlDo(t, pub, htmlPostForm("/login", url.Values{"receipt": {receipt}}))
	c := htmlCookie(t, res, wbCookie)

	for name, form := range map[string]url.Values{
		"missing": {"text": {"hello"}},
		"wrong":   {"text": {"hello"}, "csrf": {csrfToken("another session")}},
	} {
		res, _ := htmlDo(t, pub, htmlPostForm("/status/messages", form, c))
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s csrf: status %d, want 403", name, res.StatusCode)
		}
	}
	res, _ = htmlDo(t, pub, htmlPostMultipart(t, "/status/files", []htmlPart{{name: "csrf", value: "bad"},
		{name: "files", isFile: true, filename: "x.txt", fileBody: []byte("x")}}, c))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("files with bad csrf: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, pub, htmlPostMultipart(t, "/status/files", []htmlPart{
		{name: "files", isFile: true, filename: "x.txt", fileBody: []byte("x")}}, c))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("files without csrf: %d", res.StatusCode)
	}
	_, body := htmlDo(t, pub, htmlGet("/status", c))
	if strings.Contains(body, "hello") || strings.Contains(body, "x.txt") {
		t.Error("a refused request changed the report")
	}

	req := htmlPostMultipart(t, "/report/general", []htmlPart{{name: "q_what", value: "x"}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := htmlDo(t, pub, req); res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site report: %d", res.StatusCode)
	}
	req = htmlPostForm("/login", url.Values{"receipt": {receipt}})
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res, _ := htmlDo(t, pub, req); res.StatusCode != http.StatusForbidden || len(res.Cookies()) != 0 {
		t.Errorf("cross-site login: %d", res.StatusCode)
	}
}

func TestHTMLStaffFlowEscapesContent(t *testing.T) {
	env := htmlTestServer(t, true)
	staff := env.srv.Staff()

	// Without a session the inbox sends to the sign-in page.
	res, _ := htmlDo(t, staff, htmlGet("/"))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("inbox without session: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body := htmlDo(t, staff, htmlGet("/login"))
	if res.StatusCode != 200 || !strings.Contains(body, `inputmode="numeric"`) || !strings.Contains(body, `autocomplete="one-time-code"`) {
		t.Errorf("login page: %d", res.StatusCode)
	}
	res, body = htmlDo(t, staff, htmlPostForm("/login", url.Values{"email": {env.email}, "password": {"wrong password!!"}, "code": {"123456"}}))
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "was not accepted") || len(res.Cookies()) != 0 {
		t.Errorf("bad login: %d", res.StatusCode)
	}

	const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	htmlSubmitReport(t, env, map[string]string{"what": "Fraud " + xss, "when": "now", "how_known": "told"}, nil)
	c := htmlStaffLogin(t, env)

	res, body = htmlDo(t, staff, htmlGet("/", c))
	if res.StatusCode != 200 || !strings.Contains(body, "#1") || !strings.Contains(body, "New") || !strings.Contains(body, `class="unread"`) {
		t.Fatalf("inbox: %d\n%s", res.StatusCode, body)
	}
	if !strings.Contains(body, "1–1 of 1") || !strings.Contains(body, "Report a concern") {
		t.Error("inbox lacks range or channel name")
	}
	res, _ = htmlDo(t, staff, htmlGet("/?sort=number&order=asc", c))
	if res.StatusCode != 200 {
		t.Errorf("sorted inbox: %d", res.StatusCode)
	}
	m := regexp.MustCompile(`href="/cases/([^"?]+)\?`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no case link")
	}
	caseURL := "/cases/" + m[1]

	// The whistleblower writes a message with markup in it.
	receiptStaff := htmlStaff(t, env, c)
	_ = receiptStaff
	res, body = htmlDo(t, staff, htmlGet(caseURL, c))
	if res.StatusCode != 200 {
		t.Fatalf("case page: %d", res.StatusCode)
	}
	if !strings.Contains(body, "Fraud &lt;script&gt;alert(1)&lt;/script&gt;") || !strings.Contains(body, "What happened?") {
		t.Error("answer not shown escaped")
	}
	if !strings.Contains(body, "Someone told me") {
		t.Error("choice answer not shown with its label")
	}

	csrf := csrfToken(c.Value)
	res, _ = htmlDo(t, staff, htmlPostForm(caseURL+"/messages", url.Values{"text": {"Reply " + xss}, "csrf": {csrf}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	res, _ = htmlDo(t, staff, htmlPostForm(caseURL+"/messages", url.Values{"text": {"forged"}, "csrf": {"nope"}}, c))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("reply without valid csrf: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(caseURL, c))
	if !strings.Contains(body, "Reply &lt;script&gt;") || strings.Contains(body, "forged") {
		t.Error("reply not shown escaped, or forged reply stored")
	}

	for _, u := range []string{"/cases/nosuchcase", "/cases/nosuchcase/files/x"} {
		if res, _ := htmlDo(t, staff, htmlGet(u, c)); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", u, res.StatusCode)
		}
	}

	res, body = htmlDo(t, staff, htmlPostForm("/logout", url.Values{"csrf": {csrf}}, c))
	if res.StatusCode != 200 || htmlCookie(t, res, staffCookie).MaxAge >= 0 {
		t.Errorf("staff logout: %d", res.StatusCode)
	}
	if res, _ := htmlDo(t, staff, htmlGet("/", c)); res.StatusCode != http.StatusSeeOther {
		t.Errorf("inbox after logout: %d", res.StatusCode)
	}
}

func TestHTMLSetup(t *testing.T) {
	env := htmlTestServer(t, false)
	staff := env.srv.Staff()
	token, err := org.NewSetupToken(context.Background(), env.db, org.DefaultTenant, env.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := htmlDo(t, staff, htmlGet("/setup?token=wrong")); res.StatusCode != http.StatusNotFound {
		t.Errorf("wrong token: %d", res.StatusCode)
	}
	res, body := htmlDo(t, staff, htmlGet("/setup?token="+url.QueryEscape(token)))
	if res.StatusCode != 200 || !strings.Contains(body, `name="token"`) {
		t.Fatalf("setup form: %d", res.StatusCode)
	}
	form := url.Values{"token": {token}, "org": {"Acme"}, "email": {"admin@example.org"}, "password": {"short"}, "password2": {"short"}}
	res, body = htmlDo(t, staff, htmlPostForm("/setup", form))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#password"`) || !strings.Contains(body, `value="Acme"`) {
		t.Errorf("weak password: %d", res.StatusCode)
	}
	form.Set("password", htmlPassword)
	form.Set("password2", htmlPassword)
	res, body = htmlDo(t, staff, htmlPostForm("/setup", form))
	if res.StatusCode != 200 {
		t.Fatalf("setup: %d\n%s", res.StatusCode, body)
	}
	for _, s := range []string{`id="totp-secret"`, "otpauth://totp/", `id="recovery-key"`, `href="/login?lang=en"`} {
		if !strings.Contains(body, s) {
			t.Errorf("setup result lacks %s", s)
		}
	}
	if res, _ := htmlDo(t, staff, htmlGet("/setup?token="+url.QueryEscape(token))); res.StatusCode != http.StatusNotFound {
		t.Errorf("setup link after use: %d", res.StatusCode)
	}
	// The public site now offers the new channel.
	_, body = htmlDo(t, env.srv.Public(), htmlGet("/"))
	if !strings.Contains(body, "/report/general") {
		t.Error("landing page lacks the default channel after setup")
	}
}

// htmlStaffCase submits one report, signs the handler in and returns the
// session cookie and the case page's path.
func htmlStaffCase(t *testing.T, env *htmlEnv, answers map[string]string) (*http.Cookie, string) {
	t.Helper()
	htmlSubmitReport(t, env, answers, nil)
	c := htmlStaffLogin(t, env)
	return c, "/cases/" + htmlOnlyCaseID(t, env, htmlStaff(t, env, c))
}

func htmlWant(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %s", what, s)
		}
	}
}

func htmlWantNot(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(body, s) {
			t.Errorf("%s has %s", what, s)
		}
	}
}

// CW-2, CW-3: the inbox shows each case's open deadline, most urgent first,
// with its status in words.
func TestHTMLInboxShowsDeadlines(t *testing.T) {
	env := htmlTestServer(t, true)
	staff := env.srv.Staff()
	c, caseURL := htmlStaffCase(t, env, htmlValidAnswers())

	// Received 2025-03-04: the acknowledgement is due seven days later.
	res, body := htmlDo(t, staff, htmlGet("/", c))
	if res.StatusCode != 200 {
		t.Fatalf("inbox: %d", res.StatusCode)
	}
	htmlWant(t, "inbox", body, ">Due", "Acknowledge by 2025-03-11", `aria-sort="ascending"`, "sort=due")
	htmlWantNot(t, "inbox", body, "Overdue", "Due soon")

	// Sessions expire while the clock moves on; sign in again after each jump.
	env.clock.Advance(6 * 24 * time.Hour) // 2025-03-10: within two days
	c = htmlStaffLogin(t, env)
	_, body = htmlDo(t, staff, htmlGet("/", c))
	htmlWant(t, "inbox a day before", body, `class="due due-soon"`, "Due soon")

	env.clock.Advance(2 * 24 * time.Hour) // 2025-03-12: past the deadline
	c = htmlStaffLogin(t, env)
	_, body = htmlDo(t, staff, htmlGet("/", c))
	htmlWant(t, "inbox after the deadline", body, `class="due due-overdue"`, "Overdue", "Acknowledge by 2025-03-11")
	_, body = htmlDo(t, staff, htmlGet(caseURL, c))
	htmlWant(t, "case page after the deadline", body, "Acknowledgement of receipt", "Acknowledge by 2025-03-11", "Overdue")

	// The first reply acknowledges; feedback is then due three months later.
	res, _ = htmlDo(t, staff, htmlPostForm(caseURL+"/messages", url.Values{"text": {"Thank you."}, "csrf": {csrfToken(c.Value)}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reply: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet("/?sort=due&order=asc", c))
	htmlWant(t, "inbox after the acknowledgement", body, "Feedback by 2025-06-12")
	htmlWantNot(t, "inbox after the acknowledgement", body, "Overdue", "Acknowledge by")
	_, body = htmlDo(t, staff, htmlGet(caseURL, c))
	htmlWant(t, "case page after the acknowledgement", body, "Acknowledged 2025-03-12", "Feedback by 2025-06-12")

	env.clock.Advance(85 * 24 * time.Hour) // 2025-06-05: within fourteen days
	c = htmlStaffLogin(t, env)
	_, body = htmlDo(t, staff, htmlGet("/", c))
	htmlWant(t, "inbox before the feedback deadline", body, "Due soon")

	// Every column sorts.
	for _, col := range []string{"number", "status", "due", "channel", "received", "activity"} {
		if res, _ := htmlDo(t, staff, htmlGet("/?sort="+col+"&order=desc", c)); res.StatusCode != 200 {
			t.Errorf("sort by %s: %d", col, res.StatusCode)
		}
	}
}

var htmlStateValueRE = regexp.MustCompile(`name="state" value="([a-z]+)"`)

func htmlOfferedStates(body string) []string {
	var out []string
	for _, m := range htmlStateValueRE.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// CW-1, CW-6, CW-7: the case page offers only the allowed changes; closing
// needs an outcome, a reason and a final message, and shows the outcome.
func TestHTMLCaseStateChanges(t *testing.T) {
	env := htmlTestServer(t, true)
	staff := env.srv.Staff()
	c, caseURL := htmlStaffCase(t, env, htmlValidAnswers())
	csrf := csrfToken(c.Value)
	post := func(form url.Values) (*http.Response, string) {
		t.Helper()
		return htmlDo(t, staff, htmlPostForm(caseURL+"/state", form, c))
	}
	offered := func(want ...string) string {
		t.Helper()
		res, body := htmlDo(t, staff, htmlGet(caseURL, c))
		if res.StatusCode != 200 {
			t.Fatalf("case page: %d", res.StatusCode)
		}
		if got := htmlOfferedStates(body); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("offered states %v, want %v", got, want)
		}
		return body
	}

	body := offered("screening")
	htmlWant(t, "new case", body, "<strong>Received</strong>", "Start screening")
	htmlWantNot(t, "new case", body, `name="outcome"`)

	// A change the workflow does not allow is refused as a conflict.
	res, body := post(url.Values{"csrf": {csrf}, "state": {"investigation"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("received → investigation: %d", res.StatusCode)
	}
	htmlWant(t, "refused change", body, `role="alert"`, `href="#state-title"`, "cannot move to that state")

	// Without a valid CSRF field nothing changes.
	for _, form := range []url.Values{{"state": {"screening"}}, {"state": {"screening"}, "csrf": {"forged"}}} {
		if res, _ := post(form); res.StatusCode != http.StatusForbidden {
			t.Errorf("state change with csrf %q: %d, want 403", form.Get("csrf"), res.StatusCode)
		}
	}
	offered("screening")

	res, _ = post(url.Values{"csrf": {csrf}, "state": {"screening"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("screening: %d", res.StatusCode)
	}
	body = offered("investigation", "closed")
	htmlWant(t, "screening", body, "<strong>Screening</strong>", `id="state-closed-outcome"`, `id="state-closed-reason"`,
		`id="state-closed-message"`, `<option value="outside_scope">Outside the scope of the scheme</option>`)

	// Closing without a reason is refused and keeps the rest; without a
	// message the built-in outcome's template will be sent, so the
	// message is not in error.
	res, body = post(url.Values{"csrf": {csrf}, "state": {"closed"}, "outcome": {"unfounded"}, "reason": {"  "}, "message": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("close without reason: %d", res.StatusCode)
	}
	htmlWant(t, "close without reason", body, `role="alert"`, `href="#state-closed-reason"`,
		`<option value="unfounded" selected>`, `id="state-closed-reason-error"`, `aria-invalid="true"`)
	htmlWantNot(t, "close without reason", body, `href="#state-closed-outcome"`, `href="#state-closed-message"`)
	res, body = post(url.Values{"csrf": {csrf}, "state": {"closed"}, "reason": {"Kept <reason>"}, "message": {"Kept <message>"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("close without outcome: %d", res.StatusCode)
	}
	htmlWant(t, "close without outcome", body, `href="#state-closed-outcome"`, "Kept &lt;reason&gt;", "Kept &lt;message&gt;")
	offered("investigation", "closed")

	res, _ = post(url.Values{"csrf": {csrf}, "state": {"closed"}, "outcome": {"unfounded"},
		"reason": {"No basis found."}, "message": {"We looked into it and found no basis."}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("close: %d", res.StatusCode)
	}
	body = offered("investigation")
	htmlWant(t, "closed case", body, "<strong>Closed</strong>", "<dt>Outcome</dt><dd><strong>Unfounded</strong></dd>",
		"Closed on", "Reopen the case", `id="state-investigation-reason"`, "We looked into it and found no basis.",
		"Screening → Closed", "No basis found.", "Given 2025-03-04")

	// Reopening needs a reason.
	res, body = post(url.Values{"csrf": {csrf}, "state": {"investigation"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("reopen without reason: %d", res.StatusCode)
	}
	htmlWant(t, "reopen without reason", body, `href="#state-investigation-reason"`)
	res, _ = post(url.Values{"csrf": {csrf}, "state": {"investigation"}, "reason": {"New evidence."}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reopen: %d", res.StatusCode)
	}
	body = offered("closed")
	// The outcome message acknowledged the case and gave feedback, so a
	// reopened case shows both as done rather than a deadline.
	htmlWant(t, "reopened case", body, "<strong>Investigation</strong>", "Closed → Investigation", "New evidence.", "Given 2025-03-04")

	if res, _ := htmlDo(t, staff, htmlPostForm("/cases/nosuchcase/state",
		url.Values{"csrf": {csrf}, "state": {"screening"}}, c)); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown case: %d", res.StatusCode)
	}
}

var htmlSupersedesRE = regexp.MustCompile(`name="supersedes" value="([^"]+)"`)

// JR-1, JR-2: notes carry their source and date; a correction is a new
// version and both stay readable, linked to each other.
func TestHTMLJournalNotesAndCorrections(t *testing.T) {
	env := htmlTestServer(t, true)
	staff := env.srv.Staff()
	c, caseURL := htmlStaffCase(t, env, htmlValidAnswers())
	csrf := csrfToken(c.Value)
	post := func(form url.Values) (*http.Response, string) {
		t.Helper()
		return htmlDo(t, staff, htmlPostForm(caseURL+"/journal", form, c))
	}

	_, body := htmlDo(t, staff, htmlGet(caseURL, c))
	htmlWant(t, "case page", body, "Case journal", "The journal is empty.", `id="journal-text"`, `id="journal-source"`,
		`type="date" id="journal-learned" name="learned_on" value="2025-03-04"`, `<option value="phone_call">Phone call</option>`)

	const xss = `<script>alert(1)</script><img src=x onerror=alert(2)>`
	note := url.Values{"csrf": {csrf}, "text": {"Called the witness " + xss}, "source": {"phone_call"}, "learned_on": {"2025-03-01"}}

	// Without a valid CSRF field nothing is written.
	for _, bad := range []string{"", "forged"} {
		form := url.Values{"text": note["text"], "source": note["source"], "learned_on": note["learned_on"], "csrf": {bad}}
		if res, _ := post(form); res.StatusCode != http.StatusForbidden {
			t.Errorf("note with csrf %q: %d, want 403", bad, res.StatusCode)
		}
	}

	// Problems are listed together and the typed values kept.
	res, body := post(url.Values{"csrf": {csrf}, "text": {" "}, "source": {"rumour"}, "learned_on": {"2025-03-05"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid note: %d", res.StatusCode)
	}
	htmlWant(t, "invalid note", body, `role="alert"`, `href="#journal-text"`, `href="#journal-source"`, `href="#journal-learned"`,
		`value="2025-03-05"`)
	htmlWant(t, "invalid note", body, "The journal is empty.")

	res, _ = post(note)
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "#entry-") {
		t.Fatalf("add note: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	_, body = htmlDo(t, staff, htmlGet(caseURL, c))
	htmlWant(t, "case with a note", body, "Called the witness &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;",
		"<dd>Phone call</dd>", "<dd>2025-03-01</dd>", "Correct this entry")
	htmlWantNot(t, "case with a note", body, xss)
	m := htmlSupersedesRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no correction form")
	}
	oldID := m[1]

	// An invalid correction reopens its own form with the typed text.
	res, body = post(url.Values{"csrf": {csrf}, "supersedes": {oldID}, "text": {"Corrected draft"}, "source": {""}, "learned_on": {"2025-03-02"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid correction: %d", res.StatusCode)
	}
	htmlWant(t, "invalid correction", body, `href="#correct-`+oldID+`-source"`, `<details class="correct" open>`, "Corrected draft")

	res, _ = post(url.Values{"csrf": {csrf}, "supersedes": {oldID}, "text": {"Called the witness on 2 March."},
		"source": {"phone_call"}, "learned_on": {"2025-03-02"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("correction: %d", res.StatusCode)
	}
	newID := strings.TrimPrefix(res.Header.Get("Location")[strings.Index(res.Header.Get("Location"), "#"):], "#entry-")
	_, body = htmlDo(t, staff, htmlGet(caseURL, c))
	htmlWant(t, "corrected journal", body, `id="entry-`+oldID+`"`, `id="entry-`+newID+`"`,
		"Corrected — see the newer version.", `href="#entry-`+newID+`"`, `href="#entry-`+oldID+`"`,
		"This corrects an earlier entry", "Called the witness &lt;script&gt;", "Called the witness on 2 March.")
	if strings.Index(body, `id="entry-`+oldID+`"`) > strings.Index(body, `id="entry-`+newID+`"`) {
		t.Error("journal not in time order")
	}
	// Only the newest version offers a correction.
	if got := htmlSupersedesRE.FindAllStringSubmatch(body, -1); len(got) != 1 || got[0][1] != newID {
		t.Errorf("correction forms for %v, want only %s", got, newID)
	}

	// Correcting an entry that does not exist is refused.
	res, body = post(url.Values{"csrf": {csrf}, "supersedes": {"nosuchentry"}, "text": {"x"}, "source": {"document"}, "learned_on": {"2025-03-02"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "was not found") {
		t.Errorf("correction of a missing entry: %d", res.StatusCode)
	}
}

// CW-5 without JavaScript: the form lists the channel's named handlers;
// ticking one keeps the report's keys from them.
func TestHTMLReportFormLetsTheWhistleblowerExcludeAHandler(t *testing.T) {
	env := htmlTestServer(t, true)
	ctx := context.Background()
	acc := accounts.New(accounts.Config{DB: env.db, KDF: keys.NewKDF(1), Params: keys.TestParams, Tenant: org.DefaultTenant, Now: env.clock.Now})
	created, err := acc.CreateUser(ctx, accounts.NewUser{Email: "director@example.org", DisplayName: "Dina Director",
		Role: accounts.RoleHandler, Password: htmlPassword, Channels: []string{org.DefaultChannel}})
	if err != nil {
		t.Fatal(err)
	}
	acceptDeclarationFor(t, env.db, org.DefaultTenant, created.UserID)
	_, body := htmlDo(t, env.srv.Public(), htmlGet("/report/general"))
	htmlWant(t, "report form", body, `name="exclude" value="`+created.UserID+`"`, "Dina Director")

	parts := []htmlPart{{name: "lang", value: "en"}, {name: "exclude", value: created.UserID}}
	for k, v := range htmlValidAnswers() {
		parts = append(parts, htmlPart{name: "q_" + k, value: v})
	}
	res, body := htmlDo(t, env.srv.Public(), htmlPostMultipart(t, "/report/general", parts))
	if res.StatusCode != http.StatusOK || !htmlReceiptRE.MatchString(body) {
		t.Fatalf("submit with exclusion: %d", res.StatusCode)
	}
	rows, err := env.db.Inbox(ctx, store.InboxQuery{TenantID: org.DefaultTenant, UserID: created.UserID})
	if err != nil || rows.Total != 0 {
		t.Fatalf("the excluded handler holds a key: %+v %v", rows, err)
	}
}

// CA-1 and CW-3 in the staff UI: access is granted and revoked from the
// case page, the last holder stays, and the feedback deadline can be
// extended with a reason.
func TestHTMLCaseAccessAndDeadlineExtension(t *testing.T) {
	env := htmlTestServer(t, true)
	ctx := context.Background()
	acc := accounts.New(accounts.Config{DB: env.db, KDF: keys.NewKDF(1), Params: keys.TestParams, Tenant: org.DefaultTenant, Now: env.clock.Now})
	colleague, err := acc.CreateUser(ctx, accounts.NewUser{Email: "colleague@example.org", Role: accounts.RoleHandler,
		Password: htmlPassword}) // in no channel: no key until granted
	if err != nil {
		t.Fatal(err)
	}
	acceptDeclarationFor(t, env.db, org.DefaultTenant, colleague.UserID)
	c, casePath := htmlStaffCase(t, env, htmlValidAnswers())
	st := htmlStaff(t, env, c)
	csrf := csrfToken(c.Value)
	staff := env.srv.Staff()

	_, body := htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page", body, `id="access-title"`, "handler@example.org", `name="action" value="grant"`,
		`<option value="`+colleague.UserID+`">colleague@example.org</option>`, `id="extend-days"`)

	res, _ := htmlDo(t, staff, htmlPostForm(casePath+"/access", url.Values{"csrf": {csrf}, "action": {"grant"}, "user": {colleague.UserID}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("grant: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page after the grant", body, "colleague@example.org was given access to the case.")

	res, _ = htmlDo(t, staff, htmlPostForm(casePath+"/access", url.Values{"csrf": {csrf}, "action": {"revoke"}, "user": {colleague.UserID}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	res, body = htmlDo(t, staff, htmlPostForm(casePath+"/access", url.Values{"csrf": {csrf}, "action": {"revoke"}, "user": {st.UserID}}, c))
	if res.StatusCode != http.StatusConflict {
		t.Fatalf("revoking the last holder: %d", res.StatusCode)
	}
	htmlWant(t, "refused revocation", body, "At least one case handler must keep access.")
	res, _ = htmlDo(t, staff, htmlPostForm(casePath+"/access", url.Values{"action": {"grant"}, "user": {colleague.UserID}}, c))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("grant without csrf: %d", res.StatusCode)
	}

	res, body = htmlDo(t, staff, htmlPostForm(casePath+"/deadline-extension", url.Values{"csrf": {csrf}, "days": {"30"}}, c))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("extension without a reason: %d", res.StatusCode)
	}
	htmlWant(t, "refused extension", body, "An extension needs a reason")
	res, _ = htmlDo(t, staff, htmlPostForm(casePath+"/deadline-extension", url.Values{"csrf": {csrf}, "days": {"30"}, "reason": {"Waiting for <b>the auditor</b>"}}, c))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("extension: %d", res.StatusCode)
	}
	_, body = htmlDo(t, staff, htmlGet(casePath, c))
	htmlWant(t, "case page after the extension", body, "Feedback deadline moved from", "Waiting for &lt;b&gt;the auditor&lt;/b&gt;")
}
