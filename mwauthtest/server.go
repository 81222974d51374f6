package mwauthtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/mwauth/mwauth/internal/totp"
)

// Option configures a Server. Options are applied by NewServer and
// NewUnstartedServer; a running server's configuration never changes
// except through the Server methods documented as doing so.
type Option func(*config)

type config struct {
	accounts      []Account
	captchaQ      string
	captchaA      string
	captchaUser   int // per-user bad-login threshold; < 0: off
	captchaIP     int // per-IP bad-login threshold; <= 0: off
	throttleCount int
	throttleWin   time.Duration
	sso           bool
	now           func() time.Time
	sessionTTL    time.Duration
	version       Version
	oauth2        map[string]string     // bearer token -> user name
	oauth1        map[string]oauth1Cred // consumer key -> credentials
}

// Version is a MediaWiki release line that the fake imitates.
type Version string

// The release lines the fake imitates. Their differences on the wire are
// listed on WithVersion.
const (
	MediaWiki139 Version = "1.39"
	MediaWiki143 Version = "1.43"
)

// WithVersion chooses the MediaWiki release the fake answers as; the
// default is MediaWiki143. NewServer panics on any other value. What
// MediaWiki 1.39.17 answers differently from 1.43.9:
//
//   - action=logout in an anonymous session answers {} and deletes the
//     session cookie (1.43: the warning notloggedin, no cookie touched);
//   - a RawMessage in loginmessageformat=raw or amimessageformat=raw has
//     the key "$1" (1.43: "rawmessage");
//   - meta=userinfo rights include writeapi (gone in 1.43), anonymous
//     users have viewmywatchlist and editmywatchlist, and sysops have
//     purge;
//   - OATHAuth's oathauth-auth-ui text has no links, and
//     oathauth-throttled names the wait;
//   - OATHAuth recovery codes (Account.RecoveryCodes) never work: Debian's
//     1.39 build answers UI oathauth-login-failed for them;
//   - meta=siteinfo's generator is "MediaWiki 1.39.17".
func WithVersion(v Version) Option { return func(c *config) { c.version = v } }

// WithOAuth2Token makes "Authorization: Bearer <token>" authenticate
// requests as username, like an owner-only OAuth 2 access token of
// Extension:OAuth. Such requests get an immutable session: action=login
// answers Aborted, clientlogin FAIL userlogin-cannot-login, logout the
// error cannotlogout, and no session cookie is ever set. Their rights
// are those a bot password with every grant would have. An unknown
// token is the API error mwoauth-invalid-authorization with HTTP 200, as
// on a real wiki; a scheme spelled otherwise than "Bearer " (for
// example "bearer ") is not OAuth and the request runs anonymously.
func WithOAuth2Token(token, username string) Option {
	return func(c *config) {
		if c.oauth2 == nil {
			c.oauth2 = map[string]string{}
		}
		c.oauth2[token] = username
	}
}

// WithOAuth1 registers an owner-only OAuth 1.0a consumer for username.
// Requests signed with HMAC-SHA1 in an "Authorization: OAuth ..." header
// are then authenticated as WithOAuth2Token's are. The server checks, in
// Extension:OAuth's order, the consumer, the access token, the timestamp
// (within 300 s of the server clock), the nonce (stored before the
// signature is checked, so a bad signature uses it up) and the
// signature. The signature base string uses the wiki's canonical server
// (the URL the server listens on, as $wgServer) and the request path,
// not the Host the client used; query parameters count once each, the
// last value winning, as in PHP's $_GET, so a GET with a repeated name
// fails; form body pairs count as sent. Failures are the API error
// mwoauth-invalid-authorization (HTTP 200) with the real extension's
// texts.
func WithOAuth1(consumerKey, consumerSecret, accessToken, accessSecret, username string) Option {
	return func(c *config) {
		if c.oauth1 == nil {
			c.oauth1 = map[string]oauth1Cred{}
		}
		c.oauth1[consumerKey] = oauth1Cred{consumerSecret: consumerSecret, token: accessToken,
			tokenSecret: accessSecret, user: username}
	}
}

// WithAccounts replaces DefaultAccounts with the given accounts.
func WithAccounts(a ...Account) Option {
	return func(c *config) { c.accounts = append([]Account(nil), a...) }
}

