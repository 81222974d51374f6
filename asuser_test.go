package mwauth

// asuser_test.go checks the rule of the Client doc: a Client meant to act
// as a user never silently acts as anonymous. It runs against mwauthtest,
// which keeps sessions, throttles and edits like MediaWiki.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/mwauthtest"
)

const (
	adminBot     = "Admin@localbot"
	adminBotPass = "adminbotpassword0123456789abcdef"
	botUserBot   = "BotUser@localbot"
	botUserPass  = "botuserbotpassword0123456789abcd"
)

// fakeClock is a settable clock for mwauthtest.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)} }

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// wiki starts an mwauthtest server for one test.
func wiki(t *testing.T, opts ...mwauthtest.Option) *mwauthtest.Server {
	t.Helper()
	srv := mwauthtest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// newAt returns a Client for srv with the tests' user agent.
func newAt(t *testing.T, srv *mwauthtest.Server, opts ...Option) *Client {
	t.Helper()
	c, err := New(srv.URL, append([]Option{WithUserAgent(testUA)}, opts...)...)
	require.NoError(t, err)
	return c
}

// sessionPath is a session file path in a private temporary directory.
func sessionPath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o700))
	return filepath.Join(dir, "session.json")
}

// since returns the requests srv received after the first n.
func since(srv *mwauthtest.Server, n int) []mwauthtest.Request { return srv.Requests()[n:] }

func countAction(reqs []mwauthtest.Request, action string) int {
	n := 0
	for _, r := range reqs {
		if r.Action == action {
			n++
		}
	}
	return n
}

// edit makes one edit through PostWithToken.
func edit(ctx context.Context, c *Client, text string) error {
	return c.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, "title": {"Sandbox"},
		"text": {text}, "summary": {"mwauth test"}}, nil)
}

// assertUserCalls checks that every api.php call in reqs that is not a
// login step carried an assert.
func assertUserCalls(t *testing.T, reqs []mwauthtest.Request) {
	t.Helper()
	for _, r := range reqs {
		if r.Action == "login" || r.Action == "clientlogin" || r.Action == "logout" {
			continue
		}
		if r.Action == "query" && (r.Params.Get("meta") == "tokens" || r.Params.Get("meta") == "userinfo|tokens") {
			continue // token and Resume requests are not the caller's calls
		}
		assert.NotEmpty(t, r.Params.Get("assert"), "%s %s without assert", r.Method, r.Action)
	}
}

func TestLogoutKeepsBotPasswordAndResumeLogsInAgain(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	path := sessionPath(t)
	c := newAt(t, srv, WithSessionFile(path), WithBotPassword(adminBot, adminBotPass))

	u, err := c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Admin", u.Name)
	require.FileExists(t, path)

	require.NoError(t, c.Logout(ctx))
	assert.NoFileExists(t, path)

	n := len(srv.Requests())
	err = edit(ctx, c, "after logout")
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Empty(t, since(srv, n), "a call after Logout must fail before any request")
	assert.NoFileExists(t, path, "nothing may write the session file after Logout")

	u, err = c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Admin", u.Name)
	assert.Equal(t, 1, countAction(since(srv, n), "login"), "Resume after Logout logs in with WithBotPassword")
	require.NoError(t, edit(ctx, c, "after resume"))
	assertUserCalls(t, since(srv, n))
	assert.FileExists(t, path)
}

func TestResumeExpiredSessionWithoutCredentialsFails(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	path := sessionPath(t)
	first := newAt(t, srv, WithSessionFile(path))
	_, err := first.Login(ctx, adminBot, adminBotPass)
	require.NoError(t, err)
	srv.ExpireSessions()

	c := newAt(t, srv, WithSessionFile(path))
	_, err = c.Resume(ctx)
	require.ErrorIs(t, err, ErrNotLoggedIn)

	n := len(srv.Requests())
	err = edit(ctx, c, "anonymous?")
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assertUserCalls(t, since(srv, n))
	assert.Zero(t, countAction(since(srv, n), "login"))
}

