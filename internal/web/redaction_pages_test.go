package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/pdftest"
	"github.com/varsel/varsel/internal/store"
)

// Page previews on the review page of an anonymised copy (issue 4, DA-2):
// a PDF copy shows one image per page, a few pages per view, each with its
// findings and an area form for that page; the images come from a staff
// route with the security headers and no-store, for key holders only.

// needRedactTools skips a test without poppler and tesseract (a PDF copy
// is analysed with OCR), or fails it when VARSEL_REQUIRE_REDACT_TOOLS=1.
func needRedactTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"pdfinfo", "pdftoppm", "pdftotext", "tesseract"} {
		if !docredact.HaveTool(tool) {
			if os.Getenv("VARSEL_REQUIRE_REDACT_TOOLS") == "1" {
				t.Fatalf("VARSEL_REQUIRE_REDACT_TOOLS=1: %s is not installed", tool)
			}
			t.Skipf("%s is not installed: PDF copies cannot be made here", tool)
		}
	}
}

// pdfCopy is a case with a PDF file of pdfCopyPages pages and a draft
// copy of it with one manual area on page 2.
type pdfCopy struct {
	e              *apiEnv
	caseID, copyID string
	owner          *http.Cookie
	review         string // path of the review page
}

const pdfCopyPages = 7

// pdfCopyArea is the manual area, in percent, on page 2.
var pdfCopyArea = map[string]any{"page": 2, "x": 20, "y": 40, "w": 40, "h": 10}

func newPDFCopy(t *testing.T, d store.Dialect) *pdfCopy {
	t.Helper()
	e := newAPIEnv(t, d)
	e.submitOK(minimalAnswers("pdf copy"), upload{Name: "memo.pdf", Type: "application/pdf",
		Body: bytes.NewReader(pdftest.Build(pdftest.Dirty{Pages: pdfCopyPages, Text: "Visible words"}))})
	tok := e.staffLogin(e.handler)
	c := e.caseWith(tok, "pdf copy")
	base := "/api/v1/staff/cases/" + c.ID + "/redactions"
	var x redactionJSON
	e.doJSON(e.staff.URL, "POST", base, tok, map[string]string{"file_id": c.Files[0].ID}, http.StatusCreated, &x)
	e.doJSON(e.staff.URL, "PATCH", base+"/"+x.ID, tok, map[string]any{"version": x.Version,
		"add_areas": []map[string]any{pdfCopyArea}}, http.StatusOK, &x)
	return &pdfCopy{e: e, caseID: c.ID, copyID: x.ID, owner: e.staffCookieLogin(e.handler),
		review: "/cases/" + c.ID + "/redactions/" + x.ID}
}

// fetch GETs a staff path with a cookie (nil: none) without following
// redirects.
func (p *pdfCopy) fetch(t *testing.T, path string, c *http.Cookie) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", p.e.staff.URL+path, nil)
	if c != nil {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (p *pdfCopy) pageImage(t *testing.T, path string) image.Image {
	t.Helper()
	res := p.fetch(t, path, p.owner)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	h := res.Header
	if res.StatusCode != http.StatusOK || h.Get("Content-Type") != "image/png" || h.Get("Cache-Control") != "no-store" ||
		h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("GET %s: %d %v", path, res.StatusCode, h)
	}
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: not a PNG: %v", path, err)
	}
	return img
}

func grayAt(img image.Image, fx, fy float64) uint8 {
	b := img.Bounds()
	return color.GrayModel.Convert(img.At(b.Min.X+int(fx*float64(b.Dx())), b.Min.Y+int(fy*float64(b.Dy())))).(color.Gray).Y
}

