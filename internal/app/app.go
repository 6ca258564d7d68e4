// Package app wires the domain packages, the database, the blob store and
// the web handlers into one running Varsel, and owns the process-level
// concerns: the pepper file, the HTTP servers, logging and housekeeping.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/varsel/varsel/internal/accounts"
	"github.com/varsel/varsel/internal/blob"
	"github.com/varsel/varsel/internal/cases"
	"github.com/varsel/varsel/internal/deadline"
	"github.com/varsel/varsel/internal/i18n"
	"github.com/varsel/varsel/internal/intake"
	"github.com/varsel/varsel/internal/keys"
	"github.com/varsel/varsel/internal/notify"
	"github.com/varsel/varsel/internal/org"
	"github.com/varsel/varsel/internal/retention"
	"github.com/varsel/varsel/internal/store"
	"github.com/varsel/varsel/internal/web"
)

// Defaults for Config fields left empty.
const (
	DefaultDataDir     = "./varsel-data"
	DefaultListen      = "127.0.0.1:8080"
	DefaultStaffListen = "127.0.0.1:8081"
)

const (
	shutdownGrace = 10 * time.Second
	// housekeepingEvery balances prompt removal of expired session keys
	// against database load; sessions are also checked for expiry on use,
	// so a late sweep never lets an expired session in.
	housekeepingEvery = 10 * time.Minute
	// sweepGrace must exceed the longest plausible upload of one file and
	// the save of its report, or a periodic sweep could delete a blob whose
	// database row is about to be committed.
	sweepGrace = 24 * time.Hour
	// certPollEvery is how often the TLS files are checked for a renewal
	// when nobody sends SIGHUP; a stat of two files costs nothing.
	certPollEvery = time.Minute
)

// Config configures an App. The zero value plus a DataDir is a working
// single-node installation on SQLite.
type Config struct {
	DataDir     string // default DefaultDataDir
	DSN         string // "" = embedded SQLite in DataDir; postgres://... = PostgreSQL
	Listen      string // whistleblower site; default DefaultListen (used by ListenAndServe)
	StaffListen string // staff site; default DefaultStaffListen (used by ListenAndServe)
	// PublicURL and StaffURL are how people reach the listeners, e.g.
	// behind a reverse proxy. Empty means http://<actual listener address>.
	PublicURL, StaffURL string
	MaxFileSize         int64  // default intake.DefaultMaxFileSize
	PepperFile          string // default DataDir/pepper
	LogLevel            string // debug|info|warn|error, used only when Logger is nil
	// SecureCookies marks cookies Secure. It is also switched on when both
	// URLs start with https://.
	SecureCookies bool
	// TLSCertFile and TLSKeyFile make both listeners speak HTTPS with this
	// PEM certificate chain and key (see tls.go). Set both or neither.
	TLSCertFile, TLSKeyFile string
	// CertSource, when set, supplies certificates instead of the files
	// (tests; an ACME client later).
	CertSource CertSource

	// SMTP is the mail server for deadline reminders; without a Host no
	// reminders are sent.
	SMTP notify.SMTPConfig

	// Test-only knobs, not reachable from the CLI or environment.
	ReceiptParams, PasswordParams keys.Params // zero → keys.ReceiptParams / keys.PasswordParams
	Now                           func() time.Time
	Logger                        *slog.Logger // nil → JSON to stderr at LogLevel
	Out                           io.Writer    // operator messages (URLs, setup link); nil → os.Stdout
}

// App is an opened Varsel: everything that lives for the process.
type App struct {
	DB       *store.DB
	Blobs    blob.Store
	Intake   *intake.Service
	Cases    *cases.Service
	Accounts *accounts.Service
	Web      *web.Server
	Catalog  *i18n.Catalog
	Config   Config

	log       *slog.Logger
	started   time.Time
	retention *retention.Job // used only by the housekeeping goroutine
	fileCert  *FileCert      // reloaded on SIGHUP and file change; nil without TLS files
}

