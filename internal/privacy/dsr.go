package privacy

import (
	"context"
	"encoding/json"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// NewRequest is the input of RecordRequest. Requester, Contact and
// Description are sealed.
type NewRequest struct {
	Type        string    `json:"type"`
	Channel     string    `json:"channel"`
	ReceivedAt  time.Time `json:"received_at"`
	Requester   string    `json:"requester,omitempty"`
	Contact     string    `json:"contact,omitempty"`
	Description string    `json:"description,omitempty"`
}

// Verification records how the requester's identity was established (DSR-1).
type Verification struct {
	Method   string `json:"method"`              // in_person, call_back or registered_address
	OnBehalf string `json:"on_behalf,omitempty"` // "", parent or power_of_attorney
	Note     string `json:"note,omitempty"`
}

// Extension extends the deadline under art. 12(3) (DSR-2).
type Extension struct {
	Months     int       `json:"months"`                // 1 or 2
	Reason     string    `json:"reason"`                // the reasons given to the requester
	InformedAt time.Time `json:"informed_at,omitempty"` // when the requester was told; zero: now
}

// Completion closes a request as answered.
type Completion struct {
	Note                string `json:"note,omitempty"`
	RestrictionCitation string `json:"restriction_citation,omitempty"` // e.g. "DK databeskyttelseslov § 22" for a partial answer
}

// Refusal closes a request as refused (DSR-4).
type Refusal struct {
	Reason              string `json:"reason"`
	ComplaintNotice     bool   `json:"complaint_notice_given"`
	RestrictionCitation string `json:"restriction_citation,omitempty"`
}

// RequestView is a request as shown to admins and the DPO. Requester and
// the entries are present only when one request is opened.
type RequestView struct {
	ID              string      `json:"id"`
	Type            string      `json:"type"`
	Channel         string      `json:"channel"`
	ReceivedAt      time.Time   `json:"received_at"`
	Due             time.Time   `json:"due"`
	Overdue         bool        `json:"overdue"`
	ExtendedMonths  int         `json:"extended_months"`
	ExtendedAt      *time.Time  `json:"extended_at"`
	InformedAt      *time.Time  `json:"requester_informed_at"`
	Verification    string      `json:"verification"`
	VerifyMethod    string      `json:"verification_method,omitempty"`
	OnBehalf        string      `json:"on_behalf,omitempty"`
	VerifiedAt      *time.Time  `json:"verified_at"`
	Status          string      `json:"status"`
	ClosedAt        *time.Time  `json:"closed_at"`
	ComplaintNotice bool        `json:"complaint_notice_given"`
	CreatedAt       time.Time   `json:"created_at"`
	Requester       *NewRequest `json:"request,omitempty"`
	Entries         []EntryView `json:"entries,omitempty"`
	// Links are the cases and persons an erasure, restriction or
	// rectification acts on (dsr_links.go); only when one request is opened.
	Links []LinkView `json:"links,omitempty"`
}

func requestView(d store.DataSubjectRequest, now time.Time) RequestView {
	return RequestView{ID: d.ID, Type: d.Type, Channel: d.Channel, ReceivedAt: d.ReceivedAt, Due: d.DueAt,
		Overdue: d.Status == RequestOpen && Overdue(d.DueAt, now), ExtendedMonths: d.ExtendedMonths,
		ExtendedAt: optTime(d.ExtendedAt), InformedAt: optTime(d.InformedAt), Verification: d.Verification,
		VerifyMethod: d.VerifyMethod, OnBehalf: d.OnBehalf, VerifiedAt: optTime(d.VerifiedAt), Status: d.Status,
		ClosedAt: optTime(d.ClosedAt), ComplaintNotice: d.ComplaintNotice, CreatedAt: d.CreatedAt}
}

// RecordRequest registers a data-subject request, unverified, due one
// calendar month after receipt.
func (s *Service) RecordRequest(ctx context.Context, st *accounts.Staff, in NewRequest) (RequestView, error) {
	if err := s.authorize(st); err != nil {
		return RequestView{}, err
	}
	now := s.now()
	in.Requester, in.Contact, in.Description = clean(in.Requester), clean(in.Contact), clean(in.Description)
	var bad []string
	if !requestTypes[in.Type] {
		bad = append(bad, "type")
	}
	if !requestChannels[in.Channel] {
		bad = append(bad, "channel")
	}
	if in.ReceivedAt.IsZero() || in.ReceivedAt.After(now) {
		bad = append(bad, "received_at")
	}
	if len(bad) > 0 {
		return RequestView{}, ErrInvalid.with(bad...)
	}
	if in.Requester == "" && in.Contact == "" {
		return RequestView{}, ErrRequesterRequired
	}
	if err := checkText(map[string]string{"requester": in.Requester, "contact": in.Contact, "description": in.Description}); err != nil {
		return RequestView{}, err
	}
	loc, err := s.location(ctx)
	if err != nil {
		return RequestView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return RequestView{}, err
	}
	in.ReceivedAt = in.ReceivedAt.UTC()
	d := store.DataSubjectRequest{TenantID: s.tenant, ID: store.NewID(), Type: in.Type, Channel: in.Channel,
		ReceivedAt: in.ReceivedAt, DueAt: RequestDue(in.ReceivedAt, loc).UTC(), Verification: Unverified,
		Status: RequestOpen, EntrySeq: 1, CreatedBy: st.UserID, CreatedAt: now}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDSR(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, store.RegisterDSR, d.ID, 1, "record", in, now)
	})
	if err != nil {
		return RequestView{}, err
	}
	v := requestView(d, now)
	v.Requester = &in
	return v, nil
}

