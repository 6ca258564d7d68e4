package docredact

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"testing"
)

// benchPDF is a 10-page letter-size PDF with 30 lines of text a page, a
// name and an ID number on each.
func benchPDF() []byte {
	p := &testPDF{compress: true}
	for i := 0; i < 10; i++ {
		var c string
		for l := 0; l < 30; l++ {
			line := fmt.Sprintf("Linje %d: saken gjelder arbeidsmiljoet ved avdelingen i tredje etasje.", l)
			if l%10 == 3 {
				line = "Klager: " + testName + ", f.nr. " + testFnr
			}
			c += textLine(60, 740-22*l, line)
		}
		p.pages = append(p.pages, c)
	}
	return p.bytes()
}

// reportPeaks adds the largest peak RSS of any tool run and Go's own heap
// peak as metrics.
func reportPeaks(b *testing.B) {
	b.ReportMetric(float64(PeakToolUsage().MaxRSS)/(1<<20), "tool-peak-MiB")
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	b.ReportMetric(float64(s[0].Value.Uint64())/(1<<20), "go-total-MiB")
}

func benchmarkRedactPDF(b *testing.B, ocr bool) {
	requireTools(b, "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	data := benchPDF()
	ctx := context.Background()
	a, err := Analyse(ctx, "b.pdf", data, Options{Persons: testPersons})
	if err != nil {
		b.Fatal(err)
	}
	areas := allAreas(a)
	runtime.GC()
	ResetToolUsage()
	b.ResetTimer()
	pages := 0
	for b.Loop() {
		res, err := Redact(ctx, "b.pdf", data, areas, Options{OCR: ocr})
		if err != nil {
			b.Fatal(err)
		}
		pages += res.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	reportPeaks(b)
}

// BenchmarkRedactPDF: render, burn and rebuild, 10 pages at 150 dpi.
func BenchmarkRedactPDF(b *testing.B) { benchmarkRedactPDF(b, false) }

// BenchmarkRedactPDFWithOCRLayer: the same at 200 dpi with tesseract
// (eng+nor+dan+swe+fin) recognising every redacted page.
func BenchmarkRedactPDFWithOCRLayer(b *testing.B) { benchmarkRedactPDF(b, true) }

// BenchmarkAnalysePDF: pdfinfo, pdftotext -bbox-layout, detection and
// mapping to boxes, 10 pages, without OCR.
func BenchmarkAnalysePDF(b *testing.B) {
	requireTools(b, "pdftotext", "pdfinfo")
	data := benchPDF()
	ResetToolUsage()
	pages := 0
	for b.Loop() {
		a, err := Analyse(context.Background(), "b.pdf", data, Options{Persons: testPersons})
		if err != nil {
			b.Fatal(err)
		}
		pages += a.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	reportPeaks(b)
}

// BenchmarkGatePDF: the release gate on a 10-page redacted copy
// (structure and byte scan, text extraction, OCR of every page).
func BenchmarkGatePDF(b *testing.B) {
	requireTools(b, "pdftoppm", "pdftotext", "pdfinfo", "tesseract")
	ctx := context.Background()
	data := benchPDF()
	a, _ := Analyse(ctx, "b.pdf", data, Options{Persons: testPersons})
	res, err := Redact(ctx, "b.pdf", data, allAreas(a), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ResetToolUsage()
	pages := 0
	for b.Loop() {
		if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
			b.Fatal(err)
		}
		pages += res.Pages
	}
	b.ReportMetric(float64(pages)/b.Elapsed().Seconds(), "pages/s")
	reportPeaks(b)
}
