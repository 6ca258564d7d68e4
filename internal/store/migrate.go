package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// migrations are applied in order and never edited once released. The DDL is
// written once with two type words that differ between the engines:
// BYTES (BLOB / BYTEA) and INT64 (INTEGER / BIGINT). Timestamps are Unix
// milliseconds in INT64 columns so that the same SQL text works on both.
var migrations = []string{
	// 1: core platform.
	`
CREATE TABLE tenants (
	tenant_id        TEXT PRIMARY KEY,
	name             TEXT NOT NULL,
	receipt_salt     BYTES NOT NULL,
	next_case_number INT64 NOT NULL DEFAULT 1,
	created_at       INT64 NOT NULL
);

CREATE TABLE setup_tokens (
	tenant_id  TEXT NOT NULL,
	token_hash TEXT NOT NULL,
	created_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, token_hash)
);

CREATE TABLE users (
	tenant_id      TEXT NOT NULL,
	user_id        TEXT NOT NULL,
	email          TEXT NOT NULL,
	role           TEXT NOT NULL,
	pw_salt        BYTES NOT NULL,
	pw_params      TEXT NOT NULL,
	pw_verifier    BYTES NOT NULL,
	public_key     TEXT NOT NULL,
	secret_by_pw   BYTES NOT NULL,
	secret_by_rec  BYTES NOT NULL,
	totp_by_pw     BYTES NOT NULL,
	totp_by_rec    BYTES NOT NULL,
	totp_last_step INT64 NOT NULL DEFAULT 0,
	created_at     INT64 NOT NULL,
	disabled_at    INT64,
	PRIMARY KEY (tenant_id, user_id),
	UNIQUE (tenant_id, email)
);

CREATE TABLE questionnaires (
	tenant_id        TEXT NOT NULL,
	questionnaire_id TEXT NOT NULL,
	version          INT64 NOT NULL,
	body             TEXT NOT NULL,
	created_at       INT64 NOT NULL,
	PRIMARY KEY (tenant_id, questionnaire_id, version)
);

CREATE TABLE channels (
	tenant_id             TEXT NOT NULL,
	channel_id            TEXT NOT NULL,
	name                  TEXT NOT NULL,
	description           TEXT NOT NULL,
	questionnaire_id      TEXT NOT NULL,
	questionnaire_version INT64 NOT NULL,
	position              INT64 NOT NULL DEFAULT 0,
	created_at            INT64 NOT NULL,
	PRIMARY KEY (tenant_id, channel_id)
);

CREATE TABLE channel_handlers (
	tenant_id  TEXT NOT NULL,
	channel_id TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	PRIMARY KEY (tenant_id, channel_id, user_id)
);

CREATE TABLE reports (
	tenant_id             TEXT NOT NULL,
	report_id             TEXT NOT NULL,
	case_number           INT64 NOT NULL,
	channel_id            TEXT NOT NULL,
	questionnaire_id      TEXT NOT NULL,
	questionnaire_version INT64 NOT NULL,
	status                TEXT NOT NULL,
	receipt_lookup        BYTES NOT NULL,
	file_recipient        TEXT NOT NULL,
	file_identity         BYTES NOT NULL,
	answers               BYTES NOT NULL,
	identity_answers      BYTES,
	received_at           INT64 NOT NULL,
	last_activity_at      INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id),
	UNIQUE (tenant_id, case_number),
	UNIQUE (tenant_id, receipt_lookup)
);
CREATE INDEX reports_received ON reports (tenant_id, received_at);
CREATE INDEX reports_activity ON reports (tenant_id, last_activity_at);
CREATE INDEX reports_status ON reports (tenant_id, status, received_at);

CREATE TABLE report_keys (
	tenant_id   TEXT NOT NULL,
	report_id   TEXT NOT NULL,
	key_kind    TEXT NOT NULL,
	holder_type TEXT NOT NULL,
	holder_id   TEXT NOT NULL,
	alg         TEXT NOT NULL,
	wrapped     BYTES NOT NULL,
	created_at  INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id, key_kind, holder_type, holder_id)
);
CREATE INDEX report_keys_holder ON report_keys (tenant_id, holder_type, holder_id, key_kind, report_id);

CREATE TABLE files (
	tenant_id   TEXT NOT NULL,
	file_id     TEXT NOT NULL,
	report_id   TEXT NOT NULL,
	blob_key    TEXT NOT NULL,
	meta        BYTES NOT NULL,
	author_type TEXT NOT NULL,
	author_id   TEXT NOT NULL,
	created_at  INT64 NOT NULL,
	seq         INT64 NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, file_id),
	UNIQUE (blob_key)
);
CREATE INDEX files_report ON files (tenant_id, report_id, created_at);

CREATE TABLE messages (
	tenant_id   TEXT NOT NULL,
	message_id  TEXT NOT NULL,
	report_id   TEXT NOT NULL,
	author_type TEXT NOT NULL,
	author_id   TEXT NOT NULL,
	body        BYTES NOT NULL,
	created_at  INT64 NOT NULL,
	PRIMARY KEY (tenant_id, message_id)
);
CREATE INDEX messages_report ON messages (tenant_id, report_id, created_at);

CREATE TABLE case_reads (
	tenant_id TEXT NOT NULL,
	report_id TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	read_at   INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id, user_id)
);

CREATE TABLE sessions (
	tenant_id    TEXT NOT NULL,
	session_id   TEXT NOT NULL,
	kind         TEXT NOT NULL,
	subject_id   TEXT NOT NULL,
	sealed_key   BYTES NOT NULL,
	created_at   INT64 NOT NULL,
	last_seen_at INT64 NOT NULL,
	expires_at   INT64 NOT NULL,
	PRIMARY KEY (session_id)
);
CREATE INDEX sessions_expiry ON sessions (expires_at);
`,
	// 2: case workflow, journal, audit log, job leases, reminders.
	`
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE channel_handlers ADD COLUMN offer_exclusion INT64 NOT NULL DEFAULT 1;

ALTER TABLE channels ADD COLUMN ack_days INT64 NOT NULL DEFAULT 7;
ALTER TABLE channels ADD COLUMN feedback_months INT64 NOT NULL DEFAULT 3;

ALTER TABLE reports ADD COLUMN ack_due_at INT64;
ALTER TABLE reports ADD COLUMN acknowledged_at INT64;
ALTER TABLE reports ADD COLUMN feedback_due_at INT64;
ALTER TABLE reports ADD COLUMN feedback_given_at INT64;
ALTER TABLE reports ADD COLUMN closed_at INT64;
ALTER TABLE reports ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE reports ADD COLUMN journal_seq INT64 NOT NULL DEFAULT 0;
ALTER TABLE reports ADD COLUMN exclusions BYTES;
ALTER TABLE reports ADD COLUMN next_due_at INT64 NOT NULL DEFAULT 9007199254740991;
CREATE INDEX reports_next_due ON reports (tenant_id, next_due_at, received_at DESC, report_id DESC);

CREATE TABLE journal (
	tenant_id   TEXT NOT NULL,
	report_id   TEXT NOT NULL,
	entry_id    TEXT NOT NULL,
	seq         INT64 NOT NULL,
	kind        TEXT NOT NULL,
	author_type TEXT NOT NULL,
	author_id   TEXT NOT NULL,
	supersedes  TEXT NOT NULL DEFAULT '',
	body        BYTES NOT NULL,
	created_at  INT64 NOT NULL,
	PRIMARY KEY (tenant_id, entry_id),
	UNIQUE (tenant_id, report_id, seq)
);

CREATE TABLE audit_heads (
	tenant_id TEXT PRIMARY KEY,
	seq       INT64 NOT NULL,
	hash      BYTES NOT NULL
);

CREATE TABLE audit_log (
	tenant_id   TEXT NOT NULL,
	seq         INT64 NOT NULL,
	at          INT64 NOT NULL,
	actor_type  TEXT NOT NULL,
	actor_id    TEXT NOT NULL,
	action      TEXT NOT NULL,
	object_type TEXT NOT NULL,
	object_id   TEXT NOT NULL,
	detail      TEXT NOT NULL DEFAULT '',
	prev_hash   BYTES NOT NULL,
	hash        BYTES NOT NULL,
	PRIMARY KEY (tenant_id, seq)
);

CREATE TABLE job_leases (
	tenant_id  TEXT NOT NULL,
	job        TEXT NOT NULL,
	holder     TEXT NOT NULL,
	expires_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, job)
);

CREATE TABLE reminders_sent (
	tenant_id TEXT NOT NULL,
	report_id TEXT NOT NULL,
	kind      TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	sent_at   INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id, kind, user_id)
);
`,
	// 3: GDPR registers: breach log (arts. 33, 34) and data-subject
	// requests (arts. 12 to 22). Dates, types, states and deadlines are in
	// clear for the deadline views; everything a person typed is sealed
	// under the tenant's register key in register_entries.body.
	`
CREATE TABLE register_keyring (
	tenant_id  TEXT PRIMARY KEY,
	created_by TEXT NOT NULL,
	created_at INT64 NOT NULL
);

CREATE TABLE register_keys (
	tenant_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	wrapped    BYTES NOT NULL,
	created_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE breaches (
	tenant_id             TEXT NOT NULL,
	breach_id             TEXT NOT NULL,
	breach_type           TEXT NOT NULL,
	aware_at              INT64 NOT NULL,
	notify_due_at         INT64 NOT NULL,
	severity              INT64 NOT NULL,
	risk                  TEXT NOT NULL,
	risk_overridden       INT64 NOT NULL DEFAULT 0,
	authority_notified_at INT64,
	notified_late         INT64 NOT NULL DEFAULT 0,
	subject_notice        TEXT NOT NULL DEFAULT '',
	subject_notice_at     INT64,
	status                TEXT NOT NULL,
	closed_at             INT64,
	entry_seq             INT64 NOT NULL DEFAULT 0,
	created_by            TEXT NOT NULL,
	created_at            INT64 NOT NULL,
	updated_at            INT64 NOT NULL,
	PRIMARY KEY (tenant_id, breach_id)
);
CREATE INDEX breaches_due ON breaches (tenant_id, status, notify_due_at);

CREATE TABLE dsr_requests (
	tenant_id        TEXT NOT NULL,
	request_id       TEXT NOT NULL,
	request_type     TEXT NOT NULL,
	channel          TEXT NOT NULL,
	received_at      INT64 NOT NULL,
	due_at           INT64 NOT NULL,
	extended_months  INT64 NOT NULL DEFAULT 0,
	extended_at      INT64,
	informed_at      INT64,
	verification     TEXT NOT NULL,
	verify_method    TEXT NOT NULL DEFAULT '',
	on_behalf        TEXT NOT NULL DEFAULT '',
	verified_at      INT64,
	status           TEXT NOT NULL,
	closed_at        INT64,
	complaint_notice INT64 NOT NULL DEFAULT 0,
	entry_seq        INT64 NOT NULL DEFAULT 0,
	created_by       TEXT NOT NULL,
	created_at       INT64 NOT NULL,
	PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX dsr_requests_due ON dsr_requests (tenant_id, status, due_at);

CREATE TABLE register_entries (
	tenant_id  TEXT NOT NULL,
	register   TEXT NOT NULL,
	parent_id  TEXT NOT NULL,
	entry_id   TEXT NOT NULL,
	seq        INT64 NOT NULL,
	kind       TEXT NOT NULL,
	author_id  TEXT NOT NULL,
	body       BYTES NOT NULL,
	created_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, entry_id),
	UNIQUE (tenant_id, register, parent_id, seq)
);
`,
	// 4: identity vault (CA-2, CA-3; Directive art. 16): custodians hold
	// the identity keys; handlers' requests and whistleblowers' consents.
	// Who asked, when and what was decided are in clear; the reasons are
	// sealed under a per-request key wrapped (key_wraps, JSON user id ->
	// age ciphertext) to the custodians and the requester.
	`
ALTER TABLE users ADD COLUMN custodian INT64 NOT NULL DEFAULT 0;

CREATE TABLE identity_requests (
	tenant_id       TEXT NOT NULL,
	request_id      TEXT NOT NULL,
	report_id       TEXT NOT NULL,
	kind            TEXT NOT NULL,
	requester_id    TEXT NOT NULL,
	state           TEXT NOT NULL,
	decided_by      TEXT NOT NULL DEFAULT '',
	reason          BYTES,
	decision_reason BYTES,
	key_wraps       BYTES,
	created_at      INT64 NOT NULL,
	decided_at      INT64,
	PRIMARY KEY (tenant_id, request_id)
);
CREATE INDEX identity_requests_report ON identity_requests (tenant_id, report_id, created_at);
CREATE INDEX identity_requests_state ON identity_requests (tenant_id, state, created_at);
`,
	// 5: intake drafts for the metadata confirmation step (issue 4).
	// The draft's keys are sealed under a key derived from a token only the
	// browser holds (draft_id is its hash, as for sessions); its answers and
	// file rows are sealed under the draft's report key. intake_draft_blobs
	// keeps the sweeper off the draft's blobs until the draft goes.
	`
CREATE TABLE intake_drafts (
	tenant_id   TEXT NOT NULL,
	draft_id    TEXT NOT NULL,
	sealed_keys BYTES NOT NULL,
	sealed_body BYTES NOT NULL,
	created_at  INT64 NOT NULL,
	expires_at  INT64 NOT NULL,
	PRIMARY KEY (tenant_id, draft_id)
);
CREATE INDEX intake_drafts_expiry ON intake_drafts (expires_at);

CREATE TABLE intake_draft_blobs (
	tenant_id TEXT NOT NULL,
	draft_id  TEXT NOT NULL,
	blob_key  TEXT NOT NULL,
	PRIMARY KEY (tenant_id, draft_id, blob_key)
);
CREATE INDEX intake_draft_blobs_key ON intake_draft_blobs (blob_key);
`,
	// 6: retention and deletion (issue 5): policies per channel and data
	// category (unconfirmed until an admin confirms), legal holds (reason
	// sealed under the case key), the one retention extension per case,
	// and deletion records, which hold no content.
	`
CREATE TABLE retention_policies (
	tenant_id    TEXT NOT NULL,
	channel_id   TEXT NOT NULL,
	category     TEXT NOT NULL,
	months       INT64 NOT NULL,
	confirmed_by TEXT NOT NULL DEFAULT '',
	confirmed_at INT64,
	updated_by   TEXT NOT NULL DEFAULT '',
	updated_at   INT64 NOT NULL,
	PRIMARY KEY (tenant_id, channel_id, category)
);

CREATE TABLE case_holds (
	tenant_id TEXT NOT NULL,
	report_id TEXT NOT NULL,
	reason    BYTES NOT NULL,
	placed_by TEXT NOT NULL,
	placed_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id)
);

CREATE TABLE retention_extensions (
	tenant_id   TEXT NOT NULL,
	report_id   TEXT NOT NULL,
	months      INT64 NOT NULL,
	extended_by TEXT NOT NULL,
	extended_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id)
);

CREATE TABLE deletion_records (
	tenant_id           TEXT NOT NULL,
	record_id           TEXT NOT NULL,
	category            TEXT NOT NULL,
	case_number         INT64 NOT NULL,
	channel_id          TEXT NOT NULL,
	closed_at           INT64,
	deleted_at          INT64 NOT NULL,
	policy_channel_id   TEXT NOT NULL,
	policy_category     TEXT NOT NULL,
	policy_months       INT64 NOT NULL,
	policy_confirmed_at INT64,
	PRIMARY KEY (tenant_id, record_id)
);
CREATE INDEX deletion_records_deleted ON deletion_records (tenant_id, deleted_at);
CREATE INDEX reports_closed ON reports (tenant_id, closed_at);
`,
	// 7: persons concerned and their notification (issue 3).
	// Pseudonym, role, dates and notification state are in clear for the
	// lists and the due view; the details (name, aliases, relatives,
	// contact, notes), the deferral reason and legal basis, and the
	// generated notice are sealed under the case key. A removed person
	// keeps its row (so its pseudonym is never reused) with the sealed
	// columns emptied.
	`
CREATE TABLE case_persons (
	tenant_id     TEXT NOT NULL,
	person_id     TEXT NOT NULL,
	report_id     TEXT NOT NULL,
	position      INT64 NOT NULL,
	pseudonym     TEXT NOT NULL,
	role          TEXT NOT NULL,
	details       BYTES,
	registered_at INT64 NOT NULL,
	notify_due_at INT64 NOT NULL,
	notice_state  TEXT NOT NULL,
	notified_at   INT64,
	notice_method TEXT NOT NULL DEFAULT '',
	review_at     INT64,
	deferral      BYTES,
	notice        BYTES,
	notice_at     INT64,
	updated_at    INT64 NOT NULL,
	removed_at    INT64,
	PRIMARY KEY (tenant_id, person_id),
	UNIQUE (tenant_id, report_id, position)
);
CREATE INDEX case_persons_state ON case_persons (tenant_id, notice_state, notify_due_at);
`,
	// 8: disclosure notes (DA-1, CA-3; Directive art. 16, DK § 26): what
	// leaves a case for another authority, as a separate note. State,
	// author, times, the identity basis token and the id of the notice
	// message are in clear; recipient, legal basis, date, free text and
	// the selected items are sealed under the case key in body.
	`
CREATE TABLE case_disclosures (
	tenant_id         TEXT NOT NULL,
	disclosure_id     TEXT NOT NULL,
	report_id         TEXT NOT NULL,
	state             TEXT NOT NULL,
	body              BYTES NOT NULL,
	has_identity      INT64 NOT NULL DEFAULT 0,
	identity_basis    TEXT NOT NULL DEFAULT '',
	notice_message_id TEXT NOT NULL DEFAULT '',
	created_by        TEXT NOT NULL,
	created_at        INT64 NOT NULL,
	finalised_by      TEXT NOT NULL DEFAULT '',
	finalised_at      INT64,
	PRIMARY KEY (tenant_id, disclosure_id)
);
CREATE INDEX case_disclosures_report ON case_disclosures (tenant_id, report_id, created_at);
`,
	// 9: records of processing (GDPR art. 30), processors (art. 28), DPIAs
	// (art. 35), the risk register and quarterly access reviews (issue 5).
	// One row per register item holds what the lists need in clear (links,
	// flags, scores, clause letters, dates, owner); what a person typed is
	// sealed under K_reg in register_entries like the breach log.
	// register_seeds marks that a register's default entry was made, so
	// two first users never seed it twice.
	`
CREATE TABLE register_items (
	tenant_id     TEXT NOT NULL,
	register      TEXT NOT NULL,
	item_id       TEXT NOT NULL,
	activity_id   TEXT NOT NULL DEFAULT '',
	activities    TEXT NOT NULL DEFAULT '',
	high_risk     INT64 NOT NULL DEFAULT 0,
	likelihood    INT64 NOT NULL DEFAULT 0,
	impact        INT64 NOT NULL DEFAULT 0,
	agreement_at  INT64,
	clauses       TEXT NOT NULL DEFAULT '',
	dpo_advice_at INT64,
	owner_id      TEXT NOT NULL DEFAULT '',
	review_at     INT64,
	entry_seq     INT64 NOT NULL,
	created_by    TEXT NOT NULL,
	created_at    INT64 NOT NULL,
	updated_by    TEXT NOT NULL,
	updated_at    INT64 NOT NULL,
	PRIMARY KEY (tenant_id, item_id)
);
CREATE INDEX register_items_register ON register_items (tenant_id, register, created_at);

CREATE TABLE register_seeds (
	tenant_id  TEXT NOT NULL,
	register   TEXT NOT NULL,
	item_id    TEXT NOT NULL,
	created_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, register)
);

CREATE TABLE access_reviews (
	tenant_id    TEXT NOT NULL,
	review_id    TEXT NOT NULL,
	started_by   TEXT NOT NULL,
	started_at   INT64 NOT NULL,
	due_at       INT64 NOT NULL,
	completed_at INT64,
	PRIMARY KEY (tenant_id, review_id)
);
CREATE UNIQUE INDEX access_reviews_open ON access_reviews (tenant_id) WHERE completed_at IS NULL;

CREATE TABLE access_review_lines (
	tenant_id  TEXT NOT NULL,
	review_id  TEXT NOT NULL,
	user_id    TEXT NOT NULL,
	role       TEXT NOT NULL,
	channels   TEXT NOT NULL,
	case_keys  INT64 NOT NULL,
	decision   TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at INT64,
	PRIMARY KEY (tenant_id, review_id, user_id)
);
`,
	// 10: organisation settings (issue 3, workflow): custom statuses
	// mapping onto the case states and the configured closing reasons,
	// one JSON value per tenant and key; the custom status a case carries.
	`
CREATE TABLE org_settings (
	tenant_id  TEXT NOT NULL,
	key        TEXT NOT NULL,
	value      TEXT NOT NULL,
	updated_by TEXT NOT NULL DEFAULT '',
	updated_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, key)
);

ALTER TABLE reports ADD COLUMN custom_status TEXT NOT NULL DEFAULT '';
`,
	// 11: oral reports and their transcripts (issue 3; JR-2, JR-3): how a
	// handler-created case was reported and whether a recording is
	// consented to; transcript or minutes versions sealed under the report
	// key, with their states (draft, sent, corrected, approved).
	`
CREATE TABLE oral_reports (
	tenant_id         TEXT NOT NULL,
	report_id         TEXT NOT NULL,
	source            TEXT NOT NULL,
	consent_recording INT64 NOT NULL,
	created_by        TEXT NOT NULL,
	created_at        INT64 NOT NULL,
	PRIMARY KEY (tenant_id, report_id)
);

CREATE TABLE transcripts (
	tenant_id     TEXT NOT NULL,
	transcript_id TEXT NOT NULL,
	report_id     TEXT NOT NULL,
	doc_id        TEXT NOT NULL,
	version       INT64 NOT NULL,
	supersedes    TEXT NOT NULL DEFAULT '',
	state         TEXT NOT NULL,
	author_type   TEXT NOT NULL,
	author_id     TEXT NOT NULL DEFAULT '',
	body          BYTES NOT NULL,
	signature     BYTES,
	created_at    INT64 NOT NULL,
	sent_at       INT64,
	approved_at   INT64,
	PRIMARY KEY (tenant_id, transcript_id)
);

CREATE UNIQUE INDEX transcripts_version ON transcripts (tenant_id, report_id, doc_id, version);
`,
	// 12: anonymised copies of case files (issue 4; DA-2), prepared by one
	// handler and approved by another. State, version, the people and
	// times of each step and the names of failed release-gate checks are
	// in clear; findings, their values, decisions, manual areas and values
	// and the rejection reason are sealed under the case key in body; the
	// approved output is an age stream in the blob store.
	`
CREATE TABLE case_redactions (
	tenant_id    TEXT NOT NULL,
	redaction_id TEXT NOT NULL,
	report_id    TEXT NOT NULL,
	file_id      TEXT NOT NULL,
	state        TEXT NOT NULL,
	version      INT64 NOT NULL,
	body         BYTES NOT NULL,
	blob_key     TEXT NOT NULL DEFAULT '',
	gate_checks  TEXT NOT NULL DEFAULT '',
	gate_leaks   INT64 NOT NULL DEFAULT 0,
	created_by   TEXT NOT NULL,
	created_at   INT64 NOT NULL,
	updated_by   TEXT NOT NULL,
	updated_at   INT64 NOT NULL,
	submitted_by TEXT NOT NULL DEFAULT '',
	submitted_at INT64,
	decided_by   TEXT NOT NULL DEFAULT '',
	decided_at   INT64,
	released_by  TEXT NOT NULL DEFAULT '',
	released_at  INT64,
	PRIMARY KEY (tenant_id, redaction_id)
);
CREATE INDEX case_redactions_report ON case_redactions (tenant_id, report_id, created_at);
CREATE INDEX case_redactions_blob ON case_redactions (blob_key);
`,
	// 13: register reviews and confidentiality declarations (issue 5).
	// register_reviews keeps every "mark reviewed" of a register entry
	// (activity, processor, DPIA, risk, retention policy): who, when and
	// the next date set, no content. review_schedules holds owner and
	// next review date of entries whose own row has no such columns (the
	// retention policies, stored or still the default). A declaration is
	// the organisation's policy text, not personal data, so it is kept in
	// clear with its version; declaration_acceptances says who accepted
	// which version, and when.
	`
CREATE TABLE register_reviews (
	tenant_id      TEXT NOT NULL,
	review_id      TEXT NOT NULL,
	register       TEXT NOT NULL,
	item_id        TEXT NOT NULL,
	reviewed_by    TEXT NOT NULL,
	reviewed_at    INT64 NOT NULL,
	next_review_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, review_id)
);
CREATE INDEX register_reviews_item ON register_reviews (tenant_id, register, item_id, reviewed_at);

CREATE TABLE review_schedules (
	tenant_id  TEXT NOT NULL,
	register   TEXT NOT NULL,
	item_id    TEXT NOT NULL,
	owner_id   TEXT NOT NULL DEFAULT '',
	review_at  INT64,
	updated_by TEXT NOT NULL,
	updated_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, register, item_id)
);

CREATE TABLE confidentiality_declarations (
	tenant_id  TEXT NOT NULL,
	version    INT64 NOT NULL,
	body       TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, version)
);

CREATE TABLE declaration_acceptances (
	tenant_id   TEXT NOT NULL,
	user_id     TEXT NOT NULL,
	version     INT64 NOT NULL,
	accepted_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, user_id, version)
);
`,
	// 14: data-subject requests acting on case data (GDPR arts. 16 to
	// 18) and register key rotation (issue 5). dsr_links ties a request to
	// a case or to one person of it and holds the state of the action
	// (pending, restricted, lifted, erased, rectified) and, when sealed
	// journal entries were kept, the art. 17(3) ground token; case number
	// and pseudonym stay so the register still says what was done once
	// the case is gone. Superseded person details (rectification) stay
	// sealed under the case key in case_person_versions until an erasure
	// or the case's deletion. The keyring counts generations: a writer
	// holding a rotated-out key is refused, and rotate_pending marks a
	// key whose holder lost the role before someone holding it could
	// rotate it.
	`
CREATE TABLE dsr_links (
	tenant_id    TEXT NOT NULL,
	link_id      TEXT NOT NULL,
	request_id   TEXT NOT NULL,
	request_type TEXT NOT NULL,
	report_id    TEXT NOT NULL,
	person_id    TEXT NOT NULL DEFAULT '',
	case_number  INT64 NOT NULL,
	pseudonym    TEXT NOT NULL DEFAULT '',
	state        TEXT NOT NULL,
	ground       TEXT NOT NULL DEFAULT '',
	created_by   TEXT NOT NULL,
	created_at   INT64 NOT NULL,
	acted_by     TEXT NOT NULL DEFAULT '',
	acted_at     INT64,
	lifted_by    TEXT NOT NULL DEFAULT '',
	lifted_at    INT64,
	PRIMARY KEY (tenant_id, link_id)
);
CREATE UNIQUE INDEX dsr_links_target ON dsr_links (tenant_id, request_id, report_id, person_id);
CREATE INDEX dsr_links_report ON dsr_links (tenant_id, report_id, state);

CREATE TABLE case_person_versions (
	tenant_id     TEXT NOT NULL,
	person_id     TEXT NOT NULL,
	version       INT64 NOT NULL,
	report_id     TEXT NOT NULL,
	details       BYTES NOT NULL,
	superseded_at INT64 NOT NULL,
	PRIMARY KEY (tenant_id, person_id, version)
);
CREATE INDEX case_person_versions_report ON case_person_versions (tenant_id, report_id);

ALTER TABLE case_persons ADD COLUMN version INT64 NOT NULL DEFAULT 1;
ALTER TABLE case_persons ADD COLUMN erased_at INT64;

ALTER TABLE register_keyring ADD COLUMN generation INT64 NOT NULL DEFAULT 1;
ALTER TABLE register_keyring ADD COLUMN rotate_pending INT64 NOT NULL DEFAULT 0;
ALTER TABLE register_keyring ADD COLUMN rotated_at INT64;
ALTER TABLE register_keys ADD COLUMN generation INT64 NOT NULL DEFAULT 1;

ALTER TABLE deletion_records ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
`,
	// 15: case exports and deletion after a confirmed export (issue 3,
	// RT-3): one row per export with the journal position and activity
	// time it was made at (a later change makes it stale) and, once the
	// zip was streamed whole, its SHA-256; no content. Deletion records
	// say on what basis a case went (retention or a confirmed export),
	// who confirmed it and which export. reports.lang is the language tag
	// (en, da, nb) the whistleblower used, so the outcome message goes out
	// in it; a tag of three known values identifies no one.
	`
CREATE TABLE case_exports (
	tenant_id    TEXT NOT NULL,
	export_id    TEXT NOT NULL,
	report_id    TEXT NOT NULL,
	created_by   TEXT NOT NULL,
	created_at   INT64 NOT NULL,
	journal_seq  INT64 NOT NULL,
	activity_at  INT64 NOT NULL,
	sha256       TEXT NOT NULL DEFAULT '',
	completed_at INT64,
	PRIMARY KEY (tenant_id, export_id)
);
CREATE INDEX case_exports_report ON case_exports (tenant_id, report_id, created_at);

ALTER TABLE deletion_records ADD COLUMN basis TEXT NOT NULL DEFAULT 'retention';
ALTER TABLE deletion_records ADD COLUMN deleted_by TEXT NOT NULL DEFAULT '';
ALTER TABLE deletion_records ADD COLUMN export_id TEXT NOT NULL DEFAULT '';
ALTER TABLE deletion_records ADD COLUMN export_sha256 TEXT NOT NULL DEFAULT '';

ALTER TABLE reports ADD COLUMN lang TEXT NOT NULL DEFAULT '';
`,
	// Tasks on a case (RC-2): a whistleblower's request for a meeting,
	// due within a period counted in the organisation's time zone. The
	// request (preferred times, how to reach them) and the handler's
	// answer are sealed under the report key, so the whistleblower reads
	// the answer with their receipt. reports.task_due_at is the earliest
	// open task's due time (the far future when none), so the inbox and
	// the reminders find due tasks without a join.
	`
CREATE TABLE case_tasks (
	tenant_id      TEXT NOT NULL,
	task_id        TEXT NOT NULL,
	report_id      TEXT NOT NULL,
	kind           TEXT NOT NULL,
	status         TEXT NOT NULL,
	requested_at   INT64 NOT NULL,
	due_at         INT64 NOT NULL,
	request        BYTES,
	answer         BYTES,
	oral_report_id TEXT NOT NULL DEFAULT '',
	closed_by      TEXT NOT NULL DEFAULT '',
	closed_at      INT64,
	PRIMARY KEY (tenant_id, task_id)
);
CREATE INDEX case_tasks_report ON case_tasks (tenant_id, report_id, requested_at);

ALTER TABLE reports ADD COLUMN task_due_at INT64 NOT NULL DEFAULT 9007199254740991;
-- The inbox's default order: the earlier of the two due times. The
-- expression is the one in store/inbox.go, word for word, so that both
-- engines walk this index instead of sorting every case.
CREATE INDEX reports_due_any ON reports (tenant_id, (CASE WHEN task_due_at < next_due_at THEN task_due_at ELSE next_due_at END),
	received_at DESC, report_id DESC);
`,
	// 17: forms already sent. A report form carries a random token; its
	// hash is recorded in the report's transaction, so a form posted again
	// (a refresh of the receipt page, a second click) is recognised and
	// not stored twice. Nothing links a mark to its report, and used_on is
	// a day, coarser than the report's own time; marks go after 30 days.
	`
CREATE TABLE submitted_forms (
	tenant_id TEXT NOT NULL,
	mark      TEXT NOT NULL,
	used_on   INT64 NOT NULL,
	PRIMARY KEY (tenant_id, mark)
);
CREATE INDEX submitted_forms_used_on ON submitted_forms (used_on);
`,
	// 18: the PDF an office file was converted to for an anonymised copy,
	// kept so that page previews do not run LibreOffice for every page.
	// The PDF is an age stream in the blob store under conversion_key (a
	// random id, in clear so that the sweeper, a purge and the deletion
	// of the case find it); conversion is its identity and the digest of
	// the source it was made from, sealed under the case key.
	`
ALTER TABLE case_redactions ADD COLUMN conversion_key TEXT NOT NULL DEFAULT '';
ALTER TABLE case_redactions ADD COLUMN conversion BYTES;
CREATE INDEX case_redactions_conversion ON case_redactions (conversion_key);
`,
}

