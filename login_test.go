package mwauth

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
		wantCode  string
		wantRes   string // Result of the LoginError
		wantPosts int
		wantGets  int
		// wantTokens are the lgtoken values of the POSTs; "" means a
		// token the fake made up, checked only for presence.
		wantTokens []string
		check      func(t *testing.T, res *LoginResult)
	}{
		{
			name:      "success",
			replies:   func(f *fakeWiki) []reply { return []reply{f.loginOK()} },
			wantPosts: 1, wantGets: 1,
			wantTokens: []string{fixtureLoginToken},
			check: func(t *testing.T, res *LoginResult) {
				assert.Equal(t, &LoginResult{UserID: 1, Username: "Admin"}, res)
			},
		},
		{
			name:      "main-account success with deprecation warnings",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_success_deprecated.json").setting(cookieUserID)} },
			wantPosts: 1, wantGets: 1,
			wantTokens: []string{fixtureLoginToken},
			check: func(t *testing.T, res *LoginResult) {
				require.Len(t, res.Warnings, 2)
				assert.Equal(t, "deprecation", res.Warnings[0].Code)
				assert.Equal(t, "login", res.Warnings[0].Module)
				assert.Contains(t, res.Warnings[0].Text, "action=clientlogin")
				assert.Equal(t, "deprecation-help", res.Warnings[1].Code)
				assert.Equal(t, "main", res.Warnings[1].Module)
			},
		},
		{
			name:    "wrong password is never retried",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_wrongpassword.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantRes: "Failed", wantCode: "wrongpassword",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "throttled",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_throttled.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrThrottled},
			wantRes: "Failed", wantCode: "login-throttled",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "session lost",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_failed_sessionlost.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrSessionLost},
			wantRes: "Failed", wantCode: "sessionlost",
			wantPosts: 1, wantGets: 1,
		},
		{
			name: "session lost under its message key",
			replies: func(f *fakeWiki) []reply {
				return []reply{{Body: `{"login":{"result":"Failed","reason":{"code":"authpage-cannot-login-continue","text":"Unable to continue login. Your session most likely timed out."}}}`}}
			},
			wantErr: []error{ErrLoginFailed, ErrSessionLost},
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
			wantErr: []error{ErrLoginFailed, ErrInteractionRequired},
			wantRes: "Aborted", wantCode: "api-login-fail-aborted",
			wantPosts: 1, wantGets: 1,
		},
		{
			name:    "aborted: bad session provider",
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("login_aborted_badsessionprovider.json"), f.loginOK()} },
			wantErr: []error{ErrLoginFailed, ErrLoginNotAllowed},
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
			check: func(t *testing.T, res *LoginResult) {
				assert.Equal(t, "Admin", res.Username)
				assert.Empty(t, res.Warnings, "warnings are those of the answer that succeeded")
			},
		},
		{
			name:      "NeedToken twice",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_needtoken.json")} },
			wantErr:   []error{ErrLoginFailed, ErrBadToken},
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
		},
		{
			name:      "WrongToken retried once with a fresh token",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_wrongtoken.json"), f.loginOK()} },
			wantPosts: 2, wantGets: 2,
		},
		{
			name:      "WrongToken twice: no third attempt",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("login_wrongtoken.json")} },
			wantErr:   []error{ErrLoginFailed, ErrBadToken},
			wantRes:   "WrongToken",
			wantPosts: 2, wantGets: 2,
		},
		{
			name:      "API error",
			replies:   func(f *fakeWiki) []reply { return []reply{f.fx("error_readonly.json")} },
			wantErr:   []error{ErrReadOnly},
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

			res, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)

			posts := f.posts("login")
			assert.Len(t, posts, tt.wantPosts, "login POSTs")
			assert.Equal(t, tt.wantGets, f.count("tokens:login"), "login token GETs")
			assert.Len(t, f.all(), tt.wantPosts+tt.wantGets, "nothing else is requested")
			for i, p := range posts {
				assertPost(t, p)
				assertPinned(t, p)
				assert.Equal(t, testBotUser, p.Form.Get("lgname"))
				assert.Equal(t, testBotPassword, p.Form.Get("lgpassword"))
				assert.NotEmpty(t, p.Form.Get("lgtoken"))
				assert.False(t, p.has("lgdomain"))
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

			if len(tt.wantErr) > 0 {
				require.Error(t, err)
				assert.Nil(t, res)
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
				if tt.wantRes != "" {
					var le *LoginError
					require.ErrorAs(t, err, &le)
					assert.Equal(t, "login", le.Action)
					assert.Equal(t, tt.wantRes, le.Result)
					assert.Equal(t, tt.wantCode, le.Code)
				}
				assert.Equal(t, sessionNone, c.state().kind, "a failed login leaves the client logged out")
				assert.Nil(t, c.creds, "a failed login keeps no credentials")
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, res)
			}
			st := c.state()
			assert.Equal(t, sessionLogin, st.kind)
			assert.Equal(t, "Admin", st.username)
			require.NotNil(t, c.creds)
			assert.Equal(t, testBotUser, c.creds.username)
		})
	}
}

