package docredact

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/scrub"
)

var confirmed = []string{testName, testFnr, testEmail, "Ola"}

func TestTextAnalyseFindsValuesAndRedactRemovesThem(t *testing.T) {
	ctx := context.Background()
	text := "Klager: " + testName + ", f.nr. " + testFnr + ", e-post " + testEmail + ".\nSaken gjelder arbeidsmiljøet.\n"
	a, err := Analyse(ctx, "note.txt", []byte(text), Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	if a.MediaType != "text/plain; charset=utf-8" || a.Pages != 1 {
		t.Fatalf("analysis = %s, %d pages", a.MediaType, a.Pages)
	}
	var types []string
	for _, f := range a.Findings {
		types = append(types, f.Type)
		if f.Source != "text" || f.Page != 1 || text[f.Start:f.End] != f.Text {
			t.Errorf("finding %+v does not point into the text", f)
		}
	}
	for _, want := range []string{"PERSON", "NO_FNR", "EMAIL"} {
		if !slices.Contains(types, want) {
			t.Errorf("no %s finding in %v", want, types)
		}
	}
	for _, cat := range []bool{false, true} {
		res, err := Redact(ctx, "note.txt", []byte(text), nil, Options{Persons: testPersons, Categories: cat, MinScore: 0.5})
		if err != nil {
			t.Fatal(err)
		}
		if err := Gate(ctx, res.Data, res.MediaType, confirmed); err != nil {
			t.Errorf("categories=%v: gate on redacted text: %v\n%s", cat, err, res.Data)
		}
		if !strings.Contains(string(res.Data), "arbeidsmiljøet") {
			t.Errorf("categories=%v: the rest of the text is gone: %s", cat, res.Data)
		}
	}
	if err := Gate(ctx, []byte(text), "text/plain", confirmed); gateErr(t, err).Leaks != 3 {
		t.Errorf("gate on the original: %v", err)
	}
}

func TestTextRedactRemovesExactlyTheReviewedFindings(t *testing.T) {
	ctx := context.Background()
	text := "Klager: " + testName + ", e-post " + testEmail + "."
	a, err := Analyse(ctx, "note.txt", []byte(text), Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	var kept []Finding
	for _, f := range a.Findings {
		if f.Type != "EMAIL" { // the handler decided the address may stay
			kept = append(kept, f)
		}
	}
	res, err := Redact(ctx, "note.txt", []byte(text), nil, Options{Reviewed: kept})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Data)
	if strings.Contains(out, testName) || !strings.Contains(out, testEmail) {
		t.Errorf("reviewed redaction = %q", out)
	}
	bad := []Finding{{Page: 1}}
	bad[0].Start, bad[0].End = 0, len(text)+5
	if _, err := Redact(ctx, "note.txt", []byte(text), nil, Options{Reviewed: bad}); !errors.Is(err, ErrBadArea) {
		t.Errorf("finding outside the text: err = %v, want ErrBadArea", err)
	}
}

func TestGateMatchesTolerantly(t *testing.T) {
	tests := []struct {
		name, text string
		leak       bool
	}{
		{"exact", "Klager er Kari Nordmann.", true},
		{"case and spacing", "KARI   nordmann", true},
		{"spelling variant", "Søren Ås", false},
		{"ID with space", "fnr 020132 99997", true},
		{"ID with dots and dashes", "020-132.999–97", true},
		{"ID in full-width digits", "０２０１３２９９９９７", true},
		{"letter-spaced name", "K a r i  N o r d m a n n", true},
		{"other person", "Klager er Kari Hansen.", false},
		{"longer word holding the name errs towards caution", "Kari Nordmannsen", true},
		{"short name inside a word is no leak", "Olavsen", false},
		{"nothing", "Saken gjelder arbeidsmiljøet.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Gate(context.Background(), []byte(tt.text), "text/plain; charset=utf-8", confirmed)
			if got := err != nil; got != tt.leak {
				t.Errorf("leak = %v (%v), want %v", got, err, tt.leak)
			}
		})
	}
	if err := Gate(context.Background(), []byte("Søren Ås"), "text/plain", []string{"Soeren Aas"}); err == nil {
		t.Error("a spelling variant (ø/oe, å/aa) of a confirmed value passed the gate")
	}
}

