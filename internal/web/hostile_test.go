package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// Named hostile-input cases (issue 6). Each states the input and the
// outcome it must have.

// wbReport reads the whistleblower's view of their report.
func (e *apiEnv) wbReport(tok string) caseResp {
	e.t.Helper()
	var r caseResp
	e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", tok, nil, http.StatusOK, &r)
	return r
}

// Oversized JSON bodies (over the 1 MiB limit) are refused with 413 on
// every JSON route, before authentication matters.
func TestHostileOversizedJSONBodies(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	receipt := e.submitOK(minimalAnswers("big bodies"))
	wb := e.wbLogin(receipt)
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	huge := `{"text":"` + strings.Repeat("A", 2<<20) + `"}`
	for _, c := range []struct {
		name, base, path, token, body string
	}{
		{"receipt login", e.public.URL, "/api/v1/wb/session", "", `{"receipt":"` + strings.Repeat("A", 2<<20) + `"}`},
		{"whistleblower message", e.public.URL, "/api/v1/wb/messages", wb, huge},
		{"staff login", e.staff.URL, "/api/v1/staff/session", "", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`},
		{"staff message", e.staff.URL, "/api/v1/staff/cases/" + id + "/messages", staff, huge},
		{"journal note", e.staff.URL, "/api/v1/staff/cases/" + id + "/journal", staff, huge},
	} {
		res := e.rawCall(c.base, "POST", c.path, c.token, "application/json", []byte(c.body))
		if res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a 2 MiB body: status %d, want 413: %.200s", c.name, res.status, res.body)
		}
	}
	if r := e.wbReport(wb); len(r.Messages) != 0 {
		t.Errorf("an oversized message was stored: %d messages", len(r.Messages))
	}

	// The report part of a submission is bounded too (256 KiB).
	before, _ := e.countStored()
	ctype, buf := multipartBody(reportJSONFor(org.DefaultChannel, minimalAnswers(strings.Repeat("x", 300<<10))))
	res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", ctype, buf.Bytes())
	if res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 300 KiB report part: status %d, want 413", res.status)
	}
	if after, _ := e.countStored(); after != before {
		t.Errorf("an oversized submission stored a report")
	}
}

// An oversized file is refused with 413 and leaves no blob behind.
func TestHostileOversizedFile(t *testing.T) {
	e := newAPIEnv(t, store.SQLite, withMaxFileSize(64<<10))
	reports, blobs := e.countStored()
	status, body := e.submit(minimalAnswers("too big"), upload{Name: "big.bin", Type: "application/octet-stream",
		Body: bytes.NewReader(make([]byte, 65<<10))})
	if status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized file: %d %s", status, body)
	}
	if r, b := e.countStored(); r != reports || b != blobs {
		t.Errorf("oversized file left %d reports and %d blobs (before %d, %d)", r, b, reports, blobs)
	}
}

// Deeply nested JSON (100,000 '[') is a 400, not a stack exhaustion,
// whether it arrives as a JSON body or as the report part.
func TestHostileDeeplyNestedJSON(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	receipt := e.submitOK(minimalAnswers("nesting"))
	wb := e.wbLogin(receipt)
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	deep := strings.Repeat("[", 100000)
	deepObj := `{"text":` + deep + strings.Repeat("]", 100000) + `}`
	for _, c := range []struct {
		name, base, path, token, body string
	}{
		{"receipt login", e.public.URL, "/api/v1/wb/session", "", deep},
		{"whistleblower message", e.public.URL, "/api/v1/wb/messages", wb, deepObj},
		{"staff login", e.staff.URL, "/api/v1/staff/session", "", deep},
		{"case state", e.staff.URL, "/api/v1/staff/cases/" + id + "/state", staff, deep},
		{"breach", e.staff.URL, "/api/v1/staff/breaches", staff, deep},
	} {
		res := e.rawCall(c.base, "POST", c.path, c.token, "application/json", []byte(c.body))
		want := http.StatusBadRequest
		if c.name == "breach" {
			want = http.StatusForbidden // a handler is refused before the body is read
		}
		if res.status != want {
			t.Errorf("%s with 100k nested arrays: status %d, want %d: %.200s", c.name, res.status, want, res.body)
		}
	}
	before, _ := e.countStored()
	for _, report := range []string{
		deep,
		`{"channel":"general","answers":` + deep + `}`,
		`{"channel":"general","answers":{"what":` + deep + `}}`,
	} {
		ctype, buf := multipartBody(report)
		res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", ctype, buf.Bytes())
		if res.status != http.StatusBadRequest {
			t.Errorf("report part with 100k nested arrays: status %d, want 400: %.200s", res.status, res.body)
		}
	}
	if after, _ := e.countStored(); after != before {
		t.Error("a nested-JSON submission stored a report")
	}
}

// Invalid UTF-8 in answers and messages is a 4xx and nothing is stored.
func TestHostileInvalidUTF8(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		receipt := e.submitOK(minimalAnswers("utf8"))
		wb := e.wbLogin(receipt)
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		before, blobs := e.countStored()

		bad := "caf\xe9 \xff\xfe \xc3\x28"
		// The same report with valid text is accepted: the refusals below
		// are for the bytes, not the shape.
		ctype, buf := multipartBody(`{"channel":"general","answers":{"what":"café","when":"now","how_known":"witnessed","identity_name":"x"}}`)
		if res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", ctype, buf.Bytes()); res.status != http.StatusCreated {
			t.Fatalf("control report: %d %s", res.status, res.body)
		}
		before++
		for _, report := range []string{
			`{"channel":"general","answers":{"what":"` + bad + `","when":"now","how_known":"witnessed"}}`,
			`{"channel":"general","answers":{"what":"x","when":"` + bad + `","how_known":"witnessed"}}`,
			`{"channel":"general","answers":{"what":"x","when":"now","how_known":"witnessed","identity_name":"` + bad + `"}}`,
			`{"channel":"` + bad + `","answers":{"what":"x","when":"now","how_known":"witnessed"}}`,
		} {
			ctype, buf := multipartBody(report, fileOf("f.txt", "body"))
			res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", ctype, buf.Bytes())
			if res.status < 400 || res.status >= 500 {
				t.Errorf("report with invalid UTF-8: status %d, want 4xx: %s", res.status, res.body)
			}
		}
		// A file name that is not UTF-8.
		status, body := e.submit(minimalAnswers("x"), fileOf("bad\xff\xfe.txt", "body"))
		if status >= 500 {
			t.Errorf("file name with invalid UTF-8: %d %s", status, body)
		} else if status == http.StatusCreated {
			// Accepted: the stored name must be valid UTF-8.
			var out struct{ Receipt string }
			json.Unmarshal(body, &out)
			r := e.wbReport(e.wbLogin(out.Receipt))
			for _, f := range r.Files {
				if !isCleanText(f.Name) {
					t.Errorf("stored file name %q is not clean UTF-8", f.Name)
				}
			}
			before++
			blobs++
		}
		if after, b := e.countStored(); after != before || b != blobs {
			t.Errorf("invalid UTF-8 stored something: reports %d→%d, blobs %d→%d", before, after, blobs, b)
		}

		// Messages and notes as raw JSON bytes.
		for _, c := range []struct{ name, base, path, token string }{
			{"whistleblower message", e.public.URL, "/api/v1/wb/messages", wb},
			{"staff message", e.staff.URL, "/api/v1/staff/cases/" + id + "/messages", staff},
		} {
			res := e.rawCall(c.base, "POST", c.path, c.token, "application/json", []byte(`{"text":"`+bad+`"}`))
			if res.status < 400 || res.status >= 500 {
				t.Errorf("%s with invalid UTF-8: status %d, want 4xx", c.name, res.status)
			}
		}
		res := e.rawCall(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/journal", staff, "application/json",
			[]byte(`{"text":"`+bad+`","source":"handler","learned_on":"2026-03-01"}`))
		if res.status < 400 || res.status >= 500 {
			t.Errorf("journal note with invalid UTF-8: status %d, want 4xx", res.status)
		}
		if r := e.wbReport(wb); len(r.Messages) != 0 {
			t.Errorf("a message with invalid UTF-8 was stored: %+v", r.Messages)
		}
		var j journalResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
		for _, en := range j.Entries {
			if en.Kind == "note" {
				t.Errorf("a note with invalid UTF-8 was stored: %+v", en)
			}
		}
	})
}

func isCleanText(s string) bool {
	if !strings.ContainsRune(s, '\uFFFD') && !bytes.ContainsAny([]byte(s), "/\\") {
		for _, r := range s {
			if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x202e {
				return false
			}
		}
		return strings.ToValidUTF8(s, "") == s
	}
	return false
}

// rfc2231 builds a multipart body whose file part names the file with an
// RFC 2231 extended parameter, which can carry any byte (CR, LF, NUL).
func rfc2231Upload(reportJSON, encodedName, content string) (string, []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if reportJSON != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="report"`)
		h.Set("Content-Type", "application/json")
		p, _ := mw.CreatePart(h)
		p.Write([]byte(reportJSON))
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+encodedName)
	h.Set("Content-Type", "text/plain")
	p, _ := mw.CreatePart(h)
	p.Write([]byte(content))
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// Path traversal and control characters in uploaded file names: the
// stored name is clean, and the download's Content-Disposition has no
// '/', CR or LF and creates no header of its own.
func TestHostileFileNames(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		names := []string{
			"..%2F..%2F..%2Fetc%2Fpasswd",
			"..%5C..%5Cwindows%5Csystem32%5Cconfig",
			"%2Fabsolute%2Fpath.txt",
			"evil%0D%0AX-Injected%3A%20yes%0D%0A%0D%0Abody.txt",
			"nul%00byte.txt",
			"bell%07tab%09esc%1B.txt",
			"invoice%E2%80%AEfdp.exe",
			"c1%C2%85control.txt",
			"..",
			"%0D%0A",
		}
		staff := ""
		for i, n := range names {
			ctype, body := rfc2231Upload(reportJSONFor(org.DefaultChannel, minimalAnswers(fmt.Sprintf("file name %d", i))), n, "content")
			res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", ctype, body)
			if res.status != http.StatusCreated {
				if res.status >= 500 {
					t.Errorf("file name %q: status %d: %s", n, res.status, res.body)
				}
				continue
			}
			var out struct{ Receipt string }
			json.Unmarshal(res.body, &out)
			wb := e.wbLogin(out.Receipt)
			r := e.wbReport(wb)
			if len(r.Files) != 1 {
				t.Fatalf("file name %q: %d files stored", n, len(r.Files))
			}
			f := r.Files[0]
			if !isCleanText(f.Name) || f.Name == "" || f.Name == "." || f.Name == ".." || strings.Contains(f.Name, "..") && !strings.Contains(f.Name, ".txt") && f.Name != "file" {
				t.Errorf("file name %q stored as %q", n, f.Name)
			}
			if staff == "" {
				staff = e.staffLogin(e.handler)
			}
			c := e.caseWith(staff, fmt.Sprintf("file name %d", i))
			if len(c.Files) != 1 || c.Files[0].Name != f.Name {
				t.Errorf("file name %q: staff sees %+v", n, c.Files)
				continue
			}
			for _, dl := range []struct{ base, path, tok string }{
				{e.public.URL, "/api/v1/wb/files/" + f.ID, wb},
				{e.staff.URL, "/api/v1/staff/cases/" + c.ID + "/files/" + c.Files[0].ID, staff},
			} {
				res := e.call(dl.base, "GET", dl.path, dl.tok, nil)
				if res.status != http.StatusOK {
					t.Errorf("download %q: status %d", n, res.status)
					continue
				}
				cd := res.header.Get("Content-Disposition")
				if strings.ContainsAny(cd, "/\\\r\n\x00") {
					t.Errorf("file name %q: Content-Disposition %q", n, cd)
				}
				if res.header.Get("X-Injected") != "" {
					t.Errorf("file name %q injected a response header", n)
				}
				if string(res.body) != "content" {
					t.Errorf("file name %q: body %q", n, res.body)
				}
			}
		}
	})
}

