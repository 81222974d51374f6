package mwauth

// login_test.go: action=login and action=logout (login.go), and the flow
// lock they share with every change of the session.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	fixtureLoginToken     = "feedfacefeedfacefeedfacefeedface00000001+\\"
	fixtureNeedTokenToken = "deadbeefdeadbeefdeadbeefdeadbeef00000003+\\"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   func(f *fakeWiki) []reply
		wantErr   []error
		notErr    []error
		wantAPI   string // the code of an *APIError
		wantCode  string
		wantRes   string // Result of the LoginError
		wantWait  time.Duration
		wantPosts int
		wantGets  int
		// wantTokens are the lgtoken values of the POSTs; "" means a
		// token the fake made up, checked only for presence.
		wantTokens []string
		wantUser   User
	}{
		{
			name:      "success",
			replies:   func(f *fakeWiki) []reply { return []reply{f.loginOK()} },
			wantPosts: 1, wantGets: 1,
			wantTokens: []string{fixtureLoginToken},
			wantUser:   User{ID: 1, Name: "Admin"},
		},
		{
			name:      "main-account success with deprecation warnings",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_success_deprecated.json").setting(cookieUserID)} },
			wantPosts: 1, wantGets: 1,
			wantTokens: []string{fixtureLoginToken},
			wantUser:   User{ID: 1, Name: "Admin"},
		},
		{
			name:    "wrong password is never retried",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_wrongpassword.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrWrongCredentials}, notErr: []error{ErrThrottled, ErrUnexpectedResponse},
			wantRes: "Failed", wantCode: "wrongpassword",
			wantPosts: 1, wantGets: 1,
		},
		{
			name: "throttled, with the wiki's wait",
			replies: func(f *fakeWiki) []reply {
				return []reply{{Body: `{"login":{"result":"Failed","reason":{"code":"login-throttled","key":"login-throttled","params":[{"duration":300}]}}}`}, f.loginOK()}
			},
			wantErr: []error{ErrLoginFailed, ErrThrottled}, notErr: []error{ErrWrongCredentials},
			wantRes: "Failed", wantCode: "login-throttled", wantWait: 5 * time.Minute,
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "throttled, plaintext reason without a wait",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_throttled.json")} },
			wantErr: []error{ErrLoginFailed, ErrThrottled},
			wantRes: "Failed", wantCode: "login-throttled",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "session lost",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_sessionlost.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed}, notErr: []error{ErrWrongCredentials, ErrInteractionRequired},
			wantRes: "Failed", wantCode: "sessionlost",
			wantPosts: 1, wantGets: 1,
		},
		{
			name: "session lost under its message key",
			replies: func(f *fakeWiki) []reply {
				return []reply{{Body: `{"login":{"result":"Failed","reason":{"code":"authpage-cannot-login-continue","text":"Unable to continue login. Your session most likely timed out."}}}`}}
			},
			wantErr: []error{ErrLoginFailed}, notErr: []error{ErrWrongCredentials},
			wantRes: "Failed", wantCode: "authpage-cannot-login-continue",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "no primary provider accepted the credentials",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_noprimary.json")} },
			wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantRes: "Failed", wantCode: "authmanager-authn-no-primary",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "aborted: needs interaction",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_aborted_interaction.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrInteractionRequired}, notErr: []error{ErrWrongCredentials},
			wantRes: "Aborted", wantCode: "api-login-fail-aborted",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "aborted: bad session provider",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_aborted_badsessionprovider.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrInteractionRequired},
			wantRes: "Aborted", wantCode: "api-login-fail-badsessionprovider",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:      "unknown result",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_unknown_result.json"), f.loginOK()} },
			wantErr:   []error{ErrLoginFailed, ErrUnexpectedResponse},
			wantRes:   "Throttled",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:      "errorformat=bc string reason",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_bc.json")} },
			wantErr:   []error{ErrLoginFailed},
			wantRes:   "Failed",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "formatversion=1 reason",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_fv1.json")} },
			wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantRes: "Failed", wantCode: "wrongpassword",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:      "NeedToken retried once with its token",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_needtoken.json"), f.loginOK()} },
			wantPosts: 2, wantGets: 1,
			wantTokens: []string{fixtureLoginToken, fixtureNeedTokenToken},
			wantUser:   User{ID: 1, Name: "Admin"},
		},
		{
			name:    "NeedToken twice",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_needtoken.json")} },
			wantErr: []error{ErrLoginFailed}, notErr: []error{ErrUnexpectedResponse, ErrWrongCredentials},
			wantRes:   "NeedToken",
			wantPosts: 2, wantGets: 1,
			wantTokens: []string{fixtureLoginToken, fixtureNeedTokenToken},
		},
		{
			name: "NeedToken without a token fetches one",
			replies: func(f *fakeWiki) []reply {
				return []reply{{Body: `{"login":{"result":"NeedToken"}}`}, f.loginOK()}
			},
			wantPosts: 2, wantGets: 2,
			wantUser: User{ID: 1, Name: "Admin"},
		},
		{
			name:      "WrongToken retried once with a fresh token",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_wrongtoken.json"), f.loginOK()} },
			wantPosts: 2, wantGets: 2,
			wantUser: User{ID: 1, Name: "Admin"},
		},
		{
			name:    "WrongToken twice: no third attempt",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_wrongtoken.json")} },
			wantErr: []error{ErrLoginFailed}, notErr: []error{ErrUnexpectedResponse, ErrWrongCredentials},
			wantRes:   "WrongToken",
			wantPosts: 2, wantGets: 2,
		},
		{
			name:      "API error",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("error_readonly.json")} },
			wantAPI:   "readonly",
			notErr:    []error{ErrLoginFailed},
			wantPosts: 1, wantGets: 1,
		},
		{
			name:      "no login object",
			replies:   func(f *fakeWiki) []reply { return []reply{{Body: `{"batchcomplete":true}`}} },
			wantErr:   []error{ErrUnexpectedResponse},
			wantPosts: 1, wantGets: 1,
		},
		{
			name:      "Success without lgusername",
			replies:   func(f *fakeWiki) []reply { return []reply{{Body: `{"login":{"result":"Success","lguserid":1}}`}} },
			wantErr:   []error{ErrUnexpectedResponse},
			wantPosts: 1, wantGets: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:login", f.fx("tokens_login.json"))
			if tt.wantGets > 1 {
				// Later token requests get fresh tokens from the fake.
				f.set("tokens:login", f.fx("tokens_login.json"), reply{Handle: func(w http.ResponseWriter, r *http.Request) {
					f.write(w, r, reply{Body: `{"batchcomplete":true,"query":{"tokens":{"logintoken":"` +
						strings.ReplaceAll(f.newToken(), `\`, `\\`) + `"}}}`})
				}})
			}
			f.on("login", tt.replies(f)...)

			u, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)

			posts := f.posts("login")
			assert.Len(t, posts, tt.wantPosts, "login POSTs")
			assert.Equal(t, tt.wantGets, f.count("tokens:login"), "login token GETs")
			assert.Len(t, f.all(), tt.wantPosts+tt.wantGets, "nothing else is requested")
			for i, p := range posts {
				assertPost(t, p)
				assert.Equal(t, "json", p.Form.Get("format"))
				assert.Equal(t, "2", p.Form.Get("formatversion"))
				assert.Equal(t, testBotUser, p.Form.Get("lgname"))
				assert.Equal(t, testBotPassword, p.Form.Get("lgpassword"))
				assert.NotEmpty(t, p.Form.Get("lgtoken"))
				assert.Equal(t, "raw", p.Form.Get("errorformat"), "raw reasons carry the throttle's wait")
				if i < len(tt.wantTokens) && tt.wantTokens[i] != "" {
					assert.Equal(t, tt.wantTokens[i], p.Form.Get("lgtoken"), "lgtoken of POST %d", i)
				}
			}
			if tt.wantGets > 1 && tt.wantPosts > 1 {
				assert.NotEqual(t, posts[0].Form.Get("lgtoken"), posts[1].Form.Get("lgtoken"), "a retry needs a fresh token")
			}
			for _, r := range f.all() {
				assert.NotContains(t, r.URL, testBotPassword)
				assert.NotContains(t, r.URL, "lgtoken")
				assert.NotContains(t, r.URL, strings.TrimSuffix(fixtureLoginToken, `+\`))
			}

			if len(tt.wantErr) > 0 || tt.wantAPI != "" {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), "mwauth: login: "), err.Error())
				assert.Equal(t, User{}, u)
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
				for _, not := range tt.notErr {
					assert.NotErrorIs(t, err, not)
				}
				if tt.wantAPI != "" {
					var ae *APIError
					require.ErrorAs(t, err, &ae)
					assert.Equal(t, tt.wantAPI, ae.Code)
				}
				if tt.wantRes != "" {
					var le *LoginError
					require.ErrorAs(t, err, &le)
					assert.Equal(t, "login", le.action)
					assert.Equal(t, tt.wantRes, le.Result)
					assert.Equal(t, tt.wantCode, le.Code)
					assert.Equal(t, tt.wantWait, le.Wait)
				}
				st := c.state()
				assert.Equal(t, sessionNone, st.kind, "a failed login leaves the client without a session")
				assert.Zero(t, c.cookieCount(), "a failed login keeps no cookie of the old session")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantUser, u)
			st := c.state()
			assert.Equal(t, sessionLogin, st.kind)
			assert.Equal(t, tt.wantUser, st.u)
			assert.True(t, st.asUser)
			assert.False(t, st.byCreds, "Login's password is not WithBotPassword's")
		})
	}
}

// TestLoginWithBotPasswordCredentials: a Login with exactly the
// WithBotPassword credentials may be logged in again by itself; any
// other Login may not.
func TestLoginWithBotPasswordCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, password string
		wantByCreds          bool
	}{
		{name: "same credentials", user: testBotUser, password: testBotPassword, wantByCreds: true},
		{name: "other password", user: testBotUser, password: "a" + testBotPassword[1:]},
		{name: "other user", user: "Alice@localbot", password: testBotPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, WithBotPassword(testBotUser, testBotPassword))
			f.on("login", f.loginOK())
			_, err := c.Login(ctxTimeout(t, 10*time.Second), tt.user, tt.password)
			require.NoError(t, err)
			assert.Equal(t, tt.wantByCreds, c.state().byCreds)
		})
	}
}

func TestLoginRejectsEmptyCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, password string
	}{
		{name: "empty user", password: testBotPassword},
		{name: "empty password", user: testBotUser},
		{name: "both empty"},
		{name: "control character in user", user: "Admin@bot\r\n", password: testBotPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			_, err := c.Login(ctxTimeout(t, 10*time.Second), tt.user, tt.password)
			assert.ErrorIs(t, err, ErrInvalidArgument)
			assert.Empty(t, f.all())
		})
	}
}

// TestLoginStartsFromFreshSession: a second Login must not send the
// cookies of the first session (MediaWiki refuses to log in over a
// bot-password session).
func TestLoginStartsFromFreshSession(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	require.Equal(t, 2, c.cookieCount(), "session and _BPsession cookies")
	old := c.jar.Cookies(mustParse(t, f.endpoint()))
	f.on("login", f.loginOK())
	_, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)
	require.NoError(t, err)
	reqs := f.all()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[0].Cookies, "the token request of a new login carries no old cookie")
	for _, r := range reqs {
		for _, oc := range old {
			assert.NotEqual(t, oc.Value, r.Cookies[oc.Name], "old cookie %s sent", oc.Name)
		}
	}
}

// TestLogout: Logout ends the session on the wiki, forgets cookies and
// tokens, and from then on calls fail before any request.
func TestLogout(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Logout(ctx))

	reqs := f.all()
	require.Len(t, reqs, 2)
	assert.Equal(t, "csrf", reqs[0].param("type"))
	assertPost(t, reqs[1])
	assertPinned(t, reqs[1])
	assert.Equal(t, "logout", reqs[1].Form.Get("action"))
	assert.False(t, isAnonToken(reqs[1].Form.Get("token")))
	assert.Contains(t, f.issued(), reqs[1].Form.Get("token"), "logout uses the CSRF token the wiki gave")

	st := c.state()
	assert.Equal(t, sessionNone, st.kind)
	assert.Equal(t, User{}, st.u)
	assert.True(t, st.loggedOut)
	assert.Zero(t, c.cookieCount(), "logout forgets the cookies")
	assert.Empty(t, cachedTokens(c))

	// Later calls fail locally, without an anonymous request or a login.
	f.on("query", f.fx("edit_success.json"))
	n := len(f.all())
	err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	err = c.PostWithToken(ctx, "", editParams(), nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Len(t, f.all(), n, "no request after Logout")

	// A new login makes the Client usable again.
	f.on("login", f.loginOK())
	_, err = c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	assert.Equal(t, "user", f.last(t).param("assert"))
}

// TestLogoutWithBotPasswordStaysLoggedOut: a Client with WithBotPassword
// does not log in again by itself after Logout.
func TestLogoutWithBotPasswordStaysLoggedOut(t *testing.T) {
	t.Parallel()
	c, f := botClient(t)
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Logout(ctx))
	n := len(f.all())
	err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Len(t, f.all(), n, "no login and no request after Logout")
}

func TestLogoutWhileAnonymous(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Logout(ctx))
	reqs := f.all()
	require.Len(t, reqs, 1, "with the anonymous token there is nothing to log out")
	assert.Equal(t, http.MethodGet, reqs[0].Method)
	assert.False(t, c.state().loggedOut, "a Client never given a user keeps working anonymously")
	f.on("query", f.fx("edit_success.json"))
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}}, nil))
	assert.False(t, f.last(t).has("assert"))
}

func TestLogoutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		reply    func(f *fakeWiki) reply
		wantCode string // of the *APIError; "" means success
	}{
		{name: "success", reply: func(f *fakeWiki) reply { return f.fx("logout.json") }},
		{name: "notloggedin is success", reply: func(*fakeWiki) reply {
			return apiErrorReply("notloggedin", "You must be logged in.")
		}},
		{name: "cannotlogout", reply: func(*fakeWiki) reply {
			return apiErrorReply("cannotlogout", "Logging out is not possible when using OAuth sessions.")
		}, wantCode: "cannotlogout"},
		{name: "readonly", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") }, wantCode: "readonly"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			f.on("logout", tt.reply(f))
			err := c.Logout(ctxTimeout(t, 10*time.Second))
			assert.Len(t, f.posts("logout"), 1, "logout is never retried")
			assert.True(t, c.state().loggedOut, "calls fail after Logout, even a failed one")
			if tt.wantCode == "" {
				assert.NoError(t, err)
				assert.Equal(t, sessionNone, c.state().kind)
				return
			}
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.wantCode, ae.Code)
			assert.Equal(t, sessionLogin, c.state().kind, "the cookies are kept so that Logout can be tried again")
			assert.Equal(t, 2, c.cookieCount())
		})
	}
}

func TestLogoutContextCanceled(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	f.on("logout", hang())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, c.Logout(ctx), context.DeadlineExceeded)
	assert.Equal(t, sessionLogin, c.state().kind, "an unfinished logout keeps the session")
	assert.True(t, c.state().loggedOut)
}

// TestLogoutAfterSessionExpiry: when the wiki has forgotten the session,
// the cached CSRF token gets badtoken; Logout asks once more, gets the
// anonymous token and only forgets.
func TestLogoutAfterSessionExpiry(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)
	_, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	f.set("logout", apiErrorReply("badtoken", "Invalid CSRF token."))
	f.set("tokens:csrf", f.fx("tokens_csrf_anon.json"))

	require.NoError(t, c.Logout(ctx))
	assert.Equal(t, sessionNone, c.state().kind)
	assert.Len(t, f.posts("logout"), 1, "the anonymous token needs no logout POST")
}

// TestFlowLockHonoursContext: a goroutine waiting for another login flow
// to end gives up when its own context ends.
func TestFlowLockHonoursContext(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t, WithBotPassword(testBotUser, testBotPassword))
	f.on("login", hang())
	loginCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	loginDone := make(chan struct{})
	go func() {
		defer close(loginDone)
		_, _ = c.Login(loginCtx, testBotUser, testBotPassword)
	}()
	require.True(t, waitUntil(5*time.Second, func() bool { return f.count("login") == 1 }))

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{name: "login", call: func(ctx context.Context) error {
			_, err := c.Login(ctx, testBotUser, testBotPassword)
			return err
		}},
		{name: "logout", call: c.Logout},
		{name: "clientlogin", call: func(ctx context.Context) error {
			_, err := c.ClientLogin(ctx, passwordLogin())
			return err
		}},
		{name: "continueclientlogin", call: func(ctx context.Context) error {
			_, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
			return err
		}},
		{name: "resume that logs in", call: func(ctx context.Context) error {
			_, err := c.Resume(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		ctx, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := tt.call(ctx)
		stop()
		assert.ErrorIs(t, err, context.DeadlineExceeded, tt.name)
		assert.Less(t, time.Since(start), 2*time.Second, "%s waited past its context", tt.name)
	}
	cancel()
	<-loginDone
}

// TestLoginRefusesControlCharacters: a user name with CR/LF or another
// control character is refused before any request.
func TestLoginRefusesControlCharacters(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"Admin\r\n@localbot", "Admin\x00@localbot", "Admin\u0085@localbot", ""} {
		c, f := setup(t)
		_, err := c.Login(ctxTimeout(t, 10*time.Second), name, testBotPassword)
		assert.ErrorIs(t, err, ErrInvalidArgument, "%q", name)
		assert.Empty(t, f.all(), "refused before any request")
	}
}
