package privacy

// Confidentiality declarations (issue 5, "Reviews and staff duties";
// Directive 2019/1937 art. 16(1), whistleblowerloven § 26, GDPR art.
// 32(4) and 29): every staff user accepts the organisation's declaration
// before they first see case content, and accepts again when the
// organisation publishes a new version. Version 0 is Varsel's standard
// declaration (its text is in the i18n catalogues, so each user reads it
// in their language); an organisation that writes its own publishes
// versions 1, 2, … Acceptances are recorded with their date and audited;
// admins and the DPO list who accepted which version.

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// StandardDeclarationVersion is the version of Varsel's own declaration,
// in force until the organisation publishes one.
const StandardDeclarationVersion = 0

// maxDeclarationText bounds a published declaration.
const maxDeclarationText = 20000

// Errors of the declarations.
var (
	// ErrDeclarationRequired answers a case route for a user who has not
	// accepted the current declaration.
	ErrDeclarationRequired = &Error{Kind: KindForbidden, Code: "declaration_required",
		Msg: "accept the confidentiality declaration before you open cases (GET /api/v1/staff/declaration)"}
	ErrDeclarationChanged = &Error{Kind: KindConflict, Code: "declaration_changed",
		Msg: "a newer version of the declaration was published; read it and accept that version"}
	ErrAdminOnly = &Error{Kind: KindForbidden, Code: "forbidden", Msg: "only admins may publish the declaration"}
)

// DeclarationView is the declaration in force and the user's acceptance.
type DeclarationView struct {
	Version int `json:"version"`
	// Standard: Varsel's own text (Text is empty; clients show their
	// translation of it).
	Standard    bool       `json:"standard"`
	Text        string     `json:"text,omitempty"`
	PublishedAt *time.Time `json:"published_at"`
	Accepted    bool       `json:"accepted"`
	AcceptedAt  *time.Time `json:"accepted_at"`
}

// DeclarationAcceptance is the input of AcceptDeclaration.
type DeclarationAcceptance struct {
	// Version is the version the user read; accepting an older one than
	// the one in force is refused, so nobody accepts text they did not see.
	Version *int `json:"version"`
}

// NewDeclaration is the input of PublishDeclaration.
type NewDeclaration struct {
	Text string `json:"text"`
}

// AcceptanceRow is one staff user in the list of acceptances.
type AcceptanceRow struct {
	UserID   string `json:"user_id"`
	Email    string `json:"email"`
	Role     string `json:"role"`
	Disabled bool   `json:"disabled"`
	// Current: the user accepted the version in force.
	Current  bool              `json:"current"`
	Accepted []AcceptedVersion `json:"accepted"` // newest first
	Latest   *AcceptedVersion  `json:"latest"`
}

