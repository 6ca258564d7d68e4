package notify

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Every word a reminder e-mail says is in this file, so that translating it
// later touches one place. By design a reminder names only the case number,
// the kind of deadline, its date and a link: never content, names or files.

type reminderWording struct {
	subject  string // %d = case number
	sentence string // %s = due date
}

var reminderText = map[string]reminderWording{
	KindAckDueSoon: {
		subject:  "Case %d: acknowledgement due soon",
		sentence: "The acknowledgement of receipt to the whistleblower is due on %s.",
	},
	KindAckOverdue: {
		subject:  "Case %d: acknowledgement overdue",
		sentence: "The acknowledgement of receipt to the whistleblower was due on %s and has not been recorded.",
	},
	KindFeedbackDueSoon: {
		subject:  "Case %d: feedback due soon",
		sentence: "Feedback to the whistleblower is due on %s.",
	},
	KindFeedbackOverdue: {
		subject:  "Case %d: feedback overdue",
		sentence: "Feedback to the whistleblower was due on %s and has not been recorded.",
	},
	KindMeetingDueSoon: {
		subject:  "Case %d: requested meeting due soon",
		sentence: "The whistleblower asked for a meeting; it is due by %s.",
	},
	KindMeetingOverdue: {
		subject:  "Case %d: requested meeting overdue",
		sentence: "The whistleblower asked for a meeting; it was due by %s and the request has not been answered.",
	},
}

const reminderBody = `Case %d needs your attention.

%s

Open the case:
%s

This message was sent automatically by Varsel. To protect the
whistleblower it contains nothing about the case. Sign in to read it.
`

const dueDateLayout = "Monday 2 January 2006 at 15:04 MST"

// reminderMessage renders the subject and body of one reminder.
func reminderMessage(kind string, caseNumber int64, reportID string, due time.Time, loc *time.Location, staffURL string) (subject, body string, err error) {
	w, ok := reminderText[kind]
	if !ok {
		return "", "", fmt.Errorf("notify: unknown reminder kind %q", kind)
	}
	if loc == nil {
		loc = time.UTC
	}
	link := strings.TrimRight(staffURL, "/") + "/cases/" + url.PathEscape(reportID)
	subject = fmt.Sprintf(w.subject, caseNumber)
	body = fmt.Sprintf(reminderBody, caseNumber, fmt.Sprintf(w.sentence, due.In(loc).Format(dueDateLayout)), link)
	return subject, body, nil
}
