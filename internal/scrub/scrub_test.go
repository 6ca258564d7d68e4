package scrub

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
)

func inspectBytes(t *testing.T, b []byte, k Kind) Report {
	t.Helper()
	rep, err := Inspect(bytes.NewReader(b), int64(len(b)), k)
	if err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	return rep
}

func stripBytes(t *testing.T, b []byte, k Kind) ([]byte, Result) {
	t.Helper()
	var out bytes.Buffer
	res, err := Strip(&out, bytes.NewReader(b), int64(len(b)), k)
	if err != nil {
		t.Fatalf("Strip: %v", err)
	}
	return out.Bytes(), res
}

func wantFields(t *testing.T, rep Report, want map[string]string) {
	t.Helper()
	for name, sub := range want {
		found := false
		for _, f := range rep.Fields {
			if f.Name == name && strings.Contains(f.Value, sub) {
				found = true
			}
		}
		if !found {
			t.Errorf("report lacks %s containing %q; got %v", name, sub, rep.Fields)
		}
	}
}

func TestSniff(t *testing.T) {
	cases := map[Kind][]byte{
		KindJPEG: {0xFF, 0xD8, 0xFF, 0xE0},
		KindPNG:  []byte("\x89PNG\r\n\x1a\n...."),
		KindGIF:  []byte("GIF89a"),
		KindWebP: []byte("RIFF\x00\x00\x00\x00WEBPVP8 "),
		KindTIFF: []byte("II*\x00\x08\x00\x00\x00"),
		KindPDF:  []byte("%PDF-1.7\n"),
		KindDOCX: docxFixture(t),
		KindODT:  odtFixture(t),
		KindXLSX: buildZip(t, []zipEntry{{"[Content_Types].xml", "<Types/>"}, {"xl/workbook.xml", "<w/>"}}, false),
		KindPPTX: buildZip(t, []zipEntry{{"[Content_Types].xml", "<Types/>"}, {"ppt/presentation.xml", "<p/>"}}, false),
		KindODS:  buildZip(t, []zipEntry{{"mimetype", "application/vnd.oasis.opendocument.spreadsheet"}}, true),
		KindODP:  buildZip(t, []zipEntry{{"mimetype", "application/vnd.oasis.opendocument.presentation"}}, true),
	}
	for want, b := range cases {
		if got := Sniff(b); got != want {
			t.Errorf("Sniff(%s fixture) = %s", want, got)
		}
		if got := Detect(bytes.NewReader(b), int64(len(b))); got != want {
			t.Errorf("Detect(%s fixture) = %s", want, got)
		}
	}
	for _, b := range [][]byte{nil, []byte("hello"), []byte("PK\x03\x04"), buildZip(t, []zipEntry{{"a.txt", "x"}}, false)} {
		if got := Sniff(b); got != KindOther {
			t.Errorf("Sniff(%q) = %s, want other", b, got)
		}
	}
	if k := Sniff([]byte("%PDF-1.4")); k.Strippable() {
		t.Error("PDF must not be strippable here")
	}
}

func TestExifOrientation(t *testing.T) {
	for o := uint16(1); o <= 8; o++ {
		if got := exifOrientation(append([]byte("Exif\x00\x00"), exifFixture(o)...)); got != int(o) {
			t.Errorf("orientation %d read as %d", o, got)
		}
	}
	// Big-endian, orientation only.
	be := []byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00")
	if got := exifOrientation(be); got != 8 {
		t.Errorf("big-endian orientation = %d, want 8", got)
	}
	for _, bad := range [][]byte{nil, []byte("Exif\x00\x00"), []byte("Exif\x00\x00II*\x00\xff\xff\xff\xff"), []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff")} {
		if got := exifOrientation(bad); got != 0 {
			t.Errorf("exifOrientation(%q) = %d", bad, got)
		}
	}
}

