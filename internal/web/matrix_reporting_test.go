package web

import (
	"net/http"
)

// Policy rows of the reporting policy (RC-1, RC-6) and of meeting
// requests (RC-2): the policy and the meeting periods are read by any
// staff user and changed by admins only; a case's tasks are the case's.

// openMeeting returns the open meeting request on case A, asking for one
// as whistleblower A when the last was answered.
func (f *matrixFixture) openMeeting() string {
	e := f.e
	var tasks struct {
		Tasks []struct{ ID, Status string }
	}
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+f.caseA+"/tasks", f.ownerTok, nil, http.StatusOK, &tasks)
	for _, t := range tasks.Tasks {
		if t.Status == "open" {
			return t.ID
		}
	}
	var t struct{ ID string }
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/meeting-requests", e.wbLogin(f.receiptA), map[string]string{"text": "mornings"},
		http.StatusCreated, &t)
	return t.ID
}

func (f *matrixFixture) withReportingRows(caseRoute, adminOnly, anyStaff map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	taskParams := func(f *matrixFixture, _ bool) map[string]string {
		return map[string]string{"id": f.caseA, "task": f.openMeeting()}
	}
	for rt, row := range map[string]matrixRoute{
		"GET /api/v1/staff/settings/reporting": {policy: anyStaff},
		"PUT /api/v1/staff/settings/reporting": {policy: adminOnly,
			body: staticBody(map[string]any{"anonymous_allowed": true, "jurisdiction": "dk"})},
		"GET /api/v1/staff/settings/meetings": {policy: anyStaff},
		"PUT /api/v1/staff/settings/meetings": {policy: adminOnly, body: staticBody(map[string]any{"default": 14})},
		"GET /api/v1/staff/cases/{id}/tasks":  {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/tasks/{task}/close": {policy: caseRoute, params: taskParams,
			body: staticBody(map[string]any{"outcome": "declined", "text": "not possible"})},
	} {
		rows[rt] = row
	}
	return rows
}
