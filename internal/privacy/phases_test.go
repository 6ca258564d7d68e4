package privacy_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func phase(t *testing.T, v privacy.BreachView, name string) privacy.PhaseView {
	t.Helper()
	for _, p := range v.Phases {
		if p.Phase == name {
			return p
		}
	}
	t.Fatalf("no phase %s in %+v", name, v.Phases)
	return privacy.PhaseView{}
}

func item(t *testing.T, p privacy.PhaseView, id string) privacy.ChecklistItemView {
	t.Helper()
	for _, it := range p.Items {
		if it.ID == id {
			return it
		}
	}
	t.Fatalf("no item %s in phase %s", id, p.Phase)
	return privacy.ChecklistItemView{}
}

func TestBreachStartsWithDefaultChecklistPerPhaseBR1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 5, BreachDetails: fullDetails()}))
		v := must[privacy.BreachView](t)(e.svc.Breach(ctx, admin, b.ID))
		if len(v.Phases) != 3 {
			t.Fatalf("phases %d, want identify, contain_notify, remediate_verify", len(v.Phases))
		}
		for i, name := range privacy.Phases {
			p := v.Phases[i]
			if p.Phase != name || p.StartedAt != nil || p.CompletedAt != nil {
				t.Fatalf("phase %d = %+v, want %s not started", i, p, name)
			}
			if len(p.Items) == 0 || p.Open != len(p.Items) {
				t.Fatalf("phase %s: %d items, %d open; want a default checklist, all open", name, len(p.Items), p.Open)
			}
			for _, it := range p.Items {
				if it.Label == "" || it.State != privacy.ItemOpen || it.Custom {
					t.Fatalf("default item %+v", it)
				}
			}
		}
	})
}

func TestBreachPhaseTicksRecordWhoAndWhenWithFixedClockBR3(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		ctx := context.Background()
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 5, BreachDetails: fullDetails()}))
		id := b.ID

		t1 := start.Add(10 * time.Minute)
		e.clock.Set(t1)
		must[privacy.BreachView](t)(e.svc.StartPhase(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseNote{}))
		_, err := e.svc.StartPhase(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseNote{})
		wantErr(t, err, privacy.ErrPhaseStarted)

		t2 := start.Add(time.Hour)
		e.clock.Set(t2)
		v := must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, dpo, id, privacy.PhaseIdentify, "confirm_breach",
			privacy.PhaseItemChange{State: privacy.ItemDone}))
		p := phase(t, v, privacy.PhaseIdentify)
		if p.StartedAt == nil || !p.StartedAt.Equal(t1) || p.StartedBy != admin.UserID {
			t.Fatalf("started %v by %s, want %v by the admin", p.StartedAt, p.StartedBy, t1)
		}
		it := item(t, p, "confirm_breach")
		if it.State != privacy.ItemDone || it.By != dpo.UserID || it.At == nil || !it.At.Equal(t2) {
			t.Fatalf("ticked item %+v, want done by the dpo at %v", it, t2)
		}
		if p.Open != len(p.Items)-1 {
			t.Fatalf("open %d of %d", p.Open, len(p.Items))
		}

		// Not applicable needs a note; an unknown state or item is refused.
		_, err = e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, "inform_dpo", privacy.PhaseItemChange{State: privacy.ItemNotApplicable})
		wantErr(t, err, privacy.ErrNoteRequired)
		_, err = e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, "inform_dpo", privacy.PhaseItemChange{State: "maybe"})
		wantErr(t, err, privacy.ErrInvalid)
		_, err = e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, "no-such-item", privacy.PhaseItemChange{State: privacy.ItemDone})
		wantErr(t, err, privacy.ErrNotFound)
		_, err = e.svc.SetPhaseItem(ctx, admin, id, "investigate", "confirm_breach", privacy.PhaseItemChange{State: privacy.ItemDone})
		wantErr(t, err, privacy.ErrInvalid)

		// The phase completes only with every item settled.
		_, err = e.svc.CompletePhase(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseNote{})
		wantErr(t, err, privacy.ErrChecklistOpen)
		// Later phases wait for the earlier ones.
		_, err = e.svc.CompletePhase(ctx, admin, id, privacy.PhaseContainNotify, privacy.PhaseNote{})
		wantErr(t, err, privacy.ErrPhaseOrder)

		must[privacy.BreachView](t)(e.svc.AddPhaseItem(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseItemNew{Text: "Call the hosting provider"}))
		for _, item := range []string{"classify_type", "scope_data", "assess_risk", "custom-1"} {
			must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, item, privacy.PhaseItemChange{State: privacy.ItemDone}))
		}
		must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, "inform_dpo",
			privacy.PhaseItemChange{State: privacy.ItemNotApplicable, Note: "the DPO found it"}))
		t3 := start.Add(2 * time.Hour)
		e.clock.Set(t3)
		v = must[privacy.BreachView](t)(e.svc.CompletePhase(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseNote{}))
		p = phase(t, v, privacy.PhaseIdentify)
		if p.CompletedAt == nil || !p.CompletedAt.Equal(t3) || p.CompletedBy != admin.UserID || p.Open != 0 {
			t.Fatalf("completed phase %+v, want completed at %v", p, t3)
		}
		if c := item(t, p, "custom-1"); !c.Custom || c.Label != "Call the hosting provider" {
			t.Fatalf("custom item %+v", c)
		}
		// A completed phase is fixed.
		_, err = e.svc.SetPhaseItem(ctx, admin, id, privacy.PhaseIdentify, "confirm_breach", privacy.PhaseItemChange{State: privacy.ItemOpen})
		wantErr(t, err, privacy.ErrPhaseCompleted)
		_, err = e.svc.AddPhaseItem(ctx, admin, id, privacy.PhaseIdentify, privacy.PhaseItemNew{Text: "late"})
		wantErr(t, err, privacy.ErrPhaseCompleted)

		// A handler may not touch the plan.
		_, err = e.svc.SetPhaseItem(ctx, e.user(accounts.RoleHandler), id, privacy.PhaseContainNotify, "contain", privacy.PhaseItemChange{State: privacy.ItemDone})
		wantErr(t, err, privacy.ErrForbidden)
	})
}

