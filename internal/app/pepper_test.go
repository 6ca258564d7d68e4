package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestPepperIsCreatedPrivateAndReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pepper")
	p1, err := loadOrCreatePepper(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(p1) != pepperLen {
		t.Fatalf("pepper has %d bytes", len(p1))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("pepper file mode %v, want 0600", fi.Mode().Perm())
	}
	p2, err := loadOrCreatePepper(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(p1, p2) {
		t.Fatal("pepper changed between starts")
	}
}

func TestPepperRefusesMalformedOrMissingAfterSetup(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"short":   "abcd\n",
		"not hex": "zz" + string(bytes.Repeat([]byte("00"), 31)),
		"empty":   "",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := loadOrCreatePepper(path, false); err == nil {
			t.Errorf("%s: malformed pepper accepted", name)
		}
		if got, _ := os.ReadFile(path); string(got) != content {
			t.Errorf("%s: malformed pepper file was overwritten", name)
		}
	}
	if _, err := loadOrCreatePepper(filepath.Join(dir, "missing"), true); err == nil {
		t.Error("a new pepper was created for an existing organisation")
	}
}
