package scrub

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
)

func FuzzExifOrientation(f *testing.F) {
	f.Add(append([]byte("Exif\x00\x00"), exifFixture(6)...))
	f.Add([]byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x08\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("Exif\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, app1 []byte) {
		o := exifOrientation(app1)
		if o < 0 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
		if len(app1) > 6 {
			var rep Report
			parseEXIF(bytes.NewReader(app1[6:]), int64(len(app1)-6), &rep, false)
		}
		// The same bytes as a JPEG's APP1 segment.
		if len(app1) < 65000 {
			j := append([]byte{0xFF, 0xD8}, segment(0xE1, app1)...)
			if got := jpegOrientation(bytes.NewReader(j), int64(len(j))); got != o {
				t.Fatalf("jpegOrientation %d != exifOrientation %d", got, o)
			}
			Inspect(bytes.NewReader(j), int64(len(j)), KindJPEG)
		}
	})
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte{0xFF, 0xD8, 0xFF})
	f.Add([]byte("PK\x03\x04\x14\x00\x00\x00\x00\x00"))
	f.Add(buildZip(f, []zipEntry{{"mimetype", "application/vnd.oasis.opendocument.text"}}, true))
	f.Add(buildZip(f, []zipEntry{{"[Content_Types].xml", "<Types/>"}, {"word/document.xml", "<d/>"}}, false))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBP"))
	f.Fuzz(func(t *testing.T, b []byte) {
		k := Sniff(b)
		if k == "" {
			t.Fatal("empty kind")
		}
		if d := Detect(bytes.NewReader(b), int64(len(b))); k != KindOther && d != k {
			t.Fatalf("Sniff %s, Detect %s", k, d)
		}
		// Inspect must not fail hard on anything Sniff accepts.
		Inspect(bytes.NewReader(b), int64(len(b)), k)
	})
}

func FuzzStripOffice(f *testing.F) {
	f.Add(docxFixture(f), false)
	f.Add(odtFixture(f), true)
	f.Add(buildZip(f, []zipEntry{{"word/document.xml", `<w:document ` + wNS + `><w:ins><w:del/></w:ins></w:document>`}}, false), false)
	c := DefaultConfig
	c.MaxUncompressed = 8 << 20
	c.MaxPixels = 1 << 16
	f.Fuzz(func(t *testing.T, b []byte, odf bool) {
		kind := KindDOCX
		if odf {
			kind = KindODT
		}
		c.Inspect(bytes.NewReader(b), int64(len(b)), kind)
		var out bytes.Buffer
		if _, err := c.Strip(&out, bytes.NewReader(b), int64(len(b)), kind); err != nil {
			return
		}
		// The output is a valid zip that strips again.
		zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
		if err != nil {
			t.Fatalf("output is not a zip: %v", err)
		}
		for _, zf := range zr.File {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, rc); err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
		}
		if _, err := c.Strip(io.Discard, bytes.NewReader(out.Bytes()), int64(out.Len()), kind); err != nil {
			t.Fatalf("stripping the output again: %v", err)
		}
	})
}