func TestRedactionReviewShowsPagePreviewsOfAPDFCopyFivePagesAtATime(t *testing.T) {
	needRedactTools(t)
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		p := newPDFCopy(t, d)
		img := func(n string) string { return p.review + "/pages/" + n + "?lang=en" }
		body := p.e.page(p.e.staff.URL, p.review+"?lang=en", p.owner, http.StatusOK)
		htmlWant(t, "first view", body, `id="pages-title"`, "Pages 1–5 of 7", "Page 1 of 7", "Page 5 of 7",
			`src="`+img("1")+`"`, `src="`+img("5")+`"`, `id="page-2"`, `name="page" value="2"`, `id="p2-area-x"`,
			"x 20 %, y 40 %", "Next pages", "Hide the grid")
		htmlWantNot(t, "first view", body, `src="`+img("6")+`"`, "Previous pages")
		body = p.e.page(p.e.staff.URL, p.review+"?from=6&lang=en", p.owner, http.StatusOK)
		htmlWant(t, "second view", body, "Pages 6–7 of 7", "Page 7 of 7", `src="`+img("6")+`"`, `src="`+img("7")+`"`,
			"Previous pages", `name="from" value="6"`)
		htmlWantNot(t, "second view", body, `src="`+img("5")+`"`, "Next pages")
		// A "from" beyond the document falls back to the first view.
		body = p.e.page(p.e.staff.URL, p.review+"?from=999&lang=en", p.owner, http.StatusOK)
		htmlWant(t, "bad from", body, "Pages 1–5 of 7")

		// Page 2 carries the manual area as a black box where it is; the
		// other pages are blank there.
		page2 := p.pageImage(t, p.review+"/pages/2?grid=0")
		if b := page2.Bounds(); b.Dx() >= b.Dy() || b.Dx() < 500 {
			t.Errorf("a letter page previews at %dx%d", b.Dx(), b.Dy())
		}
		for _, pt := range [][2]float64{{0.25, 0.45}, {0.4, 0.45}, {0.55, 0.45}} {
			if v := grayAt(page2, pt[0], pt[1]); v != 0 {
				t.Errorf("page 2 at %v is %d, not black", pt, v)
			}
		}
		if v := grayAt(p.pageImage(t, p.review+"/pages/3?grid=0"), 0.4, 0.45); v < 200 {
			t.Errorf("page 3 has a box at the area of page 2 (%d)", v)
		}
		// The grid is on by default and off with grid=0.
		if v := grayAt(p.pageImage(t, p.review+"/pages/3"), 0.5, 0.9); v > 230 {
			t.Errorf("no grid line at 50 %% across (%d)", v)
		}
		if v := grayAt(p.pageImage(t, p.review+"/pages/3?grid=0"), 0.5, 0.9); v < 250 {
			t.Errorf("grid=0 still draws a line (%d)", v)
		}
		// Pages the copy does not have.
		for _, n := range []string{"0", "8", "02", "x", "-1"} {
			if res := p.fetch(t, p.review+"/pages/"+n, p.owner); res.StatusCode != http.StatusNotFound {
				t.Errorf("page %q: %d, want 404", n, res.StatusCode)
			}
		}
	})
}

func TestRedactionAreaFormUnderAPagePreviewAddsTheAreaAndReturnsToThePage(t *testing.T) {
	needRedactTools(t)
	p := newPDFCopy(t, store.SQLite)
	body := p.e.page(p.e.staff.URL, p.review+"?from=6&lang=en", p.owner, http.StatusOK)
	version := htmlVersion(t, body)
	post := func(form url.Values) (*http.Response, string) {
		form.Set("csrf", csrfToken(p.owner.Value))
		form.Set("lang", "en")
		form.Set("version", version)
		req, _ := http.NewRequest("POST", p.e.staff.URL+p.review+"/areas", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(p.owner)
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	// Refused: the page's own form shows the error and the values, on
	// the view that holds the page; nothing is added.
	res, body := post(url.Values{"page": {"7"}, "from": {"6"}, "x": {"90"}, "y": {"10"}, "w": {"20"}, "h": {"5"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("an area outside the page: %d", res.StatusCode)
	}
	htmlWant(t, "refused area", body, `href="#p7-area-x"`, `id="p7-area-x" name="x" value="90"`, "Pages 6–7 of 7")
	htmlWantNot(t, "refused area", body, `id="area-x" name="x" value="90"`)
	// Accepted: back to the view and the page.
	res, _ = post(url.Values{"page": {"7"}, "from": {"6"}, "x": {"10"}, "y": {"10"}, "w": {"20"}, "h": {"5"}})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "from=6") || !strings.HasSuffix(loc, "#page-7") {
		t.Fatalf("added: %d to %q", res.StatusCode, loc)
	}
	if v := grayAt(p.pageImage(t, p.review+"/pages/7?grid=0"), 0.2, 0.12); v != 0 {
		t.Errorf("the new area is not black on page 7 (%d)", v)
	}
}