// Requests lists the register without sealed content: overdue requests
// first, then open ones by due date, then closed ones.
func (s *Service) Requests(ctx context.Context, st *accounts.Staff) ([]RequestView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, "requests"); err != nil {
		return nil, err
	}
	now := s.now()
	rows, err := s.db.DSRs(ctx, s.tenant, now, 1000)
	if err != nil {
		return nil, err
	}
	out := make([]RequestView, 0, len(rows))
	for _, d := range rows {
		out = append(out, requestView(d, now))
	}
	return out, nil
}

// Request opens one request with the requester and its history.
func (s *Service) Request(ctx context.Context, st *accounts.Staff, id string) (RequestView, error) {
	if err := s.authorize(st); err != nil {
		return RequestView{}, err
	}
	d, err := s.db.DSRByID(ctx, s.tenant, id)
	if err != nil {
		return RequestView{}, notFound(err)
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return RequestView{}, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectDataSubjectRequest, d.ID); err != nil {
		return RequestView{}, err
	}
	rows, err := s.db.RegisterEntries(ctx, s.tenant, store.RegisterDSR, d.ID)
	if err != nil {
		return RequestView{}, err
	}
	v := requestView(d, s.now())
	v.Entries = make([]EntryView, 0, len(rows))
	for _, e := range rows {
		var raw json.RawMessage
		if err := s.open(k, e, &raw); err != nil {
			return RequestView{}, err
		}
		if e.Kind == "record" {
			var r NewRequest
			if err := json.Unmarshal(raw, &r); err != nil {
				return RequestView{}, err
			}
			v.Requester = &r
		}
		v.Entries = append(v.Entries, EntryView{ID: e.ID, Seq: e.Seq, Kind: e.Kind, AuthorID: e.AuthorID, CreatedAt: e.CreatedAt, Body: raw})
	}
	if v.Links, err = s.requestLinks(ctx, d.ID); err != nil {
		return RequestView{}, err
	}
	return v, nil
}

func (s *Service) changeRequest(ctx context.Context, st *accounts.Staff, id, kind string,
	step func(d *store.DataSubjectRequest, now time.Time, loc *time.Location) (any, error)) (RequestView, error) {
	if err := s.authorize(st); err != nil {
		return RequestView{}, err
	}
	loc, err := s.location(ctx)
	if err != nil {
		return RequestView{}, err
	}
	var k keys.Key
	if k, err = s.registerKey(ctx, st); err != nil {
		return RequestView{}, err
	}
	now := s.now()
	var d store.DataSubjectRequest
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if d, err = tx.LockDSR(ctx, s.tenant, id); err != nil {
			return notFound(err)
		}
		if d.Status != RequestOpen {
			return ErrClosed
		}
		body, err := step(&d, now, loc)
		if err != nil {
			return err
		}
		if kind == "complete" { // erasure, restriction, rectification act on the linked data first
			if err := checkLinksDone(ctx, tx, s.tenant, id); err != nil {
				return err
			}
		}
		if err := tx.SaveDSR(ctx, d); err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, store.RegisterDSR, id, d.EntrySeq, kind, body, now)
	})
	if err != nil {
		return RequestView{}, err
	}
	return requestView(d, now), nil
}

