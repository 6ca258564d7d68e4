package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
	"github.com/varsel/varsel/internal/store"
)

// The staff page of a data-subject request's links (admins and the DPO):
// link the request to a case or a person of it, and restrict, lift,
// erase a whole case or remove a pending link, all as plain forms.
// Erasing or rectifying one person needs the case key; the page says so
// and a handler of the case does it (api_dsr.go).

type dsrLinkRow struct {
	Title string
	State string
	Hint  string
	Forms []regFormView
}

type dsrLinksData struct {
	BackURL string
	Intro   string
	Links   []dsrLinkRow
	Link    *regFormView
}

func (s *Server) requestLinksPage(w http.ResponseWriter, r *http.Request) {
	st, token, lang, loc := s.registersGet(w, r)
	if st == nil {
		return
	}
	s.renderRequestLinks(w, r, lang, http.StatusOK, st, token, loc, nil)
}

func (s *Server) renderRequestLinks(w http.ResponseWriter, r *http.Request, lang string, status int, st *accounts.Staff,
	token string, loc *time.Location, in *regInput) {
	q, err := s.privacy().Request(r.Context(), st, r.PathValue("id"))
	if err != nil {
		s.registersFailed(w, r, lang, err, "/registers/requests")
		return
	}
	v := s.staffView(r, lang, token, "staff.dsr.page")
	p := &regPage{s: s, v: v, in: in, loc: loc, lang: lang}
	base := "/registers/requests/" + url.PathEscape(q.ID)
	row := p.requestRow(q)
	v.Title = p.t("staff.dsr.title", row.Title)
	d := dsrLinksData{BackURL: withLang(base, lang), Intro: p.t("staff.dsr.intro")}
	actionable := q.Type == "erasure" || q.Type == "restriction" || q.Type == "rectification"
	if !actionable {
		d.Intro = p.t("staff.dsr.not_actionable")
	}
	for _, l := range q.Links {
		lb := base + "/links/" + url.PathEscape(l.ID)
		title := p.t("staff.dsr.case", strconv.FormatInt(l.CaseNumber, 10))
		if l.Pseudonym != "" {
			title += " · " + l.Pseudonym
		}
		lr := dsrLinkRow{Title: title, State: p.name("staff.dsr.state.", l.State)}
		open, verified := q.Status == privacy.RequestOpen, q.Verification == privacy.Verified
		switch {
		case l.State == store.LinkRestricted:
			informed := p.field("lift-"+l.ID, "requester_informed", "checkbox", "staff.dsr.lift.informed", "", true)
			informed.Optional = ""
			lr.Forms = append(lr.Forms, p.form("lift-"+l.ID, "staff.dsr.lift.title", "staff.dsr.lift.submit", lb+"/lift",
				p.field("lift-"+l.ID, "reason", "textarea", "staff.dsr.reason", "", true), informed))
		case l.State != store.LinkPending || !open:
		case !verified:
			lr.Hint = p.t("staff.dsr.verify_first")
		case q.Type == "restriction":
			lr.Forms = append(lr.Forms, p.form("restrict-"+l.ID, "staff.dsr.restrict.title", "staff.dsr.restrict.submit", lb+"/restrict",
				p.field("restrict-"+l.ID, "note", "textarea", "staff.dsr.note", "staff.dsr.restrict.help", false)))
		case q.Type == "erasure" && l.Scope == "case":
			f := p.form("erase-"+l.ID, "staff.dsr.erase_case.title", "staff.dsr.erase_case.submit", lb+"/erase-case",
				p.field("erase-"+l.ID, "reason", "textarea", "staff.dsr.reason", "", false))
			f.Help, f.Secondary = p.t("staff.dsr.erase_case.help"), true
			lr.Forms = append(lr.Forms, f)
		default:
			lr.Hint = p.t("staff.dsr.by_handler", strconv.FormatInt(l.CaseNumber, 10))
		}
		if l.State == store.LinkPending && open {
			f := p.form("unlink-"+l.ID, "staff.dsr.unlink.title", "staff.dsr.unlink.submit", lb+"/unlink")
			f.Secondary = true
			lr.Forms = append(lr.Forms, f)
		}
		d.Links = append(d.Links, lr)
	}
	if actionable && q.Status == privacy.RequestOpen {
		pseudo := p.field("link", "pseudonym", "text", "staff.dsr.pseudonym", "staff.dsr.pseudonym.help", q.Type == "rectification")
		f := p.form("link", "staff.dsr.link.title", "staff.dsr.link.submit", base+"/links",
			p.field("link", "case_number", "number", "staff.dsr.case_number", "", true), pseudo)
		d.Link = &f
	}
	p.summarize()
	v.Data = d
	s.pages.render(w, r, status, "registers_request_links", v)
}

