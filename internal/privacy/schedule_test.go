package privacy_test

import (
	"context"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func TestMarkReviewedRecordsReviewAndSetsNextDateOneYearOn(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		ctx := context.Background()
		p := must[privacy.ProcessorView](t)(e.svc.CreateProcessor(ctx, admin, privacy.ProcessorInput{
			ProcessorRecord: privacy.ProcessorRecord{Name: "Host", Contact: "c", Service: "hosting"}, Clauses: []string{"a"},
			OwnerID: dpo.UserID, ReviewAt: start.AddDate(0, 0, 10)}))
		if p.OwnerID != dpo.UserID {
			t.Fatalf("owner %s, want the dpo", p.OwnerID)
		}
		at := start.AddDate(0, 0, 12)
		e.clock.Set(at)
		h := must[privacy.ReviewHistory](t)(e.svc.MarkReviewed(ctx, dpo, store.RegisterProcessor, p.ID, privacy.MarkReviewed{}))
		want := at.AddDate(1, 0, 0)
		if h.ReviewAt == nil || !h.ReviewAt.Equal(want) || len(h.Reviews) != 1 || h.Reviews[0].ReviewedBy != dpo.UserID ||
			!h.Reviews[0].ReviewedAt.Equal(at) {
			t.Fatalf("history %+v, want one review by the dpo at %v and the next a year on", h, at)
		}
		got := must[privacy.ProcessorView](t)(e.svc.Processor(ctx, dpo, p.ID))
		if got.ReviewAt == nil || !got.ReviewAt.Equal(want) || got.ReviewOverdue {
			t.Fatalf("processor review_at %v overdue %v", got.ReviewAt, got.ReviewOverdue)
		}
		// A chosen date must lie ahead; unknown registers and ids are 404.
		_, err := e.svc.MarkReviewed(ctx, dpo, store.RegisterProcessor, p.ID, privacy.MarkReviewed{NextReviewAt: at.Add(-time.Hour)})
		wantErr(t, err, privacy.ErrReviewDate)
		_, err = e.svc.MarkReviewed(ctx, dpo, store.RegisterRisk, p.ID, privacy.MarkReviewed{})
		wantErr(t, err, privacy.ErrNotFound)
		_, err = e.svc.MarkReviewed(ctx, dpo, "cases", p.ID, privacy.MarkReviewed{})
		wantErr(t, err, privacy.ErrNotFound)
		_, err = e.svc.MarkReviewed(ctx, e.user(accounts.RoleHandler), store.RegisterProcessor, p.ID, privacy.MarkReviewed{})
		wantErr(t, err, privacy.ErrForbidden)
		if n := e.auditCount("register.write", "processor", p.ID, "processor.review"); n != 1 {
			t.Fatalf("review audited %d times", n)
		}
	})
}

func TestRetentionPolicyIsARegisterEntryWithOwnerAndReview(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		ctx := context.Background()
		id := org.DefaultChannel + "/report"
		list := must[[]privacy.PolicyView](t)(e.svc.RetentionPolicies(ctx, dpo))
		if len(list) == 0 || list[0].ID != id || !list[0].ConfirmationPending || list[0].ReviewAt != nil {
			t.Fatalf("policies %+v, want the default policy awaiting confirmation", list)
		}
		d := must[privacy.Dashboard](t)(e.svc.Dashboard(ctx, dpo))
		if len(d.RetentionPending) != 1 || d.RetentionPending[0] != id {
			t.Fatalf("dashboard pending %v", d.RetentionPending)
		}
		v := must[privacy.PolicyView](t)(e.svc.SetPolicySchedule(ctx, admin, id, privacy.PolicySchedule{OwnerID: dpo.UserID,
			ReviewAt: start.AddDate(0, 6, 0)}))
		if v.OwnerID != dpo.UserID || v.ReviewAt == nil || !v.ReviewAt.Equal(start.AddDate(0, 6, 0)) {
			t.Fatalf("schedule %+v", v)
		}
		_, err := e.svc.SetPolicySchedule(ctx, admin, "nosuch/report", privacy.PolicySchedule{OwnerID: dpo.UserID})
		wantErr(t, err, privacy.ErrNotFound)
		_, err = e.svc.SetPolicySchedule(ctx, admin, id, privacy.PolicySchedule{OwnerID: "nobody"})
		wantErr(t, err, privacy.ErrInvalid)
		_, err = e.svc.SetPolicySchedule(ctx, admin, id, privacy.PolicySchedule{})
		wantErr(t, err, privacy.ErrInvalid)

		e.clock.Set(start.AddDate(0, 7, 0))
		v = must[[]privacy.PolicyView](t)(e.svc.RetentionPolicies(ctx, dpo))[0]
		if !v.ReviewOverdue {
			t.Fatal("a policy past its review date is not overdue")
		}
		h := must[privacy.ReviewHistory](t)(e.svc.MarkReviewed(ctx, dpo, store.RegisterRetentionPolicy, id, privacy.MarkReviewed{}))
		if len(h.Reviews) != 1 || !h.ReviewAt.Equal(start.AddDate(1, 7, 0)) {
			t.Fatalf("history %+v", h)
		}
		v = must[[]privacy.PolicyView](t)(e.svc.RetentionPolicies(ctx, dpo))[0]
		if v.ReviewOverdue || v.OwnerID != dpo.UserID {
			t.Fatalf("after review %+v", v)
		}
	})
}