func TestGateErrorNamesChecksNotValues(t *testing.T) {
	err := Gate(context.Background(), []byte("Kari Nordmann"), "text/plain", confirmed)
	ge := gateErr(t, err)
	if ge.Leaks != 1 || !slices.Equal(ge.Checks, []string{"text"}) {
		t.Errorf("gate error = %+v", ge)
	}
	if strings.Contains(strings.ToLower(err.Error()), "kari") {
		t.Errorf("the gate error quotes a value: %v", err)
	}
}

func TestRedactRefusesAreasOutsideThePage(t *testing.T) {
	data := (&testPDF{pages: []string{textLine(72, 700, "x")}}).bytes()
	for _, a := range []Area{
		{Page: 0, X: 0.1, Y: 0.1, W: 0.1, H: 0.1},
		{Page: 1, X: 0.95, Y: 0.1, W: 0.1, H: 0.1},
		{Page: 1, X: -0.1, Y: 0.1, W: 0.1, H: 0.1},
		{Page: 1, X: 0.1, Y: 0.1, W: 0, H: 0.1},
	} {
		if _, err := Redact(context.Background(), "a.pdf", data, []Area{a}, Options{}); !errors.Is(err, ErrBadArea) {
			t.Errorf("area %+v: err = %v, want ErrBadArea", a, err)
		}
	}
}

