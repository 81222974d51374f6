package mwauth

// tokens_test.go: the token cache and shared token requests (tokens.go).

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCached(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)

	csrf, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	assert.False(t, isAnonToken(csrf))
	again, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	assert.Equal(t, csrf, again)
	assert.Equal(t, 1, f.count("tokens:csrf"), "a cached token costs no request")

	watch, err := c.token(ctx, "watch")
	require.NoError(t, err)
	assert.NotEqual(t, csrf, watch)
	assert.Equal(t, 1, f.count("tokens:watch"))
	assert.Equal(t, 2, f.count("tokens"))

	r := f.last(t)
	assert.Equal(t, http.MethodGet, r.Method)
	assert.Equal(t, "query", r.param("action"))
	assert.Equal(t, "tokens", r.param("meta"))
	assert.Equal(t, "watch", r.param("type"))
	assertPinned(t, r)
}

// TestLoginThenCSRF: a CSRF token after a login costs exactly one more
// request, and is the logged-in one.
func TestLoginThenCSRF(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("login", f.loginOK())
	ctx := ctxTimeout(t, 10*time.Second)
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	require.Len(t, f.all(), 2)
	tok, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	assert.False(t, isAnonToken(tok))
	require.Len(t, f.all(), 3)
	r := f.last(t)
	assert.Equal(t, "csrf", r.param("type"))
	assert.NotEmpty(t, r.Cookies[cookieBPSession], "the token request carries the new session")
	_, err = c.token(ctx, "csrf")
	require.NoError(t, err)
	assert.Len(t, f.all(), 3)
}