// WithCaptcha configures ConfirmEdit's QuestyCaptcha on login
// ($wgCaptchaTriggers['badloginperuser']). After afterBadLogins failed
// logins of one user name (within 10 minutes), every login of that name
// fails with wrongpassword unless it carries a correct captchaId and
// captchaWord (the answer is compared case-insensitively). As in
// MediaWiki 1.39 the captcha is never a UI step: the failing attempt
// marks the session, and from then on meta=authmanagerinfo and
// clientlogin list the CaptchaAuthenticationRequest among the login
// requests. A successful login resets the counter. A negative
// afterBadLogins turns the captcha off; 0 requires it on every login.
//
// The default is the local test wiki's: question "What is the name of
// this test wiki?", answer "localwiki", after 3 bad logins.
func WithCaptcha(question, answer string, afterBadLogins int) Option {
	return func(c *config) {
		c.captchaQ, c.captchaA, c.captchaUser = question, answer, afterBadLogins
	}
}

// WithCaptchaPerIP also requires the captcha for every login from a
// client IP after that many failed logins from it within 5 minutes
// (ConfirmEdit's 'badlogin' trigger, MediaWiki's default being 3). The
// captcha is then listed up front by meta=authmanagerinfo in any session.
// Bot-password logins are not affected. The default is off, as on the
// local test wiki; attempts <= 0 turns it off.
func WithCaptchaPerIP(attempts int) Option {
	return func(c *config) { c.captchaIP = attempts }
}

// WithThrottle sets $wgPasswordAttemptThrottle: at most count login
// attempts per user name and client IP within window; the next one fails
// with login-throttled ("Please wait <window>"). Main-password logins
// and bot-password logins are counted in separate buckets, and a
// successful login clears its bucket. The default is 10 per 60 s, like
// the local test wiki; count <= 0 turns throttling off.
func WithThrottle(count int, window time.Duration) Option {
	return func(c *config) { c.throttleCount, c.throttleWin = count, window }
}

// WithSSO loads the local wiki's test-only FakeSSO primary provider, so
// that clientlogin can answer REDIRECT and RESTART. The login requests
// then include MediaWiki\Auth\ButtonAuthenticationRequest:fakessologin.
// clientlogin with fakessologin=1 answers REDIRECT to
// <server>/fakesso-idp?state=..&returnto=<loginreturnurl>; continuing
// (logincontinue=1) with fakessocode=user:NAME passes as NAME (creating
// the account if needed), fakessocode=nouser answers RESTART with
// authmanager-authn-no-local-user, and any other code fails with
// localwiki-fakesso-failed.
//
// The server also serves the identity provider page at /fakesso-idp:
// GET /fakesso-idp?state=S&returnto=R&user=NAME (or &code=CODE)
// redirects to R with fakessocode and state added, as a browser would
// come back from a real identity provider.
func WithSSO() Option { return func(c *config) { c.sso = true } }

// WithClock sets the time source used for tokens, TOTP codes, throttles,
// captcha counters, OAuth timestamps, replication lag (SetLag), cookie
// expiry and session expiry. It is called with the server's lock held
// and must not call back into the Server. A *Clock's Now method fits;
// give the same Clock to the code under test so that its waits advance
// the fake's time instead of sleeping.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithSessionTTL sets how long an idle session lives on the server
// ($wgObjectCacheSessionExpiry, default 1 h). After that its cookie is
// unknown: the client is anonymous again unless it holds remember-me
// cookies, and its tokens fail with badtoken.
func WithSessionTTL(d time.Duration) Option { return func(c *config) { c.sessionTTL = d } }

// Request is a request received by the fake wiki, as recorded by
// Server.Requests.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Action is the action parameter, for example "query", "login" or
	// "clientlogin" ("" when absent or for paths other than api.php).
	Action string
	// Params holds the query string and form body parameters merged, as
	// MediaWiki sees them (body values win).
	Params url.Values
	// Query holds the URL query string parameters alone, so that tests
	// can check that no secret travels in a URL.
	Query url.Values
	// Header is a copy of the request headers.
	Header http.Header
	// Path is the URL path, normally "/api.php".
	Path string
}

