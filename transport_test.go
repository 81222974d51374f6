package mwauth

// transport_test.go: one api.php exchange (transport.go): the encoding
// of requests, redirects, maxlag, OAuth signing, and how answers that
// are not usable become typed errors, with bounded memory and no leaked
// goroutine.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/internal/wire"
	"github.com/mwauth/mwauth/mwauthtest"
)

// TestRequestsArePinned runs every kind of call and checks that each
// request carries format=json, formatversion=2 and errorformat=plaintext,
// even when the caller tries to set them, and that POSTs carry nothing in
// their URL.
func TestRequestsArePinned(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	ctx := ctxTimeout(t, 10*time.Second)
	f.on("login", f.loginOK())
	f.on("query", f.fx("edit_success.json"))
	f.on("edit", f.fx("edit_success.json"))
	f.on("purge", f.fx("edit_success.json"))
	f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
	f.on("clientlogin", f.passOK())

	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"},
		"format": {"xml"}, "formatversion": {"1"}, "errorformat": {"bc"}}, nil))
	require.NoError(t, c.Post(ctx, url.Values{"action": {"purge"}, "titles": {"Main Page"}, "format": {"php"}}, nil))
	require.NoError(t, c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"Sandbox"}}, nil))
	require.NoError(t, c.Logout(ctx))
	_, err = c.AuthManagerInfo(ctx, "")
	require.NoError(t, err)
	_, err = c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)

	reqs := f.all()
	require.Len(t, reqs, 9)
	for _, r := range reqs {
		if r.Key == "login" {
			// action=login asks for raw reasons, which carry a throttle's wait.
			assert.Equal(t, "raw", r.param("errorformat"))
			assert.Equal(t, "json", r.param("format"))
			assert.Equal(t, "2", r.param("formatversion"))
		} else {
			assertPinned(t, r)
		}
		if r.Method == http.MethodPost {
			assertPost(t, r)
		}
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
	}
}

// TestMultiValueParams: several values of one parameter are joined as
// MediaWiki reads them.
func TestMultiValueParams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{name: "one value", values: []string{"Main Page"}, want: "Main Page"},
		{name: "pipe-joined", values: []string{"A", "B", "C"}, want: "A|B|C"},
		{name: "a value with a pipe uses U+001F", values: []string{"A|B", "C"}, want: "\x1fA|B\x1fC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", f.fx("edit_success.json"))
			f.on("purge", f.fx("edit_success.json"))
			ctx := ctxTimeout(t, 10*time.Second)
			require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "titles": tt.values}, nil))
			require.NoError(t, c.Post(ctx, url.Values{"action": {"purge"}, "titles": tt.values}, nil))
			for _, r := range f.all() {
				assert.Equal(t, tt.want, r.param("titles"), r.Method)
			}
		})
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
				err = c.Post(ctx, url.Values{"action": {"purge"}, "titles": {"Main Page"}}, nil)
			} else {
				f.on("query", redirectTo(tt.status, target), f.fx("edit_success.json"))
				err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
			}
			if !tt.wantErr {
				require.NoError(t, err)
				reqs := f.all()
				require.Len(t, reqs, 2)
				assert.Equal(t, "/moved/api.php", reqs[1].Path)
				return
			}
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
			assert.Len(t, f.all(), 1, "the redirect must not be followed")
			assert.Empty(t, other.all(), "the other host must not be contacted")
		})
	}
}

