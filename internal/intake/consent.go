package intake

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// ErrNoIdentity means the report has no identity answers to share.
var ErrNoIdentity = errors.New("this report has no identity answers")

// custodians lists the custodians who receive a new report's identity key,
// leaving out anyone the whistleblower excluded: a report that concerns a
// custodian must not hand them the whistleblower's name.
func (s *Service) custodians(ctx context.Context, excluded []string) ([]store.Recipient, error) {
	all, err := s.cfg.DB.Custodians(ctx, s.cfg.Tenant)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if !slices.Contains(excluded, c.UserID) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		// The report is accepted all the same; the identity can then reach
		// handlers only through the whistleblower's consent.
		s.cfg.Logger.Warn("report submitted without any custodian for its identity key")
	}
	return out, nil
}

// Consent is one time the whistleblower shared their identity.
type Consent struct {
	At time.Time
}

// Consents lists when the whistleblower shared their identity, oldest first.
func (s *Service) Consents(ctx context.Context, wb *Whistleblower) ([]Consent, error) {
	rows, err := s.cfg.DB.IdentityRequestsForReport(ctx, wb.Report.TenantID, wb.Report.ID)
	if err != nil {
		return nil, err
	}
	var out []Consent
	for _, r := range rows {
		if r.Kind == store.IdentityKindConsent {
			out = append(out, Consent{At: r.CreatedAt})
		}
	}
	return out, nil
}

// ConsentIdentity shares the whistleblower's identity with every staff
// user who currently holds the case's report key (Directive art. 16(1)):
// the session holds the identity key, which is wrapped to each of them.
// The consent is recorded (the case journal shows it) and audited. It
// returns how many handlers received the key now.
func (s *Service) ConsentIdentity(ctx context.Context, wb *Whistleblower) (int, error) {
	if len(wb.Report.IdentityAnswers) == 0 || wb.Keys.Identity == nil {
		return 0, ErrNoIdentity
	}
	holders, err := s.cfg.DB.ReportHolders(ctx, wb.Report.TenantID, wb.Report.ID)
	if err != nil {
		return 0, err
	}
	now := s.cfg.Now()
	var wraps []store.ReportKey
	for _, h := range holders {
		u, err := s.cfg.DB.UserByID(ctx, wb.Report.TenantID, h.UserID)
		if err != nil {
			return 0, err
		}
		if !u.DisabledAt.IsZero() {
			continue
		}
		w, err := keys.WrapKey(u.PublicKey, *wb.Keys.Identity)
		if err != nil {
			return 0, fmt.Errorf("intake: wrap identity key: %w", err)
		}
		wraps = append(wraps, store.ReportKey{TenantID: wb.Report.TenantID, ReportID: wb.Report.ID, Kind: store.KeyIdentity,
			HolderType: store.HolderUser, HolderID: u.ID, Alg: report.AlgAgeX25519, Wrapped: w, CreatedAt: now})
	}
	log := audit.New(s.cfg.DB, s.cfg.Now)
	added := 0
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		added = 0
		for _, w := range wraps {
			ok, err := tx.InsertReportKeyIfAbsent(ctx, w)
			if err != nil {
				return err
			}
			if ok {
				added++
			}
			if _, err := log.RecordTx(ctx, tx, audit.Entry{TenantID: w.TenantID, ActorType: audit.ActorSystem,
				ActorID: "whistleblower", Action: audit.ActionIdentityConsent, ObjectType: audit.ObjectCase,
				ObjectID: w.ReportID, Detail: w.HolderID}); err != nil {
				return err
			}
		}
		if err := tx.InsertIdentityRequest(ctx, store.IdentityRequest{TenantID: wb.Report.TenantID, ID: store.NewID(),
			ReportID: wb.Report.ID, Kind: store.IdentityKindConsent, State: store.IdentityConsented,
			CreatedAt: now, DecidedAt: now}); err != nil {
			return err
		}
		return tx.TouchReport(ctx, wb.Report.TenantID, wb.Report.ID, now)
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}
