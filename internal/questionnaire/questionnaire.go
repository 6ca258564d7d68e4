// Package questionnaire defines the questions a whistleblower answers, the
// default questionnaire, and the server-side validation of answers.
package questionnaire

import (
	"errors"
	"fmt"
	"sort"
)

// Text is a translated string keyed by language tag ("en", "da", "nb").
type Text map[string]string

// In returns the text in lang, falling back to the base language of a
// regional tag ("da-DK" → "da"), then to English, then to any translation so
// that a page never shows an empty label.
func (t Text) In(lang string) string {
	if s := t[lang]; s != "" {
		return s
	}
	for i := 0; i < len(lang); i++ {
		if lang[i] == '-' || lang[i] == '_' {
			if s := t[lang[:i]]; s != "" {
				return s
			}
			break
		}
	}
	if s := t["en"]; s != "" {
		return s
	}
	// Sorted so the fallback does not change between requests.
	langs := make([]string, 0, len(t))
	for l, s := range t {
		if s != "" {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return ""
	}
	sort.Strings(langs)
	return t[langs[0]]
}

// Kind is the type of answer a question takes.
type Kind string

const (
	// KindText is a single line of text.
	KindText Kind = "text"
	// KindTextarea is free text over several lines.
	KindTextarea Kind = "textarea"
	// KindDate is a single line holding a date (YYYY-MM-DD) or a free-text
	// approximation; people rarely remember exact dates, so no format is enforced.
	KindDate Kind = "date"
	// KindChoice is exactly one of the question's options.
	KindChoice Kind = "choice"
	// KindMultiChoice is any number of the question's options.
	KindMultiChoice Kind = "multichoice"
)

func (k Kind) valid() bool {
	switch k {
	case KindText, KindTextarea, KindDate, KindChoice, KindMultiChoice:
		return true
	}
	return false
}

func (k Kind) hasOptions() bool { return k == KindChoice || k == KindMultiChoice }

// Option is one answer a choice question offers.
type Option struct {
	ID    string
	Label Text
}

// Question is one field of a questionnaire.
type Question struct {
	ID       string
	Kind     Kind
	Label    Text
	Help     Text
	Required bool
	// Identity marks answers about the whistleblower's identity. They are
	// sealed apart under their own key so case handlers can work on a report
	// without seeing who made it.
	Identity bool
	Options  []Option
	// MaxLen is the maximum length in characters (runes); zero means the
	// default for the kind (see MaxLength).
	MaxLen int
}

// Default maximum lengths in characters.
const (
	DefaultMaxLenText     = 500
	DefaultMaxLenTextarea = 10000
	DefaultMaxLenDate     = 100
	// maxIDLen bounds question and option ids; choice answers are ids.
	maxIDLen = 64
)

// MaxLength returns the effective maximum answer length in characters.
func (q Question) MaxLength() int {
	if q.MaxLen > 0 {
		return q.MaxLen
	}
	switch q.Kind {
	case KindTextarea:
		return DefaultMaxLenTextarea
	case KindDate:
		return DefaultMaxLenDate
	case KindChoice, KindMultiChoice:
		return maxIDLen
	default:
		return DefaultMaxLenText
	}
}

// HasOption reports whether id is one of the question's options.
func (q Question) HasOption(id string) bool {
	for _, o := range q.Options {
		if o.ID == id {
			return true
		}
	}
	return false
}

// Questionnaire is a versioned list of questions. A stored report records ID
// and Version so it can be displayed with the questions it was answered with.
type Questionnaire struct {
	ID        string
	Version   int
	Title     Text
	Questions []Question
}

// Question returns the question with the given id.
func (q Questionnaire) Question(id string) (Question, bool) {
	for _, qq := range q.Questions {
		if qq.ID == id {
			return qq, true
		}
	}
	return Question{}, false
}

// ValidID reports whether s is usable as a questionnaire, question or option
// id: 1 to 64 characters from [a-z0-9_]. Ids become HTML form field names and
// storage keys, so they are kept to a harmless alphabet.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// Validate checks the questionnaire's own structure and reports every problem
// found, so an administrator fixing a custom questionnaire sees them all at once.
func (q Questionnaire) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if !ValidID(q.ID) {
		add("invalid questionnaire id %q", q.ID)
	}
	if q.Version < 1 {
		add("version %d: must be at least 1", q.Version)
	}
	if q.Title["en"] == "" {
		add("title has no English text")
	}
	if len(q.Questions) == 0 {
		add("no questions")
	}
	seen := make(map[string]bool, len(q.Questions))
	for i, qq := range q.Questions {
		where := fmt.Sprintf("question %d (%q)", i, qq.ID)
		if !ValidID(qq.ID) {
			add("%s: invalid id", where)
		} else if seen[qq.ID] {
			add("%s: duplicate id", where)
		}
		seen[qq.ID] = true
		if !qq.Kind.valid() {
			add("%s: unknown kind %q", where, qq.Kind)
		}
		if qq.Label["en"] == "" {
			add("%s: label has no English text", where)
		}
		if len(qq.Help) > 0 && qq.Help["en"] == "" {
			add("%s: help has no English text", where)
		}
		if qq.MaxLen < 0 {
			add("%s: negative MaxLen", where)
		}
		if qq.Kind.hasOptions() {
			if len(qq.Options) == 0 {
				add("%s: choice question without options", where)
			}
			optSeen := make(map[string]bool, len(qq.Options))
			for _, o := range qq.Options {
				if !ValidID(o.ID) {
					add("%s: invalid option id %q", where, o.ID)
				} else if optSeen[o.ID] {
					add("%s: duplicate option id %q", where, o.ID)
				}
				optSeen[o.ID] = true
				if o.Label["en"] == "" {
					add("%s: option %q label has no English text", where, o.ID)
				}
			}
		} else if len(qq.Options) > 0 {
			add("%s: options on a %s question", where, qq.Kind)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("questionnaire: invalid: %w", err)
	}
	return nil
}
