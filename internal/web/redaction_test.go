package web

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DA-2 through the staff API: an anonymised copy prepared by one handler,
// approved by another, released, downloaded and disclosed; the original
// file never leaves through a note; findings and values are never stored
// in clear.

type redactionJSON struct {
	ID       string
	State    string
	Version  int64
	Findings []struct {
		ID, Type, Value string
		Redact          bool
	}
	Values []struct{ ID, Text string }
	Output *struct {
		Name string
		Size int64
	}
	GateChecks []string `json:"gate_checks"`
	CanDecide  bool     `json:"can_decide"`
}

// pdfToText extracts a PDF's text the way a recipient's reader does
// (pdftotext from poppler-utils); ok is false without the tool.
func pdfToText(t *testing.T, pdf []byte) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed: the PDF's text is not checked")
		return "", false
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), true
}

func apiErrorCode(t *testing.T, res callResult) string {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(res.body, &e); err != nil {
		t.Fatalf("no error body: %s", res.body)
	}
	return e.Error.Code
}

func TestDA2RedactedCopyIsApprovedByASecondHandlerDisclosedAndNeverStoredInClear(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		reviewerUser := e.addUser("reviewer@example.org", accounts.RoleHandler, org.DefaultChannel)
		var secrets []string
		add := func(kind string) string { m := marker(kind); secrets = append(secrets, m); return m }
		email := add("email") + "@example.org"
		manual := add("manual")
		fileName := add("fname") + ".txt"
		body := "Kontakt " + email + " eller spør etter " + manual + " i resepsjonen.\nResten av teksten står igjen.\n"
		e.submitOK(minimalAnswers("redaction case"), fileOf(fileName, body))

		owner := e.staffLogin(e.handler)
		reviewer := e.staffLogin(reviewerUser)
		c := e.caseWith(owner, "redaction case")
		base := "/api/v1/staff/cases/" + c.ID + "/redactions"

		var x redactionJSON
		e.doJSON(e.staff.URL, "POST", base, owner, map[string]string{"file_id": c.Files[0].ID, "lang": "nb"}, http.StatusCreated, &x)
		found := false
		for _, f := range x.Findings {
			if f.Type == "EMAIL" && f.Value == email && f.Redact {
				found = true
			}
		}
		if !found || x.State != "draft" {
			t.Fatalf("draft: %+v", x)
		}
		// Bad input: a clear error, nothing changed.
		for _, bad := range []map[string]any{{"add_values": []string{""}}, {"redact": []string{"nosuchfinding"}}, {},
			{"add_areas": []map[string]any{{"page": 1, "x": 0, "y": 0, "w": 50, "h": 50}}}} {
			if res := e.call(e.staff.URL, "PATCH", base+"/"+x.ID, owner, bad); res.status != http.StatusUnprocessableEntity {
				t.Errorf("PATCH %v: %d %s", bad, res.status, res.body)
			}
		}
		if res := e.call(e.staff.URL, "PATCH", base+"/"+x.ID, owner, map[string]any{"version": 99, "add_values": []string{manual}}); res.status != http.StatusConflict {
			t.Errorf("stale version: %d %s", res.status, res.body)
		}
		e.doJSON(e.staff.URL, "PATCH", base+"/"+x.ID, owner, map[string]any{"version": x.Version, "add_values": []string{manual}}, http.StatusOK, &x)
		e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/submit", owner, nil, http.StatusOK, &x)
		if res := e.call(e.staff.URL, "POST", base+"/"+x.ID+"/approve", owner, nil); res.status != http.StatusForbidden ||
			apiErrorCode(t, res) != "four_eyes_required" {
			t.Fatalf("the preparer approving: %d %s", res.status, res.body)
		}
		if res := e.call(e.staff.URL, "GET", base+"/"+x.ID+"/download", reviewer, nil); res.status != http.StatusConflict {
			t.Errorf("download before approval: %d %s", res.status, res.body)
		}
		e.doJSON(e.staff.URL, "GET", base+"/"+x.ID, reviewer, nil, http.StatusOK, &x)
		if !x.CanDecide {
			t.Error("the reviewer may not decide")
		}
		e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/approve", reviewer, nil, http.StatusOK, &x)
		e.doJSON(e.staff.URL, "POST", base+"/"+x.ID+"/release", owner, nil, http.StatusOK, &x)
		if x.State != "released" || x.Output == nil {
			t.Fatalf("released: %+v", x)
		}
		res := e.call(e.staff.URL, "GET", base+"/"+x.ID+"/download", reviewer, nil)
		if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/octet-stream" ||
			!strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("download: %d %v", res.status, res.header)
		}
		for _, leak := range []string{email, manual} {
			if bytes.Contains(res.body, []byte(leak)) {
				t.Errorf("the released copy holds %q", leak)
			}
		}
		if !bytes.Contains(res.body, []byte("Resten av teksten står igjen.")) {
			t.Errorf("copy: %s", res.body)
		}

		// Disclosure notes take released copies, never originals.
		dbase := "/api/v1/staff/cases/" + c.ID + "/disclosures"
		note := func(extra map[string]any) map[string]any {
			m := map[string]any{"recipient": "Arbeidstilsynet", "legal_basis": "aml. § 2 A-3"}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		if res := e.call(e.staff.URL, "POST", dbase, owner, note(map[string]any{"files": []string{c.Files[0].ID}})); res.status != http.StatusUnprocessableEntity ||
			apiErrorCode(t, res) != "original_file" {
			t.Errorf("an original file in a note: %d %s", res.status, res.body)
		}
		var draft redactionJSON
		e.doJSON(e.staff.URL, "POST", base, owner, map[string]string{"file_id": c.Files[0].ID}, http.StatusCreated, &draft)
		if res := e.call(e.staff.URL, "POST", dbase, owner, note(map[string]any{"redactions": []string{draft.ID}})); res.status != http.StatusUnprocessableEntity ||
			apiErrorCode(t, res) != "not_released" {
			t.Errorf("an unreleased copy in a note: %d %s", res.status, res.body)
		}
		var n struct {
			ID         string
			Redactions []struct{ ID, Name string }
		}
		e.doJSON(e.staff.URL, "POST", dbase, owner, note(map[string]any{"redactions": []string{x.ID}}), http.StatusCreated, &n)
		if len(n.Redactions) != 1 || n.Redactions[0].ID != x.ID || n.Redactions[0].Name != x.Output.Name {
			t.Fatalf("note: %+v", n)
		}
		if pdf, ok := pdfToText(t, e.getOK(dbase+"/"+n.ID+"/pdf", owner)); ok &&
			(!strings.Contains(pdf, "Anonymised copies") || !strings.Contains(pdf, x.Output.Name)) {
			t.Errorf("the note's PDF does not list the copy: %s", pdf)
		}

		// The journal tells the steps, by id only.
		var j struct {
			Entries []struct {
				Kind, Action string
				RedactionID  string `json:"redaction_id"`
			}
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID+"/journal", owner, nil, http.StatusOK, &j)
		var steps []string
		for _, en := range j.Entries {
			if en.Kind == "redaction" && en.RedactionID == x.ID {
				steps = append(steps, en.Action)
			}
		}
		if strings.Join(steps, ",") != "draft,edit,submit,approve,release,download" {
			t.Errorf("journal steps %v", steps)
		}

		// At rest: no finding, value or name of a copy in the database,
		// the blob store or the logs.
		stored := map[string][]byte{}
		for _, p := range storetest.SQLiteFiles(e.db) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			stored[p] = b
		}
		if d == store.Postgres {
			stored["postgres rows"] = dumpRows(t, e.db)
		}
		filepath.WalkDir(e.blobDir, func(p string, de fs.DirEntry, err error) error {
			if err == nil && !de.IsDir() {
				b, _ := os.ReadFile(p)
				stored[p] = b
			}
			return nil
		})
		stored["logs"] = e.logs.Bytes()
		for place, b := range stored {
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q", place, s)
				}
			}
		}
	})
}
