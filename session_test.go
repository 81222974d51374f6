package mwauth

// session_test.go: the session state and Resume (session.go): a saved or
// current session is checked in one request, and a Client meant to act
// as a user never ends up anonymous.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func userinfoOf(name string, id int) reply {
	return reply{Body: `{"batchcomplete":true,"query":{"userinfo":{"id":` + strconv.Itoa(id) + `,"name":"` + name +
		`"},"tokens":{"csrftoken":"cafebabecafebabecafebabecafebabe00000009+\\"}}}`}
}

func TestResume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// client returns the Client to resume; its fake's log is reset.
		client   func(t *testing.T) (*Client, *fakeWiki)
		script   func(f *fakeWiki)
		wantUser User
		wantErr  []error
		// wantKeys are the script keys of the requests Resume sends.
		wantKeys []string
		wantKind sessionKind
		wantCSRF string // the CSRF token that came with the answer and is cached
	}{
		{name: "live session: one request, with the CSRF token",
			client:   func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			script:   func(f *fakeWiki) { f.on("userinfo", f.fx("userinfo_user.json")) },
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"userinfo"}, wantKind: sessionLogin,
			wantCSRF: "cafebabecafebabecafebabecafebabe00000007+\\"},
		{name: "no session and no credentials",
			client:  func(t *testing.T) (*Client, *fakeWiki) { return setup(t) },
			script:  func(*fakeWiki) {},
			wantErr: []error{ErrNotLoggedIn}, wantKind: sessionNone},
		{name: "no session, WithBotPassword logs in",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				return setup(t, WithBotPassword(testBotUser, testBotPassword))
			},
			script:   func(f *fakeWiki) { f.on("login", f.loginOK()) },
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"tokens:login", "login"}, wantKind: sessionLogin},
		{name: "expired session without credentials is an error, not an anonymous user",
			client:  func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			script:  func(f *fakeWiki) { f.on("userinfo", f.fx("userinfo_anon.json")) },
			wantErr: []error{ErrNotLoggedIn}, wantKeys: []string{"userinfo"}, wantKind: sessionLogin},
		{name: "expired session, WithBotPassword logs in",
			client:   botTestClient,
			script:   func(f *fakeWiki) { f.on("userinfo", f.fx("userinfo_anon.json")) },
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"userinfo", "tokens:login", "login"}, wantKind: sessionLogin},
		{name: "another user's session, WithBotPassword logs in as its user",
			client:   botTestClient,
			script:   func(f *fakeWiki) { f.on("userinfo", userinfoOf("BotUser", 3)) },
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"userinfo", "tokens:login", "login"}, wantKind: sessionLogin},
		{name: "the configured user under another spelling",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				return loggedIn(t, WithBotPassword("admin@localbot", testBotPassword))
			},
			script:   func(f *fakeWiki) { f.on("userinfo", userinfoOf("Admin", 1)) },
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"userinfo"}, wantKind: sessionLogin,
			wantCSRF: "cafebabecafebabecafebabecafebabe00000009+\\"},
		{name: "login of Resume fails",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				return setup(t, WithBotPassword(testBotUser, testBotPassword))
			},
			script:  func(f *fakeWiki) { f.on("login", f.fx("login_failed_wrongpassword.json")) },
			wantErr: []error{ErrWrongCredentials, ErrLoginFailed}, wantKeys: []string{"tokens:login", "login"}, wantKind: sessionNone},
		{name: "no userinfo in the answer",
			client:  func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			script:  func(f *fakeWiki) { f.on("userinfo", f.fx("tokens_csrf.json")) },
			wantErr: []error{ErrUnexpectedResponse}, wantKeys: []string{"userinfo"}, wantKind: sessionLogin},
		{name: "after Logout, WithBotPassword logs in again",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				c, f := botClient(t)
				require.NoError(t, c.Logout(ctxTimeout(t, 10*time.Second)))
				f.reset()
				f.on("login", f.loginOK())
				return c, f
			},
			script:   func(*fakeWiki) {},
			wantUser: User{ID: 1, Name: "Admin"}, wantKeys: []string{"tokens:login", "login"}, wantKind: sessionLogin},
		{name: "after Logout, no credentials",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				c, f := loggedIn(t)
				require.NoError(t, c.Logout(ctxTimeout(t, 10*time.Second)))
				f.reset()
				return c, f
			},
			script:  func(*fakeWiki) {},
			wantErr: []error{ErrNotLoggedIn}, wantKind: sessionNone},
		{name: "Login's password is not used: a failed second Login leaves nothing to resume",
			client: func(t *testing.T) (*Client, *fakeWiki) {
				c, f := loggedIn(t)
				f.on("login", f.fx("login_failed_wrongpassword.json"))
				_, err := c.Login(ctxTimeout(t, 10*time.Second), "Alice@localbot", testBotPassword)
				require.ErrorIs(t, err, ErrWrongCredentials)
				f.reset()
				return c, f
			},
			script:  func(*fakeWiki) {},
			wantErr: []error{ErrNotLoggedIn}, wantKind: sessionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := tt.client(t)
			tt.script(f)
			ctx := ctxTimeout(t, 10*time.Second)
			u, err := c.Resume(ctx)
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
				assert.Equal(t, User{}, u, "never an anonymous user")
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantUser, u)
			}
			var keys []string
			for _, r := range f.all() {
				keys = append(keys, r.Key)
				if r.Key == "userinfo" {
					assert.Equal(t, "userinfo|tokens", r.param("meta"))
					assert.Equal(t, "csrf", r.param("type"))
				}
				if r.Key == "login" {
					assert.Equal(t, testBotUser, r.Form.Get("lgname"), "only WithBotPassword logs in by itself")
				}
			}
			assert.Equal(t, tt.wantKeys, keys)
			st := c.state()
			assert.Equal(t, tt.wantKind, st.kind)
			if tt.wantCSRF != "" {
				assert.Equal(t, map[string]string{"csrf": tt.wantCSRF}, cachedTokens(c))
			}
			if len(tt.wantErr) == 0 {
				assert.Equal(t, tt.wantUser, st.u)
				assert.False(t, st.loggedOut)
				f.on("query", f.fx("edit_success.json"))
				require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
				assert.Equal(t, "user", f.last(t).param("assert"), "a resumed Client asserts its user")
			}
		})
	}
}

