package web

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// setClock moves the test clock to t (forwards or back).
func (e *apiEnv) setClock(t time.Time) {
	e.clock.mu.Lock()
	defer e.clock.mu.Unlock()
	e.clock.t = t
}

func (e *apiEnv) retentionJob() *retention.Job {
	return &retention.Job{DB: e.db, Blobs: e.blobs, Now: e.clock.Now}
}

func (e *apiEnv) runRetention(job *retention.Job) []string {
	e.t.Helper()
	if job == nil {
		job = e.retentionJob()
	}
	res, err := job.Run(context.Background(), org.DefaultTenant)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.Busy {
		e.t.Fatal("retention job found its lease taken")
	}
	return res.Deleted
}

// closeCase moves a case to closed through the API.
func (e *apiEnv) closeCase(staff, id string) {
	e.t.Helper()
	path := "/api/v1/staff/cases/" + id + "/state"
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"state": "screening"}, http.StatusNoContent, nil)
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"state": "closed", "outcome": "unfounded",
		"reason": "no basis", "message": "We found no basis."}, http.StatusNoContent, nil)
}

// confirmPolicy has an admin confirm the default channel's policy.
func (e *apiEnv) confirmPolicy(admin string, months int) {
	e.t.Helper()
	e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/retention/policies", admin, map[string]any{
		"channel_id": org.DefaultChannel, "category": "report", "months": months, "confirm": true}, http.StatusOK, nil)
}

type retentionCaseJSON struct {
	ExpiresAt     *time.Time `json:"expires_at"`
	ClosedAt      *time.Time `json:"closed_at"`
	RetentionHold bool       `json:"retention_hold"`
	Files         []struct{ ID string }
}

func (e *apiEnv) caseRetention(staff, id string) retentionCaseJSON {
	e.t.Helper()
	var c retentionCaseJSON
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
	return c
}

func (e *apiEnv) caseExists(id string) bool {
	e.t.Helper()
	_, err := e.db.Report(context.Background(), org.DefaultTenant, id)
	if err != nil && err != store.ErrNotFound && !isNotFound(err) {
		e.t.Fatal(err)
	}
	return err == nil
}

func isNotFound(err error) bool {
	for ; err != nil; err = unwrap(err) {
		if err == store.ErrNotFound {
			return true
		}
	}
	return false
}

func unwrap(err error) error {
	u, ok := err.(interface{ Unwrap() error })
	if !ok {
		return nil
	}
	return u.Unwrap()
}

// keysOf counts the wrapped keys of a case left in report_keys.
func (e *apiEnv) keysOf(id string) int {
	e.t.Helper()
	n := 0
	if err := e.db.EachStoredValue(context.Background(), func(table string, v []byte) {
		if table == "report_keys" && string(v) == id {
			n++
		}
	}); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *apiEnv) blobCount() int {
	n := 0
	e.blobs.Walk(context.Background(), func(string, time.Time) error { n++; return nil })
	return n
}

