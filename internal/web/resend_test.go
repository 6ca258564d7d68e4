package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/store"
)

// A whistleblower who refreshes the receipt page or clicks twice must not
// create a second case (and a second receipt that replaces the first in
// their notes). The forms carry a token; the report's commit records it.
// (Going back to the form fetches a new one with a new token: see
// internal/browsertest.)

var formTokenRE = regexp.MustCompile(`name="form_token" value="([^"]+)"`)

// reportFormToken opens the public report form and returns its token.
func (e *apiEnv) reportFormToken() string {
	e.t.Helper()
	res, body := htmlDo(e.t, e.srv.Public(), httptest.NewRequest("GET", "/report/general?lang=en", nil))
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("report form: %d", res.StatusCode)
	}
	m := formTokenRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("the report form has no form token")
	}
	return m[1]
}

// sendReportForm posts the public report form as a browser would: the
// token (when not empty), the answers and an optional file.
func (e *apiEnv) sendReportForm(token string, answers map[string]string, file *htmlPart) (int, string) {
	e.t.Helper()
	parts := []htmlPart{{name: "lang", value: "en"}}
	if token != "" {
		parts = append(parts, htmlPart{name: "form_token", value: token})
	}
	for k, v := range answers {
		parts = append(parts, htmlPart{name: "q_" + k, value: v})
	}
	if file != nil {
		parts = append(parts, *file)
	}
	res, body := htmlDo(e.t, e.srv.Public(), htmlPostMultipart(e.t, "/report/general", parts))
	return res.StatusCode, body
}

func plainFile(body string) *htmlPart {
	return &htmlPart{name: "files", isFile: true, filename: "notes.txt", ctype: "text/plain", fileBody: []byte(body)}
}

const sentAlready = "Your report was already sent"

func TestReportFormPostedAgainIsStoredOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		token := e.reportFormToken()
		status, page := e.sendReportForm(token, htmlValidAnswers(), plainFile("first copy"))
		if status != http.StatusOK || !htmlReceiptRE.MatchString(page) {
			t.Fatalf("first post: %d\n%.600s", status, page)
		}
		reports, blobs := e.countStored()
		if reports != 1 {
			t.Fatalf("%d reports after one post", reports)
		}
		// The browser's "resend" after a refresh of the receipt page.
		status, page = e.sendReportForm(token, htmlValidAnswers(), plainFile("first copy"))
		if status != http.StatusConflict {
			t.Fatalf("second post: %d, want 409\n%.600s", status, page)
		}
		htmlWant(t, "second post", page, sentAlready, "cannot be shown again", "send a new report")
		if htmlReceiptRE.MatchString(page) {
			t.Error("the second answer shows a receipt")
		}
		if r, b := e.countStored(); r != reports || b != blobs {
			t.Errorf("the second post stored something: reports %d→%d, blobs %d→%d", reports, r, blobs, b)
		}
		// A new form is a new report.
		if status, _ := e.sendReportForm(e.reportFormToken(), htmlValidAnswers(), nil); status != http.StatusOK {
			t.Fatalf("a new form: %d", status)
		}
		if r, _ := e.countStored(); r != 2 {
			t.Errorf("%d reports, want 2", r)
		}
	})
}

// The same form sent twice at the same moment (a double click on a slow
// connection): the first check passes for both, the commit lets one in.
func TestReportFormSentTwiceAtOnceIsStoredOnce(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		token := e.reportFormToken()
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _ = e.sendReportForm(token, htmlValidAnswers(), plainFile("sent at once"))
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if want := []int{http.StatusOK, http.StatusConflict, http.StatusConflict, http.StatusConflict}; !slices.Equal(statuses, want) {
			t.Fatalf("statuses %v, want %v", statuses, want)
		}
		if r, b := e.countStored(); r != 1 || b != 1 {
			t.Errorf("stored %d reports and %d blobs, want 1 and 1", r, b)
		}
	})
}

// A form shown again with its errors keeps its token: nothing was stored,
// so the corrected form goes through, and only once.
func TestReportFormWithErrorsKeepsItsToken(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	token := e.reportFormToken()
	status, page := e.sendReportForm(token, map[string]string{"when": "March"}, nil)
	if status != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete form: %d", status)
	}
	if m := formTokenRE.FindStringSubmatch(page); m == nil || m[1] != token {
		t.Fatalf("the form shown again lost its token")
	}
	if status, _ := e.sendReportForm(token, htmlValidAnswers(), nil); status != http.StatusOK {
		t.Fatalf("corrected form: %d", status)
	}
	if status, _ := e.sendReportForm(token, htmlValidAnswers(), nil); status != http.StatusConflict {
		t.Fatalf("corrected form again: %d", status)
	}
	if r, _ := e.countStored(); r != 1 {
		t.Errorf("%d reports, want 1", r)
	}
}

// A page from before the token existed, or a token that is not ours, is
// not refused: losing a report is worse than storing it twice.
func TestReportFormWithoutAUsableTokenIsAccepted(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	for _, token := range []string{"", "", "not a token", strings.Repeat("A", 500)} {
		if status, page := e.sendReportForm(token, htmlValidAnswers(), nil); status != http.StatusOK {
			t.Fatalf("token %.20q: %d\n%.400s", token, status, page)
		}
	}
	if r, _ := e.countStored(); r != 4 {
		t.Errorf("%d reports, want 4", r)
	}
}