// TestRedirectOfLoginPrefixedOnce: a refused redirect wraps ErrUnexpectedResponse,
// whose text starts with "mwauth: " too; the message still carries the
// prefix once, and never the password.
func TestRedirectOfLoginPrefixedOnce(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("login", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved/api.php", http.StatusFound)
	}})
	_, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	assert.Equal(t, 1, strings.Count(err.Error(), "mwauth:"), "error %q", err)
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: login: "), err.Error())
	assert.NotContains(t, err.Error(), testBotPassword)
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
				assert.ErrorIs(t, err, ErrUnexpectedResponse)
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
			return c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
		}},
		{name: "token", key: "tokens:csrf", call: func(ctx context.Context, c *Client) error {
			_, err := c.token(ctx, "csrf")
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
			return c.PostWithToken(ctx, "", url.Values{"action": {"edit"}}, nil)
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
	assert.ErrorIs(t, c.Get(ctx, url.Values{"action": {"query"}}, nil), context.Canceled)
	assert.Empty(t, f.all(), "no request may be sent on a finished context")
}

// TestMaxLag: maxlag is sent when asked for and its errors are retried
// after the wiki's Retry-After, through the Client's injected sleep.
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
		name       string
		opts       []Option
		script     func(f *fakeWiki) []reply
		cancelWait bool // the context ends during the first wait
		wantErr    error
		wantCode   string
		wantReqs   int
		wantMaxLag string
		wantWaits  []time.Duration
	}{
		{name: "retried after Retry-After then succeeds", opts: []Option{WithMaxLag(5, 2)},
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, "1"), f.fx("edit_success.json")} },
			wantReqs: 2, wantMaxLag: "5", wantWaits: []time.Duration{time.Second}},
		{name: "retries exhausted", opts: []Option{WithMaxLag(3, 2)},
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, "2")} },
			wantCode: "maxlag", wantReqs: 3, wantMaxLag: "3", wantWaits: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "no Retry-After waits MediaWiki's minimum", opts: []Option{WithMaxLag(5, 1)},
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, ""), f.fx("edit_success.json")} },
			wantReqs: 2, wantMaxLag: "5", wantWaits: []time.Duration{5 * time.Second}},
		{name: "a long Retry-After is cut to a minute", opts: []Option{WithMaxLag(5, 1)},
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, "600"), f.fx("edit_success.json")} },
			wantReqs: 2, wantMaxLag: "5", wantWaits: []time.Duration{time.Minute}},
		{name: "no retries", opts: []Option{WithMaxLag(5, 0)},
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, "1")} },
			wantCode: "maxlag", wantReqs: 1, wantMaxLag: "5"},
		{name: "without WithMaxLag nothing is sent or retried",
			script:   func(f *fakeWiki) []reply { return []reply{lag(f, "1")} },
			wantCode: "maxlag", wantReqs: 1},
		{name: "context ends during the wait", opts: []Option{WithMaxLag(5, 3)}, cancelWait: true,
			script:  func(f *fakeWiki) []reply { return []reply{lag(f, "30")} },
			wantErr: context.Canceled, wantReqs: 1, wantMaxLag: "5", wantWaits: []time.Duration{30 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var waits []time.Duration
			c.cfg.sleep = func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				if tt.cancelWait {
					cancel()
				}
				return ctx.Err()
			}
			f.on("purge", tt.script(f)...)
			err := c.Post(ctx, url.Values{"action": {"purge"}}, nil)
			switch {
			case tt.wantErr != nil:
				assert.ErrorIs(t, err, tt.wantErr)
			case tt.wantCode != "":
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.wantCode, ae.Code)
			default:
				assert.NoError(t, err)
			}
			assert.Equal(t, tt.wantWaits, waits, "the waits")
			reqs := f.all()
			assert.Len(t, reqs, tt.wantReqs)
			for _, r := range reqs {
				assert.Equal(t, tt.wantMaxLag, r.param("maxlag"))
				assert.Equal(t, tt.wantMaxLag != "", r.has("maxlag"))
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		value   string
		want    time.Duration
		wantSet bool
	}{
		{name: "absent"},
		{name: "seconds", value: "5", want: 5 * time.Second, wantSet: true},
		{name: "spaces", value: " 7 ", want: 7 * time.Second, wantSet: true},
		{name: "zero", value: "0", wantSet: true},
		{name: "negative", value: "-3"},
		{name: "an hour is cut to a minute", value: "3600", want: time.Minute, wantSet: true},
		{name: "huge is cut to a minute", value: "99999999", want: time.Minute, wantSet: true},
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
			assert.Equal(t, tt.want, e.retryAfter)
			assert.Equal(t, tt.wantSet, e.hasRetryAfter)
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

const htmlBadGateway = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The upstream server is not answering.</p><hr><address>nginx</address></body></html>`

// TestUnusableAnswers: answers that are not usable api.php answers
// become a *ResponseError matching ErrUnexpectedResponse, keep a snippet
// only of bodies that are not api.php's, and are not retried.
func TestUnusableAnswers(t *testing.T) {
	t.Parallel()
	html := map[string]string{"Content-Type": "text/html; charset=utf-8"}
	tests := []struct {
		name        string
		reply       reply
		wantErr     bool
		wantStatus  int
		wantType    string // the answer's Content-Type, when checked
		wantSnippet string // a substring of Snippet; "-" means empty
		wantLarge   bool
	}{
		{name: "HTML 502 from a proxy", reply: reply{Status: 502, Header: html, Body: htmlBadGateway},
			wantErr: true, wantStatus: 502, wantType: "text/html; charset=utf-8", wantSnippet: "<h1>502 Bad Gateway</h1>"},
		{name: "HTML 200 from a captive portal", reply: reply{Header: html, Body: "<html><body>Please log in to the Wi-Fi</body></html>"},
			wantErr: true, wantStatus: 200, wantSnippet: "Wi-Fi"},
		{name: "plain-text 500", reply: reply{Status: 500, Header: map[string]string{"Content-Type": "text/plain"}, Body: "PHP Fatal error"},
			wantErr: true, wantStatus: 500, wantType: "text/plain", wantSnippet: "PHP Fatal error"},
		{name: "HTML 429", reply: reply{Status: 429, Header: html, Body: "<html>Too Many Requests</html>"},
			wantErr: true, wantStatus: 429, wantSnippet: "Too Many Requests"},
		{name: "JSON 500 without errors", reply: reply{Status: 500, Body: `{"batchcomplete":true}`},
			wantErr: true, wantStatus: 500, wantSnippet: "-"},
		{name: "no Content-Type", reply: reply{Header: map[string]string{"Content-Type": ""}, Body: `{"batchcomplete":true}`},
			wantErr: true, wantStatus: 200},
		{name: "truncated JSON", reply: reply{Body: `{"query":{"tokens":{"csrftoken":"0123456789abcdef0123456789abcdef6b0277bf+\\"`},
			wantErr: true, wantStatus: 200, wantSnippet: "-"},
		{name: "empty body", reply: reply{Body: ""}, wantErr: true, wantStatus: 200, wantSnippet: "-"},
		{name: "trailing garbage", reply: reply{Body: `{"batchcomplete":true}<br />` + "\n<b>Warning</b>: something in PHP"},
			wantErr: true, wantStatus: 200},
		{name: "two JSON objects", reply: reply{Body: `{"batchcomplete":true}{"batchcomplete":true}`}, wantErr: true, wantStatus: 200},
		{name: "top-level array", reply: reply{Body: `[]`}, wantErr: true, wantStatus: 200},
		{name: "top-level null", reply: reply{Body: `null`}, wantErr: true, wantStatus: 200},
		{name: "errors is not a list", reply: reply{Body: `{"errors":"badtoken"}`}, wantErr: true, wantStatus: 200},
		{name: "one byte over the limit", reply: reply{Body: padJSON(wire.MaxBody + 1)},
			wantErr: true, wantStatus: 200, wantSnippet: "-", wantLarge: true},
		{name: "announced over the limit", reply: reply{Header: map[string]string{"Content-Length": strconv.Itoa(200 << 20)}, Body: `{"x":"`},
			wantErr: true, wantStatus: 200, wantSnippet: "-", wantLarge: true},
		{name: "exactly the limit", reply: reply{Body: padJSON(wire.MaxBody)}},
		{name: "charset parameter", reply: reply{Header: map[string]string{"Content-Type": "application/json; charset=UTF-8"},
			Body: `{"batchcomplete":true}`}},
		{name: "+json media type", reply: reply{Header: map[string]string{"Content-Type": "application/vnd.api+json"},
			Body: `{"batchcomplete":true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", tt.reply)
			err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
			assert.True(t, strings.HasPrefix(err.Error(), "mwauth: get: "), err.Error())
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, tt.wantStatus, re.StatusCode)
			assert.NotEmpty(t, re.reason)
			assert.Equal(t, tt.wantLarge, re.tooLarge)
			if tt.wantType != "" {
				assert.Equal(t, tt.wantType, re.contentType)
			}
			switch tt.wantSnippet {
			case "":
			case "-":
				assert.Empty(t, re.Snippet, "bodies of api.php answers are never kept")
			default:
				assert.Contains(t, re.Snippet, tt.wantSnippet)
				assert.LessOrEqual(t, len(re.Snippet), snippetLen+len("…"))
			}
			assert.Len(t, f.all(), 1, "an unusable answer is not retried")
		})
	}
}

// padJSON returns a JSON object of exactly n bytes.
func padJSON(n int) string {
	const head, tail = `{"pad":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestSnippetIsShortAndPrintable(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	body := "<html>\x00\x07\x1b[31m" + strings.Repeat("<p>proxy error</p>", 200) + "</html>"
	f.on("query", reply{Status: 503, Header: map[string]string{"Content-Type": "text/html"}, Body: body})
	err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}}, nil)
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	assert.LessOrEqual(t, len(re.Snippet), snippetLen+len("…"))
	assert.NotContains(t, re.Snippet, "\x00")
	assert.NotContains(t, re.Snippet, "\x1b")
	assert.Contains(t, re.Snippet, "proxy error")
	assert.Equal(t, "text/html", re.contentType)
}

// TestSnippetNeverHoldsAPIBody: whatever is wrong with an answer that
// looks like api.php's JSON (status, Content-Type, PHP notices or a byte
// order mark before it), its text may hold a token, so the error must
// not keep it.
func TestSnippetNeverHoldsAPIBody(t *testing.T) {
	t.Parallel()
	const secretToken = "0123456789abcdef0123456789abcdef6b0277b0"
	body := `{"batchcomplete":true,"query":{"tokens":{"csrftoken":"` + secretToken + `+\\"}}}`
	notice := "<br />\n<b>Deprecated</b>: Creation of dynamic property Foo::$bar is deprecated in " +
		"<b>/var/www/w/extensions/Foo/Foo.php</b> on line <b>12</b><br />\n"
	long := strings.Repeat(notice, 4)[:440] // the token is cut by the snippet's end
	tests := []struct {
		name  string
		reply reply
	}{
		{name: "JSON with status 500", reply: reply{Status: 500, Body: body}},
		{name: "JSON with status 503 and no errors", reply: reply{Status: 503, Body: body}},
		{name: "JSON labelled text/html", reply: reply{Header: map[string]string{"Content-Type": "text/html"}, Body: body}},
		{name: "JSON labelled text/javascript", reply: reply{Header: map[string]string{"Content-Type": "text/javascript"}, Body: body}},
		{name: "truncated JSON", reply: reply{Body: body[:len(body)-5]}},
		{name: "JSON with trailing garbage", reply: reply{Body: body + "<br>"}},
		{name: "PHP notice before JSON", reply: reply{Body: notice + body}},
		{name: "long PHP notice cuts the token", reply: reply{Body: long + body}},
		{name: "UTF-8 BOM before JSON", reply: reply{Body: "\ufeff" + body}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:csrf", tt.reply)
			_, err := c.token(ctxTimeout(t, 10*time.Second), "csrf")
			var re *ResponseError
			require.ErrorAs(t, err, &re)
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
			for _, s := range []string{re.Snippet, fmt.Sprintf("%#v", re), fmt.Sprintf("%+v", err), err.Error()} {
				assert.NotContains(t, s, secretToken[:12])
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		reply      func(f *fakeWiki) reply
		wantCode   string
		wantInfo   string
		wantModule string
		wantIs     error
		wantWait   time.Duration
	}{
		{name: "plaintext error with MediaWiki-API-Error header",
			reply:    func(f *fakeWiki) reply { return f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken") },
			wantCode: "badtoken", wantInfo: "Invalid CSRF token.", wantModule: "main"},
		{name: "several errors: the first one",
			reply: func(f *fakeWiki) reply {
				return f.fx("error_multiple.json").with("MediaWiki-API-Error", "missingparam, badvalue")
			},
			wantCode: "missingparam", wantInfo: `The "title" parameter must be set.`, wantModule: "edit"},
		{name: "Retry-After",
			reply:    func(f *fakeWiki) reply { return f.fx("error_maxlag.json").with("Retry-After", "7") },
			wantCode: "maxlag", wantInfo: "Waiting for a database server: 7 seconds lagged.", wantModule: "main",
			wantWait: 7 * time.Second},
		{name: "errorformat=bc error object",
			reply:    func(f *fakeWiki) reply { return f.fx("error_bc_badtoken.json").with("MediaWiki-API-Error", "badtoken") },
			wantCode: "badtoken", wantInfo: "Invalid CSRF token."},
		{name: "formatversion=1 plaintext errors",
			reply: func(f *fakeWiki) reply {
				return f.fx("error_fv1_plaintext.json").with("MediaWiki-API-Error", "badtoken")
			},
			wantCode: "badtoken", wantInfo: "Invalid CSRF token.", wantModule: "clientlogin"},
		{name: "readonly", reply: func(f *fakeWiki) reply { return f.fx("error_readonly.json") }, wantCode: "readonly", wantModule: "main"},
		{name: "ratelimited", reply: func(f *fakeWiki) reply { return f.fx("error_ratelimited.json") }, wantCode: "ratelimited", wantModule: "edit"},
		{name: "assertuserfailed", reply: func(f *fakeWiki) reply { return f.fx("error_assertuserfailed.json") },
			wantCode: "assertuserfailed", wantModule: "main", wantIs: ErrNotLoggedIn},
		{name: "oauth", reply: func(f *fakeWiki) reply { return f.fx("error_mwoauth_invalid_authorization.json") },
			wantCode: "mwoauth-invalid-authorization", wantModule: "main", wantIs: ErrOAuth},
		{name: "errors with HTTP 500",
			reply: func(*fakeWiki) reply {
				return reply{Status: 500, Body: `{"errors":[{"code":"internal_api_error_DBQueryError","text":"[abc] Caught exception of type Wikimedia\\Rdbms\\DBQueryError","data":{"errorclass":"Wikimedia\\Rdbms\\DBQueryError"},"module":"main"}]}`}
			},
			wantCode: "internal_api_error_DBQueryError", wantModule: "main"},
		{name: "control characters in the text",
			reply: func(*fakeWiki) reply {
				return reply{Body: `{"errors":[{"code":"x\u001b[31m","text":"a\u001b]0;title\u0007b\nc","module":"main"}]}`}
			},
			wantCode: "x", wantInfo: "ab c", wantModule: "main"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", tt.reply(f))
			err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}}, nil)
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.NotErrorIs(t, err, ErrUnexpectedResponse, "an API error is an answer of the protocol")
			assert.Equal(t, tt.wantCode, ae.Code)
			if tt.wantInfo != "" {
				assert.Equal(t, tt.wantInfo, ae.Info)
			}
			assert.Equal(t, tt.wantModule, ae.module)
			assert.Equal(t, tt.wantWait, ae.retryAfter)
			if tt.wantIs != nil {
				assert.ErrorIs(t, err, tt.wantIs)
			}
			assert.Len(t, f.all(), 1, "an API error of an anonymous call is not retried")
		})
	}
}

// TestWarningsAreNotErrors: the wiki's warnings, in every shape, leave
// the call successful and are logged at debug level by code and module.
func TestWarningsAreNotErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fixture     string
		wantModules []string
		wantCodes   []string
	}{
		{name: "plaintext", fixture: "clientlogin_fail_notinprogress.json",
			wantModules: []string{"main"}, wantCodes: []string{"unrecognizedparams"}},
		{name: "formatversion=1 object form", fixture: "warnings_fv1_bc.json", wantModules: []string{"main"}},
		{name: "formatversion=2 bc object form, one line each", fixture: "warnings_fv2_bc.json",
			wantModules: []string{"login", "login", "main"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			c, f := setup(t, WithLogger(debugLogger(&logs)))
			f.on("query", f.fx(tt.fixture))
			require.NoError(t, c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}}, nil))
			var modules, codes []string
			for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
				var rec struct {
					Msg, Module, Code string
				}
				require.NoError(t, json.Unmarshal([]byte(line), &rec))
				if rec.Msg == "mwauth: wiki warning" {
					modules = append(modules, rec.Module)
					if rec.Code != "" {
						codes = append(codes, rec.Code)
					}
				}
			}
			assert.ElementsMatch(t, tt.wantModules, modules)
			assert.Equal(t, tt.wantCodes, codes)
		})
	}
}