// RT-1: under an unconfirmed (default) policy nothing is deleted; under a
// confirmed one the job deletes at expiry and not a day before. The keys
// go (crypto-shredding), the receipt stops working, the blobs and the
// sealed answers are gone, and the deletion record holds no content. A
// second run changes nothing (idempotent).
func TestRetentionDeletesAtExpiryUnderAConfirmedPolicyOnly(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		ctx := context.Background()
		adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
		marker := "RETENTIONMARKER-" + string(d)
		receiptA := e.submitOK(minimalAnswers(marker+"-A"), fileOf("a.txt", marker+" file A"))
		receiptB := e.submitOK(minimalAnswers(marker + "-B"))
		_ = receiptB
		staff := e.staffLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases?sort=received&order=asc", staff, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 2 {
			t.Fatalf("inbox: %d cases", len(inbox.Cases))
		}
		var idA, idB string
		for _, c := range inbox.Cases {
			r, err := e.db.Report(ctx, org.DefaultTenant, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if r.CaseNumber == 1 {
				idA = c.ID
			} else {
				idB = c.ID
			}
		}
		rowA, err := e.db.Report(ctx, org.DefaultTenant, idA)
		if err != nil {
			t.Fatal(err)
		}
		sealedAnswers := rowA.Answers

		e.closeCase(staff, idA)
		e.clock.Advance(48 * time.Hour)
		staff = e.staffLogin(e.handler) // the idle session expired
		e.closeCase(staff, idB)
		cA, cB := e.caseRetention(staff, idA), e.caseRetention(staff, idB)
		if cA.ExpiresAt == nil || cB.ExpiresAt == nil {
			t.Fatal("closed cases have no expires_at")
		}
		if want := cA.ClosedAt.AddDate(0, 12, 0); !cA.ExpiresAt.Equal(want) {
			t.Fatalf("expires_at %v, want closed_at + 12 months %v", cA.ExpiresAt, want)
		}

		// The default policy is shown, unconfirmed.
		var pols struct {
			Policies []retention.Policy
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/retention/policies", staff, nil, http.StatusOK, &pols)
		if len(pols.Policies) == 0 || !pols.Policies[0].Default || pols.Policies[0].Confirmed || pols.Policies[0].Months != 12 {
			t.Fatalf("policies: %+v", pols.Policies)
		}
		// Only admins change policies.
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/retention/policies", staff, map[string]any{
			"channel_id": org.DefaultChannel, "months": 6, "confirm": true}, http.StatusForbidden, nil)

		// Past A's expiry under the unconfirmed default: nothing goes.
		e.setClock(cA.ExpiresAt.Add(time.Hour))
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatalf("deleted %v under an unconfirmed policy", del)
		}
		staff = e.staffLogin(e.handler)
		if !e.caseExists(idA) {
			t.Fatal("case deleted under an unconfirmed policy")
		}

		// Upcoming lists A (past) and B (within 14 days).
		var up struct{ Cases []retention.Upcoming }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/retention/upcoming", staff, nil, http.StatusOK, &up)
		if len(up.Cases) != 2 || up.Cases[0].ReportID != idA || up.Cases[0].Confirmed {
			t.Fatalf("upcoming: %+v", up.Cases)
		}

		admin := e.staffLogin(adminUser)
		e.confirmPolicy(admin, 12)
		blobsBefore := e.blobCount()
		if del := e.runRetention(nil); len(del) != 1 || del[0] != idA {
			t.Fatalf("deleted %v, want only %s", del, idA)
		}
		if e.caseExists(idA) || !e.caseExists(idB) {
			t.Fatal("wrong case deleted")
		}
		if n := e.keysOf(idA); n != 0 {
			t.Fatalf("%d wrapped keys of the deleted case remain", n)
		}
		if got := e.blobCount(); got != blobsBefore-1 {
			t.Fatalf("blobs: %d, want %d", got, blobsBefore-1)
		}
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/session", "", map[string]string{"receipt": receiptA}, http.StatusUnauthorized, nil)
		stored := e.storedBytes()
		if bytes.Contains(stored, sealedAnswers) {
			t.Fatal("the sealed answers of the deleted case are still stored")
		}
		if bytes.Contains(stored, []byte(marker)) {
			t.Fatal("a marker is stored in clear")
		}
		if !e.auditHas(audit.ActionRetentionDelete, idA, "report") {
			t.Fatal("no audit entry for the deletion")
		}

		// The deletion record: admins and the DPO only, no content.
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/retention/deletions", staff, nil, http.StatusForbidden, nil)
		var recs struct{ Deletions []retention.Deletion }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/retention/deletions", admin, nil, http.StatusOK, &recs)
		if len(recs.Deletions) != 1 || recs.Deletions[0].CaseNumber != 1 || recs.Deletions[0].Category != "report" ||
			recs.Deletions[0].PolicyMonths != 12 || recs.Deletions[0].PolicyConfirmedAt == nil {
			t.Fatalf("deletion records: %+v", recs.Deletions)
		}
		var recBytes bytes.Buffer
		e.db.EachStoredValue(ctx, func(table string, v []byte) {
			if table == "deletion_records" {
				recBytes.Write(v)
				recBytes.WriteByte(0)
			}
		})
		for _, bad := range [][]byte{[]byte(marker), []byte(idA), sealedAnswers, []byte("no basis")} {
			if bytes.Contains(recBytes.Bytes(), bad) {
				t.Fatalf("the deletion record holds %q", bad)
			}
		}

		// B: not a day before its expiry, then at it.
		cB = e.caseRetention(staff, idB)
		e.setClock(cB.ExpiresAt.Add(-24 * time.Hour))
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatalf("deleted %v a day before expiry", del)
		}
		e.setClock(*cB.ExpiresAt)
		if del := e.runRetention(nil); len(del) != 1 || del[0] != idB {
			t.Fatalf("deleted %v at expiry, want %s", del, idB)
		}
		// Idempotent: a second run finds nothing.
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatalf("second run deleted %v", del)
		}
		if n, _ := e.db.CountReports(ctx, org.DefaultTenant); n != 0 {
			t.Fatalf("%d reports remain", n)
		}
	})
}

