package privacy

// DPIA records (GDPR art. 35; compliance id RK-1) and the risk register
// (art. 32(2); RK-2). A DPIA is linked to a record of processing and holds
// the art. 35(7)(a)–(d) content and the DPO's advice (art. 35(2)), sealed
// under K_reg, with a review date in clear (art. 35(11)). A record marked
// high risk without a DPIA is flagged in the records of processing. Risk
// items carry likelihood and impact (1–5 each) in clear; their score is
// the product.

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// DPIARecord is the sealed content of a DPIA.
type DPIARecord struct {
	Description string `json:"description"` // 35(7)(a) the processing operations and purposes
	Necessity   string `json:"necessity"`   // 35(7)(b) necessity and proportionality in relation to the purposes
	Risks       string `json:"risks"`       // 35(7)(c) the risks to the rights and freedoms of data subjects
	Measures    string `json:"measures"`    // 35(7)(d) the measures envisaged to address the risks
	DPOAdvice   string `json:"dpo_advice"`  // 35(2) the advice of the data protection officer
	Decision    string `json:"decision,omitempty"`
	SubjectView string `json:"subjects_views,omitempty"` // 35(9) views of data subjects, where sought
}

func (r *DPIARecord) trim() {
	for _, p := range []*string{&r.Description, &r.Necessity, &r.Risks, &r.Measures, &r.DPOAdvice, &r.Decision, &r.SubjectView} {
		*p = clean(*p)
	}
}

func (r DPIARecord) texts() map[string]string {
	return map[string]string{"description": r.Description, "necessity": r.Necessity, "risks": r.Risks, "measures": r.Measures,
		"dpo_advice": r.DPOAdvice, "decision": r.Decision, "subjects_views": r.SubjectView}
}

// MissingForDPIA names the art. 35(7) and 35(2) fields r lacks.
func MissingForDPIA(r DPIARecord) []string {
	var out []string
	for _, f := range []struct{ name, v string }{{"description", r.Description}, {"necessity", r.Necessity},
		{"risks", r.Risks}, {"measures", r.Measures}, {"dpo_advice", r.DPOAdvice}} {
		if f.v == "" {
			out = append(out, f.name)
		}
	}
	return out
}

// DPIAInput creates or replaces a DPIA.
type DPIAInput struct {
	DPIARecord
	ActivityID  string    `json:"activity_id"`
	DPOAdviceAt time.Time `json:"dpo_advice_at,omitempty"` // default: now
	ReviewAt    time.Time `json:"review_at"`               // required
	OwnerID     string    `json:"owner_id,omitempty"`
}

