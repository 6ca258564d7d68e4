// Package crashtest holds the crash-consistency tests: a real Varsel
// process is killed with SIGKILL while whistleblowers submit, and the store
// is checked after restart. It has no code of its own.
package crashtest