// TestTransportError: a wiki that is not there gives an error that names
// the method and endpoint, never the parameters.
func TestTransportError(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	ep := f.endpoint()
	f.srv.Close()
	c, err := New(ep)
	require.NoError(t, err)
	err = c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "titles": {"Secret page"}}, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), http.MethodGet)
	assert.Contains(t, err.Error(), ep)
	assert.NotContains(t, err.Error(), "Secret")
	assert.NotContains(t, err.Error(), "titles")
	assert.Equal(t, 1, strings.Count(err.Error(), "mwauth:"), err.Error())
}

// faultServer is a Client on an httptest server that runs h.
func faultServer(t *testing.T, h http.HandlerFunc) (*Client, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := New(ts.URL + "/w/api.php")
	require.NoError(t, err)
	return c, ts
}

var userinfoParams = url.Values{"action": {"query"}, "meta": {"userinfo"}}

// hugeBody streams n bytes of a JSON string without holding them.
type hugeBody struct{ left int64 }

func (h *hugeBody) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), h.left)
	for i := range p[:n] {
		p[i] = 'a'
	}
	h.left -= n
	return int(n), nil
}

// TestHundredMegabyteBodyIsBounded: refusing a 100 MB body costs memory
// bounded by the limit, not by the body. Not parallel: it measures the
// process's allocations.
func TestHundredMegabyteBodyIsBounded(t *testing.T) {
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"x":"`)
		_, _ = io.Copy(w, &hugeBody{left: 100 << 20})
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := c.Get(context.Background(), userinfoParams, nil)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrUnexpectedResponse)
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	assert.True(t, re.tooLarge)
	allocated := after.TotalAlloc - before.TotalAlloc
	// Reading up to the 8 MiB limit costs about twice that (buffer
	// growth), and the race detector adds more. What matters is that it
	// does not grow with the body.
	assert.Less(t, allocated, uint64(64<<20), "reading a 100 MB body must stay bounded (allocated %d bytes)", allocated)
}

