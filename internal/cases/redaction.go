package cases

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/detect"
	"github.com/varsel/varsel/internal/docredact"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/redact"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Anonymised copies of case files (issue 4; DA-2: anonymise before
// sharing, with a reviewer's sign-off). A handler starts a copy of a file
// of the report or of a later message; Varsel finds the personal data in
// it (the case's own persons included) and stores a draft: the findings
// with their values, one decision per finding (redact by default from
// DefaultRedactScore up), areas and values added by hand. The draft is
// sealed under the case key, like the journal. The preparer submits it; a
// second handler with access approves or rejects it (four eyes: whoever
// prepared, edited or submitted a copy cannot decide on it). Approval
// renders the copy and runs the release gate with every confirmed value;
// a copy that fails is not approved and the failed checks are kept and
// shown. An approved copy is released, running the gate once more on the
// stored output, and only then can it be downloaded or named in a
// disclosure note. The original file is never changed. Every step is
// journaled (kind "redaction", ids and step words only) and audited
// (case.redact).
//
// Plain text is redacted here with internal/detect and internal/redact
// (byte spans, fixed-width labels); every other type goes through
// internal/docredact (areas burnt into rendered pages), which answers
// ErrUnsupported for a type it cannot handle yet.

// EntryRedaction journals a step of an anonymised copy.
const EntryRedaction = "redaction"

// DefaultRedactScore is the score from which a finding is marked redact
// when a draft is made; below it the handler decides.
const DefaultRedactScore = 0.5

const (
	// maxRedactSource bounds the file read into memory for analysis: the
	// engine works on byte slices.
	maxRedactSource = 64 << 20
	maxManualValues = 200
	maxManualAreas  = 500
	maxValueLen     = 500
	maxRejectLen    = 2000
	// manualType is the finding type of a value added by hand; it gets
	// the generic label.
	manualType = "MANUAL"
)

var (
	// ErrInvalidRedaction refuses a change that names unknown findings or
	// values, an area outside its page, or nothing at all.
	ErrInvalidRedaction = errors.New("the change names an unknown finding, area or value, an area outside the page " +
		"(page from 1, x, y, w, h in percent of the page, inside it), a value that is empty or longer than 500 characters, " +
		"an area on a plain text file, or nothing to change")
	// ErrRedactionState refuses a step the copy's state does not allow.
	ErrRedactionState = errors.New("the anonymised copy is not in a state that allows this step")
	// ErrFourEyes refuses a decision by someone who prepared the copy.
	ErrFourEyes = errors.New("a copy is approved or rejected by a second handler: whoever prepared, changed or submitted it cannot decide on it")
	// ErrRedactionUnsupported refuses a file type no engine can redact yet.
	ErrRedactionUnsupported = errors.New("this file type cannot be anonymised yet")
	// ErrRedactionTool reports that a tool the engine needs is not installed.
	ErrRedactionTool = errors.New("a tool needed to anonymise this file is not installed on the server")
	// ErrRedactionTooLarge refuses a source file above maxRedactSource.
	ErrRedactionTooLarge = errors.New("the file is too large to anonymise (at most 64 MiB)")
	// ErrRedactionMalformed refuses a file that is damaged or not what
	// its type claims.
	ErrRedactionMalformed = errors.New("the file is damaged or not of the type it claims, so it cannot be anonymised")
	// ErrRejectReason refuses a rejection without a reason.
	ErrRejectReason = errors.New("a rejection needs a reason (at most 2,000 characters)")
	// ErrOriginalFile refuses an original case file in a disclosure note:
	// only released anonymised copies leave a case.
	ErrOriginalFile = errors.New("an original case file cannot be disclosed; select a released anonymised copy under \"redactions\"")
	// ErrRedactionNotReleased refuses a copy in a disclosure note that is
	// not (yet) released.
	ErrRedactionNotReleased = errors.New("only a released anonymised copy of this case can be disclosed")
)

// GateFailure says that the release gate found confirmed values in a copy:
// which checks found them and how many. It never holds the values.
type GateFailure struct {
	Checks []string
	Leaks  int
}

func (e *GateFailure) Error() string {
	return fmt.Sprintf("the release gate found %d confirmed value(s) in the copy (checks: %s); it was not approved or released",
		e.Leaks, strings.Join(e.Checks, ", "))
}

// RedactionFinding is one piece of personal data found in the source file.
// Value is case content: it is sealed, and only holders of the case key
// ever see it.
type RedactionFinding struct {
	ID     string           `json:"id"`
	Type   string           `json:"type"`
	Rule   string           `json:"rule"`
	Score  float64          `json:"score"`
	Page   int              `json:"page"`
	Source string           `json:"source"` // "text" or "ocr"
	Start  int              `json:"start"`  // byte offsets (plain text only)
	End    int              `json:"end"`
	Value  string           `json:"value"`
	Areas  []docredact.Area `json:"areas"`
	Redact bool             `json:"redact"`
}

// ManualArea is an area added by hand, in fractions of the page.
type ManualArea struct {
	ID string `json:"id"`
	docredact.Area
}

// ManualValue is a value added by hand: redacted wherever it occurs in a
// plain text file, and a confirmed value for the release gate of any file.
type ManualValue struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// redactionOutput describes the approved output; Identity is the age
// identity its blob is encrypted to.
type redactionOutput struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Pages     int    `json:"pages"`
	Identity  string `json:"identity"`
}

