package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The breach response plan (privacy/phases.go): start and complete a
// phase, add an item of the organisation's own, tick an item. Admins and
// the DPO only. Each answers with the whole breach, phases included.

func (s *Server) apiBreachPhaseStart(w http.ResponseWriter, r *http.Request) {
	var in privacy.PhaseNote
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.StartPhase(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), in)
	})
}

func (s *Server) apiBreachPhaseComplete(w http.ResponseWriter, r *http.Request) {
	var in privacy.PhaseNote
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CompletePhase(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), in)
	})
}

func (s *Server) apiBreachPhaseItemAdd(w http.ResponseWriter, r *http.Request) {
	var in privacy.PhaseItemNew
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.AddPhaseItem(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), in)
	})
}

func (s *Server) apiBreachPhaseItemSet(w http.ResponseWriter, r *http.Request) {
	var in privacy.PhaseItemChange
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.SetPhaseItem(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), r.PathValue("item"), in)
	})
}
