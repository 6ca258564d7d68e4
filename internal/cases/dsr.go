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
	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/redact"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Data-subject requests acting on a case (GDPR arts. 16 to 18; DSR-3).
// The DPO links an erasure, restriction or rectification request to the
// case or to one person of it (internal/privacy/dsr_links.go). Here the
// handlers of the case see those links, and carry out what needs the
// case key:
//
//   - Erasure of a person: the person record (name, aliases, relatives,
//     contact, notes, deferral, notice and every earlier version) is
//     deleted; the row keeps its pseudonym, marked erased. The journal is
//     append-only, so what it already says about the person is handled by
//     a decision the handler records: "redact" re-seals every entry that
//     names the person (name or alias, found by internal/detect) as a
//     copy with those mentions replaced by internal/redact's removal mark;
//     "keep" leaves the entries as they are under art. 17(3)(b) (a legal
//     obligation, e.g. the Directive's record of reports, art. 18) or
//     17(3)(e) (legal claims), with the reason sealed in the journal.
//     Report answers, messages and files are the whistleblower's report
//     and are not rewritten; messages or files manifestly irrelevant to
//     the case can be purged (JR-4). Disclosure notes stay: they are the
//     record of what left the case.
//   - Rectification: the corrected details become a new version of the
//     person record; the superseded one stays sealed (the record of what
//     was believed when decisions were taken) until an erasure or the
//     case's deletion, and a journal entry says which fields changed.
//   - Restriction (placed and lifted from the register): while it is in
//     force the case refuses exports, disclosure notes, access exports and
//     state changes, and changes to the restricted person, with
//     ErrRestricted (409 restricted). Reading stays possible and audited:
//     storage is what art. 18(2) allows, and the handler must be able to
//     see why the case is frozen.
//
// Every step is journaled (kind "dsr"; link, restriction and lifting come
// from the link rows and are merged into the journal when it is read, as
// the DPO holds no case key) and audited (case.dsr, ids and tokens only).

// EntryDSR journals a step of a data-subject request on the case.
const EntryDSR = "dsr"

// Grounds under which journal entries naming an erased person are kept.
const (
	GroundLegalObligation = "17(3)(b)"
	GroundLegalClaims     = "17(3)(e)"
)

// Journal decisions of an erasure.
const (
	ErasureRedact = "redact"
	ErasureKeep   = "keep"
)

var (
	// ErrRestricted refuses processing that a restriction (art. 18) freezes.
	ErrRestricted = errors.New("processing of this case is restricted on a data-subject request (GDPR art. 18): exports, disclosure notes, access exports, state changes and changes to the restricted person wait until the restriction is lifted")
	// ErrInvalidErasure refuses an erasure without a valid journal decision.
	ErrInvalidErasure = errors.New(`an erasure needs journal "redact", or "keep" with the ground "17(3)(b)" or "17(3)(e)" and a reason`)
	// ErrInvalidRectification refuses a rectification without a reason or a change.
	ErrInvalidRectification = errors.New("a rectification needs a reason and at least one changed field")
	// ErrLinkState refuses an action the link or its request does not allow.
	ErrLinkState = errors.New("this request cannot be carried out here: it was carried out already, its request is closed or the requester's identity is not verified, or the action does not fit the request")
)

// checkRestriction returns ErrRestricted when a restriction in force on
// the case covers the operation: personID "" is an operation on the whole
// case, which any restriction on it covers; otherwise only a restriction
// of the whole case or of that person does.
func (s *Service) checkRestriction(ctx context.Context, tenantID, reportID, personID string) error {
	rs, err := s.cfg.DB.Restrictions(ctx, tenantID, reportID)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if personID == "" || r.PersonID == "" || r.PersonID == personID {
			return ErrRestricted
		}
	}
	return nil
}

