package web

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// dsrEnv is a case with a handler, an admin and a DPO, for the
// data-subject request tests.
type dsrEnv struct {
	*apiEnv
	handler, admin, dpo string
	caseID              string
	caseNumber          int64
}

func newDSREnv(t *testing.T, d store.Dialect, what string) *dsrEnv {
	e := newAPIEnv(t, d)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
	e.submitOK(minimalAnswers(what))
	x := &dsrEnv{apiEnv: e, handler: e.staffLogin(e.handler), admin: e.staffLogin(admin), dpo: e.staffLogin(dpo)}
	x.caseID = e.caseWith(x.handler, what).ID
	r, err := e.db.Report(context.Background(), org.DefaultTenant, x.caseID)
	if err != nil {
		t.Fatal(err)
	}
	x.caseNumber = r.CaseNumber
	return x
}

// request records a request of typ as the DPO, verified unless told not.
func (x *dsrEnv) request(typ string, verified bool) string {
	var r struct{ ID string }
	x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests", x.dpo, map[string]any{"type": typ, "channel": "email",
		"received_at": x.clock.Now().UTC().Add(-1), "requester": "The Requester"}, http.StatusCreated, &r)
	if verified {
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/verify", x.dpo, map[string]string{"method": "call_back"}, http.StatusOK, nil)
	}
	return r.ID
}

func (x *dsrEnv) link(requestID, pseudonym string) string {
	var l struct{ ID, State string }
	x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+requestID+"/links", x.dpo,
		map[string]any{"case_number": x.caseNumber, "pseudonym": pseudonym}, http.StatusCreated, &l)
	if l.State != "pending" {
		x.t.Fatalf("new link in state %q", l.State)
	}
	return l.ID
}

func (x *dsrEnv) person(name string, aliases ...string) (id, pseudonym string) {
	var p struct{ ID, Pseudonym string }
	x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/persons", x.handler,
		map[string]any{"role": "reported_person", "name": name, "aliases": aliases, "notes": name + " works nights"}, http.StatusCreated, &p)
	return p.ID, p.Pseudonym
}

func (x *dsrEnv) journal() []map[string]any {
	var j struct{ Entries []map[string]any }
	x.doJSON(x.staff.URL, "GET", "/api/v1/staff/cases/"+x.caseID+"/journal", x.handler, nil, http.StatusOK, &j)
	return j.Entries
}

// storedEverywhere is every byte a copy of the store holds: the SQLite
// files after a checkpoint (freed pages are zeroed by secure_delete), or
// every PostgreSQL row value.
func (x *dsrEnv) storedEverywhere() []byte {
	x.t.Helper()
	if err := x.db.Checkpoint(context.Background()); err != nil {
		x.t.Fatal(err)
	}
	var out bytes.Buffer
	out.Write(x.storedBytes())
	for _, p := range storetest.SQLiteFiles(x.db) {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			x.t.Fatal(err)
		}
		out.Write(b)
	}
	return out.Bytes()
}