// AcceptedVersion is one acceptance.
type AcceptedVersion struct {
	Version    int       `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// DeclarationVersionView is one published version.
type DeclarationVersionView struct {
	Version     int       `json:"version"`
	Text        string    `json:"text"`
	PublishedBy string    `json:"published_by"`
	PublishedAt time.Time `json:"published_at"`
}

// DeclarationsView is what admins and the DPO see: versions and acceptances.
type DeclarationsView struct {
	Current  int                      `json:"current_version"`
	Versions []DeclarationVersionView `json:"versions"`
	Users    []AcceptanceRow          `json:"users"`
}

// current returns the declaration in force.
func (s *Service) currentDeclaration(ctx context.Context) (store.Declaration, error) {
	all, err := s.db.Declarations(ctx, s.tenant)
	if err != nil || len(all) == 0 {
		return store.Declaration{TenantID: s.tenant, Version: StandardDeclarationVersion}, err
	}
	return all[0], nil
}

func (s *Service) staffOK(st *accounts.Staff) error {
	if st == nil || st.TenantID != s.tenant {
		return ErrForbidden
	}
	return nil
}

// Declaration returns the declaration in force and whether st accepted it.
func (s *Service) Declaration(ctx context.Context, st *accounts.Staff) (DeclarationView, error) {
	if err := s.staffOK(st); err != nil {
		return DeclarationView{}, err
	}
	d, err := s.currentDeclaration(ctx)
	if err != nil {
		return DeclarationView{}, err
	}
	v := DeclarationView{Version: d.Version, Standard: d.Version == StandardDeclarationVersion, Text: d.Body,
		PublishedAt: optTime(d.CreatedAt)}
	acc, err := s.db.Acceptances(ctx, s.tenant)
	if err != nil {
		return DeclarationView{}, err
	}
	for _, a := range acc {
		if a.UserID == st.UserID && a.Version == d.Version {
			v.Accepted, v.AcceptedAt = true, optTime(a.AcceptedAt)
		}
	}
	return v, nil
}

// HasAcceptedDeclaration tells whether st accepted the declaration in force.
func (s *Service) HasAcceptedDeclaration(ctx context.Context, st *accounts.Staff) (bool, error) {
	if err := s.staffOK(st); err != nil {
		return false, err
	}
	v, err := s.db.LatestDeclarationVersion(ctx, s.tenant)
	if err != nil {
		return false, err
	}
	return s.db.HasAccepted(ctx, s.tenant, st.UserID, v)
}

// AcceptDeclaration records that st accepted the version in force.
// Accepting it again changes nothing.
func (s *Service) AcceptDeclaration(ctx context.Context, st *accounts.Staff, in DeclarationAcceptance) (DeclarationView, error) {
	if err := s.staffOK(st); err != nil {
		return DeclarationView{}, err
	}
	if in.Version == nil || *in.Version < 0 {
		return DeclarationView{}, ErrInvalid.with("version")
	}
	current, err := s.db.LatestDeclarationVersion(ctx, s.tenant)
	if err != nil {
		return DeclarationView{}, err
	}
	if *in.Version != current {
		return DeclarationView{}, ErrDeclarationChanged
	}
	now := s.now()
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertAcceptance(ctx, store.Acceptance{TenantID: s.tenant, UserID: st.UserID, Version: current, AcceptedAt: now}); err != nil {
			return err
		}
		_, err := s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionDeclarationAccept, ObjectType: audit.ObjectUser, ObjectID: st.UserID, Detail: "version:" + strconv.Itoa(current)})
		return err
	})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		return DeclarationView{}, err
	}
	return s.Declaration(ctx, st)
}

// PublishDeclaration publishes a new version of the organisation's
// declaration (admins). Everyone must accept it again before opening a case.
func (s *Service) PublishDeclaration(ctx context.Context, st *accounts.Staff, in NewDeclaration) (DeclarationVersionView, error) {
	if err := s.staffOK(st); err != nil {
		return DeclarationVersionView{}, err
	}
	if st.Role != accounts.RoleAdmin {
		return DeclarationVersionView{}, ErrAdminOnly
	}
	in.Text = clean(in.Text)
	if in.Text == "" || len(in.Text) > maxDeclarationText {
		return DeclarationVersionView{}, ErrInvalid.with("text")
	}
	if err := checkText(map[string]string{"text": in.Text}); err != nil {
		return DeclarationVersionView{}, err
	}
	now := s.now()
	var d store.Declaration
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		latest, err := s.db.LatestDeclarationVersion(ctx, s.tenant)
		if err != nil {
			return err
		}
		d = store.Declaration{TenantID: s.tenant, Version: latest + 1, Body: in.Text, CreatedBy: st.UserID, CreatedAt: now}
		if err := tx.InsertDeclaration(ctx, d); err != nil {
			if errors.Is(err, store.ErrDuplicate) {
				return ErrDeclarationChanged // published concurrently
			}
			return err
		}
		_, err = s.audit.RecordTx(ctx, tx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
			Action: audit.ActionSettingsChange, ObjectType: audit.ObjectOrganisation, ObjectID: s.tenant, Detail: "declaration.publish"})
		return err
	})
	if err != nil {
		return DeclarationVersionView{}, err
	}
	return DeclarationVersionView{Version: d.Version, Text: d.Body, PublishedBy: d.CreatedBy, PublishedAt: d.CreatedAt}, nil
}

// Declarations lists the versions and every staff user's acceptances
// (admins and the DPO); the read is audited.
func (s *Service) Declarations(ctx context.Context, st *accounts.Staff) (DeclarationsView, error) {
	if err := s.authorize(st); err != nil {
		return DeclarationsView{}, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, "declarations"); err != nil {
		return DeclarationsView{}, err
	}
	versions, err := s.db.Declarations(ctx, s.tenant)
	if err != nil {
		return DeclarationsView{}, err
	}
	out := DeclarationsView{Current: StandardDeclarationVersion, Versions: []DeclarationVersionView{}, Users: []AcceptanceRow{}}
	if len(versions) > 0 {
		out.Current = versions[0].Version
	}
	for _, v := range versions {
		out.Versions = append(out.Versions, DeclarationVersionView{Version: v.Version, Text: v.Body, PublishedBy: v.CreatedBy, PublishedAt: v.CreatedAt})
	}
	users, err := s.db.Users(ctx, s.tenant)
	if err != nil {
		return DeclarationsView{}, err
	}
	acc, err := s.db.Acceptances(ctx, s.tenant)
	if err != nil {
		return DeclarationsView{}, err
	}
	byUser := map[string][]AcceptedVersion{}
	for _, a := range acc { // newest first
		byUser[a.UserID] = append(byUser[a.UserID], AcceptedVersion{Version: a.Version, AcceptedAt: a.AcceptedAt})
	}
	for _, u := range users {
		row := AcceptanceRow{UserID: u.ID, Email: u.Email, Role: u.Role, Disabled: !u.DisabledAt.IsZero(), Accepted: byUser[u.ID]}
		if row.Accepted == nil {
			row.Accepted = []AcceptedVersion{}
		} else {
			latest := row.Accepted[0]
			row.Latest = &latest
		}
		row.Current = slices.ContainsFunc(row.Accepted, func(a AcceptedVersion) bool { return a.Version == out.Current })
		out.Users = append(out.Users, row)
	}
	return out, nil
}

// AcceptCurrentDeclaration records that a user accepted the declaration
// in force, as AcceptDeclaration does for a signed-in user. It is for
// fixtures and tools that create staff users outside the staff site
// (tests, the load generator); it is audited like any acceptance.
func AcceptCurrentDeclaration(ctx context.Context, db *store.DB, tenant, userID string) error {
	v, err := db.LatestDeclarationVersion(ctx, tenant)
	if err != nil {
		return err
	}
	s := New(Config{DB: db, Tenant: tenant})
	_, err = s.AcceptDeclaration(ctx, &accounts.Staff{TenantID: tenant, UserID: userID}, DeclarationAcceptance{Version: &v})
	return err
}
