package mwauth

// call_test.go: Get, Post and PostWithToken (call.go): decoding into
// out, asserts, token retries and the automatic re-login.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func editParams() url.Values {
	return url.Values{"action": {"edit"}, "title": {"Sandbox"}, "text": {"Hello"}, "summary": {"test"}}
}

func badtokenReply(f *fakeWiki) reply {
	return f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken")
}

// assertFailReply is the wiki's answer to a call whose session it forgot.
func assertFailReply(f *fakeWiki) reply {
	return f.fx("error_assertuserfailed.json").with("MediaWiki-API-Error", "assertuserfailed").deleting(cookieBPSession)
}

// TestCallDecodesIntoOut: the answer is decoded into out as
// json.Unmarshal does; out may be nil.
func TestCallDecodesIntoOut(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	body := fixture(t, "userinfo_user.json")
	f.on("userinfo", reply{Body: body})

	var raw json.RawMessage
	require.NoError(t, c.Get(ctx, userinfoParams, &raw))
	assert.Equal(t, body, string(raw), "the answer exactly as the wiki sent it")

	var v struct {
		Query struct {
			UserInfo struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(ctx, userinfoParams, &v))
	assert.Equal(t, "Admin", v.Query.UserInfo.Name)
	assert.Equal(t, 1, v.Query.UserInfo.ID)

	require.NoError(t, c.Get(ctx, userinfoParams, nil))

	var wrong struct {
		Query string `json:"query"`
	}
	err := c.Get(ctx, userinfoParams, &wrong)
	var te *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &te)
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: get: "), err.Error())
	assert.Len(t, f.all(), 4)
}

// TestPostWithTokenBadToken: a badtoken answer refreshes the token once
// and retries; when it comes again while the Client acts as a user, the
// session is taken for lost and logged in again once (WithBotPassword)
// or the call fails with ErrNotLoggedIn. It never loops.
func TestPostWithTokenBadToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		client     func(t *testing.T) (*Client, *fakeWiki)
		edits      func(f *fakeWiki) []reply
		wantErr    error
		wantCode   string
		wantPosts  int
		wantLogins int
	}{
		{name: "anonymous: always badtoken", client: func(t *testing.T) (*Client, *fakeWiki) { return setup(t) },
			edits:    func(f *fakeWiki) []reply { return []reply{badtokenReply(f)} },
			wantCode: "badtoken", wantPosts: 2},
		{name: "anonymous: badtoken then success", client: func(t *testing.T) (*Client, *fakeWiki) { return setup(t) },
			edits:     func(f *fakeWiki) []reply { return []reply{badtokenReply(f), f.fx("edit_success.json")} },
			wantPosts: 2},
		{name: "logged in: badtoken then success", client: func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			edits:     func(f *fakeWiki) []reply { return []reply{badtokenReply(f), f.fx("edit_success.json")} },
			wantPosts: 2},
		// Two badtokens in a row while logged in mean the session is gone:
		// one re-login, then once more the single refresh.
		{name: "bot password: always badtoken", client: func(t *testing.T) (*Client, *fakeWiki) { return botClient(t) },
			edits:    func(f *fakeWiki) []reply { return []reply{badtokenReply(f)} },
			wantCode: "badtoken", wantPosts: 4, wantLogins: 1},
		{name: "Login without bot password: always badtoken", client: func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			edits:   func(f *fakeWiki) []reply { return []reply{badtokenReply(f)} },
			wantErr: ErrNotLoggedIn, wantCode: "badtoken", wantPosts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := tt.client(t)
			f.on("edit", tt.edits(f)...)
			err := c.PostWithToken(ctxTimeout(t, 10*time.Second), "", editParams(), nil)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if tt.wantCode != "" {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.wantCode, ae.Code)
			} else {
				require.NoError(t, err)
			}
			posts := f.posts("edit")
			assert.Len(t, posts, tt.wantPosts, "edit POSTs")
			assert.Len(t, f.posts("login"), tt.wantLogins, "logins")
			assert.Equal(t, tt.wantPosts, f.count("tokens:csrf"), "one token fetch per attempt")
			for _, p := range posts {
				assertPost(t, p)
				assertPinned(t, p)
				assert.NotEmpty(t, p.Form.Get("token"))
			}
			if len(posts) >= 2 && !isAnonToken(posts[0].Form.Get("token")) {
				assert.NotEqual(t, posts[0].Form.Get("token"), posts[1].Form.Get("token"), "the retry uses a fresh token")
			}
		})
	}
}

