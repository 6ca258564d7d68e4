package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

type caseState struct {
	State       string
	Outcome     string
	ClosedAt    *string `json:"closed_at"`
	FeedbackDue *string `json:"feedback_due"`
	Messages    []struct{ Author, Text string }
}

type journalResp struct {
	Entries []struct {
		ID, Kind, Text, Source, Supersedes, From, To, Outcome, Reason string
		LearnedOn                                                     string `json:"learned_on"`
		SupersededBy                                                  string `json:"superseded_by"`
	}
}

func (e *apiEnv) oneCase(staff string) string {
	e.t.Helper()
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
	if len(inbox.Cases) != 1 {
		e.t.Fatalf("inbox has %d cases", len(inbox.Cases))
	}
	return inbox.Cases[0].ID
}

// CW-1, CW-6, CW-7: the case moves only along the workflow; closing needs
// an outcome, a reason and a final message, which reaches the whistleblower;
// reopening needs a reason; every change is journaled.
func TestCaseWorkflowEnforcesTransitionsAndClosingRules(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		receipt := e.submitOK(minimalAnswers("workflow"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		path := "/api/v1/staff/cases/" + id + "/state"
		state := func(body map[string]string, want int) {
			t.Helper()
			e.doJSON(e.staff.URL, "POST", path, staff, body, want, nil)
		}
		state(map[string]string{"state": "investigation"}, http.StatusConflict) // triage first
		state(map[string]string{"state": "closed", "outcome": "unfounded", "reason": "x", "message": "y"}, http.StatusConflict)
		state(map[string]string{"state": "screening"}, http.StatusNoContent)
		state(map[string]string{"state": "closed", "reason": "no basis", "message": "We found no basis."}, http.StatusUnprocessableEntity)
		state(map[string]string{"state": "closed", "outcome": "unfounded", "message": "We found no basis."}, http.StatusUnprocessableEntity)
		// Without a message the outcome's built-in template is sent (in
		// the report's language); an outcome without one needs a message.
		wfAdmin := e.addUser("wf-admin@example.org", accounts.RoleAdmin)
		e.acceptDeclarationAll()
		e.doJSON(e.staff.URL, "PUT", "/api/v1/staff/settings/outcomes", e.staffLogin(wfAdmin),
			map[string]any{"outcomes": []map[string]any{{"id": "unfounded", "labels": map[string]string{"en": "Unfounded"}}}}, http.StatusOK, nil)
		state(map[string]string{"state": "closed", "outcome": "unfounded", "reason": "no basis"}, http.StatusUnprocessableEntity)
		state(map[string]string{"state": "closed", "outcome": "invented", "reason": "no basis", "message": "m"}, http.StatusUnprocessableEntity)
		state(map[string]string{"state": "closed", "outcome": "unfounded", "reason": "no basis in the documents", "message": "We found no basis."}, http.StatusNoContent)

		var c caseState
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
		if c.State != "closed" || c.Outcome != "unfounded" || c.ClosedAt == nil {
			t.Fatalf("closed case = %+v", c)
		}
		wb := e.wbLogin(receipt)
		var mine caseResp
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &mine)
		if len(mine.Messages) != 1 || mine.Messages[0].Text != "We found no basis." || mine.Status != "closed" {
			t.Fatalf("the whistleblower did not get the outcome: %+v", mine)
		}

		state(map[string]string{"state": "investigation"}, http.StatusUnprocessableEntity) // reopen needs a reason
		state(map[string]string{"state": "investigation", "reason": "new documents arrived"}, http.StatusNoContent)
		c = caseState{}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
		if c.State != "investigation" || c.Outcome != "" || c.ClosedAt != nil {
			t.Fatalf("reopened case = %+v", c)
		}

		var j journalResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
		var moves []string
		for _, en := range j.Entries {
			if en.Kind == "state" {
				moves = append(moves, en.From+">"+en.To)
			}
		}
		want := []string{"received>screening", "screening>closed", "closed>investigation"}
		if len(moves) != len(want) || moves[0] != want[0] || moves[1] != want[1] || moves[2] != want[2] {
			t.Fatalf("journaled moves = %v, want %v", moves, want)
		}
	})
}

