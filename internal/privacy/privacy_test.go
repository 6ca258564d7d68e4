package privacy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

type env struct {
	t     *testing.T
	db    *store.DB
	clock *clock
	svc   *privacy.Service
}

var start = time.Date(2026, 1, 31, 10, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	c := &clock{t: start}
	if err := org.Init(context.Background(), db, org.DefaultTenant, "Test Org", c.Now()); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, clock: c, svc: privacy.New(privacy.Config{DB: db, Tenant: org.DefaultTenant, Now: c.Now})}
}

// user stores a staff user with a fresh key pair and returns its unlocked session view.
func (e *env) user(role string) *accounts.Staff {
	e.t.Helper()
	id, err := keys.NewIdentity()
	if err != nil {
		e.t.Fatal(err)
	}
	uid := store.NewID()
	u := store.User{TenantID: org.DefaultTenant, ID: uid, Email: uid + "@example.org", Role: role, PwSalt: []byte{1},
		PwParams: "x", PwVerifier: []byte{1}, PublicKey: id.Recipient(), SecretByPw: []byte{1}, SecretByRec: []byte{1},
		TOTPByPw: []byte{1}, TOTPByRec: []byte{1}, CreatedAt: e.clock.Now()}
	if err := e.db.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertUser(context.Background(), u) }); err != nil {
		e.t.Fatal(err)
	}
	return &accounts.Staff{TenantID: org.DefaultTenant, UserID: uid, Email: u.Email, Role: role, Identity: id}
}

func ptr(n int64) *int64 { return &n }

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func fullDetails() privacy.BreachDetails {
	return privacy.BreachDetails{WhatHappened: "laptop stolen", DataCategories: "case journal", ApproxSubjects: ptr(12),
		ApproxRecords: ptr(40), ContactPoint: "dpo desk", Consequences: "exposure", Measures: "remote wipe"}
}

func TestBreachRecordedWithoutNotificationBR1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		for name, in := range map[string]privacy.NewBreach{
			"bad type":         {AwareAt: start, Type: "loss", Severity: 2, BreachDetails: privacy.BreachDetails{WhatHappened: "x"}},
			"severity 0":       {AwareAt: start, Type: privacy.TypeIntegrity, Severity: 0, BreachDetails: privacy.BreachDetails{WhatHappened: "x"}},
			"severity 11":      {AwareAt: start, Type: privacy.TypeIntegrity, Severity: 11, BreachDetails: privacy.BreachDetails{WhatHappened: "x"}},
			"future awareness": {AwareAt: start.Add(time.Hour), Type: privacy.TypeIntegrity, Severity: 2, BreachDetails: privacy.BreachDetails{WhatHappened: "x"}},
			"no description":   {AwareAt: start, Type: privacy.TypeIntegrity, Severity: 2},
		} {
			if _, err := e.svc.RecordBreach(ctx, admin, in); !errors.Is(err, privacy.ErrInvalid) {
				t.Errorf("%s: %v, want ErrInvalid", name, err)
			}
		}
		for _, typ := range []string{privacy.TypeConfidentiality, privacy.TypeIntegrity, privacy.TypeAvailability} {
			v := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour), Type: typ, Severity: 2,
				BreachDetails: privacy.BreachDetails{WhatHappened: "minor " + typ}}))
			if v.Risk != privacy.RiskNone || v.AuthorityNotifiedAt != nil || v.Status != privacy.BreachOpen {
				t.Fatalf("recorded breach: %+v", v)
			}
			// No risk: nothing to notify, so it can be closed unnotified.
			must[privacy.BreachView](t)(e.svc.CloseBreach(ctx, admin, v.ID, privacy.BreachClose{}))
		}
		list := must[[]privacy.BreachView](t)(e.svc.Breaches(ctx, admin))
		if len(list) != 3 {
			t.Fatalf("%d breaches listed, want 3", len(list))
		}
	})
}

