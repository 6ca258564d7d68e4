package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
)

// Policy rows of the breach response plan, register reviews, the DPO's
// dashboard and the confidentiality declarations, and the fixture step
// that has every test user accept the declaration in force.

const publishDeclarationRoute = "POST /api/v1/staff/declarations"

// acceptDeclaration has a user accept the declaration in force, as every
// staff user must before opening a case.
func (e *apiEnv) acceptDeclaration(userID string) {
	e.t.Helper()
	ctx := context.Background()
	tenant := e.srv.d.Tenant
	v, err := e.db.LatestDeclarationVersion(ctx, tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	p := privacy.New(privacy.Config{DB: e.db, Tenant: tenant, Now: e.clock.Now})
	if _, err := p.AcceptDeclaration(ctx, &accounts.Staff{TenantID: tenant, UserID: userID}, privacy.DeclarationAcceptance{Version: &v}); err != nil {
		e.t.Fatal(err)
	}
}

// acceptDeclarationAll has every user of the tenant accept the version in force.
func (e *apiEnv) acceptDeclarationAll() {
	e.t.Helper()
	users, err := e.db.Users(context.Background(), e.srv.d.Tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, u := range users {
		e.acceptDeclaration(u.ID)
	}
}

// settledIdentifyBreach is a fresh breach whose identify checklist is all
// done, so that the phase can be completed.
func (f *matrixFixture) settledIdentifyBreach() string {
	id := f.newBreach()
	var b privacy.BreachView
	f.e.doJSON(f.e.staff.URL, "GET", "/api/v1/staff/breaches/"+id, f.adminTok, nil, http.StatusOK, &b)
	for _, ph := range b.Phases {
		if ph.Phase != privacy.PhaseIdentify {
			continue
		}
		for _, it := range ph.Items {
			f.e.doJSON(f.e.staff.URL, "PUT", "/api/v1/staff/breaches/"+id+"/phases/identify/items/"+it.ID, f.adminTok,
				map[string]string{"state": "done"}, http.StatusOK, nil)
		}
	}
	return id
}

func (f *matrixFixture) withDutyRows(registers, anyStaff, adminOnly map[string]int, rows map[string]matrixRoute) map[string]matrixRoute {
	breach := func(settled bool) func(f *matrixFixture, allowed bool) map[string]string {
		return func(f *matrixFixture, allowed bool) map[string]string {
			id := f.breach
			if allowed && settled {
				id = f.settledIdentifyBreach()
			} else if allowed {
				id = f.newBreach()
			}
			return map[string]string{"id": id, "phase": "identify", "item": "confirm_breach"}
		}
	}
	item := func(kind string) func(f *matrixFixture, _ bool) map[string]string {
		return func(f *matrixFixture, _ bool) map[string]string { return map[string]string{"id": f.registerItem(kind)} }
	}
	policy := func(*matrixFixture, bool) map[string]string {
		return map[string]string{"channel": org.DefaultChannel, "category": "report"}
	}
	nextYear := func(f *matrixFixture) any {
		return map[string]any{"next_review_at": f.e.clock.Now().UTC().AddDate(1, 0, 0)}
	}
	for rt, row := range map[string]matrixRoute{
		"POST /api/v1/staff/breaches/{id}/phases/{phase}/start":    {policy: registers, params: breach(false), body: staticBody(map[string]string{})},
		"POST /api/v1/staff/breaches/{id}/phases/{phase}/complete": {policy: registers, params: breach(true), body: staticBody(map[string]string{})},
		"POST /api/v1/staff/breaches/{id}/phases/{phase}/items": {policy: registers, params: breach(false),
			body: staticBody(map[string]string{"text": "call the insurer"})},
		"PUT /api/v1/staff/breaches/{id}/phases/{phase}/items/{item}": {policy: registers, params: breach(false),
			body: staticBody(map[string]string{"state": "done"})},
		"POST /api/v1/staff/registers/ropa/{id}/reviewed":       {policy: registers, params: item("ropa"), body: nextYear},
		"POST /api/v1/staff/registers/processors/{id}/reviewed": {policy: registers, params: item("processor"), body: nextYear},
		"POST /api/v1/staff/registers/dpias/{id}/reviewed":      {policy: registers, params: item("dpia"), body: nextYear},
		"POST /api/v1/staff/registers/risks/{id}/reviewed":      {policy: registers, params: item("risk"), body: nextYear},
		"GET /api/v1/staff/registers/retention-policies":        {policy: registers},
		"PUT /api/v1/staff/registers/retention-policies/{channel}/{category}": {policy: registers, params: policy,
			body: nextYear2},
		"POST /api/v1/staff/registers/retention-policies/{channel}/{category}/reviewed": {policy: registers, params: policy, body: nextYear},
		"GET /api/v1/staff/registers/dashboard":                                         {policy: registers},
		"GET /api/v1/staff/declaration":                                                 {policy: anyStaff},
		"POST /api/v1/staff/declaration/acceptance":                                     {policy: anyStaff, body: currentVersion},
		"GET /api/v1/staff/declarations":                                                {policy: registers},
		publishDeclarationRoute:                                                         {policy: adminOnly, body: staticBody(map[string]string{"text": "Keep case content confidential."})},
	} {
		rows[rt] = row
	}
	return rows
}

func nextYear2(f *matrixFixture) any {
	return map[string]any{"review_at": f.e.clock.Now().UTC().AddDate(1, 0, 0)}
}

func currentVersion(f *matrixFixture) any {
	v, err := f.e.db.LatestDeclarationVersion(context.Background(), f.e.srv.d.Tenant)
	if err != nil {
		f.e.t.Fatal(err)
	}
	return map[string]int{"version": v}
}

// acceptDeclarationFor is acceptDeclaration for fixtures without an apiEnv.
func acceptDeclarationFor(t testing.TB, db *store.DB, tenant, userID string) {
	t.Helper()
	ctx := context.Background()
	v, err := db.LatestDeclarationVersion(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	p := privacy.New(privacy.Config{DB: db, Tenant: tenant})
	if _, err := p.AcceptDeclaration(ctx, &accounts.Staff{TenantID: tenant, UserID: userID}, privacy.DeclarationAcceptance{Version: &v}); err != nil {
		t.Fatal(err)
	}
}