func (c *Config) setDefaults() error {
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.StaffListen == "" {
		c.StaffListen = DefaultStaffListen
	}
	if c.MaxFileSize <= 0 {
		c.MaxFileSize = intake.DefaultMaxFileSize
	}
	if c.PepperFile == "" {
		c.PepperFile = filepath.Join(c.DataDir, "pepper")
	}
	if c.ReceiptParams == (keys.Params{}) {
		c.ReceiptParams = keys.ReceiptParams
	}
	if c.PasswordParams == (keys.Params{}) {
		c.PasswordParams = keys.PasswordParams
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Out == nil {
		c.Out = os.Stdout
	}
	if c.Logger == nil {
		l, err := NewLogger(os.Stderr, c.LogLevel)
		if err != nil {
			return err
		}
		c.Logger = l
	}
	if c.TLSCertFile != "" || c.TLSKeyFile != "" || c.CertSource != nil {
		// Over our own TLS every URL is https, whatever the proxy-style
		// URL settings say, so cookies must never travel in clear.
		c.SecureCookies = true
	}
	if strings.HasPrefix(c.PublicURL, "https://") && strings.HasPrefix(c.StaffURL, "https://") {
		c.SecureCookies = true
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.StaffURL = strings.TrimRight(c.StaffURL, "/")
	return nil
}

// Open prepares everything but the listeners: data directory, pepper,
// database (migrated), blob store and services.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	a := &App{Config: cfg, log: cfg.Logger, started: cfg.Now()}
	// The certificate is read before anything else is touched, so a wrong
	// path or a mismatched key stops the start with a clear message.
	if cfg.CertSource == nil && (cfg.TLSCertFile != "" || cfg.TLSKeyFile != "") {
		fc, err := LoadFileCert(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return nil, err
		}
		if fc.keyReadableByOthers() {
			a.log.Warn("the TLS key file is readable by other users; chmod 600 it")
		}
		warnExpiry(a.log, fc, cfg.Now())
		a.fileCert, a.Config.CertSource = fc, fc
	}

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("app: create data directory: %w", err)
	}
	// An existing directory keeps its mode, which the operator may have
	// chosen for backups; say so rather than change it behind their back.
	if fi, err := os.Stat(cfg.DataDir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		a.log.Warn("data directory is accessible to other users; chmod 700 it unless that is intended", "mode", fi.Mode().Perm().String())
	}
	db, err := store.Open(ctx, cfg.DSN, cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("app: open database: %w", err)
	}
	a.DB = db
	if err := a.init(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) init(ctx context.Context) error {
	cfg := a.Config
	tenant, err := a.DB.Tenant(ctx, org.DefaultTenant)
	initialized := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("app: read organisation: %w", err)
	}
	pepper, err := loadOrCreatePepper(cfg.PepperFile, initialized)
	if err != nil {
		return err
	}
	blobs, err := blob.NewFS(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return fmt.Errorf("app: open blob store: %w", err)
	}
	a.Blobs = blobs

	// The issuer is what authenticator apps show next to the code; an
	// organisation set up after start keeps "Varsel" until the next restart.
	issuer := "Varsel"
	if initialized && tenant.Name != "" {
		issuer = tenant.Name
	}
	kdf := keys.NewKDF(0)
	a.Intake = intake.New(intake.Config{DB: a.DB, Blobs: blobs, KDF: kdf, Params: cfg.ReceiptParams, Pepper: pepper,
		Tenant: org.DefaultTenant, MaxFileSize: cfg.MaxFileSize, Now: cfg.Now, Logger: cfg.Logger})
	a.Cases = cases.New(cases.Config{DB: a.DB, Blobs: blobs, MaxFileSize: cfg.MaxFileSize, Now: cfg.Now, Logger: cfg.Logger})
	a.Accounts = accounts.New(accounts.Config{DB: a.DB, KDF: kdf, Params: cfg.PasswordParams,
		Tenant: org.DefaultTenant, Issuer: issuer, Now: cfg.Now})
	a.Catalog, err = i18n.Load()
	if err != nil {
		return fmt.Errorf("app: %w", err)
	}
	a.Web, err = web.New(web.Deps{Intake: a.Intake, Cases: a.Cases, Accounts: a.Accounts, DB: a.DB,
		Catalog: a.Catalog, Logger: cfg.Logger, Now: cfg.Now, Tenant: org.DefaultTenant, SecureCookies: cfg.SecureCookies,
		HSTS: cfg.CertSource != nil || strings.HasPrefix(cfg.PublicURL, "https://") && strings.HasPrefix(cfg.StaffURL, "https://")})
	if err != nil {
		return fmt.Errorf("app: web: %w", err)
	}
	return nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// ListenAndServe opens the configured listen addresses and calls Serve.
func (a *App) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.Config.Listen)
	if err != nil {
		return fmt.Errorf("app: listen for the whistleblower site: %w", err)
	}
	staffLn, err := net.Listen("tcp", a.Config.StaffListen)
	if err != nil {
		ln.Close()
		return fmt.Errorf("app: listen for the staff site: %w", err)
	}
	return a.Serve(ctx, ln, staffLn)
}

