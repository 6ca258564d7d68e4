package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/notify"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Meetings on request (RC-2, Directive 2019/1937 art. 9(2)): the
// whistleblower asks on the status page or through the API; the request
// is a task on the case with a due date; a handler answers it as held or
// declined with a reason, which the whistleblower reads on the status
// page. Everything works without JavaScript.

// meetingProblem classifies the errors of this file; the rest goes to
// classify.
func meetingProblem(err error) error {
	switch {
	case errors.Is(err, intake.ErrMeetingPending):
		return &problem{status: http.StatusConflict, code: "meeting_pending", msg: intake.ErrMeetingPending.Error()}
	case errors.Is(err, intake.ErrReportClosed), errors.Is(err, cases.ErrTaskClosed):
		return &problem{status: http.StatusConflict, code: "invalid_state", msg: err.Error()}
	case errors.Is(err, cases.ErrInvalidMeetingClose), errors.Is(err, report.ErrInvalidMeetingDays), errors.Is(err, cases.ErrInvalidChannels):
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	case errors.Is(err, cases.ErrTaskNotFound):
		return &problem{status: http.StatusNotFound, code: "not_found", msg: "no such task on this case"}
	}
	return err
}

type taskJSON struct {
	ID          string     `json:"id"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status"` // open, done or declined
	RequestedAt time.Time  `json:"requested_at"`
	DueAt       time.Time  `json:"due_at"`
	Request     string     `json:"request"`
	Answer      string     `json:"answer"`
	MinutesID   string     `json:"minutes_id,omitempty"`
	ClosedAt    *time.Time `json:"closed_at"`
}

func toTasksJSON(views []report.TaskView) []taskJSON {
	out := make([]taskJSON, 0, len(views))
	for _, v := range views {
		out = append(out, taskJSON{ID: v.ID, Kind: v.Kind, Status: v.Status, RequestedAt: v.RequestedAt.UTC(), DueAt: v.DueAt.UTC(),
			Request: v.Request, Answer: v.Answer, MinutesID: v.OralReportID, ClosedAt: optTime(v.ClosedAt)})
	}
	return out
}

// ---- Whistleblower ----

type wbMeetingPanel struct {
	Action string
	Open   bool // a request is waiting for an answer
	Tasks  []meetingRow
	Text   string
	Error  string
}

type meetingRow struct {
	RequestedAt time.Time
	Due         string // the day it is due by, in the organisation's time zone
	DueISO      string
	Status      string // in words
	Request     string
	Answer      string
	Declined    bool
	// Staff only.
	ID, Action string
	DueView    *dueView
	Minutes    []option
	MinutesID  string
}

func (s *Server) wbMeetingPanel(r *http.Request, lang string, wb *intake.Whistleblower, text, errMsg string) (*wbMeetingPanel, error) {
	views, err := s.d.Intake.Tasks(r.Context(), wb)
	if err != nil {
		return nil, err
	}
	loc, err := s.orgLocation(r, wb.Report.TenantID)
	if err != nil {
		return nil, err
	}
	p := &wbMeetingPanel{Action: withLang("/status/meeting-requests", lang), Text: text, Error: errMsg}
	for _, v := range views {
		if v.Kind != store.TaskMeeting {
			continue
		}
		p.Open = p.Open || v.Status == store.TaskOpen
		p.Tasks = append(p.Tasks, s.meetingRow(lang, v, loc))
	}
	return p, nil
}

func (s *Server) meetingRow(lang string, v report.TaskView, loc *time.Location) meetingRow {
	return meetingRow{RequestedAt: v.RequestedAt, Due: formatDay(v.DueAt, loc), DueISO: v.DueAt.UTC().Format(time.RFC3339),
		Status: s.d.Catalog.T(lang, "meeting.status."+v.Status), Request: v.Request, Answer: v.Answer,
		Declined: v.Status == store.TaskDeclined, ID: v.ID, MinutesID: v.OralReportID}
}

func (s *Server) wbMeetingSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	text := r.PostForm.Get("text")
	_, err = s.d.Intake.RequestMeeting(r.Context(), wb, text)
	if err != nil {
		msg, ok := messageError(s.d.Catalog, lang, err)
		switch {
		case errors.Is(err, intake.ErrMeetingPending):
			msg, ok = s.d.Catalog.T(lang, "meeting.error.pending"), true
		case errors.Is(err, intake.ErrReportClosed):
			msg, ok = s.d.Catalog.T(lang, "meeting.error.closed"), true
		}
		if ok {
			s.renderStatusWith(w, r, lang, http.StatusUnprocessableEntity, wb, token, statusInput{MeetingText: text, MeetingErr: msg})
			return
		}
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	http.Redirect(w, r, withLang("/status", lang)+"#meeting-title", http.StatusSeeOther)
}

