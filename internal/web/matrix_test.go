package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// The access-control matrix (issue 6): every route of the staff and the
// public API, read from the OpenAPI documents the listeners serve, is
// called as every role, and each answer is compared with a declared
// policy. A route added to the API without a row here fails the test.

// Roles of the matrix.
const (
	roleAnon      = "anonymous"
	roleWB        = "whistleblower"         // a receipt token, used against the staff API
	roleNoAccess  = "handler-no-access"     // a handler of the channel who joined after the report
	roleExcluded  = "handler-excluded"      // excluded by the whistleblower at submission
	roleCustodian = "custodian"             // custodian of identities (role admin), no access to the case
	roleDPO       = "dpo"                   // role dpo
	roleAdmin     = "admin"                 // role admin, no access to the case
	roleOwner     = "handler-with-access"   // handler of the case
	roleWBOwn     = "whistleblower-own"     // public API: the receipt of the report
	roleWBOther   = "whistleblower-other"   // public API: the receipt of another report
	roleStaff     = "staff-token-on-public" // public API: a staff token
)

var staffMatrixRoles = []string{roleAnon, roleWB, roleNoAccess, roleExcluded, roleCustodian, roleDPO, roleAdmin, roleOwner}

// Expected outcomes: allow is any 2xx; the others are exact statuses.
const allow = 200

// pol builds a policy row for the staff API: no or a foreign token is
// 401, staff roles get deny unless listed in allowed.
func pol(deny int, allowed ...string) map[string]int {
	p := map[string]int{roleAnon: http.StatusUnauthorized, roleWB: http.StatusUnauthorized}
	for _, r := range staffMatrixRoles[2:] {
		p[r] = deny
	}
	for _, r := range allowed {
		p[r] = allow
	}
	return p
}

// Markers planted in content: no response to a role without access may
// contain them.
const (
	markerA     = "MATRIXMARK-A"
	markerOther = "MATRIXMARK-OTHER"
)

// matrixFixture holds the objects the routes are called on.
type matrixFixture struct {
	e      *apiEnv
	tokens map[string]string
	// Tenant default: case A (the target), case B (another case of the
	// same tenant), case X (a pending identity request of the owner).
	caseA, fileA, journalA, caseB, fileB, journalB string
	ridX                                           string
	colleagueID, granteeID                         string
	breach, dsr                                    string
	// Persons concerned: personA on case A (its name carries the
	// marker), personB on case B.
	personA, personB string
	// msgA is a message of case A; purgeMsg the one the next purge names.
	msgA, purgeMsg string
	// seq numbers the fresh objects made for calls that change state.
	seq int
	// Tenant "other".
	other                                       *apiEnv
	oCase, oFile, oJournal, oRid, oBreach, oDSR string
	oUser, oPerson                              string
	ownerTok                                    string
	receiptA                                    string
	adminTok                                    string
}

// matrixRoute is one policy row.
type matrixRoute struct {
	policy map[string]int
	// body is the JSON body sent (nil: none).
	body func(f *matrixFixture) any
	// params gives the path parameters for a call; allowed tells whether
	// the call is expected to succeed, so that a fresh object can be made
	// for calls that change state.
	params func(f *matrixFixture, allowed bool) map[string]string
}

func caseParams(f *matrixFixture, _ bool) map[string]string {
	return map[string]string{"id": f.caseA, "file": f.fileA, "user": f.colleagueID}
}

func staticBody(v any) func(*matrixFixture) any { return func(*matrixFixture) any { return v } }

