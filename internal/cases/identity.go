package cases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// The identity vault (CA-2, CA-3; Directive 2019/1937 art. 16). The
// identity key of a report is wrapped at submission to the custodians (in
// custody, holder type "custodian") and to the receipt, never to the
// handlers. A handler who needs the identity asks with a reason; a
// custodian other than the requester approves, by unwrapping the identity
// key and wrapping it to the requester, or denies with a reason. The
// reasons are sealed under a key of the request that only the custodians
// and the requester hold. Requests and decisions appear in the case
// journal (merged when read, since a custodian may hold no case key) and
// in the audit log.

var (
	// ErrNotCustodian refuses a decision by someone who is not a
	// custodian of the case's identity.
	ErrNotCustodian = errors.New("only a custodian of this case's identity can decide")
	// ErrOwnRequest refuses a custodian deciding their own request.
	ErrOwnRequest = errors.New("a custodian cannot decide their own request")
	// ErrNoIdentity means the case has no identity answers.
	ErrNoIdentity = errors.New("this case has no identity answers")
	// ErrIdentityReadable means the requester can already read the identity.
	ErrIdentityReadable = errors.New("you can already read the identity")
	// ErrRequestPending means the requester already has a pending request.
	ErrRequestPending = errors.New("your request for this identity is already pending")
	// ErrNoCustodian means no custodian holds the case's identity key, so
	// nobody could decide a request.
	ErrNoCustodian = errors.New("no custodian holds this case's identity key")
	// ErrDecided means the request was decided already.
	ErrDecided = errors.New("the request was already decided")
	// ErrRequesterLostAccess means the requester no longer holds the case.
	ErrRequesterLostAccess = errors.New("the requester no longer has access to the case")
	// ErrReasonInvalid rejects an empty or over-long reason.
	ErrReasonInvalid = fmt.Errorf("a reason is required (at most %d characters)", report.MaxMessageLen)
)

// Journal entry kind of identity requests, decisions and consents, and
// their actions.
const (
	EntryIdentity = "identity"

	IdentityActionRequest = "request"
	IdentityActionApprove = "approve"
	IdentityActionDeny    = "deny"
	IdentityActionConsent = "consent"
)

