package mwauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/mwauth/mwauth/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint string
		opts     []Option
		wantErr  bool
	}{
		{name: "https", endpoint: "https://en.wikipedia.org/w/api.php"},
		{name: "https with port", endpoint: "https://wiki.example.org:8443/api.php"},
		{name: "relative URL", endpoint: "/w/api.php", wantErr: true},
		{name: "no scheme", endpoint: "en.wikipedia.org/w/api.php", wantErr: true},
		{name: "empty", endpoint: "", wantErr: true},
		{name: "no host", endpoint: "https:///w/api.php", wantErr: true},
		{name: "not api.php", endpoint: "https://en.wikipedia.org/w/index.php", wantErr: true},
		{name: "api.php directory", endpoint: "https://en.wikipedia.org/w/api.php/", wantErr: true},
		{name: "rest.php", endpoint: "https://en.wikipedia.org/w/rest.php", wantErr: true},
		{name: "query", endpoint: "https://en.wikipedia.org/w/api.php?action=query", wantErr: true},
		{name: "empty query", endpoint: "https://en.wikipedia.org/w/api.php?", wantErr: true},
		{name: "fragment", endpoint: "https://en.wikipedia.org/w/api.php#top", wantErr: true},
		{name: "userinfo", endpoint: "https://bot:secret@en.wikipedia.org/w/api.php", wantErr: true},
		{name: "user only", endpoint: "https://bot@en.wikipedia.org/w/api.php", wantErr: true},
		{name: "ftp scheme", endpoint: "ftp://en.wikipedia.org/w/api.php", wantErr: true},
		{name: "javascript scheme", endpoint: "javascript:alert(1)//api.php", wantErr: true},
		{name: "unparsable", endpoint: "https://en.wikipedia.org/w/api.php\x7f", wantErr: true},
		{name: "http to non-loopback", endpoint: "http://en.wikipedia.org/w/api.php", wantErr: true},
		{name: "http to private address", endpoint: "http://192.168.1.10/w/api.php", wantErr: true},
		{name: "http to localhost lookalike", endpoint: "http://localhost.example.org/w/api.php", wantErr: true},
		{name: "http to non-loopback with WithInsecureHTTP", endpoint: "http://en.wikipedia.org/w/api.php",
			opts: []Option{WithInsecureHTTP()}},
		{name: "http to 127.0.0.1", endpoint: "http://127.0.0.1:8080/api.php"},
		{name: "http to 127.0.0.2", endpoint: "http://127.0.0.2/api.php"},
		{name: "http to [::1]", endpoint: "http://[::1]:8080/w/api.php"},
		{name: "http to localhost", endpoint: "http://localhost/w/api.php"},
		{name: "http to LOCALHOST", endpoint: "http://LOCALHOST:8080/w/api.php"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.endpoint, tt.opts...)
			if tt.wantErr {
				assert.Error(t, err)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.endpoint, c.Endpoint())
		})
	}
}

func TestNewOptionErrors(t *testing.T) {
	t.Parallel()
	const ep = "https://wiki.example.org/w/api.php"
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
	}{
		{name: "no options"},
		{name: "nil option is skipped", opts: []Option{nil}},
		{name: "nil http client", opts: []Option{WithHTTPClient(nil)}, wantErr: true},
		{name: "nil jar", opts: []Option{WithJar(nil)}, wantErr: true},
		{name: "empty user agent", opts: []Option{WithUserAgent("  ")}, wantErr: true},
		{name: "newline in user agent", opts: []Option{WithUserAgent("Bot/1.0\r\nX-Evil: 1")}, wantErr: true},
		{name: "nil logger", opts: []Option{WithLogger(nil)}, wantErr: true},
		{name: "tiny max body", opts: []Option{WithMaxBody(100)}, wantErr: true},
		{name: "max body 1 KiB", opts: []Option{WithMaxBody(1024)}},
		{name: "maxlag zero", opts: []Option{WithMaxLag(0, 1)}, wantErr: true},
		{name: "maxlag negative retries", opts: []Option{WithMaxLag(5, -1)}, wantErr: true},
		{name: "maxlag too many retries", opts: []Option{WithMaxLag(5, 21)}, wantErr: true},
		{name: "maxlag ok", opts: []Option{WithMaxLag(5, 3)}},
		{name: "unknown assert", opts: []Option{WithAssert("anon")}, wantErr: true},
		{name: "assert bot", opts: []Option{WithAssert("bot")}},
		{name: "assert none", opts: []Option{WithAssert("")}},
		{name: "bot password without user", opts: []Option{WithBotPassword("", "x")}, wantErr: true},
		{name: "bot password without password", opts: []Option{WithBotPassword("A@b", "")}, wantErr: true},
		{name: "empty oauth2 token", opts: []Option{WithOAuth2Token("")}, wantErr: true},
		{name: "incomplete oauth1", opts: []Option{WithOAuth1("k", "", "t", "s")}, wantErr: true},
		{name: "oauth1 and oauth2", opts: []Option{WithOAuth1("k", "cs", "t", "ts"), WithOAuth2Token("tok")}, wantErr: true},
		{name: "empty session file", opts: []Option{WithSessionFile("")}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(ep, tt.opts...)
			if tt.wantErr {
				assert.Error(t, err)
				assert.Nil(t, c)
				return
			}
			assert.NoError(t, err)
		})
	}
}

