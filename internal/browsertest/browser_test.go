package browsertest

import (
	"bytes"
	"context"
	"encoding/base32"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/totp"
)

// overallTimeout bounds the whole browser session so a hung Chromium fails
// the test instead of the package timeout. Nothing is asserted on timing.
const overallTimeout = 90 * time.Second

// findChromium returns the browser to drive, or skips (or fails, when
// VARSEL_REQUIRE_CHROMIUM=1) if there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	required := os.Getenv("VARSEL_REQUIRE_CHROMIUM") == "1"
	missing := func(format string, args ...any) string {
		msg := fmt.Sprintf(format, args...)
		if required {
			t.Fatalf("VARSEL_REQUIRE_CHROMIUM=1 but %s", msg)
		}
		t.Skipf("skipping browser test: %s (set VARSEL_CHROMIUM to a Chromium binary)", msg)
		return ""
	}
	if p := os.Getenv("VARSEL_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return missing("VARSEL_CHROMIUM=%q: %v", p, err)
		}
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return missing("no Chromium binary found")
}

type varsel struct {
	app       *app.App
	publicURL string
	staffURL  string
	handler   struct {
		email, password string
		totp            []byte
	}
}

// startVarsel builds a complete Varsel over SQLite in a temporary
// directory and serves it on two loopback listeners.
func startVarsel(t *testing.T) *varsel {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), ReceiptParams: keys.TestParams,
		PasswordParams: keys.TestParams, Out: io.Discard, LogLevel: "error"})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := org.Init(ctx, a.DB, org.DefaultTenant, "Browser Test Org", time.Now()); err != nil {
		cancel()
		t.Fatal(err)
	}
	v := &varsel{app: a}
	v.handler.email = "handler@example.org"
	v.handler.password = "correct horse battery staple"
	created, err := a.Accounts.CreateUser(ctx, accounts.NewUser{Email: v.handler.email, Role: accounts.RoleHandler,
		Password: v.handler.password, Channels: []string{org.DefaultChannel}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := privacy.AcceptCurrentDeclaration(ctx, a.DB, org.DefaultTenant, created.UserID); err != nil {
		cancel()
		t.Fatal(err)
	}
	v.handler.totp, err = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(created.TOTPSecret)
	if err != nil {
		cancel()
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	staffLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		cancel()
		t.Fatal(err)
	}
	v.publicURL, v.staffURL = "http://"+ln.Addr().String(), "http://"+staffLn.Addr().String()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, staffLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return v
}

// startBrowser starts a fresh headless Chromium with its own profile and
// returns a tab context with JavaScript switched off.
func startBrowser(t *testing.T, bin string) context.Context {
	t.Helper()
	ctx, cancelTimeout := context.WithTimeout(context.Background(), overallTimeout)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	tab, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for Chromium to exit before its profile is removed
		cancelTimeout()
	})
	// The first call starts the browser and opens the tab; the setting then
	// holds for every page this tab loads.
	if _, err := chromedp.Call(tab, emulation.SetScriptExecutionDisabled,
		emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatalf("disable JavaScript: %v", err)
	}
	return tab
}