func TestTokenAnonymous(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	tok, err := c.token(ctxTimeout(t, 10*time.Second), "csrf")
	require.NoError(t, err)
	assert.Equal(t, `+\`, tok)
	assert.True(t, isAnonToken(tok))
	assert.Equal(t, 1, f.count("tokens:csrf"))
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		reply    func(f *fakeWiki) reply
		wantErr  error
		wantCode string
	}{
		{name: "token missing from answer", reply: func(f *fakeWiki) reply { return f.fx("tokens_login.json") },
			wantErr: ErrUnexpectedResponse},
		{name: "empty token", reply: func(*fakeWiki) reply {
			return reply{Body: `{"batchcomplete":true,"query":{"tokens":{"csrftoken":""}}}`}
		}, wantErr: ErrUnexpectedResponse},
		{name: "tokens not an object", reply: func(*fakeWiki) reply {
			return reply{Body: `{"batchcomplete":true,"query":{"tokens":[]}}`}
		}, wantErr: ErrUnexpectedResponse},
		{name: "origin warning and no tokens", reply: func(*fakeWiki) reply {
			return reply{Body: `{"warnings":[{"code":"tokens-origin","text":"Tokens may not be obtained when the same-origin policy is not applied.","module":"tokens"}],"batchcomplete":true,"query":{"tokens":[]}}`}
		}, wantErr: ErrUnexpectedResponse},
		{name: "api error", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") }, wantCode: "readonly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:csrf", tt.reply(f))
			tok, err := c.token(ctxTimeout(t, 10*time.Second), "csrf")
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.wantCode, ae.Code)
			}
			assert.Empty(t, tok)
			assert.Empty(t, cachedTokens(c))
			// Failures are not cached.
			f.set("tokens:csrf", f.fx("tokens_csrf.json"))
			tok, err = c.token(ctxTimeout(t, 10*time.Second), "csrf")
			require.NoError(t, err)
			assert.NotEmpty(t, tok)
			assert.Equal(t, 2, f.count("tokens:csrf"))
		})
	}
}

// TestTokenConcurrent: many goroutines asking for the same uncached token
// share one request.
func TestTokenConcurrent(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	const n = 50
	answer := f.fx("tokens_csrf.json")
	// The answer is held back until every goroutine is waiting for the
	// token: n-1 of them on the shared call, one running it.
	gate := make(chan struct{})
	f.on("tokens:csrf", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		<-gate
		f.write(w, r, answer)
	}})
	ctx := ctxTimeout(t, 10*time.Second)
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	var started atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			started.Add(1)
			toks[i], errs[i] = c.token(ctx, "csrf")
		}(i)
	}
	require.True(t, waitUntil(5*time.Second, func() bool { return started.Load() == n && f.count("tokens:csrf") == 1 }))
	close(gate)
	wg.Wait()
	want := "cafebabecafebabecafebabecafebabe00000002+\\"
	for i := 0; i < n; i++ {
		assert.NoError(t, errs[i])
		assert.Equal(t, want, toks[i])
	}
	assert.Equal(t, 1, f.count("tokens:csrf"), "concurrent callers must share one request")
}

// waitUntil polls cond until it holds or d passes, and reports whether it
// held.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return cond()
}

// inflight reports whether a token call of typ is in flight.
func inflight(c *Client, typ string) bool {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	_, ok := c.sess.inflight[typ]
	return ok
}

// TestTokenWaiterOutlivesFirstCaller: when the goroutine whose request is
// shared gives up, the others ask again instead of failing with its
// context's error.
func TestTokenWaiterOutlivesFirstCaller(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	arrived := make(chan struct{})
	f.on("tokens:csrf", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}}, f.fx("tokens_csrf.json"))

	first, cancel := context.WithCancel(context.Background())
	firstErr := make(chan error, 1)
	go func() {
		_, err := c.token(first, "csrf")
		firstErr <- err
	}()
	<-arrived
	require.True(t, inflight(c, "csrf"))
	secondTok := make(chan string, 1)
	secondErr := make(chan error, 1)
	go func() {
		tok, err := c.token(ctxTimeout(t, 10*time.Second), "csrf")
		secondTok <- tok
		secondErr <- err
	}()
	// The second caller finds the shared call whether it gets there
	// before or after the cancellation: either way it must not fail.
	cancel()
	assert.ErrorIs(t, <-firstErr, context.Canceled)
	require.NoError(t, <-secondErr)
	assert.Equal(t, "cafebabecafebabecafebabecafebabe00000002+\\", <-secondTok)
	assert.Equal(t, 2, f.count("tokens:csrf"))
}

// TestTokensDroppedOnSessionChange: every change of the session forgets
// the cached tokens, since the wiki resets them.
func TestTokensDroppedOnSessionChange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki)
	}{
		{name: "login", change: func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki) {
			_, err := c.Login(ctx, testBotUser, testBotPassword)
			require.NoError(t, err)
		}},
		{name: "failed login", change: func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki) {
			f.set("login", f.fx("login_failed_wrongpassword.json"))
			_, err := c.Login(ctx, testBotUser, testBotPassword)
			require.Error(t, err)
		}},
		{name: "logout", change: func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki) {
			require.NoError(t, c.Logout(ctx))
		}},
		{name: "clientlogin", change: func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki) {
			f.set("clientlogin", f.passOK())
			step, err := c.ClientLogin(ctx, passwordLogin())
			require.NoError(t, err)
			require.Equal(t, StatusPass, step.Status)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			f.on("login", f.loginOK())
			ctx := ctxTimeout(t, 10*time.Second)
			before, err := c.token(ctx, "watch")
			require.NoError(t, err)
			require.Contains(t, cachedTokens(c), "watch")
			tt.change(ctx, t, c, f)
			assert.NotContains(t, cachedTokens(c), "watch")
			n := f.count("tokens:watch")
			after, err := c.token(ctx, "watch")
			require.NoError(t, err)
			assert.Equal(t, n+1, f.count("tokens:watch"), "the token must be fetched again")
			assert.NotEqual(t, before, after)
		})
	}
}

// TestStoreTokenAfterSessionChange: a token fetched for a session that
// changed meanwhile is not cached, and dropToken drops only the token it
// was given.
func TestStoreTokenAfterSessionChange(t *testing.T) {
	t.Parallel()
	c, err := New("https://wiki.example.org/w/api.php")
	require.NoError(t, err)
	epoch := c.state().epoch
	c.storeToken("csrf", "old+\\", epoch)
	assert.Equal(t, map[string]string{"csrf": "old+\\"}, cachedTokens(c))

	c.sess.change(func(s *session) { s.kind = sessionLogin })
	assert.Empty(t, cachedTokens(c), "a session change drops the tokens")
	c.storeToken("csrf", "stale+\\", epoch)
	assert.Empty(t, cachedTokens(c), "a token of an older session must not be cached")

	c.storeToken("csrf", "new+\\", c.state().epoch)
	c.dropToken("csrf", "other+\\")
	assert.Equal(t, map[string]string{"csrf": "new+\\"}, cachedTokens(c), "dropToken only drops the token it was given")
	c.dropToken("csrf", "new+\\")
	assert.Empty(t, cachedTokens(c))
}

// TestStaleTokenCallCausesNoRelogin: a token request still in flight from
// before a login is not shared with callers of the new session: an edit
// made right after Login asks for a token of its own session instead of
// getting the old session's anonymous "+\", taking the session for lost
// and logging in a second time.
func TestStaleTokenCallCausesNoRelogin(t *testing.T) {
	t.Parallel()
	c, f := botClient(t)
	anon := fixture(t, "tokens_csrf_anon.json")
	good := fixture(t, "tokens_csrf.json")
	release := make(chan struct{})
	var n atomic.Int32
	f.set("tokens:csrf", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release
			f.write(w, r, reply{Body: anon})
			return
		}
		f.write(w, r, reply{Body: good})
	}})
	f.on("edit", f.fx("edit_success.json"))
	ctx := ctxTimeout(t, 10*time.Second)

	firstDone := make(chan error, 1)
	go func() {
		_, err := c.token(ctx, "csrf")
		firstDone <- err
	}()
	require.True(t, waitUntil(5*time.Second, func() bool { return f.count("tokens:csrf") == 1 }))

	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)

	// The edit must not wait for the old request: it completes while that
	// request is still held back.
	require.NoError(t, c.PostWithToken(ctx, "", editParams(), nil))
	assert.Equal(t, 2, f.count("tokens:csrf"), "the edit fetched a token of its own session")
	close(release)
	require.NoError(t, <-firstDone)
	assert.Len(t, f.posts("login"), 1, "an old session's token must not trigger a re-login")
	assert.Equal(t, map[string]string{"csrf": "cafebabecafebabecafebabecafebabe00000002+\\"}, cachedTokens(c),
		"the old session's answer is not cached")
}