// redactionBody is what a copy seals under the case key.
type redactionBody struct {
	FileName  string             `json:"file_name"`
	MediaType string             `json:"media_type"`
	Text      bool               `json:"text"`
	Pages     int                `json:"pages"`
	Lang      string             `json:"lang"`
	Findings  []RedactionFinding `json:"findings"`
	Areas     []ManualArea       `json:"areas"`
	Values    []ManualValue      `json:"values"`
	Preparers []string           `json:"preparers"`
	Reason    string             `json:"reason,omitempty"`
	Output    *redactionOutput   `json:"output,omitempty"`
}

// ADRedaction binds a copy's sealed body to its case and id.
func ADRedaction(tenant, reportID, redactionID string) []byte {
	return keys.AD(tenant, "report", reportID, "redaction", redactionID)
}

// RedactionOutput describes an approved copy.
type RedactionOutput struct {
	Name      string `json:"name"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Pages     int    `json:"pages"`
}

// RedactionView is an opened anonymised copy.
type RedactionView struct {
	ID          string             `json:"id"`
	CaseID      string             `json:"case_id"`
	FileID      string             `json:"file_id"`
	FileName    string             `json:"file_name"`
	MediaType   string             `json:"media_type"`
	PlainText   bool               `json:"plain_text"`
	Pages       int                `json:"pages"`
	Lang        string             `json:"lang"`
	State       string             `json:"state"`
	Version     int64              `json:"version"`
	Findings    []RedactionFinding `json:"findings"`
	Areas       []ManualArea       `json:"areas"`
	Values      []ManualValue      `json:"values"`
	Reason      string             `json:"reason,omitempty"`
	GateChecks  []string           `json:"gate_checks"`
	GateLeaks   int                `json:"gate_leaks"`
	Output      *RedactionOutput   `json:"output,omitempty"`
	Preparers   []string           `json:"preparers"`
	CreatedBy   string             `json:"created_by"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`
	SubmittedBy string             `json:"submitted_by,omitempty"`
	SubmittedAt *time.Time         `json:"submitted_at"`
	DecidedBy   string             `json:"decided_by,omitempty"`
	DecidedAt   *time.Time         `json:"decided_at"`
	ReleasedBy  string             `json:"released_by,omitempty"`
	ReleasedAt  *time.Time         `json:"released_at"`
	// CanDecide tells whether the reader may approve or reject: the copy
	// is submitted and the reader prepared none of it.
	CanDecide bool `json:"can_decide"`
	// Preview is the redacted text of a plain text file as the current
	// decisions make it (the approved output once approved); empty
	// otherwise. Not part of the API answer: see the preview route.
	Preview string `json:"-"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func redactionView(x store.Redaction, b redactionBody, reader string) RedactionView {
	v := RedactionView{ID: x.ID, CaseID: x.ReportID, FileID: x.FileID, FileName: b.FileName, MediaType: b.MediaType,
		PlainText: b.Text, Pages: b.Pages, Lang: b.Lang, State: x.State, Version: x.Version,
		Findings: b.Findings, Areas: b.Areas, Values: b.Values, Reason: b.Reason, GateChecks: []string{}, GateLeaks: x.GateLeaks,
		Preparers: b.Preparers, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt,
		SubmittedBy: x.SubmittedBy, SubmittedAt: optTime(x.SubmittedAt), DecidedBy: x.DecidedBy, DecidedAt: optTime(x.DecidedAt),
		ReleasedBy: x.ReleasedBy, ReleasedAt: optTime(x.ReleasedAt)}
	if x.GateChecks != "" {
		v.GateChecks = strings.Split(x.GateChecks, ",")
	}
	if v.Findings == nil {
		v.Findings = []RedactionFinding{}
	}
	if v.Areas == nil {
		v.Areas = []ManualArea{}
	}
	if v.Values == nil {
		v.Values = []ManualValue{}
	}
	if v.Preparers == nil {
		v.Preparers = []string{}
	}
	if o := b.Output; o != nil {
		v.Output = &RedactionOutput{Name: o.Name, MediaType: o.MediaType, Size: o.Size, Pages: o.Pages}
	}
	v.CanDecide = x.State == store.RedactionSubmitted && !b.prepared(reader, x)
	return v
}

// prepared tells whether user had a hand in the copy.
func (b redactionBody) prepared(user string, x store.Redaction) bool {
	return user == x.CreatedBy || user == x.SubmittedBy || slices.Contains(b.Preparers, user)
}

// confirmed lists the values the release gate must not find: every
// finding marked redact and every manual value.
func (b redactionBody) confirmed() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, f := range b.Findings {
		if f.Redact {
			add(f.Value)
		}
	}
	for _, v := range b.Values {
		add(v.Text)
	}
	return out
}

// areas lists every area to burn in: those of findings marked redact and
// the manual ones.
func (b redactionBody) areas() []docredact.Area {
	var out []docredact.Area
	for _, f := range b.Findings {
		if f.Redact {
			out = append(out, f.Areas...)
		}
	}
	for _, a := range b.Areas {
		out = append(out, a.Area)
	}
	return out
}

