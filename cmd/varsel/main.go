// Command varsel runs the Varsel whistleblowing platform and administers it
// from the command line.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/app"
	"github.com/varsel/varsel/internal/org"
)

// version is set at release builds with -ldflags "-X main.version=v1.2.3";
// otherwise the module and VCS information stamped by the go tool is shown.
var version string

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usageText = `Varsel: whistleblowing and case handling.

Usage:
  varsel serve     [flags]   run the whistleblower site and the staff site
  varsel init      [flags]   set up the organisation without a browser
  varsel user add  [flags]   create a staff user
  varsel audit verify [flags] check the audit log's hash chain
  varsel scan      [flags] FILE  print the personal data (and metadata) in a text, PDF, image or office file as JSON
  varsel redact    [flags]   write an anonymised copy of a text, PDF, image or office file
  varsel version             print the version

Run "varsel <command> -h" for the flags of a command. Every setting can also
come from its VARSEL_* environment variable; flags win.
`

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// run is main without process globals, so tests drive the real code path.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(rest, stdout, stderr)
	case "init":
		err = cmdInit(rest, stdout, stderr)
	case "user":
		if len(rest) == 0 || rest[0] != "add" {
			fmt.Fprintln(stderr, `usage: varsel user add [flags]`)
			return exitUsage
		}
		err = cmdUserAdd(rest[1:], stdin, stdout, stderr)
	case "audit":
		err = cmdAudit(rest, stdout, stderr)
	case "scan":
		err = cmdScan(rest, stdout, stderr)
	case "redact":
		err = cmdRedact(rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, versionString())
		return exitOK
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usageText)
		return exitOK
	default:
		fmt.Fprintf(stderr, "varsel: unknown command %q\n\n%s", cmd, usageText)
		return exitUsage
	}
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "varsel %s: %v\n", cmd, err)
		return exitUsage
	default:
		fmt.Fprintf(stderr, "varsel %s: %v\n", cmd, err)
		return exitError
	}
}

