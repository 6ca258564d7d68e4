package cases

import (
	"context"

	"github.com/varsel/varsel/internal/accounts"
)

// ConvertedSourceOf gives the tests (package cases_test) the PDF the page
// previews of a copy render from, with src posing as the copy's source:
// the way to show that a kept conversion is never served for bytes other
// than those it was made from, since a case file cannot change.
func (s *Service) ConvertedSourceOf(ctx context.Context, st *accounts.Staff, reportID, redactionID string, src []byte) ([]byte, error) {
	c, x, _, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return nil, err
	}
	return s.convertedSource(ctx, c, x, src)
}