// RC-5 with the confirmation step: posting the confirmation again says the
// report was sent (before, it said the draft had expired, and the
// whistleblower would send it a second time).
func TestConfirmationPostedAgainSaysAlreadySent(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		formToken := e.reportFormToken()
		photo := &htmlPart{name: "files", isFile: true, filename: "photo.jpg", fileBody: gpsJPEG(t, "Someone")}
		status, page := e.sendReportForm(formToken, htmlValidAnswers(), photo)
		m := draftTokenRE.FindStringSubmatch(page)
		if status != http.StatusOK || m == nil {
			t.Fatalf("step 1: %d\n%.600s", status, page)
		}
		if status, page := e.confirmStep2(map[string]string{"draft": m[1]}); status != http.StatusOK || !htmlReceiptRE.MatchString(page) {
			t.Fatalf("confirm: %d", status)
		}
		reports, blobs := e.countStored()
		status, page = e.confirmStep2(map[string]string{"draft": m[1]})
		if status != http.StatusConflict {
			t.Fatalf("confirm again: %d, want 409\n%.600s", status, page)
		}
		htmlWant(t, "confirm again", page, sentAlready)
		htmlWantNot(t, "confirm again", page, "can no longer be sent")
		// The report form itself, sent again from the browser's history.
		if status, _ := e.sendReportForm(formToken, htmlValidAnswers(), photo); status != http.StatusConflict {
			t.Fatalf("form again after confirming: %d", status)
		}
		if r, b := e.countStored(); r != reports || b != blobs {
			t.Errorf("stored again: reports %d→%d, blobs %d→%d", reports, r, blobs, b)
		}
	})
}

// Two sends of one form before the confirmation (a double click on a slow
// connection) park two drafts from it; only the first one confirmed becomes a report, and the other goes.
func TestTwoDraftsOfOneFormMakeOneReport(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		formToken := e.reportFormToken()
		photo := &htmlPart{name: "files", isFile: true, filename: "photo.jpg", fileBody: gpsJPEG(t, "Someone")}
		var drafts []string
		for range 2 {
			status, page := e.sendReportForm(formToken, htmlValidAnswers(), photo)
			m := draftTokenRE.FindStringSubmatch(page)
			if status != http.StatusOK || m == nil {
				t.Fatalf("step 1: %d", status)
			}
			drafts = append(drafts, m[1])
		}
		if status, _ := e.confirmStep2(map[string]string{"draft": drafts[1]}); status != http.StatusOK {
			t.Fatalf("confirm the second draft: %d", status)
		}
		for range 2 {
			status, page := e.confirmStep2(map[string]string{"draft": drafts[0]})
			if status != http.StatusConflict || !strings.Contains(page, sentAlready) {
				t.Fatalf("confirm the first draft: %d\n%.600s", status, page)
			}
		}
		if r, _ := e.countStored(); r != 1 {
			t.Errorf("%d reports, want 1", r)
		}
		// The refused draft is deleted at once; its blob is an orphan the
		// sweeper takes.
		if _, _, err := e.srv.d.Intake.DraftChecks(context.Background(), drafts[0]); err != intake.ErrNoDraft {
			t.Errorf("the refused draft is still there: %v", err)
		}
	})
}

// JR-2: a handler's oral report form sent again (a refresh of the page with
// the receipt) records no second case.
func TestRC2OralReportFormPostedAgainIsRecordedOnce(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	e.acceptDeclarationAll()
	staff := e.staffCookieLogin(e.handler)
	m := formTokenRE.FindStringSubmatch(e.page(e.staff.URL, "/oral-reports/new", staff, http.StatusOK))
	if m == nil {
		t.Fatal("the oral report form has no form token")
	}
	form := oralForm("the stock was sold twice")
	form.Set("form_token", m[1])
	e.postFormPage(e.staff.URL, "/oral-reports", staff, form, http.StatusCreated)
	reports, _ := e.countStored()
	form = oralForm("the stock was sold twice")
	form.Set("form_token", m[1])
	page, _ := e.postFormPage(e.staff.URL, "/oral-reports", staff, form, http.StatusConflict)
	htmlWant(t, "oral form again", page, "already recorded", "The case is in the inbox")
	if receiptOnPage.MatchString(page) {
		t.Error("the second answer shows a receipt")
	}
	if r, _ := e.countStored(); r != reports {
		t.Errorf("reports %d→%d", reports, r)
	}
}

// Sent forms are remembered for 30 days, then forgotten with the expired
// drafts.
func TestSentFormsAreForgottenAfterThirtyDays(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	ctx := context.Background()
	token := e.reportFormToken()
	if status, _ := e.sendReportForm(token, htmlValidAnswers(), nil); status != http.StatusOK {
		t.Fatalf("post: %d", status)
	}
	sent := func() bool {
		if _, err := e.srv.d.Intake.DeleteExpiredDrafts(ctx); err != nil {
			t.Fatal(err)
		}
		ok, err := e.srv.d.Intake.FormSubmitted(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	e.clock.Advance(29 * 24 * time.Hour)
	if !sent() {
		t.Fatal("forgotten after 29 days")
	}
	e.clock.Advance(2 * 24 * time.Hour)
	if sent() {
		t.Fatal("still remembered after 31 days")
	}
}
