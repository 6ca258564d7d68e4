package main

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"testing"
)

func TestParseFlagsPrecedence(t *testing.T) {
	files := map[string]string{"/run/secrets/dsn": "postgres://u:p@db/varsel\n"}
	readFile := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
	type result struct {
		data, db, listen string
		size             int64
		secure           bool
		email            string
	}
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    result
		wantErr bool
	}{
		{name: "defaults", want: result{data: "./varsel-data", listen: "127.0.0.1:8080"}},
		{name: "env fills unset flags",
			env:  map[string]string{"VARSEL_DATA": "/srv/v", "VARSEL_LISTEN": ":80", "VARSEL_MAX_FILE_SIZE": "1000", "VARSEL_SECURE_COOKIES": "true"},
			want: result{data: "/srv/v", listen: ":80", size: 1000, secure: true}},
		{name: "flag beats env",
			args: []string{"--data", "/flag", "--secure-cookies=false"},
			env:  map[string]string{"VARSEL_DATA": "/env", "VARSEL_SECURE_COOKIES": "1"},
			want: result{data: "/flag", listen: "127.0.0.1:8080"}},
		{name: "flag equal to default still beats env",
			args: []string{"--listen", "127.0.0.1:8080"},
			env:  map[string]string{"VARSEL_LISTEN": ":9999"},
			want: result{data: "./varsel-data", listen: "127.0.0.1:8080"}},
		{name: "file variant, newline stripped",
			env:  map[string]string{"VARSEL_DB_FILE": "/run/secrets/dsn"},
			want: result{data: "./varsel-data", listen: "127.0.0.1:8080", db: "postgres://u:p@db/varsel"}},
		{name: "flag beats file variant",
			args: []string{"--db", "postgres://flag/x"},
			env:  map[string]string{"VARSEL_DB_FILE": "/run/secrets/dsn"},
			want: result{data: "./varsel-data", listen: "127.0.0.1:8080", db: "postgres://flag/x"}},
		{name: "value and file both set", env: map[string]string{"VARSEL_DB": "x", "VARSEL_DB_FILE": "/run/secrets/dsn"}, wantErr: true},
		{name: "missing file", env: map[string]string{"VARSEL_DB_FILE": "/nope"}, wantErr: true},
		{name: "malformed env number", env: map[string]string{"VARSEL_MAX_FILE_SIZE": "1GB"}, wantErr: true},
		{name: "per-command inputs ignore env", env: map[string]string{"VARSEL_EMAIL": "a@b.c"},
			want: result{data: "./varsel-data", listen: "127.0.0.1:8080"}},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got result
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			fs.StringVar(&got.data, "data", "./varsel-data", "")
			fs.StringVar(&got.db, "db", "", "")
			fs.StringVar(&got.listen, "listen", "127.0.0.1:8080", "")
			fs.Int64Var(&got.size, "max-file-size", 0, "")
			fs.BoolVar(&got.secure, "secure-cookies", false, "")
			fs.StringVar(&got.email, "email", "", "")
			lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
			err := parseFlags(fs, c.args, lookup, readFile)
			if c.wantErr {
				if err == nil {
					t.Fatalf("want an error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseFlagsHelp(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := parseFlags(fs, []string{"-h"}, func(string) (string, bool) { return "", false }, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
}
