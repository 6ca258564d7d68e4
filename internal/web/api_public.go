package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
)

const maxJSONBody = 1 << 20

// decodeJSON reads a small JSON object body strictly.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt := r.Header.Get("Content-Type"); mt != "" && !isJSONType(mt) {
		return &problem{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", msg: "expected application/json"}
	}
	// The body is read whole (it is bounded) so that invalid UTF-8 can be
	// refused: encoding/json would silently turn it into U+FFFD.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("malformed_json", "the body could not be read")
	}
	if !utf8.Valid(raw) {
		return badRequest("invalid_utf8", "the body must be UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("malformed_json", "the body is not the expected JSON object")
	}
	if dec.More() {
		return badRequest("malformed_json", "the body holds more than one JSON value")
	}
	return nil
}

func isJSONType(ct string) bool {
	return ct == "application/json" || len(ct) > 16 && ct[:16] == "application/json" && (ct[16] == ';' || ct[16] == ' ')
}

type channelJSON struct {
	ID            string                      `json:"id"`
	Name          questionnaire.Text          `json:"name"`
	Description   questionnaire.Text          `json:"description"`
	Questionnaire questionnaire.Questionnaire `json:"questionnaire"`
	Excludable    []excludableJSON            `json:"excludable_handlers"`
}

type excludableJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Server) apiChannels(w http.ResponseWriter, r *http.Request) {
	chs, err := s.d.Intake.Channels(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]channelJSON, 0, len(chs))
	for _, c := range chs {
		ex := []excludableJSON{}
		for _, h := range c.Excludable {
			ex = append(ex, excludableJSON{ID: h.ID, Name: h.Name})
		}
		out = append(out, channelJSON{ID: c.ID, Name: c.Name, Description: c.Description, Questionnaire: c.Questionnaire, Excludable: ex})
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out})
}

// submitLimit bounds a whole submission body: every file at its maximum
// plus the text parts.
func (s *Server) submitLimit() int64 {
	return s.d.Intake.MaxFileSize()*maxFiles + maxTextTotal + 1<<20
}

// apiSubmitReport takes multipart/form-data with a part "report" holding
// {"channel": id, "answers": {...}} and any number of parts "file".
// Files are encrypted while they stream in; the report exists only once
// the final transaction commits, so any error leaves nothing behind.
func (s *Server) apiSubmitReport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	ctx := r.Context()
	draft, err := s.d.Intake.Begin()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fields, err := streamMultipart(r, map[string]bool{"file": true}, func(_, name, ctype string, body io.Reader) error {
		return s.d.Intake.AddFile(ctx, draft, name, ctype, body)
	})
	if err != nil {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, err)
		return
	}
	var body struct {
		Channel string          `json:"channel"`
		Answers json.RawMessage `json:"answers"`
		Exclude []string        `json:"exclude"`
		// Metadata is "strip" (the default: files that reveal something
		// are cleaned; one that cannot be refuses the report) or "keep".
		Metadata string `json:"metadata"`
		// Lang is the language (en, da, nb) the outcome message is sent
		// in; English when absent.
		Lang string `json:"lang"`
	}
	if len(fields["report"]) != 1 {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, badRequest("missing_report", `exactly one part "report" with the JSON report is required`))
		return
	}
	if err := json.Unmarshal([]byte(fields["report"][0]), &body); err != nil || body.Channel == "" {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, badRequest("malformed_json", `the "report" part must be {"channel": "...", "answers": {...}}`))
		return
	}
	answers, err := questionnaire.DecodeAnswers(body.Answers)
	if err != nil {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, badRequest("malformed_answers", "answers must be an object of strings or string arrays"))
		return
	}
	if body.Metadata != "" && body.Metadata != "strip" && body.Metadata != "keep" {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, badRequest("malformed_json", `"metadata" must be "strip" or "keep"`))
		return
	}
	if body.Lang != "" && !slices.Contains(i18n.Supported, body.Lang) {
		s.d.Intake.Abandon(ctx, draft)
		s.fail(w, r, badRequest("malformed_json", `"lang" must be one of "en", "da" or "nb"`))
		return
	}
	draft.Lang = body.Lang
	rc, err := s.d.Intake.SubmitStripped(ctx, draft, body.Channel, answers, body.Exclude, body.Metadata == "keep")
	var serr *intake.StripError
	if errors.As(err, &serr) {
		s.fail(w, r, &problem{status: http.StatusUnprocessableEntity, code: "cannot_strip",
			msg:  fmt.Sprintf(`file %d cannot be cleaned of its metadata; leave it out or send "metadata": "keep"`, serr.Index),
			file: &serr.Index})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"receipt": rc.Code, "case_number": rc.CaseNumber})
}