// JR-1: every note carries its source and the date it was learned; a
// correction is a new version linked to the old one, and both stay readable.
func TestJournalIsAppendOnlyWithSourcesAndCorrections(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.submitOK(minimalAnswers("journal"))
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		path := "/api/v1/staff/cases/" + id + "/journal"
		for _, bad := range []map[string]string{
			{"text": "", "source": "meeting", "learned_on": "2026-03-01"},
			{"text": "x", "source": "gossip", "learned_on": "2026-03-01"},
			{"text": "x", "source": "meeting", "learned_on": "yesterday"},
			{"text": "x", "source": "meeting", "learned_on": "2027-01-01"}, // after the test clock's today
		} {
			e.doJSON(e.staff.URL, "POST", path, staff, bad, http.StatusUnprocessableEntity, nil)
		}
		var first struct{ ID string }
		e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"text": "Met the witness; she confirms the invoices.",
			"source": "meeting", "learned_on": "2026-03-01"}, http.StatusCreated, &first)
		e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"text": "Met the witness; she confirms two of the invoices.",
			"source": "meeting", "learned_on": "2026-03-01", "supersedes": first.ID}, http.StatusCreated, nil)
		e.doJSON(e.staff.URL, "POST", path, staff, map[string]string{"text": "x", "source": "meeting",
			"learned_on": "2026-03-01", "supersedes": "no-such-entry"}, http.StatusNotFound, nil)

		var j journalResp
		e.doJSON(e.staff.URL, "GET", path, staff, nil, http.StatusOK, &j)
		var notes int
		for _, en := range j.Entries {
			if en.Kind != "note" {
				continue
			}
			notes++
			if en.ID == first.ID && (en.SupersededBy == "" || en.Text != "Met the witness; she confirms the invoices.") {
				t.Fatalf("the corrected note must stay readable and point to its correction: %+v", en)
			}
			if en.ID != first.ID && (en.Supersedes != first.ID || en.Source != "meeting" || en.LearnedOn != "2026-03-01") {
				t.Fatalf("correction = %+v", en)
			}
		}
		if notes != 2 {
			t.Fatalf("%d notes, want the original and its correction", notes)
		}
	})
}

// The journal is staff-only by key, not only by route: the receipt opens
// the report key and identity key, never the case key that seals the
// journal.
func TestReceiptDoesNotOpenTheJournal(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	receipt := e.submitOK(minimalAnswers("private notes"))
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/journal", staff, map[string]string{"text": "suspect: the CFO",
		"source": "handler", "learned_on": "2026-03-01"}, http.StatusCreated, nil)
	ctx := context.Background()
	token, err := e.srv.d.Intake.Login(ctx, receipt)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := e.srv.d.Intake.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if wb.Keys.Case != nil {
		t.Fatal("the whistleblower's session holds the case key")
	}
	entries, err := e.db.Journal(ctx, "default", id)
	if err != nil || len(entries) == 0 {
		t.Fatalf("journal rows: %v %v", entries, err)
	}
	for _, en := range entries {
		if _, err := keys.Open(wb.Keys.Report, en.Body, report.ADJournal("default", id, en.ID)); err == nil {
			t.Fatal("the report key opened a journal entry")
		}
		if _, err := keys.Open(*wb.Keys.Identity, en.Body, report.ADJournal("default", id, en.ID)); err == nil {
			t.Fatal("the identity key opened a journal entry")
		}
	}
}

// CW-2, CW-3: acknowledgement is due 7 days after receipt; the first
// handler message acknowledges, and feedback is then due 3 calendar months
// later (31 January + 3 months = 30 April). The inbox puts the nearest
// open deadline first.
func TestDeadlinesAreSetAtReceiptAndMoveWithTheAcknowledgement(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		e.clock.t = time.Date(2027, 1, 24, 10, 0, 0, 0, time.UTC)
		e.submitOK(minimalAnswers("first"))
		staff := e.staffLogin(e.handler)
		first := e.oneCase(staff)
		var c struct {
			AckDue, FeedbackDue, AcknowledgedAt *time.Time
		}
		get := func(id string) {
			t.Helper()
			c.AckDue, c.FeedbackDue, c.AcknowledgedAt = nil, nil, nil
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &struct {
				AckDue         **time.Time `json:"ack_due"`
				FeedbackDue    **time.Time `json:"feedback_due"`
				AcknowledgedAt **time.Time `json:"acknowledged_at"`
			}{&c.AckDue, &c.FeedbackDue, &c.AcknowledgedAt})
		}
		get(first)
		if c.AckDue == nil || !c.AckDue.Equal(time.Date(2027, 1, 31, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("ack due = %v, want 2027-01-31 10:00", c.AckDue)
		}
		if c.FeedbackDue == nil || !c.FeedbackDue.Equal(time.Date(2027, 4, 30, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("feedback due without acknowledgement = %v, want 2027-04-30 10:00 (7-day mark + 3 months)", c.FeedbackDue)
		}

		// A second report arrives a day later; the first is still more urgent.
		e.clock.t = time.Date(2027, 1, 25, 10, 0, 0, 0, time.UTC)
		e.submitOK(minimalAnswers("second"))
		staff = e.staffLogin(e.handler) // the clock jumped past the idle timeout
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 2 || inbox.Cases[0].ID != first {
			t.Fatalf("the case due first must lead the inbox: %+v", inbox.Cases)
		}

		// Acknowledged on 31 January (staffLogin moves the clock 31 s for a
		// fresh TOTP step): feedback due 30 April; the other case now leads.
		e.clock.t = time.Date(2027, 1, 31, 8, 0, 0, 0, time.UTC)
		staff = e.staffLogin(e.handler)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+first+"/messages", staff, map[string]string{"text": "We have received your report."}, http.StatusCreated, nil)
		get(first)
		if c.AcknowledgedAt == nil || c.FeedbackDue == nil || !c.FeedbackDue.Equal(time.Date(2027, 4, 30, 8, 0, 31, 0, time.UTC)) {
			t.Fatalf("after acknowledgement: acknowledged %v, feedback due %v, want 2027-04-30 08:00:31", c.AcknowledgedAt, c.FeedbackDue)
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if inbox.Cases[0].ID == first {
			t.Fatal("the unacknowledged case must now come first")
		}
		// A second message does not move the deadline.
		e.clock.t = time.Date(2027, 2, 10, 8, 0, 0, 0, time.UTC)
		staff = e.staffLogin(e.handler)
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+first+"/messages", staff, map[string]string{"text": "A question."}, http.StatusCreated, nil)
		get(first)
		if !c.FeedbackDue.Equal(time.Date(2027, 4, 30, 8, 0, 31, 0, time.UTC)) {
			t.Fatalf("a later message moved the feedback deadline to %v", c.FeedbackDue)
		}
	})
}

