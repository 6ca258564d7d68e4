package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"
)

type parsedMail struct {
	Header  mail.Header
	Subject string
	Body    string
}

func parseMail(t *testing.T, data string) parsedMail {
	t.Helper()
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatal(err)
	}
	return parsedMail{Header: m.Header, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n")}
}

func newMailer(t *testing.T, s *smtpServer, cfg SMTPConfig) *SMTP {
	t.Helper()
	cfg.Host, cfg.Port = "127.0.0.1", s.port()
	if cfg.From == "" {
		cfg.From = "Varsel <noreply@varsel.test>"
	}
	m, err := NewSMTP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSMTPDeliversPlainTextMessage(t *testing.T) {
	srv := newSMTPServer(t, nil)
	m := newMailer(t, srv, SMTPConfig{})
	body := "Line one, æøå.\n.\n.leading dot\n" + strings.Repeat("long ", 40) + "\n"
	if err := m.Send(context.Background(), []string{"handler@example.org"}, "Sag 7: æøå", body); err != nil {
		t.Fatal(err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	got := msgs[0]
	if got.From != "noreply@varsel.test" || len(got.To) != 1 || got.To[0] != "handler@example.org" || got.TLS || got.Auth != "" {
		t.Fatalf("envelope %+v", got)
	}
	p := parseMail(t, got.Data)
	if p.Subject != "Sag 7: æøå" || p.Body != body {
		t.Fatalf("subject %q body %q", p.Subject, p.Body)
	}
	for k, want := range map[string]string{"From": `"Varsel" <noreply@varsel.test>`, "To": "<handler@example.org>",
		"Auto-Submitted": "auto-generated", "MIME-Version": "1.0", "Content-Type": "text/plain; charset=utf-8"} {
		if v := p.Header.Get(k); v != want {
			t.Errorf("%s: %q, want %q", k, v, want)
		}
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if id := p.Header.Get("Message-ID"); !strings.HasSuffix(id, "@varsel.test>") {
		t.Errorf("Message-ID %q", id)
	}
}

func TestSMTPUsesSTARTTLSWhenOfferedAndAuthenticates(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	srv := newSMTPServer(t, func(s *smtpServer) { s.tls, s.user, s.pass = serverTLS, "varsel", "s3cret" })
	m := newMailer(t, srv, SMTPConfig{Username: "varsel", Password: "s3cret", RequireTLS: true,
		TLS: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}})
	if err := m.Send(context.Background(), []string{"a@example.org", "b@example.org"}, "Hello", "Body\n"); err != nil {
		t.Fatal(err)
	}
	msgs := srv.messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].Auth != "varsel" || len(msgs[0].To) != 2 {
		t.Fatalf("messages %+v", msgs)
	}

	// A wrong password fails; nothing is delivered.
	bad := newMailer(t, srv, SMTPConfig{Username: "varsel", Password: "wrong", TLS: &tls.Config{RootCAs: roots}})
	if err := bad.Send(context.Background(), []string{"a@example.org"}, "Hello", "Body\n"); err == nil {
		t.Fatal("wrong password accepted")
	}
	// An untrusted certificate is an error, not a fall-back to plain text.
	untrusted := newMailer(t, srv, SMTPConfig{Username: "varsel", Password: "s3cret"})
	if err := untrusted.Send(context.Background(), []string{"a@example.org"}, "Hello", "Body\n"); err == nil {
		t.Fatal("untrusted certificate accepted")
	}
	if n := len(srv.messages()); n != 1 {
		t.Fatalf("%d messages after failures", n)
	}
}

func TestSMTPRequireTLSRefusesPlainServer(t *testing.T) {
	srv := newSMTPServer(t, nil)
	m := newMailer(t, srv, SMTPConfig{RequireTLS: true})
	if err := m.Send(context.Background(), []string{"a@example.org"}, "Hello", "Body\n"); err == nil {
		t.Fatal("sent without TLS")
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("%d messages", n)
	}
}

func TestSMTPRejectsHeaderInjection(t *testing.T) {
	srv := newSMTPServer(t, nil)
	m := newMailer(t, srv, SMTPConfig{})
	ctx := context.Background()
	cases := []struct {
		name    string
		to      []string
		subject string
	}{
		{"CRLF in subject", []string{"a@example.org"}, "Case 1\r\nBcc: spy@evil.test"},
		{"LF in subject", []string{"a@example.org"}, "Case 1\nBcc: spy@evil.test"},
		{"CR in subject", []string{"a@example.org"}, "Case 1\rBcc: spy@evil.test"},
		{"CRLF in address", []string{"a@example.org\r\nBcc: spy@evil.test"}, "Case 1"},
		{"LF in address", []string{"a@example.org\nspy@evil.test"}, "Case 1"},
		{"not an address", []string{"nobody"}, "Case 1"},
		{"no recipients", nil, "Case 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.Send(ctx, tc.to, tc.subject, "x"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	for _, from := range []string{"a@example.org\r\nBcc: spy@evil.test", "", "not an address"} {
		if _, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", From: from}); err == nil {
			t.Errorf("From %q accepted", from)
		}
	}
	if _, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", From: "a@example.org", HelloName: "x\r\nMAIL FROM:<a@b>"}); !errors.Is(err, ErrInvalidHeader) {
		t.Errorf("HelloName with CRLF: %v", err)
	}
	if n := len(srv.messages()); n != 0 {
		t.Fatalf("%d messages delivered", n)
	}
}

func TestSMTPRejectedRecipientIsAnError(t *testing.T) {
	srv := newSMTPServer(t, func(s *smtpServer) { s.rejectTo = "gone@example.org" })
	m := newMailer(t, srv, SMTPConfig{})
	if err := m.Send(context.Background(), []string{"gone@example.org"}, "Hello", "Body\n"); err == nil {
		t.Fatal("rejected recipient reported as sent")
	}
}

func TestSMTPStopsWhenContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c) // never greets
		}
	}()
	m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: "a@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Send(ctx, []string{"b@example.org"}, "Hello", "Body"); err == nil {
		t.Fatal("silent server: no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v", d)
	}
}
