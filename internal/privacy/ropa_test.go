package privacy_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// The art. 30(1)(a)–(g) fields plus the legal basis, and nothing else.
var ropaSchema = []string{
	"controller", "joint_controller", "representative", "dpo", // (a)
	"purposes",                                            // (b)
	"data_subject_categories", "personal_data_categories", // (c)
	"recipient_categories",                           // (d)
	"third_country_transfers", "transfer_safeguards", // (e)
	"erasure_time_limits", // (f)
	"security_measures",   // (g)
	"legal_basis_art6", "legal_basis_art9", "legal_basis_national",
}

func fullActivity() privacy.ActivityInput {
	var in privacy.ActivityInput
	v := reflect.ValueOf(&in.ActivityRecord).Elem()
	for i := range v.NumField() {
		v.Field(i).SetString("value " + ropaSchema[i])
	}
	return in
}

// RP-1 schema test: every field exists, in order, and each is required.
func TestRoPASchemaAllFieldsRequiredRP1(t *testing.T) {
	if got := privacy.ActivityFields(); !slices.Equal(got, ropaSchema) {
		t.Fatalf("RoPA fields %v, want exactly %v", got, ropaSchema)
	}
	b, _ := json.Marshal(privacy.ActivityRecord{})
	var m map[string]any
	json.Unmarshal(b, &m)
	if len(m) != len(ropaSchema) {
		t.Fatalf("JSON of a record has %d fields, want %d (no omitempty)", len(m), len(ropaSchema))
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dpo := e.user(accounts.RoleDPO)
		ctx := context.Background()
		for i, name := range ropaSchema {
			in := fullActivity()
			reflect.ValueOf(&in.ActivityRecord).Elem().Field(i).SetString("  ")
			_, err := e.svc.CreateActivity(ctx, dpo, in)
			var perr *privacy.Error
			if !errorsAs(err, &perr) || perr.Code != "invalid_request" || !slices.Equal(perr.Fields, []string{name}) {
				t.Fatalf("without %s: %v", name, err)
			}
		}
		v := must[privacy.ActivityView](t)(e.svc.CreateActivity(ctx, dpo, fullActivity()))
		if v.Record.Purposes != "value purposes" || v.ReviewAt == nil || !v.ReviewAt.Equal(start.AddDate(1, 0, 0)) {
			t.Fatalf("created %+v", v)
		}
		in := fullActivity()
		in.Purposes = "changed purposes"
		got := must[privacy.ActivityView](t)(e.svc.UpdateActivity(ctx, dpo, v.ID, in))
		if got.Record.Purposes != "changed purposes" || len(got.Entries) != 2 {
			t.Fatalf("updated %+v", got)
		}
		_, err := e.svc.UpdateActivity(ctx, dpo, "nope", in)
		wantErr(t, err, privacy.ErrNotFound)
	})
}

// RP-1: the first use seeds the whistleblowing scheme's record from the
// real configuration, once, and the register exports as JSON and CSV.
func TestRoPADefaultEntryAndExportRP1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		handler := e.user(accounts.RoleHandler)
		ctx := context.Background()
		_, err := e.svc.Activities(ctx, handler)
		wantErr(t, err, privacy.ErrForbidden)
		list := must[[]privacy.ActivityView](t)(e.svc.Activities(ctx, admin))
		list2 := must[[]privacy.ActivityView](t)(e.svc.Activities(ctx, dpo))
		if len(list) != 1 || len(list2) != 1 || list[0].ID != list2[0].ID {
			t.Fatalf("seeded %d and %d entries", len(list), len(list2))
		}
		d := list[0]
		if d.Record.Missing() != nil {
			t.Fatalf("the default record lacks %v", d.Record.Missing())
		}
		for _, want := range []string{"12 months after closure", "not yet confirmed"} {
			if !strings.Contains(d.Record.ErasureTimeLimits, want) {
				t.Errorf("erasure limits %q lack %q", d.Record.ErasureTimeLimits, want)
			}
		}
		for _, want := range []string{"Encryption at rest", "access per case", "audit log"} {
			if !strings.Contains(d.Record.SecurityMeasures, want) {
				t.Errorf("measures lack %q", want)
			}
		}
		if !strings.Contains(d.Record.Controller, "Test Org") || !d.HighRisk || !d.DPIAMissing {
			t.Fatalf("default entry %+v", d)
		}

		exp := must[privacy.RegistersExport](t)(e.svc.ExportRegisters(ctx, dpo))
		if len(exp.Activities) != 1 || !slices.Equal(exp.Fields, ropaSchema) || len(exp.Clauses) != 8 {
			t.Fatalf("export %+v", exp)
		}
		in := fullActivity()
		in.Purposes = "=HYPERLINK(x)"
		must[privacy.ActivityView](t)(e.svc.CreateActivity(ctx, dpo, in))
		csvOut := string(must[[]byte](t)(e.svc.ExportActivitiesCSV(ctx, admin)))
		lines := strings.Split(strings.TrimSpace(csvOut), "\n")
		if len(lines) < 3 || !strings.Contains(lines[0], strings.Join(ropaSchema, ",")) || !strings.Contains(csvOut, "'=HYPERLINK") {
			t.Fatalf("csv %s", csvOut)
		}
	})
}

