package app

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/keys"
)

// writeTestCert writes a self-signed certificate for 127.0.0.1 and
// localhost with the given serial, and its key, as PEM files in dir.
func writeTestCert(t *testing.T, dir, kind string, serial int64) (certFile, keyFile string) {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("unknown key kind %q", kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written to temporary names and renamed, as certbot does, so a
	// concurrent reload never reads half a file.
	for _, f := range []struct {
		name, typ string
		der       []byte
	}{{certFile, "CERTIFICATE", der}, {keyFile, "PRIVATE KEY", keyDER}} {
		tmp := f.name + ".tmp"
		if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der}), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.name); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// startTLS serves an App with the given certificate files on ephemeral
// loopback ports until the test ends and returns the two base URLs.
func startTLS(t *testing.T, certFile, keyFile string) (publicURL, staffURL string, logs *syncBuffer) {
	t.Helper()
	logs = &syncBuffer{}
	a, err := Open(context.Background(), Config{DataDir: t.TempDir(), ReceiptParams: keys.TestParams, PasswordParams: keys.TestParams,
		TLSCertFile: certFile, TLSKeyFile: keyFile, Out: io.Discard,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	staffLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln, staffLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		a.Close()
	})
	return "https://" + ln.Addr().String(), "https://" + staffLn.Addr().String(), logs
}

// handshake connects to base's host with cfg (trusting any certificate:
// the policy, not the chain, is under test) and returns the state.
func handshake(base string, cfg *tls.Config) (tls.ConnectionState, error) {
	cfg.InsecureSkipVerify = true
	d := &net.Dialer{Timeout: 10 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", strings.TrimPrefix(base, "https://"), cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

func TestTLSListenersAcceptOnlyModernProtocolsAndSuites(t *testing.T) {
	for _, kind := range []string{"rsa", "ecdsa"} {
		t.Run(kind, func(t *testing.T) {
			certFile, keyFile := writeTestCert(t, t.TempDir(), kind, 1)
			pub, staff, _ := startTLS(t, certFile, keyFile)
			ecdheGCM := tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
			ecdheCBC := tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
			if kind == "ecdsa" {
				ecdheGCM, ecdheCBC = tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA
			}
			cases := []struct {
				name   string
				cfg    *tls.Config
				ok     bool
				suite  uint16
				verTLS uint16
			}{
				{"TLS 1.3", &tls.Config{MinVersion: tls.VersionTLS13}, true, 0, tls.VersionTLS13},
				{"TLS 1.2 ECDHE AES-GCM", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{ecdheGCM}}, true, ecdheGCM, tls.VersionTLS12},
				{"TLS 1.2 ECDHE ChaCha20-Poly1305", &tls.Config{MaxVersion: tls.VersionTLS12,
					CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true, 0, tls.VersionTLS12},
				{"TLS 1.1 refused", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false, 0, 0},
				{"TLS 1.0 refused", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false, 0, 0},
				{"TLS 1.2 ECDHE CBC refused", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{ecdheCBC}}, false, 0, 0},
				{"TLS 1.2 RSA key exchange refused", &tls.Config{MaxVersion: tls.VersionTLS12,
					CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_RSA_WITH_AES_128_CBC_SHA}}, false, 0, 0},
				{"TLS 1.2 3DES refused", &tls.Config{MaxVersion: tls.VersionTLS12,
					CipherSuites: []uint16{tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}, false, 0, 0},
				{"P-384 only refused", &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP384}}, false, 0, 0},
				{"P-256 accepted", &tls.Config{CurvePreferences: []tls.CurveID{tls.CurveP256}}, true, 0, tls.VersionTLS13},
				{"X25519 accepted", &tls.Config{CurvePreferences: []tls.CurveID{tls.X25519}}, true, 0, tls.VersionTLS13},
			}
			for _, base := range []string{pub, staff} {
				for _, c := range cases {
					st, err := handshake(base, c.cfg)
					switch {
					case c.ok && err != nil:
						t.Errorf("%s %s: handshake failed: %v", base, c.name, err)
					case !c.ok && err == nil:
						t.Errorf("%s %s: handshake succeeded with %s %s", base, c.name, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
					case c.ok && (st.Version != c.verTLS || c.suite != 0 && st.CipherSuite != c.suite):
						t.Errorf("%s %s: got %s %s", base, c.name, tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
					}
				}
			}
		})
	}
}

func TestTLSServesHTTPSWithHSTSAndRefusesClearText(t *testing.T) {
	certFile, keyFile := writeTestCert(t, t.TempDir(), "ecdsa", 1)
	pub, staff, logs := startTLS(t, certFile, keyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	for _, u := range []string{pub + "/", staff + "/login"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("GET %s: %d", u, resp.StatusCode)
		}
		if got := resp.Header.Get("Strict-Transport-Security"); got != "max-age=63072000" {
			t.Errorf("GET %s: Strict-Transport-Security %q", u, got)
		}
		if resp.ProtoMajor != 2 {
			t.Errorf("GET %s: %s, want HTTP/2 over TLS", u, resp.Proto)
		}
		// Clear-text HTTP on the TLS port gets no page.
		plain, err := http.Get("http://" + strings.TrimPrefix(u, "https://"))
		if err == nil {
			body, _ := io.ReadAll(plain.Body)
			plain.Body.Close()
			if plain.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "<html") {
				t.Errorf("clear-text GET %s answered %d: %.200s", u, plain.StatusCode, body)
			}
		}
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "TLS handshake error") && strings.Contains(line, "127.0.0.1") {
			t.Errorf("a TLS handshake error reached the log with the client's address: %s", line)
		}
	}
}

