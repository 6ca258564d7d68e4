package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// Every route of both listeners, whatever its method, answers an
// anonymous request with the security headers, and no public answer sets
// a cookie that outlives the browser session. The routes come from the
// route tables, so a new route is checked without being listed here; the
// signed-in pages are checked by the XSS sweep (xss_crawl_test.go), which
// applies the same header check to every page it fetches.
func TestSecurityHeadersOnEveryRouteOfBothListeners(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	fill := strings.NewReplacer("{$}", "", "{name}", "varsel.css", "{channel}", "general")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, l := range []struct {
		name   string
		base   string
		routes []route
	}{{"public", e.public.URL, e.srv.publicRoutes}, {"staff", e.staff.URL, e.srv.staffRoutes}} {
		checked := 0
		for _, rt := range l.routes {
			path := fill.Replace(rt.Path)
			for strings.Contains(path, "{") {
				i, j := strings.Index(path, "{"), strings.Index(path, "}")
				path = path[:i] + "x" + path[j+1:]
			}
			req, _ := http.NewRequest(rt.Method, l.base+path, strings.NewReader(""))
			if rt.Method != http.MethodGet {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", rt.Method, path, err)
			}
			resp.Body.Close()
			checked++
			for _, p := range checkHeaders(path, resp.Header, l.name == "public") {
				t.Errorf("%s %s %s (%d): %s", l.name, rt.Method, path, resp.StatusCode, p)
			}
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s %s: anonymous request answered %d", l.name, rt.Method, path, resp.StatusCode)
			}
		}
		t.Logf("%s: %d routes checked", l.name, checked)
	}

	// The cookies the logins set are session cookies: no Max-Age, no
	// Expires, HttpOnly and SameSite=Strict.
	receipt := e.submitOK(minimalAnswers("cookies"))
	for _, login := range []struct {
		name, target string
		form         url.Values
	}{
		{"whistleblower", e.public.URL + "/login", url.Values{"receipt": {receipt}}},
		{"staff", e.staff.URL + "/login", url.Values{"email": {e.handler.Email}, "password": {e.handler.Password},
			"code": {fmtCode(e.handler.TOTP, e)}}},
	} {
		e.clock.Advance(31e9)
		if login.name == "staff" {
			login.form.Set("code", fmtCode(e.handler.TOTP, e))
		}
		resp, err := client.PostForm(login.target, login.form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if len(resp.Header.Values("Set-Cookie")) == 0 {
			t.Fatalf("%s login (%d) set no cookie", login.name, resp.StatusCode)
		}
		for _, p := range append(persistentCookies(resp.Header), checkHeaders("/login", resp.Header, true)...) {
			t.Errorf("%s login: %s", login.name, p)
		}
	}
}
