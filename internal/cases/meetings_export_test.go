package cases_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// submitWB files a report and returns its id and the whistleblower's
// session on it.
func (e *env) submitWB(t *testing.T, what string) (string, *intake.Whistleblower) {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(time.Minute)
	d, err := e.intake.Begin()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := e.intake.Submit(ctx, d, org.DefaultChannel, questionnaire.Answers{"what": what, "when": "2025", "how_known": "documents"})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.intake.Login(ctx, rc.Code)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := e.intake.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return d.ID, wb
}

// exportCase exports a case whole and returns the export, the zip and
// the text of its case.pdf.
func (e *env) exportCase(t *testing.T, st *accounts.Staff, id string) (*cases.CaseExport, []byte, string) {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(time.Minute)
	x, err := e.cases.Export(ctx, st, id)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := x.WriteZip(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open("case.pdf")
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	return x, buf.Bytes(), cases.PDFWords(t, pdf)
}

func wantInPDF(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s: case.pdf lacks %q\n%s", what, w, text)
		}
	}
}

// RC-2, RT-3: the case export holds the whistleblower's meeting requests
// (open, held with minutes, declined) with the handlers' answers; a new
// request or a closed one makes an earlier export stale, so an export
// confirmed for deletion holds every request the deletion removes; the
// deletion after a confirmed export and the retention job's shredding
// leave no case_tasks row of the case behind.
func TestRC2RT3ExportHoldsMeetingRequestsAndDeletionLeavesNoTask(t *testing.T) {
	const (
		heldRequest = "MEETREQ1 Tirsdager etter 16 – Ŋ ŧ đ Ζ Ж, ring 5550101"
		heldNote    = "MEETNOTE Møtet ble holdt på kontoret."
		minutesText = "MINUTES Referat fra møtet"
		reason      = "MEETREASON Vi kan kun mødes på video."
		openRequest = "MEETREQ3 Zażółć gęślą jaźń, po 18:00"
	)
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		id, wb := e.submitWB(t, "kickbacks")
		otherID, otherWB := e.submitWB(t, "other case")
		request := func(wb *intake.Whistleblower, text string) string {
			t.Helper()
			e.clock.Advance(time.Minute)
			v, err := e.intake.RequestMeeting(ctx, wb, text)
			if err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		closeMeeting := func(task string, in cases.MeetingClose) {
			t.Helper()
			e.clock.Advance(time.Minute)
			if err := e.cases.CloseMeeting(ctx, h, id, task, in); err != nil {
				t.Fatal(err)
			}
		}
		request(otherWB, "")

		// Held, with minutes; then declined.
		held := request(wb, heldRequest)
		minutes, err := e.cases.CreateTranscript(ctx, h, id, minutesText, "")
		if err != nil {
			t.Fatal(err)
		}
		closeMeeting(held, cases.MeetingClose{Outcome: cases.MeetingHeld, Text: heldNote, MinutesID: minutes.DocID})
		declined := request(wb, "")
		closeMeeting(declined, cases.MeetingClose{Outcome: cases.MeetingDeclined, Text: reason})

		before, _, _ := e.exportCase(t, h, id)
		current := func(exportID string) bool {
			t.Helper()
			list, err := e.cases.Exports(ctx, h, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range list {
				if x.ID == exportID {
					return x.Current
				}
			}
			t.Fatalf("export %s not listed", exportID)
			return false
		}
		if !current(before.ID) {
			t.Fatal("a fresh export is not current")
		}
		// A new request changes the case: the earlier export lacks it.
		open := request(wb, openRequest)
		if current(before.ID) {
			t.Error("an export made before a new meeting request is still current")
		}

		_, _, text := e.exportCase(t, h, id)
		closedBy := "Closed by: staff " + h.UserID
		wantInPDF(t, "open request", text, "Meeting requests",
			"Meeting request 1: held", "Request: "+heldRequest, "Note: "+heldNote, closedBy,
			"Minutes: Document "+minutes.DocID[:8]+", version 1: draft (transcripts/document-1-version-1-draft.txt)",
			"Meeting request 2: declined", "Request: (no preferred times or contact given)", "Reason: "+reason,
			"Meeting request 3: open", "Request: "+openRequest)

		// The case is closed with the request still open, exported, and
		// the request closed after: that export is stale and deletes
		// nothing.
		for _, to := range []cases.Transition{{To: cases.StateScreening}, {To: cases.StateClosed, Outcome: "unfounded", Reason: "no basis"}} {
			e.clock.Advance(time.Minute)
			if err := e.cases.ChangeState(ctx, h, id, to); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutSetting(ctx, tenant, cases.SettingDeleteAfterExport, `["`+org.DefaultChannel+`"]`, h.UserID, e.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
		stale, _, _ := e.exportCase(t, h, id)
		closeMeeting(open, cases.MeetingClose{Outcome: cases.MeetingHeld, Text: "Held by phone after closing."})
		if current(stale.ID) {
			t.Error("an export made before a meeting was closed is still current")
		}
		if _, err := e.cases.ConfirmExportDeletion(ctx, h, id, stale.ID, stale.SHA256()); !errors.Is(err, cases.ErrExportStale) {
			t.Fatalf("confirming an export made before the meeting was closed: %v, want ErrExportStale", err)
		}

		last, _, text := e.exportCase(t, h, id)
		wantInPDF(t, "closed case", text, "Meeting request 1: held", "Meeting request 2: declined",
			"Meeting request 3: held", "Note: Held by phone after closing.")
		if strings.Contains(text, ": open") {
			t.Errorf("the last export still shows an open request\n%s", text)
		}
		e.clock.Advance(time.Minute)
		if _, err := e.cases.ConfirmExportDeletion(ctx, h, id, last.ID, last.SHA256()); err != nil {
			t.Fatal(err)
		}
		leftovers := func(reportID string) int {
			t.Helper()
			n := 0
			if err := db.EachStoredValue(ctx, func(table string, v []byte) {
				if table == "case_tasks" && string(v) == reportID {
					n++
				}
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := leftovers(id); n != 0 {
			t.Errorf("deletion after a confirmed export left %d case_tasks rows", n)
		}
		if n := leftovers(otherID); n != 1 {
			t.Errorf("the other case has %d case_tasks rows, want its 1", n)
		}

		// The retention job's path shreds the other case the same way.
		e.clock.Advance(time.Minute)
		e.shred(t, otherID)
		rows := 0
		if err := db.EachStoredValue(ctx, func(table string, v []byte) {
			if table == "case_tasks" {
				rows++
			}
		}); err != nil {
			t.Fatal(err)
		}
		if rows != 0 {
			t.Errorf("case_tasks holds %d values after both cases were shredded", rows)
		}
	})
}
