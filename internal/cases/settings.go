package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/report"
	"github.com/varsel/varsel/internal/store"
)

// Organisation settings of the workflow (issue 3): custom statuses that
// map onto the case states, and the closing reasons with their labels and
// outcome-message templates. Only admins change them; every staff user
// reads them.

// Setting keys in org_settings.
const (
	SettingStatuses = "workflow.statuses"
	SettingOutcomes = "workflow.outcomes"
)

// CaseNumberPlaceholder is replaced by the case number in an outcome
// template. Templates are plain text: the placeholder is substituted
// literally; no template engine ever sees an admin's text.
const CaseNumberPlaceholder = "{{case_number}}"

// Bounds of the settings.
const (
	MaxStatuses    = 50
	MaxOutcomes    = 50
	MaxLabelLen    = 200
	MaxTemplateLen = report.MaxMessageLen
)

var (
	// ErrInvalidSettings rejects a malformed list of statuses or outcomes.
	ErrInvalidSettings = errors.New("invalid settings: each entry needs a unique id (a-z, 0-9, _ and -, at most 40), " +
		"a label in English, known languages only, labels of at most 200 characters and, for statuses, one of the case states")
	// ErrCustomStatus rejects a custom status that is unknown or maps
	// onto another state than the case's.
	ErrCustomStatus = errors.New("the custom status is unknown or does not belong to the case's current state")
	// ErrSettingsForbidden refuses a settings change by a non-admin.
	ErrSettingsForbidden = fmt.Errorf("only admins may change the workflow settings: %w", ErrForbidden)
)

var settingID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// States lists the case states in workflow order.
var States = []string{StateReceived, StateScreening, StateInvestigation, StateClosed}

// CustomStatus is an organisation's own status; it maps onto one state.
type CustomStatus struct {
	ID     string            `json:"id"`
	Labels map[string]string `json:"labels"` // language → label
	State  string            `json:"state"`
}

// Outcome is a closing reason, with labels and a template of the final
// message to the whistleblower per language.
type Outcome struct {
	ID        string            `json:"id"`
	Labels    map[string]string `json:"labels"`
	Templates map[string]string `json:"templates,omitempty"`
}

// Render substitutes the case number into the outcome's template in lang;
// "" when there is none.
func (o Outcome) Render(lang string, caseNumber int64) string {
	t := strings.TrimSpace(o.Templates[lang])
	if t == "" {
		return ""
	}
	return strings.ReplaceAll(t, CaseNumberPlaceholder, strconv.FormatInt(caseNumber, 10))
}

func checkLabels(labels map[string]string, maxLen int, needEN bool) bool {
	if needEN && strings.TrimSpace(labels["en"]) == "" {
		return false
	}
	for lang, l := range labels {
		if !slices.Contains(i18n.Supported, lang) || utf8.RuneCountInString(l) > maxLen || !utf8.ValidString(l) {
			return false
		}
	}
	return true
}

func trimAll(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if v = strings.TrimSpace(v); v != "" {
			out[k] = v
		}
	}
	return out
}

// CheckStatuses validates and normalises a list of custom statuses.
func CheckStatuses(list []CustomStatus) ([]CustomStatus, error) {
	if len(list) > MaxStatuses {
		return nil, ErrInvalidSettings
	}
	seen := map[string]bool{}
	out := make([]CustomStatus, 0, len(list))
	for _, c := range list {
		c.Labels = trimAll(c.Labels)
		if !settingID.MatchString(c.ID) || seen[c.ID] || !slices.Contains(States, c.State) ||
			!checkLabels(c.Labels, MaxLabelLen, true) {
			return nil, ErrInvalidSettings
		}
		seen[c.ID] = true
		out = append(out, c)
	}
	return out, nil
}

// CheckOutcomes validates and normalises a list of closing reasons; the
// list may not be empty, since closing needs one.
func CheckOutcomes(list []Outcome) ([]Outcome, error) {
	if len(list) == 0 || len(list) > MaxOutcomes {
		return nil, ErrInvalidSettings
	}
	seen := map[string]bool{}
	out := make([]Outcome, 0, len(list))
	for _, o := range list {
		o.Labels, o.Templates = trimAll(o.Labels), trimAll(o.Templates)
		if !settingID.MatchString(o.ID) || seen[o.ID] || !checkLabels(o.Labels, MaxLabelLen, true) ||
			!checkLabels(o.Templates, MaxTemplateLen, false) {
			return nil, ErrInvalidSettings
		}
		if len(o.Templates) == 0 {
			o.Templates = nil
		}
		seen[o.ID] = true
		out = append(out, o)
	}
	return out, nil
}

// DefaultOutcomes is the built-in list of closing reasons (Outcomes),
// used while the organisation has configured none, with labels and
// message templates in every supported language (outcome_text.go).
func DefaultOutcomes() []Outcome {
	out := make([]Outcome, 0, len(Outcomes))
	for _, id := range Outcomes {
		t, ok := defaultOutcomeTexts[id]
		if !ok {
			out = append(out, Outcome{ID: id, Labels: map[string]string{"en": id}})
			continue
		}
		out = append(out, Outcome{ID: id, Labels: maps.Clone(t.labels), Templates: maps.Clone(t.templates)})
	}
	return out
}

// Statuses loads the tenant's custom statuses (empty when none).
func (s *Service) Statuses(ctx context.Context, st *accounts.Staff) ([]CustomStatus, error) {
	return s.statuses(ctx, st.TenantID)
}