// RT-2: a case on legal hold survives expiry; a hold needs a reason and is
// journaled; once released the next run deletes the case.
func TestRetentionLegalHoldStopsDeletion(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
		e.submitOK(minimalAnswers("held case"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		e.closeCase(staff, id)
		exp := *e.caseRetention(staff, id).ExpiresAt
		hold := "/api/v1/staff/cases/" + id + "/hold"
		e.doJSON(e.staff.URL, "POST", hold, staff, map[string]string{"reason": " "}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", hold, staff, map[string]string{"reason": "Litigation pending"}, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "POST", hold, staff, map[string]string{"reason": "again"}, http.StatusConflict, nil)
		c := e.caseRetention(staff, id)
		if !c.RetentionHold || c.ExpiresAt != nil {
			t.Fatalf("held case: %+v", c)
		}
		var j struct {
			Entries []struct{ Kind, Action, Reason string }
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
		found := false
		for _, en := range j.Entries {
			found = found || en.Kind == "hold" && en.Action == "place" && en.Reason == "Litigation pending"
		}
		if !found {
			t.Fatalf("no hold entry in the journal: %+v", j.Entries)
		}
		if bytes.Contains(e.storedBytes(), []byte("Litigation pending")) {
			t.Fatal("the hold reason is stored in clear")
		}
		e.confirmPolicy(e.staffLogin(adminUser), 12)
		e.setClock(exp.AddDate(0, 1, 0))
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatalf("held case deleted: %v", del)
		}
		staff = e.staffLogin(e.handler)
		e.doJSON(e.staff.URL, "DELETE", hold, staff, map[string]string{"reason": "Litigation over"}, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "DELETE", hold, staff, nil, http.StatusConflict, nil)
		if del := e.runRetention(nil); len(del) != 1 || del[0] != id {
			t.Fatalf("released case not deleted: %v", del)
		}
	})
}

// RT-4: content the whistleblower adds shortly before expiry postpones
// deletion to 30 days after it. RT-1: the retention can be extended once.
func TestRetentionGracePeriodAndExtension(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
		receipt := e.submitOK(minimalAnswers("grace"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		e.closeCase(staff, id)
		exp := *e.caseRetention(staff, id).ExpiresAt
		e.confirmPolicy(e.staffLogin(adminUser), 12)

		e.setClock(exp.Add(-10 * 24 * time.Hour))
		wb := e.wbLogin(receipt)
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": "One more thing."}, http.StatusCreated, nil)
		activity := e.clock.Now()
		staff = e.staffLogin(e.handler)
		newExp := *e.caseRetention(staff, id).ExpiresAt
		if want := activity.Add(30 * 24 * time.Hour); !newExp.Equal(want.Truncate(time.Millisecond)) {
			t.Fatalf("expires_at %v, want %v", newExp, want)
		}
		e.setClock(exp)
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatal("deleted within the grace period")
		}
		e.setClock(newExp.Add(-time.Minute))
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatal("deleted before the grace period ended")
		}

		// Extension: once, with a reason.
		ext := "/api/v1/staff/cases/" + id + "/retention-extension"
		staff = e.staffLogin(e.handler)
		e.doJSON(e.staff.URL, "POST", ext, staff, map[string]any{"months": 6}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", ext, staff, map[string]any{"months": 6, "reason": "Appeal expected"}, http.StatusNoContent, nil)
		e.doJSON(e.staff.URL, "POST", ext, staff, map[string]any{"months": 6, "reason": "Again"}, http.StatusConflict, nil)
		c := e.caseRetention(staff, id)
		closed := *c.ClosedAt
		if want := closed.AddDate(0, 18, 0); !c.ExpiresAt.Equal(want) {
			t.Fatalf("extended expires_at %v, want %v", c.ExpiresAt, want)
		}
		e.setClock(newExp.Add(time.Hour))
		if del := e.runRetention(nil); len(del) != 0 {
			t.Fatal("extended case deleted")
		}
		e.setClock(*c.ExpiresAt)
		if del := e.runRetention(nil); len(del) != 1 {
			t.Fatal("extended case not deleted at its new expiry")
		}
	})
}

