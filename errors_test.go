package mwauth

import (
	"context"
	"errors"
	"fmt"
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
	"ErrLoginNotAllowed":     ErrLoginNotAllowed,
	"ErrSessionLost":         ErrSessionLost,
	"ErrBadToken":            ErrBadToken,
	"ErrNotLoggedIn":         ErrNotLoggedIn,
	"ErrLoginRequired":       ErrLoginRequired,
	"ErrReadOnly":            ErrReadOnly,
	"ErrRateLimited":         ErrRateLimited,
	"ErrMaxLag":              ErrMaxLag,
	"ErrOAuth":               ErrOAuth,
	"ErrTooManySteps":        ErrTooManySteps,
	"ErrUnexpectedResponse":  ErrUnexpectedResponse,
	"ErrBodyTooLarge":        ErrBodyTooLarge,
	"ErrSessionFile":         ErrSessionFile,
	"ErrRedirect":            ErrRedirect,
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
		{name: "badtoken", code: "badtoken", want: []error{ErrBadToken}},
		{name: "notoken", code: "notoken", want: []error{ErrBadToken}},
		{name: "assertuserfailed", code: "assertuserfailed", want: []error{ErrNotLoggedIn}},
		{name: "assertbotfailed", code: "assertbotfailed", want: []error{ErrNotLoggedIn}},
		{name: "assertnameduserfailed", code: "assertnameduserfailed", want: []error{ErrNotLoggedIn}},
		{name: "notloggedin", code: "notloggedin", want: []error{ErrNotLoggedIn}},
		{name: "mustbeloggedin", code: "mustbeloggedin", want: []error{ErrNotLoggedIn}},
		{name: "readonly", code: "readonly", want: []error{ErrReadOnly}},
		{name: "ratelimited", code: "ratelimited", want: []error{ErrRateLimited}},
		{name: "maxlag", code: "maxlag", want: []error{ErrMaxLag}},
		{name: "mwoauth-invalid-authorization", code: "mwoauth-invalid-authorization", want: []error{ErrOAuth}},
		{name: "mwoauth-invalid-authorization-wrong-wiki", code: "mwoauth-invalid-authorization-wrong-wiki", want: []error{ErrOAuth}},
		{name: "mwoauth-api-module-disabled", code: "mwoauth-api-module-disabled", want: []error{ErrOAuth}},
		{name: "bare mwoauth- prefix", code: "mwoauth-"},
		{name: "cannotlogout", code: "cannotlogout", want: []error{ErrLoginNotAllowed}},
		{name: "mustpostparams", code: "mustpostparams"},
		{name: "missingparam", code: "missingparam"},
		{name: "internal error", code: "internal_api_error_DBQueryError"},
		{name: "assertanonfailed is not a lost login", code: "assertanonfailed"},
		{name: "empty", code: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("mwauth: post: %w", &APIError{Code: tt.code, Info: "text", Module: "main"})
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
		name string
		err  *LoginError
		want []error
	}{
		{name: "wrongpassword", err: &LoginError{Action: "login", Result: "Failed", Code: "wrongpassword"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "wrongpasswordempty", err: &LoginError{Action: "login", Result: "Failed", Code: "wrongpasswordempty"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "nosuchuser", err: &LoginError{Action: "clientlogin", Result: "FAIL", Code: "nosuchuser"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "invaliduser", err: &LoginError{Action: "login", Result: "Failed", Code: "invaliduser"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "authmanager-authn-no-primary", err: &LoginError{Action: "login", Result: "Failed", Code: "authmanager-authn-no-primary"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "botpasswords-not-exist", err: &LoginError{Action: "login", Result: "Failed", Code: "botpasswords-not-exist"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "login-throttled", err: &LoginError{Action: "login", Result: "Failed", Code: "login-throttled"},
			want: []error{ErrLoginFailed, ErrThrottled}},
		{name: "clientlogin throttled", err: &LoginError{Action: "clientlogin", Result: "FAIL", Code: "login-throttled"},
			want: []error{ErrLoginFailed, ErrThrottled}},
		{name: "api-login-fail-aborted", err: &LoginError{Action: "login", Result: "Aborted", Code: "api-login-fail-aborted"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}},
		{name: "api-login-fail-aborted-nobotpw", err: &LoginError{Action: "login", Result: "Aborted", Code: "api-login-fail-aborted-nobotpw"},
			want: []error{ErrLoginFailed, ErrInteractionRequired}},
		{name: "badsessionprovider", err: &LoginError{Action: "login", Result: "Aborted", Code: "api-login-fail-badsessionprovider"},
			want: []error{ErrLoginFailed, ErrLoginNotAllowed}},
		{name: "sameorigin", err: &LoginError{Action: "login", Result: "Aborted", Code: "api-login-fail-sameorigin"},
			want: []error{ErrLoginFailed, ErrLoginNotAllowed}},
		{name: "userlogin-cannot-login", err: &LoginError{Action: "clientlogin", Result: "FAIL", Code: "userlogin-cannot-login"},
			want: []error{ErrLoginFailed, ErrLoginNotAllowed}},
		{name: "sessionlost", err: &LoginError{Action: "login", Result: "Failed", Code: "sessionlost"},
			want: []error{ErrLoginFailed, ErrSessionLost}},
		{name: "authpage-cannot-login-continue", err: &LoginError{Action: "login", Result: "Failed", Code: "authpage-cannot-login-continue"},
			want: []error{ErrLoginFailed, ErrSessionLost}},
		{name: "authmanager-authn-not-in-progress", err: &LoginError{Action: "clientlogin", Result: "FAIL", Code: "authmanager-authn-not-in-progress"},
			want: []error{ErrLoginFailed, ErrSessionLost}},
		{name: "WrongToken", err: &LoginError{Action: "login", Result: "WrongToken"},
			want: []error{ErrLoginFailed, ErrBadToken}},
		{name: "NeedToken", err: &LoginError{Action: "login", Result: "NeedToken"},
			want: []error{ErrLoginFailed, ErrBadToken}},
		{name: "unknown result", err: &LoginError{Action: "login", Result: "Throttled"},
			want: []error{ErrLoginFailed, ErrUnexpectedResponse}},
		{name: "unknown code", err: &LoginError{Action: "clientlogin", Result: "FAIL", Code: "localwiki-fakesso-failed"},
			want: []error{ErrLoginFailed}},
		{name: "restart", err: &LoginError{Action: "clientlogin", Result: "RESTART", Code: "authmanager-authn-no-local-user"},
			want: []error{ErrLoginFailed}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("mwauth: login: %w", tt.err)
			assertMatchesOnly(t, err, tt.want...)
			var le *LoginError
			require.ErrorAs(t, err, &le)
			assert.Same(t, tt.err, le)
		})
	}
}

func TestHTTPErrorIs(t *testing.T) {
	t.Parallel()
	cause := errors.New("unexpected EOF")
	tests := []struct {
		name string
		err  *HTTPError
		want []error
	}{
		{name: "html page", err: &HTTPError{StatusCode: 502, ContentType: "text/html"}, want: []error{ErrUnexpectedResponse}},
		{name: "too large", err: &HTTPError{StatusCode: 200, tooLarge: true}, want: []error{ErrUnexpectedResponse, ErrBodyTooLarge}},
		{name: "bad json", err: &HTTPError{StatusCode: 200, err: cause}, want: []error{ErrUnexpectedResponse}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := fmt.Errorf("mwauth: get: %w", tt.err)
			assertMatchesOnly(t, err, tt.want...)
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tt.err.StatusCode, he.StatusCode)
		})
	}
	assert.ErrorIs(t, &HTTPError{err: cause}, cause, "Unwrap gives the decoding error")
}

func TestProtocolErrorIs(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("mwauth: clientlogin: %w", protoErr("unknown status %q", "ABSTAIN"))
	assertMatchesOnly(t, err, ErrUnexpectedResponse)
}

func TestStepErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		step *Step
		want []error
	}{
		{name: "nil step"},
		{name: "pass", step: &Step{Status: StatusPass, Username: "Alice"}},
		{name: "ui", step: &Step{Status: StatusUI, MessageCode: "oathauth-auth-ui"}},
		{name: "redirect", step: &Step{Status: StatusRedirect, RedirectTarget: "https://idp.example.org/"}},
		{name: "restart", step: &Step{Status: StatusRestart, MessageCode: "authmanager-authn-no-local-user"}},
		{name: "fail wrongpassword", step: &Step{Status: StatusFail, MessageCode: "wrongpassword"},
			want: []error{ErrLoginFailed, ErrWrongCredentials}},
		{name: "fail throttled", step: &Step{Status: StatusFail, MessageCode: "login-throttled"},
			want: []error{ErrLoginFailed, ErrThrottled}},
		{name: "fail not in progress", step: &Step{Status: StatusFail, MessageCode: "authmanager-authn-not-in-progress"},
			want: []error{ErrLoginFailed, ErrSessionLost}},
		{name: "fail cannot login", step: &Step{Status: StatusFail, MessageCode: "userlogin-cannot-login"},
			want: []error{ErrLoginFailed, ErrLoginNotAllowed}},
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
			var le *LoginError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, "clientlogin", le.Action)
			assert.Equal(t, "FAIL", le.Result)
			assert.Equal(t, tt.step.MessageCode, le.Code)
			assert.Equal(t, tt.step.CanPreserveState, le.CanPreserveState)
		})
	}
}