// GDPR art. 17, DSR-1, DSR-3, CA-5: an erasure request linked to a person
// of a case deletes the person record, and with "redact" re-seals the
// journal entries that name them; neither the old ciphertexts nor the
// name are left in the database, and every step is journaled and audited
// without content. It cannot be carried out before the requester is
// verified, nor twice.
func TestDSRErasureOfAPersonDeletesTheRecordAndRedactsTheJournal(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		x := newDSREnv(t, d, "erasure case")
		ctx := context.Background()
		const name = "Kari Nordmann"
		pid, pseudo := x.person(name, "Kåre N")
		other := x.addJournal(x.handler, x.caseID, "The depot was closed on Monday.")
		naming := x.addJournal(x.handler, x.caseID, "Spoke with Kari Nordmann about the invoices; Kåre N confirmed.")
		before, err := x.db.Person(ctx, org.DefaultTenant, x.caseID, pid)
		if err != nil {
			t.Fatal(err)
		}
		namingRow, err := x.db.JournalEntryByID(ctx, org.DefaultTenant, x.caseID, naming)
		if err != nil {
			t.Fatal(err)
		}
		otherRow, _ := x.db.JournalEntryByID(ctx, org.DefaultTenant, x.caseID, other)

		// Unverified: linking works, carrying out does not (DSR-1).
		rid := x.request("erasure", false)
		lid := x.link(rid, pseudo)
		var reqs struct {
			Requests []struct {
				ID, State string
				Actions   []string
			}
		}
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/cases/"+x.caseID+"/requests", x.handler, nil, http.StatusOK, &reqs)
		if len(reqs.Requests) != 1 || reqs.Requests[0].ID != lid || len(reqs.Requests[0].Actions) != 0 {
			t.Fatalf("case requests before verification: %+v", reqs.Requests)
		}
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.handler,
			map[string]any{"journal": "redact"}, http.StatusConflict, nil)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/verify", x.dpo, map[string]string{"method": "in_person"}, http.StatusOK, nil)
		// The request cannot be completed while the link is pending.
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/complete", x.dpo, map[string]any{}, http.StatusConflict, nil)
		// Bad decisions change nothing.
		for _, bad := range []map[string]any{{}, {"journal": "keep"}, {"journal": "keep", "ground": "17(3)(a)", "reason": "x"},
			{"journal": "keep", "ground": "17(3)(e)"}} {
			x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.handler, bad,
				http.StatusUnprocessableEntity, nil)
		}
		// The DPO holds no case key: the case side is 404 to them.
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.dpo,
			map[string]any{"journal": "redact"}, http.StatusNotFound, nil)

		var done struct{ State string }
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.handler,
			map[string]any{"journal": "redact"}, http.StatusOK, &done)
		if done.State != "erased" {
			t.Fatalf("link state %q", done.State)
		}
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.handler,
			map[string]any{"journal": "redact"}, http.StatusConflict, nil)

		// The person is gone from the case; the pseudonym stays in the journal.
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/cases/"+x.caseID+"/persons/"+pid, x.handler, nil, http.StatusNotFound, nil)
		var erasureEntry map[string]any
		for _, en := range x.journal() {
			if en["id"] == naming && strings.Contains(en["text"].(string), "Nordmann") {
				t.Fatalf("the journal still names the person: %v", en["text"])
			}
			if en["id"] == naming && !strings.Contains(en["text"].(string), "invoices") {
				t.Fatalf("the redaction removed more than the name: %v", en["text"])
			}
			if en["id"] == other && en["text"] != "The depot was closed on Monday." {
				t.Fatalf("an entry not naming the person changed: %v", en["text"])
			}
			if en["kind"] == "dsr" && en["action"] == "erase" {
				erasureEntry = en
			}
		}
		if erasureEntry == nil || erasureEntry["person"] != pseudo || erasureEntry["request_id"] != rid ||
			!strings.Contains(mustJSON(erasureEntry["entry_ids"]), naming) || strings.Contains(mustJSON(erasureEntry["entry_ids"]), other) {
			t.Fatalf("erasure journal entry: %v", erasureEntry)
		}
		// Nothing of the person or of the old entry is stored any more.
		stored := x.storedEverywhere()
		for label, b := range map[string][]byte{"person details": before.Details, "old journal entry": namingRow.Body,
			"name": []byte(name), "alias": []byte("Kåre N")} {
			if bytes.Contains(stored, b) {
				t.Errorf("the %s is still stored", label)
			}
		}
		if !bytes.Contains(stored, otherRow.Body) {
			t.Error("the untouched journal entry was re-sealed")
		}
		if !x.auditHas(audit.ActionCaseDSR, x.caseID, "erase.redact") || !x.auditHas(audit.ActionRegisterWrite, rid, "dsr.link") {
			t.Error("the erasure or the link is not audited")
		}
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/complete", x.dpo, map[string]any{}, http.StatusOK, nil)
		var q struct {
			Links []struct{ State string }
		}
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/requests/"+rid, x.dpo, nil, http.StatusOK, &q)
		if len(q.Links) != 1 || q.Links[0].State != "erased" {
			t.Fatalf("request links: %+v", q.Links)
		}
	})
}

