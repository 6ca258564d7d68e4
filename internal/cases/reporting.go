package cases

import (
	"context"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
)

// Reporting is the organisation's reporting policy (RC-1, RC-6): whether
// anonymous reports are accepted and the public page on the internal and
// external channels. Every staff user reads it.
func (s *Service) Reporting(ctx context.Context, st *accounts.Staff) (org.Reporting, error) {
	return org.LoadReporting(ctx, s.cfg.DB, st.TenantID)
}

// SetReporting replaces the reporting policy (admins only); the change is
// audited like every settings change, with the key and no text.
func (s *Service) SetReporting(ctx context.Context, st *accounts.Staff, r org.Reporting) (org.Reporting, error) {
	if st.Role != accounts.RoleAdmin {
		return org.Reporting{}, ErrSettingsForbidden
	}
	r, err := org.CheckReporting(r)
	if err != nil {
		return org.Reporting{}, err
	}
	return r, s.putSetting(ctx, st, org.SettingReporting, r)
}
