package cases

import (
	"errors"
	"testing"
)

// Templates are plain text: only {{case_number}} is replaced; anything
// else that looks like template syntax stays as written.
func TestOutcomeTemplateIsPlainSubstitution(t *testing.T) {
	o := Outcome{ID: "x", Templates: map[string]string{"en": " Case {{case_number}}: {{.Secret}} {{case_number}} "}}
	if got, want := o.Render("en", 42), "Case 42: {{.Secret}} 42"; got != want {
		t.Fatalf("Render = %q, want %q", got, want)
	}
	if got := o.Render("da", 42); got != "" {
		t.Fatalf("Render without a template = %q", got)
	}
}

func TestCheckOutcomesAndStatuses(t *testing.T) {
	if _, err := CheckOutcomes(nil); !errors.Is(err, ErrInvalidSettings) {
		t.Fatalf("empty outcomes: %v", err)
	}
	if _, err := CheckOutcomes(DefaultOutcomes()); err != nil {
		t.Fatalf("the defaults do not validate: %v", err)
	}
	list, err := CheckStatuses([]CustomStatus{{ID: "a", Labels: map[string]string{"en": " A ", "nb": " "}, State: StateClosed}})
	if err != nil || list[0].Labels["en"] != "A" || len(list[0].Labels) != 1 {
		t.Fatalf("CheckStatuses = %+v, %v", list, err)
	}
}