func (f *matrixFixture) staffPolicy() map[string]matrixRoute {
	caseRoute := pol(http.StatusNotFound, roleOwner)
	registers := pol(http.StatusForbidden, roleAdmin, roleDPO, roleCustodian) // the custodian has role admin
	anyStaff := pol(allow, staffMatrixRoles[2:]...)
	breachParams := func(f *matrixFixture, allowed bool) map[string]string {
		if allowed {
			return map[string]string{"id": f.newBreach()}
		}
		return map[string]string{"id": f.breach}
	}
	dsrParams := func(verified bool) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, allowed bool) map[string]string {
			if allowed {
				return map[string]string{"id": f.newDSR(verified)}
			}
			return map[string]string{"id": f.dsr}
		}
	}
	ridParams := func(f *matrixFixture, allowed bool) map[string]string {
		if allowed {
			return map[string]string{"rid": f.newIdentityRequest()}
		}
		return map[string]string{"rid": f.ridX}
	}
	personParams := func(fresh bool) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, allowed bool) map[string]string {
			if allowed && fresh {
				return map[string]string{"id": f.caseA, "pid": f.newPerson(f.caseA, "Fresh Person")}
			}
			return map[string]string{"id": f.caseA, "pid": f.personA}
		}
	}
	// A legal hold is placed on a fresh case and released from a fresh
	// held one; the one extension of a case is made on a fresh case.
	freshCase := func(held bool) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, allowed bool) map[string]string {
			if !allowed {
				return map[string]string{"id": f.caseA}
			}
			id := f.newCase()
			if held {
				f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/hold", f.ownerTok,
					map[string]string{"reason": "litigation"}, http.StatusNoContent, nil)
			}
			return map[string]string{"id": id}
		}
	}
	purgeParams := func(f *matrixFixture, allowed bool) map[string]string {
		f.purgeMsg = f.msgA
		if allowed {
			f.purgeMsg = f.newMessage(f.caseA, "irrelevant")
		}
		return map[string]string{"id": f.caseA}
	}
	adminOnly := pol(http.StatusForbidden, roleAdmin, roleCustodian) // the custodian has role admin
	now := f.e.clock.Now().UTC()
	return f.withReportingRows(caseRoute, adminOnly, anyStaff, f.withCaseHandlingRows(caseRoute, adminOnly, anyStaff, f.withRedactionRows(caseRoute, f.withDutyRows(registers, anyStaff, adminOnly, f.withDSRRows(registers, caseRoute, f.withRegisterRows(registers, map[string]matrixRoute{
		// Logging in is open to all; wrong credentials are 401 whoever asks.
		"POST /api/v1/staff/session": {policy: map[string]int{roleAnon: 401, roleWB: 401, roleNoAccess: 401, roleExcluded: 401,
			roleCustodian: 401, roleDPO: 401, roleAdmin: 401, roleOwner: 401},
			body: staticBody(map[string]string{"email": "handler@example.org", "password": "wrong password here", "totp": "000000"})},
		// Logging out ends the caller's session if there is one.
		"DELETE /api/v1/staff/session":              {policy: pol(allow, staffMatrixRoles...)}, // a no-op without a session
		"GET /api/v1/staff/cases":                   {policy: anyStaff},
		"GET /api/v1/staff/cases/{id}":              {policy: caseRoute, params: caseParams},
		"GET /api/v1/staff/cases/{id}/files/{file}": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/messages": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"text": "a reply"})},
		"POST /api/v1/staff/cases/{id}/state": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"state": "screening"})},
		"GET /api/v1/staff/cases/{id}/journal": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/journal": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"text": "a note", "source": "handler", "learned_on": now.Format("2006-01-02")})},
		"POST /api/v1/staff/cases/{id}/deadline-extension": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]any{"days": 10, "reason": "complex case"})},
		"GET /api/v1/staff/cases/{id}/access": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/access": {policy: caseRoute, params: caseParams,
			body: func(f *matrixFixture) any { return map[string]string{"user": f.granteeID} }},
		"DELETE /api/v1/staff/cases/{id}/access/{user}": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/identity-requests": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"reason": "need to interview"})},
		"GET /api/v1/staff/identity-requests": {policy: anyStaff},
		// Disclosure notes and the case export (disclosure_test.go).
		"GET /api/v1/staff/cases/{id}/disclosures": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/disclosures": {policy: caseRoute, params: caseParams,
			body: func(f *matrixFixture) any { return f.disclosureBody() }},
		"GET /api/v1/staff/cases/{id}/disclosures/{did}":           {policy: caseRoute, params: disclosureParams},
		"GET /api/v1/staff/cases/{id}/disclosures/{did}/pdf":       {policy: caseRoute, params: disclosureParams},
		"POST /api/v1/staff/cases/{id}/disclosures/{did}/finalise": {policy: caseRoute, params: disclosureParams, body: staticBody(map[string]any{})},
		"GET /api/v1/staff/cases/{id}/export":                      {policy: caseRoute, params: caseParams},
		// Only a custodian decides, and never on a request of their own.
		"POST /api/v1/staff/identity-requests/{rid}/approve": {policy: pol(http.StatusForbidden, roleCustodian), params: ridParams,
			body: staticBody(map[string]string{"reason": "justified"})},
		"POST /api/v1/staff/identity-requests/{rid}/deny": {policy: pol(http.StatusForbidden, roleCustodian), params: ridParams,
			body: staticBody(map[string]string{"reason": "not justified"})},

		// Persons concerned (CA-4, DN-1, DN-2): holders of the case key.
		"GET /api/v1/staff/cases/{id}/persons": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/persons": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]any{"role": "witness", "name": "New Person"})},
		"GET /api/v1/staff/cases/{id}/persons/{pid}": {policy: caseRoute, params: personParams(false)},
		"PATCH /api/v1/staff/cases/{id}/persons/{pid}": {policy: caseRoute, params: personParams(false),
			body: staticBody(map[string]any{"notes": "edited"})},
		"DELETE /api/v1/staff/cases/{id}/persons/{pid}": {policy: caseRoute, params: personParams(true)},
		"POST /api/v1/staff/cases/{id}/persons/{pid}/notified": {policy: caseRoute, params: personParams(true),
			body: staticBody(map[string]any{"on": now.AddDate(0, 0, -1).Format(time.DateOnly), "method": "letter"})},
		"POST /api/v1/staff/cases/{id}/persons/{pid}/defer": {policy: caseRoute, params: personParams(true),
			body: staticBody(map[string]any{"reason": "would prejudice the investigation", "legal_basis": "GDPR art. 14(5)(b)",
				"review_on": now.AddDate(0, 1, 0).Format(time.DateOnly)})},
		// DSR-5: the access export of a person, for case-key holders only.
		"GET /api/v1/staff/cases/{id}/persons/{pid}/access-export": {policy: caseRoute, params: personParams(false)},
		// Lists only the cases the caller holds the key of (checked below).
		"GET /api/v1/staff/notifications/due": {policy: anyStaff},
		"GET /api/v1/staff/statistics":        {policy: registers},

		// Workflow settings (api_settings.go): reads for any staff, changes
		// for admins; the custom status of a case for its key holders.
		"GET /api/v1/staff/settings/statuses": {policy: anyStaff},
		"PUT /api/v1/staff/settings/statuses": {policy: adminOnly,
			body: staticBody(map[string]any{"statuses": []map[string]any{
				{"id": "awaiting-info", "labels": map[string]string{"en": "Awaiting information"}, "state": "screening"}}})},
		"GET /api/v1/staff/settings/outcomes": {policy: anyStaff},
		"PUT /api/v1/staff/settings/outcomes": {policy: adminOnly,
			body: func(*matrixFixture) any { return map[string]any{"outcomes": cases.DefaultOutcomes()} }},
		"POST /api/v1/staff/cases/{id}/custom-status": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"status": ""})},

		// Oral reports (issue 3; JR-2, JR-3): any handler of the channel
		// records one; transcripts and recordings are for key holders.
		// Case A records no consent to a recording, so its owner is
		// refused (consent_required) before the upload is read.
		"POST /api/v1/staff/oral-reports": {policy: pol(http.StatusForbidden, roleNoAccess, roleExcluded, roleOwner),
			body: func(*matrixFixture) any {
				return map[string]any{"channel": org.DefaultChannel, "answers": minimalAnswers("oral report"), "source": "phone"}
			}},
		"GET /api/v1/staff/cases/{id}/transcripts": {policy: caseRoute, params: caseParams},
		"POST /api/v1/staff/cases/{id}/transcripts": {policy: caseRoute, params: caseParams,
			body: staticBody(map[string]string{"text": "minutes of the meeting"})},
		"POST /api/v1/staff/cases/{id}/transcripts/{tid}/send": {policy: caseRoute, params: transcriptParams},
		"POST /api/v1/staff/cases/{id}/recording":              {policy: recordingPolicy(), params: caseParams},

		// Retention (RT-1, RT-2, RT-4, JR-4).
		"GET /api/v1/staff/retention/policies": {policy: anyStaff},
		"PUT /api/v1/staff/retention/policies": {policy: adminOnly,
			body: staticBody(map[string]any{"channel_id": org.DefaultChannel, "category": "report", "months": 24})},
		"GET /api/v1/staff/retention/upcoming":  {policy: anyStaff},
		"GET /api/v1/staff/retention/deletions": {policy: registers},
		"POST /api/v1/staff/cases/{id}/hold": {policy: caseRoute, params: freshCase(false),
			body: staticBody(map[string]string{"reason": "litigation"})},
		"DELETE /api/v1/staff/cases/{id}/hold": {policy: caseRoute, params: freshCase(true)},
		"POST /api/v1/staff/cases/{id}/retention-extension": {policy: caseRoute, params: freshCase(false),
			body: staticBody(map[string]any{"months": 6, "reason": "pending appeal"})},
		"POST /api/v1/staff/cases/{id}/purge": {policy: caseRoute, params: purgeParams,
			body: func(f *matrixFixture) any {
				return map[string]any{"message_ids": []string{f.purgeMsg}, "reason": "manifestly irrelevant"}
			}},

		"GET /api/v1/staff/breaches":  {policy: registers},
		"POST /api/v1/staff/breaches": {policy: registers, body: func(f *matrixFixture) any { return f.breachBody() }},
		"GET /api/v1/staff/breaches/{id}": {policy: registers,
			params: func(f *matrixFixture, _ bool) map[string]string { return map[string]string{"id": f.breach} }},
		"POST /api/v1/staff/breaches/{id}/updates": {policy: registers, params: breachParams,
			body: staticBody(map[string]any{"phase": "contain", "note": "contained"})},
		"POST /api/v1/staff/breaches/{id}/notify-authority": {policy: registers, params: breachParams,
			body: staticBody(map[string]any{"reference": "DT-1"})},
		"POST /api/v1/staff/breaches/{id}/subject-notice": {policy: registers, params: breachParams,
			body: staticBody(map[string]any{"kind": "notice", "text": "told them by letter"})},
		"POST /api/v1/staff/breaches/{id}/close": {policy: registers, params: breachParams,
			body: staticBody(map[string]any{"note": "done"})},
		"GET /api/v1/staff/requests":  {policy: registers},
		"POST /api/v1/staff/requests": {policy: registers, body: func(f *matrixFixture) any { return f.dsrBody() }},
		"GET /api/v1/staff/requests/{id}": {policy: registers,
			params: func(f *matrixFixture, _ bool) map[string]string { return map[string]string{"id": f.dsr} }},
		"POST /api/v1/staff/requests/{id}/verify": {policy: registers, params: dsrParams(false),
			body: staticBody(map[string]any{"method": "in_person"})},
		"POST /api/v1/staff/requests/{id}/extend": {policy: registers, params: dsrParams(false),
			body: staticBody(map[string]any{"months": 1, "reason": "many records"})},
		"POST /api/v1/staff/requests/{id}/complete": {policy: registers, params: dsrParams(true),
			body: staticBody(map[string]any{"note": "answered"})},
		"POST /api/v1/staff/requests/{id}/refuse": {policy: registers, params: dsrParams(true),
			body: staticBody(map[string]any{"reason": "manifestly unfounded", "complaint_notice_given": true})},
	}))))))
}