// VerifyRequest records that the requester's identity was verified, and how.
func (s *Service) VerifyRequest(ctx context.Context, st *accounts.Staff, id string, in Verification) (RequestView, error) {
	in.Note = clean(in.Note)
	var bad []string
	if !verifyMethods[in.Method] {
		bad = append(bad, "method")
	}
	if !onBehalfKinds[in.OnBehalf] {
		bad = append(bad, "on_behalf")
	}
	if len(bad) > 0 {
		return RequestView{}, ErrInvalid.with(bad...)
	}
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return RequestView{}, err
	}
	return s.changeRequest(ctx, st, id, "verify", func(d *store.DataSubjectRequest, now time.Time, _ *time.Location) (any, error) {
		if d.Verification == Verified {
			return nil, ErrAlreadyVerified
		}
		d.Verification, d.VerifyMethod, d.OnBehalf, d.VerifiedAt = Verified, in.Method, in.OnBehalf, now
		return in, nil
	})
}

// ExtendRequest extends the deadline by up to two months, once, only when
// decided and told to the requester within the first month (DSR-2).
func (s *Service) ExtendRequest(ctx context.Context, st *accounts.Staff, id string, in Extension) (RequestView, error) {
	in.Reason = clean(in.Reason)
	if in.Months < 1 || in.Months > MaxExtensionMonths {
		return RequestView{}, ErrInvalid.with("months")
	}
	if in.Reason == "" {
		return RequestView{}, ErrReasonRequired.with("reason")
	}
	if err := checkText(map[string]string{"reason": in.Reason}); err != nil {
		return RequestView{}, err
	}
	return s.changeRequest(ctx, st, id, "extend", func(d *store.DataSubjectRequest, now time.Time, loc *time.Location) (any, error) {
		if d.ExtendedMonths > 0 {
			return nil, ErrAlreadyExtended
		}
		informed := in.InformedAt
		if informed.IsZero() {
			informed = now
		}
		if informed.Before(d.ReceivedAt) || informed.After(now) {
			return nil, ErrInvalid.with("informed_at")
		}
		if !ExtensionAllowed(d.ReceivedAt, now, informed, loc) {
			return nil, ErrExtensionTooLate
		}
		d.ExtendedMonths, d.ExtendedAt, d.InformedAt = in.Months, now, informed.UTC()
		d.DueAt = ExtendedDue(d.ReceivedAt, in.Months, loc).UTC()
		in.InformedAt = informed.UTC()
		return in, nil
	})
}

// CompleteRequest closes a request as answered; the identity must be
// verified (DSR-1).
func (s *Service) CompleteRequest(ctx context.Context, st *accounts.Staff, id string, in Completion) (RequestView, error) {
	in.Note, in.RestrictionCitation = clean(in.Note), clean(in.RestrictionCitation)
	if err := checkText(map[string]string{"note": in.Note, "restriction_citation": in.RestrictionCitation}); err != nil {
		return RequestView{}, err
	}
	return s.changeRequest(ctx, st, id, "complete", func(d *store.DataSubjectRequest, now time.Time, _ *time.Location) (any, error) {
		if d.Verification != Verified {
			return nil, ErrUnverified
		}
		d.Status, d.ClosedAt = RequestCompleted, now
		return in, nil
	})
}

// RefuseRequest closes a request as refused: a reason and the notice of
// the right to complain are required (DSR-4). A refusal is allowed while
// the identity is unverified (art. 12(2), 11(2)).
func (s *Service) RefuseRequest(ctx context.Context, st *accounts.Staff, id string, in Refusal) (RequestView, error) {
	in.Reason, in.RestrictionCitation = clean(in.Reason), clean(in.RestrictionCitation)
	if in.Reason == "" {
		return RequestView{}, ErrReasonRequired.with("reason")
	}
	if !in.ComplaintNotice {
		return RequestView{}, ErrComplaintNoticeRequired.with("complaint_notice_given")
	}
	if err := checkText(map[string]string{"reason": in.Reason, "restriction_citation": in.RestrictionCitation}); err != nil {
		return RequestView{}, err
	}
	return s.changeRequest(ctx, st, id, "refuse", func(d *store.DataSubjectRequest, now time.Time, _ *time.Location) (any, error) {
		d.Status, d.ClosedAt, d.ComplaintNotice = RequestRefused, now, true
		return in, nil
	})
}
