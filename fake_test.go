package mwauth

// fake_test.go is the shared harness of the unit tests: a scriptable
// api.php on net/http/httptest that serves replies per action and
// records every request, the fixtures of testdata/, and small helpers.

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

//go:embed testdata/*.json
var testdataFS embed.FS

// fixture returns the body of testdata/name.
func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := testdataFS.ReadFile("testdata/" + name)
	require.NoError(t, err, "fixture %s", name)
	return string(bytes.TrimSpace(b))
}

// Names of the fake wiki's cookies, as MediaWiki names them with
// $wgCookiePrefix = "fakewiki".
const (
	cookieSession   = "fakewiki_session"
	cookieBPSession = "fakewiki_BPsession"
	cookieUserID    = "fakewikiUserID"
	cookieToken     = "fakewikiToken"
)

// reply is one scripted answer of the fake wiki.
type reply struct {
	Status int               // 0 means 200
	Header map[string]string // extra headers; Content-Type defaults to JSON
	Body   string
	// SetCookies names cookies to set, with random values (recorded as
	// secrets); DeleteCookies names cookies to delete as MediaWiki does.
	SetCookies    []string
	DeleteCookies []string
	// Handle, if set, answers instead of everything above.
	Handle func(w http.ResponseWriter, r *http.Request)
}

// with returns a copy of r with an extra header.
func (r reply) with(key, value string) reply {
	h := make(map[string]string, len(r.Header)+1)
	for k, v := range r.Header {
		h[k] = v
	}
	h[key] = value
	r.Header = h
	return r
}

// setting returns a copy of r that sets the named cookies.
func (r reply) setting(names ...string) reply {
	r.SetCookies = append(append([]string(nil), r.SetCookies...), names...)
	return r
}

// deleting returns a copy of r that deletes the named cookies.
func (r reply) deleting(names ...string) reply {
	r.DeleteCookies = append(append([]string(nil), r.DeleteCookies...), names...)
	return r
}

// recorded is one request the fake received.
type recorded struct {
	Method  string
	URL     string // absolute, as received
	Path    string
	Query   url.Values
	Form    url.Values // POST body only
	Header  http.Header
	Cookies map[string]string
	Key     string // the script key it was served from
}

// param returns a parameter from where the request carried it: the body
// of a POST, the query of a GET.
func (r recorded) param(k string) string {
	if r.Method == http.MethodPost {
		return r.Form.Get(k)
	}
	return r.Query.Get(k)
}

// has reports whether the request carried parameter k at all.
func (r recorded) has(k string) bool {
	if r.Method == http.MethodPost {
		_, ok := r.Form[k]
		return ok
	}
	_, ok := r.Query[k]
	return ok
}

// fakeWiki is a scriptable api.php.
//
// Replies are looked up by key: for action=query, "authmanagerinfo" or
// "userinfo" when meta has them, else "tokens:<type>" and then "tokens";
// for any other action, the action. A key's queue serves its replies in
// order and repeats the last one forever. Unscripted tokens requests get
// fresh random tokens (the CSRF token is the anonymous "+\" unless the
// request carries a logged-in cookie, as on a real wiki) and a session
// cookie when the request has none; logout answers {} by default.
type fakeWiki struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	requests []recorded
	scripts  map[string][]reply
	secrets  []string // every token and cookie value handed out
	tokenSeq int
}

