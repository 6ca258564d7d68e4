package web

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// postFormPage posts a form with the session's CSRF token and returns
// the answer, failing on another status.
func (e *apiEnv) postFormPage(base, path string, c *http.Cookie, form url.Values, want int) (string, http.Header) {
	e.t.Helper()
	form.Set("csrf", csrfToken(c.Value))
	form.Set("lang", "en")
	req, _ := http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(c)
	return e.sendPage(req, want)
}

func (e *apiEnv) sendPage(req *http.Request, want int) (string, http.Header) {
	e.t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %.400s", req.Method, req.URL.Path, resp.StatusCode, want, b)
	}
	return string(b), resp.Header
}

// postRecording posts the case page's recording form: the CSRF field
// first (unless csrf is false), then the files.
func (e *apiEnv) postRecording(c *http.Cookie, caseID string, csrf bool, files map[string]string, want int) string {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf {
		mw.WriteField("csrf", csrfToken(c.Value))
	}
	mw.WriteField("lang", "en")
	for name, content := range files {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.staff.URL+"/cases/"+caseID+"/recording", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(c)
	body, _ := e.sendPage(req, want)
	return body
}

// oralForm is a complete oral report form of the default channel.
func oralForm(what string) url.Values {
	return url.Values{"channel": {org.DefaultChannel}, "q_what": {what}, "q_when": {"last spring"},
		"q_how_known": {"witnessed"}, "source": {"phone"}, "held_on": {"2026-02-27"}, "wb_lang": {"da"},
		"consent_recording": {"no"}, "handover": {"read_aloud"}}
}

type oralEntryDated struct {
	Kind, Source, Action string
	LearnedOn            string `json:"learned_on"`
}

var receiptOnPage = regexp.MustCompile(`id="receipt"[^>]*>([0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4} [0-9A-Z]{4})<`)

// JR-2 and Directive art. 9(2) without JavaScript: a handler records a
// phone report on the staff site; a form with wrong or missing answers is
// refused with the errors at their fields and creates nothing; the
// receipt is shown once with instructions and logs the whistleblower in;
// the journal records the day of the call and that no recording was
// consented to.
func TestRC2HTMLOralReportRecordsACaseAndShowsTheReceiptOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.acceptDeclarationAll()
		tok := e.staffLogin(e.handler)
		staff := e.staffCookieLogin(e.handler)

		htmlWant(t, "inbox", e.page(e.staff.URL, "/", staff, http.StatusOK), `href="/oral-reports/new?lang=`)
		form := e.page(e.staff.URL, "/oral-reports/new", staff, http.StatusOK)
		htmlWant(t, "oral report form", form, `name="q_what"`, `name="consent_recording"`, `name="held_on"`, `name="wb_lang"`,
			"Read it aloud on the phone", "Consent to a recording")
		htmlWantNot(t, "oral report form", form, "<script")

		reports, blobs := e.countStored()
		bad := oralForm("<b>stock</b> sold by the CFO")
		bad.Del("consent_recording")
		bad.Set("source", "letter")
		bad.Set("held_on", "2026-03-09") // after today (2 March)
		bad.Set("q_what", "")
		page, _ := e.postFormPage(e.staff.URL, "/oral-reports", staff, bad, http.StatusUnprocessableEntity)
		htmlWant(t, "refused form", page, "Ask the whistleblower about a recording and record the answer",
			"Choose whether the report was made by phone or in a meeting", "cannot be in the future", `value="last spring"`,
			`href="#consent-yes"`)
		if r, b := e.countStored(); r != reports || b != blobs {
			t.Fatalf("a refused oral report stored something: reports %d→%d, blobs %d→%d", reports, r, blobs, b)
		}
		other := oralForm("x")
		other.Set("channel", "nosuchchannel")
		e.postFormPage(e.staff.URL, "/oral-reports", staff, other, http.StatusForbidden)

		page, h := e.postFormPage(e.staff.URL, "/oral-reports", staff, oralForm("<b>stock</b> sold by the CFO"), http.StatusCreated)
		if h.Get("Cache-Control") != "no-store" {
			t.Fatalf("receipt page Cache-Control = %q", h.Get("Cache-Control"))
		}
		m := receiptOnPage.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no receipt on the page: %.600s", page)
		}
		htmlWant(t, "receipt page", page, "shown only once", "one group of four at a time", "read it back", "in their language (Dansk)")
		htmlWantNot(t, "receipt page", page, "<script")
		if r, _ := e.countStored(); r != reports+1 {
			t.Fatalf("reports %d, want %d", r, reports+1)
		}

		oral := e.caseWith(tok, "<b>stock</b> sold by the CFO")
		var mine caseResp
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", e.wbLogin(m[1]), nil, http.StatusOK, &mine)
		if mine.Answers["what"] != "<b>stock</b> sold by the CFO" {
			t.Fatalf("the receipt does not open the oral report: %+v", mine)
		}
		var j struct{ Entries []oralEntryDated }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+oral.ID+"/journal", tok, nil, http.StatusOK, &j)
		if !slices.ContainsFunc(j.Entries, func(x oralEntryDated) bool {
			return x.Kind == "oral_report" && x.Source == "phone_call" && x.Action == "recording_not_consented" && x.LearnedOn == "2026-02-27"
		}) {
			t.Fatalf("journal lacks the oral report of 27 February: %+v", j.Entries)
		}
		casePage := e.page(e.staff.URL, "/cases/"+oral.ID, staff, http.StatusOK)
		htmlWant(t, "case page", casePage, "Oral report and recording", "Phone call", "did not consent to a recording",
			"Report made by phone call on 2026-02-27", "No consent to a recording.",
			"&lt;b&gt;stock&lt;/b&gt;")
		htmlWantNot(t, "case page without consent", casePage, `action="/cases/`+oral.ID+`/recording`)
	})
}

