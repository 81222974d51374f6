package mwauth_test

// Integration tests of saved sessions, automatic re-login and several
// processes sharing one session file, against the real test wiki (see
// integration_test.go). The two-process tests build and run
// internal/itest/resume.

import (
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
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// harmlessWrite is a write-mode request that needs a CSRF token and that a
// bot password with every grant may make: it sets a private user option.
func harmlessWrite() url.Values {
	return url.Values{
		"action":      {"options"},
		"optionname":  {"userjs-mwauth-integration"},
		"optionvalue": {strconv.FormatInt(time.Now().UnixNano(), 10)},
	}
}

// loginWithFile logs a Client with a session file in as Admin@localbot.
func loginWithFile(ctx context.Context, t *testing.T, api, file string) *mwauth.Client {
	t.Helper()
	c := newClient(t, api, newRecorder(), mwauth.WithSessionFile(file))
	res, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	require.Equal(t, wikitest.Admin, res.Username)
	return c
}

func TestIntegrationSessionFileResume(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	file := filepath.Join(t.TempDir(), "session.json")

	loginWithFile(ctx, t, api, file)
	fi, err := os.Stat(file)
	require.NoError(t, err, "the login saved the session")
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A second Client (a restarted bot) on the same file.
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithSessionFile(file))
	ui, err := c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, ui.Name)
	assert.Positive(t, ui.ID)
	assert.False(t, ui.Anonymous)
	assert.Equal(t, 1, rec.count(), "Resume takes one request: %s", rec.summary(0))

	// Resume fetched the CSRF token with the user info: a write needs no
	// token request.
	_, err = c.PostWithToken(ctx, mwauth.TokenCSRF, harmlessWrite())
	require.NoError(t, err)
	assert.Equal(t, 2, rec.count(), "the write is one POST: %s", rec.summary(0))
	ex := rec.since(1)
	require.Len(t, ex, 1)
	assert.Equal(t, http.MethodPost, ex[0].Method)
	assert.Equal(t, "options", ex[0].Action)
	assert.Equal(t, "user", ex[0].Params.Get("assert"), "a resumed session is asserted")
	assert.Zero(t, rec.loginPosts(0))
}

func TestIntegrationSessionKilledWhileBotWorks(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))

	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	_, err = userInfo(ctx, t, c)
	require.NoError(t, err)

	t.Run("Get", func(t *testing.T) {
		wikitest.KillSessions(t)
		n := rec.count()
		name, err := userInfo(ctx, t, c)
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, wikitest.Admin, name)
		assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login")
		// The failed call, login token, login, the call again.
		assert.Equal(t, 4, rec.count()-n, "requests: %s", rec.summary(n))
	})

	t.Run("PostWithToken with a cached token", func(t *testing.T) {
		_, err := c.Token(ctx, mwauth.TokenCSRF)
		require.NoError(t, err)
		wikitest.KillSessions(t)
		n := rec.count()
		_, err = c.PostWithToken(ctx, mwauth.TokenCSRF, harmlessWrite())
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login")
		// The failed POST, login token, login, a new CSRF token, the POST again.
		assert.Equal(t, 5, rec.count()-n, "requests: %s", rec.summary(n))
	})

	t.Run("PostWithToken without a cached token", func(t *testing.T) {
		wikitest.KillSessions(t)
		// Log in anew so that no CSRF token is cached, then lose it.
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		wikitest.KillSessions(t)
		n := rec.count()
		_, err = c.PostWithToken(ctx, mwauth.TokenCSRF, harmlessWrite())
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login")
		// The CSRF token (the anonymous +\ gives the loss away), login
		// token, login, a new CSRF token, the POST.
		assert.Equal(t, 5, rec.count()-n, "requests: %s", rec.summary(n))
	})
}