func (s *Server) apiWBMeetingRequest(w http.ResponseWriter, r *http.Request) {
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
	v, err := s.d.Intake.RequestMeeting(r.Context(), wb, body.Text)
	if err != nil {
		s.fail(w, r, meetingProblem(err))
		return
	}
	writeJSON(w, http.StatusCreated, toTasksJSON([]report.TaskView{v})[0])
}

func (s *Server) apiWBMeetingRequests(w http.ResponseWriter, r *http.Request) {
	wb, err := s.apiWhistleblower(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	views, err := s.d.Intake.Tasks(r.Context(), wb)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"meeting_requests": toTasksJSON(views)})
}

// ---- Staff ----

// meetingDue shows when a requested meeting is due, "due soon" from
// notify.MeetingWarn before, as the reminder e-mails count it.
func (s *Server) meetingDue(lang string, due time.Time, loc *time.Location) dueView {
	return s.due(lang, "meeting.due", due, notify.MeetingWarn, loc)
}

type staffMeetingsPanel struct {
	Tasks []meetingRow
}

// fillMeetings fills the case page's meeting requests; nil hides the
// section when the whistleblower never asked.
func (s *Server) fillMeetings(r *http.Request, st *accounts.Staff, id, lang string, d *caseData) error {
	views, err := s.d.Cases.Tasks(r.Context(), st, id)
	if err != nil || len(views) == 0 {
		return err
	}
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		return err
	}
	transcripts, err := s.d.Cases.Transcripts(r.Context(), st, id)
	if err != nil {
		return err
	}
	var minutes []option
	seen := map[string]bool{}
	for _, t := range transcripts {
		if !seen[t.DocID] {
			seen[t.DocID] = true
			minutes = append(minutes, option{Value: t.DocID, Label: s.d.Catalog.T(lang, "meeting.minutes.option", len(minutes)+1, formatDay(t.CreatedAt, loc))})
		}
	}
	p := &staffMeetingsPanel{}
	for _, v := range views {
		if v.Kind != store.TaskMeeting {
			continue
		}
		row := s.meetingRow(lang, v, loc)
		if v.Status == store.TaskOpen {
			due := s.meetingDue(lang, v.DueAt, loc)
			row.DueView = &due
			row.Action = withLang("/cases/"+url.PathEscape(id)+"/tasks/"+url.PathEscape(v.ID)+"/close", lang)
			row.Minutes = minutes
		}
		p.Tasks = append(p.Tasks, row)
	}
	d.Meetings = p
	return nil
}

func (s *Server) caseMeetingCloseSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	in := cases.MeetingClose{Outcome: r.PostForm.Get("outcome"), Text: r.PostForm.Get("text"), MinutesID: r.PostForm.Get("minutes")}
	err := s.d.Cases.CloseMeeting(r.Context(), st, id, r.PathValue("task"), in)
	switch {
	case err == nil:
		http.Redirect(w, r, withLang("/cases/"+url.PathEscape(id), lang)+"#meetings-title", http.StatusSeeOther)
	case errors.Is(err, cases.ErrInvalidMeetingClose):
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token,
			caseInput{Other: s.d.Catalog.T(lang, "meeting.error.close"), OtherHref: "#meetings-title"})
	case errors.Is(err, cases.ErrTaskClosed):
		s.renderCase(w, r, lang, http.StatusConflict, st, token,
			caseInput{Other: s.d.Catalog.T(lang, "meeting.error.already_closed"), OtherHref: "#meetings-title"})
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, cases.ErrTaskNotFound):
		s.pages.notFound(w, r)
	default:
		s.errorPage(w, r, lang, err, "/cases/"+url.PathEscape(id))
	}
}

func (s *Server) apiCaseTasks(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		views, err := s.d.Cases.Tasks(r.Context(), st, r.PathValue("id"))
		return map[string]any{"tasks": toTasksJSON(views)}, err
	})
}

func (s *Server) apiCaseTaskClose(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Outcome   string `json:"outcome"`
		Text      string `json:"text"`
		MinutesID string `json:"minutes_id"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		id := r.PathValue("id")
		err := s.d.Cases.CloseMeeting(r.Context(), st, id, r.PathValue("task"),
			cases.MeetingClose{Outcome: in.Outcome, Text: in.Text, MinutesID: in.MinutesID})
		if err != nil {
			return nil, meetingProblem(err)
		}
		views, err := s.d.Cases.Tasks(r.Context(), st, id)
		return map[string]any{"tasks": toTasksJSON(views)}, err
	})
}

func (s *Server) apiSettingsMeetings(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.MeetingPeriods(r.Context(), st)
	})
}

func (s *Server) apiSettingsMeetingsPut(w http.ResponseWriter, r *http.Request) {
	var in report.MeetingPeriods
	s.guardedStaffAPI(w, r, http.StatusOK, settingsAdmin, &in, func(st *accounts.Staff) (any, error) {
		m, err := s.d.Cases.SetMeetingPeriods(r.Context(), st, in)
		return m, settingsProblem(meetingProblem(err))
	})
}
