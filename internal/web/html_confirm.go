package web

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/scrub"
)

// The metadata confirmation step (RC-5), without JavaScript: a report whose
// files reveal something is parked as a sealed draft, and the whistleblower
// chooses per file what happens before the report is sent. The draft token
// lives only in a hidden field of the confirmation form, never in a cookie.
// Field values shown here come from the whistleblower's own files and are
// never logged.

type confirmField struct {
	Label string
	Value string
}

type confirmChoice struct {
	ID       string // HTML id
	Value    string
	Label    string
	Warning  string
	Note     string // what the choice does to the file, when not obvious
	Selected bool
}

type confirmFile struct {
	Index   int
	ID      string // HTML id of the fieldset
	Name    string
	Legend  string
	Fields  []confirmField
	Problem string
	Choices []confirmChoice
}

type confirmData struct {
	Action     string
	Token      string
	Files      []confirmFile
	Clean      []string // files that reveal nothing
	StartAgain string
	Intro      string
	Expiry     string
	Submit     string
	// Cancel labels a button that discards the parked files at once
	// ("" for none).
	Cancel     string
	CancelHelp string
}

// confirmFlow is what differs between the confirmation of a new report
// and that of files added later from the status page: where the form goes
// and what it says. The checks, the choices and the page are the same.
type confirmFlow struct {
	Action     string
	StartAgain string // a link that leaves the step ("" for none)
	CSRF       string // the receipt session's form token, when there is one
	Title      string
	Intro      string
	Expiry     string
	Submit     string
	Cancel     string
	CancelHelp string
}

func reportConfirmFlow(channel, lang string) confirmFlow {
	return confirmFlow{Action: withLang("/report/"+url.PathEscape(channel)+"/confirm", lang),
		StartAgain: withLang("/report/"+url.PathEscape(channel), lang),
		Title:      "confirm.title", Intro: "confirm.intro", Expiry: "confirm.expiry", Submit: "form.submit"}
}

// confirmChoices reads the per-file choices ("file-N") of a confirmation
// form. bad lists the files whose value is none of the choices: such a
// form changes nothing and the page is shown again.
func confirmChoices(form url.Values) (choices map[int]string, bad []int) {
	choices = map[int]string{}
	for k, vs := range form {
		i, ok := strings.CutPrefix(k, "file-")
		if !ok || len(vs) == 0 {
			continue
		}
		n, err := strconv.Atoi(i)
		if err != nil || n < 0 || n >= 1000 || strconv.Itoa(n) != i {
			continue // no such field on the page ("file-01" would shadow "file-1")
		}
		if !intake.ValidChoice(vs[0]) {
			bad = append(bad, n)
			continue
		}
		choices[n] = vs[0]
	}
	return choices, bad
}

// confirmProblems turns a refused confirmation into per-file problems: a
// file that could not be cleaned (whose choice becomes "remove"), or
// choices that are none of the offered ones. ok is false for any other
// error.
func confirmProblems(c *i18n.Catalog, lang string, err error, bad []int, checks []intake.FileCheck, choices map[int]string) (map[int]string, bool) {
	problems := map[int]string{}
	var serr *intake.StripError
	switch {
	case errors.As(err, &serr):
		if serr.Index >= 0 && serr.Index < len(checks) {
			checks[serr.Index].Cleanable = false
			choices[serr.Index] = intake.ChoiceRemove
			problems[serr.Index] = c.T(lang, "confirm.problem.failed")
		}
	case err == nil && len(bad) > 0:
		for _, i := range bad {
			problems[i] = c.T(lang, "confirm.problem.invalid_choice")
		}
	default:
		return nil, false
	}
	return problems, true
}

// parkReport validates the answers, parks the draft and shows the
// confirmation page.
func (s *Server) parkReport(w http.ResponseWriter, r *http.Request, lang string, ch intake.Channel, draft *report.Draft,
	fields map[string][]string, answers questionnaire.Answers, checks []intake.FileCheck, filesDropped bool, formToken string) {
	ctx := r.Context()
	back := "/report/" + url.PathEscape(ch.ID)
	if err := s.d.Intake.Validate(ctx, ch.ID, answers, fields["exclude"]); err != nil {
		s.d.Intake.Abandon(ctx, draft)
		var verr *questionnaire.ValidationError
		if errors.As(err, &verr) {
			s.renderReportForm(w, r, lang, http.StatusUnprocessableEntity, ch, fields, verr, filesDropped)
			return
		}
		s.errorPage(w, r, lang, err, back)
		return
	}
	token, err := s.d.Intake.Park(ctx, draft, ch.ID, answers, fields["exclude"], checks, formToken)
	if err != nil {
		s.errorPage(w, r, lang, err, back)
		return
	}
	s.renderConfirm(w, r, lang, http.StatusOK, reportConfirmFlow(ch.ID, lang), token, checks, nil, nil)
}

