package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// dsrCase is a case with a person, and an admin who links requests to it.
type dsrCase struct {
	e         *apiEnv
	tok       string // the handler's bearer token
	adminTok  string
	id        string
	number    int64
	pseudonym string
	personID  string
}

func newDSRCase(t *testing.T, d store.Dialect) *dsrCase {
	e := newAPIEnv(t, d)
	admin := e.addUser("admin@example.org", accounts.RoleAdmin)
	e.acceptDeclarationAll()
	e.submitOK(minimalAnswers("the warehouse manager took the stock"))
	c := &dsrCase{e: e, tok: e.staffLogin(e.handler), adminTok: e.staffLogin(admin)}
	c.id = e.oneCase(c.tok)
	r, err := e.db.Report(context.Background(), org.DefaultTenant, c.id)
	if err != nil {
		t.Fatal(err)
	}
	c.number = r.CaseNumber
	var p struct{ ID, Pseudonym string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+c.id+"/persons", c.tok,
		map[string]any{"role": "reported_person", "name": "Jens Hansen", "aliases": []string{"JH"}, "contact": "jens@example.org"},
		http.StatusCreated, &p)
	c.pseudonym, c.personID = p.Pseudonym, p.ID
	e.addJournal(c.tok, c.id, "Jens Hansen was seen at the warehouse at night.")
	return c
}

// link records a verified request of typ and links it to the case, or to
// the person when person is set; it returns the request and link ids.
func (c *dsrCase) link(typ string, person bool) (string, string) {
	e := c.e
	var q struct{ ID string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests", c.adminTok, map[string]any{"type": typ, "channel": "letter",
		"received_at": e.clock.Now().UTC().Add(-1), "requester": "Jens Hansen"}, http.StatusCreated, &q)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+q.ID+"/verify", c.adminTok,
		map[string]string{"method": "in_person"}, http.StatusOK, nil)
	body := map[string]any{"case_number": c.number}
	if person {
		body["pseudonym"] = c.pseudonym
	}
	var l struct{ ID string }
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+q.ID+"/links", c.adminTok, body, http.StatusCreated, &l)
	return q.ID, l.ID
}

type personJSON struct {
	Pseudonym string
	Version   int
	Details   *struct {
		Name    string
		Aliases []string
		Contact string
	}
}

func (c *dsrCase) person() personJSON {
	var p personJSON
	c.e.doJSON(c.e.staff.URL, "GET", "/api/v1/staff/cases/"+c.id+"/persons/"+c.personID, c.tok, nil, http.StatusOK, &p)
	return p
}

func (c *dsrCase) journalText() string {
	var j struct{ Entries []struct{ Text string } }
	c.e.doJSON(c.e.staff.URL, "GET", "/api/v1/staff/cases/"+c.id+"/journal", c.tok, nil, http.StatusOK, &j)
	var b strings.Builder
	for _, x := range j.Entries {
		b.WriteString(x.Text + "\n")
	}
	return b.String()
}

// DSR-3 on the case page: a linked erasure of a person shows with its
// form; a decision without its art. 17(3) ground, or without the
// confirmation, is refused and changes nothing; "redact" erases the
// person and their name from the journal, after which the request can
// no longer be carried out.
func TestDSR3HTMLCaseErasureOfAPersonFromTheCasePage(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		c := newDSRCase(t, d)
		e := c.e
		staff := e.staffCookieLogin(e.handler)
		_, lid := c.link("erasure", true)
		eraseURL := "/cases/" + c.id + "/requests/" + lid + "/erase"

		page := e.page(e.staff.URL, "/cases/"+c.id, staff, http.StatusOK)
		htmlWant(t, "case page", page, "Data-subject requests", "Erasure", c.pseudonym, "not carried out yet",
			`href="`+eraseURL+`?lang=en"`)
		form := e.page(e.staff.URL, eraseURL, staff, http.StatusOK)
		htmlWant(t, "erase page", form, `name="journal" value="redact"`, `name="ground" value="b"`, "Art. 17(3)(e)", `name="confirm"`)

		for _, bad := range []url.Values{
			{"journal": {"keep"}, "reason": {"record of reports"}, "confirm": {"yes"}}, // no ground
			{"journal": {"keep"}, "ground": {"b"}, "confirm": {"yes"}},                 // no reason
			{"journal": {"redact"}}, // not confirmed
			{"journal": {"shred"}, "confirm": {"yes"}},
		} {
			page, _ := e.postFormPage(e.staff.URL, eraseURL, staff, bad, http.StatusUnprocessableEntity)
			htmlWant(t, "refused erasure", page, `class="error-summary`)
			if p := c.person(); p.Details == nil || p.Details.Name != "Jens Hansen" {
				t.Fatalf("a refused erasure changed the person: %+v", p)
			}
		}
		e.postFormPage(e.staff.URL, eraseURL, staff, url.Values{"journal": {"redact"}, "confirm": {"yes"}}, http.StatusSeeOther)
		// The erased record is gone; its pseudonym stays in the list, marked.
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.id+"/persons/"+c.personID, c.tok, nil, http.StatusNotFound, nil)
		if j := c.journalText(); strings.Contains(j, "Jens Hansen") {
			t.Fatalf("journal still names the person:\n%s", j)
		}
		page = e.page(e.staff.URL, "/cases/"+c.id, staff, http.StatusOK)
		htmlWant(t, "case page after erasure", page, "erased", "Data-subject request",
			c.pseudonym+" erased; journal entries redacted: 1")
		htmlWantNot(t, "case page after erasure", page, `href="`+eraseURL)
		e.page(e.staff.URL, eraseURL, staff, http.StatusConflict)
		e.postFormPage(e.staff.URL, eraseURL, staff, url.Values{"journal": {"redact"}, "confirm": {"yes"}}, http.StatusConflict)
	})
}

