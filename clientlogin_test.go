package mwauth

// clientlogin_test.go: action=clientlogin, its steps and fields, and
// meta=authmanagerinfo (clientlogin.go).

import (
	"context"
	"fmt"
	"log/slog"
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

// fieldNames lists the names of fields.
func fieldNames(fields []Field) []string {
	var out []string
	for _, f := range fields {
		out = append(out, f.Name)
	}
	return out
}

func TestClientLoginSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      func(f *fakeWiki) reply
		wantStatus Status
		wantErr    error // of ClientLogin
		wantAPI    string
		wantStep   []error
		check      func(t *testing.T, s *Step)
	}{
		{
			name: "PASS", reply: func(f *fakeWiki) reply { return f.passOK() },
			wantStatus: StatusPass,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, User{Name: "Alice"}, s.User)
				assert.Empty(t, s.Requests)
			},
		},
		{
			name: "FAIL wrongpassword", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_wrongpassword.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrWrongCredentials},
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "wrongpassword", s.MessageCode)
				assert.Equal(t, "Incorrect username or password entered.\nPlease try again.", s.Message)
				assert.False(t, s.preserve)
			},
		},
		{
			name: "FAIL formatversion=1", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_fv1.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrWrongCredentials},
		},
		{
			name: "FAIL authmanager-authn-not-in-progress", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_notinprogress.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed},
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "authmanager-authn-not-in-progress", s.MessageCode)
			},
		},
		{
			name: "FAIL userlogin-cannot-login", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_fail_cannotlogin.json") },
			wantStatus: StatusFail, wantStep: []error{ErrLoginFailed, ErrInteractionRequired},
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
				assert.Equal(t, "required", r.required)
				require.Len(t, r.Fields, 1)
				assert.Equal(t, Field{Name: "OATHToken", Type: FieldString, Label: "Two-factor token or recovery code"}, r.Fields[0])
				assert.Equal(t, r.Fields, s.Fields())
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
			name: "UI with merged fields: they go to the first request", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_merged.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				require.Len(t, s.Requests, 1)
				assert.Equal(t, []string{"OATHToken"}, fieldNames(s.Requests[0].Fields))
				assert.Equal(t, s.Requests[0].Fields, s.Fields())
			},
		},
		{
			name: "UI loginmessageformat=raw", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_raw.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "oathauth-auth-ui", s.Message, "a raw message is kept as its key")
				require.Len(t, s.Requests, 1)
				require.Len(t, s.Requests[0].Fields, 1)
				assert.Equal(t, "oathauth-auth-token-label", s.Requests[0].Fields[0].Label)
			},
		},
		{
			name: "UI formatversion=1 booleans", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_fv1.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "resetpass-expired-soft", s.MessageCode)
				fields := s.Fields()
				require.Len(t, fields, 3)
				assert.Equal(t, []string{"password", "retype", "skipReset"}, fieldNames(fields), "the server's order is kept")
				assert.True(t, fields[0].Sensitive)
				assert.False(t, fields[0].Optional)
				assert.True(t, fields[1].Sensitive)
				assert.Equal(t, FieldButton, fields[2].Type)
				assert.True(t, fields[2].Optional)
				assert.False(t, fields[2].Sensitive)
			},
		},
		{
			name: "UI select options and hidden value", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_ui_domain.json") },
			wantStatus: StatusUI,
			check: func(t *testing.T, s *Step) {
				fields := s.Fields()
				require.Len(t, fields, 4)
				assert.True(t, fields[1].Sensitive, "password")
				domain := fields[2]
				assert.Equal(t, "domain", domain.Name)
				assert.Equal(t, FieldSelect, domain.Type)
				assert.Equal(t, []FieldOption{{Value: "corp", Label: "Corporate LDAP"}, {Value: "lab", Label: "Lab directory"},
					{Value: "local", Label: "Local accounts"}}, domain.Options, "options in the server's order")
				hidden := fields[3]
				assert.Equal(t, FieldHidden, hidden.Type)
				assert.Equal(t, "4711", hidden.Value)
				assert.Equal(t, map[string]string{"loginsessionid": "4711", "domain": "corp"},
					s.Answer(map[string]string{"domain": "corp"}), "Answer adds the hidden value")
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
				assert.Equal(t, []string{"fakessocode"}, fieldNames(s.Fields()))
				assert.Empty(t, s.MessageCode)
			},
		},
		{
			name: "RESTART", reply: func(f *fakeWiki) reply { return f.fx("clientlogin_restart.json") },
			wantStatus: StatusRestart,
			check: func(t *testing.T, s *Step) {
				assert.Equal(t, "authmanager-authn-no-local-user", s.MessageCode)
				assert.False(t, s.preserve, "canpreservestate was false")
				require.Len(t, s.Requests, 3)
				assert.True(t, strings.HasSuffix(s.Requests[1].ID, ":fakessologin"))
				fields := s.Fields()
				require.Len(t, fields, 4)
				assert.Equal(t, FieldButton, fields[2].Type)
				assert.Equal(t, FieldCheckbox, fields[3].Type)
				assert.True(t, fields[3].Optional)
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
			name: "REDIRECT to plain http of another host", reply: func(*fakeWiki) reply {
				return reply{Body: `{"clientlogin":{"status":"REDIRECT","redirecttarget":"http://idp.example.org/?state=1","requests":[]}}`}
			},
			wantErr: ErrUnexpectedResponse,
		},
		{
			name: "REDIRECT to a javascript URL", reply: func(*fakeWiki) reply {
				return reply{Body: `{"clientlogin":{"status":"REDIRECT","redirecttarget":"javascript:alert(1)","requests":[]}}`}
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
			wantAPI: "readonly",
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
			require.Len(t, reqs, 2, "a login token, then the clientlogin POST")
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

			if tt.wantErr != nil || tt.wantAPI != "" {
				if tt.wantErr != nil {
					assert.ErrorIs(t, err, tt.wantErr)
				} else {
					var ae *APIError
					require.ErrorAs(t, err, &ae)
					assert.Equal(t, tt.wantAPI, ae.Code)
				}
				assert.True(t, strings.HasPrefix(err.Error(), "mwauth: clientlogin: "), err.Error())
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
				assert.Equal(t, "Alice", st.u.Name)
				assert.True(t, st.asUser)
				assert.False(t, st.byCreds, "a clientlogin session cannot be logged in again unattended")
			} else {
				assert.Equal(t, sessionNone, st.kind)
			}
		})
	}
}