func TestIntegrationSessionConcurrentRelogin(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	_, err = userInfo(ctx, t, c)
	require.NoError(t, err)

	wikitest.KillSessions(t)
	n := rec.count()
	const workers = 100
	errs := make([]error, workers)
	names := make([]string, workers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			resp, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
			if err != nil {
				errs[i] = err
				return
			}
			var body struct {
				Query struct {
					UserInfo struct {
						Name string `json:"name"`
					} `json:"userinfo"`
				} `json:"query"`
			}
			errs[i] = resp.Decode(&body)
			names[i] = body.Query.UserInfo.Name
		}(i)
	}
	close(start)
	wg.Wait()

	failed := 0
	distinct := map[string]int{}
	for _, err := range errs {
		if err != nil {
			distinct[err.Error()]++
		}
	}
	for msg, k := range distinct {
		t.Logf("%d× %s", k, msg)
	}
	for i, err := range errs {
		if err != nil {
			failed++
			continue
		}
		assert.Equal(t, wikitest.Admin, names[i], "goroutine %d", i)
	}
	logins := rec.loginPosts(n)
	t.Logf("%d goroutines: %d requests, %d login POSTs, %d failed", workers, rec.count()-n, logins, failed)
	assert.Zero(t, failed, "every call succeeds")
	assert.Equal(t, 1, logins, "exactly one re-login for all goroutines")

	// The session is healthy afterwards.
	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, name)
}

func TestIntegrationSessionFailedReloginKeepsAsserting(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)

	// The wiki forgets the session, and the automatic re-login fails (its
	// login token is corrupted, twice: WrongToken after the one retry).
	wikitest.KillSessions(t)
	rec.setRewrite(func(_ int, form url.Values) {
		if form.Get("action") == "login" {
			form.Set("lgtoken", "0123456789abcdef0123456789abcdef6b0277bb+\\")
		}
	})
	n := rec.count()
	_, err = userInfo(ctx, t, c)
	require.Error(t, err, "requests: %s", rec.summary(n))
	assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
	rec.setRewrite(nil)

	// A bot must never carry on as an anonymous user: the next call either
	// logs in again or fails, and it still sends its assert.
	n = rec.count()
	name, err := userInfo(ctx, t, c)
	if err != nil {
		assert.True(t, errors.Is(err, mwauth.ErrNotLoggedIn) || errors.Is(err, mwauth.ErrLoginRequired),
			"an error that says the bot is logged out, got %v", err)
	} else {
		assert.Equal(t, wikitest.Admin, name, "not an anonymous success")
	}
	queries := 0
	for _, e := range rec.since(n) {
		if e.Action == "query" && e.Params.Get("meta") == "userinfo" {
			queries++
			assert.Equal(t, "user", e.Params.Get("assert"),
				"the call after a failed re-login still asserts the user: %s", rec.summary(n))
		}
	}
	if err == nil {
		assert.NotZero(t, queries, "the userinfo call reached the wiki: %s", rec.summary(n))
	}
}

