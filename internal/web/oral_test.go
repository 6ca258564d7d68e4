package web

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// Oral reports, transcripts and recordings (issue 3; JR-2, JR-3).

type oralResp struct {
	Receipt          string
	CaseID           string `json:"case_id"`
	CaseNumber       int64  `json:"case_number"`
	ConsentRecording bool   `json:"consent_recording"`
}

type transcriptResp struct {
	ID         string
	DocID      string `json:"document_id"`
	Version    int64
	Supersedes string
	State      string
	Author     string
	Text       string
	Signed     bool
}

type oralJournalEntry struct {
	ID, Kind, Source, Action, Text string
	AuthorType                     string   `json:"author_type"`
	FileIDs                        []string `json:"file_ids"`
}

type oralJournal []oralJournalEntry

func (e *apiEnv) oralReport(tok, what, source string, consent bool) oralResp {
	e.t.Helper()
	var out oralResp
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", tok, map[string]any{"channel": org.DefaultChannel,
		"answers": minimalAnswers(what), "source": source, "consent_recording": consent}, http.StatusCreated, &out)
	if out.Receipt == "" || out.CaseID == "" || out.CaseNumber == 0 {
		e.t.Fatalf("oral report answer = %+v", out)
	}
	return out
}

func (e *apiEnv) uploadRecording(tok, caseID string) callResult {
	ctype, buf := multipartBody("", upload{Field: "file", Name: "call.ogg", Type: "audio/ogg", Body: strings.NewReader("OggS recording")})
	return e.rawCall(e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/recording", tok, ctype, buf.Bytes())
}

func (e *apiEnv) journalOf(tok, caseID string) oralJournal {
	e.t.Helper()
	var j struct{ Entries oralJournal }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+caseID+"/journal", tok, nil, http.StatusOK, &j)
	return j.Entries
}

// An oral report is a case like any other: the whistleblower logs in with
// the receipt the handler hands over, the handler reads it, and the
// journal records how it was made. A recording is refused without
// recorded consent and accepted with it (JR-2).
func TestOralReportAndRecordingConsent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		owner := e.staffLogin(e.handler)
		noConsent := e.oralReport(owner, "told at a meeting", "meeting", false)

		var c caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+noConsent.CaseID, owner, nil, http.StatusOK, &c)
		if c.Answers["what"] != "told at a meeting" || c.CaseNumber != noConsent.CaseNumber {
			t.Fatalf("oral case = %+v", c)
		}
		var mine caseResp
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", e.wbLogin(noConsent.Receipt), nil, http.StatusOK, &mine)
		if mine.Answers["what"] != "told at a meeting" {
			t.Fatalf("the receipt does not open the oral report: %+v", mine)
		}
		j := e.journalOf(owner, noConsent.CaseID)
		if !slices.ContainsFunc(j, func(x oralJournalEntry) bool {
			return x.Kind == "oral_report" && x.Source == "meeting" && x.Action == "recording_not_consented"
		}) {
			t.Fatalf("journal lacks the oral report entry: %+v", j)
		}

		// JR-2: no consent, no recording; nothing is stored.
		_, blobsBefore := e.countStored()
		res := e.uploadRecording(owner, noConsent.CaseID)
		if res.status != http.StatusUnprocessableEntity || !bytes.Contains(res.body, []byte(`"consent_required"`)) {
			t.Fatalf("recording without consent: %d %s", res.status, res.body)
		}
		if _, blobs := e.countStored(); blobs != blobsBefore {
			t.Fatalf("a refused recording left %d blobs", blobs-blobsBefore)
		}
		// A web submission records no consent either.
		e.submitOK(minimalAnswers("web report"))
		web := e.caseWith(owner, "web report")
		if res := e.uploadRecording(owner, web.ID); res.status != http.StatusUnprocessableEntity {
			t.Fatalf("recording on a web report: %d %s", res.status, res.body)
		}

		withConsent := e.oralReport(owner, "told by phone", "phone", true)
		res = e.uploadRecording(owner, withConsent.CaseID)
		if res.status != http.StatusCreated {
			t.Fatalf("recording with consent: %d %s", res.status, res.body)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+withConsent.CaseID, owner, nil, http.StatusOK, &c)
		if len(c.Files) != 1 || c.Files[0].Name != "call.ogg" || c.Files[0].Author != "staff" {
			t.Fatalf("files after the recording: %+v", c.Files)
		}
		j = e.journalOf(owner, withConsent.CaseID)
		var kinds []string
		for _, x := range j {
			kinds = append(kinds, x.Kind+"/"+x.Source)
			if x.Kind == "recording" && (len(x.FileIDs) != 1 || x.FileIDs[0] != c.Files[0].ID) {
				t.Fatalf("recording entry names %v", x.FileIDs)
			}
		}
		if !slices.Contains(kinds, "oral_report/phone_call") || !slices.Contains(kinds, "recording/phone_call") {
			t.Fatalf("journal kinds %v", kinds)
		}

		// A user who handles no channel may not record an oral report.
		outsider := e.staffLogin(e.addUser("outsider@example.org", "admin"))
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", outsider, map[string]any{"channel": org.DefaultChannel,
			"answers": minimalAnswers("x"), "source": "phone"}, http.StatusForbidden, nil)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/oral-reports", owner, map[string]any{"channel": org.DefaultChannel,
			"answers": minimalAnswers("x"), "source": "letter"}, http.StatusUnprocessableEntity, nil)
		if res := e.uploadRecording(outsider, withConsent.CaseID); res.status != http.StatusNotFound {
			t.Fatalf("recording by an outsider: %d", res.status)
		}
	})
}

