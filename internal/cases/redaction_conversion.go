package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Kept conversions of office sources. LibreOffice takes seconds to convert
// an office file to PDF, and a review page shows five pages at a time, so
// a copy of an office file keeps the PDF its source was converted to: the
// analysis keeps the conversion it made, and a page preview renders from
// it (docredact.PreviewConvertedPage) instead of converting again. Redact
// always converts afresh at approval, so the output does not depend on
// what was kept.
//
// The PDF is case content in clear, so it is kept like an approved output:
// an age stream to a fresh recipient in the blob store. Its blob key is in
// clear on the copy's row (conversion_key: BlobReferenced keeps the sweeper
// off it, and a purge of the source and the deletion of the case remove it
// with the row); the identity and the SHA-256 of the source bytes it was
// made from are sealed under the case key (conversion). A kept conversion
// whose digest is not that of the source read now is never used, so it
// cannot show pages of other bytes. It is a cache, not part of the copy:
// writing it moves no version and is neither journaled nor audited (the
// preview it serves is). It goes once the copy is approved, whose previews
// come from the output.

// redactionConversion is the sealed description of a kept conversion.
type redactionConversion struct {
	Identity string `json:"identity"` // age identity the blob is encrypted to
	Source   string `json:"source"`   // hex SHA-256 of the source bytes converted
	Size     int64  `json:"size"`     // bytes of the PDF
}

// ADRedactionConversion binds a kept conversion's sealed description to
// its copy.
func ADRedactionConversion(tenant, reportID, redactionID string) []byte {
	return keys.AD(tenant, "report", reportID, "redaction", redactionID, "conversion")
}

func sourceDigest(src []byte) string {
	sum := sha256.Sum256(src)
	return hex.EncodeToString(sum[:])
}

// storeConversion writes pdf, the conversion of the source with digest
// source, to a new blob and returns its key and sealed description for
// copy x. The blob is not referenced yet: the caller records it or
// deletes it.
func (s *Service) storeConversion(ctx context.Context, c *Case, x store.Redaction, source string, pdf []byte) (string, []byte, error) {
	id, err := keys.NewIdentity()
	if err != nil {
		return "", nil, fmt.Errorf("cases: conversion identity: %w", err)
	}
	key := store.NewID()
	if err := s.writeOutput(ctx, key, id.Recipient(), pdf); err != nil {
		return "", nil, err
	}
	sealed, err := sealPersonJSON(*c.Keys.Case, redactionConversion{Identity: string(id.Bytes()), Source: source, Size: int64(len(pdf))},
		ADRedactionConversion(x.TenantID, x.ReportID, x.ID))
	if err != nil {
		s.cfg.Blobs.Delete(context.WithoutCancel(ctx), key)
		return "", nil, err
	}
	return key, sealed, nil
}

// keptConversion opens the kept conversion of x if it was made from the
// source with digest source. Anything else (none, another source, a
// description or blob that does not open) is ok false: the caller converts
// again and replaces it.
func (s *Service) keptConversion(ctx context.Context, c *Case, x store.Redaction, source string) ([]byte, bool) {
	if x.ConversionKey == "" {
		return nil, false
	}
	var m redactionConversion
	if err := report.OpenJSON(*c.Keys.Case, x.Conversion, ADRedactionConversion(x.TenantID, x.ReportID, x.ID), &m); err != nil {
		s.cfg.Logger.Warn("cases: a kept conversion of a redaction source does not open; converting again", "redaction", x.ID, "error", err)
		return nil, false
	}
	if m.Source != source {
		return nil, false
	}
	id, err := keys.ParseIdentity([]byte(m.Identity))
	if err != nil {
		s.cfg.Logger.Warn("cases: a kept conversion of a redaction source has a bad identity; converting again", "redaction", x.ID)
		return nil, false
	}
	r, err := s.cfg.Blobs.Open(ctx, x.ConversionKey)
	if err != nil {
		s.cfg.Logger.Warn("cases: a kept conversion of a redaction source cannot be read; converting again", "redaction", x.ID, "error", err)
		return nil, false
	}
	defer r.Close()
	plain, err := id.DecryptStream(r)
	if err != nil {
		s.cfg.Logger.Warn("cases: a kept conversion of a redaction source does not decrypt; converting again", "redaction", x.ID, "error", err)
		return nil, false
	}
	pdf, err := io.ReadAll(io.LimitReader(plain, m.Size+1))
	if err != nil || int64(len(pdf)) != m.Size {
		s.cfg.Logger.Warn("cases: a kept conversion of a redaction source is damaged; converting again", "redaction", x.ID)
		return nil, false
	}
	return pdf, true
}