// linkStep posts one form of the links page.
func (s *Server) linkStep(w http.ResponseWriter, r *http.Request, form string, order []string,
	call func(p *privacy.Service, st *accounts.Staff, lang string, in *regInput) error) {
	st, token, lang, loc := s.registersPost(w, r)
	if st == nil {
		return
	}
	in := newInput(form, r.PostForm, order...)
	err := call(s.privacy(), st, lang, in)
	if err == nil && len(in.Errors) > 0 {
		s.renderRequestLinks(w, r, lang, http.StatusUnprocessableEntity, st, token, loc, in)
		return
	}
	if err != nil {
		if status, ok := s.formError(lang, err, in); ok {
			s.renderRequestLinks(w, r, lang, status, st, token, loc, in)
			return
		}
		s.registersFailed(w, r, lang, err, "/registers/requests")
		return
	}
	http.Redirect(w, r, withLang("/registers/requests/"+url.PathEscape(r.PathValue("id"))+"/links", lang), http.StatusSeeOther)
}

func (s *Server) requestLinkSubmit(w http.ResponseWriter, r *http.Request) {
	s.linkStep(w, r, "link", []string{"case_number", "pseudonym"}, func(p *privacy.Service, st *accounts.Staff, lang string, in *regInput) error {
		n, err := strconv.ParseInt(strings.TrimSpace(in.Values.Get("case_number")), 10, 64)
		if err != nil || n < 1 {
			in.fail("case_number", s.d.Catalog.T(lang, "staff.registers.error.field.case_number"))
			return nil
		}
		_, err = p.LinkRequest(r.Context(), st, r.PathValue("id"), privacy.LinkInput{CaseNumber: n, Pseudonym: in.Values.Get("pseudonym")})
		return err
	})
}

func (s *Server) requestLinkRestrictSubmit(w http.ResponseWriter, r *http.Request) {
	lid := r.PathValue("lid")
	s.linkStep(w, r, "restrict-"+lid, []string{"note"}, func(p *privacy.Service, st *accounts.Staff, _ string, in *regInput) error {
		_, err := p.RestrictLink(r.Context(), st, r.PathValue("id"), lid, privacy.Restriction{Note: in.Values.Get("note")})
		return err
	})
}

func (s *Server) requestLinkLiftSubmit(w http.ResponseWriter, r *http.Request) {
	lid := r.PathValue("lid")
	s.linkStep(w, r, "lift-"+lid, []string{"reason", "requester_informed"}, func(p *privacy.Service, st *accounts.Staff, _ string, in *regInput) error {
		_, err := p.LiftRestriction(r.Context(), st, r.PathValue("id"), lid,
			privacy.Lift{Reason: in.Values.Get("reason"), RequesterInformed: in.Values.Get("requester_informed") != ""})
		return err
	})
}

func (s *Server) requestLinkEraseCaseSubmit(w http.ResponseWriter, r *http.Request) {
	lid := r.PathValue("lid")
	s.linkStep(w, r, "erase-"+lid, []string{"reason"}, func(p *privacy.Service, st *accounts.Staff, _ string, in *regInput) error {
		_, blobs, err := p.EraseCase(r.Context(), st, r.PathValue("id"), lid, privacy.CaseErasure{Reason: in.Values.Get("reason")})
		if err == nil {
			s.d.Cases.DropBlobs(r.Context(), blobs)
		}
		return err
	})
}

func (s *Server) requestUnlinkSubmit(w http.ResponseWriter, r *http.Request) {
	lid := r.PathValue("lid")
	s.linkStep(w, r, "unlink-"+lid, nil, func(p *privacy.Service, st *accounts.Staff, _ string, _ *regInput) error {
		return p.UnlinkRequest(r.Context(), st, r.PathValue("id"), lid)
	})
}
