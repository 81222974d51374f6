package mwauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/mwauth/mwauth/internal/wire"
)

// Version is this module's version, sent in the User-Agent.
const Version = "0.1.0"

// defaultTimeout bounds one HTTP exchange when the caller gives no
// *http.Client of its own. The caller's context is still the main
// deadline.
const defaultTimeout = 60 * time.Second

// Client talks to one wiki's api.php with one session. It holds the
// session's cookie [Jar], caches its tokens and, when asked, saves the
// session to a file and logs in again when the wiki forgets it.
//
// A Client is safe for concurrent use by multiple goroutines once [New]
// returns, and its configuration never changes. Operations that change
// the session ([Client.Login], [Client.ClientLogin],
// [Client.ContinueClientLogin], [Client.Logout] and automatic re-login)
// are serialised internally (a call waiting for another flow to end gives
// up when its context ends); ordinary calls run in parallel. Use one
// Client per account and run one login flow at a time.
type Client struct {
	endpoint           *url.URL
	endpointStr        string
	hc                 *http.Client
	jar                *jar
	userAgent          string
	log                *slog.Logger
	maxBody            int64
	maxlag             int
	maxRetries         int
	assert             string
	domain             string
	oauth2             secret
	oauth1             *oauth1.Credentials
	sessionPath        string
	freshStart         bool
	relogin            bool
	endpointInsecureOK bool
	creds              *credentials // from WithBotPassword
	now                func() time.Time

	// flow serialises every change of the session: logins, logout,
	// re-login. It is held across the requests of one login. It is a
	// one-slot semaphore rather than a sync.Mutex so that a goroutine
	// waiting for another login flow gives up when its context ends (see
	// lockFlow).
	flow chan struct{}

	// stMu guards st and reloginWait.
	stMu sync.Mutex
	st   sessionState
	// reloginWait is closed when the re-login in progress ends; nil when
	// none runs.
	reloginWait chan struct{}

	// tokMu guards tokens and inflight.
	tokMu    sync.Mutex
	tokens   map[TokenType]string
	inflight map[TokenType]*tokenCall

	// saveMu guards savedAt and serialises writes of the session file.
	saveMu  sync.Mutex
	savedAt uint64
}

// lockFlow takes the flow lock, or returns ctx's error if ctx ends first.
// Callers release it with unlockFlow.
func (c *Client) lockFlow(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.flow <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// unlockFlow releases the flow lock taken by lockFlow.
func (c *Client) unlockFlow() { <-c.flow }

// secret is a string that never prints.
type secret string

func (secret) String() string   { return "<redacted>" }
func (secret) GoString() string { return "<redacted>" }

// Option configures a [Client] in [New]. Options are validated there, and
// New fails on the first bad one. Options only make sense inside New: a
// Client's configuration never changes afterwards.
type Option func(*settings) error

// settings is what an Option may change: the Client under construction.
// The alias keeps Client out of Option's signature.
type settings = Client

// WithHTTPClient makes the Client send its requests through a copy of hc:
// its Transport (for example an OAuth 2.0 transport from
// golang.org/x/oauth2 that refreshes tokens) and Timeout are kept; its Jar
// is replaced by the Client's [Jar] and its CheckRedirect by one that
// refuses redirects of POST requests and to other hosts. hc itself is
// never modified.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *settings) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil *http.Client")
		}
		cp := *hc
		c.hc = &cp
		return nil
	}
}

// WithJar makes the Client use j, for example one loaded with [LoadJar].
// The Client adds and removes cookies in it.
func WithJar(j *jar) Option {
	return func(c *settings) error {
		if j == nil {
			return errors.New("WithJar: nil *Jar")
		}
		c.jar = j
		return nil
	}
}

// WithUserAgent sets the caller's product token, such as
// "ExampleBot/1.2 (https://example.org/bot; bot@example.org)". Wikimedia's
// User-Agent policy asks every bot to name itself and give a way to
// contact its operator. The Client appends "mwauth/<version>".
func WithUserAgent(product string) Option {
	return func(c *settings) error {
		product = strings.TrimSpace(product)
		if product == "" {
			return errors.New("WithUserAgent: empty product")
		}
		for _, r := range product {
			if r < 0x20 || r == 0x7f {
				return errors.New("WithUserAgent: control character in product")
			}
		}
		c.userAgent = product + " mwauth/" + Version
		return nil
	}
}