// GDPR art. 17(3)(b) and (e): the handler may keep the journal as it is,
// naming the ground and the reason; the person record goes all the same.
func TestDSRErasureCanKeepTheJournalUnderArticle17_3(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		x := newDSREnv(t, d, "keep case")
		pid, pseudo := x.person("Ola Hansen")
		note := x.addJournal(x.handler, x.caseID, "Ola Hansen signed the contract.")
		lid := x.link(x.request("erasure", true), pseudo)
		var done struct{ State, Ground string }
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/requests/"+lid+"/erase", x.handler,
			map[string]any{"journal": "keep", "ground": "17(3)(e)", "reason": "evidence in pending litigation"}, http.StatusOK, &done)
		if done.State != "erased" || done.Ground != "17(3)(e)" {
			t.Fatalf("link: %+v", done)
		}
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/cases/"+x.caseID+"/persons/"+pid, x.handler, nil, http.StatusNotFound, nil)
		found := false
		for _, en := range x.journal() {
			if en["id"] == note && en["text"] == "Ola Hansen signed the contract." {
				found = true
			}
			if en["kind"] == "dsr" && en["action"] == "erase" && (en["basis"] != "17(3)(e)" || en["reason"] != "evidence in pending litigation") {
				t.Fatalf("erasure entry: %v", en)
			}
		}
		if !found {
			t.Fatal("the kept entry changed")
		}
		if !x.auditHas(audit.ActionCaseDSR, x.caseID, "erase.keep") {
			t.Error("not audited")
		}
	})
}

// GDPR art. 18: a restriction freezes exports, disclosure notes, access
// exports and state changes with 409 restricted until it is lifted; the
// lifting needs a reason and the requester told first, and both steps
// show in the case journal.
func TestDSRRestrictionFreezesProcessingUntilLifted(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		x := newDSREnv(t, d, "restricted case")
		pid, pseudo := x.person("Per Olsen")
		rid := x.request("restriction", true)
		lid := x.link(rid, pseudo)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links/"+lid+"/restrict", x.dpo,
			map[string]any{"note": "accuracy contested"}, http.StatusOK, nil)
		base := "/api/v1/staff/cases/" + x.caseID
		refused := []struct {
			method, path string
			body         any
		}{
			{"POST", base + "/state", map[string]string{"state": "screening"}},
			{"GET", base + "/export", nil},
			{"GET", base + "/persons/" + pid + "/access-export", nil},
			{"POST", base + "/disclosures", map[string]any{"recipient": "Police", "legal_basis": "law", "date": "2026-03-01", "text": "x"}},
			{"PATCH", base + "/persons/" + pid, map[string]any{"notes": "new"}},
		}
		for _, c := range refused {
			res := x.call(x.staff.URL, c.method, c.path, x.handler, c.body)
			if res.status != http.StatusConflict || !bytes.Contains(res.body, []byte(`"restricted"`)) {
				t.Errorf("%s %s while restricted: %d %s", c.method, c.path, res.status, res.body)
			}
		}
		var reqs struct{ Restricted bool }
		x.doJSON(x.staff.URL, "GET", base+"/requests", x.handler, nil, http.StatusOK, &reqs)
		if !reqs.Restricted {
			t.Fatal("the case does not show the restriction")
		}
		// Completing the request keeps the restriction in force.
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/complete", x.dpo, map[string]any{}, http.StatusOK, nil)
		x.doJSON(x.staff.URL, "POST", base+"/state", x.handler, map[string]string{"state": "screening"}, http.StatusConflict, nil)
		// Lifting needs a reason and the requester told (art. 18(3)).
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links/"+lid+"/lift", x.dpo,
			map[string]any{"reason": "verified"}, http.StatusUnprocessableEntity, nil)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links/"+lid+"/lift", x.dpo,
			map[string]any{"requester_informed": true}, http.StatusUnprocessableEntity, nil)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links/"+lid+"/lift", x.dpo,
			map[string]any{"reason": "accuracy verified", "requester_informed": true}, http.StatusOK, nil)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links/"+lid+"/lift", x.dpo,
			map[string]any{"reason": "again", "requester_informed": true}, http.StatusConflict, nil)
		x.doJSON(x.staff.URL, "POST", base+"/state", x.handler, map[string]string{"state": "screening"}, http.StatusNoContent, nil)
		steps := map[string]bool{}
		for _, en := range x.journal() {
			if en["kind"] == "dsr" {
				steps[en["action"].(string)] = true
			}
		}
		if !steps["link"] || !steps["restrict"] || !steps["lift"] {
			t.Fatalf("journal steps: %v", steps)
		}
		if !x.auditHas(audit.ActionRegisterWrite, rid, "dsr.restrict") || !x.auditHas(audit.ActionRegisterWrite, rid, "dsr.lift") {
			t.Error("restriction or lifting not audited")
		}
	})
}

