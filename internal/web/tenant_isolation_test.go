package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/store"
)

// TestRC7CrossTenantReadReturns404 makes RC-7 visible on its own: an
// admin and a handler of one tenant asking for another tenant's case,
// file, journal, person, register entries, redaction and export get 404,
// as if the objects did not exist, and never the other tenant's content.
// The objects come from the access-control matrix's fixture; the matrix
// itself walks every route with foreign ids
// (TestAccessControlMatrixForeignIDs).
func TestRC7CrossTenantReadReturns404(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newMatrixFixture(t, d)
		e, o := f.e, f.other
		oTok := o.staffLogin(o.handler)
		var red struct{ ID string }
		o.doJSON(o.staff.URL, "POST", "/api/v1/staff/cases/"+f.oCase+"/redactions", oTok,
			map[string]string{"file_id": f.oFile}, http.StatusCreated, &red)

		c := "/api/v1/staff/cases/" + f.oCase
		reads := []string{
			c,
			c + "/files/" + f.oFile,
			c + "/journal",
			c + "/persons",
			c + "/persons/" + f.oPerson,
			c + "/redactions",
			c + "/redactions/" + red.ID,
			c + "/redactions/" + red.ID + "/preview",
			c + "/export",
			c + "/exports",
			c + "/disclosures",
		}
		// Register entries are for admins and the DPO; a handler is
		// refused by role (403) before any id is looked up.
		registers := []string{"/api/v1/staff/breaches/" + f.oBreach, "/api/v1/staff/requests/" + f.oDSR}
		// The objects exist: the other tenant's own handler reads them.
		for _, p := range []string{c, c + "/files/" + f.oFile, c + "/journal", c + "/redactions/" + red.ID} {
			if res := o.call(o.staff.URL, "GET", p, oTok, nil); res.status != http.StatusOK {
				t.Fatalf("own tenant GET %s: status %d: %s", p, res.status, res.body)
			}
		}
		for _, role := range []string{roleAdmin, roleDPO, roleOwner} {
			list := reads
			if role != roleOwner {
				list = append(slices.Clone(reads), registers...)
			}
			for _, p := range list {
				res := e.call(e.staff.URL, "GET", p, f.tokens[role], nil)
				if res.status != http.StatusNotFound {
					t.Errorf("GET %s as %s of another tenant: status %d, want 404: %s", p, role, res.status, res.body)
				}
				if strings.Contains(string(res.body), markerOther) {
					t.Errorf("GET %s as %s of another tenant leaks the other tenant's content", p, role)
				}
			}
		}
	})
}
