package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The GDPR registers (internal/privacy): breach log and data-subject
// requests. Admins and the DPO only; handlers get 403 "forbidden".

func (s *Server) privacy() *privacy.Service {
	return privacy.New(privacy.Config{DB: s.d.DB, Tenant: s.d.Tenant, Now: s.d.Now})
}

// privacyAPI authenticates the request, decodes its JSON body into in
// (when in is not nil) and answers with what call returns.
func (s *Server) privacyAPI(w http.ResponseWriter, r *http.Request, status int, in any,
	call func(p *privacy.Service, st *accounts.Staff) (any, error)) {
	mayUse := func(st *accounts.Staff) error {
		if !privacy.MayUse(st.Role) {
			return privacy.ErrForbidden
		}
		return nil
	}
	s.guardedStaffAPI(w, r, status, mayUse, in, func(st *accounts.Staff) (any, error) { return call(s.privacy(), st) })
}

func (s *Server) apiBreaches(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.Breaches(r.Context(), st)
		return map[string]any{"breaches": rows}, err
	})
}

func (s *Server) apiBreachCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.NewBreach
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.RecordBreach(r.Context(), st, in)
	})
}

func (s *Server) apiBreach(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Breach(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiBreachUpdate(w http.ResponseWriter, r *http.Request) {
	var in privacy.BreachUpdate
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.UpdateBreach(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiBreachNotifyAuthority(w http.ResponseWriter, r *http.Request) {
	var in privacy.AuthorityNotification
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.NotifyAuthority(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiBreachSubjectNotice(w http.ResponseWriter, r *http.Request) {
	var in privacy.SubjectNotice
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.RecordSubjectNotice(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiBreachClose(w http.ResponseWriter, r *http.Request) {
	var in privacy.BreachClose
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CloseBreach(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRequests(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.Requests(r.Context(), st)
		return map[string]any{"requests": rows}, err
	})
}

func (s *Server) apiRequestCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.NewRequest
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.RecordRequest(r.Context(), st, in)
	})
}

func (s *Server) apiRequest(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Request(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiRequestVerify(w http.ResponseWriter, r *http.Request) {
	var in privacy.Verification
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.VerifyRequest(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRequestExtend(w http.ResponseWriter, r *http.Request) {
	var in privacy.Extension
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.ExtendRequest(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRequestComplete(w http.ResponseWriter, r *http.Request) {
	var in privacy.Completion
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CompleteRequest(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRequestRefuse(w http.ResponseWriter, r *http.Request) {
	var in privacy.Refusal
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.RefuseRequest(r.Context(), st, r.PathValue("id"), in)
	})
}
