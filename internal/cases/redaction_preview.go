package cases

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/docredact"
)

// previewSlots bounds the page previews rendered at once: a review page
// asks for several images together, and each runs poppler (and the first
// of an office file without a kept conversion LibreOffice); the rest wait
// their turn rather than load every core.
var previewSlots = make(chan struct{}, max(1, runtime.NumCPU()))

// RedactionPage is one page of a copy as a PNG for the review page.
type RedactionPage struct {
	PNG           []byte
	Page, Pages   int
	Width, Height int
}

// RedactionPagePreview renders one page of a copy of a PDF, office file or
// image: the original with the current areas burnt in while the copy is
// being prepared, the stored output once approved. An office source is
// rendered from its kept conversion (redaction_conversion.go), converted
// and kept first if there is none. Pages are rendered on each request and
// never written anywhere but the engine's private work directory, which
// is removed at once: a page of a case file is case content and is not
// kept in clear. Grid adds the reading grid of docredact.PreviewOptions.
// A page the copy does not have, and a plain text copy (which has no
// pages), are ErrNotFound. The read is audited ("preview"), as the
// whole-file preview is.
func (s *Service) RedactionPagePreview(ctx context.Context, st *accounts.Staff, reportID, redactionID string, page int, grid bool) (RedactionPage, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionPage{}, err
	}
	if b.Text || page < 1 || (b.Pages > 0 && page > b.Pages) {
		return RedactionPage{}, ErrNotFound
	}
	var (
		src       []byte
		areas     []docredact.Area
		converted bool
	)
	if b.Output != nil && x.BlobKey != "" {
		// The approved output already has its boxes.
		if src, err = s.readOutput(ctx, x, b); err != nil {
			return RedactionPage{}, err
		}
	} else {
		if _, src, err = s.readSource(ctx, c, x.FileID); err != nil {
			return RedactionPage{}, err
		}
		areas = b.areas()
		if docredact.IsOffice(src) {
			if src, err = s.convertedSource(ctx, c, x, src); err != nil {
				return RedactionPage{}, fmt.Errorf("cases: preview page of a redaction: %w", err)
			}
			converted = true
		}
	}
	select {
	case previewSlots <- struct{}{}:
	case <-ctx.Done():
		return RedactionPage{}, fmt.Errorf("cases: waiting to render a preview: %w", ctx.Err())
	}
	opt := docredact.PreviewOptions{Grid: grid}
	var p *docredact.Preview
	if converted {
		p, err = docredact.PreviewConvertedPage(ctx, src, page, areas, opt)
	} else {
		p, err = docredact.PreviewPage(ctx, src, page, areas, opt)
	}
	<-previewSlots
	if errors.Is(err, docredact.ErrNoPage) {
		return RedactionPage{}, ErrNotFound
	}
	if err != nil {
		return RedactionPage{}, fmt.Errorf("cases: preview page of a redaction: %w", engineError(err))
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRedact, audit.ObjectCase, reportID, "preview")); err != nil {
		return RedactionPage{}, err
	}
	return RedactionPage{PNG: p.PNG, Page: p.Page, Pages: p.Pages, Width: p.Width, Height: p.Height}, nil
}