func TestIntegrationSessionLogout(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	file := filepath.Join(t.TempDir(), "session.json")
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithSessionFile(file),
		mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	require.FileExists(t, file)

	n := rec.count()
	require.NoError(t, c.Logout(ctx))
	assert.Equal(t, 2, rec.count()-n, "CSRF token + logout POST: %s", rec.summary(n))
	assert.NoFileExists(t, file, "Logout removes the saved session")

	n = rec.count()
	_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
	require.Error(t, err)
	assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
	assert.Equal(t, 1, rec.count()-n, "no re-login after a logout: %s", rec.summary(n))
	assert.Zero(t, rec.loginPosts(n))

	// Without an explicit assert the Client is simply anonymous.
	resp, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	var body struct {
		Query struct {
			UserInfo struct {
				Anon bool `json:"anon"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, resp.Decode(&body))
	assert.True(t, body.Query.UserInfo.Anon)
}

func TestIntegrationSessionExpiredSavedSession(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	file := filepath.Join(t.TempDir(), "session.json")
	loginWithFile(ctx, t, api, file)

	wikitest.KillSessions(t)

	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithSessionFile(file),
		mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
	ui, err := c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, ui.Name)
	assert.False(t, ui.Anonymous)
	assert.Equal(t, 1, rec.loginPosts(0))
	assert.Equal(t, 3, rec.count(), "userinfo, login token, login: %s", rec.summary(0))

	// The new session went to the file: the next process resumes it.
	rec2 := newRecorder()
	c2 := newClient(t, api, rec2, mwauth.WithSessionFile(file))
	ui, err = c2.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, ui.Name)
	assert.Equal(t, 1, rec2.count())

	t.Run("without credentials", func(t *testing.T) {
		wikitest.KillSessions(t)
		rec := newRecorder()
		c := newClient(t, api, rec, mwauth.WithSessionFile(file))
		ui, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.True(t, ui.Anonymous, "no credentials: Resume reports the anonymous user")
		assert.Equal(t, 1, rec.count())
	})
}

// ---- several processes ----

// resumeHelper builds internal/itest/resume and returns the binary.
func resumeHelper(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "resume")
	cmd := exec.Command("go", "build", "-o", bin, "./internal/itest/resume")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// helperResult is the last line the helper prints.
type helperResult struct {
	Requests, Logins int
	User             string
	Anon             bool
}

// runHelper runs the helper binary and parses its report.
func runHelper(ctx context.Context, bin string, args ...string) (helperResult, error) {
	var res helperResult
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "MWAUTH_ITEST_PASS="+wikitest.AdminBotPass)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	if _, err := fmt.Sscanf(last, "requests=%d logins=%d user=%s anon=%t",
		&res.Requests, &res.Logins, &res.User, &res.Anon); err != nil {
		return res, fmt.Errorf("cannot parse %q: %v", last, err)
	}
	return res, nil
}

func TestIntegrationSessionResumeAcrossProcesses(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	bin := resumeHelper(t)
	file := filepath.Join(t.TempDir(), "session.json")
	args := []string{"-api", api, "-file", file, "-user", wikitest.AdminBot, "-mode", "resume"}

	// First process: no file yet, so Resume logs in and saves.
	first, err := runHelper(ctx, bin, args...)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, first.User)
	assert.False(t, first.Anon)
	assert.Equal(t, 1, first.Logins)
	assert.Equal(t, 3, first.Requests, "userinfo, login token, login")
	require.FileExists(t, file)

	// Second process: resumes the saved session with one request.
	second, err := runHelper(ctx, bin, args...)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, second.User)
	assert.False(t, second.Anon)
	assert.Zero(t, second.Logins)
	assert.Equal(t, 1, second.Requests)
	t.Logf("first process: %+v; second process: %+v", first, second)

	// And this process too.
	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithSessionFile(file))
	ui, err := c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, ui.Name)
	assert.Equal(t, 1, rec.count())
}

func TestIntegrationSessionConcurrentProcessesShareFile(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	bin := resumeHelper(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "session.json")

	// Several processes each log in a few times, every login saving the
	// file, all at once.
	const procs, logins = 4, 5
	results := make([]helperResult, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for i := 0; i < procs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = runHelper(ctx, bin, "-api", api, "-file", file,
				"-user", wikitest.AdminBot, "-mode", "login", "-logins", strconv.Itoa(logins))
		}(i)
	}
	wg.Wait()
	for i := 0; i < procs; i++ {
		require.NoError(t, errs[i], "process %d", i)
		assert.Equal(t, logins, results[i].Logins, "process %d", i)
		assert.Equal(t, wikitest.Admin, results[i].User)
	}

	// The file is whole: valid JSON, loadable, and its session works.
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, json.Valid(b), "the session file is valid JSON")
	fi, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	rec := newRecorder()
	c := newClient(t, api, rec, mwauth.WithSessionFile(file))
	ui, err := c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Admin, ui.Name, "the last saved session is a live one")
	assert.Equal(t, 1, rec.count())

	// No temporary files are left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp"), "leftover %s", e.Name())
	}
}
