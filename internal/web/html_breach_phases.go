package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// The breach response plan on the breach page: one panel per phase with
// its checklist, who ticked what and when, and the forms that start and
// complete the phase, tick an item and add one. Every form posts to its
// own route and comes back to the breach page.

type regPhaseItem struct {
	Label, State, ByAt, Note string
	Settled                  bool
	Form                     *regFormView
}

type regPhaseView struct {
	ID, Title, Status string
	Open              int
	Items             []regPhaseItem
	Start             *regFormView
	Complete          *regFormView
	Add               *regFormView
}

var phaseItemStates = []string{privacy.ItemDone, privacy.ItemNotApplicable, privacy.ItemOpen}

// phaseViews builds the phase panels of an open or closed breach.
func (p *regPage) phaseViews(b privacy.BreachView, emails map[string]string) []regPhaseView {
	base := "/registers/breaches/" + url.PathEscape(b.ID) + "/phases/"
	open := b.Status == privacy.BreachOpen
	var out []regPhaseView
	for _, ph := range b.Phases {
		v := regPhaseView{ID: "phase-" + ph.Phase, Title: p.name("staff.registers.phase.", ph.Phase), Open: ph.Open}
		switch {
		case ph.CompletedAt != nil:
			v.Status = p.t("staff.registers.phase.completed", p.when(*ph.CompletedAt), emails[ph.CompletedBy])
		case ph.StartedAt != nil:
			v.Status = p.t("staff.registers.phase.started", p.when(*ph.StartedAt), emails[ph.StartedBy])
		default:
			v.Status = p.t("staff.registers.phase.not_started")
		}
		editable := open && ph.CompletedAt == nil
		for _, it := range ph.Items {
			row := regPhaseItem{Label: it.Label, State: p.name("staff.registers.phase.state.", it.State), Note: it.Note,
				Settled: it.State != privacy.ItemOpen}
			if !it.Custom {
				row.Label = p.name("staff.registers.phase.item.", it.ID)
			}
			if it.At != nil {
				row.ByAt = p.t("staff.registers.phase.by_at", emails[it.By], p.when(*it.At))
			}
			if editable {
				form := "item-" + ph.Phase + "-" + it.ID
				state := p.sel(form, "state", "staff.registers.phase.state", "staff.registers.phase.state.", phaseItemStates, true)
				f := p.form(form, "staff.registers.phase.item.title", "staff.registers.phase.item.submit", base+ph.Phase+"/items/"+url.PathEscape(it.ID),
					state, p.field(form, "note", "text", "staff.registers.phase.note", "staff.registers.phase.note.help", false))
				f.Title, f.Secondary = row.Label, true
				row.Form = &f
			}
			v.Items = append(v.Items, row)
		}
		if editable {
			if ph.StartedAt == nil {
				f := p.form("start-"+ph.Phase, "staff.registers.phase.start.title", "staff.registers.phase.start.submit", base+ph.Phase+"/start",
					p.field("start-"+ph.Phase, "note", "text", "staff.registers.note", "", false))
				f.Secondary = true
				v.Start = &f
			}
			add := p.form("add-"+ph.Phase, "staff.registers.phase.add.title", "staff.registers.phase.add.submit", base+ph.Phase+"/items",
				p.field("add-"+ph.Phase, "text", "text", "staff.registers.phase.add.text", "", true))
			add.Secondary = true
			v.Add = &add
			complete := p.form("complete-"+ph.Phase, "staff.registers.phase.complete.title", "staff.registers.phase.complete.submit",
				base+ph.Phase+"/complete", p.field("complete-"+ph.Phase, "note", "text", "staff.registers.note", "", false))
			complete.Help = p.t("staff.registers.phase.complete.help")
			v.Complete = &complete
		}
		out = append(out, v)
	}
	return out
}

func (s *Server) breachPhaseStartSubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "start-"+r.PathValue("phase"), []string{"note"},
		func(p *privacy.Service, st *accounts.Staff, _ string, _ *time.Location, in *regInput) error {
			_, err := p.StartPhase(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), privacy.PhaseNote{Note: in.Values.Get("note")})
			return err
		})
}

func (s *Server) breachPhaseCompleteSubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "complete-"+r.PathValue("phase"), []string{"note"},
		func(p *privacy.Service, st *accounts.Staff, _ string, _ *time.Location, in *regInput) error {
			_, err := p.CompletePhase(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), privacy.PhaseNote{Note: in.Values.Get("note")})
			return err
		})
}

func (s *Server) breachPhaseItemAddSubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "add-"+r.PathValue("phase"), []string{"text"},
		func(p *privacy.Service, st *accounts.Staff, _ string, _ *time.Location, in *regInput) error {
			_, err := p.AddPhaseItem(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), privacy.PhaseItemNew{Text: in.Values.Get("text")})
			return err
		})
}

func (s *Server) breachPhaseItemSubmit(w http.ResponseWriter, r *http.Request) {
	s.breachStep(w, r, "item-"+r.PathValue("phase")+"-"+r.PathValue("item"), []string{"state", "note"},
		func(p *privacy.Service, st *accounts.Staff, _ string, _ *time.Location, in *regInput) error {
			_, err := p.SetPhaseItem(r.Context(), st, r.PathValue("id"), r.PathValue("phase"), r.PathValue("item"),
				privacy.PhaseItemChange{State: in.Values.Get("state"), Note: in.Values.Get("note")})
			return err
		})
}

// staffEmails maps the tenant's user ids to e-mail addresses, to say who
// ticked an item or completed a phase.
func (s *Server) staffEmails(r *http.Request, tenant string) (map[string]string, error) {
	users, err := s.d.DB.Users(r.Context(), tenant)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(users))
	for _, u := range users {
		out[u.ID] = u.Email
	}
	return out, nil
}