// newServer builds an http.Server with Varsel's limits.
//
// ReadHeaderTimeout stops slow-loris clients from holding connections open.
// There is deliberately no ReadTimeout or WriteTimeout: they bound the whole
// body, and a 1 GiB upload from a whistleblower on a slow line, or a large
// evidence download by a handler, must not be cut off; the web handlers set
// per-request deadlines where they need them. ErrorLog goes through
// scrubbing because net/http puts the client's address into its messages.
func newServer(name string, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          newErrorLog(logger, name),
	}
}

func baseURL(configured string, ln net.Listener, tls bool) string {
	if configured != "" {
		return configured
	}
	if tls {
		return "https://" + ln.Addr().String()
	}
	return "http://" + ln.Addr().String()
}

// Serve runs the whistleblower site on ln and the staff site on staffLn
// until ctx ends or a server fails, then shuts both down gracefully.
func (a *App) Serve(ctx context.Context, ln, staffLn net.Listener) error {
	src := a.Config.CertSource
	publicURL, staffURL := baseURL(a.Config.PublicURL, ln, src != nil), baseURL(a.Config.StaffURL, staffLn, src != nil)
	out := a.Config.Out
	fmt.Fprintf(out, "Whistleblower site: %s\nStaff site: %s\n", publicURL, staffURL)

	if err := a.printSetupLink(ctx, staffURL); err != nil {
		ln.Close()
		staffLn.Close()
		return err
	}

	public := newServer("public", a.Web.Public(), a.log)
	staff := newServer("staff", a.Web.Staff(), a.log)
	if src != nil {
		// One policy and one certificate for both listeners: a site
		// reachable in clear next to a TLS one would invite links and
		// bookmarks to the wrong one. The certificate names both hosts.
		public.TLSConfig, staff.TLSConfig = TLSConfig(src), TLSConfig(src)
	}
	errs := make(chan error, 2)
	for _, s := range []struct {
		srv *http.Server
		ln  net.Listener
	}{{public, ln}, {staff, staffLn}} {
		go func() {
			var err error
			if src != nil {
				err = s.srv.ServeTLS(s.ln, "", "") // the certificate comes from TLSConfig.GetCertificate
			} else {
				err = s.srv.Serve(s.ln)
			}
			if !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}

	bgCtx, stopBG := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Go(func() { a.housekeeping(bgCtx) })
	if a.fileCert != nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		bg.Go(func() {
			defer signal.Stop(hup)
			a.fileCert.Watch(bgCtx, hup, certPollEvery, a.log, a.Config.Now)
		})
	}
	if err := a.startReminders(ctx, &bg, bgCtx, staffURL); err != nil {
		stopBG()
		bg.Wait()
		ln.Close()
		staffLn.Close()
		return err
	}
	a.log.Info("serving", "public", ln.Addr().String(), "staff", staffLn.Addr().String())

	var serveErr error
	select {
	case <-ctx.Done():
	case err := <-errs:
		serveErr = fmt.Errorf("app: serve: %w", err)
	}
	stopBG()

	// In-flight requests get shutdownGrace to finish; their contexts do
	// not derive from ctx, so an upload in progress is not cut at once.
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	var shut sync.WaitGroup
	var shutErrs [2]error
	shut.Go(func() { shutErrs[0] = public.Shutdown(shutCtx) })
	shut.Go(func() { shutErrs[1] = staff.Shutdown(shutCtx) })
	shut.Wait()
	bg.Wait()
	if err := errors.Join(shutErrs[0], shutErrs[1]); err != nil {
		public.Close()
		staff.Close()
		serveErr = errors.Join(serveErr, fmt.Errorf("app: shutdown: %w", err))
	}
	a.log.Info("stopped")
	return serveErr
}

// printSetupLink prints the first-run link when the organisation does not
// exist yet. The token goes to Out only, never into the structured log,
// because logs are often shipped to places with wider access.
func (a *App) printSetupLink(ctx context.Context, staffURL string) error {
	ok, err := org.Initialized(ctx, a.DB, org.DefaultTenant)
	if err != nil {
		return fmt.Errorf("app: check setup: %w", err)
	}
	if ok {
		return nil
	}
	token, err := org.NewSetupToken(ctx, a.DB, org.DefaultTenant, a.Config.Now())
	if err != nil {
		return fmt.Errorf("app: create setup token: %w", err)
	}
	fmt.Fprintf(a.Config.Out, "Open this link to set up Varsel: %s/setup?token=%s\n", staffURL, token)
	a.log.Info("organisation not set up; the setup link is on standard output")
	return nil
}

