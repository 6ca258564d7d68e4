package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// Confidentiality declarations (privacy/declaration.go): every staff user
// reads and accepts the declaration in force; admins publish new
// versions; admins and the DPO list the acceptances. Case routes refuse a
// user who has not accepted (html_declaration.go).

func (s *Server) apiDeclaration(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		v, err := s.privacy().Declaration(r.Context(), st)
		if err == nil && v.Standard {
			v.Text = s.d.Catalog.T(pageLang(r, ""), "staff.declaration.standard")
		}
		return v, err
	})
}

func (s *Server) apiDeclarationAccept(w http.ResponseWriter, r *http.Request) {
	var in privacy.DeclarationAcceptance
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		v, err := s.privacy().AcceptDeclaration(r.Context(), st, in)
		if err == nil && v.Standard {
			v.Text = s.d.Catalog.T(pageLang(r, ""), "staff.declaration.standard")
		}
		return v, err
	})
}

func (s *Server) apiDeclarations(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Declarations(r.Context(), st)
	})
}

func (s *Server) apiDeclarationPublish(w http.ResponseWriter, r *http.Request) {
	var in privacy.NewDeclaration
	admin := func(st *accounts.Staff) error {
		if st.Role != accounts.RoleAdmin {
			return privacy.ErrAdminOnly
		}
		return nil
	}
	s.guardedStaffAPI(w, r, http.StatusCreated, admin, &in, func(st *accounts.Staff) (any, error) {
		return s.privacy().PublishDeclaration(r.Context(), st, in)
	})
}