func TestLoginDomain(t *testing.T) {
	t.Parallel()
	c, f := setup(t, WithLoginDomain("corp"))
	f.on("login", f.loginOK())
	_, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)
	require.NoError(t, err)
	posts := f.posts("login")
	require.Len(t, posts, 1)
	assert.Equal(t, "corp", posts[0].Form.Get("lgdomain"))
}

func TestLoginRejectsEmptyCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, password string
	}{
		{name: "empty user", password: testBotPassword},
		{name: "empty password", user: testBotUser},
		{name: "both empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			_, err := c.Login(ctxTimeout(t, 10*time.Second), tt.user, tt.password)
			assert.Error(t, err)
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
	require.Equal(t, 2, jarLen(c.jar), "session and _BPsession cookies")
	old := c.Jar().Cookies(mustParse(t, f.endpoint()))
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
	tok, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	assert.False(t, isAnonToken(tok))
	require.Len(t, f.all(), 3)
	r := f.last(t)
	assert.Equal(t, "csrf", r.param("type"))
	assert.NotEmpty(t, r.Cookies[cookieBPSession], "the token request carries the new session")
	_, err = c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	assert.Len(t, f.all(), 3)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)
	require.NoError(t, c.Logout(ctx))

	reqs := f.all()
	require.Len(t, reqs, 2)
	assert.Equal(t, "csrf", reqs[0].param("type"))
	tok := f.issued()
	require.NotEmpty(t, tok)
	assertPost(t, reqs[1])
	assertPinned(t, reqs[1])
	assert.Equal(t, "logout", reqs[1].Form.Get("action"))
	assert.False(t, isAnonToken(reqs[1].Form.Get("token")))
	assert.Contains(t, tok, reqs[1].Form.Get("token"), "logout uses the CSRF token the wiki gave")

	st := c.state()
	assert.Equal(t, sessionNone, st.kind)
	assert.Empty(t, st.username)
	assert.Nil(t, c.creds, "logout forgets the credentials")
	assert.Zero(t, jarLen(c.jar), "logout forgets the cookies")
	assert.Empty(t, c.tokens)

	// A later call is anonymous: no assert, and no re-login.
	f.on("query", f.fx("edit_success.json"))
	_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
	require.NoError(t, err)
	assert.False(t, f.last(t).has("assert"))
}

func TestLogoutWhileAnonymous(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	require.NoError(t, c.Logout(ctxTimeout(t, 10*time.Second)))
	reqs := f.all()
	require.Len(t, reqs, 1, "with the anonymous token there is nothing to log out")
	assert.Equal(t, http.MethodGet, reqs[0].Method)
}

func TestLogoutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		reply   func(f *fakeWiki) reply
		wantErr error
		wantOut bool // the client is logged out afterwards
	}{
		{name: "success", reply: func(f *fakeWiki) reply { return f.fx("logout.json") }, wantOut: true},
		{name: "notloggedin warning-as-error is success", reply: func(*fakeWiki) reply {
			return apiErrorReply("notloggedin", "You must be logged in.")
		}, wantOut: true},
		{name: "cannotlogout", reply: func(*fakeWiki) reply {
			return apiErrorReply("cannotlogout", "Logging out is not possible when using OAuth sessions.")
		}, wantErr: ErrLoginNotAllowed},
		{name: "readonly", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") }, wantErr: ErrReadOnly},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := loggedIn(t)
			f.on("logout", tt.reply(f))
			err := c.Logout(ctxTimeout(t, 10*time.Second))
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			assert.Len(t, f.posts("logout"), 1, "logout is never retried")
			if tt.wantOut {
				assert.Equal(t, sessionNone, c.state().kind)
			} else {
				assert.Equal(t, sessionLogin, c.state().kind)
			}
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
}