// AL-1: staff actions on a case land in the hash-chained audit log, which
// verifies, and whose entries carry ids and vocabulary words only.
func TestStaffActionsAreAuditedInAnIntactChain(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.submitOK(minimalAnswers("audited"), fileOf("a.txt", "aaa"))
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	var c caseResp
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
	e.get(e.staff.URL, "/api/v1/staff/cases/"+id+"/files/"+c.Files[0].ID, staff)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/messages", staff, map[string]string{"text": "hello"}, http.StatusCreated, nil)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/state", staff, map[string]string{"state": "screening"}, http.StatusNoContent, nil)

	ctx := context.Background()
	rep, err := audit.Verify(ctx, e.db, "default")
	if err != nil || rep.Broken {
		t.Fatalf("audit chain: %+v %v", rep, err)
	}
	entries, err := e.db.AuditEntries(ctx, "default", 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, en := range entries {
		seen[en.Action] = true
		if en.Action != audit.ActionUserCreate && en.ActorID == "" {
			t.Errorf("entry without actor: %+v", en)
		}
	}
	for _, want := range []string{audit.ActionLogin, audit.ActionCaseList, audit.ActionCaseRead, audit.ActionCaseFileRead,
		audit.ActionCaseMessage, audit.ActionCaseStateChange} {
		if !seen[want] {
			t.Errorf("no %s entry in the audit log", want)
		}
	}
}

// CW-3: the feedback deadline can be extended only with a reason; the
// extension is journaled and moves the deadline by calendar days.
func TestFeedbackDeadlineExtensionNeedsAReasonAndIsJournaled(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.clock.t = time.Date(2027, 1, 31, 8, 0, 0, 0, time.UTC)
	e.submitOK(minimalAnswers("extend"))
	staff := e.staffLogin(e.handler)
	id := e.oneCase(staff)
	path := "/api/v1/staff/cases/" + id + "/deadline-extension"
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]any{"days": 30}, http.StatusUnprocessableEntity, nil)
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]any{"days": 0, "reason": "x"}, http.StatusUnprocessableEntity, nil)
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]any{"days": 400, "reason": "x"}, http.StatusUnprocessableEntity, nil)
	var before, after struct {
		FeedbackDue time.Time `json:"feedback_due"`
	}
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &before)
	e.doJSON(e.staff.URL, "POST", path, staff, map[string]any{"days": 30, "reason": "waiting for the auditor's report"}, http.StatusNoContent, nil)
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &after)
	if !after.FeedbackDue.Equal(before.FeedbackDue.AddDate(0, 0, 30)) {
		t.Fatalf("feedback due %v after extending %v by 30 days", after.FeedbackDue, before.FeedbackDue)
	}
	var j struct {
		Entries []struct{ Kind, Reason string }
	}
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", staff, nil, http.StatusOK, &j)
	found := false
	for _, en := range j.Entries {
		found = found || en.Kind == "deadline" && en.Reason == "waiting for the auditor's report"
	}
	if !found {
		t.Fatalf("extension not journaled: %+v", j.Entries)
	}
}