// usageError marks a mistake on the command line (exit status 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: varsel %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// addStoreFlags declares the settings every command needs to reach the data.
func addStoreFlags(fs *flag.FlagSet, c *app.Config) {
	fs.StringVar(&c.DataDir, "data", app.DefaultDataDir, "data directory: SQLite database, uploaded files (encrypted), pepper")
	fs.StringVar(&c.DSN, "db", "", "database: empty for SQLite in the data directory, or postgres://user:pass@host/db")
	fs.StringVar(&c.PepperFile, "pepper-file", "", "file holding the receipt pepper (default <data>/pepper)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
}

// parse parses args after noting each flag's environment variable in its
// help text, so -h documents both spellings.
func parse(fs *flag.FlagSet, args []string) error {
	fs.VisitAll(func(f *flag.Flag) {
		if env, ok := envVars[f.Name]; ok {
			f.Usage += " (env " + env
			if fv, ok := fileVars[f.Name]; ok {
				f.Usage += " or " + fv
			}
			f.Usage += ")"
		}
	})
	err := osParseFlags(fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return usageError{err}
	}
	return err
}

func cmdServe(args []string, stdout, stderr io.Writer) error {
	var c app.Config
	fs := newFlagSet("serve", "Runs the whistleblower site and the staff site until SIGINT or SIGTERM.", stderr)
	addStoreFlags(fs, &c)
	fs.StringVar(&c.Listen, "listen", app.DefaultListen, "address of the whistleblower site")
	fs.StringVar(&c.StaffListen, "staff-listen", app.DefaultStaffListen, "address of the staff site")
	fs.StringVar(&c.PublicURL, "public-url", "", "URL people use to reach the whistleblower site (default http://<listen>)")
	fs.StringVar(&c.StaffURL, "staff-url", "", "URL staff use to reach the staff site (default http://<staff-listen>)")
	fs.Int64Var(&c.MaxFileSize, "max-file-size", 0, "largest accepted upload in bytes (default 1 GiB)")
	fs.BoolVar(&c.SecureCookies, "secure-cookies", false, "mark cookies Secure; implied when both URLs start with https://")
	fs.StringVar(&c.SMTP.Host, "smtp-host", "", "mail server for deadline reminders to handlers (none: no reminders)")
	fs.IntVar(&c.SMTP.Port, "smtp-port", 587, "mail server port")
	fs.StringVar(&c.SMTP.Username, "smtp-username", "", "mail server login (AUTH PLAIN over TLS)")
	fs.StringVar(&c.SMTP.Password, "smtp-password", "", "mail server password; prefer VARSEL_SMTP_PASSWORD_FILE")
	fs.StringVar(&c.SMTP.From, "smtp-from", "", "sender address of reminders")
	fs.BoolVar(&c.SMTP.RequireTLS, "smtp-require-tls", false, "refuse to send unless the server offers STARTTLS")
	fs.StringVar(&c.TLSCertFile, "tls-cert", "", "PEM certificate chain: both sites speak HTTPS (TLS 1.2+) with it; reloaded on SIGHUP or change")
	fs.StringVar(&c.TLSKeyFile, "tls-key", "", "PEM private key of --tls-cert")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.MaxFileSize < 0 {
		return usageError{errors.New("--max-file-size must not be negative")}
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return usageError{errors.New("--tls-cert and --tls-key go together: set both or neither")}
	}
	c.Out = stdout
	logger, err := app.NewLogger(stderr, c.LogLevel)
	if err != nil {
		return usageError{err}
	}
	c.Logger = logger

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := app.Open(ctx, c)
	if err != nil {
		return err
	}
	defer a.Close()
	return a.ListenAndServe(ctx)
}

func openApp(c app.Config, stdout, stderr io.Writer) (*app.App, error) {
	logger, err := app.NewLogger(stderr, c.LogLevel)
	if err != nil {
		return nil, usageError{err}
	}
	c.Logger, c.Out = logger, stdout
	return app.Open(context.Background(), c)
}

func cmdInit(args []string, stdout, stderr io.Writer) error {
	var c app.Config
	var name string
	fs := newFlagSet("init", "Creates the organisation with its default channel and questionnaire, for set-ups\nwithout a browser. Then add the first admin with \"varsel user add\".", stderr)
	addStoreFlags(fs, &c)
	fs.StringVar(&name, "org", "", "name of the organisation (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return usageError{errors.New("--org is required")}
	}
	a, err := openApp(c, stdout, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := org.Init(context.Background(), a.DB, org.DefaultTenant, name, a.Config.Now()); err != nil {
		return fmt.Errorf("set up organisation: %w", err)
	}
	fmt.Fprintf(stdout, "Organisation %q is set up.\nCreate the first admin with: varsel user add --data %s --email ADDRESS --role admin --password-stdin\n", strings.TrimSpace(name), a.Config.DataDir)
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func cmdUserAdd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var c app.Config
	var u accounts.NewUser
	var channels stringList
	var fromStdin bool
	var passwordFile string
	fs := newFlagSet("user add", "Creates a staff user and prints the authenticator (TOTP) secret and the\nrecovery key, which are shown only this once.", stderr)
	addStoreFlags(fs, &c)
	fs.StringVar(&u.Email, "email", "", "e-mail address the user logs in with (required)")
	fs.StringVar(&u.Role, "role", "", "admin, handler or dpo (required)")
	fs.StringVar(&u.DisplayName, "name", "", "name whistleblowers see when a channel lets them exclude handlers (optional)")
	fs.BoolVar(&u.Custodian, "custodian", false, "make the user a custodian of whistleblowers' identities (receives new reports' identity keys, decides identity requests)")
	fs.BoolVar(&fromStdin, "password-stdin", false, "read the password from the first line of standard input")
	fs.StringVar(&passwordFile, "password-file", "", "read the password from the first line of this file")
	fs.Var(&channels, "channel", "id of a channel the user handles; repeatable (default "+org.DefaultChannel+")")
	if err := parse(fs, args); err != nil {
		return err
	}
	if u.Email == "" || u.Role == "" {
		return usageError{errors.New("--email and --role are required")}
	}
	// A password flag would leak through the process list and shell history.
	var pw io.Reader
	switch {
	case fromStdin && passwordFile != "":
		return usageError{errors.New("give --password-stdin or --password-file, not both")}
	case fromStdin:
		pw = stdin
	case passwordFile != "":
		f, err := os.Open(passwordFile)
		if err != nil {
			return fmt.Errorf("password file: %w", err)
		}
		defer f.Close()
		pw = f
	default:
		return usageError{errors.New("give --password-stdin or --password-file (VARSEL_PASSWORD_FILE)")}
	}
	password, err := readLine(pw)
	if err != nil {
		return fmt.Errorf("read password: %w", err)
	}
	u.Password = password
	u.Channels = channels
	if len(u.Channels) == 0 {
		u.Channels = []string{org.DefaultChannel}
	}

	a, err := openApp(c, stdout, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	ctx := context.Background()
	if ok, err := org.Initialized(ctx, a.DB, org.DefaultTenant); err != nil {
		return fmt.Errorf("check setup: %w", err)
	} else if !ok {
		return errors.New("the organisation is not set up yet: run \"varsel init\" or open the setup link that \"varsel serve\" prints")
	}
	created, err := a.Accounts.CreateUser(ctx, u)
	if err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	fmt.Fprintf(stdout, `User %s created.

Add this account to an authenticator app:
  %s
or enter the secret by hand:
  %s

Recovery key (it unlocks the account if the password is lost):
  %s

These are shown only this once and cannot be recovered. Give them to the
user over a safe channel and do not keep copies.
`, strings.ToLower(strings.TrimSpace(u.Email)), created.TOTPURI, created.TOTPSecret, created.RecoveryKey)
	return nil
}

// readLine returns the first line of r without its line ending.
func readLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password given")
		}
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password given")
	}
	return line, nil
}

func versionString() string {
	v, rev := version, ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	if rev != "" {
		v += " " + rev
	}
	return "varsel " + v + " " + runtime.Version()
}
