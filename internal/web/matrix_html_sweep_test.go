package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// The access-control sweep over every staff HTML route (issue 6,
// "Access-control matrix"). The per-feature matrix files hold declared
// policy rows; this sweep holds none. It enumerates the staff route table,
// so a new page or form is swept the day it is added, and calls each one
// with its path filled from real seeded ids as every caller who must not
// see the case: no session, a handler of the channel who joined after the
// reports (no key), a handler the whistleblower excluded, the DPO and an
// admin of another tenant. No answer may hold a case marker or, for
// callers without the admin or DPO role, a register marker; no answer may
// be a 5xx; and no POST by them may change the case or a register. The
// owners (the admin and the handler holding the keys) fetch the same pages
// first: every marker must show up for them somewhere, or its absence for
// the others would prove nothing. Posts go from the callers who must fail
// only, so a missing check shows as a changed fingerprint.

// sweepCaseFields are the fields of the XSS seeding (xss_crawl_test.go)
// that are case content: only a holder of the case key may see them.
var sweepCaseFields = []string{"answer_what", "answer_when", "answer_where", "answer_who", "identity_name", "identity_contact",
	"file_name", "file_text", "wb_message", "wb_file_name", "staff_message", "journal", "extension_reason",
	"person_name", "person_alias", "person_relative", "person_contact", "person_notes", "deferral_reason", "deferral_basis",
	"disclosure_recipient", "disclosure_basis", "disclosure_text", "retention_reason", "identity_request_reason",
	"closing_reason", "oral_answer", "transcript"}

// sweepRegisterFields are the register fields of the XSS seeding: for
// admins and the DPO of the tenant only.
var sweepRegisterFields = []string{"breach_what", "breach_categories", "breach_contact", "breach_consequences", "breach_measures",
	"breach_update", "dsr_requester", "dsr_contact", "dsr_description", "ropa", "processor", "dpia", "risk"}

// sweepExcludedMarker is in the case the whistleblower hid from one handler.
const sweepExcludedMarker = "SWEEPMARK-EXCLUDED"

// sweepRoutesSkipped are staff routes the sweep does not call, each with
// the reason. Everything else in the table is called.
var sweepRoutesSkipped = map[string]string{
	"POST /logout":             "ends the caller's own session, which the rest of the sweep still needs; it shows no data",
	"GET /static/{name}":       "the stylesheet: the same bytes for everyone",
	"POST /login":              "the login form itself; answering it with a wrong password is covered by the login tests and rate-limited",
	"POST /setup":              "answers 404 once the organisation exists (TestHTMLSetup); calling it would only spend the setup throttle",
	"GET /api/v1/openapi.json": "the public API description: the same document for everyone",
}

// sweepForm is the plausible form body every POST carries: the fields
// the staff forms use, with values a handler would type, so that a
// missing check lets the action through instead of failing on input.
func sweepForm(csrf, userID string) url.Values {
	return url.Values{"csrf": {csrf}, "lang": {"en"}, "text": {"sweep text"}, "reason": {"sweep reason"},
		"state": {"investigation"}, "status": {"xss-status"}, "days": {"10"}, "months": {"12"}, "user_id": {userID},
		"role": {"witness"}, "name": {"Sweep Person"}, "confirm": {"yes"}, "decision": {"keep"}, "source": {"handler"},
		"learned_on": {"2026-11-01"}, "recipient": {"Sweep Authority"}, "legal_basis": {"sweep basis"}, "answers": {"what"},
		"outcome": {"unfounded"}, "value": {"sweep"}, "title": {"sweep"}, "likelihood": {"1"}, "impact": {"1"}}
}

type sweepCaller struct {
	name   string
	base   string       // staff listener the caller uses
	cookie *http.Cookie // nil: no session
	userID string
	dpo    bool // may see registers, never case content
}

