package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
)

// The staff pages of the records of processing (art. 30), processors
// (art. 28(3)), DPIAs (art. 35) and the risk register: a list with the
// form for a new entry, and a page per entry with its content, the edit
// form and the "mark reviewed" form. Admins and the DPO only. The four
// registers share one page shape; regItemDef says what differs. Every
// form posts to an HTML route that calls the same privacy.Service method
// as the JSON API, so validation is the service's; the checks here only
// turn unreadable dates and numbers into field errors first.

// regItem is one register entry as the pages need it.
type regItem struct {
	ID            string
	Label         string     // one line that names the entry
	Values        url.Values // the content, as the edit form posts it
	Flags         []string   // what needs attention (no agreement, no DPIA, …)
	Links         []regLink  // related entries
	OwnerID       string
	ReviewAt      *time.Time
	ReviewOverdue bool
	UpdatedAt     time.Time
	History       int // number of recorded versions
}

type regLink struct{ URL, Text string }

// regChoices are the choices of a form that come from the database.
type regChoices struct {
	activities []option // value: activity id, label: its purposes
	owners     []option // value: user id, label: e-mail and role
}

// labels names the activities by id, for links.
func (c regChoices) labels() map[string]string {
	out := make(map[string]string, len(c.activities))
	for _, o := range c.activities {
		out[o.Value] = o.Label
	}
	return out
}

// regItemDef describes one of the four registers.
type regItemDef struct {
	register string // store.Register*
	slug     string // path segment: /registers/<slug>
	prefix   string // i18n prefix of its texts
	order    []string
	fields   func(p *regPage, form string, c regChoices) []regField
	// list and get read the register; acts names the activities by id
	// (from the form choices, so that the activities are read once).
	list func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, acts map[string]string) ([]regItem, error)
	get  func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, acts map[string]string) (regItem, error)
	// save creates (id "") or replaces an entry from in; it records field
	// errors in in and returns without calling the service when it finds any.
	save func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, in *regInput) (string, error)
}

func (d *regItemDef) base() string { return "/registers/" + d.slug }

// ---- shared fields ----

// metaFields are the owner and next-review controls every entry has.
func (p *regPage) metaFields(form string, c regChoices, reviewRequired bool) []regField {
	owner := p.field(form, "owner_id", "select", "staff.regitems.owner", "staff.regitems.owner.help", false)
	owner.Options = append([]option{{Value: "", Label: p.t("staff.regitems.owner.me"), Selected: owner.Value == ""}},
		markSelected(c.owners, owner.Value)...)
	hint := "staff.regitems.review_at.help"
	if reviewRequired {
		hint = ""
	}
	return []regField{owner, p.field(form, "review_at", "date", "staff.regitems.review_at", hint, reviewRequired)}
}

func markSelected(opts []option, selected string) []option {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = out[i].Value == selected
	}
	return out
}

// checks is a group of checkboxes posted under one name.
func (p *regPage) checks(form, name, labelKey string, opts []option) regField {
	f := p.field(form, name, "checks", labelKey, "", false)
	var picked []string
	if p.in != nil && p.in.Form == form {
		picked = p.in.Values[name]
	}
	f.Options = nil
	for _, o := range opts {
		o.Selected = slices.Contains(picked, o.Value)
		f.Options = append(f.Options, o)
	}
	return f
}

// readMeta reads the owner and review date of a posted form.
func (p *regPage) readMeta(in *regInput, reviewRequired bool) (owner string, review time.Time) {
	owner = strings.TrimSpace(in.Values.Get("owner_id"))
	v := strings.TrimSpace(in.Values.Get("review_at"))
	if v == "" {
		if reviewRequired {
			in.fail("review_at", p.t("staff.registers.error.field.review_at"))
		}
		return owner, time.Time{}
	}
	t, ok := parseLocal(v, p.loc, true)
	if !ok {
		in.fail("review_at", p.t("staff.registers.error.field.review_at"))
	}
	return owner, t
}

// readDay reads an optional date that may not lie in the future.
func (p *regPage) readDay(in *regInput, name string) time.Time {
	v := strings.TrimSpace(in.Values.Get(name))
	if v == "" {
		return time.Time{}
	}
	t, ok := parseLocal(v, p.loc, true)
	if !ok || t.After(p.s.d.Now()) {
		in.fail(name, p.t("staff.registers.error.field."+name))
	}
	return t
}