// Keeping the journal on art. 17(3)(b) erases the person but leaves the
// entries, with the ground recorded on the link.
func TestDSR3HTMLCaseErasureKeepsTheJournalOnAGround(t *testing.T) {
	c := newDSRCase(t, store.SQLite)
	e := c.e
	staff := e.staffCookieLogin(e.handler)
	_, lid := c.link("erasure", true)
	e.postFormPage(e.staff.URL, "/cases/"+c.id+"/requests/"+lid+"/erase", staff,
		url.Values{"journal": {"keep"}, "ground": {"b"}, "reason": {"The Directive's record of reports"}, "confirm": {"yes"}}, http.StatusSeeOther)
	if !strings.Contains(c.journalText(), "Jens Hansen was seen") {
		t.Fatal("the kept journal entry is gone")
	}
	var reqs struct {
		Requests []struct{ State, Ground string }
	}
	e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.id+"/requests", c.tok, nil, http.StatusOK, &reqs)
	if len(reqs.Requests) != 1 || reqs.Requests[0].State != "erased" || reqs.Requests[0].Ground != "17(3)(b)" {
		t.Fatalf("requests %+v", reqs.Requests)
	}
}

// DSR-3: a rectification opens with the person's details filled in; no
// change or no reason is refused and leaves the record at its version;
// a corrected name becomes version 2.
func TestDSR3HTMLCaseRectificationOfAPerson(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		c := newDSRCase(t, d)
		e := c.e
		staff := e.staffCookieLogin(e.handler)
		_, lid := c.link("rectification", true)
		rectifyURL := "/cases/" + c.id + "/requests/" + lid + "/rectify"
		htmlWant(t, "case page", e.page(e.staff.URL, "/cases/"+c.id, staff, http.StatusOK), `href="`+rectifyURL+`?lang=en"`)
		form := e.page(e.staff.URL, rectifyURL, staff, http.StatusOK)
		htmlWant(t, "rectify page", form, `value="Jens Hansen"`, `value="JH"`, `value="jens@example.org"`)

		same := url.Values{"name": {"Jens Hansen"}, "aliases": {"JH"}, "contact": {"jens@example.org"}, "reason": {"asked"}}
		page, _ := e.postFormPage(e.staff.URL, rectifyURL, staff, same, http.StatusUnprocessableEntity)
		htmlWant(t, "no change", page, "Change at least one field")
		noReason := url.Values{"name": {"Jens Hansén"}, "aliases": {"JH"}, "contact": {"jens@example.org"}}
		page, _ = e.postFormPage(e.staff.URL, rectifyURL, staff, noReason, http.StatusUnprocessableEntity)
		htmlWant(t, "no reason", page, "Give the reason for the rectification", `value="Jens Hansén"`)
		if p := c.person(); p.Version != 1 || p.Details.Name != "Jens Hansen" {
			t.Fatalf("a refused rectification changed the person: %+v", p)
		}
		ok := url.Values{"name": {"Jens Hansén"}, "aliases": {"JH"}, "contact": {"jens@example.org"},
			"reason": {"The name was misspelt; passport shown."}}
		e.postFormPage(e.staff.URL, rectifyURL, staff, ok, http.StatusSeeOther)
		if p := c.person(); p.Version != 2 || p.Details.Name != "Jens Hansén" || len(p.Details.Aliases) != 1 {
			t.Fatalf("after the rectification: %+v %+v", p, p.Details)
		}
		htmlWant(t, "case page after rectification", e.page(e.staff.URL, "/cases/"+c.id, staff, http.StatusOK),
			c.pseudonym+" rectified: name", "The name was misspelt; passport shown.")
		e.page(e.staff.URL, rectifyURL, staff, http.StatusConflict)
	})
}

