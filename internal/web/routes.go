package web

import (
	"net/http"

	"github.com/varsel/varsel/internal/store"
)

func (s *Server) publicRouteTable() []route {
	return []route{
		// Whistleblower site: every step works without JavaScript.
		{Method: http.MethodGet, Path: "/{$}", Handler: s.landingPage},
		{Method: http.MethodGet, Path: "/privacy", Handler: s.privacyPage},
		// Internal and external reporting channels (RC-6).
		{Method: http.MethodGet, Path: "/channels", Handler: s.channelsInfoPage},
		{Method: http.MethodGet, Path: "/report/{channel}", Handler: s.reportForm},
		{Method: http.MethodPost, Path: "/report/{channel}", Handler: s.reportSubmit},
		{Method: http.MethodPost, Path: "/report/{channel}/confirm", Handler: s.reportConfirm},
		{Method: http.MethodPost, Path: "/login", Handler: s.wbLogin},
		{Method: http.MethodGet, Path: "/status", Handler: s.wbStatusPage},
		{Method: http.MethodPost, Path: "/status/messages", Handler: s.wbMessageSubmit},
		{Method: http.MethodPost, Path: "/status/files", Handler: s.wbFilesSubmit},
		{Method: http.MethodPost, Path: "/status/files/confirm", Handler: s.wbFilesConfirm},
		{Method: http.MethodGet, Path: "/status/files/{file}", Handler: s.wbFileDownload},
		{Method: http.MethodPost, Path: "/logout", Handler: s.wbLogout},
		{Method: http.MethodGet, Path: "/static/{name}", Handler: s.static},

		{Method: http.MethodGet, Path: "/api/v1/openapi.json", Handler: s.openAPI("public.json")},
		{Method: http.MethodGet, Path: "/api/v1/channels", API: true, Handler: s.apiChannels},
		{Method: http.MethodPost, Path: "/api/v1/reports", API: true, Handler: s.apiSubmitReport},
		{Method: http.MethodPost, Path: "/api/v1/wb/session", API: true, Handler: s.apiWBLogin},
		{Method: http.MethodDelete, Path: "/api/v1/wb/session", API: true, Handler: s.apiWBLogout},
		{Method: http.MethodGet, Path: "/api/v1/wb/report", API: true, Handler: s.apiWBReport},
		{Method: http.MethodPost, Path: "/api/v1/wb/messages", API: true, Handler: s.apiWBMessage},
		{Method: http.MethodPost, Path: "/api/v1/wb/files", API: true, Handler: s.apiWBFiles},
		{Method: http.MethodGet, Path: "/api/v1/wb/files/{file}", API: true, Handler: s.apiWBFile},

		// Identity vault: the whistleblower's consent (CA-3).
		{Method: http.MethodPost, Path: "/status/identity-consent", Handler: s.wbIdentityConsentSubmit},
		{Method: http.MethodPost, Path: "/api/v1/wb/identity-consent", API: true, Handler: s.apiWBIdentityConsent},

		// Transcripts and minutes of oral reports: the whistleblower checks,
		// corrects and approves them (JR-3).
		{Method: http.MethodGet, Path: "/api/v1/wb/transcripts", API: true, Handler: s.apiWBTranscripts},
		{Method: http.MethodPost, Path: "/api/v1/wb/transcripts/{tid}/correction", API: true, Handler: s.apiWBTranscriptCorrect},
		{Method: http.MethodPost, Path: "/api/v1/wb/transcripts/{tid}/approve", API: true, Handler: s.apiWBTranscriptApprove},
		{Method: http.MethodPost, Path: "/status/transcripts/{tid}/correction", Handler: s.wbTranscriptCorrectSubmit},
		{Method: http.MethodPost, Path: "/status/transcripts/{tid}/approve", Handler: s.wbTranscriptApproveSubmit},

		// A meeting on request (RC-2).
		{Method: http.MethodPost, Path: "/status/meeting-requests", Handler: s.wbMeetingSubmit},
		{Method: http.MethodGet, Path: "/api/v1/wb/meeting-requests", API: true, Handler: s.apiWBMeetingRequests},
		{Method: http.MethodPost, Path: "/api/v1/wb/meeting-requests", API: true, Handler: s.apiWBMeetingRequest},
	}
}