// required marks every empty field of names.
func (p *regPage) required(in *regInput, names ...string) {
	for _, n := range names {
		if strings.TrimSpace(in.Values.Get(n)) == "" {
			in.fail(n, p.t("staff.regitems.error.required"))
		}
	}
}

func (p *regPage) day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return formatDay(*t, p.loc)
}

func (p *regPage) itemLink(slug, id, text string) regLink {
	return regLink{URL: withLang("/registers/"+slug+"/"+url.PathEscape(id), p.lang), Text: text}
}

// firstLine shortens a free text to a label.
func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// ---- records of processing ----

// activityTexts and activityRecordOf go between an activity record and
// its fields by their JSON names, which are also the form's field names:
// a field added to privacy.ActivityRecord appears in the form by itself.
func activityTexts(r privacy.ActivityRecord) map[string]string {
	b, _ := json.Marshal(r)
	m := map[string]string{}
	_ = json.Unmarshal(b, &m)
	return m
}

func activityRecordOf(texts map[string]string) privacy.ActivityRecord {
	b, _ := json.Marshal(texts)
	var r privacy.ActivityRecord
	_ = json.Unmarshal(b, &r)
	return r
}

func ropaFields(p *regPage, form string, c regChoices) []regField {
	var out []regField
	for _, name := range privacy.ActivityFields() {
		out = append(out, p.field(form, name, "textarea", "staff.ropa.field."+name, "staff.ropa.field."+name+".help", true))
	}
	out = append(out, p.field(form, "high_risk", "checkbox", "staff.ropa.field.high_risk", "", false))
	return append(out, p.metaFields(form, c, false)...)
}

func ropaItem(p *regPage, a privacy.ActivityView) regItem {
	it := regItem{ID: a.ID, Values: url.Values{}, OwnerID: a.OwnerID, ReviewAt: a.ReviewAt, ReviewOverdue: a.ReviewOverdue,
		UpdatedAt: a.UpdatedAt, History: len(a.Entries)}
	if a.Record != nil {
		for name, v := range activityTexts(*a.Record) {
			it.Values.Set(name, v)
		}
		it.Label = firstLine(a.Record.Purposes)
	}
	if a.HighRisk {
		it.Values.Set("high_risk", "yes")
	}
	it.Values.Set("owner_id", a.OwnerID)
	it.Values.Set("review_at", p.day(a.ReviewAt))
	if a.DPIAMissing {
		it.Flags = append(it.Flags, p.t("staff.ropa.flag.dpia_missing"))
	}
	for i, id := range a.DPIAs {
		it.Links = append(it.Links, p.itemLink("dpias", id, p.t("staff.ropa.link.dpia", i+1)))
	}
	for i, id := range a.Processors {
		it.Links = append(it.Links, p.itemLink("processors", id, p.t("staff.ropa.link.processor", i+1)))
	}
	return it
}

var ropaDef = &regItemDef{
	register: store.RegisterActivity, slug: "ropa", prefix: "staff.ropa",
	order:  append(privacy.ActivityFields(), "high_risk", "owner_id", "review_at"),
	fields: ropaFields,
	list: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, _ map[string]string) ([]regItem, error) {
		all, err := pv.Activities(ctx, st)
		if err != nil {
			return nil, err
		}
		out := make([]regItem, 0, len(all))
		for _, a := range all {
			out = append(out, ropaItem(p, a))
		}
		return out, nil
	},
	get: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, _ map[string]string) (regItem, error) {
		a, err := pv.Activity(ctx, st, id)
		if err != nil {
			return regItem{}, err
		}
		return ropaItem(p, a), nil
	},
	save: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, in *regInput) (string, error) {
		var ai privacy.ActivityInput
		texts := map[string]string{}
		for _, name := range privacy.ActivityFields() {
			texts[name] = in.Values.Get(name)
		}
		ai.ActivityRecord = activityRecordOf(texts)
		p.required(in, privacy.ActivityFields()...)
		ai.HighRisk = in.Values.Get("high_risk") != ""
		ai.OwnerID, ai.ReviewAt = p.readMeta(in, false)
		if len(in.Errors) > 0 {
			return "", nil
		}
		if id == "" {
			v, err := pv.CreateActivity(ctx, st, ai)
			return v.ID, err
		}
		_, err := pv.UpdateActivity(ctx, st, id, ai)
		return id, err
	},
}