func (f *matrixFixture) breachBody() map[string]any {
	return map[string]any{"aware_at": f.e.clock.Now().UTC().Add(-time.Hour), "type": "confidentiality", "severity": 2,
		"what_happened": "a laptop was lost", "data_categories": "names", "approx_subjects": 3, "approx_records": 3,
		"contact_point": "dpo@example.org", "likely_consequences": "little", "measures": "remote wipe"}
}

func (f *matrixFixture) dsrBody() map[string]any {
	return map[string]any{"type": "access", "channel": "letter", "received_at": f.e.clock.Now().UTC().Add(-time.Hour),
		"requester": "A Person", "contact": "a street"}
}

func (f *matrixFixture) newBreach() string {
	var b struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/breaches", f.adminTok, f.breachBody(), http.StatusCreated, &b)
	return b.ID
}

func (f *matrixFixture) newDSR(verified bool) string {
	var r struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests", f.adminTok, f.dsrBody(), http.StatusCreated, &r)
	if verified {
		f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/requests/"+r.ID+"/verify", f.adminTok,
			map[string]string{"method": "in_person"}, http.StatusOK, nil)
	}
	return r.ID
}

// newCase submits a report the owner holds every key of and returns its id.
func (f *matrixFixture) newCase() string {
	f.seq++
	what := "fresh case " + itoa(int64(f.seq))
	f.e.submitWith(minimalAnswers(what), nil)
	return f.e.caseWith(f.ownerTok, what).ID
}

// newPerson registers a person concerned on a case as the owner.
func (f *matrixFixture) newPerson(caseID, name string) string {
	var p struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/persons", f.ownerTok,
		map[string]any{"role": "reported_person", "name": name}, http.StatusCreated, &p)
	if p.ID == "" {
		f.e.t.Fatal("person without id")
	}
	return p.ID
}

