package privacy

// The breach response plan (issue 5; BR-1 to BR-4): three phases, each
// with its own checklist and timestamps:
//
//   - identify: confirm and scope the breach and assess its risk,
//   - contain_notify: stop it and decide and make the art. 33 and 34
//     notifications,
//   - remediate_verify: fix the cause, check that the fix works and
//     complete the log (art. 33(5)).
//
// The default items follow the EDPB guidelines 9/2022 on breach
// notification and 01/2021 on examples, and ENISA's recommendations on
// breach handling; an organisation adds its own items to a breach. Every
// step is a sealed entry of the breach (kind "phase_*"), so the checklist
// is append-only like the rest of the log and who ticked what, and when,
// is never overwritten. The state is folded from the entries in order.

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/store"
)

// Response plan phases, in order.
const (
	PhaseIdentify        = "identify"
	PhaseContainNotify   = "contain_notify"
	PhaseRemediateVerify = "remediate_verify"
)

// Phases lists the response plan's phases in order.
var Phases = []string{PhaseIdentify, PhaseContainNotify, PhaseRemediateVerify}

// States of a checklist item.
const (
	ItemOpen          = "open"
	ItemDone          = "done"
	ItemNotApplicable = "not_applicable"
)

// ChecklistItem is a default item of a phase: a stable id (the staff site
// translates it) and the English label the API and the PDF show.
type ChecklistItem struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// DefaultChecklists are the items every breach starts with, per phase.
var DefaultChecklists = map[string][]ChecklistItem{
	PhaseIdentify: {
		{"confirm_breach", "Confirm that a personal data breach occurred (art. 4(12)) and record when the organisation became aware of it"},
		{"classify_type", "Classify the breach: confidentiality, integrity and/or availability"},
		{"scope_data", "Establish the categories of data and the approximate numbers of persons and records concerned"},
		{"assess_risk", "Assess the likely consequences for the persons concerned and set the severity and risk level"},
		{"inform_dpo", "Inform the data protection officer and the response team"},
	},
	PhaseContainNotify: {
		{"contain", "Contain the breach: stop the disclosure, revoke access, recover or restore the data"},
		{"preserve_evidence", "Preserve evidence and logs for the investigation"},
		{"notify_authority", "Notify the supervisory authority within 72 hours of awareness (art. 33), or record why no notification is needed"},
		{"notify_subjects", "Notify the persons concerned without undue delay (art. 34), or record the art. 34(3) exception"},
		{"inform_parties", "Inform processors, joint controllers, insurers or the police where needed"},
	},
	PhaseRemediateVerify: {
		{"root_cause", "Find and record the root cause"},
		{"remediate", "Carry out the corrective measures"},
		{"verify_measures", "Verify that the measures work (test, audit or follow-up review)"},
		{"update_documentation", "Update the risk register, DPIAs, procedures and training"},
		{"lessons_learned", "Hold a lessons-learned review and complete the breach log (art. 33(5))"},
	},
}

// Errors of the response plan.
var (
	ErrPhaseStarted     = &Error{Kind: KindConflict, Code: "phase_started", Msg: "the phase is already started"}
	ErrPhaseCompleted   = &Error{Kind: KindConflict, Code: "phase_completed", Msg: "the phase is completed; its checklist can no longer change"}
	ErrPhaseOrder       = &Error{Kind: KindConflict, Code: "phase_order", Msg: "complete the earlier phases first"}
	ErrChecklistOpen    = &Error{Kind: KindConflict, Code: "checklist_incomplete", Msg: "every item of the phase must be done or marked not applicable before the phase is completed"}
	ErrNoteRequired     = &Error{Kind: KindInvalid, Code: "note_required", Msg: "marking an item not applicable needs a note saying why"}
	ErrNotifyFirst      = &Error{Kind: KindConflict, Code: "notification_not_recorded", Msg: "record the authority notification before ticking this item, or mark it not applicable with the reason"}
	ErrSubjectsFirst    = &Error{Kind: KindConflict, Code: "subject_notice_not_recorded", Msg: "record the notice to the data subjects or the art. 34(3) exception before ticking this item, or mark it not applicable with the reason"}
	ErrTooManyItems     = &Error{Kind: KindInvalid, Code: "too_many_items", Msg: "a phase holds at most 50 items"}
	errUnknownPhase     = ErrInvalid.with("phase")
	errUnknownItem      = &Error{Kind: KindNotFound, Code: "not_found", Msg: "no such checklist item"}
	maxItemsPerPhase    = 50
	maxChecklistItemLen = 500
)

// PhaseEvent is the sealed body of a phase entry.
type PhaseEvent struct {
	Phase string `json:"phase"`
	Item  string `json:"item,omitempty"`  // phase_item, phase_item_add
	State string `json:"state,omitempty"` // phase_item
	Text  string `json:"text,omitempty"`  // phase_item_add: the label of a custom item
	Note  string `json:"note,omitempty"`
}