// startupSweep removes blobs orphaned by a crash. On SQLite only this
// process writes blobs, so anything older than its start is safe to judge.
// On PostgreSQL other nodes may share the blob directory and be mid-upload,
// so the periodic grace applies instead.
func (a *App) startupSweep(ctx context.Context) {
	cutoff := a.started
	if a.DB.Dialect() == store.Postgres {
		cutoff = a.Config.Now().Add(-sweepGrace)
	}
	a.sweep(ctx, cutoff)
}

func (a *App) sweep(ctx context.Context, cutoff time.Time) {
	n, err := blob.Sweep(ctx, a.Blobs, cutoff, a.DB.BlobReferenced)
	if err != nil && ctx.Err() == nil {
		a.log.Error("blob sweep failed; retrying at the next run", "removed", n, "error", err)
		return
	}
	if n > 0 {
		a.log.Info("removed orphan blobs", "count", n)
	}
}

// housekeeping runs in the background so that sweeping a large blob store
// does not delay the start of the listeners.
func (a *App) housekeeping(ctx context.Context) {
	a.deleteExpiredSessions(ctx)
	a.deleteExpiredDrafts(ctx)
	a.startupSweep(ctx)
	t := time.NewTicker(housekeepingEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.deleteExpiredSessions(ctx)
		a.deleteExpiredDrafts(ctx)
		a.runRetention(ctx)
		a.sweep(ctx, a.Config.Now().Add(-sweepGrace))
	}
}

// runRetention deletes the cases whose retention has expired (see
// internal/retention); a lease keeps several nodes from doing it at once.
func (a *App) runRetention(ctx context.Context) {
	if a.retention == nil {
		a.retention = &retention.Job{DB: a.DB, Blobs: a.Blobs, Now: a.Config.Now, Logger: a.log}
	}
	res, err := a.retention.Run(ctx, org.DefaultTenant)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("retention deletion failed; retrying at the next run", "deleted", len(res.Deleted), "error", err)
	case len(res.Deleted) > 0:
		a.log.Info("deleted cases past their retention", "count", len(res.Deleted))
	}
}

// deleteExpiredDrafts removes intake drafts nobody confirmed in time
// (RC-5); their blobs become orphans that a later sweep removes.
func (a *App) deleteExpiredDrafts(ctx context.Context) {
	n, err := a.Intake.DeleteExpiredDrafts(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("deleting expired intake drafts failed; retrying at the next run", "error", err)
	case n > 0:
		a.log.Debug("deleted expired intake drafts", "count", n)
	}
}

func (a *App) deleteExpiredSessions(ctx context.Context) {
	n, err := a.DB.DeleteExpiredSessions(ctx, a.Config.Now())
	switch {
	case err != nil && ctx.Err() == nil:
		a.log.Error("deleting expired sessions failed; retrying at the next run", "error", err)
	case n > 0:
		a.log.Debug("deleted expired sessions", "count", n)
	}
}

// reminderEvery is how often the deadline reminder job looks for due cases.
const reminderEvery = 15 * time.Minute

// startReminders runs the deadline reminder job when a mail server is
// configured. The time zone is read once at start; a change of the
// organisation's time zone takes effect at the next start.
func (a *App) startReminders(ctx context.Context, bg *sync.WaitGroup, bgCtx context.Context, staffURL string) error {
	if a.Config.SMTP.Host == "" {
		a.log.Info("no mail server configured; deadline reminders are not sent")
		return nil
	}
	mailer, err := notify.NewSMTP(a.Config.SMTP)
	if err != nil {
		return fmt.Errorf("app: mail server: %w", err)
	}
	loc := time.UTC
	if t, err := a.DB.Tenant(ctx, org.DefaultTenant); err == nil {
		if loc, err = deadline.LoadLocation(t.TimeZone); err != nil {
			return fmt.Errorf("app: organisation time zone: %w", err)
		}
	}
	r := &notify.Reminders{DB: a.DB, Mailer: mailer, Now: a.Config.Now, StaffURL: staffURL, Location: loc, Logger: a.log}
	bg.Go(func() { r.Loop(bgCtx, org.DefaultTenant, reminderEvery) })
	return nil
}
