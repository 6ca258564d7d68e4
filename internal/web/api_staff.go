package web

import (
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
	writeJSON(w, http.StatusOK, toReportJSON(v, true))
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
