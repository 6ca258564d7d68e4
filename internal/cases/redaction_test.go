package cases_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DA-2: anonymised copies of case files with four-eyes approval and the
// release gate (redaction.go).

const redactionText = "Varsleren skriver at Kari Nordmann slo en kollega på lageret.\n" +
	"Kontakt: kari.nordmann@example.no\n" +
	"Kari Nordmann nektet for alt.\n"

// submitFile files a report with one attachment of the given name, type
// and body and returns the report and file ids.
func (e *env) submitFile(t *testing.T, name, contentType string, body []byte) (reportID, fileID string) {
	t.Helper()
	ctx := context.Background()
	e.clock.Advance(time.Minute)
	d, err := e.intake.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := e.intake.AddFile(ctx, d, name, contentType, bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.intake.Submit(ctx, d, org.DefaultChannel, questionnaire.Answers{
		"what": "a case with a file", "when": "2025", "how_known": "documents"}); err != nil {
		t.Fatal(err)
	}
	files, err := e.db.Files(ctx, tenant, d.ID)
	if err != nil || len(files) != 1 {
		t.Fatalf("files %v %v", files, err)
	}
	return d.ID, files[0].ID
}

// redactionCase is a case with a text file, a person concerned named in it
// and two handlers holding its keys.
type redactionCase struct {
	e              *env
	h1, h2         *accounts.Staff
	reportID, file string
}

func newRedactionCase(t *testing.T, db *store.DB) *redactionCase {
	e := newEnv(t, db)
	h1 := e.staff(t, "preparer@example.org", org.DefaultChannel)
	h2 := e.staff(t, "reviewer@example.org", org.DefaultChannel)
	rc := &redactionCase{e: e, h1: h1, h2: h2}
	rc.reportID, rc.file = e.submitFile(t, "statement.txt", "text/plain", []byte(redactionText))
	if _, err := e.cases.AddPerson(context.Background(), h1, rc.reportID, cases.RoleReportedPerson,
		cases.PersonDetails{Name: "Kari Nordmann"}); err != nil {
		t.Fatal(err)
	}
	return rc
}

func (rc *redactionCase) start(t *testing.T) cases.RedactionView {
	t.Helper()
	v, err := rc.e.cases.CreateRedaction(context.Background(), rc.h1, rc.reportID, cases.RedactionStart{FileID: rc.file, Lang: "nb"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func findingsOf(v cases.RedactionView, value string) []cases.RedactionFinding {
	var out []cases.RedactionFinding
	for _, f := range v.Findings {
		if f.Value == value {
			out = append(out, f)
		}
	}
	return out
}

func (rc *redactionCase) journalActions(t *testing.T) []string {
	t.Helper()
	j, err := rc.e.cases.Journal(context.Background(), rc.h1, rc.reportID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range j {
		if e.Kind == cases.EntryRedaction {
			if e.RedactionID == "" || len(e.FileIDs) != 1 || e.FileIDs[0] != rc.file {
				t.Errorf("journal entry without the copy and its file: %+v", e)
			}
			out = append(out, e.Action)
		}
	}
	return out
}

func (rc *redactionCase) auditDetails(t *testing.T) []string {
	t.Helper()
	es, err := rc.e.db.AuditEntries(context.Background(), tenant, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		if e.Action == "case.redact" {
			if e.ObjectID != rc.reportID {
				t.Errorf("audit entry names %q, not the case", e.ObjectID)
			}
			out = append(out, e.Detail)
		}
	}
	return out
}

func TestDA2FourEyesApprovalReleasesACopyAndLeavesTheOriginalUnchanged(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		rc := newRedactionCase(t, db)
		ctx := context.Background()
		cs := rc.e.cases
		outsider := rc.e.staff(t, "late@example.org", org.DefaultChannel) // joined after the report: no key

		v := rc.start(t)
		if v.State != store.RedactionDraft || !v.PlainText || v.Version != 1 {
			t.Fatalf("draft: %+v", v)
		}
		names := findingsOf(v, "Kari Nordmann")
		if len(names) != 2 || findingsOf(v, "kari.nordmann@example.no") == nil {
			t.Fatalf("findings: %+v", v.Findings)
		}
		for _, f := range v.Findings {
			if f.Redact != (f.Score >= cases.DefaultRedactScore) || f.ID == "" || f.Rule == "" {
				t.Errorf("finding %+v: default decision or id/rule missing", f)
			}
		}
		if strings.Contains(v.Preview, "Kari") || !strings.Contains(v.Preview, "slo en kollega") {
			t.Errorf("preview: %q", v.Preview)
		}

		_, err := cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "approving a draft", err, cases.ErrRedactionState)
		if v, err = cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil || v.State != store.RedactionSubmitted {
			t.Fatalf("submit: %v %+v", err, v)
		}
		_, err = cs.ApproveRedaction(ctx, rc.h1, rc.reportID, v.ID)
		wantErr(t, "the preparer approving", err, cases.ErrFourEyes)
		_, err = cs.RejectRedaction(ctx, rc.h1, rc.reportID, v.ID, "not good enough")
		wantErr(t, "the preparer rejecting", err, cases.ErrFourEyes)
		_, err = cs.ApproveRedaction(ctx, outsider, rc.reportID, v.ID)
		wantErr(t, "a handler without access approving", err, cases.ErrNotFound)
		_, err = cs.OpenRedactedCopy(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "downloading an unapproved copy", err, cases.ErrRedactionState)

		seen, err := cs.Redaction(ctx, rc.h2, rc.reportID, v.ID)
		if err != nil || !seen.CanDecide {
			t.Fatalf("the reviewer cannot decide: %v %+v", err, seen)
		}
		v, err = cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID)
		if err != nil || v.State != store.RedactionApproved || v.Output == nil || v.DecidedBy != rc.h2.UserID {
			t.Fatalf("approve: %v %+v", err, v)
		}
		_, err = cs.OpenRedactedCopy(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "downloading an approved, unreleased copy", err, cases.ErrRedactionState)
		_, err = cs.UpdateRedaction(ctx, rc.h1, rc.reportID, v.ID, cases.RedactionChange{AddValues: []string{"lageret"}})
		wantErr(t, "changing an approved copy", err, cases.ErrRedactionState)
		if v, err = cs.ReleaseRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil || v.State != store.RedactionReleased {
			t.Fatalf("release: %v %+v", err, v)
		}

		f, err := cs.OpenRedactedCopy(ctx, rc.h2, rc.reportID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(f)
		f.Close()
		for _, leak := range []string{"Kari", "Nordmann", "kari.nordmann@example.no"} {
			if bytes.Contains(out, []byte(leak)) {
				t.Errorf("the released copy still holds %q: %s", leak, out)
			}
		}
		if !bytes.Contains(out, []byte("slo en kollega")) || !strings.HasSuffix(f.Name, ".txt") || !strings.Contains(f.Name, "statement") {
			t.Errorf("copy %q: %s", f.Name, out)
		}

		orig, err := cs.OpenFile(ctx, rc.h1, rc.reportID, rc.file)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(orig)
		orig.Close()
		if string(body) != redactionText {
			t.Errorf("the original changed: %q", body)
		}

		wantSteps := []string{"draft", "submit", "approve", "release", "download"}
		if got := rc.journalActions(t); !slices.Equal(got, wantSteps) {
			t.Errorf("journal steps %v, want %v", got, wantSteps)
		}
		if got := rc.auditDetails(t); !slices.Equal(got, wantSteps) {
			t.Errorf("audit steps %v, want %v", got, wantSteps)
		}
	})
}

func TestDA2AChangeAfterSubmissionReturnsTheCopyToDraftAndMakesTheEditorAPreparer(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		rc := newRedactionCase(t, db)
		ctx := context.Background()
		cs := rc.e.cases
		h3 := rc.e.staff(t, "third@example.org")
		if err := cs.Grant(ctx, rc.h1, rc.reportID, h3.UserID); err != nil {
			t.Fatal(err)
		}
		v := rc.start(t)
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		// A stale version is refused and changes nothing.
		_, err := cs.UpdateRedaction(ctx, rc.h2, rc.reportID, v.ID, cases.RedactionChange{Version: v.Version, AddValues: []string{"lageret"}})
		wantErr(t, "a stale version", err, cases.ErrConflict)
		// Bad input is refused and changes nothing.
		for name, ch := range map[string]cases.RedactionChange{
			"nothing":        {},
			"unknown":        {Redact: []string{"nosuchfinding"}},
			"area on text":   {AddAreas: []docredact.Area{{Page: 1, X: 0, Y: 0, W: .5, H: .5}}},
			"blank value":    {AddValues: []string{" \u200b "}},
			"two-line value": {AddValues: []string{"a\nb"}},
			"unknown value":  {RemoveValues: []string{"nosuchvalue"}},
		} {
			_, err := cs.UpdateRedaction(ctx, rc.h2, rc.reportID, v.ID, ch)
			wantErr(t, name, err, cases.ErrInvalidRedaction)
		}
		cur, err := cs.Redaction(ctx, rc.h2, rc.reportID, v.ID)
		if err != nil || cur.State != store.RedactionSubmitted || len(cur.Values) != 0 {
			t.Fatalf("refused changes changed the copy: %v %+v", err, cur)
		}

		v, err = cs.UpdateRedaction(ctx, rc.h2, rc.reportID, v.ID, cases.RedactionChange{Version: cur.Version, AddValues: []string{"lageret"}})
		if err != nil || v.State != store.RedactionDraft || v.SubmittedAt != nil || len(v.Values) != 1 {
			t.Fatalf("edit after submission: %v %+v", err, v)
		}
		if seen, err := cs.Redaction(ctx, rc.h1, rc.reportID, v.ID); err != nil ||
			strings.Contains(seen.Preview, "lageret") || !strings.Contains(seen.Preview, "slo en kollega") {
			t.Errorf("the manual value is not removed: %v %q", err, seen.Preview)
		}
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "an editor approving", err, cases.ErrFourEyes)
		_, err = cs.RejectRedaction(ctx, h3, rc.reportID, v.ID, " ")
		wantErr(t, "a rejection without a reason", err, cases.ErrRejectReason)
		v, err = cs.RejectRedaction(ctx, h3, rc.reportID, v.ID, "the workplace gives her away")
		if err != nil || v.State != store.RedactionRejected || v.Reason != "the workplace gives her away" {
			t.Fatalf("reject: %v %+v", err, v)
		}
		_, err = cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID)
		wantErr(t, "resubmitting a rejected copy unchanged", err, cases.ErrRedactionState)
		v, err = cs.UpdateRedaction(ctx, rc.h1, rc.reportID, v.ID, cases.RedactionChange{AddValues: []string{"kollega"}})
		if err != nil || v.State != store.RedactionDraft || v.Reason != "" {
			t.Fatalf("rework: %v %+v", err, v)
		}
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		if v, err = cs.ApproveRedaction(ctx, h3, rc.reportID, v.ID); err != nil || v.State != store.RedactionApproved {
			t.Fatalf("approval by the third handler: %v %+v", err, v)
		}
		want := []string{"draft", "submit", "edit", "submit", "reject", "edit", "submit", "approve"}
		if got := rc.journalActions(t); !slices.Equal(got, want) {
			t.Errorf("journal steps %v, want %v", got, want)
		}
	})
}

