package web

import (
	"archive/zip"
	"bytes"
	"compress/zlib"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// Matrix helpers for the disclosure routes (matrix_test.go).

func (f *matrixFixture) disclosureBody() map[string]any {
	return map[string]any{"recipient": "Datatilsynet", "legal_basis": "DK § 26", "answers": []string{"what"}}
}

func (f *matrixFixture) newDisclosure() string {
	var d struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/disclosures", f.ownerTok, f.disclosureBody(), http.StatusCreated, &d)
	return d.ID
}

// disclosureParams makes a fresh draft for every call, so finalising as
// the owner always finds a draft.
func disclosureParams(f *matrixFixture, _ bool) map[string]string {
	return map[string]string{"id": f.caseA, "did": f.newDisclosure()}
}

type disclosureJSON struct {
	ID, State, Recipient, Date, Text string
	LegalBasis                       string `json:"legal_basis"`
	Answers                          []struct {
		QuestionID string `json:"question_id"`
		Label      string
		Value      string
	}
	Messages []struct{ ID, Text string }
	Files    []struct{ ID, Name string }
	Identity []struct {
		QuestionID string `json:"question_id"`
		Value      string
	}
	IdentitySelected []string `json:"identity_selected"`
	IdentityWithheld bool     `json:"identity_withheld"`
	IdentityBasis    string   `json:"identity_basis"`
	NoticeMessageID  string   `json:"notice_message_id"`
	FinalisedAt      *string  `json:"finalised_at"`
}

var pdfStream = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// pdfText returns the uncompressed content of a PDF: every stream
// inflated where it is compressed, the raw bytes besides, and the text as
// pdftotext extracts it (the embedded Unicode fonts encode text as glyph
// ids, so only an extraction shows it; the test is skipped without
// poppler-utils).
func pdfText(t *testing.T, pdf []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("not a PDF: %.20q", pdf)
	}
	out := append([]byte(nil), pdf...)
	for _, m := range pdfStream.FindAllSubmatch(pdf, -1) {
		zr, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue // not compressed
		}
		b, err := io.ReadAll(zr)
		if err != nil && len(b) == 0 {
			t.Fatalf("inflate a PDF stream: %v", err)
		}
		out = append(out, b...)
	}
	tool, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Skip("pdftotext (poppler-utils) not installed")
	}
	path := filepath.Join(t.TempDir(), "text.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	text, err := exec.Command(tool, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return append(append(out, '\n'), bytes.Join(bytes.Fields(text), []byte(" "))...)
}

// cp1252 was the encoding of PDF text in the core fonts; the PDFs now
// embed Unicode fonts and pdfText extracts UTF-8, so s is searched as is.
func cp1252(s string) []byte { return []byte(s) }

func (e *apiEnv) getOK(path, token string) []byte {
	e.t.Helper()
	status, body := e.get(e.staff.URL, path, token)
	if status != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}