// ---- processors ----

func processorFields(p *regPage, form string, c regChoices) []regField {
	clauses := make([]option, 0, len(privacy.ProcessorClauses))
	for _, cl := range privacy.ProcessorClauses {
		clauses = append(clauses, option{Value: cl.Letter, Label: "(" + cl.Letter + ") " + p.t("staff.processors.clause."+cl.Letter)})
	}
	out := []regField{
		p.field(form, "name", "text", "staff.processors.field.name", "", true),
		p.field(form, "contact", "textarea", "staff.processors.field.contact", "", true),
		p.field(form, "service", "textarea", "staff.processors.field.service", "staff.processors.field.service.help", true),
		p.field(form, "sub_processors", "textarea", "staff.processors.field.sub_processors", "", false),
		p.field(form, "third_country_transfers", "textarea", "staff.processors.field.third_country_transfers", "", false),
		p.field(form, "agreement_reference", "text", "staff.processors.field.agreement_reference", "", false),
		p.field(form, "agreement_at", "date", "staff.processors.field.agreement_at", "staff.processors.field.agreement_at.help", false),
		p.checks(form, "clauses", "staff.processors.field.clauses", clauses),
		p.checks(form, "activities", "staff.processors.field.activities", c.activities),
	}
	return append(out, p.metaFields(form, c, false)...)
}

func processorItem(p *regPage, v privacy.ProcessorView, acts map[string]string) regItem {
	it := regItem{ID: v.ID, Values: url.Values{}, OwnerID: v.OwnerID, ReviewAt: v.ReviewAt, ReviewOverdue: v.ReviewOverdue,
		UpdatedAt: v.UpdatedAt, History: len(v.Entries)}
	if r := v.Record; r != nil {
		it.Label = r.Name
		for k, s := range map[string]string{"name": r.Name, "contact": r.Contact, "service": r.Service, "sub_processors": r.SubProcessors,
			"third_country_transfers": r.ThirdCountryTransfers, "agreement_reference": r.AgreementReference} {
			it.Values.Set(k, s)
		}
	}
	it.Values.Set("agreement_at", p.day(v.AgreementAt))
	it.Values["clauses"] = slices.Clone(v.Clauses)
	it.Values["activities"] = slices.Clone(v.Activities)
	it.Values.Set("owner_id", v.OwnerID)
	it.Values.Set("review_at", p.day(v.ReviewAt))
	if v.AgreementMissing {
		it.Flags = append(it.Flags, p.t("staff.processors.flag.agreement_missing"))
	}
	if len(v.ClausesMissing) > 0 {
		it.Flags = append(it.Flags, p.t("staff.processors.flag.clauses_missing", strings.Join(v.ClausesMissing, ", ")))
	}
	for _, a := range v.Activities {
		it.Links = append(it.Links, p.itemLink("ropa", a, acts[a]))
	}
	return it
}

var processorDef = &regItemDef{
	register: store.RegisterProcessor, slug: "processors", prefix: "staff.processors",
	order: []string{"name", "contact", "service", "sub_processors", "third_country_transfers", "agreement_reference", "agreement_at",
		"clauses", "activities", "owner_id", "review_at"},
	fields: processorFields,
	list: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, acts map[string]string) ([]regItem, error) {
		rows, err := pv.Processors(ctx, st)
		if err != nil {
			return nil, err
		}
		out := make([]regItem, 0, len(rows))
		for _, v := range rows {
			out = append(out, processorItem(p, v, acts))
		}
		return out, nil
	},
	get: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, acts map[string]string) (regItem, error) {
		v, err := pv.Processor(ctx, st, id)
		if err != nil {
			return regItem{}, err
		}
		return processorItem(p, v, acts), nil
	},
	save: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, in *regInput) (string, error) {
		f := in.Values
		pi := privacy.ProcessorInput{ProcessorRecord: privacy.ProcessorRecord{Name: f.Get("name"), Contact: f.Get("contact"),
			Service: f.Get("service"), SubProcessors: f.Get("sub_processors"), ThirdCountryTransfers: f.Get("third_country_transfers"),
			AgreementReference: f.Get("agreement_reference")}, Activities: f["activities"], Clauses: f["clauses"]}
		p.required(in, "name", "contact", "service")
		pi.AgreementAt = p.readDay(in, "agreement_at")
		pi.OwnerID, pi.ReviewAt = p.readMeta(in, false)
		if len(in.Errors) > 0 {
			return "", nil
		}
		if id == "" {
			v, err := pv.CreateProcessor(ctx, st, pi)
			return v.ID, err
		}
		_, err := pv.UpdateProcessor(ctx, st, id, pi)
		return id, err
	},
}

