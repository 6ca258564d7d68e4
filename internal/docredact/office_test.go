package docredact

import (
	"slices"
	"testing"

	"github.com/varsel/varsel/internal/officetest"
)

// One LibreOffice start costs seconds, so office handling has one test
// that goes the whole way: convert, analyse, redact, gate.
func TestOfficeFileIsConvertedAnalysedRedactedAndPassesTheGate(t *testing.T) {
	requireTools(t, "soffice", "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	ctx := testCtx(t)
	data := officetest.DOCX([]string{"Klager: " + testName, "Fødselsnummer " + testFnr, "Saken gjelder arbeidsmiljøet."})
	a, err := Analyse(ctx, "klage.docx", data, Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	if a.MediaType != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" || a.Pages != 1 {
		t.Errorf("analysis: %s, %d pages", a.MediaType, a.Pages)
	}
	var types []string
	for _, f := range a.Findings {
		types = append(types, f.Type)
	}
	if !slices.Contains(types, "PERSON") || !slices.Contains(types, "NO_FNR") {
		t.Fatalf("findings %v, want PERSON and NO_FNR", types)
	}
	res, err := Redact(ctx, "klage.docx", data, allAreas(a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != "application/pdf" {
		t.Errorf("output %s, want a PDF", res.MediaType)
	}
	if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
		t.Errorf("gate: %v", err)
	}
}
