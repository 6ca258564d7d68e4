package report

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Transcripts and minutes of oral reports (JR-3; Directive art. 18(2)–(4)).
// Each version is sealed under the report key, so that both the handlers
// and the whistleblower (through the receipt) can read it. A document's
// versions go draft → sent → corrected → approved; once a version is
// approved the document is fixed: no step and no new version is accepted.

var (
	// ErrTranscriptFixed refuses any change to an approved document.
	ErrTranscriptFixed = errors.New("the transcript is approved and fixed; it cannot be changed")
	// ErrTranscriptState refuses a step the version cannot take now (not
	// the latest version, or not in a state that allows it).
	ErrTranscriptState = errors.New("this transcript version cannot take that step now")
	// ErrTranscriptNotFound answers an unknown transcript id.
	ErrTranscriptNotFound = errors.New("transcript not found")
)

// TranscriptView is one opened version.
type TranscriptView struct {
	ID         string     `json:"id"`
	DocID      string     `json:"document_id"`
	Version    int64      `json:"version"`
	Supersedes string     `json:"supersedes,omitempty"`
	State      string     `json:"state"`
	Author     string     `json:"author"`
	Text       string     `json:"text"`
	CreatedAt  time.Time  `json:"created_at"`
	SentAt     *time.Time `json:"sent_at"`
	ApprovedAt *time.Time `json:"approved_at"`
	Signed     bool       `json:"signed"`
}

