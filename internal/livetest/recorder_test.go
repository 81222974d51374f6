package mwauth_test

// Integration tests against the real MediaWiki 1.39 of internal/localwiki.
// They run when MWAUTH_TEST_WIKI names its api.php (wikitest.API skips them
// otherwise, and fails in CI):
//
//	MWAUTH_TEST_WIKI=http://127.0.0.1:8080/api.php go test -race -count=1 -run Integration .
//
// None of them calls t.Parallel: they share the wiki's accounts, throttles,
// captcha counters, TOTP steps and (through wikitest.KillSessions) its
// session store. Every request goes through a recorder (a counting
// http.RoundTripper given to mwauth.WithHTTPClient), so the tests assert
// how many round trips each operation costs.
//
// This file holds the helpers and the action=login tests;
// integration_clientlogin_test.go covers action=clientlogin and
// meta=authmanagerinfo, integration_session_test.go saved sessions,
// re-login and several processes.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// itUserAgent names the integration tests to the wiki.
const itUserAgent = "mwauth-integration-test/0 (https://github.com/mwauth/mwauth)"

// exchange is one HTTP request seen by a recorder. Params may hold
// passwords and tokens: never log them.
type exchange struct {
	Method string
	Action string
	Params url.Values
}

// recorder is an http.RoundTripper that counts and remembers every request
// and can rewrite the form of a POST before it is sent.
type recorder struct {
	next http.RoundTripper

	mu    sync.Mutex
	seen  []exchange
	posts int // POSTs seen, for rewrite
	// rewrite, if set, may change the form of the n-th POST (0-based)
	// before it goes out.
	rewrite func(n int, form url.Values)
}

func newRecorder() *recorder { return &recorder{next: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var params url.Values
	if req.Method == http.MethodPost && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		params, err = url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		n, rw := r.posts, r.rewrite
		r.posts++
		r.mu.Unlock()
		if rw != nil {
			rw(n, params)
			b = []byte(params.Encode())
		}
		// A RoundTripper must not modify the caller's request.
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(b))
		clone.ContentLength = int64(len(b))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req = clone
	} else {
		params = req.URL.Query()
	}
	r.mu.Lock()
	r.seen = append(r.seen, exchange{Method: req.Method, Action: params.Get("action"), Params: params})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

// of counts the requests seen with this method and action.
func (r *recorder) of(method, action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.seen {
		if e.Method == method && e.Action == action {
			n++
		}
	}
	return n
}

// setRewrite installs (or, with nil, removes) a rewrite of POST forms.
func (r *recorder) setRewrite(f func(n int, form url.Values)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewrite = f
}

// count returns how many requests went out.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// since returns the requests after the first n.
func (r *recorder) since(n int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen[n:]...)
}

// loginPosts counts the action=login POSTs after the first n requests.
func (r *recorder) loginPosts(n int) int {
	k := 0
	for _, e := range r.since(n) {
		if e.Method == http.MethodPost && e.Action == "login" {
			k++
		}
	}
	return k
}

// summary describes the requests after the first n as "GET query, POST
// login, ...", without any parameter value.
func (r *recorder) summary(n int) string {
	var parts []string
	for _, e := range r.since(n) {
		what := e.Action
		if e.Action == "query" {
			what += "(" + e.Params.Get("meta") + ")"
		}
		parts = append(parts, e.Method+" "+what)
	}
	return strings.Join(parts, ", ")
}

// newClient returns a Client for the test wiki whose requests all go
// through rec.
func newClient(t *testing.T, api string, rec *recorder, opts ...mwauth.Option) *mwauth.Client {
	t.Helper()
	all := append([]mwauth.Option{
		mwauth.WithHTTPClient(&http.Client{Transport: rec, Timeout: time.Minute}),
		mwauth.WithUserAgent(itUserAgent),
	}, opts...)
	c, err := mwauth.New(api, all...)
	require.NoError(t, err)
	return c
}

// testContext is a context that ends with the test.
func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// resetCountersAfter makes the wiki forget throttles and captcha counters
// when the test ends, so that a test with failed logins does not put a
// captcha or a throttle on the next one.
func resetCountersAfter(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { wikitest.ResetCounters(t) })
}

