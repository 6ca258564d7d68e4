package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// The XSS sweep (issue 6, "Hostile input"): every field a person types
// that a page renders gets its own payload, then a crawler walks every
// page reachable by links, plus every GET page of the route tables with
// its path filled from the data created, as an admin, as a handler with
// access, as the whistleblower and anonymously. Every HTML answer must
// hold the payloads only escaped, reference no other origin and carry the
// security headers; every GET page route must have been visited, so a new
// page is swept without anyone adding it here.

// xssField returns the payload for one field: a script element, an
// attribute breaker that opens an svg with an event handler, a
// javascript: link and template delimiters, each tagged with the field's
// marker so the sweep can tell which field reached which page.
func xssField(field string) string {
	m := "XSS_" + field
	return `<script>alert("` + m + `")</script>"'><svg onload=alert('` + m + `')>` +
		`<a href="javascript:alert('` + m + `')">` + m + `</a>{{.` + m + `}}`
}

// xssFileName is a payload that survives file-name sanitising (no slash,
// no control characters) yet still breaks out of an attribute if rendered
// raw.
func xssFileName(field string) string {
	m := "XSS_" + field
	return `"'><svg onload=alert('` + m + `')><img src=x onerror=alert('` + m + `')>{{.` + m + `}}.txt`
}

// xssFieldsNotOnAnyPage are typed fields the sweep fills but no HTML page
// renders yet (API only); the sweep still checks any page that shows them
// later, and a field that starts to render simply leaves this list.
var xssFieldsNotOnAnyPage = map[string]string{
	"breach_update":    "breach updates are listed by phase, their notes are API only",
	"retention_reason": "legal hold reasons are shown by the API only",
}

// xssRoutesWithoutData lists GET page routes the sweep cannot reach with
// data, each with the reason. Everything else must be visited.
var xssRoutesWithoutData = map[string]string{
	"GET /setup": "the organisation exists, so the setup form answers 404; it renders no typed data (TestHTMLSetup covers it)",
	"GET /cases/{id}/redactions/{redaction}/download": "a file, not a page, and only after a second handler approved and released the copy (four-eyes)",
	"GET /cases/{id}/redactions/{redaction}/preview":  "the rendered image or PDF of a non-text copy, not a page; linked only for such copies, whose making needs OCR (TestDA2ImageCopyBurnsInManualAreas covers it)",
	"GET /cases/{id}/redactions/{redaction}/pages/{page}": "a PNG of one page of a non-text copy, not a page; linked only for such copies, whose making needs poppler and OCR " +
		"(TestRedactionReviewShowsPagePreviewsOfAPDFCopyFivePagesAtATime and TestAccessControlMatrixRedactionPagePreviews cover it)",
}

type xssSweep struct {
	t        *testing.T
	e        *apiEnv
	payloads map[string]string // field → payload
	ids      map[string]bool   // every id the seeding saw: candidates for path parameters
	receipt  string
	admin    staffUser
	handler  staffUser
	visited  map[string]map[string]bool // listener → route pattern → visited with a 2xx/3xx
	rendered map[string]bool            // fields whose marker reached some page
	pages    int
}

func (x *xssSweep) payload(field string) string {
	if _, ok := x.payloads[field]; !ok {
		x.payloads[field] = xssField(field)
	}
	return x.payloads[field]
}

func (x *xssSweep) fileName(field string) string {
	x.payloads[field] = xssFileName(field)
	return x.payloads[field]
}

// call is doJSON that also remembers every id in the answer.
func (x *xssSweep) call(method, path, token string, body any, want int) map[string]any {
	x.t.Helper()
	r := x.e.call(x.e.staff.URL, method, path, token, body)
	// Any success will do: the sweep needs the data, not the exact status.
	if r.status/100 != want/100 {
		x.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.body)
	}
	var out map[string]any
	json.Unmarshal(r.body, &out)
	x.collectIDs(r.body)
	return out
}

// collectIDs records every string value under a key named id or ending in
// _id anywhere in a JSON answer.
func (x *xssSweep) collectIDs(raw []byte) {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return
	}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				walk(k, c)
			}
		case []any:
			for _, c := range v {
				walk(key, c)
			}
		case string:
			if k := strings.ToLower(key); (k == "id" || strings.HasSuffix(k, "_id")) && v != "" && !strings.ContainsAny(v, "/ ?#") {
				x.ids[v] = true
			}
		}
	}
	walk("", v)
}