func TestDA2GateFailureBlocksApprovalAndTellsWhichChecksFailed(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		rc := newRedactionCase(t, db)
		ctx := context.Background()
		cs := rc.e.cases
		v := rc.start(t)
		// The name is confirmed by one finding but kept at the other: the
		// chosen spans do not cover a confirmed value.
		names := findingsOf(v, "Kari Nordmann")
		v, err := cs.UpdateRedaction(ctx, rc.h1, rc.reportID, v.ID, cases.RedactionChange{Redact: []string{names[0].ID}, Keep: []string{names[1].ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID)
		var gf *cases.GateFailure
		if !errors.As(err, &gf) || !slices.Contains(gf.Checks, "text") || gf.Leaks < 1 {
			t.Fatalf("approval with a leak: %v", err)
		}
		if strings.Contains(err.Error(), "Kari") {
			t.Errorf("the gate's error names the value: %v", err)
		}
		v, err = cs.Redaction(ctx, rc.h2, rc.reportID, v.ID)
		if err != nil || v.State != store.RedactionSubmitted || v.Output != nil || !slices.Contains(v.GateChecks, "text") {
			t.Fatalf("after the failed gate: %v %+v", err, v)
		}
		_, err = cs.ReleaseRedaction(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "releasing a copy that failed the gate", err, cases.ErrRedactionState)
		_, err = cs.OpenRedactedCopy(ctx, rc.h2, rc.reportID, v.ID)
		wantErr(t, "downloading a copy that failed the gate", err, cases.ErrRedactionState)
		if x, err := db.Redaction(ctx, tenant, rc.reportID, v.ID); err != nil || x.BlobKey != "" {
			t.Errorf("a copy that failed the gate has an output: %v %q", err, x.BlobKey)
		}
		// Covering the value clears the failure and the copy passes.
		v, err = cs.UpdateRedaction(ctx, rc.h1, rc.reportID, v.ID, cases.RedactionChange{Redact: []string{names[1].ID}})
		if err != nil || len(v.GateChecks) != 0 {
			t.Fatalf("cover: %v %+v", err, v)
		}
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		want := []string{"draft", "edit", "submit", "gate_failed", "edit", "submit", "approve"}
		if got := rc.journalActions(t); !slices.Equal(got, want) {
			t.Errorf("journal steps %v, want %v", got, want)
		}
		if got := rc.auditDetails(t); !slices.Equal(got, want) {
			t.Errorf("audit steps %v, want %v", got, want)
		}
	})
}