func TestResumeRefusesAnotherUsersSession(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	path := sessionPath(t)
	other := newAt(t, srv, WithSessionFile(path))
	u, err := other.Login(ctx, botUserBot, botUserPass)
	require.NoError(t, err)
	require.Equal(t, "BotUser", u.Name)

	c := newAt(t, srv, WithSessionFile(path), WithBotPassword(adminBot, adminBotPass))
	u, err = c.Resume(ctx)
	require.NoError(t, err)
	assert.Equal(t, "Admin", u.Name, "Resume must log in as the configured user, not reuse BotUser's session")

	var q struct {
		Query struct {
			UserInfo struct{ Name string } `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &q))
	assert.Equal(t, "Admin", q.Query.UserInfo.Name)
}

func TestLoginPasswordIsNotKept(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv)
	_, err := c.Login(ctx, adminBot, adminBotPass)
	require.NoError(t, err)
	_, err = c.Login(ctx, botUserBot, "wrongpassword0123456789abcdefghij")
	require.ErrorIs(t, err, ErrWrongCredentials)

	n := len(srv.Requests())
	_, err = c.Resume(ctx)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Zero(t, countAction(since(srv, n), "login"), "Resume must not log in with an earlier Login's password")

	err = edit(ctx, c, "anonymous?")
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Zero(t, countAction(since(srv, n), "edit"), "no edit may be sent without a session")
}

func TestReloginAfterThrottleTriesAgain(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	clock := newFakeClock()
	srv := wiki(t, mwauthtest.WithClock(clock.now), mwauthtest.WithThrottle(2, time.Minute))
	c := newAt(t, srv, WithBotPassword(adminBot, adminBotPass))
	_, err := c.Resume(ctx)
	require.NoError(t, err)

	// Someone else (same IP) fails twice with Admin's bot password: the
	// next login attempt for it is throttled.
	other := newAt(t, srv)
	for i := 0; i < 2; i++ {
		_, err := other.Login(ctx, adminBot, "wrongpassword0123456789abcdefghij")
		require.ErrorIs(t, err, ErrWrongCredentials)
	}
	srv.ExpireSessions()

	err = edit(ctx, c, "throttled")
	require.ErrorIs(t, err, ErrNotLoggedIn)
	require.ErrorIs(t, err, ErrThrottled)
	var le *LoginError
	require.ErrorAs(t, err, &le)
	assert.Positive(t, le.Wait, "the throttle's wait comes from the wiki's data")

	clock.advance(2 * time.Minute)
	n := len(srv.Requests())
	require.NoError(t, edit(ctx, c, "after the throttle"), "a throttle must not stop re-login for good")
	assert.Equal(t, 1, countAction(since(srv, n), "login"))
}

func TestReloginStopsAfterDefinitiveRefusal(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv, WithBotPassword(adminBot, "wrongpassword0123456789abcdefghij"))
	err := edit(ctx, c, "x")
	require.ErrorIs(t, err, ErrNotLoggedIn)
	require.ErrorIs(t, err, ErrWrongCredentials)

	n := len(srv.Requests())
	err = edit(ctx, c, "y")
	require.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Zero(t, countAction(since(srv, n), "login"), "refused credentials are not tried again by themselves")
	assert.Zero(t, countAction(since(srv, n), "edit"))

	// An explicit Resume is a new decision of the caller: it tries.
	_, err = c.Resume(ctx)
	assert.ErrorIs(t, err, ErrWrongCredentials)
	assert.Equal(t, 1, countAction(since(srv, n), "login"))
}

func TestFirstCallLogsInWithBotPassword(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv, WithBotPassword(adminBot, adminBotPass))
	require.NoError(t, edit(ctx, c, "first call"))
	reqs := srv.Requests()
	assert.Equal(t, 1, countAction(reqs, "login"))
	assertUserCalls(t, reqs)
}

func TestAnonymousClientStaysAnonymous(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv)
	var q struct {
		Query struct {
			UserInfo struct {
				Anon bool `json:"anon"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &q))
	assert.True(t, q.Query.UserInfo.Anon)
	for _, r := range srv.Requests() {
		assert.Empty(t, r.Params.Get("assert"), "an anonymous Client sends no assert")
	}
	_, err := c.Resume(ctx)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
}

func TestLostSessionWithoutCredentialsFailsInsteadOfAnonymous(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv)
	_, err := c.Login(ctx, adminBot, adminBotPass)
	require.NoError(t, err)
	srv.ExpireSessions()
	n := len(srv.Requests())
	err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assertUserCalls(t, since(srv, n))
}

