package mwauth

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func editParams() url.Values {
	return url.Values{"action": {"edit"}, "title": {"Sandbox"}, "text": {"Hello"}, "summary": {"test"}}
}

// TestPostWithTokenBadToken: a badtoken answer refreshes the token once
// and retries; it never loops.
func TestPostWithTokenBadToken(t *testing.T) {
	t.Parallel()
	badtoken := func(f *fakeWiki) reply { return f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken") }
	tests := []struct {
		name       string
		loggedIn   bool
		opts       []Option
		edits      func(f *fakeWiki) []reply
		wantErr    []error
		wantPosts  int
		wantLogins int
	}{
		{name: "anonymous: always badtoken", edits: func(f *fakeWiki) []reply { return []reply{badtoken(f)} },
			wantErr: []error{ErrBadToken}, wantPosts: 2},
		{name: "anonymous: badtoken then success", edits: func(f *fakeWiki) []reply {
			return []reply{badtoken(f), f.fx("edit_success.json")}
		}, wantPosts: 2},
		{name: "logged in: badtoken then success", loggedIn: true, edits: func(f *fakeWiki) []reply {
			return []reply{badtoken(f), f.fx("edit_success.json")}
		}, wantPosts: 2},
		// Two badtokens in a row while logged in mean the session is gone:
		// one re-login, then once more the single refresh.
		{name: "logged in: always badtoken", loggedIn: true, edits: func(f *fakeWiki) []reply { return []reply{badtoken(f)} },
			wantErr: []error{ErrBadToken}, wantPosts: 4, wantLogins: 1},
		{name: "logged in without relogin: always badtoken", loggedIn: true, opts: []Option{WithoutRelogin()},
			edits:   func(f *fakeWiki) []reply { return []reply{badtoken(f)} },
			wantErr: []error{ErrBadToken, ErrLoginRequired}, wantPosts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c *Client
			var f *fakeWiki
			if tt.loggedIn {
				c, f = loggedIn(t, tt.opts...)
				f.on("login", f.loginOK())
			} else {
				c, f = setup(t, tt.opts...)
			}
			f.on("edit", tt.edits(f)...)
			resp, err := c.PostWithToken(ctxTimeout(t, 10*time.Second), TokenCSRF, editParams())
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
				assert.Nil(t, resp)
			} else {
				require.NoError(t, err)
				assert.NotNil(t, resp)
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
			if tt.loggedIn && len(posts) >= 2 {
				assert.NotEqual(t, posts[0].Form.Get("token"), posts[1].Form.Get("token"), "the retry uses a fresh token")
			}
		})
	}
}

