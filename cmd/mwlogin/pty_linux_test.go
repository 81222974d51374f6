package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// These tests run mwlogin (this test binary, see TestMain) on a
// pseudo-terminal, as a person at a terminal would, and read what it
// shows. The pty is opened with /dev/ptmx and two ioctls: no dependency.

// newWiki starts a fake wiki for a child process to use.
//
// mwauthtest.Server.Start sets the server's address after it starts
// serving, and the handler reads it under the server's lock; a client in
// another process creates no happens-before edge with that write, so the
// race detector flags the first request. Taking the lock once here (any
// method that locks will do) orders the write before every handler.
func newWiki(t *testing.T, opts ...mwauthtest.Option) *mwauthtest.Server {
	t.Helper()
	srv := mwauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	_ = srv.Requests()
	return srv
}

// ptyRun is mwlogin running on a pty.
type ptyRun struct {
	t      *testing.T
	master *os.File // what the person types into and reads from
	slave  *os.File // mwlogin's terminal; kept open to read its mode
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	out    bytes.Buffer // everything shown, echo included
}

// openPTY returns a new pseudo-terminal's master and slave ends.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close() })
	var n uint32
	var unlock int32
	rc, err := master.SyscallConn()
	require.NoError(t, err)
	var ioErr error
	require.NoError(t, rc.Control(func(fd uintptr) {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
			ioErr = fmt.Errorf("TIOCGPTN: %w", e)
			return
		}
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
			ioErr = fmt.Errorf("TIOCSPTLCK: %w", e)
		}
	}))
	require.NoError(t, ioErr)
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { slave.Close() })
	return master, slave
}

// startPTY runs mwlogin with args on a new pty, with its config
// directory in cfg. stdin, if not nil, replaces the terminal as standard
// input (stdout and stderr stay on the terminal).
func startPTY(t *testing.T, cfg string, stdin io.Reader, args ...string) *ptyRun {
	t.Helper()
	master, slave := openPTY(t)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MWLOGIN_RUN_MAIN=1", "XDG_CONFIG_HOME="+cfg, "HOME="+cfg, "TERM=xterm",
		"GORACE=atexit_sleep_ms=0") // under -race, do not wait a second at exit
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	ctty := 0
	if stdin != nil {
		cmd.Stdin, ctty = stdin, 1
	}
	// A session of its own with the pty as controlling terminal, so that
	// Ctrl-C typed on it sends SIGINT to mwlogin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
	require.NoError(t, cmd.Start())
	p := &ptyRun{t: t, master: master, slave: slave, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return p
}

// shown is what the terminal showed so far, with the terminal's CR LF
// line ends as LF.
func (p *ptyRun) shown() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.ReplaceAll(p.out.String(), "\r\n", "\n")
}

