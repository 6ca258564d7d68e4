package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/report"
)

// The organisation's reporting policy: whether anonymous reports are
// accepted (RC-1) and the public page on the internal and external
// reporting channels (RC-6). The admin's text is plain text: it is
// escaped like any other text and only http(s) addresses in it become
// links, so no HTML from the admin ever reaches a page.

// requireIdentityFields marks the identity questions as required on the
// report form when the organisation does not accept anonymous reports.
func (s *Server) requireIdentityFields(ctx context.Context, lang string, d *reportFormData) error {
	pol, err := s.d.Intake.Reporting(ctx)
	if err != nil || pol.AnonymousAllowed {
		return err
	}
	d.IdentityRequired = true
	for i := range d.Identity {
		d.Identity[i].Marker = s.d.Catalog.T(lang, "form.required")
		// The question's own help may say "leave empty to stay anonymous".
		d.Identity[i].Help = ""
	}
	return nil
}

// ---- Public page on the channels (RC-6) ----

type externalChannelView struct {
	Name, Description, URL string
}

type channelsInfoData struct {
	AnonymousAllowed bool
	Text             [][]org.Segment // the admin's text, if any
	External         []externalChannelView
	Jurisdiction     string
}

func (s *Server) channelsInfoPage(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r, "")
	pol, err := s.d.Intake.Reporting(r.Context())
	if err != nil {
		s.errorPage(w, r, lang, err, "/")
		return
	}
	c := s.d.Catalog
	d := channelsInfoData{AnonymousAllowed: pol.AnonymousAllowed, Text: org.Paragraphs(pol.ChannelInfo[lang]),
		Jurisdiction: c.T(lang, "channels.jurisdiction."+pol.Jurisdiction)}
	for _, ec := range org.ExternalChannels(pol.Jurisdiction) {
		d.External = append(d.External, externalChannelView{Name: c.T(lang, "channels.ext."+ec.Key+".name"),
			Description: c.T(lang, "channels.ext."+ec.Key+".desc"), URL: ec.URL})
	}
	v := s.pages.newView(r, lang, "channels.title")
	v.Data = d
	s.pages.render(w, r, http.StatusOK, "channels_info", v)
}

// ---- Settings (admins) ----

type reportingForm struct {
	Action           string
	AnonymousAllowed bool
	Jurisdictions    []option
	Texts            []langValue
	Error            string
	MaxLen           int
	// Meeting periods (RC-2): a default and per channel, in days.
	MeetingAction   string
	MeetingDefault  int
	MeetingChannels []channelDays
	MeetingError    string
}

type channelDays struct {
	ID, Name string
	Days     string // "" follows the default
}

// reportingSettings fills the settings page's reporting section, with a
// rejected post's values when in carries one.
func (s *Server) reportingSettings(ctx context.Context, st *accounts.Staff, lang string, in *settingsInput, d *settingsData, v *view) error {
	pol, err := s.d.Cases.Reporting(ctx, st)
	if err != nil {
		return err
	}
	f := reportingForm{Action: withLang("/settings/reporting", lang), MaxLen: org.MaxChannelInfoLen}
	if in != nil && in.Which == "reporting" {
		pol, f.Error = in.Reporting, in.Error
		v.Errors = append(v.Errors, errorItem{Href: "#reporting-title", Text: in.Error})
	}
	f.AnonymousAllowed = pol.AnonymousAllowed
	for _, j := range org.Jurisdictions {
		f.Jurisdictions = append(f.Jurisdictions, option{Value: j, Label: s.d.Catalog.T(lang, "channels.jurisdiction."+j),
			Selected: j == pol.Jurisdiction})
	}
	f.Texts = langValues(pol.ChannelInfo)
	periods, err := s.d.Cases.MeetingPeriods(ctx, st)
	if err != nil {
		return err
	}
	if in != nil && in.Which == "meetings" {
		periods, f.MeetingError = in.Meetings, in.Error
		v.Errors = append(v.Errors, errorItem{Href: "#meetings-settings-title", Text: in.Error})
	}
	f.MeetingAction, f.MeetingDefault = withLang("/settings/meetings", lang), periods.Default
	for _, ch := range d.Channels {
		cd := channelDays{ID: ch.Value, Name: ch.Label}
		if n, ok := periods.Channels[ch.Value]; ok {
			cd.Days = strconv.Itoa(n)
		}
		f.MeetingChannels = append(f.MeetingChannels, cd)
	}
	d.Reporting = f
	return nil
}