func TestBreachNotificationItemsNeedTheRecordedNotificationBR2(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 9, BreachDetails: fullDetails()}))
		_, err := e.svc.SetPhaseItem(ctx, admin, b.ID, privacy.PhaseContainNotify, "notify_authority", privacy.PhaseItemChange{State: privacy.ItemDone})
		wantErr(t, err, privacy.ErrNotifyFirst)
		_, err = e.svc.SetPhaseItem(ctx, admin, b.ID, privacy.PhaseContainNotify, "notify_subjects", privacy.PhaseItemChange{State: privacy.ItemDone})
		wantErr(t, err, privacy.ErrSubjectsFirst)

		e.clock.Set(start.Add(time.Hour))
		must[privacy.BreachView](t)(e.svc.NotifyAuthority(ctx, admin, b.ID, privacy.AuthorityNotification{Reference: "DT-1"}))
		must[privacy.BreachView](t)(e.svc.RecordSubjectNotice(ctx, admin, b.ID, privacy.SubjectNotice{Kind: privacy.SubjectNoticeGiven, Text: "letters"}))
		v := must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, admin, b.ID, privacy.PhaseContainNotify, "notify_authority", privacy.PhaseItemChange{State: privacy.ItemDone}))
		v = must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, admin, b.ID, privacy.PhaseContainNotify, "notify_subjects", privacy.PhaseItemChange{State: privacy.ItemDone}))
		if item(t, phase(t, v, privacy.PhaseContainNotify), "notify_subjects").State != privacy.ItemDone {
			t.Fatal("notify_subjects not done")
		}
	})
}

func TestBreachChecklistSealedAtRest(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 2, BreachDetails: fullDetails()}))
		const secret = "PHASEMARKER-checklist-text"
		must[privacy.BreachView](t)(e.svc.AddPhaseItem(ctx, admin, b.ID, privacy.PhaseRemediateVerify, privacy.PhaseItemNew{Text: secret}))
		must[privacy.BreachView](t)(e.svc.SetPhaseItem(ctx, admin, b.ID, privacy.PhaseIdentify, "scope_data",
			privacy.PhaseItemChange{State: privacy.ItemNotApplicable, Note: secret + "-note"}))
		rows, err := db.RegisterEntries(ctx, "default", store.RegisterBreach, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if bytes.Contains(r.Body, []byte("PHASEMARKER")) {
				t.Fatalf("entry %s holds the checklist text in clear", r.Kind)
			}
		}
	})
}

func TestFoldPhasesSkipsOtherEntries(t *testing.T) {
	at := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	entries := []privacy.EntryView{
		{Kind: "record", Body: []byte(`{}`)},
		{Kind: "phase_item_add", AuthorID: "u1", CreatedAt: at, Body: privacy.PhaseEvent{Phase: privacy.PhaseIdentify, Item: "custom-1", Text: "x"}},
		{Kind: "phase_item", AuthorID: "u2", CreatedAt: at.Add(time.Minute), Body: privacy.PhaseEvent{Phase: privacy.PhaseIdentify, Item: "custom-1", State: privacy.ItemDone}},
		{Kind: "phase_item", AuthorID: "u2", CreatedAt: at.Add(2 * time.Minute), Body: privacy.PhaseEvent{Phase: "unknown", Item: "x", State: privacy.ItemDone}},
	}
	ps, err := privacy.FoldPhases(entries)
	if err != nil {
		t.Fatal(err)
	}
	p := ps[0]
	if p.StartedAt == nil || !p.StartedAt.Equal(at.Add(time.Minute)) || p.StartedBy != "u2" {
		t.Fatalf("the first tick starts the phase: %+v", p)
	}
	if c := p.Items[len(p.Items)-1]; c.ID != "custom-1" || c.State != privacy.ItemDone {
		t.Fatalf("custom item %+v", c)
	}
}
