package mwauth

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
)

// version is this module's version, sent in the User-Agent.
const version = "0.2.0"

// defaultTimeout bounds one HTTP exchange, headers and body, when the
// caller gives no *http.Client of its own. The caller's context is still
// the main deadline.
const defaultTimeout = 60 * time.Second

// Client talks to one wiki's api.php with one session: it holds the
// session's cookies, caches its tokens and, when configured, saves the
// session to a file and logs in again when the wiki forgets it.
//
// A Client is safe for concurrent use by multiple goroutines. Its
// configuration is fixed by [New] and never changes. Operations that
// change the session ([Client.Login], [Client.ClientLogin],
// [Client.ContinueClientLogin], [Client.Resume] when it logs in,
// [Client.Logout] and automatic re-login) run one at a time; a call
// waiting for another to end gives up when its context ends. Ordinary
// calls run in parallel.
//
// # Never silently anonymous
//
// A Client is meant to act as a user once it was given [WithBotPassword]
// or OAuth credentials, loaded a user's session from [WithSessionFile], or
// logged in. From then on no call it makes runs as an anonymous user:
//   - every [Client.Get], [Client.Post] and [Client.PostWithToken] sends
//     assert=user (or assert=bot, see [WithAssert]), so a session the wiki
//     forgot fails on the wiki instead of acting anonymously;
//   - a lost session is logged in again once with the [WithBotPassword]
//     credentials (never with a password given to [Client.Login]); without
//     them the call fails with an error matching [ErrNotLoggedIn];
//   - after [Client.Logout], calls fail with [ErrNotLoggedIn] before any
//     request, until Login, a client login or [Client.Resume] establishes
//     a session again.
//
// A Client that was never given a user makes anonymous calls, without an
// assert.
type Client struct {
	cfg *options
	hc  *http.Client // a copy: the Client's jar and redirect policy
	jar *jar

	// flow serialises every change of the session: logins, logout,
	// re-login. It is a one-slot semaphore rather than a sync.Mutex so
	// that a goroutine waiting for another flow gives up when its context
	// ends (see lockFlow).
	flow chan struct{}

	// sess is the session: who, epoch, tokens, re-login wait. Lock order:
	// flow, then sess.mu, then the jar's own lock. saveMu is never taken
	// while sess.mu is held.
	sess *session

	tr      *transport
	persist *persister
}

// Option configures a [Client] in [New]. Options are applied in order and
// validated there; New fails on the first bad one, and on options that
// conflict. An Option has no effect outside New.
type Option interface {
	apply(*options) error
}

type optionFunc func(*options) error

func (f optionFunc) apply(o *options) error { return f(o) }

// options is a Client's configuration. Nothing changes it after New.
type options struct {
	hc          *http.Client
	userAgent   string
	log         *slog.Logger
	insecureOK  bool
	maxlag      int
	maxRetries  int
	assert      Assert
	assertSet   bool
	creds       *credentials
	sessionPath string
	oauth2      secret
	oauth2Func  func(context.Context) (string, error)
	oauth1      *oauth1.Credentials
	now         func() time.Time
	sleep       func(context.Context, time.Duration) error
}

// Assert is the assert parameter a Client sends with its calls while it
// acts as a user.
type Assert string

// The asserts MediaWiki knows.
const (
	// AssertUser fails a call unless the session is logged in.
	AssertUser Assert = "user"
	// AssertBot fails a call unless the session's account has the bot
	// right.
	AssertBot Assert = "bot"
)

// credentials are the WithBotPassword credentials, kept for logging in
// again.
type credentials struct {
	username string
	password secret
}

// secret is a string that never prints, whatever the verb.
type secret string

// Format prints a placeholder for every verb.
func (secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte("<redacted>")) }

// WithHTTPClient makes the Client send its requests through a copy of hc:
// its Transport and Timeout are kept; its Jar is replaced by the Client's
// own and its CheckRedirect by one that refuses redirects of POST
// requests and to other hosts. hc is never modified.
//
// hc must not authenticate requests by itself: an OAuth 2.0 client from
// golang.org/x/oauth2 belongs in [WithOAuth2TokenFunc], so that the
// Client knows it acts as a user.
func WithHTTPClient(hc *http.Client) Option {
	return optionFunc(func(o *options) error {
		if hc == nil {
			return invalid("WithHTTPClient: nil *http.Client")
		}
		cp := *hc
		o.hc = &cp
		return nil
	})
}