// Art. 18: while a restriction is in force the case page says so at the
// top (what is refused, since when, the request's reference), and an
// export is refused; once lifted, the banner goes.
func TestDSR3HTMLCaseRestrictionBannerShowsWhatIsRefused(t *testing.T) {
	c := newDSRCase(t, store.SQLite)
	e := c.e
	staff := e.staffCookieLogin(e.handler)
	casePath := "/cases/" + c.id
	htmlWantNot(t, "case page", e.page(e.staff.URL, casePath, staff, http.StatusOK), "Processing restricted")

	id, lid := c.link("restriction", false)
	page := e.page(e.staff.URL, casePath, staff, http.StatusOK)
	htmlWant(t, "case page with a pending restriction", page, "Restriction", "Carried out from the register")
	htmlWantNot(t, "case page with a pending restriction", page, "Processing restricted")

	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+id+"/links/"+lid+"/restrict", c.adminTok, nil, http.StatusOK, nil)
	page = e.page(e.staff.URL, casePath, staff, http.StatusOK)
	htmlWant(t, "restricted case page", page, "Processing restricted (GDPR art. 18)", "The whole case",
		"refuses exports, disclosure notes, access exports and state changes", "<code>"+requestReference(id)+"</code>",
		`<time datetime="2026-03-02T`)
	if i, j := strings.Index(page, "Processing restricted"), strings.Index(page, `id="state-title"`); i < 0 || i > j {
		t.Fatal("the restriction banner is not at the top of the case page")
	}
	e.page(e.staff.URL, casePath+"/export", staff, http.StatusConflict)
	htmlWant(t, "restricted case page in Danish", e.page(e.staff.URL, casePath+"?lang=da", staff, http.StatusOK),
		"Behandling begrænset", "Hele sagen", "Begrænsning")
	htmlWant(t, "restricted case page in Norwegian", e.page(e.staff.URL, casePath+"?lang=nb", staff, http.StatusOK),
		"Behandling begrenset", "Hele saken")

	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+id+"/links/"+lid+"/lift", c.adminTok,
		map[string]any{"reason": "Accuracy verified", "requester_informed": true}, http.StatusOK, nil)
	htmlWantNot(t, "case page after lifting", e.page(e.staff.URL, casePath, staff, http.StatusOK), "Processing restricted")

	// A restriction of one person names the person and what else is refused.
	id, lid = c.link("restriction", true)
	e.doJSON(e.staff.URL, "POST", "/api/v1/staff/requests/"+id+"/links/"+lid+"/restrict", c.adminTok, nil, http.StatusOK, nil)
	htmlWant(t, "case page with a restricted person", e.page(e.staff.URL, casePath, staff, http.StatusOK),
		"Processing restricted (GDPR art. 18)", "<strong>"+c.pseudonym+"</strong>", "Changes to "+c.pseudonym+" are refused as well.",
		"Processing of "+c.pseudonym+" restricted")
}

// The case page links the export once, in the export section.
func TestHTMLCasePageLinksTheExportOnce(t *testing.T) {
	c := newDSRCase(t, store.SQLite)
	staff := c.e.staffCookieLogin(c.e.handler)
	page := c.e.page(c.e.staff.URL, "/cases/"+c.id, staff, http.StatusOK)
	if n := strings.Count(page, "Export case (zip)"); n != 1 {
		t.Fatalf("the export link shows %d times", n)
	}
}

// seedCaseRequests links a verified erasure and a verified rectification
// request to the sweep's reported person, so the case page links their
// pages and the rectification page shows the person's typed details.
func (x *xssSweep) seedCaseRequests(adminTok, handlerTok, caseID string) {
	var persons struct {
		Persons []struct{ Pseudonym, Role string }
	}
	x.e.doJSON(x.e.staff.URL, "GET", "/api/v1/staff/cases/"+caseID+"/persons", handlerTok, nil, http.StatusOK, &persons)
	r, err := x.e.db.Report(context.Background(), org.DefaultTenant, caseID)
	if err != nil {
		x.t.Fatal(err)
	}
	for _, p := range persons.Persons {
		if p.Role != "reported_person" {
			continue
		}
		for _, typ := range []string{"erasure", "rectification"} {
			q := x.call("POST", "/api/v1/staff/requests", adminTok, map[string]any{"type": typ, "channel": "letter",
				"received_at": x.e.clock.Now().UTC().Add(-time.Hour), "requester": x.payload("dsr_requester")}, http.StatusCreated)
			id := fmt.Sprint(q["id"])
			x.call("POST", "/api/v1/staff/requests/"+id+"/verify", adminTok, map[string]string{"method": "in_person"}, http.StatusOK)
			x.call("POST", "/api/v1/staff/requests/"+id+"/links", adminTok,
				map[string]any{"case_number": r.CaseNumber, "pseudonym": p.Pseudonym}, http.StatusCreated)
		}
	}
}