// WithLogger makes the Client log each request (action, method, HTTP
// status, duration, error codes) and the wiki's warnings at debug level.
// It never logs parameters, bodies, cookies, tokens or passwords. Logging
// is off by default.
func WithLogger(l *slog.Logger) Option {
	return func(c *settings) error {
		if l == nil {
			return errors.New("WithLogger: nil logger")
		}
		c.log = l
		return nil
	}
}

// WithInsecureHTTP allows a plain http:// endpoint on a host that is not
// loopback. Passwords, tokens and session cookies then cross the network
// in clear text; use it only on a network you control.
func WithInsecureHTTP() Option {
	return func(c *settings) error {
		c.endpointInsecureOK = true
		return nil
	}
}

// WithMaxBody sets the largest response body the Client accepts (default
// 8 MiB). A larger body fails with [ErrBodyTooLarge].
func WithMaxBody(n int64) Option {
	return func(c *settings) error {
		if n < 1024 {
			return errors.New("WithMaxBody: limit below 1 KiB")
		}
		c.maxBody = n
		return nil
	}
}

// WithMaxLag sends maxlag=seconds with every request, as Wikimedia asks of
// bots, and retries a maxlag error up to retries times, waiting for the
// Retry-After the wiki gives (the wait ends when the context does).
func WithMaxLag(seconds, retries int) Option {
	return func(c *settings) error {
		if seconds < 1 || retries < 0 || retries > 20 {
			return errors.New("WithMaxLag: seconds must be positive, retries 0..20")
		}
		c.maxlag, c.maxRetries = seconds, retries
		return nil
	}
}

// WithAssert chooses the assert parameter sent with [Client.Get],
// [Client.Post] and [Client.PostWithToken] once logged in: "user"
// (default), "bot" (fails unless the account has the bot right), or ""
// to send none. An assert turns a silently lost session into an
// [ErrNotLoggedIn] error instead of an anonymous success.
func WithAssert(a string) Option {
	return func(c *settings) error {
		switch a {
		case "user", "bot", "":
			c.assert = a
			return nil
		}
		return fmt.Errorf("WithAssert: unknown assert %q", a)
	}
}

// WithLoginDomain sends lgdomain with [Client.Login], for wikis whose
// password provider asks for a domain (LDAP-style setups).
func WithLoginDomain(domain string) Option {
	return func(c *settings) error {
		c.domain = domain
		return nil
	}
}

// WithBotPassword gives the Client a bot password ("User@BotName" and
// the generated password) to log in with when [Client.Resume] finds no
// live session, and to log in again when the wiki forgets the session.
// The password is kept in memory for that purpose only; it never prints.
func WithBotPassword(username, password string) Option {
	return func(c *settings) error {
		if username == "" || password == "" {
			return errors.New("WithBotPassword: empty username or password")
		}
		c.creds = &credentials{username: username, password: secret(password)}
		return nil
	}
}

// WithoutRelogin turns off automatic re-login: a lost session then gives
// [ErrLoginRequired].
func WithoutRelogin() Option {
	return func(c *settings) error {
		c.relogin = false
		return nil
	}
}

// WithOAuth2Token authenticates every request with an OAuth 2.0
// owner-only access token, sent as "Authorization: Bearer <token>". In
// OAuth mode the wiki refuses logins, so [Client.Login] and
// [Client.ClientLogin] fail with [ErrLoginNotAllowed]. For tokens that
// expire and refresh, pass an *http.Client from golang.org/x/oauth2 to
// [WithHTTPClient] instead.
func WithOAuth2Token(accessToken string) Option {
	return func(c *settings) error {
		if accessToken == "" {
			return errors.New("WithOAuth2Token: empty token")
		}
		c.oauth2 = secret(accessToken)
		return nil
	}
}

// WithOAuth1 authenticates every request with an OAuth 1.0a owner-only
// consumer: each request is signed with HMAC-SHA1 (RFC 5849), form
// parameters included. Logins are refused in OAuth mode, as with
// [WithOAuth2Token].
func WithOAuth1(consumerKey, consumerSecret, accessToken, accessSecret string) Option {
	return func(c *settings) error {
		if consumerKey == "" || consumerSecret == "" || accessToken == "" || accessSecret == "" {
			return errors.New("WithOAuth1: all four credentials are required")
		}
		c.oauth1 = &oauth1.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret,
			Token: accessToken, TokenSecret: accessSecret}
		return nil
	}
}

