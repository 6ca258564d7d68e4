package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/varsel/varsel/internal/store"
)

// Reason says why a chain is broken.
type Reason string

const (
	// ReasonHashMismatch: an entry's stored hash is not the hash of its
	// fields and prev_hash, so the entry was edited.
	ReasonHashMismatch Reason = "hash mismatch"
	// ReasonPrevHashMismatch: an entry's prev_hash is not the hash of the
	// entry before it.
	ReasonPrevHashMismatch Reason = "prev_hash mismatch"
	// ReasonSeqGap: an entry is missing before the head's seq.
	ReasonSeqGap Reason = "seq gap"
	// ReasonTruncated: the chain ends before the seq recorded in audit_heads.
	ReasonTruncated Reason = "truncated"
	// ReasonHeadMismatch: the last entry's hash differs from the head's, or
	// entries exist beyond the head.
	ReasonHeadMismatch Reason = "head mismatch"
	// ReasonHeadMissing: entries exist but audit_heads has no row for the tenant.
	ReasonHeadMissing Reason = "head missing"
)

// Report is the outcome of Verify.
type Report struct {
	Tenant  string
	Entries int64  // entries checked and found intact
	Head    []byte // hash of the last intact entry (the head when the chain is intact)

	Broken   bool
	BrokenAt int64  // seq of the first broken or missing entry
	Reason   Reason // why
	Detail   string // human-readable explanation
}

func (r Report) String() string {
	if !r.Broken {
		return fmt.Sprintf("audit log intact: %d entries", r.Entries)
	}
	return fmt.Sprintf("audit log broken at entry %d: %s (%s)", r.BrokenAt, r.Reason, r.Detail)
}

// pageSize is how many entries Verify reads at a time; tests lower it.
var pageSize = 1000

// Verify walks the tenant's chain from seq 1 in pages and returns the first
// broken link. An error means the check could not run, not that the chain
// is broken.
//
// The head is read first and the chain checked up to its seq, so entries
// appended while Verify runs do not disturb it; such entries are checked
// by the next run.
func Verify(ctx context.Context, db *store.DB, tenant string) (Report, error) {
	r := Report{Tenant: tenant, Head: store.AuditGenesisHash()}
	head, err := db.AuditHead(ctx, tenant)
	if errors.Is(err, store.ErrNotFound) {
		first, err := db.AuditEntries(ctx, tenant, math.MinInt64, 1)
		if err != nil {
			return Report{}, err
		}
		if len(first) > 0 {
			return r.broken(first[0].Seq, ReasonHeadMissing, "entries exist but the audit head row is gone"), nil
		}
		return r, nil // no log yet
	}
	if err != nil {
		return Report{}, err
	}

	// Seqs start at 1; a row below that was put there by hand.
	if first, err := db.AuditEntries(ctx, tenant, math.MinInt64, 1); err != nil {
		return Report{}, err
	} else if len(first) > 0 && first[0].Seq < 1 {
		return r.broken(first[0].Seq, ReasonSeqGap, "entry with a seq below 1"), nil
	}

	next := int64(1)
	prev := store.AuditGenesisHash()
walk:
	for next <= head.Seq {
		page, err := db.AuditEntries(ctx, tenant, next, pageSize)
		if err != nil {
			return Report{}, err
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Seq > head.Seq {
				break walk // the chain ends before the head: truncated
			}
			if e.Seq != next {
				return r.broken(next, ReasonSeqGap, fmt.Sprintf("entry %d is missing (the next stored entry is %d)", next, e.Seq)), nil
			}
			if !bytes.Equal(e.PrevHash, prev) {
				return r.broken(e.Seq, ReasonPrevHashMismatch, "prev_hash does not match the hash of the entry before"), nil
			}
			if !bytes.Equal(Hash(prev, e), e.Hash) {
				return r.broken(e.Seq, ReasonHashMismatch, "stored hash does not match the entry's fields"), nil
			}
			prev = e.Hash
			r.Entries, r.Head = e.Seq, e.Hash
			next++
		}
	}
	if r.Entries < head.Seq {
		return r.broken(r.Entries+1, ReasonTruncated, fmt.Sprintf("entries %d to %d are missing at the end (the audit head records %d)", r.Entries+1, head.Seq, head.Seq)), nil
	}
	if !bytes.Equal(prev, head.Hash) {
		return r.broken(head.Seq, ReasonHeadMismatch, "the audit head's hash differs from the last entry's"), nil
	}
	// Entries beyond the head are fine if they were appended meanwhile, in
	// which case the head has moved past them; otherwise the head was set
	// back.
	beyond, err := db.AuditEntries(ctx, tenant, head.Seq+1, 1)
	if err != nil {
		return Report{}, err
	}
	if len(beyond) > 0 {
		now, err := db.AuditHead(ctx, tenant)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return Report{}, err
		}
		if now.Seq < beyond[0].Seq {
			return r.broken(beyond[0].Seq, ReasonHeadMismatch, fmt.Sprintf("entry %d lies beyond the audit head (seq %d)", beyond[0].Seq, now.Seq)), nil
		}
	}
	return r, nil
}

func (r Report) broken(seq int64, reason Reason, detail string) Report {
	r.Broken, r.BrokenAt, r.Reason, r.Detail = true, seq, reason, detail
	return r
}
