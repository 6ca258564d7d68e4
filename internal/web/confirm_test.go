package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
)

// gpsJPEG builds a small JPEG whose EXIF names artist as the author and
// carries a GPS position (the way internal/scrub's fixtures are built: a
// hand-laid little-endian TIFF structure in an APP1 segment).
func gpsJPEG(t *testing.T, artist string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	for y := range 12 {
		for x := range 16 {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 20), 90, 255})
		}
	}
	var enc bytes.Buffer
	if err := jpeg.Encode(&enc, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	entry := func(b []byte, tag, typ uint16, count, value uint32) []byte {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		return le.AppendUint32(b, value)
	}
	art := append([]byte(artist), 0)
	if len(art)%2 == 1 {
		art = append(art, 0)
	}
	const ifd0Size = 2 + 2*12 + 4
	artOff := uint32(8 + ifd0Size)
	gpsOff := artOff + uint32(len(art))
	const gpsSize = 2 + 4*12 + 4
	latOff := gpsOff + gpsSize
	lonOff := latOff + 24
	tiff = le.AppendUint16(tiff, 2)
	tiff = entry(tiff, 0x013B, 2, uint32(len(artist)+1), artOff) // Artist
	tiff = entry(tiff, 0x8825, 4, 1, gpsOff)                     // GPS IFD
	tiff = le.AppendUint32(tiff, 0)
	tiff = append(tiff, art...)
	tiff = le.AppendUint16(tiff, 4)
	tiff = entry(tiff, 1, 2, 2, uint32('N'))
	tiff = entry(tiff, 2, 5, 3, latOff)
	tiff = entry(tiff, 3, 2, 2, uint32('E'))
	tiff = entry(tiff, 4, 5, 3, lonOff)
	tiff = le.AppendUint32(tiff, 0)
	for _, v := range []uint32{59, 1, 54, 1, 30, 1, 10, 1, 45, 1, 12, 1} {
		tiff = le.AppendUint32(tiff, v)
	}
	payload := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(app1[2:], uint16(len(payload)+2))
	out := append([]byte{0xFF, 0xD8}, app1...)
	out = append(out, payload...)
	out = append(out, enc.Bytes()[2:]...)
	rep, err := scrub.Inspect(bytes.NewReader(out), int64(len(out)), scrub.KindJPEG)
	if err != nil || !rep.Has(scrub.FieldGPS) || !rep.Has(scrub.FieldAuthor) {
		t.Fatalf("fixture: %+v %v", rep, err)
	}
	return out
}

var draftTokenRE = regexp.MustCompile(`name="draft" value="([^"]+)"`)

// confirmStep1 posts the report form with one file and returns the
// confirmation page and the draft token.
func (e *apiEnv) confirmStep1(name string, file []byte) (string, string) {
	e.t.Helper()
	parts := []htmlPart{{name: "lang", value: "en"}}
	for k, v := range htmlValidAnswers() {
		parts = append(parts, htmlPart{name: "q_" + k, value: v})
	}
	parts = append(parts, htmlPart{name: "files", isFile: true, filename: name, fileBody: file})
	res, body := htmlDo(e.t, e.srv.Public(), htmlPostMultipart(e.t, "/report/general", parts))
	if res.StatusCode != http.StatusOK {
		e.t.Fatalf("step 1: %d\n%s", res.StatusCode, body)
	}
	m := draftTokenRE.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatalf("no confirmation form:\n%s", body)
	}
	if len(res.Cookies()) != 0 {
		e.t.Error("the confirmation page sets a cookie")
	}
	return body, m[1]
}

func (e *apiEnv) confirmStep2(form map[string]string) (int, string) {
	e.t.Helper()
	vals := map[string][]string{"lang": {"en"}}
	for k, v := range form {
		vals[k] = []string{v}
	}
	res, body := htmlDo(e.t, e.srv.Public(), htmlPostForm("/report/general/confirm", vals))
	return res.StatusCode, body
}

// staffFile returns the only case's only file entry and its downloaded body.
func (e *apiEnv) staffFile() (map[string]any, []byte) {
	e.t.Helper()
	staff := e.staffLogin(e.handler)
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
	if len(inbox.Cases) != 1 {
		e.t.Fatalf("inbox has %d cases", len(inbox.Cases))
	}
	id := inbox.Cases[0].ID
	var c struct{ Files []map[string]any }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, staff, nil, http.StatusOK, &c)
	if len(c.Files) != 1 {
		e.t.Fatalf("case has %d files", len(c.Files))
	}
	status, body := e.get(e.staff.URL, "/api/v1/staff/cases/"+id+"/files/"+c.Files[0]["id"].(string), staff)
	if status != http.StatusOK {
		e.t.Fatalf("download: %d", status)
	}
	return c.Files[0], body
}