// TestPostWithTokenSessionLost: when the wiki forgot the session, a
// bot-password client logs in again once with the kept credentials; a
// clientlogin session needs a person.
func TestPostWithTokenSessionLost(t *testing.T) {
	t.Parallel()
	assertFail := func(f *fakeWiki) reply {
		return f.fx("error_assertuserfailed.json").with("MediaWiki-API-Error", "assertuserfailed").deleting(cookieBPSession)
	}
	tests := []struct {
		name       string
		clientFlow bool // log in with clientlogin instead of a bot password
		opts       []Option
		script     func(f *fakeWiki)
		wantErr    []error
		wantPosts  int
		wantLogins int
		wantKind   sessionKind
	}{
		{name: "re-login then success", script: func(f *fakeWiki) {
			f.on("edit", assertFail(f), f.fx("edit_success.json"))
			f.on("login", f.loginOK())
		}, wantPosts: 2, wantLogins: 1, wantKind: sessionLogin},
		{name: "anonymous CSRF token while logged in", script: func(f *fakeWiki) {
			f.on("tokens:csrf", f.fx("tokens_csrf_anon.json"), f.fx("tokens_csrf.json"))
			f.on("edit", f.fx("edit_success.json"))
			f.on("login", f.loginOK())
		}, wantPosts: 1, wantLogins: 1, wantKind: sessionLogin},
		{name: "still not logged in after the re-login", script: func(f *fakeWiki) {
			f.on("edit", assertFail(f))
			f.on("login", f.loginOK())
		}, wantErr: []error{ErrNotLoggedIn}, wantPosts: 2, wantLogins: 1, wantKind: sessionLogin},
		{name: "re-login fails", script: func(f *fakeWiki) {
			f.on("edit", assertFail(f), f.fx("edit_success.json"))
			f.on("login", f.fx("login_failed_wrongpassword.json"))
		}, wantErr: []error{ErrWrongCredentials, ErrLoginFailed, ErrLoginRequired}, wantPosts: 1, wantLogins: 1, wantKind: sessionLogin},
		{name: "re-login throttled", script: func(f *fakeWiki) {
			f.on("edit", assertFail(f), f.fx("edit_success.json"))
			f.on("login", f.fx("login_failed_throttled.json"))
		}, wantErr: []error{ErrThrottled, ErrLoginRequired}, wantPosts: 1, wantLogins: 1, wantKind: sessionLogin},
		{name: "WithoutRelogin", opts: []Option{WithoutRelogin()}, script: func(f *fakeWiki) {
			f.on("edit", assertFail(f), f.fx("edit_success.json"))
		}, wantErr: []error{ErrLoginRequired, ErrNotLoggedIn}, wantPosts: 1, wantKind: sessionLogin},
		{name: "clientlogin session", clientFlow: true, script: func(f *fakeWiki) {
			f.on("edit", assertFail(f), f.fx("edit_success.json"))
		}, wantErr: []error{ErrLoginRequired, ErrNotLoggedIn}, wantPosts: 1, wantKind: sessionClientLogin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c *Client
			var f *fakeWiki
			if tt.clientFlow {
				c, f = setup(t, tt.opts...)
				f.on("clientlogin", f.passOK())
				_, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
				require.NoError(t, err)
				f.reset()
			} else {
				c, f = loggedIn(t, tt.opts...)
			}
			tt.script(f)
			resp, err := c.PostWithToken(ctxTimeout(t, 10*time.Second), TokenCSRF, editParams())
			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
				assert.Nil(t, resp)
			} else {
				require.NoError(t, err)
				require.NotNil(t, resp)
				var body struct {
					Edit struct{ Result string } `json:"edit"`
				}
				require.NoError(t, resp.Decode(&body))
				assert.Equal(t, "Success", body.Edit.Result)
			}
			posts := f.posts("edit")
			assert.Len(t, posts, tt.wantPosts, "edit POSTs")
			logins := f.posts("login")
			assert.Len(t, logins, tt.wantLogins, "exactly one re-login at most")
			for _, l := range logins {
				assert.Equal(t, testBotUser, l.Form.Get("lgname"))
				assert.Equal(t, testBotPassword, l.Form.Get("lgpassword"), "the kept credentials are used")
			}
			for _, p := range posts {
				assert.Equal(t, "user", p.Form.Get("assert"))
			}
			if tt.wantLogins > 0 && len(posts) == 2 {
				assert.NotEqual(t, posts[0].Form.Get("token"), posts[1].Form.Get("token"), "fresh tokens after re-login")
			}
			assert.Equal(t, tt.wantKind, c.state().kind)
			assert.Zero(t, f.count("clientlogin"), "never an interactive login by itself")
		})
	}
}

func TestPostWithTokenAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fixture  string
		header   string
		wantErr  error
		wantCode string
		others   []string
	}{
		{name: "readonly", fixture: "error_readonly.json", header: "readonly", wantErr: ErrReadOnly, wantCode: "readonly"},
		{name: "ratelimited", fixture: "error_ratelimited.json", header: "ratelimited", wantErr: ErrRateLimited, wantCode: "ratelimited"},
		{name: "mustpostparams", fixture: "error_mustpostparams.json", header: "mustpostparams", wantCode: "mustpostparams"},
		{name: "oauth", fixture: "error_mwoauth_invalid_authorization.json", wantErr: ErrOAuth, wantCode: "mwoauth-invalid-authorization"},
		{name: "several errors", fixture: "error_multiple.json", header: "missingparam, badvalue", wantCode: "missingparam",
			others: []string{"badvalue"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			r := f.fx(tt.fixture)
			if tt.header != "" {
				r = r.with("MediaWiki-API-Error", tt.header)
			}
			f.on("edit", r)
			_, err := c.PostWithToken(ctxTimeout(t, 10*time.Second), TokenCSRF, editParams())
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.wantCode, ae.Code)
			assert.NotEmpty(t, ae.Info)
			var others []string
			for _, o := range ae.Others {
				others = append(others, o.Code)
			}
			assert.Equal(t, tt.others, others)
			assert.Len(t, f.posts("edit"), 1, "not retried")
			assert.Empty(t, f.posts("login"), "no re-login")
		})
	}
}

func TestPostWithTokenParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		typ      TokenType
		wantType string
	}{
		{name: "default is csrf", wantType: "csrf"},
		{name: "csrf", typ: TokenCSRF, wantType: "csrf"},
		{name: "watch", typ: TokenWatch, wantType: "watch"},
		{name: "rollback", typ: TokenRollback, wantType: "rollback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			f.on("edit", f.fx("edit_success.json"))
			params := editParams()
			before := editParams()
			_, err := c.PostWithToken(ctxTimeout(t, 10*time.Second), tt.typ, params)
			require.NoError(t, err)
			assert.Equal(t, before, params, "the caller's params are not modified")
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

func TestAssertParameter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		loggedIn bool
		opts     []Option
		params   url.Values
		want     string // "" means absent
	}{
		{name: "anonymous", params: url.Values{"action": {"query"}}},
		{name: "logged in", loggedIn: true, params: url.Values{"action": {"query"}}, want: "user"},
		{name: "WithAssert bot", loggedIn: true, opts: []Option{WithAssert("bot")}, params: url.Values{"action": {"query"}}, want: "bot"},
		{name: "WithAssert none", loggedIn: true, opts: []Option{WithAssert("")}, params: url.Values{"action": {"query"}}},
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
			_, err := c.Get(ctx, tt.params)
			require.NoError(t, err)
			_, err = c.Post(ctx, tt.params)
			require.NoError(t, err)
			for _, r := range f.all() {
				if tt.want == "" {
					assert.False(t, r.has("assert"), "%s has assert", r.Method)
				} else {
					assert.Equal(t, tt.want, r.param("assert"), r.Method)
				}
				if tt.params.Get("assertuser") != "" {
					assert.Equal(t, "Admin", r.param("assertuser"))
				}
			}
			assert.Equal(t, http.MethodGet, f.all()[0].Method)
			assertPost(t, f.all()[1])
		})
	}
}

// TestGetAnonymousNeverLogsIn: an assert failure of an anonymous client
// is just an error.
func TestGetAnonymousNeverLogsIn(t *testing.T) {
	t.Parallel()
	c, f := setup(t, WithBotPassword(testBotUser, testBotPassword))
	f.on("userinfo", f.fx("error_assertuserfailed.json"))
	_, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.NotErrorIs(t, err, ErrLoginRequired)
	assert.Len(t, f.all(), 1)
}

func TestResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		fixture      string
		wantWarnings []Warning
	}{
		{name: "no warnings", fixture: "edit_success.json"},
		{name: "plaintext warnings", fixture: "login_needtoken.json", wantWarnings: []Warning{
			{Code: "deprecation", Module: "login", Text: `Fetching a token via "action=login" is deprecated. Use "action=query&meta=tokens&type=login" instead.`},
			{Code: "deprecation-help", Module: "main", Text: "Subscribe to the mediawiki-api-announce mailing list at <https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> for notice of API deprecations and breaking changes."},
		}},
		{name: "formatversion=1 bc warnings", fixture: "warnings_fv1_bc.json", wantWarnings: []Warning{
			{Module: "main", Text: "Unrecognized parameter: OATHToken."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", f.fx(tt.fixture))
			resp, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}})
			require.NoError(t, err)
			assert.JSONEq(t, fixture(t, tt.fixture), string(resp.Raw))
			assert.Equal(t, tt.wantWarnings, resp.Warnings)
			var v map[string]any
			assert.NoError(t, resp.Decode(&v))
			assert.NotContains(t, resp.String(), `"`, "String must not print the body")
			assert.Equal(t, resp.String(), resp.GoString())
		})
	}
}