// reportConfirm is step 2: apply the choices and send the report.
func (s *Server) reportConfirm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	if !sameOrigin(r) {
		s.errorPage(w, r, lang, errCrossSite, "/")
		return
	}
	channel := r.PathValue("channel")
	back := "/report/" + url.PathEscape(channel)
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, back)
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	token := r.PostForm.Get("draft")
	choices, bad := confirmChoices(r.PostForm)
	var rc intake.Receipt
	var err error
	if len(bad) == 0 {
		rc, err = s.d.Intake.Confirm(r.Context(), token, choices)
	}
	if err != nil || len(bad) > 0 {
		checks, _, cerr := s.d.Intake.DraftChecks(r.Context(), token)
		if errors.Is(err, intake.ErrNoDraft) || errors.Is(cerr, intake.ErrNoDraft) {
			// The draft is gone because its report was stored: this is
			// the confirmation posted again, not an expired draft.
			if sent, ferr := s.d.Intake.FormSubmitted(r.Context(), token); sent || ferr != nil {
				s.errorPage(w, r, lang, cmp.Or(ferr, intake.ErrAlreadySubmitted), back)
				return
			}
			s.pages.message(w, r, http.StatusNotFound, lang, "error.title", back, "confirm.start_again", "confirm.expired")
			return
		}
		problems, ok := confirmProblems(s.d.Catalog, lang, err, bad, checks, choices)
		if cerr != nil || !ok {
			s.errorPage(w, r, lang, cmp.Or(cerr, err), back)
			return
		}
		s.renderConfirm(w, r, lang, http.StatusUnprocessableEntity, reportConfirmFlow(channel, lang), token, checks, choices, problems)
		return
	}
	v := s.pages.newView(r, lang, "receipt.title")
	v.Data = receiptData{Code: rc.Code, CaseNumber: rc.CaseNumber}
	s.pages.render(w, r, http.StatusOK, "receipt", v)
}

// renderConfirm shows the confirmation page; problems holds, by file
// index, why a file's choice was refused.
func (s *Server) renderConfirm(w http.ResponseWriter, r *http.Request, lang string, status int, flow confirmFlow, token string,
	checks []intake.FileCheck, choices map[int]string, problems map[int]string) {
	c := s.d.Catalog
	v := s.pages.newView(r, lang, flow.Title)
	v.CSRF = flow.CSRF
	d := confirmData{Action: flow.Action, Token: token, StartAgain: flow.StartAgain,
		Intro: c.T(lang, flow.Intro), Expiry: c.T(lang, flow.Expiry), Submit: c.T(lang, flow.Submit)}
	if flow.Cancel != "" {
		d.Cancel, d.CancelHelp = c.T(lang, flow.Cancel), c.T(lang, flow.CancelHelp)
	}
	for _, ch := range checks {
		if !ch.Reveals() {
			d.Clean = append(d.Clean, ch.Name)
			continue
		}
		id := "file-" + strconv.Itoa(ch.Index)
		f := confirmFile{Index: ch.Index, ID: id, Name: ch.Name, Legend: c.T(lang, "confirm.choice.legend", ch.Name)}
		for _, fl := range ch.Fields {
			f.Fields = append(f.Fields, confirmField{Label: scrubFieldLabel(c, lang, fl.Name), Value: fl.Value})
		}
		failed := problems[ch.Index] != ""
		switch {
		case failed:
			f.Problem = problems[ch.Index]
		case ch.Problem == intake.ProblemTooManyPages:
			f.Problem = c.T(lang, "confirm.problem.too_many_pages", ch.Pages, ch.MaxPages)
		case !ch.Cleanable && ch.Problem != "":
			f.Problem = c.T(lang, "confirm.problem."+ch.Problem)
		}
		chosen := choices[ch.Index]
		var opts []string
		if ch.Cleanable {
			opts = []string{intake.ChoiceStrip, intake.ChoiceKeep}
		} else {
			opts = []string{intake.ChoiceRemove, intake.ChoiceKeep}
		}
		if chosen != opts[0] && chosen != opts[1] {
			chosen = ch.Default()
		}
		for _, o := range opts {
			cc := confirmChoice{ID: id + "-" + o, Value: o, Selected: o == chosen}
			switch {
			case o == intake.ChoiceStrip:
				cc.Label = c.T(lang, "confirm.choice.strip")
				if ch.Kind == scrub.KindPDF {
					// The cleaned copy is rebuilt from pictures of the pages.
					cc.Note = c.T(lang, "confirm.choice.strip.pdf_note")
				}
			case o == intake.ChoiceRemove:
				cc.Label = c.T(lang, "confirm.choice.remove")
			case ch.Cleanable:
				cc.Label = c.T(lang, "confirm.choice.keep")
				cc.Warning = c.T(lang, "confirm.choice.keep.warning")
			default:
				cc.Label = c.T(lang, "confirm.choice.keep_as_is")
				cc.Warning = c.T(lang, "confirm.choice.keep.warning")
			}
			f.Choices = append(f.Choices, cc)
		}
		if failed {
			v.Errors = append(v.Errors, errorItem{Href: "#" + id + "-" + opts[0], Text: ch.Name + " – " + f.Problem})
		}
		d.Files = append(d.Files, f)
	}
	v.Data = d
	s.pages.render(w, r, status, "confirm", v)
}

// scrubFieldLabel translates a scrub field name ("GPS position").
func scrubFieldLabel(c *i18n.Catalog, lang, name string) string {
	if k := scrubFieldKey(name); c.Has(k) {
		return c.T(lang, k)
	}
	return name
}

func scrubFieldKey(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "scrub.field." + b.String()
}

// fileMetadataNote is the staff case page's line about what happened to a
// file's metadata at intake ("" when nothing did).
func fileMetadataNote(c *i18n.Catalog, lang string, f report.FileView) string {
	switch f.Metadata {
	case report.MetadataStripped:
		var names []string
		for _, n := range f.Removed {
			names = append(names, scrubFieldLabel(c, lang, n))
		}
		if len(names) == 0 {
			return c.T(lang, "staff.file.stripped", f.Name)
		}
		return c.T(lang, "staff.file.stripped_fields", f.Name, strings.Join(names, ", "))
	case report.MetadataOriginalKept:
		return c.T(lang, "staff.file.original_kept", f.Name)
	}
	return ""
}