// TestClientLoginThrottleWait: with FormatRaw a throttled FAIL carries
// the wiki's wait.
func TestClientLoginThrottleWait(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("clientlogin", reply{Body: `{"clientlogin":{"status":"FAIL","message":{"key":"login-throttled","params":[{"duration":60}]},"messagecode":"login-throttled"}}`})
	req := passwordLogin()
	req.MessageFormat = FormatRaw
	step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), req)
	require.NoError(t, err)
	require.Equal(t, StatusFail, step.Status)
	var le *LoginError
	require.ErrorAs(t, step.Err(), &le)
	assert.ErrorIs(t, le, ErrThrottled)
	assert.Equal(t, time.Minute, le.Wait)
	assert.Equal(t, "raw", f.posts("clientlogin")[0].Form.Get("loginmessageformat"))
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
			name: "requests and message format",
			req: ClientLoginRequest{Requests: []string{`MediaWiki\Auth\PasswordAuthenticationRequest`, `MediaWiki\Auth\RememberMeAuthenticationRequest`},
				MessageFormat: FormatRaw},
			want: map[string]string{
				"loginrequests":      `MediaWiki\Auth\PasswordAuthenticationRequest|MediaWiki\Auth\RememberMeAuthenticationRequest`,
				"loginmessageformat": "raw",
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
				assert.ErrorIs(t, err, ErrInvalidArgument)
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
	step, err = c.ContinueClientLogin(ctx, step.Answer(map[string]string{"OATHToken": testOTP}))
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
	csrf, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	assert.False(t, isAnonToken(csrf))
	assert.Equal(t, 1, f.count("tokens:csrf"))
}

