// Package cases is the case handler's side: the inbox of cases the handler
// holds a key for, opening a case, downloading its files and writing to the
// whistleblower. Access is cryptographic first: without a key wrapped to
// the handler nothing opens, and every miss looks like "not found".
package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// ErrNotFound covers a missing case and a case the handler may not open.
var ErrNotFound = errors.New("case not found")

// Config holds what the service needs.
type Config struct {
	DB          *store.DB
	Blobs       blob.Store
	MaxFileSize int64
	Now         func() time.Time
	// Logger takes what cannot be returned (a cache that failed to keep);
	// ids only, never content. Nil means slog.Default().
	Logger *slog.Logger
}

// Service implements the handler's actions. Every read and change is
// recorded in the audit log (AL-1); content is returned only once its
// read is recorded.
type Service struct {
	cfg   Config
	audit *audit.Log
	// conversions shares the conversion of an office source among
	// concurrent page previews of one anonymised copy.
	conversions conversionFlights
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, audit: audit.New(cfg.DB, cfg.Now)}
}

// caseEntry is an audit entry about a case by a staff user.
func caseEntry(st *accounts.Staff, action, objectType, objectID, detail string) audit.Entry {
	return audit.Entry{TenantID: st.TenantID, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: action, ObjectType: objectType, ObjectID: objectID, Detail: detail}
}

// InboxPage is one page of a handler's inbox.
type InboxPage struct {
	Rows              []InboxRow
	Total             int
	TotalIsLowerBound bool // there are more than Total cases
	Limit             int
	Offset            int
}

// InboxRow is a case in the inbox with its channel's display name.
type InboxRow struct {
	store.InboxRow
	ChannelName questionnaire.Text
}

// Inbox lists one page of the cases the user holds a key for.
func (s *Service) Inbox(ctx context.Context, st *accounts.Staff, sort string, asc bool, limit, offset int) (InboxPage, error) {
	found, err := s.cfg.DB.Inbox(ctx, store.InboxQuery{TenantID: st.TenantID, UserID: st.UserID,
		Sort: sort, Asc: asc, Limit: limit, Offset: offset})
	if err != nil {
		return InboxPage{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseList, audit.ObjectRegister, "inbox", "")); err != nil {
		return InboxPage{}, err
	}
	channels, err := s.cfg.DB.Channels(ctx, st.TenantID)
	if err != nil {
		return InboxPage{}, err
	}
	names := make(map[string]questionnaire.Text, len(channels))
	for _, c := range channels {
		var t questionnaire.Text
		if json.Unmarshal([]byte(c.Name), &t) == nil {
			names[c.ID] = t
		}
	}
	page := InboxPage{Total: found.Total, TotalIsLowerBound: found.TotalIsLowerBound, Limit: limit, Offset: offset}
	for _, r := range found.Rows {
		page.Rows = append(page.Rows, InboxRow{InboxRow: r, ChannelName: names[r.ChannelID]})
	}
	return page, nil
}

// Case is an opened case.
type Case struct {
	Report store.Report
	Keys   report.Keys
}

// open loads a case and unwraps its keys with the staff user's identity.
func (s *Service) open(ctx context.Context, st *accounts.Staff, reportID string) (*Case, error) {
	r, err := s.cfg.DB.Report(ctx, st.TenantID, reportID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	w, err := s.cfg.DB.ReportKey(ctx, st.TenantID, reportID, store.KeyReport, store.HolderUser, st.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	k, err := st.Identity.UnwrapKey(w.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("cases: unwrap report key: %w", err)
	}
	c := &Case{Report: r, Keys: report.Keys{Report: k}}
	if c.Keys.Identity, err = s.optionalKey(ctx, st, reportID, store.KeyIdentity); err != nil {
		return nil, err
	}
	if c.Keys.Case, err = s.optionalKey(ctx, st, reportID, store.KeyCase); err != nil {
		return nil, err
	}
	return c, nil
}

// optionalKey unwraps a key the user may or may not hold; nil if not.
func (s *Service) optionalKey(ctx context.Context, st *accounts.Staff, reportID, kind string) (*keys.Key, error) {
	w, err := s.cfg.DB.ReportKey(ctx, st.TenantID, reportID, kind, store.HolderUser, st.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	k, err := st.Identity.UnwrapKey(w.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("cases: unwrap %s key: %w", kind, err)
	}
	return &k, nil
}

// Open decrypts a case for reading and marks it read for the user.
func (s *Service) Open(ctx context.Context, st *accounts.Staff, reportID string) (report.View, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return report.View{}, err
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, c.Keys)
	if err != nil {
		return report.View{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "")); err != nil {
		return report.View{}, err
	}
	if v.Identity != nil {
		if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionIdentityRead, audit.ObjectCase, reportID, "")); err != nil {
			return report.View{}, err
		}
	}
	if err := s.cfg.DB.MarkRead(ctx, st.TenantID, reportID, st.UserID, s.cfg.Now()); err != nil {
		return report.View{}, err
	}
	return v, nil
}

// Reply writes a message to the whistleblower.
func (s *Service) Reply(ctx context.Context, st *accounts.Staff, reportID, text string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	m, err := report.NewMessage(c.Keys.Report, st.TenantID, reportID, store.AuthorStaff, st.UserID, text, now)
	if err != nil {
		return err
	}
	// The first message from a handler is the acknowledgement of receipt
	// (CW-2); the feedback deadline then counts from it (CW-3).
	var feedbackDue time.Time
	if c.Report.AcknowledgedAt.IsZero() {
		if feedbackDue, err = s.feedbackDue(ctx, c.Report, now); err != nil {
			return err
		}
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertMessage(ctx, m); err != nil {
			return err
		}
		if !feedbackDue.IsZero() {
			if _, err := tx.SetAcknowledged(ctx, st.TenantID, reportID, now, feedbackDue); err != nil {
				return err
			}
		}
		if err := tx.TouchReport(ctx, st.TenantID, reportID, now); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseMessage, audit.ObjectCase, reportID, ""))
		return err
	})
	if err != nil {
		return err
	}
	// The handler's own message is not news to them.
	return s.cfg.DB.MarkRead(ctx, st.TenantID, reportID, st.UserID, now)
}

// feedbackDue is the feedback deadline for a case acknowledged at ack.
func (s *Service) feedbackDue(ctx context.Context, r store.Report, ack time.Time) (time.Time, error) {
	ch, err := s.cfg.DB.Channel(ctx, r.TenantID, r.ChannelID)
	if err != nil {
		return time.Time{}, err
	}
	t, err := s.cfg.DB.Tenant(ctx, r.TenantID)
	if err != nil {
		return time.Time{}, err
	}
	p, err := report.DeadlinePolicy(ch, t)
	if err != nil {
		return time.Time{}, err
	}
	return p.FeedbackDue(r.ReceivedAt, &ack), nil
}

// OpenFile decrypts one attachment of a case as a stream.
func (s *Service) OpenFile(ctx context.Context, st *accounts.Staff, reportID, fileID string) (*report.FileReader, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	f, err := report.OpenFile(ctx, s.cfg.DB, s.cfg.Blobs, c.Report, c.Keys.Report, fileID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseFileRead, audit.ObjectFile, fileID, "")); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
