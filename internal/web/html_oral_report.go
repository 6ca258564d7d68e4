package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
)

// Oral reports on the staff site (issue 3; Directive art. 9(2), JR-2): a
// handler of a channel records a report made by phone or in a meeting as
// a plain form (the channel's questions, rendered as on the public form),
// hands the receipt to the whistleblower from a page shown once, and
// attaches a recording on the case page when, and only when, the
// whistleblower's consent to it was recorded with the report. No
// JavaScript: the channel is chosen by a GET form, the rest is one post.

// Ways of handing the receipt to the whistleblower. They only change the
// instructions on the receipt page: the receipt itself is never stored.
const (
	handoverReadAloud = "read_aloud"
	handoverPaper     = "paper"
)

// oralReportData is the oral report form, or the choice of its channel.
type oralReportData struct {
	// Choose is set while the channel is still to be chosen.
	Choose       bool
	ChooseAction string
	Channels     []option
	// The form of the chosen channel.
	ChannelID   string
	ChannelName string
	ChangeURL   string // back to the choice, for a handler of several channels
	Action      string
	Fields      []fieldView
	Identity    []fieldView
	Sources     []option
	HeldOn      string
	Today       string
	Langs       []option
	Consent     string // "yes", "no" or "" (not asked yet)
	Handovers   []option
	Errors      map[string]string // source, held_on, wb_lang, consent, handover
	FormToken   string            // a second post of the form records nothing (intake.NewFormToken)
}

// oralReceiptData is the page that shows the receipt of an oral report once.
type oralReceiptData struct {
	Code       string
	CaseNumber int64
	CaseURL    string
	ReadAloud  bool
	Language   string
	Groups     []string // the receipt in its groups, to read out one by one
}

// handledChannels lists the channels st handles: only their handlers may
// record an oral report on them.
func (s *Server) handledChannels(r *http.Request, st *accounts.Staff) ([]intake.Channel, error) {
	all, err := s.d.Intake.Channels(r.Context())
	if err != nil {
		return nil, err
	}
	var out []intake.Channel
	for _, ch := range all {
		rs, err := s.d.DB.ChannelRecipients(r.Context(), st.TenantID, ch.ID)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(rs, func(x store.Recipient) bool { return x.UserID == st.UserID }) {
			out = append(out, ch)
		}
	}
	return out, nil
}

// handlesAChannel tells whether st handles any channel, without loading
// the channels' questionnaires (the inbox asks on every view).
func (s *Server) handlesAChannel(r *http.Request, st *accounts.Staff) (bool, error) {
	chs, err := s.d.DB.Channels(r.Context(), st.TenantID)
	if err != nil {
		return false, err
	}
	for _, ch := range chs {
		rs, err := s.d.DB.ChannelRecipients(r.Context(), st.TenantID, ch.ID)
		if err != nil {
			return false, err
		}
		if slices.ContainsFunc(rs, func(x store.Recipient) bool { return x.UserID == st.UserID }) {
			return true, nil
		}
	}
	return false, nil
}

// oralReportForm shows the form; with more than one channel handled and
// none chosen, it asks for the channel first.
func (s *Server) oralReportForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	chs, err := s.handledChannels(r, st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if len(chs) == 0 {
		s.pages.message(w, r, http.StatusForbidden, lang, "error.title", "/", "error.back", "staff.oral.no_channel")
		return
	}
	want := r.URL.Query().Get("channel")
	if want == "" && len(chs) == 1 {
		want = chs[0].ID
	}
	i := slices.IndexFunc(chs, func(c intake.Channel) bool { return c.ID == want })
	if i < 0 {
		status := http.StatusOK
		if want != "" {
			status = http.StatusNotFound // not a channel this handler handles
		}
		v := s.staffView(r, lang, token, "staff.oral.title")
		d := oralReportData{Choose: true, ChooseAction: "/oral-reports/new"}
		for _, c := range chs {
			d.Channels = append(d.Channels, option{Value: c.ID, Label: c.Name.In(lang)})
		}
		v.Data = d
		s.pages.render(w, r, status, "oral_report", v)
		return
	}
	s.renderOralReport(w, r, lang, http.StatusOK, token, chs[i], len(chs) > 1, nil, nil, nil)
}

