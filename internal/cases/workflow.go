package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/notify"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Case states (CW-1). A report arrives as received; screening records
// scope, urgency and conflicts; investigation follows; closing needs an
// outcome, a reason and a final message to the whistleblower.
const (
	StateReceived      = report.StatusReceived
	StateScreening     = "screening"
	StateInvestigation = "investigation"
	StateClosed        = "closed"
)

// transitions lists where each state may go. Screening may close a case
// at once (unfounded, outside the scheme, forwarded); a closed case can
// be reopened into investigation, with a reason.
var transitions = map[string][]string{
	StateReceived:      {StateScreening},
	StateScreening:     {StateInvestigation, StateClosed},
	StateInvestigation: {StateClosed},
	StateClosed:        {StateInvestigation},
}

// AllowedTransitions lists the states a case in state from may move to.
func AllowedTransitions(from string) []string { return slices.Clone(transitions[from]) }

// Outcomes are the standard closing reasons (CW-7); the free-text reason
// goes into the sealed journal, the outcome id stays in clear for
// statistics.
var Outcomes = []string{"unfounded", "outside_scope", "forwarded_to_authority", "substantiated", "not_substantiated"}

// Journal sources: where a piece of information came from (JR-1).
var Sources = []string{"whistleblower", "handler", "other_authority", "meeting", "phone_call", "document"}

var (
	ErrInvalidTransition = errors.New("the case cannot move to that state from its current one")
	ErrReasonRequired    = errors.New("a reason is required")
	ErrOutcomeRequired   = errors.New("closing requires one of the standard outcomes")
	ErrMessageRequired   = errors.New("closing requires a final message to the whistleblower")
	ErrInvalidNote       = errors.New("a journal entry needs text (at most 20,000 characters), a known source and a date learned (YYYY-MM-DD) not in the future")
	ErrNoCaseKey         = errors.New("this case has no staff key; it predates the journal")
	// ErrConflict means someone else changed the case first; reload and retry.
	ErrConflict = errors.New("the case was changed by someone else; reload it")
)

// Journal entry kinds.
const (
	EntryNote  = "note"
	EntryState = "state"
)

// Transition asks for a state change.
type Transition struct {
	To      string
	Outcome string // closing only
	Reason  string // closing and reopening
	Message string // closing only: the final outcome sent to the whistleblower (CW-6)
}

// journalBody is what a journal entry seals.
type journalBody struct {
	Text      string `json:"text,omitempty"`
	Source    string `json:"source,omitempty"`
	LearnedOn string `json:"learned_on,omitempty"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
	Outcome   string `json:"outcome,omitempty"`
	Reason    string `json:"reason,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Action    string `json:"action,omitempty"`  // access: grant or revoke
	UserID    string `json:"user_id,omitempty"` // access: whose access changed
	Person    string `json:"person,omitempty"`  // person: the pseudonym, never the name
	Basis     string `json:"basis,omitempty"`   // person: the legal basis of a deferral
	// Purge (JR-4): which messages and files were removed; ids only.
	MessageIDs []string `json:"message_ids,omitempty"`
	FileIDs    []string `json:"file_ids,omitempty"`
	// Disclosure (DA-1): the note's id, recipient, date, the selected
	// question ids and identity question ids (ids only, never content),
	// and at finalisation the identity basis. Basis holds the legal
	// basis, MessageIDs and FileIDs the selected messages and files,
	// MessageID the notice sent to the whistleblower.
	DisclosureID  string   `json:"disclosure_id,omitempty"`
	Recipient     string   `json:"recipient,omitempty"`
	Date          string   `json:"date,omitempty"`
	QuestionIDs   []string `json:"question_ids,omitempty"`
	IdentityIDs   []string `json:"identity_ids,omitempty"`
	IdentityBasis string   `json:"identity_basis,omitempty"`
	// Anonymised copies (DA-2, kind "redaction"): the copy's id, with the
	// source file in FileIDs; a disclosure note names its copies in
	// RedactionIDs. Ids and step words only, never findings or values.
	RedactionID  string   `json:"redaction_id,omitempty"`
	RedactionIDs []string `json:"redaction_ids,omitempty"`
	// Data-subject requests (kind "dsr", dsr.go): the request's id and,
	// for an erasure, the ids of the entries re-sealed redacted.
	RequestID string   `json:"request_id,omitempty"`
	EntryIDs  []string `json:"entry_ids,omitempty"`
}