// WithUserAgent sets the caller's product token, such as
// "ExampleBot/1.2 (https://example.org/bot; bot@example.org)". Wikimedia's
// User-Agent policy asks every bot to name itself and give a way to
// contact its operator. The Client appends "mwauth/<version>".
func WithUserAgent(product string) Option {
	return optionFunc(func(o *options) error {
		product = strings.TrimSpace(product)
		if product == "" {
			return invalid("WithUserAgent: empty product")
		}
		if hasControl(product) {
			return invalid("WithUserAgent: control character in product")
		}
		o.userAgent = product + " mwauth/" + version
		return nil
	})
}

// WithLogger makes the Client log at debug level each request (action,
// method, HTTP status, duration, error code), each login step (its result
// or status and reason code, the number of requests so far) and the
// wiki's warnings, and at warn level a session file it could not save
// after a cookie rotation. It never logs parameters, bodies, cookies,
// tokens or passwords. Logging is off by default.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(o *options) error {
		if l == nil {
			return invalid("WithLogger: nil logger")
		}
		o.log = l
		return nil
	})
}

// WithInsecureHTTP allows a plain http:// endpoint on a host that is not
// loopback. Passwords, tokens and session cookies then cross the network
// in clear text; use it only on a network you control. Without it, New
// refuses such an endpoint with [ErrInsecureHTTP].
func WithInsecureHTTP() Option {
	return optionFunc(func(o *options) error {
		o.insecureOK = true
		return nil
	})
}

// WithMaxLag sends maxlag=seconds with every request, as Wikimedia asks of
// bots, and retries a maxlag error up to retries times (at most 20). Each
// wait is the Retry-After the wiki gives, at most one minute; the waits
// end when the context does.
func WithMaxLag(seconds, retries int) Option {
	return optionFunc(func(o *options) error {
		if seconds < 1 || retries < 0 || retries > 20 {
			return invalid("WithMaxLag: seconds must be positive, retries 0..20")
		}
		o.maxlag, o.maxRetries = seconds, retries
		return nil
	})
}

// WithAssert chooses the assert a Client acting as a user sends with
// every call: [AssertUser] (the default) or [AssertBot], which also fails
// when the account lacks the bot right. Giving WithAssert also makes the
// Client act as a user from its first call, for clients whose
// credentials the Client cannot see.
func WithAssert(a Assert) Option {
	return optionFunc(func(o *options) error {
		switch a {
		case AssertUser, AssertBot:
			o.assert, o.assertSet = a, true
			return nil
		}
		return invalid("WithAssert: unknown assert")
	})
}

// WithBotPassword gives the Client a bot password ("User@BotName" and the
// password Special:BotPasswords generated). The Client acts as that user:
// [Client.Resume] logs in with it when no live session of that user is
// saved, the first call logs in when there is no session yet, and a
// session the wiki forgets is logged in again with it. The password is
// kept in memory for that purpose only; it never prints.
func WithBotPassword(username, password string) Option {
	return optionFunc(func(o *options) error {
		if err := checkCredentials(username, password); err != nil {
			return fmt.Errorf("WithBotPassword: %w", err)
		}
		o.creds = &credentials{username: username, password: secret(password)}
		return nil
	})
}

// WithSessionFile keeps the session in the file at path. New loads it if
// it exists. The file is written once per session change (a login, a
// re-login, a logout removes it) and when the wiki rotates a session
// cookie, atomically (a temporary file, fsync, rename) with mode 0600.
// On Unix, writers hold an advisory lock so that several processes can
// share the file, and a file readable by others, owned by another user, or
// in a directory others can write is refused. Elsewhere there is no lock
// and modes are not checked.
//
// A file that is corrupt, truncated or written for another endpoint makes
// New fail with [ErrSessionFile]; it is never silently discarded. A
// failure to write it is returned, matching ErrSessionFile, by the
// operation that changed the session.
func WithSessionFile(path string) Option {
	return optionFunc(func(o *options) error {
		if path == "" {
			return invalid("WithSessionFile: empty path")
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSessionFile, err)
		}
		o.sessionPath = abs
		return nil
	})
}