// DA-1: a disclosure note holds only what the handler selected, never the
// rest of the report; it is sealed, journaled by ids only and audited; its
// PDF carries recipient, basis, date, the selected answers, messages,
// file names and the free text. A handler without access gets 404.
func TestDisclosureNoteHoldsOnlyTheSelection(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		const (
			whatMark     = "WHATMARK-d1 procurement"
			whereMark    = "WHEREMARK-unselected"
			selMsg       = "SELMSG-d1 the invoices are in the cellar"
			otherMsg     = "OTHERMSG-unselected"
			freeText     = "FREETEXTMARK-91 please treat as urgent, Ærø"
			recipient    = "Datatilsynet RECIPIENTMARK"
			basis        = "Whistleblower act § 26(2) BASISMARK"
			identityName = "IDENTITYMARK Ingrid"
		)
		answers := identityAnswers(whatMark, identityName)
		answers["where"] = whereMark
		e.submitOK(answers, fileOf("selected.txt", "selected body"), fileOf("unselected-file.txt", "other body"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		base := "/api/v1/staff/cases/" + id
		e.doJSON(e.staff.URL, "POST", base+"/messages", staff, map[string]string{"text": selMsg}, http.StatusCreated, nil)
		e.doJSON(e.staff.URL, "POST", base+"/messages", staff, map[string]string{"text": otherMsg}, http.StatusCreated, nil)
		var c struct {
			Files []struct {
				ID, Name string
			}
			Messages []struct{ ID, Text string }
		}
		e.doJSON(e.staff.URL, "GET", base, staff, nil, http.StatusOK, &c)
		var selFile, selMsgID string
		for _, f := range c.Files {
			if f.Name == "selected.txt" {
				selFile = f.ID
			}
		}
		for _, m := range c.Messages {
			if m.Text == selMsg {
				selMsgID = m.ID
			}
		}
		if selFile == "" || selMsgID == "" {
			t.Fatalf("case: %+v", c)
		}

		good := map[string]any{"recipient": recipient, "legal_basis": basis, "date": "2026-03-01",
			"answers": []string{"what", "how_known"}, "messages": []string{selMsgID}, "text": freeText}
		with := func(k string, v any) map[string]any {
			m := map[string]any{}
			for kk, vv := range good {
				m[kk] = vv
			}
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
			return m
		}
		// Invalid selections are refused.
		for _, bad := range []map[string]any{
			with("recipient", nil), with("legal_basis", " "), with("date", "1 March"),
			with("answers", []string{"nosuchquestion"}), with("answers", []string{"identity_name"}),
			with("messages", []string{"nosuchmessage"}), with("files", []string{"nosuchfile"}),
			// DA-2: an original file never leaves through a note, only a
			// released anonymised copy (redaction_test.go).
			with("files", []string{selFile}), with("redactions", []string{"nosuchcopy"}),
			{"recipient": recipient, "legal_basis": basis},
		} {
			e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, bad, http.StatusUnprocessableEntity, nil)
		}
		// The identity cannot be selected by a handler who cannot read it.
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, with("identity", []string{"identity_name"}), http.StatusForbidden, nil)

		var n disclosureJSON
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, good, http.StatusCreated, &n)
		if n.State != "draft" || n.Recipient != recipient || n.LegalBasis != basis || n.Date != "2026-03-01" || n.Text != freeText {
			t.Fatalf("note = %+v", n)
		}
		if len(n.Answers) != 2 || n.Answers[0].QuestionID != "what" || n.Answers[0].Value != whatMark ||
			n.Answers[0].Label != "What happened?" || n.Answers[1].Value != "I saw or experienced it myself" {
			t.Fatalf("answers = %+v", n.Answers)
		}
		if len(n.Messages) != 1 || n.Messages[0].Text != selMsg || len(n.Files) != 0 {
			t.Fatalf("messages %+v files %+v", n.Messages, n.Files)
		}
		if len(n.Identity) != 0 || len(n.IdentitySelected) != 0 {
			t.Fatalf("identity in a note that did not select it: %+v", n)
		}
		raw := e.getOK(base+"/disclosures/"+n.ID, staff)
		var list struct{ Disclosures []disclosureJSON }
		e.doJSON(e.staff.URL, "GET", base+"/disclosures", staff, nil, http.StatusOK, &list)
		if len(list.Disclosures) != 1 || list.Disclosures[0].ID != n.ID {
			t.Fatalf("list = %+v", list)
		}
		for _, body := range [][]byte{raw, mustJSONBytes(list)} {
			for _, unwanted := range []string{whereMark, otherMsg, "unselected-file.txt", identityName} {
				if bytes.Contains(body, []byte(unwanted)) {
					t.Fatalf("the note holds %q, which was not selected: %s", unwanted, body)
				}
			}
		}

		// The PDF: recipient, basis, date, answers, message, file name and
		// text; nothing else.
		pdf := pdfText(t, e.getOK(base+"/disclosures/"+n.ID+"/pdf", staff))
		for _, want := range []string{"RECIPIENTMARK", "BASISMARK", "2026-03-01", "WHATMARK-d1", "What happened?",
			"I saw or experienced it myself", "SELMSG-d1", "FREETEXTMARK-91", "DRAFT"} {
			if !bytes.Contains(pdf, []byte(want)) {
				t.Errorf("the PDF lacks %q", want)
			}
		}
		if !bytes.Contains(pdf, cp1252("Ærø")) || !bytes.Contains(pdf, cp1252("§ 26")) {
			t.Error("the PDF lacks Danish letters in cp1252")
		}
		for _, unwanted := range []string{"WHEREMARK", "OTHERMSG", "unselected-file", "selected.txt", "IDENTITYMARK"} {
			if bytes.Contains(pdf, []byte(unwanted)) {
				t.Errorf("the PDF holds %q, which was not selected", unwanted)
			}
		}

		// Finalise; twice is refused.
		var fin disclosureJSON
		e.doJSON(e.staff.URL, "POST", base+"/disclosures/"+n.ID+"/finalise", staff, map[string]any{}, http.StatusOK, &fin)
		if fin.State != "final" || fin.FinalisedAt == nil {
			t.Fatalf("finalised = %+v", fin)
		}
		e.doJSON(e.staff.URL, "POST", base+"/disclosures/"+n.ID+"/finalise", staff, map[string]any{}, http.StatusConflict, nil)
		if pdf := pdfText(t, e.getOK(base+"/disclosures/"+n.ID+"/pdf", staff)); bytes.Contains(pdf, []byte("DRAFT")) {
			t.Error("a final note's PDF says draft")
		}

		// The journal shows the disclosure by ids, without content.
		var j struct{ Entries []map[string]any }
		e.doJSON(e.staff.URL, "GET", base+"/journal", staff, nil, http.StatusOK, &j)
		var actions []string
		for _, en := range j.Entries {
			if en["kind"] != "disclosure" {
				continue
			}
			actions = append(actions, en["action"].(string))
			b := mustJSON(en)
			if en["disclosure_id"] != n.ID || en["recipient"] != recipient || en["basis"] != basis || en["date"] != "2026-03-01" {
				t.Fatalf("journal entry %s", b)
			}
			for _, unwanted := range []string{"WHATMARK", "SELMSG", "FREETEXTMARK", "selected.txt"} {
				if strings.Contains(b, unwanted) {
					t.Fatalf("the journal entry holds content %q: %s", unwanted, b)
				}
			}
			if en["action"] == "draft" && (!strings.Contains(b, `"question_ids":["what","how_known"]`) ||
				!strings.Contains(b, selMsgID) || strings.Contains(b, selFile)) {
				t.Fatalf("the journal entry does not name the selection: %s", b)
			}
		}
		if strings.Join(actions, ",") != "draft,finalise" {
			t.Fatalf("disclosure journal actions %v", actions)
		}
		for _, detail := range []string{"draft", "pdf", "final"} {
			if !e.auditHas(audit.ActionCaseDisclose, id, detail) {
				t.Errorf("no audit entry case.disclose %s", detail)
			}
		}

		// A handler without access: 404 everywhere.
		other := e.staffLogin(e.addUser("other@example.org", accounts.RoleHandler))
		for _, p := range []string{base + "/disclosures", base + "/disclosures/" + n.ID, base + "/disclosures/" + n.ID + "/pdf", base + "/export"} {
			if status, body := e.get(e.staff.URL, p, other); status != http.StatusNotFound || bytes.Contains(body, []byte("MARK")) {
				t.Fatalf("GET %s without access: %d %s", p, status, body)
			}
		}
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", other, good, http.StatusNotFound, nil)
		e.doJSON(e.staff.URL, "POST", base+"/disclosures/"+n.ID+"/finalise", other, map[string]any{}, http.StatusNotFound, nil)

		// Nothing typed into the note is stored in clear.
		stored := e.storedBytes()
		for _, m := range []string{"FREETEXTMARK", "RECIPIENTMARK", "BASISMARK", "WHATMARK", "SELMSG"} {
			if bytes.Contains(stored, []byte(m)) {
				t.Errorf("%s is stored in clear", m)
			}
		}
	})
}

