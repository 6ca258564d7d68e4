package cases

import (
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// Statistics (ST-1): counts only, for the organisation and for public
// bodies that must publish them. Computed from the clear columns of the
// reports (received, acknowledged, feedback and closing times, outcome
// id, channel id); nothing sealed is opened, and the result holds no case
// id, case number or text.

// SmallCount is the threshold below which a non-zero count is shown as
// "<5": in a small organisation one or two reports in a cell can point
// to a person.
const SmallCount = 5

// Count is a count that marshals as "<5" when it is between 1 and SmallCount-1.
type Count int

// MarshalJSON suppresses small counts.
func (c Count) MarshalJSON() ([]byte, error) {
	if c > 0 && c < SmallCount {
		return []byte(`"<` + strconv.Itoa(SmallCount) + `"`), nil
	}
	return strconv.AppendInt(nil, int64(c), 10), nil
}

// Suppressed tells whether the count is hidden in the output.
func (c Count) Suppressed() bool { return c > 0 && c < SmallCount }

// DurationStats summarises days from receipt to a milestone. The median
// and 90th percentile are left out (null) over fewer than SmallCount
// cases, since they would then give away single cases' dates.
type DurationStats struct {
	Cases      Count    `json:"cases"`
	MedianDays *float64 `json:"median_days"`
	P90Days    *float64 `json:"p90_days"`
}

// ChannelStats counts one channel's reports per month of the year.
type ChannelStats struct {
	Channel string  `json:"channel"` // channel id (configuration, not case data)
	Months  []Count `json:"months"`  // 12 values, January first
	Total   Count   `json:"total"`
}

// Statistics is the yearly report.
type Statistics struct {
	Year            int              `json:"year"`
	TimeZone        string           `json:"time_zone"`
	SuppressedBelow int              `json:"suppressed_below"`
	Received        Count            `json:"received"`
	PerMonth        []Count          `json:"per_month"`
	PerChannel      []ChannelStats   `json:"per_channel"`
	Acknowledgement DurationStats    `json:"acknowledgement"`
	Feedback        DurationStats    `json:"feedback"`
	Outcomes        map[string]Count `json:"outcomes"` // cases closed in the year, by outcome id
	Open            Count            `json:"open"`     // of the reports received in the year, still open
	Closed          Count            `json:"closed"`   // of the reports received in the year, closed
}

// ErrInvalidYear rejects a year outside 2000 to 2200.
var ErrInvalidYear = errors.New("year must be between 2000 and 2200")

// MayReadStatistics tells whether a role may read the statistics: admins
// and data protection officers.
func MayReadStatistics(role string) bool {
	return role == accounts.RoleAdmin || role == accounts.RoleDPO
}

// Statistics computes the report for a calendar year in the organisation's
// time zone; year 0 means the current year.
func (s *Service) Statistics(ctx context.Context, st *accounts.Staff, year int) (Statistics, error) {
	if !MayReadStatistics(st.Role) {
		return Statistics{}, ErrForbidden
	}
	loc, err := s.location(ctx, st.TenantID)
	if err != nil {
		return Statistics{}, err
	}
	if year == 0 {
		year = s.cfg.Now().In(loc).Year()
	}
	if year < 2000 || year > 2200 {
		return Statistics{}, ErrInvalidYear
	}
	bounds := make([]time.Time, 13)
	for i := range bounds {
		bounds[i] = time.Date(year, time.January+time.Month(i), 1, 0, 0, 0, 0, loc)
	}
	raw, err := s.cfg.DB.Statistics(ctx, st.TenantID, bounds)
	if err != nil {
		return Statistics{}, err
	}
	channels, err := s.cfg.DB.Channels(ctx, st.TenantID)
	if err != nil {
		return Statistics{}, err
	}
	if _, err := s.audit.Record(ctx, caseEntry(st, audit.ActionRegisterRead, audit.ObjectRegister, "statistics", strconv.Itoa(year))); err != nil {
		return Statistics{}, err
	}
	return buildStatistics(year, loc.String(), raw, channels), nil
}

func buildStatistics(year int, tz string, raw store.RawStatistics, channels []store.Channel) Statistics {
	out := Statistics{Year: year, TimeZone: tz, SuppressedBelow: SmallCount, PerMonth: make([]Count, 12),
		Outcomes: map[string]Count{}, Open: Count(raw.Open), Closed: Count(raw.Closed)}
	ids := make([]string, 0, len(channels)+len(raw.PerChannelMonth))
	for _, c := range channels {
		ids = append(ids, c.ID)
	}
	for id := range raw.PerChannelMonth {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		cs := ChannelStats{Channel: id, Months: make([]Count, 12)}
		for m, n := range raw.PerChannelMonth[id] {
			cs.Months[m] = Count(n)
			cs.Total += Count(n)
			out.PerMonth[m] += Count(n)
			out.Received += Count(n)
		}
		out.PerChannel = append(out.PerChannel, cs)
	}
	for _, o := range Outcomes {
		out.Outcomes[o] = 0
	}
	for o, n := range raw.Outcomes {
		out.Outcomes[o] = Count(n)
	}
	out.Acknowledgement = durationStats(raw.AckMS)
	out.Feedback = durationStats(raw.FeedbackMS)
	return out
}

func durationStats(ms []int64) DurationStats {
	d := DurationStats{Cases: Count(len(ms))}
	if len(ms) < SmallCount {
		return d
	}
	days := make([]float64, len(ms))
	for i, v := range ms {
		days[i] = float64(v) / float64(24*time.Hour/time.Millisecond)
	}
	slices.Sort(days)
	median := Percentile(days, 50)
	p90 := Percentile(days, 90)
	d.MedianDays, d.P90Days = &median, &p90
	return d
}

// Percentile is the p-th percentile of sorted values by linear
// interpolation between closest ranks (the median of an even count is the
// mean of the middle two), rounded to one decimal.
func Percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	v := sorted[lo] + (sorted[hi]-sorted[lo])*(pos-float64(lo))
	return math.Round(v*10) / 10
}