// ---- DPIAs ----

var dpiaTexts = []string{"description", "necessity", "risks", "measures", "dpo_advice", "decision", "subjects_views"}

func dpiaFields(p *regPage, form string, c regChoices) []regField {
	act := p.field(form, "activity_id", "select", "staff.dpias.field.activity_id", "", true)
	act.Options = append([]option{{Value: "", Label: p.t("staff.registers.choose"), Selected: act.Value == ""}}, markSelected(c.activities, act.Value)...)
	out := []regField{act}
	for _, name := range dpiaTexts {
		required := name != "decision" && name != "subjects_views"
		out = append(out, p.field(form, name, "textarea", "staff.dpias.field."+name, "staff.dpias.field."+name+".help", required))
	}
	out = append(out, p.field(form, "dpo_advice_at", "date", "staff.dpias.field.dpo_advice_at", "staff.dpias.field.dpo_advice_at.help", false))
	return append(out, p.metaFields(form, c, true)...)
}

func dpiaItem(p *regPage, v privacy.DPIAView, acts map[string]string) regItem {
	it := regItem{ID: v.ID, Values: url.Values{}, OwnerID: v.OwnerID, ReviewAt: v.ReviewAt, ReviewOverdue: v.ReviewOverdue,
		UpdatedAt: v.UpdatedAt, History: len(v.Entries)}
	if r := v.Record; r != nil {
		it.Label = firstLine(r.Description)
		for k, s := range map[string]string{"description": r.Description, "necessity": r.Necessity, "risks": r.Risks,
			"measures": r.Measures, "dpo_advice": r.DPOAdvice, "decision": r.Decision, "subjects_views": r.SubjectView} {
			it.Values.Set(k, s)
		}
	}
	it.Values.Set("activity_id", v.ActivityID)
	it.Values.Set("dpo_advice_at", p.day(v.DPOAdviceAt))
	it.Values.Set("owner_id", v.OwnerID)
	it.Values.Set("review_at", p.day(v.ReviewAt))
	if v.ActivityID != "" {
		it.Links = append(it.Links, p.itemLink("ropa", v.ActivityID, acts[v.ActivityID]))
	}
	return it
}

var dpiaDef = &regItemDef{
	register: store.RegisterDPIA, slug: "dpias", prefix: "staff.dpias",
	order:  append(append([]string{"activity_id"}, dpiaTexts...), "dpo_advice_at", "owner_id", "review_at"),
	fields: dpiaFields,
	list: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, acts map[string]string) ([]regItem, error) {
		rows, err := pv.DPIAs(ctx, st)
		if err != nil {
			return nil, err
		}
		out := make([]regItem, 0, len(rows))
		for _, v := range rows {
			out = append(out, dpiaItem(p, v, acts))
		}
		return out, nil
	},
	get: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, acts map[string]string) (regItem, error) {
		v, err := pv.DPIA(ctx, st, id)
		if err != nil {
			return regItem{}, err
		}
		return dpiaItem(p, v, acts), nil
	},
	save: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, in *regInput) (string, error) {
		f := in.Values
		di := privacy.DPIAInput{DPIARecord: privacy.DPIARecord{Description: f.Get("description"), Necessity: f.Get("necessity"),
			Risks: f.Get("risks"), Measures: f.Get("measures"), DPOAdvice: f.Get("dpo_advice"), Decision: f.Get("decision"),
			SubjectView: f.Get("subjects_views")}, ActivityID: f.Get("activity_id")}
		p.required(in, "activity_id", "description", "necessity", "risks", "measures", "dpo_advice")
		di.DPOAdviceAt = p.readDay(in, "dpo_advice_at")
		di.OwnerID, di.ReviewAt = p.readMeta(in, true)
		if len(in.Errors) > 0 {
			return "", nil
		}
		if id == "" {
			v, err := pv.CreateDPIA(ctx, st, di)
			return v.ID, err
		}
		_, err := pv.UpdateDPIA(ctx, st, id, di)
		return id, err
	},
}