func TestNotificationClock72HoursBR2(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		for _, tc := range []struct {
			name       string
			after      time.Duration
			lateReason string
			want       error
		}{
			{"within 72 hours", 10 * time.Hour, "", nil},
			{"exactly 72 hours", 72 * time.Hour, "", nil},
			{"one second late without reason", 72*time.Hour + time.Second, "", privacy.ErrLateReasonRequired},
			{"late with reason", 80 * time.Hour, "the processor told us late", nil},
		} {
			e.clock.Set(start)
			b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start, Type: privacy.TypeConfidentiality,
				Severity: 5, BreachDetails: fullDetails()}))
			if !b.NotifyDue.Equal(start.Add(72 * time.Hour)) {
				t.Fatalf("notify due %s", b.NotifyDue)
			}
			e.clock.Set(start.Add(tc.after))
			if tc.after > 72*time.Hour {
				l := must[[]privacy.BreachView](t)(e.svc.Breaches(ctx, admin))
				seen, inOverdueGroup := false, true
				for _, v := range l {
					if !v.NotificationOverdue {
						inOverdueGroup = false
					}
					if v.ID == b.ID {
						seen = v.NotificationOverdue && inOverdueGroup
					}
				}
				if !seen {
					t.Errorf("%s: overdue breach not listed among the first: %+v", tc.name, l)
				}
			}
			v, err := e.svc.NotifyAuthority(ctx, admin, b.ID, privacy.AuthorityNotification{LateReason: tc.lateReason})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if v.NotifiedLate != (tc.after > 72*time.Hour) || v.AuthorityNotifiedAt == nil {
				t.Errorf("%s: %+v", tc.name, v)
			}
			_, err = e.svc.NotifyAuthority(ctx, admin, b.ID, privacy.AuthorityNotification{LateReason: "again"})
			wantErr(t, err, privacy.ErrAlreadyNotified)
		}
	})
}

func TestNotificationNeedsArt33ContentAndTakesPhasedUpdatesBR3(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dpo := e.user(accounts.RoleDPO)
		ctx := context.Background()
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, dpo, privacy.NewBreach{AwareAt: start, Type: privacy.TypeAvailability, Severity: 6,
			BreachDetails: privacy.BreachDetails{WhatHappened: "ransomware", ApproxSubjects: ptr(3)}}))
		_, err := e.svc.NotifyAuthority(ctx, dpo, b.ID, privacy.AuthorityNotification{})
		var perr *privacy.Error
		if !errors.As(err, &perr) || perr.Code != "notification_incomplete" {
			t.Fatalf("incomplete notification: %v", err)
		}
		want := []string{"data_categories", "approx_records", "contact_point", "likely_consequences", "measures"}
		if len(perr.Fields) != len(want) {
			t.Fatalf("missing fields %v, want %v", perr.Fields, want)
		}
		for i := range want {
			if perr.Fields[i] != want[i] {
				t.Fatalf("missing fields %v, want %v", perr.Fields, want)
			}
		}
		// Phase 1 and 2 of the response plan complete the content.
		must[privacy.BreachView](t)(e.svc.UpdateBreach(ctx, dpo, b.ID, privacy.BreachUpdate{Phase: "identify",
			BreachDetails: privacy.BreachDetails{DataCategories: "names", ApproxRecords: ptr(9), ContactPoint: "dpo"}}))
		must[privacy.BreachView](t)(e.svc.UpdateBreach(ctx, dpo, b.ID, privacy.BreachUpdate{Phase: "contain", Note: "restored",
			BreachDetails: privacy.BreachDetails{Consequences: "downtime", Measures: "restore from backup", ApproxSubjects: ptr(5)}}))
		e.clock.Set(start.Add(48 * time.Hour))
		must[privacy.BreachView](t)(e.svc.NotifyAuthority(ctx, dpo, b.ID, privacy.AuthorityNotification{Reference: "ref-1"}))
		v := must[privacy.BreachView](t)(e.svc.Breach(ctx, dpo, b.ID))
		if v.Details == nil || *v.Details.ApproxSubjects != 5 || v.Details.WhatHappened != "ransomware" || len(v.MissingForNotification) != 0 {
			t.Fatalf("merged details %+v", v.Details)
		}
		if len(v.Entries) != 4 || v.Entries[0].Kind != "record" || v.Entries[3].Kind != "authority_notification" {
			t.Fatalf("entries %+v", v.Entries)
		}
		_, err = e.svc.UpdateBreach(ctx, dpo, b.ID, privacy.BreachUpdate{Phase: "explode"})
		wantErr(t, err, privacy.ErrInvalid)
	})
}