func adTranscript(tenant, reportID, id string) []byte {
	return keys.AD(tenant, "transcript", reportID, id)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// transcriptMAC is the whistleblower's approval: a MAC, under a key
// derived from the report key, over the version's identity and its text.
func transcriptMAC(k keys.Key, t store.Transcript, text string) []byte {
	mk := k.Expand("transcript approval")
	m := hmac.New(sha256.New, mk[:])
	m.Write(adTranscript(t.TenantID, t.ReportID, t.ID))
	m.Write([]byte(strconv.FormatInt(t.Version, 10) + "\x00" + text))
	return m.Sum(nil)
}

// OpenTranscripts opens every version of a case's transcripts.
func OpenTranscripts(ctx context.Context, db *store.DB, k keys.Key, tenant, reportID string) ([]TranscriptView, error) {
	rows, err := db.Transcripts(ctx, tenant, reportID)
	if err != nil {
		return nil, err
	}
	out := make([]TranscriptView, 0, len(rows))
	for _, t := range rows {
		v, err := openTranscript(k, t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func openTranscript(k keys.Key, t store.Transcript) (TranscriptView, error) {
	raw, err := keys.Open(k, t.Body, adTranscript(t.TenantID, t.ReportID, t.ID))
	if err != nil {
		return TranscriptView{}, errors.New("report: open transcript: authentication failed")
	}
	v := TranscriptView{ID: t.ID, DocID: t.DocID, Version: t.Version, Supersedes: t.Supersedes, State: t.State,
		Author: t.AuthorType, Text: string(raw), CreatedAt: t.CreatedAt, SentAt: optTime(t.SentAt), ApprovedAt: optTime(t.ApprovedAt)}
	v.Signed = t.State == store.TranscriptApproved && hmac.Equal(t.Signature, transcriptMAC(k, t, v.Text))
	return v, nil
}

// docState finds version id among rows and tells whether its document is
// approved and whether it is the document's latest version.
func docState(rows []store.Transcript, id string) (t store.Transcript, approved, latest bool, err error) {
	i := slices.IndexFunc(rows, func(r store.Transcript) bool { return r.ID == id })
	if i < 0 {
		return store.Transcript{}, false, false, ErrTranscriptNotFound
	}
	t = rows[i]
	latest = true
	for _, r := range rows {
		if r.DocID != t.DocID {
			continue
		}
		if r.State == store.TranscriptApproved {
			approved = true
		}
		if r.Version > t.Version {
			latest = false
		}
	}
	return t, approved, latest, nil
}

// TranscriptStep is a new version or a state change of a transcript.
type TranscriptStep struct {
	Tenant, ReportID string
	AuthorType       string
	AuthorID         string
	Now              time.Time
	// InTx, if set, runs in the step's transaction with the changed row
	// (journal and audit entries).
	InTx func(tx *store.Tx, t store.Transcript) error
}

// NewTranscriptVersion stores a new version with the given text and
// state. With supersedes empty it starts a new document; otherwise
// supersedes must be the latest version of a document that is not
// approved, and (when from is not empty) be in one of the states from.
func NewTranscriptVersion(ctx context.Context, db *store.DB, k keys.Key, s TranscriptStep, supersedes, text, state string,
	from []string) (TranscriptView, error) {
	text, err := CheckText(text)
	if err != nil {
		return TranscriptView{}, err
	}
	t := store.Transcript{TenantID: s.Tenant, ID: store.NewID(), ReportID: s.ReportID, Version: 1, Supersedes: supersedes,
		State: state, AuthorType: s.AuthorType, AuthorID: s.AuthorID, CreatedAt: s.Now}
	t.DocID = t.ID
	if state != store.TranscriptDraft {
		t.SentAt = s.Now
	}
	if supersedes != "" {
		rows, err := db.Transcripts(ctx, s.Tenant, s.ReportID)
		if err != nil {
			return TranscriptView{}, err
		}
		old, approved, latest, err := docState(rows, supersedes)
		switch {
		case err != nil:
			return TranscriptView{}, err
		case approved:
			return TranscriptView{}, ErrTranscriptFixed
		case !latest, len(from) > 0 && !slices.Contains(from, old.State):
			return TranscriptView{}, ErrTranscriptState
		}
		t.DocID, t.Version = old.DocID, old.Version+1
	}
	t.Body = keys.Seal(k, []byte(text), adTranscript(t.TenantID, t.ReportID, t.ID))
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTranscript(ctx, t); err != nil {
			return err
		}
		if err := tx.TouchReport(ctx, s.Tenant, s.ReportID, s.Now); err != nil {
			return err
		}
		if s.InTx != nil {
			return s.InTx(tx, t)
		}
		return nil
	})
	if errors.Is(err, store.ErrDuplicate) {
		return TranscriptView{}, ErrTranscriptState // someone added a version meanwhile
	}
	if err != nil {
		return TranscriptView{}, err
	}
	return openTranscript(k, t)
}

// AdvanceTranscript moves the latest version of a document that is not
// approved from one of the states from to state to; approving signs it.
func AdvanceTranscript(ctx context.Context, db *store.DB, k keys.Key, s TranscriptStep, id string, from []string, to string) (TranscriptView, error) {
	rows, err := db.Transcripts(ctx, s.Tenant, s.ReportID)
	if err != nil {
		return TranscriptView{}, err
	}
	t, approved, latest, err := docState(rows, id)
	switch {
	case err != nil:
		return TranscriptView{}, err
	case approved:
		return TranscriptView{}, ErrTranscriptFixed
	case !latest, !slices.Contains(from, t.State):
		return TranscriptView{}, ErrTranscriptState
	}
	v, err := openTranscript(k, t)
	if err != nil {
		return TranscriptView{}, err
	}
	prev := t.State
	t.State = to
	if to == store.TranscriptApproved {
		t.ApprovedAt = s.Now
		t.Signature = transcriptMAC(k, t, v.Text)
	} else {
		t.SentAt = s.Now
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		ok, err := tx.SetTranscriptState(ctx, s.Tenant, t.ID, prev, to, s.Now, t.Signature)
		if err != nil {
			return err
		}
		if !ok {
			return ErrTranscriptState
		}
		if err := tx.TouchReport(ctx, s.Tenant, s.ReportID, s.Now); err != nil {
			return err
		}
		if s.InTx != nil {
			return s.InTx(tx, t)
		}
		return nil
	})
	if err != nil {
		return TranscriptView{}, err
	}
	return openTranscript(k, t)
}