// casePersons opens the case's persons concerned as detection persons: the
// name with its aliases, and each relative as a person of their own.
func (s *Service) casePersons(ctx context.Context, c *Case) ([]detect.Person, error) {
	ps, err := s.cfg.DB.Persons(ctx, c.Report.TenantID, c.Report.ID)
	if err != nil {
		return nil, err
	}
	var out []detect.Person
	for _, p := range ps {
		if len(p.Details) == 0 || !p.RemovedAt.IsZero() {
			continue
		}
		var d PersonDetails
		if err := report.OpenJSON(*c.Keys.Case, p.Details, ADPerson(p.TenantID, p.ReportID, p.ID, "details"), &d); err != nil {
			return nil, fmt.Errorf("cases: open person: %w", err)
		}
		out = append(out, detect.Person{Name: d.Name, Aliases: d.Aliases})
		for _, r := range d.Relatives {
			out = append(out, detect.Person{Name: r})
		}
	}
	return out, nil
}

// readSource decrypts a case file into memory for the engine.
func (s *Service) readSource(ctx context.Context, c *Case, fileID string) (report.FileMeta, []byte, error) {
	f, err := report.OpenFile(ctx, s.cfg.DB, s.cfg.Blobs, c.Report, c.Keys.Report, fileID)
	if errors.Is(err, store.ErrNotFound) {
		return report.FileMeta{}, nil, ErrNotFound
	}
	if err != nil {
		return report.FileMeta{}, nil, err
	}
	defer f.Close()
	if f.Meta.Size > maxRedactSource {
		return report.FileMeta{}, nil, ErrRedactionTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRedactSource+1))
	if err != nil {
		return report.FileMeta{}, nil, fmt.Errorf("cases: read file for redaction: %w", err)
	}
	if len(data) > maxRedactSource {
		return report.FileMeta{}, nil, ErrRedactionTooLarge
	}
	return f.Meta, data, nil
}

// isPlainText tells whether a file is handled as UTF-8 plain text.
func isPlainText(meta report.FileMeta, data []byte) bool {
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return false
	}
	ct := strings.ToLower(meta.ContentType)
	return strings.HasPrefix(ct, "text/plain") || strings.HasPrefix(http.DetectContentType(data), "text/plain") &&
		!strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "image/") && ct != "application/pdf"
}

// engineError maps the engine's errors to the service's.
func engineError(err error) error {
	switch {
	case errors.Is(err, docredact.ErrUnsupported):
		return ErrRedactionUnsupported
	case errors.Is(err, docredact.ErrToolMissing):
		return ErrRedactionTool
	case errors.Is(err, docredact.ErrTooLarge):
		return ErrRedactionTooLarge
	case errors.Is(err, docredact.ErrMalformed):
		return ErrRedactionMalformed
	case errors.Is(err, docredact.ErrBadArea):
		return ErrInvalidRedaction
	}
	return err
}

func redactLang(lang string) string {
	if slices.Contains(redact.Languages(), lang) {
		return lang
	}
	return "en"
}

// produced is a rendered copy.
type produced struct {
	Data      []byte
	MediaType string
	Pages     int
}

// produce renders the copy the body's decisions describe.
func produce(ctx context.Context, b redactionBody, data []byte, persons []detect.Person) (produced, error) {
	if b.Text {
		text := string(data)
		fs, err := textFindings(text, b)
		if err != nil {
			return produced{}, err
		}
		opt := redact.DefaultOptions()
		opt.MinScore, opt.Lang, opt.Persons = 0, redactLang(b.Lang), persons
		r, err := redact.Text(text, fs, opt)
		if err != nil {
			return produced{}, fmt.Errorf("cases: redact text: %w", err)
		}
		return produced{Data: []byte(r.Text), MediaType: "text/plain; charset=utf-8", Pages: 1}, nil
	}
	res, err := docredact.Redact(ctx, b.FileName, data, b.areas(), docredact.Options{Persons: persons, OCR: true, Lang: redactLang(b.Lang)})
	if err != nil {
		return produced{}, engineError(err)
	}
	return produced{Data: res.Data, MediaType: res.MediaType, Pages: res.Pages}, nil
}

// textFindings lists the spans to replace in a plain text: the findings
// marked redact and every occurrence of each manual value.
func textFindings(text string, b redactionBody) ([]detect.Finding, error) {
	var fs []detect.Finding
	for _, f := range b.Findings {
		if !f.Redact {
			continue
		}
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			return nil, fmt.Errorf("cases: redaction finding outside the text")
		}
		fs = append(fs, detect.Finding{Type: f.Type, Start: f.Start, End: f.End, Text: text[f.Start:f.End], Score: 1, Rule: f.Rule})
	}
	if len(b.Values) > 0 {
		norm, start, end := detect.Normalize(text)
		for _, v := range b.Values {
			if blankValue(v.Text) {
				continue
			}
			for _, m := range valuePattern(v.Text).FindAllStringIndex(norm, -1) {
				if m[1] <= m[0] {
					continue
				}
				s, e := start[m[0]], end[m[1]-1]
				fs = append(fs, detect.Finding{Type: manualType, Start: s, End: e, Text: text[s:e], Score: 1, Rule: "manual"})
			}
		}
	}
	// Overlapping spans (a manual value inside a finding, say) are
	// joined into one label by redact.Text, so none is dropped.
	return fs, nil
}