// A CRLF in a file name does not create a response header on download,
// even when it arrives through the plain (non-RFC 2231) filename
// parameter with a raw header line.
func TestHostileHeaderInjectionRawMultipart(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	boundary := "xXxBoundaryxXx"
	report := reportJSONFor(org.DefaultChannel, minimalAnswers("raw header"))
	raw := "--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"report\"\r\nContent-Type: application/json\r\n\r\n" + report + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\r\nX-Injected: yes\"\r\nContent-Type: text/plain\r\n\r\n" +
		"content\r\n--" + boundary + "--\r\n"
	res := e.rawCall(e.public.URL, "POST", "/api/v1/reports", "", "multipart/form-data; boundary="+boundary, []byte(raw))
	if res.status >= 500 {
		t.Fatalf("raw multipart: %d %s", res.status, res.body)
	}
	if res.status != http.StatusCreated {
		return // refused: nothing to download
	}
	var out struct{ Receipt string }
	json.Unmarshal(res.body, &out)
	wb := e.wbLogin(out.Receipt)
	for _, f := range e.wbReport(wb).Files {
		dl := e.call(e.public.URL, "GET", "/api/v1/wb/files/"+f.ID, wb, nil)
		if dl.header.Get("X-Injected") != "" || strings.ContainsAny(dl.header.Get("Content-Disposition"), "\r\n/") {
			t.Errorf("file %q: headers %v", f.Name, dl.header)
		}
	}
}

