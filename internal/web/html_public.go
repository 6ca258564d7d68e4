package web

import (
	"cmp"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/session"
	"github.com/varsel/varsel/internal/store"
)

// maxFormBody bounds url-encoded form posts (logins, messages).
const maxFormBody = 256 << 10

// parseForm reads a small url-encoded form.
func parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("malformed_form", "the form could not be read")
	}
	return nil
}

// ---- Landing and privacy ----

type channelLink struct {
	Name        string
	Description string
	URL         string
}

type landingData struct {
	Channels []channelLink
	Receipt  string
	Error    string
	// AnonymousAllowed tells the whistleblower, before they start,
	// whether they may stay anonymous (RC-1).
	AnonymousAllowed bool
}

func (s *Server) landingPage(w http.ResponseWriter, r *http.Request) {
	s.renderLanding(w, r, pageLang(r, ""), http.StatusOK, "")
}

func (s *Server) renderLanding(w http.ResponseWriter, r *http.Request, lang string, status int, loginErr string) {
	chs, err := s.d.Intake.Channels(r.Context())
	if err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	}
	pol, err := s.d.Intake.Reporting(r.Context())
	if err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	}
	v := s.pages.newView(r, lang, "landing.title")
	d := landingData{Error: loginErr, AnonymousAllowed: pol.AnonymousAllowed}
	for _, c := range chs {
		d.Channels = append(d.Channels, channelLink{Name: c.Name.In(lang), Description: c.Description.In(lang),
			URL: withLang("/report/"+url.PathEscape(c.ID), lang)})
	}
	if loginErr != "" {
		v.Errors = []errorItem{{Href: "#receipt", Text: loginErr}}
	}
	v.Data = d
	s.pages.render(w, r, status, "landing", v)
}

func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) {
	v := s.pages.newView(r, pageLang(r, ""), "privacy.title")
	s.pages.render(w, r, http.StatusOK, "privacy", v)
}

// ---- Report form ----

type optionView struct {
	ID      string
	HTMLID  string
	Label   string
	Checked bool
}

type fieldView struct {
	ID        string // id of the input, or of the fieldset for choices
	Name      string
	Kind      string
	Label     string
	Help      string
	Marker    string // "Required" or "Optional", in words
	MaxLen    int
	Value     string
	Options   []optionView
	Error     string
	FirstID   string // where the error summary links to
	Group     bool
	InputType string
	Textarea  bool
}

// Describe lists the ids for aria-describedby.
func (f fieldView) Describe() string {
	var ids []string
	if f.Help != "" {
		ids = append(ids, f.ID+"-help")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

type reportFormData struct {
	ChannelName  string
	Description  string
	Action       string
	Fields       []fieldView
	Identity     []fieldView
	FilesHint    string
	FilesDropped bool
	// Exclude offers the channel's named handlers for exclusion (CW-5).
	Exclude []option
	// IdentityRequired: the organisation does not accept anonymous
	// reports (RC-1), so the identity questions must be answered.
	IdentityRequired bool
	// FormToken makes a second post of this form recognisable (see
	// intake.NewFormToken).
	FormToken string
}

func (s *Server) reportForm(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	ch, err := s.d.Intake.Channel(r.Context(), r.PathValue("channel"))
	if errors.Is(err, intake.ErrUnknownChannel) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	}
	s.renderReportForm(w, r, lang, http.StatusOK, ch, nil, nil, false)
}

// fieldMessage turns a validation code into the text shown at the field.
func fieldMessage(c *i18n.Catalog, lang string, q questionnaire.Question, code string) string {
	switch code {
	case "":
		return ""
	case questionnaire.CodeRequired:
		return c.T(lang, "form.error.required")
	case questionnaire.CodeTooLong:
		return c.T(lang, "form.error.too_long", q.MaxLength())
	case questionnaire.CodeInvalidOption:
		return c.T(lang, "form.error.invalid_option")
	case questionnaire.CodeIdentityRequired:
		return c.T(lang, "form.error.identity_required")
	}
	return c.T(lang, "form.error.invalid")
}

func (s *Server) renderReportForm(w http.ResponseWriter, r *http.Request, lang string, status int, ch intake.Channel,
	form map[string][]string, verr *questionnaire.ValidationError, filesDropped bool) {
	c := s.d.Catalog
	v := s.pages.newView(r, lang, "form.title")
	v.Title = ch.Name.In(lang)
	d := reportFormData{ChannelName: ch.Name.In(lang), Description: ch.Description.In(lang),
		Action:       withLang("/report/"+url.PathEscape(ch.ID), lang),
		FilesHint:    c.T(lang, "form.files.hint", maxFiles, formatSize(s.d.Intake.MaxFileSize())),
		FilesDropped: filesDropped, FormToken: formToken(form)}
	for _, h := range ch.Excludable {
		d.Exclude = append(d.Exclude, option{Value: h.ID, Label: h.Name, Selected: slices.Contains(form["exclude"], h.ID)})
	}
	var errs []errorItem
	d.Fields, d.Identity, errs = s.questionFields(lang, ch.Questionnaire, form, verr)
	v.Errors = append(v.Errors, errs...)
	if err := s.requireIdentityFields(r.Context(), lang, &d); err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	}
	if verr != nil && len(v.Errors) == 0 {
		// Only unknown fields were wrong: nothing on the form to point at.
		v.Errors = append(v.Errors, errorItem{Href: "#report-form", Text: c.T(lang, "form.error.invalid")})
	}
	v.Data = d
	s.pages.render(w, r, status, "report", v)
}