// ---- risks ----

var riskScale = []string{"1", "2", "3", "4", "5"}

func riskFields(p *regPage, form string, c regChoices) []regField {
	act := p.field(form, "activity_id", "select", "staff.risks.field.activity_id", "", false)
	act.Options = append([]option{{Value: "", Label: p.t("staff.risks.no_activity"), Selected: act.Value == ""}}, markSelected(c.activities, act.Value)...)
	out := []regField{
		p.field(form, "title", "text", "staff.risks.field.title", "", true),
		p.field(form, "description", "textarea", "staff.risks.field.description", "", false),
		act,
		p.sel(form, "likelihood", "staff.risks.field.likelihood", "staff.risks.scale.", riskScale, true),
		p.sel(form, "impact", "staff.risks.field.impact", "staff.risks.scale.", riskScale, true),
		p.field(form, "treatment", "textarea", "staff.risks.field.treatment", "", false),
	}
	return append(out, p.metaFields(form, c, false)...)
}

func riskItem(p *regPage, v privacy.RiskView, acts map[string]string) regItem {
	it := regItem{ID: v.ID, Values: url.Values{}, OwnerID: v.OwnerID, ReviewAt: v.ReviewAt, ReviewOverdue: v.ReviewOverdue,
		UpdatedAt: v.UpdatedAt, History: len(v.Entries)}
	if r := v.Record; r != nil {
		it.Label = r.Title
		it.Values.Set("title", r.Title)
		it.Values.Set("description", r.Description)
		it.Values.Set("treatment", r.Treatment)
	}
	it.Values.Set("activity_id", v.ActivityID)
	it.Values.Set("likelihood", strconv.Itoa(v.Likelihood))
	it.Values.Set("impact", strconv.Itoa(v.Impact))
	it.Values.Set("owner_id", v.OwnerID)
	it.Values.Set("review_at", p.day(v.ReviewAt))
	level := p.t("staff.risks.level." + v.Level)
	it.Flags = append(it.Flags, p.t("staff.risks.score", v.Score, level))
	if v.ActivityID != "" {
		it.Links = append(it.Links, p.itemLink("ropa", v.ActivityID, acts[v.ActivityID]))
	}
	return it
}

var riskDef = &regItemDef{
	register: store.RegisterRisk, slug: "risks", prefix: "staff.risks",
	order:  []string{"title", "description", "activity_id", "likelihood", "impact", "treatment", "owner_id", "review_at"},
	fields: riskFields,
	list: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, acts map[string]string) ([]regItem, error) {
		rows, err := pv.Risks(ctx, st)
		if err != nil {
			return nil, err
		}
		out := make([]regItem, 0, len(rows))
		for _, v := range rows {
			out = append(out, riskItem(p, v, acts))
		}
		return out, nil
	},
	get: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, acts map[string]string) (regItem, error) {
		v, err := pv.Risk(ctx, st, id)
		if err != nil {
			return regItem{}, err
		}
		return riskItem(p, v, acts), nil
	},
	save: func(ctx context.Context, pv *privacy.Service, st *accounts.Staff, p *regPage, id string, in *regInput) (string, error) {
		f := in.Values
		ri := privacy.RiskInput{RiskRecord: privacy.RiskRecord{Title: f.Get("title"), Description: f.Get("description"),
			Treatment: f.Get("treatment")}, ActivityID: f.Get("activity_id")}
		p.required(in, "title")
		var err error
		if ri.Likelihood, err = strconv.Atoi(f.Get("likelihood")); err != nil || ri.Likelihood < 1 || ri.Likelihood > 5 {
			in.fail("likelihood", p.t("staff.registers.error.field.likelihood"))
		}
		if ri.Impact, err = strconv.Atoi(f.Get("impact")); err != nil || ri.Impact < 1 || ri.Impact > 5 {
			in.fail("impact", p.t("staff.registers.error.field.impact"))
		}
		ri.OwnerID, ri.ReviewAt = p.readMeta(in, false)
		if len(in.Errors) > 0 {
			return "", nil
		}
		if id == "" {
			v, err := pv.CreateRisk(ctx, st, ri)
			return v.ID, err
		}
		_, err = pv.UpdateRisk(ctx, st, id, ri)
		return id, err
	},
}

