package report

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// Draft is a report being submitted. Its keys exist from the start so that
// files can be encrypted while they stream in, before the answers (which
// may come later in the same request) are known. Nothing of a draft is
// visible until Commit's transaction succeeds.
type Draft struct {
	Tenant       string
	ID           string
	Keys         Keys
	fileIdentity *keys.Identity
	Files        []PendingFile
	// Lang is the language tag (en, da, nb) the whistleblower used, kept
	// with the report so that the outcome message goes out in it; "" when
	// unknown.
	Lang string
}

// NewDraft creates the report's keys.
func NewDraft(tenant string) (*Draft, error) {
	id, err := keys.NewIdentity()
	if err != nil {
		return nil, fmt.Errorf("report: file identity: %w", err)
	}
	idKey, caseKey := keys.NewKey(), keys.NewKey()
	return &Draft{Tenant: tenant, ID: NewID(), Keys: Keys{Report: keys.NewKey(), Identity: &idKey, Case: &caseKey}, fileIdentity: id}, nil
}

// AddFile encrypts one upload into the blob store.
func (d *Draft) AddFile(ctx context.Context, blobs blob.Store, name, contentType string, r io.Reader, maxSize int64, now time.Time) error {
	f, err := StoreFile(ctx, blobs, d.Keys.Report, d.Tenant, d.ID, d.fileIdentity.Recipient(), name, contentType, r, maxSize,
		store.AuthorWhistleblower, "", now)
	if err != nil {
		return err
	}
	d.Files = append(d.Files, f)
	return nil
}

// Discard removes the draft's blobs.
func (d *Draft) Discard(ctx context.Context, blobs blob.Store) {
	DiscardFiles(ctx, blobs, d.Files)
	d.Files = nil
}

// Submission is what Commit needs besides the draft itself.
type Submission struct {
	Channel    store.Channel
	Content    questionnaire.Answers
	Identity   questionnaire.Answers
	Recipients []store.Recipient
	// Custodians receive the identity key in custody (CA-3); handlers
	// never get it at submission. The caller has left out excluded users.
	Custodians []store.Recipient
	Receipt    keys.ReceiptKeys
	Now        time.Time
	// Statutory deadlines computed by the caller from the channel's policy.
	AckDue, FeedbackDue time.Time
	// Excluded lists handlers the whistleblower excluded (conflict of
	// interest); the caller has already left them out of Recipients.
	Excluded []string
	// InTx, if set, runs inside the commit's transaction (a parked
	// intake draft is deleted there, so that it is used once).
	InTx func(tx *store.Tx) error
}

// Commit seals the answers, wraps the report and case keys to every
// recipient, the identity key to every custodian, both answer keys to the
// receipt, and writes the report, its keys and its files in one
// transaction. It returns the case number.
func (d *Draft) Commit(ctx context.Context, db *store.DB, s Submission) (int64, error) {
	answers, err := sealJSON(d.Keys.Report, s.Content, adAnswers(d.Tenant, d.ID))
	if err != nil {
		return 0, err
	}
	var exclusions []byte
	if len(s.Excluded) > 0 {
		if exclusions, err = sealJSON(*d.Keys.Case, s.Excluded, ADExclusions(d.Tenant, d.ID)); err != nil {
			return 0, err
		}
	}
	var identity []byte
	if len(s.Identity) > 0 {
		if identity, err = sealJSON(*d.Keys.Identity, s.Identity, adIdentity(d.Tenant, d.ID)); err != nil {
			return 0, err
		}
	}
	wraps := []store.ReportKey{
		{Kind: store.KeyReport, HolderType: store.HolderReceipt, Alg: AlgSealV1,
			Wrapped: keys.Seal(s.Receipt.Key, d.Keys.Report[:], ADReceiptWrap(d.Tenant, d.ID, store.KeyReport))},
		{Kind: store.KeyIdentity, HolderType: store.HolderReceipt, Alg: AlgSealV1,
			Wrapped: keys.Seal(s.Receipt.Key, d.Keys.Identity[:], ADReceiptWrap(d.Tenant, d.ID, store.KeyIdentity))},
	}
	for _, r := range s.Recipients {
		// The identity key is not among them: a handler reads the identity
		// only after a custodian approves or the whistleblower consents.
		for kind, k := range map[string]keys.Key{store.KeyReport: d.Keys.Report, store.KeyCase: *d.Keys.Case} {
			w, err := keys.WrapKey(r.PublicKey, k)
			if err != nil {
				return 0, fmt.Errorf("report: wrap key for a handler: %w", err)
			}
			wraps = append(wraps, store.ReportKey{Kind: kind, HolderType: store.HolderUser, HolderID: r.UserID, Alg: AlgAgeX25519, Wrapped: w})
		}
	}
	for _, c := range s.Custodians {
		w, err := keys.WrapKey(c.PublicKey, *d.Keys.Identity)
		if err != nil {
			return 0, fmt.Errorf("report: wrap identity key for a custodian: %w", err)
		}
		wraps = append(wraps, store.ReportKey{Kind: store.KeyIdentity, HolderType: store.HolderCustodian, HolderID: c.UserID,
			Alg: AlgAgeX25519, Wrapped: w})
	}
	var number int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		n, err := tx.NextCaseNumber(ctx, d.Tenant)
		if err != nil {
			return err
		}
		number = n
		if err := tx.InsertReport(ctx, store.Report{
			TenantID: d.Tenant, ID: d.ID, CaseNumber: n, ChannelID: s.Channel.ID,
			QuestionnaireID: s.Channel.QuestionnaireID, QuestionnaireVersion: s.Channel.QuestionnaireVersion,
			Status: StatusReceived, ReceiptLookup: s.Receipt.Lookup,
			FileRecipient: d.fileIdentity.Recipient(),
			FileIdentity:  keys.Seal(d.Keys.Report, d.fileIdentity.Bytes(), adFileIdentity(d.Tenant, d.ID)),
			Answers:       answers, IdentityAnswers: identity,
			ReceivedAt: s.Now, LastActivityAt: s.Now,
			AckDueAt: s.AckDue, FeedbackDueAt: s.FeedbackDue, Exclusions: exclusions,
		}); err != nil {
			return err
		}
		if d.Lang != "" {
			if err := tx.SetReportLang(ctx, d.Tenant, d.ID, d.Lang); err != nil {
				return err
			}
		}
		for _, w := range wraps {
			w.TenantID, w.ReportID, w.CreatedAt = d.Tenant, d.ID, s.Now
			if err := tx.InsertReportKey(ctx, w); err != nil {
				return err
			}
		}
		for i, f := range d.Files {
			f.Row.Seq = i
			if err := tx.InsertFile(ctx, f.Row); err != nil {
				return err
			}
		}
		if s.InTx != nil {
			return s.InTx(tx)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return number, nil
}
