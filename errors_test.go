package mwauth

// errors_test.go: the typed errors, the sentinels they match, the
// "mwauth: <operation>:" prefix, and the cleaning of the wiki's text
// (errors.go).

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sentinels lists every exported sentinel, to check that a typed error
// matches exactly the ones it should.
var sentinels = map[string]error{
	"ErrLoginFailed":         ErrLoginFailed,
	"ErrWrongCredentials":    ErrWrongCredentials,
	"ErrThrottled":           ErrThrottled,
	"ErrInteractionRequired": ErrInteractionRequired,
	"ErrNotLoggedIn":         ErrNotLoggedIn,
	"ErrOAuth":               ErrOAuth,
	"ErrUnexpectedResponse":  ErrUnexpectedResponse,
	"ErrSessionFile":         ErrSessionFile,
	"ErrInsecureHTTP":        ErrInsecureHTTP,
	"ErrInvalidArgument":     ErrInvalidArgument,
}

// assertMatchesOnly checks that err matches the named sentinels and no
// other.
func assertMatchesOnly(t *testing.T, err error, want ...error) {
	t.Helper()
	for name, s := range sentinels {
		wanted := false
		for _, w := range want {
			if w == s {
				wanted = true
			}
		}
		if wanted {
			assert.ErrorIs(t, err, s, name)
		} else {
			assert.NotErrorIs(t, err, s, name)
		}
	}
}

func TestAPIErrorIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		code string
		want []error
	}{
		{name: "badtoken", code: "badtoken"},
		{name: "notoken", code: "notoken"},
		{name: "assertuserfailed", code: "assertuserfailed", want: []error{ErrNotLoggedIn}},
		{name: "assertbotfailed", code: "assertbotfailed", want: []error{ErrNotLoggedIn}},
		{name: "assertnameduserfailed", code: "assertnameduserfailed", want: []error{ErrNotLoggedIn}},
		{name: "notloggedin", code: "notloggedin", want: []error{ErrNotLoggedIn}},
		{name: "mustbeloggedin", code: "mustbeloggedin", want: []error{ErrNotLoggedIn}},
		{name: "readonly", code: "readonly"},
		{name: "ratelimited", code: "ratelimited"},
		{name: "maxlag", code: "maxlag"},
		{name: "mwoauth-invalid-authorization", code: "mwoauth-invalid-authorization", want: []error{ErrOAuth}},
		{name: "mwoauth-invalid-authorization-wrong-wiki", code: "mwoauth-invalid-authorization-wrong-wiki", want: []error{ErrOAuth}},
		{name: "mwoauth-api-module-disabled", code: "mwoauth-api-module-disabled", want: []error{ErrOAuth}},
		{name: "cannotlogout", code: "cannotlogout"},
		{name: "mustpostparams", code: "mustpostparams"},
		{name: "missingparam", code: "missingparam"},
		{name: "internal error", code: "internal_api_error_DBQueryError"},
		{name: "assertanonfailed is not a lost login", code: "assertanonfailed"},
		{name: "empty", code: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := opErr("post", &APIError{Code: tt.code, Info: "text", module: "main"})
			assertMatchesOnly(t, err, tt.want...)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.code, ae.Code)
		})
	}
}

func TestLoginErrorIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		err            *LoginError
		want           []error
		wantDefinitive bool
	}{
		{name: "wrongpassword", err: &LoginError{action: "login", Result: "Failed", Code: "wrongpassword"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "wrongpasswordempty", err: &LoginError{action: "login", Result: "Failed", Code: "wrongpasswordempty"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "nosuchuser", err: &LoginError{action: "clientlogin", Result: "FAIL", Code: "nosuchuser"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "invaliduser", err: &LoginError{action: "login", Result: "Failed", Code: "invaliduser"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "authmanager-authn-no-primary", err: &LoginError{action: "login", Result: "Failed", Code: "authmanager-authn-no-primary"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "botpasswords-not-exist", err: &LoginError{action: "login", Result: "Failed", Code: "botpasswords-not-exist"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "botpasswords-invalid-name", err: &LoginError{action: "login", Result: "Failed", Code: "botpasswords-invalid-name"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}, wantDefinitive: true},
		{name: "login-throttled is not definitive", err: &LoginError{action: "login", Result: "Failed", Code: "login-throttled", Wait: time.Minute},
			want: []error{ErrLoginFailed, ErrThrottled}},
		{name: "clientlogin throttled", err: &LoginError{action: "clientlogin", Result: "FAIL", Code: "login-throttled"},
			want: []error{ErrLoginFailed, ErrThrottled}},
		{name: "api-login-fail-aborted", err: &LoginError{action: "login", Result: "Aborted", Code: "api-login-fail-aborted"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}, wantDefinitive: true},
		{name: "api-login-fail-aborted-nobotpw", err: &LoginError{action: "login", Result: "Aborted", Code: "api-login-fail-aborted-nobotpw"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}, wantDefinitive: true},
		{name: "badsessionprovider", err: &LoginError{action: "login", Result: "Aborted", Code: "api-login-fail-badsessionprovider"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}, wantDefinitive: true},
		{name: "sameorigin", err: &LoginError{action: "login", Result: "Aborted", Code: "api-login-fail-sameorigin"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}, wantDefinitive: true},
		{name: "userlogin-cannot-login", err: &LoginError{action: "clientlogin", Result: "FAIL", Code: "userlogin-cannot-login"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}, wantDefinitive: true},
		{name: "aborted for an unknown reason is definitive", err: &LoginError{action: "login", Result: "Aborted", Code: "x"},
			want: []error{ErrLoginFailed}, wantDefinitive: true},
		{name: "sessionlost", err: &LoginError{action: "login", Result: "Failed", Code: "sessionlost"},
			want: []error{ErrLoginFailed}},
		{name: "authpage-cannot-login-continue", err: &LoginError{action: "login", Result: "Failed", Code: "authpage-cannot-login-continue"},
			want: []error{ErrLoginFailed}},
		{name: "authmanager-authn-not-in-progress", err: &LoginError{action: "clientlogin", Result: "FAIL", Code: "authmanager-authn-not-in-progress"},
			want: []error{ErrLoginFailed}},
		{name: "WrongToken", err: &LoginError{action: "login", Result: "WrongToken"}, want: []error{ErrLoginFailed}},
		{name: "NeedToken", err: &LoginError{action: "login", Result: "NeedToken"}, want: []error{ErrLoginFailed}},
		{name: "unknown result of action=login", err: &LoginError{action: "login", Result: "Throttled"},
			want: []error{ErrLoginFailed, ErrUnexpectedResponse}},
		{name: "unknown code", err: &LoginError{action: "clientlogin", Result: "FAIL", Code: "localwiki-fakesso-failed"},
			want: []error{ErrLoginFailed}},
		{name: "restart", err: &LoginError{action: "clientlogin", Result: "RESTART", Code: "authmanager-authn-no-local-user"},
			want: []error{ErrLoginFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := opErr("login", tt.err)
			assertMatchesOnly(t, err, tt.want...)
			var le *LoginError
			require.ErrorAs(t, err, &le)
			assert.Same(t, tt.err, le)
			assert.Equal(t, tt.wantDefinitive, le.definitive(), "stops automatic re-login")
		})
	}
}

func TestResponseErrorIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *ResponseError
	}{
		{name: "html page", err: &ResponseError{StatusCode: 502, reason: "not JSON"}},
		{name: "too large", err: &ResponseError{StatusCode: 200, tooLarge: true, reason: "body too large"}},
		{name: "bad json", err: &ResponseError{StatusCode: 200, reason: "unexpected EOF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := opErr("get", tt.err)
			assertMatchesOnly(t, err, ErrUnexpectedResponse)
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.err.StatusCode, re.StatusCode)
			assert.Contains(t, err.Error(), tt.err.reason)
		})
	}
}

func TestProtocolErrorIs(t *testing.T) {
	t.Parallel()
	err := opErr("clientlogin", protoErr("unknown status %q", "ABSTAIN"))
	assertMatchesOnly(t, err, ErrUnexpectedResponse)
}

func TestStepErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		step     *Step
		want     []error
		wantWait time.Duration
	}{
		{name: "nil step"},
		{name: "pass", step: &Step{Status: StatusPass, User: User{Name: "Alice"}}},
		{name: "ui", step: &Step{Status: StatusUI, MessageCode: "oathauth-auth-ui"}},
		{name: "redirect", step: &Step{Status: StatusRedirect, RedirectTarget: "https://idp.example.org/"}},
		{name: "restart", step: &Step{Status: StatusRestart, MessageCode: "authmanager-authn-no-local-user"}},
		{name: "fail wrongpassword", step: &Step{Status: StatusFail, MessageCode: "wrongpassword", Message: "Incorrect"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "fail throttled with the wiki's wait", step: &Step{Status: StatusFail, MessageCode: "login-throttled", wait: 60},
			want: []error{ErrLoginFailed, ErrThrottled}, wantWait: time.Minute},
		{name: "fail not in progress", step: &Step{Status: StatusFail, MessageCode: "authmanager-authn-not-in-progress"},
			want: []error{ErrLoginFailed}},
		{name: "fail cannot login", step: &Step{Status: StatusFail, MessageCode: "userlogin-cannot-login"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}},
		{name: "fail with control characters", step: &Step{Status: StatusFail, MessageCode: "x\x1b[2J", Message: "a\x07b"},
			want: []error{ErrLoginFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.step.Err()
			if len(tt.want) == 0 {
				assert.NoError(t, err)
				return
			}
			assertMatchesOnly(t, err, tt.want...)
			assert.True(t, strings.HasPrefix(err.Error(), "mwauth: clientlogin: FAIL"), err.Error())
			assert.False(t, hasControl(err.Error()), "%q", err.Error())
			var le *LoginError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, "clientlogin", le.action)
			assert.Equal(t, "FAIL", le.Result)
			assert.Equal(t, sanitize(tt.step.MessageCode, 100), le.Code)
			assert.Equal(t, tt.wantWait, le.Wait)
		})
	}
}

