package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
)

// Workflow settings of the organisation (issue 3): custom statuses that
// map onto the case states and the closing reasons with their outcome
// templates. Every staff user reads them; only admins change them.

// settingsProblem classifies the errors of this file; the rest goes to
// classify.
func settingsProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrInvalidSettings), errors.Is(err, cases.ErrCustomStatus):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	}
	return err
}

// settingsAPI is staffAPI with this file's error classes.
func (s *Server) settingsAPI(w http.ResponseWriter, r *http.Request, status int, in any, call func(st *accounts.Staff) (any, error)) {
	s.staffAPI(w, r, status, in, func(st *accounts.Staff) (any, error) {
		out, err := call(st)
		return out, settingsProblem(err)
	})
}

// settingsAdmin refuses anyone but an admin before the body is read.
func settingsAdmin(st *accounts.Staff) error {
	if st.Role != accounts.RoleAdmin {
		return cases.ErrSettingsForbidden
	}
	return nil
}

func (s *Server) apiSettingsStatuses(w http.ResponseWriter, r *http.Request) {
	s.settingsAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		list, err := s.d.Cases.Statuses(r.Context(), st)
		return map[string]any{"statuses": list, "states": cases.States}, err
	})
}

func (s *Server) apiSettingsStatusesPut(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Statuses []cases.CustomStatus `json:"statuses"`
	}
	s.guardedStaffAPI(w, r, http.StatusOK, settingsAdmin, &in, func(st *accounts.Staff) (any, error) {
		list, err := s.d.Cases.SetStatuses(r.Context(), st, in.Statuses)
		return map[string]any{"statuses": list, "states": cases.States}, settingsProblem(err)
	})
}

func (s *Server) apiSettingsOutcomes(w http.ResponseWriter, r *http.Request) {
	s.settingsAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		list, configured, err := s.d.Cases.ConfiguredOutcomes(r.Context(), st)
		return map[string]any{"outcomes": list, "default": !configured, "placeholder": cases.CaseNumberPlaceholder}, err
	})
}

func (s *Server) apiSettingsOutcomesPut(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcomes []cases.Outcome `json:"outcomes"`
	}
	s.guardedStaffAPI(w, r, http.StatusOK, settingsAdmin, &in, func(st *accounts.Staff) (any, error) {
		list, err := s.d.Cases.SetOutcomes(r.Context(), st, in.Outcomes)
		return map[string]any{"outcomes": list, "default": false, "placeholder": cases.CaseNumberPlaceholder}, settingsProblem(err)
	})
}

func (s *Server) apiCaseCustomStatus(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Status string `json:"status"`
	}
	s.settingsAPI(w, r, http.StatusNoContent, &in, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.SetCustomStatus(r.Context(), st, r.PathValue("id"), in.Status)
	})
}