func (x *xssSweep) seed() {
	e, t := x.e, x.t
	e.t = t
	// The admin handles the default channel, so it holds the case keys,
	// and is a custodian, so it sees identity requests.
	x.admin = e.addCustodian("admin@example.org", accounts.RoleAdmin, org.DefaultChannel)
	// The handler with access carries a payload as display name, which
	// the public form shows when offering handlers for exclusion.
	var handlerID string
	x.handler, handlerID = e.addNamedHandler("named@example.org", x.payload("user_display_name"))
	x.ids[handlerID] = true
	adminTok, handlerTok := e.staffLogin(x.admin), e.staffLogin(x.handler)

	// Workflow settings: a custom status label and a closing reason with
	// its template, in every language.
	all := func(s string) map[string]string { return map[string]string{"en": s, "da": s, "nb": s} }
	x.call("PUT", "/api/v1/staff/settings/statuses", adminTok, map[string]any{"statuses": []map[string]any{
		{"id": "xss-status", "labels": all(x.payload("status_label")), "state": "screening"}}}, http.StatusOK)
	x.call("PUT", "/api/v1/staff/settings/outcomes", adminTok, map[string]any{"outcomes": []map[string]any{
		{"id": "xss-outcome", "labels": all(x.payload("outcome_label")), "templates": all(x.payload("outcome_template"))},
		{"id": "unfounded", "labels": map[string]string{"en": "Unfounded"}}}}, http.StatusOK)

	// The report: every free-text answer, the identity, two file names.
	answers := map[string]any{"what": x.payload("answer_what"), "when": x.payload("answer_when"),
		"where": x.payload("answer_where"), "who": x.payload("answer_who"), "how_known": "witnessed",
		"identity_name": x.payload("identity_name"), "identity_contact": x.payload("identity_contact")}
	// The second file name is cleaned on upload (no slash survives); it
	// must still never come out as markup.
	x.receipt = e.submitOK(answers, fileOf(x.fileName("file_name"), x.payload("file_text")+"\nJens Hansen, 010203-1234, jens@example.org\n"),
		fileOf(`<script>alert("XSS_file_script")</script>`, "x"))
	wb := e.wbLogin(x.receipt)
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/identity-consent", wb, nil, http.StatusOK, nil)
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": x.payload("wb_message")}, http.StatusCreated, nil)
	ctype, body := multipartBody("", upload{Field: "file", Name: x.fileName("wb_file_name"), Type: "text/plain", Body: strings.NewReader("later")})
	if r := e.rawCall(e.public.URL, "POST", "/api/v1/wb/files", wb, ctype, body.Bytes()); r.status != http.StatusCreated {
		t.Fatalf("whistleblower file upload: %d %s", r.status, r.body)
	}
	var mine json.RawMessage
	e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &mine)
	x.collectIDs(mine)

	caseID := e.oneCase(handlerTok)
	x.ids[caseID] = true
	caseJSON := x.call("GET", "/api/v1/staff/cases/"+caseID, handlerTok, nil, http.StatusOK)
	x.seedRedactions(handlerTok, caseID, caseJSON)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/messages", handlerTok, map[string]string{"text": x.payload("staff_message")}, http.StatusCreated)
	e.addJournal(handlerTok, caseID, x.payload("journal"))
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/deadline-extension", handlerTok,
		map[string]any{"days": 10, "reason": x.payload("extension_reason")}, http.StatusOK)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/persons", handlerTok, map[string]any{"role": "reported_person",
		"name": x.payload("person_name"), "aliases": []string{x.payload("person_alias")}, "relatives": []string{x.payload("person_relative")},
		"contact": x.payload("person_contact"), "notes": x.payload("person_notes")}, http.StatusCreated)
	pid := x.call("POST", "/api/v1/staff/cases/"+caseID+"/persons", handlerTok, map[string]any{"role": "witness", "name": "Deferred Witness"}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/persons/"+fmt.Sprint(pid["id"])+"/defer", handlerTok, map[string]any{
		"reason": x.payload("deferral_reason"), "legal_basis": x.payload("deferral_basis"),
		"review_on": e.clock.Now().AddDate(0, 1, 0).Format(time.DateOnly)}, http.StatusOK)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/disclosures", handlerTok, map[string]any{"recipient": x.payload("disclosure_recipient"),
		"legal_basis": x.payload("disclosure_basis"), "text": x.payload("disclosure_text"), "answers": []string{"what"}}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/hold", handlerTok, map[string]string{"reason": x.payload("retention_reason")}, http.StatusCreated)
	x.call("GET", "/api/v1/staff/cases/"+caseID+"/journal", handlerTok, nil, http.StatusOK)
	x.call("GET", "/api/v1/staff/cases/"+caseID+"/persons", handlerTok, nil, http.StatusOK)
	x.call("GET", "/api/v1/staff/cases/"+caseID+"/disclosures", handlerTok, nil, http.StatusOK)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/state", handlerTok, map[string]string{"state": "screening"}, http.StatusNoContent)
	x.call("POST", "/api/v1/staff/cases/"+caseID+"/custom-status", handlerTok, map[string]string{"status": "xss-status"}, http.StatusNoContent)
	x.seedCaseRequests(adminTok, handlerTok, caseID)

	// A second report, without consent, whose identity the handler asks
	// the custodian for; it is then closed with the configured outcome,
	// whose template becomes the final message.
	second := e.submitOK(map[string]any{"what": "second report", "when": "today", "how_known": "witnessed", "identity_name": "Someone"})
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", handlerTok, nil, http.StatusOK, &inbox)
	for _, c := range inbox.Cases {
		x.ids[c.ID] = true
		if c.ID == caseID {
			continue
		}
		x.call("POST", "/api/v1/staff/cases/"+c.ID+"/identity-requests", handlerTok, map[string]string{"reason": x.payload("identity_request_reason")}, http.StatusCreated)
		x.call("POST", "/api/v1/staff/cases/"+c.ID+"/state", handlerTok, map[string]string{"state": "screening"}, http.StatusNoContent)
		x.call("POST", "/api/v1/staff/cases/"+c.ID+"/state", handlerTok, map[string]string{"state": "closed", "outcome": "xss-outcome",
			"reason": x.payload("closing_reason")}, http.StatusNoContent)
	}
	_ = second

	// An oral report with its transcript, sent to the whistleblower.
	oral := x.call("POST", "/api/v1/staff/oral-reports", handlerTok, map[string]any{"channel": org.DefaultChannel,
		"answers": minimalAnswers(x.payload("oral_answer")), "source": "phone"}, http.StatusCreated)
	oralCase := fmt.Sprint(oral["case_id"])
	tr := x.call("POST", "/api/v1/staff/cases/"+oralCase+"/transcripts", handlerTok, map[string]string{"text": x.payload("transcript")}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/cases/"+oralCase+"/transcripts/"+fmt.Sprint(tr["id"])+"/send", handlerTok, nil, http.StatusOK)

	// Registers (admin): breach, data-subject request, records of
	// processing, processors, DPIAs, risks.
	breach := x.call("POST", "/api/v1/staff/breaches", adminTok, map[string]any{"aware_at": e.clock.Now().UTC().Add(-time.Hour),
		"type": "confidentiality", "severity": 2, "what_happened": x.payload("breach_what"), "data_categories": x.payload("breach_categories"),
		"approx_subjects": 3, "approx_records": 3, "contact_point": x.payload("breach_contact"),
		"likely_consequences": x.payload("breach_consequences"), "measures": x.payload("breach_measures")}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/breaches/"+fmt.Sprint(breach["id"])+"/updates", adminTok,
		map[string]any{"phase": "contain", "note": x.payload("breach_update")}, http.StatusOK)
	x.call("POST", "/api/v1/staff/requests", adminTok, map[string]any{"type": "access", "channel": "letter",
		"received_at": e.clock.Now().UTC().Add(-time.Hour), "requester": x.payload("dsr_requester"),
		"contact": x.payload("dsr_contact"), "description": x.payload("dsr_description")}, http.StatusCreated)
	ropa := ropaBody(x.payload("ropa"))
	act := x.call("POST", "/api/v1/staff/registers/ropa", adminTok, ropa, http.StatusCreated)
	x.call("POST", "/api/v1/staff/registers/processors", adminTok, map[string]any{"name": x.payload("processor"),
		"contact": x.payload("processor"), "service": x.payload("processor"), "clauses": []string{"a"}}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/registers/dpias", adminTok, map[string]any{"activity_id": act["id"], "description": x.payload("dpia"),
		"necessity": "n", "risks": "r", "measures": "m", "dpo_advice": "ok", "review_at": e.clock.Now().UTC().AddDate(1, 0, 0)}, http.StatusCreated)
	x.call("POST", "/api/v1/staff/registers/risks", adminTok, map[string]any{"title": x.payload("risk"), "likelihood": 2, "impact": 3}, http.StatusCreated)
	// An open access review, so that its page (linked from the list) is
	// crawled. Its answer is not recorded: its user ids would only add
	// candidates to fillRoutes' search.
	if res := e.call(e.staff.URL, "POST", "/api/v1/staff/registers/reviews", adminTok, nil); res.status != http.StatusCreated {
		t.Fatalf("start access review: %d", res.status)
	}
	for _, list := range []string{"/api/v1/staff/breaches", "/api/v1/staff/requests", "/api/v1/staff/identity-requests",
		"/api/v1/staff/registers/ropa", "/api/v1/staff/registers/processors", "/api/v1/staff/registers/dpias", "/api/v1/staff/registers/risks"} {
		x.call("GET", list, adminTok, nil, http.StatusOK)
	}
}