// Server is an in-process fake MediaWiki Action API. It is safe for
// concurrent use; every request is handled under one lock. Its
// configuration is fixed by the options given to NewServer; the methods
// that change it afterwards simulate events on the wiki (sessions
// forgotten, read-only mode, replication lag, failures).
type Server struct {
	// URL is the api.php URL, for example http://127.0.0.1:PORT/api.php.
	// It is empty for an unstarted server until Start or StartTLS.
	URL string

	ts     *httptest.Server
	cfg    config
	apiURL string // URL as set by Start; the handler never reads URL

	mu       sync.Mutex
	users    []*user
	byName   map[string]*user
	sessions map[string]*session // cookie sessions by id
	bpSess   map[string]*session // bot-password sessions by id
	oauthSes map[string]*session // OAuth sessions by token
	nonces   map[string]time.Time
	throttle map[string]*counter
	badLogin map[string]*counter // ConfirmEdit bad-login counters
	badOATH  map[string]*counter // OATHAuth badoath rate limit per user name
	oathLast map[int]int64       // OATHAuth replay guard: last accepted step
	pages    map[string]*page
	nextPage int
	nextRev  int
	readOnly string
	lag      time.Duration // replication lag, until lagUntil
	lagUntil time.Time
	failN    int
	failCode string
	httpN    int
	httpCode int
	httpBody string
	log      []Request
	requests int // api.php requests handled, for sweep
}

// NewServer starts a fake wiki on 127.0.0.1 and returns it. Close it
// when done. Without options it answers as MediaWiki 1.43 and has
// DefaultAccounts, the local wiki's captcha and throttle settings, no
// SSO provider, no OAuth consumer, the real clock and a one-hour session
// lifetime.
func NewServer(opts ...Option) *Server {
	s := NewUnstartedServer(opts...)
	s.Start()
	return s
}

// NewUnstartedServer returns a fake wiki that is not listening yet. Call
// Start or StartTLS, or mount Handler in your own server: then URL stays
// empty and the wiki takes its own address (for docref texts and
// redirect targets) from each request's Host and path.
func NewUnstartedServer(opts ...Option) *Server {
	cfg := config{
		captchaQ:      "What is the name of this test wiki?",
		captchaA:      "localwiki",
		captchaUser:   3,
		throttleCount: 10,
		throttleWin:   60 * time.Second,
		now:           time.Now,
		sessionTTL:    time.Hour,
		version:       MediaWiki143,
	}
	cfg.accounts = DefaultAccounts()
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.sessionTTL <= 0 {
		cfg.sessionTTL = time.Hour
	}
	if cfg.version != MediaWiki139 && cfg.version != MediaWiki143 {
		panic("mwauthtest: unknown MediaWiki version " + strconv.Quote(string(cfg.version)))
	}
	s := &Server{
		cfg:      cfg,
		sessions: map[string]*session{},
		bpSess:   map[string]*session{},
		oauthSes: map[string]*session{},
		nonces:   map[string]time.Time{},
		throttle: map[string]*counter{},
		badLogin: map[string]*counter{},
		badOATH:  map[string]*counter{},
		oathLast: map[int]int64{},
		pages:    map[string]*page{},
	}
	s.users, s.byName = newUsers(cfg.accounts)
	s.ts = httptest.NewUnstartedServer(s.Handler())
	return s
}

// Start starts an unstarted server on 127.0.0.1 over HTTP and sets URL.
func (s *Server) Start() {
	// The address is known before the first request can arrive.
	s.apiURL = "http://" + s.ts.Listener.Addr().String() + "/api.php"
	s.ts.Start()
	s.URL = s.apiURL
}

// StartTLS starts an unstarted server over HTTPS (with httptest's
// self-signed certificate; use Client) and sets URL. Cookies are then
// marked Secure.
func (s *Server) StartTLS() {
	s.apiURL = "https://" + s.ts.Listener.Addr().String() + "/api.php"
	s.ts.StartTLS()
	s.URL = s.apiURL
}

// Client returns an HTTP client that trusts the server's TLS certificate
// (see httptest.Server.Client). It has no cookie jar: add one.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Handler returns the fake wiki as an http.Handler: api.php at any path
// ending in "api.php", the FakeSSO identity provider at paths ending in
// "/fakesso-idp", and 404 elsewhere.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Close shuts the server down and blocks until all outstanding requests
// have completed.
func (s *Server) Close() { s.ts.Close() }

