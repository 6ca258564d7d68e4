package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

const pepperLen = 32

// loadOrCreatePepper returns the server-wide secret that keys receipt
// lookups, creating it on first start.
//
// A pepper that changes silently would make every existing receipt stop
// working, so a malformed file is an error rather than replaced, and a
// missing file is only created while no organisation exists: once one does,
// a missing pepper means a lost or misconfigured file (or another node
// without a copy), which the operator must fix.
func loadOrCreatePepper(path string, initialized bool) ([]byte, error) {
	p, err := readPepper(path)
	if err == nil {
		return p, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if initialized {
		return nil, fmt.Errorf("app: pepper file %s is missing but the organisation already exists; restore it from backup (a new pepper would invalidate every receipt): %w", path, err)
	}
	p = make([]byte, pepperLen)
	rand.Read(p)
	// O_EXCL: if another process created the file first, use its pepper.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readPepper(path)
	}
	if err != nil {
		return nil, fmt.Errorf("app: create pepper file: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(p) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("app: write pepper file: %w", err)
	}
	return p, nil
}

func readPepper(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("app: read pepper file: %w", err)
	}
	p, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(p) != pepperLen {
		return nil, fmt.Errorf("app: pepper file %s must hold %d bytes as %d hex digits; refusing to start rather than invalidate receipts", path, pepperLen, 2*pepperLen)
	}
	return p, nil
}