func TestJPEGInspectAndStrip(t *testing.T) {
	in := jpegFixture(t)
	rep := inspectBytes(t, in, KindJPEG)
	wantFields(t, rep, map[string]string{
		FieldMake: "AcmeCam", FieldModel: "Snapper 3000", FieldSoftware: "SnapOS", FieldAuthor: "Ola Nordmann",
		FieldSerial: "SN-998877", FieldGPS: "59.9139", FieldTaken: "2024:05:17", FieldThumbnail: "EXIF",
		FieldXMP: "present", FieldIPTC: "present", FieldComment: "secret comment", FieldTrailingData: "15 bytes",
		FieldOrientation: "6",
	})
	if !strings.Contains(rep.Fields[len(rep.Fields)-1].Value, "bytes") && !rep.Has(FieldTrailingData) {
		t.Error("no trailing data")
	}
	out, res := stripBytes(t, in, KindJPEG)
	if res.Kind != KindJPEG {
		t.Errorf("output kind %s", res.Kind)
	}
	for _, s := range []string{"Exif", "AcmeCam", "Ola", "secret", "TRAILING", "xmpmeta", "Photoshop"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("output still contains %q", s)
		}
	}
	if rep := inspectBytes(t, out, KindJPEG); len(rep.Fields) != 0 {
		t.Errorf("stripped JPEG still reveals %v", rep.Fields)
	}
	img, err := jpeg.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checkRotated(t, img)
	if len(res.Removed) == 0 {
		t.Error("Result.Removed is empty")
	}
}

// checkRotated: the 32×16 source with a red top-left block, rotated 90°
// clockwise (orientation 6), is 16×32 with the red block top-right.
func checkRotated(t *testing.T, img image.Image) {
	t.Helper()
	if b := img.Bounds(); b.Dx() != 16 || b.Dy() != 32 {
		t.Fatalf("rotated size %v, want 16×32", b)
	}
	isRed := func(c color.Color) bool {
		r, g, b, _ := c.RGBA()
		return r > 0xC000 && g < 0x4000 && b < 0x4000
	}
	if !isRed(img.At(12, 4)) {
		t.Errorf("pixel (12,4) = %v, want red", img.At(12, 4))
	}
	if isRed(img.At(4, 4)) || isRed(img.At(12, 28)) {
		t.Error("red block in the wrong corner")
	}
}

func TestOrientAll(t *testing.T) {
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	// Number the pixels: value = 10*y + x + 1 in the red channel.
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			src.SetNRGBA(x, y, color.NRGBA{uint8(10*y + x + 1), 0, 0, 255})
		}
	}
	// Where the stored top-left pixel (1) lands on display.
	want := map[int][2]int{1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 2}, 8: {0, 2}}
	for o, p := range want {
		got := orient(src, o)
		b := got.Bounds()
		if o >= 5 && (b.Dx() != 2 || b.Dy() != 3) || o < 5 && (b.Dx() != 3 || b.Dy() != 2) {
			t.Errorf("orientation %d: size %v", o, b)
			continue
		}
		if r, _, _, _ := got.At(p[0], p[1]).RGBA(); r>>8 != 1 {
			t.Errorf("orientation %d: pixel 1 not at %v", o, p)
		}
	}
	// YCbCr goes through RGBA.
	ycc := image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	if b := orient(ycc, 6).Bounds(); b.Dx() != 2 || b.Dy() != 4 {
		t.Errorf("YCbCr orientation 6: %v", b)
	}
}

func TestPNGInspectAndStrip(t *testing.T) {
	in := pngFixture(t)
	rep := inspectBytes(t, in, KindPNG)
	wantFields(t, rep, map[string]string{
		FieldAuthor: "Ola Nordmann", FieldSoftware: "Paint 7", FieldComment: "compressed secret",
		FieldXMP: "present", FieldMake: "AcmeCam", FieldGPS: "10.752", FieldModified: "2024-05-17",
	})
	out, _ := stripBytes(t, in, KindPNG)
	cs, _, err := pngChunks(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		switch c.typ {
		case "IHDR", "IDAT", "IEND", "PLTE", "tRNS":
		default:
			t.Errorf("chunk %s left", c.typ)
		}
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checkRotated(t, img)
}

func TestImageBombRefused(t *testing.T) {
	// A PNG header claiming 20000×20000 pixels, with no data behind it.
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, 20000)
	binary.BigEndian.PutUint32(ihdr[4:], 20000)
	ihdr[8], ihdr[9] = 8, 6
	b := append([]byte("\x89PNG\r\n\x1a\n"), mkChunk("IHDR", ihdr)...)
	_, err := Strip(io.Discard, bytes.NewReader(b), int64(len(b)), KindPNG)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "megapixels") {
		t.Errorf("err = %v, want ErrTooLarge with a clear message", err)
	}
}

