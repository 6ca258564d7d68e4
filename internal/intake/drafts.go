package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/scrub"
	"github.com/varsel/varsel/internal/store"
)

// Metadata stripping at intake (RC-5). A submission whose files reveal
// something (authors, devices, GPS positions, comments...) is not
// committed at once: it is parked as an intake draft and the whistleblower
// chooses, per file, what happens to it. The draft's answers and file rows
// are sealed under the draft's report key, and its keys under a key
// derived from a random token that only the browser holds, so the
// database alone opens nothing. The report exists only once the final
// commit succeeds; a draft that is never confirmed expires.

// DraftLifetime is how long a parked draft can be confirmed.
const DraftLifetime = time.Hour

// Choices for a file that reveals something.
const (
	ChoiceStrip  = "strip"  // remove the hidden information (default when possible)
	ChoiceKeep   = "keep"   // keep the file exactly as it is
	ChoiceRemove = "remove" // leave the file out (default when it cannot be cleaned)
)

// Problems that keep a file from being cleaned.
const (
	ProblemUnsupported = "unsupported"
	ProblemMalformed   = "malformed"
	ProblemTooLarge    = "too_large"
	ProblemEncrypted   = "encrypted"
)

// ErrNoDraft answers every draft token that does not open a live draft
// (unknown, tampered with, expired or already used).
var ErrNoDraft = errors.New("draft not found or expired")

// FileCheck is what one uploaded file reveals, for the confirmation page.
type FileCheck struct {
	Index  int           `json:"index"`
	Name   string        `json:"name"`
	Kind   scrub.Kind    `json:"kind"`
	Fields []scrub.Field `json:"fields,omitempty"`
	// Problem is set when the file cannot be cleaned (or even inspected);
	// Cleanable is then false.
	Problem   string `json:"problem,omitempty"`
	Cleanable bool   `json:"cleanable"`
	// Pages is a PDF's page count (0 when unknown) and MaxPages the most
	// pages a PDF may have to be cleaned at intake.
	Pages    int `json:"pages,omitempty"`
	MaxPages int `json:"max_pages,omitempty"`
}

// Reveals tells whether the whistleblower must decide about the file.
func (c FileCheck) Reveals() bool {
	return len(c.Fields) > 0 || c.Problem != "" && c.Problem != ProblemUnsupported && c.Problem != ProblemPDFUnavailable
}

// Default is the choice made when the whistleblower makes none.
func (c FileCheck) Default() string {
	if c.Cleanable {
		return ChoiceStrip
	}
	return ChoiceRemove
}

// NeedsConfirmation tells whether any file reveals something.
func NeedsConfirmation(checks []FileCheck) bool {
	return slices.ContainsFunc(checks, FileCheck.Reveals)
}

func problemOf(err error) string {
	switch {
	case errors.Is(err, scrub.ErrTooLarge):
		return ProblemTooLarge
	case errors.Is(err, scrub.ErrEncrypted):
		return ProblemEncrypted
	case errors.Is(err, scrub.ErrUnsupported):
		return ProblemUnsupported
	}
	return ProblemMalformed
}

// CheckFiles inspects every file of a draft. Values are for the
// whistleblower's own eyes: never log them.
func (s *Service) CheckFiles(ctx context.Context, d *report.Draft) ([]FileCheck, error) {
	out := make([]FileCheck, 0, len(d.Files))
	for i := range d.Files {
		meta, err := d.FileMeta(i)
		if err != nil {
			return nil, err
		}
		f, err := d.OpenFile(ctx, s.cfg.Blobs, i)
		if err != nil {
			return nil, err
		}
		c := FileCheck{Index: i, Name: meta.Name}
		c.Kind = scrub.Detect(f, f.Size)
		rep, err := scrub.Inspect(f, f.Size, c.Kind)
		c.Fields = rep.Fields
		var perr error
		switch {
		case err != nil:
			c.Problem = problemOf(err)
		case c.Kind == scrub.KindPDF:
			perr = s.pdf.checkPDF(ctx, f, &c, rep)
		case !c.Kind.Strippable():
			c.Problem = ProblemUnsupported
		default:
			c.Cleanable = true
		}
		f.Close()
		if perr != nil {
			return nil, perr
		}
		out = append(out, c)
	}
	return out, nil
}

// Validate checks a submission the way Submit would, without committing:
// the channel, the answers and the exclusions.
func (s *Service) Validate(ctx context.Context, channelID string, answers questionnaire.Answers, exclude []string) error {
	ch, err := s.Channel(ctx, channelID)
	if err != nil {
		return err
	}
	if _, _, err := ch.Questionnaire.Normalize(answers); err != nil {
		return err
	}
	all, err := s.cfg.DB.ChannelRecipients(ctx, s.cfg.Tenant, ch.ID)
	if err != nil {
		return err
	}
	_, _, err = applyExclusions(all, exclude)
	return err
}

