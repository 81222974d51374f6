package livetest_test

// Cases with other processes: a session file shared by several processes
// of a bot, and a process killed while it saves. The child processes are
// this test binary (see TestMain and runChild).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The child's environment: its mode, and its arguments.
const (
	envChild  = "MWAUTH_LIVETEST_CHILD"
	envAPI    = "MWAUTH_LIVETEST_API"
	envFile   = "MWAUTH_LIVETEST_FILE"
	envLogins = "MWAUTH_LIVETEST_LOGINS"
	envPass   = "MWAUTH_LIVETEST_PASS" // not in the argument list, which others can read
)

// childReady is what a looping child prints once its first save is done.
const childReady = "livetest-child: first save done"

// countingTransport counts a child's requests and login POSTs.
type countingTransport struct {
	requests, logins atomic.Int64
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	if r.Method == http.MethodPost && r.GetBody != nil {
		if body, err := r.GetBody(); err == nil {
			var b bytes.Buffer
			_, _ = b.ReadFrom(body)
			body.Close()
			if v, err := url.ParseQuery(b.String()); err == nil && v.Get("action") == "login" {
				c.logins.Add(1)
			}
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// childReport is the last line a child prints.
type childReport struct {
	Requests, Logins int64
	User             string
	FileErr          bool // a login's session file could not be written
}

// runChild runs the child process of mode and returns its exit code:
//
//   - resume: New with the file and WithBotPassword, Resume;
//   - login: log in $MWAUTH_LIVETEST_LOGINS times with the file;
//   - loop: log in again and again until killed, saving each time;
//   - fsize: log in with the file under a file size limit smaller than it.
func runChild(mode string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ct := &countingTransport{}
	api, file, pass := os.Getenv(envAPI), os.Getenv(envFile), os.Getenv(envPass)
	opts := []mwauth.Option{mwauth.WithHTTPClient(&http.Client{Transport: ct, Timeout: time.Minute}),
		mwauth.WithUserAgent(userAgent), mwauth.WithSessionFile(file)}
	var rep childReport
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "livetest-child:", err); return 1 }
	switch mode {
	case "resume":
		c, err := mwauth.New(api, append(opts, mwauth.WithBotPassword(wikitest.AdminBot, pass))...)
		if err != nil {
			return fail(err)
		}
		u, err := c.Resume(ctx)
		if err != nil {
			return fail(err)
		}
		rep.User = u.Name
	case "login", "loop":
		c, err := mwauth.New(api, opts...)
		if err != nil {
			return fail(err)
		}
		n, _ := strconv.Atoi(os.Getenv(envLogins))
		for i := 0; mode == "loop" || i < n; i++ {
			u, err := c.Login(ctx, wikitest.AdminBot, pass)
			if err != nil {
				return fail(err)
			}
			rep.User = u.Name
			if mode == "loop" && i == 0 {
				fmt.Println(childReady)
			}
		}
	case "fsize":
		lim := syscall.Rlimit{Cur: 64, Max: 64}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
			return fail(err)
		}
		c, err := mwauth.New(api, opts...)
		if err != nil {
			return fail(err)
		}
		u, err := c.Login(ctx, wikitest.AdminBot, pass)
		rep.User, rep.FileErr = u.Name, errors.Is(err, mwauth.ErrSessionFile)
		if err != nil && !rep.FileErr {
			return fail(err)
		}
	default:
		return fail(fmt.Errorf("unknown mode %q", mode))
	}
	rep.Requests, rep.Logins = ct.requests.Load(), ct.logins.Load()
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	return 0
}

// child returns the command of a child process.
func child(ctx context.Context, t *testing.T, mode, api, file string, extra ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envAPI+"="+api, envFile+"="+file,
		envPass+"="+wikitest.AdminBotPass)
	cmd.Env = append(cmd.Env, extra...)
	return cmd
}