// RP-2: processors with the art. 28(3) checklist; a missing agreement or
// unchecked clause is flagged, flagged entries first.
func TestProcessorRegisterFlagsRP2(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dpo := e.user(accounts.RoleDPO)
		ctx := context.Background()
		act := must[privacy.ActivityView](t)(e.svc.CreateActivity(ctx, dpo, fullActivity()))
		all := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
		_, err := e.svc.CreateProcessor(ctx, dpo, privacy.ProcessorInput{ProcessorRecord: privacy.ProcessorRecord{Name: "x", Contact: "y", Service: "z"},
			Activities: []string{"nope"}})
		wantErr(t, err, privacy.ErrActivityRequired)
		_, err = e.svc.CreateProcessor(ctx, dpo, privacy.ProcessorInput{ProcessorRecord: privacy.ProcessorRecord{Name: "x", Contact: "y", Service: "z"},
			Clauses: []string{"i"}})
		wantErr(t, err, privacy.ErrInvalid)
		ok := must[privacy.ProcessorView](t)(e.svc.CreateProcessor(ctx, dpo, privacy.ProcessorInput{
			ProcessorRecord: privacy.ProcessorRecord{Name: "Hosting A/S", Contact: "dpa@host.example", Service: "hosting"},
			Activities:      []string{act.ID}, AgreementAt: start.Add(-24 * time.Hour), Clauses: all}))
		if ok.Flagged || ok.AgreementMissing || len(ok.ClausesMissing) != 0 {
			t.Fatalf("complete processor flagged: %+v", ok)
		}
		noAgreement := must[privacy.ProcessorView](t)(e.svc.CreateProcessor(ctx, dpo, privacy.ProcessorInput{
			ProcessorRecord: privacy.ProcessorRecord{Name: "Mail Ltd", Contact: "c", Service: "e-mail"}, Clauses: all}))
		partial := must[privacy.ProcessorView](t)(e.svc.CreateProcessor(ctx, dpo, privacy.ProcessorInput{
			ProcessorRecord: privacy.ProcessorRecord{Name: "Backup Oy", Contact: "c", Service: "backups"},
			AgreementAt:     start.Add(-time.Hour), Clauses: []string{"a", "b", "c", "d", "e", "f"}}))
		if !noAgreement.Flagged || !noAgreement.AgreementMissing {
			t.Fatalf("no agreement not flagged: %+v", noAgreement)
		}
		if !partial.Flagged || !slices.Equal(partial.ClausesMissing, []string{"g", "h"}) {
			t.Fatalf("unchecked clauses not flagged: %+v", partial)
		}
		list := must[[]privacy.ProcessorView](t)(e.svc.Processors(ctx, dpo))
		if len(list) != 3 || !list[0].Flagged || !list[1].Flagged || list[2].ID != ok.ID || list[2].Record.Name != "Hosting A/S" {
			t.Fatalf("list %+v", list)
		}
		acts := must[[]privacy.ActivityView](t)(e.svc.Activities(ctx, dpo))
		for _, a := range acts {
			if a.ID == act.ID && !slices.Equal(a.Processors, []string{ok.ID}) {
				t.Fatalf("activity links %v", a.Processors)
			}
		}
		upd := must[privacy.ProcessorView](t)(e.svc.UpdateProcessor(ctx, dpo, partial.ID, privacy.ProcessorInput{
			ProcessorRecord: privacy.ProcessorRecord{Name: "Backup Oy", Contact: "c", Service: "backups"},
			AgreementAt:     start.Add(-time.Hour), Clauses: all}))
		if upd.Flagged || len(upd.Entries) != 2 {
			t.Fatalf("updated %+v", upd)
		}
	})
}