// blobBytes concatenates every file of the blob store (temporary ones too).
func (e *apiEnv) blobBytes() []byte {
	e.t.Helper()
	var out bytes.Buffer
	filepath.WalkDir(e.blobDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			out.Write(b)
		}
		return nil
	})
	return out.Bytes()
}

// RC-5: a GPS-tagged JPEG is stored without EXIF after the confirmation
// step, and the report exists only once the whistleblower sends it.
func TestConfirmStripsMetadataByDefault(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		const marker = "MARKER-AUTHOR-7Q2Z"
		photo := gpsJPEG(t, marker)
		page, token := e.confirmStep1("holiday.jpg", photo)
		htmlWant(t, "confirmation page", page, "GPS position", "Author", marker, "holiday.jpg",
			"Remove the hidden information (recommended)", "Keep the file exactly as it is", "Start again", `value="strip" checked`)
		if n, _ := e.countStored(); n != 0 {
			t.Fatalf("%d reports exist before the confirmation", n)
		}
		// At rest the draft is sealed: the author name is in no database
		// value, no blob and no log line.
		for what, b := range map[string][]byte{"database": e.storedBytes(), "blobs": e.blobBytes(), "logs": e.logs.Bytes()} {
			if bytes.Contains(b, []byte(marker)) {
				t.Errorf("the marker is in the %s", what)
			}
		}
		status, body := e.confirmStep2(map[string]string{"draft": token})
		if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
			t.Fatalf("step 2: %d\n%s", status, body)
		}
		if n, blobs := e.countStored(); n != 1 || blobs != 1 {
			t.Errorf("after sending: %d reports, %d blobs; want 1 and 1 (the original is deleted)", n, blobs)
		}
		f, got := e.staffFile()
		if f["metadata"] != "stripped" || f["name"] != "holiday.jpg" {
			t.Errorf("file entry = %v", f)
		}
		rep, err := scrub.Inspect(bytes.NewReader(got), int64(len(got)), scrub.KindJPEG)
		if err != nil || len(rep.Fields) != 0 || scrub.Detect(bytes.NewReader(got), int64(len(got))) != scrub.KindJPEG {
			t.Errorf("the stored file still reveals %+v (%v)", rep.Fields, err)
		}
		if bytes.Contains(got, []byte(marker)) || bytes.Contains(got, []byte("Exif")) {
			t.Error("the stored file keeps its EXIF")
		}
		// The staff case page says the file was cleaned.
		hc := e.staffCookieLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", e.staffLogin(e.handler), nil, http.StatusOK, &inbox)
		cp := e.page(e.staff.URL, "/cases/"+inbox.Cases[0].ID+"?lang=en", hc, http.StatusOK)
		htmlWant(t, "case page", cp, "holiday.jpg: hidden information was removed at upload (Author, GPS position")
		// A draft is used once, and posting it again says so.
		if status, body := e.confirmStep2(map[string]string{"draft": token}); status != http.StatusConflict ||
			!strings.Contains(body, sentAlready) {
			t.Errorf("second confirmation: %d", status)
		}
		if n, _ := e.countStored(); n != 1 {
			t.Errorf("%d reports after a second confirmation", n)
		}
		if bytes.Contains(e.logs.Bytes(), []byte(marker)) {
			t.Error("the marker is in the logs")
		}
	})
}

func TestConfirmKeepOriginalKeepsTheBytes(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	photo := gpsJPEG(t, "Kari Nordmann")
	_, token := e.confirmStep1("photo.jpg", photo)
	status, body := e.confirmStep2(map[string]string{"draft": token, "file-0": "keep"})
	if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
		t.Fatalf("step 2: %d\n%s", status, body)
	}
	f, got := e.staffFile()
	if !bytes.Equal(got, photo) || f["metadata"] != "original_kept" {
		t.Errorf("kept file: identical=%v, metadata=%v", bytes.Equal(got, photo), f["metadata"])
	}
}

func TestConfirmRemoveFileAndUncleanableDefault(t *testing.T) {
	e := newAPIEnv(t, store.SQLite, withPDF(intake.PDFConfig{Off: true}))
	pdf := []byte("%PDF-1.4\n1 0 obj << /Author (Kari Nordmann) /Producer (Writer) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n")
	page, token := e.confirmStep1("memo.pdf", pdf)
	htmlWant(t, "confirmation page", page, "Kari Nordmann", "Remove this file from the report", "Keep it as it is",
		`value="remove" checked`, "cannot clean PDF files")
	htmlWantNot(t, "confirmation page", page, "Remove the hidden information")
	status, body := e.confirmStep2(map[string]string{"draft": token})
	if status != http.StatusOK || !htmlReceiptRE.MatchString(body) {
		t.Fatalf("step 2: %d\n%s", status, body)
	}
	if n, blobs := e.countStored(); n != 1 || blobs != 0 {
		t.Errorf("%d reports, %d blobs; want the report without the file", n, blobs)
	}
}