// seedRedactions starts an anonymised copy of each file of the case, when
// the route exists: the redaction pages show the file's text.
func (x *xssSweep) seedRedactions(token, caseID string, caseJSON map[string]any) {
	if !slices.ContainsFunc(x.e.srv.staffRoutes, func(rt route) bool {
		return rt.Method == http.MethodPost && rt.Path == "/api/v1/staff/cases/{id}/redactions"
	}) {
		return
	}
	files, _ := caseJSON["files"].([]any)
	for _, f := range files {
		id, _ := f.(map[string]any)["id"].(string)
		r := x.e.call(x.e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/redactions", token, map[string]string{"file_id": id, "lang": "en"})
		if r.status/100 != 2 {
			x.t.Logf("starting an anonymised copy of file %s: %d %.200s", id, r.status, r.body)
		}
		x.collectIDs(r.body)
	}
}

// patternOf names the route pattern of a listener that a GET of path
// reaches, "" for none.
func patternOf(routes []route, path string) string {
	mux := http.NewServeMux()
	for _, rt := range routes {
		if rt.Method == http.MethodGet && !rt.API {
			mux.HandleFunc("GET "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	req, err := http.NewRequest("GET", path, nil)
	if err != nil {
		return ""
	}
	_, pat := mux.Handler(req)
	return pat
}

// htmlTag is a start tag found in a page.
type htmlTag struct {
	Name  string
	Attrs map[string]string
}

// scanTags returns the start tags of an HTML document. html/template
// writes well-formed markup with quoted attributes, so a small scanner
// suffices; anything a payload smuggled in raw shows up here as a tag or
// an attribute.
func scanTags(doc string) []htmlTag {
	var tags []htmlTag
	for i := 0; i < len(doc); i++ {
		if doc[i] != '<' || i+1 >= len(doc) || !isASCIILetter(doc[i+1]) {
			continue
		}
		j := i + 1
		for j < len(doc) && (isASCIILetter(doc[j]) || doc[j] >= '0' && doc[j] <= '9' || doc[j] == '-') {
			j++
		}
		tag := htmlTag{Name: strings.ToLower(doc[i+1 : j]), Attrs: map[string]string{}}
		for j < len(doc) && doc[j] != '>' {
			for j < len(doc) && (doc[j] == ' ' || doc[j] == '\n' || doc[j] == '\t' || doc[j] == '\r' || doc[j] == '/') {
				j++
			}
			k := j
			for j < len(doc) && !strings.ContainsRune(" \t\r\n=>/", rune(doc[j])) {
				j++
			}
			name := strings.ToLower(doc[k:j])
			val := ""
			if j < len(doc) && doc[j] == '=' {
				j++
				if j < len(doc) && (doc[j] == '"' || doc[j] == '\'') {
					q := doc[j]
					end := strings.IndexByte(doc[j+1:], q)
					if end < 0 {
						end = len(doc) - j - 1
					}
					val = doc[j+1 : j+1+end]
					j += end + 2
				} else {
					k := j
					for j < len(doc) && !strings.ContainsRune(" \t\r\n>", rune(doc[j])) {
						j++
					}
					val = doc[k:j]
				}
			}
			if name != "" {
				tag.Attrs[name] = val
			} else if j < len(doc) && doc[j] != '>' {
				j++
			}
		}
		tags = append(tags, tag)
		i = j
	}
	return tags
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// htmlUnescapeAttr undoes the entity escaping html/template applies to
// attribute values, enough to judge a URL.
var htmlUnescapeAttr = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#61;", "=")

// urlAttrs are the attributes whose value a browser loads or navigates to.
var urlAttrs = []string{"href", "src", "action", "formaction", "srcset", "poster", "data", "background", "xlink:href", "cite", "manifest"}

// checkPage returns what is wrong with an HTML page: raw markup from a
// payload, event handlers, script URLs and references to another origin.
func checkPage(body string, payloads map[string]string) []string {
	var bad []string
	if strings.Contains(strings.ToLower(body), "<script") {
		bad = append(bad, "a raw <script")
	}
	for field, p := range payloads {
		if strings.Contains(body, p) {
			bad = append(bad, "the payload of "+field+" unescaped")
		}
	}
	for _, tag := range scanTags(body) {
		switch tag.Name {
		case "script", "svg", "iframe", "object", "embed", "math", "base", "frame", "frameset", "applet":
			bad = append(bad, "a <"+tag.Name+"> element")
		case "img":
			if tag.Attrs["src"] == "x" {
				bad = append(bad, "an injected <img src=x>")
			}
		case "meta":
			if strings.EqualFold(tag.Attrs["http-equiv"], "refresh") {
				bad = append(bad, "a meta refresh")
			}
		}
		for name, val := range tag.Attrs {
			if strings.HasPrefix(name, "on") {
				bad = append(bad, fmt.Sprintf("an event handler %s= on <%s>", name, tag.Name))
			}
			if name == "style" && strings.Contains(strings.ToLower(val), "url(") {
				bad = append(bad, fmt.Sprintf("a style url() on <%s>", tag.Name))
			}
			if !slices.Contains(urlAttrs, name) {
				continue
			}
			v := strings.TrimSpace(htmlUnescapeAttr.Replace(val))
			lower := strings.ToLower(strings.Join(strings.Fields(v), ""))
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(lower, scheme) {
					bad = append(bad, fmt.Sprintf("a %s URL in %s of <%s>", scheme, name, tag.Name))
				}
			}
			if tag.Name == "a" && name == "href" && externalChannelLink(v) {
				continue // the authorities' external channels (RC-6): a link, never a loaded resource
			}
			if u, err := url.Parse(v); err != nil || u.Scheme != "" || u.Host != "" || strings.HasPrefix(v, "//") {
				bad = append(bad, fmt.Sprintf("a reference to another origin or scheme in %s of <%s>: %q", name, tag.Name, v))
			}
		}
	}
	return bad
}

// checkHeaders returns what is missing from an answer's security headers
// (the "Security headers and transport" bullet of issue 6).
func checkHeaders(path string, h http.Header, public bool) []string {
	var bad []string
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			bad = append(bad, fmt.Sprintf("CSP %q lacks %q", csp, want))
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "http:") || strings.Contains(csp, "https:") || strings.Contains(csp, "*") {
		bad = append(bad, fmt.Sprintf("CSP %q allows inline code or another origin", csp))
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin"}
	if !strings.HasPrefix(path, "/static/") {
		want["Cache-Control"] = "no-store"
	}
	for name, v := range want {
		if h.Get(name) != v {
			bad = append(bad, fmt.Sprintf("%s = %q, want %q", name, h.Get(name), v))
		}
	}
	for _, feature := range []string{"camera=()", "microphone=()", "geolocation=()"} {
		if !strings.Contains(h.Get("Permissions-Policy"), feature) {
			bad = append(bad, fmt.Sprintf("Permissions-Policy %q lacks %s", h.Get("Permissions-Policy"), feature))
		}
	}
	if public {
		bad = append(bad, persistentCookies(h)...)
	}
	return bad
}

// persistentCookies names the cookies in h that outlive the browser
// session; on the public site none may, so a shared computer keeps no
// trace of a whistleblower after the browser is closed.
func persistentCookies(h http.Header) []string {
	var bad []string
	for _, line := range h.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			bad = append(bad, fmt.Sprintf("unparsable Set-Cookie %q", line))
			continue
		}
		if c.MaxAge > 0 || !c.Expires.IsZero() && c.Expires.After(time.Now()) {
			bad = append(bad, fmt.Sprintf("cookie %s outlives the session (%q)", c.Name, line))
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			bad = append(bad, fmt.Sprintf("cookie %s is not HttpOnly and SameSite=Strict (%q)", c.Name, line))
		}
	}
	return bad
}

// crawl fetches start and every same-origin page linked from it as the
// holder of cookie (nil: anonymous) and checks every answer.
func (x *xssSweep) crawl(who, listener, base string, cookie *http.Cookie, start ...string) {
	t := x.t
	routes := x.e.srv.staffRoutes
	if listener == "public" {
		routes = x.e.srv.publicRoutes
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	seen := map[string]bool{}
	queue := slices.Clone(start)
	const maxPages = 600
	for len(queue) > 0 && len(seen) < maxPages {
		target := queue[0]
		queue = queue[1:]
		if seen[target] {
			continue
		}
		seen[target] = true
		status, ctype, body, location := x.fetch(client, who, listener, base, target, cookie, routes)
		if status == 0 {
			continue
		}
		next := []string{}
		if location != "" {
			next = append(next, location)
		}
		if strings.HasPrefix(ctype, "text/html") {
			for _, tag := range scanTags(body) {
				if tag.Name != "a" && tag.Name != "link" {
					continue
				}
				if href, ok := tag.Attrs["href"]; ok {
					next = append(next, htmlUnescapeAttr.Replace(href))
				}
			}
		}
		cur, _ := url.Parse(target)
		for _, n := range next {
			u, err := cur.Parse(n)
			if err != nil || u.Scheme != "" || u.Host != "" {
				continue // reported by checkPage
			}
			u.Fragment = ""
			if u.Path == "/logout" {
				continue
			}
			if s := u.String(); !seen[s] {
				queue = append(queue, s)
			}
		}
	}
	if len(queue) > 0 {
		t.Logf("%s: stopped after %d pages with %d links left", who, maxPages, len(queue))
	}
}

// fetch GETs one page, checks it and records the route it reached.
func (x *xssSweep) fetch(client *http.Client, who, listener, base, target string, cookie *http.Cookie, routes []route) (status int, ctype, body, location string) {
	t := x.t
	req, _ := http.NewRequest("GET", base+target, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s GET %s: %v", who, target, err)
		return 0, "", "", ""
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	x.pages++
	ctype = resp.Header.Get("Content-Type")
	body = string(raw)
	for _, p := range checkHeaders(req.URL.Path, resp.Header, listener == "public") {
		t.Errorf("%s GET %s: %s", who, target, p)
	}
	if resp.StatusCode >= 500 {
		t.Errorf("%s GET %s: status %d", who, target, resp.StatusCode)
	}
	if pat := strings.TrimPrefix(patternOf(routes, req.URL.Path), "GET "); pat != "" && resp.StatusCode < 400 {
		if x.visited[listener] == nil {
			x.visited[listener] = map[string]bool{}
		}
		x.visited[listener][pat] = true
	}
	switch {
	case strings.HasPrefix(ctype, "text/html"):
		for _, p := range checkPage(body, x.payloads) {
			t.Errorf("%s GET %s holds %s", who, target, p)
		}
		for field := range x.payloads {
			if strings.Contains(body, "XSS_"+field+"&#39;") || strings.Contains(body, "XSS_"+field+"&#34;") ||
				strings.Contains(body, "XSS_"+field+"&lt;") || strings.Contains(body, "XSS_"+field+"}}") {
				x.rendered[field] = true
			}
		}
	case req.URL.Path == "/static/varsel.css" || strings.HasSuffix(req.URL.Path, ".css"):
		if strings.Contains(body, "url(") && (strings.Contains(body, "//") && strings.Contains(body, "url(http") || strings.Contains(body, "url(//")) {
			t.Errorf("%s GET %s: the stylesheet loads from another origin", who, target)
		}
	default:
		// Downloads and JSON must never render in the site's origin.
		if strings.Contains(ctype, "html") || strings.Contains(ctype, "svg") || strings.Contains(ctype, "xml") {
			t.Errorf("%s GET %s: a non-page answer served as %q", who, target, ctype)
		}
		if resp.StatusCode == http.StatusOK && !strings.HasPrefix(req.URL.Path, "/static/") && !strings.HasPrefix(req.URL.Path, "/api/") &&
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("%s GET %s: download without Content-Disposition: attachment (%q)", who, target, resp.Header.Get("Content-Disposition"))
		}
	}
	return resp.StatusCode, ctype, body, resp.Header.Get("Location")
}

// fillRoutes visits every GET page route not reached by links, with its
// path parameters filled from the ids the seeding saw.
func (x *xssSweep) fillRoutes(who, listener, base string, cookie *http.Cookie) {
	routes := x.e.srv.staffRoutes
	if listener == "public" {
		routes = x.e.srv.publicRoutes
	}
	ids := make([]string, 0, len(x.ids))
	for id := range x.ids {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	values := map[string][]string{"channel": {org.DefaultChannel}, "name": {"varsel.css"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, rt := range routes {
		key := rt.Method + " " + rt.Path
		if rt.Method != http.MethodGet || rt.API || x.visited[listener][rt.Path] || xssRoutesWithoutData[key] != "" {
			continue
		}
		var params []string
		for _, seg := range strings.Split(rt.Path, "/") {
			if strings.HasPrefix(seg, "{") && seg != "{$}" {
				params = append(params, strings.Trim(seg, "{}."))
			}
		}
		// Every combination of candidates, bounded: two parameters over
		// a few dozen ids stay in the low thousands of cheap requests.
		var try func(path string, rest []string) bool
		tries := 0
		try = func(path string, rest []string) bool {
			if len(rest) == 0 {
				tries++
				status, _, _, _ := x.fetch(client, who, listener, base, path, cookie, routes)
				return status > 0 && status < 400
			}
			cands := values[rest[0]]
			if cands == nil {
				cands = ids
			}
			for _, c := range cands {
				if tries > 1500 {
					return false
				}
				if try(strings.Replace(path, "{"+rest[0]+"}", url.PathEscape(c), 1), rest[1:]) {
					return true
				}
			}
			return false
		}
		try(rt.Path, params)
	}
}

func TestXSSSweepEveryPageRendersTypedFieldsEscaped(t *testing.T) {
	// Rendering does not depend on the database engine, so SQLite only.
	e := newAPIEnv(t, store.SQLite)
	x := &xssSweep{t: t, e: e, payloads: map[string]string{}, ids: map[string]bool{},
		visited: map[string]map[string]bool{}, rendered: map[string]bool{}}
	x.seed()

	adminCookie := e.staffCookieLogin(x.admin)
	handlerCookie := e.staffCookieLogin(x.handler)
	wbCookieValue := e.wbCookieLogin(x.receipt)
	starts := []string{"/", "/?lang=da", "/?lang=nb"}
	x.crawl("anonymous", "public", e.public.URL, nil, append(starts, "/report/"+org.DefaultChannel, "/status")...)
	x.crawl("whistleblower", "public", e.public.URL, wbCookieValue, append(starts, "/status", "/status?lang=da")...)
	x.crawl("anonymous staff", "staff", e.staff.URL, nil, "/login", "/setup")
	x.crawl("admin", "staff", e.staff.URL, adminCookie, append(starts, "/identity-requests", "/registers", "/statistics")...)
	x.crawl("handler", "staff", e.staff.URL, handlerCookie, starts...)
	x.fillRoutes("admin", "staff", e.staff.URL, adminCookie)
	x.fillRoutes("handler", "staff", e.staff.URL, handlerCookie)
	x.fillRoutes("whistleblower", "public", e.public.URL, wbCookieValue)

	for _, l := range []struct {
		name   string
		routes []route
	}{{"public", e.srv.publicRoutes}, {"staff", e.srv.staffRoutes}} {
		var got, missed []string
		for _, rt := range l.routes {
			key := rt.Method + " " + rt.Path
			if rt.Method != http.MethodGet || rt.API {
				continue
			}
			switch {
			case x.visited[l.name][rt.Path]:
				got = append(got, rt.Path)
			case xssRoutesWithoutData[key] != "":
				t.Logf("%s %s not visited: %s", l.name, key, xssRoutesWithoutData[key])
			default:
				missed = append(missed, rt.Path)
			}
		}
		t.Logf("%s GET routes visited (%d): %s", l.name, len(got), strings.Join(got, " "))
		for _, m := range missed {
			t.Errorf("%s GET %s was never visited: link to it from a page, or give the sweep data for it (xssRoutesWithoutData lists exceptions with a reason)", l.name, m)
		}
	}
	var shown, unseen []string
	for field := range x.payloads {
		if x.rendered[field] {
			shown = append(shown, field)
			if r, ok := xssFieldsNotOnAnyPage[field]; ok {
				t.Logf("%s now renders on a page; drop it from xssFieldsNotOnAnyPage (%s)", field, r)
			}
		} else if _, ok := xssFieldsNotOnAnyPage[field]; !ok {
			unseen = append(unseen, field)
		}
	}
	sort.Strings(shown)
	sort.Strings(unseen)
	t.Logf("%d answers checked; fields rendered escaped (%d): %s", x.pages, len(shown), strings.Join(shown, " "))
	for _, f := range unseen {
		t.Errorf("field %s reached no page: is it rendered at all? (list it in xssFieldsNotOnAnyPage with the reason if it is API only)", f)
	}
}

// The page checker itself: it must catch each way a payload can get
// through, or the sweep proves nothing.
func TestXSSSweepCheckerCatchesRawPayloads(t *testing.T) {
	payloads := map[string]string{"f": xssField("f")}
	clean := `<!doctype html><html><head><link rel="stylesheet" href="/static/varsel.css"></head><body>` +
		`<p>&lt;script&gt;alert(&#34;XSS_f&#34;)&lt;/script&gt;&#34;&#39;&gt;&lt;svg onload=alert(&#39;XSS_f&#39;)&gt;</p>` +
		`<a href="/cases/1?lang=da&amp;sort=x">x</a><input value="&#34;&gt;&lt;svg onload=x&gt;"></body></html>`
	if bad := checkPage(clean, payloads); len(bad) != 0 {
		t.Fatalf("a clean page was judged unsafe: %q", bad)
	}
	for name, page := range map[string]string{
		"raw payload":       "<p>" + payloads["f"] + "</p>",
		"script element":    "<p><SCRIPT>alert(1)</SCRIPT></p>",
		"attribute breaker": `<input value=""><svg onload=alert(1)>">`,
		"event handler":     `<p><img src="/static/a.png" onerror="alert(1)"></p>`,
		"javascript URL":    `<a href="javascript:alert(1)">x</a>`,
		"spaced scheme":     `<a href=" java&#43;script:alert(1)">x</a><a href="JaVaScRiPt:alert(1)">y</a>`,
		"data URL":          `<a href="data:text/html,x">x</a>`,
		"other origin":      `<link rel="stylesheet" href="https://cdn.example/x.css">`,
		"protocol relative": `<img src="//cdn.example/x.png">`,
		"form elsewhere":    `<form action="https://evil.example/collect"></form>`,
		"meta refresh":      `<meta http-equiv="refresh" content="0;url=https://evil.example">`,
	} {
		if bad := checkPage(page, payloads); len(bad) == 0 {
			t.Errorf("%s: not caught in %q", name, page)
		}
	}
	h := http.Header{}
	h.Add("Set-Cookie", "varsel_wb=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict")
	if bad := persistentCookies(h); len(bad) == 0 {
		t.Error("a persistent cookie was not caught")
	}
	h = http.Header{}
	h.Add("Set-Cookie", "varsel_wb=abc; Path=/; HttpOnly; SameSite=Strict")
	if bad := persistentCookies(h); len(bad) != 0 {
		t.Errorf("a session cookie was judged persistent: %q", bad)
	}
	var buf bytes.Buffer
	buf.WriteString("<a href='/x' title=\"a>b\">")
	if tags := scanTags(buf.String()); len(tags) != 1 || tags[0].Attrs["href"] != "/x" || tags[0].Attrs["title"] != "a>b" {
		t.Errorf("scanTags = %+v", tags)
	}
}
