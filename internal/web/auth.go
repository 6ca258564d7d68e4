package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/session"
)

// Cookie names. Both are session cookies (no expiry) that logout removes.
const (
	wbCookie    = "varsel_wb"
	staffCookie = "varsel_staff"
)

// bearer returns the token of an Authorization: Bearer header.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

func cookieToken(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setSessionCookie(w http.ResponseWriter, name, token string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: token, Path: "/", HttpOnly: true,
		Secure: s.d.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.d.SecureCookies, SameSite: http.SameSiteStrictMode})
}

// apiWhistleblower authenticates an API request by its bearer token. The
// API takes no cookies, so a browser cannot be tricked into calling it.
func (s *Server) apiWhistleblower(r *http.Request) (*intake.Whistleblower, error) {
	t := bearer(r)
	if t == "" {
		return nil, session.ErrNoSession
	}
	return s.d.Intake.Authenticate(r.Context(), t)
}

func (s *Server) apiStaff(r *http.Request) (*accounts.Staff, error) {
	t := bearer(r)
	if t == "" {
		return nil, session.ErrNoSession
	}
	return s.d.Accounts.Authenticate(r.Context(), t)
}

// csrfToken is the form token tied to a cookie session: an HMAC of the
// session token that only pages rendered for that session carry. It works
// without JavaScript because it travels as a hidden form field.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("varsel/v1 csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validCSRF checks the hidden field of a form posted with a session cookie.
func validCSRF(sessionToken, field string) bool {
	if sessionToken == "" || field == "" {
		return false
	}
	return hmac.Equal([]byte(csrfToken(sessionToken)), []byte(field))
}

// sameOrigin refuses cross-site form posts for forms that have no session
// yet (submission, logins, setup). Browsers send Sec-Fetch-Site and Origin
// on POST; a request with neither (curl, scripts) has no ambient authority
// to abuse and is let through.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}
