package web

import (
	"net/http"
	"strconv"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/privacy"
)

// Records of processing and the registers tied to them (internal/privacy):
// RoPA, processors, DPIAs, risks, access reviews, and the audit log for
// the DPO. Admins and the DPO only; other roles get 403 "forbidden".

func (s *Server) apiActivities(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.Activities(r.Context(), st)
		return map[string]any{"activities": rows}, err
	})
}

func (s *Server) apiActivityCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.ActivityInput
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CreateActivity(r.Context(), st, in)
	})
}

func (s *Server) apiActivity(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Activity(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiActivityUpdate(w http.ResponseWriter, r *http.Request) {
	var in privacy.ActivityInput
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.UpdateActivity(r.Context(), st, r.PathValue("id"), in)
	})
}

// apiRegistersExport answers ?format=json (every register, default) or
// ?format=csv (the records of processing, one row per activity).
func (s *Server) apiRegistersExport(w http.ResponseWriter, r *http.Request) {
	st, err := s.apiStaff(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !privacy.MayUse(st.Role) {
		s.fail(w, r, privacy.ErrForbidden)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = privacy.ExportJSON
	}
	if format != privacy.ExportJSON && format != privacy.ExportCSV && format != privacy.ExportPDF {
		s.fail(w, r, privacy.ErrInvalid)
		return
	}
	if format == privacy.ExportPDF {
		s.registersPDF(w, r, st)
		return
	}
	if format == privacy.ExportJSON {
		out, err := s.privacy().ExportRegisters(r.Context(), st)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		w.Header().Set("Content-Disposition", `attachment; filename="records-of-processing.json"`)
		writeJSON(w, http.StatusOK, out)
		return
	}
	b, err := s.privacy().ExportActivitiesCSV(r.Context(), st)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="records-of-processing.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) apiProcessors(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.Processors(r.Context(), st)
		return map[string]any{"processors": rows, "clauses": privacy.ProcessorClauses}, err
	})
}

func (s *Server) apiProcessorCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.ProcessorInput
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CreateProcessor(r.Context(), st, in)
	})
}

func (s *Server) apiProcessor(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Processor(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiProcessorUpdate(w http.ResponseWriter, r *http.Request) {
	var in privacy.ProcessorInput
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.UpdateProcessor(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiDPIAs(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.DPIAs(r.Context(), st)
		return map[string]any{"dpias": rows}, err
	})
}

func (s *Server) apiDPIACreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.DPIAInput
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CreateDPIA(r.Context(), st, in)
	})
}

func (s *Server) apiDPIA(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.DPIA(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiDPIAUpdate(w http.ResponseWriter, r *http.Request) {
	var in privacy.DPIAInput
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.UpdateDPIA(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiRisks(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		rows, err := p.Risks(r.Context(), st)
		return map[string]any{"risks": rows}, err
	})
}

func (s *Server) apiRiskCreate(w http.ResponseWriter, r *http.Request) {
	var in privacy.RiskInput
	s.privacyAPI(w, r, http.StatusCreated, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.CreateRisk(r.Context(), st, in)
	})
}

func (s *Server) apiRisk(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Risk(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiRiskUpdate(w http.ResponseWriter, r *http.Request) {
	var in privacy.RiskInput
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.UpdateRisk(r.Context(), st, r.PathValue("id"), in)
	})
}

func (s *Server) apiAccessReviews(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.AccessReviews(r.Context(), st)
	})
}

func (s *Server) apiAccessReviewStart(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusCreated, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.StartAccessReview(r.Context(), st)
	})
}

func (s *Server) apiAccessReview(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.AccessReview(r.Context(), st, r.PathValue("id"))
	})
}

func (s *Server) apiAccessReviewAttest(w http.ResponseWriter, r *http.Request) {
	var in privacy.Attestation
	s.privacyAPI(w, r, http.StatusOK, &in, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		return p.Attest(r.Context(), st, r.PathValue("id"), r.PathValue("user"), in)
	})
}

// apiAuditLog pages through the audit log: ?from_seq= (default 1) and
// ?limit= (default 100, at most 1000).
func (s *Server) apiAuditLog(w http.ResponseWriter, r *http.Request) {
	s.privacyAPI(w, r, http.StatusOK, nil, func(p *privacy.Service, st *accounts.Staff) (any, error) {
		q := r.URL.Query()
		var from int64
		var limit int
		var err error
		if v := q.Get("from_seq"); v != "" {
			if from, err = strconv.ParseInt(v, 10, 64); err != nil || from < 0 {
				return nil, privacy.ErrInvalid
			}
		}
		if v := q.Get("limit"); v != "" {
			if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
				return nil, privacy.ErrInvalid
			}
		}
		return p.AuditLog(r.Context(), st, from, limit)
	})
}