func (db *DB) ddl(s string) string {
	r := strings.NewReplacer("BYTES", "BLOB", "INT64", "INTEGER")
	if db.dialect == Postgres {
		r = strings.NewReplacer("BYTES", "BYTEA", "INT64", "BIGINT")
	}
	return r.Replace(s)
}

// migrate applies the migrations that are not yet recorded, each in its own
// transaction. On PostgreSQL an advisory lock keeps several nodes starting at
// once from racing each other.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer conn.Close()
	if db.dialect == Postgres {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(727001)"); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(727001)")
	}
	if _, err := conn.ExecContext(ctx, db.ddl(`CREATE TABLE IF NOT EXISTS schema_migrations (
		tenant_id  TEXT NOT NULL DEFAULT '',
		version    INT64 PRIMARY KEY,
		applied_at INT64 NOT NULL)`)); err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	for i := current; i < len(migrations); i++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		for _, stmt := range splitStatements(db.ddl(migrations[i])) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("store: migration %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)", i+1, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: record migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: commit migration %d: %w", i+1, err)
		}
	}
	return nil
}

func splitStatements(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ";") {
		if p := strings.TrimSpace(part); p != "" && !onlyComments(p) {
			out = append(out, p)
		}
	}
	return out
}

// onlyComments tells whether a statement holds nothing but "--" comments.
func onlyComments(stmt string) bool {
	for _, line := range strings.Split(stmt, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "--") {
			return false
		}
	}
	return true
}
