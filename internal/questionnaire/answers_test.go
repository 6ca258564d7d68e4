package questionnaire

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// minimal are the required answers of the default questionnaire.
func minimal() Answers {
	return Answers{"what": "Invoices are being falsified.", "when": "Since March", "how_known": "witnessed"}
}

func with(a Answers, kv ...any) Answers {
	for i := 0; i < len(kv); i += 2 {
		a[kv[i].(string)] = kv[i+1]
	}
	return a
}

func without(a Answers, keys ...string) Answers {
	for _, k := range keys {
		delete(a, k)
	}
	return a
}

func TestNormalizeReportsEachErrorCode(t *testing.T) {
	multi := Default()
	multi.Questions = append(multi.Questions, Question{
		ID: "topics", Kind: KindMultiChoice, Label: Text{"en": "Topics"},
		Options: []Option{{ID: "a", Label: Text{"en": "A"}}, {ID: "b", Label: Text{"en": "B"}}},
	})
	tests := []struct {
		name   string
		q      Questionnaire
		in     Answers
		wantID string
		want   string
	}{
		{"missing required text", Default(), without(minimal(), "what"), "what", CodeRequired},
		{"blank required text", Default(), with(minimal(), "what", "  \n\t "), "what", CodeRequired},
		{"missing required choice", Default(), without(minimal(), "how_known"), "how_known", CodeRequired},
		{"empty required choice", Default(), with(minimal(), "how_known", ""), "how_known", CodeRequired},
		{"text over default limit", Default(), with(minimal(), "when", strings.Repeat("x", 501)), "when", CodeTooLong},
		{"textarea over default limit", Default(), with(minimal(), "what", strings.Repeat("æ", 10001)), "what", CodeTooLong},
		{"choice not offered", Default(), with(minimal(), "how_known", "guessed"), "how_known", CodeInvalidOption},
		{"choice given as option label", Default(), with(minimal(), "area", "Environment"), "area", CodeInvalidOption},
		{"multichoice value not offered", multi, with(minimal(), "topics", []string{"a", "z"}), "topics", CodeInvalidOption},
		{"unknown question", Default(), with(minimal(), "salary", "x"), "salary", CodeUnknownQuestion},
		{"number for text", Default(), with(minimal(), "where", json.Number("42")), "where", CodeInvalidType},
		{"list for text", Default(), with(minimal(), "where", []string{"a", "b"}), "where", CodeInvalidType},
		{"list for choice", Default(), with(minimal(), "how_known", []string{"told"}), "how_known", CodeInvalidType},
		{"string for multichoice", multi, with(minimal(), "topics", "a"), "topics", CodeInvalidType},
		{"nil value", Default(), with(minimal(), "where", nil), "where", CodeInvalidType},
		{"nested map", Default(), with(minimal(), "where", map[string]any{"a": "b"}), "where", CodeInvalidType},
		{"invalid utf-8 in text", Default(), with(minimal(), "what", "bad \xff byte"), "what", CodeInvalidUTF8},
		{"invalid utf-8 in multichoice", multi, with(minimal(), "topics", []string{"\xfe"}), "topics", CodeInvalidUTF8},
		{"nul byte", Default(), with(minimal(), "who", "a\x00b"), "who", CodeInvalidChar},
		{"escape character", Default(), with(minimal(), "who", "a\x1b[31mb"), "who", CodeInvalidChar},
		{"C1 control character", Default(), with(minimal(), "who", "a\u0085b"), "who", CodeInvalidChar},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content, identity, err := tt.q.Normalize(tt.in)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Normalize() error = %v, want *ValidationError", err)
			}
			if content != nil || identity != nil {
				t.Errorf("Normalize() returned answers along with an error")
			}
			if len(ve.Fields) != 1 {
				t.Fatalf("Fields = %v, want exactly one", ve.Fields)
			}
			if got := ve.Fields[0]; got.QuestionID != tt.wantID || got.Code != tt.want {
				t.Errorf("Fields[0] = %+v, want {%s %s}", got, tt.wantID, tt.want)
			}
		})
	}
}