// TestServerNeverAnswersLeaksNothing: a call to a server that never
// answers ends with its context and leaves no goroutine behind. Not
// parallel: it counts the process's goroutines.
func TestServerNeverAnswersLeaksNothing(t *testing.T) {
	release := make(chan struct{})
	c, ts := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Get(ctx, userinfoParams, nil)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second, "the context ends the call promptly")
	ts.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), base+2)
}

func TestConnectionReset(t *testing.T) {
	t.Parallel()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	})
	err := c.Get(context.Background(), userinfoParams, nil)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnexpectedResponse, "a transport error, not a protocol one")
	assert.NotContains(t, err.Error(), "meta=userinfo", "no parameters in errors")
}

// TestMalformedCookiesIgnored: malformed Set-Cookie headers are ignored
// by the jar; the session still works and nothing panics.
func TestMalformedCookiesIgnored(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, bad := range []string{"=novalue", "bad name=x", "x=a\"b\"c", "y=1; Domain=.com", "z=1; Domain=example.org",
			"w=1; Expires=notadate", "v=" + strings.Repeat("a", 10000), "; ;", "u=1; Max-Age=-1"} {
			w.Header().Add("Set-Cookie", bad)
		}
		u, _ := url.Parse(srv.URL)
		r.URL.Scheme, r.URL.Host, r.RequestURI = u.Scheme, u.Host, ""
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			w.WriteHeader(502)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	c, err := New(proxy.URL + "/api.php")
	require.NoError(t, err)
	u, err := c.Login(context.Background(), "BotUser@localbot", "botuserbotpassword0123456789abcd")
	require.NoError(t, err)
	assert.Equal(t, "BotUser", u.Name)
	var out struct {
		Query struct {
			UserInfo struct{ Name string } `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(context.Background(), userinfoParams, &out))
	assert.Equal(t, "BotUser", out.Query.UserInfo.Name)
	j, err := buildJar(c.jar.snapshot(), time.Now)
	require.NoError(t, err, "the cookies kept make a jar again")
	assert.Equal(t, c.cookieCount(), len(j.snapshot()))
}

// ---- OAuth ----

const (
	oa2Token       = "oauth2-access-token-7f3c9a1e5b"
	oa1Key         = "consumer-key-0a1b2c3d"
	oa1Secret      = "consumer-secret-9f8e7d6c"
	oa1Token       = "access-token-11223344"
	oa1TokenSecret = "access-secret-55667788"
)

// whoami asks the wiki who the Client's session belongs to.
func whoami(t *testing.T, ctx context.Context, c *Client) string {
	t.Helper()
	var out struct {
		Query struct {
			UserInfo struct {
				Name string `json:"name"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, c.Get(ctx, userinfoParams, &out))
	return out.Query.UserInfo.Name
}

// TestOAuthClients: every request of an OAuth client carries its
// credentials and an assert; logins and logout are refused before any
// request; the session needs no cookies; nothing prints a secret.
func TestOAuthClients(t *testing.T) {
	t.Parallel()
	var uses atomic.Int32
	tokenFunc := func(context.Context) (string, error) {
		// A token source that refreshes the token after its first use.
		if uses.Add(1) == 1 {
			return "tok-one", nil
		}
		return "tok-two", nil
	}
	tests := []struct {
		name    string
		opt     Option
		user    string
		secrets []string
		check   func(t *testing.T, r mwauthtest.Request)
	}{
		{name: "OAuth 2 token", opt: WithOAuth2Token(oa2Token), user: "BotUser", secrets: []string{oa2Token},
			check: func(t *testing.T, r mwauthtest.Request) {
				assert.Equal(t, "Bearer "+oa2Token, r.Header.Get("Authorization"), r.Action)
			}},
		{name: "OAuth 2 token func", opt: WithOAuth2TokenFunc(tokenFunc), user: "Alice",
			check: func(t *testing.T, r mwauthtest.Request) {
				assert.Contains(t, []string{"Bearer tok-one", "Bearer tok-two"}, r.Header.Get("Authorization"), r.Action)
			}},
		{name: "OAuth 1.0a", opt: WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret), user: "Admin",
			secrets: []string{oa1Secret, oa1Token, oa1TokenSecret},
			check: func(t *testing.T, r mwauthtest.Request) {
				h := r.Header.Get("Authorization")
				assert.True(t, strings.HasPrefix(h, "OAuth "), h)
				assert.Contains(t, h, `oauth_signature_method="HMAC-SHA1"`)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := mwauthtest.NewServer(mwauthtest.WithOAuth2Token(oa2Token, "BotUser"),
				mwauthtest.WithOAuth2Token("tok-one", "Alice"), mwauthtest.WithOAuth2Token("tok-two", "Alice"),
				mwauthtest.WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret, "Admin"))
			defer srv.Close()
			ctx := ctxTimeout(t, 10*time.Second)
			var logs syncBuffer
			c, err := New(srv.URL, tt.opt, WithLogger(debugLogger(&logs)))
			require.NoError(t, err)

			assert.Equal(t, tt.user, whoami(t, ctx, c))
			u, err := c.Resume(ctx)
			require.NoError(t, err)
			assert.Equal(t, tt.user, u.Name, "Resume asks who the token's user is")
			// POST bodies are signed too.
			var out struct {
				Edit struct{ Result string } `json:"edit"`
			}
			require.NoError(t, c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"Sandbox"},
				"appendtext": {"a b+c&d=é"}, "summary": {"signed body"}}, &out))
			assert.Equal(t, "Success", out.Edit.Result)
			for _, r := range srv.Requests() {
				tt.check(t, r)
				if r.Params.Get("meta") != "tokens" && !strings.Contains(r.Params.Get("meta"), "userinfo|tokens") {
					assert.Equal(t, "user", r.Params.Get("assert"), "OAuth calls assert the user: %s", r.Action)
				}
			}

			n := len(srv.Requests())
			_, err = c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
			assert.ErrorIs(t, err, ErrOAuth)
			_, err = c.ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": "Alice"}})
			assert.ErrorIs(t, err, ErrOAuth)
			_, err = c.ContinueClientLogin(ctx, nil)
			assert.ErrorIs(t, err, ErrOAuth)
			_, err = c.AuthManagerInfo(ctx, "")
			assert.ErrorIs(t, err, ErrOAuth)
			assert.ErrorIs(t, c.Logout(ctx), ErrOAuth)
			assert.Len(t, srv.Requests(), n, "logins in OAuth mode must not reach the wiki")
			assert.Zero(t, c.cookieCount(), "an OAuth session needs no cookies")

			out2 := strings.Join(append(printAll(c), printAll(*c)...), " ") + logs.String()
			for _, s := range tt.secrets {
				assert.NotContains(t, out2, s)
			}
		})
	}
}

