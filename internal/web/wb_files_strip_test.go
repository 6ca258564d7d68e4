package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
)

// RC-5 for files the whistleblower adds after submitting: the status page
// upload and POST /api/v1/wb/files (html_wb_files.go, intake/added.go).

// authorDOCX builds a small Word document whose core properties name
// author as its creator and last editor.
func authorDOCX(t *testing.T, author string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`},
		{"docProps/core.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>` + author + `</dc:creator><cp:lastModifiedBy>` + author + `</cp:lastModifiedBy></cp:coreProperties>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>The minutes of the meeting.</w:t></w:r></w:p></w:body></w:document>`},
	} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.Bytes()
	rep, err := scrub.Inspect(bytes.NewReader(out), int64(len(out)), scrub.KindDOCX)
	if err != nil || !rep.Has(scrub.FieldAuthor) {
		t.Fatalf("fixture: %+v %v", rep, err)
	}
	return out
}

// laterEnv is a submitted report (with one plain file) and its
// whistleblower signed in on the status page and through the API.
type laterEnv struct {
	*apiEnv
	receipt string
	cookie  *http.Cookie
	csrf    string
	bearer  string
}

func newLaterEnv(t *testing.T, d store.Dialect, opts ...apiEnvOption) *laterEnv {
	e := newAPIEnv(t, d, opts...)
	receipt := e.submitOK(minimalAnswers("x"), fileOf("first.txt", "nothing to hide"))
	le := &laterEnv{apiEnv: e, receipt: receipt}
	le.login()
	return le
}

// login opens new sessions (after the clock has moved past the old ones).
func (e *laterEnv) login() {
	e.cookie = e.wbCookieLogin(e.receipt)
	e.csrf, e.bearer = csrfToken(e.cookie.Value), e.wbLogin(e.receipt)
}

// upload posts files from the status page.
func (e *laterEnv) upload(files map[string][]byte) (*http.Response, string) {
	e.t.Helper()
	parts := []htmlPart{{name: "csrf", value: e.csrf}, {name: "lang", value: "en"}}
	for name, body := range files {
		parts = append(parts, htmlPart{name: "files", isFile: true, filename: name, fileBody: body})
	}
	return htmlDo(e.t, e.srv.Public(), htmlPostMultipart(e.t, "/status/files", parts, e.cookie))
}

// uploadForConfirmation posts files and returns the confirmation page and
// its draft token.
func (e *laterEnv) uploadForConfirmation(files map[string][]byte) (string, string) {
	e.t.Helper()
	res, body := e.upload(files)
	m := draftTokenRE.FindStringSubmatch(body)
	if res.StatusCode != http.StatusOK || m == nil {
		e.t.Fatalf("upload: %d, no confirmation form\n%s", res.StatusCode, body)
	}
	return body, m[1]
}

func (e *laterEnv) confirm(form url.Values) (*http.Response, string) {
	e.t.Helper()
	if form.Get("csrf") == "" {
		form.Set("csrf", e.csrf)
	}
	form.Set("lang", "en")
	return htmlDo(e.t, e.srv.Public(), htmlPostForm("/status/files/confirm", form, e.cookie))
}

// staffFiles returns the only case's files by name, with their bodies as
// a handler downloads them.
func (e *laterEnv) staffFiles() map[string]staffFileView {
	e.t.Helper()
	tok := e.staffLogin(e.handler)
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", tok, nil, http.StatusOK, &inbox)
	if len(inbox.Cases) != 1 {
		e.t.Fatalf("inbox has %d cases", len(inbox.Cases))
	}
	id := inbox.Cases[0].ID
	var c struct{ Files []staffFileView }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, tok, nil, http.StatusOK, &c)
	out := map[string]staffFileView{}
	for _, f := range c.Files {
		status, body := e.get(e.staff.URL, "/api/v1/staff/cases/"+id+"/files/"+f.ID, tok)
		if status != http.StatusOK {
			e.t.Fatalf("download %s: %d", f.Name, status)
		}
		f.Body = body
		out[f.Name] = f
	}
	return out
}

