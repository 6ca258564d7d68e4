package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
)

// Oral reports, their transcripts and recordings (issue 3; JR-2, JR-3).

// oralProblem classifies the errors of this file; others go to classify.
func oralProblem(err error) error {
	switch {
	case errors.Is(err, cases.ErrConsentRequired):
		return &problem{status: http.StatusUnprocessableEntity, code: "consent_required", msg: err.Error()}
	case errors.Is(err, report.ErrTranscriptFixed):
		return &problem{status: http.StatusConflict, code: "transcript_fixed", msg: err.Error()}
	case errors.Is(err, report.ErrTranscriptState):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, report.ErrTranscriptNotFound):
		return &problem{status: http.StatusNotFound, code: "not_found", msg: "not found"}
	case errors.Is(err, intake.ErrNotChannelHandler):
		return &problem{status: http.StatusForbidden, code: "forbidden", msg: err.Error()}
	case errors.Is(err, intake.ErrInvalidOralSource), errors.Is(err, intake.ErrInvalidOralDate):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	}
	return err
}

// apiOralReport records a report made by phone or in a meeting. The
// receipt in the answer is shown once: the handler hands it to the
// whistleblower and keeps no copy.
func (s *Server) apiOralReport(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Channel          string          `json:"channel"`
		Answers          json.RawMessage `json:"answers"`
		Source           string          `json:"source"`
		ConsentRecording bool            `json:"consent_recording"`
		// Lang is the language the whistleblower wants the outcome
		// message in (en, da, nb); English when absent.
		Lang string `json:"lang"`
		// HeldOn is the day of the call or meeting (YYYY-MM-DD); today
		// when absent.
		HeldOn string `json:"held_on"`
	}
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		answers, err := questionnaire.DecodeAnswers(in.Answers)
		if err != nil {
			return nil, badRequest("malformed_answers", "answers must be an object of strings or string arrays")
		}
		if in.Lang != "" && !slices.Contains(i18n.Supported, in.Lang) {
			return nil, badRequest("invalid_request", `"lang" must be one of "en", "da" or "nb"`)
		}
		var heldOn time.Time
		if in.HeldOn != "" {
			if heldOn, err = time.Parse(time.DateOnly, in.HeldOn); err != nil {
				return nil, badRequest("invalid_request", `"held_on" must be a date (YYYY-MM-DD)`)
			}
		}
		d, err := s.d.Intake.Begin()
		if err != nil {
			return nil, err
		}
		d.Lang = in.Lang
		rc, err := s.d.Intake.SubmitOral(r.Context(), d, intake.OralReport{StaffID: st.UserID, Channel: in.Channel,
			Answers: answers, Source: in.Source, ConsentRecording: in.ConsentRecording, HeldOn: heldOn})
		if err != nil {
			return nil, oralProblem(err)
		}
		w.Header().Set("Cache-Control", "no-store")
		return map[string]any{"receipt": rc.Code, "case_number": rc.CaseNumber, "case_id": rc.ReportID,
			"source": in.Source, "consent_recording": in.ConsentRecording}, nil
	})
}

func (s *Server) apiCaseTranscripts(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		out, err := s.d.Cases.Transcripts(r.Context(), st, r.PathValue("id"))
		if err != nil {
			return nil, oralProblem(err)
		}
		return map[string]any{"transcripts": out}, nil
	})
}

func (s *Server) apiCaseTranscriptCreate(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text       string `json:"text"`
		Supersedes string `json:"supersedes"`
	}
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.CreateTranscript(r.Context(), st, r.PathValue("id"), in.Text, in.Supersedes)
		if err != nil {
			return nil, oralProblem(err)
		}
		return v, nil
	})
}

func (s *Server) apiCaseTranscriptSend(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.d.Cases.SendTranscript(r.Context(), st, r.PathValue("id"), r.PathValue("tid"))
		if err != nil {
			return nil, oralProblem(err)
		}
		return v, nil
	})
}

// apiCaseRecording attaches a recording (multipart parts "file"). The
// consent is checked before the upload is read (JR-2).
func (s *Server) apiCaseRecording(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ctx := r.Context()
	rec, err := s.d.Cases.BeginRecording(ctx, st, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, oralProblem(err))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	if _, err := streamMultipart(r, map[string]bool{"file": true}, func(_, name, ctype string, body io.Reader) error {
		return rec.Store(ctx, name, ctype, body)
	}); err != nil {
		rec.Discard(ctx)
		s.fail(w, r, err)
		return
	}
	if rec.Files() == 0 {
		s.fail(w, r, badRequest("no_files", `send one or more parts named "file"`))
		return
	}
	ids, err := rec.Commit(ctx)
	if err != nil {
		s.fail(w, r, oralProblem(err))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"files": ids})
}

func (s *Server) apiWBTranscripts(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out, err := s.d.Intake.Transcripts(r.Context(), wb)
	if err != nil {
		s.fail(w, r, oralProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"transcripts": out})
}

func (s *Server) apiWBTranscriptCorrect(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var in struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.d.Intake.CorrectTranscript(r.Context(), wb, r.PathValue("tid"), in.Text)
	if err != nil {
		s.fail(w, r, oralProblem(err))
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) apiWBTranscriptApprove(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.d.Intake.ApproveTranscript(r.Context(), wb, r.PathValue("tid"))
	if err != nil {
		s.fail(w, r, oralProblem(err))
		return
	}
	writeJSON(w, http.StatusOK, v)
}
