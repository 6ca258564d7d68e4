package web

import (
	"errors"
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
)

// Disclosure notes (DA-1, CA-3) and the case export (RT-3). Only a
// handler who holds the case key reaches any of them; everyone else gets
// 404, as for the case itself.

// disclosureProblem classifies the errors of this file for the client.
func disclosureProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrInvalidDisclosure):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrIdentityBasisRequired):
		return &problem{status: http.StatusUnprocessableEntity, code: "identity_basis_required", msg: err.Error()}
	case errors.Is(err, cases.ErrIdentityNotReadable):
		return &problem{status: http.StatusForbidden, code: "identity_not_readable", msg: err.Error()}
	case errors.Is(err, cases.ErrDisclosureFinal):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, cases.ErrNoCaseKey):
		// A holder without the case key: the notes are sealed under it.
		return &problem{status: http.StatusNotFound, code: "not_found", msg: "not found"}
	}
	return err
}

type disclosureBody struct {
	Recipient  string   `json:"recipient"`
	LegalBasis string   `json:"legal_basis"`
	Date       string   `json:"date"`
	Answers    []string `json:"answers"`
	Identity   []string `json:"identity"`
	Messages   []string `json:"messages"`
	Files      []string `json:"files"`
	Redactions []string `json:"redactions"`
	Text       string   `json:"text"`
}

func (s *Server) apiDisclosureCreate(w http.ResponseWriter, r *http.Request) {
	var in disclosureBody
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.CreateDisclosure(r.Context(), st, r.PathValue("id"), cases.DisclosureInput{
			Recipient: in.Recipient, LegalBasis: in.LegalBasis, Date: in.Date, Answers: in.Answers, Identity: in.Identity,
			Messages: in.Messages, Files: in.Files, Redactions: in.Redactions, Text: in.Text})
		return v, disclosureProblem(err)
	})
}

func (s *Server) apiDisclosures(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		ds, err := s.d.Cases.Disclosures(r.Context(), st, r.PathValue("id"))
		return map[string]any{"disclosures": ds}, disclosureProblem(err)
	})
}

func (s *Server) apiDisclosure(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.Disclosure(r.Context(), st, r.PathValue("id"), r.PathValue("did"))
		return v, disclosureProblem(err)
	})
}

func (s *Server) apiDisclosureFinalise(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IdentityBasis string `json:"identity_basis"`
		Notice        string `json:"notice"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.FinaliseDisclosure(r.Context(), st, r.PathValue("id"), r.PathValue("did"),
			cases.FinaliseInput{IdentityBasis: in.IdentityBasis, Notice: in.Notice})
		return v, disclosureProblem(err)
	})
}

func (s *Server) apiDisclosurePDF(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, pdf, err := s.d.Cases.DisclosurePDF(r.Context(), st, r.PathValue("id"), r.PathValue("did"))
	if err != nil {
		s.fail(w, r, disclosureProblem(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mimeAttachment(name))
	h.Set("Content-Length", itoa(int64(len(pdf))))
	w.WriteHeader(http.StatusOK)
	w.Write(pdf)
}

// apiCaseExport streams the case as a zip. Once the first byte is out the
// status cannot change, so a failure later aborts the connection: the
// client sees a broken download rather than a truncated zip.
func (s *Server) apiCaseExport(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	exp, err := s.d.Cases.Export(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, disclosureProblem(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mimeAttachment(exp.Name))
	h.Set(headerExportID, exp.ID)
	h.Set("Trailer", trailerExportSHA256)
	w.WriteHeader(http.StatusOK)
	if err := exp.WriteZip(r.Context(), w); err != nil {
		s.d.Logger.Error("case export failed", "route", r.Pattern, "err", err.Error())
		panic(http.ErrAbortHandler)
	}
	h.Set(trailerExportSHA256, exp.SHA256())
}