func sealEntry(k keys.Key, e store.JournalEntry, b journalBody) (store.JournalEntry, error) {
	raw, err := json.Marshal(b)
	if err != nil {
		return store.JournalEntry{}, fmt.Errorf("cases: encode journal entry: %w", err)
	}
	e.Body = keys.Seal(k, raw, report.ADJournal(e.TenantID, e.ReportID, e.ID))
	return e, nil
}

// ChangeState moves a case, journaling the change; closing also sends the
// final message to the whistleblower and records that feedback was given.
func (s *Service) ChangeState(ctx context.Context, st *accounts.Staff, reportID string, t Transition) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	if err := s.checkRestriction(ctx, st.TenantID, reportID, ""); err != nil {
		return err
	}
	from := c.Report.Status
	if !slices.Contains(transitions[from], t.To) {
		return ErrInvalidTransition
	}
	reason := strings.TrimSpace(t.Reason)
	closing, reopening := t.To == StateClosed, from == StateClosed
	if closing {
		// The organisation's closing reasons (the built-in Outcomes
		// unless configured); an empty message takes the outcome's
		// template (settings.go).
		if t.Message, err = s.closingMessage(ctx, c, t); err != nil {
			return err
		}
		if reason == "" {
			return ErrReasonRequired
		}
		if strings.TrimSpace(t.Message) == "" {
			return ErrMessageRequired
		}
	}
	if reopening && reason == "" {
		return ErrReasonRequired
	}
	if utf8.RuneCountInString(reason) > report.MaxMessageLen {
		return ErrInvalidNote
	}
	now := s.cfg.Now()
	var msg store.Message
	if closing {
		if msg, err = report.NewMessage(c.Keys.Report, st.TenantID, reportID, store.AuthorStaff, st.UserID, t.Message, now); err != nil {
			return err
		}
	}
	outcome := ""
	if closing {
		outcome = t.Outcome
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryState, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{From: from, To: t.To, Outcome: outcome, Reason: reason, MessageID: msg.ID})
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.ChangeState(ctx, store.StateChange{TenantID: st.TenantID, ReportID: reportID, From: from, To: t.To,
			At: now, Outcome: outcome, Close: closing, Reopen: reopening}); err != nil {
			return err
		}
		// A custom status belongs to a state: changing the state clears it.
		if err := tx.SetCustomStatus(ctx, st.TenantID, reportID, t.To, ""); err != nil {
			return err
		}
		if closing {
			if err := tx.InsertMessage(ctx, msg); err != nil {
				return err
			}
			// The outcome message also acknowledges a report closed
			// without an earlier reply.
			if _, err := tx.SetAcknowledged(ctx, st.TenantID, reportID, now, now); err != nil {
				return err
			}
			if err := tx.SetFeedbackGiven(ctx, st.TenantID, reportID, now); err != nil {
				return err
			}
			// DN-2: a standard notice for every person not yet notified.
			if err := s.generateNotices(ctx, tx, st, c, now); err != nil {
				return err
			}
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseStateChange, audit.ObjectCase, reportID, t.To))
		return err
	})
	if errors.Is(err, store.ErrStateChanged) {
		return ErrConflict
	}
	return err
}

// EntryDeadline journals a deadline extension.
const EntryDeadline = "deadline"

// MaxExtensionDays bounds one extension. The Directive allows external
// channels up to 6 months in duly justified cases (art. 11(2)(d)); an
// internal channel extending further than that needs a second look.
const MaxExtensionDays = 92

// ErrInvalidExtension rejects an extension without a reason, of a case
// without an open feedback deadline, or by an unreasonable number of days.
var ErrInvalidExtension = errors.New("an extension needs a reason, 1 to 92 days and an open feedback deadline")