// parkedBody is what is sealed under the draft's report key.
type parkedBody struct {
	Channel string                `json:"channel"`
	Answers questionnaire.Answers `json:"answers"`
	Exclude []string              `json:"exclude,omitempty"`
	Files   []store.File          `json:"files"`
	Checks  []FileCheck           `json:"checks"`
	Lang    string                `json:"lang,omitempty"` // the language the whistleblower used
	// FormToken is the report form's token, recorded as used when the
	// draft is confirmed.
	FormToken string `json:"form_token,omitempty"`
}

func adDraftKeys(tenant, id string) []byte { return keys.AD(tenant, "intake-draft", id, "keys") }
func adDraftBody(tenant, id string) []byte { return keys.AD(tenant, "intake-draft", id, "body") }

func draftKey(token string) (keys.Key, error) {
	k, err := keys.SessionKey(token)
	if err != nil {
		return keys.Key{}, err
	}
	return k.Expand("intake draft"), nil
}

// Park stores a validated draft for confirmation and returns the token the
// browser must send back. formToken is the report form's token (see
// NewFormToken), or "". On error the draft's files are removed.
func (s *Service) Park(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers, exclude []string,
	checks []FileCheck, formToken string) (string, error) {
	token, err := s.park(ctx, d, channelID, answers, exclude, checks, formToken)
	if err != nil {
		s.Abandon(ctx, d)
	}
	return token, err
}

func (s *Service) park(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers, exclude []string,
	checks []FileCheck, formToken string) (string, error) {
	token := keys.NewSessionToken()
	id, err := keys.SessionID(token)
	if err != nil {
		return "", err
	}
	k, err := draftKey(token)
	if err != nil {
		return "", err
	}
	secret, err := jsonBytes(d.Secret())
	if err != nil {
		return "", err
	}
	body, err := jsonBytes(parkedBody{Channel: channelID, Answers: answers, Exclude: exclude, Files: d.Rows(), Checks: checks, Lang: d.Lang,
		FormToken: formToken})
	if err != nil {
		return "", err
	}
	now := s.cfg.Now()
	row := store.IntakeDraft{TenantID: s.cfg.Tenant, ID: id,
		SealedKeys: keys.Seal(k, secret, adDraftKeys(s.cfg.Tenant, id)),
		SealedBody: keys.Seal(d.Keys.Report, body, adDraftBody(s.cfg.Tenant, id)),
		CreatedAt:  now, ExpiresAt: now.Add(DraftLifetime)}
	for _, f := range d.Files {
		row.Blobs = append(row.Blobs, f.Row.BlobKey)
	}
	if err := s.cfg.DB.InsertIntakeDraft(ctx, row); err != nil {
		return "", err
	}
	return token, nil
}

// parked is an opened draft.
type parked struct {
	id    string
	draft *report.Draft
	body  parkedBody
}

func (s *Service) openParked(ctx context.Context, token string) (*parked, error) {
	id, err := keys.SessionID(token)
	if err != nil {
		return nil, ErrNoDraft
	}
	k, err := draftKey(token)
	if err != nil {
		return nil, ErrNoDraft
	}
	row, err := s.cfg.DB.IntakeDraft(ctx, s.cfg.Tenant, id, s.cfg.Now())
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoDraft
	}
	if err != nil {
		return nil, err
	}
	var secret report.DraftSecret
	if err := report.OpenJSON(k, row.SealedKeys, adDraftKeys(s.cfg.Tenant, id), &secret); err != nil {
		return nil, ErrNoDraft
	}
	var rk keys.Key
	copy(rk[:], secret.Report)
	var body parkedBody
	if err := report.OpenJSON(rk, row.SealedBody, adDraftBody(s.cfg.Tenant, id), &body); err != nil {
		return nil, fmt.Errorf("intake: open draft body: %w", err)
	}
	files := make([]report.PendingFile, len(body.Files))
	for i, f := range body.Files {
		files[i] = report.PendingFile{Row: f}
	}
	d, err := report.RestoreDraft(s.cfg.Tenant, secret, files)
	if err != nil {
		return nil, err
	}
	d.Lang = body.Lang
	if len(body.Checks) != len(files) {
		return nil, fmt.Errorf("intake: draft body is inconsistent")
	}
	return &parked{id: id, draft: d, body: body}, nil
}

// DraftChecks returns what the files of a parked draft reveal, to show
// the confirmation page again.
func (s *Service) DraftChecks(ctx context.Context, token string) ([]FileCheck, string, error) {
	p, err := s.openParked(ctx, token)
	if err != nil {
		return nil, "", err
	}
	return p.body.Checks, p.body.Channel, nil
}