func TestUnsupported(t *testing.T) {
	for _, k := range []Kind{KindPDF, KindOther} {
		if _, err := Strip(io.Discard, bytes.NewReader(nil), 0, k); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: err = %v", k, err)
		}
	}
	pdf := []byte("%PDF-1.4\n1 0 obj << /Author (Ola \\(N\\)) /Producer <FEFF004100420043> /CreationDate (D:20240517) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n2 0 obj << >> endobj\n%%EOF\n")
	rep := inspectBytes(t, pdf, KindPDF)
	wantFields(t, rep, map[string]string{FieldAuthor: "Ola (N)", FieldSoftware: "ABC", FieldCreated: "D:2024", FieldRevisions: "2"})
}

func readZip(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, f := range zr.File {
		if f.Modified.Year() > 1980 {
			t.Errorf("%s keeps timestamp %v", f.Name, f.Modified)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		m[f.Name] = string(body)
		if strings.HasSuffix(f.Name, ".xml") || strings.HasSuffix(f.Name, ".rels") {
			if err := walkXML(bytes.NewReader(body), func(xml.Token, *xml.Decoder) {}); err != nil {
				t.Errorf("%s is not well-formed: %v", f.Name, err)
			}
		}
	}
	return m
}

func TestDOCXInspectAndStrip(t *testing.T) {
	in := docxFixture(t)
	rep := inspectBytes(t, in, KindDOCX)
	wantFields(t, rep, map[string]string{
		FieldAuthor: "Ola Nordmann", FieldLastModifiedBy: "Kari Nordmann", FieldCreated: "2024-05-17",
		FieldCompany: "Acme Fisk", FieldManager: "Per Sjef", FieldTemplate: "Normal.dotm",
		FieldComments: "1 (by Ola Nordmann)", FieldTrackedChanges: "2 (by Ola Nordmann)",
		FieldThumbnail: "docProps/thumbnail.jpeg", FieldCustomProps: "EmployeeID", FieldPeople: "Ola",
		FieldGPS: "(in word/media/image1.jpeg)",
	})
	out, res := stripBytes(t, in, KindDOCX)
	files := readZip(t, out)
	for _, gone := range []string{"word/comments.xml", "word/people.xml", "docProps/custom.xml", "docProps/thumbnail.jpeg"} {
		if _, ok := files[gone]; ok {
			t.Errorf("%s kept", gone)
		}
	}
	doc := files["word/document.xml"]
	for _, s := range []string{"Deleted secret", "w:del", "w:ins", "rsid", "commentReference", "commentRange"} {
		if strings.Contains(doc, s) {
			t.Errorf("document.xml still has %q:\n%s", s, doc)
		}
	}
	for _, s := range []string{"Kept text. ", "Inserted text.", "Commented &amp; &lt;escaped&gt;", `xml:space="preserve"`} {
		if !strings.Contains(doc, s) {
			t.Errorf("document.xml lost %q:\n%s", s, doc)
		}
	}
	if strings.Contains(files["word/_rels/document.xml.rels"], "comments") || !strings.Contains(files["word/_rels/document.xml.rels"], "image1.jpeg") {
		t.Errorf("document rels: %s", files["word/_rels/document.xml.rels"])
	}
	ct := files["[Content_Types].xml"]
	if strings.Contains(ct, "comments") || strings.Contains(ct, "people") || strings.Contains(ct, "custom.xml") || !strings.Contains(ct, "document.xml") {
		t.Errorf("content types: %s", ct)
	}
	if r := files["_rels/.rels"]; strings.Contains(r, "thumbnail") || strings.Contains(r, "custom") || !strings.Contains(r, "core.xml") {
		t.Errorf(".rels: %s", r)
	}
	for name, body := range files {
		for _, s := range []string{"Ola", "Kari", "Acme Fisk", "Per Sjef", "EmployeeID", "AcmeCam"} {
			if strings.Contains(body, s) {
				t.Errorf("%s still contains %q", name, s)
			}
		}
	}
	if rep := inspectBytes(t, out, KindDOCX); len(rep.Fields) != 0 {
		t.Errorf("stripped docx still reveals %v", rep.Fields)
	}
	if len(res.Removed) < 5 {
		t.Errorf("Removed = %v", res.Removed)
	}
	t.Logf("removed: %q", res.Removed)
}

func TestODTInspectAndStrip(t *testing.T) {
	in := odtFixture(t)
	rep := inspectBytes(t, in, KindODT)
	wantFields(t, rep, map[string]string{
		FieldAuthor: "Ola Nordmann", FieldLastModifiedBy: "Kari Nordmann", FieldSoftware: "LibreOffice",
		FieldPrinted: "by Per", FieldComments: "1 (by Ola Nordmann)", FieldTrackedChanges: "1 (by Ola Nordmann)",
		FieldThumbnail: "Thumbnails/",
	})
	out, _ := stripBytes(t, in, KindODT)
	zr, err := zip.NewReader(bytes.NewReader(out), int64(len(out)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "mimetype" || zr.File[0].Method != zip.Store || zr.File[0].Flags&8 != 0 {
		t.Errorf("first entry %s method %d flags %x", zr.File[0].Name, zr.File[0].Method, zr.File[0].Flags)
	}
	files := readZip(t, out)
	if _, ok := files["Thumbnails/thumbnail.png"]; ok {
		t.Error("thumbnail kept")
	}
	if strings.Contains(files["META-INF/manifest.xml"], "Thumbnails") || !strings.Contains(files["META-INF/manifest.xml"], "content.xml") {
		t.Errorf("manifest: %s", files["META-INF/manifest.xml"])
	}
	for name, body := range files {
		for _, s := range []string{"Ola", "Kari", "Deleted secret", "Secret remark", "rsid", "LibreOffice", "Per"} {
			if strings.Contains(body, s) {
				t.Errorf("%s still contains %q", name, s)
			}
		}
	}
	if !strings.Contains(files["content.xml"], "Kept text.") {
		t.Error("content lost")
	}
	if rep := inspectBytes(t, out, KindODT); len(rep.Fields) != 0 {
		t.Errorf("stripped odt still reveals %v", rep.Fields)
	}
}

func TestZipBombAndWeirdness(t *testing.T) {
	c := DefaultConfig
	c.MaxUncompressed = 1 << 20
	bomb := buildZip(t, []zipEntry{{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", strings.Repeat("<a/>", 1<<20)}}, false)
	if _, err := c.Strip(io.Discard, bytes.NewReader(bomb), int64(len(bomb)), KindDOCX); !errors.Is(err, ErrTooLarge) {
		t.Errorf("bomb: err = %v", err)
	}
	c = DefaultConfig
	c.MaxEntries = 3
	many := buildZip(t, []zipEntry{{"word/a.xml", "<a/>"}, {"word/b.xml", "<a/>"}, {"word/c.xml", "<a/>"}, {"word/d.xml", "<a/>"}}, false)
	if _, err := c.Strip(io.Discard, bytes.NewReader(many), int64(len(many)), KindDOCX); !errors.Is(err, ErrTooLarge) {
		t.Errorf("entries: err = %v", err)
	}
	for name, z := range map[string][]byte{
		"dup":       buildZip(t, []zipEntry{{"word/a.xml", "<a/>"}, {"word/a.xml", "<b/>"}}, false),
		"traversal": buildZip(t, []zipEntry{{"../evil.xml", "<a/>"}}, false),
		"doctype":   buildZip(t, []zipEntry{{"word/document.xml", `<!DOCTYPE x [<!ENTITY a "b">]><x/>`}}, false),
		"badxml":    buildZip(t, []zipEntry{{"word/document.xml", `<x><y></x>`}}, false),
		"notzip":    []byte("PK\x03\x04garbage"),
	} {
		if _, err := Strip(io.Discard, bytes.NewReader(z), int64(len(z)), KindDOCX); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	enc := encryptedZip(t)
	if _, err := Strip(io.Discard, bytes.NewReader(enc), int64(len(enc)), KindDOCX); !errors.Is(err, ErrEncrypted) {
		t.Errorf("encrypted: err = %v", err)
	}
}

// encryptedZip sets the "encrypted" flag bit on an otherwise plain zip.
func encryptedZip(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	h := &zip.FileHeader{Name: "word/document.xml", Method: zip.Store, Flags: 1}
	body := []byte("<a/>")
	h.CRC32 = crc32.ChecksumIEEE(body)
	h.CompressedSize64, h.UncompressedSize64 = uint64(len(body)), uint64(len(body))
	w, err := zw.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	zw.Close()
	return b.Bytes()
}