// newMessage has the owner reply on a case and returns the message's id.
func (f *matrixFixture) newMessage(caseID, text string) string {
	e := f.e
	f.seq++
	text += " " + itoa(int64(f.seq))
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/messages", f.ownerTok, map[string]string{"text": text}, http.StatusCreated, nil)
	var j struct {
		Entries []struct {
			Kind, Text string
			MessageID  string `json:"message_id"`
		}
	}
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+caseID+"/journal", f.ownerTok, nil, http.StatusOK, &j)
	for _, en := range j.Entries {
		if en.Kind == "message" && en.Text == text && en.MessageID != "" {
			return en.MessageID
		}
	}
	e.t.Fatalf("no message %q in the journal: %+v", text, j.Entries)
	return ""
}

// newIdentityRequest submits a report with an identity and has the owner
// ask for it: a fresh pending request for a custodian to decide.
func (f *matrixFixture) newIdentityRequest() string {
	f.e.submitOK(identityAnswers("fresh case", "Fresh Name"))
	var inbox struct{ Cases []struct{ ID string } }
	f.e.doJSON(f.e.staff.URL, "GET", "/api/v1/staff/cases?limit=200", f.ownerTok, nil, http.StatusOK, &inbox)
	var req identityRequestJSON
	for _, c := range inbox.Cases {
		resp := f.e.call(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/identity-requests", f.ownerTok,
			map[string]string{"reason": "fresh"})
		if resp.status == http.StatusCreated {
			json.Unmarshal(resp.body, &req)
			return req.ID
		}
	}
	f.e.t.Fatal("no case to ask an identity of")
	return ""
}

type callResult struct {
	status int
	body   []byte
	header http.Header
}

// call sends a request with an optional JSON body and returns the answer
// whatever its status.
func (e *apiEnv) call(base, method, path, token string, body any) callResult {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return callResult{status: resp.StatusCode, body: raw, header: resp.Header}
}