// TestSessionLost: when the wiki forgot the session, only a Client with
// WithBotPassword logs in again, once, with those credentials; a
// definitive refusal stops later re-logins, a throttle does not.
func TestSessionLost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		client     func(t *testing.T) (*Client, *fakeWiki)
		script     func(f *fakeWiki)
		wantErr    []error
		wantPosts  int
		wantLogins int
		wantKind   sessionKind
		// The next call, after then scripts the fake again.
		then           func(f *fakeWiki)
		wantNextErr    error
		wantNextLogins int // logins of the next call
		wantNextReqs   int
	}{
		{name: "re-login then success", client: botTestClient, script: func(f *fakeWiki) {
			f.on("edit", assertFailReply(f), f.fx("edit_success.json"))
		}, wantPosts: 2, wantLogins: 1, wantKind: sessionLogin},
		{name: "anonymous CSRF token while logged in", client: botTestClient, script: func(f *fakeWiki) {
			f.on("tokens:csrf", f.fx("tokens_csrf_anon.json"), f.fx("tokens_csrf.json"))
			f.on("edit", f.fx("edit_success.json"))
		}, wantPosts: 1, wantLogins: 1, wantKind: sessionLogin},
		{name: "still not logged in after the re-login", client: botTestClient, script: func(f *fakeWiki) {
			f.on("edit", assertFailReply(f))
		}, wantErr: []error{ErrNotLoggedIn}, wantPosts: 2, wantLogins: 1, wantKind: sessionLogin},
		{name: "re-login refused for good: later calls fail before any request", client: botTestClient, script: func(f *fakeWiki) {
			f.on("edit", assertFailReply(f), f.fx("edit_success.json"))
			f.set("login", f.fx("login_failed_wrongpassword.json"))
		}, wantErr: []error{ErrNotLoggedIn, ErrWrongCredentials, ErrLoginFailed}, wantPosts: 1, wantLogins: 1, wantKind: sessionNone,
			then:        func(f *fakeWiki) { f.set("login", f.loginOK()) },
			wantNextErr: ErrWrongCredentials, wantNextReqs: 0},
		{name: "re-login throttled: the next call tries again", client: botTestClient, script: func(f *fakeWiki) {
			f.on("edit", assertFailReply(f), f.fx("edit_success.json"))
			f.set("login", f.fx("login_failed_throttled.json"))
		}, wantErr: []error{ErrThrottled, ErrNotLoggedIn}, wantPosts: 1, wantLogins: 1, wantKind: sessionNone,
			then:           func(f *fakeWiki) { f.set("login", f.loginOK()) },
			wantNextLogins: 1, wantNextReqs: 4},
		{name: "Login's password is not kept", client: func(t *testing.T) (*Client, *fakeWiki) { return loggedIn(t) },
			script: func(f *fakeWiki) {
				f.on("edit", assertFailReply(f), f.fx("edit_success.json"))
				f.on("login", f.loginOK())
			}, wantErr: []error{ErrNotLoggedIn}, wantPosts: 1, wantKind: sessionLogin},
		{name: "clientlogin session needs a person", client: func(t *testing.T) (*Client, *fakeWiki) {
			c, f := setup(t, WithBotPassword(testBotUser, testBotPassword))
			f.on("clientlogin", f.passOK())
			_, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
			require.NoError(t, err)
			f.reset()
			return c, f
		}, script: func(f *fakeWiki) {
			f.on("edit", assertFailReply(f), f.fx("edit_success.json"))
			f.on("login", f.loginOK())
		}, wantErr: []error{ErrNotLoggedIn}, wantPosts: 1, wantKind: sessionClientLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := tt.client(t)
			tt.script(f)
			ctx := ctxTimeout(t, 10*time.Second)
			var out struct {
				Edit struct{ Result string } `json:"edit"`
			}
			err := c.PostWithToken(ctx, "", editParams(), &out)
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
			} else {
				require.NoError(t, err)
				assert.Equal(t, "Success", out.Edit.Result)
			}
			posts := f.posts("edit")
			assert.Len(t, posts, tt.wantPosts, "edit POSTs")
			logins := f.posts("login")
			assert.Len(t, logins, tt.wantLogins, "exactly one re-login at most")
			for _, l := range logins {
				assert.Equal(t, testBotUser, l.Form.Get("lgname"))
				assert.Equal(t, testBotPassword, l.Form.Get("lgpassword"), "WithBotPassword's credentials are used")
			}
			for _, p := range posts {
				assert.Equal(t, "user", p.Form.Get("assert"))
			}
			if tt.wantLogins > 0 && len(posts) == 2 {
				assert.NotEqual(t, posts[0].Form.Get("token"), posts[1].Form.Get("token"), "fresh tokens after re-login")
			}
			assert.Equal(t, tt.wantKind, c.state().kind)
			assert.Zero(t, f.count("clientlogin"), "never an interactive login by itself")
			if tt.then == nil {
				return
			}

			tt.then(f)
			n, loginsBefore := len(f.all()), len(f.posts("login"))
			err = c.PostWithToken(ctx, "", editParams(), nil)
			if tt.wantNextErr != nil {
				assert.ErrorIs(t, err, tt.wantNextErr)
				assert.ErrorIs(t, err, ErrNotLoggedIn)
			} else {
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantNextLogins, len(f.posts("login"))-loginsBefore, "logins of the next call")
			assert.Equal(t, tt.wantNextReqs, len(f.all())-n, "requests of the next call")
			for _, p := range f.posts("edit") {
				assert.Equal(t, "user", p.Form.Get("assert"), "never an anonymous edit")
			}
		})
	}
}

