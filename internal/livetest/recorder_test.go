package livetest_test

// recorder_test.go: the helpers of the live suites. Every request of a
// Client goes through a recorder (a counting http.RoundTripper given to
// mwauth.WithHTTPClient), so the cases assert how many round trips each
// operation costs.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/mwauth/mwauth"
)

// exchange is one HTTP request seen by a recorder. Params may hold
// passwords and tokens: never log them.
type exchange struct {
	Method string
	Action string
	Params url.Values
}

// recorder is an http.RoundTripper that counts and remembers every request
// and can rewrite the form of a POST before it is sent.
type recorder struct {
	next http.RoundTripper

	mu    sync.Mutex
	seen  []exchange
	posts int // POSTs seen, for rewrite
	// loginAnswers counts the login POSTs whose answer came back.
	loginAnswers int
	// rewrite, if set, may change the form of the n-th POST (0-based)
	// before it goes out.
	rewrite func(n int, form url.Values)
}

func newRecorder() *recorder { return &recorder{next: http.DefaultTransport} }

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var params url.Values
	if req.Method == http.MethodPost && req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		params, err = url.ParseQuery(string(b))
		if err != nil {
			return nil, err
		}
		r.mu.Lock()
		n, rw := r.posts, r.rewrite
		r.posts++
		r.mu.Unlock()
		if rw != nil {
			rw(n, params)
			b = []byte(params.Encode())
		}
		// A RoundTripper must not modify the caller's request.
		clone := req.Clone(req.Context())
		clone.Body = io.NopCloser(bytes.NewReader(b))
		clone.ContentLength = int64(len(b))
		clone.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		req = clone
	} else {
		params = req.URL.Query()
	}
	r.mu.Lock()
	r.seen = append(r.seen, exchange{Method: req.Method, Action: params.Get("action"), Params: params})
	r.mu.Unlock()
	resp, err := r.next.RoundTrip(req)
	if err == nil && req.Method == http.MethodPost && params.Get("action") == "login" {
		r.mu.Lock()
		r.loginAnswers++
		r.mu.Unlock()
	}
	return resp, err
}

// answeredLogins counts the login POSTs whose answer has come back.
func (r *recorder) answeredLogins() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.loginAnswers
}

// of counts the requests seen with this method and action.
func (r *recorder) of(method, action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.seen {
		if e.Method == method && e.Action == action {
			n++
		}
	}
	return n
}

// setRewrite installs (or, with nil, removes) a rewrite of POST forms.
func (r *recorder) setRewrite(f func(n int, form url.Values)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rewrite = f
}

// count returns how many requests went out.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen)
}

// since returns the requests after the first n.
func (r *recorder) since(n int) []exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]exchange(nil), r.seen[n:]...)
}

// loginPosts counts the action=login POSTs after the first n requests.
func (r *recorder) loginPosts(n int) int {
	k := 0
	for _, e := range r.since(n) {
		if e.Method == http.MethodPost && e.Action == "login" {
			k++
		}
	}
	return k
}

// summary describes the requests after the first n as "GET query, POST
// login, ...", without any parameter value.
func (r *recorder) summary(n int) string {
	var parts []string
	for _, e := range r.since(n) {
		what := e.Action
		if e.Action == "query" {
			what += "(" + e.Params.Get("meta") + ")"
		}
		parts = append(parts, e.Method+" "+what)
	}
	return strings.Join(parts, ", ")
}

// whoami is the userinfo of a session.
type whoami struct {
	Query struct {
		UserInfo struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
			Anon bool   `json:"anon"`
		} `json:"userinfo"`
	} `json:"query"`
}

// userInfo asks the wiki who the Client's session belongs to (with the
// Client's assert) and returns the name.
func userInfo(ctx context.Context, c *mwauth.Client) (string, error) {
	var w whoami
	if err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w); err != nil {
		return "", err
	}
	return w.Query.UserInfo.Name, nil
}

// jsonValid reports whether b is JSON.
func jsonValid(b []byte) bool { return json.Valid(b) }
