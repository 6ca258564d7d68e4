package intake

import (
	"errors"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// CW-5: exclusions apply only to handlers the channel offers, and at least
// one handler must remain so the report reaches someone.
func TestApplyExclusions(t *testing.T) {
	all := []store.Recipient{
		{UserID: "a", DisplayName: "A", OfferExclusion: true},
		{UserID: "b", DisplayName: "B", OfferExclusion: true},
		{UserID: "c"}, // not offered
	}
	tests := []struct {
		name     string
		all      []store.Recipient
		exclude  []string
		keep     int
		excluded int
		err      error
	}{
		{"no exclusions keep everyone", all, nil, 3, 0, nil},
		{"one offered handler", all, []string{"a"}, 2, 1, nil},
		{"a repeated id counts once", all, []string{"a", "a"}, 2, 1, nil},
		{"a handler not offered", all, []string{"c"}, 0, 0, ErrInvalidExclusion},
		{"an unknown id", all, []string{"zz"}, 0, 0, ErrInvalidExclusion},
		{"every handler", all[:2], []string{"a", "b"}, 0, 0, ErrInvalidExclusion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep, excluded, err := applyExclusions(tt.all, tt.exclude)
			if !errors.Is(err, tt.err) || len(keep) != tt.keep || len(excluded) != tt.excluded {
				t.Fatalf("keep %d, excluded %d, err %v; want %d, %d, %v", len(keep), len(excluded), err, tt.keep, tt.excluded, tt.err)
			}
		})
	}
}