// JR-2: a recording is refused on a case without recorded consent, before
// a byte of it is stored; with consent it is attached from the case page,
// encrypted, and named in the journal; an empty upload or a post without
// the CSRF field changes nothing.
func TestJR2HTMLRecordingNeedsRecordedConsent(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.acceptDeclarationAll()
	tok := e.staffLogin(e.handler)
	staff := e.staffCookieLogin(e.handler)

	e.postFormPage(e.staff.URL, "/oral-reports", staff, oralForm("no consent given"), http.StatusCreated)
	yes := oralForm("consent given")
	yes.Set("consent_recording", "yes")
	yes.Set("source", "meeting")
	yes.Set("handover", "paper")
	page, _ := e.postFormPage(e.staff.URL, "/oral-reports", staff, yes, http.StatusCreated)
	htmlWant(t, "receipt page for paper", page, "blank piece of paper", "keep no copy")
	without, with := e.caseWith(tok, "no consent given"), e.caseWith(tok, "consent given")

	_, blobs := e.countStored()
	refused := e.postRecording(staff, without.ID, true, map[string]string{"call.ogg": "OggS secret recording"}, http.StatusUnprocessableEntity)
	htmlWant(t, "refused recording", refused, "only when the whistleblower&#39;s consent to it was recorded")
	if _, b := e.countStored(); b != blobs {
		t.Fatalf("a refused recording stored %d blobs", b-blobs)
	}

	htmlWant(t, "case page with consent", e.page(e.staff.URL, "/cases/"+with.ID, staff, http.StatusOK),
		`action="/cases/`+with.ID+`/recording?lang=en"`, `enctype="multipart/form-data"`, "Meeting")
	e.postRecording(staff, with.ID, false, map[string]string{"call.ogg": "OggS"}, http.StatusForbidden)
	e.postRecording(staff, with.ID, true, nil, http.StatusUnprocessableEntity)
	if _, b := e.countStored(); b != blobs {
		t.Fatalf("a refused upload stored %d blobs", b-blobs)
	}
	e.postRecording(staff, with.ID, true, map[string]string{"meeting.ogg": "OggS secret recording"}, http.StatusSeeOther)
	if _, b := e.countStored(); b != blobs+1 {
		t.Fatalf("blobs %d, want %d", b, blobs+1)
	}
	e.assertNotInStore("OggS secret recording")
	j := e.journalOf(tok, with.ID)
	if !slices.ContainsFunc(j, func(x oralJournalEntry) bool { return x.Kind == "recording" && len(x.FileIDs) == 1 }) {
		t.Fatalf("journal lacks the recording: %+v", j)
	}
	htmlWant(t, "case page after upload", e.page(e.staff.URL, "/cases/"+with.ID, staff, http.StatusOK), "meeting.ogg",
		"Recording attached (files: 1).")
}

// Only handlers of a channel record oral reports: the DPO and an admin
// who handles no channel are refused and see no link in the inbox.
func TestRC2HTMLOralReportOnlyForChannelHandlers(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	e.acceptDeclarationAll()
	for _, u := range []staffUser{dpo, admin} {
		c := e.staffCookieLogin(u)
		htmlWantNot(t, "inbox of "+u.Email, e.page(e.staff.URL, "/", c, http.StatusOK), "/oral-reports/new")
		e.page(e.staff.URL, "/oral-reports/new", c, http.StatusForbidden)
		e.postFormPage(e.staff.URL, "/oral-reports", c, oralForm("not theirs"), http.StatusForbidden)
	}
	staff := e.staffCookieLogin(e.handler)
	e.page(e.staff.URL, "/oral-reports/new?channel=nosuchchannel", staff, http.StatusNotFound)
	if r, _ := e.countStored(); r != 0 {
		t.Fatalf("%d reports stored", r)
	}
}

