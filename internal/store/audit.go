package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// AuditEntry is one row of the tamper-evident audit log (AL-1). It records
// who did what to which object and when, and nothing else: no report
// content and nothing that identifies a whistleblower. Detail is a token
// from a closed vocabulary (such as a state name), never free text; the
// audit package enforces the vocabulary, the store only stores.
//
// Seq, PrevHash and Hash are assigned by AppendAudit; values given by the
// caller are ignored.
type AuditEntry struct {
	TenantID   string
	Seq        int64
	At         time.Time // stored, and hashed, as Unix milliseconds
	ActorType  string
	ActorID    string
	Action     string
	ObjectType string
	ObjectID   string
	Detail     string
	PrevHash   []byte
	Hash       []byte
}

// AuditHead is a tenant's row in audit_heads: the seq and hash of the
// newest entry of its chain.
type AuditHead struct {
	TenantID string
	Seq      int64
	Hash     []byte
}

// auditHashPrefix versions the canonical encoding. A new encoding gets a new
// prefix, so old and new entries can never be confused.
const auditHashPrefix = "varsel/v1 audit"

// AuditGenesisHash is the prev_hash of a tenant's first entry: 32 zero bytes.
func AuditGenesisHash() []byte { return make([]byte, sha256.Size) }

// AuditEncoding is the canonical encoding of an entry's fields, prev_hash
// and hash excluded: the prefix "varsel/v1 audit"; the tenant as a
// length-prefixed string; seq and at (Unix milliseconds) as 8-byte
// big-endian integers; then actor type, actor id, action, object type,
// object id and detail, each as a 4-byte big-endian length followed by its
// bytes. The length prefixes make the encoding injective: no two different
// entries encode to the same bytes.
func AuditEncoding(e AuditEntry) []byte {
	b := make([]byte, 0, 128)
	b = append(b, auditHashPrefix...)
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(e.TenantID)
	b = binary.BigEndian.AppendUint64(b, uint64(e.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(ms(e.At)))
	str(e.ActorType)
	str(e.ActorID)
	str(e.Action)
	str(e.ObjectType)
	str(e.ObjectID)
	str(e.Detail)
	return b
}

// AuditHash returns SHA-256(prev || AuditEncoding(e)), the hash that chains
// e to the entry before it.
func AuditHash(prev []byte, e AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(AuditEncoding(e))
	return h.Sum(nil)
}

// AppendAudit appends e to its tenant's audit chain within tx and returns it
// with Seq, At (truncated to milliseconds), PrevHash and Hash filled in.
//
// The tenant's audit_heads row is taken with UPDATE … RETURNING, which
// locks it on PostgreSQL until tx ends, so concurrent writers get gapless
// consecutive seqs and a linear chain (SQLite has one writer anyway). The
// lock is held for the rest of tx: append late in long transactions. If tx
// rolls back, the entry and the head change roll back with it, so an
// action and its audit entry commit together or not at all.
func (tx *Tx) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	if e.TenantID == "" || e.Action == "" || e.ActorType == "" {
		return AuditEntry{}, errors.New("store: append audit: tenant, actor type and action are required")
	}
	if e.At.IsZero() {
		return AuditEntry{}, errors.New("store: append audit: time is required")
	}
	e.At = fromMS(ms(e.At))
	seq, prev, err := tx.takeAuditHead(ctx, e.TenantID)
	if err != nil {
		return AuditEntry{}, err
	}
	e.Seq, e.PrevHash = seq, prev
	e.Hash = AuditHash(prev, e)
	if _, err := tx.tx.ExecContext(ctx, `INSERT INTO audit_log (tenant_id, seq, at, actor_type, actor_id, action, object_type, object_id, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.TenantID, e.Seq, ms(e.At), e.ActorType, e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.PrevHash, e.Hash); err != nil {
		return AuditEntry{}, fmt.Errorf("store: append audit: %w", duplicate(err))
	}
	if _, err := tx.tx.ExecContext(ctx, `UPDATE audit_heads SET hash = $2 WHERE tenant_id = $1`, e.TenantID, e.Hash); err != nil {
		return AuditEntry{}, fmt.Errorf("store: append audit: update head: %w", err)
	}
	return e, nil
}

// takeAuditHead advances the tenant's head by one and returns the new seq
// and the hash of the entry before it, creating the head (seq 1, genesis
// hash) for the tenant's first entry.
func (tx *Tx) takeAuditHead(ctx context.Context, tenant string) (int64, []byte, error) {
	// Two rounds at most: if a concurrent transaction creates the head
	// between our UPDATE and INSERT, the INSERT waits for it, does nothing,
	// and the second UPDATE finds the committed row.
	for range 2 {
		var seq int64
		var prev []byte
		err := tx.tx.QueryRowContext(ctx, `UPDATE audit_heads SET seq = seq + 1 WHERE tenant_id = $1 RETURNING seq, hash`, tenant).
			Scan(&seq, &prev)
		if err == nil {
			return seq, prev, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, nil, fmt.Errorf("store: append audit: take head: %w", err)
		}
		genesis := AuditGenesisHash()
		res, err := tx.tx.ExecContext(ctx, `INSERT INTO audit_heads (tenant_id, seq, hash) VALUES ($1, 1, $2)
			ON CONFLICT (tenant_id) DO NOTHING`, tenant, genesis)
		if err != nil {
			return 0, nil, fmt.Errorf("store: append audit: create head: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, nil, fmt.Errorf("store: append audit: create head: %w", err)
		} else if n == 1 {
			return 1, genesis, nil
		}
	}
	return 0, nil, errors.New("store: append audit: audit head neither found nor created")
}

// AppendAudit appends e in a transaction of its own; see Tx.AppendAudit.
func (db *DB) AppendAudit(ctx context.Context, e AuditEntry) (AuditEntry, error) {
	var out AuditEntry
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.AppendAudit(ctx, e)
		return err
	})
	return out, err
}

// MaxAuditPage bounds the limit of AuditEntries.
const MaxAuditPage = 10000

// AuditEntries returns up to limit entries of the tenant's chain with
// seq >= fromSeq, in seq order. A limit outside 1..MaxAuditPage means
// MaxAuditPage.
func (db *DB) AuditEntries(ctx context.Context, tenant string, fromSeq int64, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > MaxAuditPage {
		limit = MaxAuditPage
	}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor_type, actor_id, action, object_type, object_id, detail, prev_hash, hash
		FROM audit_log WHERE tenant_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`, tenant, fromSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		e := AuditEntry{TenantID: tenant}
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.ActorType, &e.ActorID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: audit entries: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit entries: %w", err)
	}
	return out, nil
}

// AuditHead returns the tenant's audit head, or ErrNotFound when the tenant
// has never appended an entry (or the head row was removed).
func (db *DB) AuditHead(ctx context.Context, tenant string) (AuditHead, error) {
	h := AuditHead{TenantID: tenant}
	err := db.read.QueryRowContext(ctx, `SELECT seq, hash FROM audit_heads WHERE tenant_id = $1`, tenant).Scan(&h.Seq, &h.Hash)
	if err != nil {
		return AuditHead{}, fmt.Errorf("store: audit head: %w", notFound(err))
	}
	return h, nil
}
