package web

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/store"
)

// addNamedHandler adds a handler of the default channel with a display
// name, which offers them for exclusion on the public form.
func (e *apiEnv) addNamedHandler(email, name string) (staffUser, string) {
	e.t.Helper()
	pw := "correct horse battery staple"
	c, err := e.accounts.CreateUser(context.Background(), accounts.NewUser{Email: email, DisplayName: name,
		Role: accounts.RoleHandler, Password: pw, Channels: []string{org.DefaultChannel}})
	if err != nil {
		e.t.Fatal(err)
	}
	e.acceptDeclaration(c.UserID)
	return staffUser{Email: email, Password: pw, TOTP: decodeSecret(e.t, c.TOTPSecret)}, c.UserID
}

// CW-5: the whistleblower excludes a handler the report concerns. No key
// is wrapped to them, so they cannot read it even with the database, and
// nobody can grant it to them later.
func TestExcludedHandlerNeverGetsTheCaseKeys(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		alice, aliceID := e.addNamedHandler("alice@example.org", "Alice Director")

		var chans struct {
			Channels []struct {
				Excludable []struct{ ID, Name string } `json:"excludable_handlers"`
			}
		}
		e.doJSON(e.public.URL, "GET", "/api/v1/channels", "", nil, http.StatusOK, &chans)
		if ex := chans.Channels[0].Excludable; len(ex) != 1 || ex[0].ID != aliceID || ex[0].Name != "Alice Director" {
			t.Fatalf("excludable handlers = %+v (only named handlers are offered)", ex)
		}

		submit := func(exclude []string) (int, string) {
			ctype, buf := multipartBody(mustJSON(map[string]any{"channel": org.DefaultChannel,
				"answers": minimalAnswers("the director"), "exclude": exclude}))
			resp, err := http.Post(e.public.URL+"/api/v1/reports", ctype, buf)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if status, body := submit([]string{"nobody"}); status != http.StatusUnprocessableEntity {
			t.Fatalf("excluding someone not offered: %d %s", status, body)
		}
		if status, body := submit([]string{aliceID}); status != http.StatusCreated {
			t.Fatalf("submit with exclusion: %d %s", status, body)
		}

		aliceTok := e.staffLogin(alice)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", aliceTok, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 0 {
			t.Fatalf("the excluded handler sees the case: %+v", inbox)
		}
		owner := e.staffLogin(e.handler)
		id := e.oneCase(owner)
		if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases/"+id, aliceTok); status != http.StatusNotFound {
			t.Fatalf("excluded handler opened the case: %d", status)
		}
		for _, kind := range []string{store.KeyReport, store.KeyIdentity, store.KeyCase} {
			if _, err := e.db.ReportKey(context.Background(), "default", id, kind, store.HolderUser, aliceID); err == nil {
				t.Fatalf("a %s key is wrapped to the excluded handler", kind)
			}
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/access", owner, map[string]string{"user": aliceID}, http.StatusConflict, nil)
	})
}

// CA-1: access is granted and revoked per case; both are journaled, and
// the last handler cannot be removed.
func TestAccessIsGrantedAndRevokedPerCase(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		outsider := e.addUser("outsider@example.org", accounts.RoleAdmin)
		e.submitOK(minimalAnswers("grant me"))
		owner := e.staffLogin(e.handler)
		id := e.oneCase(owner)
		outTok := e.staffLogin(outsider)
		if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases/"+id, outTok); status != http.StatusNotFound {
			t.Fatalf("before the grant: %d", status)
		}
		var holders struct {
			Holders []struct {
				UserID string `json:"user_id"`
			}
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/access", owner, nil, http.StatusOK, &holders)
		if len(holders.Holders) != 1 {
			t.Fatalf("holders = %+v", holders)
		}
		ownerID := holders.Holders[0].UserID
		user, err := e.db.UserByEmail(context.Background(), "default", "outsider@example.org")
		if err != nil {
			t.Fatal(err)
		}
		e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+id+"/access", owner, map[string]string{"user": user.ID}, http.StatusNoContent, nil)
		var c caseResp
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id, outTok, nil, http.StatusOK, &c)
		if c.Answers["what"] != "grant me" {
			t.Fatalf("grantee reads %+v", c.Answers)
		}
		e.doJSON(e.staff.URL, "DELETE", "/api/v1/staff/cases/"+id+"/access/"+user.ID, owner, nil, http.StatusNoContent, nil)
		if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases/"+id, outTok); status != http.StatusNotFound {
			t.Fatalf("after revocation: %d", status)
		}
		e.doJSON(e.staff.URL, "DELETE", "/api/v1/staff/cases/"+id+"/access/"+ownerID, owner, nil, http.StatusConflict, nil)

		var j struct {
			Entries []struct {
				Kind, Action string
				UserID       string `json:"user_id"`
			}
		}
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+id+"/journal", owner, nil, http.StatusOK, &j)
		var actions []string
		for _, en := range j.Entries {
			if en.Kind == "access" && en.UserID == user.ID {
				actions = append(actions, en.Action)
			}
		}
		if len(actions) != 2 || actions[0] != "grant" || actions[1] != "revoke" {
			t.Fatalf("journaled access changes = %v", actions)
		}
	})
}