func TestRiskRuleOverrideAndHighRiskClosureBR4(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		_, err := e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start, Type: privacy.TypeConfidentiality, Severity: 3,
			Risk: privacy.RiskHigh, BreachDetails: fullDetails()})
		wantErr(t, err, privacy.ErrRiskReasonRequired)
		d := fullDetails()
		d.RiskReason = "special category data"
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start, Type: privacy.TypeConfidentiality,
			Severity: 3, Risk: privacy.RiskHigh, BreachDetails: d}))
		if b.Risk != privacy.RiskHigh || !b.RiskOverridden || b.DerivedRisk != privacy.RiskNone {
			t.Fatalf("override: %+v", b)
		}
		// Derived high risk from severity 9.
		h := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start, Type: privacy.TypeConfidentiality,
			Severity: 9, BreachDetails: fullDetails()}))
		if h.Risk != privacy.RiskHigh || h.RiskOverridden {
			t.Fatalf("derived: %+v", h)
		}
		_, err = e.svc.CloseBreach(ctx, admin, h.ID, privacy.BreachClose{})
		wantErr(t, err, privacy.ErrSubjectNoticeRequired)
		_, err = e.svc.RecordSubjectNotice(ctx, admin, h.ID, privacy.SubjectNotice{Kind: privacy.SubjectNoticeException, Ground: "34(4)", Text: "x"})
		wantErr(t, err, privacy.ErrInvalid)
		must[privacy.BreachView](t)(e.svc.RecordSubjectNotice(ctx, admin, h.ID, privacy.SubjectNotice{Kind: privacy.SubjectNoticeException,
			Ground: "34(3)(a)", Text: "the disk was encrypted"}))
		_, err = e.svc.CloseBreach(ctx, admin, h.ID, privacy.BreachClose{})
		wantErr(t, err, privacy.ErrAuthorityNoticeNeeded)
		must[privacy.BreachView](t)(e.svc.NotifyAuthority(ctx, admin, h.ID, privacy.AuthorityNotification{}))
		c := must[privacy.BreachView](t)(e.svc.CloseBreach(ctx, admin, h.ID, privacy.BreachClose{Note: "done"}))
		if c.Status != privacy.BreachClosed {
			t.Fatalf("closed: %+v", c)
		}
		_, err = e.svc.UpdateBreach(ctx, admin, h.ID, privacy.BreachUpdate{Note: "late"})
		wantErr(t, err, privacy.ErrClosed)
		// Lowering severity re-derives the risk; a different risk needs a reason.
		u := must[privacy.BreachView](t)(e.svc.UpdateBreach(ctx, admin, b.ID, privacy.BreachUpdate{Severity: 5}))
		if u.Risk != privacy.RiskSome || u.RiskOverridden {
			t.Fatalf("re-derived: %+v", u)
		}
		_, err = e.svc.UpdateBreach(ctx, admin, b.ID, privacy.BreachUpdate{Risk: privacy.RiskNone})
		wantErr(t, err, privacy.ErrRiskReasonRequired)
	})
}

func TestRequestNeedsVerifiedIdentityDSR1(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		dpo := e.user(accounts.RoleDPO)
		ctx := context.Background()
		r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, dpo, privacy.NewRequest{Type: "access", Channel: "letter",
			ReceivedAt: start, Requester: "A. Person"}))
		if r.Verification != privacy.Unverified || !r.Due.Equal(time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC)) {
			t.Fatalf("new request: %+v", r)
		}
		_, err := e.svc.CompleteRequest(ctx, dpo, r.ID, privacy.Completion{Note: "sent"})
		wantErr(t, err, privacy.ErrUnverified)
		_, err = e.svc.VerifyRequest(ctx, dpo, r.ID, privacy.Verification{Method: "email"})
		wantErr(t, err, privacy.ErrInvalid)
		v := must[privacy.RequestView](t)(e.svc.VerifyRequest(ctx, dpo, r.ID, privacy.Verification{Method: "call_back", OnBehalf: "parent"}))
		if v.Verification != privacy.Verified || v.VerifyMethod != "call_back" || v.OnBehalf != "parent" {
			t.Fatalf("verified: %+v", v)
		}
		c := must[privacy.RequestView](t)(e.svc.CompleteRequest(ctx, dpo, r.ID, privacy.Completion{Note: "sent", RestrictionCitation: "DK databeskyttelseslov § 22"}))
		if c.Status != privacy.RequestCompleted {
			t.Fatalf("completed: %+v", c)
		}
		_, err = e.svc.RefuseRequest(ctx, dpo, r.ID, privacy.Refusal{Reason: "x", ComplaintNotice: true})
		wantErr(t, err, privacy.ErrClosed)
	})
}

