package cases_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/officetest"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DA-2 review pages of an anonymised copy of an office file: the PDF the
// source was converted to is kept, sealed, so that page previews do not
// run LibreOffice again (redaction_conversion.go).

const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// officePages is n pages of ordinary text, the first line of each page
// carrying mark and the page number, so that a page and its content can be
// recognised in a preview and searched for at rest.
func officePages(n int, mark string) [][]string {
	out := make([][]string, n)
	for p := range out {
		out[p] = []string{fmt.Sprintf("%s side %d", mark, p+1)}
		for l := 0; l < 12; l++ {
			out[p] = append(out[p], fmt.Sprintf("Linje %d: saken gjelder arbeidsmiljoet ved avdelingen i tredje etasje.", l+1))
		}
	}
	return out
}

// requireOfficeTools skips a test that needs LibreOffice and poppler,
// unless VARSEL_REQUIRE_REDACT_TOOLS=1.
func requireOfficeTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"soffice", "pdfinfo", "pdftoppm", "pdftotext", "tesseract"} {
		if !docredact.HaveTool(tool) {
			if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
				t.Fatalf("%s is not installed and VARSEL_REQUIRE_REDACT_TOOLS=1", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// sourceOf reads a case file as the service stores it.
func sourceOf(t *testing.T, e *env, st *accounts.Staff, reportID, fileID string) []byte {
	t.Helper()
	f, err := e.cases.OpenFile(context.Background(), st, reportID, fileID)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// burnt lists the areas a copy burns in: those of findings marked redact
// and the manual ones.
func burnt(v cases.RedactionView) []docredact.Area {
	var out []docredact.Area
	for _, f := range v.Findings {
		if f.Redact {
			out = append(out, f.Areas...)
		}
	}
	for _, a := range v.Areas {
		out = append(out, a.Area)
	}
	return out
}

func TestDA2OfficePagePreviewsRenderFromTheKeptConversionWithoutConvertingAgain(t *testing.T) {
	requireOfficeTools(t)
	// LibreOffice costs seconds a run, and nothing here depends on the
	// engine: the conversion's SQL runs on both in internal/store
	// (TestRedactionConversionIsSetOnceClearedByItsKeyAndGoesWithTheCase).
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	ctx := context.Background()
	cs := e.cases
	h1 := e.staff(t, "preparer@example.org", org.DefaultChannel)
	reportID, fileID := e.submitFile(t, "klage.docx", docxType, officetest.DOCX(officePages(3, "Klage")...))

	// The analysis converts once and keeps its conversion.
	before := docredact.OfficeConversions()
	v, err := cs.CreateRedaction(ctx, h1, reportID, cases.RedactionStart{FileID: fileID})
	requireEngine(t, err)
	if n := docredact.OfficeConversions() - before; n != 1 || v.Pages != 3 {
		t.Fatalf("the draft of a 3-page DOCX has %d pages and converted %d times, want 1", v.Pages, n)
	}
	x, err := db.Redaction(ctx, tenant, reportID, v.ID)
	if err != nil || x.ConversionKey == "" || len(x.Conversion) == 0 {
		t.Fatalf("no kept conversion: %v %q", err, x.ConversionKey)
	}
	if ref, err := db.BlobReferenced(ctx, x.ConversionKey); err != nil || !ref {
		t.Fatalf("the sweeper would delete the kept conversion: %v %v", ref, err)
	}
	if v, err = cs.UpdateRedaction(ctx, h1, reportID, v.ID, cases.RedactionChange{
		AddAreas: []docredact.Area{{Page: 2, X: .1, Y: .1, W: .5, H: .05}}}); err != nil {
		t.Fatal(err)
	}

	// Every page, shown twice, without converting again.
	before = docredact.OfficeConversions()
	shown := map[int][]byte{}
	for range 2 {
		for page := 1; page <= 3; page++ {
			p, err := cs.RedactionPagePreview(ctx, h1, reportID, v.ID, page, true)
			if err != nil {
				t.Fatalf("page %d: %v", page, err)
			}
			if p.Page != page || p.Pages != 3 {
				t.Errorf("page %d: preview of page %d of %d", page, p.Page, p.Pages)
			}
			shown[page] = p.PNG
		}
	}
	if n := docredact.OfficeConversions() - before; n != 0 {
		t.Errorf("six previews converted the source %d times, want 0", n)
	}

	// The pixels are those of a preview that converts the source.
	src := sourceOf(t, e, h1, reportID, fileID)
	direct, err := docredact.PreviewPage(ctx, src, 2, burnt(v), docredact.PreviewOptions{Grid: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(direct.PNG, shown[2]) {
		t.Error("page 2 from the kept conversion differs from page 2 of a fresh conversion")
	}

	// A copy without a kept conversion (made before they were kept,
	// or whose conversion is gone) converts at its first previews,
	// once for all of them at the same time, and keeps it.
	if err := db.ClearRedactionConversion(ctx, tenant, reportID, v.ID, x.ConversionKey); err != nil {
		t.Fatal(err)
	}
	if err := e.blobs.Delete(ctx, x.ConversionKey); err != nil {
		t.Fatal(err)
	}
	before = docredact.OfficeConversions()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			p, err := cs.RedactionPagePreview(ctx, h1, reportID, v.ID, 1+i%3, true)
			if err == nil && i%3 == 1 && !bytes.Equal(p.PNG, shown[2]) {
				err = errors.New("page 2 differs from the earlier preview")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RedactionPagePreview(ctx, h1, reportID, v.ID, 3, false); err != nil {
		t.Fatal(err)
	}
	if n := docredact.OfficeConversions() - before; n != 1 {
		t.Errorf("five previews of a copy without a kept conversion converted %d times, want 1", n)
	}
	x2, err := db.Redaction(ctx, tenant, reportID, v.ID)
	if err != nil || x2.ConversionKey == "" || x2.ConversionKey == x.ConversionKey {
		t.Fatalf("the new conversion is not kept: %v %q", err, x2.ConversionKey)
	}

	// A kept conversion serves only the bytes it was made from: other
	// bytes are converted and replace it, and the source's own
	// bytes are then converted again.
	other := officetest.DOCX(officePages(1, "Annet")...)
	before = docredact.OfficeConversions()
	pdf, err := cs.ConvertedSourceOf(ctx, h1, reportID, v.ID, other)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := docredact.PreviewConvertedPage(ctx, pdf, 1, nil, docredact.PreviewOptions{}); err != nil || p.Pages != 1 {
		t.Fatalf("the conversion of other bytes: %v", err)
	}
	x3, err := db.Redaction(ctx, tenant, reportID, v.ID)
	if err != nil || x3.ConversionKey == "" || x3.ConversionKey == x2.ConversionKey {
		t.Fatalf("the conversion of other bytes did not replace the kept one: %v", err)
	}
	if _, err := e.blobs.Open(ctx, x2.ConversionKey); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the replaced conversion's blob is still there: %v", err)
	}
	p, err := cs.RedactionPagePreview(ctx, h1, reportID, v.ID, 3, true)
	if err != nil || p.Pages != 3 || !bytes.Equal(p.PNG, shown[3]) {
		t.Fatalf("page 3 after the conversion of other bytes: %v", err)
	}
	if n := docredact.OfficeConversions() - before; n != 2 {
		t.Errorf("%d conversions, want 2 (the other bytes, then the source again)", n)
	}

	// Purging the source (JR-4) takes the kept conversion with the copy.
	x4, err := db.Redaction(ctx, tenant, reportID, v.ID)
	if err != nil || x4.ConversionKey == "" {
		t.Fatalf("no kept conversion before the purge: %v", err)
	}
	if err := cs.Purge(ctx, h1, reportID, nil, []string{fileID}, "manifestly irrelevant"); err != nil {
		t.Fatal(err)
	}
	if ref, err := db.BlobReferenced(ctx, x4.ConversionKey); err != nil || ref {
		t.Errorf("the kept conversion of a purged source is still referenced: %v %v", ref, err)
	}
}

// The kept conversion is ciphertext like every other blob: no text of the
// document, no PDF, in any blob or database value; it is in no export;
// approval drops it; and shredding the case (retention) leaves no blob.
func TestDA2KeptConversionIsCiphertextInNoExportAndGoesWithTheCase(t *testing.T) {
	requireOfficeTools(t)
	// LibreOffice costs seconds a run, and nothing here depends on the
	// engine: the conversion's SQL runs on both in internal/store
	// (TestRedactionConversionIsSetOnceClearedByItsKeyAndGoesWithTheCase).
	db := storetest.Open(t, store.SQLite)
	e := newEnv(t, db)
	ctx := context.Background()
	cs := e.cases
	h1 := e.staff(t, "preparer@example.org", org.DefaultChannel)
	h2 := e.staff(t, "reviewer@example.org", org.DefaultChannel)
	var rnd [6]byte
	rand.Read(rnd[:])
	mark := "MARKconv" + hex.EncodeToString(rnd[:])
	reportID, fileID := e.submitFile(t, "klage.docx", docxType, officetest.DOCX(officePages(2, mark)...))
	approved, err := cs.CreateRedaction(ctx, h1, reportID, cases.RedactionStart{FileID: fileID})
	requireEngine(t, err)
	draft, err := cs.CreateRedaction(ctx, h1, reportID, cases.RedactionStart{FileID: fileID})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{approved.ID, draft.ID} {
		if _, err := cs.RedactionPagePreview(ctx, h1, reportID, id, 2, true); err != nil {
			t.Fatal(err)
		}
	}
	kept := map[string]string{}
	for _, id := range []string{approved.ID, draft.ID} {
		x, err := db.Redaction(ctx, tenant, reportID, id)
		if err != nil || x.ConversionKey == "" {
			t.Fatalf("no kept conversion: %v", err)
		}
		kept[id] = x.ConversionKey
	}

	// At rest: every blob is an age stream, none holds the document's
	// text or a PDF, and neither does any database value.
	src := sourceOf(t, e, h1, reportID, fileID)
	pdf, err := docredact.ConvertOffice(ctx, src, docredact.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clear := [][]byte{[]byte(mark), []byte("%PDF-"), pdf[len(pdf)/2 : len(pdf)/2+64]}
	stored := map[string][]byte{}
	seen := map[string]bool{}
	if err := e.blobs.Walk(ctx, func(key string, _ time.Time) error {
		r, err := e.blobs.Open(ctx, key)
		if err != nil {
			return err
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) {
			t.Errorf("blob %s is not an age stream", key)
		}
		stored["blob "+key], seen[key] = b, true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, key := range kept {
		if !seen[key] {
			t.Errorf("the kept conversion %s is not in the blob store", key)
		}
	}
	for _, p := range storetest.SQLiteFiles(db) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		stored[p] = b
	}
	if db.Dialect() == store.Postgres {
		var rows bytes.Buffer
		if err := db.EachStoredValue(ctx, func(_ string, v []byte) { rows.Write(v); rows.WriteByte(0) }); err != nil {
			t.Fatal(err)
		}
		stored["postgres rows"] = rows.Bytes()
	}
	for place, b := range stored {
		for _, c := range clear {
			if bytes.Contains(b, c) {
				t.Errorf("%s holds %.20q in clear", place, c)
			}
		}
	}

	// No export holds it: the zip has the case and the original file.
	x, err := cs.Export(ctx, h1, reportID)
	if err != nil {
		t.Fatal(err)
	}
	var zbuf bytes.Buffer
	if err := x.WriteZip(ctx, &zbuf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name != "case.pdf" && f.Name != "files/klage.docx" {
			t.Errorf("the export holds %s", f.Name)
		}
	}

	// Approval drops the kept conversion: previews come from the output.
	if _, err := cs.SubmitRedaction(ctx, h1, reportID, approved.ID); err != nil {
		t.Fatal(err)
	}
	_, err = cs.ApproveRedaction(ctx, h2, reportID, approved.ID)
	requireEngine(t, err)
	if x, err := db.Redaction(ctx, tenant, reportID, approved.ID); err != nil || x.ConversionKey != "" || x.Conversion != nil {
		t.Errorf("the approved copy keeps its conversion: %v %q", err, x.ConversionKey)
	}
	if _, err := e.blobs.Open(ctx, kept[approved.ID]); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the approved copy's conversion blob is still there: %v", err)
	}
	if _, err := cs.RedactionPagePreview(ctx, h1, reportID, approved.ID, 1, true); err != nil {
		t.Fatal(err)
	}

	// Shredding the case removes every blob: the file, the output and
	// the draft's kept conversion.
	blobs := e.shred(t, reportID)
	retention.DeleteBlobs(ctx, e.blobs, slog.New(slog.DiscardHandler), blobs)
	if ref, err := db.BlobReferenced(ctx, kept[draft.ID]); err != nil || ref {
		t.Errorf("the draft's kept conversion is still referenced: %v %v", ref, err)
	}
	left := 0
	if err := e.blobs.Walk(ctx, func(string, time.Time) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d blobs left after the case was shredded", left)
	}
}
