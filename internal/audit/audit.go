// Package audit keeps the tamper-evident audit log (compliance id AL-1;
// GDPR art. 5(2) and 32, Directive 2019/1937 art. 16): every staff action on
// cases and registers, and every system action such as a retention
// deletion, appends one entry saying who (actor type and user id) did what
// (an action from the fixed set below) to which object (type and id, such as
// a case's report id) and when.
//
// An entry never holds report content or anything that identifies a
// whistleblower. Every field is an identifier or a token from a closed
// vocabulary:
//
//   - ActorID is a staff user id (store.NewID), never an e-mail address or
//     name; empty for ActorSystem.
//   - ObjectID is a row id (report id, user id, channel id…), never a
//     receipt, file name, e-mail address or any text a person typed.
//   - Detail is optional and must be a token from a closed vocabulary chosen
//     by the code, never by a user: a case state name, a role, an export
//     format, a grantee's user id. Callers must never put free text there
//     (no reasons, comments, subjects, search terms, error messages). Record
//     refuses anything that does not look like a token, but cannot tell a
//     vocabulary word from a secret that happens to look like one; that
//     part is the caller's duty.
//
// Entries form a hash chain per tenant: each entry's hash is SHA-256 of the
// previous entry's hash and the entry's canonical encoding (Hash), and the
// newest seq and hash are kept in audit_heads. Verify walks the chain and
// reports the first broken link. The chain makes edits, deletions in the
// middle and truncation at the end evident; someone who can write the
// database can still rebuild the whole chain, so compare the head printed
// by "varsel audit verify" with a copy kept outside the database to detect
// that.
package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varsel/varsel/internal/store"
)

// Actor types.
const (
	ActorStaff  = "staff"  // ActorID is the user id
	ActorSystem = "system" // background jobs such as retention; ActorID names the job or is empty
)

// Actions: the fixed set of things that are logged. Add new ones here; Record
// refuses any other value.
const (
	// Sessions. Object: the user (ObjectUser, user id).
	ActionLogin       = "login"
	ActionLoginFailed = "login.failed" // only for an existing account; ActorID and ObjectID are its user id
	ActionLogout      = "logout"

	// Cases. Object: the case (ObjectCase, report id), or a file of it.
	ActionCaseList         = "case.list"          // inbox or search viewed; object ObjectRegister or empty id
	ActionCaseRead         = "case.read"          // case opened (answers decrypted)
	ActionCaseFileRead     = "case.file.read"     // file downloaded; object ObjectFile, file id
	ActionCaseExport       = "case.export"        // case exported; Detail: export format token
	ActionCaseMessage      = "case.message"       // message sent to the whistleblower
	ActionCaseJournal      = "case.journal"       // journal entry written
	ActionCaseStateChange  = "case.state"         // Detail: the new state name
	ActionCaseAccessGrant  = "case.access.grant"  // Detail: the grantee's user id
	ActionCaseAccessRevoke = "case.access.revoke" // Detail: the former holder's user id
	ActionCaseDelete       = "case.delete"        // case and its keys, messages and files deleted
	ActionCaseDeadline     = "case.deadline"      // a deadline extended; Detail: which ("feedback")
	ActionCasePerson       = "case.person"        // a person concerned added, changed, removed or notified; Detail: the step token
	ActionCaseHold         = "case.hold"          // legal hold; Detail: "place" or "release"
	ActionCaseRetention    = "case.retention"     // retention period extended (once per case)
	ActionCasePurge        = "case.purge"         // irrelevant messages or files purged (JR-4)
	ActionCaseDisclose     = "case.disclose"      // disclosure note (DA-1); Detail: "draft", "final" or "pdf"
	// ActionCaseRedact: a step of an anonymised copy of a case file
	// (DA-2); ObjectCase, the report id; Detail: the step token ("draft",
	// "edit", "submit", "approve", "gate_failed", "reject", "release",
	// "download", "preview").
	ActionCaseRedact = "case.redact"
	// ActionCaseDSR: a data-subject request carried out on the case
	// (GDPR arts. 16, 17); Detail: "erase.redact", "erase.keep" or "rectify".
	ActionCaseDSR = "case.dsr"
	// ActionCaseTask: a task on the case (RC-2); ObjectCase, the report
	// id; Detail: the step token ("meeting.request", made by ActorSystem
	// "whistleblower", "meeting.done", "meeting.decline"). No text.
	ActionCaseTask = "case.task"

	// The whistleblower's identity (the optional identity answers).
	ActionIdentityRequest = "identity.request" // access requested
	ActionIdentityApprove = "identity.approve" // Detail: the approved user id
	ActionIdentityDeny    = "identity.deny"    // Detail: the refused user id
	ActionIdentityRead    = "identity.read"    // identity answers decrypted
	// ActionIdentityConsent: the whistleblower shared their identity with
	// the case's handlers. ActorSystem, ActorID "whistleblower"; Detail:
	// the user id of a handler who received it (one entry per handler).
	ActionIdentityConsent = "identity.consent"

	// Registers (the record of reports kept under art. 18, statistics).
	ActionRegisterRead   = "register.read"
	ActionRegisterExport = "register.export" // Detail: export format token
	// GDPR registers (breach log, data-subject requests) changed. Object:
	// ObjectBreach or ObjectDataSubjectRequest and its id, or ObjectUser
	// for a register key granted to that user. Detail: the step token,
	// such as "breach.create" or "dsr.extend".
	ActionRegisterWrite = "register.write"

	// Staff accounts, channels and settings.
	ActionUserCreate      = "user.create" // Detail: the role
	ActionUserRoleChange  = "user.role"   // Detail: the new role
	ActionUserDisable     = "user.disable"
	ActionUserEnable      = "user.enable"
	ActionUserRecover     = "user.recover"   // account unlocked with its recovery key
	ActionChannelChange   = "channel.update" // channel settings or handlers changed
	ActionSettingsChange  = "settings.update"
	ActionAuditLogRead    = "audit.read"
	ActionAuditLogVerify  = "audit.verify"
	ActionRetentionDelete = "retention.delete" // ActorSystem deleted a case past its retention period

	// ActionDeclarationAccept: a staff user accepted the confidentiality
	// declaration. Object: the user; Detail: "version:<n>".
	ActionDeclarationAccept = "declaration.accept"
)

