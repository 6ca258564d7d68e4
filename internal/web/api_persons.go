package web

import (
	"net/http"
	"strconv"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/cases"
)

// Persons concerned by a case (CA-4) and their GDPR art. 14 notification
// (DN-1, DN-2); the yearly statistics (ST-1). Lists carry pseudonyms only;
// a person's sealed details come only from GET …/persons/{pid}.

func (s *Server) apiPersons(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		ps, err := s.d.Cases.Persons(r.Context(), st, r.PathValue("id"))
		return map[string]any{"persons": ps}, err
	})
}

type personBody struct {
	Role      *string   `json:"role"`
	Name      *string   `json:"name"`
	Aliases   *[]string `json:"aliases"`
	Relatives *[]string `json:"relatives"`
	Contact   *string   `json:"contact"`
	Notes     *string   `json:"notes"`
}

func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func (s *Server) apiPersonCreate(w http.ResponseWriter, r *http.Request) {
	var in personBody
	s.staffAPI(w, r, http.StatusCreated, &in, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.AddPerson(r.Context(), st, r.PathValue("id"), deref(in.Role), cases.PersonDetails{
			Name: deref(in.Name), Aliases: deref(in.Aliases), Relatives: deref(in.Relatives),
			Contact: deref(in.Contact), Notes: deref(in.Notes)})
	})
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.Person(r.Context(), st, r.PathValue("id"), r.PathValue("pid"))
	})
}

func (s *Server) apiPersonUpdate(w http.ResponseWriter, r *http.Request) {
	var in personBody
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.UpdatePerson(r.Context(), st, r.PathValue("id"), r.PathValue("pid"), cases.PersonPatch{
			Role: in.Role, Name: in.Name, Aliases: in.Aliases, Relatives: in.Relatives, Contact: in.Contact, Notes: in.Notes})
	})
}

func (s *Server) apiPersonDelete(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusNoContent, nil, func(st *accounts.Staff) (any, error) {
		return nil, s.d.Cases.RemovePerson(r.Context(), st, r.PathValue("id"), r.PathValue("pid"))
	})
}

func (s *Server) apiPersonNotified(w http.ResponseWriter, r *http.Request) {
	var in struct {
		On     string `json:"on"`
		Method string `json:"method"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.MarkNotified(r.Context(), st, r.PathValue("id"), r.PathValue("pid"), in.On, in.Method)
	})
}

func (s *Server) apiPersonDefer(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Reason     string `json:"reason"`
		LegalBasis string `json:"legal_basis"`
		ReviewOn   string `json:"review_on"`
	}
	s.staffAPI(w, r, http.StatusOK, &in, func(st *accounts.Staff) (any, error) {
		return s.d.Cases.DeferNotification(r.Context(), st, r.PathValue("id"), r.PathValue("pid"),
			cases.Deferral{Reason: in.Reason, LegalBasis: in.LegalBasis, ReviewOn: in.ReviewOn})
	})
}

func (s *Server) apiDueNotifications(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		rows, err := s.d.Cases.DueNotifications(r.Context(), st)
		return map[string]any{"notifications": rows}, err
	})
}

func (s *Server) apiStatistics(w http.ResponseWriter, r *http.Request) {
	s.staffAPI(w, r, http.StatusOK, nil, func(st *accounts.Staff) (any, error) {
		year := 0
		if y := r.URL.Query().Get("year"); y != "" {
			n, err := strconv.Atoi(y)
			if err != nil {
				return nil, cases.ErrInvalidYear
			}
			year = n
		}
		return s.d.Cases.Statistics(r.Context(), st, year)
	})
}