// questionFields renders a questionnaire as form fields with the posted
// values and validation errors, the identity questions apart; the public
// report form and the staff's oral report form share it.
func (s *Server) questionFields(lang string, qs questionnaire.Questionnaire, form map[string][]string,
	verr *questionnaire.ValidationError) (fields, identity []fieldView, errs []errorItem) {
	c := s.d.Catalog
	for _, q := range qs.Questions {
		name := questionnaire.FormPrefix + q.ID
		f := fieldView{ID: name, Name: name, Kind: string(q.Kind), Label: q.Label.In(lang), Help: q.Help.In(lang),
			MaxLen: q.MaxLength(), Textarea: q.Kind == questionnaire.KindTextarea}
		f.FirstID = f.ID
		if q.Required {
			f.Marker = c.T(lang, "form.required")
		} else {
			f.Marker = c.T(lang, "form.optional")
		}
		values := form[name]
		if len(values) > 0 {
			f.Value = values[0]
		}
		if q.Kind == questionnaire.KindChoice || q.Kind == questionnaire.KindMultiChoice {
			f.Group = true
			f.InputType = "radio"
			if q.Kind == questionnaire.KindMultiChoice {
				f.InputType = "checkbox"
			}
			for _, o := range q.Options {
				ov := optionView{ID: o.ID, HTMLID: name + "--" + o.ID, Label: o.Label.In(lang)}
				for _, val := range values {
					if val == o.ID {
						ov.Checked = true
					}
				}
				f.Options = append(f.Options, ov)
			}
			if len(f.Options) > 0 {
				f.FirstID = f.Options[0].HTMLID
			}
		}
		if verr != nil {
			f.Error = fieldMessage(c, lang, q, verr.For(q.ID))
			if f.Error != "" {
				errs = append(errs, errorItem{Href: "#" + f.FirstID, Text: f.Label + " – " + f.Error})
			}
		}
		if q.Identity {
			identity = append(identity, f)
		} else {
			fields = append(fields, f)
		}
	}
	return fields, identity, errs
}

// formToken keeps the token of a form shown again with its errors (it
// was not used: nothing was stored) and gives a new form a new one.
func formToken(form map[string][]string) string {
	if t := form["form_token"]; len(t) == 1 && t[0] != "" {
		return t[0]
	}
	return intake.NewFormToken()
}

type receiptData struct {
	Code       string
	CaseNumber int64
}

