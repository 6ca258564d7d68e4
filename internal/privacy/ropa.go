package privacy

// Records of processing activities (GDPR art. 30(1); compliance id RP-1)
// and the processor register (arts. 28(3), 30(2); RP-2). Each activity
// holds exactly the art. 30(1)(a)–(g) content plus its legal basis, sealed
// under K_reg; the high-risk flag, owner and next review date are in
// clear. A new installation starts with one filled-in activity for its
// whistleblowing scheme, derived from its channels and retention policies.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
)

// Errors of the registers tied to the records of processing.
var (
	ErrActivityRequired = &Error{Kind: KindInvalid, Code: "activity_required", Msg: "link the entry to an existing record of processing"}
	ErrReviewOpen       = &Error{Kind: KindConflict, Code: "review_open", Msg: "an access review is already open; complete it first"}
	ErrAlreadyAttested  = &Error{Kind: KindConflict, Code: "already_attested", Msg: "this line is already attested, or the review is completed"}
	ErrSelfRevocation   = &Error{Kind: KindConflict, Code: "self_revocation", Msg: "you cannot revoke your own role or disable yourself in a review"}
	ErrLastAdmin        = &Error{Kind: KindConflict, Code: "last_admin", Msg: "this would leave no enabled admin"}
	ErrNothingToRevoke  = &Error{Kind: KindInvalid, Code: "nothing_to_revoke", Msg: "the user holds no role above handler"}
)

// DefaultReviewInterval is when an entry is next reviewed if no date is
// given: each of these controls is repeated at least yearly.
const DefaultReviewInterval = 1 // years

const maxItems = 1000

func objectOf(register string) string {
	switch register {
	case store.RegisterDSR:
		return audit.ObjectDataSubjectRequest
	case store.RegisterActivity:
		return audit.ObjectActivity
	case store.RegisterProcessor:
		return audit.ObjectProcessor
	case store.RegisterDPIA:
		return audit.ObjectDPIA
	case store.RegisterRisk:
		return audit.ObjectRisk
	}
	return audit.ObjectBreach
}

// ActivityRecord is a record of a processing activity: exactly the fields
// of GDPR art. 30(1)(a)–(g) plus the legal basis. Every field is required;
// where a field does not apply (no joint controller, no transfer) the
// record says so in words ("none"), which is what art. 30 asks for.
type ActivityRecord struct {
	// (a) name and contact details of the controller, any joint
	// controller, the controller's representative and the DPO.
	Controller      string `json:"controller"`
	JointController string `json:"joint_controller"`
	Representative  string `json:"representative"`
	DPO             string `json:"dpo"`
	// (b) the purposes of the processing.
	Purposes string `json:"purposes"`
	// (c) categories of data subjects and of personal data.
	DataSubjectCategories  string `json:"data_subject_categories"`
	PersonalDataCategories string `json:"personal_data_categories"`
	// (d) categories of recipients, including recipients in third
	// countries or international organisations.
	RecipientCategories string `json:"recipient_categories"`
	// (e) transfers to a third country or international organisation, and
	// for art. 49(1) second-subparagraph transfers the safeguards.
	ThirdCountryTransfers string `json:"third_country_transfers"`
	TransferSafeguards    string `json:"transfer_safeguards"`
	// (f) envisaged time limits for erasure of the categories of data.
	ErasureTimeLimits string `json:"erasure_time_limits"`
	// (g) general description of the art. 32(1) security measures.
	SecurityMeasures string `json:"security_measures"`
	// Legal basis: art. 6(1), the art. 9(2) condition for special
	// categories (or why none applies) and the national basis.
	LegalBasisArt6     string `json:"legal_basis_art6"`
	LegalBasisArt9     string `json:"legal_basis_art9"`
	LegalBasisNational string `json:"legal_basis_national"`
}

// ActivityFields names the fields of ActivityRecord in order (JSON names).
func ActivityFields() []string {
	t := reflect.TypeFor[ActivityRecord]()
	out := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}

// fieldPtrs returns the record's fields by JSON name.
func (r *ActivityRecord) fieldPtrs() ([]string, []*string) {
	names := ActivityFields()
	v := reflect.ValueOf(r).Elem()
	ptrs := make([]*string, v.NumField())
	for i := range ptrs {
		ptrs[i] = v.Field(i).Addr().Interface().(*string)
	}
	return names, ptrs
}

