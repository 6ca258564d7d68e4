package web

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// exportZip downloads a case export and returns the zip, its export id
// and the SHA-256 trailer.
func (e *apiEnv) exportZip(tok, id string) (body []byte, exportID, trailer string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.staff.URL+"/api/v1/staff/cases/"+id+"/export", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("export: %d %v", resp.StatusCode, err)
	}
	return body, resp.Header.Get(headerExportID), resp.Trailer.Get(trailerExportSHA256)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// RT-3: a channel set to delete after a confirmed export deletes a closed
// case once the handler confirms the export's SHA-256, by the retention
// job's crypto-shredding path; everything else is refused with a 4xx
// that changes nothing.
func TestRT3DeleteAfterConfirmedExport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
		e.acceptDeclarationAll()
		marker := "EXPORTDELETEMARKER-" + string(d)
		e.submitOK(minimalAnswers(marker), fileOf("evidence.txt", marker+" file"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		row, err := e.db.Report(t.Context(), org.DefaultTenant, id)
		if err != nil {
			t.Fatal(err)
		}
		sealedAnswers := row.Answers
		confirm := func(eid, sum string, want int) {
			t.Helper()
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/exports/"+eid+"/confirm-deletion", staff,
				map[string]string{"sha256": sum}, want, nil)
		}

		// Off by default: refused even with the right digest.
		zipBytes, eid, trailer := e.exportZip(staff, id)
		if eid == "" || trailer != sha256Hex(zipBytes) {
			t.Fatalf("export id %q, trailer %q, want the zip's digest %s", eid, trailer, sha256Hex(zipBytes))
		}
		zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
		if err != nil || !strings.Contains(zr.Comment, eid) {
			t.Fatalf("zip comment %q does not name export %s (%v)", zr.Comment, eid, err)
		}
		confirm(eid, trailer, http.StatusConflict)

		// Only admins turn it on; unknown channels are refused.
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/export-deletion", staff,
			map[string]any{"channels": []string{org.DefaultChannel}}, http.StatusForbidden, nil)
		admin := e.staffLogin(adminUser)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/export-deletion", admin,
			map[string]any{"channels": []string{"nosuchchannel"}}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/export-deletion", admin,
			map[string]any{"channels": []string{org.DefaultChannel}}, http.StatusOK, nil)

		// An open case is not deleted.
		confirm(eid, trailer, http.StatusConflict)
		e.closeCase(staff, id)
		// The export predates the closing: stale.
		confirm(eid, trailer, http.StatusConflict)

		zipBytes, eid, trailer = e.exportZip(staff, id)
		sum := sha256Hex(zipBytes)
		// A wrong or malformed digest, an unknown export: refused.
		confirm(eid, strings.Repeat("0", 64), http.StatusUnprocessableEntity)
		confirm(eid, "not a digest", http.StatusUnprocessableEntity)
		confirm("nosuchexport", sum, http.StatusNotFound)
		// A legal hold stops it until released.
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/hold", staff, map[string]string{"reason": "litigation"},
			http.StatusNoContent, nil)
		confirm(eid, sum, http.StatusConflict)
		e.doJSON(e.staff.URL, "DELETE", "/api/v1/staff/cases/"+id+"/hold", staff, nil, http.StatusNoContent, nil)
		// The hold and its release changed the case after the export.
		confirm(eid, sum, http.StatusConflict)
		if !e.caseExists(id) {
			t.Fatal("a refused confirmation deleted the case")
		}

		zipBytes, eid, _ = e.exportZip(staff, id)
		var list struct {
			Exports []struct {
				ID       string
				Complete bool
				Current  bool
			}
			DeleteAfter bool `json:"delete_after_confirmed_export"`
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/exports", staff, nil, http.StatusOK, &list)
		if !list.DeleteAfter || len(list.Exports) != 3 || list.Exports[0].ID != eid || !list.Exports[0].Current ||
			!list.Exports[0].Complete || list.Exports[1].Current {
			t.Fatalf("exports: %+v", list)
		}
		blobsBefore := e.blobCount()
		var out struct {
			Deleted    bool
			CaseNumber int64  `json:"case_number"`
			Record     string `json:"deletion_record"`
		}
		// A sha256sum line, in capitals, is accepted.
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/exports/"+eid+"/confirm-deletion", staff,
			map[string]string{"sha256": strings.ToUpper(sha256Hex(zipBytes)) + "  case-1.zip"}, http.StatusOK, &out)
		if !out.Deleted || out.CaseNumber != 1 || out.Record == "" {
			t.Fatalf("answer %+v", out)
		}

		// Gone as the retention job deletes: keys, rows, blobs, content.
		if e.caseExists(id) || e.keysOf(id) != 0 {
			t.Fatal("the case or its keys remain")
		}
		if got := e.blobCount(); got != blobsBefore-1 {
			t.Fatalf("blobs: %d, want %d", got, blobsBefore-1)
		}
		stored := e.storedBytes()
		if bytes.Contains(stored, sealedAnswers) || bytes.Contains(stored, []byte(marker)) {
			t.Fatal("the deleted case's ciphertext or a marker is still stored")
		}
		e.db.EachStoredValue(t.Context(), func(table string, v []byte) {
			if table != "audit_log" && table != "deletion_records" && string(v) == id {
				t.Errorf("table %s still names the deleted case", table)
			}
		})
		if !e.auditHas(audit.ActionCaseDelete, id, "export") {
			t.Fatal("no audit entry case.delete export")
		}
		var recs struct{ Deletions []retention.Deletion }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/retention/deletions", admin, nil, http.StatusOK, &recs)
		if len(recs.Deletions) != 1 || recs.Deletions[0].Basis != "export" || recs.Deletions[0].ExportID != eid ||
			recs.Deletions[0].ExportSHA256 != sha256Hex(zipBytes) || recs.Deletions[0].CaseNumber != 1 || recs.Deletions[0].DeletedBy == "" {
			t.Fatalf("deletion records: %+v", recs.Deletions)
		}
		// Confirming again finds nothing.
		confirm(eid, sha256Hex(zipBytes), http.StatusNotFound)
	})
}

