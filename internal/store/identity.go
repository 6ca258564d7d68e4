package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// HolderCustodian holds a report's identity key in custody: a custodian
// can pass it on to a handler after approving a request, but holding it
// in custody is not access to the case (cases open only HolderUser keys).
const HolderCustodian = "custodian"

// Identity request kinds and states (CA-3).
const (
	IdentityKindRequest = "request" // a handler asked a custodian
	IdentityKindConsent = "consent" // the whistleblower shared their identity

	IdentityPending   = "pending"
	IdentityApproved  = "approved"
	IdentityDenied    = "denied"
	IdentityConsented = "consented"
)

// ErrAlreadyDecided means an identity request is no longer pending.
var ErrAlreadyDecided = errors.New("store: identity request already decided")

// IdentityRequest is a request to read a whistleblower's identity, or a
// record of the whistleblower's consent. Reason and DecisionReason are
// sealed under a per-request key; KeyWraps holds that key age-wrapped to
// each user allowed to read them (user id -> wrapped key).
type IdentityRequest struct {
	TenantID       string
	ID             string
	ReportID       string
	Kind           string
	RequesterID    string // "" for a consent
	State          string
	DecidedBy      string
	Reason         []byte
	DecisionReason []byte
	KeyWraps       map[string][]byte
	CreatedAt      time.Time
	DecidedAt      time.Time
}

const identityColumns = `tenant_id, request_id, report_id, kind, requester_id, state, decided_by, reason, decision_reason,
	key_wraps, created_at, decided_at`

func scanIdentityRequest(row interface{ Scan(...any) error }) (IdentityRequest, error) {
	var r IdentityRequest
	var wraps []byte
	var created int64
	var decided *int64
	if err := row.Scan(&r.TenantID, &r.ID, &r.ReportID, &r.Kind, &r.RequesterID, &r.State, &r.DecidedBy, &r.Reason,
		&r.DecisionReason, &wraps, &created, &decided); err != nil {
		return IdentityRequest{}, err
	}
	r.CreatedAt, r.DecidedAt = fromMS(created), optMS(decided)
	if len(wraps) > 0 {
		if err := json.Unmarshal(wraps, &r.KeyWraps); err != nil {
			return IdentityRequest{}, fmt.Errorf("store: decode identity request key wraps: %w", err)
		}
	}
	return r, nil
}

