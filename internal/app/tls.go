package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// CertSource supplies the server certificate for each TLS handshake. Files
// on disk are the only source today; an ACME client can implement the same
// method later without touching the listeners.
type CertSource interface {
	GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error)
}

// TLSConfig is Varsel's TLS policy for both listeners: TLS 1.2 or newer;
// for TLS 1.2 only ECDHE key exchange with an AEAD cipher (AES-GCM,
// ChaCha20-Poly1305), so every connection has forward secrecy and no CBC
// padding oracle or RSA key transport is reachable; TLS 1.3 suites are
// Go's fixed AEAD set. The groups are the hybrid post-quantum
// X25519MLKEM768 (TLS 1.3 clients that offer it), X25519 and P-256.
func TLSConfig(src CertSource) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519, tls.CurveP256},
		GetCertificate:   src.GetCertificate,
	}
}

// FileCert serves a certificate and key from PEM files and picks up a
// renewed pair when Reload is called (on SIGHUP, or by Watch when the files
// change). A pair that fails to load never replaces the one in use, so a
// half-written renewal cannot take the sites down.
type FileCert struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
	mu                sync.Mutex // serialises Reload
	stamp             fileStamp  // of the pair in use
}

// fileStamp identifies a version of the two files without reading them.
type fileStamp struct {
	certMod, keyMod   time.Time
	certSize, keySize int64
}

// LoadFileCert loads the pair once and fails with a message naming the
// file at fault, so a wrong path or a key that does not match the
// certificate stops the server at start rather than at the first
// handshake.
func LoadFileCert(certFile, keyFile string) (*FileCert, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("app: TLS needs both a certificate file and a key file")
	}
	f := &FileCert{certFile: certFile, keyFile: keyFile}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *FileCert) statFiles() (fileStamp, error) {
	ci, err := os.Stat(f.certFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("app: TLS certificate file: %w", err)
	}
	ki, err := os.Stat(f.keyFile)
	if err != nil {
		return fileStamp{}, fmt.Errorf("app: TLS key file: %w", err)
	}
	return fileStamp{certMod: ci.ModTime(), keyMod: ki.ModTime(), certSize: ci.Size(), keySize: ki.Size()}, nil
}

// Reload reads the pair again and swaps it in if it is valid. It reports
// whether the files had changed since the pair in use was read.
func (f *FileCert) Reload() (changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	stamp, err := f.statFiles()
	if err != nil {
		return false, err
	}
	if f.cert.Load() != nil && stamp == f.stamp {
		return false, nil
	}
	pair, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
	if err != nil {
		return false, fmt.Errorf("app: TLS certificate %s with key %s: %w", f.certFile, f.keyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return false, fmt.Errorf("app: TLS certificate %s: %w", f.certFile, err)
		}
	}
	f.cert.Store(&pair)
	f.stamp = stamp
	return true, nil
}

// GetCertificate implements CertSource.
func (f *FileCert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return f.cert.Load(), nil
}

// NotAfter is the expiry of the certificate in use.
func (f *FileCert) NotAfter() time.Time { return f.cert.Load().Leaf.NotAfter }

// keyReadableByOthers reports whether the key file's mode lets group or
// other users read it.
func (f *FileCert) keyReadableByOthers() bool {
	fi, err := os.Stat(f.keyFile)
	return err == nil && fi.Mode().Perm()&0o044 != 0
}

// certExpiryWarning is how early the log starts to warn that the
// certificate in use is about to expire.
const certExpiryWarning = 14 * 24 * time.Hour

// warnExpiry logs when the certificate in use has expired or soon will;
// it names only dates, never the certificate's subject.
func warnExpiry(log *slog.Logger, f *FileCert, now time.Time) {
	switch na := f.NotAfter(); {
	case now.After(na):
		log.Error("the TLS certificate has expired; browsers will refuse the sites", "not_after", na.UTC().Format(time.RFC3339))
	case na.Sub(now) < certExpiryWarning:
		log.Warn("the TLS certificate expires soon", "not_after", na.UTC().Format(time.RFC3339))
	}
}

// Watch reloads the pair on every value from hup (SIGHUP) and, every
// poll, when the files' modification times or sizes change, so that a
// certificate renewed by certbot or a secret mount takes effect without a
// restart. A failed reload is logged and the previous pair stays in use.
func (f *FileCert) Watch(ctx context.Context, hup <-chan os.Signal, poll time.Duration, log *slog.Logger, now func() time.Time) {
	var tick <-chan time.Time
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		case <-tick:
		}
		changed, err := f.Reload()
		switch {
		case err != nil:
			log.Error("reloading the TLS certificate failed; the previous one stays in use", "error", err)
		case changed:
			log.Info("reloaded the TLS certificate", "not_after", f.NotAfter().UTC().Format(time.RFC3339))
			warnExpiry(log, f, now())
		}
	}
}