// convertedSource returns the PDF the page previews of copy x render from,
// for its office source src: the kept conversion, or a conversion made now
// and kept. Concurrent previews of one copy share one conversion.
func (s *Service) convertedSource(ctx context.Context, c *Case, x store.Redaction, src []byte) ([]byte, error) {
	source := sourceDigest(src)
	if pdf, ok := s.keptConversion(ctx, c, x, source); ok {
		return pdf, nil
	}
	return s.conversions.do(ctx, x.TenantID+"/"+x.ID+"/"+source, func() ([]byte, error) {
		// A request that finished just before this flight began may
		// have kept one.
		cur, err := s.cfg.DB.Redaction(ctx, x.TenantID, x.ReportID, x.ID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		if pdf, ok := s.keptConversion(ctx, c, cur, source); ok {
			return pdf, nil
		}
		// The conversion is finished even if the request that started it
		// goes away: the requests waiting for it, and later ones, use it.
		wctx := context.WithoutCancel(ctx)
		select {
		case previewSlots <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("cases: waiting to convert a preview source: %w", ctx.Err())
		}
		pdf, err := docredact.ConvertOffice(wctx, src, docredact.Options{})
		<-previewSlots
		if err != nil {
			return nil, fmt.Errorf("cases: convert a redaction source: %w", engineError(err))
		}
		s.keepConversion(wctx, c, cur, source, pdf)
		return pdf, nil
	})
}

// keepConversion stores pdf as the kept conversion of x, replacing a
// stale one. A failure only costs a conversion at the next preview, so it
// is logged (ids only) and not returned.
func (s *Service) keepConversion(ctx context.Context, c *Case, x store.Redaction, source string, pdf []byte) {
	if x.ConversionKey != "" {
		s.dropConversion(ctx, x)
	}
	key, sealed, err := s.storeConversion(ctx, c, x, source, pdf)
	if err != nil {
		s.cfg.Logger.Warn("cases: keeping the conversion of a redaction source failed", "redaction", x.ID, "error", err)
		return
	}
	if err := s.cfg.DB.SetRedactionConversion(ctx, x.TenantID, x.ReportID, x.ID, key, sealed); err != nil {
		// The copy was approved, deleted or given a conversion meanwhile.
		s.cfg.Blobs.Delete(ctx, key)
		if !errors.Is(err, store.ErrStateChanged) {
			s.cfg.Logger.Warn("cases: recording the conversion of a redaction source failed", "redaction", x.ID, "error", err)
		}
	}
}

// dropConversion forgets the kept conversion of x and deletes its blob.
// It is best effort: a conversion left behind stays unreadable without
// the case key and goes with the copy or the case.
func (s *Service) dropConversion(ctx context.Context, x store.Redaction) {
	if x.ConversionKey == "" {
		return
	}
	err := s.cfg.DB.ClearRedactionConversion(ctx, x.TenantID, x.ReportID, x.ID, x.ConversionKey)
	switch {
	case err == nil:
		if err := s.cfg.Blobs.Delete(ctx, x.ConversionKey); err != nil {
			s.cfg.Logger.Warn("cases: deleting a dropped conversion of a redaction source failed; the sweeper removes it", "redaction", x.ID, "error", err)
		}
	case !errors.Is(err, store.ErrStateChanged):
		s.cfg.Logger.Warn("cases: dropping the conversion of a redaction source failed", "redaction", x.ID, "error", err)
	}
}

// conversionFlights lets concurrent previews of one copy share a
// conversion: the review page asks for five pages at once, and without a
// kept conversion each would start LibreOffice.
type conversionFlights struct {
	mu sync.Mutex
	m  map[string]*conversionFlight
}

// errConversionAbandoned is what waiters get if fn panicked.
var errConversionAbandoned = errors.New("cases: a conversion did not finish")

type conversionFlight struct {
	done chan struct{}
	pdf  []byte
	err  error
}

// do runs fn once for concurrent callers with the same key; the others
// wait for its result, or for their own context.
func (f *conversionFlights) do(ctx context.Context, key string, fn func() ([]byte, error)) ([]byte, error) {
	f.mu.Lock()
	if fl, ok := f.m[key]; ok {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.pdf, fl.err
		case <-ctx.Done():
			return nil, fmt.Errorf("cases: waiting for a conversion: %w", ctx.Err())
		}
	}
	if f.m == nil {
		f.m = map[string]*conversionFlight{}
	}
	fl := &conversionFlight{done: make(chan struct{}), err: errConversionAbandoned}
	f.m[key] = fl
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.m, key)
		f.mu.Unlock()
		close(fl.done)
	}()
	fl.pdf, fl.err = fn()
	return fl.pdf, fl.err
}