// DPIAView is a DPIA as shown to admins and the DPO.
type DPIAView struct {
	ID            string      `json:"id"`
	ActivityID    string      `json:"activity_id"`
	DPOAdviceAt   *time.Time  `json:"dpo_advice_at"`
	OwnerID       string      `json:"owner_id"`
	ReviewAt      *time.Time  `json:"review_at"`
	ReviewOverdue bool        `json:"review_overdue"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Record        *DPIARecord `json:"record,omitempty"`
	Entries       []EntryView `json:"entries,omitempty"`
}

func dpiaView(it store.RegisterItem, now time.Time) DPIAView {
	return DPIAView{ID: it.ID, ActivityID: it.ActivityID, DPOAdviceAt: optTime(it.DPOAdviceAt), OwnerID: it.OwnerID,
		ReviewAt: optTime(it.ReviewAt), ReviewOverdue: reviewOverdue(it.ReviewAt, now), CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func (s *Service) checkActivityLink(ctx context.Context, id string, required bool) error {
	if id == "" {
		if required {
			return ErrActivityRequired.with("activity_id")
		}
		return nil
	}
	if _, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterActivity, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ErrActivityRequired.with("activity_id")
		}
		return err
	}
	return nil
}

func (s *Service) checkDPIA(ctx context.Context, in *DPIAInput, now time.Time) error {
	in.trim()
	bad := MissingForDPIA(in.DPIARecord)
	if in.ReviewAt.IsZero() {
		bad = append(bad, "review_at")
	}
	if in.DPOAdviceAt.After(now) {
		bad = append(bad, "dpo_advice_at")
	}
	if len(bad) > 0 {
		return ErrInvalid.with(bad...)
	}
	if in.DPOAdviceAt.IsZero() {
		in.DPOAdviceAt = now
	}
	if err := checkText(in.texts()); err != nil {
		return err
	}
	return s.checkActivityLink(ctx, clean(in.ActivityID), true)
}

// CreateDPIA records a DPIA for an activity (RK-1).
func (s *Service) CreateDPIA(ctx context.Context, st *accounts.Staff, in DPIAInput) (DPIAView, error) {
	if err := s.authorize(st); err != nil {
		return DPIAView{}, err
	}
	now := s.now()
	if err := s.checkDPIA(ctx, &in, now); err != nil {
		return DPIAView{}, err
	}
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return DPIAView{}, err
	}
	it := store.RegisterItem{TenantID: s.tenant, Register: store.RegisterDPIA, ID: store.NewID(), ActivityID: clean(in.ActivityID),
		DPOAdviceAt: in.DPOAdviceAt.UTC(), OwnerID: owner, ReviewAt: review, EntrySeq: 1,
		CreatedBy: st.UserID, CreatedAt: now, UpdatedBy: st.UserID, UpdatedAt: now}
	if err := s.createItem(ctx, st, it, in.DPIARecord, now, nil); err != nil {
		return DPIAView{}, err
	}
	v := dpiaView(it, now)
	rec := in.DPIARecord
	v.Record = &rec
	return v, nil
}

// UpdateDPIA replaces a DPIA (a review, art. 35(11)).
func (s *Service) UpdateDPIA(ctx context.Context, st *accounts.Staff, id string, in DPIAInput) (DPIAView, error) {
	if err := s.authorize(st); err != nil {
		return DPIAView{}, err
	}
	now := s.now()
	if err := s.checkDPIA(ctx, &in, now); err != nil {
		return DPIAView{}, err
	}
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return DPIAView{}, err
	}
	_, err = s.updateItem(ctx, st, store.RegisterDPIA, id, in.DPIARecord, now, func(cur store.RegisterItem) (store.RegisterItem, error) {
		cur.ActivityID, cur.DPOAdviceAt, cur.OwnerID, cur.ReviewAt = clean(in.ActivityID), in.DPOAdviceAt.UTC(), owner, review
		return cur, nil
	})
	if err != nil {
		return DPIAView{}, err
	}
	return s.DPIA(ctx, st, id)
}

// DPIAs lists the DPIAs with their content, those due for review first.
func (s *Service) DPIAs(ctx context.Context, st *accounts.Staff) ([]DPIAView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, store.RegisterDPIA); err != nil {
		return nil, err
	}
	return s.dpias(ctx, st)
}

func (s *Service) dpias(ctx context.Context, st *accounts.Staff) ([]DPIAView, error) {
	now := s.now()
	out, err := openItems(ctx, s, st, store.RegisterDPIA,
		func(it store.RegisterItem) DPIAView { return dpiaView(it, now) },
		func(v *DPIAView, rec *DPIARecord) { v.Record = rec })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b DPIAView) int { return boolFirst(a.ReviewOverdue, b.ReviewOverdue) })
	return out, nil
}

func boolFirst(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

// DPIA opens one DPIA with its history.
func (s *Service) DPIA(ctx context.Context, st *accounts.Staff, id string) (DPIAView, error) {
	if err := s.authorize(st); err != nil {
		return DPIAView{}, err
	}
	it, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterDPIA, id)
	if err != nil {
		return DPIAView{}, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectDPIA, id); err != nil {
		return DPIAView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return DPIAView{}, err
	}
	v := dpiaView(it, s.now())
	var rec DPIARecord
	v.Entries, err = s.latest(ctx, k, it, &rec, true, func() any { return &DPIARecord{} })
	if err != nil {
		return DPIAView{}, err
	}
	v.Record = &rec
	return v, nil
}

// --- risk register (RK-2) ---

// Risk levels of a score.
const (
	RiskLevelLow      = "low"      // 1–4
	RiskLevelMedium   = "medium"   // 5–9
	RiskLevelHigh     = "high"     // 10–16
	RiskLevelCritical = "critical" // 20–25
)

// RiskScore is likelihood × impact, each on a 1 to 5 scale; ok is false
// when either is out of range.
func RiskScore(likelihood, impact int) (score int, ok bool) {
	if likelihood < 1 || likelihood > 5 || impact < 1 || impact > 5 {
		return 0, false
	}
	return likelihood * impact, true
}

// RiskLevelFor classifies a score of RiskScore.
func RiskLevelFor(score int) string {
	switch {
	case score <= 4:
		return RiskLevelLow
	case score <= 9:
		return RiskLevelMedium
	case score <= 16:
		return RiskLevelHigh
	}
	return RiskLevelCritical
}

// RiskRecord is the sealed content of a risk item.
type RiskRecord struct {
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Treatment   string `json:"treatment,omitempty"` // measures taken or planned
}

func (r *RiskRecord) trim() {
	for _, p := range []*string{&r.Title, &r.Description, &r.Treatment} {
		*p = clean(*p)
	}
}

// RiskInput creates or replaces a risk item.
type RiskInput struct {
	RiskRecord
	ActivityID string    `json:"activity_id,omitempty"`
	Likelihood int       `json:"likelihood"`
	Impact     int       `json:"impact"`
	OwnerID    string    `json:"owner_id,omitempty"`
	ReviewAt   time.Time `json:"review_at,omitempty"`
}

// RiskView is a risk item as shown to admins and the DPO.
type RiskView struct {
	ID            string      `json:"id"`
	ActivityID    string      `json:"activity_id"`
	Likelihood    int         `json:"likelihood"`
	Impact        int         `json:"impact"`
	Score         int         `json:"score"`
	Level         string      `json:"level"`
	OwnerID       string      `json:"owner_id"`
	ReviewAt      *time.Time  `json:"review_at"`
	ReviewOverdue bool        `json:"review_overdue"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Record        *RiskRecord `json:"record,omitempty"`
	Entries       []EntryView `json:"entries,omitempty"`
}