var actions = map[string]bool{
	ActionLogin: true, ActionLoginFailed: true, ActionLogout: true,
	ActionCaseList: true, ActionCaseRead: true, ActionCaseFileRead: true, ActionCaseExport: true,
	ActionCaseMessage: true, ActionCaseJournal: true, ActionCaseStateChange: true,
	ActionCaseAccessGrant: true, ActionCaseAccessRevoke: true, ActionCaseDelete: true, ActionCaseDeadline: true, ActionCasePerson: true,
	ActionCaseHold: true, ActionCaseRetention: true, ActionCasePurge: true, ActionCaseDisclose: true, ActionCaseRedact: true, ActionCaseDSR: true,
	ActionCaseTask: true, ActionIdentityRequest: true, ActionIdentityApprove: true, ActionIdentityDeny: true, ActionIdentityRead: true, ActionIdentityConsent: true,
	ActionRegisterRead: true, ActionRegisterExport: true, ActionRegisterWrite: true,
	ActionUserCreate: true, ActionUserRoleChange: true, ActionUserDisable: true, ActionUserEnable: true,
	ActionUserRecover: true, ActionChannelChange: true, ActionSettingsChange: true,
	ActionAuditLogRead: true, ActionAuditLogVerify: true, ActionRetentionDelete: true,
	ActionDeclarationAccept: true,
}

// Object types.
const (
	ObjectCase         = "case"     // ObjectID: report id
	ObjectFile         = "file"     // ObjectID: file id
	ObjectUser         = "user"     // ObjectID: user id
	ObjectChannel      = "channel"  // ObjectID: channel id
	ObjectRegister     = "register" // ObjectID: empty or a register name token
	ObjectOrganisation = "organisation"
	ObjectAuditLog     = "audit_log"
)

// Object types of the GDPR registers.
const (
	// ObjectBreach is an entry of the breach log (GDPR art. 33(5)); ObjectID: breach id.
	ObjectBreach = "breach"
	// ObjectDataSubjectRequest is an entry of the data-subject request register; ObjectID: request id.
	ObjectDataSubjectRequest = "dsr"
	// Records of processing and the registers tied to them (GDPR arts. 28,
	// 30, 32, 35); ObjectID: the item id. ObjectAccessReview is a quarterly
	// access-review campaign (AR-1); ObjectID: the review id.
	ObjectActivity     = "ropa"
	ObjectProcessor    = "processor"
	ObjectDPIA         = "dpia"
	ObjectRisk         = "risk"
	ObjectAccessReview = "access_review"
)

