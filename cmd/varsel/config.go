package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
)

// envVars maps flag names to the environment variables that can supply
// them. Only operational settings are listed: per-command inputs such as
// --email stay on the command line so a leftover variable cannot change
// what a command does.
var envVars = map[string]string{
	"data":             "VARSEL_DATA",
	"db":               "VARSEL_DB",
	"listen":           "VARSEL_LISTEN",
	"staff-listen":     "VARSEL_STAFF_LISTEN",
	"public-url":       "VARSEL_PUBLIC_URL",
	"staff-url":        "VARSEL_STAFF_URL",
	"max-file-size":    "VARSEL_MAX_FILE_SIZE",
	"log-level":        "VARSEL_LOG_LEVEL",
	"pepper-file":      "VARSEL_PEPPER_FILE",
	"secure-cookies":   "VARSEL_SECURE_COOKIES",
	"password-file":    "VARSEL_PASSWORD_FILE",
	"smtp-host":        "VARSEL_SMTP_HOST",
	"smtp-port":        "VARSEL_SMTP_PORT",
	"smtp-username":    "VARSEL_SMTP_USERNAME",
	"smtp-password":    "VARSEL_SMTP_PASSWORD",
	"smtp-from":        "VARSEL_SMTP_FROM",
	"smtp-require-tls": "VARSEL_SMTP_REQUIRE_TLS",
	// No _FILE variants for these two: their values are already paths.
	"tls-cert": "VARSEL_TLS_CERT",
	"tls-key":  "VARSEL_TLS_KEY",
}

// fileVars name variables that hold the path of a file containing the
// value, so secrets such as a DSN with a password can come from a
// container secret instead of the environment, which leaks into /proc and
// crash reports.
var fileVars = map[string]string{
	"db":            "VARSEL_DB_FILE",
	"smtp-password": "VARSEL_SMTP_PASSWORD_FILE",
}

// parseFlags parses args into fs and then fills every flag that was not
// given from its environment variable: flags beat VARSEL_X, which beats
// VARSEL_X_FILE, which beats the default. Setting both VARSEL_X and
// VARSEL_X_FILE is an error because one of them would be silently ignored.
func parseFlags(fs *flag.FlagSet, args []string, lookupEnv func(string) (string, bool), readFile func(string) ([]byte, error)) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name, ok := envVars[f.Name]
		if !ok {
			return
		}
		val, ok := lookupEnv(name)
		if fileName, hasFile := fileVars[f.Name]; hasFile {
			if path, set := lookupEnv(fileName); set {
				if ok {
					errs = append(errs, fmt.Errorf("set %s or %s, not both", name, fileName))
					return
				}
				raw, err := readFile(path)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", fileName, err))
					return
				}
				val, ok = strings.TrimRight(string(raw), "\r\n"), true
				name = fileName
			}
		}
		if !ok {
			return
		}
		if err := fs.Set(f.Name, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	})
	return errors.Join(errs...)
}

func osParseFlags(fs *flag.FlagSet, args []string) error {
	return parseFlags(fs, args, os.LookupEnv, os.ReadFile)
}