// TestNewKeepsCallerHTTPClient checks that the caller's *http.Client is
// copied, never modified, and that its Transport is still used.
func TestNewKeepsCallerHTTPClient(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	callerJar, err := cookiejar.New(nil)
	require.NoError(t, err)
	redirects := 0
	checkRedirect := func(*http.Request, []*http.Request) error { redirects++; return nil }
	rt := &countingTransport{next: http.DefaultTransport}
	hc := &http.Client{Transport: rt, Jar: callerJar, CheckRedirect: checkRedirect, Timeout: 7 * time.Second}

	c, err := New(f.endpoint(), WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.Token(context.Background(), TokenLogin)
	require.NoError(t, err)

	assert.Same(t, callerJar, hc.Jar, "Jar of the caller's client was replaced")
	assert.Equal(t, reflect.ValueOf(checkRedirect).Pointer(), reflect.ValueOf(hc.CheckRedirect).Pointer(),
		"CheckRedirect of the caller's client was replaced")
	assert.Equal(t, 7*time.Second, hc.Timeout)
	assert.Same(t, rt, hc.Transport)
	assert.Equal(t, 1, rt.n, "the caller's Transport must carry the requests")
	assert.Equal(t, 7*time.Second, c.hc.Timeout, "the caller's Timeout is kept")
	assert.NotSame(t, hc, c.hc)
	assert.Same(t, c.jar, c.hc.Jar)
	assert.Empty(t, callerJar.Cookies(mustParse(t, f.endpoint())), "cookies must go to the Client's Jar")
	assert.Equal(t, 1, jarLen(c.jar))
	assert.Zero(t, redirects)
}

func TestNewDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := New("https://wiki.example.org/w/api.php")
	require.NoError(t, err)
	assert.Equal(t, defaultTimeout, c.hc.Timeout, "the default client needs a finite timeout")
	assert.NotNil(t, c.hc.CheckRedirect)
	assert.Same(t, c.jar, c.hc.Jar)
	assert.NotSame(t, http.DefaultClient, c.hc)
}

type countingTransport struct {
	next http.RoundTripper
	n    int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n++
	return c.next.RoundTrip(r)
}

func mustParse(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestUserAgent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{name: "default", want: "mwauth/" + Version + " (https://github.com/mwauth/mwauth)"},
		{name: "product", opts: []Option{WithUserAgent("ExampleBot/1.2 (https://example.org/bot; bot@example.org)")},
			want: "ExampleBot/1.2 (https://example.org/bot; bot@example.org) mwauth/" + Version},
		{name: "product is trimmed", opts: []Option{WithUserAgent("  ExampleBot/1.2  ")},
			want: "ExampleBot/1.2 mwauth/" + Version},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t)
			c, err := New(f.endpoint(), tt.opts...)
			require.NoError(t, err)
			f.on("login", f.loginOK())
			_, err = c.Login(context.Background(), testBotUser, testBotPassword)
			require.NoError(t, err)
			reqs := f.all()
			require.Len(t, reqs, 2)
			for _, r := range reqs {
				assert.Equal(t, tt.want, r.Header.Get("User-Agent"))
			}
		})
	}
}