// IdentityRequestView is a request as one staff user sees it: the reasons
// only when a key of the request is wrapped to them.
type IdentityRequestView struct {
	ID             string    `json:"id"`
	CaseID         string    `json:"case_id"`
	CaseNumber     int64     `json:"case_number"`
	RequesterID    string    `json:"requester_id"`
	State          string    `json:"state"`
	Reason         string    `json:"reason,omitempty"`
	DecidedBy      string    `json:"decided_by,omitempty"`
	DecisionReason string    `json:"decision_reason,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	DecidedAt      time.Time `json:"decided_at,omitzero"`
	// CanDecide tells whether the viewer may approve or deny it now.
	CanDecide bool `json:"can_decide"`
}

func adIdentityRequest(tenant, reportID, requestID, field string) []byte {
	return keys.AD(tenant, "report", reportID, "identity-request", requestID, field)
}

// requestKey unwraps the request's key for the user; nil if none is wrapped to them.
func requestKey(st *accounts.Staff, r store.IdentityRequest) (*keys.Key, error) {
	w, ok := r.KeyWraps[st.UserID]
	if !ok {
		return nil, nil
	}
	k, err := st.Identity.UnwrapKey(w)
	if err != nil {
		return nil, fmt.Errorf("cases: unwrap identity request key: %w", err)
	}
	return &k, nil
}

// openRequest turns a row into what st may see of it.
func openRequest(st *accounts.Staff, r store.IdentityRequest, caseNumber int64) (IdentityRequestView, error) {
	v := IdentityRequestView{ID: r.ID, CaseID: r.ReportID, CaseNumber: caseNumber, RequesterID: r.RequesterID, State: r.State,
		DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
	k, err := requestKey(st, r)
	if err != nil || k == nil {
		return v, err
	}
	if len(r.Reason) > 0 {
		b, err := keys.Open(*k, r.Reason, adIdentityRequest(r.TenantID, r.ReportID, r.ID, "reason"))
		if err != nil {
			return IdentityRequestView{}, fmt.Errorf("cases: open identity request reason: %w", err)
		}
		v.Reason = string(b)
	}
	if len(r.DecisionReason) > 0 {
		b, err := keys.Open(*k, r.DecisionReason, adIdentityRequest(r.TenantID, r.ReportID, r.ID, "decision"))
		if err != nil {
			return IdentityRequestView{}, fmt.Errorf("cases: open identity decision reason: %w", err)
		}
		v.DecisionReason = string(b)
	}
	return v, nil
}

func checkReason(reason string) (string, error) {
	text, err := report.CheckText(strings.TrimSpace(reason))
	if err != nil {
		return "", ErrReasonInvalid
	}
	return text, nil
}

// RequestIdentity asks the custodians for access to a case's identity
// answers. The caller must be able to open the case.
func (s *Service) RequestIdentity(ctx context.Context, st *accounts.Staff, reportID, reason string) (IdentityRequestView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return IdentityRequestView{}, err
	}
	if len(c.Report.IdentityAnswers) == 0 {
		return IdentityRequestView{}, ErrNoIdentity
	}
	if c.Keys.Identity != nil {
		return IdentityRequestView{}, ErrIdentityReadable
	}
	reason, err = checkReason(reason)
	if err != nil {
		return IdentityRequestView{}, err
	}
	existing, err := s.cfg.DB.IdentityRequestsForReport(ctx, st.TenantID, reportID)
	if err != nil {
		return IdentityRequestView{}, err
	}
	for _, r := range existing {
		if r.Kind == store.IdentityKindRequest && r.RequesterID == st.UserID && r.State == store.IdentityPending {
			return IdentityRequestView{}, ErrRequestPending
		}
	}
	custodians, err := s.cfg.DB.ReportCustodians(ctx, st.TenantID, reportID)
	if err != nil {
		return IdentityRequestView{}, err
	}
	deciders := 0
	for _, cu := range custodians {
		if cu.UserID != st.UserID {
			deciders++
		}
	}
	if deciders == 0 {
		return IdentityRequestView{}, ErrNoCustodian
	}
	me, err := s.cfg.DB.UserByID(ctx, st.TenantID, st.UserID)
	if err != nil {
		return IdentityRequestView{}, err
	}
	now := s.cfg.Now()
	req := store.IdentityRequest{TenantID: st.TenantID, ID: store.NewID(), ReportID: reportID, Kind: store.IdentityKindRequest,
		RequesterID: st.UserID, State: store.IdentityPending, CreatedAt: now, KeyWraps: map[string][]byte{}}
	k := keys.NewKey()
	for _, to := range append(custodians, store.Recipient{UserID: me.ID, PublicKey: me.PublicKey}) {
		w, err := keys.WrapKey(to.PublicKey, k)
		if err != nil {
			return IdentityRequestView{}, fmt.Errorf("cases: wrap identity request key: %w", err)
		}
		req.KeyWraps[to.UserID] = w
	}
	req.Reason = keys.Seal(k, []byte(reason), adIdentityRequest(st.TenantID, reportID, req.ID, "reason"))
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertIdentityRequest(ctx, req); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionIdentityRequest, audit.ObjectCase, reportID, ""))
		return err
	})
	if err != nil {
		return IdentityRequestView{}, err
	}
	return IdentityRequestView{ID: req.ID, CaseID: reportID, CaseNumber: c.Report.CaseNumber, RequesterID: st.UserID,
		State: req.State, Reason: reason, CreatedAt: now}, nil
}

// IsCustodian tells whether the staff user is a custodian.
func (s *Service) IsCustodian(ctx context.Context, st *accounts.Staff) (bool, error) {
	u, err := s.cfg.DB.UserByID(ctx, st.TenantID, st.UserID)
	if err != nil {
		return false, err
	}
	return u.Custodian && u.DisabledAt.IsZero(), nil
}

// IdentityRequests lists what the user may act on or follow: for a
// custodian, the pending requests they can decide; for everyone, their
// own requests.
func (s *Service) IdentityRequests(ctx context.Context, st *accounts.Staff) (pending, own []IdentityRequestView, err error) {
	custodian, err := s.IsCustodian(ctx, st)
	if err != nil {
		return nil, nil, err
	}
	numbers := map[string]int64{}
	number := func(reportID string) (int64, error) {
		if n, ok := numbers[reportID]; ok {
			return n, nil
		}
		r, err := s.cfg.DB.Report(ctx, st.TenantID, reportID)
		if err != nil {
			return 0, err
		}
		numbers[reportID] = r.CaseNumber
		return r.CaseNumber, nil
	}
	if custodian {
		rows, err := s.cfg.DB.PendingIdentityRequestsFor(ctx, st.TenantID, st.UserID)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			if _, ok := r.KeyWraps[st.UserID]; !ok {
				continue // they became custodian after the request: they cannot read its reason
			}
			n, err := number(r.ReportID)
			if err != nil {
				return nil, nil, err
			}
			v, err := openRequest(st, r, n)
			if err != nil {
				return nil, nil, err
			}
			v.CanDecide = true
			pending = append(pending, v)
		}
	}
	rows, err := s.cfg.DB.IdentityRequestsBy(ctx, st.TenantID, st.UserID)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range rows {
		n, err := number(r.ReportID)
		if err != nil {
			return nil, nil, err
		}
		v, err := openRequest(st, r, n)
		if err != nil {
			return nil, nil, err
		}
		own = append(own, v)
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseList, audit.ObjectRegister, "identity_requests", "")); err != nil {
		return nil, nil, err
	}
	return pending, own, nil
}

// OwnIdentityRequests lists the user's requests for one case, newest first.
func (s *Service) OwnIdentityRequests(ctx context.Context, st *accounts.Staff, reportID string) ([]IdentityRequestView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	rows, err := s.cfg.DB.IdentityRequestsForReport(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	var out []IdentityRequestView
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		if r.Kind != store.IdentityKindRequest || r.RequesterID != st.UserID {
			continue
		}
		v, err := openRequest(st, r, c.Report.CaseNumber)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// DecideIdentity approves or denies a pending request. Approving wraps the
// case's identity key, unwrapped from the custodian's custody, to the
// requester. Denying needs a reason, sealed like the request's.
func (s *Service) DecideIdentity(ctx context.Context, st *accounts.Staff, requestID string, approve bool, reason string) error {
	custodian, err := s.IsCustodian(ctx, st)
	if err != nil {
		return err
	}
	if !custodian {
		return ErrNotCustodian
	}
	req, err := s.cfg.DB.IdentityRequest(ctx, st.TenantID, requestID)
	if errors.Is(err, store.ErrNotFound) || err == nil && req.Kind != store.IdentityKindRequest {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if req.RequesterID == st.UserID {
		return ErrOwnRequest
	}
	custody, err := s.cfg.DB.ReportKey(ctx, st.TenantID, req.ReportID, store.KeyIdentity, store.HolderCustodian, st.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotCustodian
	}
	if err != nil {
		return err
	}
	rk, err := requestKey(st, req)
	if err != nil {
		return err
	}
	if rk == nil {
		return ErrNotCustodian
	}
	if req.State != store.IdentityPending {
		return ErrDecided
	}
	now := s.cfg.Now()
	var wrap *store.ReportKey
	var decision []byte
	state, action := store.IdentityDenied, audit.ActionIdentityDeny
	if approve {
		state, action = store.IdentityApproved, audit.ActionIdentityApprove
		if _, err := s.cfg.DB.ReportKey(ctx, st.TenantID, req.ReportID, store.KeyReport, store.HolderUser, req.RequesterID); errors.Is(err, store.ErrNotFound) {
			return ErrRequesterLostAccess
		} else if err != nil {
			return err
		}
		requester, err := s.cfg.DB.UserByID(ctx, st.TenantID, req.RequesterID)
		if err != nil {
			return err
		}
		if !requester.DisabledAt.IsZero() {
			return ErrRequesterLostAccess
		}
		kid, err := st.Identity.UnwrapKey(custody.Wrapped)
		if err != nil {
			return fmt.Errorf("cases: unwrap identity key in custody: %w", err)
		}
		w, err := keys.WrapKey(requester.PublicKey, kid)
		if err != nil {
			return fmt.Errorf("cases: wrap identity key for requester: %w", err)
		}
		wrap = &store.ReportKey{TenantID: st.TenantID, ReportID: req.ReportID, Kind: store.KeyIdentity, HolderType: store.HolderUser,
			HolderID: requester.ID, Alg: report.AlgAgeX25519, Wrapped: w, CreatedAt: now}
		if strings.TrimSpace(reason) != "" {
			text, err := checkReason(reason)
			if err != nil {
				return err
			}
			decision = keys.Seal(*rk, []byte(text), adIdentityRequest(st.TenantID, req.ReportID, req.ID, "decision"))
		}
	} else {
		text, err := checkReason(reason)
		if err != nil {
			return err
		}
		decision = keys.Seal(*rk, []byte(text), adIdentityRequest(st.TenantID, req.ReportID, req.ID, "decision"))
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.DecideIdentityRequest(ctx, st.TenantID, req.ID, state, st.UserID, decision, now); err != nil {
			return err
		}
		if wrap != nil {
			if _, err := tx.InsertReportKeyIfAbsent(ctx, *wrap); err != nil {
				return err
			}
		}
		if err := tx.TouchReport(ctx, st.TenantID, req.ReportID, now); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, action, audit.ObjectCase, req.ReportID, req.RequesterID))
		return err
	})
	if errors.Is(err, store.ErrAlreadyDecided) {
		return ErrDecided
	}
	return err
}

// identityJournal turns a case's identity requests, decisions and consents
// into journal rows for a holder of the case. Reasons show only to those
// the request key is wrapped to (the custodians and the requester).
func (s *Service) identityJournal(ctx context.Context, st *accounts.Staff, c *Case) ([]JournalView, error) {
	rows, err := s.cfg.DB.IdentityRequestsForReport(ctx, st.TenantID, c.Report.ID)
	if err != nil {
		return nil, err
	}
	var out []JournalView
	for _, r := range rows {
		if r.Kind == store.IdentityKindConsent {
			out = append(out, JournalView{ID: r.ID, Kind: EntryIdentity, Action: IdentityActionConsent,
				AuthorType: store.AuthorWhistleblower, CreatedAt: r.CreatedAt})
			continue
		}
		v, err := openRequest(st, r, c.Report.CaseNumber)
		if err != nil {
			return nil, err
		}
		out = append(out, JournalView{ID: r.ID, Kind: EntryIdentity, Action: IdentityActionRequest, AuthorType: store.AuthorStaff,
			AuthorID: r.RequesterID, UserID: r.RequesterID, CreatedAt: r.CreatedAt, Reason: v.Reason})
		if r.State == store.IdentityApproved || r.State == store.IdentityDenied {
			action := IdentityActionApprove
			if r.State == store.IdentityDenied {
				action = IdentityActionDeny
			}
			out = append(out, JournalView{ID: r.ID + "-decision", Kind: EntryIdentity, Action: action, AuthorType: store.AuthorStaff,
				AuthorID: r.DecidedBy, UserID: r.RequesterID, CreatedAt: r.DecidedAt, Reason: v.DecisionReason})
		}
	}
	return out, nil
}