// TestResumeRacingLogin: Resume whose userinfo answer (anonymous) belongs
// to a session that a concurrent Login replaced must not log in again,
// nor forget the new session.
func TestResumeRacingLogin(t *testing.T) {
	t.Parallel()
	c, f := botClient(t)
	anon := fixture(t, "userinfo_anon.json")
	arrived := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	f.on("userinfo", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		f.write(w, r, reply{Body: anon})
	}})
	ctx := ctxTimeout(t, 10*time.Second)

	type result struct {
		u   User
		err error
	}
	done := make(chan result, 1)
	go func() {
		u, err := c.Resume(ctx)
		done <- result{u, err}
	}()
	<-arrived
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	close(release)
	res := <-done
	require.NoError(t, res.err)
	assert.Equal(t, User{ID: 1, Name: "Admin"}, res.u)
	assert.Len(t, f.posts("login"), 1, "Resume must not log in over a login that happened meanwhile")
	assert.Equal(t, sessionLogin, c.state().kind)
}

// savedSession logs a Client with a session file in through the fake
// and returns the file's path.
func savedSession(t *testing.T, f *fakeWiki) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "session.json")
	c, err := New(f.endpoint(), WithUserAgent(testUA), WithSessionFile(path))
	require.NoError(t, err)
	f.on("login", f.loginOK())
	_, err = c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)
	require.NoError(t, err)
	require.FileExists(t, path)
	f.reset()
	return path
}

// TestLoadedSessionAssertsFromTheFirstCall: a Client that loaded a user's
// session acts as that user from its first call, without Resume.
func TestLoadedSessionAssertsFromTheFirstCall(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path := savedSession(t, f)
	c, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	st := c.state()
	assert.Equal(t, sessionLogin, st.kind)
	assert.Equal(t, "Admin", st.u.Name)
	assert.True(t, st.asUser)

	f.on("query", f.fx("edit_success.json"), f.fx("error_assertuserfailed.json"))
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	r := f.last(t)
	assert.Equal(t, "user", r.param("assert"))
	assert.NotEmpty(t, r.Cookies[cookieBPSession], "the saved cookies are sent")

	// Expired, and no credentials: an error, never an anonymous answer.
	err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Empty(t, f.posts("login"))
}

// TestResumeWithFile: Resume of a saved session, and what a Client with
// WithBotPassword does with another user's saved session, after Logout
// and so on, as the file sees it.
func TestResumeWithFile(t *testing.T) {
	t.Parallel()

	t.Run("another user's saved session is replaced by the configured user's", func(t *testing.T) {
		t.Parallel()
		ctx := ctxTimeout(t, 10*time.Second)
		f := newFake(t)
		path := savedSession(t, f)
		c, err := New(f.endpoint(), WithSessionFile(path), WithBotPassword("BotUser@localbot", testBotPassword))
		require.NoError(t, err)
		assert.False(t, c.state().byCreds, "the file holds Admin's session, not BotUser's")
		f.on("userinfo", f.fx("userinfo_user.json")) // Admin
		f.on("login", reply{Body: `{"login":{"result":"Success","lguserid":3,"lgusername":"BotUser"}}`}.setting(cookieBPSession))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, User{ID: 3, Name: "BotUser"}, u)
		require.Len(t, f.posts("login"), 1)
		assert.Equal(t, "BotUser@localbot", f.posts("login")[0].Form.Get("lgname"))
		assert.Equal(t, "BotUser", savedUser(t, path), "the file now holds the configured user's session")
	})

	t.Run("after Logout the file stays removed until Resume logs in", func(t *testing.T) {
		t.Parallel()
		ctx := ctxTimeout(t, 10*time.Second)
		f := newFake(t)
		path := savedSession(t, f)
		c, err := New(f.endpoint(), WithSessionFile(path), WithBotPassword(testBotUser, testBotPassword))
		require.NoError(t, err)
		require.NoError(t, c.Logout(ctx))
		assert.NoFileExists(t, path)
		f.on("query", f.fx("edit_success.json"))
		err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
		assert.ErrorIs(t, err, ErrNotLoggedIn)
		assert.NoFileExists(t, path, "nothing writes an anonymous session")
		assert.Zero(t, f.count("query"))

		f.on("login", f.loginOK())
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Admin", u.Name)
		assert.Equal(t, "Admin", savedUser(t, path))
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	})
}

// savedUser reads the user name a session file holds.
func savedUser(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var f sessionFile
	require.NoError(t, json.Unmarshal(b, &f))
	return f.Username
}