// assertScriptsDoNotRun proves the tab really runs no page script: a page
// without a CSP whose inline script would rewrite a paragraph keeps its
// original text. (Varsel's own CSP would block inline script anyway, so
// this needs a page of its own.)
func assertScriptsDoNotRun(t *testing.T, tab context.Context) {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>js probe</title><p id="probe">script did not run</p>`+
			`<script>document.getElementById("probe").textContent = "script ran";</script>`)
	}))
	defer ts.Close()
	if err := chromedp.Do(tab, chromedp.Navigate(ts.URL)); err != nil {
		t.Fatalf("open probe page: %v", err)
	}
	got, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("probe")))
	if err != nil {
		t.Fatalf("read probe: %v", err)
	}
	if got != "script did not run" {
		t.Fatalf("page script ran although JavaScript is disabled: probe says %q", got)
	}
}

func cookies(t *testing.T, tab context.Context) []*network.Cookie {
	t.Helper()
	res, err := chromedp.CallBrowser(tab, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatalf("read cookies: %v", err)
	}
	return res.Cookies
}

func cookieNames(cs []*network.Cookie) string {
	var names []string
	for _, c := range cs {
		names = append(names, c.Name+"@"+c.Domain+c.Path)
	}
	return strings.Join(names, ", ")
}

// follow runs steps that trigger a navigation and waits for the new page.
func follow(t *testing.T, tab context.Context, what string, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	resp, err := chromedp.RunResponse(tab, steps...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp
}

func location(t *testing.T, tab context.Context) *url.URL {
	t.Helper()
	loc, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatalf("read location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatalf("parse location %q: %v", loc, err)
	}
	return u
}

func text(t *testing.T, tab context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read text of %s: %v", sel, err)
	}
	return s
}

// screenshot keeps a full-page PNG in $VARSEL_SCREENSHOT_DIR when it is set.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	dir := os.Getenv("VARSEL_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}

var receiptPattern = regexp.MustCompile(`^[0-9A-Z]{4}( [0-9A-Z]{4}){3}$`)

// dottedWord finds words like "form.attach" in page text.
var dottedWord = regexp.MustCompile(`\b[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+\b`)

// checkPage fails when the visible text of the page shows signs of a
// broken template: a message key instead of its text (i18n returns the key
// for a missing message), a fmt verb error, or html/template's "no value".
func checkPage(t *testing.T, tab context.Context, v *varsel, name string) {
	t.Helper()
	body := text(t, tab, "body")
	namespaces := map[string]bool{}
	for _, k := range v.app.Catalog.Keys() {
		namespaces[strings.SplitN(k, ".", 2)[0]] = true
	}
	for _, w := range dottedWord.FindAllString(body, -1) {
		if namespaces[strings.SplitN(w, ".", 2)[0]] {
			t.Errorf("%s page shows the message key %q instead of a text", name, w)
		}
	}
	for _, bad := range []string{"%!", "<no value>", "MISSING"} {
		if strings.Contains(body, bad) {
			t.Errorf("%s page contains %q:\n%s", name, bad, body)
		}
	}
}

func TestWhistleblowerFlowInRealChromiumWithJavaScriptDisabled(t *testing.T) {
	bin := findChromium(t)
	v := startVarsel(t)
	tab := startBrowser(t, bin)
	assertScriptsDoNotRun(t, tab)

	// The jar must start empty so the cookie checks below are about Varsel.
	if cs := cookies(t, tab); len(cs) != 0 {
		t.Fatalf("fresh browser already has cookies: %s", cookieNames(cs))
	}

	const (
		what     = "The warehouse manager sells company fuel privately.\nI saw it twice."
		when     = "Every Friday since March"
		reply    = "Thank you. Can you tell us which warehouse?"
		filename = "evidence.txt"
	)
	fileContent := []byte("fuel log, week 12\nline two with æøå\n")
	upload := filepath.Join(t.TempDir(), filename)
	if err := os.WriteFile(upload, fileContent, 0o600); err != nil {
		t.Fatal(err)
	}

	// --- Landing page → channel → questionnaire.
	if resp := follow(t, tab, "open landing page", chromedp.Navigate(v.publicURL+"/")); resp.Status != http.StatusOK {
		t.Fatalf("landing page: HTTP %d", resp.Status)
	}
	checkPage(t, tab, v, "landing")
	screenshot(t, tab, "landing")
	if resp := follow(t, tab, "click the channel link",
		chromedp.Click(chromedp.CSS(`a.channel[href^="/report/`+org.DefaultChannel+`"]`))); resp.Status != http.StatusOK {
		t.Fatalf("report form: HTTP %d", resp.Status)
	}
	if p := location(t, tab).Path; p != "/report/"+org.DefaultChannel {
		t.Fatalf("channel link led to %s", p)
	}
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`textarea[name=q_what]`), what),
		// Typed key by key, as a person would.
		chromedp.SendKeys(chromedp.CSS(`input[name=q_when]`), when),
		chromedp.Click(chromedp.CSS(`input[type=radio][name=q_how_known][value=witnessed]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file][name=files]`), []string{upload}),
	); err != nil {
		t.Fatalf("fill the report form: %v", err)
	}
	checked, err := chromedp.Run(tab, chromedp.JavascriptAttribute[bool](
		chromedp.CSS(`input[type=radio][name=q_how_known][value=witnessed]`), "checked"))
	if err != nil || !checked {
		t.Fatalf("clicking the radio button did not select it (checked=%v, err=%v)", checked, err)
	}
	checkPage(t, tab, v, "report form")
	screenshot(t, tab, "report-form")

	// --- Submit: with JavaScript off this is a plain multipart POST.
	if resp := follow(t, tab, "submit the report",
		chromedp.Click(chromedp.CSS(`#report-form button[type=submit]`))); resp.Status != http.StatusOK {
		t.Fatalf("submitting the report: HTTP %d (page: %q)", resp.Status, text(t, tab, "main"))
	}
	receipt := strings.TrimSpace(text(t, tab, "#receipt"))
	if !receiptPattern.MatchString(receipt) {
		t.Fatalf("receipt %q does not look like a key code (page: %q)", receipt, text(t, tab, "main"))
	}
	checkPage(t, tab, v, "receipt")
	screenshot(t, tab, "receipt")
	if cs := cookies(t, tab); len(cs) != 0 {
		t.Fatalf("submitting a report left cookies in the browser: %s", cookieNames(cs))
	}

	// --- The handler reads the case, checks the file and replies.
	handle(t, v, what, filename, fileContent, reply)

	// --- Back in the browser: log in with the receipt.
	follow(t, tab, "open landing page again", chromedp.Navigate(v.publicURL+"/"))
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.CSS(`input[name=receipt]`), receipt)); err != nil {
		t.Fatalf("type the receipt: %v", err)
	}
	if resp := follow(t, tab, "log in with the receipt",
		chromedp.Click(chromedp.CSS(`form[action^="/login"] button[type=submit]`))); resp.Status != http.StatusOK {
		t.Fatalf("receipt login: HTTP %d (page: %q)", resp.Status, text(t, tab, "main"))
	}
	if p := location(t, tab).Path; p != "/status" {
		t.Fatalf("receipt login led to %s, not /status (page: %q)", p, text(t, tab, "main"))
	}
	cs := cookies(t, tab)
	if len(cs) != 1 || !cs[0].HTTPOnly || cs[0].SameSite != network.CookieSameSiteStrict {
		t.Errorf("after the receipt login want one HttpOnly SameSite=Strict session cookie, got: %s", cookieNames(cs))
	}
	page := text(t, tab, "main")
	for _, want := range []string{strings.Split(what, "\n")[0], when, reply, filename} {
		if !strings.Contains(page, want) {
			t.Errorf("status page does not show %q; it reads:\n%s", want, page)
		}
	}
	checkPage(t, tab, v, "status")
	screenshot(t, tab, "status")

	// --- Log out: nothing may stay behind in the browser.
	if resp := follow(t, tab, "log out",
		chromedp.Click(chromedp.CSS(`form[action^="/logout"] button[type=submit]`))); resp.Status != http.StatusOK {
		t.Fatalf("logout: HTTP %d (page: %q)", resp.Status, text(t, tab, "main"))
	}
	checkPage(t, tab, v, "logged-out")
	screenshot(t, tab, "logged-out")
	if cs := cookies(t, tab); len(cs) != 0 {
		t.Fatalf("cookies left after logout: %s", cookieNames(cs))
	}
	// Without the cookie the status page sends the visitor back to the start.
	follow(t, tab, "open /status after logout", chromedp.Navigate(v.publicURL+"/status"))
	if p := location(t, tab).Path; p != "/" {
		t.Errorf("after logout /status led to %s, want /", p)
	}
}

