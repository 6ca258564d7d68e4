package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
)

// Case exports and the deletion of a case after its export was confirmed
// (RT-3; cases/export_delete.go), and the per-channel setting that allows
// it.

// Headers of a case export: its id at the start, the zip's SHA-256 as a
// trailer once the last byte is out.
const (
	headerExportID      = "Varsel-Export-Id"
	trailerExportSHA256 = "Varsel-Export-Sha256"
)

// exportProblem classifies the errors of this file; the rest goes to
// disclosureProblem and classify.
func exportProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrExportDeletionOff):
		return &problem{status: http.StatusConflict, code: "deletion_not_enabled", msg: err.Error()}
	case errors.Is(err, cases.ErrExportNotClosed):
		return &problem{status: http.StatusConflict, code: "case_not_closed", msg: err.Error()}
	case errors.Is(err, cases.ErrExportHeld):
		return &problem{status: http.StatusConflict, code: "legal_hold", msg: err.Error()}
	case errors.Is(err, cases.ErrExportIncomplete):
		return &problem{status: http.StatusConflict, code: "export_incomplete", msg: err.Error()}
	case errors.Is(err, cases.ErrExportStale):
		return &problem{status: http.StatusConflict, code: "export_stale", msg: err.Error()}
	case errors.Is(err, cases.ErrExportMismatch):
		return &problem{status: http.StatusUnprocessableEntity, code: "sha256_mismatch", msg: err.Error()}
	case errors.Is(err, cases.ErrExportDigest):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrExportNotFound):
		return &problem{status: http.StatusNotFound, code: "not_found", msg: err.Error()}
	case errors.Is(err, cases.ErrInvalidChannels):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	}
	return disclosureProblem(err)
}

func (s *Server) apiCaseExports(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		id := r.PathValue("id")
		list, err := s.d.Cases.Exports(r.Context(), st, id)
		if err != nil {
			return nil, exportProblem(err)
		}
		on, err := s.d.Cases.DeletesAfterExport(r.Context(), st, id)
		if err != nil {
			return nil, exportProblem(err)
		}
		return map[string]any{"exports": list, "delete_after_confirmed_export": on}, nil
	})
}

// apiCaseExportConfirm confirms that the records system holds an export,
// by the zip's SHA-256, and deletes the case.
func (s *Server) apiCaseExportConfirm(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SHA256 string `json:"sha256"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		out, err := s.d.Cases.ConfirmExportDeletion(r.Context(), st, r.PathValue("id"), r.PathValue("eid"), in.SHA256)
		if err != nil {
			return nil, exportProblem(err)
		}
		return map[string]any{"deleted": true, "case_number": out.CaseNumber, "deletion_record": out.RecordID}, nil
	})
}

func (s *Server) apiSettingsExportDeletion(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		list, err := s.d.Cases.DeleteAfterExportChannels(r.Context(), st)
		return map[string]any{"channels": list}, err
	})
}

func (s *Server) apiSettingsExportDeletionPut(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channels []string `json:"channels"`
	}
	s.guardedStaffAPI(w, r, http.StatusOK, settingsAdmin, &in, func(st *accounts.Staff) (any, error) {
		list, err := s.d.Cases.SetDeleteAfterExport(r.Context(), st, in.Channels)
		if err != nil {
			return nil, exportProblem(err)
		}
		return map[string]any{"channels": list}, nil
	})
}
