package mwauth

// redaction_test.go: whole flows with debug logging on, checking that
// no secret reaches a log line, an error, a URL or printed output.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/internal/wire"
	"github.com/mwauth/mwauth/mwauthtest"
)

// spyTransport records every secret the wire carried (tokens in answers,
// cookie values) and every request URL.
type spyTransport struct {
	mu      sync.Mutex
	secrets map[string]bool
	urls    []string
}

func (s *spyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.urls = append(s.urls, r.URL.String())
	s.mu.Unlock()
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range resp.Cookies() {
		// UserName and UserID cookies carry the public user name and id.
		if len(c.Value) >= 8 && !strings.HasSuffix(c.Name, "UserName") && !strings.HasSuffix(c.Name, "UserID") {
			s.secrets[c.Value] = true
		}
	}
	var v any
	if json.Unmarshal(body, &v) == nil {
		s.collect(v, "")
	}
	return resp, nil
}

// collect records the values of every key ending in "token".
func (s *spyTransport) collect(v any, key string) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			s.collect(e, k)
		}
	case []any:
		for _, e := range x {
			s.collect(e, key)
		}
	case string:
		if strings.HasSuffix(key, "token") && len(x) > 4 {
			s.secrets[x] = true
			// Tokens also appear without their +\ suffix and form-encoded.
			s.secrets[strings.TrimSuffix(x, `+\`)] = true
		}
	}
}

// TestNoSecretsAnywhere runs every flow with debug logging on and checks
// that no password, bot password, token, two-factor code, OAuth secret or
// cookie value reaches a log line, an error string, a request URL, or the
// output of the package's types under any fmt verb.
func TestNoSecretsAnywhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := mwauthtest.NewServer(mwauthtest.WithSSO(), mwauthtest.WithOAuth2Token(oa2Token, "BotUser"),
		mwauthtest.WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret, "Admin"))
	defer srv.Close()

	spy := &spyTransport{secrets: map[string]bool{}}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := &http.Client{Transport: spy, Timeout: 30 * time.Second}
	path := filepath.Join(t.TempDir(), "session.json")
	opts := func(extra ...Option) []Option {
		return append([]Option{WithHTTPClient(hc), WithLogger(logger)}, extra...)
	}

	const (
		botPass   = "botuserbotpassword0123456789abcd"
		alicePass = "Alice-localwiki-pass-1"
		twofaPass = "TwoFA-localwiki-pass-1"
		capPass   = "Captcha-localwiki-pass-1"
	)
	known := []string{botPass, alicePass, twofaPass, capPass, "wrongbotpassword0123456789abcdef",
		"Wrong-Password-123", oa2Token, oa1Secret, oa1Token, oa1TokenSecret}
	var printed []string // everything the SDK showed a caller
	show := func(vs ...any) {
		for _, v := range vs {
			printed = append(printed, printAll(v)...)
		}
	}
	var errs []error
	// keep collects the error of a call that must fail.
	keep := func(err error) {
		t.Helper()
		require.Error(t, err, "this call must fail")
		errs = append(errs, err)
	}

	// Bot password, CSRF call, resume in a second client, re-login, logout.
	c, err := New(srv.URL, opts(WithSessionFile(path))...)
	require.NoError(t, err)
	_, err = c.Login(ctx, "BotUser@localbot", "wrongbotpassword0123456789abcdef")
	require.Error(t, err)
	keep(err)
	res, err := c.Login(ctx, "BotUser@localbot", botPass)
	require.NoError(t, err)
	var resp json.RawMessage
	require.NoError(t, c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"x"}}, &resp))
	show(c, *c, res)
	c2, err := New(srv.URL, opts(WithSessionFile(path), WithBotPassword("BotUser@localbot", botPass))...)
	require.NoError(t, err)
	me, err := c2.Resume(ctx)
	require.NoError(t, err)
	srv.ExpireSessions()
	err = c2.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"y"}}, nil)
	require.NoError(t, err, "re-login")
	show(c2, me)
	require.NoError(t, c2.Logout(ctx))
	keep(c2.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil))

	// Clientlogin with two-factor: a wrong code, then the right one.
	cl, err := New(srv.URL, opts()...)
	require.NoError(t, err)
	req := ClientLoginRequest{Fields: map[string]string{"username": "TwoFAUser", "password": twofaPass}}
	show(req)
	step, err := cl.ClientLogin(ctx, req)
	require.NoError(t, err)
	show(step)
	wrong := "000000" // not a code of any accepted step (with overwhelming probability)
	step, err = cl.ContinueClientLogin(ctx, map[string]string{"OATHToken": wrong})
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)
	show(step)
	code := srv.TOTPCode("TwoFAUser", 1)
	known = append(known, code, wrong)
	step, err = cl.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status)
	show(step, cl)

	// A failed clientlogin and the captcha through the driver.
	cf, err := New(srv.URL, opts()...)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		step, err = cf.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": "CaptchaUser", "password": "Wrong-Password-123"}})
		require.NoError(t, err)
		keep(step.Err())
		show(step)
	}
	step, err = cf.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": "CaptchaUser", "password": capPass}},
		func(ctx context.Context, s *Step) (map[string]string, error) {
			show(s)
			return map[string]string{"captchaWord": "localwiki"}, nil
		})
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status, "%s %s", step.MessageCode, step.Message)
	// A badtoken mid-flow.
	srv.ExpireSessions()
	step, err = cf.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	if err == nil {
		// Some servers answer FAIL instead of badtoken.
		err = step.Err()
	}
	keep(err)

	// OAuth 2 and OAuth 1, with a failing call each.
	o2, err := New(srv.URL, opts(WithOAuth2Token(oa2Token))...)
	require.NoError(t, err)
	require.NoError(t, o2.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"z"}}, nil))
	_, err = o2.Login(ctx, "BotUser@localbot", botPass)
	keep(err)
	o1, err := New(srv.URL, opts(WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret))...)
	require.NoError(t, err)
	require.NoError(t, o1.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"z"}}, nil))
	bad, err := New(srv.URL, opts(WithOAuth1(oa1Key, "bad-"+oa1Secret, oa1Token, oa1TokenSecret))...)
	require.NoError(t, err)
	keep(bad.Get(ctx, url.Values{"action": {"query"}}, nil))
	show(o2, o1, bad)
	// A bad endpoint with credentials in it.
	_, err = New("https://user:" + botPass + "@wiki.example.org/w/api.php")
	keep(err)

	for _, e := range errs {
		show(e)
		printed = append(printed, e.Error())
		var le *LoginError
		if errors.As(e, &le) {
			show(le)
		}
		var ae *APIError
		if errors.As(e, &ae) {
			show(ae)
		}
	}

	spy.mu.Lock()
	for s := range spy.secrets {
		known = append(known, s)
	}
	urls := strings.Join(spy.urls, "\n")
	spy.mu.Unlock()
	require.Greater(t, len(known), 15, "the spy must have seen tokens and cookies")
	require.NotEmpty(t, logs.String())
	all := map[string]string{"logs": logs.String(), "printed": strings.Join(printed, "\n"), "urls": urls}
	for where, text := range all {
		for _, s := range known {
			if s == "" || s == `+\` {
				continue
			}
			assert.False(t, strings.Contains(text, s), "secret %q found in %s", s, where)
			assert.False(t, strings.Contains(text, url.QueryEscape(s)), "encoded secret %q found in %s", s, where)
		}
	}
}

// printAll prints v with every verb a caller might use, and v's pointer
// or value too.
func printAll(v any) []string {
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%t"} {
		out = append(out, fmt.Sprintf(verb, v))
	}
	return out
}

// TestRedactionWithFake runs logins of both kinds, a two-factor step,
// tokens, a re-login, a logout and failing calls with debug logging on
// against the scripted fake, and checks that no secret reaches a log
// line, an error, a URL or printed output.
func TestRedactionWithFake(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	c, f := setup(t, WithLogger(debugLogger(&logs)), WithBotPassword(testBotUser, testBotPassword))
	ctx := ctxTimeout(t, 20*time.Second)
	const wrongPassword = "wrongwrongwrongwrongwrongwrong12"
	const wrongOTP = "918273"

	var errs []error
	var printed []any
	fail := func(err error) {
		t.Helper()
		require.Error(t, err)
		errs = append(errs, err)
	}

	// Bot password: a failure, then a success.
	f.on("login", f.fx("login_failed_wrongpassword.json"), f.loginOK())
	_, err := c.Login(ctx, testBotUser, wrongPassword)
	fail(err)
	u, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	printed = append(printed, u, &u)

	// A write that finds the session lost: re-login, fresh tokens, retry.
	f.on("edit", f.fx("error_assertuserfailed.json"), f.fx("edit_success.json"))
	require.NoError(t, c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"Sandbox"}, "text": {"x"}}, nil))
	require.Len(t, f.posts("login"), 3, "one re-login expected")

	// Failing writes.
	f.on("protect", f.fx("error_readonly.json"))
	fail(c.PostWithToken(ctx, "", url.Values{"action": {"protect"}, "title": {"Sandbox"}}, nil))
	tok, err := c.token(ctx, "csrf")
	require.NoError(t, err)
	escaped := strings.ReplaceAll(tok, `\`, `\\`)
	f.on("rollback", reply{Body: `{"query":{"tokens":{"csrftoken":"` + escaped + `"}`})
	fail(c.Post(ctx, url.Values{"action": {"rollback"}}, nil)) // truncated JSON that holds a token
	f.on("move", reply{Body: `{"query":{"tokens":{"csrftoken":"` + escaped + `"}}}` + strings.Repeat(" ", wire.MaxBody)})
	fail(c.Post(ctx, url.Values{"action": {"move"}}, nil)) // oversize body that holds a token
	f.on("import", reply{Status: http.StatusBadGateway, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
	fail(c.Post(ctx, url.Values{"action": {"import"}}, nil))

	require.NoError(t, c.Logout(ctx))
	fail(c.Get(ctx, url.Values{"action": {"query"}}, nil))

	// Interactive login with a two-factor code: a wrong code, then the
	// right one.
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.fx("clientlogin_ui_oath_failed.json"), f.passOK())
	req := ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword, "rememberMe": "1"}}
	printed = append(printed, req, &req)
	step, err := c.ClientLogin(ctx, req)
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)
	printed = append(printed, step)
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": wrongOTP})
	require.NoError(t, err)
	require.Equal(t, StatusUI, step.Status)
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status)
	printed = append(printed, step, *step)

	// A failing clientlogin and a session lost in the middle of one.
	f.set("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.fx("error_badtoken.json"))
	_, err = c.ClientLogin(ctx, req)
	require.NoError(t, err)
	_, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	fail(err)
	f.set("clientlogin", f.fx("clientlogin_fail_wrongpassword.json"))
	step, err = c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": wrongPassword}})
	require.NoError(t, err)
	fail(step.Err())

	for _, err := range errs {
		var le *LoginError
		var ae *APIError
		var re *ResponseError
		switch {
		case errors.As(err, &le):
			printed = append(printed, le, *le)
		case errors.As(err, &ae):
			printed = append(printed, ae, *ae)
		case errors.As(err, &re):
			printed = append(printed, re, *re)
		}
	}
	var texts []string
	for _, v := range append(printed, c, *c) {
		texts = append(texts, printAll(v)...)
	}
	for _, err := range errs {
		texts = append(texts, err.Error())
		texts = append(texts, printAll(err)...)
	}

	secrets := []string{testBotPassword, wrongPassword, testUserPassword, testOTP, wrongOTP}
	for _, s := range f.issued() {
		secrets = append(secrets, strings.TrimSuffix(s, `+\`))
	}
	require.Greater(t, len(secrets), 10, "the fake must have issued tokens and cookies")
	logText := logs.String()
	require.Contains(t, logText, `"action":"login"`, "debug logging must be on")
	for _, s := range secrets {
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s)} {
			assert.NotContains(t, logText, form, "a secret is in the log")
			for _, text := range texts {
				assert.NotContains(t, text, form, "a secret is printed")
			}
			for _, r := range f.all() {
				assert.NotContains(t, r.URL, form, "a secret is in a URL")
			}
		}
	}
}

// These tests prove that no fmt verb and no slog handler prints a
// secret held by a value or a pointer of this package's types.

// verbs are every fmt verb that could print a field's content.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%o", "%b", "%t", "%e", "%g", "%c", "%U", "%10.3v"}

// assertNoSecretPrinted formats v with every verb and logs it with both
// slog handlers, and checks that no secret appears.
func assertNoSecretPrinted(t *testing.T, name string, v any, secrets []string) {
	t.Helper()
	var outs []string
	for _, verb := range verbs {
		outs = append(outs, verb+" "+fmt.Sprintf(verb, v))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("value", "v", v)
		outs = append(outs, buf.String())
	}
	for _, out := range outs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, "%s: %s", name, out)
		}
	}
}

func TestNoVerbPrintsASecret(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	const oauthToken = "OAUTH2-TOKEN-5e3c9a"
	oc, err := New("https://wiki.example.org/w/api.php", WithOAuth2Token(oauthToken))
	require.NoError(t, err)
	ofn, err := New("https://wiki.example.org/w/api.php", WithOAuth1("ck-1", "CONSUMER-SECRET-77", "at-1", "ACCESS-SECRET-88"))
	require.NoError(t, err)

	f := newFake(t)
	f.on("login", f.loginOK())
	bc, err := New(f.endpoint(), WithUserAgent(testUA), WithBotPassword(testBotUser, testBotPassword))
	require.NoError(t, err)
	_, err = bc.Resume(ctx)
	require.NoError(t, err)
	_, err = bc.token(ctx, "csrf")
	require.NoError(t, err)
	secrets := append([]string{oauthToken, "CONSUMER-SECRET-77", "ACCESS-SECRET-88", testBotPassword}, f.issued()...)
	require.Greater(t, len(secrets), 5, "the fake handed out tokens and cookies")

	req := ClientLoginRequest{Fields: map[string]string{"username": "Alice", "password": testUserPassword,
		"OATHToken": testOTP}}
	secrets = append(secrets, testUserPassword, testOTP)

	values := map[string]any{
		"*Client (OAuth 2)":      oc,
		"Client (OAuth 2)":       *oc,
		"Client (OAuth 1)":       *ofn,
		"*Client (bot password)": bc,
		"Client (bot password)":  *bc,
		"ClientLoginRequest":     req,
		"*ClientLoginRequest":    &req,
		"[]ClientLoginRequest":   []ClientLoginRequest{req},
		"Option":                 WithBotPassword(testBotUser, testBotPassword),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) { assertNoSecretPrinted(t, name, v, secrets) })
	}
}

func TestErrorsCarryNoSecret(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	f := newFake(t)
	f.on("login", reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html>\x1b[2J\x1b]0;evil\x07Bad gateway</html>"})
	c, err := New(f.endpoint(), WithUserAgent(testUA))
	require.NoError(t, err)
	_, err = c.Login(ctx, testBotUser, testBotPassword)
	require.Error(t, err)
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	assert.NotContains(t, err.Error(), "\x1b")
	assert.NotContains(t, re.Snippet, "\x1b")
	assert.Contains(t, re.Snippet, "Bad gateway")
	for _, s := range append(f.issued(), testBotPassword) {
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), s)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: login: "), err.Error())
}

func TestStepErrAndLoginErrorStrings(t *testing.T) {
	s := &Step{Status: StatusFail, MessageCode: "wrongpassword", Message: "Incorrect\x1b[31m password"}
	err := s.Err()
	require.Error(t, err)
	assert.Equal(t, "mwauth: clientlogin: FAIL (wrongpassword): Incorrect password", err.Error())
	assert.ErrorIs(t, err, ErrWrongCredentials)
	assert.NoError(t, (&Step{Status: StatusPass}).Err())
	var le *LoginError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "wrongpassword", le.Code)
}
