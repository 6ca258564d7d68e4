package questionnaire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Answers maps question ids to answers. Text kinds and choice hold a string;
// multichoice holds a []string.
type Answers map[string]any

// Field error codes. They are stable identifiers for the web layer to map to
// translated messages.
const (
	CodeRequired        = "required"
	CodeTooLong         = "too_long"
	CodeInvalidOption   = "invalid_option"
	CodeUnknownQuestion = "unknown_question"
	CodeInvalidType     = "invalid_type"
	CodeInvalidUTF8     = "invalid_utf8"
	// CodeInvalidChar reports control characters other than newline,
	// carriage return and tab.
	CodeInvalidChar = "invalid_char"
	// CodeIdentityRequired marks an identity question left empty in an
	// organisation that does not accept anonymous reports (RC-1).
	CodeIdentityRequired = "identity_required"
)

// FieldError is a problem with the answer to one question.
type FieldError struct {
	QuestionID string
	Code       string
}

// ValidationError lists the problems found by Normalize, in questionnaire
// order followed by unknown ids in sorted order.
type ValidationError struct {
	Fields []FieldError
}

// Error lists question ids and codes only. Answer content must never reach
// logs, because it may identify the whistleblower.
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("questionnaire: invalid answers:")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte(' ')
		b.WriteString(logSafeID(f.QuestionID))
		b.WriteString(": ")
		b.WriteString(f.Code)
	}
	return b.String()
}

// For returns the error code for question id, or "" if it has none.
func (e *ValidationError) For(id string) string {
	for _, f := range e.Fields {
		if f.QuestionID == id {
			return f.Code
		}
	}
	return ""
}

// logSafeID renders an id for an error message. Unknown ids come from the
// client, so anything outside the id alphabet is quoted and truncated rather
// than written raw into logs.
func logSafeID(id string) string {
	if ValidID(id) {
		return id
	}
	if len(id) > maxIDLen {
		id = id[:maxIDLen] + "…"
	}
	return strconv.QuoteToASCII(id)
}

// Normalize validates in against q and returns the cleaned answers split into
// the content part and the identity part (questions marked Identity).
//
// Strings are trimmed; CRLF and lone CR become LF; one-line kinds have line
// breaks replaced by spaces. Empty optional answers are dropped. Multichoice
// answers are deduplicated and put in the questionnaire's option order.
// Lengths are counted in characters after cleaning.
//
// On failure it returns a *ValidationError with at most one code per question.
func (q Questionnaire) Normalize(in Answers) (content, identity Answers, err error) {
	var fields []FieldError
	content = Answers{}
	identity = Answers{}

	for _, qq := range q.Questions {
		raw, present := in[qq.ID]
		var (
			val  any
			code string
		)
		if present {
			val, code = normalizeValue(qq, raw)
		}
		if code == "" && val == nil && qq.Required {
			code = CodeRequired
		}
		if code != "" {
			fields = append(fields, FieldError{QuestionID: qq.ID, Code: code})
			continue
		}
		if val == nil {
			continue
		}
		if qq.Identity {
			identity[qq.ID] = val
		} else {
			content[qq.ID] = val
		}
	}

	var unknown []string
	for id := range in {
		if _, ok := q.Question(id); !ok {
			unknown = append(unknown, id)
		}
	}
	sort.Strings(unknown)
	for _, id := range unknown {
		fields = append(fields, FieldError{QuestionID: id, Code: CodeUnknownQuestion})
	}

	if len(fields) > 0 {
		return nil, nil, &ValidationError{Fields: fields}
	}
	return content, identity, nil
}