// requireEngine skips a test the document engine cannot run here (type
// not handled yet, or a tool missing), unless VARSEL_REQUIRE_REDACT_TOOLS=1.
func requireEngine(t *testing.T, err error) {
	t.Helper()
	if errors.Is(err, cases.ErrRedactionUnsupported) || errors.Is(err, cases.ErrRedactionTool) {
		if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
			t.Fatalf("the document engine cannot run: %v", err)
		}
		t.Skipf("document engine not available for this file: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A PNG with a manual area: the area is burnt in, nothing outside it
// changes, and the original stays as it was.
func TestDA2ImageCopyBurnsInManualAreas(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		h1 := e.staff(t, "preparer@example.org", org.DefaultChannel)
		h2 := e.staff(t, "reviewer@example.org", org.DefaultChannel)
		secret := color.RGBA{200, 30, 160, 255}
		img := image.NewRGBA(image.Rect(0, 0, 200, 100))
		for y := 0; y < 100; y++ {
			for x := 0; x < 200; x++ {
				c := color.RGBA{255, 255, 255, 255}
				if x >= 20 && x < 80 && y >= 20 && y < 40 {
					c = secret // stands for a face or a name on a photo
				}
				img.Set(x, y, c)
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		original := buf.Bytes()
		reportID, fileID := e.submitFile(t, "photo.png", "image/png", original)
		v, err := e.cases.CreateRedaction(ctx, h1, reportID, cases.RedactionStart{FileID: fileID})
		requireEngine(t, err)
		if v.PlainText || v.Pages != 1 {
			t.Fatalf("image copy: %+v", v)
		}
		if v, err = e.cases.UpdateRedaction(ctx, h1, reportID, v.ID, cases.RedactionChange{
			AddAreas: []docredact.Area{{Page: 1, X: .05, Y: .15, W: .40, H: .30}}}); err != nil {
			t.Fatal(err)
		}
		_, err = e.cases.UpdateRedaction(ctx, h1, reportID, v.ID, cases.RedactionChange{AddAreas: []docredact.Area{{Page: 2, X: 0, Y: 0, W: .1, H: .1}}})
		wantErr(t, "an area on a page the image lacks", err, cases.ErrInvalidRedaction)
		if _, err := e.cases.SubmitRedaction(ctx, h1, reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.cases.ApproveRedaction(ctx, h2, reportID, v.ID)
		requireEngine(t, err)
		if _, err := e.cases.ReleaseRedaction(ctx, h2, reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		f, err := e.cases.OpenRedactedCopy(ctx, h1, reportID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(f)
		f.Close()
		got, _, err := image.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("the copy is no image: %v", err)
		}
		b := got.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := got.At(x, y).RGBA()
				if r>>8 == 200 && g>>8 == 30 && bl>>8 == 160 {
					t.Fatalf("the covered colour is still at %d,%d", x, y)
				}
			}
		}
		if r, g, bl, _ := got.At(b.Min.X+150, b.Min.Y+80).RGBA(); r>>8 < 240 || g>>8 < 240 || bl>>8 < 240 {
			t.Errorf("outside the area the picture changed: %v", got.At(150, 80))
		}
		orig, err := e.cases.OpenFile(ctx, h1, reportID, fileID)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(orig)
		orig.Close()
		if !bytes.Equal(body, original) {
			t.Error("the original image changed")
		}
	})
}

// A copy does not outlive its original: purging the file (JR-4) removes
// its copies and frees their output blobs for deletion.
func TestDA2PurgingTheOriginalRemovesItsCopies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		rc := newRedactionCase(t, db)
		ctx := context.Background()
		cs := rc.e.cases
		v := rc.start(t)
		if _, err := cs.SubmitRedaction(ctx, rc.h1, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cs.ApproveRedaction(ctx, rc.h2, rc.reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		x, err := db.Redaction(ctx, tenant, rc.reportID, v.ID)
		if err != nil || x.BlobKey == "" {
			t.Fatalf("approved copy: %v %+v", err, x)
		}
		if ref, err := db.BlobReferenced(ctx, x.BlobKey); err != nil || !ref {
			t.Fatalf("the sweeper would delete an approved copy's output: %v %v", ref, err)
		}
		if err := cs.Purge(ctx, rc.h1, rc.reportID, nil, []string{rc.file}, "manifestly irrelevant"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Redaction(ctx, tenant, rc.reportID, v.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the copy outlived its purged original: %v", err)
		}
		if ref, err := db.BlobReferenced(ctx, x.BlobKey); err != nil || ref {
			t.Errorf("the copy's output is still referenced: %v %v", ref, err)
		}
		_, err = cs.Redaction(ctx, rc.h1, rc.reportID, v.ID)
		wantErr(t, "opening a purged copy", err, cases.ErrNotFound)
	})
}