// handle plays the handler through the service layer, logged in with
// password and TOTP like the staff site does.
func handle(t *testing.T, v *varsel, what, filename string, content []byte, reply string) {
	t.Helper()
	ctx := context.Background()
	a := v.app
	token, err := a.Accounts.Login(ctx, v.handler.email, v.handler.password, totp.Code(v.handler.totp, time.Now()))
	if err != nil {
		t.Fatalf("handler login: %v", err)
	}
	defer a.Accounts.Logout(ctx, token)
	st, err := a.Accounts.Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("handler session: %v", err)
	}
	inbox, err := a.Cases.Inbox(ctx, st, "received", false, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox.Rows) != 1 {
		t.Fatalf("handler inbox has %d cases, want 1", len(inbox.Rows))
	}
	id := inbox.Rows[0].ReportID
	c, err := a.Cases.Open(ctx, st, id)
	if err != nil {
		t.Fatalf("open case: %v", err)
	}
	// The browser may send CRLF for textarea line breaks; the server keeps
	// whatever it normalises to, so compare the lines.
	gotWhat, _ := c.Answers["what"].(string)
	if strings.ReplaceAll(gotWhat, "\r\n", "\n") != what {
		t.Errorf("answer 'what' = %q, want %q", gotWhat, what)
	}
	if got, _ := c.Answers["how_known"].(string); got != "witnessed" {
		t.Errorf("answer 'how_known' = %q, want witnessed", got)
	}
	if len(c.Files) != 1 {
		t.Fatalf("case has %d files, want 1", len(c.Files))
	}
	if c.Files[0].Name != filename {
		t.Errorf("file name = %q, want %q", c.Files[0].Name, filename)
	}
	f, err := a.Cases.OpenFile(ctx, st, id, c.Files[0].ID)
	if err != nil {
		t.Fatalf("open file: %v", err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatalf("read file: %v", err)
	}
	if !bytes.Equal(got, content) {
		t.Fatalf("uploaded file came back as %q, want %q", got, content)
	}
	if err := a.Cases.Reply(ctx, st, id, reply); err != nil {
		t.Fatalf("reply: %v", err)
	}
}