// TestContinueClientLoginBadTokenIsAFailedLogin: badtoken in the middle of
// a flow means the flow's session is gone: a failed login, not retried.
func TestContinueClientLoginBadTokenIsAFailedLogin(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), badtokenReply(f))
	_, err := c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)

	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	assert.Nil(t, step)
	assert.ErrorIs(t, err, ErrLoginFailed)
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
		wantErr   bool
		wantPosts int
	}{
		{name: "badtoken then PASS", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_badtoken.json"), f.passOK()}
		}, wantPosts: 2},
		{name: "always badtoken", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_badtoken.json")}
		}, wantErr: true, wantPosts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("clientlogin", tt.replies(f)...)
			step, err := c.ClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin())
			if tt.wantErr {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, "badtoken", ae.Code)
				assert.NotErrorIs(t, err, ErrLoginFailed, "a start has no flow to lose")
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

// TestClientLoginStartsFromFreshSession: a logged-in session (a bot
// password's, or one loaded from a file) cannot log in again, so
// ClientLogin starts a fresh session and sends none of its cookies.
func TestClientLoginStartsFromFreshSession(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		client func(t *testing.T) (*Client, *fakeWiki)
	}{
		{name: "after a bot-password Login", client: func(t *testing.T) (*Client, *fakeWiki) {
			return loggedIn(t, WithBotPassword(testBotUser, testBotPassword))
		}},
		{name: "with a session loaded from a file", client: func(t *testing.T) (*Client, *fakeWiki) {
			f := newFake(t)
			path := savedSession(t, f)
			c, err := New(f.endpoint(), WithSessionFile(path), WithBotPassword(testBotUser, testBotPassword))
			require.NoError(t, err)
			return c, f
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := tt.client(t)
			old := c.jar.Cookies(mustParse(t, f.endpoint()))
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
			st := c.state()
			assert.Equal(t, sessionClientLogin, st.kind)
			assert.False(t, st.byCreds, "the clientlogin session is not the bot password's")
		})
	}
}