var xssPayloads = []string{
	`<script>alert("xss1")</script>`,
	`"><img src=x onerror=alert(2)>`,
	`'><svg onload=alert(3)>`,
	`</textarea><script>alert(4)</script>`,
	`<a href="javascript:alert(5)">x</a>`,
	`{{.}}<iframe src=//evil.example>`,
}

// rawXSS finds a payload in the page unescaped.
func rawXSS(page string) []string {
	var found []string
	for _, p := range xssPayloads {
		if strings.Contains(page, p) {
			found = append(found, p)
		}
	}
	// The payloads' words (onerror=alert) may appear as text; a tag may not.
	for _, frag := range []string{"<script>alert", "<img src=x", "<svg onload", `href="javascript:`, "<iframe"} {
		if strings.Contains(page, frag) {
			found = append(found, frag)
		}
	}
	return found
}

// XSS payloads in every free-text questionnaire field, the file name, the
// messages and the journal appear on the staff case page and the
// whistleblower's status page only escaped.
func TestHostileXSSIsRenderedEscaped(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	all := strings.Join(xssPayloads, " ")
	answers := map[string]any{"what": all, "when": all, "where": all, "who": all, "how_known": "witnessed",
		"identity_name": all, "identity_contact": all}
	receipt := e.submitOK(answers, fileOf(`"><img src=x onerror=alert(2)>.txt`, "x"), fileOf(`<script>alert("xss1")</script>`, "y"))
	wb := e.wbLogin(receipt)
	// Sharing the identity puts the identity fields on the case page too.
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/identity-consent", wb, nil, http.StatusOK, nil)
	for _, p := range xssPayloads {
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": p}, http.StatusCreated, nil)
	}
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	for _, p := range xssPayloads {
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", staff, map[string]string{"text": p}, http.StatusCreated, nil)
	}
	e.addJournal(staff, id, all)

	var c caseResp
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
	if c.Answers["what"] != all || c.Identity["identity_name"] != all {
		t.Fatalf("payloads did not round-trip through the API: %+v", c.Answers)
	}

	hc := e.staffCookieLogin(e.handler)
	for _, path := range []string{"/cases/" + id + "?lang=en", "/?lang=en"} {
		page := e.page(e.staff.URL, path, hc, http.StatusOK)
		if found := rawXSS(page); len(found) > 0 {
			t.Errorf("staff page %s holds unescaped payloads: %q", path, found)
		}
	}
	page := e.page(e.staff.URL, "/cases/"+id+"?lang=en", hc, http.StatusOK)
	if !strings.Contains(page, "&lt;script&gt;alert(") {
		t.Error("the staff case page does not show the payload escaped (is the content rendered at all?)")
	}
	wc := e.wbCookieLogin(receipt)
	page = e.page(e.public.URL, "/status?lang=en", wc, http.StatusOK)
	if found := rawXSS(page); len(found) > 0 {
		t.Errorf("status page holds unescaped payloads: %q", found)
	}
	if !strings.Contains(page, "&lt;script&gt;alert(") {
		t.Error("the status page does not show the payload escaped (is the content rendered at all?)")
	}
}