func mustJSONBytes(v any) []byte { return []byte(mustJSON(v)) }

// CA-3: the identity leaves a case only in a final note, finalised with
// consent or a legal basis plus a written notice that reaches the
// whistleblower first; only a handler who can read the identity selects it.
func TestDisclosureOfTheIdentityNeedsBasisAndNotice(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		custodian := e.addCustodian("custodian@example.org", accounts.RoleAdmin)
		const name, notice = "IDENTITYMARK Sigrun", "NOTICEMARK-5 we must give your name to the police"
		receipt := e.submitOK(identityAnswers("identity case", name))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		base := "/api/v1/staff/cases/" + id
		body := map[string]any{"recipient": "Politiet", "legal_basis": "Retsplejeloven § 804", "answers": []string{"what"},
			"identity": []string{"identity_name"}}
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, body, http.StatusForbidden, nil)

		// A custodian approves the handler's request for the identity.
		var req identityRequestJSON
		e.doJSON(e.staff.URL, "POST", base+"/identity-requests", staff, map[string]string{"reason": "police request"}, http.StatusCreated, &req)
		custTok := e.staffLogin(custodian)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/identity-requests/"+req.ID+"/approve", custTok, nil, http.StatusNoContent, nil)
		staff = e.staffLogin(e.handler)

		// An identity question may not hide in "identity" unless it is one.
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, map[string]any{"recipient": "Politiet", "legal_basis": "x",
			"identity": []string{"what"}}, http.StatusUnprocessableEntity, nil)
		var n disclosureJSON
		e.doJSON(e.staff.URL, "POST", base+"/disclosures", staff, body, http.StatusCreated, &n)
		if len(n.IdentitySelected) != 1 || n.IdentitySelected[0] != "identity_name" {
			t.Fatalf("note = %+v", n)
		}
		var opened disclosureJSON
		e.doJSON(e.staff.URL, "GET", base+"/disclosures/"+n.ID, staff, nil, http.StatusOK, &opened)
		if len(opened.Identity) != 1 || opened.Identity[0].Value != name {
			t.Fatalf("the handler holding the identity key does not see it: %+v", opened)
		}
		// Until final, the PDF withholds the identity.
		if pdf := pdfText(t, e.getOK(base+"/disclosures/"+n.ID+"/pdf", staff)); bytes.Contains(pdf, []byte("IDENTITYMARK")) {
			t.Fatal("a draft's PDF holds the identity")
		}

		path := base + "/disclosures/" + n.ID + "/finalise"
		for _, bad := range []map[string]any{
			{}, {"notice": notice}, {"identity_basis": "legal_basis"}, {"identity_basis": "legal_basis", "notice": " "},
			{"identity_basis": "curiosity", "notice": notice},
		} {
			var out struct{ Error struct{ Code string } }
			e.doJSON(e.staff.URL, "POST", path, staff, bad, http.StatusUnprocessableEntity, &out)
			if out.Error.Code != "identity_basis_required" {
				t.Fatalf("%v: code %q", bad, out.Error.Code)
			}
		}
		// No notice was sent by the refused attempts.
		wb := e.wbLogin(receipt)
		var r struct{ Messages []struct{ Text string } }
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &r)
		if len(r.Messages) != 0 {
			t.Fatalf("messages before finalising: %+v", r.Messages)
		}
		// A colleague with access but without the identity key cannot finalise it.
		colleague := e.addUser("colleague@example.org", accounts.RoleHandler)
		e.doJSON(e.staff.URL, "POST", base+"/access", staff, map[string]string{"user": e.userID(colleague)}, http.StatusNoContent, nil)
		colTok := e.staffLogin(colleague)
		e.doJSON(e.staff.URL, "POST", path, colTok, map[string]any{"identity_basis": "consent", "notice": notice}, http.StatusForbidden, nil)
		var colView disclosureJSON
		e.doJSON(e.staff.URL, "GET", base+"/disclosures/"+n.ID, colTok, nil, http.StatusOK, &colView)
		if len(colView.Identity) != 0 || !colView.IdentityWithheld {
			t.Fatalf("a colleague without the identity key sees it: %+v", colView)
		}

		staff = e.staffLogin(e.handler)
		var fin disclosureJSON
		e.doJSON(e.staff.URL, "POST", path, staff, map[string]any{"identity_basis": "legal_basis", "notice": notice}, http.StatusOK, &fin)
		if fin.State != "final" || fin.IdentityBasis != "legal_basis" || fin.NoticeMessageID == "" {
			t.Fatalf("finalised = %+v", fin)
		}
		wb = e.wbLogin(receipt)
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &r)
		if len(r.Messages) != 1 || r.Messages[0].Text != notice {
			t.Fatalf("the whistleblower did not get the notice: %+v", r.Messages)
		}
		pdf := pdfText(t, e.getOK(base+"/disclosures/"+n.ID+"/pdf", staff))
		if !bytes.Contains(pdf, []byte("IDENTITYMARK")) {
			t.Fatal("the final PDF lacks the identity that was selected")
		}
		// Not for the colleague, who cannot read the identity.
		colTok = e.staffLogin(colleague)
		if pdf := pdfText(t, e.getOK(base+"/disclosures/"+n.ID+"/pdf", colTok)); bytes.Contains(pdf, []byte("IDENTITYMARK")) {
			t.Fatal("the PDF shows the identity to a reader without the identity key")
		}
		var j struct{ Entries []map[string]any }
		e.doJSON(e.staff.URL, "GET", base+"/journal", staff, nil, http.StatusOK, &j)
		found := false
		for _, en := range j.Entries {
			if en["kind"] == "disclosure" && en["action"] == "finalise" {
				found = true
				if en["identity_basis"] != "legal_basis" || en["message_id"] != fin.NoticeMessageID || strings.Contains(mustJSON(en), "IDENTITYMARK") {
					t.Fatalf("finalise entry %v", en)
				}
			}
		}
		if !found {
			t.Fatal("no finalise entry in the journal")
		}
		if bytes.Contains(e.storedBytes(), []byte("IDENTITYMARK")) || bytes.Contains(e.storedBytes(), []byte("NOTICEMARK")) {
			t.Fatal("identity or notice stored in clear")
		}
	})
}