// blankValue tells whether a value has nothing left to match once
// normalised (only spaces or invisible characters).
func blankValue(v string) bool {
	norm, _, _ := detect.Normalize(v)
	return len(strings.Fields(norm)) == 0
}

// valuePattern matches a value in normalised text whatever its case and
// however its words are spaced or broken across lines.
func valuePattern(v string) *regexp.Regexp {
	norm, _, _ := detect.Normalize(v)
	words := strings.Fields(norm)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return regexp.MustCompile(`(?i)` + strings.Join(words, `[\s\-]+`))
}

// textGate is the release gate for plain text, run in addition to the
// engine's: no confirmed value may remain in the output, compared after
// the same normalisation the detectors use, ignoring case and spacing.
func textGate(out []byte, confirmed []string) error {
	norm, _, _ := detect.Normalize(string(out))
	leaks := 0
	for _, v := range confirmed {
		if !blankValue(v) && valuePattern(v).MatchString(norm) {
			leaks++
		}
	}
	if leaks > 0 {
		return &GateFailure{Checks: []string{"text"}, Leaks: leaks}
	}
	return nil
}

// gate runs the release gate on an output.
func gate(ctx context.Context, b redactionBody, out produced) error {
	confirmed := b.confirmed()
	var checks []string
	leaks := 0
	if b.Text {
		var gf *GateFailure
		if err := textGate(out.Data, confirmed); errors.As(err, &gf) {
			checks, leaks = append(checks, gf.Checks...), gf.Leaks
		}
	}
	err := docredact.Gate(ctx, out.Data, out.MediaType, confirmed)
	var ge *docredact.GateError
	switch {
	case errors.As(err, &ge):
		for _, c := range ge.Checks {
			if !slices.Contains(checks, c) {
				checks = append(checks, c)
			}
		}
		leaks = max(leaks, ge.Leaks)
	case err == nil:
	case b.Text && errors.Is(err, docredact.ErrUnsupported):
		// The engine does not read plain text; textGate did.
	default:
		return engineError(err)
	}
	if len(checks) > 0 {
		return &GateFailure{Checks: checks, Leaks: max(leaks, 1)}
	}
	return nil
}

// outputName names the copy after its source with the output's type.
func outputName(source, mediaType string) string {
	ext := path.Ext(source)
	base := strings.TrimSuffix(source, ext)
	switch {
	case strings.HasPrefix(mediaType, "application/pdf"):
		ext = ".pdf"
	case strings.HasPrefix(mediaType, "image/png"):
		ext = ".png"
	case strings.HasPrefix(mediaType, "image/jpeg"):
		ext = ".jpg"
	case strings.HasPrefix(mediaType, "text/plain") && ext == "":
		ext = ".txt"
	}
	return report.CleanFileName(base + " (anonymised)" + ext)
}

// loadRedaction opens a case and one of its copies. A reader without the
// case key gets ErrNotFound: the copy is sealed under it.
func (s *Service) loadRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (*Case, store.Redaction, redactionBody, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, store.Redaction{}, redactionBody{}, err
	}
	if c.Keys.Case == nil {
		return nil, store.Redaction{}, redactionBody{}, ErrNotFound
	}
	x, err := s.cfg.DB.Redaction(ctx, st.TenantID, reportID, redactionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, store.Redaction{}, redactionBody{}, ErrNotFound
	}
	if err != nil {
		return nil, store.Redaction{}, redactionBody{}, err
	}
	var b redactionBody
	if err := report.OpenJSON(*c.Keys.Case, x.Body, ADRedaction(st.TenantID, reportID, x.ID), &b); err != nil {
		return nil, store.Redaction{}, redactionBody{}, fmt.Errorf("cases: open redaction: %w", err)
	}
	return c, x, b, nil
}

// redactionStep seals b into x, moves x one version on and writes it with
// its journal entry and audit entry in one transaction. A concurrent step
// on the same copy makes this one fail with ErrConflict.
func (s *Service) redactionStep(ctx context.Context, st *accounts.Staff, c *Case, x store.Redaction, b redactionBody,
	step string, jb journalBody) (store.Redaction, error) {
	now := s.cfg.Now()
	from := x.Version
	x.Version, x.UpdatedBy, x.UpdatedAt = from+1, st.UserID, now
	var err error
	if x.Body, err = sealPersonJSON(*c.Keys.Case, b, ADRedaction(st.TenantID, x.ReportID, x.ID)); err != nil {
		return store.Redaction{}, err
	}
	jb.Action, jb.RedactionID, jb.FileIDs = step, x.ID, []string{x.FileID}
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: x.ReportID, ID: store.NewID(),
		Kind: EntryRedaction, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now}, jb)
	if err != nil {
		return store.Redaction{}, err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if from == 0 {
			if err := tx.InsertRedaction(ctx, x); err != nil {
				return err
			}
		} else if err := tx.UpdateRedaction(ctx, x, from); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseRedact, audit.ObjectCase, x.ReportID, step))
		return err
	})
	if errors.Is(err, store.ErrStateChanged) {
		return store.Redaction{}, ErrConflict
	}
	if err != nil {
		return store.Redaction{}, err
	}
	return x, nil
}

// RedactionStart asks for an anonymised copy of one case file.
type RedactionStart struct {
	FileID string
	Lang   string // labels of a plain text copy: "en", "da" or "nb"
}

