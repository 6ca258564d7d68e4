package privacy

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// Requests that act on the data (GDPR arts. 16 to 18; DSR-3). An
// erasure, restriction or rectification request is linked to the case, or to the
// person of a case, that it concerns: by case number and pseudonym, which
// are in clear, so the DPO (who holds no case key) can link without
// reading the case. From the register, admins and the DPO restrict and
// lift (no case key is needed: a restriction is a flag the case service
// obeys) and erase a whole closed case that is not on legal hold (the
// retention job's deletion path). Erasing or rectifying one person needs
// the case key, so a handler of the case does it from the case
// (internal/cases/dsr.go). A request with a link still pending cannot be
// completed.

// Errors of linked requests.
var (
	ErrNotActionable     = &Error{Kind: KindConflict, Code: "not_actionable", Msg: "only erasure, restriction and rectification requests act on case data"}
	ErrLinkTarget        = &Error{Kind: KindInvalid, Code: "invalid_link", Msg: "no case with that number, or no person with that pseudonym on it"}
	ErrPersonRequired    = &Error{Kind: KindInvalid, Code: "person_required", Msg: "a rectification concerns one person of the case: give the pseudonym"}
	ErrAlreadyLinked     = &Error{Kind: KindConflict, Code: "already_linked", Msg: "the request is already linked to this case or person"}
	ErrLinkActed         = &Error{Kind: KindConflict, Code: "link_acted", Msg: "this link was already acted on"}
	ErrLinkNotRestricted = &Error{Kind: KindConflict, Code: "not_restricted", Msg: "no restriction is in force on this link"}
	ErrWrongAction       = &Error{Kind: KindConflict, Code: "wrong_action", Msg: "this action does not fit the request's type or the link's scope"}
	ErrLinksPending      = &Error{Kind: KindConflict, Code: "links_pending", Msg: "carry out or remove every linked case or person first"}
	ErrLegalHold         = &Error{Kind: KindConflict, Code: "legal_hold", Msg: "the case is on legal hold; it cannot be erased until the hold is released"}
	ErrCaseOpen          = &Error{Kind: KindConflict, Code: "case_open", Msg: "the case is still being handled; close it first, or refuse the erasure under art. 17(3)"}
	ErrNotInformed       = &Error{Kind: KindInvalid, Code: "requester_not_informed", Msg: "the requester must be told before a restriction is lifted (art. 18(3))"}
)

// actionable are the request types that act on case data.
var actionable = map[string]bool{"erasure": true, "restriction": true, "rectification": true}

// LinkInput names the case, and optionally the person, a request concerns.
type LinkInput struct {
	CaseNumber int64  `json:"case_number"`
	Pseudonym  string `json:"pseudonym,omitempty"` // "Person B"; empty: the whole case
}