// TestRequestsArePinned runs every kind of call and checks that each
// request carries format=json, formatversion=2 and errorformat=plaintext,
// even when the caller tries to set them.
func TestRequestsArePinned(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	f.on("login", f.loginOK())
	f.on("query", f.fx("tokens_csrf.json"))
	f.on("edit", f.fx("edit_success.json"))
	f.on("purge", f.fx("edit_success.json"))
	f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
	f.on("clientlogin", f.passOK())

	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"},
		"format": {"xml"}, "formatversion": {"1"}, "errorformat": {"bc"}})
	require.NoError(t, err)
	_, err = c.Post(ctx, url.Values{"action": {"purge"}, "titles": {"Main Page"}, "format": {"php"}})
	require.NoError(t, err)
	_, err = c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"edit"}, "title": {"Sandbox"}})
	require.NoError(t, err)
	require.NoError(t, c.Logout(ctx))
	_, err = c.AuthManagerInfo(ctx, AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	_, err = c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword}})
	require.NoError(t, err)

	reqs := f.all()
	require.Len(t, reqs, 9)
	for _, r := range reqs {
		assertPinned(t, r)
		if r.Method == http.MethodPost {
			assertPost(t, r)
		}
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
	}
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	redirectTo := func(status int, target func(r *http.Request) string) reply {
		return reply{Handle: func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target(r), status)
		}}
	}
	sameHost := func(r *http.Request) string { return "/moved/api.php?" + r.URL.RawQuery }

	tests := []struct {
		name    string
		method  string
		status  int
		other   bool // redirect to another server
		wantErr bool
	}{
		{name: "POST 302 same host refused", method: http.MethodPost, status: http.StatusFound, wantErr: true},
		{name: "POST 301 same host refused", method: http.MethodPost, status: http.StatusMovedPermanently, wantErr: true},
		{name: "POST 307 same host refused", method: http.MethodPost, status: http.StatusTemporaryRedirect, wantErr: true},
		{name: "POST 308 same host refused", method: http.MethodPost, status: http.StatusPermanentRedirect, wantErr: true},
		{name: "GET 302 to another host refused", method: http.MethodGet, status: http.StatusFound, other: true, wantErr: true},
		{name: "GET 301 to another host refused", method: http.MethodGet, status: http.StatusMovedPermanently, other: true, wantErr: true},
		{name: "GET 302 same host followed", method: http.MethodGet, status: http.StatusFound},
		{name: "GET 308 same host followed", method: http.MethodGet, status: http.StatusPermanentRedirect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			other := newFake(t)
			other.on("purge", other.fx("edit_success.json"))
			other.on("query", other.fx("edit_success.json"))
			target := sameHost
			if tt.other {
				target = func(r *http.Request) string { return other.endpoint() + "?" + r.URL.RawQuery }
			}
			ctx := ctxTimeout(t, 10*time.Second)
			var err error
			if tt.method == http.MethodPost {
				f.on("purge", redirectTo(tt.status, target), f.fx("edit_success.json"))
				_, err = c.Post(ctx, url.Values{"action": {"purge"}, "titles": {"Main Page"}})
			} else {
				f.on("query", redirectTo(tt.status, target), f.fx("edit_success.json"))
				_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
			}
			if !tt.wantErr {
				require.NoError(t, err)
				reqs := f.all()
				require.Len(t, reqs, 2)
				assert.Equal(t, "/moved/api.php", reqs[1].Path)
				return
			}
			assert.ErrorIs(t, err, ErrRedirect)
			assert.Len(t, f.all(), 1, "the redirect must not be followed")
			assert.Empty(t, other.all(), "the other host must not be contacted")
		})
	}
}