// expect waits until the terminal shows s.
func (p *ptyRun) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.shown(), s) {
		if time.Now().After(deadline) {
			require.FailNow(p.t, "the terminal does not show "+fmt.Sprintf("%q", s), "it shows:\n%s", p.shown())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lflag returns the terminal's local mode flags (ECHO, ICANON, ...).
func (p *ptyRun) lflag() uint32 {
	p.t.Helper()
	var tio syscall.Termios
	rc, err := p.slave.SyscallConn()
	require.NoError(p.t, err)
	var e syscall.Errno
	require.NoError(p.t, rc.Control(func(fd uintptr) {
		_, _, e = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TCGETS, uintptr(unsafe.Pointer(&tio)))
	}))
	require.Zero(p.t, e, "TCGETS")
	return tio.Lflag
}

// waitEcho waits until the terminal's echo is on or off.
func (p *ptyRun) waitEcho(on bool) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for (p.lflag()&syscall.ECHO != 0) != on {
		if time.Now().After(deadline) {
			require.FailNow(p.t, fmt.Sprintf("terminal echo never turned on=%v", on), "it shows:\n%s", p.shown())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeLine types s and Enter.
func (p *ptyRun) typeLine(s string) {
	p.t.Helper()
	_, err := p.master.Write([]byte(s + "\r"))
	require.NoError(p.t, err)
}

// typeSecret types s and Enter once echo is off: a secret typed while
// echo is on would be shown.
func (p *ptyRun) typeSecret(s string) {
	p.t.Helper()
	p.waitEcho(false)
	p.typeLine(s)
}

// wait waits for mwlogin to exit and returns its exit status.
func (p *ptyRun) wait() int {
	p.t.Helper()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		require.FailNow(p.t, "mwlogin did not exit", "it shows:\n%s", p.shown())
	}
	// What it wrote last is read after it exited; give the reader a moment.
	time.Sleep(20 * time.Millisecond)
	return p.cmd.ProcessState.ExitCode()
}

// An interactive two-factor login, everything asked on the terminal: the
// password without echo, and the session file where status finds it.
func TestPTYInteractiveTwoFactorLogin(t *testing.T) {
	cfg := t.TempDir()
	srv := newWiki(t)

	p := startPTY(t, cfg, nil, "login", "-wiki", srv.URL)
	p.expect("Username (User@BotName for a bot password): ")
	p.typeLine(demoUser)
	p.expect("Password: ")
	p.typeSecret(demoPass)
	p.expect("Keep me logged in [y/N]: ")
	p.waitEcho(true)
	p.typeLine("y")
	p.expect("Please enter a code from your two-factor authentication application")
	p.expect("Two-factor token or recovery code: ")
	p.typeLine(srv.TOTPCode(demoUser, 0))
	require.Equal(t, exitOK, p.wait(), p.shown())

	shown := p.shown()
	assert.Contains(t, shown, "Logged in to "+hostOf(t, srv.URL)+" as TwoFAUser.")
	assert.NotContains(t, shown, demoPass, "the password was echoed")
	assert.NotZero(t, p.lflag()&syscall.ECHO, "echo is on again")
	path := sessionFileFor(t, cfg, srv.URL)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	p = startPTY(t, cfg, nil, "status", "-wiki", srv.URL)
	require.Equal(t, exitOK, p.wait(), p.shown())
	assert.Contains(t, p.shown(), "as TwoFAUser (user id 5)")
}

// -password-stdin: nothing is asked, nothing secret is shown.
func TestPTYPasswordStdin(t *testing.T) {
	cfg := t.TempDir()
	srv := newWiki(t)
	const pass = "botuserbotpassword0123456789abcd"

	p := startPTY(t, cfg, strings.NewReader(pass+"\n"),
		"login", "-wiki", srv.URL, "-user", "BotUser@localbot", "-password-stdin")
	require.Equal(t, exitOK, p.wait(), p.shown())
	shown := p.shown()
	assert.Contains(t, shown, "Logged in to "+hostOf(t, srv.URL)+" as BotUser.")
	assert.NotContains(t, shown, "Password: ", "nothing is asked")
	assert.NotContains(t, shown, pass)
	assert.FileExists(t, sessionFileFor(t, cfg, srv.URL))
}

func TestPTYHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"login", "-h"}, {"whoami", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			p := startPTY(t, t.TempDir(), nil, args...)
			assert.Equal(t, exitOK, p.wait())
			assert.Contains(t, p.shown(), "Usage: mwlogin ")
			assert.NotContains(t, p.shown(), "mwlogin: ", "no error")
		})
	}
}

// A wiki whose messages and labels carry escape sequences (a window
// title, clear screen, blink, a C1 CSI): the terminal gets the text
// without them.
func TestPTYHostileWikiEscapesRemoved(t *testing.T) {
	cfg := t.TempDir()
	fake := mwauthtest.NewUnstartedServer() // its Handler, behind one that injects escapes
	defer fake.Close()
	inject := strings.NewReplacer(
		// JSON escapes: the wiki's strings then hold ESC, BEL and U+009B.
		`Please enter a code`, `\u001b]0;owned\u0007\u001b[2J\u009b31mPlease enter a code`,
		`Two-factor token or recovery code`, `Two-factor \u001b[5mtoken\u001b[0m or recovery code`,
		`Keep me logged in`, `Keep me \u001b]8;;https://evil.example/\u001b\\logged in\u001b]8;;\u001b\\`,
	)
	injected := 0
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		fake.Handler().ServeHTTP(rec, r)
		body := inject.Replace(rec.Body.String())
		if body != rec.Body.String() {
			mu.Lock()
			injected++
			mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = io.WriteString(w, body)
	}))
	defer hs.Close()
	api := hs.URL + "/api.php"

	p := startPTY(t, cfg, nil, "login", "-wiki", api, "-user", demoUser)
	p.expect("Password: ")
	p.typeSecret(demoPass)
	p.expect("[y/N]: ") // the label around it is checked below
	p.waitEcho(true)
	p.typeLine("n")
	p.expect("or recovery code: ")
	p.typeLine(fake.TOTPCode(demoUser, 0))
	require.Equal(t, exitOK, p.wait(), p.shown())

	mu.Lock()
	require.GreaterOrEqual(t, injected, 2, "the fake wiki's texts were changed")
	mu.Unlock()
	shown := p.shown()
	assert.Contains(t, shown, "Keep me logged in [y/N]: ")
	assert.Contains(t, shown, "\nPlease enter a code from your two-factor authentication application")
	assert.Contains(t, shown, "Two-factor token or recovery code: ")
	assert.NotContains(t, shown, "\x1b", "an escape sequence reached the terminal")
	assert.NotContains(t, shown, "\u009b")
	assert.NotContains(t, shown, "owned")
	assert.NotContains(t, shown, "evil.example")
}