func TestExtensionOnlyWithinFirstMonthDSR2(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		for _, tc := range []struct {
			name    string
			at      time.Time
			months  int
			want    error
			wantDue time.Time
		}{
			{"two months, on day 27", start.Add(27 * 24 * time.Hour), 2, nil, time.Date(2026, 4, 30, 10, 0, 0, 0, time.UTC)},
			{"one month", start.Add(time.Hour), 1, nil, time.Date(2026, 3, 31, 10, 0, 0, 0, time.UTC)},
			{"at the deadline", time.Date(2026, 2, 28, 10, 0, 0, 0, time.UTC), 2, privacy.ErrExtensionTooLate, time.Time{}},
			{"after the first month", time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC), 1, privacy.ErrExtensionTooLate, time.Time{}},
			{"three months", start.Add(time.Hour), 3, privacy.ErrInvalid, time.Time{}},
		} {
			e.clock.Set(start)
			r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "erasure", Channel: "email",
				ReceivedAt: start, Contact: "x@example.org"}))
			e.clock.Set(tc.at)
			v, err := e.svc.ExtendRequest(ctx, admin, r.ID, privacy.Extension{Months: tc.months, Reason: "complex request"})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if !v.Due.Equal(tc.wantDue) || v.InformedAt == nil {
				t.Errorf("%s: due %s, want %s", tc.name, v.Due, tc.wantDue)
			}
			_, err = e.svc.ExtendRequest(ctx, admin, r.ID, privacy.Extension{Months: 1, Reason: "again"})
			wantErr(t, err, privacy.ErrAlreadyExtended)
		}
		r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "erasure", Channel: "email", ReceivedAt: start, Contact: "y"}))
		_, err := e.svc.ExtendRequest(ctx, admin, r.ID, privacy.Extension{Months: 1})
		wantErr(t, err, privacy.ErrReasonRequired)
		// Told after the month ended although recorded within it.
		e.clock.Set(start.Add(24 * time.Hour))
		_, err = e.svc.ExtendRequest(ctx, admin, r.ID, privacy.Extension{Months: 1, Reason: "r", InformedAt: start.Add(-time.Hour)})
		wantErr(t, err, privacy.ErrInvalid)
	})
}

func TestAllSixRequestTypesAndOverdueFirstDSR3(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		e.clock.Set(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
		ids := map[string]string{}
		for i, typ := range []string{"access", "rectification", "erasure", "restriction", "portability", "objection"} {
			r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: typ, Channel: "web_form",
				ReceivedAt: time.Date(2026, 4, 30-i*5, 9, 0, 0, 0, time.UTC), Requester: "p"}))
			ids[typ] = r.ID
		}
		_, err := e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "deletion", Channel: "web_form", ReceivedAt: start, Requester: "p"})
		wantErr(t, err, privacy.ErrInvalid)
		_, err = e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "access", Channel: "web_form", ReceivedAt: start})
		wantErr(t, err, privacy.ErrRequesterRequired)
		// Received 30 April … 5 April; on 6 May the one received on 5 April is overdue.
		e.clock.Set(time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC))
		list := must[[]privacy.RequestView](t)(e.svc.Requests(ctx, admin))
		if len(list) != 6 || list[0].ID != ids["objection"] || !list[0].Overdue || list[1].Overdue {
			t.Fatalf("list order: %+v", list)
		}
		if list[0].Requester != nil {
			t.Fatal("the list shows the requester")
		}
	})
}

func TestRefusalNeedsReasonAndComplaintNoticeDSR4(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin := e.user(accounts.RoleAdmin)
		ctx := context.Background()
		r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "access", Channel: "phone", ReceivedAt: start, Requester: "p"}))
		_, err := e.svc.RefuseRequest(ctx, admin, r.ID, privacy.Refusal{ComplaintNotice: true})
		wantErr(t, err, privacy.ErrReasonRequired)
		_, err = e.svc.RefuseRequest(ctx, admin, r.ID, privacy.Refusal{Reason: "whistleblower protection"})
		wantErr(t, err, privacy.ErrComplaintNoticeRequired)
		v := must[privacy.RequestView](t)(e.svc.RefuseRequest(ctx, admin, r.ID, privacy.Refusal{Reason: "whistleblower protection",
			ComplaintNotice: true, RestrictionCitation: "DK databeskyttelseslov § 22"}))
		if v.Status != privacy.RequestRefused || !v.ComplaintNotice {
			t.Fatalf("refused: %+v", v)
		}
		full := must[privacy.RequestView](t)(e.svc.Request(ctx, admin, r.ID))
		if last := full.Entries[len(full.Entries)-1]; last.Kind != "refuse" || !bytes.Contains([]byte(last.Body.(json.RawMessage)), []byte("§ 22")) {
			t.Fatalf("refusal entry %+v", last)
		}
	})
}