func (s *Server) reportSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	if !sameOrigin(r) {
		s.errorPage(w, r, lang, errCrossSite, "/")
		return
	}
	ctx := r.Context()
	ch, err := s.d.Intake.Channel(ctx, r.PathValue("channel"))
	if errors.Is(err, intake.ErrUnknownChannel) {
		s.pages.notFound(w, r)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, "")
		return
	}
	back := "/report/" + url.PathEscape(ch.ID)
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	draft, err := s.d.Intake.Begin()
	if err != nil {
		s.errorPage(w, r, lang, err, back)
		return
	}
	files := 0
	fields, err := streamMultipart(r, map[string]bool{"files": true}, func(_, name, ctype string, body io.Reader) error {
		files++
		return s.d.Intake.AddFile(ctx, draft, name, ctype, body)
	})
	if err != nil {
		s.d.Intake.Abandon(ctx, draft)
		s.errorPage(w, r, lang, err, back)
		return
	}
	if l := fields["lang"]; len(l) > 0 {
		lang = pageLang(r, l[0])
	}
	// The page's language goes with the report, so the outcome message
	// is sent in it (a tag of three values; it identifies no one).
	draft.Lang = lang
	// A form posted again is answered before anything else is done with
	// it; the commit checks once more, for two posts at the same time.
	sentToken := ""
	if t := fields["form_token"]; len(t) == 1 {
		sentToken = t[0]
	}
	if sent, err := s.d.Intake.FormSubmitted(ctx, sentToken); sent || err != nil {
		s.d.Intake.Abandon(ctx, draft)
		s.errorPage(w, r, lang, cmp.Or(err, intake.ErrAlreadySubmitted), back)
		return
	}
	answers := ch.Questionnaire.FromForm(fields)
	// Files that reveal something (RC-5) park the report for the
	// metadata confirmation step instead of committing it.
	checks, err := s.d.Intake.CheckFiles(ctx, draft)
	if err != nil {
		s.d.Intake.Abandon(ctx, draft)
		s.errorPage(w, r, lang, err, back)
		return
	}
	if intake.NeedsConfirmation(checks) {
		s.parkReport(w, r, lang, ch, draft, fields, answers, checks, files > 0, sentToken)
		return
	}
	rc, err := s.d.Intake.SubmitForm(ctx, draft, ch.ID, answers, fields["exclude"], sentToken)
	var verr *questionnaire.ValidationError
	if errors.As(err, &verr) {
		s.renderReportForm(w, r, lang, http.StatusUnprocessableEntity, ch, fields, verr, files > 0)
		return
	}
	if err != nil {
		s.errorPage(w, r, lang, err, back)
		return
	}
	v := s.pages.newView(r, lang, "receipt.title")
	v.Data = receiptData{Code: rc.Code, CaseNumber: rc.CaseNumber}
	s.pages.render(w, r, http.StatusOK, "receipt", v)
}

// ---- Whistleblower login and status ----

