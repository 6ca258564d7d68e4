package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

type transcriptJSON struct {
	ID    string
	DocID string `json:"document_id"`
	State string
	Text  string
}

func (e *apiEnv) transcriptsOf(tok, caseID string) []transcriptJSON {
	e.t.Helper()
	var out struct{ Transcripts []transcriptJSON }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+caseID+"/transcripts", tok, nil, http.StatusOK, &out)
	return out.Transcripts
}

// JR-3 without JavaScript: the handler writes minutes on the case page and
// sends them; the whistleblower reads them on the status page, corrects
// them and approves the corrected version, after which the document is
// fixed on both sides.
func TestHTMLTranscriptsWrittenSentCorrectedAndApproved(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.acceptDeclarationAll()
	tok := e.staffLogin(e.handler)
	oral := e.oralReport(tok, "told by phone", "phone", false)
	staff := e.staffCookieLogin(e.handler)
	casePath := "/cases/" + oral.CaseID

	page := e.page(e.staff.URL, casePath, staff, http.StatusOK)
	htmlWant(t, "case page", page, "Transcripts and minutes", "Write minutes or a transcript")
	e.postForm(e.staff.URL, casePath+"/transcripts", staff, url.Values{"text": {""}}, http.StatusUnprocessableEntity)
	e.postForm(e.staff.URL, casePath+"/transcripts", staff, url.Values{"text": {"Minutes: <b>the caller</b> said the stock was sold"}}, http.StatusSeeOther)
	ts := e.transcriptsOf(tok, oral.CaseID)
	if len(ts) != 1 || ts[0].State != "draft" {
		t.Fatalf("transcripts %+v", ts)
	}
	page = e.page(e.staff.URL, casePath, staff, http.StatusOK)
	htmlWant(t, "case page", page, "Draft, not yet sent", "&lt;b&gt;the caller&lt;/b&gt;", "Send to the whistleblower")

	// Drafts stay with the handlers.
	wb := e.wbCookieLogin(oral.Receipt)
	htmlWantNot(t, "status page before sending", e.page(e.public.URL, "/status", wb, http.StatusOK), "the stock was sold")
	e.postForm(e.staff.URL, casePath+"/transcripts/"+ts[0].ID+"/send", staff, url.Values{}, http.StatusSeeOther)

	status := e.page(e.public.URL, "/status", wb, http.StatusOK)
	htmlWant(t, "status page", status, "the stock was sold", "Correct the text", "I have read this version and it is correct")
	htmlWantNot(t, "status page", status, "<script")
	// Approving needs the tick; an empty correction is refused; neither
	// changes anything.
	e.postForm(e.public.URL, "/status/transcripts/"+ts[0].ID+"/approve", wb, url.Values{}, http.StatusUnprocessableEntity)
	e.postForm(e.public.URL, "/status/transcripts/"+ts[0].ID+"/correction", wb, url.Values{"text": {" "}}, http.StatusUnprocessableEntity)
	if got := e.transcriptsOf(tok, oral.CaseID); len(got) != 1 || got[0].State != "sent" {
		t.Fatalf("a refused step changed the transcript: %+v", got)
	}
	e.postForm(e.public.URL, "/status/transcripts/"+ts[0].ID+"/correction", wb,
		url.Values{"text": {"Minutes: the caller said the stock was sold in March"}}, http.StatusSeeOther)
	ts = e.transcriptsOf(tok, oral.CaseID)
	if len(ts) != 2 || ts[1].State != "corrected" {
		t.Fatalf("after the correction: %+v", ts)
	}
	// The old version can no longer be approved.
	e.postForm(e.public.URL, "/status/transcripts/"+ts[0].ID+"/approve", wb, url.Values{"confirm": {"yes"}}, http.StatusConflict)
	e.postForm(e.public.URL, "/status/transcripts/"+ts[1].ID+"/approve", wb, url.Values{"confirm": {"yes"}}, http.StatusSeeOther)
	status = e.page(e.public.URL, "/status", wb, http.StatusOK)
	htmlWant(t, "status page after approval", status, "Approved", "in March")
	htmlWantNot(t, "status page after approval", status, "Correct the text")

	page = e.page(e.staff.URL, casePath, staff, http.StatusOK)
	htmlWant(t, "case page after approval", page, "approval verified")
	htmlWantNot(t, "case page after approval", page, "Write a new version")
	e.postForm(e.staff.URL, casePath+"/transcripts", staff, url.Values{"text": {"late edit"}, "supersedes": {ts[1].ID}}, http.StatusConflict)
	// Another receipt cannot touch this transcript.
	e.postForm(e.public.URL, "/status/transcripts/nosuchtranscript/approve", wb, url.Values{"confirm": {"yes"}}, http.StatusNotFound)
}