// newFake starts a fake wiki that is closed when the test ends.
func newFake(t testing.TB) *fakeWiki {
	t.Helper()
	f := &fakeWiki{t: t, scripts: make(map[string][]reply)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// endpoint is the fake's api.php URL.
func (f *fakeWiki) endpoint() string { return f.srv.URL + "/w/api.php" }

// on appends replies to key's queue.
func (f *fakeWiki) on(key string, replies ...reply) *fakeWiki {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[key] = append(f.scripts[key], replies...)
	return f
}

// set replaces key's queue.
func (f *fakeWiki) set(key string, replies ...reply) *fakeWiki {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scripts[key] = append([]reply(nil), replies...)
	return f
}

// fx is a reply with the body of a fixture.
func (f *fakeWiki) fx(name string) reply { return reply{Body: fixture(f.t, name)} }

// loginOK is a bot-password Success that sets the _BPsession cookie.
func (f *fakeWiki) loginOK() reply { return f.fx("login_success.json").setting(cookieBPSession) }

// passOK is a clientlogin PASS that rotates the session and sets the
// user cookies.
func (f *fakeWiki) passOK() reply {
	return f.fx("clientlogin_pass.json").setting(cookieSession, cookieUserID)
}

// apiError is a reply with one plaintext error.
func apiErrorReply(code, text string) reply {
	return reply{
		Header: map[string]string{"MediaWiki-API-Error": code},
		Body:   fmt.Sprintf(`{"errors":[{"code":%q,"text":%q,"module":"main"}]}`, code, text),
	}
}

// hang is a reply that never comes: the handler waits until the client
// gives up (or the server closes).
func hang() reply {
	return reply{Handle: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func scriptKey(q url.Values) (key, fallback string) {
	action := q.Get("action")
	if action != "query" {
		return action, ""
	}
	meta := "|" + q.Get("meta") + "|"
	switch {
	case strings.Contains(meta, "|authmanagerinfo|"):
		return "authmanagerinfo", ""
	case strings.Contains(meta, "|userinfo|"):
		return "userinfo", ""
	case strings.Contains(meta, "|tokens|"):
		return "tokens:" + q.Get("type"), "tokens"
	}
	return "query", ""
}

func (f *fakeWiki) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	all := url.Values{}
	for k, v := range r.URL.Query() {
		all[k] = append(all[k], v...)
	}
	for k, v := range r.PostForm {
		all[k] = append(all[k], v...)
	}
	cookies := map[string]string{}
	for _, c := range r.Cookies() {
		cookies[c.Name] = c.Value
	}
	key, fallback := scriptKey(all)

	f.mu.Lock()
	rep, ok := f.next(key)
	if !ok && fallback != "" {
		rep, ok = f.next(fallback)
	}
	f.requests = append(f.requests, recorded{
		Method: r.Method, URL: "http://" + r.Host + r.RequestURI, Path: r.URL.Path,
		Query: r.URL.Query(), Form: r.PostForm, Header: r.Header.Clone(), Cookies: cookies, Key: key,
	})
	f.mu.Unlock()

	if !ok {
		rep, ok = f.builtin(key, all, cookies)
	}
	if !ok {
		f.t.Errorf("fake wiki: unscripted request %s %s", r.Method, r.URL)
		rep = apiErrorReply("fake-unscripted", "no reply scripted")
	}
	if rep.Handle != nil {
		rep.Handle(w, r)
		return
	}
	f.write(w, r, rep)
}

// next pops key's queue; f.mu must be held.
func (f *fakeWiki) next(key string) (reply, bool) {
	q := f.scripts[key]
	if len(q) == 0 {
		return reply{}, false
	}
	if len(q) > 1 {
		f.scripts[key] = q[1:]
	}
	return q[0], true
}

// builtin answers what tests need not script: tokens and logout.
func (f *fakeWiki) builtin(key string, q url.Values, cookies map[string]string) (reply, bool) {
	switch {
	case key == "logout":
		return reply{Body: "{}"}.deleting(cookieBPSession, cookieUserID), true
	case strings.HasPrefix(key, "tokens"):
		loggedIn := cookies[cookieBPSession] != "" || cookies[cookieUserID] != ""
		types := strings.Split(q.Get("type"), "|")
		parts := make([]string, 0, len(types))
		for _, typ := range types {
			if typ == "" {
				typ = "csrf"
			}
			tok := `+\`
			if typ == "login" || typ == "createaccount" || loggedIn {
				tok = f.newToken()
			}
			parts = append(parts, fmt.Sprintf(`%q:%q`, typ+"token", tok))
		}
		rep := reply{Body: `{"batchcomplete":true,"query":{"tokens":{` + strings.Join(parts, ",") + `}}}`}
		if cookies[cookieSession] == "" {
			rep = rep.setting(cookieSession)
		}
		return rep, true
	}
	return reply{}, false
}

// newToken makes a token in MediaWiki's format and records it.
func (f *fakeWiki) newToken() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokenSeq++
	tok := fmt.Sprintf("%s%08x+\\", randomHex(16), f.tokenSeq)
	f.secrets = append(f.secrets, tok)
	return tok
}

func (f *fakeWiki) write(w http.ResponseWriter, r *http.Request, rep reply) {
	for _, name := range rep.SetCookies {
		v := randomHex(16)
		f.mu.Lock()
		f.secrets = append(f.secrets, v)
		f.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: name, Value: v, Path: "/", HttpOnly: true})
	}
	for _, name := range rep.DeleteCookies {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "deleted", Path: "/", HttpOnly: true,
			Expires: time.Unix(1, 0), MaxAge: -1})
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rep.Body)
}

// all returns a copy of the recorded requests.
func (f *fakeWiki) all() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// issued returns every token and cookie value the fake handed out.
func (f *fakeWiki) issued() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.secrets...)
}

// count returns how many requests were served for key; "tokens" counts
// the tokens requests of every type.
func (f *fakeWiki) count(key string) int {
	n := 0
	for _, r := range f.all() {
		if r.Key == key || (key == "tokens" && strings.HasPrefix(r.Key, "tokens")) {
			n++
		}
	}
	return n
}

// posts returns the POST requests with the given action.
func (f *fakeWiki) posts(action string) []recorded {
	var out []recorded
	for _, r := range f.all() {
		if r.Method == http.MethodPost && r.Form.Get("action") == action {
			out = append(out, r)
		}
	}
	return out
}

// last returns the last recorded request.
func (f *fakeWiki) last(t testing.TB) recorded {
	t.Helper()
	rs := f.all()
	require.NotEmpty(t, rs, "no request recorded")
	return rs[len(rs)-1]
}

// testUA is the product token the tests' clients send.
const testUA = "mwauth-tests/1.0 (https://example.org/mwauth; tests@example.org)"

// setup returns a Client wired to a fresh fake wiki.
func setup(t testing.TB, opts ...Option) (*Client, *fakeWiki) {
	t.Helper()
	f := newFake(t)
	c, err := New(f.endpoint(), append([]Option{WithUserAgent(testUA)}, opts...)...)
	require.NoError(t, err)
	return c, f
}

// loggedIn returns a Client logged in with a bot password through the
// fake (Login, without WithBotPassword unless opts give it), and the fake
// with its request log reset.
func loggedIn(t testing.TB, opts ...Option) (*Client, *fakeWiki) {
	t.Helper()
	c, f := setup(t, opts...)
	f.on("login", f.loginOK())
	_, err := c.Login(context.Background(), testBotUser, testBotPassword)
	require.NoError(t, err)
	f.reset()
	return c, f
}

// botClient is loggedIn for a Client configured with
// WithBotPassword(testBotUser, testBotPassword), which may log in again
// by itself. The fake answers the next login with a Success.
func botClient(t testing.TB, opts ...Option) (*Client, *fakeWiki) {
	t.Helper()
	c, f := loggedIn(t, append([]Option{WithBotPassword(testBotUser, testBotPassword)}, opts...)...)
	f.on("login", f.loginOK())
	return c, f
}

// state is the Client's session state now.
func (c *Client) state() sessionView { return c.sess.view() }

// cachedTokens returns a copy of the Client's token cache.
func cachedTokens(c *Client) map[string]string {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	out := make(map[string]string, len(c.sess.tokens))
	for k, v := range c.sess.tokens {
		out[k] = v
	}
	return out
}

// cookieCount is the number of unexpired cookies the Client holds.
func (c *Client) cookieCount() int { return len(c.jar.snapshot()) }

// reset forgets the recorded requests and the scripts.
func (f *fakeWiki) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
	f.scripts = make(map[string][]reply)
}

// Credentials the tests use. The bot password has MediaWiki's shape.
const (
	testBotUser      = "Admin@localbot"
	testBotPassword  = "q7c2m0a9k1v5t3e8n4r6b0d2f9h1j3l5"
	testUser         = "Alice"
	testUserPassword = "correct horse battery staple 42"
	testOTP          = "193072"
)

// assertPinned checks that a request carries the pinned format
// parameters where the method puts parameters.
func assertPinned(t testing.TB, r recorded) {
	t.Helper()
	assert.Equal(t, "json", r.param("format"), "format of %s %s", r.Method, r.Key)
	assert.Equal(t, "2", r.param("formatversion"), "formatversion of %s %s", r.Method, r.Key)
	assert.Equal(t, "plaintext", r.param("errorformat"), "errorformat of %s %s", r.Method, r.Key)
}

// assertPost checks that r is a form POST with nothing in its URL query.
func assertPost(t testing.TB, r recorded) {
	t.Helper()
	assert.Equal(t, http.MethodPost, r.Method)
	assert.Empty(t, r.Query, "a POST must carry its parameters in the body only")
	assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
}

// syncBuffer is a goroutine-safe buffer for log output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// debugLogger returns a JSON logger at debug level writing into buf.
func debugLogger(buf io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// ctxTimeout is a context for one test step.
func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