// SQL metacharacters in every string field round-trip unchanged and
// break nothing.
func TestHostileSQLMetacharactersRoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		sqlish := `Robert'); DROP TABLE reports;-- " OR 1=1 -- ' OR '1'='1 %_\ $1 ?; /* */ ` + "`x`" + ` \x27 ; SELECT pg_sleep(5);`
		answers := map[string]any{"what": sqlish, "when": sqlish, "where": sqlish, "who": sqlish, "how_known": "witnessed",
			"identity_name": sqlish, "identity_contact": sqlish}
		fileName := `a'; DROP TABLE files;--.txt`
		receipt := e.submitOK(answers, fileOf(fileName, sqlish))
		wb := e.wbLogin(receipt)
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": sqlish}, http.StatusCreated, nil)
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/identity-consent", wb, nil, http.StatusOK, nil)
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", staff, map[string]string{"text": sqlish}, http.StatusCreated, nil)
		e.addJournal(staff, id, sqlish)

		var c caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
		for k, v := range answers {
			if c.Answers[k] != v && c.Identity[k] != v {
				t.Errorf("answer %s came back as %q", k, c.Answers[k])
			}
		}
		if len(c.Files) != 1 || c.Files[0].Name != fileName {
			t.Errorf("file name came back as %+v", c.Files)
		}
		if len(c.Messages) != 2 || c.Messages[0].Text != sqlish || c.Messages[1].Text != sqlish {
			t.Errorf("messages came back as %+v", c.Messages)
		}
		var j journalResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
		found := false
		for _, en := range j.Entries {
			found = found || en.Kind == "note" && en.Text == sqlish
		}
		if !found {
			t.Error("the journal note did not round-trip")
		}
		dl := e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/files/"+c.Files[0].ID, staff, nil)
		if string(dl.body) != sqlish {
			t.Errorf("file body came back as %q", dl.body)
		}

		// In credentials, ids and query parameters: refused cleanly.
		for _, r := range []string{`' OR '1'='1`, `AAAA' OR 1=1--`, sqlish} {
			res := e.call(e.public.URL, "POST", "/api/v1/wb/session", "", map[string]string{"receipt": r})
			if res.status != http.StatusUnauthorized && res.status != http.StatusTooManyRequests {
				t.Errorf("receipt %q: status %d", r, res.status)
			}
		}
		res := e.call(e.staff.URL, "POST", "/api/v1/staff/session", "", map[string]string{
			"email": `handler@example.org' OR '1'='1`, "password": `' OR '1'='1`, "totp": `1' OR '1'='1`})
		if res.status != http.StatusUnauthorized && res.status != http.StatusTooManyRequests {
			t.Errorf("staff login with SQL: status %d", res.status)
		}
		for _, p := range []string{
			"/api/v1/staff/cases/" + urlEscape(`x' OR '1'='1`),
			"/api/v1/staff/cases/" + id + "/files/" + urlEscape(`x' OR '1'='1`),
			"/api/v1/staff/cases?sort=" + urlEscape(`received_at; DROP TABLE reports`) + "&order=" + urlEscape(`asc'--`) + "&limit=1" + urlEscape(`'`),
			"/api/v1/staff/cases?sort=" + urlEscape(`(SELECT 1)`) + "&offset=" + urlEscape(`1 OR 1=1`),
		} {
			res := e.call(e.staff.URL, "GET", p, staff, nil)
			if res.status >= 500 {
				t.Errorf("GET %s: status %d: %s", p, res.status, res.body)
			}
		}
		// Everything still works.
		e.submitOK(minimalAnswers("after the attack"))
		var inbox struct{ Total int }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if inbox.Total != 2 {
			t.Errorf("inbox total %d after the attack, want 2", inbox.Total)
		}
	})
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// Many concurrent receipt logins with wrong receipts: every one gets 401
// or 429, and the server's goroutines return to their baseline (nothing
// is left waiting). No timing is asserted.
func TestHostileConcurrentReceiptLogins(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.submitOK(minimalAnswers("target"))
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	defer tr.CloseIdleConnections()
	login := func(receipt string) (int, error) {
		resp, err := client.Post(e.public.URL+"/api/v1/wb/session", "application/json",
			strings.NewReader(`{"receipt":"`+receipt+`"}`))
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if st, err := login("AAAA BBBB CCCC DDDD"); err != nil || st != http.StatusUnauthorized {
		t.Fatalf("warm-up login: %d %v", st, err)
	}
	tr.CloseIdleConnections()
	baseline := settledGoroutines(0)

	const n = 200
	var wg sync.WaitGroup
	statuses := make([]int, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], errs[i] = login(fmt.Sprintf("%04d %04d ZZZZ %04d", i, i*7%10000, i*13%10000))
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("login %d: %v", i, errs[i])
		}
		counts[statuses[i]]++
	}
	for st, c := range counts {
		if st != http.StatusUnauthorized && st != http.StatusTooManyRequests {
			t.Errorf("%d logins answered %d", c, st)
		}
	}
	t.Logf("answers: %v", counts)
	tr.CloseIdleConnections()
	if after := settledGoroutines(baseline); after > baseline+2 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines did not return to baseline: %d before, %d after\n%s", baseline, after, buf[:runtime.Stack(buf, true)])
	}
}

