package privacy

// The registers as one PDF for the supervisory authority (issue 5,
// "Export of all registers as PDF and as machine-readable JSON"): the
// records of processing (art. 30(1)), the processors with their art. 28(3)
// checklist, the DPIAs and the risk register, the breach log with its
// art. 33(5) documentation and response plan, and a summary of the
// data-subject request register (types, dates, states; no requester
// names, contacts or descriptions). Nothing from a case and nothing about
// a whistleblower is in any of these registers, so none can appear.
//
// The PDF is written in memory with github.com/go-pdf/fpdf like the case
// PDFs (internal/cases/pdf.go), in the same embedded Go fonts (BSD
// licence) so Nordic and other European letters print as written. The
// font choice sits in pdfFonts and registerPDFFonts alone, so that it can
// move to a helper shared with internal/cases once there is one.

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/text/unicode/norm"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/audit"
	"github.com/varsel/varsel/internal/store"
)

// ExportPDF is the PDF export format.
const ExportPDF = "pdf"

const pdfFamily = "gosans"

// pdfFonts are the embedded styles.
var pdfFonts = []struct {
	style string
	ttf   []byte
}{{"", goregular.TTF}, {"B", gobold.TTF}}

func registerPDFFonts(f *fpdf.Fpdf) {
	for _, ft := range pdfFonts {
		f.AddUTF8FontFromBytes(pdfFamily, ft.style, ft.ttf)
	}
}

// pdfText keeps line breaks, drops other control and format characters
// and composes the text (NFC), so what a person typed prints as one glyph
// per letter.
func pdfText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case unicode.IsControl(r), r == '\u00ad', unicode.Is(unicode.Cf, r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type registersPDF struct {
	f   *fpdf.Fpdf
	loc *time.Location
}

func newRegistersPDF(title string, at time.Time, loc *time.Location) *registersPDF {
	f := fpdf.New("P", "mm", "A4", "")
	registerPDFFonts(f)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.SetCatalogSort(true)
	at = at.UTC().Truncate(time.Second)
	f.SetCreationDate(at)
	f.SetModificationDate(at)
	f.SetCreator("Varsel", true)
	f.SetTitle(pdfText(title), true)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-15)
		f.SetFont(pdfFamily, "", 8)
		f.CellFormat(0, 10, fmt.Sprintf("%d / {nb}", f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetFont(pdfFamily, "B", 16)
	f.MultiCell(0, 8, pdfText(title), "", "L", false)
	f.Ln(2)
	return &registersPDF{f: f, loc: loc}
}

func (d *registersPDF) chapter(s string) {
	d.f.AddPage()
	d.f.SetFont(pdfFamily, "B", 14)
	d.f.MultiCell(0, 8, pdfText(s), "", "L", false)
	d.f.Ln(2)
}

func (d *registersPDF) heading(s string) {
	d.f.Ln(2)
	d.f.SetFont(pdfFamily, "B", 12)
	d.f.MultiCell(0, 6, pdfText(s), "", "L", false)
	d.f.Ln(1)
}

func (d *registersPDF) field(label, value string) {
	d.f.SetFont(pdfFamily, "B", 9.5)
	d.f.MultiCell(0, 5, pdfText(label), "", "L", false)
	d.f.SetFont(pdfFamily, "", 9.5)
	if strings.TrimSpace(value) == "" {
		value = "-"
	}
	d.f.MultiCell(0, 5, pdfText(value), "", "L", false)
	d.f.Ln(1)
}

func (d *registersPDF) para(s string) {
	d.f.SetFont(pdfFamily, "", 9.5)
	d.f.MultiCell(0, 5, pdfText(s), "", "L", false)
	d.f.Ln(1)
}

func (d *registersPDF) day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.In(d.loc).Format(time.DateOnly)
}

func (d *registersPDF) when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(d.loc).Format("2006-01-02 15:04 MST")
}

// activityLabels are the printed names of the art. 30(1) fields.
var activityLabels = map[string]string{
	"controller": "Controller (art. 30(1)(a))", "joint_controller": "Joint controller", "representative": "Representative",
	"dpo": "Data protection officer", "purposes": "Purposes (b)", "data_subject_categories": "Categories of data subjects (c)",
	"personal_data_categories": "Categories of personal data (c)", "recipient_categories": "Categories of recipients (d)",
	"third_country_transfers": "Transfers to third countries (e)", "transfer_safeguards": "Safeguards of transfers (e)",
	"erasure_time_limits": "Time limits for erasure (f)", "security_measures": "Security measures (g)",
	"legal_basis_art6": "Legal basis (art. 6)", "legal_basis_art9": "Condition for special categories (art. 9)",
	"legal_basis_national": "National legal basis", "legal_basis_art10": "Criminal offence data (art. 10)",
}