func botTestClient(t *testing.T) (*Client, *fakeWiki) { return botClient(t) }

// TestReloginCanceled: a re-login cut short by the caller's context is
// the context's error, not ErrNotLoggedIn, and does not stop the next
// call from logging in.
func TestReloginCanceled(t *testing.T) {
	t.Parallel()
	c, f := botClient(t)
	f.on("query", assertFailReply(f), f.fx("edit_success.json"))
	f.set("login", hang(), f.loginOK())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrNotLoggedIn)

	require.NoError(t, c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	assert.Len(t, f.posts("login"), 2, "the next call logs in again")
}

// TestFirstCallLogsIn: a Client with WithBotPassword and no session logs
// in before its first call, which then asserts the user.
func TestFirstCallLogsIn(t *testing.T) {
	t.Parallel()
	c, f := setup(t, WithBotPassword(testBotUser, testBotPassword))
	f.on("login", f.loginOK())
	f.on("query", f.fx("edit_success.json"))
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	reqs := f.all()
	require.Len(t, reqs, 3, "login token, login, the call")
	assert.Equal(t, "tokens:login", reqs[0].Key)
	assert.Equal(t, "login", reqs[1].Key)
	assert.Equal(t, "user", reqs[2].param("assert"))
	assert.Equal(t, sessionLogin, c.state().kind)
	assert.True(t, c.state().byCreds)

	// A refused first login is an error, never an anonymous call.
	c2, f2 := setup(t, WithBotPassword(testBotUser, testBotPassword))
	f2.on("login", f2.fx("login_failed_wrongpassword.json"))
	err := c2.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.ErrorIs(t, err, ErrWrongCredentials)
	assert.Zero(t, f2.count("query"), "no anonymous call")
}

