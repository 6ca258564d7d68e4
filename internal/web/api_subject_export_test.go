package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

// DSR-5 through the API: the access export of a reported person holds
// their own name, no identity answer of the whistleblower, not the
// whistleblower's e-mail from a message, and another person only as a
// label; it is audited; a handler without access gets 404.
func TestSubjectAccessExport(t *testing.T) {
	const (
		identityMarker = "Perpetua Ironsworth-Quell"
		wbEmail        = "hidden.reporter@example.net"
	)
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		answers := minimalAnswers(plantedReported + " falsified invoices together with " + plantedWitness + ".")
		answers["identity_name"] = identityMarker
		wb := e.wbLogin(e.submitOK(answers))
		e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb,
			map[string]string{"text": "Write to me at " + wbEmail + " if " + plantedReported + " asks."}, http.StatusCreated, nil)
		staff := e.staffLogin(e.handler)
		id := e.oneCase(staff)
		base := "/api/v1/staff/cases/" + id + "/persons"
		var subj, other personResp
		e.doJSON(e.staff.URL, "POST", base, staff, map[string]any{"role": "reported_person", "name": plantedReported}, http.StatusCreated, &subj)
		e.doJSON(e.staff.URL, "POST", base, staff, map[string]any{"role": "witness", "name": plantedWitness}, http.StatusCreated, &other)

		path := base + "/" + subj.ID + "/access-export"
		code, body := e.get(e.staff.URL, path, staff)
		if code != http.StatusOK {
			t.Fatalf("export: %d %s", code, body)
		}
		out := string(body)
		for _, bad := range []string{identityMarker, "Perpetua", "Ironsworth", wbEmail, "hidden.reporter", plantedWitness, "Hyacinth", "Oddleworth"} {
			if strings.Contains(out, bad) {
				t.Errorf("export holds %q: %s", bad, out)
			}
		}
		if !strings.Contains(out, plantedReported) || !strings.Contains(out, "[person 1") || !strings.Contains(out, "whistleblowing channel on ") {
			t.Fatalf("export: %s", out)
		}

		outsider := e.addUser("outsider-dsr@example.org", accounts.RoleHandler)
		if code, _ := e.get(e.staff.URL, path, e.staffLogin(outsider)); code != http.StatusNotFound {
			t.Fatalf("outsider: %d", code)
		}
		if code, _ := e.get(e.staff.URL, base+"/nope/access-export", staff); code != http.StatusNotFound {
			t.Fatalf("unknown person: %d", code)
		}
	})
}