// An abandoned draft leaves no report, and once it expires its blobs are
// orphans that the sweeper removes.
func TestConfirmAbandonedDraftExpiresAndIsSwept(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	ctx := context.Background()
	_, token := e.confirmStep1("photo.jpg", gpsJPEG(t, "Someone"))
	sweep := func() int {
		n, err := blob.Sweep(ctx, e.blobs, time.Now().Add(time.Hour), e.db.BlobReferenced)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := sweep(); n != 0 {
		t.Fatalf("the sweeper removed %d blobs of a live draft", n)
	}
	e.clock.Advance(61 * time.Minute)
	if status, _ := e.confirmStep2(map[string]string{"draft": token}); status != http.StatusNotFound {
		t.Errorf("confirming an expired draft: %d", status)
	}
	if n, err := e.srv.d.Intake.DeleteExpiredDrafts(ctx); err != nil || n != 1 {
		t.Fatalf("DeleteExpiredDrafts = %d, %v", n, err)
	}
	if n := sweep(); n != 1 {
		t.Errorf("sweep removed %d blobs, want 1", n)
	}
	if reports, blobs := e.countStored(); reports != 0 || blobs != 0 {
		t.Errorf("left behind: %d reports, %d blobs", reports, blobs)
	}
}

func TestConfirmTamperedTokenIsNotFound(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	_, token := e.confirmStep1("photo.jpg", gpsJPEG(t, "Someone"))
	flip := []byte(token)
	if flip[3] == 'A' {
		flip[3] = 'B'
	} else {
		flip[3] = 'A'
	}
	for _, bad := range []string{string(flip), "", "not a token", token + "A", strings.Repeat("A", 43)} {
		status, body := e.confirmStep2(map[string]string{"draft": bad})
		if status != http.StatusNotFound || !strings.Contains(body, "can no longer be sent") {
			t.Errorf("token %q: %d", bad, status)
		}
	}
	if n, _ := e.countStored(); n != 0 {
		t.Error("a report exists")
	}
	// The real token still works.
	if status, _ := e.confirmStep2(map[string]string{"draft": token}); status != http.StatusOK {
		t.Errorf("real token: %d", status)
	}
}

// A file that reveals nothing goes straight through, as before (the
// browser test relies on it).
func TestConfirmNotNeededForPlainFiles(t *testing.T) {
	env := htmlTestServer(t, true)
	htmlSubmitReport(t, env, htmlValidAnswers(), []byte("plain text reveals nothing"))
}

func TestAPIStripsMetadataByDefault(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		photo := gpsJPEG(t, "MARKER-API-AUTHOR")
		e.submitOK(minimalAnswers("x"), upload{Name: "p.jpg", Type: "image/jpeg", Body: bytes.NewReader(photo)})
		f, got := e.staffFile()
		rep, err := scrub.Inspect(bytes.NewReader(got), int64(len(got)), scrub.KindJPEG)
		if err != nil || len(rep.Fields) != 0 || f["metadata"] != "stripped" {
			t.Errorf("stored file reveals %+v (%v), metadata %v", rep.Fields, err, f["metadata"])
		}
		if _, blobs := e.countStored(); blobs != 1 {
			t.Errorf("%d blobs, want 1", blobs)
		}
	})
}

func TestAPICannotStripIsRefusedUnlessKept(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	pdf := "%PDF-1.4\n1 0 obj << /Author (Kari Nordmann) >> endobj\n%%EOF\n"
	status, body := e.submit(minimalAnswers("x"), fileOf("a.txt", "plain"), upload{Name: "m.pdf", Type: "application/pdf", Body: strings.NewReader(pdf)})
	var er struct {
		Error struct {
			Code string
			File *int
		}
	}
	json.Unmarshal(body, &er)
	if status != http.StatusUnprocessableEntity || er.Error.Code != "cannot_strip" || er.Error.File == nil || *er.Error.File != 1 {
		t.Fatalf("uncleanable file: %d %s", status, body)
	}
	if reports, blobs := e.countStored(); reports != 0 || blobs != 0 {
		t.Fatalf("a refused report left %d reports, %d blobs", reports, blobs)
	}
	b, _ := json.Marshal(map[string]any{"channel": org.DefaultChannel, "answers": minimalAnswers("x"), "metadata": "keep"})
	ctype, buf := multipartBody(string(b), upload{Field: "file", Name: "m.pdf", Type: "application/pdf", Body: strings.NewReader(pdf)})
	resp, err := http.Post(e.public.URL+"/api/v1/reports", ctype, buf)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("keep: %d", resp.StatusCode)
	}
	f, got := e.staffFile()
	if string(got) != pdf || f["metadata"] != "original_kept" {
		t.Errorf("kept file: %q %v", got, f["metadata"])
	}
}
