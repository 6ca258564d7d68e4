package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A half or broken TLS setting stops `varsel serve` before it listens,
// with a message that names the problem.
func TestServeRefusesIncompleteOrBrokenTLSSettings(t *testing.T) {
	for _, k := range []string{"VARSEL_TLS_CERT", "VARSEL_TLS_KEY", "VARSEL_DB", "VARSEL_DB_FILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	dir := t.TempDir()
	garbage := filepath.Join(dir, "cert.pem")
	os.WriteFile(garbage, []byte("not PEM\n"), 0o600)
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		contains string
	}{
		{"certificate without key", []string{"--tls-cert", garbage}, nil, exitUsage, "--tls-cert and --tls-key go together"},
		{"key without certificate from the environment", nil, map[string]string{"VARSEL_TLS_KEY": garbage}, exitUsage, "--tls-cert and --tls-key go together"},
		{"missing files", []string{"--tls-cert", filepath.Join(dir, "no.pem"), "--tls-key", filepath.Join(dir, "no.key")}, nil, exitError, "TLS certificate file"},
		{"no PEM in the certificate", []string{"--tls-cert", garbage, "--tls-key", garbage}, nil, exitError, "failed to find any PEM data"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			args := append([]string{"serve", "--data", filepath.Join(t.TempDir(), "data"), "--listen", "127.0.0.1:0", "--staff-listen", "127.0.0.1:0"}, c.args...)
			code, _, stderr := runCLI(t, "", args...)
			if code != c.code || !strings.Contains(stderr, c.contains) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, c.code, c.contains)
			}
		})
	}
}