// TestOAuthErrors: refused OAuth credentials are typed errors, never
// retried except for one nonce collision, and never taken for a lost
// session.
func TestOAuthErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opt      Option
		replies  func(f *fakeWiki) []reply
		wantErr  bool
		wantReqs int
	}{
		{name: "OAuth 2: 401 with WWW-Authenticate invalid_token", opt: WithOAuth2Token(oa2Token),
			replies: func(*fakeWiki) []reply {
				return []reply{{Status: http.StatusUnauthorized, Body: "unauthorized",
					Header: map[string]string{"Content-Type": "text/plain",
						"WWW-Authenticate": `Bearer error="invalid_token", error_description="expired"`}}}
			}, wantErr: true, wantReqs: 1},
		{name: "OAuth 2: invalid authorization", opt: WithOAuth2Token(oa2Token),
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("error_mwoauth_invalid_authorization.json")} },
			wantErr: true, wantReqs: 1},
		{name: "OAuth 1: nonce reused then ok", opt: WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret),
			replies: func(f *fakeWiki) []reply {
				return []reply{f.fx("error_mwoauth_nonce.json"), f.fx("edit_success.json")}
			}, wantReqs: 2},
		{name: "OAuth 1: nonce reused twice", opt: WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret),
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("error_mwoauth_nonce.json")} },
			wantErr: true, wantReqs: 2},
		{name: "OAuth 1: bad signature not retried", opt: WithOAuth1(oa1Key, oa1Secret, oa1Token, oa1TokenSecret),
			replies: func(f *fakeWiki) []reply { return []reply{f.fx("error_mwoauth_invalid_authorization.json")} },
			wantErr: true, wantReqs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opt)
			f.on("purge", tt.replies(f)...)
			err := c.Post(ctxTimeout(t, 10*time.Second), url.Values{"action": {"purge"}, "titles": {"A"}}, nil)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrOAuth)
				assert.NotErrorIs(t, err, ErrNotLoggedIn)
				for _, s := range []string{oa2Token, oa1Secret, oa1Token, oa1TokenSecret} {
					assert.NotContains(t, err.Error(), s)
				}
			} else {
				assert.NoError(t, err)
			}
			reqs := f.all()
			require.Len(t, reqs, tt.wantReqs)
			nonces := map[string]bool{}
			for _, r := range reqs {
				h := r.Header.Get("Authorization")
				if i := strings.Index(h, `oauth_nonce="`); i >= 0 {
					nonces[h[i:]] = true
				}
			}
			if len(nonces) > 0 {
				assert.Len(t, nonces, tt.wantReqs, "every request needs a fresh nonce")
			}
			assert.Empty(t, f.posts("login"), "an OAuth client never logs in")
		})
	}
}

// TestOAuth2TokenFuncErrors: a token func that fails or returns no usable
// token stops the call before any request.
func TestOAuth2TokenFuncErrors(t *testing.T) {
	t.Parallel()
	refused := errors.New("token source: refresh token revoked")
	tests := []struct {
		name    string
		tok     string
		err     error
		wantErr error
	}{
		{name: "error", err: refused, wantErr: refused},
		{name: "empty token", wantErr: ErrOAuth},
		{name: "control character", tok: "a\r\nX-Evil: 1", wantErr: ErrOAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, WithOAuth2TokenFunc(func(context.Context) (string, error) { return tt.tok, tt.err }))
			err := c.Get(ctxTimeout(t, 10*time.Second), userinfoParams, nil)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.ErrorIs(t, err, ErrOAuth)
			assert.Empty(t, f.all())
		})
	}
}

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