type staffFileView struct {
	ID, Name, Metadata string
	Body               []byte
}

// reveals is what scrub still finds in a stored file.
func reveals(t *testing.T, b []byte) []scrub.Field {
	t.Helper()
	kind := scrub.Detect(bytes.NewReader(b), int64(len(b)))
	rep, err := scrub.Inspect(bytes.NewReader(b), int64(len(b)), kind)
	if err != nil {
		t.Fatalf("inspect stored %s: %v", kind, err)
	}
	return rep.Fields
}

// wantOnlyFirstFile checks that the report still has only the file it was
// submitted with, and that no blob is left over but those of parked files.
func (e *laterEnv) wantOnlyFirstFile(when string, parked ...int) {
	e.t.Helper()
	if files := e.staffFiles(); len(files) != 1 {
		e.t.Errorf("%s: the case has %d files, want only the first", when, len(files))
	}
	want := 1
	for _, n := range parked {
		want += n
	}
	if _, blobs := e.countStored(); blobs != want {
		e.t.Errorf("%s: %d blobs, want %d", when, blobs, want)
	}
}

func TestStatusPageAddedFilesAreStrippedAfterConfirmation(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		const photoMark, docMark = "MARKER-LATER-PHOTO-4J8", "MARKER-LATER-DOCX-7W1"
		page, token := e.uploadForConfirmation(map[string][]byte{
			"site.jpg": gpsJPEG(t, photoMark), "minutes.docx": authorDOCX(t, docMark), "note.txt": []byte("plain")})
		htmlWant(t, "confirmation page", page, "Check your files before adding them", "GPS position", "Author", photoMark, docMark,
			"site.jpg", "minutes.docx", "note.txt", `value="strip" checked`, "Keep the file exactly as it is",
			`action="/status/files/confirm?lang=en"`, `name="csrf"`, "Add the files", `name="action" value="cancel"`)
		htmlWantNot(t, "confirmation page", page, "Start again")
		// Nothing reaches the report before the confirmation, and the
		// parked files are sealed: the markers are in no stored byte.
		e.wantFiles(t, 1)
		for what, b := range map[string][]byte{"database": e.storedBytes(), "blobs": e.blobBytes(), "logs": e.logs.Bytes()} {
			if bytes.Contains(b, []byte(photoMark)) || bytes.Contains(b, []byte(docMark)) {
				t.Errorf("a marker is in the %s before the confirmation", what)
			}
		}

		res, _ := e.confirm(url.Values{"draft": {token}})
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/status?lang=en" {
			t.Fatalf("confirm: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		files := e.staffFiles()
		if len(files) != 4 {
			t.Fatalf("the case has %d files, want 4", len(files))
		}
		for _, name := range []string{"site.jpg", "minutes.docx"} {
			f := files[name]
			if f.Metadata != "stripped" {
				t.Errorf("%s: metadata %q, want stripped", name, f.Metadata)
			}
			if fs := reveals(t, f.Body); len(fs) != 0 {
				t.Errorf("%s still reveals %+v", name, fs)
			}
			if bytes.Contains(f.Body, []byte(photoMark)) || bytes.Contains(f.Body, []byte(docMark)) {
				t.Errorf("%s keeps its author", name)
			}
		}
		if got := files["minutes.docx"].Body; scrub.Detect(bytes.NewReader(got), int64(len(got))) != scrub.KindDOCX {
			t.Error("the cleaned document is no longer a docx")
		}
		if f := files["note.txt"]; string(f.Body) != "plain" || f.Metadata != "not_applicable" {
			t.Errorf("the plain file: %q %q", f.Body, f.Metadata)
		}
		// The originals are gone: one blob per file.
		if _, blobs := e.countStored(); blobs != 4 {
			t.Errorf("%d blobs, want 4", blobs)
		}
		// The whistleblower's status page lists them; the batch is used once.
		htmlWant(t, "status page", e.page(e.public.URL, "/status?lang=en", e.cookie, http.StatusOK), "site.jpg", "minutes.docx")
		if res, body := e.confirm(url.Values{"draft": {token}}); res.StatusCode != http.StatusNotFound ||
			!strings.Contains(body, "can no longer be added") {
			t.Errorf("second confirmation: %d", res.StatusCode)
		}
		e.wantFiles(t, 4)
		if bytes.Contains(e.logs.Bytes(), []byte(photoMark)) || bytes.Contains(e.logs.Bytes(), []byte(docMark)) {
			t.Error("a marker is in the logs")
		}
	})
}