// documentedRoutes reads "METHOD path" of every operation of the OpenAPI
// document a listener serves.
func documentedRoutes(t *testing.T, e *apiEnv, base string) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	e.doJSON(base, "GET", "/api/v1/openapi.json", "", nil, http.StatusOK, &doc)
	var out []string
	for p, ops := range doc.Paths {
		for m := range ops {
			switch m {
			case "get", "post", "put", "patch", "delete":
				out = append(out, strings.ToUpper(m)+" "+p)
			}
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("the OpenAPI document lists no operations")
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

func fillPath(t *testing.T, path string, params map[string]string) string {
	t.Helper()
	out := pathParam.ReplaceAllStringFunc(path, func(p string) string {
		v, ok := params[p[1:len(p)-1]]
		if !ok || v == "" {
			t.Fatalf("%s: no value for %s", path, p)
		}
		return v
	})
	return out
}

func statusMatches(want, got int) bool {
	if want == allow {
		return got >= 200 && got < 300
	}
	return got == want
}

// newTenantEnv runs a second tenant over e's database and blob store:
// its own organisation, accounts, intake and listeners.
func newTenantEnv(t *testing.T, e *apiEnv, tenant string) *apiEnv {
	t.Helper()
	ctx := context.Background()
	kdf := keys.NewKDF(4)
	icfg := intake.Config{DB: e.db, Blobs: e.blobs, KDF: kdf, Params: keys.TestParams, Pepper: bytes.Repeat([]byte{9}, 32),
		Tenant: tenant, Now: e.clock.Now, Logger: e.srv.d.Logger}
	acc := accounts.New(accounts.Config{DB: e.db, KDF: kdf, Params: keys.TestParams, Tenant: tenant, Now: e.clock.Now})
	if err := org.Init(ctx, e.db, tenant, "Other Org", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Deps{Intake: intake.New(icfg), Cases: cases.New(cases.Config{DB: e.db, Blobs: e.blobs, Now: e.clock.Now}),
		Accounts: acc, DB: e.db, Catalog: cat, Logger: e.srv.d.Logger, Now: e.clock.Now, Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	o := &apiEnv{t: t, db: e.db, blobs: e.blobs, blobDir: e.blobDir, srv: srv, logs: e.logs, clock: e.clock, accounts: acc,
		public: httptest.NewServer(srv.Public()), staff: httptest.NewServer(srv.Staff())}
	t.Cleanup(o.public.Close)
	t.Cleanup(o.staff.Close)
	o.handler = o.addUser("other-handler@example.org", accounts.RoleHandler, org.DefaultChannel)
	return o
}

func (e *apiEnv) userIDIn(tenant, email string) string {
	e.t.Helper()
	u, err := e.db.UserByEmail(context.Background(), tenant, email)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// submitWith posts a report with exclusions and files; it returns the receipt.
func (e *apiEnv) submitWith(answers map[string]any, exclude []string, files ...upload) string {
	e.t.Helper()
	for i := range files {
		if files[i].Field == "" {
			files[i].Field = "file"
		}
	}
	ctype, buf := multipartBody(mustJSON(map[string]any{"channel": org.DefaultChannel, "answers": answers, "exclude": exclude}), files...)
	resp, err := http.Post(e.public.URL+"/api/v1/reports", ctype, buf)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("submit: %d %s", resp.StatusCode, b)
	}
	var out struct{ Receipt string }
	json.Unmarshal(b, &out)
	return out.Receipt
}

// caseWith finds the case whose answers contain what, as staff tok sees it.
func (e *apiEnv) caseWith(tok, what string) caseResp {
	e.t.Helper()
	var inbox struct{ Cases []struct{ ID string } }
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases?limit=200", tok, nil, http.StatusOK, &inbox)
	for _, c := range inbox.Cases {
		var cr caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, tok, nil, http.StatusOK, &cr)
		if cr.Answers["what"] == what {
			return cr
		}
	}
	e.t.Fatalf("no case with %q", what)
	return caseResp{}
}

func (e *apiEnv) addJournal(tok, caseID, text string) string {
	e.t.Helper()
	var en struct{ ID string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+caseID+"/journal", tok,
		map[string]string{"text": text, "source": "handler", "learned_on": e.clock.Now().UTC().Format("2006-01-02")}, http.StatusCreated, &en)
	if en.ID == "" {
		e.t.Fatal("journal entry without id")
	}
	return en.ID
}

func newMatrixFixture(t *testing.T, d store.Dialect) *matrixFixture {
	e := newAPIEnv(t, d)
	f := &matrixFixture{e: e, tokens: map[string]string{}}
	excluded, excludedID := e.addNamedHandler("excluded@example.org", "Excluded Person")
	custodian := e.addCustodian("custodian@example.org", accounts.RoleAdmin)
	dpo := e.addUser("dpo@example.org", accounts.RoleDPO)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	colleague := e.addUser("colleague@example.org", accounts.RoleHandler, org.DefaultChannel)
	e.addUser("grantee@example.org", accounts.RoleHandler)
	f.colleagueID = e.userIDIn(org.DefaultTenant, "colleague@example.org")
	f.granteeID = e.userIDIn(org.DefaultTenant, "grantee@example.org")
	_ = colleague

	// Case A carries the marker in its answers, file name and content.
	answersA := identityAnswers(markerA+" what", markerA+" name")
	receiptA := e.submitWith(answersA, []string{excludedID}, fileOf(markerA+".txt", markerA+" file body"))
	receiptB := e.submitWith(identityAnswers("case B", "B name"), nil, fileOf("b.txt", "case B body"))
	e.submitWith(identityAnswers("case X", "X name"), nil)

	// Joins the channel after the reports: holds no key to them.
	noAccess := e.addUser("noaccess@example.org", accounts.RoleHandler, org.DefaultChannel)

	f.ownerTok = e.staffLogin(e.handler)
	ca := e.caseWith(f.ownerTok, markerA+" what")
	cb := e.caseWith(f.ownerTok, "case B")
	cx := e.caseWith(f.ownerTok, "case X")
	if len(ca.Files) != 1 || len(cb.Files) != 1 {
		t.Fatalf("files: A %d, B %d", len(ca.Files), len(cb.Files))
	}
	f.caseA, f.fileA, f.caseB, f.fileB = ca.ID, ca.Files[0].ID, cb.ID, cb.Files[0].ID
	f.journalA = e.addJournal(f.ownerTok, f.caseA, markerA+" journal")
	f.journalB = e.addJournal(f.ownerTok, f.caseB, "journal B")
	f.msgA = f.newMessage(f.caseA, markerA+" reply")
	f.personA = f.newPerson(f.caseA, markerA+" person")
	f.personB = f.newPerson(f.caseB, "person B")
	var req identityRequestJSON
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+cx.ID+"/identity-requests", f.ownerTok, map[string]string{"reason": "x"}, http.StatusCreated, &req)
	f.ridX = req.ID

	f.adminTok = e.staffLogin(admin)
	var b struct{ ID string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/breaches", f.adminTok, f.breachBody(), http.StatusCreated, &b)
	f.breach = b.ID
	f.dsr = f.newDSR(false)

	// Whistleblower A posts a message carrying the marker too.
	wbA := e.wbLogin(receiptA)
	e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wbA, map[string]string{"text": markerA + " wb message"}, http.StatusCreated, nil)

	f.tokens[roleAnon] = ""
	f.tokens[roleWB] = e.wbLogin(receiptB)
	f.tokens[roleNoAccess] = e.staffLogin(noAccess)
	f.tokens[roleExcluded] = e.staffLogin(excluded)
	f.tokens[roleCustodian] = e.staffLogin(custodian)
	f.tokens[roleDPO] = e.staffLogin(dpo)
	f.tokens[roleAdmin] = e.staffLogin(admin)
	f.tokens[roleOwner] = e.staffLogin(e.handler)
	f.tokens[roleWBOwn] = wbA
	f.receiptA = receiptA
	f.tokens[roleWBOther] = f.tokens[roleWB]

	// Tenant "other": the same kinds of objects, carrying another marker.
	o := newTenantEnv(t, e, "other")
	f.other = o
	oAdmin := o.addUser("other-admin@example.org", accounts.RoleAdmin)
	oCust, err := o.accounts.CreateUser(context.Background(), accounts.NewUser{Email: "other-custodian@example.org",
		Role: accounts.RoleAdmin, Password: "correct horse battery staple", Custodian: true})
	if err != nil {
		t.Fatal(err)
	}
	o.acceptDeclaration(oCust.UserID)
	_ = oCust
	o.submitWith(identityAnswers(markerOther+" what", markerOther+" name"), nil, fileOf(markerOther+".txt", markerOther+" body"))
	oTok := o.staffLogin(o.handler)
	oc := o.caseWith(oTok, markerOther+" what")
	f.oCase, f.oFile = oc.ID, oc.Files[0].ID
	f.oJournal = o.addJournal(oTok, f.oCase, markerOther+" journal")
	var op struct{ ID string }
	o.doJSON(o.staff.URL, "POST", "/api/v1/staff/cases/"+f.oCase+"/persons", oTok,
		map[string]any{"role": "witness", "name": markerOther + " person"}, http.StatusCreated, &op)
	f.oPerson = op.ID
	o.doJSON(o.staff.URL, "POST", "/api/v1/staff/cases/"+f.oCase+"/identity-requests", oTok, map[string]string{"reason": markerOther}, http.StatusCreated, &req)
	f.oRid = req.ID
	f.oUser = o.userIDIn("other", "other-handler@example.org")
	oAdminTok := o.staffLogin(oAdmin)
	o.doJSON(o.staff.URL, "POST", "/api/v1/staff/breaches", oAdminTok, map[string]any{"aware_at": e.clock.Now().UTC(), "type": "integrity",
		"severity": 2, "what_happened": markerOther}, http.StatusCreated, &b)
	f.oBreach = b.ID
	var r struct{ ID string }
	o.doJSON(o.staff.URL, "POST", "/api/v1/staff/requests", oAdminTok, map[string]any{"type": "access", "channel": "letter",
		"received_at": e.clock.Now().UTC(), "requester": markerOther}, http.StatusCreated, &r)
	f.oDSR = r.ID
	return f
}

// roleOrder puts the roles a route allows last, so that calls which must
// fail run before the one that changes state.
func roleOrder(p map[string]int, roles []string) []string {
	var denied, allowed []string
	for _, r := range roles {
		if p[r] == allow {
			allowed = append(allowed, r)
		} else {
			denied = append(denied, r)
		}
	}
	return append(denied, allowed...)
}

func TestAccessControlMatrixStaffAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newMatrixFixture(t, d)
		e := f.e
		policy := f.staffPolicy()
		routes := documentedRoutes(t, e, e.staff.URL)
		for _, rt := range routes {
			if _, ok := policy[rt]; !ok {
				t.Errorf("staff route %s has no row in the access-control policy", rt)
			}
		}
		documented := map[string]bool{}
		for _, rt := range routes {
			documented[rt] = true
		}
		for rt := range policy {
			if !documented[rt] {
				t.Errorf("policy row %s names no documented route", rt)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		// The due notifications list only the cases the caller holds the
		// key of: person A (pending) shows to the owner alone.
		for _, role := range staffMatrixRoles[2:] {
			res := e.call(e.staff.URL, "GET", "/api/v1/staff/notifications/due", f.tokens[role], nil)
			if listed := bytes.Contains(res.body, []byte(f.personA)); listed != (role == roleOwner) || res.status != http.StatusOK {
				t.Errorf("due notifications as %s: status %d, lists person A: %v", role, res.status, listed)
			}
		}
		// Logging out ends sessions: it runs last.
		sort.SliceStable(routes, func(i, j int) bool {
			return routes[i] != "DELETE /api/v1/staff/session" && routes[j] == "DELETE /api/v1/staff/session"
		})
		// Publishing a new declaration makes everyone accept again before
		// the case routes: it runs just before logging out.
		sort.SliceStable(routes, func(i, j int) bool {
			return routes[i] != publishDeclarationRoute && routes[j] == publishDeclarationRoute &&
				routes[i] != "DELETE /api/v1/staff/session"
		})

		for _, rt := range routes {
			row := policy[rt]
			method, path, _ := strings.Cut(rt, " ")
			for _, role := range roleOrder(row.policy, staffMatrixRoles) {
				want := row.policy[role]
				if want == 0 {
					t.Fatalf("%s: no policy for role %s", rt, role)
				}
				params := map[string]string{}
				if row.params != nil {
					params = row.params(f, want == allow)
				}
				var body any
				if row.body != nil {
					body = row.body(f)
				}
				p := fillPath(t, path, params)
				res := e.call(e.staff.URL, method, p, f.tokens[role], body)
				if !statusMatches(want, res.status) {
					t.Errorf("%s as %s: status %d, want %s: %s", rt, role, res.status, wantText(want), res.body)
				}
				if role != roleOwner && bytes.Contains(res.body, []byte(markerA)) {
					t.Errorf("%s as %s: the answer holds case A's content: %s", rt, role, res.body)
				}
			}
		}
	})
}

func wantText(w int) string {
	if w == allow {
		return "2xx"
	}
	return http.StatusText(w) + " (" + itoa(int64(w)) + ")"
}

// Object ids from another case or another tenant are 404 to everyone who
// would otherwise be let in, and never return data.
func TestAccessControlMatrixForeignIDs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newMatrixFixture(t, d)
		e := f.e
		policy := f.staffPolicy()
		foreign := map[string]string{"id": f.oCase, "file": f.oFile, "user": f.oUser, "rid": f.oRid, "pid": f.oPerson, "did": "nosuchdisclosure", "lid": "nosuchlink", "tid": "nosuchtranscript", "eid": "nosuchexport", "redaction": "nosuchredaction", "task": "nosuchtask",
			"phase": "identify", "item": "confirm_breach", "channel": "nosuchchannel", "category": "report"}
		routes := documentedRoutes(t, e, e.staff.URL)
		tested := 0
		for _, rt := range routes {
			method, path, _ := strings.Cut(rt, " ")
			if !pathParam.MatchString(path) {
				continue
			}
			row, ok := policy[rt]
			if !ok {
				t.Errorf("staff route %s has no row in the access-control policy", rt)
				continue
			}
			params := map[string]string{}
			for k, v := range foreign {
				params[k] = v
			}
			switch {
			case strings.HasPrefix(path, "/api/v1/staff/breaches/"):
				params["id"] = f.oBreach
			case strings.HasPrefix(path, "/api/v1/staff/requests/"):
				params["id"] = f.oDSR
			}
			var body any
			if row.body != nil {
				body = row.body(f)
			}
			for _, role := range staffMatrixRoles {
				want := row.policy[role]
				// A caller let in (or refused only for the case's own
				// content, e.g. a recording without consent) gets 404.
				if want == allow || want == http.StatusUnprocessableEntity || want == http.StatusForbidden && role == roleCustodian {
					want = http.StatusNotFound
				}
				if want == http.StatusConflict && rt == "POST /api/v1/staff/cases/{id}/exports/{eid}/confirm-deletion" {
					want = http.StatusNotFound // the case's channel setting is never reached
				}
				if rt == "POST /api/v1/staff/identity-requests/{rid}/approve" || rt == "POST /api/v1/staff/identity-requests/{rid}/deny" {
					// A non-custodian is refused before the request is looked up.
					if role != roleAnon && role != roleWB {
						want = -1
					}
				}
				res := e.call(e.staff.URL, method, fillPath(t, path, params), f.tokens[role], body)
				tested++
				if want == -1 {
					if res.status != http.StatusNotFound && res.status != http.StatusForbidden {
						t.Errorf("%s with other tenant's ids as %s: status %d, want 403 or 404: %s", rt, role, res.status, res.body)
					}
				} else if res.status != want {
					t.Errorf("%s with other tenant's ids as %s: status %d, want %d: %s", rt, role, res.status, want, res.body)
				}
				if bytes.Contains(res.body, []byte(markerOther)) {
					t.Errorf("%s as %s: the answer holds the other tenant's content: %s", rt, role, res.body)
				}
			}
		}
		if tested == 0 {
			t.Fatal("no route with path parameters")
		}

		// Ids of another case of the same tenant, combined with case A.
		owner := f.tokens[roleOwner]
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/staff/cases/" + f.caseA + "/files/" + f.fileB, nil},
			{"GET", "/api/v1/staff/cases/" + f.caseA + "/files/" + f.oFile, nil},
			{"GET", "/api/v1/staff/cases/" + f.caseA + "/files/" + f.journalA, nil},
			// Persons of another case or tenant under case A.
			{"GET", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.personB, nil},
			{"GET", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.oPerson, nil},
			{"PATCH", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.personB, map[string]any{"notes": "x"}},
			{"DELETE", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.personB, nil},
			{"DELETE", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.oPerson, nil},
			{"POST", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.personB + "/notified",
				map[string]any{"on": e.clock.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly), "method": "letter"}},
			{"POST", "/api/v1/staff/cases/" + f.caseA + "/persons/" + f.personB + "/defer",
				map[string]any{"reason": "r", "legal_basis": "b", "review_on": e.clock.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)}},
		} {
			res := e.call(e.staff.URL, c.method, c.path, owner, c.body)
			if res.status != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404: %.200s", c.method, c.path, res.status, res.body)
			}
		}
		// A note superseding an entry of another case or tenant is refused.
		for _, sup := range []string{f.journalB, f.oJournal} {
			res := e.call(e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/journal", owner, map[string]string{
				"text": "correction", "source": "handler", "learned_on": e.clock.Now().UTC().Format("2006-01-02"), "supersedes": sup})
			if res.status < 400 || res.status >= 500 {
				t.Errorf("superseding a foreign journal entry: status %d: %s", res.status, res.body)
			}
			if bytes.Contains(res.body, []byte(markerOther)) {
				t.Errorf("superseding answer holds the other tenant's content")
			}
		}
		// Person B is untouched.
		var pb struct {
			Notification struct{ State string }
			Details      *struct{ Notes string }
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+f.caseB+"/persons/"+f.personB, owner, nil, http.StatusOK, &pb)
		if pb.Notification.State != "pending" || pb.Details == nil || pb.Details.Notes != "" {
			t.Errorf("person B changed through case A: %+v", pb)
		}
		// A purge under case A naming a message of case B is refused and
		// removes nothing.
		msgB := f.newMessage(f.caseB, "case B message")
		if res := e.call(e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/purge", owner,
			map[string]any{"message_ids": []string{msgB}, "reason": "x"}); res.status < 400 || res.status >= 500 {
			t.Errorf("purging a message of case B under case A: status %d: %s", res.status, res.body)
		}
		if !bytes.Contains(e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+f.caseB+"/journal", owner, nil).body, []byte(msgB)) {
			t.Error("a message of case B was purged through case A")
		}
		// Granting and revoking a user of the other tenant.
		if res := e.call(e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/access", owner, map[string]string{"user": f.oUser}); res.status < 400 || res.status >= 500 {
			t.Errorf("granting a user of another tenant: status %d: %s", res.status, res.body)
		}
		// Lists never show the other tenant's objects.
		for _, p := range []string{"/api/v1/staff/cases", "/api/v1/staff/identity-requests", "/api/v1/staff/breaches", "/api/v1/staff/requests",
			"/api/v1/staff/notifications/due", "/api/v1/staff/retention/upcoming"} {
			res := e.call(e.staff.URL, "GET", p, f.tokens[roleAdmin], nil)
			for _, id := range []string{f.oCase, f.oRid, f.oBreach, f.oDSR, f.oPerson} {
				if bytes.Contains(res.body, []byte(id)) {
					t.Errorf("GET %s lists an object of the other tenant", p)
				}
			}
		}
		// A token of the other tenant does not work on this one.
		oTok := f.other.staffLogin(f.other.handler)
		if res := e.call(e.staff.URL, "GET", "/api/v1/staff/cases", oTok, nil); res.status != http.StatusUnauthorized {
			t.Errorf("another tenant's staff token: status %d", res.status)
		}
		if res := e.call(e.staff.URL, "GET", "/api/v1/staff/cases/"+f.oCase, oTok, nil); res.status != http.StatusUnauthorized {
			t.Errorf("another tenant's staff token on its own case: status %d", res.status)
		}
	})
}

