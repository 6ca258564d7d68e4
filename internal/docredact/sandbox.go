package docredact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Tools runs the external programs (poppler-utils, tesseract, LibreOffice)
// that parse untrusted files. They are large C and C++ code bases with a
// history of memory-safety bugs, so every run is a subprocess that is
// treated as hostile:
//
//   - a fresh 0700 work directory, removed afterwards, is the only place it
//     can write; the input is copied there;
//   - an empty environment (HOME and TMPDIR point into the work directory);
//   - no network and a read-only view of /usr: bubblewrap when the kernel
//     allows user namespaces, else unshare --net, else (logged once) nothing;
//   - resource limits through prlimit: address space, CPU seconds, size of
//     any file written, open files; a context timeout kills the whole
//     process group;
//   - stdout and stderr are read up to a bound, beyond which the run fails.
//
// The zero value is not useful; start from DefaultTools.
type Tools struct {
	Timeout     time.Duration // wall clock for one run
	CPUSeconds  int           // RLIMIT_CPU
	MaxMemory   int64         // RLIMIT_AS in bytes; LibreOffice gets OfficeMemory
	MaxFileSize int64         // RLIMIT_FSIZE: largest file a tool may write
	MaxFiles    int           // RLIMIT_NOFILE
	MaxOutput   int64         // bytes of stdout (and of stderr) kept; more fails the run
	// OfficeTimeout and OfficeMemory replace Timeout and MaxMemory for
	// LibreOffice, which maps several GiB of address space at start.
	OfficeTimeout time.Duration
	OfficeMemory  int64
	// Isolation is "auto" (bubblewrap, else unshare --net, else none),
	// "bwrap", "unshare" or "none".
	Isolation string

	// Input limits, checked before any tool runs.
	MaxInput int64 // bytes of one input file
	MaxPages int   // pages of a PDF (or of an office file once converted)
	// MaxPagePixels bounds one rendered page or decoded image: a page
	// whose size at DPI would exceed it is rendered at a lower resolution
	// (a decompression-bomb guard: a PDF page can claim to be 200 inches
	// wide), and an image above it is refused.
	MaxPagePixels int64
	DPI           int // resolution of the redacted output's pages
	OCRDPI        int // resolution of pages rendered for recognition
}

// DefaultTools holds the limits used by the package-level functions.
var DefaultTools = Tools{
	Timeout:       2 * time.Minute,
	CPUSeconds:    120,
	MaxMemory:     2 << 30,
	MaxFileSize:   512 << 20,
	MaxFiles:      256,
	MaxOutput:     64 << 20,
	OfficeTimeout: 3 * time.Minute,
	OfficeMemory:  8 << 30,
	Isolation:     "auto",
	MaxInput:      256 << 20,
	MaxPages:      1000,
	MaxPagePixels: 60_000_000,
	DPI:           150,
	OCRDPI:        200,
}

// toolPackages names the Debian package that provides each tool, for the
// message of ErrToolMissing.
var toolPackages = map[string]string{
	"pdftoppm":  "poppler-utils",
	"pdftotext": "poppler-utils",
	"pdfinfo":   "poppler-utils",
	"tesseract": "tesseract-ocr",
	"soffice":   "libreoffice-core-nogui (with libreoffice-writer-nogui, -calc-nogui, -impress-nogui)",
	"prlimit":   "util-linux",
}

// toolDirs is where tools are looked up: never $PATH, which an operator's
// environment could point elsewhere.
var toolDirs = []string{"/usr/bin", "/bin", "/usr/local/bin"}

// lookTool returns the absolute path of a tool or ErrToolMissing.
func lookTool(name string) (string, error) {
	for _, d := range toolDirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %s (Debian package %s)", ErrToolMissing, name, toolPackages[name])
}

// HaveTool reports whether a tool is installed; tests use it to skip.
func HaveTool(name string) bool {
	_, err := lookTool(name)
	return err == nil
}

// Usage is what one tool run cost, for benchmarks.
type Usage struct {
	MaxRSS int64 // peak resident set of the tool and its children, bytes
	User   time.Duration
	Sys    time.Duration
}

var (
	usageMu   sync.Mutex
	peakUsage Usage
)

// PeakToolUsage returns the largest peak RSS of any tool run so far and the
// total CPU time; ResetToolUsage starts a new measurement.
func PeakToolUsage() Usage {
	usageMu.Lock()
	defer usageMu.Unlock()
	return peakUsage
}

// ResetToolUsage clears the figures PeakToolUsage returns.
func ResetToolUsage() {
	usageMu.Lock()
	peakUsage = Usage{}
	usageMu.Unlock()
}

func recordUsage(ps *os.ProcessState) {
	if ps == nil {
		return
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return
	}
	usageMu.Lock()
	defer usageMu.Unlock()
	if rss := ru.Maxrss * 1024; rss > peakUsage.MaxRSS { // Linux reports KiB
		peakUsage.MaxRSS = rss
	}
	peakUsage.User += ps.UserTime()
	peakUsage.Sys += ps.SystemTime()
}

// isolation is the sandbox method chosen once per process.
var (
	isoOnce   sync.Once
	isoMethod string
)

