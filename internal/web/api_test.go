package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

func forEachDialect(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) { fn(t, d) })
	}
}

type caseResp struct {
	ID         string
	CaseNumber int64 `json:"case_number"`
	Status     string
	Answers    map[string]any
	Identity   map[string]any
	Files      []struct {
		ID, Name, Author string
		Size             int64
	}
	Messages []struct{ Author, Text string }
}

// CW-8: two-way anonymous messaging, RC-3: receipt shown once, only a hash stored.
func TestAPIWhistleblowerAndHandlerCompleteARoundTrip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)

		var chans struct {
			Channels []struct {
				ID            string
				Questionnaire struct{ Questions []struct{ ID string } }
			}
		}
		e.doJSON(e.public.URL, "GET", "/api/v1/channels", "", nil, http.StatusOK, &chans)
		if len(chans.Channels) != 1 || len(chans.Channels[0].Questionnaire.Questions) == 0 {
			t.Fatalf("channels = %+v", chans)
		}

		answers := minimalAnswers("The director approved fake invoices.")
		answers["identity_name"] = "Kari Nordmann"
		receipt := e.submitOK(answers, fileOf("invoice.txt", "invoice 42"), fileOf("notes.txt", "more notes"))
		if !regexp.MustCompile(`^[0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4}$`).MatchString(receipt) {
			t.Fatalf("receipt %q is not four groups of four", receipt)
		}

		wb := e.wbLogin(strings.ToLower(strings.ReplaceAll(receipt, " ", "-")))
		var mine caseResp
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &mine)
		if mine.Answers["what"] != "The director approved fake invoices." || len(mine.Files) != 2 || mine.Status != "received" {
			t.Fatalf("whistleblower view = %+v", mine)
		}
		if mine.Identity["identity_name"] != "Kari Nordmann" {
			t.Fatalf("whistleblower must see own identity answers: %+v", mine.Identity)
		}

		staff := e.staffLogin(e.handler)
		var inbox struct {
			Cases []struct {
				ID     string
				Unread bool
			}
			Total int
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if inbox.Total != 1 || !inbox.Cases[0].Unread {
			t.Fatalf("inbox = %+v", inbox)
		}
		id := inbox.Cases[0].ID
		var c caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
		if c.Answers["what"] != "The director approved fake invoices." || len(c.Files) != 2 {
			t.Fatalf("case = %+v", c)
		}
		status, body := e.get(e.staff.URL, "/api/v1/staff/cases/"+id+"/files/"+c.Files[0].ID, staff)
		if status != http.StatusOK || string(body) != "invoice 42" {
			t.Fatalf("file download: %d %q", status, body)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if inbox.Cases[0].Unread {
			t.Fatal("an opened case must no longer be unread")
		}

		e.clock.Advance(time.Minute)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", staff, map[string]string{"text": "Thank you. Who else knows?"}, http.StatusCreated, nil)
		e.clock.Advance(time.Minute)
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": "Only the accountant."}, http.StatusCreated, nil)
		ctype, buf := multipartBody("", upload{Field: "file", Name: "later.txt", Type: "text/plain", Body: strings.NewReader("added later")})
		req, _ := http.NewRequest("POST", e.public.URL+"/api/v1/wb/files", buf)
		req.Header.Set("Content-Type", ctype)
		req.Header.Set("Authorization", "Bearer "+wb)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("add file: %v %v", resp.Status, err)
		}
		resp.Body.Close()

		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &mine)
		if len(mine.Messages) != 2 || mine.Messages[0].Author != "staff" || mine.Messages[0].Text != "Thank you. Who else knows?" || len(mine.Files) != 3 {
			t.Fatalf("whistleblower view after replies = %+v", mine)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if !inbox.Cases[0].Unread {
			t.Fatal("the whistleblower's reply must mark the case unread")
		}

		e.doJSON(e.public.URL, "DELETE", "/api/v1/wb/session", wb, nil, http.StatusNoContent, nil)
		if status, _ := e.get(e.public.URL, "/api/v1/wb/report", wb); status != http.StatusUnauthorized {
			t.Fatalf("after logout the token still works: %d", status)
		}
		e.doJSON(e.staff.URL, "DELETE", "/api/v1/staff/session", staff, nil, http.StatusNoContent, nil)
		if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases", staff); status != http.StatusUnauthorized {
			t.Fatalf("after logout the staff token still works: %d", status)
		}
	})
}

// countStored counts what a failed request might have left behind.
func (e *apiEnv) countStored() (reports, blobs int) {
	e.t.Helper()
	ctx := context.Background()
	if n, err := e.db.CountReports(ctx, "default"); err != nil {
		e.t.Fatal(err)
	} else {
		reports = n
	}
	e.blobs.Walk(ctx, func(string, time.Time) error { blobs++; return nil })
	return reports, blobs + countTemp(e.t, e.blobDir)
}

