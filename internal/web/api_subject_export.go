package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
)

// The access export of a person concerned (DSR-5; GDPR art. 15): the
// texts that mention the person, with the reporting person and every
// other person redacted, plus the source, purposes and retention. Only
// holders of the case key; everyone else gets 404.
func (s *Server) apiSubjectExport(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		e, err := s.d.Cases.SubjectExport(r.Context(), st, r.PathValue("id"), r.PathValue("pid"))
		if err != nil {
			return nil, err
		}
		if exp, _, err := s.retention().CaseExpiry(r.Context(), r.PathValue("id")); err == nil && !exp.IsZero() {
			e.ExpiresAt = &exp
		}
		return e, nil
	})
}