func (s *Server) renderOralReport(w http.ResponseWriter, r *http.Request, lang string, status int, token string, ch intake.Channel,
	several bool, form url.Values, verr *questionnaire.ValidationError, errs map[string]string) {
	c := s.d.Catalog
	v := s.staffView(r, lang, token, "staff.oral.title")
	loc, err := s.orgLocation(r, s.d.Tenant)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	today := s.d.Now().In(loc).Format(time.DateOnly)
	d := oralReportData{ChannelID: ch.ID, ChannelName: ch.Name.In(lang), Action: withLang("/oral-reports", lang),
		HeldOn: today, Today: today, Errors: errs, FormToken: formToken(form)}
	if several {
		d.ChangeURL = withLang("/oral-reports/new", lang)
	}
	var qerrs []errorItem
	d.Fields, d.Identity, qerrs = s.questionFields(lang, ch.Questionnaire, form, verr)
	source, wbLang, handover := "", "", ""
	if form != nil {
		source, wbLang, handover = form.Get("source"), form.Get("wb_lang"), form.Get("handover")
		d.HeldOn, d.Consent = form.Get("held_on"), form.Get("consent_recording")
	}
	for _, o := range []string{intake.OralPhone, intake.OralMeeting} {
		d.Sources = append(d.Sources, option{Value: o, Label: c.T(lang, "staff.oral.source."+o), Selected: o == source})
	}
	if wbLang == "" {
		wbLang = lang
	}
	for _, l := range i18n.Supported {
		d.Langs = append(d.Langs, option{Value: l, Label: i18n.Name(l), Selected: l == wbLang})
	}
	for _, o := range []string{handoverReadAloud, handoverPaper} {
		d.Handovers = append(d.Handovers, option{Value: o, Label: c.T(lang, "staff.oral.handover."+o), Selected: o == handover})
	}
	// The summary follows the form's order: how, when, language, the
	// questions, consent, hand-over.
	for _, f := range []struct{ field, href string }{{"source", "#source-" + intake.OralPhone}, {"held_on", "#held_on"}, {"wb_lang", "#wb_lang"}} {
		if msg := errs[f.field]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: f.href, Text: msg})
		}
	}
	v.Errors = append(v.Errors, qerrs...)
	for _, f := range []struct{ field, href string }{{"consent", "#consent-yes"}, {"handover", "#handover-" + handoverReadAloud}} {
		if msg := errs[f.field]; msg != "" {
			v.Errors = append(v.Errors, errorItem{Href: f.href, Text: msg})
		}
	}
	if status != http.StatusOK && len(v.Errors) == 0 {
		v.Errors = append(v.Errors, errorItem{Href: "#oral-report-form", Text: c.T(lang, "form.error.invalid")})
	}
	v.Data = d
	s.pages.render(w, r, status, "oral_report", v)
}