// ChecklistItemView is one item of a phase as it stands.
type ChecklistItemView struct {
	ID     string     `json:"id"`
	Label  string     `json:"label"`
	Custom bool       `json:"custom"`
	State  string     `json:"state"`
	Note   string     `json:"note,omitempty"`
	By     string     `json:"by,omitempty"` // who last changed the state
	At     *time.Time `json:"at"`           // when
}

// PhaseView is one phase of a breach's response.
type PhaseView struct {
	Phase       string              `json:"phase"`
	StartedAt   *time.Time          `json:"started_at"`
	StartedBy   string              `json:"started_by,omitempty"`
	CompletedAt *time.Time          `json:"completed_at"`
	CompletedBy string              `json:"completed_by,omitempty"`
	Open        int                 `json:"open"` // items neither done nor not applicable
	Items       []ChecklistItemView `json:"items"`
}

// PhaseItemChange is the input of SetPhaseItem.
type PhaseItemChange struct {
	State string `json:"state"` // done, not_applicable or open
	Note  string `json:"note,omitempty"`
}

// PhaseItemNew is the input of AddPhaseItem.
type PhaseItemNew struct {
	Text string `json:"text"`
}

// PhaseNote is the input of StartPhase and CompletePhase.
type PhaseNote struct {
	Note string `json:"note,omitempty"`
}

func knownPhase(p string) bool { return slices.Contains(Phases, p) }

// FoldPhases builds the phases from a breach's entries in order. Entries
// of other kinds are skipped; an entry that does not parse is an error,
// since a sealed entry that opened cannot be corrupt by accident.
func FoldPhases(entries []EntryView) ([]PhaseView, error) {
	out := make([]PhaseView, len(Phases))
	index := map[string]int{}
	for i, p := range Phases {
		out[i] = PhaseView{Phase: p, Items: []ChecklistItemView{}}
		for _, it := range DefaultChecklists[p] {
			out[i].Items = append(out[i].Items, ChecklistItemView{ID: it.ID, Label: it.Label, State: ItemOpen})
		}
		index[p] = i
	}
	for _, e := range entries {
		if len(e.Kind) < 6 || e.Kind[:6] != "phase_" {
			continue
		}
		raw, ok := e.Body.(json.RawMessage)
		if !ok {
			b, err := json.Marshal(e.Body)
			if err != nil {
				return nil, err
			}
			raw = b
		}
		var ev PhaseEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		i, ok := index[ev.Phase]
		if !ok {
			continue
		}
		p := &out[i]
		at := e.CreatedAt
		switch e.Kind {
		case "phase_start":
			p.StartedAt, p.StartedBy = &at, e.AuthorID
		case "phase_complete":
			p.CompletedAt, p.CompletedBy = &at, e.AuthorID
		case "phase_item_add":
			p.Items = append(p.Items, ChecklistItemView{ID: ev.Item, Label: ev.Text, Custom: true, State: ItemOpen})
		case "phase_item":
			for j := range p.Items {
				if p.Items[j].ID == ev.Item {
					p.Items[j].State, p.Items[j].Note, p.Items[j].By, p.Items[j].At = ev.State, ev.Note, e.AuthorID, &at
				}
			}
			if p.StartedAt == nil { // ticking an item starts the phase
				p.StartedAt, p.StartedBy = &at, e.AuthorID
			}
		}
	}
	for i := range out {
		for _, it := range out[i].Items {
			if it.State == ItemOpen {
				out[i].Open++
			}
		}
	}
	return out, nil
}

// phaseStep appends one phase entry to a breach after check accepts the
// current state of the phases.
func (s *Service) phaseStep(ctx context.Context, st *accounts.Staff, id, kind string,
	check func(b *store.Breach, phases []PhaseView) (PhaseEvent, error)) (BreachView, error) {
	v, err := s.changeBreachWith(ctx, st, id, kind, func(b *store.Breach, _ BreachDetails, entries []EntryView, _ time.Time) (any, error) {
		phases, err := FoldPhases(entries)
		if err != nil {
			return nil, err
		}
		return check(b, phases)
	})
	if err != nil {
		return BreachView{}, err
	}
	return s.Breach(ctx, st, v.ID)
}

func phaseOf(phases []PhaseView, name string) *PhaseView {
	for i := range phases {
		if phases[i].Phase == name {
			return &phases[i]
		}
	}
	return nil
}