// JR-3: draft → sent → corrected → approved; the approved version is
// fixed; the whistleblower works through the receipt; the text is sealed.
func TestTranscriptLifecycle(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		owner := e.staffLogin(e.handler)
		oral := e.oralReport(owner, "oral matter", "meeting", false)
		base := "/api/v1/staff/cases/" + oral.CaseID + "/transcripts"
		const draftText = "MINUTES-SECRET-DRAFT: the witness saw the invoices."
		const correctedText = "MINUTES-SECRET-CORRECTED: the witness saw two invoices."

		var v1 transcriptResp
		e.doJSON(e.staff.URL, "POST", base, owner, map[string]string{"text": draftText}, http.StatusCreated, &v1)
		if v1.State != "draft" || v1.Version != 1 || v1.Text != draftText {
			t.Fatalf("draft = %+v", v1)
		}
		wb := e.wbLogin(oral.Receipt)
		var list struct{ Transcripts []transcriptResp }
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/transcripts", wb, nil, http.StatusOK, &list)
		if len(list.Transcripts) != 0 {
			t.Fatalf("the whistleblower sees a draft: %+v", list)
		}
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/transcripts/"+v1.ID+"/approve", wb, nil, http.StatusNotFound, nil)

		e.clock.Advance(time.Minute)
		var sent transcriptResp
		e.doJSON(e.staff.URL, "POST", base+"/"+v1.ID+"/send", owner, nil, http.StatusOK, &sent)
		if sent.State != "sent" {
			t.Fatalf("sent = %+v", sent)
		}
		e.doJSON(e.staff.URL, "POST", base+"/"+v1.ID+"/send", owner, nil, http.StatusConflict, nil)
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/transcripts", wb, nil, http.StatusOK, &list)
		if len(list.Transcripts) != 1 || list.Transcripts[0].Text != draftText || list.Transcripts[0].State != "sent" {
			t.Fatalf("whistleblower transcripts = %+v", list)
		}
		// Another whistleblower cannot touch it.
		other := e.wbLogin(e.submitOK(minimalAnswers("another")))
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/transcripts/"+v1.ID+"/approve", other, nil, http.StatusNotFound, nil)

		e.clock.Advance(time.Minute)
		var v2 transcriptResp
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/transcripts/"+v1.ID+"/correction", wb, map[string]string{"text": correctedText},
			http.StatusCreated, &v2)
		if v2.State != "corrected" || v2.Version != 2 || v2.Supersedes != v1.ID || v2.DocID != v1.ID || v2.Author != "whistleblower" {
			t.Fatalf("corrected = %+v", v2)
		}
		// Only the latest version can be approved.
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/transcripts/"+v1.ID+"/approve", wb, nil, http.StatusConflict, nil)
		e.clock.Advance(time.Minute)
		var approved transcriptResp
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/transcripts/"+v2.ID+"/approve", wb, nil, http.StatusOK, &approved)
		if approved.State != "approved" || !approved.Signed || approved.Text != correctedText {
			t.Fatalf("approved = %+v", approved)
		}

		// Fixed: no correction, no new version, no step.
		for _, c := range []struct {
			base, method, path, tok string
			body                    any
		}{
			{e.public.URL, "POST", "/api/v1/wb/transcripts/" + v2.ID + "/correction", wb, map[string]string{"text": "changed"}},
			{e.public.URL, "POST", "/api/v1/wb/transcripts/" + v2.ID + "/approve", wb, nil},
			{e.staff.URL, "POST", base, owner, map[string]string{"text": "changed", "supersedes": v2.ID}},
			{e.staff.URL, "POST", base + "/" + v2.ID + "/send", owner, nil},
			{e.staff.URL, "POST", base + "/" + v1.ID + "/send", owner, nil},
		} {
			if res := e.call(c.base, c.method, c.path, c.tok, c.body); res.status != http.StatusConflict {
				t.Errorf("%s %s after approval: %d %s", c.method, c.path, res.status, res.body)
			}
		}
		var staffList struct{ Transcripts []transcriptResp }
		e.doJSON(e.staff.URL, "GET", base, owner, nil, http.StatusOK, &staffList)
		if len(staffList.Transcripts) != 2 || staffList.Transcripts[1].State != "approved" || !staffList.Transcripts[1].Signed ||
			staffList.Transcripts[1].Text != correctedText {
			t.Fatalf("staff transcripts = %+v", staffList)
		}

		// Every step is in the journal, the handlers' steps in the audit log.
		var steps []string
		for _, x := range e.journalOf(owner, oral.CaseID) {
			if x.Kind == "transcript" {
				steps = append(steps, x.Action+"/"+x.AuthorType)
			}
		}
		want := []string{"created/staff", "sent/staff", "corrected/whistleblower", "approved/whistleblower"}
		if !slices.Equal(steps, want) {
			t.Fatalf("journal transcript steps %v, want %v", steps, want)
		}
		entries, err := e.db.AuditEntries(context.Background(), "default", 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for _, a := range entries {
			if a.ObjectID == oral.CaseID {
				details = append(details, a.ActorType+":"+a.Detail)
			}
		}
		for _, w := range []string{"staff:oral_report.meeting", "staff:transcript.create", "staff:transcript.send",
			"system:transcript.correct", "system:transcript.approve"} {
			if !slices.Contains(details, w) {
				t.Errorf("audit log lacks %s: %v", w, details)
			}
		}

		// The text is sealed: no stored byte holds it.
		dump := dumpRows(t, e.db)
		for _, s := range []string{"MINUTES-SECRET-DRAFT", "MINUTES-SECRET-CORRECTED", "the witness saw"} {
			if bytes.Contains(dump, []byte(s)) {
				t.Errorf("the database holds transcript text %q", s)
			}
		}
	})
}
