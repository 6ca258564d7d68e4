package intake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/scrub"
)

// PDFs at intake (RC-5). A PDF can hide far more than an image: document
// information, XMP, attachments, comments, form fields, scripts, earlier
// revisions, text under a picture. Rather than edit such a file, the
// cleaned copy is rebuilt from pictures of its pages (internal/docredact),
// so nothing but what a reader sees survives. The copy has no text layer:
// recognition costs seconds a page, too slow while the whistleblower
// waits, and a handler can run it later. Every PDF therefore goes through
// the confirmation step, where the whistleblower is told that the cleaned
// copy is a picture of each page.

// Problems particular to PDFs.
const (
	// ProblemTooManyPages: more pages than are cleaned while the
	// whistleblower waits.
	ProblemTooManyPages = "too_many_pages"
	// ProblemPDFUnavailable: the server has no PDF renderer (poppler), so
	// PDFs are shown but not cleaned. Treated like ProblemUnsupported.
	ProblemPDFUnavailable = "pdf_unavailable"
)

// PDFConfig says how PDFs are cleaned at intake. The zero value cleans
// with the defaults below.
type PDFConfig struct {
	// Off leaves PDFs uncleaned, as when poppler is not installed.
	Off bool
	// MaxPages is the most pages a PDF may have to be cleaned at intake
	// (DefaultPDFMaxPages when 0). A longer file is shown with the choice
	// between removing it and keeping it as it is.
	MaxPages int
	// MaxBytes is the largest PDF cleaned (DefaultPDFMaxBytes when 0); it
	// is read into memory.
	MaxBytes int64
	// Timeout bounds the cleaning of one file, waiting for a free slot
	// included (DefaultPDFTimeout when 0). A file that takes longer fails
	// like any file that cannot be cleaned: the whistleblower chooses
	// again.
	Timeout time.Duration
	// Tools runs poppler with its sandbox and limits; nil means
	// docredact.DefaultTools at DefaultPDFDPI with MaxPages applied.
	Tools *docredact.Tools
	// WorkDir is where the decrypted upload and its rendered pages are
	// written while poppler works on them. Empty: /dev/shm when usable (a
	// memory file system, so the plaintext never reaches a disk), else
	// the system's temporary directory.
	WorkDir string
}

// Defaults of PDFConfig. At about 3 pages a second on a loaded 2-core
// server (docs/benchmarks.md), 100 pages take about half a minute.
const (
	DefaultPDFMaxPages = 100
	DefaultPDFMaxBytes = 128 << 20
	DefaultPDFTimeout  = 2 * time.Minute
	DefaultPDFDPI      = 150
)

// pdfCleaner is the resolved PDFConfig of a Service.
type pdfCleaner struct {
	cfg     PDFConfig
	tools   *docredact.Tools
	slots   chan struct{} // PDFs cleaned at once: one per core
	logger  interface{ Warn(string, ...any) }
	missing sync.Once
	dirOnce sync.Once
	dir     string
}

func newPDFCleaner(cfg PDFConfig, logger interface{ Warn(string, ...any) }) *pdfCleaner {
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = DefaultPDFMaxPages
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultPDFMaxBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultPDFTimeout
	}
	t := cfg.Tools
	if t == nil {
		c := docredact.DefaultTools
		c.DPI = DefaultPDFDPI
		t = &c
	} else {
		c := *t
		t = &c
	}
	t.MaxPages = cfg.MaxPages
	t.MaxInput = cfg.MaxBytes
	if t.Timeout > cfg.Timeout {
		t.Timeout = cfg.Timeout
	}
	return &pdfCleaner{cfg: cfg, tools: t, slots: make(chan struct{}, max(1, runtime.NumCPU())), logger: logger}
}

// cleanAvailable is docredact.CleanAvailable; tests replace it to play a
// server without poppler.
var cleanAvailable = docredact.CleanAvailable

