// Package store owns the relational database: opening SQLite or PostgreSQL,
// migrations, and the hand-written SQL that the domain packages call. Every
// statement is one text for both dialects ($n placeholders, portable types);
// only the DDL in migrations differs.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"modernc.org/sqlite"               // registers "sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// ErrDuplicate is returned when an insert collides with a unique key, such
// as a second user with the same e-mail address or a second tenant row.
var ErrDuplicate = errors.New("store: already exists")

// ErrNotFound is returned when a row that was asked for does not exist (or
// belongs to another tenant, which callers must not be able to tell apart).
var ErrNotFound = errors.New("store: not found")

// DB is the application's handle on the database. SQLite allows one writer at
// a time, so writes go through a single connection and reads through a pool;
// on PostgreSQL both fields point at the same pool.
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	// path of the SQLite file, empty for PostgreSQL; tests scan it.
	path string
}

// IsPostgresDSN tells whether dsn selects PostgreSQL rather than the embedded default.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the database named by dsn, or the embedded SQLite file in
// dataDir when dsn is empty, and applies pending migrations.
func Open(ctx context.Context, dsn, dataDir string) (*DB, error) {
	var db *DB
	var err error
	if IsPostgresDSN(dsn) {
		db, err = openPostgres(dsn)
	} else {
		path := dsn
		if path == "" {
			path = filepath.Join(dataDir, "varsel.db")
		}
		db, err = openSQLite(path)
	}
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create database directory: %w", err)
	}
	// synchronous(FULL): an acknowledged report must survive power loss.
	// secure_delete: freed pages are zeroed so deleted content is not
	// recoverable from the live file.
	pragmas := []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(FULL)", "secure_delete(1)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	writeQ := url.Values{}
	for k, v := range q {
		writeQ[k] = v
	}
	// BEGIN IMMEDIATE takes the write lock up front, so two writers never
	// deadlock upgrading read locks.
	writeQ.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite", "file:"+path+"?"+writeQ.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		write.Close()
		return nil, fmt.Errorf("store: restrict database file: %w", err)
	}
	read, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open sqlite reader: %w", err)
	}
	read.SetMaxOpenConns(max(4, 2*runtime.NumCPU()))
	return &DB{write: write, read: read, dialect: SQLite, path: path}, nil
}

func openPostgres(dsn string) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
	pool.SetMaxIdleConns(max(8, 4*runtime.NumCPU()))
	if err := pool.Ping(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to postgres: %w", err)
	}
	return &DB{write: pool, read: pool, dialect: Postgres}, nil
}

// Dialect reports which engine this DB uses.
func (db *DB) Dialect() Dialect { return db.dialect }

// Path is the SQLite database file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Checkpoint folds the SQLite WAL into the main file; a no-op on PostgreSQL.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.dialect != SQLite {
		return nil
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is a write transaction. Its methods are the writes that must be atomic
// together, such as a whole submission.
type Tx struct {
	tx *sql.Tx
}

// InTx runs fn in one write transaction, committing if fn returns nil.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	sqlTx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(&Tx{tx: sqlTx}); err != nil {
		return errors.Join(err, ignoreDone(sqlTx.Rollback()))
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// isUniqueViolation recognises a unique-key violation on either engine by
// its error code rather than its text.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsStorageFull tells whether err means the database could not write for
// lack of space or because its storage is read-only, so callers can say
// "try again later" instead of a bare internal error.
func IsStorageFull(err error) bool {
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR:
			return true
		}
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "53100" // disk_full
	}
	return false
}

// duplicate turns a unique-key violation into ErrDuplicate.
func duplicate(err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%w: %w", ErrDuplicate, err)
	}
	return err
}

// NewID returns a random 128-bit row identifier in lower-case base32,
// which is also a valid blob key.
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