func TestLogoutCancelledNeverLogsInAgainByItself(t *testing.T) {
	f := newFake(t)
	c, err := New(f.endpoint(), WithUserAgent(testUA), WithBotPassword(testBotUser, testBotPassword))
	require.NoError(t, err)
	f.on("login", f.loginOK())
	_, err = c.Resume(ctxTimeout(t, 10*time.Second))
	require.NoError(t, err)

	// The wiki ends the session, but the answer never arrives: the
	// caller gives up.
	ctx, cancel := context.WithCancel(context.Background())
	f.on("logout", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		cancel()
		<-r.Context().Done()
	}})
	require.ErrorIs(t, c.Logout(ctx), context.Canceled)

	f.reset()
	err = edit(ctxTimeout(t, 10*time.Second), c, "after a cancelled logout")
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Empty(t, f.all(), "no request, and above all no login, after a Logout")
}

func TestSessionFileWriteFailureIsReturned(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	_, err := New(srv.URL, WithSessionFile(filepath.Join(t.TempDir(), "missing", "s.json")))
	assert.ErrorIs(t, err, ErrSessionFile, "a session file in a directory that does not exist")

	path := sessionPath(t)
	c := newAt(t, srv, WithSessionFile(path))
	require.NoError(t, os.RemoveAll(filepath.Dir(path)))
	u, err := c.Login(ctx, adminBot, adminBotPass)
	assert.ErrorIs(t, err, ErrSessionFile)
	assert.Equal(t, "Admin", u.Name, "the login itself succeeded")
}

func TestOneSessionFileWritePerLogin(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	path := sessionPath(t)
	c := newAt(t, srv, WithSessionFile(path), WithBotPassword(adminBot, adminBotPass))
	var mu sync.Mutex
	writes := 0
	write := c.persist.write
	c.persist.write = func(ctx context.Context, path string, data []byte) error {
		mu.Lock()
		writes++
		mu.Unlock()
		return write(ctx, path, data)
	}
	_, err := c.Login(ctx, adminBot, adminBotPass)
	require.NoError(t, err)
	assert.Equal(t, 1, writes, "Login")

	writes = 0
	_, err = c.Resume(ctx)
	require.NoError(t, err)
	assert.Zero(t, writes, "Resume of a live session writes nothing")

	writes = 0
	srv.ExpireSessions()
	require.NoError(t, edit(ctx, c, "re-login"))
	assert.Equal(t, 1, writes, "re-login")

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"username":"Admin"`)
}

func TestConflictingOptionsFailInNew(t *testing.T) {
	srv := wiki(t)
	tokenFunc := WithOAuth2TokenFunc(func(context.Context) (string, error) { return "t", nil })
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"two OAuth kinds", []Option{WithOAuth2Token("a"), WithOAuth1("a", "b", "c", "d")}},
		{"token and token func", []Option{WithOAuth2Token("a"), tokenFunc}},
		{"OAuth and bot password", []Option{WithOAuth2Token("a"), WithBotPassword(adminBot, adminBotPass)}},
		{"OAuth and session file", []Option{tokenFunc, WithSessionFile(sessionPath(t))}},
		{"control character in a user name", []Option{WithBotPassword("Admin\r\n@x", adminBotPass)}},
		{"control character in a token", []Option{WithOAuth2Token("a\nb")}},
		{"control character in the user agent", []Option{WithUserAgent("bot\r\nX-Evil: 1")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(srv.URL, tc.opts...)
			assert.ErrorIs(t, err, ErrInvalidArgument)
		})
	}
}

func TestOAuth2TokenFuncAssertsAndRefusesLogin(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	f := newFake(t)
	f.on("query", reply{Body: `{"batchcomplete":true,"query":{}}`})
	calls := 0
	c, err := New(f.endpoint(), WithUserAgent(testUA), WithOAuth2TokenFunc(func(context.Context) (string, error) {
		calls++
		return "refreshed-token-" + randomHex(4), nil
	}))
	require.NoError(t, err)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "list": {"recentchanges"}}, nil))
	r := f.last(t)
	assert.Equal(t, "user", r.param("assert"), "an OAuth call must assert its user")
	assert.Regexp(t, `^Bearer refreshed-token-`, r.Header.Get("Authorization"))
	assert.Equal(t, 1, calls)

	_, err = c.Login(ctx, adminBot, adminBotPass)
	assert.ErrorIs(t, err, ErrOAuth)
	_, err = c.ClientLogin(ctx, ClientLoginRequest{})
	assert.ErrorIs(t, err, ErrOAuth)
	assert.ErrorIs(t, c.Logout(ctx), ErrOAuth)
}

func TestExplicitAssertIsSentFromTheFirstCall(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	f := newFake(t)
	f.on("query", reply{Body: `{"batchcomplete":true,"query":{}}`})
	c, err := New(f.endpoint(), WithUserAgent(testUA), WithHTTPClient(&http.Client{}), WithAssert(AssertBot))
	require.NoError(t, err)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "list": {"recentchanges"}}, nil))
	assert.Equal(t, "bot", f.last(t).param("assert"))
}

func TestErrorsOfNewNeverQuoteTheEndpoint(t *testing.T) {
	for _, ep := range []string{
		"https://bot:Hunter2Secret%zz@wiki.example.org/w/api.php",
		"https://bot:Hunter2 Secret@wiki.example.org/w/api.php",
		"https://bot:Hunter2#Secret@wiki.example.org/w/api.php",
		"https://bot:Hunter2/Secret@wiki.example.org/w/api.php",
		"https://bot:Hunter2Secret@wiki.example.org:99999/w/api.php",
		"https://bot:Hunter2Secret@wiki.example.org/w/api.php\n",
		"https://bot:Hunter2Secret@wiki.example.org/w/api.php",
		"http://bot:Hunter2Secret@wiki.example.org/w/api.php",
	} {
		_, err := New(ep)
		require.Error(t, err, ep)
		assert.NotContains(t, err.Error(), "Hunter2", "error for %q", ep)
		assert.NotContains(t, err.Error(), "Secret", "error for %q", ep)
		assert.True(t, errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrInsecureHTTP), "typed: %v", err)
	}
	_, err := New("http://wiki.example.org/w/api.php")
	assert.ErrorIs(t, err, ErrInsecureHTTP)
}

func TestAnotherUsersSessionIsNotUsedEvenWithoutResume(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	path := sessionPath(t)
	other := newAt(t, srv, WithSessionFile(path))
	_, err := other.Login(ctx, botUserBot, botUserPass)
	require.NoError(t, err)

	c := newAt(t, srv, WithSessionFile(path), WithBotPassword(adminBot, adminBotPass))
	var q struct {
		Query struct {
			UserInfo struct{ Name string } `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &q))
	assert.Equal(t, "Admin", q.Query.UserInfo.Name)
}