// An admin edits custom statuses, closing reasons with templates and the
// deletion after export on the settings page; a handler cannot; the case
// page sets a custom status of the case's state.
func TestHTMLSettingsAndCustomStatus(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
	e.acceptDeclarationAll()
	e.submitOK(minimalAnswers("settings case"))
	tok := e.staffLogin(e.handler)
	id := e.oneCase(tok)
	staff := e.staffCookieLogin(e.handler)
	admin := e.staffCookieLogin(adminUser)

	e.page(e.staff.URL, "/settings", staff, http.StatusForbidden)
	e.postForm(e.staff.URL, "/settings/statuses", staff, url.Values{"id.0": {"x"}, "state.0": {"received"}, "label_en.0": {"X"}}, http.StatusForbidden)
	page := e.page(e.staff.URL, "/settings", admin, http.StatusOK)
	htmlWant(t, "settings", page, "Custom statuses", "Closing reasons and outcome messages", "Deletion after a confirmed export",
		"Din indberetning (sag {{case_number}})")
	htmlWant(t, "inbox", e.page(e.staff.URL, "/", admin, http.StatusOK), `href="/settings?lang=`)

	e.postForm(e.staff.URL, "/settings/statuses", admin, url.Values{"id.0": {"Bad Id"}, "state.0": {"received"}, "label_en.0": {"X"}},
		http.StatusUnprocessableEntity)
	e.postForm(e.staff.URL, "/settings/statuses", admin, url.Values{
		"id.0": {"awaiting-triage"}, "state.0": {"received"}, "label_en.0": {"Awaiting triage"}, "label_da.0": {"Afventer vurdering"},
		"id.1": {""}, "state.1": {"received"}}, http.StatusSeeOther)
	var st struct{ Statuses []struct{ ID, State string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/settings/statuses", tok, nil, http.StatusOK, &st)
	if len(st.Statuses) != 1 || st.Statuses[0].ID != "awaiting-triage" {
		t.Fatalf("statuses %+v", st.Statuses)
	}
	e.postForm(e.staff.URL, "/settings/outcomes", admin, url.Values{"id.0": {""}}, http.StatusUnprocessableEntity)
	e.postForm(e.staff.URL, "/settings/outcomes", admin, url.Values{"id.0": {"done"}, "label_en.0": {"Done"},
		"template_nb.0": {"Sak {{case_number}} er ferdig."}}, http.StatusSeeOther)
	e.postForm(e.staff.URL, "/settings/export-deletion", admin, url.Values{"channel": {"nosuchchannel"}}, http.StatusUnprocessableEntity)

	casePage := e.page(e.staff.URL, "/cases/"+id, staff, http.StatusOK)
	htmlWant(t, "case page", casePage, "Awaiting triage", "Set status")
	e.postForm(e.staff.URL, "/cases/"+id+"/custom-status", staff, url.Values{"status": {"nosuchstatus"}}, http.StatusUnprocessableEntity)
	e.postForm(e.staff.URL, "/cases/"+id+"/custom-status", staff, url.Values{"status": {"awaiting-triage"}}, http.StatusSeeOther)
	htmlWant(t, "case page", e.page(e.staff.URL, "/cases/"+id, staff, http.StatusOK), "Now: Awaiting triage")
	// Someone without the case gets 404.
	e.postForm(e.staff.URL, "/cases/"+id+"/custom-status", admin, url.Values{"status": {""}}, http.StatusNotFound)
	if strings.Contains(e.page(e.staff.URL, "/", staff, http.StatusOK), `href="/settings?lang=`) {
		t.Error("handlers are offered the settings")
	}
}
