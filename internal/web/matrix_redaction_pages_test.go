package web

import (
	"net/http"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// Policy rows of the review page of an anonymised copy and its page
// images (html_redactions.go, html_redaction_pages.go): holders of the
// case key only, as for the case itself; everyone else 404, with no hint
// that the copy exists; a signed-out visitor is sent to the login page.
func TestAccessControlMatrixRedactionPagePreviews(t *testing.T) {
	needRedactTools(t)
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		p := newPDFCopy(t, d)
		e := p.e
		late := e.addUser("late@example.org", accounts.RoleHandler, org.DefaultChannel) // joined after the report: no case key
		dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
		admin := e.addUser("admin2@example.org", accounts.RoleAdmin)
		e.acceptDeclarationAll()
		cookies := map[string]*http.Cookie{roleOwner: p.owner, roleNoAccess: e.staffCookieLogin(late),
			roleDPO: e.staffCookieLogin(dpo), roleAdmin: e.staffCookieLogin(admin), roleAnon: nil}
		caseRows := map[string]int{roleAnon: http.StatusSeeOther, roleNoAccess: http.StatusNotFound, roleDPO: http.StatusNotFound,
			roleAdmin: http.StatusNotFound, roleOwner: http.StatusOK}
		for route, path := range map[string]string{
			"GET /cases/{id}/redactions/{redaction}":              p.review,
			"GET /cases/{id}/redactions/{redaction}/pages/{page}": p.review + "/pages/1",
		} {
			for who, want := range caseRows {
				res := p.fetch(t, path+"?lang=en", cookies[who])
				res.Body.Close()
				if res.StatusCode != want {
					t.Errorf("%s as %s: %d, want %d", route, who, res.StatusCode, want)
				}
				if res.StatusCode == http.StatusNotFound && res.Header.Get("Content-Type") == "image/png" {
					t.Errorf("%s as %s: a 404 with an image", route, who)
				}
			}
		}
	})
}