// Answers in clear carry no HSTS: the site does not promise HTTPS it lacks.
func TestNoHSTSWithoutTLS(t *testing.T) {
	r := start(t, t.TempDir())
	resp, err := http.Get(r.publicURL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("clear-text answer carries Strict-Transport-Security %q", got)
	}
}

func TestTLSWrongFilesStopTheStartWithAClearError(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir, "ecdsa", 1)
	other := t.TempDir()
	_, otherKey := writeTestCert(t, other, "ecdsa", 2)
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate\n"), 0o600)
	cases := []struct {
		name, cert, key, want string
	}{
		{"missing certificate", filepath.Join(dir, "nope.pem"), keyFile, "TLS certificate file"},
		{"missing key", certFile, filepath.Join(dir, "nope.key"), "TLS key file"},
		{"certificate file holds no PEM", garbage, keyFile, "failed to find any PEM data in certificate input"},
		{"key file holds a certificate", certFile, certFile, "found a certificate rather than a key"},
		{"key of another certificate", certFile, otherKey, "private key does not match public key"},
		{"certificate without key", certFile, "", "both a certificate file and a key file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			a, err := Open(context.Background(), Config{DataDir: data, TLSCertFile: c.cert, TLSKeyFile: c.key,
				Logger: slog.New(slog.DiscardHandler), Out: io.Discard})
			if err == nil {
				a.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "TLS") {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			if _, statErr := os.Stat(data); statErr == nil {
				t.Error("the data directory was created although the start failed")
			}
		})
	}
}

// A renewed pair is picked up on SIGHUP (here: the channel Watch reads) or
// when the files change; a broken renewal leaves the old pair in use.
func TestTLSCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeTestCert(t, dir, "ecdsa", 1)
	fc, err := LoadFileCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() int64 {
		c, _ := fc.GetCertificate(nil)
		return c.Leaf.SerialNumber.Int64()
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	hup := make(chan os.Signal)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { fc.Watch(ctx, hup, 0, log, time.Now); close(done) }()
	defer func() { cancel(); <-done }()

	// An unchanged pair is not read again.
	if changed, err := fc.Reload(); changed || err != nil {
		t.Fatalf("Reload of unchanged files = %v, %v", changed, err)
	}
	writeTestCert(t, dir, "ecdsa", 2)
	hup <- os.Interrupt // any value: Watch only needs the wake-up
	hup <- os.Interrupt // the second send returns once the first reload is done
	if got := serial(); got != 2 {
		t.Fatalf("after SIGHUP the served serial is %d, want 2", got)
	}
	if !strings.Contains(logs.String(), "reloaded the TLS certificate") {
		t.Errorf("reload not logged: %s", logs.String())
	}

	// A broken renewal: the key no longer matches.
	os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	hup <- os.Interrupt
	hup <- os.Interrupt
	if got := serial(); got != 2 {
		t.Fatalf("after a broken renewal the served serial is %d, want 2 (the old pair)", got)
	}
	if !strings.Contains(logs.String(), "previous one stays in use") {
		t.Errorf("failed reload not logged: %s", logs.String())
	}

	// Polling notices a change without a signal.
	writeTestCert(t, dir, "ecdsa", 3)
	if changed, err := fc.Reload(); !changed || err != nil || serial() != 3 {
		t.Fatalf("Reload after renewal = %v, %v, serial %d", changed, err, serial())
	}
}

func TestTLSExpiredCertificateIsLogged(t *testing.T) {
	certFile, keyFile := writeTestCert(t, t.TempDir(), "ecdsa", 1)
	fc, err := LoadFileCert(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Now().Add(-30 * 24 * time.Hour), ""},
		{time.Now(), "expires soon"},
		{time.Now().Add(48 * time.Hour), "has expired"},
	} {
		logs := &syncBuffer{}
		warnExpiry(slog.New(slog.NewJSONHandler(logs, nil)), fc, c.at)
		if c.want == "" && logs.String() != "" || c.want != "" && !strings.Contains(logs.String(), c.want) {
			t.Errorf("at %v: log %q, want %q", c.at, logs.String(), c.want)
		}
	}
}