var objectTypes = map[string]bool{
	"": true, ObjectCase: true, ObjectFile: true, ObjectUser: true, ObjectChannel: true,
	ObjectRegister: true, ObjectBreach: true, ObjectDataSubjectRequest: true, ObjectOrganisation: true, ObjectAuditLog: true,
	ObjectActivity: true, ObjectProcessor: true, ObjectDPIA: true, ObjectRisk: true, ObjectAccessReview: true,
}

// MaxTokenLen bounds ActorID, ObjectID and Detail.
const MaxTokenLen = 64

// ErrInvalid is returned by Record for an entry that breaks the rules above.
var ErrInvalid = errors.New("audit: invalid entry")

// Entry is what a caller records; the time comes from the Log's clock and
// the seq and hashes from the store.
type Entry struct {
	TenantID   string
	ActorType  string // ActorStaff or ActorSystem
	ActorID    string // user id; never an e-mail address or name
	Action     string // one of the Action constants
	ObjectType string // one of the Object constants
	ObjectID   string // row id; never content
	Detail     string // optional closed-vocabulary token; NEVER free text
}

// Validate checks e against the rules of the package comment.
func (e Entry) Validate() error {
	switch {
	case e.TenantID == "":
		return fmt.Errorf("%w: no tenant", ErrInvalid)
	case e.ActorType != ActorStaff && e.ActorType != ActorSystem:
		return fmt.Errorf("%w: actor type %q", ErrInvalid, e.ActorType)
	case e.ActorType == ActorStaff && e.ActorID == "":
		return fmt.Errorf("%w: staff action without a user id", ErrInvalid)
	case !actions[e.Action]:
		return fmt.Errorf("%w: unknown action %q", ErrInvalid, e.Action)
	case !objectTypes[e.ObjectType]:
		return fmt.Errorf("%w: unknown object type %q", ErrInvalid, e.ObjectType)
	}
	for _, f := range []struct{ name, v string }{{"actor id", e.ActorID}, {"object id", e.ObjectID}, {"detail", e.Detail}} {
		if !isToken(f.v) {
			// The value is not echoed: it may be exactly what must not leak.
			return fmt.Errorf("%w: %s is not a short token (a-z, 0-9, . _ : -, at most %d bytes)", ErrInvalid, f.name, MaxTokenLen)
		}
	}
	return nil
}

// isToken accepts identifiers and vocabulary words and rejects anything
// resembling prose or contact data: spaces, capitals, '@', '/', non-ASCII.
func isToken(s string) bool {
	if len(s) > MaxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// Log records audit entries.
type Log struct {
	DB  *store.DB
	Now func() time.Time // default time.Now
}

// New returns a Log on db with the given clock (nil for time.Now).
func New(db *store.DB, now func() time.Time) *Log {
	return &Log{DB: db, Now: now}
}

func (l *Log) now() time.Time {
	if l.Now == nil {
		return time.Now()
	}
	return l.Now()
}

// Record appends e in a transaction of its own. Use it for reads and
// exports, before the content is returned: if Record fails, the caller
// must not hand out the content (fail closed).
func (l *Log) Record(ctx context.Context, e Entry) (store.AuditEntry, error) {
	se, err := l.entry(e)
	if err != nil {
		return store.AuditEntry{}, err
	}
	return l.DB.AppendAudit(ctx, se)
}

// RecordTx appends e inside tx, so that a change (state change, deletion,
// grant) and its audit entry commit together or not at all. Call it late in
// the transaction: on PostgreSQL it holds the tenant's audit head lock until
// tx ends.
func (l *Log) RecordTx(ctx context.Context, tx *store.Tx, e Entry) (store.AuditEntry, error) {
	se, err := l.entry(e)
	if err != nil {
		return store.AuditEntry{}, err
	}
	return tx.AppendAudit(ctx, se)
}

func (l *Log) entry(e Entry) (store.AuditEntry, error) {
	if err := e.Validate(); err != nil {
		return store.AuditEntry{}, err
	}
	return store.AuditEntry{TenantID: e.TenantID, At: l.now(), ActorType: e.ActorType, ActorID: e.ActorID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail}, nil
}

// Hash is the chain hash of an entry: SHA-256(prev || canonical encoding),
// where the canonical encoding is store.AuditEncoding (fields
// length-prefixed, seq and time as 8-byte big-endian integers). It lives in
// the store because the store computes it atomically with the seq.
func Hash(prev []byte, e store.AuditEntry) []byte { return store.AuditHash(prev, e) }