func (t *Tools) isolation() string {
	switch t.Isolation {
	case "bwrap", "unshare", "none":
		return t.Isolation
	}
	isoOnce.Do(func() {
		if p, err := lookTool("bwrap"); err == nil {
			if exec.Command(p, append(bwrapArgs(os.TempDir()), "--", "/bin/true")...).Run() == nil {
				isoMethod = "bwrap"
				return
			}
		}
		if p, err := lookTool("unshare"); err == nil {
			if exec.Command(p, "--net", "--", "/bin/true").Run() == nil {
				isoMethod = "unshare"
				slog.Warn("docredact: bubblewrap unavailable or refused; tools run with unshare --net only (no filesystem isolation)")
				return
			}
		}
		isoMethod = "none"
		slog.Warn("docredact: the kernel refused network namespaces; document tools run without a sandbox (only resource limits apply)")
	})
	return isoMethod
}

// bwrapArgs is the bubblewrap sandbox: new namespaces of every kind (no
// network), /usr and the few files of /etc the tools read mounted
// read-only, a private /tmp and /proc, and work the only writable path.
func bwrapArgs(work string) []string {
	a := []string{"--unshare-all", "--die-with-parent", "--new-session",
		"--ro-bind", "/usr", "/usr"}
	for _, d := range []string{"/lib", "/lib64", "/bin", "/sbin", "/lib32", "/libx32"} {
		if target, err := os.Readlink(d); err == nil {
			a = append(a, "--symlink", target, d)
		} else {
			a = append(a, "--ro-bind-try", d, d)
		}
	}
	for _, p := range []string{"/etc/fonts", "/etc/ld.so.cache", "/etc/alternatives", "/etc/libreoffice", "/var/cache/fontconfig"} {
		a = append(a, "--ro-bind-try", p, p)
	}
	return append(a, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
		"--bind", work, work, "--chdir", work)
}

// boundedBuffer keeps at most max bytes and remembers that more came.
type boundedBuffer struct {
	buf      bytes.Buffer
	max      int64
	overflow bool
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	if room := b.max - int64(b.buf.Len()); int64(len(p)) > room {
		b.overflow = true
		if room > 0 {
			b.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return b.buf.Write(p)
}

// errToolFailed wraps a tool's failure; its message holds the tool's name
// and exit status, never its stderr (which may quote the document).
var errToolFailed = errors.New("docredact: tool failed")

// workDir is a private directory for one operation.
type workDir struct {
	path string
}

func newWorkDir() (*workDir, error) {
	p, err := os.MkdirTemp("", "varsel-docredact-*")
	if err != nil {
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	if err := os.Chmod(p, 0o700); err != nil {
		os.RemoveAll(p)
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	if err := os.Mkdir(filepath.Join(p, "home"), 0o700); err != nil {
		os.RemoveAll(p)
		return nil, fmt.Errorf("docredact: work directory: %w", err)
	}
	return &workDir{path: p}, nil
}

func (w *workDir) file(name string) string { return filepath.Join(w.path, name) }

func (w *workDir) write(name string, data []byte) (string, error) {
	p := w.file(name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		return "", fmt.Errorf("docredact: work file: %w", err)
	}
	return p, nil
}

func (w *workDir) remove() { os.RemoveAll(w.path) }

// run executes tool with args inside the sandbox rooted at w and returns
// its stdout.
func (t *Tools) run(ctx context.Context, w *workDir, tool string, args ...string) ([]byte, error) {
	path, err := lookTool(tool)
	if err != nil {
		return nil, err
	}
	timeout, mem := t.Timeout, t.MaxMemory
	if tool == "soffice" {
		timeout, mem = t.OfficeTimeout, t.OfficeMemory
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	argv := append([]string{path}, args...)
	switch t.isolation() {
	case "bwrap":
		bw, _ := lookTool("bwrap")
		argv = append(append([]string{bw}, bwrapArgs(w.path)...), append([]string{"--"}, argv...)...)
	case "unshare":
		us, _ := lookTool("unshare")
		argv = append([]string{us, "--net", "--"}, argv...)
	}
	if pl, err := lookTool("prlimit"); err == nil {
		argv = append([]string{pl,
			"--as=" + strconv.FormatInt(mem, 10),
			"--cpu=" + strconv.Itoa(t.CPUSeconds),
			"--fsize=" + strconv.FormatInt(t.MaxFileSize, 10),
			"--nofile=" + strconv.Itoa(t.MaxFiles),
			"--core=0",
			"--"}, argv...)
	} else {
		warnNoLimits.Do(func() { slog.Warn("docredact: prlimit missing; document tools run without resource limits") })
	}

	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = w.path
	cmd.Env = []string{
		"HOME=" + w.file("home"),
		"TMPDIR=" + w.path,
		"OMP_THREAD_LIMIT=1", // tesseract: one thread per run; callers parallelise
		"LC_ALL=C.UTF-8",
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	stdout := &boundedBuffer{max: t.MaxOutput}
	stderr := &boundedBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	recordUsage(cmd.ProcessState)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: %s: %w", errToolFailed, tool, ctx.Err())
	case err != nil:
		slog.Debug("docredact: tool failed", "tool", tool, "status", cmd.ProcessState.String())
		return nil, fmt.Errorf("%w: %s: %s", errToolFailed, tool, exitText(cmd.ProcessState, err))
	case stdout.overflow:
		return nil, fmt.Errorf("%w: %s: output larger than %d bytes", errToolFailed, tool, t.MaxOutput)
	}
	return stdout.buf.Bytes(), nil
}

var warnNoLimits sync.Once

func exitText(ps *os.ProcessState, err error) string {
	if ps == nil {
		return err.Error()
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGXCPU:
			return "CPU time limit reached"
		case syscall.SIGXFSZ:
			return "file size limit reached"
		}
		return "killed by " + ws.Signal().String()
	}
	return ps.String()
}
