package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
)

// contentSecurityPolicy allows nothing but this origin's stylesheets and
// images, and no script at all: the site works without JavaScript, so
// none is needed and injected markup cannot run any.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'"

// secureHeaders sets the security headers once, for every response.
func secureHeaders(next http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=(), payment=(), usb=()")
		// HSTS only over HTTPS: browsers ignore it in clear (RFC 6797
		// §8.1), and a site served in clear on purpose (a loopback test,
		// an internal staff host) must not promise HTTPS it lacks. Behind
		// a TLS proxy r.TLS is nil, so the https URLs switch it on (hsts).
		// No includeSubDomains: the organisation's other hosts are not ours.
		if hsts || r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000")
		}
		// The legacy XSS auditor is itself a source of leaks; 0 turns it
		// off in the browsers that still have one. The CSP does the work.
		h.Set("X-XSS-Protection", "0")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe logs each request with the route pattern, status and duration
// only: no address, user agent, referrer, query string or path values, so
// the log cannot identify a visitor or name a case. It also turns a panic
// into a 500 without logging request details.
func (s *Server) observe(listener string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.d.Logger.Error("handler panic", "listener", listener, "route", r.Pattern)
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, "internal", "internal error")
				}
			}
			s.d.Logger.Info("request", "listener", listener, "method", r.Method, "route", r.Pattern,
				"status", rec.status, "ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// apiError is the JSON error body.
type apiError struct {
	Error apiErrorBody `json:"error"`
}

type apiErrorBody struct {
	Code    string       `json:"code"`
	Message string       `json:"message"`
	Fields  []fieldError `json:"fields,omitempty"`
	// File is the index of the file an error is about (cannot_strip).
	File *int `json:"file,omitempty"`
}

type fieldError struct {
	Question string `json:"question"`
	Code     string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: apiErrorBody{Code: code, Message: msg}})
}

// problem is an error classified for the client: status, stable code and
// a message safe to show. Content never appears in it.
type problem struct {
	status int
	code   string
	msg    string
	fields []fieldError
	file   *int
}

func (p *problem) Error() string { return p.msg }

func badRequest(code, msg string) *problem {
	return &problem{status: http.StatusBadRequest, code: code, msg: msg}
}

