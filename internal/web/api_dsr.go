package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/privacy"
)

// Data-subject requests acting on case data (GDPR arts. 16 to 18):
// linking, restricting, lifting and erasing a whole case from the
// register (admins and the DPO), and erasing or rectifying a person from
// the case (holders of the case key).

// dsrProblem classifies the case-side errors of this feature; the rest
// goes to classify.
func dsrProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrInvalidErasure), errors.Is(err, cases.ErrInvalidRectification):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrLinkState):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	}
	return err
}

func (s *Server) apiRequestLinkCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.LinkInput
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.LinkRequest(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRequestLinkDelete(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusNoContent, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return nil, p.UnlinkRequest(r.Context(), st, r.PathValue("id"), r.PathValue("lid"))
	})
}

func (s *Server) apiRequestLinkRestrict(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		var in privacy.Restriction
		if err := optionalJSON(w, r, &in); err != nil {
			return nil, err
		}
		return p.RestrictLink(r.Context(), st, r.PathValue("id"), r.PathValue("lid"), in)
	})
}

func (s *Server) apiRequestLinkLift(w http.ResponseWriter, r *http.Request) {
	var in privacy.Lift
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.LiftRestriction(r.Context(), st, r.PathValue("id"), r.PathValue("lid"), in)
	})
}

func (s *Server) apiRequestLinkEraseCase(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		var in privacy.CaseErasure
		if err := optionalJSON(w, r, &in); err != nil {
			return nil, err
		}
		v, blobs, err := p.EraseCase(r.Context(), st, r.PathValue("id"), r.PathValue("lid"), in)
		if err != nil {
			return nil, err
		}
		s.d.Cases.DropBlobs(r.Context(), blobs)
		return v, nil
	})
}

// optionalJSON decodes a body that may be left out: no body is the zero value.
func optionalJSON(w http.ResponseWriter, r *http.Request, in any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decodeJSON(w, r, in)
}

func (s *Server) apiRegisterKeyRotate(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusNoContent, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return nil, p.RotateRegisterKey(r.Context(), st)
	})
}

func (s *Server) apiCaseRequests(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.Requests(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiCaseRequestErase(w http.ResponseWriter, r *http.Request) {
	var in cases.Erasure
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.ErasePerson(r.Context(), st, r.PathValue("id"), r.PathValue("lid"), in)
		return v, dsrProblem(err)
	})
}

func (s *Server) apiCaseRequestRectify(w http.ResponseWriter, r *http.Request) {
	var in cases.Rectification
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.RectifyPerson(r.Context(), st, r.PathValue("id"), r.PathValue("lid"), in)
		return v, dsrProblem(err)
	})
}