// settledGoroutines waits until the goroutine count stops falling (or
// reaches target) and returns it.
func settledGoroutines(target int) int {
	n := runtime.NumGoroutine()
	for range 100 {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if target > 0 && m <= target || target == 0 && m == n {
			return m
		}
		n = m
	}
	return n
}

// Slow-loris: a real check needs the real server with its timeouts. The
// server constructor of internal/app (newServer) is not exported, so this
// checks its source: every http.Server literal in internal/app sets
// ReadHeaderTimeout.
func TestHostileSlowLorisServerSetsReadHeaderTimeout(t *testing.T) {
	dir := filepath.Join("..", "app")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Skipf("internal/app not found (%v): cannot check the server timeouts", err)
	}
	fset := token.NewFileSet()
	servers := 0
	for _, en := range entries {
		if !strings.HasSuffix(en.Name(), ".go") || strings.HasSuffix(en.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, en.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			sel, ok := lit.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Server" {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "http" {
				return true
			}
			servers++
			set := false
			for _, el := range lit.Elts {
				if kv, ok := el.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "ReadHeaderTimeout" {
						if b, ok := kv.Value.(*ast.BasicLit); !ok || b.Value != "0" {
							set = true
						}
					}
				}
			}
			if !set {
				t.Errorf("%s: http.Server without ReadHeaderTimeout (slow-loris)", fset.Position(lit.Pos()))
			}
			return true
		})
	}
	if servers == 0 {
		t.Skip("no http.Server literal in internal/app: the constructor moved; check its timeouts another way")
	}
}