func (s *Server) staffRouteTable() []route {
	return []route{
		{Method: http.MethodGet, Path: "/setup", Handler: s.setupForm},
		{Method: http.MethodPost, Path: "/setup", Handler: s.setupSubmit},
		{Method: http.MethodGet, Path: "/login", Handler: s.staffLoginForm},
		{Method: http.MethodPost, Path: "/login", Handler: s.staffLoginSubmit},
		{Method: http.MethodPost, Path: "/logout", Handler: s.staffLogout},
		{Method: http.MethodGet, Path: "/{$}", Handler: s.inboxPage},
		{Method: http.MethodGet, Path: "/cases/{id}", Handler: s.casePage},
		{Method: http.MethodPost, Path: "/cases/{id}/messages", Handler: s.caseMessageSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/state", Handler: s.caseStateSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/journal", Handler: s.caseJournalSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/files/{file}", Handler: s.caseFileDownload},
		{Method: http.MethodPost, Path: "/cases/{id}/access", Handler: s.caseAccessSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/deadline-extension", Handler: s.caseExtendSubmit},
		{Method: http.MethodGet, Path: "/static/{name}", Handler: s.static},

		{Method: http.MethodGet, Path: "/api/v1/openapi.json", Handler: s.openAPI("staff.json")},
		{Method: http.MethodPost, Path: "/api/v1/staff/session", API: true, Handler: s.apiStaffLogin},
		{Method: http.MethodDelete, Path: "/api/v1/staff/session", API: true, Handler: s.apiStaffLogout},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases", API: true, Handler: s.apiInbox},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}", API: true, Handler: s.apiCase},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/files/{file}", API: true, Handler: s.apiCaseFile},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/messages", API: true, Handler: s.apiCaseMessage},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/state", API: true, Handler: s.apiCaseState},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/journal", API: true, Handler: s.apiCaseJournal},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/journal", API: true, Handler: s.apiCaseJournalAdd},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/deadline-extension", API: true, Handler: s.apiCaseExtend},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/access", API: true, Handler: s.apiCaseAccess},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/access", API: true, Handler: s.apiCaseAccessGrant},
		{Method: http.MethodDelete, Path: "/api/v1/staff/cases/{id}/access/{user}", API: true, Handler: s.apiCaseAccessRevoke},

		// Persons concerned and their GDPR art. 14 notification (CA-4,
		// DN-1, DN-2); statistics (ST-1, admins and the DPO only).
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/persons", API: true, Handler: s.apiPersons},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/persons", API: true, Handler: s.apiPersonCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/persons/{pid}", API: true, Handler: s.apiPerson},
		{Method: http.MethodPatch, Path: "/api/v1/staff/cases/{id}/persons/{pid}", API: true, Handler: s.apiPersonUpdate},
		{Method: http.MethodDelete, Path: "/api/v1/staff/cases/{id}/persons/{pid}", API: true, Handler: s.apiPersonDelete},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/persons/{pid}/notified", API: true, Handler: s.apiPersonNotified},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/persons/{pid}/defer", API: true, Handler: s.apiPersonDefer},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/persons/{pid}/access-export", API: true, Handler: s.apiSubjectExport},
		{Method: http.MethodGet, Path: "/api/v1/staff/notifications/due", API: true, Handler: s.apiDueNotifications},
		{Method: http.MethodGet, Path: "/api/v1/staff/statistics", API: true, Handler: s.apiStatistics},

		// Retention and deletion (internal/retention): policies, legal
		// holds, extensions, upcoming deletions, deletion records, purges.
		{Method: http.MethodGet, Path: "/api/v1/staff/retention/policies", API: true, Handler: s.apiRetentionPolicies},
		{Method: http.MethodPut, Path: "/api/v1/staff/retention/policies", API: true, Handler: s.apiRetentionPolicyPut},
		{Method: http.MethodGet, Path: "/api/v1/staff/retention/upcoming", API: true, Handler: s.apiRetentionUpcoming},
		{Method: http.MethodGet, Path: "/api/v1/staff/retention/deletions", API: true, Handler: s.apiRetentionDeletions},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/hold", API: true, Handler: s.apiCaseHold},
		{Method: http.MethodDelete, Path: "/api/v1/staff/cases/{id}/hold", API: true, Handler: s.apiCaseHoldRelease},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/retention-extension", API: true, Handler: s.apiCaseRetentionExtend},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/purge", API: true, Handler: s.apiCasePurge},

		// Disclosure notes to other authorities (DA-1, CA-3) and the case
		// export as a zip (RT-3).
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/disclosures", API: true, Handler: s.apiDisclosureCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/disclosures", API: true, Handler: s.apiDisclosures},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/disclosures/{did}", API: true, Handler: s.apiDisclosure},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/disclosures/{did}/pdf", API: true, Handler: s.apiDisclosurePDF},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/disclosures/{did}/finalise", API: true, Handler: s.apiDisclosureFinalise},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/export", API: true, Handler: s.apiCaseExport},

		// GDPR registers (internal/privacy): admins and the DPO only.
		{Method: http.MethodGet, Path: "/api/v1/staff/breaches", API: true, Handler: s.apiBreaches},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches", API: true, Handler: s.apiBreachCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/breaches/{id}", API: true, Handler: s.apiBreach},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/updates", API: true, Handler: s.apiBreachUpdate},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/notify-authority", API: true, Handler: s.apiBreachNotifyAuthority},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/subject-notice", API: true, Handler: s.apiBreachSubjectNotice},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/close", API: true, Handler: s.apiBreachClose},
		{Method: http.MethodGet, Path: "/api/v1/staff/requests", API: true, Handler: s.apiRequests},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests", API: true, Handler: s.apiRequestCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/requests/{id}", API: true, Handler: s.apiRequest},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/verify", API: true, Handler: s.apiRequestVerify},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/extend", API: true, Handler: s.apiRequestExtend},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/complete", API: true, Handler: s.apiRequestComplete},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/refuse", API: true, Handler: s.apiRequestRefuse},
		// Erasure, restriction and rectification acting on case data
		// (GDPR arts. 16 to 18, api_dsr.go): linked and restricted from the
		// register, carried out on a person by a holder of the case key.
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/links", API: true, Handler: s.apiRequestLinkCreate},
		{Method: http.MethodDelete, Path: "/api/v1/staff/requests/{id}/links/{lid}", API: true, Handler: s.apiRequestLinkDelete},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/links/{lid}/restrict", API: true, Handler: s.apiRequestLinkRestrict},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/links/{lid}/lift", API: true, Handler: s.apiRequestLinkLift},
		{Method: http.MethodPost, Path: "/api/v1/staff/requests/{id}/links/{lid}/erase-case", API: true, Handler: s.apiRequestLinkEraseCase},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/requests", API: true, Handler: s.apiCaseRequests},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/requests/{lid}/erase", API: true, Handler: s.apiCaseRequestErase},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/requests/{lid}/rectify", API: true, Handler: s.apiCaseRequestRectify},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/key-rotation", API: true, Handler: s.apiRegisterKeyRotate},

		// Records of processing (art. 30), processors (art. 28), DPIAs
		// (art. 35), risks, access reviews (AR-1) and the audit log (AL-2):
		// admins and the DPO only.
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/ropa", API: true, Handler: s.apiActivities},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/ropa", API: true, Handler: s.apiActivityCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/ropa/export", API: true, Handler: s.apiRegistersExport},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/ropa/{id}", API: true, Handler: s.apiActivity},
		{Method: http.MethodPut, Path: "/api/v1/staff/registers/ropa/{id}", API: true, Handler: s.apiActivityUpdate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/processors", API: true, Handler: s.apiProcessors},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/processors", API: true, Handler: s.apiProcessorCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/processors/{id}", API: true, Handler: s.apiProcessor},
		{Method: http.MethodPut, Path: "/api/v1/staff/registers/processors/{id}", API: true, Handler: s.apiProcessorUpdate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/dpias", API: true, Handler: s.apiDPIAs},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/dpias", API: true, Handler: s.apiDPIACreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/dpias/{id}", API: true, Handler: s.apiDPIA},
		{Method: http.MethodPut, Path: "/api/v1/staff/registers/dpias/{id}", API: true, Handler: s.apiDPIAUpdate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/risks", API: true, Handler: s.apiRisks},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/risks", API: true, Handler: s.apiRiskCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/risks/{id}", API: true, Handler: s.apiRisk},
		{Method: http.MethodPut, Path: "/api/v1/staff/registers/risks/{id}", API: true, Handler: s.apiRiskUpdate},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/reviews", API: true, Handler: s.apiAccessReviews},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/reviews", API: true, Handler: s.apiAccessReviewStart},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/reviews/{id}", API: true, Handler: s.apiAccessReview},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/reviews/{id}/lines/{user}", API: true, Handler: s.apiAccessReviewAttest},
		{Method: http.MethodGet, Path: "/api/v1/staff/audit", API: true, Handler: s.apiAuditLog},

		// Breach response plan (identify, contain and notify, remediate and
		// verify), owners and reviews of register entries, the DPO's
		// dashboard and the confidentiality declarations (issue 5).
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/phases/{phase}/start", API: true, Handler: s.apiBreachPhaseStart},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/phases/{phase}/complete", API: true, Handler: s.apiBreachPhaseComplete},
		{Method: http.MethodPost, Path: "/api/v1/staff/breaches/{id}/phases/{phase}/items", API: true, Handler: s.apiBreachPhaseItemAdd},
		{Method: http.MethodPut, Path: "/api/v1/staff/breaches/{id}/phases/{phase}/items/{item}", API: true, Handler: s.apiBreachPhaseItemSet},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/ropa/{id}/reviewed", API: true, Handler: s.apiMarkReviewed(store.RegisterActivity)},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/processors/{id}/reviewed", API: true, Handler: s.apiMarkReviewed(store.RegisterProcessor)},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/dpias/{id}/reviewed", API: true, Handler: s.apiMarkReviewed(store.RegisterDPIA)},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/risks/{id}/reviewed", API: true, Handler: s.apiMarkReviewed(store.RegisterRisk)},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/retention-policies", API: true, Handler: s.apiRetentionPolicyRegister},
		{Method: http.MethodPut, Path: "/api/v1/staff/registers/retention-policies/{channel}/{category}", API: true, Handler: s.apiRetentionPolicySchedule},
		{Method: http.MethodPost, Path: "/api/v1/staff/registers/retention-policies/{channel}/{category}/reviewed", API: true, Handler: s.apiRetentionPolicyReviewed},
		{Method: http.MethodGet, Path: "/api/v1/staff/registers/dashboard", API: true, Handler: s.apiDashboard},
		{Method: http.MethodGet, Path: "/api/v1/staff/declaration", API: true, Handler: s.apiDeclaration},
		{Method: http.MethodPost, Path: "/api/v1/staff/declaration/acceptance", API: true, Handler: s.apiDeclarationAccept},
		{Method: http.MethodGet, Path: "/api/v1/staff/declarations", API: true, Handler: s.apiDeclarations},
		{Method: http.MethodPost, Path: "/api/v1/staff/declarations", API: true, Handler: s.apiDeclarationPublish},

		// Identity vault: requests to read a whistleblower's identity and
		// custodians' decisions (CA-3).
		{Method: http.MethodPost, Path: "/cases/{id}/identity-requests", Handler: s.caseIdentityRequestSubmit},
		{Method: http.MethodGet, Path: "/identity-requests", Handler: s.identityRequestsPage},
		{Method: http.MethodPost, Path: "/identity-requests/{rid}/approve", Handler: s.identityApproveSubmit},
		{Method: http.MethodPost, Path: "/identity-requests/{rid}/deny", Handler: s.identityDenySubmit},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/identity-requests", API: true, Handler: s.apiIdentityRequestCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/identity-requests", API: true, Handler: s.apiIdentityRequests},
		{Method: http.MethodPost, Path: "/api/v1/staff/identity-requests/{rid}/approve", API: true, Handler: s.apiIdentityApprove},
		{Method: http.MethodPost, Path: "/api/v1/staff/identity-requests/{rid}/deny", API: true, Handler: s.apiIdentityDeny},

		// GDPR registers on the staff site: admins and the DPO only.
		{Method: http.MethodGet, Path: "/registers", Handler: s.registersPage},
		{Method: http.MethodGet, Path: "/registers/breaches", Handler: s.breachesPage},
		{Method: http.MethodPost, Path: "/registers/breaches", Handler: s.breachCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/breaches/{id}", Handler: s.breachPage},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/notify-authority", Handler: s.breachNotifySubmit},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/close", Handler: s.breachCloseSubmit},
		{Method: http.MethodGet, Path: "/registers/requests", Handler: s.requestsPage},
		{Method: http.MethodPost, Path: "/registers/requests", Handler: s.requestCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/requests/{id}", Handler: s.requestPage},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/verify", Handler: s.requestVerifySubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/extend", Handler: s.requestExtendSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/complete", Handler: s.requestCompleteSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/refuse", Handler: s.requestRefuseSubmit},
		{Method: http.MethodGet, Path: "/registers/requests/{id}/links", Handler: s.requestLinksPage},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/links", Handler: s.requestLinkSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/links/{lid}/restrict", Handler: s.requestLinkRestrictSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/links/{lid}/lift", Handler: s.requestLinkLiftSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/links/{lid}/erase-case", Handler: s.requestLinkEraseCaseSubmit},
		{Method: http.MethodPost, Path: "/registers/requests/{id}/links/{lid}/unlink", Handler: s.requestUnlinkSubmit},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/phases/{phase}/start", Handler: s.breachPhaseStartSubmit},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/phases/{phase}/complete", Handler: s.breachPhaseCompleteSubmit},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/phases/{phase}/items", Handler: s.breachPhaseItemAddSubmit},
		{Method: http.MethodPost, Path: "/registers/breaches/{id}/phases/{phase}/items/{item}", Handler: s.breachPhaseItemSubmit},
		{Method: http.MethodGet, Path: "/registers/dashboard", Handler: s.dashboardPage},
		{Method: http.MethodPost, Path: "/registers/dashboard/reviewed", Handler: s.dashboardReviewedSubmit},
		{Method: http.MethodGet, Path: "/registers/export.pdf", Handler: s.registersPDFDownload},
		{Method: http.MethodGet, Path: "/registers/declarations", Handler: s.declarationsPage},
		{Method: http.MethodPost, Path: "/registers/declarations", Handler: s.declarationPublishSubmit},
		{Method: http.MethodGet, Path: "/declaration", Handler: s.declarationPage},
		{Method: http.MethodPost, Path: "/declaration", Handler: s.declarationAcceptSubmit},

		// Records of processing, processors, DPIAs, risks, access reviews
		// and retention as pages (html_register_items.go,
		// html_access_reviews.go, html_retention.go): admins and the DPO;
		// a case's retention page for whoever may open the case.
		{Method: http.MethodGet, Path: "/registers/ropa", Handler: s.ropaPage},
		{Method: http.MethodPost, Path: "/registers/ropa", Handler: s.ropaCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/ropa/{id}", Handler: s.ropaItemPage},
		{Method: http.MethodPost, Path: "/registers/ropa/{id}", Handler: s.ropaUpdateSubmit},
		{Method: http.MethodPost, Path: "/registers/ropa/{id}/reviewed", Handler: s.ropaReviewedSubmit},
		{Method: http.MethodGet, Path: "/registers/processors", Handler: s.processorsPage},
		{Method: http.MethodPost, Path: "/registers/processors", Handler: s.processorCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/processors/{id}", Handler: s.processorPage},
		{Method: http.MethodPost, Path: "/registers/processors/{id}", Handler: s.processorUpdateSubmit},
		{Method: http.MethodPost, Path: "/registers/processors/{id}/reviewed", Handler: s.processorReviewedSubmit},
		{Method: http.MethodGet, Path: "/registers/dpias", Handler: s.dpiasPage},
		{Method: http.MethodPost, Path: "/registers/dpias", Handler: s.dpiaCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/dpias/{id}", Handler: s.dpiaPage},
		{Method: http.MethodPost, Path: "/registers/dpias/{id}", Handler: s.dpiaUpdateSubmit},
		{Method: http.MethodPost, Path: "/registers/dpias/{id}/reviewed", Handler: s.dpiaReviewedSubmit},
		{Method: http.MethodGet, Path: "/registers/risks", Handler: s.risksPage},
		{Method: http.MethodPost, Path: "/registers/risks", Handler: s.riskCreateSubmit},
		{Method: http.MethodGet, Path: "/registers/risks/{id}", Handler: s.riskPage},
		{Method: http.MethodPost, Path: "/registers/risks/{id}", Handler: s.riskUpdateSubmit},
		{Method: http.MethodPost, Path: "/registers/risks/{id}/reviewed", Handler: s.riskReviewedSubmit},
		{Method: http.MethodGet, Path: "/registers/access-reviews", Handler: s.accessReviewsPage},
		{Method: http.MethodPost, Path: "/registers/access-reviews", Handler: s.accessReviewStartSubmit},
		{Method: http.MethodGet, Path: "/registers/access-reviews/{id}", Handler: s.accessReviewPage},
		{Method: http.MethodPost, Path: "/registers/access-reviews/{id}/lines/{user}", Handler: s.accessReviewAttestSubmit},
		{Method: http.MethodGet, Path: "/registers/retention", Handler: s.retentionPage},
		{Method: http.MethodPost, Path: "/registers/retention/policies/{channel}/{category}", Handler: s.retentionPolicySubmit},
		{Method: http.MethodPost, Path: "/registers/retention/policies/{channel}/{category}/reviewed", Handler: s.retentionPolicyReviewedSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/retention", Handler: s.caseRetentionPage},
		{Method: http.MethodPost, Path: "/cases/{id}/retention/hold", Handler: s.caseHoldSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/retention/release", Handler: s.caseHoldReleaseSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/retention/extend", Handler: s.caseRetentionExtendSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/retention/purge", Handler: s.casePurgeSubmit},

		// Persons concerned, disclosure notes, the case export and the
		// statistics as pages (cookie session).
		{Method: http.MethodPost, Path: "/cases/{id}/persons", Handler: s.casePersonSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/persons/{pid}", Handler: s.personPage},
		{Method: http.MethodPost, Path: "/cases/{id}/persons/{pid}/notified", Handler: s.personNotifiedSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/persons/{pid}/defer", Handler: s.personDeferSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/disclosures", Handler: s.disclosuresPage},
		{Method: http.MethodPost, Path: "/cases/{id}/disclosures", Handler: s.disclosureSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/disclosures/{did}", Handler: s.disclosurePage},
		{Method: http.MethodGet, Path: "/cases/{id}/disclosures/{did}/pdf", Handler: s.disclosurePDFDownload},
		{Method: http.MethodPost, Path: "/cases/{id}/disclosures/{did}/finalise", Handler: s.disclosureFinaliseSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/export", Handler: s.caseExportDownload},
		{Method: http.MethodGet, Path: "/statistics", Handler: s.statisticsPage},

		// Workflow settings (issue 3): custom statuses and closing
		// reasons; reads for any staff, changes for admins.
		{Method: http.MethodGet, Path: "/api/v1/staff/settings/statuses", API: true, Handler: s.apiSettingsStatuses},
		{Method: http.MethodPut, Path: "/api/v1/staff/settings/statuses", API: true, Handler: s.apiSettingsStatusesPut},
		{Method: http.MethodGet, Path: "/api/v1/staff/settings/outcomes", API: true, Handler: s.apiSettingsOutcomes},
		{Method: http.MethodPut, Path: "/api/v1/staff/settings/outcomes", API: true, Handler: s.apiSettingsOutcomesPut},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/custom-status", API: true, Handler: s.apiCaseCustomStatus},

		// Oral reports (phone, meeting), their transcripts or minutes and
		// recordings (issue 3; JR-2, JR-3).
		{Method: http.MethodPost, Path: "/api/v1/staff/oral-reports", API: true, Handler: s.apiOralReport},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/transcripts", API: true, Handler: s.apiCaseTranscripts},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/transcripts", API: true, Handler: s.apiCaseTranscriptCreate},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/transcripts/{tid}/send", API: true, Handler: s.apiCaseTranscriptSend},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/recording", API: true, Handler: s.apiCaseRecording},

		// Case exports and deletion after a confirmed export (issue 3,
		// RT-3), the staff pages of oral reports and transcripts, and the
		// settings pages (custom statuses, closing reasons, deletion after
		// export).
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/exports", API: true, Handler: s.apiCaseExports},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/exports/{eid}/confirm-deletion", API: true, Handler: s.apiCaseExportConfirm},
		{Method: http.MethodGet, Path: "/api/v1/staff/settings/export-deletion", API: true, Handler: s.apiSettingsExportDeletion},
		{Method: http.MethodPut, Path: "/api/v1/staff/settings/export-deletion", API: true, Handler: s.apiSettingsExportDeletionPut},
		{Method: http.MethodPost, Path: "/cases/{id}/exports/{eid}/confirm-deletion", Handler: s.caseExportConfirmSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/custom-status", Handler: s.caseCustomStatusSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/transcripts", Handler: s.caseTranscriptSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/transcripts/{tid}/send", Handler: s.caseTranscriptSendSubmit},
		// Oral reports recorded by a handler, and their recording with
		// consent (html_oral_report.go; Directive art. 9(2), JR-2).
		{Method: http.MethodGet, Path: "/oral-reports/new", Handler: s.oralReportForm},
		{Method: http.MethodPost, Path: "/oral-reports", Handler: s.oralReportSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/recording", Handler: s.caseRecordingSubmit},
		// Data-subject requests carried out from the case (html_case_requests.go).
		{Method: http.MethodGet, Path: "/cases/{id}/requests/{lid}/erase", Handler: s.caseRequestErasePage},
		{Method: http.MethodPost, Path: "/cases/{id}/requests/{lid}/erase", Handler: s.caseRequestEraseSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/requests/{lid}/rectify", Handler: s.caseRequestRectifyPage},
		{Method: http.MethodPost, Path: "/cases/{id}/requests/{lid}/rectify", Handler: s.caseRequestRectifySubmit},
		{Method: http.MethodGet, Path: "/settings", Handler: s.settingsPage},
		{Method: http.MethodPost, Path: "/settings/statuses", Handler: s.settingsStatusesSubmit},
		{Method: http.MethodPost, Path: "/settings/outcomes", Handler: s.settingsOutcomesSubmit},
		{Method: http.MethodPost, Path: "/settings/export-deletion", Handler: s.settingsExportDeletionSubmit},
		// Anonymous reports (RC-1) and the channels page (RC-6).
		{Method: http.MethodPost, Path: "/settings/reporting", Handler: s.settingsReportingSubmit},
		{Method: http.MethodPost, Path: "/settings/meetings", Handler: s.settingsMeetingsSubmit},
		{Method: http.MethodGet, Path: "/api/v1/staff/settings/reporting", API: true, Handler: s.apiSettingsReporting},
		{Method: http.MethodPut, Path: "/api/v1/staff/settings/reporting", API: true, Handler: s.apiSettingsReportingPut},
		// Meetings the whistleblower asked for (RC-2).
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/tasks", API: true, Handler: s.apiCaseTasks},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/tasks/{task}/close", API: true, Handler: s.apiCaseTaskClose},
		{Method: http.MethodPost, Path: "/cases/{id}/tasks/{task}/close", Handler: s.caseMeetingCloseSubmit},
		{Method: http.MethodGet, Path: "/api/v1/staff/settings/meetings", API: true, Handler: s.apiSettingsMeetings},
		{Method: http.MethodPut, Path: "/api/v1/staff/settings/meetings", API: true, Handler: s.apiSettingsMeetingsPut},

		// Anonymised copies of case files with four-eyes approval and the
		// release gate (issue 4, DA-2): API and pages.
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/redactions", API: true, Handler: s.apiRedactions},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/redactions", API: true, Handler: s.apiRedactionCreate},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}", API: true, Handler: s.apiRedaction},
		{Method: http.MethodPatch, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}", API: true, Handler: s.apiRedactionUpdate},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/submit", API: true, Handler: s.apiRedactionSubmit},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/approve", API: true, Handler: s.apiRedactionApprove},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/reject", API: true, Handler: s.apiRedactionReject},
		{Method: http.MethodPost, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/release", API: true, Handler: s.apiRedactionRelease},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/preview", API: true, Handler: s.apiRedactionPreview},
		{Method: http.MethodGet, Path: "/api/v1/staff/cases/{id}/redactions/{redaction}/download", API: true, Handler: s.apiRedactionDownload},
		{Method: http.MethodGet, Path: "/cases/{id}/redactions", Handler: s.redactionsPage},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions", Handler: s.redactionStartSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/redactions/{redaction}", Handler: s.redactionPage},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/decisions", Handler: s.redactionDecisionsSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/areas", Handler: s.redactionAreaSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/values", Handler: s.redactionValueSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/remove", Handler: s.redactionRemoveSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/submit", Handler: s.redactionSubmitSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/approve", Handler: s.redactionApproveSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/reject", Handler: s.redactionRejectSubmit},
		{Method: http.MethodPost, Path: "/cases/{id}/redactions/{redaction}/release", Handler: s.redactionReleaseSubmit},
		{Method: http.MethodGet, Path: "/cases/{id}/redactions/{redaction}/preview", Handler: s.redactionPreviewPage},
		{Method: http.MethodGet, Path: "/cases/{id}/redactions/{redaction}/pages/{page}", Handler: s.redactionPageImage},
		{Method: http.MethodGet, Path: "/cases/{id}/redactions/{redaction}/download", Handler: s.redactionDownload},
	}
}
