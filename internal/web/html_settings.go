package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/report"
)

// The organisation's workflow settings as a page (issue 3): custom
// statuses mapped onto the case states, closing reasons with their labels
// and outcome-message templates in every language, and the channels whose
// cases are deleted after a confirmed export. Admins only. Without
// JavaScript a list is edited as rows of fields: a row with an empty id
// is dropped, and a few empty rows are offered for additions.

// emptyRows is how many blank rows the forms offer for additions.
const emptyRows = 2

type settingsData struct {
	StatusAction, OutcomeAction, ExportAction string
	Statuses                                  []statusRow
	States                                    []option
	Outcomes                                  []outcomeRow
	OutcomesDefault                           bool
	Channels                                  []option // checked: deleted after a confirmed export
	Langs                                     []langName
	StatusError, OutcomeError, ExportError    string
	// Reporting: anonymous reports and the channels page (RC-1, RC-6).
	Reporting reportingForm
}

type langName struct{ Code, Name string }

type statusRow struct {
	Index  int
	ID     string
	States []option
	Labels []langValue
}

type outcomeRow struct {
	Index     int
	ID        string
	Labels    []langValue
	Templates []langValue
}

type langValue struct {
	Lang, Name, Value string
}

// ExportSettingsInput carries rejected posts back to the page.
type settingsInput struct {
	Statuses []cases.CustomStatus
	Outcomes []cases.Outcome
	Channels []string
	Which    string // "statuses", "outcomes", "export" or "reporting"
	Error    string

	// Reporting and Meetings are the rejected reporting policy and
	// meeting periods (html_reporting.go).
	Reporting org.Reporting
	Meetings  report.MeetingPeriods
}

func langValues(m map[string]string) []langValue {
	out := make([]langValue, 0, len(i18n.Supported))
	for _, l := range i18n.Supported {
		out = append(out, langValue{Lang: l, Name: i18n.Name(l), Value: m[l]})
	}
	return out
}