// WithOAuth2Token authenticates every request with an OAuth 2.0
// owner-only access token, sent as "Authorization: Bearer <token>". The
// Client then acts as the token's user: every call asserts it, and
// [Client.Login], [Client.ClientLogin] and [Client.Logout] fail with
// [ErrOAuth], since the wiki refuses logins in an OAuth session.
func WithOAuth2Token(accessToken string) Option {
	return optionFunc(func(o *options) error {
		if accessToken == "" || hasControl(accessToken) {
			return invalid("WithOAuth2Token: empty token or control character")
		}
		o.oauth2 = secret(accessToken)
		return nil
	})
}

// WithOAuth2TokenFunc is [WithOAuth2Token] for tokens that expire: token
// is called before each request and returns the current access token. To
// use golang.org/x/oauth2, return ts.Token()'s AccessToken; its
// TokenSource refreshes and caches the token.
func WithOAuth2TokenFunc(token func(ctx context.Context) (string, error)) Option {
	return optionFunc(func(o *options) error {
		if token == nil {
			return invalid("WithOAuth2TokenFunc: nil func")
		}
		o.oauth2Func = token
		return nil
	})
}

// WithOAuth1 authenticates every request with an OAuth 1.0a owner-only
// consumer: each request is signed with HMAC-SHA1 (RFC 5849), form
// parameters included. Extension:OAuth checks the signature against the
// wiki's canonical URL ($wgCanonicalServer), so the endpoint must be that
// URL exactly (scheme and host). Logins are refused as with
// [WithOAuth2Token].
func WithOAuth1(consumerKey, consumerSecret, accessToken, accessSecret string) Option {
	return optionFunc(func(o *options) error {
		for _, s := range []string{consumerKey, consumerSecret, accessToken, accessSecret} {
			if s == "" || hasControl(s) {
				return invalid("WithOAuth1: all four credentials are required, without control characters")
			}
		}
		o.oauth1 = &oauth1.Credentials{ConsumerKey: consumerKey, ConsumerSecret: consumerSecret,
			Token: accessToken, TokenSecret: accessSecret}
		return nil
	})
}

// New returns a Client for the wiki whose api.php is at endpoint, such as
// "https://en.wikipedia.org/w/api.php".
//
// The endpoint must be an absolute http or https URL of api.php with no
// query, fragment or user information. Plain http is refused with
// [ErrInsecureHTTP] unless the host is loopback or [WithInsecureHTTP] is
// given, because sessions and passwords would travel in clear text.
//
// Without [WithHTTPClient] the Client shares one transport with every
// other such Client and bounds each exchange to 60 seconds. With
// [WithSessionFile], New loads the file; it waits at most 10 seconds for
// another process that holds the file's lock.
func New(endpoint string, opts ...Option) (*Client, error) {
	c, err := newClient(endpoint, opts)
	if err != nil {
		return nil, opErr("new", err)
	}
	return c, nil
}

func newClient(endpoint string, opts []Option) (*Client, error) {
	o := options{
		userAgent: "mwauth/" + version + " (https://github.com/mwauth/mwauth)",
		log:       slog.New(discardHandler{}),
		assert:    AssertUser,
		now:       time.Now,
		sleep:     sleepCtx,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt.apply(&o); err != nil {
			return nil, err
		}
	}
	u, err := checkEndpoint(endpoint, o.insecureOK)
	if err != nil {
		return nil, err
	}
	if err := o.checkConflicts(); err != nil {
		return nil, err
	}
	c := &Client{cfg: &o, flow: make(chan struct{}, 1), sess: newSession(),
		persist: &persister{path: o.sessionPath, endpoint: u.String(), write: writeSessionFile}}
	if o.hc == nil {
		c.hc = &http.Client{Transport: sharedTransport(), Timeout: defaultTimeout}
	} else {
		c.hc = o.hc
	}
	c.jar = newJar(o.now)
	if o.sessionPath != "" {
		ctx, cancel := context.WithTimeout(context.Background(), sessionLoadWait)
		defer cancel()
		if err := c.load(ctx); err != nil {
			return nil, err
		}
	}
	c.hc.Jar = c.jar
	c.hc.CheckRedirect = checkRedirect
	c.tr = &transport{cfg: c.cfg, hc: c.hc, endpoint: u, endpointStr: u.String(), jar: c.jar, sess: c.sess}
	return c, nil
}