// GDPR art. 16: a rectification adds a new version of the person record
// and a journal entry naming the changed fields; the old version stays
// sealed.
func TestDSRRectificationAddsANewVersionAndAJournalEntry(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		x := newDSREnv(t, d, "rectified case")
		pid, pseudo := x.person("Jon Smiht")
		rid := x.request("rectification", true)
		// A rectification concerns a person, not a whole case.
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/requests/"+rid+"/links", x.dpo,
			map[string]any{"case_number": x.caseNumber}, http.StatusUnprocessableEntity, nil)
		lid := x.link(rid, pseudo)
		path := "/api/v1/staff/cases/" + x.caseID + "/requests/" + lid + "/rectify"
		x.doJSON(x.staff.URL, "POST", path, x.handler, map[string]any{"name": "Jon Smith"}, http.StatusUnprocessableEntity, nil)
		x.doJSON(x.staff.URL, "POST", path, x.handler, map[string]any{"name": "Jon Smiht", "reason": "nothing"}, http.StatusUnprocessableEntity, nil)
		x.doJSON(x.staff.URL, "POST", path, x.handler, map[string]any{"name": "Jon Smith", "reason": "misspelt"}, http.StatusOK, nil)
		var p struct {
			Version int
			Details struct{ Name string }
		}
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/cases/"+x.caseID+"/persons/"+pid, x.handler, nil, http.StatusOK, &p)
		if p.Version != 2 || p.Details.Name != "Jon Smith" {
			t.Fatalf("person after rectification: %+v", p)
		}
		versions, err := x.db.PersonVersions(context.Background(), org.DefaultTenant, pid)
		if err != nil || len(versions) != 1 || versions[0].Version != 1 {
			t.Fatalf("kept versions: %+v %v", versions, err)
		}
		ok := false
		for _, en := range x.journal() {
			if en["kind"] == "dsr" && en["action"] == "rectify" && en["text"] == "changed: name" && en["reason"] == "misspelt" {
				ok = true
			}
		}
		if !ok || !x.auditHas(audit.ActionCaseDSR, x.caseID, "rectify") {
			t.Fatal("rectification not journaled or audited")
		}
	})
}

// GDPR art. 17 and RT-2: a whole case is erased on request through the
// retention job's deletion path, only once closed and not on legal hold,
// leaving a deletion record with the request's id and no content.
func TestDSRErasureOfAWholeCaseUsesTheDeletionPathAndRespectsLegalHold(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		x := newDSREnv(t, d, "ERASEWHOLE case")
		rowBefore, err := x.db.Report(context.Background(), org.DefaultTenant, x.caseID)
		if err != nil {
			t.Fatal(err)
		}
		rid := x.request("erasure", true)
		lid := x.link(rid, "")
		erase := "/api/v1/staff/requests/" + rid + "/links/" + lid + "/erase-case"
		x.doJSON(x.staff.URL, "POST", erase, x.dpo, map[string]any{}, http.StatusConflict, nil) // still open
		x.closeCase(x.handler, x.caseID)
		x.doJSON(x.staff.URL, "POST", "/api/v1/staff/cases/"+x.caseID+"/hold", x.handler, map[string]string{"reason": "police inquiry"}, http.StatusNoContent, nil)
		res := x.call(x.staff.URL, "POST", erase, x.dpo, map[string]any{})
		if res.status != http.StatusConflict || !bytes.Contains(res.body, []byte("legal_hold")) {
			t.Fatalf("erasure under legal hold: %d %s", res.status, res.body)
		}
		x.doJSON(x.staff.URL, "DELETE", "/api/v1/staff/cases/"+x.caseID+"/hold", x.handler, nil, http.StatusNoContent, nil)
		x.doJSON(x.staff.URL, "POST", erase, x.dpo, map[string]any{"reason": "no longer needed"}, http.StatusOK, nil)
		if x.caseExists(x.caseID) {
			t.Fatal("the case still exists")
		}
		if bytes.Contains(x.storedEverywhere(), rowBefore.Answers) {
			t.Fatal("the sealed answers are still stored")
		}
		var recs struct {
			Deletions []struct {
				CaseNumber int64 `json:"case_number"`
			}
		}
		x.doJSON(x.staff.URL, "GET", "/api/v1/staff/retention/deletions", x.dpo, nil, http.StatusOK, &recs)
		if len(recs.Deletions) != 1 || recs.Deletions[0].CaseNumber != x.caseNumber {
			t.Fatalf("deletion records: %+v", recs.Deletions)
		}
		if !x.auditHas(audit.ActionCaseDelete, x.caseID, "erasure_request") {
			t.Fatal("not audited")
		}
	})
}