// InsertIdentityRequest stores a request or a consent.
func (tx *Tx) InsertIdentityRequest(ctx context.Context, r IdentityRequest) error {
	var wraps []byte
	if len(r.KeyWraps) > 0 {
		var err error
		if wraps, err = json.Marshal(r.KeyWraps); err != nil {
			return fmt.Errorf("store: encode identity request key wraps: %w", err)
		}
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO identity_requests (`+identityColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.TenantID, r.ID, r.ReportID, r.Kind, r.RequesterID, r.State, r.DecidedBy, r.Reason, r.DecisionReason,
		wraps, ms(r.CreatedAt), nullMS(r.DecidedAt))
	if err != nil {
		return fmt.Errorf("store: insert identity request: %w", err)
	}
	return nil
}

// DecideIdentityRequest records a custodian's decision on a pending
// request; ErrAlreadyDecided if it is no longer pending (someone else
// decided first).
func (tx *Tx) DecideIdentityRequest(ctx context.Context, tenantID, requestID, state, decidedBy string, decisionReason []byte, at time.Time) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE identity_requests SET state = $3, decided_by = $4, decision_reason = $5, decided_at = $6
		WHERE tenant_id = $1 AND request_id = $2 AND state = 'pending'`,
		tenantID, requestID, state, decidedBy, decisionReason, ms(at))
	if err != nil {
		return fmt.Errorf("store: decide identity request: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: decide identity request: %w", err)
	} else if n != 1 {
		return ErrAlreadyDecided
	}
	return nil
}

// IdentityRequest loads one request.
func (db *DB) IdentityRequest(ctx context.Context, tenantID, requestID string) (IdentityRequest, error) {
	r, err := scanIdentityRequest(db.read.QueryRowContext(ctx, `SELECT `+identityColumns+` FROM identity_requests
		WHERE tenant_id = $1 AND request_id = $2`, tenantID, requestID))
	if err != nil {
		return IdentityRequest{}, fmt.Errorf("store: identity request: %w", notFound(err))
	}
	return r, nil
}

func (db *DB) identityRequests(ctx context.Context, query string, args ...any) ([]IdentityRequest, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: identity requests: %w", err)
	}
	defer rows.Close()
	var out []IdentityRequest
	for rows.Next() {
		r, err := scanIdentityRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("store: scan identity request: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// IdentityRequestsForReport lists a case's requests and consents, oldest first.
func (db *DB) IdentityRequestsForReport(ctx context.Context, tenantID, reportID string) ([]IdentityRequest, error) {
	return db.identityRequests(ctx, `SELECT `+identityColumns+` FROM identity_requests
		WHERE tenant_id = $1 AND report_id = $2 ORDER BY created_at, request_id`, tenantID, reportID)
}

// IdentityRequestsBy lists the requests a user made, newest first.
func (db *DB) IdentityRequestsBy(ctx context.Context, tenantID, requesterID string) ([]IdentityRequest, error) {
	return db.identityRequests(ctx, `SELECT `+identityColumns+` FROM identity_requests
		WHERE tenant_id = $1 AND kind = 'request' AND requester_id = $2 ORDER BY created_at DESC, request_id`, tenantID, requesterID)
}

// PendingIdentityRequestsFor lists the pending requests a custodian holds
// the case's identity key for, other than their own, oldest first.
func (db *DB) PendingIdentityRequestsFor(ctx context.Context, tenantID, custodianID string) ([]IdentityRequest, error) {
	return db.identityRequests(ctx, `SELECT `+prefixedIdentity+` FROM identity_requests q
		WHERE q.tenant_id = $1 AND q.kind = 'request' AND q.state = 'pending' AND q.requester_id <> $2
		AND EXISTS (SELECT 1 FROM report_keys k WHERE k.tenant_id = q.tenant_id AND k.report_id = q.report_id
			AND k.key_kind = 'identity' AND k.holder_type = 'custodian' AND k.holder_id = $2)
		ORDER BY q.created_at, q.request_id`, tenantID, custodianID)
}

const prefixedIdentity = `q.tenant_id, q.request_id, q.report_id, q.kind, q.requester_id, q.state, q.decided_by, q.reason,
	q.decision_reason, q.key_wraps, q.created_at, q.decided_at`

// Custodians lists the enabled custodians with their public keys.
func (db *DB) Custodians(ctx context.Context, tenantID string) ([]Recipient, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT user_id, public_key, display_name FROM users
		WHERE tenant_id = $1 AND custodian = 1 AND disabled_at IS NULL ORDER BY user_id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: custodians: %w", err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.UserID, &r.PublicKey, &r.DisplayName); err != nil {
			return nil, fmt.Errorf("store: scan custodian: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReportCustodians lists the enabled custodians who hold a case's identity
// key in custody.
func (db *DB) ReportCustodians(ctx context.Context, tenantID, reportID string) ([]Recipient, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT u.user_id, u.public_key, u.display_name FROM report_keys k
		JOIN users u ON u.tenant_id = k.tenant_id AND u.user_id = k.holder_id
		WHERE k.tenant_id = $1 AND k.report_id = $2 AND k.key_kind = 'identity' AND k.holder_type = 'custodian'
			AND u.custodian = 1 AND u.disabled_at IS NULL
		ORDER BY u.user_id`, tenantID, reportID)
	if err != nil {
		return nil, fmt.Errorf("store: report custodians: %w", err)
	}
	defer rows.Close()
	var out []Recipient
	for rows.Next() {
		var r Recipient
		if err := rows.Scan(&r.UserID, &r.PublicKey, &r.DisplayName); err != nil {
			return nil, fmt.Errorf("store: scan report custodian: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InsertReportKeyIfAbsent stores a wrapped key unless the holder already
// has that key of the report; it tells whether it stored one.
func (tx *Tx) InsertReportKeyIfAbsent(ctx context.Context, k ReportKey) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `INSERT INTO report_keys (tenant_id, report_id, key_kind, holder_type, holder_id, alg, wrapped, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, report_id, key_kind, holder_type, holder_id) DO NOTHING`,
		k.TenantID, k.ReportID, k.Kind, k.HolderType, k.HolderID, k.Alg, k.Wrapped, ms(k.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("store: insert report key: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
