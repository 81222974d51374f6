package mwauth_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

const (
	oa2Token       = "oauth2-access-token-7f3c9a1e5b"
	oa1Key         = "consumer-key-0a1b2c3d"
	oa1Secret      = "consumer-secret-9f8e7d6c"
	oa1Token       = "access-token-11223344"
	oa1TokenSecret = "access-secret-55667788"
)

func whoami(t *testing.T, ctx context.Context, c *mwauth.Client) string {
	t.Helper()
	resp, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	var out struct {
		Query struct {
			UserInfo struct {
				Name string `json:"name"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, resp.Decode(&out))
	return out.Query.UserInfo.Name
}

func TestOAuth2BearerEndToEnd(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	srv.AddOAuth2Token(oa2Token, "BotUser")
	ctx := context.Background()
	var logs bytes.Buffer
	c, err := mwauth.New(srv.URL, mwauth.WithOAuth2Token(oa2Token),
		mwauth.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)

	assert.Equal(t, "BotUser", whoami(t, ctx, c))
	resp, err := c.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"x"}})
	require.NoError(t, err)
	assert.Contains(t, string(resp.Raw), `"Success"`)
	for _, r := range srv.Requests() {
		assert.Equal(t, "Bearer "+oa2Token, r.Header.Get("Authorization"), r.Action)
		if r.Params.Get("meta") != "tokens" {
			assert.Equal(t, "user", r.Params.Get("assert"), "OAuth calls assert the user too")
		}
	}

	// Logins are refused in OAuth mode, before any request.
	n := len(srv.Requests())
	_, err = c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
	assert.ErrorIs(t, err, mwauth.ErrLoginNotAllowed)
	_, err = c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{"username": "Alice"}})
	assert.ErrorIs(t, err, mwauth.ErrLoginNotAllowed)
	assert.ErrorIs(t, c.Logout(ctx), mwauth.ErrLoginNotAllowed)
	assert.Len(t, srv.Requests(), n)
	epu, err := url.Parse(c.Endpoint())
	require.NoError(t, err)
	assert.Empty(t, c.Jar().Cookies(epu), "an OAuth session needs no cookies")

	for _, s := range []string{fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), logs.String(), fmt.Sprint(err)} {
		assert.NotContains(t, s, oa2Token)
	}
}

func TestOAuth2InvalidToken(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	c, err := mwauth.New(srv.URL, mwauth.WithOAuth2Token("not-a-known-token"))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), url.Values{"action": {"query"}, "meta": {"userinfo"}})
	assert.ErrorIs(t, err, mwauth.ErrOAuth)
	var ae *mwauth.APIError
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "mwoauth-invalid-authorization", ae.Code)
	assert.NotContains(t, err.Error(), "not-a-known-token")
}

// A 401 with WWW-Authenticate: Bearer error="invalid_token", as an OAuth
// 2.0 resource server may answer, is the same typed error.
func TestOAuth2WWWAuthenticate(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="expired"`)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, "unauthorized")
	}))
	defer ts.Close()
	c, err := mwauth.New(ts.URL+"/w/api.php", mwauth.WithOAuth2Token(oa2Token))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), url.Values{"action": {"query"}})
	assert.ErrorIs(t, err, mwauth.ErrOAuth)
}

// refreshingTransport stands in for golang.org/x/oauth2's Transport: it
// adds a bearer token from a source that hands out a new token after a
// few uses. mwauth keeps the caller's transport, so such a client works
// without the library importing x/oauth2.
type refreshingTransport struct {
	mu      sync.Mutex
	tokens  []string
	uses    int
	perTok  int
	refresh atomic.Int32
}

func (r *refreshingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.uses == r.perTok {
		r.tokens, r.uses = r.tokens[1:], 0
		r.refresh.Add(1)
	}
	tok := r.tokens[0]
	r.uses++
	r.mu.Unlock()
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+tok)
	return http.DefaultTransport.RoundTrip(req)
}