// ExtendFeedback moves the feedback deadline by days, with a reason (CW-3).
// The change is journaled and audited, and reminders start over for the
// new date.
func (s *Service) ExtendFeedback(ctx context.Context, st *accounts.Staff, reportID string, days int, reason string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	reason = strings.TrimSpace(reason)
	r := c.Report
	if reason == "" || utf8.RuneCountInString(reason) > report.MaxMessageLen || days < 1 || days > MaxExtensionDays ||
		r.FeedbackDueAt.IsZero() || !r.FeedbackGivenAt.IsZero() || !r.ClosedAt.IsZero() {
		return ErrInvalidExtension
	}
	ch, err := s.cfg.DB.Channel(ctx, r.TenantID, r.ChannelID)
	if err != nil {
		return err
	}
	t, err := s.cfg.DB.Tenant(ctx, r.TenantID)
	if err != nil {
		return err
	}
	policy, err := report.DeadlinePolicy(ch, t)
	if err != nil {
		return err
	}
	newDue := policy.Extend(r.FeedbackDueAt, days)
	now := s.cfg.Now()
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryDeadline, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{Reason: reason, From: r.FeedbackDueAt.UTC().Format(time.RFC3339), To: newDue.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetFeedbackDue(ctx, st.TenantID, reportID, newDue); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseDeadline, audit.ObjectCase, reportID, "feedback"))
		return err
	})
	if err != nil {
		return err
	}
	return s.cfg.DB.ResetReminders(ctx, st.TenantID, reportID, notify.KindFeedbackDueSoon, notify.KindFeedbackOverdue)
}

// Note is a journal entry written by a handler: what was learned or done,
// where it came from and when it was learned (JR-1).
type Note struct {
	Text      string
	Source    string
	LearnedOn string // YYYY-MM-DD
}

func (s *Service) checkNote(n Note) (Note, error) {
	n.Text = strings.TrimSpace(n.Text)
	text, err := report.CheckText(n.Text)
	if err != nil {
		return Note{}, ErrInvalidNote
	}
	n.Text = text
	if !slices.Contains(Sources, n.Source) {
		return Note{}, ErrInvalidNote
	}
	d, err := time.Parse(time.DateOnly, n.LearnedOn)
	if err != nil || d.After(s.cfg.Now()) {
		return Note{}, ErrInvalidNote
	}
	return n, nil
}

// AddNote appends a note to the journal. With supersedes set it is a
// correction: a new version that links to the old one; both stay readable.
func (s *Service) AddNote(ctx context.Context, st *accounts.Staff, reportID string, n Note, supersedes string) (JournalView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return JournalView{}, err
	}
	if c.Keys.Case == nil {
		return JournalView{}, ErrNoCaseKey
	}
	n, err = s.checkNote(n)
	if err != nil {
		return JournalView{}, err
	}
	if supersedes != "" {
		old, err := s.cfg.DB.JournalEntryByID(ctx, st.TenantID, reportID, supersedes)
		if errors.Is(err, store.ErrNotFound) || err == nil && old.Kind != EntryNote {
			return JournalView{}, ErrNotFound
		}
		if err != nil {
			return JournalView{}, err
		}
	}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryNote, AuthorType: store.AuthorStaff, AuthorID: st.UserID, Supersedes: supersedes, CreatedAt: s.cfg.Now()},
		journalBody{Text: n.Text, Source: n.Source, LearnedOn: n.LearnedOn})
	if err != nil {
		return JournalView{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if entry, err = tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseJournal, audit.ObjectCase, reportID, ""))
		return err
	})
	if err != nil {
		return JournalView{}, err
	}
	return JournalView{ID: entry.ID, Seq: entry.Seq, Kind: entry.Kind, AuthorType: entry.AuthorType, AuthorID: entry.AuthorID,
		Supersedes: supersedes, CreatedAt: entry.CreatedAt, Text: n.Text, Source: n.Source, LearnedOn: n.LearnedOn}, nil
}

// JournalView is one opened journal entry. Messages and files appear in
// the journal too: they are append-only already, so they are merged in
// when read rather than copied.
type JournalView struct {
	ID           string    `json:"id"`
	Seq          int64     `json:"seq,omitempty"`
	Kind         string    `json:"kind"` // note, state, message, file
	AuthorType   string    `json:"author_type"`
	AuthorID     string    `json:"author_id,omitempty"`
	Supersedes   string    `json:"supersedes,omitempty"`
	SupersededBy string    `json:"superseded_by,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	Text         string    `json:"text,omitempty"`
	Source       string    `json:"source,omitempty"`
	LearnedOn    string    `json:"learned_on,omitempty"`
	From         string    `json:"from,omitempty"`
	To           string    `json:"to,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	MessageID    string    `json:"message_id,omitempty"`
	FileID       string    `json:"file_id,omitempty"`
	Action       string    `json:"action,omitempty"`
	UserID       string    `json:"user_id,omitempty"`
	Person       string    `json:"person,omitempty"` // pseudonym of a person concerned
	Basis        string    `json:"basis,omitempty"`
	MessageIDs   []string  `json:"message_ids,omitempty"` // purge, disclosure
	FileIDs      []string  `json:"file_ids,omitempty"`    // purge, disclosure
	// Disclosure notes (kind "disclosure"): ids and the recipient, basis
	// and date only, never the disclosed content.
	DisclosureID  string   `json:"disclosure_id,omitempty"`
	Recipient     string   `json:"recipient,omitempty"`
	Date          string   `json:"date,omitempty"`
	QuestionIDs   []string `json:"question_ids,omitempty"`
	IdentityIDs   []string `json:"identity_ids,omitempty"`
	IdentityBasis string   `json:"identity_basis,omitempty"`
	// Anonymised copies (kind "redaction"): Action is the step.
	RedactionID  string   `json:"redaction_id,omitempty"`
	RedactionIDs []string `json:"redaction_ids,omitempty"`
	// Data-subject requests (kind "dsr"): Action is the step.
	RequestID string   `json:"request_id,omitempty"`
	EntryIDs  []string `json:"entry_ids,omitempty"`
}

