package mwauth

// auth_test.go: New, its options and how they are validated (auth.go).

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewChecksEndpoint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		endpoint string
		opts     []Option
		wantErr  error
	}{
		{name: "https", endpoint: "https://en.wikipedia.org/w/api.php"},
		{name: "https with port", endpoint: "https://wiki.example.org:8443/api.php"},
		{name: "relative URL", endpoint: "/w/api.php", wantErr: ErrInvalidArgument},
		{name: "no scheme", endpoint: "en.wikipedia.org/w/api.php", wantErr: ErrInvalidArgument},
		{name: "empty", endpoint: "", wantErr: ErrInvalidArgument},
		{name: "no host", endpoint: "https:///w/api.php", wantErr: ErrInvalidArgument},
		{name: "not api.php", endpoint: "https://en.wikipedia.org/w/index.php", wantErr: ErrInvalidArgument},
		{name: "api.php directory", endpoint: "https://en.wikipedia.org/w/api.php/", wantErr: ErrInvalidArgument},
		{name: "rest.php", endpoint: "https://en.wikipedia.org/w/rest.php", wantErr: ErrInvalidArgument},
		{name: "query", endpoint: "https://en.wikipedia.org/w/api.php?action=query", wantErr: ErrInvalidArgument},
		{name: "empty query", endpoint: "https://en.wikipedia.org/w/api.php?", wantErr: ErrInvalidArgument},
		{name: "fragment", endpoint: "https://en.wikipedia.org/w/api.php#top", wantErr: ErrInvalidArgument},
		{name: "userinfo", endpoint: "https://bot:secret@en.wikipedia.org/w/api.php", wantErr: ErrInvalidArgument},
		{name: "user only", endpoint: "https://bot@en.wikipedia.org/w/api.php", wantErr: ErrInvalidArgument},
		{name: "ftp scheme", endpoint: "ftp://en.wikipedia.org/w/api.php", wantErr: ErrInvalidArgument},
		{name: "javascript scheme", endpoint: "javascript:alert(1)//api.php", wantErr: ErrInvalidArgument},
		{name: "control character", endpoint: "https://en.wikipedia.org/w/api.php\x7f", wantErr: ErrInvalidArgument},
		{name: "trailing newline", endpoint: "https://en.wikipedia.org/w/api.php\n", wantErr: ErrInvalidArgument},
		{name: "http to non-loopback", endpoint: "http://en.wikipedia.org/w/api.php", wantErr: ErrInsecureHTTP},
		{name: "http to private address", endpoint: "http://192.168.1.10/w/api.php", wantErr: ErrInsecureHTTP},
		{name: "http to IPv6 address", endpoint: "http://[2001:db8::1]/api.php", wantErr: ErrInsecureHTTP},
		{name: "http to localhost lookalike", endpoint: "http://localhost.example.org/w/api.php", wantErr: ErrInsecureHTTP},
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
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, c)
				if err != nil {
					assert.NotContains(t, err.Error(), "secret", "the endpoint's user information is never quoted")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.endpoint, c.tr.endpointStr)
		})
	}
}