func (s *Server) apiWBLogin(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		s.fail(w, r, &problem{status: http.StatusForbidden, code: "cross_site", msg: "cross-site request refused"})
		return
	}
	var body struct {
		Receipt string `json:"receipt"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	token, err := s.d.Intake.Login(r.Context(), body.Receipt)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func (s *Server) apiWBLogout(w http.ResponseWriter, r *http.Request) {
	if t := bearer(r); t != "" {
		if err := s.d.Intake.Logout(r.Context(), t); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// Report JSON shapes shared by the whistleblower and staff APIs.
type reportJSON struct {
	ID             string                `json:"id,omitempty"`
	CaseNumber     int64                 `json:"case_number"`
	Channel        string                `json:"channel"`
	Status         string                `json:"status"`
	ReceivedAt     time.Time             `json:"received_at"`
	LastActivityAt time.Time             `json:"last_activity_at"`
	Answers        questionnaire.Answers `json:"answers"`
	HasIdentity    bool                  `json:"has_identity"`
	Identity       questionnaire.Answers `json:"identity,omitempty"`
	Files          []fileJSON            `json:"files"`
	Messages       []messageJSON         `json:"messages"`
}

type fileJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	Author      string    `json:"author"`
	CreatedAt   time.Time `json:"created_at"`
	// Metadata: "stripped", "original_kept" or "not_applicable".
	Metadata string `json:"metadata"`
}

type messageJSON struct {
	ID        string    `json:"id"`
	Author    string    `json:"author"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
}

func toReportJSON(v report.View, withID bool) reportJSON {
	out := reportJSON{CaseNumber: v.CaseNumber, Channel: v.ChannelID, Status: v.Status, ReceivedAt: v.ReceivedAt,
		LastActivityAt: v.LastActivityAt, Answers: v.Answers, HasIdentity: v.HasIdentity, Identity: v.Identity,
		Files: []fileJSON{}, Messages: []messageJSON{}}
	if withID {
		out.ID = v.ID
	}
	if out.Answers == nil {
		out.Answers = questionnaire.Answers{}
	}
	for _, f := range v.Files {
		out.Files = append(out.Files, fileJSON{ID: f.ID, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
			Author: f.AuthorType, CreatedAt: f.CreatedAt, Metadata: f.Metadata})
	}
	for _, m := range v.Messages {
		out.Messages = append(out.Messages, messageJSON{ID: m.ID, Author: m.AuthorType, Text: m.Text, CreatedAt: m.CreatedAt})
	}
	return out
}

func (s *Server) apiWBReport(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.d.Intake.View(r.Context(), wb)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toReportJSON(v, false))
}

func (s *Server) apiWBMessage(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Text string `json:"text"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Intake.PostMessage(r.Context(), wb, body.Text); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// apiWBFiles adds files to the whistleblower's report: parts "file",
// and an optional text part "metadata" that works as the field of the
// same name when submitting ("strip", the default, or "keep"). Files are
// encrypted while they stream in and stripped before they are committed
// together; any error leaves the report as it was.
func (s *Server) apiWBFiles(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	ctx := r.Context()
	var pending []report.PendingFile
	form, err := streamMultipart(r, map[string]bool{"file": true}, func(_, name, ctype string, body io.Reader) error {
		f, err := s.d.Intake.StoreFile(ctx, wb, name, ctype, body)
		if err != nil {
			return err
		}
		pending = append(pending, f)
		return nil
	})
	if err == nil {
		err = checkAddedForm(form, len(pending))
	}
	if err != nil {
		s.d.Intake.DiscardFiles(ctx, pending)
		s.fail(w, r, err)
		return
	}
	n, err := s.d.Intake.AddStripped(ctx, wb, pending, form["metadata"][0] == "keep")
	var serr *intake.StripError
	if errors.As(err, &serr) {
		s.fail(w, r, &problem{status: http.StatusUnprocessableEntity, code: "cannot_strip",
			msg:  fmt.Sprintf(`file %d cannot be cleaned of its metadata; leave it out or send a part "metadata" with "keep"`, serr.Index),
			file: &serr.Index})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]int{"added": n})
}

// checkAddedForm checks the text parts of an API upload; it sets
// "metadata" to its default.
func checkAddedForm(form map[string][]string, files int) error {
	if files == 0 {
		return badRequest("no_files", `send one or more parts named "file"`)
	}
	switch m := form["metadata"]; {
	case len(m) == 0:
		form["metadata"] = []string{"strip"}
	case len(m) > 1 || m[0] != "strip" && m[0] != "keep":
		return badRequest("invalid_metadata", `"metadata" must be one part, "strip" or "keep"`)
	}
	return nil
}

func (s *Server) apiWBFile(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.d.Intake.OpenFile(r.Context(), wb, r.PathValue("file"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, f)
}

// sendFile streams a decrypted attachment as a download. The stored
// content type is not trusted for rendering: the file is always served as
// an attachment, with nosniff, so it cannot run in the site's origin.
func sendFile(w http.ResponseWriter, f *report.FileReader) {
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mimeAttachment(f.Meta.Name))
	h.Set("Content-Length", itoa(f.Meta.Size))
	w.WriteHeader(http.StatusOK)
	io.CopyBuffer(w, f, make([]byte, 64<<10))
}
