// Package web serves Varsel over HTTP: the whistleblower site and public
// API on one listener, the staff site and staff API on another. Staff
// routes do not exist on the public listener at all.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/store"
)

// Deps are the services the web layer calls.
type Deps struct {
	Intake   *intake.Service
	Cases    *cases.Service
	Accounts *accounts.Service
	DB       *store.DB
	Catalog  *i18n.Catalog
	Logger   *slog.Logger
	Now      func() time.Time
	Tenant   string
	// SecureCookies marks cookies Secure; set it when the listeners are
	// reached over HTTPS.
	SecureCookies bool
	// HSTS sends Strict-Transport-Security on every answer, also those
	// that reach Varsel in clear from a TLS-terminating proxy; answers
	// over Varsel's own TLS always carry it.
	HSTS bool
}

// Server holds the two handlers.
type Server struct {
	d      Deps
	pages  *pages
	public http.Handler
	staff  http.Handler
	// routes lists every route per listener; the OpenAPI test and the
	// access-control tests read it so no route can be forgotten.
	publicRoutes []route
	staffRoutes  []route
}

// route is one entry of a listener's routing table.
type route struct {
	Method  string
	Path    string // net/http pattern path, e.g. /api/v1/staff/cases/{id}
	API     bool   // documented in the listener's OpenAPI file
	Handler http.HandlerFunc
}

// New builds the server.
func New(d Deps) (*Server, error) {
	if d.Intake == nil || d.Cases == nil || d.Accounts == nil || d.DB == nil || d.Catalog == nil {
		return nil, errors.New("web: missing dependency")
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{d: d}
	p, err := newPages(d.Catalog, d.Logger)
	if err != nil {
		return nil, err
	}
	s.pages = p
	s.publicRoutes = s.publicRouteTable()
	s.staffRoutes = s.withDeclarationGate(s.staffRouteTable())
	s.public = s.mount("public", s.publicRoutes)
	s.staff = s.mount("staff", s.staffRoutes)
	return s, nil
}

// Public is the whistleblower site and the public API.
func (s *Server) Public() http.Handler { return s.public }

// Staff is the staff site and the staff API.
func (s *Server) Staff() http.Handler { return s.staff }

func (s *Server) mount(listener string, routes []route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.Handler)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if isAPI(r) {
			writeError(w, http.StatusNotFound, "not_found", "no such route")
			return
		}
		s.pages.notFound(w, r)
	})
	return s.observe(listener, secureHeaders(mux, s.d.HSTS))
}