// Journal opens a case's journal, merged with its messages and files in
// time order.
func (s *Service) Journal(ctx context.Context, st *accounts.Staff, reportID string) ([]JournalView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	v, err := report.Load(ctx, s.cfg.DB, c.Report, c.Keys)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "journal")); err != nil {
		return nil, err
	}
	var out []JournalView
	if c.Keys.Case != nil {
		entries, err := s.cfg.DB.Journal(ctx, st.TenantID, reportID)
		if err != nil {
			return nil, err
		}
		supersededBy := map[string]string{}
		for _, e := range entries {
			if e.Supersedes != "" {
				supersededBy[e.Supersedes] = e.ID
			}
		}
		for _, e := range entries {
			raw, err := keys.Open(*c.Keys.Case, e.Body, report.ADJournal(e.TenantID, e.ReportID, e.ID))
			if err != nil {
				return nil, fmt.Errorf("cases: open journal entry: %w", err)
			}
			var b journalBody
			if err := json.Unmarshal(raw, &b); err != nil {
				return nil, fmt.Errorf("cases: decode journal entry: %w", err)
			}
			out = append(out, JournalView{ID: e.ID, Seq: e.Seq, Kind: e.Kind, AuthorType: e.AuthorType, AuthorID: e.AuthorID,
				Supersedes: e.Supersedes, SupersededBy: supersededBy[e.ID], CreatedAt: e.CreatedAt,
				Text: b.Text, Source: b.Source, LearnedOn: b.LearnedOn, From: b.From, To: b.To, Outcome: b.Outcome,
				Reason: b.Reason, MessageID: b.MessageID, Action: b.Action, UserID: b.UserID, Person: b.Person, Basis: b.Basis,
				MessageIDs: b.MessageIDs, FileIDs: b.FileIDs, DisclosureID: b.DisclosureID, Recipient: b.Recipient, Date: b.Date,
				QuestionIDs: b.QuestionIDs, IdentityIDs: b.IdentityIDs, IdentityBasis: b.IdentityBasis,
				RedactionID: b.RedactionID, RedactionIDs: b.RedactionIDs, RequestID: b.RequestID, EntryIDs: b.EntryIDs})
		}
	}
	for _, m := range v.Messages {
		out = append(out, JournalView{ID: m.ID, Kind: "message", AuthorType: m.AuthorType, AuthorID: m.AuthorID,
			CreatedAt: m.CreatedAt, Text: m.Text, MessageID: m.ID})
	}
	for _, f := range v.Files {
		out = append(out, JournalView{ID: f.ID, Kind: "file", AuthorType: f.AuthorType, CreatedAt: f.CreatedAt,
			Text: f.Name, FileID: f.ID})
	}
	// Identity requests, decisions and consents live in their own rows,
	// since a custodian or the whistleblower may hold no case key.
	identity, err := s.identityJournal(ctx, st, c)
	if err != nil {
		return nil, err
	}
	out = append(out, identity...)
	// Links, restrictions and their lifting (dsr.go), from their own rows.
	requests, err := s.dsrJournal(ctx, c)
	if err != nil {
		return nil, err
	}
	out = append(out, requests...)
	// Transcript versions and their steps (JR-3), from their own rows.
	transcripts, err := s.transcriptJournal(ctx, c)
	if err != nil {
		return nil, err
	}
	out = append(out, transcripts...)
	slices.SortStableFunc(out, func(a, b JournalView) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}