// Missing names the required fields that r lacks.
func (r ActivityRecord) Missing() []string {
	names, ptrs := r.fieldPtrs()
	var out []string
	for i, p := range ptrs {
		if strings.TrimSpace(*p) == "" {
			out = append(out, names[i])
		}
	}
	return out
}

func (r *ActivityRecord) trim() {
	_, ptrs := r.fieldPtrs()
	for _, p := range ptrs {
		*p = clean(*p)
	}
}

func (r ActivityRecord) texts() map[string]string {
	names, ptrs := r.fieldPtrs()
	m := make(map[string]string, len(names))
	for i, p := range ptrs {
		m[names[i]] = *p
	}
	return m
}

// ActivityInput creates or replaces an activity.
type ActivityInput struct {
	ActivityRecord
	// HighRisk marks processing likely to result in a high risk (art.
	// 35(1)): it needs a DPIA.
	HighRisk bool      `json:"high_risk"`
	OwnerID  string    `json:"owner_id,omitempty"`  // default: the author
	ReviewAt time.Time `json:"review_at,omitempty"` // default: one year on
}

// ActivityView is an activity as shown to admins and the DPO.
type ActivityView struct {
	ID            string          `json:"id"`
	HighRisk      bool            `json:"high_risk"`
	DPIAs         []string        `json:"dpias"`
	DPIAMissing   bool            `json:"dpia_missing"` // high risk and no DPIA linked (RK-1)
	Processors    []string        `json:"processors"`
	OwnerID       string          `json:"owner_id"`
	ReviewAt      *time.Time      `json:"review_at"`
	ReviewOverdue bool            `json:"review_overdue"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
	Record        *ActivityRecord `json:"record,omitempty"`
	Entries       []EntryView     `json:"entries,omitempty"`
}

// --- items: shared by activities, processors, DPIAs and risks ---

// itemMeta checks the owner and fills in the defaults of owner and review date.
func (s *Service) itemMeta(ctx context.Context, st *accounts.Staff, owner string, review time.Time, now time.Time) (string, time.Time, error) {
	owner = clean(owner)
	if owner == "" {
		owner = st.UserID
	} else if u, err := s.db.UserByID(ctx, s.tenant, owner); err != nil || !u.DisabledAt.IsZero() {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", time.Time{}, err
		}
		return "", time.Time{}, ErrInvalid.with("owner_id")
	}
	if review.IsZero() {
		review = now.AddDate(DefaultReviewInterval, 0, 0)
	}
	return owner, review.UTC(), nil
}

// createItem inserts it and its first sealed entry in one transaction.
func (s *Service) createItem(ctx context.Context, st *accounts.Staff, it store.RegisterItem, body any, now time.Time,
	inTx func(tx *store.Tx) error) error {
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return err
	}
	return s.db.InTx(ctx, func(tx *store.Tx) error {
		if inTx != nil {
			if err := inTx(tx); err != nil {
				return err
			}
		}
		if err := tx.InsertRegisterItem(ctx, it); err != nil {
			return err
		}
		return s.record(ctx, tx, st, k, it.Register, it.ID, 1, "record", body, now)
	})
}

// updateItem replaces an item's sealed content and clear state: apply
// gets the locked row and returns the new one.
func (s *Service) updateItem(ctx context.Context, st *accounts.Staff, register, id string, body any, now time.Time,
	apply func(cur store.RegisterItem) (store.RegisterItem, error)) (store.RegisterItem, error) {
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return store.RegisterItem{}, err
	}
	var out store.RegisterItem
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		cur, err := tx.LockRegisterItem(ctx, s.tenant, register, id)
		if err != nil {
			return notFound(err)
		}
		next, err := apply(cur)
		if err != nil {
			return err
		}
		next.UpdatedBy, next.UpdatedAt = st.UserID, now
		if err := tx.SaveRegisterItem(ctx, next); err != nil {
			return err
		}
		out = next
		return s.record(ctx, tx, st, k, register, id, cur.EntrySeq, "update", body, now)
	})
	return out, err
}

// latest opens the newest sealed entry of an item into v and returns the
// item's history when withHistory is set.
func (s *Service) latest(ctx context.Context, k keys.Key, it store.RegisterItem, v any, withHistory bool,
	newBody func() any) ([]EntryView, error) {
	entries, err := s.db.RegisterEntries(ctx, s.tenant, it.Register, it.ID)
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("privacy: %s %s has no entries", it.Register, it.ID)
	}
	if err := s.open(k, entries[len(entries)-1], v); err != nil {
		return nil, err
	}
	if !withHistory {
		return nil, nil
	}
	out := make([]EntryView, 0, len(entries))
	for _, e := range entries {
		b := newBody()
		if err := s.open(k, e, b); err != nil {
			return nil, err
		}
		out = append(out, EntryView{ID: e.ID, Seq: e.Seq, Kind: e.Kind, AuthorID: e.AuthorID, CreatedAt: e.CreatedAt, Body: b})
	}
	return out, nil
}

func reviewOverdue(at, now time.Time) bool { return !at.IsZero() && !now.Before(at) }

// --- activities ---

func (s *Service) checkActivity(in *ActivityInput) error {
	in.trim()
	if missing := in.Missing(); len(missing) > 0 {
		return ErrInvalid.with(missing...)
	}
	return checkText(in.texts())
}

// CreateActivity adds a record of processing (RP-1).
func (s *Service) CreateActivity(ctx context.Context, st *accounts.Staff, in ActivityInput) (ActivityView, error) {
	if err := s.authorize(st); err != nil {
		return ActivityView{}, err
	}
	if err := s.checkActivity(&in); err != nil {
		return ActivityView{}, err
	}
	now := s.now()
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return ActivityView{}, err
	}
	it := store.RegisterItem{TenantID: s.tenant, Register: store.RegisterActivity, ID: store.NewID(), HighRisk: in.HighRisk,
		OwnerID: owner, ReviewAt: review, EntrySeq: 1, CreatedBy: st.UserID, CreatedAt: now, UpdatedBy: st.UserID, UpdatedAt: now}
	if err := s.createItem(ctx, st, it, in.ActivityRecord, now, nil); err != nil {
		return ActivityView{}, err
	}
	v := s.activityView(it, nil, nil, now)
	rec := in.ActivityRecord
	v.Record = &rec
	return v, nil
}

// UpdateActivity replaces an activity's record, flag, owner and review date.
func (s *Service) UpdateActivity(ctx context.Context, st *accounts.Staff, id string, in ActivityInput) (ActivityView, error) {
	if err := s.authorize(st); err != nil {
		return ActivityView{}, err
	}
	if err := s.checkActivity(&in); err != nil {
		return ActivityView{}, err
	}
	now := s.now()
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return ActivityView{}, err
	}
	it, err := s.updateItem(ctx, st, store.RegisterActivity, id, in.ActivityRecord, now, func(cur store.RegisterItem) (store.RegisterItem, error) {
		cur.HighRisk, cur.OwnerID, cur.ReviewAt = in.HighRisk, owner, review
		return cur, nil
	})
	if err != nil {
		return ActivityView{}, err
	}
	return s.Activity(ctx, st, it.ID)
}

// links maps activity ids to the DPIAs and processors linked to them.
func (s *Service) links(ctx context.Context) (dpias, processors map[string][]string, err error) {
	dpias, processors = map[string][]string{}, map[string][]string{}
	ds, err := s.db.RegisterItems(ctx, s.tenant, store.RegisterDPIA, maxItems)
	if err != nil {
		return nil, nil, err
	}
	for _, d := range ds {
		dpias[d.ActivityID] = append(dpias[d.ActivityID], d.ID)
	}
	ps, err := s.db.RegisterItems(ctx, s.tenant, store.RegisterProcessor, maxItems)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range ps {
		for _, a := range p.Activities {
			processors[a] = append(processors[a], p.ID)
		}
	}
	return dpias, processors, nil
}

func (s *Service) activityView(it store.RegisterItem, dpias, processors []string, now time.Time) ActivityView {
	return ActivityView{ID: it.ID, HighRisk: it.HighRisk, DPIAs: nonNil(dpias), DPIAMissing: it.HighRisk && len(dpias) == 0,
		Processors: nonNil(processors), OwnerID: it.OwnerID, ReviewAt: optTime(it.ReviewAt),
		ReviewOverdue: reviewOverdue(it.ReviewAt, now), CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Activities lists the records of processing with their content; a new
// installation's first call seeds the whistleblowing scheme's record.
func (s *Service) Activities(ctx context.Context, st *accounts.Staff) ([]ActivityView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, store.RegisterActivity); err != nil {
		return nil, err
	}
	return s.activities(ctx, st)
}

func (s *Service) activities(ctx context.Context, st *accounts.Staff) ([]ActivityView, error) {
	// The key comes first: it is created on first use, and a user who
	// does not hold it yet must be refused before anything is seeded.
	if _, err := s.registerKey(ctx, st); err != nil {
		return nil, err
	}
	if err := s.seedActivity(ctx, st); err != nil {
		return nil, err
	}
	dpias, processors, err := s.links(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	return openItems(ctx, s, st, store.RegisterActivity,
		func(it store.RegisterItem) ActivityView {
			return s.activityView(it, dpias[it.ID], processors[it.ID], now)
		},
		func(v *ActivityView, rec *ActivityRecord) { v.Record = rec })
}

// openItems lists every item of one register with its latest sealed
// record opened: view builds what the clear columns say, attach adds the
// record.
func openItems[V, R any](ctx context.Context, s *Service, st *accounts.Staff, kind string,
	view func(store.RegisterItem) V, attach func(*V, *R)) ([]V, error) {
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.RegisterItems(ctx, s.tenant, kind, maxItems)
	if err != nil {
		return nil, err
	}
	out := make([]V, 0, len(rows))
	for _, it := range rows {
		v := view(it)
		rec := new(R)
		if _, err := s.latest(ctx, k, it, rec, false, nil); err != nil {
			return nil, err
		}
		attach(&v, rec)
		out = append(out, v)
	}
	return out, nil
}

// Activity opens one record of processing with its history.
func (s *Service) Activity(ctx context.Context, st *accounts.Staff, id string) (ActivityView, error) {
	if err := s.authorize(st); err != nil {
		return ActivityView{}, err
	}
	it, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterActivity, id)
	if err != nil {
		return ActivityView{}, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectActivity, id); err != nil {
		return ActivityView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return ActivityView{}, err
	}
	dpias, processors, err := s.links(ctx)
	if err != nil {
		return ActivityView{}, err
	}
	v := s.activityView(it, dpias[it.ID], processors[it.ID], s.now())
	var rec ActivityRecord
	v.Entries, err = s.latest(ctx, k, it, &rec, true, func() any { return &ActivityRecord{} })
	if err != nil {
		return ActivityView{}, err
	}
	v.Record = &rec
	return v, nil
}

// seedActivity makes the whistleblowing scheme's record of processing the
// first time the register is used, from the installation's organisation
// name, channels and retention policies. register_seeds makes a second
// concurrent first user fail instead of seeding twice.
func (s *Service) seedActivity(ctx context.Context, st *accounts.Staff) error {
	done, err := s.db.RegisterSeeded(ctx, s.tenant, store.RegisterActivity)
	if err != nil || done {
		return err
	}
	rec, err := s.DefaultActivity(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	it := store.RegisterItem{TenantID: s.tenant, Register: store.RegisterActivity, ID: store.NewID(), HighRisk: true,
		OwnerID: st.UserID, ReviewAt: now.AddDate(DefaultReviewInterval, 0, 0), EntrySeq: 1, CreatedBy: st.UserID,
		CreatedAt: now, UpdatedBy: st.UserID, UpdatedAt: now}
	err = s.createItem(ctx, st, it, rec, now, func(tx *store.Tx) error {
		return tx.MarkRegisterSeeded(ctx, s.tenant, store.RegisterActivity, it.ID, now)
	})
	if errors.Is(err, store.ErrDuplicate) {
		return nil // seeded by someone else meanwhile
	}
	return err
}

// DefaultActivity is the record of processing of the whistleblowing scheme
// as this installation runs it.
func (s *Service) DefaultActivity(ctx context.Context) (ActivityRecord, error) {
	t, err := s.db.Tenant(ctx, s.tenant)
	if err != nil {
		return ActivityRecord{}, err
	}
	channels, err := s.db.Channels(ctx, s.tenant)
	if err != nil {
		return ActivityRecord{}, err
	}
	stored, err := s.db.RetentionPolicies(ctx, s.tenant)
	if err != nil {
		return ActivityRecord{}, err
	}
	var erasure strings.Builder
	for _, ch := range channels {
		months, state := retention.DefaultMonths, "the default, not yet confirmed by an admin"
		for _, p := range stored {
			if p.ChannelID == ch.ID && p.Category == retention.CategoryReport {
				months = p.Months
				if p.ConfirmedAt.IsZero() {
					state = "not yet confirmed by an admin"
				} else {
					state = "confirmed " + p.ConfirmedAt.Format("2006-01-02")
				}
			}
		}
		fmt.Fprintf(&erasure, "Channel %q: the case (report, messages, files, journal, identity answers, persons concerned) is deleted %d months after closure (%s), and never earlier than 30 days after the whistleblower's last activity. ", ch.Name, months, state)
	}
	erasure.WriteString("Cases on legal hold are kept until the hold is released. Deletion destroys the case keys first (crypto-shredding) and leaves a deletion record without content. Backups keep deleted data for the operator's backup rotation period. Staff accounts are kept while the person has a role in the scheme; the audit log holds ids only.")
	return ActivityRecord{
		Controller:      t.Name + " (contact details: to be completed)",
		JointController: "None",
		Representative:  "Not applicable: the controller is established in the EU/EEA",
		DPO:             "To be completed: name and contact details of the data protection officer",
		Purposes: "Operating the internal reporting channel required by Directive (EU) 2019/1937 and national whistleblower protection law: " +
			"receiving reports, acknowledging them, following them up, giving feedback, keeping records of reports (art. 18), " +
			"and protecting the confidentiality of whistleblowers, persons concerned and third parties (art. 16).",
		DataSubjectCategories: "Whistleblowers; persons concerned (reported persons); witnesses and other third parties named in reports; staff who handle reports.",
		PersonalDataCategories: "Whatever the whistleblower chooses to report: identity and contact details (optional), description of the alleged breach, " +
			"evidence files, messages and the case journal. These may include special categories of data (art. 9) and data on criminal " +
			"convictions and offences (art. 10). Staff accounts (e-mail, role) and the audit log (ids only).",
		RecipientCategories: "The designated handlers of the channel a report is made in; the data protection officer (registers only, no case content); " +
			"competent authorities, police or courts where the law requires a disclosure. No recipients in third countries or international organisations.",
		ThirdCountryTransfers: "None",
		TransferSafeguards:    "Not applicable: no transfers to third countries or international organisations.",
		ErasureTimeLimits:     strings.TrimSpace(erasure.String()),
		SecurityMeasures: "Encryption at rest: every report, file, message and journal entry is sealed under its own case key (XChaCha20-Poly1305), " +
			"wrapped to each handler who may read the case; access per case on a need-to-know basis (only the channel's handlers, " +
			"persons concerned can be excluded); the whistleblower's identity in a separate vault opened only with a custodian's approval; " +
			"tamper-evident, hash-chained audit log of every access, export and change; two-factor staff login; deletion by crypto-shredding " +
			"after the retention period; the GDPR registers sealed under a register key held by admins and the DPO; quarterly access reviews.",
		LegalBasisArt6: "Art. 6(1)(c): compliance with a legal obligation to establish internal reporting channels and follow up reports " +
			"(Directive (EU) 2019/1937 arts. 8 and 9 as transposed into national law).",
		LegalBasisArt9: "Art. 9(2)(g): processing necessary for reasons of substantial public interest on the basis of national law; " +
			"art. 9(2)(f) where needed for legal claims. Data on offences (art. 10) under the same national law.",
		LegalBasisNational: "The national law transposing Directive (EU) 2019/1937 (in Denmark: lov nr. 1436 af 29. juni 2021 om beskyttelse af whistleblowere, § 22).",
	}, nil
}

// --- processors (RP-2) ---

// ProcessorClause is one of the art. 28(3)(a)–(h) terms a processing
// agreement must contain.
type ProcessorClause struct {
	Letter string `json:"letter"`
	Text   string `json:"text"`
}

// ProcessorClauses is the art. 28(3) checklist.
var ProcessorClauses = []ProcessorClause{
	{"a", "processes only on documented instructions, including on transfers to third countries"},
	{"b", "persons authorised to process are bound by confidentiality"},
	{"c", "takes the measures required by art. 32"},
	{"d", "engages sub-processors only under art. 28(2) and (4)"},
	{"e", "assists the controller in answering data-subject requests (chapter III)"},
	{"f", "assists the controller with arts. 32 to 36"},
	{"g", "deletes or returns all personal data at the end of the services"},
	{"h", "makes available all information needed to demonstrate compliance and allows audits and inspections"},
}

func clauseLetters() []string {
	out := make([]string, len(ProcessorClauses))
	for i, c := range ProcessorClauses {
		out[i] = c.Letter
	}
	return out
}

// ProcessorRecord is the sealed content of a processor entry.
type ProcessorRecord struct {
	Name                  string `json:"name"`
	Contact               string `json:"contact"`
	Service               string `json:"service"` // subject matter, nature and duration of the processing
	SubProcessors         string `json:"sub_processors,omitempty"`
	ThirdCountryTransfers string `json:"third_country_transfers,omitempty"`
	AgreementReference    string `json:"agreement_reference,omitempty"`
}

func (r *ProcessorRecord) trim() {
	for _, p := range []*string{&r.Name, &r.Contact, &r.Service, &r.SubProcessors, &r.ThirdCountryTransfers, &r.AgreementReference} {
		*p = clean(*p)
	}
}

func (r ProcessorRecord) texts() map[string]string {
	return map[string]string{"name": r.Name, "contact": r.Contact, "service": r.Service, "sub_processors": r.SubProcessors,
		"third_country_transfers": r.ThirdCountryTransfers, "agreement_reference": r.AgreementReference}
}

// ProcessorInput creates or replaces a processor entry.
type ProcessorInput struct {
	ProcessorRecord
	Activities  []string  `json:"activities"`             // ids of the activities it processes for
	AgreementAt time.Time `json:"agreement_at,omitempty"` // when the art. 28(3) agreement was signed; zero: none
	Clauses     []string  `json:"clauses"`                // the art. 28(3) letters the agreement covers
	OwnerID     string    `json:"owner_id,omitempty"`
	ReviewAt    time.Time `json:"review_at,omitempty"`
}

// ProcessorView is a processor entry as shown to admins and the DPO.
type ProcessorView struct {
	ID               string           `json:"id"`
	Activities       []string         `json:"activities"`
	AgreementAt      *time.Time       `json:"agreement_at"`
	Clauses          []string         `json:"clauses"`
	AgreementMissing bool             `json:"agreement_missing"`
	ClausesMissing   []string         `json:"clauses_missing"`
	Flagged          bool             `json:"flagged"`
	OwnerID          string           `json:"owner_id"`
	ReviewAt         *time.Time       `json:"review_at"`
	ReviewOverdue    bool             `json:"review_overdue"`
	CreatedAt        time.Time        `json:"created_at"`
	UpdatedAt        time.Time        `json:"updated_at"`
	Record           *ProcessorRecord `json:"record,omitempty"`
	Entries          []EntryView      `json:"entries,omitempty"`
}

// MissingClauses returns the art. 28(3) letters not in checked.
func MissingClauses(checked []string) []string {
	var out []string
	for _, l := range clauseLetters() {
		if !slices.Contains(checked, l) {
			out = append(out, l)
		}
	}
	return out
}

func processorView(it store.RegisterItem, now time.Time) ProcessorView {
	missing := nonNil(MissingClauses(it.Clauses))
	return ProcessorView{ID: it.ID, Activities: nonNil(it.Activities), AgreementAt: optTime(it.AgreementAt), Clauses: nonNil(it.Clauses),
		AgreementMissing: it.AgreementAt.IsZero(), ClausesMissing: missing, Flagged: it.AgreementAt.IsZero() || len(missing) > 0,
		OwnerID: it.OwnerID, ReviewAt: optTime(it.ReviewAt), ReviewOverdue: reviewOverdue(it.ReviewAt, now),
		CreatedAt: it.CreatedAt, UpdatedAt: it.UpdatedAt}
}

// checkActivities verifies that every id names an activity; it returns
// the ids sorted and without duplicates.
func (s *Service) checkActivities(ctx context.Context, ids []string) ([]string, error) {
	out := slices.Clone(ids)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, id := range out {
		if _, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterActivity, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return nil, ErrActivityRequired.with("activities")
			}
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) checkProcessor(ctx context.Context, in *ProcessorInput, now time.Time) error {
	in.trim()
	var bad []string
	if in.Name == "" {
		bad = append(bad, "name")
	}
	if in.Contact == "" {
		bad = append(bad, "contact")
	}
	if in.Service == "" {
		bad = append(bad, "service")
	}
	if !in.AgreementAt.IsZero() && in.AgreementAt.After(now) {
		bad = append(bad, "agreement_at")
	}
	for _, c := range in.Clauses {
		if !slices.Contains(clauseLetters(), c) {
			bad = append(bad, "clauses")
			break
		}
	}
	if len(bad) > 0 {
		return ErrInvalid.with(bad...)
	}
	if err := checkText(in.texts()); err != nil {
		return err
	}
	in.Clauses = slices.Compact(slices.Sorted(slices.Values(in.Clauses)))
	acts, err := s.checkActivities(ctx, in.Activities)
	in.Activities = acts
	return err
}

// CreateProcessor adds a processor (RP-2).
func (s *Service) CreateProcessor(ctx context.Context, st *accounts.Staff, in ProcessorInput) (ProcessorView, error) {
	if err := s.authorize(st); err != nil {
		return ProcessorView{}, err
	}
	now := s.now()
	if err := s.checkProcessor(ctx, &in, now); err != nil {
		return ProcessorView{}, err
	}
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return ProcessorView{}, err
	}
	it := store.RegisterItem{TenantID: s.tenant, Register: store.RegisterProcessor, ID: store.NewID(), Activities: in.Activities,
		AgreementAt: in.AgreementAt.UTC(), Clauses: in.Clauses, OwnerID: owner, ReviewAt: review, EntrySeq: 1,
		CreatedBy: st.UserID, CreatedAt: now, UpdatedBy: st.UserID, UpdatedAt: now}
	if in.AgreementAt.IsZero() {
		it.AgreementAt = time.Time{}
	}
	if err := s.createItem(ctx, st, it, in.ProcessorRecord, now, nil); err != nil {
		return ProcessorView{}, err
	}
	v := processorView(it, now)
	rec := in.ProcessorRecord
	v.Record = &rec
	return v, nil
}

// UpdateProcessor replaces a processor entry.
func (s *Service) UpdateProcessor(ctx context.Context, st *accounts.Staff, id string, in ProcessorInput) (ProcessorView, error) {
	if err := s.authorize(st); err != nil {
		return ProcessorView{}, err
	}
	now := s.now()
	if err := s.checkProcessor(ctx, &in, now); err != nil {
		return ProcessorView{}, err
	}
	owner, review, err := s.itemMeta(ctx, st, in.OwnerID, in.ReviewAt, now)
	if err != nil {
		return ProcessorView{}, err
	}
	_, err = s.updateItem(ctx, st, store.RegisterProcessor, id, in.ProcessorRecord, now, func(cur store.RegisterItem) (store.RegisterItem, error) {
		cur.Activities, cur.Clauses, cur.OwnerID, cur.ReviewAt = in.Activities, in.Clauses, owner, review
		cur.AgreementAt = time.Time{}
		if !in.AgreementAt.IsZero() {
			cur.AgreementAt = in.AgreementAt.UTC()
		}
		return cur, nil
	})
	if err != nil {
		return ProcessorView{}, err
	}
	return s.Processor(ctx, st, id)
}

// Processors lists the processor register with its content, entries
// with a missing agreement or unchecked clauses first.
func (s *Service) Processors(ctx context.Context, st *accounts.Staff) ([]ProcessorView, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if err := s.recordRead(ctx, st, audit.ObjectRegister, store.RegisterProcessor); err != nil {
		return nil, err
	}
	return s.processors(ctx, st)
}

func (s *Service) processors(ctx context.Context, st *accounts.Staff) ([]ProcessorView, error) {
	now := s.now()
	out, err := openItems(ctx, s, st, store.RegisterProcessor,
		func(it store.RegisterItem) ProcessorView { return processorView(it, now) },
		func(v *ProcessorView, rec *ProcessorRecord) { v.Record = rec })
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b ProcessorView) int {
		if a.Flagged != b.Flagged {
			if a.Flagged {
				return -1
			}
			return 1
		}
		return 0
	})
	return out, nil
}

// Processor opens one processor entry with its history.
func (s *Service) Processor(ctx context.Context, st *accounts.Staff, id string) (ProcessorView, error) {
	if err := s.authorize(st); err != nil {
		return ProcessorView{}, err
	}
	it, err := s.db.RegisterItemByID(ctx, s.tenant, store.RegisterProcessor, id)
	if err != nil {
		return ProcessorView{}, notFound(err)
	}
	if err := s.recordRead(ctx, st, audit.ObjectProcessor, id); err != nil {
		return ProcessorView{}, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return ProcessorView{}, err
	}
	v := processorView(it, s.now())
	var rec ProcessorRecord
	v.Entries, err = s.latest(ctx, k, it, &rec, true, func() any { return &ProcessorRecord{} })
	if err != nil {
		return ProcessorView{}, err
	}
	v.Record = &rec
	return v, nil
}

// --- export ---

// RegistersExport is the machine-readable export of the records of
// processing and the registers tied to them, for the supervisory authority.
type RegistersExport struct {
	GeneratedAt time.Time          `json:"generated_at"`
	Fields      []string           `json:"ropa_fields"`
	Clauses     []ProcessorClause  `json:"processor_clauses"`
	Activities  []ActivityView     `json:"records_of_processing"`
	Processors  []ProcessorView    `json:"processors"`
	DPIAs       []DPIAView         `json:"dpias"`
	Risks       []RiskView         `json:"risks"`
	Reviews     AccessReviewsState `json:"access_reviews"`
}

// Export formats.
const (
	ExportJSON = "json"
	ExportCSV  = "csv"
)

// ExportRegisters returns every register as one document (JSON), audited
// as register.export before anything is returned.
func (s *Service) ExportRegisters(ctx context.Context, st *accounts.Staff) (RegistersExport, error) {
	if err := s.authorize(st); err != nil {
		return RegistersExport{}, err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterExport, ObjectType: audit.ObjectRegister, ObjectID: store.RegisterActivity, Detail: ExportJSON}); err != nil {
		return RegistersExport{}, err
	}
	out := RegistersExport{GeneratedAt: s.now(), Fields: ActivityFields(), Clauses: ProcessorClauses}
	var err error
	if out.Activities, err = s.activities(ctx, st); err != nil {
		return RegistersExport{}, err
	}
	if out.Processors, err = s.processors(ctx, st); err != nil {
		return RegistersExport{}, err
	}
	if out.DPIAs, err = s.dpias(ctx, st); err != nil {
		return RegistersExport{}, err
	}
	if out.Risks, err = s.risks(ctx, st); err != nil {
		return RegistersExport{}, err
	}
	if out.Reviews, err = s.reviewsState(ctx); err != nil {
		return RegistersExport{}, err
	}
	return out, nil
}

// ExportActivitiesCSV returns the records of processing as CSV, one row
// per activity with one column per art. 30(1) field, for printing.
func (s *Service) ExportActivitiesCSV(ctx context.Context, st *accounts.Staff) ([]byte, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterExport, ObjectType: audit.ObjectRegister, ObjectID: store.RegisterActivity, Detail: ExportCSV}); err != nil {
		return nil, err
	}
	acts, err := s.activities(ctx, st)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	head := append([]string{"id", "high_risk", "dpia_missing", "dpias", "processors", "owner_id", "review_at"}, ActivityFields()...)
	if err := w.Write(head); err != nil {
		return nil, err
	}
	for _, a := range acts {
		review := ""
		if a.ReviewAt != nil {
			review = a.ReviewAt.Format("2006-01-02")
		}
		row := []string{a.ID, fmt.Sprint(a.HighRisk), fmt.Sprint(a.DPIAMissing), strings.Join(a.DPIAs, " "),
			strings.Join(a.Processors, " "), a.OwnerID, review}
		_, ptrs := a.Record.fieldPtrs()
		for _, p := range ptrs {
			row = append(row, csvCell(*p))
		}
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// csvCell keeps a spreadsheet from reading a typed cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
