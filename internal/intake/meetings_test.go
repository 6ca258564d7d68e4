package intake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// RC-2: a closed case takes no meeting request, even from a whistleblower
// whose session loaded the case before a handler closed it.
func TestRC2MeetingRequestIsRefusedOnACaseClosedAfterTheSessionLoadedIt(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rc := e.submit(t, validAnswers())
		token, err := e.svc.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.svc.Authenticate(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.ChangeState(ctx, store.StateChange{TenantID: wb.Report.TenantID, ReportID: wb.Report.ID,
				From: wb.Report.Status, To: "closed", At: wb.Report.ReceivedAt, Close: true, Outcome: "no_breach"})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RequestMeeting(ctx, wb, "Tuesdays after four"); !errors.Is(err, intake.ErrReportClosed) {
			t.Fatalf("RequestMeeting on a case closed meanwhile = %v, want ErrReportClosed", err)
		}
		tasks, err := e.svc.Tasks(ctx, wb)
		if err != nil {
			t.Fatal(err)
		}
		if len(tasks) != 0 {
			t.Fatalf("%d tasks on the closed case", len(tasks))
		}
	})
}