// CreateRedaction analyses a case file and stores a draft copy.
func (s *Service) CreateRedaction(ctx context.Context, st *accounts.Staff, reportID string, in RedactionStart) (RedactionView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return RedactionView{}, err
	}
	if c.Keys.Case == nil {
		return RedactionView{}, ErrNoCaseKey
	}
	if in.FileID == "" {
		return RedactionView{}, ErrInvalidRedaction
	}
	meta, data, err := s.readSource(ctx, c, in.FileID)
	if err != nil {
		return RedactionView{}, err
	}
	persons, err := s.casePersons(ctx, c)
	if err != nil {
		return RedactionView{}, err
	}
	b := redactionBody{FileName: meta.Name, MediaType: meta.ContentType, Text: isPlainText(meta, data), Pages: 1,
		Lang: redactLang(in.Lang), Preparers: []string{st.UserID}}
	var converted []byte
	if b.Text {
		engine := detect.Default()
		if len(persons) > 0 {
			engine = engine.With(detect.NewPersons(persons))
		}
		for _, f := range engine.Scan(string(data)) {
			b.Findings = append(b.Findings, RedactionFinding{ID: store.NewID(), Type: f.Type, Rule: f.Rule, Score: f.Score,
				Page: 1, Source: "text", Start: f.Start, End: f.End, Value: f.Text, Redact: f.Score >= DefaultRedactScore})
		}
		b.MediaType = "text/plain; charset=utf-8"
	} else {
		a, err := docredact.Analyse(ctx, meta.Name, data, docredact.Options{Persons: persons, OCR: true, Lang: b.Lang, KeepConverted: true})
		if err != nil {
			return RedactionView{}, engineError(err)
		}
		b.MediaType, b.Pages = a.MediaType, max(a.Pages, 1)
		for _, f := range a.Findings {
			b.Findings = append(b.Findings, RedactionFinding{ID: store.NewID(), Type: f.Type, Rule: f.Rule, Score: f.Score,
				Page: f.Page, Source: f.Source, Start: f.Start, End: f.End, Value: f.Text, Areas: f.Areas,
				Redact: f.Score >= DefaultRedactScore})
		}
		converted = a.Converted
	}
	now := s.cfg.Now()
	x := store.Redaction{TenantID: st.TenantID, ID: store.NewID(), ReportID: reportID, FileID: in.FileID,
		State: store.RedactionDraft, CreatedBy: st.UserID, CreatedAt: now}
	if converted != nil {
		// The analysis converted the office file already: its PDF is
		// kept for the page previews (redaction_conversion.go).
		if x.ConversionKey, x.Conversion, err = s.storeConversion(ctx, c, x, sourceDigest(data), converted); err != nil {
			return RedactionView{}, err
		}
	}
	kept := x.ConversionKey
	if x, err = s.redactionStep(ctx, st, c, x, b, "draft", journalBody{}); err != nil {
		if kept != "" {
			s.cfg.Blobs.Delete(context.WithoutCancel(ctx), kept)
		}
		return RedactionView{}, err
	}
	v := redactionView(x, b, st.UserID)
	v.Preview = s.textPreview(ctx, b, data, persons)
	return v, nil
}

// textPreview renders a plain text copy for the review page; it is empty
// for other files and when rendering fails.
func (s *Service) textPreview(ctx context.Context, b redactionBody, data []byte, persons []detect.Person) string {
	if !b.Text {
		return ""
	}
	out, err := produce(ctx, b, data, persons)
	if err != nil {
		return ""
	}
	return string(out.Data)
}

// Redactions lists a case's anonymised copies (without findings).
func (s *Service) Redactions(ctx context.Context, st *accounts.Staff, reportID string) ([]RedactionView, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	if c.Keys.Case == nil {
		return nil, ErrNotFound
	}
	xs, err := s.cfg.DB.Redactions(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "redactions")); err != nil {
		return nil, err
	}
	out := make([]RedactionView, 0, len(xs))
	for _, x := range xs {
		var b redactionBody
		if err := report.OpenJSON(*c.Keys.Case, x.Body, ADRedaction(st.TenantID, reportID, x.ID), &b); err != nil {
			return nil, fmt.Errorf("cases: open redaction: %w", err)
		}
		v := redactionView(x, b, st.UserID)
		v.Findings, v.Areas, v.Values = []RedactionFinding{}, []ManualArea{}, []ManualValue{}
		out = append(out, v)
	}
	return out, nil
}

// Redaction opens one copy with its findings and their values; for a
// plain text file it also renders the preview. The read is audited.
func (s *Service) Redaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRead, audit.ObjectCase, reportID, "redaction")); err != nil {
		return RedactionView{}, err
	}
	v := redactionView(x, b, st.UserID)
	if b.Text {
		if b.Output != nil && x.BlobKey != "" {
			if data, err := s.readOutput(ctx, x, b); err == nil {
				v.Preview = string(data)
			}
		} else if _, data, err := s.readSource(ctx, c, x.FileID); err == nil {
			persons, err := s.casePersons(ctx, c)
			if err != nil {
				return RedactionView{}, err
			}
			v.Preview = s.textPreview(ctx, b, data, persons)
		}
	}
	return v, nil
}

