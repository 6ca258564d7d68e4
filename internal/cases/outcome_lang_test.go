package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

// CW-7: closing with an empty message sends the outcome's template in the
// language the whistleblower used, English when none was recorded.
func TestClosingWithoutMessageSendsTheOutcomeTemplateInTheReportersLanguage(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		h := e.staff(t, "h@example.org", org.DefaultChannel)
		for _, tc := range []struct{ lang, want string }{
			{"da", "Din indberetning (sag %d) er blevet vurderet"},
			{"nb", "Varselet ditt (sak %d) er vurdert"},
			{"en", "Your report (case %d) has been assessed"},
			{"", "Your report (case %d) has been assessed"},
		} {
			d, err := e.intake.Begin()
			if err != nil {
				t.Fatal(err)
			}
			d.Lang = tc.lang
			rc, err := e.intake.Submit(ctx, d, org.DefaultChannel, questionnaire.Answers{"what": "x", "when": "2025", "how_known": "documents"})
			if err != nil {
				t.Fatal(err)
			}
			for _, to := range []string{cases.StateScreening, cases.StateClosed} {
				if err := e.cases.ChangeState(ctx, h, d.ID, cases.Transition{To: to, Outcome: "unfounded", Reason: "no basis"}); err != nil {
					t.Fatalf("%s: %v", to, err)
				}
			}
			v, err := e.cases.Open(ctx, h, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Replace(tc.want, "%d", itoa(rc.CaseNumber), 1)
			if len(v.Messages) != 1 || !strings.HasPrefix(v.Messages[0].Text, want) {
				t.Errorf("lang %q: messages %+v, want one starting %q", tc.lang, v.Messages, want)
			}
		}
	})
}

// The built-in closing reasons carry templates in every language.
func TestDefaultOutcomesHaveTemplatesInEnglishDanishAndNorwegian(t *testing.T) {
	for _, o := range cases.DefaultOutcomes() {
		for _, lang := range []string{"en", "da", "nb"} {
			if msg := o.Render(lang, 7); !strings.Contains(msg, "7") || o.Labels[lang] == "" {
				t.Errorf("%s in %s: label %q template %q", o.ID, lang, o.Labels[lang], msg)
			}
		}
	}
	if _, err := cases.CheckOutcomes(cases.DefaultOutcomes()); err != nil {
		t.Errorf("the defaults do not pass the settings check: %v", err)
	}
}

// A configured outcome without a template in the reporter's language
// falls back to English.
func TestOutcomeRenderForFallsBackToEnglish(t *testing.T) {
	o := cases.Outcome{ID: "x", Templates: map[string]string{"en": "Case {{case_number}} closed"}}
	if got := o.RenderFor("nb", 3); got != "Case 3 closed" {
		t.Errorf("RenderFor(nb) = %q", got)
	}
}

func itoa(n int64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
