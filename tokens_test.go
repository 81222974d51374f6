package mwauth

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenCached(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)

	csrf, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	assert.False(t, isAnonToken(csrf))
	again, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	assert.Equal(t, csrf, again)
	assert.Equal(t, 1, f.count("tokens:csrf"), "a cached token costs no request")

	watch, err := c.Token(ctx, TokenWatch)
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

func TestTokenAnonymous(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	tok, err := c.Token(ctxTimeout(t, 10*time.Second), TokenCSRF)
	require.NoError(t, err)
	assert.Equal(t, `+\`, tok)
	assert.True(t, isAnonToken(tok))
	assert.Equal(t, 1, f.count("tokens:csrf"))
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   func(f *fakeWiki) reply
		wantErr error
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
		{name: "api error", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") }, wantErr: ErrReadOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:csrf", tt.reply(f))
			tok, err := c.Token(ctxTimeout(t, 10*time.Second), TokenCSRF)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Empty(t, tok)
			// Failures are not cached.
			f.set("tokens:csrf", f.fx("tokens_csrf.json"))
			tok, err = c.Token(ctxTimeout(t, 10*time.Second), TokenCSRF)
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
	gate := make(chan struct{})
	answer := f.fx("tokens_csrf.json")
	f.on("tokens:csrf", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		<-gate
		f.write(w, r, answer)
	}})
	const n = 50
	ctx := ctxTimeout(t, 10*time.Second)
	var wg sync.WaitGroup
	toks := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			toks[i], errs[i] = c.Token(ctx, TokenCSRF)
		}(i)
	}
	time.Sleep(50 * time.Millisecond) // let the goroutines pile up
	close(gate)
	wg.Wait()
	want := "cafebabecafebabecafebabecafebabe00000002+\\"
	for i := 0; i < n; i++ {
		assert.NoError(t, errs[i])
		assert.Equal(t, want, toks[i])
	}
	assert.Equal(t, 1, f.count("tokens:csrf"), "concurrent callers must share one request")
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
		_, err := c.Token(first, TokenCSRF)
		firstErr <- err
	}()
	<-arrived
	secondTok := make(chan string, 1)
	secondErr := make(chan error, 1)
	go func() {
		tok, err := c.Token(ctxTimeout(t, 10*time.Second), TokenCSRF)
		secondTok <- tok
		secondErr <- err
	}()
	time.Sleep(20 * time.Millisecond) // let the second caller wait on the first
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
		{name: "clientlogin pass", change: func(ctx context.Context, t *testing.T, c *Client, f *fakeWiki) {
			f.set("clientlogin", f.passOK())
			step, err := c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword}})
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
			before, err := c.Token(ctx, TokenWatch)
			require.NoError(t, err)
			tt.change(ctx, t, c, f)
			n := f.count("tokens:watch")
			after, err := c.Token(ctx, TokenWatch)
			require.NoError(t, err)
			assert.Equal(t, n+1, f.count("tokens:watch"), "the token must be fetched again")
			assert.NotEqual(t, before, after)
		})
	}
}

// TestStoreTokenAfterSessionChange: a token fetched for a session that
// changed meanwhile is not cached.
func TestStoreTokenAfterSessionChange(t *testing.T) {
	t.Parallel()
	c, err := New("https://wiki.example.org/w/api.php")
	require.NoError(t, err)
	epoch := c.state().epoch
	c.storeToken(TokenCSRF, "old+\\", epoch)
	assert.Equal(t, "old+\\", c.tokens[TokenCSRF])

	c.setLoggedIn(sessionLogin, "Admin", 1)
	assert.Empty(t, c.tokens, "setLoggedIn drops tokens")
	c.storeToken(TokenCSRF, "stale+\\", epoch)
	assert.Empty(t, c.tokens, "a token of an older session must not be cached")

	c.storeToken(TokenCSRF, "new+\\", c.state().epoch)
	c.dropToken(TokenCSRF, "other+\\")
	assert.Equal(t, "new+\\", c.tokens[TokenCSRF], "dropToken only drops the token it was given")
	c.dropToken(TokenCSRF, "new+\\")
	assert.Empty(t, c.tokens)
}
