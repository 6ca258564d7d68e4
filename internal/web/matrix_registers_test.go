package web

import (
	"net/http"
	"sync"
)

// Policy rows of the records of processing, processors, DPIAs, risks,
// access reviews and the audit log: admins (the custodian has role admin)
// and the DPO only, everyone else 403.

// registerFixtures holds, per matrix fixture, one item of each register.
var registerFixtures sync.Map // *matrixFixture -> map[string]string

func (f *matrixFixture) registerItem(kind string) string {
	v, _ := registerFixtures.LoadOrStore(f, map[string]string{})
	items := v.(map[string]string)
	if id, ok := items[kind]; ok {
		return id
	}
	e := f.e
	var out struct {
		ID         string
		Activities []struct{ ID string }
	}
	switch kind {
	case "ropa":
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/ropa", f.adminTok, nil, http.StatusOK, &out)
		out.ID = out.Activities[0].ID
	case "processor":
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/processors", f.adminTok, f.processorBody(), http.StatusCreated, &out)
	case "dpia":
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/dpias", f.adminTok, f.dpiaBody(), http.StatusCreated, &out)
	case "risk":
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/risks", f.adminTok, riskBody, http.StatusCreated, &out)
	}
	items[kind] = out.ID
	return out.ID
}

func (f *matrixFixture) processorBody() map[string]any {
	return map[string]any{"name": "Hosting", "contact": "dpa desk", "service": "hosting", "clauses": []string{"a"}}
}

func (f *matrixFixture) dpiaBody() map[string]any {
	return map[string]any{"activity_id": f.registerItem("ropa"), "description": "d", "necessity": "n", "risks": "r",
		"measures": "m", "dpo_advice": "ok", "review_at": f.e.clock.Now().UTC().AddDate(1, 0, 0)}
}

var riskBody = map[string]any{"title": "lost laptop", "likelihood": 2, "impact": 3}

type reviewState struct {
	ID    string
	Open  bool
	Lines []struct {
		UserID   string `json:"user_id"`
		Decision string
	}
}

// openReview returns the open access review, starting one if none is open.
func (f *matrixFixture) openReview() reviewState {
	e := f.e
	var st struct{ Reviews []reviewState }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews", f.adminTok, nil, http.StatusOK, &st)
	var r reviewState
	for _, o := range st.Reviews {
		if o.Open {
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews/"+o.ID, f.adminTok, nil, http.StatusOK, &r)
			return r
		}
	}
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/reviews", f.adminTok, nil, http.StatusCreated, &r)
	return r
}

// closeReviews completes any open review by keeping every line.
func (f *matrixFixture) closeReviews() {
	e := f.e
	var st struct{ Reviews []reviewState }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews", f.adminTok, nil, http.StatusOK, &st)
	for _, o := range st.Reviews {
		if !o.Open {
			continue
		}
		var r reviewState
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/registers/reviews/"+o.ID, f.adminTok, nil, http.StatusOK, &r)
		for _, l := range r.Lines {
			if l.Decision == "" {
				e.doJSON(e.staff.URL, "POST", "/api/v1/staff/registers/reviews/"+r.ID+"/lines/"+l.UserID, f.adminTok,
					map[string]string{"decision": "keep"}, http.StatusOK, nil)
			}
		}
	}
}

func (f *matrixFixture) withRegisterRows(registers map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	item := func(kind string) func(f *matrixFixture, _ bool) map[string]string {
		return func(f *matrixFixture, _ bool) map[string]string { return map[string]string{"id": f.registerItem(kind)} }
	}
	for rt, row := range map[string]matrixRoute{
		"GET /api/v1/staff/audit":                     {policy: registers},
		"GET /api/v1/staff/registers/ropa":            {policy: registers},
		"POST /api/v1/staff/registers/ropa":           {policy: registers, body: staticBody(ropaBody("matrix"))},
		"GET /api/v1/staff/registers/ropa/export":     {policy: registers},
		"GET /api/v1/staff/registers/ropa/{id}":       {policy: registers, params: item("ropa")},
		"PUT /api/v1/staff/registers/ropa/{id}":       {policy: registers, params: item("ropa"), body: staticBody(ropaBody("matrix"))},
		"GET /api/v1/staff/registers/processors":      {policy: registers},
		"POST /api/v1/staff/registers/processors":     {policy: registers, body: func(f *matrixFixture) any { return f.processorBody() }},
		"GET /api/v1/staff/registers/processors/{id}": {policy: registers, params: item("processor")},
		"PUT /api/v1/staff/registers/processors/{id}": {policy: registers, params: item("processor"),
			body: func(f *matrixFixture) any { return f.processorBody() }},
		"GET /api/v1/staff/registers/dpias":      {policy: registers},
		"POST /api/v1/staff/registers/dpias":     {policy: registers, body: func(f *matrixFixture) any { return f.dpiaBody() }},
		"GET /api/v1/staff/registers/dpias/{id}": {policy: registers, params: item("dpia")},
		"PUT /api/v1/staff/registers/dpias/{id}": {policy: registers, params: item("dpia"), body: func(f *matrixFixture) any { return f.dpiaBody() }},
		"GET /api/v1/staff/registers/risks":      {policy: registers},
		"POST /api/v1/staff/registers/risks":     {policy: registers, body: staticBody(riskBody)},
		"GET /api/v1/staff/registers/risks/{id}": {policy: registers, params: item("risk")},
		"PUT /api/v1/staff/registers/risks/{id}": {policy: registers, params: item("risk"), body: staticBody(riskBody)},
		"GET /api/v1/staff/registers/reviews":    {policy: registers},
		// Only one review is open at a time: each call finds none open.
		"POST /api/v1/staff/registers/reviews": {policy: registers, body: func(f *matrixFixture) any { f.closeReviews(); return nil }},
		"GET /api/v1/staff/registers/reviews/{id}": {policy: registers,
			params: func(f *matrixFixture, _ bool) map[string]string { return map[string]string{"id": f.openReview().ID} }},
		"POST /api/v1/staff/registers/reviews/{id}/lines/{user}": {policy: registers,
			params: func(f *matrixFixture, _ bool) map[string]string {
				r := f.openReview()
				for _, l := range r.Lines {
					if l.Decision == "" {
						return map[string]string{"id": r.ID, "user": l.UserID}
					}
				}
				return map[string]string{"id": r.ID, "user": "none"}
			},
			body: staticBody(map[string]string{"decision": "keep"})},
	} {
		rows[rt] = row
	}
	return rows
}