func TestAnalyseRefusesUnknownAndOversizedFiles(t *testing.T) {
	if _, err := Analyse(context.Background(), "x.bin", []byte{0, 1, 2, 0xff}, Options{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("binary: err = %v, want ErrUnsupported", err)
	}
	small := DefaultTools
	small.MaxInput = 10
	if _, err := Analyse(context.Background(), "x.txt", []byte("more than ten bytes"), Options{Tools: &small}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("large: err = %v, want ErrTooLarge", err)
	}
}

// renderTestPage renders a one-page test PDF to an image with pdftoppm.
func renderTestPage(t *testing.T, content string) image.Image {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pdf")
	os.WriteFile(in, (&testPDF{pages: []string{content}}).bytes(), 0o600)
	if out, err := exec.Command("pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", in, filepath.Join(dir, "p")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "p.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rotateLeft turns img 90° counter-clockwise, so that EXIF orientation 6
// (rotate 90° clockwise to display) shows it upright again.
func rotateLeft(img image.Image) image.Image {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			out.Set(y, b.Dx()-1-x, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return out
}

// jpegWithEXIF encodes img as JPEG with an APP1 EXIF segment holding an
// orientation and an artist (the photographer's name, metadata to drop).
func jpegWithEXIF(t *testing.T, img image.Image, orientation uint16, artist string) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	var tiff bytes.Buffer
	tiff.WriteString("MM\x00\x2a\x00\x00\x00\x08")
	be := binary.BigEndian
	binary.Write(&tiff, be, uint16(2))
	// 0x0112 Orientation SHORT 1
	binary.Write(&tiff, be, []uint16{0x0112, 3})
	binary.Write(&tiff, be, uint32(1))
	binary.Write(&tiff, be, []uint16{orientation, 0})
	// 0x013B Artist ASCII, value after the IFD
	a := artist + "\x00"
	binary.Write(&tiff, be, []uint16{0x013B, 2})
	binary.Write(&tiff, be, uint32(len(a)))
	binary.Write(&tiff, be, uint32(8+2+2*12+4))
	binary.Write(&tiff, be, uint32(0))
	tiff.WriteString(a)
	app1 := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	seg := []byte{0xFF, 0xE1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out := append([]byte{}, buf.Bytes()[:2]...)
	out = append(out, seg...)
	out = append(out, app1...)
	return append(out, buf.Bytes()[2:]...)
}

func TestImageOrientationIsAppliedBeforeOCRAndBoxesAndMetadataIsDropped(t *testing.T) {
	requireTools(t, "pdftoppm", "tesseract")
	ctx := testCtx(t)
	page := renderTestPage(t, textLine(72, 700, "Klager: "+testName)+textLine(72, 660, "Fnr. "+testFnr)+textLine(72, 620, "Saken gjelder arbeidsmiljoet."))
	data := jpegWithEXIF(t, rotateLeft(page), 6, "Ola Fotograf")
	if rep, err := scrub.Inspect(bytes.NewReader(data), int64(len(data)), scrub.KindJPEG); err != nil || !rep.Has(scrub.FieldOrientation) {
		t.Fatalf("test image lacks its EXIF orientation: %+v %v", rep, err)
	}

	a, err := Analyse(ctx, "photo.jpg", data, Options{Persons: testPersons})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, f := range a.Findings {
		types = append(types, f.Type)
		if f.Source != "ocr" || len(f.Areas) == 0 {
			t.Errorf("finding %s from %q with %d areas", f.Type, f.Source, len(f.Areas))
		}
		for _, ar := range f.Areas {
			// Upright, the text is near the top of a portrait page; in the
			// stored (rotated) pixels it would be near the left edge.
			if ar.Y > 0.3 || ar.W < ar.H {
				t.Errorf("area %+v is not where the upright page shows the text", ar)
			}
		}
	}
	if !slices.Contains(types, "PERSON") || !slices.Contains(types, "NO_FNR") {
		t.Fatalf("OCR findings %v, want PERSON and NO_FNR", types)
	}
	if err := Gate(ctx, data, "image/jpeg", confirmed); err == nil {
		t.Fatal("gate passed the original photo")
	} else if ge := gateErr(t, err); !slices.Contains(ge.Checks, "ocr") || !slices.Contains(ge.Checks, "structure: device owner") && !slices.Contains(ge.Checks, "structure: author") {
		t.Errorf("gate on the original: %+v", ge)
	}

	res, err := Redact(ctx, "photo.jpg", data, allAreas(a), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != "image/png" || res.Pages != 1 {
		t.Errorf("result %s, %d pages", res.MediaType, res.Pages)
	}
	out, err := png.Decode(bytes.NewReader(res.Data))
	if err != nil {
		t.Fatal(err)
	}
	if b := out.Bounds(); b.Dx() != page.Bounds().Dx() || b.Dy() != page.Bounds().Dy() {
		t.Errorf("output is %v, want the upright %v", b, page.Bounds())
	}
	if bytes.Contains(res.Data, []byte("Fotograf")) {
		t.Error("the artist survived")
	}
	if err := Gate(ctx, res.Data, res.MediaType, append(confirmed, "Ola Fotograf")); err != nil {
		t.Errorf("gate on the redacted image: %v", err)
	}
}

func TestImageRedactBurnsOpaqueBoxesOverTransparentPixels(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 100, 50))
	for i := range img.Pix {
		img.Pix[i] = 0 // transparent black: what would show under a box?
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	res, err := Redact(context.Background(), "a.png", buf.Bytes(), []Area{{Page: 1, X: 0.5, Y: 0.5, W: 0.2, H: 0.2}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := png.Decode(bytes.NewReader(res.Data))
	if c := color.NRGBAModel.Convert(out.At(10, 10)).(color.NRGBA); c != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("transparent pixel became %v, want opaque white", c)
	}
	if c := color.NRGBAModel.Convert(out.At(60, 30)).(color.NRGBA); c != (color.NRGBA{0, 0, 0, 255}) {
		t.Errorf("box pixel is %v, want opaque black", c)
	}
	if _, err := Redact(context.Background(), "a.png", buf.Bytes(), []Area{{Page: 2, X: 0.5, Y: 0.5, W: 0.2, H: 0.2}}, Options{}); !errors.Is(err, ErrBadArea) {
		t.Errorf("area on page 2 of an image: err = %v", err)
	}
}
