package mwauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMultiValuedParametersUseMediaWikiSyntax(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	for _, tc := range []struct {
		name   string
		values []string
		want   string
	}{
		{"pipe", []string{"A", "B"}, "A|B"},
		{"unit separator when a value holds a pipe", []string{"A|x", "B"}, "\x1fA|x\x1fB"},
		{"one value", []string{"Only"}, "Only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, f := setup(t)
			f.on("query", reply{Body: `{"batchcomplete":true,"query":{}}`})
			require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "titles": tc.values}, nil))
			r := f.last(t)
			assert.Equal(t, []string{tc.want}, r.Query["titles"], "one key, MediaWiki's multi-value syntax")

			require.NoError(t, c.Post(ctx, url.Values{"action": {"query"}, "titles": tc.values}, nil))
			assert.Equal(t, []string{tc.want}, f.last(t).Form["titles"])
		})
	}
}

func TestMaxlagWaitIsBounded(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	c, f := setup(t, WithMaxLag(5, 3))
	var waits []time.Duration
	c.cfg.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return nil
	}
	lag := apiErrorReply("maxlag", "Waiting for a database server: 7 seconds lagged.").with("Retry-After", "3599")
	f.on("query", lag, lag, reply{Body: `{"batchcomplete":true,"query":{}}`})
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil))
	assert.Equal(t, []time.Duration{time.Minute, time.Minute}, waits)
	assert.Equal(t, "5", f.last(t).param("maxlag"))
}

func TestMaxlagWaitEndsWithTheContext(t *testing.T) {
	c, f := setup(t, WithMaxLag(5, 20))
	f.on("query", apiErrorReply("maxlag", "lagged").with("Retry-After", "30"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := c.Get(ctx, url.Values{"action": {"query"}}, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestUnsafeRedirectTargetsAreRefused(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	for _, target := range []string{
		"javascript:alert(1)",
		"data:text/html,<script>x</script>",
		"http://idp.example.org/login",
		"ftp://idp.example.org/",
		"//idp.example.org/login",
		"https://user:pw@idp.example.org/",
	} {
		t.Run(target, func(t *testing.T) {
			c, f := setup(t)
			f.on("clientlogin", reply{Body: `{"clientlogin":{"status":"REDIRECT","redirecttarget":` +
				jsonString(target) + `,"requests":[]}}`})
			_, err := c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"fakesso": "1"}})
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
		})
	}
	for _, target := range []string{"https://idp.example.org/login?state=1", "http://127.0.0.1:9/idp"} {
		t.Run(target, func(t *testing.T) {
			c, f := setup(t)
			f.on("clientlogin", reply{Body: `{"clientlogin":{"status":"REDIRECT","redirecttarget":` +
				jsonString(target) + `,"requests":[]}}`})
			step, err := c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"fakesso": "1"}})
			require.NoError(t, err)
			assert.Equal(t, target, step.RedirectTarget)
		})
	}
}

func TestDefaultTimeoutIsSixtySeconds(t *testing.T) {
	c, err := New("https://wiki.example.org/w/api.php")
	require.NoError(t, err)
	assert.Equal(t, 60*time.Second, c.hc.Timeout)
	tr, ok := c.hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.Zero(t, tr.ResponseHeaderTimeout, "no shorter header timeout under the documented 60 s")
}

// jsonString quotes s as a JSON string.
func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