// TestErrorPrefixOnce checks the shape of the errors of exported
// operations: "mwauth: <op>: <cause>", prefixed once even when one
// operation calls another.
func TestErrorPrefixOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		op     string
		script func(f *fakeWiki)
		call   func(ctx context.Context, c *Client) error
	}{
		{name: "login", op: "login", script: func(f *fakeWiki) { f.on("login", f.fx("login_failed_wrongpassword.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Login(ctx, testBotUser, testBotPassword)
				return err
			}},
		{name: "token", op: "token", script: func(f *fakeWiki) { f.on("tokens:csrf", f.fx("error_readonly.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Token(ctx, TokenCSRF)
				return err
			}},
		{name: "clientlogin", op: "clientlogin", script: func(f *fakeWiki) { f.on("clientlogin", f.fx("clientlogin_unknown_status.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.ClientLogin(ctx, ClientLoginRequest{})
				return err
			}},
		{name: "runclientlogin calls clientlogin", op: "clientlogin",
			script: func(f *fakeWiki) { f.on("clientlogin", f.fx("clientlogin_unknown_status.json")) },
			call: func(ctx context.Context, c *Client) error {
				_, err := c.RunClientLogin(ctx, ClientLoginRequest{}, func(context.Context, *Step) (map[string]string, error) {
					return nil, nil
				})
				return err
			}},
		{name: "get", op: "get", script: func(f *fakeWiki) {
			f.on("query", reply{Status: 502, Body: "<html>bad gateway</html>",
				Header: map[string]string{"Content-Type": "text/html"}})
		},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Get(ctx, map[string][]string{"action": {"query"}})
				return err
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			tt.script(f)
			err := tt.call(ctxTimeout(t, 10*time.Second), c)
			require.Error(t, err)
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "mwauth: "+tt.op+": "), "error %q lacks its prefix", msg)
			assert.Equal(t, 1, strings.Count(msg, "mwauth: "+tt.op+":"), "error %q is prefixed twice", msg)
			assert.Equal(t, strings.TrimSpace(msg), msg)
		})
	}
}