func TestOAuth2RefreshingHTTPClient(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	toks := []string{"tok-one", "tok-two", "tok-three"}
	for _, tk := range toks {
		srv.AddOAuth2Token(tk, "Alice")
	}
	rt := &refreshingTransport{tokens: toks, perTok: 2}
	c, err := mwauth.New(srv.URL, mwauth.WithHTTPClient(&http.Client{Transport: rt, Timeout: 10 * time.Second}))
	require.NoError(t, err)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		assert.Equal(t, "Alice", whoami(t, ctx, c))
	}
	assert.EqualValues(t, 2, rt.refresh.Load())
}

func TestOAuth1EndToEnd(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	srv.AddOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret, "Admin")
	ctx := context.Background()
	var logs bytes.Buffer
	c, err := mwauth.New(srv.URL, mwauth.WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret),
		mwauth.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, err)
	assert.Equal(t, "Admin", whoami(t, ctx, c))
	// POST bodies are signed too.
	resp, err := c.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"Sandbox"},
		"appendtext": {"a b+c&d=é"}, "summary": {"signed body"}})
	require.NoError(t, err)
	assert.Contains(t, string(resp.Raw), `"Success"`)
	for _, r := range srv.Requests() {
		h := r.Header.Get("Authorization")
		assert.True(t, strings.HasPrefix(h, "OAuth "), h)
		assert.Contains(t, h, `oauth_signature_method="HMAC-SHA1"`)
	}
	_, err = c.Login(ctx, "Admin@localbot", "adminbotpassword0123456789abcdef")
	assert.ErrorIs(t, err, mwauth.ErrLoginNotAllowed)
	out := fmt.Sprintf("%v %+v %#v %s", c, c, c, logs.String())
	for _, s := range []string{oa1Secret, oa1Token, oa1TokenSecret} {
		assert.NotContains(t, out, s)
	}
}

func TestOAuth1BadSignature(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	srv.AddOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret, "Admin")
	c, err := mwauth.New(srv.URL, mwauth.WithOAuth1(oa1Key, "wrong-consumer-secret", oa1Token, oa1TokenSecret))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), url.Values{"action": {"query"}, "meta": {"userinfo"}})
	assert.ErrorIs(t, err, mwauth.ErrOAuth)
	assert.NotContains(t, err.Error(), "wrong-consumer-secret")
	assert.Len(t, srv.Requests(), 1, "a bad signature is not retried")
}

// A "Nonce already used" answer is retried once with a fresh nonce.
func TestOAuth1NonceReuseRetriedOnce(t *testing.T) {
	var calls atomic.Int32
	var mu sync.Mutex
	var nonces []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		h := r.Header.Get("Authorization")
		i := strings.Index(h, `oauth_nonce="`)
		mu.Lock()
		nonces = append(nonces, h[i:i+20])
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if n == 1 || r.URL.Query().Get("always") != "" {
			w.Header().Set("MediaWiki-API-Error", "mwoauth-invalid-authorization")
			fmt.Fprint(w, `{"errors":[{"code":"mwoauth-invalid-authorization","text":"The authorization headers in your request are not valid: Nonce already used: abc","module":"main"}]}`)
			return
		}
		fmt.Fprint(w, `{"batchcomplete":true,"query":{"userinfo":{"id":1,"name":"Admin"}}}`)
	}))
	defer ts.Close()
	c, err := mwauth.New(ts.URL+"/api.php", mwauth.WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret))
	require.NoError(t, err)
	_, err = c.Get(context.Background(), url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	assert.EqualValues(t, 2, calls.Load())
	require.Len(t, nonces, 2)
	assert.NotEqual(t, nonces[0], nonces[1])

	calls.Store(0)
	_, err = c.Get(context.Background(), url.Values{"action": {"query"}, "always": {"1"}})
	assert.ErrorIs(t, err, mwauth.ErrOAuth)
	assert.EqualValues(t, 2, calls.Load(), "retried once, not more")
}

func TestOAuthOptionsValidated(t *testing.T) {
	_, err := mwauth.New("https://wiki.example.org/w/api.php", mwauth.WithOAuth2Token(""))
	assert.Error(t, err)
	_, err = mwauth.New("https://wiki.example.org/w/api.php", mwauth.WithOAuth1("k", "", "t", "s"))
	assert.Error(t, err)
	_, err = mwauth.New("https://wiki.example.org/w/api.php", mwauth.WithOAuth2Token("x"), mwauth.WithOAuth1("k", "c", "t", "s"))
	assert.Error(t, err)
}