// CaseRequest is a data-subject request linked to the case, as its
// handlers see it: ids, type, scope, states and dates; nothing from the
// register (who asked and why is sealed under the register key).
type CaseRequest struct {
	LinkID        string     `json:"id"`
	RequestID     string     `json:"request_id"`
	RequestType   string     `json:"request_type"`
	RequestStatus string     `json:"request_status"`
	Verified      bool       `json:"verified"`
	Due           time.Time  `json:"due"`
	Scope         string     `json:"scope"` // case or person
	PersonID      string     `json:"person_id,omitempty"`
	Pseudonym     string     `json:"pseudonym,omitempty"`
	State         string     `json:"state"`
	Ground        string     `json:"ground,omitempty"`
	LinkedAt      time.Time  `json:"linked_at"`
	ActedAt       *time.Time `json:"acted_at,omitempty"`
	LiftedAt      *time.Time `json:"lifted_at,omitempty"`
	// Actions the caller can take on it here: erase, rectify.
	Actions []string `json:"actions"`
}

// CaseRequests is the answer of Requests.
type CaseRequests struct {
	Restricted bool          `json:"restricted"`
	Requests   []CaseRequest `json:"requests"`
}

func optT(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// Requests lists the data-subject requests linked to a case and whether a
// restriction is in force.
func (s *Service) Requests(ctx context.Context, st *accounts.Staff, reportID string) (CaseRequests, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return CaseRequests{}, err
	}
	links, err := s.cfg.DB.DSRLinksOfCase(ctx, st.TenantID, reportID)
	if err != nil {
		return CaseRequests{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "requests")); err != nil {
		return CaseRequests{}, err
	}
	out := CaseRequests{Requests: make([]CaseRequest, 0, len(links))}
	for _, l := range links {
		d, err := s.cfg.DB.DSRByID(ctx, st.TenantID, l.RequestID)
		if err != nil {
			return CaseRequests{}, err
		}
		r := CaseRequest{LinkID: l.ID, RequestID: l.RequestID, RequestType: l.RequestType, RequestStatus: d.Status,
			Verified: d.Verification == "verified", Due: d.DueAt, Scope: "case", PersonID: l.PersonID, Pseudonym: l.Pseudonym,
			State: l.State, Ground: l.Ground, LinkedAt: l.CreatedAt, ActedAt: optT(l.ActedAt), LiftedAt: optT(l.LiftedAt),
			Actions: []string{}}
		if l.PersonID != "" {
			r.Scope = "person"
		}
		if l.State == store.LinkRestricted {
			out.Restricted = true
		}
		if c.Keys.Case != nil && actionable(d, l) == nil {
			switch l.RequestType {
			case "erasure":
				r.Actions = append(r.Actions, "erase")
			case "rectification":
				r.Actions = append(r.Actions, "rectify")
			}
		}
		out.Requests = append(out.Requests, r)
	}
	return out, nil
}

// actionable tells whether a handler can carry out link l of request d:
// a pending person link of an open, verified request.
func actionable(d store.DataSubjectRequest, l store.DSRLink) error {
	if d.Status != "open" || d.Verification != "verified" || l.State != store.LinkPending || l.PersonID == "" {
		return ErrLinkState
	}
	return nil
}

// linkFor finds link linkID of the case and its request, checking the
// request's type.
func (s *Service) linkFor(ctx context.Context, st *accounts.Staff, reportID, linkID, requestType string) (store.DSRLink, error) {
	links, err := s.cfg.DB.DSRLinksOfCase(ctx, st.TenantID, reportID)
	if err != nil {
		return store.DSRLink{}, err
	}
	i := slices.IndexFunc(links, func(l store.DSRLink) bool { return l.ID == linkID })
	if i < 0 {
		return store.DSRLink{}, ErrNotFound
	}
	l := links[i]
	d, err := s.cfg.DB.DSRByID(ctx, st.TenantID, l.RequestID)
	if err != nil {
		return store.DSRLink{}, err
	}
	if l.RequestType != requestType {
		return store.DSRLink{}, ErrLinkState
	}
	return l, actionable(d, l)
}