func TestRegisterRolesAndKeySharing(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		handler := e.user(accounts.RoleHandler)
		_, err := e.svc.Breaches(ctx, handler)
		wantErr(t, err, privacy.ErrForbidden)
		_, err = e.svc.RecordRequest(ctx, handler, privacy.NewRequest{Type: "access", Channel: "phone", ReceivedAt: start, Requester: "p"})
		wantErr(t, err, privacy.ErrForbidden)

		admin := e.user(accounts.RoleAdmin)
		dpo := e.user(accounts.RoleDPO)
		r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "access", Channel: "phone", ReceivedAt: start, Requester: "p"}))
		// The key was wrapped to every admin and dpo when it was made.
		must[privacy.RequestView](t)(e.svc.Request(ctx, dpo, r.ID))
		_, err = e.svc.Request(ctx, handler, r.ID)
		wantErr(t, err, privacy.ErrForbidden)

		// A DPO appointed later waits until a holder opens the registers.
		late := e.user(accounts.RoleDPO)
		_, err = e.svc.Request(ctx, late, r.ID)
		wantErr(t, err, privacy.ErrNoRegisterKey)
		must[privacy.RequestView](t)(e.svc.Request(ctx, admin, r.ID))
		v := must[privacy.RequestView](t)(e.svc.Request(ctx, late, r.ID))
		if v.Requester == nil || v.Requester.Requester != "p" {
			t.Fatalf("late dpo reads %+v", v.Requester)
		}
	})
}

func TestRegistersSealedAtRest(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		admin := e.user(accounts.RoleAdmin)
		markers := []string{"MARKER-what-happened", "MARKER-categories", "MARKER-contact-point", "MARKER-consequences",
			"MARKER-measures", "MARKER-update-note", "MARKER-late-reason", "MARKER-reference", "MARKER-notice-text",
			"MARKER-requester-name", "MARKER-requester-contact", "MARKER-description", "MARKER-verify-note",
			"MARKER-extension-reason", "MARKER-refusal-reason", "MARKER-citation"}
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start, Type: privacy.TypeConfidentiality,
			Severity: 9, BreachDetails: privacy.BreachDetails{WhatHappened: markers[0], DataCategories: markers[1], ContactPoint: markers[2],
				Consequences: markers[3], Measures: markers[4], ApproxSubjects: ptr(1), ApproxRecords: ptr(2)}}))
		must[privacy.BreachView](t)(e.svc.UpdateBreach(ctx, admin, b.ID, privacy.BreachUpdate{Note: markers[5]}))
		e.clock.Set(start.Add(100 * time.Hour))
		must[privacy.BreachView](t)(e.svc.NotifyAuthority(ctx, admin, b.ID, privacy.AuthorityNotification{LateReason: markers[6], Reference: markers[7]}))
		must[privacy.BreachView](t)(e.svc.RecordSubjectNotice(ctx, admin, b.ID, privacy.SubjectNotice{Kind: privacy.SubjectNoticeGiven, Text: markers[8]}))
		r := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "access", Channel: "letter",
			ReceivedAt: start.Add(90 * time.Hour), Requester: markers[9], Contact: markers[10], Description: markers[11]}))
		must[privacy.RequestView](t)(e.svc.VerifyRequest(ctx, admin, r.ID, privacy.Verification{Method: "in_person", Note: markers[12]}))
		must[privacy.RequestView](t)(e.svc.ExtendRequest(ctx, admin, r.ID, privacy.Extension{Months: 1, Reason: markers[13]}))
		must[privacy.RequestView](t)(e.svc.RefuseRequest(ctx, admin, r.ID, privacy.Refusal{Reason: markers[14], ComplaintNotice: true, RestrictionCitation: markers[15]}))
		// Everything can be read back…
		full := must[privacy.RequestView](t)(e.svc.Request(ctx, admin, r.ID))
		if full.Requester.Requester != markers[9] {
			t.Fatal("requester not read back")
		}
		// …but no marker is in any stored value.
		if err := db.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		err := db.EachStoredValue(ctx, func(table string, v []byte) {
			for _, m := range markers {
				if bytes.Contains(v, []byte(m)) {
					t.Errorf("marker %s in table %s", m, table)
				}
			}
			if bytes.Contains(v, []byte("MARKER")) {
				t.Errorf("a marker in table %s", table)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
