package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
)

// identityProblem classifies the errors of the identity vault (CA-3);
// anything else goes through classify.
func identityProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrNotCustodian), errors.Is(err, cases.ErrOwnRequest):
		return &problem{status: http.StatusForbidden, code: "forbidden", msg: err.Error()}
	case errors.Is(err, cases.ErrNoIdentity), errors.Is(err, intake.ErrNoIdentity):
		return &problem{status: http.StatusConflict, code: "no_identity", msg: err.Error()}
	case errors.Is(err, cases.ErrNoCustodian):
		return &problem{status: http.StatusConflict, code: "no_custodian", msg: err.Error()}
	case errors.Is(err, cases.ErrIdentityReadable), errors.Is(err, cases.ErrRequestPending),
		errors.Is(err, cases.ErrDecided), errors.Is(err, cases.ErrRequesterLostAccess):
		return &problem{status: http.StatusConflict, code: "conflict", msg: err.Error()}
	case errors.Is(err, cases.ErrReasonInvalid):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	}
	return err
}

// apiIdentityRequestCreate: a handler of the case asks for its identity.
func (s *Server) apiIdentityRequestCreate(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.d.Cases.RequestIdentity(r.Context(), st, r.PathValue("id"), body.Reason)
	if err != nil {
		s.fail(w, r, identityProblem(err))
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

// apiIdentityRequests lists the pending requests a custodian can decide
// and the caller's own requests.
func (s *Server) apiIdentityRequests(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending, own, err := s.d.Cases.IdentityRequests(r.Context(), st)
	if err != nil {
		s.fail(w, r, identityProblem(err))
		return
	}
	if pending == nil {
		pending = []cases.IdentityRequestView{}
	}
	if own == nil {
		own = []cases.IdentityRequestView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pending": pending, "own": own})
}

func (s *Server) apiIdentityApprove(w http.ResponseWriter, r *http.Request) {
	s.apiIdentityDecide(w, r, true)
}

func (s *Server) apiIdentityDeny(w http.ResponseWriter, r *http.Request) {
	s.apiIdentityDecide(w, r, false)
}

func (s *Server) apiIdentityDecide(w http.ResponseWriter, r *http.Request, approve bool) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Reason string `json:"reason"`
	}
	// Approval takes an optional reason, so an empty body is fine there.
	if r.ContentLength != 0 || !approve {
		if err := decodeJSON(w, r, &body); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.d.Cases.DecideIdentity(r.Context(), st, r.PathValue("rid"), approve, body.Reason); err != nil {
		s.fail(w, r, identityProblem(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiWBIdentityConsent: the whistleblower shares their identity with the
// case's current handlers.
func (s *Server) apiWBIdentityConsent(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := s.d.Intake.ConsentIdentity(r.Context(), wb)
	if err != nil {
		s.fail(w, r, identityProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"shared_with": n})
}