// settingsAdminPage authenticates the page and refuses non-admins.
func (s *Server) settingsAdminPage(w http.ResponseWriter, r *http.Request, lang string, st *accounts.Staff) bool {
	if st.Role != accounts.RoleAdmin {
		s.pages.message(w, r, http.StatusForbidden, lang, "staff.settings.title", "/", "staff.case.back", "staff.settings.forbidden")
		return false
	}
	return true
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	st, token := s.staffSession(w, r, lang)
	if st == nil || !s.settingsAdminPage(w, r, lang, st) {
		return
	}
	s.renderSettings(w, r, lang, http.StatusOK, st, token, nil)
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff, token string,
	in *settingsInput) {
	ctx := r.Context()
	c := s.d.Catalog
	statuses, err := s.d.Cases.Statuses(ctx, st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	outcomes, configured, err := s.d.Cases.ConfiguredOutcomes(ctx, st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	deleteAfter, err := s.d.Cases.DeleteAfterExportChannels(ctx, st)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	channels, err := s.d.DB.Channels(ctx, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v := s.staffView(r, lang, token, "staff.settings.title")
	d := settingsData{StatusAction: withLang("/settings/statuses", lang), OutcomeAction: withLang("/settings/outcomes", lang),
		ExportAction: withLang("/settings/export-deletion", lang), OutcomesDefault: !configured}
	for _, l := range i18n.Supported {
		d.Langs = append(d.Langs, langName{Code: l, Name: i18n.Name(l)})
	}
	if in != nil {
		switch in.Which {
		case "statuses":
			statuses, d.StatusError = in.Statuses, in.Error
			v.Errors = append(v.Errors, errorItem{Href: "#statuses-title", Text: in.Error})
		case "outcomes":
			outcomes, d.OutcomeError = in.Outcomes, in.Error
			v.Errors = append(v.Errors, errorItem{Href: "#outcomes-title", Text: in.Error})
		case "export":
			deleteAfter, d.ExportError = in.Channels, in.Error
			v.Errors = append(v.Errors, errorItem{Href: "#export-title", Text: in.Error})
		}
	}
	stateOptions := func(selected string) []option {
		out := []option{}
		for _, state := range cases.States {
			out = append(out, option{Value: state, Label: stateName(c, lang, state), Selected: state == selected})
		}
		return out
	}
	for i, cs := range append(slices.Clone(statuses), make([]cases.CustomStatus, emptyRows)...) {
		d.Statuses = append(d.Statuses, statusRow{Index: i, ID: cs.ID, States: stateOptions(cs.State), Labels: langValues(cs.Labels)})
	}
	for i, o := range append(slices.Clone(outcomes), make([]cases.Outcome, emptyRows)...) {
		d.Outcomes = append(d.Outcomes, outcomeRow{Index: i, ID: o.ID, Labels: langValues(o.Labels), Templates: langValues(o.Templates)})
	}
	for _, ch := range channels {
		var name questionnaire.Text
		label := ch.ID
		if json.Unmarshal([]byte(ch.Name), &name) == nil && name.In(lang) != "" {
			label = name.In(lang)
		}
		d.Channels = append(d.Channels, option{Value: ch.ID, Label: label, Selected: slices.Contains(deleteAfter, ch.ID)})
	}
	if err := s.reportingSettings(ctx, st, lang, in, &d, v); err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	v.Data = d
	s.pages.render(w, r, status, "settings", v)
}

// settingsForm authenticates a settings post (admins only).
func (s *Server) settingsForm(w http.ResponseWriter, r *http.Request) (*accounts.Staff, string, string) {
	st, token, lang := s.staffForm(w, r)
	if st == nil || !s.settingsAdminPage(w, r, lang, st) {
		return nil, "", ""
	}
	return st, token, lang
}

// rows reads the posted rows of a list form: field name → values by row.
// Rows are numbered by the form ("<field>.<row>").
func postedRow(r *http.Request, field string, i int) string {
	return strings.TrimSpace(r.PostForm.Get(field + "." + itoa(int64(i))))
}

// postedRows counts the rows of a list form; it trusts no count field,
// only the ids posted, up to max.
func postedRows(r *http.Request, max int) int {
	n := 0
	for i := 0; i <= max+emptyRows; i++ {
		if _, ok := r.PostForm["id."+itoa(int64(i))]; ok {
			n = i + 1
		}
	}
	return n
}

func postedLangs(r *http.Request, field string, i int) map[string]string {
	m := map[string]string{}
	for _, l := range i18n.Supported {
		if v := postedRow(r, field+"_"+l, i); v != "" {
			m[l] = v
		}
	}
	return m
}

func (s *Server) settingsStatusesSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.settingsForm(w, r)
	if st == nil {
		return
	}
	var list []cases.CustomStatus
	for i := range postedRows(r, cases.MaxStatuses) {
		cs := cases.CustomStatus{ID: postedRow(r, "id", i), State: postedRow(r, "state", i), Labels: postedLangs(r, "label", i)}
		if cs.ID == "" && len(cs.Labels) == 0 {
			continue // an empty row, or one cleared to remove it
		}
		list = append(list, cs)
	}
	if list == nil {
		list = []cases.CustomStatus{}
	}
	if _, err := s.d.Cases.SetStatuses(r.Context(), st, list); err != nil {
		s.settingsFailed(w, r, lang, st, token, &settingsInput{Which: "statuses", Statuses: list}, err)
		return
	}
	http.Redirect(w, r, withLang("/settings", lang)+"#statuses-title", http.StatusSeeOther)
}

func (s *Server) settingsOutcomesSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.settingsForm(w, r)
	if st == nil {
		return
	}
	var list []cases.Outcome
	for i := range postedRows(r, cases.MaxOutcomes) {
		o := cases.Outcome{ID: postedRow(r, "id", i), Labels: postedLangs(r, "label", i), Templates: postedLangs(r, "template", i)}
		if o.ID == "" && len(o.Labels) == 0 && len(o.Templates) == 0 {
			continue
		}
		list = append(list, o)
	}
	if _, err := s.d.Cases.SetOutcomes(r.Context(), st, list); err != nil {
		s.settingsFailed(w, r, lang, st, token, &settingsInput{Which: "outcomes", Outcomes: list}, err)
		return
	}
	http.Redirect(w, r, withLang("/settings", lang)+"#outcomes-title", http.StatusSeeOther)
}

func (s *Server) settingsExportDeletionSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.settingsForm(w, r)
	if st == nil {
		return
	}
	channels := r.PostForm["channel"]
	if _, err := s.d.Cases.SetDeleteAfterExport(r.Context(), st, channels); err != nil {
		s.settingsFailed(w, r, lang, st, token, &settingsInput{Which: "export", Channels: channels}, err)
		return
	}
	http.Redirect(w, r, withLang("/settings", lang)+"#export-title", http.StatusSeeOther)
}

func (s *Server) settingsFailed(w http.ResponseWriter, r *http.Request, lang string, st *accounts.Staff, token string,
	in *settingsInput, err error) {
	c := s.d.Catalog
	switch {
	case errors.Is(err, cases.ErrInvalidSettings):
		in.Error = c.T(lang, "staff.settings.error.invalid")
	case errors.Is(err, cases.ErrInvalidChannels):
		in.Error = c.T(lang, "staff.settings.error.channel")
	case errors.Is(err, cases.ErrSettingsForbidden):
		s.pages.message(w, r, http.StatusForbidden, lang, "staff.settings.title", "/", "staff.case.back", "staff.settings.forbidden")
		return
	default:
		s.errorPage(w, r, lang, err, "/settings")
		return
	}
	s.renderSettings(w, r, lang, http.StatusUnprocessableEntity, st, token, in)
}