// normalizeValue returns the cleaned answer, or nil if it is empty, or a
// field error code.
func normalizeValue(qq Question, raw any) (any, string) {
	switch qq.Kind {
	case KindMultiChoice:
		list, ok := raw.([]string)
		if !ok {
			return nil, CodeInvalidType
		}
		chosen := make(map[string]bool, len(list))
		for _, s := range list {
			s, code := cleanString(s, false)
			if code != "" {
				return nil, code
			}
			if s == "" {
				// Browsers and hidden "nothing selected" fields submit empty values.
				continue
			}
			if !qq.HasOption(s) {
				return nil, CodeInvalidOption
			}
			chosen[s] = true
		}
		if len(chosen) == 0 {
			return nil, ""
		}
		out := make([]string, 0, len(chosen))
		for _, o := range qq.Options {
			if chosen[o.ID] {
				out = append(out, o.ID)
			}
		}
		return out, ""

	case KindChoice:
		s, ok := raw.(string)
		if !ok {
			return nil, CodeInvalidType
		}
		s, code := cleanString(s, false)
		if code != "" {
			return nil, code
		}
		if s == "" {
			return nil, ""
		}
		if !qq.HasOption(s) {
			return nil, CodeInvalidOption
		}
		return s, ""

	default:
		s, ok := raw.(string)
		if !ok {
			return nil, CodeInvalidType
		}
		s, code := cleanString(s, qq.Kind == KindTextarea)
		if code != "" {
			return nil, code
		}
		if s == "" {
			return nil, ""
		}
		if utf8.RuneCountInString(s) > qq.MaxLength() {
			return nil, CodeTooLong
		}
		return s, ""
	}
}

// cleanString rejects invalid UTF-8 and control characters, normalises line
// breaks and trims surrounding white space.
//
// Line breaks are normalised before lengths are counted because browsers
// count a line break as one character for maxlength but submit it as CRLF;
// without this a text that fitted in the browser could be rejected here.
func cleanString(s string, multiline bool) (string, string) {
	if !utf8.ValidString(s) {
		return "", CodeInvalidUTF8
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return "", CodeInvalidChar
		}
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	if !multiline && strings.IndexByte(s, '\n') >= 0 {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	return strings.TrimSpace(s), ""
}

// FormPrefix is prepended to question ids to form HTML field names, keeping
// answers apart from other fields such as the CSRF token.
const FormPrefix = "q_"

// FromForm builds Answers from submitted form values. Fields without
// FormPrefix are ignored; prefixed fields with unknown ids are kept so that
// Normalize reports them. Multichoice answers are always lists. A repeated
// field for any other kind is kept as a list, which Normalize rejects as
// invalid_type, instead of silently choosing one of the values.
func (q Questionnaire) FromForm(form map[string][]string) Answers {
	out := Answers{}
	for name, values := range form {
		id, ok := strings.CutPrefix(name, FormPrefix)
		if !ok || len(values) == 0 {
			continue
		}
		qq, known := q.Question(id)
		switch {
		case known && qq.Kind == KindMultiChoice:
			out[id] = append([]string(nil), values...)
		case len(values) == 1:
			out[id] = values[0]
		default:
			out[id] = append([]string(nil), values...)
		}
	}
	return out
}

// DecodeAnswers decodes a JSON object whose values are strings or arrays of
// strings. Anything else (null, numbers, booleans, nested objects or arrays),
// duplicate keys and trailing data are rejected, so that Normalize only ever
// sees the shapes it understands.
func DecodeAnswers(raw json.RawMessage) (Answers, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()

	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("questionnaire: decode answers: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("questionnaire: decode answers: not a JSON object")
	}
	out := Answers{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("questionnaire: decode answers: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("questionnaire: decode answers: malformed object key")
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("questionnaire: decode answers: duplicate key %s", logSafeID(key))
		}
		val, err := decodeValue(dec)
		if err != nil {
			return nil, fmt.Errorf("questionnaire: decode answers: value of %s: %w", logSafeID(key), err)
		}
		out[key] = val
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, fmt.Errorf("questionnaire: decode answers: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("questionnaire: decode answers: trailing data after object")
	}
	return out, nil
}

var errValueShape = errors.New("must be a string or an array of strings")

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case string:
		return t, nil
	case json.Delim:
		if t != '[' {
			return nil, errValueShape
		}
		list := []string{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, err
			}
			s, ok := tok.(string)
			if !ok {
				return nil, errValueShape
			}
			list = append(list, s)
		}
		if _, err := dec.Token(); err != nil { // the closing ']'
			return nil, err
		}
		return list, nil
	default:
		return nil, errValueShape
	}
}