func TestPostWithTokenTypes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typ      string
		wantType string
		wantErr  error
	}{
		{name: "default is csrf", wantType: "csrf"},
		{name: "csrf", typ: "csrf", wantType: "csrf"},
		{name: "watch", typ: "watch", wantType: "watch"},
		{name: "rollback", typ: "rollback", wantType: "rollback"},
		{name: "an extension's type", typ: "setglobalaccountstatus", wantType: "setglobalaccountstatus"},
		{name: "two types", typ: "csrf|watch", wantErr: ErrInvalidArgument},
		{name: "control character", typ: "csrf\n", wantErr: ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			f.on("edit", f.fx("edit_success.json"))
			params := editParams()
			before := editParams()
			err := c.PostWithToken(ctxTimeout(t, 10*time.Second), tt.typ, params, nil)
			assert.Equal(t, before, params, "the caller's params are not modified")
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Empty(t, f.all())
				return
			}
			require.NoError(t, err)
			reqs := f.all()
			require.Len(t, reqs, 2)
			assert.Equal(t, tt.wantType, reqs[0].param("type"))
			p := reqs[1]
			assertPost(t, p)
			assert.Contains(t, f.issued(), p.Form.Get("token"))
			assert.Equal(t, "Sandbox", p.Form.Get("title"))
			assert.NotContains(t, p.URL, "token")
		})
	}
}

// TestAssertParameter: which assert a call carries.
func TestAssertParameter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		loggedIn bool
		opts     []Option
		params   url.Values
		want     string // "" means absent
	}{
		{name: "never given a user", params: url.Values{"action": {"query"}}},
		{name: "logged in", loggedIn: true, params: url.Values{"action": {"query"}}, want: "user"},
		{name: "WithAssert bot", loggedIn: true, opts: []Option{WithAssert(AssertBot)}, params: url.Values{"action": {"query"}}, want: "bot"},
		{name: "WithAssert before any login", opts: []Option{WithAssert(AssertUser)}, params: url.Values{"action": {"query"}}, want: "user"},
		{name: "WithAssert bot before any login", opts: []Option{WithAssert(AssertBot)}, params: url.Values{"action": {"query"}}, want: "bot"},
		{name: "caller's assert kept", loggedIn: true, params: url.Values{"action": {"query"}, "assert": {"anon"}}, want: "anon"},
		{name: "caller's assertuser kept", loggedIn: true, params: url.Values{"action": {"query"}, "assertuser": {"Admin"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c *Client
			var f *fakeWiki
			if tt.loggedIn {
				c, f = loggedIn(t, tt.opts...)
			} else {
				c, f = setup(t, tt.opts...)
			}
			f.on("query", f.fx("edit_success.json"))
			ctx := ctxTimeout(t, 10*time.Second)
			require.NoError(t, c.Get(ctx, tt.params, nil))
			require.NoError(t, c.Post(ctx, tt.params, nil))
			reqs := f.all()
			require.Len(t, reqs, 2, "no login")
			for _, r := range reqs {
				if tt.want == "" {
					assert.False(t, r.has("assert"), "%s has assert", r.Method)
				} else {
					assert.Equal(t, tt.want, r.param("assert"), r.Method)
				}
				if tt.params.Get("assertuser") != "" {
					assert.Equal(t, "Admin", r.param("assertuser"))
				}
			}
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			assertPost(t, reqs[1])
		})
	}
}

// TestAnonymousAssertFailureIsJustAnError: a Client never given a user
// that asks for assert=user itself gets ErrNotLoggedIn, and no login.
func TestAnonymousAssertFailureIsJustAnError(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("userinfo", f.fx("error_assertuserfailed.json"))
	err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "assertuserfailed", ae.Code)
	assert.Len(t, f.all(), 1)
}