// A whistleblower who reloads the receipt page must not create a second
// case: real Chromium posts the form again with its hidden token, which
// the server recognises.
//
// Going back to the form is another matter: the form page is no-store, so
// Chromium fetches it again (with a new token) and then restores what was
// typed; sending that makes a second report. The token is kept out of the
// URL on purpose (it would sit in the browser's history on disk and tell
// that this browser sent a report), so the receipt page asks the
// whistleblower not to go back and send again (docs/security.md).
func TestReloadingTheReceiptPageInRealChromiumStoresOneReport(t *testing.T) {
	bin := findChromium(t)
	v := startVarsel(t)
	tab := startBrowser(t, bin)
	ctx := context.Background()
	reports := func() int {
		t.Helper()
		n, err := v.app.DB.CountReports(ctx, org.DefaultTenant)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	follow(t, tab, "open the report form", chromedp.Navigate(v.publicURL+"/report/"+org.DefaultChannel+"?lang=en"))
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`textarea[name=q_what]`), "Invoices approved twice."),
		chromedp.SendKeys(chromedp.CSS(`input[name=q_when]`), "In May"),
		chromedp.Click(chromedp.CSS(`input[type=radio][name=q_how_known][value=witnessed]`)),
	); err != nil {
		t.Fatalf("fill the report form: %v", err)
	}
	if resp := follow(t, tab, "submit the report",
		chromedp.Click(chromedp.CSS(`#report-form button[type=submit]`))); resp.Status != http.StatusOK {
		t.Fatalf("submitting the report: HTTP %d (page: %q)", resp.Status, text(t, tab, "main"))
	}
	if !strings.Contains(text(t, tab, "main"), "Do not go back to the form") {
		t.Error("the receipt page does not ask not to send the form again")
	}
	if n := reports(); n != 1 {
		t.Fatalf("%d reports after one submission", n)
	}

	// Reload: the browser posts the same form again.
	resp := follow(t, tab, "reload the receipt page", chromedp.Reload())
	if resp.Status != http.StatusConflict || !strings.Contains(text(t, tab, "main"), "already sent") {
		t.Errorf("reloading the receipt page: HTTP %d (page: %q)", resp.Status, text(t, tab, "main"))
	}
	if n := reports(); n != 1 {
		t.Errorf("%d reports after a reload of the receipt page", n)
	}
}