func TestNewValidatesOptions(t *testing.T) {
	t.Parallel()
	const ep = "https://wiki.example.org/w/api.php"
	tokenFunc := func(context.Context) (string, error) { return "tok", nil }
	session := filepath.Join(t.TempDir(), "s.json")
	tests := []struct {
		name    string
		opts    []Option
		wantErr bool
	}{
		{name: "no options"},
		{name: "nil option is skipped", opts: []Option{nil}},
		{name: "nil http client", opts: []Option{WithHTTPClient(nil)}, wantErr: true},
		{name: "empty user agent", opts: []Option{WithUserAgent("  ")}, wantErr: true},
		{name: "newline in user agent", opts: []Option{WithUserAgent("Bot/1.0\r\nX-Evil: 1")}, wantErr: true},
		{name: "nil logger", opts: []Option{WithLogger(nil)}, wantErr: true},
		{name: "maxlag zero", opts: []Option{WithMaxLag(0, 1)}, wantErr: true},
		{name: "maxlag negative retries", opts: []Option{WithMaxLag(5, -1)}, wantErr: true},
		{name: "maxlag too many retries", opts: []Option{WithMaxLag(5, 21)}, wantErr: true},
		{name: "maxlag ok", opts: []Option{WithMaxLag(5, 3)}},
		{name: "unknown assert", opts: []Option{WithAssert("anon")}, wantErr: true},
		{name: "empty assert", opts: []Option{WithAssert("")}, wantErr: true},
		{name: "assert bot", opts: []Option{WithAssert(AssertBot)}},
		{name: "assert user", opts: []Option{WithAssert(AssertUser)}},
		{name: "bot password without user", opts: []Option{WithBotPassword("", "x")}, wantErr: true},
		{name: "bot password without password", opts: []Option{WithBotPassword("A@b", "")}, wantErr: true},
		{name: "control character in bot user", opts: []Option{WithBotPassword("A@b\n", "x")}, wantErr: true},
		{name: "empty oauth2 token", opts: []Option{WithOAuth2Token("")}, wantErr: true},
		{name: "control character in oauth2 token", opts: []Option{WithOAuth2Token("a\nb")}, wantErr: true},
		{name: "nil oauth2 token func", opts: []Option{WithOAuth2TokenFunc(nil)}, wantErr: true},
		{name: "incomplete oauth1", opts: []Option{WithOAuth1("k", "", "t", "s")}, wantErr: true},
		{name: "oauth1 and oauth2", opts: []Option{WithOAuth1("k", "cs", "t", "ts"), WithOAuth2Token("tok")}, wantErr: true},
		{name: "oauth2 token and token func", opts: []Option{WithOAuth2Token("tok"), WithOAuth2TokenFunc(tokenFunc)}, wantErr: true},
		{name: "oauth2 and bot password", opts: []Option{WithOAuth2Token("tok"), WithBotPassword("A@b", "x")}, wantErr: true},
		{name: "oauth1 and session file", opts: []Option{WithOAuth1("k", "cs", "t", "ts"), WithSessionFile(session)}, wantErr: true},
		{name: "oauth2 token func alone", opts: []Option{WithOAuth2TokenFunc(tokenFunc)}},
		{name: "empty session file", opts: []Option{WithSessionFile("")}, wantErr: true},
		{name: "session file and bot password", opts: []Option{WithSessionFile(session), WithBotPassword("A@b", "x")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(ep, tt.opts...)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrInvalidArgument)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, c)
		})
	}
}

// TestOptionHasOnlyAnUnexportedMethod: Option's only method is
// unexported, so no type outside the package (a func(*Client) error, say)
// can be an Option; api_test.go's TestOptionIsSealed compiles the proof.
func TestOptionHasOnlyAnUnexportedMethod(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeOf((*Option)(nil)).Elem()
	require.Equal(t, 1, typ.NumMethod())
	assert.False(t, typ.Method(0).IsExported(), "Option.%s", typ.Method(0).Name)
	assert.False(t, reflect.TypeOf(func(*Client) error { return nil }).Implements(typ))
}

// TestNewKeepsCallerHTTPClient: the caller's *http.Client is copied,
// never modified, and its Transport and Timeout are still used.
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
	_, err = c.token(context.Background(), "login")
	require.NoError(t, err)

	assert.Same(t, callerJar, hc.Jar, "Jar of the caller's client was replaced")
	assert.Equal(t, reflect.ValueOf(checkRedirect).Pointer(), reflect.ValueOf(hc.CheckRedirect).Pointer(),
		"CheckRedirect of the caller's client was replaced")
	assert.Equal(t, 7*time.Second, hc.Timeout)
	assert.Same(t, rt, hc.Transport)
	assert.Equal(t, 1, rt.n, "the caller's Transport must carry the requests")
	assert.Equal(t, 7*time.Second, c.hc.Timeout, "the caller's Timeout is kept")
	assert.NotSame(t, hc, c.hc)
	assert.Empty(t, callerJar.Cookies(mustParse(t, f.endpoint())), "cookies must go to the Client's jar")
	assert.Equal(t, 1, c.cookieCount())
	assert.Zero(t, redirects)
}

func TestNewDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	c, err := New("https://wiki.example.org/w/api.php")
	require.NoError(t, err)
	assert.Equal(t, defaultTimeout, c.hc.Timeout, "the default client needs a finite timeout")
	assert.NotNil(t, c.hc.CheckRedirect)
	assert.Same(t, c.jar, c.hc.Jar)
	assert.Same(t, sharedTransport(), c.hc.Transport, "clients share one connection pool")
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
		{name: "default", want: "mwauth/" + version + " (https://github.com/mwauth/mwauth)"},
		{name: "product", opts: []Option{WithUserAgent("ExampleBot/1.2 (https://example.org/bot; bot@example.org)")},
			want: "ExampleBot/1.2 (https://example.org/bot; bot@example.org) mwauth/" + version},
		{name: "product is trimmed", opts: []Option{WithUserAgent("  ExampleBot/1.2  ")},
			want: "ExampleBot/1.2 mwauth/" + version},
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