func (s *Server) wbLogin(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	if !sameOrigin(r) {
		s.errorPage(w, r, lang, errCrossSite, "/")
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	token, err := s.d.Intake.Login(r.Context(), r.PostForm.Get("receipt"))
	switch {
	case errors.Is(err, intake.ErrBadReceipt):
		s.renderLanding(w, r, lang, http.StatusUnauthorized, s.d.Catalog.T(lang, "login.invalid"))
		return
	case err != nil:
		s.errorPage(w, r, lang, err, "/")
		return
	}
	s.setSessionCookie(w, wbCookie, token)
	http.Redirect(w, r, withLang("/status", lang), http.StatusSeeOther)
}

// wbSession authenticates the whistleblower's cookie.
func (s *Server) wbSession(r *http.Request) (*intake.Whistleblower, string, error) {
	token := cookieToken(r, wbCookie)
	if token == "" {
		return nil, "", session.ErrNoSession
	}
	wb, err := s.d.Intake.Authenticate(r.Context(), token)
	return wb, token, err
}

// wbNoSession answers a request whose session is missing or over.
func (s *Server) wbNoSession(w http.ResponseWriter, r *http.Request, lang string, err error) {
	if !errors.Is(err, session.ErrNoSession) {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if cookieToken(r, wbCookie) == "" && r.Method == http.MethodGet {
		http.Redirect(w, r, withLang("/", lang), http.StatusSeeOther)
		return
	}
	s.clearSessionCookie(w, wbCookie)
	s.pages.message(w, r, http.StatusUnauthorized, lang, "error.title", "/", "error.back", "error.session_expired")
}

type answerRow struct {
	Label  string
	Value  string
	Values []string
}

type fileRow struct {
	Name   string
	Size   string
	URL    string
	Author string
	Time   time.Time
	// Metadata says, on the staff case page, whether the file was cleaned
	// at intake or kept as it was by the whistleblower's choice.
	Metadata string
}

type messageRow struct {
	Author string
	Mine   bool
	Time   time.Time
	Text   string
}

type reportData struct {
	CaseNumber   int64
	Status       string
	ReceivedAt   time.Time
	LastActivity time.Time
	Answers      []answerRow
	HasIdentity  bool
	Identity     []answerRow
	Files        []fileRow
	Messages     []messageRow
	ReplyAction  string
	ReplyText    string
	ReplyError   string
	FilesAction  string
	CaseID       string
	// IdentityConsent lets the whistleblower share their identity (status page).
	IdentityConsent *identityConsentData
	// Transcripts of an oral report (html_oral.go); nil hides the section.
	Transcripts *transcriptsPanel
	// Meeting requests (RC-2, html_meetings.go; status page only).
	Meeting *wbMeetingPanel
}

// answerRows lists a report's answers in questionnaire order with their
// labels; choice answers show the option's label.
func answerRows(q questionnaire.Questionnaire, a questionnaire.Answers, lang string, identity bool) []answerRow {
	var out []answerRow
	for _, qq := range q.Questions {
		if qq.Identity != identity {
			continue
		}
		raw, ok := a[qq.ID]
		if !ok {
			continue
		}
		row := answerRow{Label: qq.Label.In(lang)}
		label := func(s string) string {
			for _, o := range qq.Options {
				if o.ID == s {
					return o.Label.In(lang)
				}
			}
			return s
		}
		switch val := raw.(type) {
		case string:
			row.Value = label(val)
		case []string:
			for _, x := range val {
				row.Values = append(row.Values, label(x))
			}
		case []any:
			for _, x := range val {
				if xs, ok := x.(string); ok {
					row.Values = append(row.Values, label(xs))
				}
			}
		default:
			continue
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) wbStatusPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	s.renderStatus(w, r, lang, http.StatusOK, wb, token, "", "")
}

// statusInput carries what a rejected form of the status page posted.
type statusInput struct {
	ReplyText, ReplyErr string
	Transcript          *transcriptInput
	// A refused meeting request (html_meetings.go).
	MeetingText, MeetingErr string
}

func (s *Server) renderStatus(w http.ResponseWriter, r *http.Request, lang string, status int, wb *intake.Whistleblower,
	token, replyText, replyErr string) {
	s.renderStatusWith(w, r, lang, status, wb, token, statusInput{ReplyText: replyText, ReplyErr: replyErr})
}

func (s *Server) renderStatusWith(w http.ResponseWriter, r *http.Request, lang string, status int, wb *intake.Whistleblower,
	token string, in statusInput) {
	replyText, replyErr := in.ReplyText, in.ReplyErr
	rv, err := s.d.Intake.View(r.Context(), wb)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	c := s.d.Catalog
	v := s.pages.newView(r, lang, "report.title")
	v.CSRF = csrfToken(token)
	d := reportData{CaseNumber: rv.CaseNumber, Status: statusName(c, lang, rv.Status), ReceivedAt: rv.ReceivedAt,
		LastActivity: rv.LastActivityAt,
		Answers:      answerRows(rv.Questionnaire, rv.Answers, lang, false),
		Identity:     answerRows(rv.Questionnaire, rv.Identity, lang, true),
		ReplyAction:  withLang("/status/messages", lang), FilesAction: withLang("/status/files", lang),
		ReplyText: replyText, ReplyError: replyErr}
	if d.IdentityConsent, err = s.identityConsent(r, lang, wb); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	transcripts, err := s.d.Intake.Transcripts(r.Context(), wb)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	d.Transcripts = s.wbTranscripts(r, lang, transcripts, in.Transcript)
	if d.Meeting, err = s.wbMeetingPanel(r, lang, wb, in.MeetingText, in.MeetingErr); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	if in.MeetingErr != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#meeting-text", Text: in.MeetingErr})
	}
	for _, f := range rv.Files {
		d.Files = append(d.Files, fileRow{Name: f.Name, Size: formatSize(f.Size), Time: f.CreatedAt,
			URL: "/status/files/" + url.PathEscape(f.ID)})
	}
	for _, m := range rv.Messages {
		mine := m.AuthorType == store.AuthorWhistleblower
		author := c.T(lang, "report.from.handler")
		if mine {
			author = c.T(lang, "report.from.you")
		}
		d.Messages = append(d.Messages, messageRow{Author: author, Mine: mine, Time: m.CreatedAt, Text: m.Text})
	}
	if replyErr != "" {
		v.Errors = []errorItem{{Href: "#text", Text: replyErr}}
	}
	if t := in.Transcript; t != nil && t.Error != "" {
		v.Errors = append(v.Errors, errorItem{Href: "#transcript-text-" + t.DocID, Text: t.Error})
	}
	v.Data = d
	s.pages.render(w, r, status, "status", v)
}

// messageError maps a refused message to the text shown at the field.
func messageError(c *i18n.Catalog, lang string, err error) (string, bool) {
	switch {
	case errors.Is(err, report.ErrEmptyMessage):
		return c.T(lang, "message.error.empty"), true
	case errors.Is(err, report.ErrMessageTooLong):
		return c.T(lang, "message.error.too_long", report.MaxMessageLen), true
	case errors.Is(err, report.ErrInvalidText):
		return c.T(lang, "form.error.invalid"), true
	}
	return "", false
}

func (s *Server) wbMessageSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if !validCSRF(token, r.PostForm.Get("csrf")) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	text := r.PostForm.Get("text")
	if err := s.d.Intake.PostMessage(r.Context(), wb, text); err != nil {
		if msg, ok := messageError(s.d.Catalog, lang, err); ok {
			s.renderStatus(w, r, lang, http.StatusUnprocessableEntity, wb, token, text, msg)
			return
		}
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	http.Redirect(w, r, withLang("/status", lang), http.StatusSeeOther)
}

// wbFilesSubmit adds files from the status page. The form sends the CSRF
// field first, so it is checked before any file is read; files are then
// stored as they stream, checked for metadata and committed together, or
// held for the confirmation step (html_wb_files.go).
func (s *Server) wbFilesSubmit(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, token, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.submitLimit())
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		s.errorPage(w, r, lang, errNotMultipart, "/status")
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.errorPage(w, r, lang, errNotMultipart, "/status")
		return
	}
	first, err := mr.NextPart()
	if err != nil || first.FormName() != "csrf" {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	csrf, _ := io.ReadAll(io.LimitReader(first, 256))
	if !validCSRF(token, string(csrf)) {
		s.errorPage(w, r, lang, errCrossSite, "/status")
		return
	}
	ctx := r.Context()
	var pending []report.PendingFile
	fail := func(err error) {
		s.d.Intake.DiscardFiles(ctx, pending)
		s.errorPage(w, r, lang, err, "/status")
	}
	for parts := 1; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fail(malformed(err))
			return
		}
		if parts > maxParts {
			fail(badRequest("malformed_multipart", "too many parts"))
			return
		}
		if part.FormName() != "files" {
			b, _ := io.ReadAll(io.LimitReader(part, 64))
			if part.FormName() == "lang" {
				lang = pageLang(r, string(b))
			}
			continue
		}
		filename := part.FileName()
		if filename == "" {
			if n, _ := io.Copy(io.Discard, io.LimitReader(part, 1)); n == 0 {
				continue
			}
			filename = "file"
		}
		if len(pending) >= maxFiles {
			fail(badRequest("too_many_files", "too many files"))
			return
		}
		ctype := part.Header.Get("Content-Type")
		if _, _, err := mime.ParseMediaType(ctype); err != nil {
			ctype = "application/octet-stream"
		}
		f, err := s.d.Intake.StoreFile(ctx, wb, filename, ctype, clientReader{part})
		if err != nil {
			fail(err)
			return
		}
		pending = append(pending, f)
	}
	if len(pending) == 0 {
		s.pages.message(w, r, http.StatusBadRequest, lang, "error.title", "/status", "error.back", "error.no_files")
		return
	}
	s.wbFilesAdd(w, r, lang, wb, token, pending)
}