// runChildProcess runs a child to its end and returns its report.
func runChildProcess(ctx context.Context, t *testing.T, mode, api, file string, extra ...string) (childReport, error) {
	cmd := child(ctx, t, mode, api, file, extra...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var rep childReport
	if err := cmd.Run(); err != nil {
		return rep, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rep); err != nil {
		return rep, fmt.Errorf("cannot parse %q: %v", lines[len(lines)-1], err)
	}
	return rep, nil
}

var processCases = []conformanceCase{
	{name: "a session resumed across processes", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		// First process: no file yet, so Resume logs in and saves.
		first, err := runChildProcess(ctx, t, "resume", tg.api, file)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, first.User)
		assert.EqualValues(t, 1, first.Logins)
		assert.EqualValues(t, 2, first.Requests, "login token, login")
		require.FileExists(t, file)
		// Second process: resumes the saved session with one request.
		second, err := runChildProcess(ctx, t, "resume", tg.api, file)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, second.User)
		assert.Zero(t, second.Logins)
		assert.EqualValues(t, 1, second.Requests)
		// And this process too.
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		assert.Equal(t, 1, rec.count())
	}},
	{name: "processes that save one file at once leave it whole", run: func(t *testing.T, ctx context.Context, tg target) {
		dir := t.TempDir()
		file := filepath.Join(dir, "session.json")
		const procs, logins = 4, 5
		reports := make([]childReport, procs)
		errs := make([]error, procs)
		var wg sync.WaitGroup
		for i := 0; i < procs; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				reports[i], errs[i] = runChildProcess(ctx, t, "login", tg.api, file, envLogins+"="+strconv.Itoa(logins))
			}(i)
		}
		wg.Wait()
		for i := 0; i < procs; i++ {
			require.NoError(t, errs[i], "process %d", i)
			assert.EqualValues(t, logins, reports[i].Logins, "process %d", i)
			assert.Equal(t, wikitest.Admin, reports[i].User)
		}
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.True(t, jsonValid(b), "the session file is valid JSON")
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name, "the last saved session is a live one")
		assert.Equal(t, 1, rec.count())
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.NotContains(t, e.Name(), ".tmp", "temporary file left behind")
		}
	}},
}

// TestSessionFileSurvivesKill kills a process in the middle of its
// logins, each of which saves the session file, many times, and checks
// that the file left behind always loads whole and holds a live session.
func TestSessionFileSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	srv := mwauthtest.NewServer(mwauthtest.WithThrottle(1<<30, time.Minute))
	defer srv.Close()
	file := sessionFile(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for i := 0; i < 8; i++ {
		cmd := child(ctx, t, "loop", srv.URL, file)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Wait until the child is saving, so that the kill cannot come
		// before the first save.
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if strings.TrimSpace(line) != childReady {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("kill %d: the child did not start saving: %q, stderr: %s", i, line, stderr.String())
		}
		time.Sleep(time.Duration(7*i) * time.Millisecond) // kill at different points of the loop
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL), "stderr: %s", stderr.String())
		err = cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "kill %d: stderr: %s", i, stderr.String())
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL,
			"kill %d: the child ended otherwise (%v), stderr: %s", i, err, stderr.String())

		c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(file))
		require.NoError(t, err, "kill %d left a file that does not load", i)
		u, err := c.Resume(ctx)
		require.NoError(t, err, "kill %d left a session that does not resume", i)
		assert.Equal(t, wikitest.Admin, u.Name)
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}

// TestSaveFailurePartWayKeepsOldFile makes a login's save fail after
// part of the new file was written (EFBIG under RLIMIT_FSIZE, as on a
// full disk): the login reports ErrSessionFile, and the previous file is
// intact and still resumes.
func TestSaveFailurePartWayKeepsOldFile(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	srv := mwauthtest.NewServer()
	defer srv.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "session.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(file))
	require.NoError(t, err)
	_, err = c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	before, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Greater(t, len(before), 64, "the file is larger than the child's limit")

	rep, err := runChildProcess(ctx, t, "fsize", srv.URL, file)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, rep.User, "the login itself worked")
	assert.True(t, rep.FileErr, "the login reports that the file could not be written")

	after, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	c2, err := mwauth.New(srv.URL, mwauth.WithSessionFile(file))
	require.NoError(t, err)
	_, err = c2.Resume(ctx)
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "temporary file left behind")
	}
}