// RT-3: the export is a zip of case.pdf and the original files, byte for
// byte, with safe unique names; persons appear by pseudonym only; the
// export is journaled and audited.
func TestCaseExportZip(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		const personName = "PERSONMARK Quirinus"
		bodyA := "first file æøå\n"
		bodyB := strings.Repeat("second file, same name\n", 5000)
		bodyC := "a name with a path and a colon"
		e.submitOK(identityAnswers("EXPORTMARK what happened", "IDENTITYMARK Hanne"),
			fileOf("report.txt", bodyA), fileOf("Report.txt", bodyB), fileOf(`..\dir\evil:na*me.txt`, bodyC))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		base := "/api/v1/staff/cases/" + id
		e.doJSON(e.staff.URL, "POST", base+"/persons", staff, map[string]any{"role": "reported_person", "name": personName}, http.StatusCreated, nil)
		e.addJournal(staff, id, "JOURNALMARK talked to accounting")
		e.doJSON(e.staff.URL, "POST", base+"/messages", staff, map[string]string{"text": "MSGMARK thank you"}, http.StatusCreated, nil)

		req, _ := http.NewRequest("GET", e.staff.URL+base+"/export", nil)
		req.Header.Set("Authorization", "Bearer "+staff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", resp.StatusCode, resp.Header)
		}
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]byte{}
		var order []string
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			got[f.Name] = b
			order = append(order, f.Name)
		}
		want := map[string]string{"files/report.txt": bodyA, "files/Report (2).txt": bodyB, "files/evil_na_me.txt": bodyC}
		if len(got) != 4 || order[0] != "case.pdf" {
			t.Fatalf("zip entries %v", order)
		}
		for n, b := range want {
			if !bytes.Equal(got[n], []byte(b)) {
				t.Errorf("%s: not the original bytes (%d bytes, want %d); entries %v", n, len(got[n]), len(b), order)
			}
		}
		pdf := pdfText(t, got["case.pdf"])
		for _, w := range []string{"EXPORTMARK", "JOURNALMARK", "MSGMARK", "Person A", "reported person", "files/Report (2).txt", "State", "received", "Feedback due"} {
			if !bytes.Contains(pdf, []byte(w)) {
				t.Errorf("case.pdf lacks %q", w)
			}
		}
		for _, unwanted := range []string{"PERSONMARK", "IDENTITYMARK"} {
			if bytes.Contains(pdf, []byte(unwanted)) {
				t.Errorf("case.pdf holds %q", unwanted)
			}
		}
		var j struct{ Entries []map[string]any }
		e.doJSON(e.staff.URL, "GET", base+"/journal", staff, nil, http.StatusOK, &j)
		exports := 0
		for _, en := range j.Entries {
			if en["kind"] == "export" {
				exports++
				if en["action"] != "zip" || len(en["file_ids"].([]any)) != 3 {
					t.Fatalf("export entry %v", en)
				}
			}
		}
		if exports != 1 {
			t.Fatalf("%d export entries", exports)
		}
		if !e.auditHas(audit.ActionCaseExport, id, "zip") {
			t.Fatal("the export is not audited")
		}
		other := e.staffLogin(e.addUser("other@example.org", accounts.RoleHandler))
		if status, body := e.get(e.staff.URL, base+"/export", other); status != http.StatusNotFound {
			t.Fatalf("export without access: %d %.100s", status, body)
		}
	})
}