// RedactionChange edits a copy. Version, when set, must be the version
// the change was made on (a stale form gets ErrConflict).
type RedactionChange struct {
	Version      int64
	Redact       []string // finding ids to redact
	Keep         []string // finding ids to keep
	AddAreas     []docredact.Area
	RemoveAreas  []string
	AddValues    []string
	RemoveValues []string
}

func (in RedactionChange) empty() bool {
	return len(in.Redact)+len(in.Keep)+len(in.AddAreas)+len(in.RemoveAreas)+len(in.AddValues)+len(in.RemoveValues) == 0
}

// ValidArea tells whether a is a rectangle of positive size inside a page
// of a file with pages pages.
func ValidArea(a docredact.Area, pages int) bool {
	in01 := func(f float64) bool { return f >= 0 && f <= 1 }
	return a.Page >= 1 && a.Page <= pages && in01(a.X) && in01(a.Y) && a.W > 0 && a.H > 0 &&
		a.X+a.W <= 1+1e-9 && a.Y+a.H <= 1+1e-9
}

// UpdateRedaction changes decisions, areas or values. A change after
// submission or rejection returns the copy to draft: whatever a reviewer
// saw is no longer what would be approved. An approved or released copy
// does not change; start a new one.
func (s *Service) UpdateRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string, in RedactionChange) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	switch x.State {
	case store.RedactionDraft, store.RedactionSubmitted, store.RedactionRejected:
	default:
		return RedactionView{}, ErrRedactionState
	}
	if in.Version != 0 && in.Version != x.Version {
		return RedactionView{}, ErrConflict
	}
	if in.empty() {
		return RedactionView{}, ErrInvalidRedaction
	}
	index := map[string]int{}
	for i, f := range b.Findings {
		index[f.ID] = i
	}
	for _, set := range []struct {
		ids    []string
		redact bool
	}{{in.Redact, true}, {in.Keep, false}} {
		for _, id := range set.ids {
			i, ok := index[id]
			if !ok {
				return RedactionView{}, ErrInvalidRedaction
			}
			b.Findings[i].Redact = set.redact
		}
	}
	for _, id := range in.RemoveAreas {
		i := slices.IndexFunc(b.Areas, func(a ManualArea) bool { return a.ID == id })
		if i < 0 {
			return RedactionView{}, ErrInvalidRedaction
		}
		b.Areas = slices.Delete(b.Areas, i, i+1)
	}
	for _, a := range in.AddAreas {
		if b.Text || !ValidArea(a, b.Pages) || len(b.Areas) >= maxManualAreas {
			return RedactionView{}, ErrInvalidRedaction
		}
		b.Areas = append(b.Areas, ManualArea{ID: store.NewID(), Area: a})
	}
	for _, id := range in.RemoveValues {
		i := slices.IndexFunc(b.Values, func(v ManualValue) bool { return v.ID == id })
		if i < 0 {
			return RedactionView{}, ErrInvalidRedaction
		}
		b.Values = slices.Delete(b.Values, i, i+1)
	}
	for _, v := range in.AddValues {
		t, err := report.CheckText(v)
		if err != nil || utf8.RuneCountInString(t) > maxValueLen || strings.ContainsAny(t, "\r\n") || blankValue(t) ||
			len(b.Values) >= maxManualValues {
			return RedactionView{}, ErrInvalidRedaction
		}
		b.Values = append(b.Values, ManualValue{ID: store.NewID(), Text: t})
	}
	if !slices.Contains(b.Preparers, st.UserID) {
		b.Preparers = append(b.Preparers, st.UserID)
	}
	b.Reason = ""
	x.State, x.SubmittedBy, x.SubmittedAt, x.DecidedBy, x.DecidedAt = store.RedactionDraft, "", time.Time{}, "", time.Time{}
	x.GateChecks, x.GateLeaks = "", 0
	if x, err = s.redactionStep(ctx, st, c, x, b, "edit", journalBody{}); err != nil {
		return RedactionView{}, err
	}
	return redactionView(x, b, st.UserID), nil
}

// SubmitRedaction asks a second handler to approve the draft.
func (s *Service) SubmitRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	if x.State != store.RedactionDraft {
		return RedactionView{}, ErrRedactionState
	}
	if !slices.Contains(b.Preparers, st.UserID) {
		b.Preparers = append(b.Preparers, st.UserID)
	}
	x.State, x.SubmittedBy, x.SubmittedAt = store.RedactionSubmitted, st.UserID, s.cfg.Now()
	if x, err = s.redactionStep(ctx, st, c, x, b, "submit", journalBody{}); err != nil {
		return RedactionView{}, err
	}
	return redactionView(x, b, st.UserID), nil
}

// decision checks that st may decide on a submitted copy.
func decision(st *accounts.Staff, x store.Redaction, b redactionBody) error {
	if x.State != store.RedactionSubmitted {
		return ErrRedactionState
	}
	if b.prepared(st.UserID, x) {
		return ErrFourEyes
	}
	return nil
}

