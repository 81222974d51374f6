package mwauth_test

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

	"github.com/mwauth/mwauth"
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
// %v, %+v and %#v output of the package's exported types.
func TestNoSecretsAnywhere(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	srv := mwauthtest.NewServer(mwauthtest.WithSSO())
	defer srv.Close()
	srv.AddOAuth2Token(oa2Token, "BotUser")
	srv.AddOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret, "Admin")

	spy := &spyTransport{secrets: map[string]bool{}}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hc := &http.Client{Transport: spy, Timeout: 30 * time.Second}
	path := filepath.Join(t.TempDir(), "session.json")
	opts := func(extra ...mwauth.Option) []mwauth.Option {
		return append([]mwauth.Option{mwauth.WithHTTPClient(hc), mwauth.WithLogger(logger)}, extra...)
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
			printed = append(printed, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v))
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
	c, err := mwauth.New(srv.URL, opts(mwauth.WithSessionFile(path))...)
	require.NoError(t, err)
	_, err = c.Login(ctx, "BotUser@localbot", "wrongbotpassword0123456789abcdef")
	require.Error(t, err)
	keep(err)
	res, err := c.Login(ctx, "BotUser@localbot", botPass)
	require.NoError(t, err)
	resp, err := c.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"x"}})
	require.NoError(t, err)
	show(c, c.Jar(), res, resp)
	c2, err := mwauth.New(srv.URL, opts(mwauth.WithSessionFile(path), mwauth.WithBotPassword("BotUser@localbot", botPass))...)
	require.NoError(t, err)
	me, err := c2.Resume(ctx)
	require.NoError(t, err)
	srv.ExpireSessions()
	_, err = c2.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"y"}})
	require.NoError(t, err, "re-login")
	show(c2, me)
	require.NoError(t, c2.Logout(ctx))
	_, err = c2.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
	keep(err)

	// Clientlogin with two-factor: a wrong code, then the right one.
	cl, err := mwauth.New(srv.URL, opts()...)
	require.NoError(t, err)
	req := mwauth.ClientLoginRequest{Fields: map[string]string{"username": "TwoFAUser", "password": twofaPass}}
	show(req)
	step, err := cl.ClientLogin(ctx, req)
	require.NoError(t, err)
	show(step)
	wrong := "000000" // not a code of any accepted step (with overwhelming probability)
	step, err = cl.ContinueClientLogin(ctx, map[string]string{"OATHToken": wrong})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusUI, step.Status)
	show(step)
	code := srv.TOTPCode("TwoFAUser", 1)
	known = append(known, code, wrong)
	step, err = cl.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status)
	show(step, cl)

	// A failed clientlogin and the captcha through the driver.
	cf, err := mwauth.New(srv.URL, opts()...)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		step, err = cf.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{"username": "CaptchaUser", "password": "Wrong-Password-123"}})
		require.NoError(t, err)
		keep(step.Err())
		show(step)
	}
	step, err = cf.RunClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{"username": "CaptchaUser", "password": capPass}},
		func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
			show(s)
			return map[string]string{"captchaWord": "localwiki"}, nil
		})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "%s %s", step.MessageCode, step.Message)
	// A badtoken mid-flow.
	srv.ExpireSessions()
	step, err = cf.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	if err == nil {
		// Some servers answer FAIL instead of badtoken.
		err = step.Err()
	}
	keep(err)

	// OAuth 2 and OAuth 1, with a failing call each.
	o2, err := mwauth.New(srv.URL, opts(mwauth.WithOAuth2Token(oa2Token))...)
	require.NoError(t, err)
	_, err = o2.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"z"}})
	require.NoError(t, err)
	_, err = o2.Login(ctx, "BotUser@localbot", botPass)
	keep(err)
	o1, err := mwauth.New(srv.URL, opts(mwauth.WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret))...)
	require.NoError(t, err)
	_, err = o1.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"S"}, "appendtext": {"z"}})
	require.NoError(t, err)
	bad, err := mwauth.New(srv.URL, opts(mwauth.WithOAuth1(oa1Key, "bad-"+oa1Secret, oa1Token, oa1TokenSecret))...)
	require.NoError(t, err)
	_, err = bad.Get(ctx, url.Values{"action": {"query"}})
	keep(err)
	show(o2, o1, bad)
	// A bad endpoint with credentials in it.
	_, err = mwauth.New("https://user:" + botPass + "@wiki.example.org/w/api.php")
	keep(err)

	for _, e := range errs {
		show(e)
		printed = append(printed, e.Error())
		var le *mwauth.LoginError
		if errors.As(e, &le) {
			show(le)
		}
		var ae *mwauth.APIError
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