func TestResume(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     []Option
		script   func(f *fakeWiki)
		want     *UserInfo
		wantErr  error
		wantReqs int
		wantKind sessionKind
		wantCSRF bool // the CSRF token came with the answer and is cached
	}{
		{name: "session alive", script: func(f *fakeWiki) { f.on("userinfo", f.fx("userinfo_user.json")) },
			want: &UserInfo{ID: 1, Name: "Admin"}, wantReqs: 1, wantKind: sessionLogin, wantCSRF: true},
		{name: "anonymous without credentials", script: func(f *fakeWiki) { f.on("userinfo", f.fx("userinfo_anon.json")) },
			want: &UserInfo{Name: "127.0.0.1", Anonymous: true}, wantReqs: 1, wantKind: sessionNone},
		{name: "anonymous with a bot password logs in", opts: []Option{WithBotPassword(testBotUser, testBotPassword)},
			script: func(f *fakeWiki) {
				f.on("userinfo", f.fx("userinfo_anon.json"))
				f.on("login", f.loginOK())
			},
			want: &UserInfo{ID: 1, Name: "Admin"}, wantReqs: 3, wantKind: sessionLogin},
		{name: "login of Resume fails", opts: []Option{WithBotPassword(testBotUser, testBotPassword)},
			script: func(f *fakeWiki) {
				f.on("userinfo", f.fx("userinfo_anon.json"))
				f.on("login", f.fx("login_failed_wrongpassword.json"))
			},
			wantErr: ErrWrongCredentials, wantReqs: 3, wantKind: sessionNone},
		{name: "no userinfo in the answer", script: func(f *fakeWiki) { f.on("userinfo", f.fx("tokens_csrf.json")) },
			wantErr: ErrUnexpectedResponse, wantReqs: 1, wantKind: sessionNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opts...)
			tt.script(f)
			ctx := ctxTimeout(t, 10*time.Second)
			ui, err := c.Resume(ctx)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.want, ui)
			}
			reqs := f.all()
			assert.Len(t, reqs, tt.wantReqs)
			assert.Equal(t, "userinfo|tokens", reqs[0].param("meta"))
			assert.Equal(t, "csrf", reqs[0].param("type"))
			assert.Equal(t, tt.wantKind, c.state().kind)
			if tt.wantCSRF {
				tok, err := c.Token(ctx, TokenCSRF)
				require.NoError(t, err)
				assert.Equal(t, "cafebabecafebabecafebabecafebabe00000007+\\", tok)
				assert.Len(t, f.all(), tt.wantReqs, "the token came with Resume's answer")
			}
		})
	}
}

// TestConcurrentRelogin: many goroutines that find the session lost at
// once cause exactly one re-login.
func TestConcurrentRelogin(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
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
	f.on("edit", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond)
		ck, _ := r.Cookie(cookieBPSession)
		mu.Lock()
		ok := ck != nil && ck.Value == valid
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if ok {
			_, _ = w.Write([]byte(success))
			return
		}
		_, _ = w.Write([]byte(lost))
	}})
	ctx := ctxTimeout(t, 20*time.Second)
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)

	mu.Lock()
	valid = "killed" // the wiki forgets every session
	mu.Unlock()

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = c.PostWithToken(ctx, TokenCSRF, editParams())
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, f.posts("login"), 2, "one login, then exactly one re-login")
	assert.Equal(t, sessionLogin, c.state().kind)
}