// userInfo asks the wiki who the Client's session belongs to (with the
// Client's assert) and returns the name.
func userInfo(ctx context.Context, t *testing.T, c *mwauth.Client) (string, error) {
	t.Helper()
	resp, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	if err != nil {
		return "", err
	}
	var body struct {
		Query struct {
			UserInfo struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, resp.Decode(&body))
	return body.Query.UserInfo.Name, nil
}

// ---- action=login ----

func TestIntegrationLoginBotPasswordSuccess(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	res, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	assert.Equal(t, "Admin", res.Username, "lgusername is the main account")
	assert.Positive(t, res.UserID)
	assert.Empty(t, res.Warnings, "a bot-password login has no deprecation warning")
	assert.Equal(t, 2, rec.count(), "login token + login POST: %s", rec.summary(0))
	ex := rec.since(0)
	require.Len(t, ex, 2)
	assert.Equal(t, http.MethodGet, ex[0].Method)
	assert.Equal(t, "login", ex[0].Params.Get("type"))
	assert.Equal(t, http.MethodPost, ex[1].Method)
	assert.Equal(t, "login", ex[1].Action)

	tok, err := c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	assert.NotEqual(t, `+\`, tok, "a logged-in session gets a real CSRF token")
	assert.True(t, strings.HasSuffix(tok, `+\`))
	assert.Equal(t, 3, rec.count(), "Token(csrf) costs exactly one request")

	// Cached: no more requests.
	tok2, err := c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	assert.Equal(t, tok, tok2)
	assert.Equal(t, 3, rec.count(), "the CSRF token is cached")
}

func TestIntegrationLoginWrongBotPassword(t *testing.T) {
	api := wikitest.API(t)
	resetCountersAfter(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	// A well-formed bot password (^[0-9a-w]{32,}$) that is wrong.
	_, err := c.Login(ctx, wikitest.AdminBot, "wrongbotpassword0123456789abcdef")
	require.Error(t, err)
	assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
	assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, err, mwauth.ErrThrottled)
	var le *mwauth.LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "login", le.Action)
	assert.Equal(t, "Failed", le.Result)
	assert.Equal(t, "wrongpassword", le.Code)
	assert.NotContains(t, err.Error(), "wrongbotpassword", "the password never appears in an error")
	assert.Equal(t, 2, rec.count(), "a failed login is not retried: %s", rec.summary(0))
}

func TestIntegrationLoginMalformedBotPassword(t *testing.T) {
	api := wikitest.API(t)
	resetCountersAfter(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	// Uppercase letters: not a bot password to MediaWiki, which silently
	// tries a main-account login for "Admin@localbot" instead.
	pass := strings.ToUpper(wikitest.AdminBotPass[:1]) + wikitest.AdminBotPass[1:]
	_, err := c.Login(ctx, wikitest.AdminBot, pass)
	require.Error(t, err)
	assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
	var le *mwauth.LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "Failed", le.Result)
	t.Logf("malformed bot password: result %s, code %s", le.Result, le.Code)
	assert.Equal(t, 2, rec.count())
}

func TestIntegrationLoginMainAccountDeprecated(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	res, err := c.Login(ctx, wikitest.Alice, wikitest.AlicePass)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Alice, res.Username)
	assert.Positive(t, res.UserID)
	var dep *mwauth.Warning
	for i := range res.Warnings {
		if res.Warnings[i].Code == "deprecation" && res.Warnings[i].Module == "login" {
			dep = &res.Warnings[i]
		}
	}
	require.NotNil(t, dep, "main-account action=login carries a deprecation warning, got %+v", res.Warnings)
	assert.NotEmpty(t, dep.Text)
	assert.Equal(t, 2, rec.count())

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Alice, name)
}

func TestIntegrationLoginMainAccountTwoFactor(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	_, err := c.Login(ctx, wikitest.TwoFAUser, wikitest.TwoFAPass)
	require.Error(t, err)
	assert.ErrorIs(t, err, mwauth.ErrInteractionRequired)
	assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
	var le *mwauth.LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "Aborted", le.Result)
	assert.Equal(t, 2, rec.count())

	// The bot password of the same account skips two-factor.
	res, err := c.Login(ctx, wikitest.TwoFABot, wikitest.TwoFABotPass)
	require.NoError(t, err)
	assert.Equal(t, wikitest.TwoFAUser, res.Username)
}

func TestIntegrationLoginRetriesWrongToken(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	// Corrupt the login token of the first login POST: flip its first hex
	// digit, so that the HMAC no longer matches.
	var corrupted, original string
	rec.rewrite = func(n int, form url.Values) {
		if n != 0 || form.Get("action") != "login" {
			return
		}
		original = form.Get("lgtoken")
		b := []byte(original)
		if b[0] == 'a' {
			b[0] = 'b'
		} else {
			b[0] = 'a'
		}
		corrupted = string(b)
		form.Set("lgtoken", corrupted)
	}
	c := newClient(t, api, rec)

	res, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err, "requests: %s", rec.summary(0))
	assert.Equal(t, "Admin", res.Username)
	require.NotEmpty(t, corrupted, "the first login POST was rewritten")
	assert.NotEqual(t, original, corrupted)

	ex := rec.since(0)
	var kinds []string
	for _, e := range ex {
		kinds = append(kinds, e.Method+" "+e.Action)
	}
	// token, login (WrongToken), token again, login (Success).
	assert.Equal(t, []string{"GET query", "POST login", "GET query", "POST login"}, kinds)
	require.Len(t, ex, 4)
	assert.Equal(t, corrupted, ex[1].Params.Get("lgtoken"))
	assert.NotEqual(t, corrupted, ex[3].Params.Get("lgtoken"), "the retry uses a fresh token")
}

func TestIntegrationLoginWrongTokenTwiceFails(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	// Corrupt every login token: the one retry fails as well.
	rec.rewrite = func(_ int, form url.Values) {
		if form.Get("action") == "login" {
			form.Set("lgtoken", "0123456789abcdef0123456789abcdef6b0277bb+\\")
		}
	}
	c := newClient(t, api, rec)

	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.Error(t, err)
	assert.ErrorIs(t, err, mwauth.ErrBadToken)
	assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
	var le *mwauth.LoginError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "WrongToken", le.Result)
	assert.Equal(t, 4, rec.count(), "exactly one retry: %s", rec.summary(0))
}

func TestIntegrationLoginAssertUserAndBot(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)

	t.Run("anonymous assert=user", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec)
		_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		require.Error(t, err)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertuserfailed", ae.Code)
		assert.Equal(t, 1, rec.count())
	})

	t.Run("Admin@localbot assert=user", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec) // assert=user is the default
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		name, err := userInfo(ctx, t, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, name)
		ex := rec.since(n)
		require.Len(t, ex, 1)
		assert.Equal(t, "user", ex[0].Params.Get("assert"), "the Client sends assert=user once logged in")
	})

	t.Run("Admin@localbot assert=bot", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec, mwauth.WithAssert("bot"))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		_, err = userInfo(ctx, t, c)
		require.Error(t, err, "Admin is a sysop without the bot right")
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertbotfailed", ae.Code)
		t.Logf("assertbotfailed cost %d requests: %s", rec.count()-n, rec.summary(n))
		assert.LessOrEqual(t, rec.loginPosts(n), 1, "at most one re-login attempt")

		// The session itself is fine: an explicit assert=user passes.
		_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		assert.NoError(t, err)
	})

	t.Run("BotUser@localbot assert=bot", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec, mwauth.WithAssert("bot"))
		res, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, res.Username)
		n := rec.count()
		name, err := userInfo(ctx, t, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, name)
		ex := rec.since(n)
		require.Len(t, ex, 1)
		assert.Equal(t, "bot", ex[0].Params.Get("assert"))
	})
}

func TestIntegrationLoginTwiceOnOneClient(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	tok1, err := c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)

	// MediaWiki answers Aborted (badsessionprovider) to a login sent over a
	// bot-password session; the Client must start a fresh session first.
	n := rec.count()
	res, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
	require.NoError(t, err, "the second login must not be Aborted")
	assert.Equal(t, wikitest.BotUser, res.Username)
	assert.Equal(t, 2, rec.count()-n, "the second login costs two requests too: %s", rec.summary(n))

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.BotUser, name, "the session now belongs to the second account")
	tok2, err := c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	assert.NotEqual(t, tok1, tok2, "tokens of the first session are not reused")

	// And the same account again.
	_, err = c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
	require.NoError(t, err)
}