func TestAPIBadInputGetsAClearErrorAndStoresNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d, withMaxFileSize(1024))
		good := reportJSONFor("general", minimalAnswers("x"))
		big := upload{Field: "file", Name: "big.bin", Type: "application/octet-stream", Body: strings.NewReader(strings.Repeat("A", 5000))}
		small := func() upload { return fileOf("ok.txt", "fine") }
		cases := []struct {
			name     string
			ctype    string
			body     func() (string, io.Reader)
			status   int
			code     string
			question string
		}{
			{name: "malformed report JSON", body: func() (string, io.Reader) { return mp(`{"channel":`, small()) }, status: 400, code: "malformed_json"},
			{name: "missing report part", body: func() (string, io.Reader) { return mp("", small()) }, status: 400, code: "missing_report"},
			{name: "answers not an object", body: func() (string, io.Reader) { return mp(`{"channel":"general","answers":[1]}`, small()) }, status: 400, code: "malformed_answers"},
			{name: "unknown channel", body: func() (string, io.Reader) { return mp(reportJSONFor("nope", minimalAnswers("x")), small()) }, status: 422, code: "unknown_channel"},
			{name: "missing required answer", body: func() (string, io.Reader) {
				return mp(reportJSONFor("general", map[string]any{"when": "now", "how_known": "told"}), small())
			}, status: 422, code: "invalid_answers", question: "what"},
			{name: "unknown question", body: func() (string, io.Reader) {
				a := minimalAnswers("x")
				a["favourite_colour"] = "blue"
				return mp(reportJSONFor("general", a), small())
			}, status: 422, code: "invalid_answers", question: "favourite_colour"},
			{name: "oversized file after a good one", body: func() (string, io.Reader) { return mp(good, small(), big) }, status: 413, code: "too_large"},
			{name: "wrong content type", body: func() (string, io.Reader) { return "application/json", strings.NewReader(good) }, status: 415, code: "unsupported_media_type"},
			{name: "truncated multipart", body: func() (string, io.Reader) {
				ct, r := mp(good, small())
				b, _ := io.ReadAll(r)
				return ct, strings.NewReader(string(b[:len(b)-20]))
			}, status: 400, code: "malformed_multipart"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ct, body := tc.body()
				resp, err := http.Post(e.public.URL+"/api/v1/reports", ct, body)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var out apiError
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
					t.Fatalf("error body is not JSON: %v", err)
				}
				if resp.StatusCode != tc.status || out.Error.Code != tc.code || out.Error.Message == "" {
					t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, out, tc.status, tc.code)
				}
				if tc.question != "" && (len(out.Error.Fields) == 0 || out.Error.Fields[0].Question != tc.question) {
					t.Fatalf("fields = %+v, want %s", out.Error.Fields, tc.question)
				}
				if reports, blobs := e.countStored(); reports != 0 || blobs != 0 {
					t.Fatalf("a rejected submission left %d reports and %d blobs", reports, blobs)
				}
			})
		}
	})
}

func mp(reportJSON string, files ...upload) (string, io.Reader) {
	ct, buf := multipartBody(reportJSON, files...)
	return ct, buf
}

func TestStaffRoutesDoNotExistOnThePublicListener(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	for _, rt := range e.srv.staffRoutes {
		if rt.Path == "/api/v1/openapi.json" || rt.Path == "/static/{name}" || rt.Path == "/login" || rt.Path == "/logout" || rt.Path == "/{$}" {
			continue // these paths exist on both listeners with their own meaning
		}
		path := strings.NewReplacer("{id}", "x", "{file}", "y").Replace(rt.Path)
		req, _ := http.NewRequest(rt.Method, e.public.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s %s on the public listener answered %d", rt.Method, path, resp.StatusCode)
		}
	}
}

func TestEveryResponseCarriesTheSecurityHeaders(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	for _, target := range []string{e.public.URL + "/", e.public.URL + "/api/v1/channels", e.public.URL + "/nope",
		e.staff.URL + "/login", e.staff.URL + "/api/v1/staff/cases"} {
		resp, err := http.Get(target)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", target, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") {
			t.Errorf("%s: CSP allows inline code or another origin: %q", target, csp)
		}
		for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
			"Cache-Control": "no-store", "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Resource-Policy": "same-origin"} {
			if h.Get(name) != want {
				t.Errorf("%s: %s = %q, want %q", target, name, h.Get(name), want)
			}
		}
		if h.Get("Permissions-Policy") == "" || h.Get("Set-Cookie") != "" {
			t.Errorf("%s: Permissions-Policy %q, Set-Cookie %q", target, h.Get("Permissions-Policy"), h.Get("Set-Cookie"))
		}
	}
}

