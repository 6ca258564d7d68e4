package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
)

// Owners and reviews of register entries and the DPO's dashboard
// (privacy/schedule.go, privacy/dashboard.go). Admins and the DPO only.

// apiMarkReviewed answers POST …/{id}/reviewed of one register.
func (s *Server) apiMarkReviewed(register string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in privacy.MarkReviewed
		s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
			return p.MarkReviewed(r.Context(), st, register, r.PathValue("id"), in)
		})
	}
}

func policyPathID(r *http.Request) string {
	return r.PathValue("channel") + "/" + r.PathValue("category")
}

func (s *Server) apiRetentionPolicyRegister(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.RetentionPolicies(r.Context(), st)
		return map[string]any{"policies": rows}, err
	})
}

func (s *Server) apiRetentionPolicySchedule(w http.ResponseWriter, r *http.Request) {
	var in privacy.PolicySchedule
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.SetPolicySchedule(r.Context(), st, policyPathID(r), in)
	})
}

func (s *Server) apiRetentionPolicyReviewed(w http.ResponseWriter, r *http.Request) {
	var in privacy.MarkReviewed
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.MarkReviewed(r.Context(), st, store.RegisterRetentionPolicy, policyPathID(r), in)
	})
}

func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Dashboard(r.Context(), st)
	})
}