// Erasure is the handler's decision on an erasure of a person.
type Erasure struct {
	Journal string `json:"journal"` // redact or keep
	Ground  string `json:"ground,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

func (in Erasure) check() (Erasure, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	switch in.Journal {
	case ErasureRedact:
		in.Ground = ""
	case ErasureKeep:
		if in.Ground != GroundLegalObligation && in.Ground != GroundLegalClaims || in.Reason == "" {
			return in, ErrInvalidErasure
		}
	default:
		return in, ErrInvalidErasure
	}
	if in.Reason != "" {
		r, err := report.CheckText(in.Reason)
		if err != nil || utf8.RuneCountInString(r) > report.MaxMessageLen {
			return in, ErrInvalidErasure
		}
		in.Reason = r
	}
	return in, nil
}

// ErasePerson carries out a linked erasure request on one person (see the
// comment at the top of this file). Everything happens in one transaction.
func (s *Service) ErasePerson(ctx context.Context, st *accounts.Staff, reportID, linkID string, in Erasure) (CaseRequest, error) {
	c, _, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return CaseRequest{}, err
	}
	if in, err = in.check(); err != nil {
		return CaseRequest{}, err
	}
	l, err := s.linkFor(ctx, st, reportID, linkID, "erasure")
	if err != nil {
		return CaseRequest{}, err
	}
	p, err := s.cfg.DB.Person(ctx, st.TenantID, reportID, l.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return CaseRequest{}, ErrLinkState // removed meanwhile: erase it as a person no more
	}
	if err != nil {
		return CaseRequest{}, err
	}
	var d PersonDetails
	if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
		return CaseRequest{}, fmt.Errorf("cases: open person: %w", err)
	}
	// Earlier versions may carry a name that was since corrected.
	names := []detect.Person{{Name: d.Name, Aliases: d.Aliases}}
	versions, err := s.cfg.DB.PersonVersions(ctx, st.TenantID, p.ID)
	if err != nil {
		return CaseRequest{}, err
	}
	for _, v := range versions {
		var old PersonDetails
		if report.OpenJSON(*c.Keys.Case, v.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &old) == nil {
			names = append(names, detect.Person{Name: old.Name, Aliases: old.Aliases})
		}
	}
	finder := detect.NewPersons(names)
	now := s.cfg.Now()
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		locked, err := tx.LockDSRLink(ctx, st.TenantID, l.RequestID, l.ID)
		if err != nil {
			return err
		}
		if locked.State != store.LinkPending {
			return ErrLinkState
		}
		var resealed []string
		if in.Journal == ErasureRedact {
			if resealed, err = s.redactJournal(ctx, tx, *c.Keys.Case, st.TenantID, reportID, finder); err != nil {
				return err
			}
		}
		if err := tx.ErasePerson(ctx, st.TenantID, reportID, p.ID, now); err != nil {
			return err
		}
		if err := tx.SetDSRLinkActed(ctx, st.TenantID, l.ID, store.LinkErased, in.Ground, st.UserID, now); err != nil {
			return err
		}
		entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
			Kind: EntryDSR, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
			journalBody{Action: "erase", Person: p.Pseudonym, Text: in.Journal, Basis: in.Ground, Reason: in.Reason,
				RequestID: l.RequestID, EntryIDs: resealed})
		if err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseDSR, audit.ObjectCase, reportID, "erase."+in.Journal))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return CaseRequest{}, ErrLinkState
	}
	if err != nil {
		return CaseRequest{}, err
	}
	return s.caseRequest(ctx, st, reportID, l.ID)
}

// redactJournal re-seals, in tx, every journal entry of the case that
// names one of the persons found by finder, with each mention replaced
// by redact.RemovedMark. It returns the ids of the entries it changed.
func (s *Service) redactJournal(ctx context.Context, tx *store.Tx, k keys.Key, tenantID, reportID string, finder *detect.Persons) ([]string, error) {
	entries, err := tx.Journal(ctx, tenantID, reportID)
	if err != nil {
		return nil, err
	}
	var changed []string
	for _, e := range entries {
		ad := report.ADJournal(e.TenantID, e.ReportID, e.ID)
		raw, err := keys.Open(k, e.Body, ad)
		if err != nil {
			return nil, fmt.Errorf("cases: open journal entry: %w", err)
		}
		var body any
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, fmt.Errorf("cases: decode journal entry: %w", err)
		}
		out, hit, err := redactValue(body, finder)
		if err != nil {
			return nil, err
		}
		if !hit {
			continue
		}
		b, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("cases: encode journal entry: %w", err)
		}
		if err := tx.ResealJournalEntry(ctx, tenantID, reportID, e.ID, keys.Seal(k, b, ad)); err != nil {
			return nil, err
		}
		changed = append(changed, e.ID)
	}
	return changed, nil
}

// redactValue replaces the mentions finder finds in every string of a
// decoded JSON value.
func redactValue(v any, finder *detect.Persons) (any, bool, error) {
	switch x := v.(type) {
	case string:
		found := finder.Detect(x)
		if len(found) == 0 {
			return x, false, nil
		}
		res, err := redact.Text(x, found, redact.Options{Mode: redact.Remove})
		if err != nil {
			return nil, false, fmt.Errorf("cases: redact journal entry: %w", err)
		}
		return res.Text, res.Text != x, nil
	case []any:
		hit := false
		for i := range x {
			y, h, err := redactValue(x[i], finder)
			if err != nil {
				return nil, false, err
			}
			x[i], hit = y, hit || h
		}
		return x, hit, nil
	case map[string]any:
		hit := false
		for key, val := range x {
			y, h, err := redactValue(val, finder)
			if err != nil {
				return nil, false, err
			}
			x[key], hit = y, hit || h
		}
		return x, hit, nil
	}
	return v, false, nil
}

// Rectification is a linked rectification request carried out: the
// corrected fields (nil: unchanged) and the reason.
type Rectification struct {
	Name      *string   `json:"name,omitempty"`
	Aliases   *[]string `json:"aliases,omitempty"`
	Relatives *[]string `json:"relatives,omitempty"`
	Contact   *string   `json:"contact,omitempty"`
	Notes     *string   `json:"notes,omitempty"`
	Reason    string    `json:"reason"`
}

// RectifyPerson carries out a linked rectification request: the person
// record gets a new version with the corrected details, the old one is
// kept sealed, and a journal entry names the changed fields.
func (s *Service) RectifyPerson(ctx context.Context, st *accounts.Staff, reportID, linkID string, in Rectification) (CaseRequest, error) {
	c, _, err := s.openForPersons(ctx, st, reportID)
	if err != nil {
		return CaseRequest{}, err
	}
	reason, err := report.CheckText(strings.TrimSpace(in.Reason))
	if err != nil || reason == "" || utf8.RuneCountInString(reason) > report.MaxMessageLen {
		return CaseRequest{}, ErrInvalidRectification
	}
	l, err := s.linkFor(ctx, st, reportID, linkID, "rectification")
	if err != nil {
		return CaseRequest{}, err
	}
	p, err := s.cfg.DB.Person(ctx, st.TenantID, reportID, l.PersonID)
	if errors.Is(err, store.ErrNotFound) {
		return CaseRequest{}, ErrLinkState
	}
	if err != nil {
		return CaseRequest{}, err
	}
	var d PersonDetails
	if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
		return CaseRequest{}, fmt.Errorf("cases: open person: %w", err)
	}
	var changed []string
	for _, f := range []struct {
		name string
		in   *string
		to   *string
	}{{"name", in.Name, &d.Name}, {"contact", in.Contact, &d.Contact}, {"notes", in.Notes, &d.Notes}} {
		if f.in != nil && strings.TrimSpace(*f.in) != *f.to {
			*f.to = *f.in
			changed = append(changed, f.name)
		}
	}
	for _, f := range []struct {
		name string
		in   *[]string
		to   *[]string
	}{{"aliases", in.Aliases, &d.Aliases}, {"relatives", in.Relatives, &d.Relatives}} {
		if f.in != nil && !slices.Equal(*f.in, *f.to) {
			*f.to = *f.in
			changed = append(changed, f.name)
		}
	}
	if len(changed) == 0 {
		return CaseRequest{}, ErrInvalidRectification
	}
	if d, err = d.check(); err != nil {
		return CaseRequest{}, err
	}
	details, err := sealPersonJSON(*c.Keys.Case, d, ADPerson(p.TenantID, reportID, p.ID, "details"))
	if err != nil {
		return CaseRequest{}, err
	}
	now := s.cfg.Now()
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		locked, err := tx.LockDSRLink(ctx, st.TenantID, l.RequestID, l.ID)
		if err != nil {
			return err
		}
		if locked.State != store.LinkPending {
			return ErrLinkState
		}
		version, err := tx.RectifyPerson(ctx, p, details, now)
		if err != nil {
			return err
		}
		if err := tx.SetDSRLinkActed(ctx, st.TenantID, l.ID, store.LinkRectified, "", st.UserID, now); err != nil {
			return err
		}
		entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
			Kind: EntryDSR, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
			journalBody{Action: "rectify", Person: p.Pseudonym, Text: "changed: " + strings.Join(changed, ", "),
				To: fmt.Sprintf("version %d", version), Reason: reason, RequestID: l.RequestID})
		if err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseDSR, audit.ObjectCase, reportID, "rectify"))
		return err
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrDuplicate) {
		return CaseRequest{}, ErrConflict
	}
	if err != nil {
		return CaseRequest{}, err
	}
	return s.caseRequest(ctx, st, reportID, l.ID)
}

// caseRequest reloads one linked request after a change.
func (s *Service) caseRequest(ctx context.Context, st *accounts.Staff, reportID, linkID string) (CaseRequest, error) {
	links, err := s.cfg.DB.DSRLinksOfCase(ctx, st.TenantID, reportID)
	if err != nil {
		return CaseRequest{}, err
	}
	for _, l := range links {
		if l.ID != linkID {
			continue
		}
		d, err := s.cfg.DB.DSRByID(ctx, st.TenantID, l.RequestID)
		if err != nil {
			return CaseRequest{}, err
		}
		r := CaseRequest{LinkID: l.ID, RequestID: l.RequestID, RequestType: l.RequestType, RequestStatus: d.Status,
			Verified: d.Verification == "verified", Due: d.DueAt, Scope: "person", PersonID: l.PersonID, Pseudonym: l.Pseudonym,
			State: l.State, Ground: l.Ground, LinkedAt: l.CreatedAt, ActedAt: optT(l.ActedAt), LiftedAt: optT(l.LiftedAt),
			Actions: []string{}}
		if l.PersonID == "" {
			r.Scope = "case"
		}
		return r, nil
	}
	return CaseRequest{}, ErrNotFound
}

// dsrJournal merges the register-side steps on the case (link, restrict,
// lift, erasure of the whole case is not here: the case is gone) into the
// journal; they live in the link rows because the DPO who takes them
// holds no case key. Erasure and rectification of a person have their own
// sealed entries.
func (s *Service) dsrJournal(ctx context.Context, c *Case) ([]JournalView, error) {
	links, err := s.cfg.DB.DSRLinksOfCase(ctx, c.Report.TenantID, c.Report.ID)
	if err != nil {
		return nil, err
	}
	var out []JournalView
	for _, l := range links {
		ev := func(action, by string, at time.Time) JournalView {
			return JournalView{ID: l.ID + ":" + action, Kind: EntryDSR, AuthorType: store.AuthorStaff, AuthorID: by,
				CreatedAt: at, Action: action, Person: l.Pseudonym, Text: l.RequestType, RequestID: l.RequestID}
		}
		out = append(out, ev("link", l.CreatedBy, l.CreatedAt))
		if l.State == store.LinkRestricted || l.State == store.LinkLifted {
			out = append(out, ev("restrict", l.ActedBy, l.ActedAt))
		}
		if l.State == store.LinkLifted {
			out = append(out, ev("lift", l.LiftedBy, l.LiftedAt))
		}
	}
	return out, nil
}

// DropBlobs deletes blobs whose rows and keys are already gone (a case
// erased from the register). A failure leaves key-less ciphertext that
// the orphan sweeper removes.
func (s *Service) DropBlobs(ctx context.Context, blobKeys []string) {
	for _, k := range blobKeys {
		_ = s.cfg.Blobs.Delete(ctx, k)
	}
}