// TestClientLoginAfterRestart: after a RESTART whose state the wiki
// preserved, the next ClientLogin continues in the same session with
// loginpreservestate; otherwise it starts afresh.
func TestClientLoginAfterRestart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		canPreserve  bool
		wantPreserve bool
	}{
		{name: "state preserved", canPreserve: true, wantPreserve: true},
		{name: "nothing to preserve"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			restart := fixture(t, "clientlogin_restart.json")
			if tt.canPreserve {
				restart = strings.Replace(restart, `"canpreservestate":false`, `"canpreservestate":true`, 1)
			}
			f.on("clientlogin", f.fx("clientlogin_redirect.json"), reply{Body: restart}, f.passOK())
			ctx := ctxTimeout(t, 10*time.Second)
			step, err := c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}})
			require.NoError(t, err)
			require.Equal(t, StatusRedirect, step.Status)
			step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "nouser"})
			require.NoError(t, err)
			require.Equal(t, StatusRestart, step.Status)
			assert.Equal(t, tt.canPreserve, step.preserve)

			step, err = c.ClientLogin(ctx, passwordLogin())
			require.NoError(t, err)
			require.Equal(t, StatusPass, step.Status)
			posts := f.posts("clientlogin")
			require.Len(t, posts, 3)
			assert.Equal(t, tt.wantPreserve, posts[2].has("loginpreservestate"))
			if tt.wantPreserve {
				assert.Equal(t, "1", posts[2].Form.Get("loginpreservestate"))
			}
			assert.Equal(t, posts[1].Cookies[cookieSession], posts[2].Cookies[cookieSession], "the same session goes on")

			// The preserved state is used once.
			f.on("clientlogin", f.passOK())
			_, err = c.ClientLogin(ctx, passwordLogin())
			require.NoError(t, err)
			assert.False(t, f.posts("clientlogin")[3].has("loginpreservestate"))
		})
	}
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
		format    MessageFormat
		reply     string
		wantErr   error
		wantParam map[string]string // "" means absent
		check     func(t *testing.T, s *Step)
		cached    bool // a login token came with the answer
	}{
		{
			name: "login form", reply: "authmanagerinfo_login.json",
			wantParam: map[string]string{"meta": "authmanagerinfo|tokens", "type": "login", "amirequestsfor": "login",
				"amimergerequestfields": "", "amimessageformat": ""},
			cached: true,
			check: func(t *testing.T, s *Step) {
				require.Len(t, s.Requests, 2)
				assert.Equal(t, "primary-required", s.Requests[0].required)
				fields := s.Fields()
				assert.Equal(t, []string{"username", "password", "rememberMe"}, fieldNames(fields))
				assert.True(t, fields[1].Sensitive)
				assert.Equal(t, FieldPassword, fields[1].Type)
				assert.Equal(t, FieldCheckbox, fields[2].Type)
			},
		},
		{
			name: "captcha required", reply: "authmanagerinfo_captcha.json", cached: true,
			check: func(t *testing.T, s *Step) {
				require.Len(t, s.Requests, 3)
				cap := captchaRequest(s.Requests)
				require.NotNil(t, cap)
				assert.Equal(t, "required", cap.required)
				require.Len(t, cap.Fields, 3)
				assert.Equal(t, Field{Name: "captchaId", Type: FieldHidden, Label: "CAPTCHA ID", Value: "1134311198057116441"}, cap.Fields[0])
				assert.Equal(t, FieldNull, cap.Fields[1].Type)
				assert.Equal(t, "What is the name of this test wiki?", cap.Fields[1].Value)
				assert.Equal(t, "captchaWord", cap.Fields[2].Name)
			},
		},
		{
			name: "merged fields go to the first request", format: FormatWikitext,
			reply: "authmanagerinfo_captcha_merged.json", cached: true,
			wantParam: map[string]string{"amimessageformat": "wikitext", "amimergerequestfields": ""},
			check: func(t *testing.T, s *Step) {
				require.Len(t, s.Requests, 3)
				assert.Len(t, s.Requests[0].Fields, 6)
				assert.Equal(t, s.Requests[0].Fields, s.Fields())
				assert.Equal(t, "captchaId", s.Fields()[0].Name)
			},
		},
		{
			name: "formatversion=1 booleans", reply: "authmanagerinfo_fv1.json",
			check: func(t *testing.T, s *Step) {
				fields := s.Fields()
				require.Len(t, fields, 3)
				assert.False(t, fields[0].Sensitive)
				assert.True(t, fields[1].Sensitive)
				assert.True(t, fields[2].Optional)
			},
		},
		{name: "unknown format", format: "plaintext", wantErr: ErrInvalidArgument},
		{name: "no authmanagerinfo", reply: "tokens_login.json", wantErr: ErrUnexpectedResponse},
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
			s, err := c.AuthManagerInfo(ctx, tt.format)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, s)
				if tt.reply == "" {
					assert.Empty(t, f.all())
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, StatusUI, s.Status)
			assert.Equal(t, "mwauth-login-form", s.MessageCode)
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
				tt.check(t, s)
			}

			// A login right after uses the token that came with the answer.
			f.on("clientlogin", f.fx("clientlogin_fail_wrongpassword.json"))
			_, err = c.ClientLogin(ctx, ClientLoginRequest{Fields: s.Answer(passwordLogin().Fields)})
			require.NoError(t, err)
			post := f.posts("clientlogin")[0]
			if tt.cached {
				assert.Equal(t, 0, f.count("tokens:login"), "no extra round trip for the login token")
				assert.True(t, strings.HasPrefix(post.Form.Get("logintoken"), "abad1dea"))
			} else {
				assert.Equal(t, 1, f.count("tokens:login"))
				assert.Equal(t, fixtureLoginToken, post.Form.Get("logintoken"))
			}
			for _, fld := range s.Fields() {
				if fld.Type == FieldHidden {
					assert.Equal(t, fld.Value, post.Form.Get(fld.Name), "Answer sends the hidden values back")
				}
			}
		})
	}
}