// checkConflicts refuses options that cannot work together.
func (o *options) checkConflicts() error {
	n := 0
	for _, set := range []bool{o.oauth2 != "", o.oauth2Func != nil, o.oauth1 != nil} {
		if set {
			n++
		}
	}
	switch {
	case n > 1:
		return invalid("WithOAuth2Token, WithOAuth2TokenFunc and WithOAuth1 are exclusive")
	case n == 1 && o.creds != nil:
		return invalid("OAuth and WithBotPassword are exclusive: an OAuth session cannot log in")
	case n == 1 && o.sessionPath != "":
		return invalid("OAuth and WithSessionFile are exclusive: an OAuth client keeps no session")
	}
	return nil
}

// oauthMode reports whether requests carry OAuth credentials.
func (o *options) oauthMode() bool {
	return o.oauth2 != "" || o.oauth2Func != nil || o.oauth1 != nil
}

// Format describes the Client without any secret, whatever the verb, for
// a *Client and a Client alike.
func (c Client) Format(f fmt.State, _ rune) {
	name := ""
	if c.sess != nil {
		name = c.sess.user().Name
	}
	endpoint := ""
	if c.tr != nil {
		endpoint = c.tr.endpointStr
	}
	fmt.Fprintf(f, "mwauth.Client{endpoint: %s, user: %q}", endpoint, name)
}

// sharedTransport is the transport of every Client made without
// WithHTTPClient: one connection pool for the process, as with
// http.DefaultTransport. It sets no ResponseHeaderTimeout of its own, so
// the documented 60-second Client timeout is the one that applies.
var sharedTransport = sync.OnceValue(func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 0
	return t
})

// checkEndpoint validates the endpoint. Its errors never quote the
// endpoint, which may hold a password in its user information.
func checkEndpoint(s string, insecureOK bool) (*url.URL, error) {
	if hasControl(s) {
		return nil, invalid("endpoint contains a control character (a trailing newline?)")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, invalid("endpoint is not a valid URL")
	}
	switch {
	case u.User != nil:
		return nil, invalid("endpoint must not contain user information")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalid("endpoint must be an absolute http or https URL")
	case u.Host == "" || u.Hostname() == "":
		return nil, invalid("endpoint has no host")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return nil, invalid("endpoint must not have a query or fragment")
	case !strings.HasSuffix(u.Path, "/api.php"):
		return nil, invalid("endpoint must be the URL of api.php")
	}
	if u.Scheme == "http" && !insecureOK && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%w: refusing plain http to %s (use https, or WithInsecureHTTP)", ErrInsecureHTTP, sanitize(u.Hostname(), 100))
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

// errRedirect is a refused HTTP redirect.
var errRedirect = fmt.Errorf("%w: redirect refused", ErrUnexpectedResponse)

func checkRedirect(req *http.Request, via []*http.Request) error {
	first := via[0]
	switch {
	case len(via) >= 5:
		return fmt.Errorf("%w: too many redirects", errRedirect)
	case first.Method != http.MethodGet:
		return fmt.Errorf("%w: %s request redirected", errRedirect, first.Method)
	case !strings.EqualFold(req.URL.Host, first.URL.Host):
		return fmt.Errorf("%w: redirect to another host", errRedirect)
	case first.URL.Scheme == "https" && req.URL.Scheme != "https":
		return fmt.Errorf("%w: redirect from https to http", errRedirect)
	}
	return nil
}

// checkCredentials refuses what cannot be a user name or password.
func checkCredentials(username, password string) error {
	if username == "" || password == "" {
		return invalid("empty username or password")
	}
	if hasControl(username) {
		return invalid("control character in username")
	}
	return nil
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

// discardHandler is a slog.Handler that drops everything.
type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }

var errOAuthMode = fmt.Errorf("%w: the client uses OAuth, which cannot log in or out", ErrOAuth)
