package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// Policy rows of the staff pages for oral reports and for data-subject
// requests on the case (html_oral_report.go, html_case_requests.go). The
// access-control matrix reads the API from the OpenAPI documents; these
// pages are HTML only, so their rows live here: every role against every
// route, with a signed-out visitor sent to the login page.

// TestAccessControlMatrixOralAndRequestPages calls each page as every role.
func TestAccessControlMatrixOralAndRequestPages(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		c := newDSRCase(t, d)
		e := c.e
		late := e.addUser("late@example.org", accounts.RoleHandler, org.DefaultChannel) // joined after the report
		dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
		admin := e.addUser("admin2@example.org", accounts.RoleAdmin)
		e.acceptDeclarationAll()
		_, erase := c.link("erasure", true)
		_, rectify := c.link("rectification", true)

		cookies := map[string]*http.Cookie{roleOwner: e.staffCookieLogin(e.handler), roleNoAccess: e.staffCookieLogin(late),
			roleDPO: e.staffCookieLogin(dpo), roleAdmin: e.staffCookieLogin(admin)}
		// Case routes: the case's key holders only, 404 for everyone else
		// (no hint that the case exists). Oral reports: the channel's
		// handlers, 403 for staff who handle no channel.
		caseRows := func(owner int) map[string]int {
			return map[string]int{roleAnon: http.StatusSeeOther, roleNoAccess: http.StatusNotFound, roleDPO: http.StatusNotFound,
				roleAdmin: http.StatusNotFound, roleOwner: owner}
		}
		oralRows := func(handler int) map[string]int {
			return map[string]int{roleAnon: http.StatusSeeOther, roleNoAccess: handler, roleDPO: http.StatusForbidden,
				roleAdmin: http.StatusForbidden, roleOwner: handler}
		}
		base := "/cases/" + c.id
		rows := []struct {
			route, path string
			form        url.Values // nil: GET
			multipart   bool
			policy      map[string]int
		}{
			{"GET /oral-reports/new", "/oral-reports/new", nil, false, oralRows(http.StatusOK)},
			// Refused for a missing consent answer: nothing is created.
			{"POST /oral-reports", "/oral-reports", url.Values{"channel": {org.DefaultChannel}, "source": {"phone"}}, false,
				oralRows(http.StatusUnprocessableEntity)},
			// A web report records no consent to a recording (JR-2).
			{"POST /cases/{id}/recording", base + "/recording", nil, true, caseRows(http.StatusUnprocessableEntity)},
			{"GET /cases/{id}/requests/{lid}/erase", base + "/requests/" + erase + "/erase", nil, false, caseRows(http.StatusOK)},
			{"POST /cases/{id}/requests/{lid}/erase", base + "/requests/" + erase + "/erase", url.Values{}, false,
				caseRows(http.StatusUnprocessableEntity)},
			{"GET /cases/{id}/requests/{lid}/rectify", base + "/requests/" + rectify + "/rectify", nil, false, caseRows(http.StatusOK)},
			{"POST /cases/{id}/requests/{lid}/rectify", base + "/requests/" + rectify + "/rectify", url.Values{"name": {"x"}}, false,
				caseRows(http.StatusUnprocessableEntity)},
		}
		routes := map[string]bool{}
		for _, rt := range e.srv.staffRouteTable() {
			routes[rt.Method+" "+rt.Path] = true
		}
		for _, row := range rows {
			if !routes[row.route] {
				t.Fatalf("%s is not a staff route", row.route)
			}
			for role, want := range row.policy {
				ck := cookies[role]
				switch {
				case row.multipart && ck == nil:
					req, _ := http.NewRequest("POST", e.staff.URL+row.path, strings.NewReader(""))
					req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
					e.sendPage(req, want)
				case row.multipart:
					e.postRecording(ck, c.id, true, map[string]string{"call.ogg": "OggS"}, want)
				case ck == nil && row.form == nil:
					e.sendPage(mustRequest("GET", e.staff.URL+row.path), want)
				case ck == nil:
					req := mustRequest("POST", e.staff.URL+row.path)
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					e.sendPage(req, want)
				case row.form == nil:
					e.page(e.staff.URL, row.path, ck, want)
				default:
					form := url.Values{}
					for k, v := range row.form {
						form[k] = v
					}
					e.postFormPage(e.staff.URL, row.path, ck, form, want)
				}
			}
		}
		// A post without the session's CSRF token is refused on every form.
		owner := cookies[roleOwner]
		for _, row := range rows {
			if row.form == nil {
				continue
			}
			req, _ := http.NewRequest("POST", e.staff.URL+row.path, strings.NewReader(row.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(owner)
			e.sendPage(req, http.StatusForbidden)
		}
		if n := len(e.caseIDs(c.tok)); n != 1 {
			t.Fatalf("the matrix created cases: %d", n)
		}
	})
}

func mustRequest(method, target string) *http.Request {
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// caseIDs lists the cases staff tok can see.
func (e *apiEnv) caseIDs(tok string) []string {
	e.t.Helper()
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases?limit=200", tok, nil, http.StatusOK, &inbox)
	var out []string
	for _, c := range inbox.Cases {
		out = append(out, c.ID)
	}
	return out
}
