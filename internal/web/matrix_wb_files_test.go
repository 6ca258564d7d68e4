package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// Policy rows of the status page's confirmation step for added files
// (POST /status/files/confirm, html_wb_files.go). It is an HTML route of
// the public site, so its rows live here: a visitor without a receipt
// session, a staff session cookie (which means nothing on the public
// site), another whistleblower holding the token, and the whistleblower
// whose upload it is. POST /status/files itself and POST /api/v1/wb/files
// have their rows in matrix_test.go and TestHTMLWhistleblowerFlow.

func TestAccessControlMatrixAddedFilesConfirmation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		other := e.wbCookieLogin(e.submitOK(minimalAnswers("y")))
		staff := e.staffCookieLogin(e.handler)
		staff.Name = wbCookie // a staff token sent as if it were a receipt session
		routes := map[string]bool{}
		for _, rt := range e.srv.publicRouteTable() {
			routes[rt.Method+" "+rt.Path] = true
		}
		if !routes["POST /status/files/confirm"] {
			t.Fatal("POST /status/files/confirm is not a public route")
		}
		for _, action := range []string{"", "cancel"} {
			_, token := e.uploadForConfirmation(map[string][]byte{"p.jpg": gpsJPEG(t, "Someone")})
			rows := []struct {
				role   string
				cookie *http.Cookie
				want   int
			}{
				{roleAnon, nil, http.StatusUnauthorized},
				{"staff-cookie", staff, http.StatusUnauthorized},
				{roleWBOther, other, http.StatusNotFound},
				{roleWBOwn, e.cookie, http.StatusSeeOther}, // last: it uses the token up
			}
			for _, row := range rows {
				form := url.Values{"draft": {token}, "lang": {"en"}, "action": {action}}
				var cookies []*http.Cookie
				if row.cookie != nil {
					form.Set("csrf", csrfToken(row.cookie.Value))
					cookies = append(cookies, row.cookie)
				}
				res, _ := htmlDo(t, e.srv.Public(), htmlPostForm("/status/files/confirm", form, cookies...))
				if res.StatusCode != row.want {
					t.Errorf("action %q as %s: %d, want %d", action, row.role, res.StatusCode, row.want)
				}
			}
		}
		// Neither foreign attempt added or removed anything: one file was
		// confirmed, the other batch cancelled.
		e.wantFiles(t, 2)
	})
}

// The confirmation page shows what the whistleblower's own files carry
// (names, authors) and so renders hostile text only escaped.
func TestAddedFilesConfirmationEscapesFileData(t *testing.T) {
	e := newLaterEnv(t, store.SQLite)
	name := strings.TrimSuffix(xssFileName("added_file"), ".txt") + ".jpg"
	artist := `<script>alert("XSS_exif")</script>"'><svg onload=alert(1)>`
	page, _ := e.uploadForConfirmation(map[string][]byte{name: gpsJPEG(t, artist)})
	for _, raw := range []string{"<script>", "<svg onload", "<img src=x"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page holds %q unescaped", raw)
		}
	}
	if !strings.Contains(page, html.EscapeString(`<script>alert("XSS_exif")</script>`)) &&
		!strings.Contains(page, "&lt;script&gt;alert(&#34;XSS_exif&#34;)&lt;/script&gt;") {
		t.Error("the author value is not shown escaped")
	}
}