// New returns a Client for the wiki whose api.php is at endpoint, such as
// "https://en.wikipedia.org/w/api.php".
//
// The endpoint must be an absolute http or https URL of api.php with no
// query, fragment or user information. Plain http is refused unless the
// host is loopback or [WithInsecureHTTP] is given, because sessions and
// passwords would travel in clear text.
//
// Without [WithHTTPClient] the Client uses its own *http.Client with a
// 60-second timeout. Without [WithJar] or [WithSessionFile] it starts
// with an empty jar.
func New(endpoint string, opts ...Option) (*Client, error) {
	r, err := newClient(endpoint, opts...)
	return r, opErr("new", err)
}

func newClient(endpoint string, opts ...Option) (*Client, error) {
	c := &Client{
		userAgent:   "mwauth/" + Version + " (https://github.com/mwauth/mwauth)",
		log:         slog.New(discardHandler{}),
		maxBody:     wire.DefaultMaxBody,
		assert:      "user",
		relogin:     true,
		now:         time.Now,
		tokens:      make(map[TokenType]string),
		inflight:    make(map[TokenType]*tokenCall),
		endpointStr: endpoint,
		flow:        make(chan struct{}, 1),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return nil, err
		}
	}
	u, err := checkEndpoint(endpoint, c.endpointInsecureOK)
	if err != nil {
		return nil, err
	}
	c.endpoint = u
	c.endpointStr = u.String()
	if c.oauth1 != nil && c.oauth2 != "" {
		return nil, errors.New("WithOAuth1 and WithOAuth2Token are exclusive")
	}
	if c.hc == nil {
		c.hc = &http.Client{Transport: sharedTransport(), Timeout: defaultTimeout}
	}
	if c.sessionPath != "" {
		if err := c.loadSessionFile(); err != nil {
			return nil, err
		}
	}
	if c.jar == nil {
		c.jar = newJar(time.Now)
	}
	c.savedAt = c.jar.changeCount()
	c.hc.Jar = c.jar
	c.hc.CheckRedirect = checkRedirect
	return c, nil
}

// Endpoint returns the api.php URL the Client talks to.
func (c *Client) Endpoint() string { return c.endpointStr }

// Jar returns the Client's cookie jar, which holds the session.
func (c *Client) Jar() *jar { return c.jar }

// String describes the Client without any secret.
func (c *Client) String() string {
	st := c.state()
	return fmt.Sprintf("mwauth.Client{endpoint: %s, user: %q}", c.endpointStr, st.username)
}

// GoString is like String, so %#v cannot print secrets either.
func (c *Client) GoString() string { return c.String() }

// sharedTransport is the transport of every Client made without
// WithHTTPClient: one connection pool for the process, as with
// http.DefaultTransport, so that short-lived Clients leave no idle
// connections of their own behind.
var sharedTransport = sync.OnceValue(func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 30 * time.Second
	return t
})

func checkEndpoint(s string, insecureOK bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("bad endpoint: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("endpoint must be an absolute http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("endpoint has no host")
	case u.User != nil:
		return nil, fmt.Errorf("endpoint must not contain user information")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, fmt.Errorf("endpoint must not have a query or fragment")
	case !strings.HasSuffix(u.Path, "/api.php"):
		return nil, fmt.Errorf("endpoint must be the URL of api.php")
	}
	if u.Scheme == "http" && !insecureOK && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("refusing plain http to non-loopback host %s (use https, or WithInsecureHTTP)", u.Hostname())
	}
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ErrRedirect is returned (wrapped) when the wiki answers with a redirect
// that the Client refuses to follow: any redirect of a POST (it would turn
// into a GET and lose its body) and any redirect to another host or from
// https to http.
var ErrRedirect = errors.New("mwauth: redirect refused")

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	switch {
	case len(via) >= 5:
		return fmt.Errorf("%w: too many redirects", ErrRedirect)
	case first.Method != http.MethodGet:
		return fmt.Errorf("%w: %s request redirected", ErrRedirect, first.Method)
	case !strings.EqualFold(req.URL.Host, first.URL.Host):
		return fmt.Errorf("%w: redirect to another host", ErrRedirect)
	case first.URL.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: redirect from https to http", ErrRedirect)
	}
	return nil
}

