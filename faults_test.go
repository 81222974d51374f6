package mwauth_test

import (
	"context"
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

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

// Fault tests: a misbehaving server in front of (or instead of) the wiki.
// Each gets a clear, typed error, bounded memory, and no leaked goroutine.

func faultServer(t *testing.T, h http.HandlerFunc) (*mwauth.Client, *httptest.Server) {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	c, err := mwauth.New(ts.URL + "/w/api.php")
	require.NoError(t, err)
	return c, ts
}

var userinfo = url.Values{"action": {"query"}, "meta": {"userinfo"}}

func TestFaultHTMLErrorPage(t *testing.T) {
	t.Parallel()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><head><title>502 Bad Gateway</title></head><body>upstream down</body></html>")
	})
	_, err := c.Get(context.Background(), userinfo)
	require.ErrorIs(t, err, mwauth.ErrUnexpectedResponse)
	var he *mwauth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, http.StatusBadGateway, he.StatusCode)
	assert.Contains(t, he.ContentType, "text/html")
	assert.Contains(t, he.Snippet, "502 Bad Gateway")
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: get: "), err.Error())
}

func TestFaultStatus500WithJSONAndWithout(t *testing.T) {
	t.Parallel()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "PHP Fatal error")
	})
	_, err := c.Get(context.Background(), userinfo)
	var he *mwauth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 500, he.StatusCode)
}

func TestFaultTruncatedJSON(t *testing.T) {
	t.Parallel()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `{"query":{"tokens":{"csrftoken":"0123456789abcdef0123456789abcdef6b0277bf+\\"`)
	})
	_, err := c.Token(context.Background(), mwauth.TokenCSRF)
	require.ErrorIs(t, err, mwauth.ErrUnexpectedResponse)
	var he *mwauth.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Empty(t, he.Snippet, "a truncated API answer may hold a token: no snippet")
	assert.NotContains(t, err.Error(), "0123456789abcdef")
}

// hugeBody streams n bytes of a JSON string without holding them.
type hugeBody struct{ left int64 }

func (h *hugeBody) Read(p []byte) (int, error) {
	if h.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > h.left {
		n = h.left
	}
	for i := range p[:n] {
		p[i] = 'a'
	}
	h.left -= n
	return int(n), nil
}

func TestFaultHundredMegabyteBody(t *testing.T) {
	var sent atomic.Int64
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"x":"`)
		n, _ := io.Copy(w, &hugeBody{left: 100 << 20})
		sent.Add(n)
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := c.Get(context.Background(), userinfo)
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, mwauth.ErrBodyTooLarge)
	assert.ErrorIs(t, err, mwauth.ErrUnexpectedResponse)
	allocated := after.TotalAlloc - before.TotalAlloc
	// The default limit is 8 MiB; reading up to it costs about twice that
	// (buffer growth), and the race detector adds more. What matters is
	// that it does not grow with the body.
	assert.Less(t, allocated, uint64(64<<20), "reading a 100 MB body must stay bounded (allocated %d bytes)", allocated)
	t.Logf("allocated %.1f MiB while refusing a 100 MiB body", float64(allocated)/(1<<20))
}

func TestFaultServerNeverAnswers(t *testing.T) {
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
	_, err := c.Get(ctx, userinfo)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 3*time.Second, "the context ends the call promptly")
	ts.CloseClientConnections()
	// No goroutine of ours outlives the call.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), base+2)
}

func TestFaultConnectionReset(t *testing.T) {
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
	_, err := c.Get(context.Background(), userinfo)
	require.Error(t, err)
	assert.False(t, errors.Is(err, mwauth.ErrUnexpectedResponse), "a transport error, not a protocol one")
	assert.NotContains(t, err.Error(), "meta=userinfo", "no parameters in errors")
}

func TestFaultRedirects(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the client followed a redirect to another host")
	}))
	defer other.Close()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			http.Redirect(w, r, "/w/api.php?moved=1", http.StatusFound)
			return
		}
		http.Redirect(w, r, other.URL+"/w/api.php", http.StatusMovedPermanently)
	})
	ctx := context.Background()
	_, err := c.Post(ctx, userinfo)
	assert.ErrorIs(t, err, mwauth.ErrRedirect, "a POST redirect would lose its body")
	_, err = c.Get(ctx, userinfo)
	assert.ErrorIs(t, err, mwauth.ErrRedirect)
	_, err = c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
	assert.ErrorIs(t, err, mwauth.ErrRedirect)
	assert.NotContains(t, err.Error(), "botuserbotpassword")
}

func TestFaultPlainHTTPRefused(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://wiki.example.org/w/api.php", "http://10.1.2.3/api.php", "http://[2001:db8::1]/api.php"} {
		_, err := mwauth.New(u)
		assert.Error(t, err, u)
		_, err = mwauth.New(u, mwauth.WithInsecureHTTP())
		assert.NoError(t, err, u)
	}
	for _, u := range []string{"http://127.0.0.1:8080/api.php", "http://localhost/w/api.php", "http://[::1]:80/api.php", "https://wiki.example.org/w/api.php"} {
		_, err := mwauth.New(u)
		assert.NoError(t, err, u)
	}
}

// Malformed Set-Cookie headers are ignored by the jar; the session still
// works and nothing panics.
func TestFaultMalformedCookies(t *testing.T) {
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
	c, err := mwauth.New(proxy.URL + "/api.php")
	require.NoError(t, err)
	_, err = c.Login(context.Background(), "BotUser@localbot", "botuserbotpassword0123456789abcd")
	require.NoError(t, err)
	_, err = c.Get(context.Background(), userinfo)
	require.NoError(t, err)
}

// A Content-Length over the limit is refused before the body is read.
func TestFaultAnnouncedHugeBody(t *testing.T) {
	t.Parallel()
	c, _ := faultServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(200<<20))
		fmt.Fprint(w, `{"x":"`)
	})
	start := time.Now()
	_, err := c.Get(context.Background(), userinfo)
	assert.ErrorIs(t, err, mwauth.ErrBodyTooLarge)
	assert.Less(t, time.Since(start), 5*time.Second)
}