func (s *Server) settingsMeetingsSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.settingsForm(w, r)
	if st == nil {
		return
	}
	in := report.MeetingPeriods{Channels: map[string]int{}}
	bad := false
	in.Default, bad = formDays(r.PostForm.Get("default"), bad)
	for key, vals := range r.PostForm {
		id, ok := strings.CutPrefix(key, "days_")
		if !ok || len(vals) == 0 || strings.TrimSpace(vals[0]) == "" {
			continue
		}
		in.Channels[id], bad = formDays(vals[0], bad)
	}
	var err error
	if !bad {
		_, err = s.d.Cases.SetMeetingPeriods(r.Context(), st, in)
	}
	switch {
	case bad, errors.Is(err, report.ErrInvalidMeetingDays), errors.Is(err, cases.ErrInvalidChannels):
		s.renderSettings(w, r, lang, http.StatusUnprocessableEntity, st, token, &settingsInput{Which: "meetings", Meetings: in,
			Error: s.d.Catalog.T(lang, "staff.settings.meetings.invalid", report.MaxMeetingDays)})
		return
	case err != nil:
		s.settingsFailed(w, r, lang, st, token, &settingsInput{Which: "meetings", Meetings: in}, err)
		return
	}
	http.Redirect(w, r, withLang("/settings", lang)+"#meetings-settings-title", http.StatusSeeOther)
}

// formDays reads a number of days from a form field; bad stays set once
// any field was not a number.
func formDays(v string, bad bool) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	return n, bad || err != nil
}

func (s *Server) settingsReportingSubmit(w http.ResponseWriter, r *http.Request) {
	st, token, lang := s.settingsForm(w, r)
	if st == nil {
		return
	}
	in := org.Reporting{AnonymousAllowed: r.PostForm.Get("anonymous") == "yes", Jurisdiction: r.PostForm.Get("jurisdiction"),
		ChannelInfo: map[string]string{}}
	for _, l := range i18n.Supported {
		in.ChannelInfo[l] = r.PostForm.Get("text_" + l)
	}
	_, err := s.d.Cases.SetReporting(r.Context(), st, in)
	switch {
	case errors.Is(err, org.ErrInvalidReporting):
		s.renderSettings(w, r, lang, http.StatusUnprocessableEntity, st, token, &settingsInput{Which: "reporting", Reporting: in,
			Error: s.d.Catalog.T(lang, "staff.settings.reporting.invalid", org.MaxChannelInfoLen)})
		return
	case err != nil:
		s.settingsFailed(w, r, lang, st, token, &settingsInput{Which: "reporting", Reporting: in}, err)
		return
	}
	http.Redirect(w, r, withLang("/settings", lang)+"#reporting-title", http.StatusSeeOther)
}

// ---- Staff API ----

func reportingProblem(err error) error {
	if errors.Is(err, org.ErrInvalidReporting) {
		return &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: err.Error()}
	}
	return err
}

type reportingJSON struct {
	AnonymousAllowed bool              `json:"anonymous_allowed"`
	Jurisdiction     string            `json:"jurisdiction"`
	ChannelInfo      map[string]string `json:"channel_info"`
	Jurisdictions    []string          `json:"jurisdictions"`
}

func toReportingJSON(p org.Reporting) reportingJSON {
	out := reportingJSON{AnonymousAllowed: p.AnonymousAllowed, Jurisdiction: p.Jurisdiction, ChannelInfo: p.ChannelInfo,
		Jurisdictions: slices.Clone(org.Jurisdictions)}
	if out.ChannelInfo == nil {
		out.ChannelInfo = map[string]string{}
	}
	return out
}

func (s *Server) apiSettingsReporting(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		p, err := s.d.Cases.Reporting(r.Context(), st)
		return toReportingJSON(p), err
	})
}

func (s *Server) apiSettingsReportingPut(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AnonymousAllowed *bool             `json:"anonymous_allowed"`
		Jurisdiction     string            `json:"jurisdiction"`
		ChannelInfo      map[string]string `json:"channel_info"`
	}
	s.guardedStaffAPI(w, r, http.StatusOK, settingsAdmin, &in, func(st *accounts.Staff) (any, error) {
		// A missing flag is an error, not "no": silently refusing
		// anonymous reports would be the costly mistake.
		if in.AnonymousAllowed == nil {
			return nil, &problem{status: http.StatusUnprocessableEntity, code: "invalid_request", msg: "anonymous_allowed is required"}
		}
		p, err := s.d.Cases.SetReporting(r.Context(), st, org.Reporting{AnonymousAllowed: *in.AnonymousAllowed,
			Jurisdiction: in.Jurisdiction, ChannelInfo: in.ChannelInfo})
		return toReportingJSON(p), reportingProblem(err)
	})
}