func TestCheckRedirect(t *testing.T) {
	t.Parallel()
	req := func(method, rawURL string) *http.Request {
		r, err := http.NewRequest(method, rawURL, nil)
		require.NoError(t, err)
		return r
	}
	get := req(http.MethodGet, "https://wiki.example.org/w/api.php?action=query")
	tests := []struct {
		name    string
		next    *http.Request
		via     []*http.Request
		wantErr bool
	}{
		{name: "same host", next: req(http.MethodGet, "https://wiki.example.org/x/api.php"), via: []*http.Request{get}},
		{name: "host case differs", next: req(http.MethodGet, "https://WIKI.example.org/x/api.php"), via: []*http.Request{get}},
		{name: "other host", next: req(http.MethodGet, "https://evil.example.org/w/api.php"), via: []*http.Request{get}, wantErr: true},
		{name: "other port", next: req(http.MethodGet, "https://wiki.example.org:8443/w/api.php"), via: []*http.Request{get}, wantErr: true},
		{name: "https to http", next: req(http.MethodGet, "http://wiki.example.org/w/api.php"), via: []*http.Request{get}, wantErr: true},
		{name: "post", next: req(http.MethodGet, "https://wiki.example.org/w/api.php"),
			via: []*http.Request{req(http.MethodPost, "https://wiki.example.org/w/api.php")}, wantErr: true},
		{name: "five redirects", next: req(http.MethodGet, "https://wiki.example.org/w/api.php"),
			via: []*http.Request{get, get, get, get, get}, wantErr: true},
		{name: "four redirects", next: req(http.MethodGet, "https://wiki.example.org/w/api.php"),
			via: []*http.Request{get, get, get, get}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := checkRedirect(tt.next, tt.via)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrRedirect)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

// TestContextDeadline: a wiki that never answers must not hold a call
// past its context.
func TestContextDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		call func(ctx context.Context, c *Client) error
	}{
		{name: "get", key: "query", call: func(ctx context.Context, c *Client) error {
			_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
			return err
		}},
		{name: "token", key: "tokens:csrf", call: func(ctx context.Context, c *Client) error {
			_, err := c.Token(ctx, TokenCSRF)
			return err
		}},
		{name: "login token", key: "tokens:login", call: func(ctx context.Context, c *Client) error {
			_, err := c.Login(ctx, testBotUser, testBotPassword)
			return err
		}},
		{name: "login post", key: "login", call: func(ctx context.Context, c *Client) error {
			_, err := c.Login(ctx, testBotUser, testBotPassword)
			return err
		}},
		{name: "clientlogin", key: "clientlogin", call: func(ctx context.Context, c *Client) error {
			_, err := c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": testUser}})
			return err
		}},
		{name: "post with token", key: "edit", call: func(ctx context.Context, c *Client) error {
			_, err := c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"edit"}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on(tt.key, hang())
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			start := time.Now()
			err := tt.call(ctx, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Less(t, time.Since(start), 5*time.Second, "the call must return when its context ends")
		})
	}
}

func TestContextDoneBeforeCall(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = c.Get(ctx, url.Values{"action": {"query"}})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, f.all(), "no request may be sent on a finished context")
}

func TestMaxLag(t *testing.T) {
	t.Parallel()
	lag := func(f *fakeWiki, retryAfter string) reply {
		r := f.fx("error_maxlag.json").with("MediaWiki-API-Error", "maxlag").with("X-Database-Lag", "7")
		if retryAfter != "" {
			r = r.with("Retry-After", retryAfter)
		}
		return r
	}
	tests := []struct {
		name        string
		opts        []Option
		script      func(f *fakeWiki) []reply
		timeout     time.Duration
		wantErr     error
		wantReqs    int
		wantMaxLag  string
		minDuration time.Duration
	}{
		{
			name: "retried after Retry-After then succeeds",
			opts: []Option{WithMaxLag(5, 2)},
			script: func(f *fakeWiki) []reply {
				return []reply{lag(f, "1"), f.fx("edit_success.json")}
			},
			wantReqs: 2, wantMaxLag: "5", minDuration: 900 * time.Millisecond,
		},
		{
			name: "retries exhausted",
			opts: []Option{WithMaxLag(3, 1)},
			script: func(f *fakeWiki) []reply {
				return []reply{lag(f, "1")}
			},
			wantErr: ErrMaxLag, wantReqs: 2, wantMaxLag: "3", minDuration: 900 * time.Millisecond,
		},
		{
			name: "no retries",
			opts: []Option{WithMaxLag(5, 0)},
			script: func(f *fakeWiki) []reply {
				return []reply{lag(f, "1")}
			},
			wantErr: ErrMaxLag, wantReqs: 1, wantMaxLag: "5",
		},
		{
			name: "without WithMaxLag nothing is sent or retried",
			script: func(f *fakeWiki) []reply {
				return []reply{lag(f, "1")}
			},
			wantErr: ErrMaxLag, wantReqs: 1,
		},
		{
			name: "context ends during the wait",
			opts: []Option{WithMaxLag(5, 3)},
			script: func(f *fakeWiki) []reply {
				return []reply{lag(f, "30")}
			},
			timeout: 200 * time.Millisecond,
			wantErr: context.DeadlineExceeded, wantReqs: 1, wantMaxLag: "5",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opts...)
			f.on("purge", tt.script(f)...)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			start := time.Now()
			_, err := c.Post(ctxTimeout(t, timeout), url.Values{"action": {"purge"}})
			elapsed := time.Since(start)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			if errors.Is(tt.wantErr, ErrMaxLag) {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, time.Second, ae.RetryAfter)
			}
			assert.Less(t, elapsed, 5*time.Second)
			assert.GreaterOrEqual(t, elapsed, tt.minDuration, "Retry-After must be honoured")
			reqs := f.all()
			assert.Len(t, reqs, tt.wantReqs)
			for _, r := range reqs {
				assert.Equal(t, tt.wantMaxLag, r.param("maxlag"))
				assert.Equal(t, tt.wantMaxLag != "", r.has("maxlag"))
			}
		})
	}
}

func TestAPIErrorRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		value string
		want  time.Duration
	}{
		{name: "absent"},
		{name: "seconds", value: "5", want: 5 * time.Second},
		{name: "spaces", value: " 7 ", want: 7 * time.Second},
		{name: "zero", value: "0"},
		{name: "negative", value: "-3"},
		{name: "an hour or more is ignored", value: "3600"},
		{name: "http date is ignored", value: "Wed, 21 Oct 2015 07:28:00 GMT"},
		{name: "garbage", value: "soon"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			if tt.value != "" {
				h.Set("Retry-After", tt.value)
			}
			e := apiErrorFrom([]wire.Message{{Code: "maxlag"}}, h)
			assert.Equal(t, tt.want, e.RetryAfter)
		})
	}
}

func TestIsNonceReused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *APIError
		want bool
	}{
		{name: "nonce already used", err: &APIError{Code: "mwoauth-invalid-authorization",
			Info: "The authorization headers in your request are not valid: Nonce already used: 123"}, want: true},
		{name: "case differs", err: &APIError{Code: "mwoauth-invalid-authorization", Info: "... NONCE ALREADY USED"}, want: true},
		{name: "invalid signature", err: &APIError{Code: "mwoauth-invalid-authorization",
			Info: "The authorization headers in your request are not valid: Invalid signature"}},
		{name: "other code with the same text", err: &APIError{Code: "badtoken", Info: "Nonce already used"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, isNonceReused(tt.err))
		})
	}
}

func TestOAuth2(t *testing.T) {
	t.Parallel()
	const accessToken = "oauth2-access-token-0123456789abcdef"
	c, f := setup(t, WithOAuth2Token(accessToken))
	ctx := ctxTimeout(t, 10*time.Second)

	f.on("query", f.fx("edit_success.json"))
	_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
	require.NoError(t, err)
	r := f.last(t)
	assert.Equal(t, "Bearer "+accessToken, r.Header.Get("Authorization"))
	assert.Equal(t, "user", r.param("assert"), "OAuth requests assert the user")

	_, err = c.Login(ctx, testBotUser, testBotPassword)
	assert.ErrorIs(t, err, ErrLoginNotAllowed)
	_, err = c.ClientLogin(ctx, ClientLoginRequest{})
	assert.ErrorIs(t, err, ErrLoginNotAllowed)
	_, err = c.ContinueClientLogin(ctx, nil)
	assert.ErrorIs(t, err, ErrLoginNotAllowed)
	assert.ErrorIs(t, c.Logout(ctx), ErrLoginNotAllowed)
	assert.Len(t, f.all(), 1, "logins in OAuth mode must not reach the wiki")

	f.on("purge", reply{Status: http.StatusUnauthorized,
		Header: map[string]string{"WWW-Authenticate": `Bearer error="invalid_token"`}, Body: `{}`})
	_, err = c.Post(ctx, url.Values{"action": {"purge"}})
	assert.ErrorIs(t, err, ErrOAuth)

	f.on("edit", f.fx("error_mwoauth_invalid_authorization.json"))
	_, err = c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"edit"}})
	assert.ErrorIs(t, err, ErrOAuth)
	assert.NotErrorIs(t, err, ErrLoginRequired)

	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", c, c, c, c), accessToken)
}