// Ctrl-C at a prompt ends mwlogin with status 130 and leaves the terminal
// as it was: echo on after the password prompt had turned it off.
func TestPTYCtrlC(t *testing.T) {
	srv := newWiki(t)
	for _, tc := range []struct {
		name, prompt string
		secret       bool
	}{
		{"at the password prompt", "Password: ", true},
		{"at the username prompt", "Username (User@BotName for a bot password): ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"login", "-wiki", srv.URL}
			if tc.secret {
				args = append(args, "-user", demoUser)
			}
			p := startPTY(t, t.TempDir(), nil, args...)
			p.expect(tc.prompt)
			if tc.secret {
				p.waitEcho(false)
			}
			_, err := p.master.Write([]byte{0x03}) // Ctrl-C
			require.NoError(t, err)
			assert.Equal(t, exitInterrupted, p.wait(), p.shown())
			assert.NotZero(t, p.lflag()&syscall.ECHO, "terminal echo is restored")
			assert.NotZero(t, p.lflag()&syscall.ICANON, "line editing is restored")
		})
	}
}

// An interactive two-factor login on a terminal against the real
// MediaWiki of scripts/test.sh.
func TestIntegrationPTYTwoFactorRealWiki(t *testing.T) {
	api := wikitest.API(t)
	cfg := t.TempDir()
	p := startPTY(t, cfg, nil, "login", "-wiki", api)
	p.expect("Username (User@BotName for a bot password): ")
	p.typeLine(wikitest.TwoFAUser)
	// The local wiki has a single sign-on provider: its button comes first.
	p.expect("Log in with FakeSSO [y/N]: ")
	p.typeLine("n")
	p.expect("Password: ")
	p.typeSecret(wikitest.TwoFAPass)
	p.expect("Keep me logged in [y/N]: ")
	p.waitEcho(true)
	p.typeLine("n")
	p.expect("code: ")
	p.typeLine(wikitest.TOTP(t))
	require.Equal(t, exitOK, p.wait(), p.shown())
	assert.Contains(t, p.shown(), "as "+wikitest.TwoFAUser+".")
	assert.NotContains(t, p.shown(), wikitest.TwoFAPass)

	p = startPTY(t, cfg, nil, "status", "-wiki", api)
	require.Equal(t, exitOK, p.wait(), p.shown())
	assert.Contains(t, p.shown(), "as "+wikitest.TwoFAUser+" (user id ")
	p = startPTY(t, cfg, nil, "logout", "-wiki", api)
	require.Equal(t, exitOK, p.wait(), p.shown())
}

// Ctrl-C while mwlogin waits for the wiki cancels the request: status 130.
func TestPTYCtrlCWhileWaitingForTheWiki(t *testing.T) {
	fake := mwauthtest.NewUnstartedServer()
	defer fake.Close()
	var hang atomic.Bool
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hang.Load() {
			fake.Handler().ServeHTTP(w, r)
			return
		}
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // a wiki that stopped answering
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer hs.Close()
	defer close(release)
	api := hs.URL + "/api.php"
	cfg := t.TempDir()
	path := filepath.Join(cfg, "s.json")
	r := mwlogin(t, "botuserbotpassword0123456789abcd", nil,
		"login", "-wiki", api, "-session", path, "-user", "BotUser@localbot", "-password-stdin")
	require.Equal(t, exitOK, r.code, r.stderr)

	hang.Store(true)
	p := startPTY(t, cfg, nil, "status", "-wiki", api, "-session", path)
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		require.FailNow(t, "no request reached the wiki", p.shown())
	}
	_, err := p.master.Write([]byte{0x03})
	require.NoError(t, err)
	assert.Equal(t, exitInterrupted, p.wait(), p.shown())
	assert.Contains(t, p.shown(), "mwlogin: interrupted")
	assert.Equal(t, 1, strings.Count(p.shown(), "mwlogin: "), "one error line")
}

// The demo on a terminal: the person answers, the demo shows the code.
func TestPTYDemoInteractive(t *testing.T) {
	p := startPTY(t, t.TempDir(), nil, "demo")
	p.expect("Username: ")
	p.typeLine(demoUser)
	p.expect("Password: ")
	p.typeSecret(demoPass)
	p.expect("Keep me logged in [y/N]: ")
	p.waitEcho(true)
	p.typeLine("n")
	const hint = "(The code the account's authenticator app shows now is "
	p.expect(hint)
	p.expect("Two-factor token or recovery code: ")
	shown := p.shown()
	i := strings.Index(shown, hint) + len(hint)
	p.typeLine(shown[i : i+6])
	require.Equal(t, exitOK, p.wait(), p.shown())
	assert.Contains(t, p.shown(), "Logged in as TwoFAUser after 3 HTTP requests.")
	assert.Contains(t, p.shown(), "Logged out; session file removed.")
	assert.Equal(t, 1, strings.Count(p.shown(), demoPass), "the password is shown once, in the instructions, never echoed")
}
