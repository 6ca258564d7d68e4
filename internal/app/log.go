package app

import (
	"fmt"
	"io"
	"log"
	"log/slog"
	"regexp"
	"strings"
)

// NewLogger returns the JSON logger for level (debug, info, warn or error;
// empty means info).
func NewLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if level == "" {
		level = "info"
	}
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("app: log level %q: want debug, info, warn or error: %w", level, err)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// addrPattern matches what net/http and crypto/tls put into their messages
// about a client: "1.2.3.4:5678", "[2001:db8::1]:5678", bare IPv6 with an
// optional zone, and IPv4-mapped IPv6. It errs towards removing too much,
// e.g. a time of day, because a leaked visitor address can identify a
// whistleblower while a scrubbed log line costs only some debugging.
var addrPattern = regexp.MustCompile(
	`\[[0-9A-Fa-f.:]*:[0-9A-Fa-f.:]*(?:%[\w.-]+)?\](?::\d+)?` + // [v6]:port
		`|(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?:%[\w.-]+)?(?::\d+)?` + // v6, v4-mapped
		`|\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?`) // v4[:port]

func scrubAddrs(s string) string { return addrPattern.ReplaceAllString(s, "[address removed]") }

// errorLogWriter turns net/http's free-text error log into structured
// records without client addresses.
type errorLogWriter struct {
	log    *slog.Logger
	server string
}

func (w errorLogWriter) Write(p []byte) (int, error) {
	msg := scrubAddrs(strings.TrimRight(string(p), "\n"))
	w.log.Warn("http server", "server", w.server, "detail", msg)
	return len(p), nil
}

func newErrorLog(l *slog.Logger, server string) *log.Logger {
	return log.New(errorLogWriter{log: l, server: server}, "", 0)
}
