package web

import (
	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"mime"
	"net/http"
	"strconv"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mimeAttachment(name string) string {
	if v := mime.FormatMediaType("attachment", map[string]string{"filename": name}); v != "" {
		return v
	}
	return "attachment"
}

// staffAPI authenticates the request, decodes its JSON body into in (when
// in is not nil) and answers with what call returns (no body when call
// returns nil).
func (s *Server) staffAPI(w http.ResponseWriter, r *http.Request, status int, in any, call func(st *accounts.Staff) (any, error)) {
	s.guardedStaffAPI(w, r, status, nil, in, call)
}

// guardedStaffAPI is staffAPI with a role check that runs before the body
// is read, so a caller without the role is refused without parsing anything.
func (s *Server) guardedStaffAPI(w http.ResponseWriter, r *http.Request, status int, allow func(*accounts.Staff) error,
	in any, call func(st *accounts.Staff) (any, error)) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if allow != nil {
		if err := allow(st); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if in != nil {
		if err := decodeJSON(w, r, in); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	out, err := call(st)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if out == nil {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, out)
}

func (s *Server) apiStaffLogin(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		TOTP     string `json:"totp"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	token, err := s.d.Accounts.Login(r.Context(), body.Email, body.Password, body.TOTP)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": token})
}

func (s *Server) apiStaffLogout(w http.ResponseWriter, r *http.Request) {
	if t := bearer(r); t != "" {
		if err := s.d.Accounts.Logout(r.Context(), t); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

type inboxRowJSON struct {
	ID             string    `json:"id"`
	CaseNumber     int64     `json:"case_number"`
	Channel        string    `json:"channel"`
	Status         string    `json:"status"`
	ReceivedAt     time.Time `json:"received_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	Unread         bool      `json:"unread"`
}

// inboxParams reads sort, order, limit and offset from the query string.
func inboxParams(r *http.Request) (sort string, asc bool, limit, offset int) {
	q := r.URL.Query()
	sort = q.Get("sort")
	asc = q.Get("order") == "asc"
	limit, _ = strconv.Atoi(q.Get("limit"))
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	offset, _ = strconv.Atoi(q.Get("offset"))
	return sort, asc, limit, max(offset, 0)
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sort, asc, limit, offset := inboxParams(r)
	page, err := s.d.Cases.Inbox(r.Context(), st, sort, asc, limit, offset)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rows := make([]inboxRowJSON, 0, len(page.Rows))
	for _, c := range page.Rows {
		rows = append(rows, inboxRowJSON{ID: c.ReportID, CaseNumber: c.CaseNumber, Channel: c.ChannelID, Status: c.Status,
			ReceivedAt: c.ReceivedAt, LastActivityAt: c.LastActivityAt, Unread: c.Unread()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": rows, "total": page.Total,
		"total_is_lower_bound": page.TotalIsLowerBound, "limit": limit, "offset": offset})
}

// caseJSON is the staff view of a case: the report plus its workflow.
type caseJSON struct {
	reportJSON
	State           string     `json:"state"`
	AckDue          *time.Time `json:"ack_due"`
	AcknowledgedAt  *time.Time `json:"acknowledged_at"`
	FeedbackDue     *time.Time `json:"feedback_due"`
	FeedbackGivenAt *time.Time `json:"feedback_given_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	Outcome         string     `json:"outcome,omitempty"`
	// CustomStatus is the organisation's own status id ("" for none); it
	// always maps onto State (api_settings.go).
	CustomStatus string `json:"custom_status"`
	// ExpiresAt is when the retention job deletes the closed case
	// (internal/retention); null while open or on legal hold.
	ExpiresAt          *time.Time `json:"expires_at"`
	RetentionHold      bool       `json:"retention_hold"`
	RetentionConfirmed bool       `json:"retention_policy_confirmed"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.d.Cases.Open(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := caseJSON{reportJSON: toReportJSON(v, true), State: v.Status,
		AckDue: optTime(v.AckDueAt), AcknowledgedAt: optTime(v.AcknowledgedAt), FeedbackDue: optTime(v.FeedbackDueAt),
		FeedbackGivenAt: optTime(v.FeedbackGivenAt), ClosedAt: optTime(v.ClosedAt), Outcome: v.Outcome}
	if err := s.addRetention(r, &out); err != nil {
		s.fail(w, r, err)
		return
	}
	if out.CustomStatus, err = s.d.Cases.CustomStatusOf(r.Context(), st, v.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCaseState(w http.ResponseWriter, r *http.Request) {
	var in struct {
		State   string `json:"state"`
		Reason  string `json:"reason"`
		Outcome string `json:"outcome"`
		Message string `json:"message"`
	}
	s.staffAPI(w, r, http.StatusNoContent, &in, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.ChangeState(r.Context(), st, r.PathValue("id"),
			cases.Transition{To: in.State, Reason: in.Reason, Outcome: in.Outcome, Message: in.Message})
	})
}

func (s *Server) apiCaseJournal(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		entries, err := s.d.Cases.Journal(r.Context(), st, r.PathValue("id"))
		if entries == nil {
			entries = []cases.JournalView{}
		}
		return map[string]any{"entries": entries}, err
	})
}

func (s *Server) apiCaseJournalAdd(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text       string `json:"text"`
		Source     string `json:"source"`
		LearnedOn  string `json:"learned_on"`
		Supersedes string `json:"supersedes"`
	}
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.AddNote(r.Context(), st, r.PathValue("id"),
			cases.Note{Text: in.Text, Source: in.Source, LearnedOn: in.LearnedOn}, in.Supersedes)
	})
}

func (s *Server) apiCaseFile(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.d.Cases.OpenFile(r.Context(), st, r.PathValue("id"), r.PathValue("file"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sendFile(w, f)
}

func (s *Server) apiCaseMessage(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Text string `json:"text"`
	}
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.Reply(r.Context(), st, r.PathValue("id"), in.Text)
	})
}

type holderJSON struct {
	UserID      string `json:"user_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
}

func (s *Server) apiCaseAccess(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		holders, err := s.d.Cases.Holders(r.Context(), st, r.PathValue("id"))
		out := make([]holderJSON, 0, len(holders))
		for _, h := range holders {
			out = append(out, holderJSON{UserID: h.UserID, Email: h.Email, DisplayName: h.DisplayName})
		}
		return map[string]any{"holders": out}, err
	})
}

func (s *Server) apiCaseAccessGrant(w http.ResponseWriter, r *http.Request) {
	var in struct {
		User string `json:"user"`
	}
	s.staffAPI(w, r, http.StatusNoContent, &in, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.Grant(r.Context(), st, r.PathValue("id"), in.User)
	})
}

func (s *Server) apiCaseAccessRevoke(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusNoContent, nil, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.Revoke(r.Context(), st, r.PathValue("id"), r.PathValue("user"))
	})
}

func (s *Server) apiCaseExtend(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Days   int    `json:"days"`
		Reason string `json:"reason"`
	}
	s.staffAPI(w, r, http.StatusNoContent, &in, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.ExtendFeedback(r.Context(), st, r.PathValue("id"), in.Days, in.Reason)
	})
}