// ApproveRedaction is the second handler's approval: the copy is rendered
// with the decided areas and checked by the release gate with every
// confirmed value. A copy that fails stays submitted, with the failed
// checks recorded (journaled and audited as "gate_failed"), and the
// approval answers *GateFailure. A copy that passes is stored encrypted.
func (s *Service) ApproveRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	if err := decision(st, x, b); err != nil {
		return RedactionView{}, err
	}
	_, data, err := s.readSource(ctx, c, x.FileID)
	if err != nil {
		return RedactionView{}, err
	}
	persons, err := s.casePersons(ctx, c)
	if err != nil {
		return RedactionView{}, err
	}
	out, err := produce(ctx, b, data, persons)
	if err != nil {
		return RedactionView{}, err
	}
	if err := gate(ctx, b, out); err != nil {
		var gf *GateFailure
		if !errors.As(err, &gf) {
			return RedactionView{}, err
		}
		x.GateChecks, x.GateLeaks = strings.Join(gf.Checks, ","), gf.Leaks
		if _, err := s.redactionStep(ctx, st, c, x, b, "gate_failed", journalBody{Text: x.GateChecks}); err != nil {
			return RedactionView{}, err
		}
		return RedactionView{}, gf
	}
	id, err := keys.NewIdentity()
	if err != nil {
		return RedactionView{}, fmt.Errorf("cases: redaction identity: %w", err)
	}
	blobKey := store.NewID()
	if err := s.writeOutput(ctx, blobKey, id.Recipient(), out.Data); err != nil {
		return RedactionView{}, err
	}
	b.Output = &redactionOutput{Name: outputName(b.FileName, out.MediaType), MediaType: out.MediaType,
		Size: int64(len(out.Data)), Pages: out.Pages, Identity: string(id.Bytes())}
	x.State, x.BlobKey, x.DecidedBy, x.DecidedAt, x.GateChecks, x.GateLeaks = store.RedactionApproved, blobKey, st.UserID, s.cfg.Now(), "", 0
	if x, err = s.redactionStep(ctx, st, c, x, b, "approve", journalBody{}); err != nil {
		s.cfg.Blobs.Delete(context.WithoutCancel(ctx), blobKey)
		return RedactionView{}, err
	}
	// Previews of an approved copy come from its output.
	s.dropConversion(context.WithoutCancel(ctx), x)
	return redactionView(x, b, st.UserID), nil
}

// writeOutput stores an output through age to recipient in a new blob.
func (s *Service) writeOutput(ctx context.Context, blobKey, recipient string, data []byte) error {
	w, err := s.cfg.Blobs.Create(ctx, blobKey)
	if err != nil {
		return fmt.Errorf("cases: create redaction blob: %w", err)
	}
	enc, err := keys.EncryptStream(w, recipient)
	if err != nil {
		w.Abort()
		return fmt.Errorf("cases: encrypt redaction: %w", err)
	}
	if _, err := enc.Write(data); err != nil {
		w.Abort()
		return fmt.Errorf("cases: write redaction: %w", err)
	}
	if err := enc.Close(); err != nil {
		w.Abort()
		return fmt.Errorf("cases: finish redaction: %w", err)
	}
	if err := w.Commit(); err != nil {
		return fmt.Errorf("cases: commit redaction blob: %w", err)
	}
	return nil
}

// openOutput decrypts an approved copy's output as a stream.
func (s *Service) openOutput(ctx context.Context, x store.Redaction, b redactionBody) (io.Reader, io.Closer, error) {
	if b.Output == nil || x.BlobKey == "" {
		return nil, nil, ErrRedactionState
	}
	id, err := keys.ParseIdentity([]byte(b.Output.Identity))
	if err != nil {
		return nil, nil, fmt.Errorf("cases: parse redaction identity: %w", err)
	}
	r, err := s.cfg.Blobs.Open(ctx, x.BlobKey)
	if err != nil {
		return nil, nil, fmt.Errorf("cases: open redaction blob: %w", err)
	}
	plain, err := id.DecryptStream(r)
	if err != nil {
		r.Close()
		return nil, nil, fmt.Errorf("cases: decrypt redaction: %w", err)
	}
	return plain, r, nil
}

func (s *Service) readOutput(ctx context.Context, x store.Redaction, b redactionBody) ([]byte, error) {
	r, c, err := s.openOutput(ctx, x, b)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cases: read redaction: %w", err)
	}
	return data, nil
}

// RejectRedaction is the second handler's refusal, with a reason the
// preparer reads on the copy; any later change returns it to draft.
func (s *Service) RejectRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID, reason string) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	if err := decision(st, x, b); err != nil {
		return RedactionView{}, err
	}
	reason, err = report.CheckText(reason)
	if err != nil || utf8.RuneCountInString(reason) > maxRejectLen {
		return RedactionView{}, ErrRejectReason
	}
	b.Reason = reason
	x.State, x.DecidedBy, x.DecidedAt = store.RedactionRejected, st.UserID, s.cfg.Now()
	if x, err = s.redactionStep(ctx, st, c, x, b, "reject", journalBody{Reason: reason}); err != nil {
		return RedactionView{}, err
	}
	return redactionView(x, b, st.UserID), nil
}

