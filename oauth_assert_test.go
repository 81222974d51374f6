package mwauth

// oauth_assert_test.go: against mwauthtest's imitation of
// Extension:OAuth, a request that the extension would run anonymously
// without an error fails instead, thanks to the assert.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/mwauthtest"
)

// lowercaseScheme rewrites "Bearer" to "bearer", as a careless proxy
// might: Extension:OAuth then ignores the header and runs the request
// anonymously, with no error.
type lowercaseScheme struct{}

func (lowercaseScheme) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if v := r.Header.Get("Authorization"); strings.HasPrefix(v, "Bearer ") {
		r.Header.Set("Authorization", "bearer "+strings.TrimPrefix(v, "Bearer "))
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestOAuth2(t *testing.T) {
	const token = "oauth2-token-of-botuser-0123456789"
	srv := wiki(t, mwauthtest.WithOAuth2Token(token, "BotUser"))
	userinfo := url.Values{"action": {"query"}, "meta": {"userinfo"}}
	var q struct {
		Query struct {
			UserInfo struct{ Name string } `json:"userinfo"`
		} `json:"query"`
	}

	t.Run("acts as the token's user", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token(token))
		require.NoError(t, c.Get(ctx, userinfo, &q))
		assert.Equal(t, "BotUser", q.Query.UserInfo.Name)
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, "BotUser", u.Name)
		require.NoError(t, edit(ctx, c, "oauth edit"))
	})
	t.Run("an unknown token is an ErrOAuth", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token("not-a-token"))
		err := c.Get(ctx, userinfo, nil)
		assert.ErrorIs(t, err, ErrOAuth)
	})
	t.Run("a request the extension runs anonymously fails", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		c := newAt(t, srv, WithOAuth2Token(token), WithHTTPClient(&http.Client{Transport: lowercaseScheme{}}))
		err := c.Get(ctx, userinfo, &q)
		assert.ErrorIs(t, err, ErrNotLoggedIn, "assert=user catches the silently anonymous request")
		err = edit(ctx, c, "anonymous?")
		assert.ErrorIs(t, err, ErrNotLoggedIn)
		_, err = c.Resume(ctx)
		assert.ErrorIs(t, err, ErrOAuth)
	})
	t.Run("a refreshing token func", func(t *testing.T) {
		ctx := ctxTimeout(t, 10*time.Second)
		calls := 0
		c := newAt(t, srv, WithOAuth2TokenFunc(func(context.Context) (string, error) {
			calls++
			return token, nil
		}))
		require.NoError(t, edit(ctx, c, "with a token func"))
		assert.Equal(t, 2, calls, "one token per request: the CSRF token, the edit")
	})
}
