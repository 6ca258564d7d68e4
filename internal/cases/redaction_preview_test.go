package cases_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DA-2, review: one page of a copy as a PNG, with the current areas burnt
// in while it is prepared and from the approved output afterwards; a page
// the copy lacks, or a plain text copy, has no page image.
func TestDA2RedactionPagePreviewShowsTheAreasBeforeAndAfterApproval(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		h1 := e.staff(t, "preparer@example.org", org.DefaultChannel)
		h2 := e.staff(t, "reviewer@example.org", org.DefaultChannel)
		img := image.NewRGBA(image.Rect(0, 0, 200, 100))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		reportID, fileID := e.submitFile(t, "photo.png", "image/png", buf.Bytes())
		v, err := e.cases.CreateRedaction(ctx, h1, reportID, cases.RedactionStart{FileID: fileID})
		requireEngine(t, err)
		if v, err = e.cases.UpdateRedaction(ctx, h1, reportID, v.ID, cases.RedactionChange{
			AddAreas: []docredact.Area{{Page: 1, X: .5, Y: .5, W: .4, H: .3}}}); err != nil {
			t.Fatal(err)
		}
		check := func(when string) {
			t.Helper()
			p, err := e.cases.RedactionPagePreview(ctx, h1, reportID, v.ID, 1, false)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			got, err := png.Decode(bytes.NewReader(p.PNG))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if p.Pages != 1 || got.Bounds().Dx() != 200 || got.Bounds().Dy() != 100 {
				t.Errorf("%s: %d pages of %v", when, p.Pages, got.Bounds())
			}
			gray := func(x, y int) uint8 { return color.GrayModel.Convert(got.At(x, y)).(color.Gray).Y }
			if gray(140, 65) != 0 || gray(20, 20) != 255 {
				t.Errorf("%s: inside the area %d, outside %d", when, gray(140, 65), gray(20, 20))
			}
		}
		check("draft")
		for _, page := range []int{0, 2} {
			if _, err := e.cases.RedactionPagePreview(ctx, h1, reportID, v.ID, page, true); !errors.Is(err, cases.ErrNotFound) {
				t.Errorf("page %d: %v, want ErrNotFound", page, err)
			}
		}
		if _, err := e.cases.SubmitRedaction(ctx, h1, reportID, v.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.cases.ApproveRedaction(ctx, h2, reportID, v.ID)
		requireEngine(t, err)
		check("approved")

		// Plain text has no pages.
		textReport, textFile := e.submitFile(t, "note.txt", "text/plain", []byte("Ring 22 33 44 55.\n"))
		tv, err := e.cases.CreateRedaction(ctx, h1, textReport, cases.RedactionStart{FileID: textFile})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.RedactionPagePreview(ctx, h1, textReport, tv.ID, 1, true); !errors.Is(err, cases.ErrNotFound) {
			t.Errorf("a text copy: %v, want ErrNotFound", err)
		}
	})
}