// The public API: a receipt opens only its own report.
func TestAccessControlMatrixPublicAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newMatrixFixture(t, d)
		e := f.e
		roles := []string{roleAnon, roleStaff, roleWBOther, roleWBOwn}
		tokens := map[string]string{roleAnon: "", roleStaff: f.ownerTok, roleWBOther: f.tokens[roleWBOther], roleWBOwn: f.tokens[roleWBOwn]}
		wbOnly := map[string]int{roleAnon: 401, roleStaff: 401, roleWBOther: allow, roleWBOwn: allow}
		own := map[string]int{roleAnon: 401, roleStaff: 401, roleWBOther: 404, roleWBOwn: allow}
		open := map[string]int{roleAnon: allow, roleStaff: allow, roleWBOther: allow, roleWBOwn: allow}
		type pubRoute struct {
			policy map[string]int
			send   func(token string) callResult
		}
		fileA := f.fileA
		policy := map[string]pubRoute{
			"GET /api/v1/channels": {policy: open},
			"POST /api/v1/reports": {policy: open, send: func(token string) callResult {
				ctype, buf := multipartBody(reportJSONFor(org.DefaultChannel, minimalAnswers("another report")))
				return e.rawCall(e.public.URL, "POST", "/api/v1/reports", token, ctype, buf.Bytes())
			}},
			"POST /api/v1/wb/session": {policy: map[string]int{roleAnon: 401, roleStaff: 401, roleWBOther: 401, roleWBOwn: 401},
				send: func(token string) callResult {
					return e.call(e.public.URL, "POST", "/api/v1/wb/session", token, map[string]string{"receipt": "AAAA BBBB CCCC DDDD"})
				}},
			"DELETE /api/v1/wb/session":        {policy: open},
			"GET /api/v1/wb/report":            {policy: wbOnly},
			"POST /api/v1/wb/messages":         {policy: wbOnly, send: jsonSend(e, "POST", "/api/v1/wb/messages", map[string]string{"text": "more"})},
			"POST /api/v1/wb/identity-consent": {policy: wbOnly},
			"POST /api/v1/wb/files": {policy: wbOnly, send: func(token string) callResult {
				ctype, buf := multipartBody("", upload{Field: "file", Name: "more.txt", Type: "text/plain", Body: strings.NewReader("more")})
				return e.rawCall(e.public.URL, "POST", "/api/v1/wb/files", token, ctype, buf.Bytes())
			}},
			"GET /api/v1/wb/files/{file}": {policy: own, send: func(token string) callResult {
				return e.call(e.public.URL, "GET", "/api/v1/wb/files/"+fileA, token, nil)
			}},
			// Transcripts (JR-3): each call works on a fresh sent transcript of case A.
			"GET /api/v1/wb/transcripts": {policy: wbOnly},
			// Meetings on request (RC-2): each whistleblower asks once.
			"GET /api/v1/wb/meeting-requests":  {policy: wbOnly},
			"POST /api/v1/wb/meeting-requests": {policy: wbOnly, send: jsonSend(e, "POST", "/api/v1/wb/meeting-requests", map[string]string{"text": "mornings"})},
			"POST /api/v1/wb/transcripts/{tid}/correction": {policy: own, send: func(token string) callResult {
				return e.call(e.public.URL, "POST", "/api/v1/wb/transcripts/"+f.newTranscript(true)+"/correction", token,
					map[string]string{"text": "corrected minutes"})
			}},
			"POST /api/v1/wb/transcripts/{tid}/approve": {policy: own, send: func(token string) callResult {
				return e.call(e.public.URL, "POST", "/api/v1/wb/transcripts/"+f.newTranscript(true)+"/approve", token, nil)
			}},
		}
		routes := documentedRoutes(t, e, e.public.URL)
		for _, rt := range routes {
			if _, ok := policy[rt]; !ok {
				t.Errorf("public route %s has no row in the access-control policy", rt)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		sort.SliceStable(routes, func(i, j int) bool {
			return routes[i] != "DELETE /api/v1/wb/session" && routes[j] == "DELETE /api/v1/wb/session"
		})
		for _, rt := range routes {
			row := policy[rt]
			method, path, _ := strings.Cut(rt, " ")
			for _, role := range roleOrder(row.policy, roles) {
				var res callResult
				if row.send != nil {
					res = row.send(tokens[role])
				} else {
					res = e.call(e.public.URL, method, path, tokens[role], nil)
				}
				want := row.policy[role]
				if !statusMatches(want, res.status) {
					t.Errorf("%s as %s: status %d, want %s: %s", rt, role, res.status, wantText(want), res.body)
				}
				if role != roleWBOwn && bytes.Contains(res.body, []byte(markerA)) {
					t.Errorf("%s as %s: the answer holds report A's content: %s", rt, role, res.body)
				}
			}
		}

		// The other report's file ids, and the other tenant's, are 404 to
		// the receipt of report A.
		// A receipt token of the other tenant opens nothing here.
		oReceipt := f.other.submitWith(minimalAnswers(markerOther+" wb"), nil, fileOf("o.txt", markerOther))
		oWB := f.other.wbLogin(oReceipt)
		for _, p := range []string{"/api/v1/wb/report", "/api/v1/wb/files/" + f.oFile, "/api/v1/wb/files/" + f.fileA} {
			res := e.call(e.public.URL, "GET", p, oWB, nil)
			if res.status != http.StatusUnauthorized {
				t.Errorf("GET %s with another tenant's receipt token: status %d, want 401", p, res.status)
			}
			if bytes.Contains(res.body, []byte(markerOther)) || bytes.Contains(res.body, []byte(markerA)) {
				t.Errorf("GET %s with another tenant's receipt token returned content", p)
			}
		}
		wbA := e.wbLogin(f.receiptA)
		for _, id := range []string{f.fileB, f.oFile, f.caseA, f.journalA} {
			res := e.call(e.public.URL, "GET", "/api/v1/wb/files/"+id, wbA, nil)
			if res.status != http.StatusNotFound {
				t.Errorf("whistleblower A fetching %s: status %d, want 404", id, res.status)
			}
		}
	})
}

func jsonSend(e *apiEnv, method, path string, body any) func(string) callResult {
	return func(token string) callResult { return e.call(e.public.URL, method, path, token, body) }
}

func (e *apiEnv) rawCall(base, method, path, token, ctype string, body []byte) callResult {
	e.t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return callResult{status: resp.StatusCode, body: raw, header: resp.Header}
}