// TestAssertBotFailure: assertbotfailed of a live session means the
// account lacks the bot right (no re-login); of a lost session, that it
// was lost (one re-login). One userinfo probe tells them apart.
func TestAssertBotFailure(t *testing.T) {
	t.Parallel()
	botFail := func(f *fakeWiki) reply {
		return apiErrorReply("assertbotfailed", "You do not have the bot right").with("MediaWiki-API-Error", "assertbotfailed")
	}
	tests := []struct {
		name       string
		probe      string // the userinfo fixture the probe gets
		wantErr    bool
		wantLogins int
	}{
		{name: "live session without the bot right", probe: "userinfo_user.json", wantErr: true},
		{name: "lost session", probe: "userinfo_anon.json", wantLogins: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := botClient(t, WithAssert(AssertBot))
			f.on("query", botFail(f), f.fx("edit_success.json"))
			f.on("userinfo", f.fx(tt.probe))
			err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrNotLoggedIn)
			} else {
				assert.NoError(t, err)
			}
			assert.Len(t, f.posts("login"), tt.wantLogins)
			assert.Equal(t, 1, f.count("userinfo"), "one probe")
			probe := f.all()[1]
			assert.False(t, probe.has("assert"), "the probe asserts nothing")
		})
	}
}

// TestConcurrentRelogin: 50 goroutines that find the session lost at
// once cause exactly one re-login, of two requests.
func TestConcurrentRelogin(t *testing.T) {
	t.Parallel()
	const n = 50
	c, f := setup(t, WithBotPassword(testBotUser, testBotPassword))
	var mu sync.Mutex
	valid := ""
	loginBody := fixture(t, "login_success.json")
	f.on("login", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		v := randomHex(16)
		mu.Lock()
		valid = v
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: cookieBPSession, Value: v, Path: "/"})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(loginBody))
	}})
	success := fixture(t, "edit_success.json")
	lost := fixture(t, "error_assertuserfailed.json")
	// The lost answers are held back until every goroutine's first edit
	// arrived, so that all of them notice the loss together.
	var arrived atomic.Int32
	allLost := make(chan struct{})
	f.on("edit", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie(cookieBPSession)
		mu.Lock()
		ok := ck != nil && ck.Value == valid
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ok {
			_, _ = w.Write([]byte(success))
			return
		}
		if arrived.Add(1) == n {
			close(allLost)
		}
		select {
		case <-allLost:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(lost))
	}})
	ctx := ctxTimeout(t, 20*time.Second)
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)

	mu.Lock()
	valid = "killed" // the wiki forgets every session
	mu.Unlock()

	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = c.PostWithToken(ctx, "", editParams(), nil)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.EqualValues(t, n, arrived.Load(), "every goroutine found the session lost")
	assert.Len(t, f.posts("login"), 2, "one login, then exactly one re-login")
	assert.Equal(t, 2, f.count("tokens:login"), "the re-login takes two requests")
	assert.Equal(t, 2, f.count("tokens:csrf"), "one shared CSRF token per session")
	assert.Equal(t, sessionLogin, c.state().kind)
}

// TestCallerAssertUserMismatchDoesNotLogInAgain: a caller's own
// assertuser naming another account fails the call, but the live session
// is not replaced by a re-login.
func TestCallerAssertUserMismatchDoesNotLogInAgain(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c, err := New(f.endpoint(), WithUserAgent(testUA), WithBotPassword(testBotUser, testBotPassword))
	require.NoError(t, err)
	f.on("login", f.loginOK())
	_, err = c.Resume(ctxTimeout(t, 10*time.Second))
	require.NoError(t, err)
	f.reset()
	f.on("query", apiErrorReply("assertnameduserfailed", "You are not \"Alice\"."))
	f.on("userinfo", f.fx("userinfo_user.json"))
	err = c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "list": {"watchlist"}, "assertuser": {"Alice"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Empty(t, f.posts("login"), "the live session is kept")
}
