package web

import (
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
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCaseState(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		State   string `json:"state"`
		Reason  string `json:"reason"`
		Outcome string `json:"outcome"`
		Message string `json:"message"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.d.Cases.ChangeState(r.Context(), st, r.PathValue("id"),
		cases.Transition{To: body.State, Reason: body.Reason, Outcome: body.Outcome, Message: body.Message})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCaseJournal(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	entries, err := s.d.Cases.Journal(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if entries == nil {
		entries = []cases.JournalView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
}

func (s *Server) apiCaseJournalAdd(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Text       string `json:"text"`
		Source     string `json:"source"`
		LearnedOn  string `json:"learned_on"`
		Supersedes string `json:"supersedes"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	e, err := s.d.Cases.AddNote(r.Context(), st, r.PathValue("id"),
		cases.Note{Text: body.Text, Source: body.Source, LearnedOn: body.LearnedOn}, body.Supersedes)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
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
	st, err := s.apiStaff(r)
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
	if err := s.d.Cases.Reply(r.Context(), st, r.PathValue("id"), body.Text); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

type holderJSON struct {
	UserID      string `json:"user_id"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name,omitempty"`
}

func (s *Server) apiCaseAccess(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	holders, err := s.d.Cases.Holders(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]holderJSON, 0, len(holders))
	for _, h := range holders {
		out = append(out, holderJSON{UserID: h.UserID, Email: h.Email, DisplayName: h.DisplayName})
	}
	writeJSON(w, http.StatusOK, map[string]any{"holders": out})
}

func (s *Server) apiCaseAccessGrant(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		User string `json:"user"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.Grant(r.Context(), st, r.PathValue("id"), body.User); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCaseAccessRevoke(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.Revoke(r.Context(), st, r.PathValue("id"), r.PathValue("user")); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) apiCaseExtend(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body struct {
		Days   int    `json:"days"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &body); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.d.Cases.ExtendFeedback(r.Context(), st, r.PathValue("id"), body.Days, body.Reason); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