func TestAccessControlSweepEveryStaffHTMLRouteLeaksNothingToCallersWithoutAccess(t *testing.T) {
	// Access control does not depend on the engine, so SQLite only.
	e := newAPIEnv(t, store.SQLite)
	x := &xssSweep{t: t, e: e, payloads: map[string]string{}, ids: map[string]bool{},
		visited: map[string]map[string]bool{}, rendered: map[string]bool{}}
	x.seed()
	handlerTok, adminTok := e.staffLogin(x.handler), e.staffLogin(x.admin)
	var caseIDs []string
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases?limit=200", handlerTok, nil, http.StatusOK, &inbox)
	for _, c := range inbox.Cases {
		caseIDs = append(caseIDs, c.ID)
	}

	// A handler of the channel who joins now, and so holds no key to the
	// cases above; the whistleblower of one more case excludes them.
	excluded, excludedID := e.addNamedHandler("excluded@example.org", "Excluded Sweep")
	e.submitWith(identityAnswers(sweepExcludedMarker+" what", sweepExcludedMarker+" name"), []string{excludedID},
		fileOf(sweepExcludedMarker+".txt", sweepExcludedMarker+" body"))
	exCase := e.caseWith(handlerTok, sweepExcludedMarker+" what")
	x.ids[exCase.ID] = true
	caseIDs = append(caseIDs, exCase.ID)
	e.addJournal(handlerTok, exCase.ID, sweepExcludedMarker+" journal")
	noAccess := e.addUser("noaccess@example.org", accounts.RoleHandler, org.DefaultChannel)
	dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
	o := newTenantEnv(t, e, "other")
	oAdmin := o.addUser("other-admin@example.org", accounts.RoleAdmin)

	// The access review the seeding opened: its page takes its id.
	var reviews struct{ Reviews []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews", adminTok, nil, http.StatusOK, &reviews)
	for _, r := range reviews.Reviews {
		x.ids[r.ID] = true
	}

	caseMarkers := []string{sweepExcludedMarker}
	for _, f := range sweepCaseFields {
		caseMarkers = append(caseMarkers, "XSS_"+f)
	}
	var registerMarkers []string
	for _, f := range sweepRegisterFields {
		registerMarkers = append(registerMarkers, "XSS_"+f)
	}

	adminCookie := e.staffCookieLogin(x.admin)
	handlerCookie := e.staffCookieLogin(x.handler)
	callers := []sweepCaller{
		{name: "anonymous", base: e.staff.URL},
		{name: "handler without access", base: e.staff.URL, cookie: e.staffCookieLogin(noAccess),
			userID: e.userIDIn(org.DefaultTenant, "noaccess@example.org")},
		{name: "excluded handler", base: e.staff.URL, cookie: e.staffCookieLogin(excluded), userID: excludedID},
		{name: "dpo", base: e.staff.URL, cookie: e.staffCookieLogin(dpo), userID: e.userIDIn(org.DefaultTenant, "dpo@example.org"), dpo: true},
		{name: "admin of another tenant", base: o.staff.URL, cookie: o.staffCookieLogin(oAdmin),
			userID: o.userIDIn("other", "other-admin@example.org")},
	}

	// Path parameters: each GET page route is filled as the case owner
	// would reach it (the admin, then the handler with access); a POST
	// takes its values from the longest GET route sharing its prefix, and
	// any parameter still open is tried with every seeded id.
	ids := make([]string, 0, len(x.ids))
	for id := range x.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fixed := map[string][]string{"channel": {org.DefaultChannel}, "category": {"report"}, "phase": {"contain"}, "page": {"1"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(c sweepCaller, method, path string) (int, string) {
		var req *http.Request
		if method == http.MethodPost {
			csrf := ""
			if c.cookie != nil {
				csrf = csrfToken(c.cookie.Value)
			}
			req, _ = http.NewRequest(method, c.base+path, strings.NewReader(sweepForm(csrf, c.userID).Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req, _ = http.NewRequest(method, c.base+path, nil)
		}
		if c.cookie != nil {
			req.AddCookie(c.cookie)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s as %s: %v", method, path, c.name, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b) + "\n" + resp.Header.Get("Location")
	}
	owners := []sweepCaller{{name: "admin", base: e.staff.URL, cookie: adminCookie}, {name: "handler", base: e.staff.URL, cookie: handlerCookie}}
	params := func(p string) []string {
		var out []string
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, "{") && seg != "{$}" {
				out = append(out, strings.Trim(seg, "{}."))
			}
		}
		return out
	}
	// candidates for a parameter: the fixed values, the cases for a case
	// route's {id}, or every id the seeding saw.
	candidates := func(routePath, name string) []string {
		switch {
		case fixed[name] != nil:
			return fixed[name]
		case name == "id" && strings.HasPrefix(routePath, "/cases/"):
			return caseIDs
		}
		return ids
	}
	// What the owners see proves the markers can be found at all: a
	// marker no owner ever sees would make its absence elsewhere mean
	// nothing.
	seenByOwner := map[string]bool{}
	ownerSaw := func(body string) {
		for _, m := range append(slices.Clone(caseMarkers), registerMarkers...) {
			if strings.Contains(body, m) {
				seenByOwner[m] = true
			}
		}
	}
	for _, rt := range e.srv.staffRoutes {
		if rt.Method == http.MethodGet && !rt.API && len(params(rt.Path)) == 0 && sweepRoutesSkipped["GET "+rt.Path] == "" {
			for _, ow := range owners {
				_, body := do(ow, http.MethodGet, strings.TrimSuffix(rt.Path, "{$}"))
				ownerSaw(body)
			}
		}
	}
	// Each route keeps up to maxFound working fillings (several requests,
	// persons, disclosures), so that the page of each kind of object is
	// called, not only the first found.
	const maxFound = 6
	resolved := map[string][]map[string]string{} // GET route path → fillings an owner reaches
	for _, rt := range e.srv.staffRoutes {
		if rt.Method != http.MethodGet || rt.API || len(params(rt.Path)) == 0 || sweepRoutesSkipped["GET "+rt.Path] != "" {
			continue
		}
		tries := 0
		var try func(path string, rest []string, got map[string]string) bool
		try = func(path string, rest []string, got map[string]string) bool {
			if len(rest) == 0 {
				tries++
				for _, ow := range owners {
					if status, body := do(ow, http.MethodGet, path); status/100 == 2 {
						resolved[rt.Path] = append(resolved[rt.Path], got)
						ownerSaw(body)
						return len(resolved[rt.Path]) >= maxFound
					}
				}
				return false
			}
			for _, c := range candidates(rt.Path, rest[0]) {
				if tries > 1500 {
					return false
				}
				next := map[string]string{rest[0]: c}
				for k, v := range got {
					next[k] = v
				}
				if try(strings.Replace(path, "{"+rest[0]+"}", url.PathEscape(c), 1), rest[1:], next) {
					return true
				}
			}
			return false
		}
		if try(rt.Path, params(rt.Path), map[string]string{}); len(resolved[rt.Path]) == 0 {
			t.Logf("GET %s: no owner reaches it with the seeded ids; every candidate is called instead", rt.Path)
		}
	}
	// common counts the leading path segments two route paths share.
	common := func(a, b string) int {
		as, bs := strings.Split(a, "/"), strings.Split(b, "/")
		n := 0
		for n < len(as) && n < len(bs) && as[n] == bs[n] {
			n++
		}
		return n
	}
	// fill returns the paths to call for a route.
	fill := func(rt route) []string {
		segs := strings.Split(rt.Path, "/")
		paths := []string{""}
		for i, seg := range segs {
			if i > 0 {
				for j := range paths {
					paths[j] += "/"
				}
			}
			if !strings.HasPrefix(seg, "{") || seg == "{$}" {
				for j := range paths {
					paths[j] += seg
				}
				continue
			}
			name := strings.Trim(seg, "{}.")
			// The resolved GET route that shares the most of this route's
			// path, so that all its parameters come from one object.
			prefix := strings.Join(segs[:i+1], "/")
			best := ""
			for p, found := range resolved {
				if found[0][name] == "" || p != prefix && !strings.HasPrefix(p, prefix+"/") {
					continue
				}
				if c, cb := common(p, rt.Path), common(best, rt.Path); best == "" || c > cb || c == cb && (len(p) > len(best) || len(p) == len(best) && p < best) {
					best = p
				}
			}
			var values []string
			for _, f := range resolved[best] {
				if !slices.Contains(values, f[name]) {
					values = append(values, f[name])
				}
			}
			cands := candidates(rt.Path, name)
			if len(values) > 0 && !(name == "id" && strings.HasPrefix(rt.Path, "/cases/")) {
				// Every case is called, the excluded one included; the
				// parameters after it are those an owner reached.
				cands = values
			}
			var next []string
			for _, p := range paths {
				for _, c := range cands {
					if len(next) < 200 {
						next = append(next, p+url.PathEscape(c))
					}
				}
			}
			paths = next
		}
		return paths
	}

	// fingerprint is what a POST must not change: each case's state,
	// journal, persons, messages, files, disclosures and holds as the
	// handler with access sees them, and the size of every register.
	fingerprint := func() string {
		var b strings.Builder
		for _, id := range caseIDs {
			for _, p := range []string{"", "/journal", "/persons", "/disclosures"} {
				r := e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+p, handlerTok, nil)
				fmt.Fprintf(&b, "%s%s %d %d\n", id, p, r.status, len(r.body))
			}
		}
		for _, list := range []string{"/api/v1/staff/breaches", "/api/v1/staff/requests", "/api/v1/staff/registers/ropa",
			"/api/v1/staff/registers/processors", "/api/v1/staff/registers/dpias", "/api/v1/staff/registers/risks", "/api/v1/staff/settings/statuses"} {
			r := e.call(e.staff.URL, "GET", list, adminTok, nil)
			fmt.Fprintf(&b, "%s %d %d\n", list, r.status, len(r.body))
		}
		return b.String()
	}

	calls, before := 0, ""
	covered := map[string]bool{}
	for _, rt := range e.srv.staffRoutes {
		key := rt.Method + " " + rt.Path
		if rt.API || (rt.Method != http.MethodGet && rt.Method != http.MethodPost) {
			continue
		}
		if reason := sweepRoutesSkipped[key]; reason != "" {
			t.Logf("%s not called: %s", key, reason)
			continue
		}
		isCase := strings.HasPrefix(rt.Path, "/cases/") || strings.HasPrefix(rt.Path, "/identity-requests")
		if rt.Method == http.MethodPost && before == "" {
			before = fingerprint()
		}
		for _, path := range fill(rt) {
			for _, c := range callers {
				if rt.Method == http.MethodPost && c.dpo && !isCase {
					// The DPO's own register work is an allowed action, not this
					// sweep's subject: the DPO GETs every page and POSTs to cases.
					continue
				}
				status, body := do(c, rt.Method, path)
				calls++
				covered[key] = true
				if status >= 500 {
					t.Errorf("%s %s as %s: status %d: %.300s", rt.Method, path, c.name, status, body)
				}
				for _, m := range caseMarkers {
					if strings.Contains(body, m) {
						t.Errorf("%s %s as %s (status %d) shows case content %s", rt.Method, path, c.name, status, m)
					}
				}
				if !c.dpo {
					for _, m := range registerMarkers {
						if strings.Contains(body, m) {
							t.Errorf("%s %s as %s (status %d) shows register content %s", rt.Method, path, c.name, status, m)
						}
					}
				}
			}
		}
		if rt.Method == http.MethodPost {
			after := fingerprint()
			if after != before {
				t.Errorf("%s by callers without access changed the case or a register:\nbefore:\n%s\nafter:\n%s", key, before, after)
			}
			before = after
		}
	}
	var missed []string
	for _, rt := range e.srv.staffRoutes {
		key := rt.Method + " " + rt.Path
		if !rt.API && (rt.Method == http.MethodGet || rt.Method == http.MethodPost) && !covered[key] && sweepRoutesSkipped[key] == "" {
			missed = append(missed, key)
		}
	}
	for _, m := range missed {
		t.Errorf("%s was never called", m)
	}
	for _, m := range append(slices.Clone(caseMarkers), registerMarkers...) {
		field := strings.TrimPrefix(m, "XSS_")
		if !seenByOwner[m] && xssFieldsNotOnAnyPage[field] == "" {
			t.Errorf("marker %s is on no page an owner of it sees: the sweep cannot tell whether it leaks", m)
		}
	}
	t.Logf("%d calls over %d staff HTML routes as %d callers", calls, len(covered), len(callers))
}