// ---- pages ----

type regItemRow struct {
	URL, Label, Owner string
	Due               *dueView
	Flags             []string
	Links             []regLink
}

type regItemsData struct {
	BackURL, DashboardURL string
	Help                  string
	Rows                  []regItemRow
	Form                  regFormView
}

type regItemFact struct {
	Label string
	Value string
	Text  bool
	List  []string
}

type regItemData struct {
	BackURL string
	Row     regItemRow
	Facts   []regItemFact
	Updated string
	History int
	Edit    regFormView
	Review  regFormView
}

// regChoices loads the activities to link to (for all but the records
// of processing themselves) and the users who may own an entry.
func (s *Server) regChoices(ctx context.Context, st *accounts.Staff, pv *privacy.Service, def *regItemDef, lang string) (regChoices, error) {
	var c regChoices
	if def.register != store.RegisterActivity {
		acts, err := pv.Activities(ctx, st)
		if err != nil {
			return c, err
		}
		for _, a := range acts {
			label := a.ID
			if a.Record != nil {
				label = firstLine(a.Record.Purposes)
			}
			c.activities = append(c.activities, option{Value: a.ID, Label: label})
		}
	}
	users, err := s.d.DB.Users(ctx, st.TenantID)
	if err != nil {
		return c, err
	}
	for _, u := range users {
		if u.DisabledAt.IsZero() {
			c.owners = append(c.owners, option{Value: u.ID, Label: u.Email + " (" + s.roleName(lang, u.Role) + ")"})
		}
	}
	return c, nil
}

func (p *regPage) row(def *regItemDef, it regItem, emails map[string]string) regItemRow {
	row := regItemRow{URL: withLang(def.base()+"/"+url.PathEscape(it.ID), p.lang), Label: it.Label, Owner: emails[it.OwnerID],
		Flags: it.Flags, Links: it.Links}
	if row.Label == "" {
		row.Label = it.ID
	}
	if it.ReviewAt != nil {
		d := p.due("staff.dashboard.review_by", *it.ReviewAt, it.ReviewOverdue, privacy.ReviewWarnWithin, true)
		row.Due = &d
	}
	return row
}

func (s *Server) regItemsGet(w http.ResponseWriter, r *http.Request, def *regItemDef) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRegItems(w, r, def, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderRegItems(w http.ResponseWriter, r *http.Request, def *regItemDef, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	ctx := r.Context()
	pv := s.privacy()
	v := s.staffView(r, lang, token, def.prefix+".title")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	choices, err := s.regChoices(ctx, st, pv, def, lang)
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	items, err := def.list(ctx, pv, st, p, choices.labels())
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers")
		return
	}
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, "/registers")
		return
	}
	d := regItemsData{BackURL: withLang("/registers", lang), DashboardURL: withLang("/registers/dashboard", lang), Help: p.t(def.prefix + ".help")}
	for _, it := range items {
		d.Rows = append(d.Rows, p.row(def, it, emails))
	}
	d.Form = p.form("new", def.prefix+".new", def.prefix+".new.submit", def.base(), def.fields(p, "new", choices)...)
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_items", v)
}

// roleName translates a staff role.
func (s *Server) roleName(lang, role string) string {
	if k := "staff.regitems.role." + role; s.d.Catalog.Has(k) {
		return s.d.Catalog.T(lang, k)
	}
	return role
}

