package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/docredact"
)

// Anonymised copies of case files (issue 4, DA-2): a handler with the case
// key prepares a copy, a second one approves or rejects it, and only a
// released copy is downloaded or disclosed. Everyone without the case key
// gets 404, as for the case itself.

// redactionProblem classifies the errors of the redaction routes.
func redactionProblem(err error) error {
	var gf *cases.GateFailure
	switch {
	case errors.As(err, &gf):
		return &problem{status: http.StatusUnprocessableEntity, code: "gate_failed", msg: gf.Error()}
	case errors.Is(err, cases.ErrNoCaseKey):
		return &problem{status: http.StatusNotFound, code: "not_found", msg: "not found"}
	}
	return err
}

// areaPercent is an area as clients send it: in percent of the page.
type areaPercent struct {
	Page int     `json:"page"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	W    float64 `json:"w"`
	H    float64 `json:"h"`
}

func (a areaPercent) area() docredact.Area {
	return docredact.Area{Page: a.Page, X: a.X / 100, Y: a.Y / 100, W: a.W / 100, H: a.H / 100}
}

func (s *Server) apiRedactions(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		xs, err := s.d.Cases.Redactions(r.Context(), st, r.PathValue("id"))
		return map[string]any{"redactions": xs}, redactionProblem(err)
	})
}

func (s *Server) apiRedactionCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		FileID string `json:"file_id"`
		Lang   string `json:"lang"`
	}
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.CreateRedaction(r.Context(), st, r.PathValue("id"), cases.RedactionStart{FileID: in.FileID, Lang: in.Lang})
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedaction(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.Redaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedactionUpdate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Version      int64         `json:"version"`
		Redact       []string      `json:"redact"`
		Keep         []string      `json:"keep"`
		AddAreas     []areaPercent `json:"add_areas"`
		RemoveAreas  []string      `json:"remove_areas"`
		AddValues    []string      `json:"add_values"`
		RemoveValues []string      `json:"remove_values"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		ch := cases.RedactionChange{Version: in.Version, Redact: in.Redact, Keep: in.Keep, RemoveAreas: in.RemoveAreas,
			AddValues: in.AddValues, RemoveValues: in.RemoveValues}
		for _, a := range in.AddAreas {
			ch.AddAreas = append(ch.AddAreas, a.area())
		}
		v, err := s.d.Cases.UpdateRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), ch)
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedactionSubmit(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.SubmitRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedactionApprove(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.ApproveRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedactionReject(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason string `json:"reason"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.RejectRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"), in.Reason)
		return v, redactionProblem(err)
	})
}

func (s *Server) apiRedactionRelease(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.ReleaseRedaction(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
		return v, redactionProblem(err)
	})
}

// apiRedactionPreview sends the copy as the current decisions render it,
// always as an attachment: the API never renders case content inline.
func (s *Server) apiRedactionPreview(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, _, data, err := s.d.Cases.RedactionPreview(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	if err != nil {
		s.fail(w, r, redactionProblem(err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mimeAttachment(name))
	h.Set("Content-Length", itoa(int64(len(data))))
	w.WriteHeader(http.StatusOK)
	w.Write(data)
}

func (s *Server) apiRedactionDownload(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.d.Cases.OpenRedactedCopy(r.Context(), st, r.PathValue("id"), r.PathValue("redaction"))
	if err != nil {
		s.fail(w, r, redactionProblem(err))
		return
	}
	defer f.Close()
	sendRedactedCopy(s, w, r, f)
}

// sendRedactedCopy streams a released copy as an attachment. A failure
// after the first byte aborts the connection, so a truncated copy never
// passes for a whole one.
func sendRedactedCopy(s *Server, w http.ResponseWriter, r *http.Request, f *cases.RedactedFile) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mimeAttachment(f.Name))
	h.Set("Content-Length", itoa(f.Size))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.d.Logger.Error("redacted copy download failed", "route", r.Pattern, "err", err.Error())
		panic(http.ErrAbortHandler)
	}
}
