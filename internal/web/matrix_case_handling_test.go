package web

import "net/http"

// Policy rows of the case exports, the deletion after a confirmed export
// and its setting (api_exports.go).

func (f *matrixFixture) withCaseHandlingRows(caseRoute, adminOnly, anyStaff map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	// The default channel does not delete after an export, so even the
	// owner is refused (409 deletion_not_enabled) before anything is
	// looked at; case A is never deleted by the matrix.
	confirm := pol(http.StatusNotFound)
	confirm[roleOwner] = http.StatusConflict
	exportParams := func(f *matrixFixture, _ bool) map[string]string {
		return map[string]string{"id": f.caseA, "eid": "nosuchexport"}
	}
	for rt, row := range map[string]matrixRoute{
		"GET /api/v1/staff/cases/{id}/exports": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/exports/{eid}/confirm-deletion": {policy: confirm, params: exportParams,
			body: staticBody(map[string]string{"sha256": "0000000000000000000000000000000000000000000000000000000000000000"})},
		"GET /api/v1/staff/settings/export-deletion": {policy: anyStaff},
		"PUT /api/v1/staff/settings/export-deletion": {policy: adminOnly, body: staticBody(map[string]any{"channels": []string{}})},
	} {
		rows[rt] = row
	}
	return rows
}