func TestNormalizeReportsAllProblemsInQuestionnaireOrder(t *testing.T) {
	_, _, err := Default().Normalize(Answers{"zzz": "x", "aaa": "y", "area": "nope"})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v, want *ValidationError", err)
	}
	want := []FieldError{
		{"what", CodeRequired},
		{"when", CodeRequired},
		{"how_known", CodeRequired},
		{"area", CodeInvalidOption},
		{"aaa", CodeUnknownQuestion},
		{"zzz", CodeUnknownQuestion},
	}
	if !reflect.DeepEqual(ve.Fields, want) {
		t.Errorf("Fields = %v, want %v", ve.Fields, want)
	}
	if ve.For("area") != CodeInvalidOption || ve.For("where") != "" {
		t.Errorf("For() gives wrong codes")
	}
}

func TestNormalizeAcceptsTextAtExactlyMaxLen(t *testing.T) {
	q := Default()
	in := with(minimal(), "when", strings.Repeat("ø", 500), "what", strings.Repeat("å", 10000))
	if _, _, err := q.Normalize(in); err != nil {
		t.Errorf("Normalize() = %v, want answers at the limit accepted", err)
	}
}

func TestNormalizeHonoursCustomMaxLen(t *testing.T) {
	q := Questionnaire{ID: "q", Version: 1, Title: Text{"en": "T"}, Questions: []Question{
		{ID: "short", Kind: KindText, Label: Text{"en": "S"}, MaxLen: 3},
	}}
	if _, _, err := q.Normalize(Answers{"short": "abc"}); err != nil {
		t.Errorf("3 characters rejected: %v", err)
	}
	_, _, err := q.Normalize(Answers{"short": "abcd"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.For("short") != CodeTooLong {
		t.Errorf("4 characters: error = %v, want too_long", err)
	}
}

func TestNormalizeCountsCRLFAsOneCharacter(t *testing.T) {
	q := Questionnaire{ID: "q", Version: 1, Title: Text{"en": "T"}, Questions: []Question{
		{ID: "body", Kind: KindTextarea, Label: Text{"en": "B"}, MaxLen: 5},
	}}
	content, _, err := q.Normalize(Answers{"body": "ab\r\ncd"})
	if err != nil {
		t.Fatalf("Normalize() = %v", err)
	}
	if got := content["body"]; got != "ab\ncd" {
		t.Errorf("body = %q, want %q", got, "ab\ncd")
	}
}

func TestNormalizeCleansAnswers(t *testing.T) {
	multi := Default()
	multi.Questions = append(multi.Questions, Question{
		ID: "topics", Kind: KindMultiChoice, Label: Text{"en": "Topics"},
		Options: []Option{{ID: "a", Label: Text{"en": "A"}}, {ID: "b", Label: Text{"en": "B"}}, {ID: "c", Label: Text{"en": "C"}}},
	})
	tests := []struct {
		name string
		q    Questionnaire
		in   Answers
		id   string
		want any // nil means dropped
	}{
		{"trims text", Default(), with(minimal(), "where", "  Warehouse 3 \n"), "where", "Warehouse 3"},
		{"keeps inner line breaks in textarea", Default(), with(minimal(), "what", "\n line one\r\nline two\rthree \n"), "what", "line one\nline two\nthree"},
		{"joins lines in one-line text", Default(), with(minimal(), "when", "May\r\n2024"), "when", "May 2024"},
		{"keeps tabs", Default(), with(minimal(), "who", "a\tb"), "who", "a\tb"},
		{"trims choice", Default(), with(minimal(), "area", " environment "), "area", "environment"},
		{"drops empty optional text", Default(), with(minimal(), "where", "   "), "where", nil},
		{"drops empty optional choice", Default(), with(minimal(), "area", ""), "area", nil},
		{"orders and deduplicates multichoice", multi, with(minimal(), "topics", []string{"c", "a", "c", ""}), "topics", []string{"a", "c"}},
		{"drops multichoice with only empty values", multi, with(minimal(), "topics", []string{"", " "}), "topics", nil},
		{"drops empty multichoice", multi, with(minimal(), "topics", []string{}), "topics", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content, _, err := tt.q.Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize() = %v", err)
			}
			got, ok := content[tt.id]
			if tt.want == nil {
				if ok {
					t.Errorf("%s = %q, want it dropped", tt.id, got)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.id, got, tt.want)
			}
		})
	}
}

