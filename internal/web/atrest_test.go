package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/store/storetest"
)

func marker(kind string) string {
	var b [6]byte
	rand.Read(b[:])
	return "MARK" + kind + hex.EncodeToString(b[:])
}

// CA-5, RC-3, RC-4: a copy of the database (WAL included), the blob store
// and the logs reveals no answer, identity answer, file name, file content,
// message or receipt, even after handlers and the whistleblower have read
// and answered everything.
func TestAtRestStoredBytesRevealNoContentOrReceipt(t *testing.T) {
	forEachDialect(t, func(t *testing.T, d store.Dialect) {
		e := newAPIEnv(t, d)
		var secrets []string
		add := func(kind string) string { m := marker(kind); secrets = append(secrets, m); return m }

		var receipts []string
		for range 3 {
			answers := map[string]any{
				"what": add("what") + " with ÆØÅ æøå", "when": add("when"), "where": add("where"), "who": add("who"),
				"how_known": "documents", "identity_name": add("idname"), "identity_contact": add("idcontact"),
			}
			fileBody := strings.Repeat(add("fbody")+"\n", 20000) // several age chunks
			r := e.submitOK(answers, fileOf(add("fname")+".txt", fileBody), fileOf(add("fname")+".pdf", add("fsmall")))
			receipts = append(receipts, r)
			canonical, _ := keys.ParseReceipt(r)
			secrets = append(secrets, r, string(canonical), strings.ReplaceAll(r, " ", ""))
		}

		staff := e.staffLogin(e.handler)
		var inbox struct{ Cases []struct{ ID string } }
		e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases", staff, nil, http.StatusOK, &inbox)
		if len(inbox.Cases) != 3 {
			t.Fatalf("inbox has %d cases", len(inbox.Cases))
		}
		for _, c := range inbox.Cases {
			var cj caseResp
			e.doJSON(e.staff.URL, "GET", "/api/v1/staff/cases/"+c.ID, staff, nil, http.StatusOK, &cj)
			for _, f := range cj.Files {
				if status, _ := e.get(e.staff.URL, "/api/v1/staff/cases/"+c.ID+"/files/"+f.ID, staff); status != http.StatusOK {
					t.Fatalf("download: %d", status)
				}
			}
			e.doJSON(e.staff.URL, "POST", "/api/v1/staff/cases/"+c.ID+"/messages", staff, map[string]string{"text": add("staffmsg")}, http.StatusCreated, nil)
		}
		for _, r := range receipts {
			wb := e.wbLogin(r)
			var mine caseResp
			e.doJSON(e.public.URL, "GET", "/api/v1/wb/report", wb, nil, http.StatusOK, &mine)
			if len(mine.Messages) != 1 || !strings.HasPrefix(mine.Messages[0].Text, "MARKstaffmsg") {
				t.Fatalf("whistleblower did not get the reply: %+v", mine.Messages)
			}
			e.doJSON(e.public.URL, "POST", "/api/v1/wb/messages", wb, map[string]string{"text": add("wbmsg")}, http.StatusCreated, nil)
			// Sessions stay open on purpose: their rows must not reveal keys either.
		}
		// The staff password and its TOTP secret are secrets of the same kind.
		secrets = append(secrets, e.handler.Password)

		stored := map[string][]byte{}
		for _, p := range storetest.SQLiteFiles(e.db) {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			stored[p] = b
		}
		if d == store.Postgres {
			stored["postgres rows"] = dumpRows(t, e.db)
		}
		filepath.WalkDir(e.blobDir, func(p string, de fs.DirEntry, err error) error {
			if err == nil && !de.IsDir() {
				b, _ := os.ReadFile(p)
				stored[p] = b
			}
			return nil
		})
		stored["logs"] = e.logs.Bytes()
		if d == store.SQLite && len(stored) < 4 {
			t.Fatalf("scanned too little: %d places", len(stored))
		}
		for place, b := range stored {
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s contains %q", place, s)
				}
			}
		}
		// RC-4: the logs name no visitor address.
		if bytes.Contains(stored["logs"], []byte("127.0.0.1")) {
			t.Error("logs contain a client address")
		}
	})
}

// dumpRows reads every column of every table, so a PostgreSQL copy is
// scanned as raw values (bytea included) rather than through an encoding.
func dumpRows(t *testing.T, db *store.DB) []byte {
	t.Helper()
	var out bytes.Buffer
	ctx := context.Background()
	err := db.EachStoredValue(ctx, func(table string, v []byte) { out.Write(v); out.WriteByte(0) })
	if err != nil {
		t.Fatal(err)
	}
	if out.Len() == 0 {
		t.Fatal("no rows dumped")
	}
	return out.Bytes()
}