// OAuth: against mwauthtest's imitation of
// Extension:OAuth, a request that the extension would run anonymously
// without an error fails instead, thanks to the assert.

// lowercaseScheme rewrites "Bearer" to "bearer", as a careless proxy
// might: Extension:OAuth then ignores the header and runs the request
// anonymously, with no error.
type lowercaseScheme struct{}

func (lowercaseScheme) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if v := r.Header.Get("Authorization"); strings.HasPrefix(v, "Bearer ") {
		r.Header.Set("Authorization", "bearer "+strings.TrimPrefix(v, "Bearer "))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOAuth2(t *testing.T) {
	const token = "oauth2-token-of-botuser-0123456789"
	srv := wiki(t, mwauthtest.WithOAuth2Token(token, "BotUser"))
	userinfo := url.Values{"action": {"query"}, "meta": {"userinfo"}}
	var q struct {
		Query struct {
			UserInfo struct{ Name string } `json:"userinfo"`
		} `json:"query"`
	}

	t.Run("acts as the token's user", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token(token))
		require.NoError(t, c.Get(ctx, userinfo, &q))
		assert.Equal(t, "BotUser", q.Query.UserInfo.Name)
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, "BotUser", u.Name)
		require.NoError(t, edit(ctx, c, "oauth edit"))
	})
	t.Run("an unknown token is an ErrOAuth", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token("not-a-token"))
		err := c.Get(ctx, userinfo, nil)
		assert.ErrorIs(t, err, ErrOAuth)
	})
	t.Run("a request the extension runs anonymously fails", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token(token), WithHTTPClient(&http.Client{Transport: lowercaseScheme{}}))
		err := c.Get(ctx, userinfo, &q)
		assert.ErrorIs(t, err, ErrNotLoggedIn, "assert=user catches the silently anonymous request")
		err = edit(ctx, c, "anonymous?")
		assert.ErrorIs(t, err, ErrNotLoggedIn)
		_, err = c.Resume(ctx)
		assert.ErrorIs(t, err, ErrOAuth)
	})
	t.Run("a refreshing token func", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		calls := 0
		c := newAt(t, srv, WithOAuth2TokenFunc(func(context.Context) (string, error) {
			calls++
			return token, nil
		}))
		require.NoError(t, edit(ctx, c, "with a token func"))
		assert.Equal(t, 2, calls, "one token per request: the CSRF token, the edit")
	})
}
