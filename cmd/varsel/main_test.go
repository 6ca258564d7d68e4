package main

import (
	"bytes"
	"context"
	"encoding/base32"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/totp"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestInitAndUserAdd(t *testing.T) {
	for _, k := range []string{"VARSEL_DB", "VARSEL_DB_FILE", "VARSEL_PEPPER_FILE", "VARSEL_PASSWORD_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := filepath.Join(t.TempDir(), "data")
	const password = "correct horse battery staple"

	code, _, stderr := runCLI(t, password+"\n", "user", "add", "--data", dir, "--email", "a@example.org", "--role", "admin", "--password-stdin")
	if code == 0 || !strings.Contains(stderr, "not set up") {
		t.Fatalf("user add before init: code %d, stderr %q", code, stderr)
	}

	code, stdout, stderr := runCLI(t, "", "init", "--data", dir, "--org", "Acme A/S")
	if code != 0 {
		t.Fatalf("init: code %d, stderr %s", code, stderr)
	}
	if !strings.Contains(stdout, "Acme A/S") {
		t.Errorf("init output: %s", stdout)
	}
	if code, _, stderr := runCLI(t, "", "init", "--data", dir, "--org", "Other"); code == 0 || !strings.Contains(stderr, "already set up") {
		t.Fatalf("second init: code %d, stderr %q", code, stderr)
	}

	code, stdout, stderr = runCLI(t, password+"\r\nignored second line\n", "user", "add", "--data", dir,
		"--email", "Admin@Example.org", "--role", "admin", "--password-stdin")
	if code != 0 {
		t.Fatalf("user add: code %d, stderr %s", code, stderr)
	}
	uri := regexp.MustCompile(`otpauth://totp/\S+`).FindString(stdout)
	if uri == "" || !strings.Contains(stdout, "shown only this once") || !strings.Contains(uri, "issuer=Acme%20A%2FS") {
		t.Fatalf("user add output lacks the TOTP URI or the warning:\n%s", stdout)
	}
	secret := regexp.MustCompile(`secret=([A-Z2-7]+)`).FindStringSubmatch(uri)
	if secret == nil || !strings.Contains(stdout, secret[1]) {
		t.Fatalf("manual-entry secret missing:\n%s", stdout)
	}
	if !regexp.MustCompile(`(?m)^  [0-9A-Z-]{26,}$`).MatchString(stdout) {
		t.Errorf("recovery key missing:\n%s", stdout)
	}

	// The created account logs in with the password read from stdin.
	a, err := app.Open(context.Background(), app.Config{DataDir: dir, Out: &bytes.Buffer{}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.Login(context.Background(), "admin@example.org", password, totp.Code(raw, time.Now())); err != nil {
		t.Fatalf("login as the new user: %v", err)
	}

	if code, _, stderr := runCLI(t, password+"\n", "user", "add", "--data", dir, "--email", "admin@example.org", "--role", "admin", "--password-stdin"); code == 0 || !strings.Contains(stderr, "exists") {
		t.Fatalf("duplicate user: code %d, stderr %q", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "user", "add", "--data", dir, "--email", "b@example.org", "--role", "handler", "--password-stdin"); code == 0 {
		t.Fatal("empty password accepted")
	}
	if code, _, _ := runCLI(t, "", "user", "add", "--data", dir, "--email", "b@example.org", "--role", "handler"); code != exitUsage {
		t.Fatalf("missing password source: code %d, want %d", code, exitUsage)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(password+"\n"), 0o600)
	t.Setenv("VARSEL_PASSWORD_FILE", pwFile)
	if code, _, stderr := runCLI(t, "", "user", "add", "--data", dir, "--email", "h@example.org", "--role", "handler", "--channel", "general"); code != 0 {
		t.Fatalf("user add with VARSEL_PASSWORD_FILE: code %d, stderr %s", code, stderr)
	}
	if code, _, stderr := runCLI(t, password, "user", "add", "--data", dir, "--email", "x@example.org", "--role", "handler", "--password-stdin", "--password-file", pwFile); code != exitUsage {
		t.Fatalf("both password sources: code %d, stderr %s", code, stderr)
	}
}

func TestUsageAndVersion(t *testing.T) {
	if code, _, _ := runCLI(t, ""); code != exitUsage {
		t.Errorf("no arguments: code %d", code)
	}
	if code, _, _ := runCLI(t, "", "frobnicate"); code != exitUsage {
		t.Errorf("unknown command: code %d", code)
	}
	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "varsel ") {
		t.Errorf("version: code %d, out %q", code, out)
	}
	for _, cmd := range [][]string{{"serve", "-h"}, {"init", "-h"}, {"user", "add", "-h"}} {
		code, _, stderr := runCLI(t, "", cmd...)
		if code != 0 || !strings.Contains(stderr, "Usage: varsel") || !strings.Contains(stderr, "VARSEL_DATA") {
			t.Errorf("%v: code %d, help %q", cmd, code, stderr)
		}
	}
	if code, _, _ := runCLI(t, "", "serve", "--log-level", "loud"); code != exitUsage {
		t.Errorf("bad log level: code %d", code)
	}
}