// StripError names a file that could not be cleaned.
type StripError struct {
	Index int
	Err   error
}

func (e *StripError) Error() string {
	return fmt.Sprintf("file %d cannot be stripped: %v", e.Index, e.Err)
}
func (e *StripError) Unwrap() error { return e.Err }

// Confirm applies the whistleblower's choices to a parked draft (file
// index → ChoiceStrip, ChoiceKeep or ChoiceRemove; a missing choice takes
// the file's default) and commits the report. The draft is deleted in the
// commit's transaction, so it is used at most once; on any error before
// that it stays as it was until it expires.
func (s *Service) Confirm(ctx context.Context, token string, choices map[int]string) (Receipt, error) {
	p, err := s.openParked(ctx, token)
	if err != nil {
		return Receipt{}, err
	}
	d := p.draft
	var created []string
	fail := func(err error) (Receipt, error) {
		for _, k := range created {
			s.cfg.Blobs.Delete(context.WithoutCancel(ctx), k)
		}
		return Receipt{}, err
	}
	keep, created, superseded, err := s.applyChoices(ctx, d, p.body.Checks, choices)
	if err != nil {
		return fail(err)
	}
	d.Files = keep
	tenant := s.cfg.Tenant
	// Both tokens are marked: the form's, so that a second draft parked
	// from the same form cannot be confirmed too, and the draft's, so that
	// the confirmation posted again is recognised (FormSubmitted).
	rc, err := s.submit(ctx, d, p.body.Channel, p.body.Answers, p.body.Exclude, s.markForms(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteIntakeDraft(ctx, tenant, p.id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return ErrNoDraft // confirmed twice at once: the other request won
			}
			return err
		}
		return nil
	}, p.body.FormToken, token))
	if errors.Is(err, ErrAlreadySubmitted) {
		// Another draft from the same form was confirmed first. This one
		// can never be sent: it goes now (its blobs become orphans for
		// the sweeper), and its token is remembered, so posting it again
		// also says the report was already sent.
		if rerr := s.cfg.DB.InTx(ctx, s.markForms(ctx, func(tx *store.Tx) error {
			return tx.DeleteIntakeDraft(ctx, tenant, p.id)
		}, token)); rerr != nil && !errors.Is(rerr, ErrAlreadySubmitted) {
			err = errors.Join(err, rerr)
		}
	}
	if err != nil {
		return fail(err)
	}
	for _, k := range superseded {
		s.cfg.Blobs.Delete(context.WithoutCancel(ctx), k)
	}
	return rc, nil
}

// applyChoices carries out the whistleblower's choice for every file of d
// that reveals something (a missing choice takes the file's default). It
// returns the files to commit, the blobs of the cleaned copies it wrote
// (the caller deletes them if the commit fails, and on error) and the
// blobs that are no longer needed once the commit succeeds.
func (s *Service) applyChoices(ctx context.Context, d *report.Draft, checks []FileCheck, choices map[int]string) (
	keep []report.PendingFile, created, superseded []string, err error) {
	for i, c := range checks {
		if !c.Reveals() {
			keep = append(keep, d.Files[i])
			continue
		}
		choice := choices[i]
		if !ValidChoice(choice) {
			choice = c.Default()
		}
		switch choice {
		case ChoiceRemove:
			superseded = append(superseded, d.Files[i].Row.BlobKey)
			continue
		case ChoiceKeep:
			meta, err := d.FileMeta(i)
			if err != nil {
				return nil, created, nil, err
			}
			meta.KeptOriginal = true
			if err := d.SetFileMeta(i, meta); err != nil {
				return nil, created, nil, err
			}
		case ChoiceStrip:
			if !c.Cleanable {
				return nil, created, nil, &StripError{Index: i, Err: scrub.ErrUnsupported}
			}
			old, err := s.stripFile(ctx, d, i, c)
			if err != nil {
				return nil, created, nil, err
			}
			created = append(created, d.Files[i].Row.BlobKey)
			superseded = append(superseded, old)
		}
		keep = append(keep, d.Files[i])
	}
	return keep, created, superseded, nil
}

// ValidChoice tells whether s names one of the choices for a file.
func ValidChoice(s string) bool { return s == ChoiceStrip || s == ChoiceKeep || s == ChoiceRemove }

// uniformChoices is the API's choice: every file that reveals something
// is kept as it is, or stripped.
func uniformChoices(checks []FileCheck, keepOriginals bool) map[int]string {
	out := map[int]string{}
	for _, c := range checks {
		if keepOriginals {
			out[c.Index] = ChoiceKeep
		} else {
			out[c.Index] = ChoiceStrip
		}
	}
	return out
}