func (s *Server) regItemCreate(w http.ResponseWriter, r *http.Request, def *regItemDef) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput("new", r.PostForm, def.order...)
	p := &regPage{s: s, v: &view{}, in: in, loc: loc, lang: lang}
	id, err := def.save(r.Context(), s.privacy(), st, p, "", in)
	if err == nil && len(in.Errors) > 0 {
		s.renderRegItems(w, r, def, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderRegItems(w, r, def, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, def.base())
		return
	}
	http.Redirect(w, r, withLang(def.base()+"/"+url.PathEscape(id), lang), http.StatusSeeOther)
}

func (s *Server) regItemGet(w http.ResponseWriter, r *http.Request, def *regItemDef) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRegItem(w, r, def, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderRegItem(w http.ResponseWriter, r *http.Request, def *regItemDef, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	ctx := r.Context()
	pv := s.privacy()
	v := s.staffView(r, lang, token, def.prefix+".page")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	choices, err := s.regChoices(ctx, st, pv, def, lang)
	if err != nil {
		s.registersFailed(w, r, lang, err, def.base())
		return
	}
	it, err := def.get(ctx, pv, st, p, r.PathValue("id"), choices.labels())
	if err != nil {
		s.registersFailed(w, r, lang, err, def.base())
		return
	}
	emails, err := s.staffEmails(r, st.TenantID)
	if err != nil {
		s.errorPage(w, r, lang, err, def.base())
		return
	}
	base := def.base() + "/" + url.PathEscape(it.ID)
	d := regItemData{BackURL: withLang(def.base(), lang), Row: p.row(def, it, emails), History: it.History}
	if !it.UpdatedAt.IsZero() {
		d.Updated = p.when(it.UpdatedAt)
	}
	v.Title = p.t(def.prefix+".page", d.Row.Label)
	// The facts are the edit form's fields, read-only, from the stored entry.
	shown := &regPage{s: s, v: v, in: &regInput{Form: "show", Values: it.Values, Errors: map[string]string{}}, loc: loc, lang: lang}
	for _, f := range def.fields(shown, "show", choices) {
		fact := regItemFact{Label: f.Label}
		switch f.Kind {
		case "select":
			for _, o := range f.Options {
				if o.Selected && o.Value != "" {
					fact.Value = o.Label
				}
			}
		case "checks":
			for _, o := range f.Options {
				if o.Selected {
					fact.List = append(fact.List, o.Label)
				}
			}
			if len(fact.List) == 0 {
				fact.Value = p.t("staff.regitems.none")
			}
		case "checkbox":
			fact.Value = p.t("staff.regitems.no")
			if f.Checked {
				fact.Value = p.t("staff.regitems.yes")
			}
		default:
			fact.Value, fact.Text = f.Value, f.Kind == "textarea"
		}
		if f.Name == "owner_id" && fact.Value == "" {
			fact.Value = emails[it.OwnerID]
		}
		d.Facts = append(d.Facts, fact)
	}
	// The edit form starts from the stored entry unless it was just posted.
	edit := p
	if in == nil || in.Form != "edit" {
		edit = &regPage{s: s, v: v, in: &regInput{Form: "edit", Values: it.Values, Errors: map[string]string{}}, loc: loc, lang: lang}
	}
	d.Edit = edit.form("edit", def.prefix+".edit", "staff.regitems.save", base, def.fields(edit, "edit", choices)...)
	d.Edit.Secondary = true
	d.Review = p.form("review", "staff.regitems.review.title", "staff.dashboard.mark_reviewed", base+"/reviewed",
		p.field("review", "next_review_at", "date", "staff.regitems.review.next", "staff.regitems.review.next.help", false))
	d.Review.Help = p.t("staff.regitems.review.help")
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_item", v)
}

func (s *Server) regItemUpdate(w http.ResponseWriter, r *http.Request, def *regItemDef) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput("edit", r.PostForm, def.order...)
	p := &regPage{s: s, v: &view{}, in: in, loc: loc, lang: lang}
	id, err := def.save(r.Context(), s.privacy(), st, p, r.PathValue("id"), in)
	if err == nil && len(in.Errors) > 0 {
		s.renderRegItem(w, r, def, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderRegItem(w, r, def, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, def.base())
		return
	}
	http.Redirect(w, r, withLang(def.base()+"/"+url.PathEscape(id), lang), http.StatusSeeOther)
}

// regItemReviewed records a review of the entry; the next review date
// is the one given, or a year on.
func (s *Server) regItemReviewed(w http.ResponseWriter, r *http.Request, def *regItemDef) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput("review", r.PostForm, "next_review_at")
	var next time.Time
	if v := strings.TrimSpace(in.Values.Get("next_review_at")); v != "" {
		t, ok := parseLocal(v, loc, true)
		if !ok || !t.After(s.d.Now()) {
			in.fail("next_review_at", s.d.Catalog.T(lang, "staff.registers.error.field.next_review_at"))
			s.renderRegItem(w, r, def, lang, http.StatusUnprocessableEntity, st, token, loc, in)
			return
		}
		next = t
	}
	_, err := s.privacy().MarkReviewed(r.Context(), st, def.register, r.PathValue("id"), privacy.MarkReviewed{NextReviewAt: next})
	if err != nil {
		var pe *privacy.Error
		if errors.As(err, &pe) && pe.Kind == privacy.KindInvalid {
			in.fail("next_review_at", s.d.Catalog.T(lang, "staff.registers.error.field.next_review_at"))
			s.renderRegItem(w, r, def, lang, http.StatusUnprocessableEntity, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, def.base())
		return
	}
	http.Redirect(w, r, withLang(def.base()+"/"+url.PathEscape(r.PathValue("id")), lang), http.StatusSeeOther)
}

// registerEntryURL is the staff page of a reviewable register entry, for
// the dashboard's links.
func registerEntryURL(register, id, lang string) string {
	for _, d := range []*regItemDef{ropaDef, processorDef, dpiaDef, riskDef} {
		if d.register == register {
			return withLang(d.base()+"/"+url.PathEscape(id), lang)
		}
	}
	if register == store.RegisterRetentionPolicy {
		return withLang("/registers/retention", lang)
	}
	return ""
}

// One handler per route and action.

func (s *Server) ropaPage(w http.ResponseWriter, r *http.Request) { s.regItemsGet(w, r, ropaDef) }
func (s *Server) ropaCreateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemCreate(w, r, ropaDef)
}
func (s *Server) ropaItemPage(w http.ResponseWriter, r *http.Request) { s.regItemGet(w, r, ropaDef) }
func (s *Server) ropaUpdateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemUpdate(w, r, ropaDef)
}
func (s *Server) ropaReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemReviewed(w, r, ropaDef)
}