// TestErrorPrefixOnce checks the shape of the errors of exported
// operations: "mwauth: <op>: <cause>", prefixed once even when one
// operation calls another, or wraps a sentinel that has the prefix too.
func TestErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		op     string
		opts   []Option
		script func(f *fakeWiki)
		call   func(ctx context.Context, c *Client) error
	}{
		{name: "login", op: "login", script: func(f *fakeWiki) { f.on("login", f.fx("login_failed_wrongpassword.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Login(ctx, testBotUser, testBotPassword)
				return err
			}},
		{name: "login with invalid arguments", op: "login", script: func(*fakeWiki) {},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Login(ctx, "", "")
				return err
			}},
		{name: "the token of a post", op: "post", script: func(f *fakeWiki) { f.on("tokens:csrf", f.fx("error_readonly.json")) },
			call: func(ctx context.Context, c *Client) error {
				return c.PostWithToken(ctx, "", url.Values{"action": {"edit"}}, nil)
			}},
		{name: "clientlogin", op: "clientlogin", script: func(f *fakeWiki) { f.on("clientlogin", f.fx("clientlogin_unknown_status.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ClientLogin(ctx, ClientLoginRequest{})
				return err
			}},
		{name: "runclientlogin calls clientlogin", op: "clientlogin",
			script: func(f *fakeWiki) {
				f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
				f.on("clientlogin", f.fx("clientlogin_unknown_status.json"))
			},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RunClientLogin(ctx, passwordLogin(), func(context.Context, *Step) (map[string]string, error) {
					return nil, nil
				})
				return err
			}},
		{name: "authmanagerinfo", op: "authmanagerinfo", script: func(f *fakeWiki) { f.on("authmanagerinfo", f.fx("tokens_login.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.AuthManagerInfo(ctx, "")
				return err
			}},
		{name: "get", op: "get", script: func(f *fakeWiki) {
			f.on("query", reply{Status: 502, Body: "<html>bad gateway</html>",
				Header: map[string]string{"Content-Type": "text/html"}})
		},
			call: func(ctx context.Context, c *Client) error {
				return c.Get(ctx, url.Values{"action": {"query"}}, nil)
			}},
		{name: "resume", op: "resume", script: func(*fakeWiki) {},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Resume(ctx)
				return err
			}},
		{name: "logout of an OAuth client", op: "logout", opts: []Option{WithOAuth2Token("tok")}, script: func(*fakeWiki) {},
			call: func(ctx context.Context, c *Client) error { return c.Logout(ctx) }},
		{name: "re-login refused", op: "get", opts: []Option{WithBotPassword(testBotUser, testBotPassword)},
			script: func(f *fakeWiki) { f.on("login", f.fx("login_failed_wrongpassword.json")) },
			call: func(ctx context.Context, c *Client) error {
				return c.Get(ctx, url.Values{"action": {"query"}}, nil)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opts...)
			tt.script(f)
			err := tt.call(ctxTimeout(t, 10*time.Second), c)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "mwauth: "+tt.op+": "), "error %q lacks its prefix", msg)
			assert.Equal(t, 1, strings.Count(msg, "mwauth: "), "error %q is prefixed twice", msg)
			assert.Equal(t, strings.TrimSpace(msg), msg)
		})
	}

	// New and RedirectFields, which need no wiki.
	_, err := New("http://wiki.example.org/w/api.php")
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: new: "), err.Error())
	assert.Equal(t, 1, strings.Count(err.Error(), "mwauth: "), err.Error())
	_, err = RedirectFields("https://x.example/?%zz")
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: redirectfields: "), err.Error())
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{name: "clean", in: "Incorrect password.", max: 100, want: "Incorrect password."},
		{name: "line breaks and tabs become spaces", in: "a\nb\tc\r\nd", max: 100, want: "a b c  d"},
		{name: "CSI sequence", in: "\x1b[31mred\x1b[0m", max: 100, want: "red"},
		{name: "OSC sequence ended by BEL", in: "x\x1b]0;evil title\x07y", max: 100, want: "xy"},
		{name: "OSC sequence ended by ST", in: "x\x1b]8;;https://evil\x1b\\y", max: 100, want: "xy"},
		{name: "C1 CSI", in: "a\u009b2Jb", max: 100, want: "ab"},
		{name: "NUL and DEL", in: "a\x00b\x7fc", max: 100, want: "abc"},
		{name: "bidirectional override", in: "abc\u202edef", max: 100, want: "abcdef"},
		{name: "invalid UTF-8", in: "a\xffb", max: 100, want: "a\ufffdb"},
		{name: "cut at a rune boundary", in: "ééé", max: 3, want: "é…"},
		{name: "surrounding space trimmed", in: " x\t", max: 100, want: "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, sanitize(tt.in, tt.max))
		})
	}
}

// TestErrorsWrapTheirCause: the errors a Client returns keep their
// cause for errors.Is and errors.As through every layer.
func TestErrorsWrapTheirCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("disk full")
	err := opErr("login", fmt.Errorf("%w: %w", ErrSessionFile, cause))
	assert.ErrorIs(t, err, cause)
	assert.ErrorIs(t, err, ErrSessionFile)
	assert.Equal(t, "mwauth: login: session file: disk full", err.Error())
	assert.Nil(t, opErr("login", nil))
	assert.Same(t, err, opErr("get", err), "an operation's error is not prefixed again")
}