// Two nodes running the job at once delete each case once (the lease).
func TestRetentionConcurrentRunsDeleteEachCaseOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		adminUser := e.addUser("admin@example.org", accounts.RoleAdmin)
		const n = 4
		for i := range n {
			e.submitOK(minimalAnswers("concurrent " + string(rune('a'+i))))
		}
		staff := e.staffLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		for _, c := range inbox.Cases {
			e.closeCase(staff, c.ID)
		}
		e.confirmPolicy(e.staffLogin(adminUser), 12)
		e.clock.Advance(400 * 24 * time.Hour)
		var wg sync.WaitGroup
		results := make([]retention.Result, 4)
		errs := make([]error, 4)
		for i := range results {
			wg.Go(func() {
				results[i], errs[i] = e.retentionJob().Run(context.Background(), org.DefaultTenant)
			})
		}
		wg.Wait()
		seen := map[string]int{}
		for i, r := range results {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			for _, id := range r.Deleted {
				seen[id]++
			}
		}
		if len(seen) != n {
			t.Fatalf("deleted %d distinct cases, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("case %s deleted %d times", id, k)
			}
		}
		recs, err := e.db.DeletionRecords(context.Background(), org.DefaultTenant)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != n {
			t.Fatalf("%d deletion records, want %d", len(recs), n)
		}
	})
}

// JR-4: purging removes the message and the file at once and leaves a
// purge record in the journal.
func TestPurgeRemovesIrrelevantContentAndKeepsARecord(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		receipt := e.submitOK(minimalAnswers("purge"), fileOf("holiday.txt", "irrelevant holiday photos"))
		wb := e.wbLogin(receipt)
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": "My neighbour's dog is loud."}, http.StatusCreated, nil)
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		var j struct {
			Entries []struct {
				Kind, Text, Reason string
				MessageID          string   `json:"message_id"`
				FileID             string   `json:"file_id"`
				MessageIDs         []string `json:"message_ids"`
				FileIDs            []string `json:"file_ids"`
			}
		}
		journal := "/api/v1/staff/cases/" + id + "/journal"
		e.doJSON(e.staff.URL, "GET", journal, staff, nil, http.StatusOK, &j)
		var msgID, fileID string
		for _, en := range j.Entries {
			if en.Kind == "message" {
				msgID = en.MessageID
			}
			if en.Kind == "file" {
				fileID = en.FileID
			}
		}
		if msgID == "" || fileID == "" {
			t.Fatalf("journal: %+v", j.Entries)
		}
		blobs := e.blobCount()
		purge := "/api/v1/staff/cases/" + id + "/purge"
		e.doJSON(e.staff.URL, "POST", purge, staff, map[string]any{"message_ids": []string{msgID}}, http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", purge, staff, map[string]any{"message_ids": []string{msgID, "nosuchid"}, "reason": "x"},
			http.StatusUnprocessableEntity, nil)
		e.doJSON(e.staff.URL, "POST", purge, staff, map[string]any{"message_ids": []string{msgID}, "file_ids": []string{fileID},
			"reason": "Manifestly irrelevant"}, http.StatusNoContent, nil)
		if got := e.blobCount(); got != blobs-1 {
			t.Fatalf("blobs %d, want %d", got, blobs-1)
		}
		j.Entries = nil
		e.doJSON(e.staff.URL, "GET", journal, staff, nil, http.StatusOK, &j)
		var purged bool
		for _, en := range j.Entries {
			if en.Kind == "message" && en.MessageID == msgID || en.Kind == "file" {
				t.Fatalf("purged content still listed: %+v", en)
			}
			if en.Kind == "purge" {
				purged = en.Reason == "Manifestly irrelevant" && len(en.MessageIDs) == 1 && en.MessageIDs[0] == msgID &&
					len(en.FileIDs) == 1 && en.FileIDs[0] == fileID && en.Text == ""
			}
		}
		if !purged {
			t.Fatalf("no purge record: %+v", j.Entries)
		}
		if _, err := e.db.File(context.Background(), org.DefaultTenant, id, fileID); !isNotFound(err) {
			t.Fatalf("file row: %v", err)
		}
		if !e.auditHas(audit.ActionCasePurge, id, "") {
			t.Fatal("no audit entry for the purge")
		}
	})
}
