package mwauthtest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
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
// captcha counters, OAuth timestamps, cookie expiry and session expiry.
// It is called with the server's lock held and must not call back into
// the Server.
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

// Server is an in-process fake MediaWiki 1.39 Action API. It is safe for
// concurrent use; every request is handled under one lock.
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
	oauth2   map[string]string   // bearer token -> user name
	oauth1   map[string]oauth1Cred
	nonces   map[string]time.Time
	throttle map[string]*counter
	badLogin map[string]*counter // ConfirmEdit bad-login counters
	badOATH  map[string]*counter // OATHAuth badoath rate limit per user name
	oathLast map[int]int64       // OATHAuth replay guard: last accepted step
	pages    map[string]*page
	nextPage int
	nextRev  int
	readOnly string
	failN    int
	failCode string
	httpN    int
	httpCode int
	httpBody string
	log      []Request
	requests int // api.php requests handled, for sweep
}

// NewServer starts a fake wiki on 127.0.0.1 and returns it. Close it
// when done. Without options it has DefaultAccounts, the local wiki's
// captcha and throttle settings, no SSO provider, the real clock and a
// one-hour session lifetime.
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
	s := &Server{
		cfg:      cfg,
		sessions: map[string]*session{},
		bpSess:   map[string]*session{},
		oauthSes: map[string]*session{},
		oauth2:   map[string]string{},
		oauth1:   map[string]oauth1Cred{},
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
	s.ts.Start()
	s.URL = s.ts.URL + "/api.php"
	s.apiURL = s.URL
}

// StartTLS starts an unstarted server over HTTPS (with httptest's
// self-signed certificate; use Client) and sets URL. Cookies are then
// marked Secure.
func (s *Server) StartTLS() {
	s.ts.StartTLS()
	s.URL = s.ts.URL + "/api.php"
	s.apiURL = s.URL
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

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	copy(out, s.log)
	return out
}

// ResetRequests clears the request log.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

// AddOAuth2Token makes "Authorization: Bearer <token>" authenticate
// requests as username, like an owner-only OAuth 2 access token of the
// OAuth extension. Such requests get an immutable session: action=login
// answers Aborted, clientlogin FAIL userlogin-cannot-login, logout the
// cannotlogout error; CSRF tokens still have to be fetched with the same
// header. An unknown bearer token gets the API error
// mwoauth-invalid-authorization (HTTP 200) and a
// `WWW-Authenticate: Bearer error="invalid_token"` header.
func (s *Server) AddOAuth2Token(token, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth2[token] = username
}

// AddOAuth1 registers owner-only OAuth 1.0a credentials for username.
// Requests signed with HMAC-SHA1 (RFC 5849: query and
// application/x-www-form-urlencoded body parameters are signed, the URL
// without its query) in an "Authorization: OAuth ..." header are then
// authenticated like AddOAuth2Token's. The timestamp must be within 300 s
// of the server clock and a nonce can be used once. Any failure is the
// API error mwoauth-invalid-authorization (HTTP 200), whose text names
// the problem, for example "Invalid signature" or "Nonce already used".
func (s *Server) AddOAuth1(consumerKey, consumerSecret, accessToken, accessSecret, username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.oauth1[consumerKey] = oauth1Cred{consumerSecret: consumerSecret, token: accessToken,
		tokenSecret: accessSecret, user: username}
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