func TestDashboardShowsWhatFallsDueWithFixedClock(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		ctx := context.Background()
		empty := must[privacy.Dashboard](t)(e.svc.Dashboard(ctx, dpo))
		if !empty.AccessReviewOverdue || len(empty.Breaches) != 0 || len(empty.Requests) != 0 {
			t.Fatalf("fresh dashboard %+v", empty)
		}
		risk := must[privacy.RiskView](t)(e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "DASHMARK"},
			Likelihood: 2, Impact: 2, ReviewAt: start.AddDate(0, 0, 20)}))
		far := must[privacy.RiskView](t)(e.svc.CreateRisk(ctx, admin, privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: "later"},
			Likelihood: 1, Impact: 1}))
		b := must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 9, BreachDetails: fullDetails()}))
		must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeAvailability, Severity: 1, BreachDetails: fullDetails()})) // no risk: no clock
		q := must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "access", Channel: "letter",
			ReceivedAt: start, Requester: "DASHMARK requester"}))

		d := must[privacy.Dashboard](t)(e.svc.Dashboard(ctx, dpo))
		if d.ReviewsDueSoon != 1 || d.ReviewsOverdue != 0 || d.Reviews[0].ID != risk.ID || d.Reviews[0].OwnerID != admin.UserID {
			t.Fatalf("reviews %+v, want the risk due in 20 days", d.Reviews)
		}
		if len(d.Breaches) != 1 || d.Breaches[0].ID != b.ID || d.Breaches[0].Overdue || !d.Breaches[0].SubjectNoticeMissing {
			t.Fatalf("breaches %+v, want the high-risk one running", d.Breaches)
		}
		if len(d.Requests) != 0 {
			t.Fatalf("a request due in a month is listed: %+v", d.Requests)
		}

		// 25 days on: the request is due within a week, the risk overdue,
		// the breach past its 72 hours.
		e.clock.Set(start.AddDate(0, 0, 25))
		d = must[privacy.Dashboard](t)(e.svc.Dashboard(ctx, dpo))
		if d.ReviewsOverdue != 1 || d.RequestsDueSoon != 1 || d.Requests[0].ID != q.ID || d.BreachesOverdue != 1 {
			t.Fatalf("dashboard after 25 days %+v", d)
		}
		for _, r := range d.Reviews {
			if r.ID == far.ID {
				t.Fatal("a risk due in a year is listed")
			}
		}
		must[privacy.ReviewHistory](t)(e.svc.MarkReviewed(ctx, dpo, store.RegisterRisk, risk.ID, privacy.MarkReviewed{}))
		d = must[privacy.Dashboard](t)(e.svc.Dashboard(ctx, dpo))
		if d.ReviewsOverdue != 0 {
			t.Fatalf("reviewed risk still overdue: %+v", d.Reviews)
		}
		_, err := e.svc.Dashboard(ctx, e.user(accounts.RoleHandler))
		wantErr(t, err, privacy.ErrForbidden)
	})
}

