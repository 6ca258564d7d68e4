package web

import "net/http"

// Matrix helpers for the oral-report routes (api_oral.go).

// newTranscript has the owner write a transcript on case A (and send it
// when sent) and returns its id.
func (f *matrixFixture) newTranscript(sent bool) string {
	var v struct{ ID string }
	f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/transcripts", f.ownerTok,
		map[string]string{"text": "minutes"}, http.StatusCreated, &v)
	if sent {
		f.e.doJSON(f.e.staff.URL, "POST", "/api/v1/staff/cases/"+f.caseA+"/transcripts/"+v.ID+"/send", f.ownerTok,
			nil, http.StatusOK, nil)
	}
	return v.ID
}

func transcriptParams(f *matrixFixture, _ bool) map[string]string {
	return map[string]string{"id": f.caseA, "tid": f.newTranscript(false)}
}

// recordingPolicy: key holders only; case A (a web submission) records no
// consent to a recording, so even its owner is refused (JR-2).
func recordingPolicy() map[string]int {
	p := pol(http.StatusNotFound)
	p[roleOwner] = http.StatusUnprocessableEntity
	return p
}