func (s *Service) statuses(ctx context.Context, tenantID string) ([]CustomStatus, error) {
	raw, ok, err := s.cfg.DB.Setting(ctx, tenantID, SettingStatuses)
	if err != nil || !ok {
		return []CustomStatus{}, err
	}
	var list []CustomStatus
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, fmt.Errorf("cases: decode statuses: %w", err)
	}
	return list, nil
}

// ConfiguredOutcomes loads the tenant's closing reasons; configured is
// false when the built-in defaults apply.
func (s *Service) ConfiguredOutcomes(ctx context.Context, st *accounts.Staff) (list []Outcome, configured bool, err error) {
	return s.outcomes(ctx, st.TenantID)
}

func (s *Service) outcomes(ctx context.Context, tenantID string) ([]Outcome, bool, error) {
	raw, ok, err := s.cfg.DB.Setting(ctx, tenantID, SettingOutcomes)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return DefaultOutcomes(), false, nil
	}
	var list []Outcome
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, false, fmt.Errorf("cases: decode outcomes: %w", err)
	}
	return list, true, nil
}

// SetStatuses replaces the custom statuses (admins only). Cases keep the
// ids they carry; an id no longer listed shows as set but unknown until
// changed.
func (s *Service) SetStatuses(ctx context.Context, st *accounts.Staff, list []CustomStatus) ([]CustomStatus, error) {
	if st.Role != accounts.RoleAdmin {
		return nil, ErrSettingsForbidden
	}
	list, err := CheckStatuses(list)
	if err != nil {
		return nil, err
	}
	return list, s.putSetting(ctx, st, SettingStatuses, list)
}

// SetOutcomes replaces the closing reasons (admins only).
func (s *Service) SetOutcomes(ctx context.Context, st *accounts.Staff, list []Outcome) ([]Outcome, error) {
	if st.Role != accounts.RoleAdmin {
		return nil, ErrSettingsForbidden
	}
	list, err := CheckOutcomes(list)
	if err != nil {
		return nil, err
	}
	return list, s.putSetting(ctx, st, SettingOutcomes, list)
}

func (s *Service) putSetting(ctx context.Context, st *accounts.Staff, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cases: encode %s: %w", key, err)
	}
	return s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.PutSetting(ctx, st.TenantID, key, string(raw), st.UserID, s.cfg.Now()); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: st.TenantID, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionSettingsChange, ObjectType: audit.ObjectOrganisation, Detail: key})
		return err
	})
}

// EntryStatus journals a change of a case's custom status.
const EntryStatus = "status"

// CustomStatusOf loads the custom status id a case carries, for a user
// who may open the case.
func (s *Service) CustomStatusOf(ctx context.Context, st *accounts.Staff, reportID string) (string, error) {
	return s.cfg.DB.CustomStatus(ctx, st.TenantID, reportID)
}

// SetCustomStatus sets (or with "" clears) a case's custom status. The
// status must map onto the case's current state. The change is journaled
// (kind "status") and audited.
func (s *Service) SetCustomStatus(ctx context.Context, st *accounts.Staff, reportID, status string) error {
	c, err := s.open(ctx, st, reportID)
	if err != nil {
		return err
	}
	if c.Keys.Case == nil {
		return ErrNoCaseKey
	}
	state := c.Report.Status
	if status != "" {
		list, err := s.statuses(ctx, st.TenantID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(list, func(cs CustomStatus) bool { return cs.ID == status })
		if i < 0 || list[i].State != state {
			return ErrCustomStatus
		}
	}
	old, err := s.cfg.DB.CustomStatus(ctx, st.TenantID, reportID)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	entry, err := sealEntry(*c.Keys.Case, store.JournalEntry{TenantID: st.TenantID, ReportID: reportID, ID: store.NewID(),
		Kind: EntryStatus, AuthorType: store.AuthorStaff, AuthorID: st.UserID, CreatedAt: now},
		journalBody{From: old, To: status})
	if err != nil {
		return err
	}
	err = s.cfg.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetCustomStatus(ctx, st.TenantID, reportID, state, status); err != nil {
			return err
		}
		if _, err := tx.AppendJournal(ctx, entry); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, caseEntry(st, audit.ActionCaseStateChange, audit.ObjectCase, reportID, state))
		return err
	})
	if errors.Is(err, store.ErrStateChanged) {
		return ErrConflict
	}
	return err
}

// closingMessage resolves the outcome of a closing against the tenant's
// list and, when the handler left the message empty, falls back to the
// outcome's template in the language the whistleblower used for the
// report, or in English when there is none in that language.
func (s *Service) closingMessage(ctx context.Context, c *Case, t Transition) (string, error) {
	list, _, err := s.outcomes(ctx, c.Report.TenantID)
	if err != nil {
		return "", err
	}
	i := slices.IndexFunc(list, func(o Outcome) bool { return o.ID == t.Outcome })
	if t.Outcome == "" || i < 0 {
		return "", ErrOutcomeRequired
	}
	if msg := strings.TrimSpace(t.Message); msg != "" {
		return t.Message, nil
	}
	lang, err := s.reportLang(ctx, c.Report.TenantID, c.Report.ID)
	if err != nil {
		return "", err
	}
	return list[i].RenderFor(lang, c.Report.CaseNumber), nil
}