// oralReportSubmit records the report and shows its receipt once. Every
// field is checked before anything is stored, so a refused form changes
// nothing and keeps what was typed.
func (s *Server) oralReportSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.staffForm(w, r)
	if st == nil {
		return
	}
	c := s.d.Catalog
	f := r.PostForm
	chs, err := s.handledChannels(r, st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	i := slices.IndexFunc(chs, func(x intake.Channel) bool { return x.ID == f.Get("channel") })
	if i < 0 {
		s.errorPage(w, r, lang, oralProblem(intake.ErrNotChannelHandler), "/oral-reports/new")
		return
	}
	ch := chs[i]
	loc, err := s.orgLocation(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	errs := map[string]string{}
	source := f.Get("source")
	if source != intake.OralPhone && source != intake.OralMeeting {
		errs["source"] = c.T(lang, "staff.oral.error.source")
	}
	heldOn, perr := time.ParseInLocation(time.DateOnly, strings.TrimSpace(f.Get("held_on")), loc)
	switch {
	case perr != nil:
		errs["held_on"] = c.T(lang, "staff.oral.error.held_on")
	case heldOn.Format(time.DateOnly) > s.d.Now().In(loc).Format(time.DateOnly):
		errs["held_on"] = c.T(lang, "staff.oral.error.held_on_future")
	}
	wbLang := f.Get("wb_lang")
	if !slices.Contains(i18n.Supported, wbLang) {
		errs["wb_lang"] = c.T(lang, "staff.oral.error.wb_lang")
	}
	consent := f.Get("consent_recording")
	if consent != "yes" && consent != "no" {
		errs["consent"] = c.T(lang, "staff.oral.error.consent")
	}
	handover := f.Get("handover")
	if handover != handoverReadAloud && handover != handoverPaper {
		errs["handover"] = c.T(lang, "staff.oral.error.handover")
	}
	answers := ch.Questionnaire.FromForm(f)
	_, _, nerr := ch.Questionnaire.Normalize(answers)
	var verr *questionnaire.ValidationError
	if nerr != nil && !errors.As(nerr, &verr) {
		s.errorPage(w, r, lang, nerr, "/oral-reports/new")
		return
	}
	if verr != nil || len(errs) > 0 {
		s.renderOralReport(w, r, lang, http.StatusUnprocessableEntity, token, ch, len(chs) > 1, f, verr, errs)
		return
	}
	d, err := s.d.Intake.Begin()
	if err != nil {
		s.errorPage(w, r, lang, err, "/oral-reports/new")
		return
	}
	d.Lang = wbLang
	rc, err := s.d.Intake.SubmitOral(r.Context(), d, intake.OralReport{StaffID: st.UserID, Channel: ch.ID, Answers: answers,
		Source: source, ConsentRecording: consent == "yes", HeldOn: heldOn, FormToken: f.Get("form_token")})
	if errors.Is(err, intake.ErrAlreadySubmitted) {
		// A refresh of the receipt page re-sent the form: the report is
		// recorded once, and its case is in the inbox.
		s.pages.message(w, r, http.StatusConflict, lang, "staff.oral.sent_already.title", "/", "staff.case.back",
			"staff.oral.sent_already.body")
		return
	}
	if errors.As(err, &verr) {
		s.renderOralReport(w, r, lang, http.StatusUnprocessableEntity, token, ch, len(chs) > 1, f, verr, errs)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, oralProblem(err), "/oral-reports/new")
		return
	}
	// The receipt is in this answer only: no redirect that a history
	// entry or a cache could replay.
	w.Header().Set("Cache-Control", "no-store")
	v := s.staffView(r, lang, token, "staff.oral.receipt.title", rc.CaseNumber)
	v.Switcher = false
	v.Data = oralReceiptData{Code: rc.Code, CaseNumber: rc.CaseNumber, ReadAloud: handover == handoverReadAloud,
		CaseURL: withLang("/cases/"+url.PathEscape(rc.ReportID), lang), Language: i18n.Name(wbLang),
		Groups: strings.Fields(rc.Code)}
	s.pages.render(w, r, http.StatusCreated, "oral_receipt", v)
}

// ---- Recording on the case page ----

// recordingPanel is the case page's part on how an oral report was made
// and, with consent, the upload of its recording.
type recordingPanel struct {
	Source   string
	Recorded string // the day the report was recorded
	Consent  bool
	Action   string // the upload form; empty without consent
	Error    string
}