// StartPhase records that a phase of the response began.
func (s *Service) StartPhase(ctx context.Context, st *accounts.Staff, id, phase string, in PhaseNote) (BreachView, error) {
	if !knownPhase(phase) {
		return BreachView{}, errUnknownPhase
	}
	in.Note = clean(in.Note)
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return BreachView{}, err
	}
	return s.phaseStep(ctx, st, id, "phase_start", func(_ *store.Breach, phases []PhaseView) (PhaseEvent, error) {
		p := phaseOf(phases, phase)
		if p.CompletedAt != nil {
			return PhaseEvent{}, ErrPhaseCompleted
		}
		if p.StartedAt != nil {
			return PhaseEvent{}, ErrPhaseStarted
		}
		return PhaseEvent{Phase: phase, Note: in.Note}, nil
	})
}

// SetPhaseItem ticks, marks not applicable (with a note) or reopens one
// item. Ticking the notification items needs the notification recorded.
func (s *Service) SetPhaseItem(ctx context.Context, st *accounts.Staff, id, phase, item string, in PhaseItemChange) (BreachView, error) {
	if !knownPhase(phase) {
		return BreachView{}, errUnknownPhase
	}
	in.Note = clean(in.Note)
	switch in.State {
	case ItemDone, ItemOpen:
	case ItemNotApplicable:
		if in.Note == "" {
			return BreachView{}, ErrNoteRequired.with("note")
		}
	default:
		return BreachView{}, ErrInvalid.with("state")
	}
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return BreachView{}, err
	}
	return s.phaseStep(ctx, st, id, "phase_item", func(b *store.Breach, phases []PhaseView) (PhaseEvent, error) {
		p := phaseOf(phases, phase)
		if p.CompletedAt != nil {
			return PhaseEvent{}, ErrPhaseCompleted
		}
		if !slices.ContainsFunc(p.Items, func(it ChecklistItemView) bool { return it.ID == item }) {
			return PhaseEvent{}, errUnknownItem
		}
		if in.State == ItemDone {
			if item == "notify_authority" && b.AuthorityNotifiedAt.IsZero() {
				return PhaseEvent{}, ErrNotifyFirst
			}
			if item == "notify_subjects" && b.SubjectNotice == "" {
				return PhaseEvent{}, ErrSubjectsFirst
			}
		}
		return PhaseEvent{Phase: phase, Item: item, State: in.State, Note: in.Note}, nil
	})
}

// AddPhaseItem adds an item of the organisation's own to a phase; its
// label is sealed like every other text of the breach.
func (s *Service) AddPhaseItem(ctx context.Context, st *accounts.Staff, id, phase string, in PhaseItemNew) (BreachView, error) {
	if !knownPhase(phase) {
		return BreachView{}, errUnknownPhase
	}
	in.Text = clean(in.Text)
	if in.Text == "" || len(in.Text) > maxChecklistItemLen {
		return BreachView{}, ErrInvalid.with("text")
	}
	if err := checkText(map[string]string{"text": in.Text}); err != nil {
		return BreachView{}, err
	}
	return s.phaseStep(ctx, st, id, "phase_item_add", func(_ *store.Breach, phases []PhaseView) (PhaseEvent, error) {
		p := phaseOf(phases, phase)
		if p.CompletedAt != nil {
			return PhaseEvent{}, ErrPhaseCompleted
		}
		custom := 0
		for _, it := range p.Items {
			if it.Custom {
				custom++
			}
		}
		if len(p.Items) >= maxItemsPerPhase {
			return PhaseEvent{}, ErrTooManyItems
		}
		return PhaseEvent{Phase: phase, Item: "custom-" + strconv.Itoa(custom+1), Text: in.Text}, nil
	})
}

// CompletePhase closes a phase: every item done or not applicable, and the
// earlier phases completed first.
func (s *Service) CompletePhase(ctx context.Context, st *accounts.Staff, id, phase string, in PhaseNote) (BreachView, error) {
	if !knownPhase(phase) {
		return BreachView{}, errUnknownPhase
	}
	in.Note = clean(in.Note)
	if err := checkText(map[string]string{"note": in.Note}); err != nil {
		return BreachView{}, err
	}
	return s.phaseStep(ctx, st, id, "phase_complete", func(_ *store.Breach, phases []PhaseView) (PhaseEvent, error) {
		p := phaseOf(phases, phase)
		if p.CompletedAt != nil {
			return PhaseEvent{}, ErrPhaseCompleted
		}
		for _, q := range phases {
			if q.Phase == phase {
				break
			}
			if q.CompletedAt == nil {
				return PhaseEvent{}, ErrPhaseOrder.with(q.Phase)
			}
		}
		var open []string
		for _, it := range p.Items {
			if it.State == ItemOpen {
				open = append(open, it.ID)
			}
		}
		if len(open) > 0 {
			return PhaseEvent{}, ErrChecklistOpen.with(open...)
		}
		return PhaseEvent{Phase: phase, Note: in.Note}, nil
	})
}