func TestNormalizeSplitsIdentityFromContent(t *testing.T) {
	tests := []struct {
		name         string
		in           Answers
		wantContent  Answers
		wantIdentity Answers
	}{
		{
			name:         "anonymous report has empty identity",
			in:           minimal(),
			wantContent:  minimal(),
			wantIdentity: Answers{},
		},
		{
			name:         "name and contact go to identity",
			in:           with(minimal(), "identity_name", " Kari Nordmann ", "identity_contact", "+47 400 00 000", "relationship", "employee"),
			wantContent:  with(minimal(), "relationship", "employee"),
			wantIdentity: Answers{"identity_name": "Kari Nordmann", "identity_contact": "+47 400 00 000"},
		},
		{
			name:         "blank identity answers are dropped",
			in:           with(minimal(), "identity_name", "  ", "identity_contact", ""),
			wantContent:  minimal(),
			wantIdentity: Answers{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content, identity, err := Default().Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize() = %v", err)
			}
			if !reflect.DeepEqual(content, tt.wantContent) {
				t.Errorf("content = %v, want %v", content, tt.wantContent)
			}
			if !reflect.DeepEqual(identity, tt.wantIdentity) {
				t.Errorf("identity = %v, want %v", identity, tt.wantIdentity)
			}
		})
	}
}