func (s *Server) wbFileDownload(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	wb, _, err := s.wbSession(r)
	if err != nil {
		s.wbNoSession(w, r, lang, err)
		return
	}
	f, err := s.d.Intake.OpenFile(r.Context(), wb, r.PathValue("file"))
	if err != nil {
		s.errorPage(w, r, lang, err, "/status")
		return
	}
	sendFile(w, f)
}

// wbLogout ends the session. Its page is rendered directly, so no cookie
// and no session remain once it shows.
func (s *Server) wbLogout(w http.ResponseWriter, r *http.Request) {
	s.logout(w, r, wbCookie, s.d.Intake.Logout, "/status", func(lang string) {
		s.pages.message(w, r, http.StatusOK, lang, "report.logged_out", "/", "receipt.back", "report.logged_out.help")
	})
}

// logout is the form logout of either site: it checks the form token,
// deletes the session row and expires the cookie before showing done.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, cookie string, end func(context.Context, string) error,
	back string, done func(lang string)) {
	lang := pageLang(r, "")
	if err := parseForm(w, r); err != nil {
		s.errorPage(w, r, lang, err, back)
		return
	}
	lang = pageLang(r, r.PostForm.Get("lang"))
	if token := cookieToken(r, cookie); token != "" {
		if !validCSRF(token, r.PostForm.Get("csrf")) {
			s.errorPage(w, r, lang, errCrossSite, back)
			return
		}
		if err := end(r.Context(), token); err != nil && !errors.Is(err, session.ErrNoSession) {
			s.errorPage(w, r, lang, err, back)
			return
		}
	}
	s.clearSessionCookie(w, cookie)
	done(lang)
}
