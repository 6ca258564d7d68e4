package privacy_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func errorsAs(err error, target **privacy.Error) bool { return errors.As(err, target) }

func fullDPIA(activity string) privacy.DPIAInput {
	return privacy.DPIAInput{DPIARecord: privacy.DPIARecord{Description: "d", Necessity: "n", Risks: "r", Measures: "m", DPOAdvice: "go ahead"},
		ActivityID: activity, ReviewAt: start.AddDate(1, 0, 0)}
}

// RK-1: a DPIA is linked to an activity, holds the art. 35(7) content, the
// DPO's advice and a review date; a high-risk activity without a DPIA is
// flagged until one is linked.
func TestDPIALinkedAndHighRiskFlaggedRK1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dpo := e.user(accounts.RoleDPO)
		ctx := context.Background()
		in := fullActivity()
		in.HighRisk = true
		high := must[privacy.ActivityView](t)(e.svc.CreateActivity(ctx, dpo, in))
		low := must[privacy.ActivityView](t)(e.svc.CreateActivity(ctx, dpo, fullActivity()))
		if !high.DPIAMissing || low.DPIAMissing {
			t.Fatalf("flags: high %v, low %v", high.DPIAMissing, low.DPIAMissing)
		}
		var perr *privacy.Error
		_, err := e.svc.CreateDPIA(ctx, dpo, privacy.DPIAInput{ActivityID: high.ID})
		if !errorsAs(err, &perr) || perr.Code != "invalid_request" || len(perr.Fields) != 6 {
			t.Fatalf("empty DPIA: %v", err)
		}
		_, err = e.svc.CreateDPIA(ctx, dpo, fullDPIA(""))
		wantErr(t, err, privacy.ErrActivityRequired)
		_, err = e.svc.CreateDPIA(ctx, dpo, fullDPIA("nope"))
		wantErr(t, err, privacy.ErrActivityRequired)
		d := must[privacy.DPIAView](t)(e.svc.CreateDPIA(ctx, dpo, fullDPIA(high.ID)))
		if d.ActivityID != high.ID || d.DPOAdviceAt == nil || d.ReviewOverdue {
			t.Fatalf("dpia %+v", d)
		}
		got := must[privacy.ActivityView](t)(e.svc.Activity(ctx, dpo, high.ID))
		if got.DPIAMissing || len(got.DPIAs) != 1 {
			t.Fatalf("high-risk activity with a DPIA: %+v", got)
		}
		// The review date passes: the DPIA is due.
		e.clock.Set(start.AddDate(1, 0, 1))
		list := must[[]privacy.DPIAView](t)(e.svc.DPIAs(ctx, dpo))
		if len(list) != 1 || !list[0].ReviewOverdue || list[0].Record.DPOAdvice != "go ahead" {
			t.Fatalf("dpias %+v", list)
		}
		upd := fullDPIA(high.ID)
		upd.ReviewAt = start.AddDate(2, 0, 0)
		v := must[privacy.DPIAView](t)(e.svc.UpdateDPIA(ctx, dpo, d.ID, upd))
		if v.ReviewOverdue || len(v.Entries) != 2 {
			t.Fatalf("reviewed %+v", v)
		}
	})
}

// RK-2: score = likelihood × impact on 1–5 scales, and its level.
func TestRiskScoreRK2(t *testing.T) {
	for _, tc := range []struct {
		l, i, score int
		level       string
		ok          bool
	}{
		{1, 1, 1, privacy.RiskLevelLow, true}, {2, 2, 4, privacy.RiskLevelLow, true}, {1, 5, 5, privacy.RiskLevelMedium, true},
		{3, 3, 9, privacy.RiskLevelMedium, true}, {2, 5, 10, privacy.RiskLevelHigh, true}, {4, 4, 16, privacy.RiskLevelHigh, true},
		{4, 5, 20, privacy.RiskLevelCritical, true}, {5, 5, 25, privacy.RiskLevelCritical, true},
		{0, 3, 0, "", false}, {3, 6, 0, "", false}, {6, 1, 0, "", false}, {-1, -1, 0, "", false},
	} {
		score, ok := privacy.RiskScore(tc.l, tc.i)
		if score != tc.score || ok != tc.ok || ok && privacy.RiskLevelFor(score) != tc.level {
			t.Errorf("RiskScore(%d, %d) = %d, %v (%s); want %d, %v (%s)", tc.l, tc.i, score, ok, privacy.RiskLevelFor(score), tc.score, tc.ok, tc.level)
		}
	}
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		_, err := e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "x"}, Likelihood: 6, Impact: 1})
		wantErr(t, err, privacy.ErrInvalid)
		_, err = e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "x"}, Likelihood: 1, Impact: 1, ActivityID: "nope"})
		wantErr(t, err, privacy.ErrActivityRequired)
		low := must[privacy.RiskView](t)(e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "lost laptop"}, Likelihood: 2, Impact: 3}))
		high := must[privacy.RiskView](t)(e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "insider"}, Likelihood: 4, Impact: 5,
			ReviewAt: start.Add(time.Hour)}))
		if low.Score != 6 || low.Level != privacy.RiskLevelMedium || high.Score != 20 || high.Level != privacy.RiskLevelCritical {
			t.Fatalf("scores %+v %+v", low, high)
		}
		e.clock.Set(start.Add(2 * time.Hour))
		list := must[[]privacy.RiskView](t)(e.svc.Risks(ctx, admin))
		if len(list) != 2 || list[0].ID != high.ID || !list[0].ReviewOverdue || list[1].ReviewOverdue || list[0].Record.Title != "insider" {
			t.Fatalf("list %+v", list)
		}
		r := must[privacy.RiskView](t)(e.svc.UpdateRisk(ctx, admin, high.ID, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "insider"}, Likelihood: 1, Impact: 5}))
		if r.Score != 5 || len(r.Entries) != 2 {
			t.Fatalf("reassessed %+v", r)
		}
	})
}