func TestFromFormBuildsAnswers(t *testing.T) {
	q := Default()
	q.Questions = append(q.Questions, Question{
		ID: "topics", Kind: KindMultiChoice, Label: Text{"en": "Topics"},
		Options: []Option{{ID: "a", Label: Text{"en": "A"}}, {ID: "b", Label: Text{"en": "B"}}},
	})
	tests := []struct {
		name string
		form map[string][]string
		want Answers
	}{
		{
			name: "prefixed fields become answers",
			form: map[string][]string{"q_what": {"text"}, "q_how_known": {"told"}},
			want: Answers{"what": "text", "how_known": "told"},
		},
		{
			name: "fields without prefix are ignored",
			form: map[string][]string{"csrf": {"tok"}, "lang": {"da"}, "what": {"x"}},
			want: Answers{},
		},
		{
			name: "multichoice keeps every value",
			form: map[string][]string{"q_topics": {"a", "b"}},
			want: Answers{"topics": []string{"a", "b"}},
		},
		{
			name: "single multichoice value is still a list",
			form: map[string][]string{"q_topics": {"b"}},
			want: Answers{"topics": []string{"b"}},
		},
		{
			name: "repeated single-value field is kept as a list for Normalize to reject",
			form: map[string][]string{"q_how_known": {"told", "witnessed"}},
			want: Answers{"how_known": []string{"told", "witnessed"}},
		},
		{
			name: "unknown prefixed field is kept for Normalize to reject",
			form: map[string][]string{"q_salary": {"1"}},
			want: Answers{"salary": "1"},
		},
		{
			name: "field without values is ignored",
			form: map[string][]string{"q_where": {}},
			want: Answers{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := q.FromForm(tt.form); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("FromForm() = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestFromFormRoundTripsThroughNormalize(t *testing.T) {
	form := map[string][]string{
		"q_what":          {"He falsifies\r\ninvoices."},
		"q_when":          {"2024-03-01"},
		"q_how_known":     {"documents"},
		"q_identity_name": {""},
		"csrf_token":      {"abc"},
	}
	content, identity, err := Default().Normalize(Default().FromForm(form))
	if err != nil {
		t.Fatalf("Normalize(FromForm()) = %v", err)
	}
	want := Answers{"what": "He falsifies\ninvoices.", "when": "2024-03-01", "how_known": "documents"}
	if !reflect.DeepEqual(content, want) || len(identity) != 0 {
		t.Errorf("got content %v identity %v, want %v and none", content, identity, want)
	}
}

func TestDecodeAnswersAcceptsStringsAndStringArrays(t *testing.T) {
	got, err := DecodeAnswers(json.RawMessage(`{"what":"x\u00e6","topics":["a","b"],"none":[]}`))
	if err != nil {
		t.Fatalf("DecodeAnswers() = %v", err)
	}
	want := Answers{"what": "xæ", "topics": []string{"a", "b"}, "none": []string{}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecodeAnswers() = %#v, want %#v", got, want)
	}
}

func TestDecodeAnswersAcceptsEmptyObject(t *testing.T) {
	got, err := DecodeAnswers(json.RawMessage(` {} `))
	if err != nil || len(got) != 0 {
		t.Errorf("DecodeAnswers({}) = %v, %v; want empty answers", got, err)
	}
}

func TestDecodeAnswersRejectsOtherShapes(t *testing.T) {
	tests := []struct {
		name string
		raw  string
	}{
		{"top-level array", `["a"]`},
		{"top-level string", `"a"`},
		{"top-level number", `1`},
		{"top-level null", `null`},
		{"empty input", ``},
		{"number value", `{"a":1}`},
		{"boolean value", `{"a":true}`},
		{"null value", `{"a":null}`},
		{"nested object", `{"a":{"b":"c"}}`},
		{"nested array", `{"a":[["b"]]}`},
		{"object in array", `{"a":[{"b":"c"}]}`},
		{"number in array", `{"a":["b",1]}`},
		{"null in array", `{"a":[null]}`},
		{"duplicate key", `{"a":"1","a":"2"}`},
		{"trailing data", `{"a":"1"} {"b":"2"}`},
		{"trailing garbage", `{"a":"1"}x`},
		{"unterminated object", `{"a":"1"`},
		{"unterminated array", `{"a":["1"`},
		{"syntax error", `{a:1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, err := DecodeAnswers(json.RawMessage(tt.raw)); err == nil {
				t.Errorf("DecodeAnswers(%s) = %v, want error", tt.raw, got)
			}
		})
	}
}

func FuzzDecodeAnswers(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"what":"x"}`, `{"a":["b","c"]}`, `{"a":[["b"]]}`, `[]`, `{"a":1}`,
		`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":"b"}{}`, `{"a":{"b":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		a, err := DecodeAnswers(raw)
		if err != nil {
			return
		}
		for k, v := range a {
			switch v.(type) {
			case string, []string:
			default:
				t.Fatalf("value of %q has type %T", k, v)
			}
		}
		// Whatever decodes must be safe to normalise.
		Default().Normalize(a)
	})
}

func FuzzNormalize(f *testing.F) {
	f.Add("what happened", "yesterday", "witnessed", "Kari", "a", "b")
	f.Add("\xff", "\x00", "", " ", "\r\n", "told")
	f.Add(strings.Repeat("x", 10001), strings.Repeat("y", 501), "other", "", "", "")
	q := Default()
	q.Questions = append(q.Questions, Question{
		ID: "topics", Kind: KindMultiChoice, Label: Text{"en": "Topics"},
		Options: []Option{{ID: "a", Label: Text{"en": "A"}}, {ID: "b", Label: Text{"en": "B"}}},
	})
	f.Fuzz(func(t *testing.T, what, when, howKnown, name, t1, t2 string) {
		in := Answers{"what": what, "when": when, "how_known": howKnown, "identity_name": name, "topics": []string{t1, t2}}
		content, identity, err := q.Normalize(in)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("error %v is not a non-empty *ValidationError", err)
			}
			return
		}
		for part, answers := range map[string]Answers{"content": content, "identity": identity} {
			for id, v := range answers {
				qq, ok := q.Question(id)
				if !ok {
					t.Fatalf("%s holds unknown question %q", part, id)
				}
				if qq.Identity != (part == "identity") {
					t.Fatalf("%s holds %q with Identity=%v", part, id, qq.Identity)
				}
				var values []string
				switch v := v.(type) {
				case string:
					values = []string{v}
				case []string:
					values = v
				default:
					t.Fatalf("%s has type %T", id, v)
				}
				for _, s := range values {
					if !utf8.ValidString(s) {
						t.Fatalf("%s: invalid UTF-8 %q", id, s)
					}
					if n := utf8.RuneCountInString(s); n > qq.MaxLength() {
						t.Fatalf("%s: %d characters, limit %d", id, n, qq.MaxLength())
					}
					if s == "" || s != strings.TrimSpace(s) {
						t.Fatalf("%s: untrimmed or empty value %q", id, s)
					}
					for _, r := range s {
						if unicode.IsControl(r) && r != '\n' && r != '\t' {
							t.Fatalf("%s: control character %U survived", id, r)
						}
					}
					if qq.Kind.hasOptions() && !qq.HasOption(s) {
						t.Fatalf("%s: value %q not an option", id, s)
					}
				}
			}
		}
	})
}
