package mwauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// tclient is a plain net/http client with a cookie jar that speaks to a
// fake wiki with the SDK's pinned format parameters.
type tclient struct {
	t    *testing.T
	srv  *Server
	base string // api.php URL
	hc   *http.Client
	fmt  url.Values
}

func newTClient(t *testing.T, srv *Server) *tclient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &tclient{t: t, srv: srv, base: srv.URL, fmt: url.Values{"format": {"json"}, "formatversion": {"2"}, "errorformat": {"plaintext"}},
		hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// kv builds url.Values from alternating keys and values.
func vals(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

func (c *tclient) with(p url.Values) url.Values {
	out := url.Values{}
	for k, v := range c.fmt {
		out[k] = v
	}
	for k, v := range p {
		out[k] = v
	}
	return out
}

// get sends a GET with params in the query string.
func (c *tclient) get(p url.Values) (map[string]any, *http.Response) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + "?" + c.with(p).Encode())
	require.NoError(c.t, err)
	return decode(c.t, resp), resp
}

// post sends a POST with params in a form body.
func (c *tclient) post(p url.Values) (map[string]any, *http.Response) {
	c.t.Helper()
	resp, err := c.hc.PostForm(c.base, c.with(p))
	require.NoError(c.t, err)
	return decode(c.t, resp), resp
}

func decode(t *testing.T, resp *http.Response) map[string]any {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m), "body %s", b)
	return m
}

// token fetches a token of the given type.
func (c *tclient) token(typ string) string {
	c.t.Helper()
	m, _ := c.get(vals("action", "query", "meta", "tokens", "type", typ))
	tok, ok := dig(m, "query", "tokens", typ+"token").(string)
	require.True(c.t, ok, "no %s token in %v", typ, m)
	return tok
}

// clientLogin starts a clientlogin with the given fields.
func (c *tclient) clientLogin(fields ...string) map[string]any {
	c.t.Helper()
	p := vals(fields...)
	p.Set("action", "clientlogin")
	p.Set("loginreturnurl", "http://127.0.0.1/return")
	p.Set("logintoken", c.token("login"))
	m, _ := c.post(p)
	return m
}

// continueLogin continues a clientlogin.
func (c *tclient) continueLogin(fields ...string) map[string]any {
	c.t.Helper()
	p := vals(fields...)
	p.Set("action", "clientlogin")
	p.Set("logincontinue", "1")
	p.Set("logintoken", c.token("login"))
	m, _ := c.post(p)
	return m
}

// login runs action=login with a fresh login token.
func (c *tclient) login(name, password string) map[string]any {
	c.t.Helper()
	m, _ := c.post(vals("action", "login", "lgname", name, "lgpassword", password, "lgtoken", c.token("login")))
	return m
}

// whoami returns the user name of the session.
func (c *tclient) whoami() string {
	c.t.Helper()
	m, _ := c.get(vals("action", "query", "meta", "userinfo"))
	name, _ := dig(m, "query", "userinfo", "name").(string)
	return name
}

// errCode returns the code of the first error in a plaintext/bc error
// response.
func errCode(m map[string]any) string {
	if s, ok := dig(m, "errors", 0, "code").(string); ok {
		return s
	}
	s, _ := dig(m, "error", "code").(string)
	return s
}

// dig walks a decoded JSON value along keys and indexes.
func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// fakeClock is a settable clock for WithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 22, 5, 3, 49, 0, time.UTC)}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

func cookieNames(resp *http.Response) string {
	var names []string
	for _, c := range resp.Cookies() {
		n := c.Name
		if c.MaxAge < 0 {
			n += "(deleted)"
		}
		names = append(names, n)
	}
	return strings.Join(names, ",")
}
