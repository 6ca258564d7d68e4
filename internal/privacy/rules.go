package privacy

import (
	"time"

	"github.com/varsel/varsel/internal/deadline"
)

// Breach types (art. 4(12), the CIA classification of the EDPB guidelines).
const (
	TypeConfidentiality = "confidentiality"
	TypeIntegrity       = "integrity"
	TypeAvailability    = "availability"
)

// Risk levels (BR-4): none → no notification; risk → the authority
// (art. 33); high_risk → the authority and the data subjects (art. 34).
const (
	RiskNone = "none"
	RiskSome = "risk"
	RiskHigh = "high_risk"
)

// Breach states.
const (
	BreachOpen   = "open"
	BreachClosed = "closed"
)

// Art. 34 outcomes.
const (
	SubjectNoticeGiven     = "notice"
	SubjectNoticeException = "exception"
)

// Art. 34(3) exceptions: (a) the data were unintelligible (e.g.
// encrypted), (b) later measures make the high risk unlikely, (c) a notice
// would involve disproportionate effort (a public communication is made
// instead).
var exceptionGrounds = map[string]bool{"34(3)(a)": true, "34(3)(b)": true, "34(3)(c)": true}

// Response plan phases for updates.
var phases = map[string]bool{"identify": true, "contain": true, "notify": true, "remediate": true, "verify": true}

// NotifyWindow is the art. 33(1) period from awareness.
const NotifyWindow = 72 * time.Hour

// RiskFor is the documented decision rule of BR-4: severity 1 to 3 is no
// risk, 4 to 7 a risk, 8 to 10 a high risk. Another level may be chosen,
// with a reason.
func RiskFor(severity int) string {
	switch {
	case severity >= 8:
		return RiskHigh
	case severity >= 4:
		return RiskSome
	default:
		return RiskNone
	}
}

// NotifyDue is when the notification to the authority is due: 72 hours
// after awareness, counted in hours, not calendar days (BR-2).
func NotifyDue(awareAt time.Time) time.Time { return awareAt.Add(NotifyWindow) }

// NotifiedLate tells whether a notification at notifiedAt misses the 72
// hours; exactly 72 hours is in time.
func NotifiedLate(awareAt, notifiedAt time.Time) bool { return notifiedAt.After(NotifyDue(awareAt)) }

// Request types (DSR-3): arts. 15 to 18, 20 and 21.
var requestTypes = map[string]bool{
	"access": true, "rectification": true, "erasure": true, "restriction": true, "portability": true, "objection": true,
}

// Channels through which a request can arrive.
var requestChannels = map[string]bool{
	"email": true, "letter": true, "web_form": true, "phone": true, "in_person": true, "other": true,
}

// Identity verification (DSR-1).
const (
	Unverified = "unverified"
	Verified   = "verified"
)

var verifyMethods = map[string]bool{"in_person": true, "call_back": true, "registered_address": true}
var onBehalfKinds = map[string]bool{"": true, "parent": true, "power_of_attorney": true}

// Request states.
const (
	RequestOpen      = "open"
	RequestCompleted = "completed"
	RequestRefused   = "refused"
)

// MaxExtensionMonths is the art. 12(3) extension.
const MaxExtensionMonths = 2

// RequestDue is one calendar month after receipt in loc, clamped at month
// ends: 31 January → 28 (29) February (DSR-2).
func RequestDue(received time.Time, loc *time.Location) time.Time {
	return deadline.AddMonths(received, 1, loc)
}

// ExtendedDue is the deadline after an extension by months (1 or 2),
// counted from receipt so that clamping does not accumulate.
func ExtendedDue(received time.Time, months int, loc *time.Location) time.Time {
	return deadline.AddMonths(received, 1+months, loc)
}

// ExtensionAllowed applies art. 12(3): the extension is decided at now and
// the requester told at informedAt, both within the first month after
// receipt (before RequestDue).
func ExtensionAllowed(received, now, informedAt time.Time, loc *time.Location) bool {
	due := RequestDue(received, loc)
	return now.Before(due) && informedAt.Before(due)
}

// Overdue tells whether an open item's deadline has passed at now; the
// deadline instant itself counts as overdue, as in deadline.Status.
func Overdue(due, now time.Time) bool { return !now.Before(due) }