// stripFile replaces file i of d by a cleaned copy and records what was
// removed in its sealed metadata. It returns the old blob key; a
// *StripError if the file cannot be cleaned.
func (s *Service) stripFile(ctx context.Context, d *report.Draft, i int, c FileCheck) (string, error) {
	meta, err := d.FileMeta(i)
	if err != nil {
		return "", err
	}
	f, err := d.OpenFile(ctx, s.cfg.Blobs, i)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var res scrub.Result
	newMeta := meta
	old, err := d.ReplaceFile(ctx, s.cfg.Blobs, i, newMeta, s.cfg.MaxFileSize, func(w io.Writer) error {
		var err error
		if c.Kind == scrub.KindPDF {
			res.Kind = scrub.KindPDF
			err = s.pdf.clean(ctx, f, w)
		} else {
			res, err = scrub.Strip(w, f, f.Size, c.Kind)
		}
		if err != nil && !errors.Is(err, report.ErrFileTooLarge) {
			return &StripError{Index: i, Err: err}
		}
		return err
	})
	if err != nil {
		return "", err
	}
	meta.Stripped, meta.KeptOriginal = true, false
	meta.Removed = fieldNames(c.Fields)
	if res.Kind != "" && res.Kind != c.Kind {
		meta.Name = renameTo(meta.Name, res.Kind)
		meta.ContentType = res.Kind.MIME()
	}
	// ReplaceFile sealed the size; seal the rest of the metadata over it.
	sized, err := d.FileMeta(i)
	if err != nil {
		return "", err
	}
	meta.Size = sized.Size
	if err := d.SetFileMeta(i, meta); err != nil {
		return "", err
	}
	return old, nil
}

func fieldNames(fs []scrub.Field) []string {
	var out []string
	for _, f := range fs {
		if f.Name != scrub.FieldPages && !slices.Contains(out, f.Name) {
			out = append(out, f.Name)
		}
	}
	return out
}

// renameTo gives name the usual extension of kind.
func renameTo(name string, k scrub.Kind) string {
	if ext := path.Ext(name); ext != "" && len(ext) <= 6 && !strings.ContainsAny(ext, " ") {
		name = strings.TrimSuffix(name, ext)
	}
	if name == "" {
		name = "file"
	}
	return name + k.Ext()
}

// SubmitStripped is SubmitExcluding for API clients, without a
// confirmation step: unless keepOriginals, every file that reveals
// something is stripped, and a file that cannot be cleaned refuses the
// whole submission with a *StripError naming it. With keepOriginals the
// files are stored as they came, marked as kept by choice. On any error
// nothing is stored.
func (s *Service) SubmitStripped(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers,
	exclude []string, keepOriginals bool) (Receipt, error) {
	var superseded []string
	rc, err := s.submitStripped(ctx, d, channelID, answers, exclude, keepOriginals, &superseded)
	for _, k := range superseded {
		s.cfg.Blobs.Delete(context.WithoutCancel(ctx), k)
	}
	if err != nil {
		s.Abandon(ctx, d)
	}
	return rc, err
}

func (s *Service) submitStripped(ctx context.Context, d *report.Draft, channelID string, answers questionnaire.Answers,
	exclude []string, keepOriginals bool, superseded *[]string) (Receipt, error) {
	checks, err := s.CheckFiles(ctx, d)
	if err != nil {
		return Receipt{}, err
	}
	if NeedsConfirmation(checks) {
		// Refuse early, before any work, when the answers are wrong or a
		// file cannot be cleaned.
		if err := s.Validate(ctx, channelID, answers, exclude); err != nil {
			return Receipt{}, err
		}
		for _, c := range checks {
			if c.Reveals() && !c.Cleanable && !keepOriginals {
				return Receipt{}, &StripError{Index: c.Index, Err: scrub.ErrUnsupported}
			}
		}
	}
	// Cleaned copies replace the files in d, so Abandon removes them
	// on error; the originals go either way.
	keep, _, old, err := s.applyChoices(ctx, d, checks, uniformChoices(checks, keepOriginals))
	*superseded = append(*superseded, old...)
	if err != nil {
		return Receipt{}, err
	}
	d.Files = keep
	rc, err := s.submit(ctx, d, channelID, answers, exclude, nil)
	if err != nil {
		return Receipt{}, err
	}
	return rc, nil
}

// DeleteExpiredDrafts removes drafts past their lifetime (their blobs are
// then orphans that the sweeper removes) and forgets forms sent more than
// FormMarkLifetime ago.
func (s *Service) DeleteExpiredDrafts(ctx context.Context) (int64, error) {
	n, err := s.cfg.DB.DeleteExpiredIntakeDrafts(ctx, s.cfg.Now())
	return n, errors.Join(err, s.deleteOldFormMarks(ctx))
}

func jsonBytes(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("intake: encode draft: %w", err)
	}
	return b, nil
}
