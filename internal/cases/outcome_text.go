package cases

import (
	"context"
	"slices"

	"github.com/varsel/varsel/internal/i18n"
)

// The built-in outcome messages in every language of the whistleblower
// site. A case closed with an empty message sends the outcome's template
// in the language the whistleblower used for the report (reports.lang),
// falling back to English. The texts say what happened to the report and
// nothing about the case's content; {{case_number}} is the only
// placeholder.

// defaultOutcomeTexts holds, per built-in outcome, its labels and
// templates by language.
var defaultOutcomeTexts = map[string]struct{ labels, templates map[string]string }{
	"unfounded": {
		labels: map[string]string{"en": "Unfounded", "da": "Ubegrundet", "nb": "Ubegrunnet"},
		templates: map[string]string{
			"en": "Your report (case {{case_number}}) has been assessed and the case is now closed. We found no basis for the concerns you raised, so no further action will be taken. Thank you for reporting.",
			"da": "Din indberetning (sag {{case_number}}) er blevet vurderet, og sagen er nu afsluttet. Vi fandt ikke grundlag for de forhold, du har indberettet, og der bliver derfor ikke foretaget mere. Tak for din indberetning.",
			"nb": "Varselet ditt (sak {{case_number}}) er vurdert, og saken er nå avsluttet. Vi fant ikke grunnlag for forholdene du varslet om, og det blir derfor ikke gjort noe mer. Takk for at du varslet.",
		}},
	"outside_scope": {
		labels: map[string]string{"en": "Outside the scope of the scheme", "da": "Uden for ordningens område", "nb": "Utenfor ordningens virkeområde"},
		templates: map[string]string{
			"en": "Your report (case {{case_number}}) has been assessed and the case is now closed. The matter falls outside the scope of this whistleblowing scheme. You may be able to raise it in another way, for example with your manager, an employee representative or the competent authority.",
			"da": "Din indberetning (sag {{case_number}}) er blevet vurderet, og sagen er nu afsluttet. Forholdet falder uden for whistleblowerordningens område. Du kan eventuelt rejse det på anden vis, for eksempel over for din leder, en tillidsrepræsentant eller den kompetente myndighed.",
			"nb": "Varselet ditt (sak {{case_number}}) er vurdert, og saken er nå avsluttet. Forholdet faller utenfor varslingsordningens virkeområde. Du kan eventuelt ta det opp på annen måte, for eksempel med lederen din, en tillitsvalgt eller den ansvarlige myndigheten.",
		}},
	"forwarded_to_authority": {
		labels: map[string]string{"en": "Forwarded to a competent authority", "da": "Videresendt til en kompetent myndighed", "nb": "Videresendt til en kompetent myndighet"},
		templates: map[string]string{
			"en": "Your report (case {{case_number}}) has been assessed and forwarded to the competent authority, which handles the matter from here. The case is closed in this scheme. Thank you for reporting.",
			"da": "Din indberetning (sag {{case_number}}) er blevet vurderet og videresendt til den kompetente myndighed, som behandler sagen herfra. Sagen er afsluttet i denne ordning. Tak for din indberetning.",
			"nb": "Varselet ditt (sak {{case_number}}) er vurdert og sendt videre til den ansvarlige myndigheten, som behandler saken herfra. Saken er avsluttet i denne ordningen. Takk for at du varslet.",
		}},
	"substantiated": {
		labels: map[string]string{"en": "Investigated: substantiated", "da": "Undersøgt: bekræftet", "nb": "Undersøkt: bekreftet"},
		templates: map[string]string{
			"en": "Your report (case {{case_number}}) has been investigated and the case is now closed. The investigation confirmed the matter you reported, and follow-up action has been or will be taken. Thank you for reporting.",
			"da": "Din indberetning (sag {{case_number}}) er blevet undersøgt, og sagen er nu afsluttet. Undersøgelsen bekræftede det forhold, du indberettede, og der er eller vil blive fulgt op på det. Tak for din indberetning.",
			"nb": "Varselet ditt (sak {{case_number}}) er undersøkt, og saken er nå avsluttet. Undersøkelsen bekreftet forholdet du varslet om, og det er eller vil bli fulgt opp. Takk for at du varslet.",
		}},
	"not_substantiated": {
		labels: map[string]string{"en": "Investigated: not substantiated", "da": "Undersøgt: ikke bekræftet", "nb": "Undersøkt: ikke bekreftet"},
		templates: map[string]string{
			"en": "Your report (case {{case_number}}) has been investigated and the case is now closed. The investigation could not confirm the matter you reported. Thank you for reporting.",
			"da": "Din indberetning (sag {{case_number}}) er blevet undersøgt, og sagen er nu afsluttet. Undersøgelsen kunne ikke bekræfte det forhold, du indberettede. Tak for din indberetning.",
			"nb": "Varselet ditt (sak {{case_number}}) er undersøkt, og saken er nå avsluttet. Undersøkelsen kunne ikke bekrefte forholdet du varslet om. Takk for at du varslet.",
		}},
}

// RenderFor is Render in lang, falling back to English when the outcome
// has no template in lang.
func (o Outcome) RenderFor(lang string, caseNumber int64) string {
	if msg := o.Render(lang, caseNumber); msg != "" {
		return msg
	}
	return o.Render("en", caseNumber)
}

// reportLang is the language the whistleblower used for a report, or ""
// when none was recorded (reports from before it was, or an unsupported
// tag).
func (s *Service) reportLang(ctx context.Context, tenantID, reportID string) (string, error) {
	lang, err := s.cfg.DB.ReportLang(ctx, tenantID, reportID)
	if err != nil || !slices.Contains(i18n.Supported, lang) {
		return "", err
	}
	return lang, nil
}