func (e *laterEnv) wantFiles(t *testing.T, n int) {
	t.Helper()
	var mine caseResp
	e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", e.bearer, nil, http.StatusOK, &mine)
	if len(mine.Files) != n {
		t.Fatalf("the report has %d files, want %d", len(mine.Files), n)
	}
}

func TestStatusPageKeepOriginalAndRemoveChoices(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		photo, doc := gpsJPEG(t, "Kari Nordmann"), authorDOCX(t, "Ola Nordmann")
		page, token := e.uploadForConfirmation(map[string][]byte{"a.jpg": photo, "b.docx": doc})
		idx := confirmIndexes(t, page)
		res, _ := e.confirm(url.Values{"draft": {token}, "file-" + idx["a.jpg"]: {"keep"}, "file-" + idx["b.docx"]: {"remove"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("confirm: %d", res.StatusCode)
		}
		files := e.staffFiles()
		if len(files) != 2 {
			t.Fatalf("%d files, want the first and the kept photo", len(files))
		}
		if f := files["a.jpg"]; !bytes.Equal(f.Body, photo) || f.Metadata != "original_kept" {
			t.Errorf("kept photo: identical=%v metadata=%q", bytes.Equal(f.Body, photo), f.Metadata)
		}
		if _, blobs := e.countStored(); blobs != 2 {
			t.Errorf("%d blobs; the removed file's blob should be gone", blobs)
		}
	})
}

// confirmIndexes maps file names on a confirmation page to their index.
func confirmIndexes(t *testing.T, page string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`What should happen to ([^?]+)\?</legend>\n(?s:.*?)name="file-(\d+)"`).FindAllStringSubmatch(page, -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatalf("no file choices on the page\n%s", page)
	}
	return out
}

