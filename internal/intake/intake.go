// Package intake is the whistleblower's side: channels, submitting a report
// with its files, and coming back with the receipt to read replies, write
// and add files. It never sees or records who the whistleblower is.
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/throttle"
)

var (
	// ErrUnknownChannel rejects a submission to a channel that does not exist.
	ErrUnknownChannel = errors.New("unknown channel")
	// ErrBadReceipt is the one answer to every failed receipt login.
	ErrBadReceipt = errors.New("receipt not recognised")
	// ErrInvalidExclusion rejects an exclusion of someone the channel does
	// not offer, or of every handler (the report would reach nobody).
	ErrInvalidExclusion = errors.New("these handlers cannot be excluded")
	// ErrThrottled means too many failed receipt logins lately.
	ErrThrottled = errors.New("too many failed attempts; try again later")
)

// DefaultMaxFileSize is the per-file upload limit unless configured.
const DefaultMaxFileSize = 1 << 30

// Config holds what the service needs.
type Config struct {
	DB          *store.DB
	Blobs       blob.Store
	KDF         *keys.KDF
	Params      keys.Params // keys.ReceiptParams in production
	Pepper      []byte
	Tenant      string
	MaxFileSize int64
	Now         func() time.Time
	Logger      *slog.Logger
	// PDF says how PDFs are cleaned at intake (see PDFConfig).
	PDF PDFConfig
}

// Service implements the whistleblower's actions.
type Service struct {
	cfg      Config
	sessions *session.Manager
	// Receipt guesses are throttled globally: the public site keeps no
	// address or other trait of a visitor to throttle by. With 80-bit
	// receipts guessing cannot succeed; the limit protects the CPU.
	failures *throttle.Failures
	pdf      *pdfCleaner
}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{
		cfg:      cfg,
		sessions: &session.Manager{DB: cfg.DB, Kind: store.SessionWhistleblower, Idle: 30 * time.Minute, Absolute: 4 * time.Hour, Now: cfg.Now},
		failures: &throttle.Failures{Burst: 100, Every: 100 * time.Millisecond, Now: cfg.Now},
		pdf:      newPDFCleaner(cfg.PDF, cfg.Logger),
	}
}

// MaxFileSize is the configured upload limit.
func (s *Service) MaxFileSize() int64 { return s.cfg.MaxFileSize }

// Channel is a channel as the public site shows it.
type Channel struct {
	ID            string
	Name          questionnaire.Text
	Description   questionnaire.Text
	Questionnaire questionnaire.Questionnaire
	// Excludable lists the handlers a whistleblower may exclude from the
	// report because it concerns them (CW-5).
	Excludable []Excludable
	row        store.Channel
}

// Excludable is a handler offered for exclusion, by display name.
type Excludable struct {
	ID   string
	Name string
}

