package crashtest

import (
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varsel/varsel/internal/store/storetest"
)

// privatePG is a throwaway PostgreSQL cluster of this test alone: initdb
// into a temporary directory, a free loopback port, no fsync. Stopping and
// starting it disturbs nobody else, unlike the machine's shared server,
// so a restart under load can run in CI.
type privatePG struct {
	t       *testing.T
	bin     string // directory of initdb, pg_ctl, postgres
	dir     string // owned by the cluster's OS user
	port    int
	account string // OS user the cluster runs as; "" = this process's user
}

// startPrivatePostgres starts a cluster or skips the test when no
// PostgreSQL server binaries are installed (unless VARSEL_REQUIRE_POSTGRES
// is 1, which makes that a failure).
func startPrivatePostgres(t *testing.T) *privatePG {
	t.Helper()
	require := os.Getenv(storetest.EnvRequirePostgres) == "1"
	skip := func(format string, args ...any) {
		t.Helper()
		if require {
			t.Fatalf(format+" (and %s=1)", append(args, storetest.EnvRequirePostgres)...)
		}
		t.Skipf(format, args...)
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		if p, err := exec.LookPath("initdb"); err == nil {
			found = []string{p}
		}
	}
	if len(found) == 0 {
		skip("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
	}
	// The newest major version installed.
	slices.SortFunc(found, func(a, b string) int { return majorOf(a) - majorOf(b) })
	p := &privatePG{t: t, bin: filepath.Dir(found[len(found)-1])}

	// initdb refuses to run as root: the cluster then belongs to the
	// postgres OS user, reached with runuser.
	var uid, gid int
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			skip("running as root without a postgres OS user for the cluster: %v", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			skip("running as root without runuser to start the cluster as postgres")
		}
		p.account = u.Username
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	// Not t.TempDir: its parents are private to this user, and the
	// cluster's user must reach the directory.
	dir, err := os.MkdirTemp("", "varsel-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() {
		if p.up() {
			p.pgCtl("stop", "-m", "immediate")
		}
		os.RemoveAll(dir)
	})
	if p.account != "" {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	if out, err := p.command("initdb", "-D", p.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.start()
	return p
}

func majorOf(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

func (p *privatePG) data() string { return filepath.Join(p.dir, "data") }

// DSN is the cluster's default database over TCP.
func (p *privatePG) DSN() string {
	return "postgres://postgres@127.0.0.1:" + strconv.Itoa(p.port) + "/postgres?sslmode=disable"
}

func (p *privatePG) command(tool string, args ...string) *exec.Cmd {
	path := filepath.Join(p.bin, tool)
	if p.account == "" {
		return exec.Command(path, args...)
	}
	return exec.Command("runuser", append([]string{"-u", p.account, "--", path}, args...)...)
}

func (p *privatePG) pgCtl(action string, args ...string) {
	p.t.Helper()
	all := append([]string{action, "-D", p.data(), "-w", "-t", "60"}, args...)
	if out, err := p.command("pg_ctl", all...).CombinedOutput(); err != nil {
		p.t.Errorf("pg_ctl %s: %v\n%s", action, err, out)
		if log, err := os.ReadFile(filepath.Join(p.dir, "server.log")); err == nil {
			p.t.Logf("server log:\n%s", log)
		}
	}
}

// start starts the cluster on its port, loopback only, with its socket in
// its own directory; fsync is off because the data is thrown away.
func (p *privatePG) start() {
	p.t.Helper()
	opts := strings.Join([]string{"-p", strconv.Itoa(p.port), "-k", p.dir, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"}, " ")
	p.pgCtl("start", "-l", filepath.Join(p.dir, "server.log"), "-o", opts)
	for range 100 {
		if p.up() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.t.Fatal("the private PostgreSQL does not answer on its port")
}

// stop shuts the cluster down the way an administrator's restart does:
// open connections are cut, transactions in flight are rolled back.
func (p *privatePG) stop() {
	p.t.Helper()
	p.pgCtl("stop", "-m", "fast")
}

func (p *privatePG) up() bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p.port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}
