package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
)

// Meeting requests (RC-2, Directive 2019/1937 art. 9(2)): a whistleblower
// may ask to meet in person, and the organisation arranges it within a
// reasonable time. The request and the organisation's answer are sealed
// under the report key: the handlers and the whistleblower read them,
// the database does not.

// SettingMeetings is the org_settings key of the MeetingPeriods value.
const SettingMeetings = "meeting.days"

// DefaultMeetingDays is the default period, in calendar days in the
// organisation's time zone, within which a requested meeting is due.
const DefaultMeetingDays = 14

// MaxMeetingDays bounds a configured period.
const MaxMeetingDays = 90

// ErrInvalidMeetingDays rejects a period outside 1 to 90 days.
var ErrInvalidMeetingDays = errors.New("a meeting period must be 1 to 90 days")

// MeetingPeriods is how long the organisation gives itself to hold a
// requested meeting: a default and per-channel periods.
type MeetingPeriods struct {
	Default  int            `json:"default"`
	Channels map[string]int `json:"channels,omitempty"` // channel id → days
}

// Days is the period of a channel.
func (m MeetingPeriods) Days(channelID string) int {
	if d, ok := m.Channels[channelID]; ok && d > 0 {
		return d
	}
	if m.Default > 0 {
		return m.Default
	}
	return DefaultMeetingDays
}

// Check validates the periods.
func (m MeetingPeriods) Check() error {
	if m.Default < 1 || m.Default > MaxMeetingDays {
		return ErrInvalidMeetingDays
	}
	for _, d := range m.Channels {
		if d < 1 || d > MaxMeetingDays {
			return ErrInvalidMeetingDays
		}
	}
	return nil
}

// LoadMeetingPeriods returns the tenant's meeting periods, the default
// when none is configured.
func LoadMeetingPeriods(ctx context.Context, db *store.DB, tenantID string) (MeetingPeriods, error) {
	raw, ok, err := db.Setting(ctx, tenantID, SettingMeetings)
	if err != nil || !ok {
		return MeetingPeriods{Default: DefaultMeetingDays}, err
	}
	var m MeetingPeriods
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return MeetingPeriods{}, fmt.Errorf("report: meeting periods: %w", err)
	}
	return m, nil
}

// MeetingDue is when a meeting requested at now on a report is due: the
// channel's period in calendar days, in the organisation's time zone.
func MeetingDue(ctx context.Context, db *store.DB, r store.Report, now time.Time) (time.Time, error) {
	periods, err := LoadMeetingPeriods(ctx, db, r.TenantID)
	if err != nil {
		return time.Time{}, err
	}
	ch, err := db.Channel(ctx, r.TenantID, r.ChannelID)
	if err != nil {
		return time.Time{}, err
	}
	t, err := db.Tenant(ctx, r.TenantID)
	if err != nil {
		return time.Time{}, err
	}
	policy, err := DeadlinePolicy(ch, t)
	if err != nil {
		return time.Time{}, err
	}
	return policy.Extend(now, periods.Days(r.ChannelID)), nil
}

// Parts of a task that are sealed.
const (
	TaskPartRequest = "request"
	TaskPartAnswer  = "answer"
)

func adTask(tenant, reportID, taskID, part string) []byte {
	return keys.AD(tenant, "report", reportID, "task", taskID, part)
}

// SealTaskText seals a task's text under the report key; nil for "".
func SealTaskText(k keys.Key, t store.Task, part, text string) []byte {
	if text == "" {
		return nil
	}
	return keys.Seal(k, []byte(text), adTask(t.TenantID, t.ReportID, t.ID, part))
}

// OpenTaskText opens a sealed part of a task; "" when there is none.
func OpenTaskText(k keys.Key, t store.Task, part string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	raw, err := keys.Open(k, sealed, adTask(t.TenantID, t.ReportID, t.ID, part))
	if err != nil {
		return "", fmt.Errorf("report: open task %s: %w", part, err)
	}
	return string(raw), nil
}

// TaskView is a task with its texts opened.
type TaskView struct {
	ID           string
	Kind         string
	Status       string
	RequestedAt  time.Time
	DueAt        time.Time
	Request      string
	Answer       string
	OralReportID string
	ClosedBy     string // the user id of the handler who closed it
	ClosedAt     time.Time
}

// LoadTasks lists a report's tasks with their texts opened by k.
func LoadTasks(ctx context.Context, db *store.DB, k keys.Key, tenantID, reportID string) ([]TaskView, error) {
	rows, err := db.Tasks(ctx, tenantID, reportID)
	if err != nil {
		return nil, err
	}
	out := make([]TaskView, 0, len(rows))
	for _, t := range rows {
		v := TaskView{ID: t.ID, Kind: t.Kind, Status: t.Status, RequestedAt: t.RequestedAt, DueAt: t.DueAt,
			OralReportID: t.OralReportID, ClosedBy: t.ClosedBy, ClosedAt: t.ClosedAt}
		if v.Request, err = OpenTaskText(k, t, TaskPartRequest, t.Request); err != nil {
			return nil, err
		}
		if v.Answer, err = OpenTaskText(k, t, TaskPartAnswer, t.Answer); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