// Channels lists the tenant's channels.
func (s *Service) Channels(ctx context.Context) ([]Channel, error) {
	rows, err := s.cfg.DB.Channels(ctx, s.cfg.Tenant)
	if err != nil {
		return nil, err
	}
	out := make([]Channel, 0, len(rows))
	for _, r := range rows {
		c, err := s.channel(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Channel loads one channel; ErrUnknownChannel if there is none.
func (s *Service) Channel(ctx context.Context, id string) (Channel, error) {
	r, err := s.cfg.DB.Channel(ctx, s.cfg.Tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return Channel{}, ErrUnknownChannel
	}
	if err != nil {
		return Channel{}, err
	}
	return s.channel(ctx, r)
}

func (s *Service) channel(ctx context.Context, r store.Channel) (Channel, error) {
	c := Channel{ID: r.ID, row: r}
	if err := json.Unmarshal([]byte(r.Name), &c.Name); err != nil {
		return Channel{}, fmt.Errorf("intake: channel name: %w", err)
	}
	if err := json.Unmarshal([]byte(r.Description), &c.Description); err != nil {
		return Channel{}, fmt.Errorf("intake: channel description: %w", err)
	}
	q, err := report.LoadQuestionnaire(ctx, s.cfg.DB, s.cfg.Tenant, r.QuestionnaireID, r.QuestionnaireVersion)
	if err != nil {
		return Channel{}, err
	}
	c.Questionnaire = q
	recipients, err := s.cfg.DB.ChannelRecipients(ctx, s.cfg.Tenant, r.ID)
	if err != nil {
		return Channel{}, err
	}
	for _, rc := range recipients {
		if rc.OfferExclusion {
			c.Excludable = append(c.Excludable, Excludable{ID: rc.UserID, Name: rc.DisplayName})
		}
	}
	return c, nil
}

// Begin starts a submission; the caller adds files, then calls Submit, or
// Abandon on any error.
func (s *Service) Begin() (*report.Draft, error) { return report.NewDraft(s.cfg.Tenant) }

// AddFile streams one upload into the draft.
func (s *Service) AddFile(ctx context.Context, d *report.Draft, name, contentType string, r io.Reader) error {
	return d.AddFile(ctx, s.cfg.Blobs, name, contentType, r, s.cfg.MaxFileSize, s.cfg.Now())
}

// Abandon discards a draft's files.
func (s *Service) Abandon(ctx context.Context, d *report.Draft) { d.Discard(ctx, s.cfg.Blobs) }

// Receipt is what a successful submission gives the whistleblower, once.
type Receipt struct {
	Code       string
	CaseNumber int64
}

// Submit validates the answers and commits the draft. On any error the
// draft's files are removed and nothing is stored. A *questionnaire.ValidationError
// lists the answers to fix.
func (s *Service) Submit(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers) (Receipt, error) {
	return s.SubmitExcluding(ctx, d, channelID, answers, nil)
}

// SubmitExcluding is Submit with handlers the whistleblower excludes
// because the report concerns them: their keys are never wrapped, so they
// cannot read it even with the database (CW-5).
func (s *Service) SubmitExcluding(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers, exclude []string) (Receipt, error) {
	return s.SubmitForm(ctx, d, channelID, answers, exclude, "")
}

// SubmitForm is SubmitExcluding for a form that carried formToken (see
// NewFormToken): ErrAlreadySubmitted, and nothing stored, when a report
// was already stored from that form.
func (s *Service) SubmitForm(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers, exclude []string,
	formToken string) (Receipt, error) {
	rc, err := s.submit(ctx, d, channelID, answers, exclude, s.markForms(ctx, nil, formToken))
	if err != nil {
		s.Abandon(ctx, d)
	}
	return rc, err
}

// submit commits the draft; inTx, if set, runs inside the commit's
// transaction.
func (s *Service) submit(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers, exclude []string,
	inTx func(*store.Tx) error) (Receipt, error) {
	ch, err := s.Channel(ctx, channelID)
	if err != nil {
		return Receipt{}, err
	}
	content, identity, err := ch.Questionnaire.Normalize(answers)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.checkAnonymity(ctx, ch.Questionnaire, identity); err != nil {
		return Receipt{}, err
	}
	all, err := s.cfg.DB.ChannelRecipients(ctx, s.cfg.Tenant, ch.ID)
	if err != nil {
		return Receipt{}, err
	}
	recipients, excluded, err := applyExclusions(all, exclude)
	if err != nil {
		return Receipt{}, err
	}
	if len(recipients) == 0 {
		// Accepted all the same: refusing would lose the report. An admin
		// who is added as a handler later cannot read it, so say so loudly.
		s.cfg.Logger.Warn("report submitted to a channel without handlers", "channel", ch.ID)
	}
	custodians, err := s.custodians(ctx, excluded)
	if err != nil {
		return Receipt{}, err
	}
	tenant, err := s.cfg.DB.Tenant(ctx, s.cfg.Tenant)
	if err != nil {
		return Receipt{}, err
	}
	policy, err := report.DeadlinePolicy(ch.row, tenant)
	if err != nil {
		return Receipt{}, err
	}
	now := s.cfg.Now()
	for attempt := 0; ; attempt++ {
		code := keys.NewReceipt()
		canonical, err := keys.ParseReceipt(code)
		if err != nil {
			return Receipt{}, fmt.Errorf("intake: new receipt does not parse: %w", err)
		}
		rk, err := s.cfg.KDF.ReceiptKeys(ctx, canonical, tenant.ReceiptSalt, s.cfg.Pepper, s.cfg.Params)
		if err != nil {
			return Receipt{}, err
		}
		number, err := d.Commit(ctx, s.cfg.DB, report.Submission{Channel: ch.row, Content: content, Identity: identity,
			Recipients: recipients, Custodians: custodians, Receipt: rk, Now: now, Excluded: excluded,
			AckDue: policy.AckDue(now), FeedbackDue: policy.FeedbackDue(now, nil), InTx: inTx})
		if errors.Is(err, store.ErrDuplicateReceipt) && attempt < 2 {
			continue
		}
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{Code: code, CaseNumber: number}, nil
	}
}

// applyExclusions removes excluded handlers from the recipients. Only
// handlers the channel offers can be excluded, and one must remain.
func applyExclusions(all []store.Recipient, exclude []string) (keep []store.Recipient, excluded []string, err error) {
	offered := map[string]bool{}
	for _, r := range all {
		if r.OfferExclusion {
			offered[r.UserID] = true
		}
	}
	for _, id := range exclude {
		if !offered[id] {
			return nil, nil, ErrInvalidExclusion
		}
		if !slices.Contains(excluded, id) {
			excluded = append(excluded, id)
		}
	}
	for _, r := range all {
		if !slices.Contains(excluded, r.UserID) {
			keep = append(keep, r)
		}
	}
	if len(excluded) > 0 && len(keep) == 0 {
		return nil, nil, ErrInvalidExclusion
	}
	return keep, excluded, nil
}

// Whistleblower is a logged-in whistleblower: a report and its keys.
type Whistleblower struct {
	Report store.Report
	Keys   report.Keys
}

// Login opens a session with a receipt and returns the session token.
func (s *Service) Login(ctx context.Context, receipt string) (string, error) {
	// The failure is charged before the Argon2 call and refunded unless
	// the receipt was wrong: checking first and charging after the slow
	// call would let a burst of concurrent guesses all pass the check, and
	// each would hold a connection while waiting for a KDF slot.
	if !s.failures.Take("") {
		return "", ErrThrottled
	}
	token, err := s.login(ctx, receipt)
	if !errors.Is(err, ErrBadReceipt) {
		s.failures.Refund("")
	}
	return token, err
}

func (s *Service) login(ctx context.Context, receipt string) (string, error) {
	canonical, err := keys.ParseReceipt(receipt)
	if err != nil {
		return "", ErrBadReceipt
	}
	tenant, err := s.cfg.DB.Tenant(ctx, s.cfg.Tenant)
	if err != nil {
		return "", err
	}
	rk, err := s.cfg.KDF.ReceiptKeys(ctx, canonical, tenant.ReceiptSalt, s.cfg.Pepper, s.cfg.Params)
	if err != nil {
		return "", err
	}
	r, err := s.cfg.DB.ReportByLookup(ctx, s.cfg.Tenant, rk.Lookup)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrBadReceipt
	}
	if err != nil {
		return "", err
	}
	k, err := s.unwrap(ctx, r, rk.Key)
	if err != nil {
		return "", err
	}
	secret := append(append([]byte{}, k.Report[:]...), k.Identity[:]...)
	return s.sessions.Create(ctx, s.cfg.Tenant, r.ID, secret)
}

func (s *Service) unwrap(ctx context.Context, r store.Report, wbKey keys.Key) (report.Keys, error) {
	var out report.Keys
	for _, kind := range []string{store.KeyReport, store.KeyIdentity} {
		w, err := s.cfg.DB.ReportKey(ctx, r.TenantID, r.ID, kind, store.HolderReceipt, "")
		if err != nil {
			return report.Keys{}, err
		}
		raw, err := keys.Open(wbKey, w.Wrapped, report.ADReceiptWrap(r.TenantID, r.ID, kind))
		if err != nil || len(raw) != len(keys.Key{}) {
			return report.Keys{}, fmt.Errorf("intake: unwrap %s key: %w", kind, err)
		}
		var k keys.Key
		copy(k[:], raw)
		if kind == store.KeyReport {
			out.Report = k
		} else {
			out.Identity = &k
		}
	}
	return out, nil
}

// Authenticate resolves a session token to the whistleblower's report.
func (s *Service) Authenticate(ctx context.Context, token string) (*Whistleblower, error) {
	sess, err := s.sessions.Open(ctx, token)
	if err != nil {
		return nil, err
	}
	// A session belongs to the tenant it was opened in; another tenant's
	// listener does not accept it.
	if sess.TenantID != s.cfg.Tenant || len(sess.Secret) != 64 {
		return nil, session.ErrNoSession
	}
	r, err := s.cfg.DB.Report(ctx, sess.TenantID, sess.SubjectID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, session.ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	var k report.Keys
	var id keys.Key
	copy(k.Report[:], sess.Secret[:32])
	copy(id[:], sess.Secret[32:])
	k.Identity = &id
	return &Whistleblower{Report: r, Keys: k}, nil
}

// Logout ends the session behind token.
func (s *Service) Logout(ctx context.Context, token string) error { return s.sessions.End(ctx, token) }

// View opens the whistleblower's report.
func (s *Service) View(ctx context.Context, wb *Whistleblower) (report.View, error) {
	return report.Load(ctx, s.cfg.DB, wb.Report, wb.Keys)
}

// PostMessage adds the whistleblower's message to the report.
func (s *Service) PostMessage(ctx context.Context, wb *Whistleblower, text string) error {
	_, err := report.AddMessage(ctx, s.cfg.DB, wb.Keys.Report, wb.Report.TenantID, wb.Report.ID,
		store.AuthorWhistleblower, "", text, s.cfg.Now())
	return err
}

// StoreFile streams one more file for an existing report; the caller
// hands the batch to AddFiles or AddStripped (added.go), which check its
// metadata before committing, or discards it with DiscardFiles.
func (s *Service) StoreFile(ctx context.Context, wb *Whistleblower, name, contentType string, r io.Reader) (report.PendingFile, error) {
	return report.StoreFileForReport(ctx, s.cfg.Blobs, wb.Report, wb.Keys.Report, name, contentType, r, s.cfg.MaxFileSize,
		store.AuthorWhistleblower, "", s.cfg.Now())
}

// DiscardFiles removes stored files that will not be committed.
func (s *Service) DiscardFiles(ctx context.Context, files []report.PendingFile) {
	report.DiscardFiles(ctx, s.cfg.Blobs, files)
}

// OpenFile decrypts one of the report's files.
func (s *Service) OpenFile(ctx context.Context, wb *Whistleblower, fileID string) (*report.FileReader, error) {
	return report.OpenFile(ctx, s.cfg.DB, s.cfg.Blobs, wb.Report, wb.Keys.Report, fileID)
}
