package mwauth

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// passwordLogin is the first request of an interactive login.
func passwordLogin() ClientLoginRequest {
	return ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword}}
}

func TestClientLoginSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      func(f *fakeWiki) reply
		wantStatus Status
		wantErr    error // of ClientLogin
		wantStep   []error
		wantPosts  int // 0 means 1
		check      func(t *testing.T, s *Step)
	}{
		{
			name: "PASS", reply: func(f *fakeWiki) reply { return f.passOK() },
			wantStatus: StatusPass,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "Alice", s.Username)
				assert.Empty(t, s.Requests)
			},
		},
		{
			name: "FAIL wrongpassword", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_wrongpassword.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrWrongCredentials},
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "wrongpassword", s.MessageCode)
				assert.Equal(t, "Incorrect username or password entered.\nPlease try again.", s.Message)
				assert.False(t, s.CanPreserveState)
			},
		},
		{
			name: "FAIL formatversion=1", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_fv1.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrWrongCredentials},
		},
		{
			name: "FAIL authmanager-authn-not-in-progress", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_notinprogress.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrSessionLost},
		},
		{
			// The wiki refused before trying the credentials: ClientLogin
			// starts once more from a fresh session.
			name: "FAIL userlogin-cannot-login", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_cannotlogin.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrLoginNotAllowed}, wantPosts: 2,
		},
		{
			name: "FAIL login-throttled", reply: func(*fakeWiki) reply {
				return reply{Body: `{"clientlogin":{"status":"FAIL","message":"You have made too many recent login attempts. Please wait 1 minute before trying again.","messagecode":"login-throttled","canpreservestate":false}}`}
			},
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrThrottled},
		},
		{
			name: "UI OATHToken", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_oathtoken.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "oathauth-auth-ui", s.MessageCode)
				assert.Contains(t, s.Message, "two-factor")
				require.Len(t, s.Requests, 1)
				r := s.Requests[0]
				assert.True(t, strings.HasSuffix(r.ID, `\TOTPAuthenticationRequest`))
				assert.Equal(t, "required", r.Required)
				assert.Equal(t, "Two-factor authentication (OATH).", r.Provider)
				assert.Equal(t, "TwoFAUser", r.Account)
				assert.JSONEq(t, `{}`, string(r.Metadata))
				require.Len(t, r.Fields, 1)
				assert.Equal(t, Field{Name: "OATHToken", Type: "string", Label: "Two-factor token or recovery code",
					Help: "The one-time password used as the second factor of two-factor authentication."}, r.Fields[0])
				assert.Empty(t, s.Fields)
				assert.Equal(t, r.Fields, s.AllFields())
			},
		},
		{
			name: "UI oathauth-login-failed", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_oath_failed.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "oathauth-login-failed", s.MessageCode)
				assert.Equal(t, "Verification failed.", s.Message)
			},
		},
		{
			name: "UI merged fields", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_merged.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				require.Len(t, s.Requests, 1)
				assert.Empty(t, s.Requests[0].Fields)
				require.Len(t, s.Fields, 1)
				assert.Equal(t, "OATHToken", s.Fields[0].Name)
				assert.Equal(t, s.Fields, s.AllFields())
			},
		},
		{
			name: "UI loginmessageformat=raw", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_raw.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "oathauth-auth-ui", s.Message, "a raw message is kept as its key")
				require.Len(t, s.Requests, 1)
				assert.Equal(t, "oathauth-describe-provider", s.Requests[0].Provider)
				assert.Equal(t, "$1", s.Requests[0].Account)
				require.Len(t, s.Requests[0].Fields, 1)
				assert.Equal(t, "oathauth-auth-token-label", s.Requests[0].Fields[0].Label)
				assert.Equal(t, "oathauth-auth-token-help", s.Requests[0].Fields[0].Help)
			},
		},
		{
			name: "UI formatversion=1 booleans", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_fv1.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "resetpass-expired-soft", s.MessageCode)
				fields := s.AllFields()
				require.Len(t, fields, 3)
				assert.Equal(t, []string{"password", "retype", "skipReset"},
					[]string{fields[0].Name, fields[1].Name, fields[2].Name}, "the server's order is kept")
				assert.True(t, fields[0].Sensitive)
				assert.False(t, fields[0].Optional)
				assert.True(t, fields[1].Sensitive)
				assert.Equal(t, "button", fields[2].Type)
				assert.True(t, fields[2].Optional)
				assert.False(t, fields[2].Sensitive)
			},
		},
		{
			name: "UI select options and hidden value", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_domain.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				fields := s.AllFields()
				require.Len(t, fields, 4)
				assert.True(t, fields[1].Sensitive, "password")
				domain := fields[2]
				assert.Equal(t, "domain", domain.Name)
				assert.Equal(t, "select", domain.Type)
				assert.Equal(t, []FieldOption{{Value: "corp", Label: "Corporate LDAP"}, {Value: "lab", Label: "Lab directory"},
					{Value: "local", Label: "Local accounts"}}, domain.Options, "options in the server's order")
				hidden := fields[3]
				assert.Equal(t, "hidden", hidden.Type)
				assert.Equal(t, "4711", hidden.Value)
			},
		},
		{
			name: "REDIRECT", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_redirect.json") },
			wantStatus: StatusRedirect,
			check: func(t *testing.T, s *Step) {
				assert.True(t, strings.HasPrefix(s.RedirectTarget, "http://127.0.0.1:8080/fakesso-idp?state=0000000000000001"))
				assert.JSONEq(t, `{"state":"0000000000000001"}`, string(s.RedirectData))
				require.Len(t, s.Requests, 1)
				assert.Equal(t, "LocalWikiFakeSSOCodeRequest", s.Requests[0].ID)
				require.Len(t, s.AllFields(), 1)
				assert.Equal(t, "fakessocode", s.AllFields()[0].Name)
				assert.Empty(t, s.MessageCode)
			},
		},
		{
			name: "RESTART", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_restart.json") },
			wantStatus: StatusRestart,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "authmanager-authn-no-local-user", s.MessageCode)
				assert.False(t, s.CanPreserveState)
				require.Len(t, s.Requests, 3)
				assert.True(t, strings.HasSuffix(s.Requests[1].ID, ":fakessologin"))
				fields := s.AllFields()
				require.Len(t, fields, 4)
				assert.Equal(t, "button", fields[2].Type)
				assert.Equal(t, "checkbox", fields[3].Type)
				assert.True(t, fields[3].Optional)
				assert.NoError(t, s.Err(), "a RESTART is not a FAIL")
			},
		},
		{
			name: "unknown status", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_unknown_status.json") },
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "PASS without username", reply: func(*fakeWiki) reply { return reply{Body: `{"clientlogin":{"status":"PASS"}}`} },
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "REDIRECT without target", reply: func(*fakeWiki) reply {
				return reply{Body: `{"clientlogin":{"status":"REDIRECT","requests":[]}}`}
			},
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "no clientlogin object", reply: func(*fakeWiki) reply { return reply{Body: `{"batchcomplete":true}`} },
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "malformed fields", reply: func(*fakeWiki) reply {
				return reply{Body: `{"clientlogin":{"status":"UI","requests":[{"id":"X","fields":["OATHToken"]}]}}`}
			},
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "readonly", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") },
			wantErr: ErrReadOnly,
		},
		{
			name: "html error page", reply: func(*fakeWiki) reply {
				return reply{Status: 503, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>Service Unavailable</html>"}
			},
			wantErr: ErrUnexpectedResponse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:login", f.fx("tokens_login.json"))
			f.on("clientlogin", tt.reply(f))

			step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())

			reqs := f.all()
			posts := tt.wantPosts
			if posts == 0 {
				posts = 1
			}
			require.Len(t, reqs, 2*posts, "a login token, then the clientlogin POST")
			assert.Equal(t, "login", reqs[0].param("type"))
			p := reqs[1]
			assertPost(t, p)
			assertPinned(t, p)
			assert.Equal(t, "clientlogin", p.Form.Get("action"))
			assert.Equal(t, fixtureLoginToken, p.Form.Get("logintoken"))
			assert.Equal(t, testUser, p.Form.Get("username"))
			assert.Equal(t, testUserPassword, p.Form.Get("password"))
			assert.Equal(t, f.srv.URL+"/w/index.php", p.Form.Get("loginreturnurl"))
			assert.False(t, p.has("logincontinue"))
			for _, r := range reqs {
				assert.NotContains(t, r.URL, "password")
				assert.NotContains(t, r.URL, strings.TrimSuffix(fixtureLoginToken, `+\`))
			}

			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, step)
				assert.Equal(t, sessionNone, c.state().kind)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, step)
			assert.Equal(t, tt.wantStatus, step.Status)
			if len(tt.wantStep) > 0 {
				stepErr := step.Err()
				for _, want := range tt.wantStep {
					assert.ErrorIs(t, stepErr, want)
				}
			} else {
				assert.NoError(t, step.Err())
			}
			if tt.check != nil {
				tt.check(t, step)
			}
			st := c.state()
			if tt.wantStatus == StatusPass {
				assert.Equal(t, sessionClientLogin, st.kind)
				assert.Equal(t, "Alice", st.username)
				assert.Nil(t, c.creds, "a clientlogin session keeps no password")
			} else {
				assert.Equal(t, sessionNone, st.kind)
			}
		})
	}
}

func TestClientLoginRequestParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		req     ClientLoginRequest
		wantErr bool
		want    map[string]string // "" means absent
	}{
		{
			name: "defaults",
			req:  passwordLogin(),
			want: map[string]string{"loginrequests": "", "loginmessageformat": "", "loginmergerequestfields": "",
				"loginpreservestate": "", "logincontinue": ""},
		},
		{
			name: "explicit return URL",
			req:  ClientLoginRequest{ReturnURL: "https://bot.example.org/oauth/return?x=1"},
			want: map[string]string{"loginreturnurl": "https://bot.example.org/oauth/return?x=1"},
		},
		{
			name: "requests, message format, merge, preserve",
			req: ClientLoginRequest{Requests: []string{`MediaWiki\Auth\PasswordAuthenticationRequest`, `MediaWiki\Auth\RememberMeAuthenticationRequest`},
				MessageFormat: "raw", MergeRequestFields: true, PreserveState: true},
			want: map[string]string{
				"loginrequests":           `MediaWiki\Auth\PasswordAuthenticationRequest|MediaWiki\Auth\RememberMeAuthenticationRequest`,
				"loginmessageformat":      "raw",
				"loginmergerequestfields": "1",
				"loginpreservestate":      "1",
			},
		},
		{
			name: "booleans: set ones are sent, empty ones are not",
			req: ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword,
				"rememberMe": "1", "fakessologin": "", "skipReset": ""}},
			want: map[string]string{"rememberMe": "1", "fakessologin": "", "skipReset": "", "username": testUser},
		},
		{name: "relative return URL", req: ClientLoginRequest{ReturnURL: "/index.php"}, wantErr: true},
		{name: "return URL without host", req: ClientLoginRequest{ReturnURL: "mailto:admin@example.org"}, wantErr: true},
		{name: "unknown message format", req: ClientLoginRequest{MessageFormat: "plaintext"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("clientlogin", f.fx("clientlogin_fail_wrongpassword.json"))
			_, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), tt.req)
			if tt.wantErr {
				assert.Error(t, err)
				assert.Empty(t, f.all(), "a bad request must not reach the wiki")
				return
			}
			require.NoError(t, err)
			posts := f.posts("clientlogin")
			require.Len(t, posts, 1)
			for k, v := range tt.want {
				if v == "" {
					assert.False(t, posts[0].has(k), "parameter %s must not be sent", k)
				} else {
					assert.Equal(t, v, posts[0].Form.Get(k), "parameter %s", k)
				}
			}
		})
	}
}

// TestContinueClientLogin runs a two-factor flow: the UI step's answer
// goes with logincontinue and the same login token.
func TestContinueClientLogin(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.fx("clientlogin_ui_oath_failed.json"), f.passOK())

	step, err := c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "000000", "rememberMe": ""})
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)
	assert.Equal(t, "oathauth-login-failed", step.MessageCode)
	assert.Equal(t, sessionNone, c.state().kind)
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status)
	assert.Equal(t, sessionClientLogin, c.state().kind)

	posts := f.posts("clientlogin")
	require.Len(t, posts, 3)
	assert.Equal(t, 1, f.count("tokens:login"), "the flow reuses its login token")
	tok := posts[0].Form.Get("logintoken")
	for i, p := range posts[1:] {
		assertPost(t, p)
		assertPinned(t, p)
		assert.Equal(t, "1", p.Form.Get("logincontinue"), "continue %d", i)
		assert.Equal(t, tok, p.Form.Get("logintoken"))
		assert.False(t, p.has("loginreturnurl"))
		assert.False(t, p.has("username"))
		assert.False(t, p.has("password"), "the password is not sent again")
		assert.False(t, p.has("rememberMe"))
	}
	assert.Equal(t, "000000", posts[1].Form.Get("OATHToken"))
	assert.Equal(t, testOTP, posts[2].Form.Get("OATHToken"))
	for _, r := range f.all() {
		assert.NotContains(t, r.URL, testOTP)
	}

	// The PASS reset the tokens: a CSRF token is fetched fresh.
	csrf, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	assert.False(t, isAnonToken(csrf))
	assert.Equal(t, 1, f.count("tokens:csrf"))
}

func TestContinueClientLoginBadTokenIsSessionLost(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken"))
	_, err := c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)

	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	assert.Nil(t, step)
	assert.ErrorIs(t, err, ErrSessionLost)
	assert.ErrorIs(t, err, ErrBadToken)
	var ae *APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "badtoken", ae.Code)
	assert.Len(t, f.posts("clientlogin"), 2, "a continue is never retried")
	assert.Equal(t, 1, f.count("tokens:login"))

	// Starting again fetches a new login token.
	f.set("clientlogin", f.fx("clientlogin_ui_oathtoken.json"))
	_, err = c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)
	assert.Equal(t, 2, f.count("tokens:login"), "the refused token was dropped")
}

func TestClientLoginBadTokenRetriedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		replies   func(f *fakeWiki) []reply
		wantErr   error
		wantPosts int
	}{
		{name: "badtoken then PASS", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_badtoken.json"), f.passOK()}
		}, wantPosts: 2},
		{name: "always badtoken", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_badtoken.json")}
		}, wantErr: ErrBadToken, wantPosts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("clientlogin", tt.replies(f)...)
			step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.NotErrorIs(t, err, ErrSessionLost)
			} else {
				require.NoError(t, err)
				assert.Equal(t, StatusPass, step.Status)
			}
			posts := f.posts("clientlogin")
			require.Len(t, posts, tt.wantPosts)
			assert.Equal(t, tt.wantPosts, f.count("tokens:login"))
			assert.NotEqual(t, posts[0].Form.Get("logintoken"), posts[1].Form.Get("logintoken"))
		})
	}
}

// TestClientLoginAfterBotPasswordLogin: a bot-password session cannot log
// in again, so ClientLogin starts a fresh session and sends none of its
// cookies.
func TestClientLoginAfterBotPasswordLogin(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	old := c.Jar().Cookies(mustParse(t, f.endpoint()))
	require.Len(t, old, 2)
	f.on("clientlogin", f.passOK())

	step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status)
	reqs := f.all()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[0].Cookies, "the new flow starts without cookies")
	for _, r := range reqs {
		assert.Empty(t, r.Cookies[cookieBPSession])
		for _, oc := range old {
			assert.NotEqual(t, oc.Value, r.Cookies[oc.Name])
		}
	}
	assert.Equal(t, sessionClientLogin, c.state().kind)
	assert.Nil(t, c.creds, "the bot password is forgotten")
}

// TestClientLoginCannotLoginStartsFreshOnce: a jar holding a session
// that cannot log in (a bot-password session loaded from a file) makes
// the wiki refuse with userlogin-cannot-login before it looks at the
// credentials; ClientLogin then starts from a fresh session, once.
func TestClientLoginCannotLoginStartsFreshOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		second     func(f *fakeWiki) reply
		wantStatus Status
	}{
		{name: "fresh session passes", second: func(f *fakeWiki) reply { return f.passOK() }, wantStatus: StatusPass},
		{name: "fresh session refused too", second: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_cannotlogin.json") },
			wantStatus: StatusFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			j := newJar(time.Now)
			j.SetCookies(mustParse(t, f.endpoint()), []*http.Cookie{{Name: cookieBPSession, Value: "0ld5e55i0n", Path: "/"}})
			c, err := New(f.endpoint(), WithJar(j))
			require.NoError(t, err)
			f.on("clientlogin", f.fx("clientlogin_fail_cannotlogin.json"), tt.second(f))

			step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
			require.NoError(t, err)
			assert.Equal(t, tt.wantStatus, step.Status)
			posts := f.posts("clientlogin")
			require.Len(t, posts, 2, "one fresh start, not more")
			assert.Equal(t, "0ld5e55i0n", posts[0].Cookies[cookieBPSession])
			assert.Empty(t, posts[1].Cookies[cookieBPSession], "the fresh start sends no old cookie")
			assert.Equal(t, testUserPassword, posts[1].Form.Get("password"))
			assert.NotEqual(t, posts[0].Form.Get("logintoken"), posts[1].Form.Get("logintoken"),
				"the fresh session needs its own login token")
		})
	}
}

func TestClientLoginPreserveStateKeepsSession(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	f.on("clientlogin", f.fx("clientlogin_fail_cannotlogin.json"))
	req := passwordLogin()
	req.PreserveState = true
	step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), req)
	require.NoError(t, err)
	assert.ErrorIs(t, step.Err(), ErrLoginNotAllowed)
	posts := f.posts("clientlogin")
	require.Len(t, posts, 1, "with PreserveState there is no fresh start")
	assert.NotEmpty(t, posts[0].Cookies[cookieBPSession], "PreserveState keeps the session")
}

// TestClientLoginCanceledMidFlow: cancelling during a continue returns the
// context's error and sends nothing more.
func TestClientLoginCanceledMidFlow(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	arrived := make(chan struct{})
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}})
	step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)

	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, step)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Len(t, f.posts("clientlogin"), 2)
	assert.Equal(t, sessionNone, c.state().kind)
}

func TestAuthManagerInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		req       AuthInfoRequest
		reply     string
		wantErr   error
		wantParam map[string]string // "" means absent
		check     func(t *testing.T, a *AuthInfo)
		cached    bool // a login token came with the answer
	}{
		{
			name: "login", req: AuthInfoRequest{For: "login"}, reply: "authmanagerinfo_login.json",
			wantParam: map[string]string{"meta": "authmanagerinfo|tokens", "type": "login", "amirequestsfor": "login",
				"amimergerequestfields": "", "amimessageformat": ""},
			cached: true,
			check: func(t *testing.T, a *AuthInfo) {
				assert.True(t, a.CanAuthenticateNow)
				assert.True(t, a.CanCreateAccounts)
				assert.False(t, a.CanLinkAccounts)
				assert.False(t, a.HasPreservedState)
				require.Len(t, a.Requests, 2)
				fields := a.AllFields()
				require.Len(t, fields, 3)
				assert.Equal(t, "username", fields[0].Name)
				assert.True(t, fields[1].Sensitive)
				assert.Equal(t, "checkbox", fields[2].Type)
			},
		},
		{
			name: "captcha required", req: AuthInfoRequest{For: "login"}, reply: "authmanagerinfo_captcha.json", cached: true,
			check: func(t *testing.T, a *AuthInfo) {
				require.Len(t, a.Requests, 3)
				cap := captchaRequest(a.Requests)
				require.NotNil(t, cap)
				assert.JSONEq(t, `{"type":"question","mime":"text/html"}`, string(cap.Metadata))
				require.Len(t, cap.Fields, 3)
				assert.Equal(t, Field{Name: "captchaId", Type: "hidden", Label: "CAPTCHA ID",
					Help: "This value should be sent back unchanged.", Value: "1134311198057116441"}, cap.Fields[0])
				assert.Equal(t, "null", cap.Fields[1].Type)
				assert.Equal(t, "What is the name of this test wiki?", cap.Fields[1].Value)
				assert.Equal(t, "captchaWord", cap.Fields[2].Name)
			},
		},
		{
			name: "merged", req: AuthInfoRequest{For: "login", MergeRequestFields: true, MessageFormat: "wikitext"},
			reply: "authmanagerinfo_captcha_merged.json", cached: true,
			wantParam: map[string]string{"amimergerequestfields": "1", "amimessageformat": "wikitext"},
			check: func(t *testing.T, a *AuthInfo) {
				require.Len(t, a.Fields, 6)
				assert.Equal(t, a.Fields, a.AllFields())
				assert.Equal(t, "captchaId", a.Fields[0].Name)
			},
		},
		{
			name: "formatversion=1 booleans", req: AuthInfoRequest{For: "login"}, reply: "authmanagerinfo_fv1.json",
			check: func(t *testing.T, a *AuthInfo) {
				assert.True(t, a.CanAuthenticateNow)
				assert.False(t, a.CanLinkAccounts)
				fields := a.AllFields()
				require.Len(t, fields, 3)
				assert.False(t, fields[0].Sensitive)
				assert.True(t, fields[1].Sensitive)
				assert.True(t, fields[2].Optional)
			},
		},
		{
			name: "capabilities only", req: AuthInfoRequest{SecuritySensitiveOperation: "ChangeEmail"},
			reply:     "authmanagerinfo_login.json",
			wantParam: map[string]string{"meta": "authmanagerinfo", "type": "", "amirequestsfor": "", "amisecuritysensitiveoperation": "ChangeEmail"},
		},
		{
			name: "login-continue", req: AuthInfoRequest{For: "login-continue"}, reply: "authmanagerinfo_login.json",
			wantParam: map[string]string{"meta": "authmanagerinfo", "type": "", "amirequestsfor": "login-continue"},
		},
		{name: "unsupported For", req: AuthInfoRequest{For: "create"}, wantErr: errAny},
		{name: "no authmanagerinfo", req: AuthInfoRequest{For: "login"}, reply: "tokens_login.json", wantErr: ErrUnexpectedResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			ctx := ctxTimeout(t, 10*time.Second)
			if tt.reply != "" {
				f.on("authmanagerinfo", f.fx(tt.reply))
				f.on("tokens:login", f.fx("tokens_login.json"))
			}
			a, err := c.AuthManagerInfo(ctx, tt.req)
			if tt.wantErr == errAny {
				assert.Error(t, err)
				assert.Empty(t, f.all())
				return
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			reqs := f.all()
			require.Len(t, reqs, 1)
			assert.Equal(t, http.MethodGet, reqs[0].Method)
			assertPinned(t, reqs[0])
			for k, v := range tt.wantParam {
				if v == "" {
					assert.False(t, reqs[0].has(k), "parameter %s must not be sent", k)
				} else {
					assert.Equal(t, v, reqs[0].param(k), "parameter %s", k)
				}
			}
			if tt.check != nil {
				tt.check(t, a)
			}

			// A login right after uses the token that came with the answer.
			f.on("clientlogin", f.fx("clientlogin_fail_wrongpassword.json"))
			_, err = c.ClientLogin(ctx, passwordLogin())
			require.NoError(t, err)
			post := f.posts("clientlogin")[0]
			if tt.cached {
				assert.Equal(t, 0, f.count("tokens:login"), "no extra round trip for the login token")
				assert.True(t, strings.HasPrefix(post.Form.Get("logintoken"), "abad1dea"))
			} else {
				assert.Equal(t, 1, f.count("tokens:login"))
				assert.Equal(t, fixtureLoginToken, post.Form.Get("logintoken"))
			}
		})
	}
}

// errAny marks a test case that expects some error, of no sentinel.
var errAny = &protocolError{msg: "any"}

func TestClientLoginRequestString(t *testing.T) {
	t.Parallel()
	req := ClientLoginRequest{ReturnURL: "https://bot.example.org/return",
		Fields: map[string]string{"username": testUser, "password": testUserPassword, "OATHToken": testOTP}}
	for _, s := range []string{req.String(), req.GoString()} {
		assert.Contains(t, s, "OATHToken")
		assert.Contains(t, s, "password")
		assert.NotContains(t, s, testUserPassword)
		assert.NotContains(t, s, testOTP)
		assert.NotContains(t, s, testUser)
	}
}

func TestStepAllFieldsDeduplicates(t *testing.T) {
	t.Parallel()
	s := &Step{Requests: []AuthRequest{
		{ID: "A", Fields: []Field{{Name: "username", Label: "first"}, {Name: "password"}}},
		{ID: "B", Fields: []Field{{Name: "username", Label: "second"}, {Name: "domain"}}},
	}}
	fields := s.AllFields()
	require.Len(t, fields, 3)
	assert.Equal(t, "first", fields[0].Label, "the first request's field wins")
	assert.Equal(t, []string{"username", "password", "domain"}, []string{fields[0].Name, fields[1].Name, fields[2].Name})
}