// classify maps domain errors to what clients see. Unknown errors are
// internal; the caller logs them without content.
func classify(err error) *problem {
	var p *problem
	var verr *questionnaire.ValidationError
	var mbe *http.MaxBytesError
	var perr *privacy.Error
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, intake.ErrIdentityRequired) && errors.As(err, &verr):
		// RC-1: a code of its own, so a client can tell the person why.
		out := &problem{status: http.StatusUnprocessableEntity, code: "identity_required", msg: intake.ErrIdentityRequired.Error()}
		for _, f := range verr.Fields {
			out.fields = append(out.fields, fieldError{Question: f.QuestionID, Code: f.Code})
		}
		return out
	case errors.As(err, &verr):
		out := &problem{status: http.StatusUnprocessableEntity, code: "invalid_answers", msg: "some answers need attention"}
		for _, f := range verr.Fields {
			out.fields = append(out.fields, fieldError{Question: f.QuestionID, Code: f.Code})
		}
		return out
	case errors.Is(err, report.ErrFileTooLarge), errors.As(err, &mbe):
		return &problem{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: "the upload is larger than allowed"}
	case errors.Is(err, intake.ErrAlreadySubmitted):
		return &problem{status: http.StatusConflict, code: "already_submitted", msg: err.Error()}
	case errors.Is(err, intake.ErrUnknownChannel):
		return &problem{status: http.StatusUnprocessableEntity, code: "unknown_channel", msg: "no such channel"}
	case errors.Is(err, report.ErrEmptyMessage), errors.Is(err, report.ErrMessageTooLong), errors.Is(err, report.ErrInvalidText):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_message", msg: err.Error()}
	case errors.Is(err, intake.ErrBadReceipt), errors.Is(err, accounts.ErrBadCredentials):
		return &problem{status: http.StatusUnauthorized, code: "bad_credentials", msg: err.Error()}
	case errors.Is(err, intake.ErrThrottled), errors.Is(err, accounts.ErrThrottled):
		return &problem{status: http.StatusTooManyRequests, code: "throttled", msg: err.Error()}
	case errors.Is(err, session.ErrNoSession):
		return &problem{status: http.StatusUnauthorized, code: "no_session", msg: "not logged in or session expired"}
	case errors.Is(err, intake.ErrInvalidExclusion):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_exclusion", msg: err.Error()}
	case errors.Is(err, cases.ErrExcluded), errors.Is(err, cases.ErrLastHolder):
		return &problem{status: http.StatusConflict, code: "access_refused", msg: err.Error()}
	case errors.Is(err, cases.ErrInvalidTransition), errors.Is(err, cases.ErrConflict):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, cases.ErrReasonRequired), errors.Is(err, cases.ErrOutcomeRequired),
		errors.Is(err, cases.ErrMessageRequired), errors.Is(err, cases.ErrInvalidNote), errors.Is(err, cases.ErrNoCaseKey),
		errors.Is(err, cases.ErrInvalidExtension):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrInvalidPerson), errors.Is(err, cases.ErrInvalidNotified),
		errors.Is(err, cases.ErrInvalidDeferral), errors.Is(err, cases.ErrInvalidYear):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrAlreadyNotified):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, cases.ErrRestricted):
		return &problem{status: http.StatusConflict, code: "restricted", msg: err.Error()}
	case errors.Is(err, cases.ErrForbidden):
		return &problem{status: http.StatusForbidden, code: "forbidden", msg: err.Error()}
	// Anonymised copies (DA-2, api_redactions.go).
	case errors.Is(err, cases.ErrFourEyes):
		return &problem{status: http.StatusForbidden, code: "four_eyes_required", msg: err.Error()}
	case errors.Is(err, cases.ErrRedactionState):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, cases.ErrInvalidRedaction), errors.Is(err, cases.ErrRejectReason):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrRedactionUnsupported), errors.Is(err, cases.ErrRedactionMalformed):
		return &problem{status: http.StatusUnprocessableEntity, code: "unsupported_file", msg: err.Error()}
	case errors.Is(err, cases.ErrRedactionTooLarge):
		return &problem{status: http.StatusRequestEntityTooLarge, code: "too_large", msg: err.Error()}
	case errors.Is(err, cases.ErrRedactionTool):
		return &problem{status: http.StatusServiceUnavailable, code: "tool_missing", msg: err.Error()}
	case errors.Is(err, cases.ErrOriginalFile):
		return &problem{status: http.StatusUnprocessableEntity, code: "original_file", msg: err.Error()}
	case errors.Is(err, cases.ErrRedactionNotReleased):
		return &problem{status: http.StatusUnprocessableEntity, code: "not_released", msg: err.Error()}
	case errors.As(err, &perr):
		out := &problem{status: privacyStatus[perr.Kind], code: perr.Code, msg: perr.Msg}
		for _, f := range perr.Fields {
			out.fields = append(out.fields, fieldError{Question: f, Code: perr.Code})
		}
		return out
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EDQUOT), store.IsStorageFull(err):
		// Nothing was stored: submissions are atomic. Say so, so that a
		// whistleblower tries again rather than assuming it went through.
		return &problem{status: http.StatusInsufficientStorage, code: "storage_unavailable",
			msg: "the server cannot store anything right now; nothing was saved; please try again later"}
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		return &problem{status: http.StatusNotFound, code: "not_found", msg: "not found"}
	}
	return &problem{status: http.StatusInternalServerError, code: "internal", msg: "internal error"}
}

var privacyStatus = map[privacy.Kind]int{privacy.KindInvalid: http.StatusUnprocessableEntity,
	privacy.KindConflict: http.StatusConflict, privacy.KindForbidden: http.StatusForbidden, privacy.KindNotFound: http.StatusNotFound}

// fail answers an API request with the classified error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := classify(err)
	if p.status >= 500 {
		// The error text comes from our own wrapping and names operations, not content.
		s.d.Logger.Error("request failed", "route", r.Pattern, "err", err.Error())
	}
	if p.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, p.status, apiError{Error: apiErrorBody{Code: p.code, Message: p.msg, Fields: p.fields, File: p.file}})
}