func (s *Server) recordingPanel(r *http.Request, st *accounts.Staff, id, lang string, loc *time.Location, in caseInput) (*recordingPanel, error) {
	o, err := s.d.DB.OralReportOf(r.Context(), st.TenantID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	p := &recordingPanel{Source: s.d.Catalog.T(lang, "staff.oral.source."+o.Source), Recorded: formatDay(o.CreatedAt, loc),
		Consent: o.ConsentRecording, Error: in.Recording}
	if o.ConsentRecording {
		p.Action = withLang("/cases/"+url.PathEscape(id)+"/recording", lang)
	}
	return p, nil
}

// caseRecordingSubmit attaches a recording. The form sends the CSRF field
// first and the consent is checked before any byte of the file is read
// (JR-2); the files are stored encrypted as they stream and committed
// together with their journal entry.
func (s *Server) caseRecordingSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil {
		return
	}
	id := r.PathValue("id")
	back := "/cases/" + url.PathEscape(id)
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		s.errorPage(w, r, lang, errNotMultipart, back)
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.errorPage(w, r, lang, errNotMultipart, back)
		return
	}
	first, err := mr.NextPart()
	if err != nil || first.FormName() != "csrf" {
		s.errorPage(w, r, lang, errCrossSite, back)
		return
	}
	csrf, _ := io.ReadAll(io.LimitReader(first, 256))
	if !validCSRF(token, string(csrf)) {
		s.errorPage(w, r, lang, errCrossSite, back)
		return
	}
	ctx := r.Context()
	rec, err := s.d.Cases.BeginRecording(ctx, st, id)
	if err != nil {
		s.recordingFailed(w, r, lang, st, token, id, err)
		return
	}
	lang, err = recordingParts(r, mr, lang, rec.Store)
	if err != nil {
		rec.Discard(ctx)
		s.errorPage(w, r, lang, err, back)
		return
	}
	if rec.Files() == 0 {
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token,
			caseInput{Recording: s.d.Catalog.T(lang, "staff.recording.error.no_file"), Other: s.d.Catalog.T(lang, "staff.recording.error.no_file"), OtherHref: "#recording-file"})
		return
	}
	if _, err := rec.Commit(ctx); err != nil {
		s.recordingFailed(w, r, lang, st, token, id, err)
		return
	}
	http.Redirect(w, r, withLang(back, lang)+"#recording-title", http.StatusSeeOther)
}

// recordingParts streams the file parts of the recording form, after the
// CSRF part, to store; other fields are read only for the page language.
// It returns that language and a 4xx-classified error for a malformed
// body, too many parts or too many files.
func recordingParts(r *http.Request, mr *multipart.Reader, lang string, store func(ctx context.Context, name, ctype string, body io.Reader) error) (string, error) {
	files := 0
	for parts := 1; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return lang, nil
		}
		if err != nil {
			return lang, malformed(err)
		}
		if parts > maxParts {
			return lang, badRequest("malformed_multipart", "too many parts")
		}
		if part.FormName() != "file" {
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			if part.FormName() == "lang" {
				lang = pageLang(r, string(b))
			}
			continue
		}
		name := part.FileName()
		if name == "" {
			// The browser sends an empty part when no file was chosen.
			if n, _ := io.Copy(io.Discard, io.LimitReader(part, 1)); n == 0 {
				continue
			}
			name = "recording"
		}
		if files >= maxFiles {
			return lang, badRequest("too_many_files", "too many files")
		}
		ctype := part.Header.Get("Content-Type")
		if _, _, err := mime.ParseMediaType(ctype); err != nil {
			ctype = "application/octet-stream"
		}
		if err := store(r.Context(), name, ctype, clientReader{part}); err != nil {
			return lang, err
		}
		files++
	}
}

func (s *Server) recordingFailed(w http.ResponseWriter, r *http.Request, lang string, st *accounts.Staff, token, id string, err error) {
	switch {
	case errors.Is(err, cases.ErrNotFound), errors.Is(err, store.ErrNotFound):
		s.pages.notFound(w, r)
	case errors.Is(err, cases.ErrConsentRequired):
		msg := s.d.Catalog.T(lang, "staff.recording.error.consent")
		s.renderCase(w, r, lang, http.StatusUnprocessableEntity, st, token, caseInput{Recording: msg, Other: msg, OtherHref: "#recording-title"})
	default:
		s.errorPage(w, r, lang, oralProblem(err), "/cases/"+url.PathEscape(id))
	}
}
