package intake

import (
	"context"
	"errors"
	"fmt"

	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/questionnaire"
)

// ErrIdentityRequired refuses a report without the identity answers in an
// organisation that does not accept anonymous reports (RC-1). It comes
// joined with a *questionnaire.ValidationError naming the questions.
var ErrIdentityRequired = errors.New("this organisation does not accept anonymous reports: give your name and a way to contact you")

// Reporting returns the organisation's reporting policy (RC-1, RC-6).
func (s *Service) Reporting(ctx context.Context) (org.Reporting, error) {
	return org.LoadReporting(ctx, s.cfg.DB, s.cfg.Tenant)
}

// checkAnonymity refuses an anonymous report when the organisation
// requires identity: every identity question of the questionnaire must
// be answered. A questionnaire without identity questions cannot carry
// an identity, so the report is taken rather than lost.
func (s *Service) checkAnonymity(ctx context.Context, q questionnaire.Questionnaire, identity questionnaire.Answers) error {
	pol, err := s.Reporting(ctx)
	if err != nil {
		return err
	}
	if pol.AnonymousAllowed {
		return nil
	}
	var missing []questionnaire.FieldError
	for _, qq := range q.Questions {
		if qq.Identity && identity[qq.ID] == nil {
			missing = append(missing, questionnaire.FieldError{QuestionID: qq.ID, Code: questionnaire.CodeIdentityRequired})
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("intake: %w: %w", ErrIdentityRequired, &questionnaire.ValidationError{Fields: missing})
}