func (s *Server) processorsPage(w http.ResponseWriter, r *http.Request) {
	s.regItemsGet(w, r, processorDef)
}
func (s *Server) processorCreateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemCreate(w, r, processorDef)
}
func (s *Server) processorPage(w http.ResponseWriter, r *http.Request) {
	s.regItemGet(w, r, processorDef)
}
func (s *Server) processorUpdateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemUpdate(w, r, processorDef)
}
func (s *Server) processorReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemReviewed(w, r, processorDef)
}

func (s *Server) dpiasPage(w http.ResponseWriter, r *http.Request) { s.regItemsGet(w, r, dpiaDef) }
func (s *Server) dpiaCreateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemCreate(w, r, dpiaDef)
}
func (s *Server) dpiaPage(w http.ResponseWriter, r *http.Request) { s.regItemGet(w, r, dpiaDef) }
func (s *Server) dpiaUpdateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemUpdate(w, r, dpiaDef)
}
func (s *Server) dpiaReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemReviewed(w, r, dpiaDef)
}

func (s *Server) risksPage(w http.ResponseWriter, r *http.Request) { s.regItemsGet(w, r, riskDef) }
func (s *Server) riskCreateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemCreate(w, r, riskDef)
}
func (s *Server) riskPage(w http.ResponseWriter, r *http.Request) { s.regItemGet(w, r, riskDef) }
func (s *Server) riskUpdateSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemUpdate(w, r, riskDef)
}
func (s *Server) riskReviewedSubmit(w http.ResponseWriter, r *http.Request) {
	s.regItemReviewed(w, r, riskDef)
}