// TestClientLoginRequestPrintsNoValues: every verb, on the value and on a
// pointer, and slog, print field names but never their values.
func TestClientLoginRequestPrintsNoValues(t *testing.T) {
	t.Parallel()
	req := ClientLoginRequest{ReturnURL: "https://bot.example.org/return",
		Fields: map[string]string{"username": testUser, "password": testUserPassword, "OATHToken": testOTP}}
	var buf syncBuffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("login", "req", req, "reqp", &req)
	slog.New(slog.NewTextHandler(&buf, nil)).Info("login", "req", req, "reqp", &req)
	outs := []string{buf.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%t"} {
		s := fmt.Sprintf(verb, req) + fmt.Sprintf(verb, &req)
		assert.Contains(t, s, "OATHToken", "fmt prints the field names")
		assert.Contains(t, s, "password")
		outs = append(outs, s)
	}
	for _, s := range outs {
		assert.NotContains(t, s, testUserPassword)
		assert.NotContains(t, s, testOTP)
		assert.NotContains(t, s, testUser)
	}
}

func TestStepFieldsDeduplicates(t *testing.T) {
	t.Parallel()
	s := &Step{Requests: []AuthRequest{
		{ID: "A", Fields: []Field{{Name: "username", Label: "first"}, {Name: "password"}}},
		{ID: "B", Fields: []Field{{Name: "username", Label: "second"}, {Name: "domain"}}},
	}}
	fields := s.Fields()
	require.Len(t, fields, 3)
	assert.Equal(t, "first", fields[0].Label, "the first request's field wins")
	assert.Equal(t, []string{"username", "password", "domain"}, fieldNames(fields))
}

func TestStepAnswer(t *testing.T) {
	t.Parallel()
	step := &Step{Status: StatusUI, Requests: []AuthRequest{{ID: "CaptchaAuthenticationRequest", Fields: []Field{
		{Name: "captchaId", Type: FieldHidden, Value: "42"},
		{Name: "captchaInfo", Type: FieldNull, Value: "What is 2+2?"},
		{Name: "captchaWord", Type: FieldString},
	}}}}
	tests := []struct {
		name    string
		step    *Step
		answers map[string]string
		want    map[string]string
	}{
		{name: "hidden echoed, null not sent", step: step, answers: map[string]string{"captchaWord": "4"},
			want: map[string]string{"captchaId": "42", "captchaWord": "4"}},
		{name: "answers win", step: step, answers: map[string]string{"captchaWord": "4", "captchaId": "43"},
			want: map[string]string{"captchaId": "43", "captchaWord": "4"}},
		{name: "nil step", answers: map[string]string{"OATHToken": "1"}, want: map[string]string{"OATHToken": "1"}},
		{name: "no answers", step: step, want: map[string]string{"captchaId": "42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := map[string]string{}
			for k, v := range tt.answers {
				before[k] = v
			}
			assert.Equal(t, tt.want, tt.step.Answer(tt.answers))
			if tt.answers != nil {
				assert.Equal(t, before, tt.answers, "the caller's map is not modified")
			}
		})
	}
}

func TestRedirectFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		returned string
		want     map[string]string
		wantErr  bool
	}{
		{name: "full return URL", returned: "https://wiki.example.org/w/index.php?title=Special:UserLogin&fakessocode=user%3AAlice&state=7",
			want: map[string]string{"fakessocode": "user:Alice", "state": "7"}},
		{name: "query only", returned: "?code=abc&state=1", want: map[string]string{"code": "abc", "state": "1"}},
		{name: "bare query", returned: "code=abc", want: map[string]string{"code": "abc"}},
		{name: "the last of repeated values", returned: "code=a&code=b", want: map[string]string{"code": "b"}},
		{name: "empty", returned: "", want: map[string]string{}},
		{name: "bad escape", returned: "https://x.example/?code=%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := RedirectFields(tt.returned)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrInvalidArgument)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