// The case page offers the confirmation only for a closed case of a
// channel that deletes after export; a wrong digest is shown at the field
// and deletes nothing; the right one deletes the case.
func TestHTMLDeleteAfterConfirmedExport(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
	e.acceptDeclarationAll()
	e.submitOK(minimalAnswers("html export"))
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	admin := e.staffCookieLogin(adminUser)
	e.postForm(e.staff.URL, "/settings/export-deletion", admin, url.Values{"channel": {org.DefaultChannel}}, http.StatusSeeOther)

	c := e.staffCookieLogin(e.handler)
	page := e.page(e.staff.URL, "/cases/"+id, c, http.StatusOK)
	if !strings.Contains(page, "only once it is closed") || strings.Contains(page, `name="sha256"`) {
		t.Fatal("an open case offers the confirmation")
	}
	e.closeCase(staff, id)
	zipBytes, eid, _ := e.exportZip(staff, id)
	page = e.page(e.staff.URL, "/cases/"+id, c, http.StatusOK)
	if !strings.Contains(page, `name="sha256"`) || !strings.Contains(page, eid) {
		t.Fatal("the closed, exported case offers no confirmation")
	}
	action := "/cases/" + id + "/exports/" + eid + "/confirm-deletion"
	e.postForm(e.staff.URL, action, c, url.Values{"sha256": {sha256Hex(zipBytes)}}, http.StatusUnprocessableEntity) // not ticked
	e.postForm(e.staff.URL, action, c, url.Values{"sha256": {strings.Repeat("a", 64)}, "confirm": {"yes"}}, http.StatusUnprocessableEntity)
	if !e.caseExists(id) {
		t.Fatal("a refused confirmation deleted the case")
	}
	e.postForm(e.staff.URL, action, c, url.Values{"sha256": {sha256Hex(zipBytes)}, "confirm": {"yes"}}, http.StatusOK)
	if e.caseExists(id) {
		t.Fatal("the case was not deleted")
	}
}
