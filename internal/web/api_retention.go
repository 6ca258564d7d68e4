package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// Retention and deletion (internal/retention, RT-1, RT-2, RT-4, JR-4):
// policies, legal holds, the one extension per case, upcoming deletions,
// deletion records and purges.

func (s *Server) retention() *retention.Service {
	return retention.New(s.d.DB, s.d.Tenant, s.d.Now)
}

// retentionProblem classifies the errors of this file; the rest goes to
// classify.
func retentionProblem(err error) error {
	switch {
	case errors.Is(err, retention.ErrForbidden), errors.Is(err, retention.ErrRegister):
		return &problem{status: http.StatusForbidden, code: "forbidden", msg: err.Error()}
	case errors.Is(err, retention.ErrInvalidPolicy), errors.Is(err, cases.ErrInvalidRetention), errors.Is(err, cases.ErrInvalidPurge):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrHoldExists), errors.Is(err, cases.ErrNoHold), errors.Is(err, cases.ErrAlreadyExtended):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	}
	return err
}

func (s *Server) apiRetentionPolicies(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.retention().Policies(r.Context(), st)
	if err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	if list == nil {
		list = []retention.Policy{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"policies": list, "default_months": retention.DefaultMonths,
		"grace_days": int(retention.Grace.Hours() / 24)})
}

func (s *Server) apiRetentionPolicyPut(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in retention.PolicyChange
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.retention().SetPolicy(r.Context(), st, in)
	if err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) apiRetentionUpcoming(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.retention().Upcoming(r.Context(), st)
	if err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": list})
}

func (s *Server) apiRetentionDeletions(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	list, err := s.retention().Deletions(r.Context(), st)
	if err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"deletions": list})
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (s *Server) apiCaseHold(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in reasonBody
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.PlaceHold(r.Context(), st, r.PathValue("id"), in.Reason); err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCaseHoldRelease(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in reasonBody // the body, with a reason, is optional
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if err := s.d.Cases.ReleaseHold(r.Context(), st, r.PathValue("id"), in.Reason); err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCaseRetentionExtend(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Months int    `json:"months"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.ExtendRetention(r.Context(), st, r.PathValue("id"), in.Months, in.Reason); err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCasePurge(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		MessageIDs []string `json:"message_ids"`
		FileIDs    []string `json:"file_ids"`
		Reason     string   `json:"reason"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.Purge(r.Context(), st, r.PathValue("id"), in.MessageIDs, in.FileIDs, in.Reason); err != nil {
		s.fail(w, r, retentionProblem(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// addRetention fills the retention fields of the case JSON.
func (s *Server) addRetention(r *http.Request, c *caseJSON) error {
	exp, confirmed, err := s.retention().CaseExpiry(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	held, err := s.d.DB.Hold(r.Context(), s.d.Tenant, r.PathValue("id"))
	switch {
	case err == nil:
		c.RetentionHold = held.ReportID != ""
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	c.ExpiresAt, c.RetentionConfirmed = optTime(exp), confirmed
	return nil
}