func TestDeclarationAcceptedPerVersion(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo, handler := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO), e.user(accounts.RoleHandler)
		ctx := context.Background()
		ok := must[bool](t)(e.svc.HasAcceptedDeclaration(ctx, handler))
		if ok {
			t.Fatal("a new user has accepted")
		}
		v := must[privacy.DeclarationView](t)(e.svc.Declaration(ctx, handler))
		if v.Version != privacy.StandardDeclarationVersion || !v.Standard || v.Accepted {
			t.Fatalf("declaration %+v", v)
		}
		zero, one := 0, 1
		_, err := e.svc.AcceptDeclaration(ctx, handler, privacy.DeclarationAcceptance{})
		wantErr(t, err, privacy.ErrInvalid)
		v = must[privacy.DeclarationView](t)(e.svc.AcceptDeclaration(ctx, handler, privacy.DeclarationAcceptance{Version: &zero}))
		if !v.Accepted || v.AcceptedAt == nil || !v.AcceptedAt.Equal(start) {
			t.Fatalf("accepted %+v", v)
		}
		must[privacy.DeclarationView](t)(e.svc.AcceptDeclaration(ctx, handler, privacy.DeclarationAcceptance{Version: &zero})) // again: no change
		if n := e.auditCount("declaration.accept", "user", handler.UserID, "version:0"); n != 1 {
			t.Fatalf("acceptance audited %d times", n)
		}

		_, err = e.svc.PublishDeclaration(ctx, dpo, privacy.NewDeclaration{Text: "x"})
		wantErr(t, err, privacy.ErrAdminOnly)
		_, err = e.svc.PublishDeclaration(ctx, admin, privacy.NewDeclaration{Text: "  "})
		wantErr(t, err, privacy.ErrInvalid)
		e.clock.Set(start.Add(time.Hour))
		pub := must[privacy.DeclarationVersionView](t)(e.svc.PublishDeclaration(ctx, admin, privacy.NewDeclaration{Text: "Our own text"}))
		if pub.Version != 1 {
			t.Fatalf("published version %d", pub.Version)
		}
		if must[bool](t)(e.svc.HasAcceptedDeclaration(ctx, handler)) {
			t.Fatal("a new version needs a new acceptance")
		}
		_, err = e.svc.AcceptDeclaration(ctx, handler, privacy.DeclarationAcceptance{Version: &zero})
		wantErr(t, err, privacy.ErrDeclarationChanged)
		must[privacy.DeclarationView](t)(e.svc.AcceptDeclaration(ctx, handler, privacy.DeclarationAcceptance{Version: &one}))

		list := must[privacy.DeclarationsView](t)(e.svc.Declarations(ctx, dpo))
		if list.Current != 1 || len(list.Versions) != 1 {
			t.Fatalf("versions %+v", list)
		}
		for _, u := range list.Users {
			switch u.UserID {
			case handler.UserID:
				if !u.Current || len(u.Accepted) != 2 || u.Latest.Version != 1 || !u.Latest.AcceptedAt.Equal(start.Add(time.Hour)) {
					t.Fatalf("handler row %+v", u)
				}
			case admin.UserID:
				if u.Current || u.Latest != nil {
					t.Fatalf("admin row %+v", u)
				}
			}
		}
		_, err = e.svc.Declarations(ctx, handler)
		wantErr(t, err, privacy.ErrForbidden)
	})
}

func TestRegistersPDFIsAPDFAndAudited(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		admin, dpo := e.user(accounts.RoleAdmin), e.user(accounts.RoleDPO)
		ctx := context.Background()
		must[privacy.BreachView](t)(e.svc.RecordBreach(ctx, admin, privacy.NewBreach{AwareAt: start.Add(-time.Hour),
			Type: privacy.TypeConfidentiality, Severity: 5, BreachDetails: fullDetails()}))
		must[privacy.RequestView](t)(e.svc.RecordRequest(ctx, admin, privacy.NewRequest{Type: "erasure", Channel: "email",
			ReceivedAt: start, Requester: "Åse Ødegård"}))
		b := must[[]byte](t)(e.svc.ExportRegistersPDF(ctx, dpo))
		if len(b) < 1000 || string(b[:5]) != "%PDF-" {
			t.Fatalf("not a PDF: %.20q (%d bytes)", b, len(b))
		}
		again := must[[]byte](t)(e.svc.ExportRegistersPDF(ctx, dpo))
		if string(again) != string(b) {
			t.Fatal("the same registers at the same time give different bytes")
		}
		if n := e.auditCount("register.export", "register", "ropa", "pdf"); n != 2 {
			t.Fatalf("pdf export audited %d times", n)
		}
		_, err := e.svc.ExportRegistersPDF(ctx, e.user(accounts.RoleHandler))
		wantErr(t, err, privacy.ErrForbidden)
	})
}