// LinkView is a link as shown on the request and on the case.
type LinkView struct {
	ID          string     `json:"id"`
	RequestID   string     `json:"request_id"`
	RequestType string     `json:"request_type"`
	CaseID      string     `json:"case_id"`
	CaseNumber  int64      `json:"case_number"`
	Scope       string     `json:"scope"` // case or person
	PersonID    string     `json:"person_id,omitempty"`
	Pseudonym   string     `json:"pseudonym,omitempty"`
	State       string     `json:"state"`
	Ground      string     `json:"ground,omitempty"`
	CreatedBy   string     `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	ActedBy     string     `json:"acted_by,omitempty"`
	ActedAt     *time.Time `json:"acted_at,omitempty"`
	LiftedBy    string     `json:"lifted_by,omitempty"`
	LiftedAt    *time.Time `json:"lifted_at,omitempty"`
}

// LinkViewOf turns a stored link into its view.
func LinkViewOf(l store.DSRLink) LinkView {
	scope := "case"
	if l.PersonID != "" {
		scope = "person"
	}
	return LinkView{ID: l.ID, RequestID: l.RequestID, RequestType: l.RequestType, CaseID: l.ReportID, CaseNumber: l.CaseNumber,
		Scope: scope, PersonID: l.PersonID, Pseudonym: l.Pseudonym, State: l.State, Ground: l.Ground, CreatedBy: l.CreatedBy,
		CreatedAt: l.CreatedAt, ActedBy: l.ActedBy, ActedAt: optTime(l.ActedAt), LiftedBy: l.LiftedBy, LiftedAt: optTime(l.LiftedAt)}
}

func (s *Service) requestLinks(ctx context.Context, requestID string) ([]LinkView, error) {
	rows, err := s.db.DSRLinksOfRequest(ctx, s.tenant, requestID)
	if err != nil {
		return nil, err
	}
	out := make([]LinkView, 0, len(rows))
	for _, l := range rows {
		out = append(out, LinkViewOf(l))
	}
	return out, nil
}

// Links lists the cases and persons a request is linked to.
func (s *Service) Links(ctx context.Context, st *accounts.Staff, requestID string) ([]LinkView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if _, err := s.db.DSRByID(ctx, s.tenant, requestID); err != nil {
		return nil, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectDataSubjectRequest, requestID); err != nil {
		return nil, err
	}
	return s.requestLinks(ctx, requestID)
}

// linkStep runs one step on a request and its link in one transaction:
// the request row is locked, step acts, and a register entry of kind is
// sealed and audited. open requires the request to be open.
func (s *Service) linkStep(ctx context.Context, st *accounts.Staff, requestID, kind string, open bool,
	step func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error)) error {
	if err := s.authorize(st); err != nil {
		return err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		d, err := tx.LockDSR(ctx, s.tenant, requestID)
		if err != nil {
			return notFound(err)
		}
		if open && d.Status != RequestOpen {
			return ErrClosed
		}
		body, err := step(tx, d, now)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, store.RegisterDSR, requestID, d.EntrySeq, kind, body, now)
	})
}

// LinkRequest links an erasure, restriction or rectification request to a
// case by its number, or to one person of it by pseudonym.
func (s *Service) LinkRequest(ctx context.Context, st *accounts.Staff, requestID string, in LinkInput) (LinkView, error) {
	if err := s.authorize(st); err != nil {
		return LinkView{}, err
	}
	in.Pseudonym = strings.TrimSpace(in.Pseudonym)
	if in.CaseNumber < 1 || len(in.Pseudonym) > 40 {
		return LinkView{}, ErrLinkTarget.with("case_number")
	}
	reportID, err := s.db.ReportIDByCaseNumber(ctx, s.tenant, in.CaseNumber)
	if errors.Is(err, store.ErrNotFound) {
		return LinkView{}, ErrLinkTarget.with("case_number")
	}
	if err != nil {
		return LinkView{}, err
	}
	var personID string
	if in.Pseudonym != "" {
		personID, err = s.db.PersonIDByPseudonym(ctx, s.tenant, reportID, in.Pseudonym)
		if errors.Is(err, store.ErrNotFound) {
			return LinkView{}, ErrLinkTarget.with("pseudonym")
		}
		if err != nil {
			return LinkView{}, err
		}
	}
	var l store.DSRLink
	err = s.linkStep(ctx, st, requestID, "link", true, func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error) {
		if !actionable[d.Type] {
			return nil, ErrNotActionable
		}
		if d.Type == "rectification" && personID == "" {
			return nil, ErrPersonRequired.with("pseudonym")
		}
		l = store.DSRLink{TenantID: s.tenant, ID: store.NewID(), RequestID: requestID, RequestType: d.Type, ReportID: reportID,
			PersonID: personID, CaseNumber: in.CaseNumber, Pseudonym: in.Pseudonym, State: store.LinkPending,
			CreatedBy: st.UserID, CreatedAt: now}
		if err := tx.InsertDSRLink(ctx, l); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return nil, ErrAlreadyLinked
			}
			return nil, err
		}
		return map[string]any{"link_id": l.ID, "case_number": in.CaseNumber, "pseudonym": in.Pseudonym}, nil
	})
	if err != nil {
		return LinkView{}, err
	}
	return LinkViewOf(l), nil
}

// lockLink loads a link of the request inside tx.
func (s *Service) lockLink(ctx context.Context, tx *store.Tx, requestID, linkID string) (store.DSRLink, error) {
	l, err := tx.LockDSRLink(ctx, s.tenant, requestID, linkID)
	return l, notFound(err)
}

// UnlinkRequest removes a link nothing was done on yet.
func (s *Service) UnlinkRequest(ctx context.Context, st *accounts.Staff, requestID, linkID string) error {
	return s.linkStep(ctx, st, requestID, "unlink", true, func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error) {
		l, err := s.lockLink(ctx, tx, requestID, linkID)
		if err != nil {
			return nil, err
		}
		if l.State != store.LinkPending {
			return nil, ErrLinkActed
		}
		if err := tx.DeleteDSRLink(ctx, s.tenant, linkID); err != nil {
			return nil, err
		}
		return map[string]any{"link_id": linkID}, nil
	})
}

// Restriction is the input of RestrictLink.
type Restriction struct {
	Note string `json:"note,omitempty"`
}

// RestrictLink restricts the processing of the linked case or person (art.
// 18): until lifted, the case refuses exports, disclosure notes, access
// exports and state changes with 409 restricted. The requester's
// identity must be verified.
func (s *Service) RestrictLink(ctx context.Context, st *accounts.Staff, requestID, linkID string, in Restriction) (LinkView, error) {
	in.Note = clean(in.Note)
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return LinkView{}, err
	}
	var out store.DSRLink
	err := s.linkStep(ctx, st, requestID, "restrict", true, func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error) {
		l, err := s.actionableLink(ctx, tx, d, linkID, "restriction")
		if err != nil {
			return nil, err
		}
		if err := tx.SetDSRLinkActed(ctx, s.tenant, linkID, store.LinkRestricted, "", st.UserID, now); err != nil {
			return nil, err
		}
		l.State, l.ActedBy, l.ActedAt = store.LinkRestricted, st.UserID, now
		out = l
		return map[string]any{"link_id": linkID, "note": in.Note}, nil
	})
	return LinkViewOf(out), err
}

// Lift is the input of LiftRestriction.
type Lift struct {
	Reason            string `json:"reason"`
	RequesterInformed bool   `json:"requester_informed"`
}

// LiftRestriction lifts a restriction, also after the request was
// completed: a reason is required and the requester must have been told
// beforehand (art. 18(3)).
func (s *Service) LiftRestriction(ctx context.Context, st *accounts.Staff, requestID, linkID string, in Lift) (LinkView, error) {
	in.Reason = clean(in.Reason)
	if in.Reason == "" {
		return LinkView{}, ErrReasonRequired.with("reason")
	}
	if !in.RequesterInformed {
		return LinkView{}, ErrNotInformed.with("requester_informed")
	}
	if err := checkText(map[string]string{"reason": in.Reason}); err != nil {
		return LinkView{}, err
	}
	var out store.DSRLink
	err := s.linkStep(ctx, st, requestID, "lift", false, func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error) {
		l, err := s.lockLink(ctx, tx, requestID, linkID)
		if err != nil {
			return nil, err
		}
		if l.State != store.LinkRestricted {
			return nil, ErrLinkNotRestricted
		}
		if err := tx.SetDSRLinkLifted(ctx, s.tenant, linkID, st.UserID, now); err != nil {
			return nil, err
		}
		l.State, l.LiftedBy, l.LiftedAt = store.LinkLifted, st.UserID, now
		out = l
		return map[string]any{"link_id": linkID, "reason": in.Reason, "requester_informed": true}, nil
	})
	return LinkViewOf(out), err
}

// actionableLink checks that a pending link of an open, verified request
// of type want may be acted on.
func (s *Service) actionableLink(ctx context.Context, tx *store.Tx, d store.DataSubjectRequest, linkID, want string) (store.DSRLink, error) {
	if d.Verification != Verified {
		return store.DSRLink{}, ErrUnverified
	}
	l, err := s.lockLink(ctx, tx, d.ID, linkID)
	if err != nil {
		return store.DSRLink{}, err
	}
	if d.Type != want {
		return store.DSRLink{}, ErrWrongAction
	}
	if l.State != store.LinkPending {
		return store.DSRLink{}, ErrLinkActed
	}
	return l, nil
}

// CaseErasure is the input of EraseCase.
type CaseErasure struct {
	Reason string `json:"reason,omitempty"`
}

// EraseCase erases a whole linked case on an erasure request, the way the
// retention job deletes an expired one: in one transaction the wrapped
// keys first (crypto-shredding), then every row of the case, with a
// deletion record (basis erasure_request, the request id, no content) and
// an audit entry. Refused while the case is open (the Directive's
// follow-up still needs it; refuse the request under art. 17(3) instead)
// or on legal hold. It returns the blob keys to delete after commit; left
// behind, they are key-less ciphertext that the orphan sweeper removes.
func (s *Service) EraseCase(ctx context.Context, st *accounts.Staff, requestID, linkID string, in CaseErasure) (LinkView, []string, error) {
	in.Reason = clean(in.Reason)
	if err := checkText(map[string]string{"reason": in.Reason}); err != nil {
		return LinkView{}, nil, err
	}
	var out store.DSRLink
	var blobs []string
	err := s.linkStep(ctx, st, requestID, "erase_case", true, func(tx *store.Tx, d store.DataSubjectRequest, now time.Time) (any, error) {
		l, err := s.actionableLink(ctx, tx, d, linkID, "erasure")
		if err != nil {
			return nil, err
		}
		if l.PersonID != "" {
			return nil, ErrWrongAction
		}
		c, err := tx.LockRetentionCase(ctx, s.tenant, l.ReportID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		switch {
		case c.Held:
			return nil, ErrLegalHold
		case c.ClosedAt.IsZero():
			return nil, ErrCaseOpen
		}
		if blobs, err = tx.DeleteReport(ctx, s.tenant, l.ReportID); err != nil {
			return nil, err
		}
		if err := tx.InsertErasureRecord(ctx, store.DeletionRecord{TenantID: s.tenant, ID: store.NewID(), Category: "report",
			CaseNumber: c.CaseNumber, ChannelID: c.ChannelID, ClosedAt: c.ClosedAt, DeletedAt: now, DeletedBy: st.UserID}, requestID); err != nil {
			return nil, err
		}
		if _, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionCaseDelete, ObjectType: audit.ObjectCase, ObjectID: l.ReportID, Detail: "erasure_request"}); err != nil {
			return nil, err
		}
		if err := tx.SetDSRLinkActed(ctx, s.tenant, linkID, store.LinkErased, "", st.UserID, now); err != nil {
			return nil, err
		}
		l.State, l.ActedBy, l.ActedAt = store.LinkErased, st.UserID, now
		out = l
		return map[string]any{"link_id": linkID, "case_number": l.CaseNumber, "reason": in.Reason}, nil
	})
	if err != nil {
		return LinkView{}, nil, err
	}
	return LinkViewOf(out), blobs, nil
}

// checkLinksDone refuses to complete a request with a pending link.
func checkLinksDone(ctx context.Context, tx *store.Tx, tenant, requestID string) error {
	links, err := tx.DSRLinksOfRequest(ctx, tenant, requestID)
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.State == store.LinkPending {
			return ErrLinksPending
		}
	}
	return nil
}
