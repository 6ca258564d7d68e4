// Package notify tells staff by e-mail that a case needs attention. An
// e-mail leaves the encrypted store and passes through mail servers the
// organisation may not control, so it never carries case content, names or
// attachments: only a case number, a due date and a link to the staff site.
package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Mailer sends one plain-text e-mail.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// ErrInvalidHeader rejects a subject or address that would break out of its
// header line (CR or LF: header injection) or is not an address.
var ErrInvalidHeader = errors.New("notify: invalid e-mail header value")

// SMTPConfig configures the outgoing mail server.
type SMTPConfig struct {
	Host string
	Port int // default 587 (submission)
	// Username and Password, when Username is set, log in with AUTH PLAIN.
	// net/smtp sends them only over TLS or to localhost.
	Username, Password string
	From               string // "Varsel <noreply@example.org>" or a bare address
	// RequireTLS refuses to send when the server does not offer STARTTLS.
	// Without it, STARTTLS is used whenever offered.
	RequireTLS bool
	// TLS overrides the client TLS settings (e.g. a private CA). nil
	// verifies the server against the system roots as Host.
	TLS *tls.Config
	// HelloName is the name given in EHLO; default "localhost", which
	// reveals nothing about the server.
	HelloName string
	Timeout   time.Duration // whole conversation; default 30 s
}

// SMTP is a Mailer speaking SMTP (RFC 5321) to one server.
type SMTP struct {
	cfg  SMTPConfig
	from *mail.Address
}

// NewSMTP checks cfg and returns the mailer.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Host == "" {
		return nil, errors.New("notify: SMTP host is empty")
	}
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.Port < 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("notify: SMTP port %d out of range", cfg.Port)
	}
	if cfg.HelloName == "" {
		cfg.HelloName = "localhost"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	from, err := parseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: from address: %w", err)
	}
	if hasCRLF(cfg.HelloName) || hasCRLF(cfg.Username) || hasCRLF(cfg.Password) || hasCRLF(cfg.Host) {
		return nil, ErrInvalidHeader
	}
	return &SMTP{cfg: cfg, from: from}, nil
}

func hasCRLF(s string) bool { return strings.ContainsAny(s, "\r\n\x00") }

func parseAddress(s string) (*mail.Address, error) {
	if s == "" || hasCRLF(s) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidHeader, s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrInvalidHeader, s, err)
	}
	return a, nil
}

// Send delivers one message to all of to in one SMTP transaction.
func (s *SMTP) Send(ctx context.Context, to []string, subject, body string) error {
	if len(to) == 0 {
		return errors.New("notify: no recipients")
	}
	if hasCRLF(subject) {
		return fmt.Errorf("%w: subject contains a line break", ErrInvalidHeader)
	}
	rcpts := make([]*mail.Address, len(to))
	for i, t := range to {
		a, err := parseAddress(t)
		if err != nil {
			return err
		}
		rcpts[i] = a
	}
	msg, err := buildMessage(s.from, rcpts, subject, body, time.Now())
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port)))
	if err != nil {
		return fmt.Errorf("notify: connect: %w", err)
	}
	// Closing the connection unblocks any read or write when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("notify: greeting: %w", err)
	}
	defer c.Close()
	if err := s.converse(c, rcpts, msg); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("notify: %w (%w)", ctx.Err(), err)
		}
		return err
	}
	return nil
}

func (s *SMTP) converse(c *smtp.Client, rcpts []*mail.Address, msg []byte) error {
	if err := c.Hello(s.cfg.HelloName); err != nil {
		return fmt.Errorf("notify: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		conf := &tls.Config{MinVersion: tls.VersionTLS12}
		if s.cfg.TLS != nil {
			conf = s.cfg.TLS.Clone()
		}
		if conf.ServerName == "" {
			conf.ServerName = s.cfg.Host
		}
		if err := c.StartTLS(conf); err != nil {
			return fmt.Errorf("notify: STARTTLS: %w", err)
		}
	} else if s.cfg.RequireTLS {
		return errors.New("notify: the SMTP server does not offer STARTTLS")
	}
	if s.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("notify: the SMTP server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)); err != nil {
			return fmt.Errorf("notify: AUTH: %w", err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("notify: MAIL FROM: %w", err)
	}
	for _, r := range rcpts {
		if err := c.Rcpt(r.Address); err != nil {
			return fmt.Errorf("notify: RCPT TO: %w", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("notify: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return fmt.Errorf("notify: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("notify: DATA: %w", err)
	}
	if err := c.Quit(); err != nil {
		// The server accepted the message at the end of DATA; a failed
		// QUIT does not undo that.
		return nil
	}
	return nil
}

// buildMessage renders an RFC 5322 message: plain UTF-8 text in
// quoted-printable, so any line length and character set survive.
func buildMessage(from *mail.Address, to []*mail.Address, subject, body string, now time.Time) ([]byte, error) {
	var id [16]byte
	rand.Read(id[:])
	domain := "localhost"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 {
		domain = from.Address[at+1:]
	}
	tos := make([]string, len(to))
	for i, a := range to {
		tos[i] = a.String()
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(tos, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id[:])+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: no vacation auto-replies to a robot.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	// In text mode the writer turns line ends into CRLF.
	if _, err := qp.Write([]byte(body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