// assertNotInStore checks that plain text is in no file of the blob store.
func (e *apiEnv) assertNotInStore(plain string) {
	e.t.Helper()
	filepath.WalkDir(e.blobDir, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(plain)) {
			e.t.Fatalf("plain text %q in the blob store", plain)
		}
		return nil
	})
}

// The API takes the day of the call or meeting too: it becomes the
// journal's learned_on; a day after today, or not a date, is refused and
// creates nothing.
func TestJR1OralReportJournalsTheDayOfTheCall(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.acceptDeclarationAll()
	tok := e.staffLogin(e.handler)
	body := func(heldOn string) map[string]any {
		return map[string]any{"channel": org.DefaultChannel, "answers": minimalAnswers("by phone on Friday"),
			"source": "phone", "held_on": heldOn}
	}
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", tok, body("2026-03-04"), http.StatusUnprocessableEntity, nil)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", tok, body("27/02/2026"), http.StatusBadRequest, nil)
	if r, _ := e.countStored(); r != 0 {
		t.Fatalf("a refused oral report stored %d reports", r)
	}
	var out oralResp
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", tok, body("2026-02-27"), http.StatusCreated, &out)
	var j struct{ Entries []oralEntryDated }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+out.CaseID+"/journal", tok, nil, http.StatusOK, &j)
	if !slices.ContainsFunc(j.Entries, func(x oralEntryDated) bool { return x.Kind == "oral_report" && x.LearnedOn == "2026-02-27" }) {
		t.Fatalf("journal %+v", j.Entries)
	}
}

// Recording an oral report is handling a case: a handler who has not
// accepted the confidentiality declaration in force is sent to it first,
// and a post creates nothing.
func TestRC2HTMLOralReportNeedsTheConfidentialityDeclaration(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/declarations", e.staffLogin(admin),
		map[string]string{"text": "A new version of our text."}, http.StatusCreated, nil)
	staff := e.staffCookieLogin(e.handler)
	_, h := e.sendPage(func() *http.Request {
		req := mustRequest("GET", e.staff.URL+"/oral-reports/new")
		req.AddCookie(staff)
		return req
	}(), http.StatusSeeOther)
	if !strings.HasPrefix(h.Get("Location"), "/declaration?next=") {
		t.Fatalf("redirected to %q", h.Get("Location"))
	}
	e.postFormPage(e.staff.URL, "/oral-reports", staff, oralForm("before accepting"), http.StatusSeeOther)
	if r, _ := e.countStored(); r != 0 {
		t.Fatalf("%d reports stored", r)
	}
}

// A handler of several channels chooses the channel first, with a plain
// GET form; the chosen channel's questions follow and the case is made
// on it. A channel the handler does not handle is refused.
func TestRC2HTMLOralReportAsksForTheChannelFirst(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	ctx := context.Background()
	q := questionnaire.Default()
	if err := e.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.InsertChannel(ctx, store.Channel{TenantID: org.DefaultTenant, ID: "hr", Name: `{"en":"HR line <i>x</i>"}`,
			Description: `{"en":""}`, QuestionnaireID: q.ID, QuestionnaireVersion: q.Version, CreatedAt: e.clock.Now(),
			AckDays: org.DefaultAckDays, FeedbackMonths: org.DefaultFeedbackMonths})
	}); err != nil {
		t.Fatal(err)
	}
	both := e.addUser("both@example.org", accounts.RoleHandler, org.DefaultChannel, "hr")
	e.acceptDeclarationAll()
	staff := e.staffCookieLogin(both)

	choice := e.page(e.staff.URL, "/oral-reports/new", staff, http.StatusOK)
	htmlWant(t, "channel choice", choice, `<form method="get" action="/oral-reports/new">`, `value="hr"`, "HR line &lt;i&gt;x&lt;/i&gt;",
		"Report a concern")
	htmlWantNot(t, "channel choice", choice, `name="q_what"`)
	form := e.page(e.staff.URL, "/oral-reports/new?channel=hr&lang=en", staff, http.StatusOK)
	htmlWant(t, "form of the HR line", form, `name="channel" value="hr"`, `name="q_what"`, "Choose another channel")

	f := oralForm("told the HR line")
	f.Set("channel", "hr")
	e.postFormPage(e.staff.URL, "/oral-reports", staff, f, http.StatusCreated)
	r, err := e.db.Report(ctx, org.DefaultTenant, e.caseWith(e.staffLogin(both), "told the HR line").ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.ChannelID != "hr" {
		t.Fatalf("case made on channel %q", r.ChannelID)
	}
	// The handler of the default channel only does not handle the HR line.
	only := e.staffCookieLogin(e.handler)
	e.page(e.staff.URL, "/oral-reports/new?channel=hr", only, http.StatusNotFound)
	e.postFormPage(e.staff.URL, "/oral-reports", only, f, http.StatusForbidden)
}