func TestWrongReceiptIsRefusedAndGuessingIsThrottled(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.submitOK(minimalAnswers("x"))
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/session", "", map[string]string{"receipt": "0000 0000 0000 0000"}, http.StatusUnauthorized, nil)
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/session", "", map[string]string{"receipt": "not a receipt"}, http.StatusUnauthorized, nil)
	throttled := false
	for range 150 {
		req, _ := http.NewRequest("POST", e.public.URL+"/api/v1/wb/session", strings.NewReader(`{"receipt":"0000 0000 0000 0001"}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("150 wrong receipts in a row were never throttled")
	}
}

// CA-1: need-to-know, deny by default. A handler of another channel holds
// no key and gets 404 for the case, its files and messages.
func TestHandlerWithoutAKeyCannotSeeOrTouchTheCase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.submitOK(minimalAnswers("secret matter"), fileOf("a.txt", "aaa"))
		owner := e.staffLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", owner, nil, http.StatusOK, &inbox)
		id := inbox.Cases[0].ID
		var c caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, owner, nil, http.StatusOK, &c)

		outsider := e.addUser("outsider@example.org", accounts.RoleAdmin) // in no channel
		tok := e.staffLogin(outsider)
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", tok, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 0 {
			t.Fatalf("outsider inbox = %+v", inbox)
		}
		for _, p := range []string{"/api/v1/staff/cases/" + id, "/api/v1/staff/cases/" + id + "/files/" + c.Files[0].ID,
			"/api/v1/staff/cases/unknown"} {
			if status, body := e.get(e.staff.URL, p, tok); status != http.StatusNotFound || strings.Contains(string(body), "secret") {
				t.Errorf("GET %s as outsider: %d %s", p, status, body)
			}
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", tok, map[string]string{"text": "hi"}, http.StatusNotFound, nil)
		// Another report's file id through one's own receipt is not found either.
		wb := e.wbLogin(e.submitOK(minimalAnswers("other")))
		if status, _ := e.get(e.public.URL, "/api/v1/wb/files/"+c.Files[0].ID, wb); status != http.StatusNotFound {
			t.Errorf("a receipt opened another report's file: %d", status)
		}
	})
}

func TestStaffLoginRefusesWrongPasswordCodeAndReplay(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	u := e.handler
	e.clock.Advance(time.Minute)
	code := func() string { return fmtCode(u.TOTP, e) }
	try := func(email, pw, totpCode string, want int) {
		t.Helper()
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/session", "", map[string]string{"email": email, "password": pw, "totp": totpCode}, want, nil)
	}
	try(u.Email, "wrong password!!", code(), http.StatusUnauthorized)
	try(u.Email, u.Password, "000000", http.StatusUnauthorized)
	try("nobody@example.org", u.Password, code(), http.StatusUnauthorized)
	try(u.Email, u.Password, code(), http.StatusOK)
	try(u.Email, u.Password, code(), http.StatusUnauthorized) // the same code twice
}

func TestOpenAPIDocumentsMatchRoutes(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	for name, tc := range map[string]struct {
		base   string
		routes []route
	}{"public": {e.public.URL, e.srv.publicRoutes}, "staff": {e.staff.URL, e.srv.staffRoutes}} {
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		e.doJSON(tc.base, "GET", "/api/v1/openapi.json", "", nil, http.StatusOK, &doc)
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Fatalf("%s: openapi version %q", name, doc.OpenAPI)
		}
		documented := map[string]bool{}
		for path, ops := range doc.Paths {
			for method := range ops {
				if method == "parameters" {
					continue
				}
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
		served := map[string]bool{}
		for _, rt := range tc.routes {
			if rt.API {
				served[rt.Method+" "+rt.Path] = true
			}
		}
		for k := range served {
			if !documented[k] {
				t.Errorf("%s: route %s is not in the OpenAPI document", name, k)
			}
		}
		for k := range documented {
			if !served[k] {
				t.Errorf("%s: the OpenAPI document lists %s, which is not served", name, k)
			}
		}
	}
}

func TestSessionsEndWhenIdle(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	wb := e.wbLogin(e.submitOK(minimalAnswers("x")))
	staff := e.staffLogin(e.handler)
	e.clock.Advance(20 * time.Minute)
	if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases", staff); status != http.StatusOK {
		t.Fatalf("staff session ended while in use: %d", status)
	}
	if status, _ := e.get(e.public.URL, "/api/v1/wb/report", wb); status != http.StatusOK {
		t.Fatalf("whistleblower session ended while in use: %d", status)
	}
	e.clock.Advance(31 * time.Minute)
	if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases", staff); status != http.StatusUnauthorized {
		t.Fatalf("idle staff session still valid: %d", status)
	}
	if status, _ := e.get(e.public.URL, "/api/v1/wb/report", wb); status != http.StatusUnauthorized {
		t.Fatalf("idle whistleblower session still valid: %d", status)
	}
}

func TestConcurrentSubmissionsAllSucceed(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		const n = 16
		errs := make(chan string, n)
		for i := range n {
			go func() {
				status, body := e.submit(minimalAnswers(fmt.Sprintf("report %d", i)), fileOf("f.txt", "x"))
				if status != http.StatusCreated {
					errs <- fmt.Sprintf("%d %s", status, body)
					return
				}
				errs <- ""
			}()
		}
		for range n {
			if msg := <-errs; msg != "" {
				t.Error(msg)
			}
		}
		if got, _ := e.db.CountReports(context.Background(), "default"); got != n {
			t.Fatalf("%d reports stored, want %d", got, n)
		}
	})
}