// transportError is a failed HTTP exchange. It names the method and the
// endpoint without its query, never the parameters.
type transportError struct {
	method   string
	endpoint string
	err      error
}

func (e *transportError) Error() string {
	// The cause may be one of this package's sentinels (ErrRedirect),
	// whose "mwauth: " the operation's prefix already says.
	return e.method + " " + e.endpoint + ": " + strings.TrimPrefix(e.err.Error(), "mwauth: ")
}
func (e *transportError) Unwrap() error { return e.err }

// request is one api.php call.
type request struct {
	method string
	params url.Values
}

// response is a decoded api.php answer that is not an error.
type response struct {
	env *wire.Envelope
}

// member decodes the answer's top-level member name into v; a missing or
// malformed member breaks the protocol.
func (r *response) member(name string, v any) error {
	ok, err := r.env.Member(name, v)
	if err != nil {
		return protoErr("%s: %v", name, err)
	}
	if !ok {
		return protoErr("no %s object in the answer", name)
	}
	return nil
}

// do sends one api.php request and decodes the answer. API errors become
// *APIError, unusable answers *HTTPError. It retries maxlag errors as
// configured; nothing else is retried here.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	nonceRetried := false
	for attempt := 0; ; attempt++ {
		resp, err := c.doOnce(ctx, r)
		var ae *APIError
		if err != nil && c.oauth1 != nil && !nonceRetried && errors.As(err, &ae) && isNonceReused(ae) {
			// A nonce collision is not the caller's fault: sign again with a
			// fresh nonce, once.
			nonceRetried = true
			attempt--
			continue
		}
		if err != nil && errors.As(err, &ae) && ae.Code == "maxlag" && attempt < c.maxRetries {
			wait := ae.RetryAfter
			if !ae.hasRetryAfter {
				// MediaWiki always sends one; its minimum is 5 s.
				wait = 5 * time.Second
			}
			c.log.DebugContext(ctx, "mwauth: maxlag, waiting", "wait", wait, "attempt", attempt+1)
			if err := sleepCtx(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		return resp, err
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) doOnce(ctx context.Context, r request) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	params := make(url.Values, len(r.params)+4)
	for k, v := range r.params {
		params[k] = v
	}
	wire.Pin(params)
	if c.maxlag > 0 {
		params.Set("maxlag", strconv.Itoa(c.maxlag))
	}
	action := params.Get("action")
	var req *http.Request
	var err error
	var form url.Values
	if r.method == http.MethodPost {
		form = params
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.endpointStr, strings.NewReader(params.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u := *c.endpoint
		u.RawQuery = params.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if err := c.authorize(req, form); err != nil {
		return nil, err
	}
	start := time.Now()
	// The cookies of an answer belong to the session the request was sent
	// in. An answer that arrives after a login or re-login started (a
	// request of a lost session, say) must not overwrite the new session's
	// cookies, so each request gets a jar view that drops them then.
	hc := *c.hc
	hc.Jar = epochJar{c: c, epoch: c.state().epoch}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		c.log.DebugContext(ctx, "mwauth: request failed", "action", action, "method", r.method,
			"duration", time.Since(start))
		return nil, &transportError{method: r.method, endpoint: c.endpointStr, err: err}
	}
	body, err := wire.ReadBody(resp, c.maxBody)
	c.saveIfChanged(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.bodyError(ctx, r, action, resp, start, err)
	}
	if resp.StatusCode == http.StatusUnauthorized && c.isBearer() {
		if e := bearerError(resp.Header); e != nil {
			c.logRequest(ctx, r.method, action, resp.StatusCode, start, e.Code)
			return nil, e
		}
	}
	env, err := wire.Decode(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, c.bodyError(ctx, r, action, resp, start, err)
	}
	for _, w := range env.Warnings {
		c.log.DebugContext(ctx, "mwauth: wiki warning", "action", action, "code", w.Code, "module", w.Module)
	}
	if len(env.Errors) > 0 {
		ae := apiErrorFrom(env.Errors, resp.Header)
		c.logRequest(ctx, r.method, action, resp.StatusCode, start, ae.Code)
		return nil, ae
	}
	c.logRequest(ctx, r.method, action, resp.StatusCode, start, "")
	return &response{env: env}, nil
}

func (c *Client) logRequest(ctx context.Context, method, action string, status int, start time.Time, code string) {
	args := []any{"action", action, "method", method, "status", status, "duration", time.Since(start)}
	if code != "" {
		args = append(args, "code", code)
	}
	c.log.DebugContext(ctx, "mwauth: request", args...)
}

func (c *Client) bodyError(ctx context.Context, r request, action string, resp *http.Response, start time.Time, err error) error {
	var be *wire.BodyError
	if !errors.As(err, &be) {
		return &transportError{method: r.method, endpoint: c.endpointStr, err: err}
	}
	he := &HTTPError{StatusCode: be.StatusCode, ContentType: be.ContentType, Reason: be.Error(), err: be.Err}
	if be.Kind == wire.TooLarge {
		he.tooLarge = true
	} else if !looksLikeAPIBody(be.Snippet) {
		// An api.php answer may hold a token, whatever is wrong with it (a
		// truncated body, a non-200 status, a wrong Content-Type); an HTML
		// page from a proxy does not. Keep snippets only of the latter.
		he.Snippet = be.Snippet
	}
	c.logRequest(ctx, r.method, action, resp.StatusCode, start, "http")
	return he
}

// looksLikeAPIBody reports whether a snippet looks like it holds (part
// of) a JSON answer, whose text may contain secrets. The JSON need not
// come first: a UTF-8 byte order mark, or PHP notices that a wiki with
// display_errors on prints before the answer, push it further in. A
// token's "+\" suffix gives one away too.
func looksLikeAPIBody(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n\ufeff")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") ||
		jsonObjectStart.MatchString(s) || strings.Contains(s, `+\`)
}

// jsonObjectStart matches the start of a JSON object with a member.
var jsonObjectStart = regexp.MustCompile(`\{\s*"`)

func apiErrorFrom(msgs []wire.Message, h http.Header) *APIError {
	var first *APIError
	for _, m := range msgs {
		e := &APIError{Code: m.Code, Info: m.Text, Module: m.Module, Data: m.Data}
		if first == nil {
			first = e
		} else {
			first.Others = append(first.Others, e)
		}
	}
	if ra := h.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && n >= 0 && n < 3600 {
			first.RetryAfter = time.Duration(n) * time.Second
			first.hasRetryAfter = true
		}
	}
	return first
}

// isNonceReused reports whether an OAuth error says the nonce was already
// used. Extension:OAuth gives this reason only in prose, inside the
// mwoauth-invalid-authorization message ("... Nonce already used"), so
// this is the one place where the package matches English text; it is
// tested in auth_test.go.
func isNonceReused(e *APIError) bool {
	return e.Code == "mwoauth-invalid-authorization" && strings.Contains(strings.ToLower(e.Info), "nonce already used")
}

func bearerError(h http.Header) *APIError {
	for _, v := range h.Values("WWW-Authenticate") {
		if strings.HasPrefix(strings.ToLower(v), "bearer") && strings.Contains(v, "invalid_token") {
			return &APIError{Code: "mwoauth-invalid-authorization", Info: "invalid_token", Module: "main"}
		}
	}
	return nil
}

func (c *Client) isBearer() bool { return c.oauth2 != "" }

// oauthMode reports whether requests carry OAuth credentials.
func (c *Client) oauthMode() bool { return c.oauth2 != "" || c.oauth1 != nil }

func (c *Client) authorize(req *http.Request, form url.Values) error {
	switch {
	case c.oauth2 != "":
		req.Header.Set("Authorization", "Bearer "+string(c.oauth2))
	case c.oauth1 != nil:
		nonce, err := oauth1.NewNonce()
		if err != nil {
			return err
		}
		return oauth1.Sign(req, form, *c.oauth1, nonce, c.now().Unix())
	}
	return nil
}

// epochJar is the Client's jar as one request sees it: answers whose
// session was replaced while they were in flight set no cookies.
type epochJar struct {
	c     *Client
	epoch uint64
}

func (j epochJar) Cookies(u *url.URL) []*http.Cookie { return j.c.jar.Cookies(u) }

func (j epochJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.c.stMu.Lock()
	defer j.c.stMu.Unlock()
	if j.c.st.epoch == j.epoch {
		j.c.jar.SetCookies(u, cookies)
	}
}

// discardHandler is a slog.Handler that drops everything.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
