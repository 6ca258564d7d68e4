package store

import (
	"context"
	"fmt"
	"time"
)

// EachStoredValue calls fn with every value of every row of every table,
// as raw bytes. The encryption-at-rest tests scan a PostgreSQL database
// with it, where the files on disk are out of a test's reach.
func (db *DB) EachStoredValue(ctx context.Context, fn func(table string, value []byte)) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := db.read.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("store: list tables: %w", err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, name)
	}
	rows.Close()
	for _, table := range tables {
		if err := db.eachValue(ctx, table, fn); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) eachValue(ctx context.Context, table string, fn func(string, []byte)) error {
	rows, err := db.read.QueryContext(ctx, `SELECT * FROM `+table)
	if err != nil {
		return fmt.Errorf("store: dump %s: %w", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				fn(table, x)
			case string:
				fn(table, []byte(x))
			case time.Time:
				fn(table, []byte(x.String()))
			default:
				fn(table, fmt.Append(nil, x))
			}
		}
	}
	return rows.Err()
}