func riskView(it store.RegisterItem, now time.Time) RiskView {
	score, _ := RiskScore(it.Likelihood, it.Impact)
	return RiskView{ID: it.ID, ActivityID: it.ActivityID, Likelihood: it.Likelihood, Impact: it.Impact, Score: score,
		Level: RiskLevelFor(score), OwnerID: it.OwnerID, ReviewAt: optTime(it.ReviewAt), ReviewOverdue: reviewOverdue(it.ReviewAt, now),
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func (s *Service) checkRisk(ctx context.Context, in *RiskInput) error {
	in.trim()
	var bad []string
	if in.Title == "" {
		bad = append(bad, "title")
	}
	if in.Likelihood < 1 || in.Likelihood > 5 {
		bad = append(bad, "likelihood")
	}
	if in.Impact < 1 || in.Impact > 5 {
		bad = append(bad, "impact")
	}
	if len(bad) > 0 {
		return ErrInvalid.with(bad...)
	}
	if err := checkText(map[string]string{"title": in.Title, "description": in.Description, "treatment": in.Treatment}); err != nil {
		return err
	}
	in.ActivityID = clean(in.ActivityID)
	return s.checkActivityLink(ctx, in.ActivityID, false)
}

// CreateRisk adds a risk item.
func (s *Service) CreateRisk(ctx context.Context, st *accounts.Staff, in RiskInput) (RiskView, error) {
	if err := s.authorize(st); err != nil {
		return RiskView{}, err
	}
	if err := s.checkRisk(ctx, &in); err != nil {
		return RiskView{}, err
	}
	now := s.now()
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return RiskView{}, err
	}
	it := store.RegisterItem{TenantID: s.tenant, Register: store.RegisterRisk, ID: store.NewID(), ActivityID: in.ActivityID,
		Likelihood: in.Likelihood, Impact: in.Impact, OwnerID: owner, ReviewAt: review, EntrySeq: 1,
		CreatedBy: st.UserID, CreatedAt: now, UpdatedBy: st.UserID, UpdatedAt: now}
	if err := s.createItem(ctx, st, it, in.RiskRecord, now, nil); err != nil {
		return RiskView{}, err
	}
	v := riskView(it, now)
	rec := in.RiskRecord
	v.Record = &rec
	return v, nil
}

// UpdateRisk replaces a risk item (a reassessment).
func (s *Service) UpdateRisk(ctx context.Context, st *accounts.Staff, id string, in RiskInput) (RiskView, error) {
	if err := s.authorize(st); err != nil {
		return RiskView{}, err
	}
	if err := s.checkRisk(ctx, &in); err != nil {
		return RiskView{}, err
	}
	now := s.now()
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return RiskView{}, err
	}
	_, err = s.updateItem(ctx, st, store.RegisterRisk, id, in.RiskRecord, now, func(cur store.RegisterItem) (store.RegisterItem, error) {
		cur.ActivityID, cur.Likelihood, cur.Impact, cur.OwnerID, cur.ReviewAt = in.ActivityID, in.Likelihood, in.Impact, owner, review
		return cur, nil
	})
	if err != nil {
		return RiskView{}, err
	}
	return s.Risk(ctx, st, id)
}

// Risks lists the risk register with its content, highest score first.
func (s *Service) Risks(ctx context.Context, st *accounts.Staff) ([]RiskView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, store.RegisterRisk); err != nil {
		return nil, err
	}
	return s.risks(ctx, st)
}

func (s *Service) risks(ctx context.Context, st *accounts.Staff) ([]RiskView, error) {
	now := s.now()
	out, err := openItems(ctx, s, st, store.RegisterRisk,
		func(it store.RegisterItem) RiskView { return riskView(it, now) },
		func(v *RiskView, rec *RiskRecord) { v.Record = rec })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b RiskView) int { return b.Score - a.Score })
	return out, nil
}

// Risk opens one risk item with its history.
func (s *Service) Risk(ctx context.Context, st *accounts.Staff, id string) (RiskView, error) {
	if err := s.authorize(st); err != nil {
		return RiskView{}, err
	}
	it, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterRisk, id)
	if err != nil {
		return RiskView{}, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectRisk, id); err != nil {
		return RiskView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return RiskView{}, err
	}
	v := riskView(it, s.now())
	var rec RiskRecord
	v.Entries, err = s.latest(ctx, k, it, &rec, true, func() any { return &RiskRecord{} })
	if err != nil {
		return RiskView{}, err
	}
	v.Record = &rec
	return v, nil
}