func TestOAuth1NonceRetriedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		replies  func(f *fakeWiki) []reply
		wantErr  error
		wantReqs int
	}{
		{name: "nonce reused then ok", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_mwoauth_nonce.json"), f.fx("edit_success.json")}
		}, wantReqs: 2},
		{name: "nonce reused twice", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_mwoauth_nonce.json")}
		}, wantErr: ErrOAuth, wantReqs: 2},
		{name: "bad signature not retried", replies: func(f *fakeWiki) []reply {
			return []reply{f.fx("error_mwoauth_invalid_authorization.json")}
		}, wantErr: ErrOAuth, wantReqs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, WithOAuth1("consumer-key", "consumer-secret", "access-token", "access-secret"))
			f.on("purge", tt.replies(f)...)
			_, err := c.Post(ctxTimeout(t, 10*time.Second), url.Values{"action": {"purge"}, "titles": {"A"}})
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			} else {
				assert.NoError(t, err)
			}
			reqs := f.all()
			require.Len(t, reqs, tt.wantReqs)
			nonces := map[string]bool{}
			for _, r := range reqs {
				p, err := oauth1.ParseHeader(r.Header.Get("Authorization"))
				require.NoError(t, err)
				assert.Equal(t, "consumer-key", p["oauth_consumer_key"])
				nonces[p["oauth_nonce"]] = true
			}
			assert.Len(t, nonces, tt.wantReqs, "every request needs a fresh nonce")
		})
	}
}

// TestRedaction runs logins of both kinds, a two-factor step, tokens, a
// re-login, a logout and failing calls with debug logging on, and checks
// that no secret reaches a log line, an error, a URL or fmt output.
func TestRedaction(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	c, f := setup(t, WithLogger(debugLogger(&logs)))
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
	res, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	printed = append(printed, res, *res)

	// A write that finds the session lost: re-login with the kept
	// password, fresh tokens, retry.
	f.on("edit", f.fx("error_assertuserfailed.json"), f.fx("edit_success.json"))
	resp, err := c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"edit"}, "title": {"Sandbox"}, "text": {"x"}})
	require.NoError(t, err)
	require.Len(t, f.posts("login"), 3, "one re-login expected")
	printed = append(printed, resp)

	// Failing writes.
	f.on("delete", f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken"))
	_, err = c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"delete"}, "title": {"Sandbox"}})
	fail(err)
	f.on("protect", f.fx("error_readonly.json"))
	_, err = c.PostWithToken(ctx, TokenCSRF, url.Values{"action": {"protect"}, "title": {"Sandbox"}})
	fail(err)
	tok, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	f.on("rollback", reply{Body: `{"query":{"tokens":{"csrftoken":"` + strings.ReplaceAll(tok, `\`, `\\`) + `"}`})
	_, err = c.Post(ctx, url.Values{"action": {"rollback"}})
	fail(err) // truncated JSON that holds a token
	f.on("move", reply{Body: `{"query":{"tokens":{"csrftoken":"` + strings.ReplaceAll(tok, `\`, `\\`) + `"}}}` +
		strings.Repeat(" ", wire.DefaultMaxBody)})
	_, err = c.Post(ctx, url.Values{"action": {"move"}})
	fail(err) // oversize body that holds a token
	f.on("import", reply{Status: http.StatusBadGateway, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
	_, err = c.Post(ctx, url.Values{"action": {"import"}})
	fail(err)

	require.NoError(t, c.Logout(ctx))

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
		var he *HTTPError
		switch {
		case errors.As(err, &le):
			printed = append(printed, le, *le)
		case errors.As(err, &ae):
			printed = append(printed, ae, *ae)
		case errors.As(err, &he):
			printed = append(printed, he, *he)
		}
	}
	var texts []string
	for _, v := range append(printed, c, c.Jar()) {
		texts = append(texts, fmt.Sprintf("%v", v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v), fmt.Sprint(v))
	}
	for _, err := range errs {
		texts = append(texts, err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err))
	}

	secrets := []string{testBotPassword, wrongPassword, testUserPassword, testOTP, wrongOTP}
	for _, s := range f.issued() {
		secrets = append(secrets, strings.TrimSuffix(s, `+\`))
	}
	require.Greater(t, len(secrets), 10, "the fake must have issued tokens and cookies")
	logText := logs.String()
	require.Contains(t, logText, `"action":"login"`, "debug logging must be on")
	for _, s := range secrets {
		forms := []string{s, url.QueryEscape(s), url.PathEscape(s)}
		for _, form := range forms {
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