// ExpireSessions forgets every session on the server side, like deleting
// the session rows from the object cache: the clients' session cookies
// become unknown, pending clientlogin flows are lost and tokens fail
// with badtoken. Remember-me cookies (<prefix>Token) still log their
// holder back in. Throttles, captcha counters and the TOTP replay guard
// are kept.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions = map[string]*session{}
	s.bpSess = map[string]*session{}
	s.oauthSes = map[string]*session{}
}

// Requests returns the requests received so far, oldest first. A test
// that wants only the requests of one phase notes len(Requests()) before
// it and slices afterwards.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	copy(out, s.log)
	return out
}

// Version returns the MediaWiki release the server answers as.
func (s *Server) Version() Version { return s.cfg.version }

// SetLag makes the wiki's replicas lag by lag seconds from now until d
// has passed on the server clock (WithClock). Meanwhile a request whose
// maxlag parameter is below lag fails with the API error maxlag and the
// headers MediaWiki sends: Retry-After (the request's maxlag, at least
// 5) and X-Database-Lag. A client that waits out Retry-After on the
// same Clock therefore succeeds on its retry once d has passed, without
// any real wait. lag <= 0 or d <= 0 ends the lag.
func (s *Server) SetLag(lag, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lag <= 0 || d <= 0 {
		s.lag, s.lagUntil = 0, time.Time{}
		return
	}
	s.lag, s.lagUntil = lag, s.cfg.now().Add(d)
}

// SetReadOnly puts the wiki in read-only mode with the given reason
// ($wgReadOnly); "" turns it off. Write modules (login, clientlogin,
// edit) then fail with the API error readonly, whose readonlyreason is
// reason.
func (s *Server) SetReadOnly(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.readOnly = reason
}

// FailNext makes the next n api.php requests fail with the API error
// code, before anything else is looked at (they are still logged).
// Known codes carry MediaWiki's text and extras: "maxlag" (with
// Retry-After: 5 and X-Database-Lag: 5 headers and lag data), "readonly",
// "ratelimited", "badtoken", "assertuserfailed", "assertbotfailed",
// "internal_api_error_DBQueryError"; any other code gets a generic text.
// n <= 0 cancels.
func (s *Server) FailNext(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failN, s.failCode = n, code
}

// FailNextHTTP makes the next n api.php requests answer with the HTTP
// status and an HTML body, like a proxy or CDN error page in front of a
// wiki. n <= 0 cancels.
func (s *Server) FailNextHTTP(n, status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.httpN, s.httpCode, s.httpBody = n, status, body
}

// TOTPCode returns the current OATHAuth code of the account (per the
// server clock), or "" when it has no TOTP secret. offset selects a
// neighbouring time step: the server accepts steps -4..+4 around now,
// but never a step at or before the last one accepted for that user.
func (s *Server) TOTPCode(username string, offset int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.byName[canonicalName(username)]
	if u == nil || u.totpKey == nil {
		return ""
	}
	return totp.CodeAt(u.totpKey, totp.Step(s.cfg.now())+int64(offset))
}

func decodeTOTPSecret(secret string) ([]byte, error) { return totp.DecodeSecret(secret) }

// counter is a fixed-window counter that expires (MediaWiki's object
// cache incr with a TTL set on creation).
type counter struct {
	n       int
	expires time.Time
}

func (s *Server) count(m map[string]*counter, key string) int {
	c := m[key]
	if c == nil || !s.cfg.now().Before(c.expires) {
		return 0
	}
	return c.n
}

func (s *Server) incr(m map[string]*counter, key string, ttl time.Duration) {
	c := m[key]
	if c == nil || !s.cfg.now().Before(c.expires) {
		m[key] = &counter{n: 1, expires: s.cfg.now().Add(ttl)}
		return
	}
	c.n++
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Clock is a manual clock for WithClock: time stands still until Advance
// or Sleep moves it. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleep is a wait on the fake clock for code under test that takes a
// sleep function: it advances the clock by d and returns at once, or
// returns ctx's error if ctx is already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.Advance(d)
	}
	return nil
}
