package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/varsel/varsel/internal/cases"
)

// Page previews on the review page of an anonymised copy of a PDF, office
// file or image (issue 4, DA-2): each page as the copy will show it, with
// the areas burnt in and a reading grid, so that a handler can place an
// area without JavaScript. Long documents are shown a few pages at a time.

// previewPagesPerView is how many page images one view of the review page
// loads: each is rendered on request, and a document can have hundreds.
const previewPagesPerView = 5

// previewPage is one page of the view.
type previewPage struct {
	Number   int
	Anchor   string // id of the page's figure
	ImageURL string
	Findings []findingRow
	Areas    []areaRow
	// Form: the page's own area form, its control ids prefixed by Prefix;
	// In holds what a refused post for this page held, Error why.
	Prefix string
	In     struct{ X, Y, W, H string }
	Error  string
}

// pageView is the paged list of page previews.
type pageView struct {
	Pages            []previewPage
	From, To, Total  int
	PrevURL, NextURL string
	Grid             bool
	GridURL          string // the same view with the grid toggled
	FromValue        string // the view's first page, for the forms
}

// pageViewStart is the first page of the view holding page p.
func pageViewStart(p int) int {
	return (p-1)/previewPagesPerView*previewPagesPerView + 1
}

// reviewURL is the review page showing the view that holds page, grid
// on or off, scrolled to the page when anchor is set.
func reviewURL(caseID, redactionID, lang string, from int, grid bool, anchor string) string {
	q := url.Values{}
	if from > 1 {
		q.Set("from", strconv.Itoa(from))
	}
	if !grid {
		q.Set("grid", "0")
	}
	u := "/cases/" + url.PathEscape(caseID) + "/redactions/" + url.PathEscape(redactionID)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	u = withLang(u, lang)
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// redactionPageView builds the view of page previews for a copy of a file
// with pages (nil for plain text). The view is chosen by the "from" query
// parameter, or by the page of a refused area form so its error shows.
func (s *Server) redactionPageView(r *http.Request, lang string, x cases.RedactionView, in redactionInput, findings []findingRow, areas []areaRow) *pageView {
	if x.PlainText || x.Pages < 1 {
		return nil
	}
	id, rid := r.PathValue("id"), r.PathValue("redaction")
	grid := r.URL.Query().Get("grid") != "0" && r.PostForm.Get("grid") != "0"
	from := 1
	if v, err := strconv.Atoi(r.URL.Query().Get("from")); err == nil && v >= 1 && v <= x.Pages {
		from = pageViewStart(v)
	}
	if v, err := strconv.Atoi(r.PostForm.Get("from")); err == nil && v >= 1 && v <= x.Pages {
		from = pageViewStart(v)
	}
	errPage := 0
	if in.Errors["area"] != "" {
		if p, err := strconv.Atoi(in.Area.Page); err == nil && p >= 1 && p <= x.Pages {
			errPage, from = p, pageViewStart(p)
		}
	}
	to := min(x.Pages, from+previewPagesPerView-1)
	pv := &pageView{From: from, To: to, Total: x.Pages, Grid: grid, FromValue: strconv.Itoa(from),
		GridURL: reviewURL(id, rid, lang, from, !grid, "pages-title")}
	if from > 1 {
		pv.PrevURL = reviewURL(id, rid, lang, from-previewPagesPerView, grid, "pages-title")
	}
	if to < x.Pages {
		pv.NextURL = reviewURL(id, rid, lang, to+1, grid, "pages-title")
	}
	base := "/cases/" + url.PathEscape(id) + "/redactions/" + url.PathEscape(rid) + "/pages/"
	for n := from; n <= to; n++ {
		img := base + strconv.Itoa(n)
		if !grid {
			img += "?grid=0"
		}
		p := previewPage{Number: n, Anchor: "page-" + strconv.Itoa(n), ImageURL: withLang(img, lang), Prefix: "p" + strconv.Itoa(n) + "-"}
		for _, f := range findings {
			if f.Page == n {
				p.Findings = append(p.Findings, f)
			}
		}
		for _, a := range areas {
			if a.Page == n {
				p.Areas = append(p.Areas, a)
			}
		}
		if n == errPage {
			p.In.X, p.In.Y, p.In.W, p.In.H = in.Area.X, in.Area.Y, in.Area.W, in.Area.H
			p.Error = in.Errors["area"]
		}
		pv.Pages = append(pv.Pages, p)
	}
	return pv
}

// redactionPageImage serves one page of a copy as a PNG for the review
// page's <img>: rendered on each request from the sealed file, or for an
// office file from its sealed kept conversion (nothing is kept in clear),
// with the security headers and no-store like every
// staff answer. Only holders of the case key see it; anyone else, and a
// page the copy does not have, gets 404.
func (s *Server) redactionPageImage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, _ := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	page, err := strconv.Atoi(r.PathValue("page"))
	if err != nil || page < 1 || strconv.Itoa(page) != r.PathValue("page") {
		s.pages.notFound(w, r)
		return
	}
	grid := r.URL.Query().Get("grid") != "0"
	p, err := s.d.Cases.RedactionPagePreview(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), page, grid)
	if s.pageFailed(w, r, lang, err, "/cases/"+url.PathEscape(r.PathValue("id"))+"/redactions/"+url.PathEscape(r.PathValue("redaction"))) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("Content-Disposition", "inline")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", itoa(int64(len(p.PNG))))
	w.WriteHeader(http.StatusOK)
	w.Write(p.PNG)
}
