package cases_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// DSR-5: the access export of a reported person never holds the
// whistleblower's identity (the identity answers, their e-mail in a
// message), replaces other persons by labels and keeps the person's own
// name; it is journaled and audited; a handler without the case key gets
// ErrNotFound.
func TestSubjectExportRedactsReporterAndThirdParties(t *testing.T) {
	const (
		identityMarker = "Ottoline Wrexhamby"
		wbEmail        = "secret.source@example.net"
		subjectName    = "Quirinus Plomb"
		otherName      = "Wilhelmina Strand"
	)
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		outsider := e.staff(t, "o@example.org")

		e.clock.Advance(time.Minute)
		d, err := e.intake.Begin()
		if err != nil {
			t.Fatal(err)
		}
		rc, err := e.intake.Submit(ctx, d, org.DefaultChannel, questionnaire.Answers{
			"what": subjectName + " took bribes from a supplier; " + otherName + " saw it.",
			"when": "2025", "how_known": "documents", "identity_name": identityMarker})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := e.intake.Login(ctx, rc.Code)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := e.intake.Authenticate(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.intake.PostMessage(ctx, wb, "You can reach me at "+wbEmail+" about "+subjectName+"."); err != nil {
			t.Fatal(err)
		}
		if err := e.intake.PostMessage(ctx, wb, "Nothing about anyone here."); err != nil {
			t.Fatal(err)
		}
		id := d.ID
		subj, err := e.cases.AddPerson(ctx, h, id, cases.RoleReportedPerson, cases.PersonDetails{Name: subjectName})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.cases.AddPerson(ctx, h, id, cases.RoleWitness, cases.PersonDetails{Name: otherName}); err != nil {
			t.Fatal(err)
		}

		if _, err := e.cases.SubjectExport(ctx, outsider, id, subj.ID); !errors.Is(err, cases.ErrNotFound) {
			t.Fatalf("outsider: %v", err)
		}
		if _, err := e.cases.SubjectExport(ctx, h, id, "nope"); !errors.Is(err, cases.ErrNotFound) {
			t.Fatalf("unknown person: %v", err)
		}
		x, err := e.cases.SubjectExport(ctx, h, id, subj.ID)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(x)
		out := string(raw)
		for _, bad := range []string{identityMarker, "Ottoline", "Wrexhamby", wbEmail, "secret.source", otherName, "Wilhelmina", "Strand"} {
			if strings.Contains(out, bad) {
				t.Errorf("export holds %q: %s", bad, out)
			}
		}
		if !strings.Contains(out, subjectName) || x.Person.Name != subjectName {
			t.Fatalf("own name missing: %s", out)
		}
		if len(x.Items) != 2 {
			t.Fatalf("items %+v", x.Items)
		}
		if !strings.Contains(x.Items[0].Text, "[person 1") || x.Items[1].Origin != "report" || x.Items[1].Kind != "message" {
			t.Fatalf("items %+v", x.Items)
		}
		if !strings.Contains(x.Source, "whistleblowing channel on 2026-03-02") || len(x.Purposes) == 0 || x.Retention == "" {
			t.Fatalf("art. 15 information: %+v", x)
		}
		js, err := e.cases.Journal(ctx, h, id)
		if err != nil {
			t.Fatal(err)
		}
		var journaled bool
		for _, j := range js {
			journaled = journaled || j.Kind == cases.EntryExport
		}
		if !journaled {
			t.Fatal("not journaled")
		}
	})
}