// ReleaseRedaction lets an approved copy leave the case: the release gate
// runs once more on the stored output, and only a copy that passes is
// released. From then on it can be downloaded and disclosed.
func (s *Service) ReleaseRedaction(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (RedactionView, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return RedactionView{}, err
	}
	if x.State != store.RedactionApproved {
		return RedactionView{}, ErrRedactionState
	}
	data, err := s.readOutput(ctx, x, b)
	if err != nil {
		return RedactionView{}, err
	}
	if err := gate(ctx, b, produced{Data: data, MediaType: b.Output.MediaType, Pages: b.Output.Pages}); err != nil {
		var gf *GateFailure
		if !errors.As(err, &gf) {
			return RedactionView{}, err
		}
		x.GateChecks, x.GateLeaks = strings.Join(gf.Checks, ","), gf.Leaks
		if _, err := s.redactionStep(ctx, st, c, x, b, "gate_failed", journalBody{Text: x.GateChecks}); err != nil {
			return RedactionView{}, err
		}
		return RedactionView{}, gf
	}
	x.State, x.ReleasedBy, x.ReleasedAt = store.RedactionReleased, st.UserID, s.cfg.Now()
	if x, err = s.redactionStep(ctx, st, c, x, b, "release", journalBody{}); err != nil {
		return RedactionView{}, err
	}
	return redactionView(x, b, st.UserID), nil
}

// RedactedFile is a released copy being downloaded.
type RedactedFile struct {
	io.Reader
	io.Closer
	Name      string
	MediaType string
	Size      int64
}

// OpenRedactedCopy decrypts a released copy for download. The download is
// journaled and audited before the first byte is returned.
func (s *Service) OpenRedactedCopy(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (*RedactedFile, error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return nil, err
	}
	if x.State != store.RedactionReleased {
		return nil, ErrRedactionState
	}
	r, closer, err := s.openOutput(ctx, x, b)
	if err != nil {
		return nil, err
	}
	if _, err := s.redactionStep(ctx, st, c, x, b, "download", journalBody{}); err != nil {
		closer.Close()
		return nil, err
	}
	return &RedactedFile{Reader: r, Closer: closer, Name: b.Output.Name, MediaType: b.Output.MediaType, Size: b.Output.Size}, nil
}

// RedactionPreview renders a copy as its current decisions make it (or
// returns the stored output once approved), for the handler's review. The
// read is audited ("preview").
func (s *Service) RedactionPreview(ctx context.Context, st *accounts.Staff, reportID, redactionID string) (name, mediaType string, data []byte, err error) {
	c, x, b, err := s.loadRedaction(ctx, st, reportID, redactionID)
	if err != nil {
		return "", "", nil, err
	}
	var out produced
	if b.Output != nil && x.BlobKey != "" {
		if out.Data, err = s.readOutput(ctx, x, b); err != nil {
			return "", "", nil, err
		}
		out.MediaType = b.Output.MediaType
	} else {
		_, src, err := s.readSource(ctx, c, x.FileID)
		if err != nil {
			return "", "", nil, err
		}
		persons, err := s.casePersons(ctx, c)
		if err != nil {
			return "", "", nil, err
		}
		if out, err = produce(ctx, b, src, persons); err != nil {
			return "", "", nil, err
		}
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionCaseRedact, audit.ObjectCase, reportID, "preview")); err != nil {
		return "", "", nil, err
	}
	return "preview-" + outputName(b.FileName, out.MediaType), out.MediaType, out.Data, nil
}

// DisclosedRedaction is a released anonymised copy named in a disclosure
// note: a reference with its name, never the original file.
type DisclosedRedaction struct {
	ID         string    `json:"id"`
	FileID     string    `json:"file_id"`
	Name       string    `json:"name"`
	MediaType  string    `json:"media_type"`
	Size       int64     `json:"size"`
	ApprovedBy string    `json:"approved_by"`
	ReleasedAt time.Time `json:"released_at"`
}

// releasedRedactions resolves the copies a disclosure note names: each
// must be a released copy of the case.
func (s *Service) releasedRedactions(ctx context.Context, c *Case, ids []string) ([]DisclosedRedaction, error) {
	var out []DisclosedRedaction
	for _, id := range ids {
		x, err := s.cfg.DB.Redaction(ctx, c.Report.TenantID, c.Report.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrRedactionNotReleased
		}
		if err != nil {
			return nil, err
		}
		if x.State != store.RedactionReleased {
			return nil, ErrRedactionNotReleased
		}
		var b redactionBody
		if err := report.OpenJSON(*c.Keys.Case, x.Body, ADRedaction(x.TenantID, x.ReportID, x.ID), &b); err != nil {
			return nil, fmt.Errorf("cases: open redaction: %w", err)
		}
		if b.Output == nil {
			return nil, ErrRedactionNotReleased
		}
		out = append(out, DisclosedRedaction{ID: x.ID, FileID: x.FileID, Name: b.Output.Name, MediaType: b.Output.MediaType,
			Size: b.Output.Size, ApprovedBy: x.DecidedBy, ReleasedAt: x.ReleasedAt})
	}
	return out, nil
}

// ReleasedRedactions lists the released copies of a case, for the
// disclosure form.
func (s *Service) ReleasedRedactions(ctx context.Context, st *accounts.Staff, reportID string) ([]DisclosedRedaction, error) {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return nil, err
	}
	if c.Keys.Case == nil {
		return nil, ErrNotFound
	}
	xs, err := s.cfg.DB.Redactions(ctx, st.TenantID, reportID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, x := range xs {
		if x.State == store.RedactionReleased {
			ids = append(ids, x.ID)
		}
	}
	return s.releasedRedactions(ctx, c, ids)
}