// A choice that is none of the offered ones, a cleaning that cannot be
// done, a foreign or missing form token: the page says so and nothing
// changes; the parked files still work afterwards.
func TestStatusPageBadChoiceChangesNothing(t *testing.T) {
	e := newLaterEnv(t, store.SQLite, withPDF(intake.PDFConfig{Off: true}))
	pdf := []byte("%PDF-1.4\n1 0 obj << /Author (Kari Nordmann) >> endobj\ntrailer << /Info 1 0 R >>\n%%EOF\n")
	page, token := e.uploadForConfirmation(map[string][]byte{"p.jpg": gpsJPEG(t, "Someone"), "m.pdf": pdf})
	idx := confirmIndexes(t, page)
	htmlWant(t, "confirmation page", page, "Remove this file from the report", "Kari Nordmann")

	res, body := e.confirm(url.Values{"draft": {token}, "file-" + idx["p.jpg"]: {"shred"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("unknown choice: %d", res.StatusCode)
	}
	htmlWant(t, "refused page", body, "Choose one of the options for this file.", `href="#file-`+idx["p.jpg"]+`-strip"`)
	e.wantOnlyFirstFile("after an unknown choice", 2)

	res, body = e.confirm(url.Values{"draft": {token}, "file-" + idx["m.pdf"]: {"strip"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "could not be removed") {
		t.Fatalf("strip of an uncleanable file: %d", res.StatusCode)
	}
	e.wantOnlyFirstFile("after a refused strip", 2)

	res, _ = e.confirm(url.Values{"draft": {token}, "csrf": {"forged"}})
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("forged form token: %d", res.StatusCode)
	}
	res, _ = e.confirm(url.Values{"draft": {token}, "action": {"publish"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown action: %d", res.StatusCode)
	}
	e.wantOnlyFirstFile("after forged forms", 2)

	// Defaults: the photo is stripped, the PDF that cannot be cleaned is left out.
	if res, _ := e.confirm(url.Values{"draft": {token}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d", res.StatusCode)
	}
	files := e.staffFiles()
	if len(files) != 2 || files["p.jpg"].Metadata != "stripped" {
		t.Errorf("files after the defaults: %v", len(files))
	}
}

// The parked batch belongs to the report whose session parked it: another
// whistleblower, or a visitor without a session, gets nothing from the
// token, and a submission's draft token does not open it either.
func TestStatusPageParkedFilesNeedTheirOwnSession(t *testing.T) {
	e := newLaterEnv(t, store.SQLite)
	_, token := e.uploadForConfirmation(map[string][]byte{"p.jpg": gpsJPEG(t, "Someone")})

	other := e.wbCookieLogin(e.submitOK(minimalAnswers("y")))
	form := url.Values{"draft": {token}, "csrf": {csrfToken(other.Value)}, "lang": {"en"}}
	if res, _ := htmlDo(t, e.srv.Public(), htmlPostForm("/status/files/confirm", form, other)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another whistleblower: %d", res.StatusCode)
	}
	form.Set("action", "cancel")
	if res, _ := htmlDo(t, e.srv.Public(), htmlPostForm("/status/files/confirm", form, other)); res.StatusCode != http.StatusNotFound {
		t.Errorf("another whistleblower cancelling: %d", res.StatusCode)
	}
	if res, _ := htmlDo(t, e.srv.Public(), htmlPostForm("/status/files/confirm", url.Values{"draft": {token}})); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("no session: %d", res.StatusCode)
	}
	_, subToken := e.confirmStep1("photo.jpg", gpsJPEG(t, "Someone"))
	if res, _ := e.confirm(url.Values{"draft": {subToken}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a submission's draft token: %d", res.StatusCode)
	}
	if status, _ := e.confirmStep2(map[string]string{"draft": token}); status != http.StatusNotFound {
		t.Errorf("the batch's token as a submission's draft: %d", status)
	}
	if res, _ := e.confirm(url.Values{"draft": {token}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("own session: %d", res.StatusCode)
	}
}

// Cancelling discards the parked files at once; an abandoned batch
// expires and the sweeper removes its blobs. Either way the report is as
// it was.
func TestStatusPageCancelledOrAbandonedUploadLeavesNothing(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		ctx := context.Background()
		_, token := e.uploadForConfirmation(map[string][]byte{"p.jpg": gpsJPEG(t, "Someone"), "n.txt": []byte("plain")})
		res, _ := e.confirm(url.Values{"draft": {token}, "action": {"cancel"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("cancel: %d", res.StatusCode)
		}
		e.wantOnlyFirstFile("after cancelling")
		if res, _ := e.confirm(url.Values{"draft": {token}}); res.StatusCode != http.StatusNotFound {
			t.Errorf("confirming a cancelled upload: %d", res.StatusCode)
		}

		_, token = e.uploadForConfirmation(map[string][]byte{"p.jpg": gpsJPEG(t, "Someone"), "n.txt": []byte("plain")})
		sweep := func() int {
			n, err := blob.Sweep(ctx, e.blobs, time.Now().Add(time.Hour), e.db.BlobReferenced)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := sweep(); n != 0 {
			t.Fatalf("the sweeper removed %d blobs of a live upload", n)
		}
		e.clock.Advance(61 * time.Minute)
		e.login() // the receipt session has expired too
		if res, _ := e.confirm(url.Values{"draft": {token}}); res.StatusCode != http.StatusNotFound {
			t.Errorf("confirming an expired upload: %d", res.StatusCode)
		}
		if n, err := e.srv.d.Intake.DeleteExpiredDrafts(ctx); err != nil || n != 1 {
			t.Fatalf("DeleteExpiredDrafts = %d, %v", n, err)
		}
		if n := sweep(); n != 2 {
			t.Errorf("sweep removed %d blobs, want 2", n)
		}
		e.wantOnlyFirstFile("after expiry")
	})
}

// Files that reveal nothing are added at once, as before.
func TestStatusPagePlainFilesNeedNoConfirmation(t *testing.T) {
	e := newLaterEnv(t, store.SQLite)
	res, _ := e.upload(map[string][]byte{"more.txt": []byte("more words")})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", res.StatusCode)
	}
	if f := e.staffFiles()["more.txt"]; string(f.Body) != "more words" {
		t.Errorf("added file: %q", f.Body)
	}
}

// apiAdd posts files to POST /api/v1/wb/files with an optional
// "metadata" part.
func (e *laterEnv) apiAdd(metadata []string, files ...upload) callResult {
	e.t.Helper()
	for i := range files {
		files[i].Field = "file"
	}
	ctype, buf := multipartWithFields(e.t, metadata, files)
	return e.rawCall(e.public.URL, "POST", "/api/v1/wb/files", e.bearer, ctype, buf.Bytes())
}

func multipartWithFields(t *testing.T, metadata []string, files []upload) (string, *bytes.Buffer) {
	t.Helper()
	parts := []htmlPart{}
	for _, m := range metadata {
		parts = append(parts, htmlPart{name: "metadata", value: m})
	}
	for _, f := range files {
		b := new(bytes.Buffer)
		b.ReadFrom(f.Body)
		parts = append(parts, htmlPart{name: "file", isFile: true, filename: f.Name, fileBody: b.Bytes()})
	}
	req := htmlPostMultipart(t, "/", parts)
	var buf bytes.Buffer
	buf.ReadFrom(req.Body)
	return req.Header.Get("Content-Type"), &buf
}

func TestAPIAddedFilesAreStrippedByDefault(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		const mark = "MARKER-API-LATER-2K9"
		r := e.apiAdd(nil, upload{Name: "p.jpg", Type: "image/jpeg", Body: bytes.NewReader(gpsJPEG(t, mark))},
			upload{Name: "d.docx", Type: "application/octet-stream", Body: bytes.NewReader(authorDOCX(t, mark))})
		if r.status != http.StatusCreated || !strings.Contains(string(r.body), `"added":2`) {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
		files := e.staffFiles()
		for _, name := range []string{"p.jpg", "d.docx"} {
			f := files[name]
			if f.Metadata != "stripped" || len(reveals(t, f.Body)) != 0 || bytes.Contains(f.Body, []byte(mark)) {
				t.Errorf("%s: metadata %q, reveals %+v", name, f.Metadata, reveals(t, f.Body))
			}
		}
		if _, blobs := e.countStored(); blobs != 3 {
			t.Errorf("%d blobs, want 3 (the originals are deleted)", blobs)
		}
		// The whistleblower sees the same in their own view.
		var mine struct {
			Files []struct{ Name, Metadata string }
		}
		e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", e.bearer, nil, http.StatusOK, &mine)
		for _, f := range mine.Files {
			if f.Name != "first.txt" && f.Metadata != "stripped" {
				t.Errorf("own view of %s: %q", f.Name, f.Metadata)
			}
		}
	})
}

func TestAPIAddedFilesKeepOriginalOnRequest(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newLaterEnv(t, d)
		photo := gpsJPEG(t, "Kari Nordmann")
		r := e.apiAdd([]string{"keep"}, upload{Name: "p.jpg", Type: "image/jpeg", Body: bytes.NewReader(photo)})
		if r.status != http.StatusCreated {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
		if f := e.staffFiles()["p.jpg"]; !bytes.Equal(f.Body, photo) || f.Metadata != "original_kept" {
			t.Errorf("kept: identical=%v metadata=%q", bytes.Equal(f.Body, photo), f.Metadata)
		}
	})
}

func TestAPIAddedFilesBadRequestsChangeNothing(t *testing.T) {
	e := newLaterEnv(t, store.SQLite, withPDF(intake.PDFConfig{Off: true}))
	pdf := "%PDF-1.4\n1 0 obj << /Author (Kari Nordmann) >> endobj\n%%EOF\n"
	photo := func() upload {
		return upload{Name: "p.jpg", Type: "image/jpeg", Body: bytes.NewReader(gpsJPEG(t, "Someone"))}
	}
	for _, tc := range []struct {
		name     string
		metadata []string
		files    []upload
		status   int
		code     string
		file     int
	}{
		{"unknown metadata value", []string{"shred"}, []upload{photo()}, http.StatusBadRequest, "invalid_metadata", -1},
		{"metadata twice", []string{"keep", "strip"}, []upload{photo()}, http.StatusBadRequest, "invalid_metadata", -1},
		{"no files", []string{"strip"}, nil, http.StatusBadRequest, "no_files", -1},
		{"file that cannot be cleaned", nil, []upload{fileOf("a.txt", "plain"), photo(),
			{Name: "m.pdf", Type: "application/pdf", Body: strings.NewReader(pdf)}}, http.StatusUnprocessableEntity, "cannot_strip", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.apiAdd(tc.metadata, tc.files...)
			var er struct {
				Error struct {
					Code string
					File *int
				}
			}
			json.Unmarshal(r.body, &er)
			if r.status != tc.status || er.Error.Code != tc.code {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if tc.file >= 0 && (er.Error.File == nil || *er.Error.File != tc.file) {
				t.Errorf("error.file = %v, want %d", er.Error.File, tc.file)
			}
			e.wantOnlyFirstFile(tc.name)
		})
	}
	// Kept on request, the uncleanable file goes in as it is.
	r := e.apiAdd([]string{"keep"}, upload{Name: "m.pdf", Type: "application/pdf", Body: strings.NewReader(pdf)})
	if r.status != http.StatusCreated {
		t.Fatalf("keep: %d %s", r.status, r.body)
	}
	if f := e.staffFiles()["m.pdf"]; string(f.Body) != pdf || f.Metadata != "original_kept" {
		t.Errorf("kept pdf: %q %q", f.Body, f.Metadata)
	}
}

// FuzzConfirmChoices: whatever a confirmation form holds, only offered
// choices for file indexes 0-999 come out, and every refused value is
// reported rather than dropped.
func FuzzConfirmChoices(f *testing.F) {
	f.Add("file-0=strip&file-1=keep&file-2=remove")
	f.Add("file-0=shred&file-01=keep&file--1=strip&file-1000=keep&draft=x")
	f.Add("file-0=&file-0=keep&file-%E2%80%8E3=strip")
	f.Fuzz(func(t *testing.T, raw string) {
		form, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		choices, bad := confirmChoices(form)
		for i, c := range choices {
			if i < 0 || i >= 1000 || !intake.ValidChoice(c) {
				t.Fatalf("choice %d = %q", i, c)
			}
		}
		for _, i := range bad {
			if _, ok := choices[i]; ok {
				t.Fatalf("file %d is both chosen and refused", i)
			}
			if i < 0 || i >= 1000 {
				t.Fatalf("refused index %d out of range", i)
			}
		}
	})
}

// The submission's confirmation step refuses a value that is none of the
// choices the same way (it used to fall back to the default silently).
func TestConfirmUnknownChoiceIsRefused(t *testing.T) {
	e := newAPIEnv(t, store.SQLite)
	_, token := e.confirmStep1("photo.jpg", gpsJPEG(t, "Someone"))
	status, body := e.confirmStep2(map[string]string{"draft": token, "file-0": "publish"})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "Choose one of the options for this file.") {
		t.Fatalf("unknown choice: %d", status)
	}
	if n, _ := e.countStored(); n != 0 {
		t.Fatal("a report exists after a refused choice")
	}
	if status, body := e.confirmStep2(map[string]string{"draft": token, "file-0": "strip"}); status != http.StatusOK ||
		!htmlReceiptRE.MatchString(body) {
		t.Fatalf("then a valid choice: %d", status)
	}
}
