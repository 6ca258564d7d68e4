package web

import (
	"context"
	"net/http"

	"github.com/varsel/varsel/internal/org"
)

// Policy rows of the data-subject requests that act on case data
// (api_dsr.go): the register side (link, unlink, restrict, lift, erase a
// whole case, rotate the register key) is for admins and the DPO, 403 for
// others; the case side (list, erase or rectify a person) for holders of
// the case key, 404 for everyone else.

// caseNumber reads a case's number from the store.
func (f *matrixFixture) caseNumber(id string) int64 {
	r, err := f.e.db.Report(context.Background(), org.DefaultTenant, id)
	if err != nil {
		f.e.t.Fatal(err)
	}
	return r.CaseNumber
}

// dsrOfType records a request of typ as the admin, verified.
func (f *matrixFixture) dsrOfType(typ string) string {
	var r struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests", f.adminTok, map[string]any{"type": typ, "channel": "letter",
		"received_at": f.e.clock.Now().UTC().Add(-1), "requester": "A Person"}, http.StatusCreated, &r)
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/verify", f.adminTok,
		map[string]string{"method": "in_person"}, http.StatusOK, nil)
	return r.ID
}

// linkedDSR records a verified request of typ linked to caseID, or to a
// fresh person of it when person is set, and returns the request and link ids.
func (f *matrixFixture) linkedDSR(typ, caseID string, person bool) (string, string) {
	id := f.dsrOfType(typ)
	body := map[string]any{"case_number": f.caseNumber(caseID)}
	if person {
		var p struct{ Pseudonym string }
		f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/persons", f.ownerTok,
			map[string]any{"role": "witness", "name": "Linked Witness"}, http.StatusCreated, &p)
		body["pseudonym"] = p.Pseudonym
	}
	var l struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests/"+id+"/links", f.adminTok, body, http.StatusCreated, &l)
	return id, l.ID
}

func (f *matrixFixture) withDSRRows(registers, caseRoute map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	// Register side: denied callers name the fixture's request; allowed
	// ones act on a fresh request and, where the step changes a case, on
	// a fresh case, so case A and B stay as the other rows expect them.
	linkOn := func(typ string, prepare func(f *matrixFixture, id, lid, caseID string)) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, allowed bool) map[string]string {
			if !allowed {
				return map[string]string{"id": f.dsr, "lid": "none"}
			}
			caseID := f.newCase()
			id, lid := f.linkedDSR(typ, caseID, false)
			if prepare != nil {
				prepare(f, id, lid, caseID)
			}
			return map[string]string{"id": id, "lid": lid}
		}
	}
	restricted := func(f *matrixFixture, id, lid, _ string) {
		f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests/"+id+"/links/"+lid+"/restrict", f.adminTok, nil, http.StatusOK, nil)
	}
	closed := func(f *matrixFixture, _, _, caseID string) { f.e.closeCase(f.ownerTok, caseID) }
	// Case side: a fresh person link of case A for every call; the
	// denied callers get 404 before anything is read.
	personLink := func(typ string) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, _ bool) map[string]string {
			_, lid := f.linkedDSR(typ, f.caseA, true)
			return map[string]string{"id": f.caseA, "lid": lid}
		}
	}
	for rt, row := range map[string]matrixRoute{
		"POST /api/v1/staff/requests/{id}/links": {policy: registers,
			params: func(f *matrixFixture, allowed bool) map[string]string {
				if allowed {
					return map[string]string{"id": f.dsrOfType("erasure")}
				}
				return map[string]string{"id": f.dsr}
			},
			body: func(f *matrixFixture) any { return map[string]any{"case_number": f.caseNumber(f.caseB)} }},
		"DELETE /api/v1/staff/requests/{id}/links/{lid}":          {policy: registers, params: linkOn("erasure", nil)},
		"POST /api/v1/staff/requests/{id}/links/{lid}/restrict":   {policy: registers, params: linkOn("restriction", nil)},
		"POST /api/v1/staff/requests/{id}/links/{lid}/lift":       {policy: registers, params: linkOn("restriction", restricted), body: staticBody(map[string]any{"reason": "accuracy verified", "requester_informed": true})},
		"POST /api/v1/staff/requests/{id}/links/{lid}/erase-case": {policy: registers, params: linkOn("erasure", closed)},
		"POST /api/v1/staff/registers/key-rotation":               {policy: registers},
		"GET /api/v1/staff/cases/{id}/requests":                   {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/requests/{lid}/erase":      {policy: caseRoute, params: personLink("erasure"), body: staticBody(map[string]any{"journal": "redact"})},
		"POST /api/v1/staff/cases/{id}/requests/{lid}/rectify":    {policy: caseRoute, params: personLink("rectification"), body: staticBody(map[string]any{"name": "Corrected Witness", "reason": "spelling"})},
	} {
		rows[rt] = row
	}
	return rows
}