// ExportRegistersPDF returns the registers as one PDF, audited as
// register.export with the format before anything is returned.
func (s *Service) ExportRegistersPDF(ctx context.Context, st *accounts.Staff) ([]byte, error) {
	if err := s.authorize(st); err != nil {
		return nil, err
	}
	k, err := s.registerKey(ctx, st)
	if err != nil {
		return nil, err
	}
	if _, err := s.audit.Record(ctx, audit.Entry{TenantID: s.tenant, ActorType: audit.ActorStaff, ActorID: st.UserID,
		Action: audit.ActionRegisterExport, ObjectType: audit.ObjectRegister, ObjectID: store.RegisterActivity, Detail: ExportPDF}); err != nil {
		return nil, err
	}
	tenant, err := s.db.Tenant(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	loc, err := s.location(ctx)
	if err != nil {
		return nil, err
	}
	acts, err := s.activities(ctx, st)
	if err != nil {
		return nil, err
	}
	procs, err := s.processors(ctx, st)
	if err != nil {
		return nil, err
	}
	dpias, err := s.dpias(ctx, st)
	if err != nil {
		return nil, err
	}
	risks, err := s.risks(ctx, st)
	if err != nil {
		return nil, err
	}
	now := s.now()
	breaches, err := s.db.Breaches(ctx, s.tenant, now, maxItems)
	if err != nil {
		return nil, err
	}
	dsrs, err := s.db.DSRs(ctx, s.tenant, now, maxItems)
	if err != nil {
		return nil, err
	}
	users, err := s.db.Users(ctx, s.tenant)
	if err != nil {
		return nil, err
	}
	emails := map[string]string{}
	for _, u := range users {
		emails[u.ID] = u.Email
	}

	d := newRegistersPDF("GDPR registers: "+tenant.Name, now, loc)
	d.para("Produced by Varsel on " + d.when(now) + " for the supervisory authority. Contents: records of processing " +
		"(art. 30), processors (art. 28), data protection impact assessments (art. 35), risk register (art. 32), " +
		"breach log (art. 33(5)) and a summary of the register of data-subject requests (arts. 12 to 22). " +
		"No case content and nothing identifying a whistleblower is part of these registers.")

	d.chapter(fmt.Sprintf("1. Records of processing activities (%d)", len(acts)))
	for i, a := range acts {
		title := fmt.Sprintf("1.%d", i+1)
		if a.Record != nil && a.Record.Purposes != "" {
			title += " " + firstLine(a.Record.Purposes)
		}
		d.heading(title)
		d.field("High risk (art. 35(1))", yesNo(a.HighRisk)+dpiaNote(a))
		d.field("Owner / next review", emails[a.OwnerID]+" / "+d.day(a.ReviewAt))
		if a.Record != nil {
			names, ptrs := a.Record.fieldPtrs()
			for j, n := range names {
				label := activityLabels[n]
				if label == "" {
					label = n
				}
				d.field(label, *ptrs[j])
			}
		}
	}

	d.chapter(fmt.Sprintf("2. Processors (%d)", len(procs)))
	for i, p := range procs {
		name := ""
		if p.Record != nil {
			name = p.Record.Name
		}
		d.heading(fmt.Sprintf("2.%d %s", i+1, name))
		if p.Record != nil {
			d.field("Contact", p.Record.Contact)
			d.field("Subject matter, nature and duration", p.Record.Service)
			d.field("Sub-processors", p.Record.SubProcessors)
			d.field("Third-country transfers", p.Record.ThirdCountryTransfers)
			d.field("Agreement reference", p.Record.AgreementReference)
		}
		d.field("Agreement signed", d.day(p.AgreementAt))
		var clauses []string
		for _, c := range ProcessorClauses {
			mark := "[ ]"
			if slices.Contains(p.Clauses, c.Letter) {
				mark = "[x]"
			}
			clauses = append(clauses, fmt.Sprintf("%s 28(3)(%s) %s", mark, c.Letter, c.Text))
		}
		d.field("Art. 28(3) clauses", strings.Join(clauses, "\n"))
		d.field("Owner / next review", emails[p.OwnerID]+" / "+d.day(p.ReviewAt))
	}

	d.chapter(fmt.Sprintf("3. Data protection impact assessments (%d)", len(dpias)))
	for i, x := range dpias {
		d.heading(fmt.Sprintf("3.%d DPIA for activity %s", i+1, x.ActivityID))
		if x.Record != nil {
			d.field("Processing and purposes (art. 35(7)(a))", x.Record.Description)
			d.field("Necessity and proportionality (b)", x.Record.Necessity)
			d.field("Risks to data subjects (c)", x.Record.Risks)
			d.field("Measures (d)", x.Record.Measures)
			d.field("Advice of the DPO (art. 35(2))", x.Record.DPOAdvice)
			d.field("Decision", x.Record.Decision)
		}
		d.field("DPO advice given / next review", d.day(x.DPOAdviceAt)+" / "+d.day(x.ReviewAt))
	}

	d.chapter(fmt.Sprintf("4. Risk register (%d)", len(risks)))
	for i, x := range risks {
		title := ""
		if x.Record != nil {
			title = x.Record.Title
		}
		d.heading(fmt.Sprintf("4.%d %s", i+1, title))
		d.field("Likelihood × impact = score (level)", fmt.Sprintf("%d × %d = %d (%s)", x.Likelihood, x.Impact, x.Score, x.Level))
		if x.Record != nil {
			d.field("Description", x.Record.Description)
			d.field("Treatment", x.Record.Treatment)
		}
		d.field("Owner / next review", emails[x.OwnerID]+" / "+d.day(x.ReviewAt))
	}

	d.chapter(fmt.Sprintf("5. Breach log (%d)", len(breaches)))
	for i, b := range breaches {
		v := breachView(b, now)
		det, entries, err := s.breachContent(ctx, k, b.ID)
		if err != nil {
			return nil, err
		}
		phases, err := FoldPhases(entries)
		if err != nil {
			return nil, err
		}
		d.heading(fmt.Sprintf("5.%d %s breach, aware %s", i+1, v.Type, d.when(v.AwareAt)))
		d.field("Severity / risk", fmt.Sprintf("%d/10, %s", v.Severity, v.Risk))
		d.field("Status", v.Status)
		notified := "not notified"
		if v.AuthorityNotifiedAt != nil {
			notified = d.when(*v.AuthorityNotifiedAt)
			if v.NotifiedLate {
				notified += " (after 72 hours)"
			}
		} else if v.NotificationOverdue {
			notified += " (72 hours passed " + d.when(v.NotifyDue) + ")"
		}
		d.field("Authority notified (art. 33)", notified)
		if v.SubjectNotice != "" {
			d.field("Data subjects (art. 34)", v.SubjectNotice+" "+d.day(v.SubjectNoticeAt))
		}
		d.field("What happened", det.WhatHappened)
		d.field("Data categories", det.DataCategories)
		d.field("Approximate persons / records", count(det.ApproxSubjects)+" / "+count(det.ApproxRecords))
		d.field("Likely consequences", det.Consequences)
		d.field("Measures taken or proposed", det.Measures)
		var plan []string
		for _, ph := range phases {
			state := "not started"
			switch {
			case ph.CompletedAt != nil:
				state = "completed " + d.when(*ph.CompletedAt)
			case ph.StartedAt != nil:
				state = "started " + d.when(*ph.StartedAt)
			}
			plan = append(plan, fmt.Sprintf("%s: %s, %d of %d items open", ph.Phase, state, ph.Open, len(ph.Items)))
		}
		d.field("Response plan", strings.Join(plan, "\n"))
	}

	d.chapter(fmt.Sprintf("6. Data-subject requests: summary (%d)", len(dsrs)))
	d.para("Type, dates and state of each request. The requester's name, contact and description are kept in the register " +
		"and left out here.")
	byType := map[string]int{}
	for _, q := range dsrs {
		byType[q.Type]++
	}
	var summary []string
	for _, t := range []string{"access", "rectification", "erasure", "restriction", "portability", "objection"} {
		summary = append(summary, fmt.Sprintf("%s: %d", t, byType[t]))
	}
	d.field("Requests by type", strings.Join(summary, ", "))
	for _, q := range dsrs {
		v := requestView(q, now)
		line := fmt.Sprintf("%s, received %s, due %s, %s, identity %s", v.Type, d.day(&v.ReceivedAt), d.day(&v.Due), v.Status, v.Verification)
		if v.Overdue {
			line += ", OVERDUE"
		}
		if v.ExtendedMonths > 0 {
			line += fmt.Sprintf(", extended by %d months", v.ExtendedMonths)
		}
		d.para(line)
	}

	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return nil, fmt.Errorf("privacy: write registers pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:80]) + "…"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dpiaNote(a ActivityView) string {
	if a.DPIAMissing {
		return " (no DPIA linked)"
	}
	return ""
}

func count(n *int64) string {
	if n == nil {
		return "unknown"
	}
	return fmt.Sprint(*n)
}