// available reports whether PDFs can be cleaned; the first time it finds
// poppler missing it says so in the log (no file, no person).
func (p *pdfCleaner) available() bool {
	if p.cfg.Off {
		return false
	}
	if err := cleanAvailable(); err != nil {
		p.missing.Do(func() {
			p.logger.Warn("intake: PDFs are shown but not cleaned of their metadata: poppler-utils is not installed", "err", err.Error())
		})
		return false
	}
	return true
}

// workDir picks /dev/shm when a directory can be made there.
func (p *pdfCleaner) workDir() string {
	p.dirOnce.Do(func() {
		p.dir = p.cfg.WorkDir
		if p.dir != "" {
			return
		}
		if d, err := os.MkdirTemp("/dev/shm", "varsel-probe-*"); err == nil {
			os.Remove(d)
			p.dir = "/dev/shm"
		}
	})
	return p.dir
}

// acquire waits for a cleaning slot: poppler is single-threaded and CPU
// bound, so more runs than cores only make every upload slower.
func (p *pdfCleaner) acquire(ctx context.Context) (func(), error) {
	select {
	case p.slots <- struct{}{}:
		return func() { <-p.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("intake: waiting to clean a PDF: %w", ctx.Err())
	}
}

// readAll reads a decrypted draft file into memory, up to limit bytes.
func readAll(f *report.DraftFile, limit int64) ([]byte, error) {
	if f.Size > limit {
		return nil, fmt.Errorf("%w: %d bytes", docredact.ErrTooLarge, f.Size)
	}
	b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size))
	if err != nil {
		return nil, fmt.Errorf("intake: read file: %w", err)
	}
	return b, nil
}

// checkPDF completes the check of a PDF: whether it can be cleaned and how
// many pages it has. c already holds what scrub.Inspect found.
func (p *pdfCleaner) checkPDF(ctx context.Context, f *report.DraftFile, c *FileCheck, rep scrub.Report) error {
	c.MaxPages = p.cfg.MaxPages
	if !p.available() {
		c.Problem = ProblemPDFUnavailable
		return nil
	}
	data, err := readAll(f, p.cfg.MaxBytes)
	if err != nil {
		if errors.Is(err, docredact.ErrTooLarge) {
			c.Problem = ProblemTooLarge
			return nil
		}
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	n, err := p.tools.PDFPages(ctx, data, p.workDir())
	switch {
	case err == nil:
	case errors.Is(err, docredact.ErrToolMissing):
		c.Problem = ProblemPDFUnavailable
		return nil
	case errors.Is(err, docredact.ErrTooLarge):
		c.Problem = ProblemTooLarge
		return nil
	case errors.Is(err, docredact.ErrMalformed):
		c.Problem = ProblemMalformed
		if rep.Has(scrub.FieldEncrypted) {
			c.Problem = ProblemEncrypted // a password is needed to open it
		}
		return nil
	case ctx.Err() != nil:
		return err
	default:
		c.Problem = ProblemMalformed
		return nil
	}
	c.Pages = n
	c.Fields = append(c.Fields, scrub.Field{Name: scrub.FieldPages, Value: strconv.Itoa(n)})
	if n > p.cfg.MaxPages {
		c.Problem = ProblemTooManyPages
		return nil
	}
	c.Cleanable = true
	return nil
}

// clean writes the rebuilt PDF to w.
func (p *pdfCleaner) clean(ctx context.Context, f *report.DraftFile, w io.Writer) error {
	data, err := readAll(f, p.cfg.MaxBytes)
	if err != nil {
		return err
	}
	out, err := p.cleanBytes(ctx, data)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// cleanBytes rebuilds a PDF within the timeout, waiting for a slot first.
func (p *pdfCleaner) cleanBytes(ctx context.Context, data []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	release, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := p.tools.CleanPDF(ctx, data, p.workDir())
	if err != nil {
		return nil, fmt.Errorf("intake: clean PDF: %w", err)
	}
	return res.Data, nil
}
