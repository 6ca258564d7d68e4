package questionnaire

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultQuestionnaireIsValid(t *testing.T) {
	q := Default()
	if err := q.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	if q.ID != "default" || q.Version != 1 {
		t.Errorf("Default() id/version = %q/%d, want default/1", q.ID, q.Version)
	}
}

func TestDefaultQuestionnaireIsTranslatedIntoEveryLanguage(t *testing.T) {
	langs := []string{"en", "da", "nb"}
	check := func(what string, txt Text) {
		t.Helper()
		for _, l := range langs {
			if strings.TrimSpace(txt[l]) == "" {
				t.Errorf("%s: missing %q text", what, l)
			}
		}
		if len(txt) != len(langs) {
			t.Errorf("%s: has %d translations, want %d", what, len(txt), len(langs))
		}
	}
	q := Default()
	check("title", q.Title)
	for _, qq := range q.Questions {
		check(qq.ID+" label", qq.Label)
		if qq.Help != nil {
			check(qq.ID+" help", qq.Help)
		}
		for _, o := range qq.Options {
			check(qq.ID+"."+o.ID+" label", o.Label)
		}
	}
}

func TestDefaultQuestionnaireMarksOnlyIdentityQuestionsAsIdentity(t *testing.T) {
	for _, qq := range Default().Questions {
		want := strings.HasPrefix(qq.ID, "identity_")
		if qq.Identity != want {
			t.Errorf("%s: Identity = %v, want %v", qq.ID, qq.Identity, want)
		}
	}
}

func TestDefaultReturnsIndependentCopies(t *testing.T) {
	a := Default()
	a.Questions[0].Label["en"] = "changed"
	if Default().Questions[0].Label["en"] == "changed" {
		t.Error("modifying one Default() result changed another")
	}
}

func TestTextInFallsBack(t *testing.T) {
	tests := []struct {
		name string
		text Text
		lang string
		want string
	}{
		{"exact language", Text{"en": "Hello", "da": "Hej"}, "da", "Hej"},
		{"regional tag uses base language", Text{"en": "Hello", "da": "Hej"}, "da-DK", "Hej"},
		{"missing language uses English", Text{"en": "Hello", "da": "Hej"}, "nb", "Hello"},
		{"empty translation uses English", Text{"en": "Hello", "nb": ""}, "nb", "Hello"},
		{"no English uses first other language", Text{"nb": "Hei", "da": "Hej"}, "fr", "Hej"},
		{"empty text gives empty string", Text{}, "en", ""},
		{"nil text gives empty string", nil, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.text.In(tt.lang); got != tt.want {
				t.Errorf("In(%q) = %q, want %q", tt.lang, got, tt.want)
			}
		})
	}
}

func TestValidateRejectsBrokenQuestionnaires(t *testing.T) {
	en := func(s string) Text { return Text{"en": s} }
	good := func() Questionnaire {
		return Questionnaire{ID: "q", Version: 1, Title: en("T"), Questions: []Question{
			{ID: "a", Kind: KindText, Label: en("A")},
			{ID: "b", Kind: KindChoice, Label: en("B"), Options: []Option{{ID: "x", Label: en("X")}}},
		}}
	}
	tests := []struct {
		name   string
		modify func(q *Questionnaire)
		want   string
	}{
		{"duplicate question id", func(q *Questionnaire) {
			q.Questions[1].ID = "a"
			q.Questions[1].Kind = KindText
			q.Questions[1].Options = nil
		}, "duplicate id"},
		{"id with upper case", func(q *Questionnaire) { q.Questions[0].ID = "A" }, "invalid id"},
		{"id with hyphen", func(q *Questionnaire) { q.Questions[0].ID = "a-b" }, "invalid id"},
		{"empty id", func(q *Questionnaire) { q.Questions[0].ID = "" }, "invalid id"},
		{"id too long", func(q *Questionnaire) { q.Questions[0].ID = strings.Repeat("a", 65) }, "invalid id"},
		{"choice without options", func(q *Questionnaire) { q.Questions[1].Options = nil }, "without options"},
		{"duplicate option", func(q *Questionnaire) {
			q.Questions[1].Options = append(q.Questions[1].Options, Option{ID: "x", Label: en("X")})
		}, "duplicate option"},
		{"invalid option id", func(q *Questionnaire) { q.Questions[1].Options[0].ID = "X Y" }, "invalid option id"},
		{"label without English", func(q *Questionnaire) { q.Questions[0].Label = Text{"da": "A"} }, "no English"},
		{"option label without English", func(q *Questionnaire) { q.Questions[1].Options[0].Label = Text{"da": "X"} }, "no English"},
		{"title without English", func(q *Questionnaire) { q.Title = nil }, "title"},
		{"unknown kind", func(q *Questionnaire) { q.Questions[0].Kind = "slider" }, "unknown kind"},
		{"options on text question", func(q *Questionnaire) { q.Questions[0].Options = []Option{{ID: "x", Label: en("X")}} }, "options on"},
		{"zero version", func(q *Questionnaire) { q.Version = 0 }, "version"},
		{"no questions", func(q *Questionnaire) { q.Questions = nil }, "no questions"},
	}
	if err := good().Validate(); err != nil {
		t.Fatalf("baseline questionnaire invalid: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := good()
			tt.modify(&q)
			err := q.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestValidationErrorListsIDsAndCodesButNoContent(t *testing.T) {
	q := Default()
	secret := "Director Hansen\x00 takes bribes"
	_, _, err := q.Normalize(Answers{"what": secret, "bogus\nid": "x"})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a *ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{"what: invalid_char", "when: required", "how_known: required", `"bogus\nid": unknown_question`} {
		if !strings.Contains(msg, want) {
			t.Errorf("Error() = %q, want it to contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "Hansen") || strings.Contains(msg, "\n") {
		t.Errorf("Error() = %q leaks answer content or raw control characters", msg)
	}
}
