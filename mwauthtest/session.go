package mwauthtest

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Cookie names of the local test wiki ($wgCookiePrefix "localwiki").
const (
	cookiePrefix      = "localwiki"
	sessionCookie     = cookiePrefix + "_session"
	bpSessionCookie   = cookiePrefix + "_BPsession"
	userIDCookie      = cookiePrefix + "UserID"
	userNameCookie    = cookiePrefix + "UserName"
	tokenCookie       = cookiePrefix + "Token"
	loggedOutCookie   = cookiePrefix + "LoggedOut"
	cookieExpiry      = 30 * 24 * time.Hour  // $wgCookieExpiration
	extendedExpiry    = 180 * 24 * time.Hour // $wgExtendedLoginCookieExpiration
	rememberDays      = 180
	tokenSuffix       = `+\`
	anonEditToken     = tokenSuffix
	captchaUserWindow = 600 * time.Second // $wgCaptchaBadLoginPerUserExpiration
	captchaIPWindow   = 300 * time.Second // $wgCaptchaBadLoginExpiration
	oathLimit         = 10                // $wgRateLimits['badoath']['user']
	oathWindow        = 60 * time.Second
	oathRadius        = 4 // $wgOATHAuthWindowRadius
	oauthSkew         = 300
	useDCTTL          = 10 * time.Second // $wgDataCenterUpdateStickTTL
)

type sessionKind int

const (
	kindCookie      sessionKind = iota // CookieSessionProvider
	kindBotPassword                    // BotPasswordSessionProvider (immutable)
	kindOAuth                          // OAuth SessionProvider (immutable)
	kindTransient                      // no credentials accepted (origin=*)
)

// session is a MediaWiki session: its user, token secrets and the data
// the auth code keeps in it.
type session struct {
	id               string
	kind             sessionKind
	user             *user // nil: anonymous
	secrets          map[string][]byte
	remember         bool
	lastUsed         time.Time
	persisted        bool
	authn            *authnState       // AuthManager::authnState
	captchaTriggered bool              // ConfirmEdit:loginCaptchaPerUserTriggered
	captchas         map[string]string // CaptchaSessionStore: id -> answer
	lastAuth         time.Time         // AuthManager:lastAuthTimestamp
}

func newSession(kind sessionKind, now time.Time) *session {
	return &session{id: randHex(16), kind: kind, secrets: map[string][]byte{}, lastUsed: now,
		captchas: map[string]string{}}
}

// restricted reports whether the session's rights are limited to grants
// (bot passwords and OAuth consumers).
func (s *session) restricted() bool { return s.kind == kindBotPassword || s.kind == kindOAuth }

// canSetUser is SessionBackend::canSetUser: false for immutable
// providers.
func (s *session) canSetUser() bool { return s.kind == kindCookie || s.kind == kindTransient }

// providerName is the session provider's description, as in
// "Cannot log in when using $1.".
func (s *session) providerName() string {
	switch s.kind {
	case kindBotPassword:
		return `MediaWiki\Session\BotPasswordSessionProvider sessions`
	case kindOAuth:
		return "OAuth sessions"
	}
	return `MediaWiki\Session\CookieSessionProvider sessions`
}

// tokenType is a row of ApiQueryTokens::getTokenTypeSalts.
type tokenType struct {
	key, salt string
	csrfLike  bool // anonymous users get the constant +\
}

var tokenTypes = map[string]tokenType{
	"createaccount": {key: "createaccount"},
	"csrf":          {key: "default", csrfLike: true},
	"login":         {key: "login"},
	"patrol":        {key: "default", salt: "patrol", csrfLike: true},
	"rollback":      {key: "default", salt: "rollback", csrfLike: true},
	"userrights":    {key: "default", salt: "userrights", csrfLike: true},
	"watch":         {key: "default", salt: "watch", csrfLike: true},
}

// tokenTypeNames is type=* in output order.
var tokenTypeNames = []string{"createaccount", "csrf", "login", "patrol", "rollback", "userrights", "watch"}

// secret returns the session's token secret for key, creating it; isNew
// reports whether it was created now (Token::wasNew).
func (s *session) secret(key string) (sec []byte, isNew bool) {
	if sec, ok := s.secrets[key]; ok {
		return sec, false
	}
	sec = []byte(randHex(16))
	s.secrets[key] = sec
	return sec, true
}

// makeToken is Token::toStringAtTimestamp.
func makeToken(secret []byte, salt string, ts int64) string {
	m := hmac.New(md5.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10) + salt))
	return hex.EncodeToString(m.Sum(nil)) + strconv.FormatInt(ts, 16) + tokenSuffix
}

// tokenMatches is Token::match without a maximum age.
func tokenMatches(secret []byte, salt, tok string) bool {
	if len(tok) <= 32+len(tokenSuffix) || !strings.HasSuffix(tok, tokenSuffix) {
		return false
	}
	body := tok[:len(tok)-len(tokenSuffix)]
	for _, c := range body {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	ts, err := strconv.ParseInt(body[32:], 16, 64)
	if err != nil {
		return false
	}
	want := makeToken(secret, salt, ts)
	return subtle.ConstantTimeCompare([]byte(want), []byte(tok)) == 1
}

// tokenTimestamp returns the time a well-formed token was made.
func tokenTimestamp(tok string) (time.Time, bool) {
	if len(tok) <= 32+len(tokenSuffix) || !strings.HasSuffix(tok, tokenSuffix) {
		return time.Time{}, false
	}
	ts, err := strconv.ParseInt(tok[32:len(tok)-len(tokenSuffix)], 16, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(ts, 0).UTC(), true
}

// token returns a token of the given type for the current session.
func (c *call) token(typ string) string {
	tt := tokenTypes[typ]
	if tt.csrfLike && c.sess.user == nil {
		return anonEditToken
	}
	sec, _ := c.sess.secret(tt.key)
	return makeToken(sec, tt.salt, c.now.Unix())
}

// checkToken validates a token of the given type against the session.
func (c *call) checkToken(typ, tok string) bool {
	tt := tokenTypes[typ]
	if tt.csrfLike && c.sess.user == nil {
		return tok == anonEditToken
	}
	sec, _ := c.sess.secret(tt.key)
	return tokenMatches(sec, tt.salt, tok)
}

// setCookie queues a Set-Cookie header, replacing an earlier one with the
// same name.
func (c *call) setCookie(ck *http.Cookie) {
	ck.Path = "/"
	ck.HttpOnly = true
	ck.Secure = c.r.TLS != nil
	for i, old := range c.cookies {
		if old.Name == ck.Name {
			c.cookies[i] = ck
			return
		}
	}
	c.cookies = append(c.cookies, ck)
}

// setExpiringCookie sets a cookie that expires after d.
func (c *call) setExpiringCookie(name, value string, d time.Duration) {
	c.setCookie(&http.Cookie{Name: name, Value: value, Expires: c.now.Add(d).UTC(), MaxAge: int(d / time.Second)})
}

// clearCookie deletes a cookie, but only one the client sent (MediaWiki
// does not send deletions for cookies it did not receive).
func (c *call) clearCookie(name string) {
	if _, err := c.r.Cookie(name); err != nil {
		return
	}
	c.setCookie(&http.Cookie{Name: name, Value: "deleted", Expires: time.Unix(1, 0).UTC(), MaxAge: -1})
}

// persist makes a cookie session persistent: stored and sent as a
// cookie.
func (c *call) persist() {
	sess := c.sess
	if sess.kind != kindCookie || sess.persisted {
		return
	}
	sess.persisted = true
	c.s.sessions[sess.id] = sess
	c.setCookie(&http.Cookie{Name: sessionCookie, Value: sess.id})
}

// resetID gives the cookie session a new id and new token secrets
// (SessionBackend::resetId + resetAllTokens), as a login does.
func (c *call) resetID() {
	sess := c.sess
	delete(c.s.sessions, sess.id)
	sess.id = randHex(16)
	sess.secrets = map[string][]byte{}
	sess.persisted = false
	c.persist()
}

// loginAs is AuthManager::setSessionDataForUser.
func (c *call) loginAs(u *user, remember bool) {
	c.resetID()
	sess := c.sess
	sess.user = u
	sess.remember = remember
	sess.lastAuth = c.now
	exp := cookieExpiry
	if remember {
		exp = extendedExpiry
	}
	c.setExpiringCookie(userIDCookie, strconv.Itoa(u.id), exp)
	c.setExpiringCookie(userNameCookie, strings.ReplaceAll(u.name, " ", "_"), exp)
	if remember {
		c.setExpiringCookie(tokenCookie, u.rememberTok, exp)
	} else {
		c.clearCookie(tokenCookie)
	}
}

// cookieValue returns the value of a request cookie, or "".
func (c *call) cookieValue(name string) string {
	ck, err := c.r.Cookie(name)
	if err != nil {
		return ""
	}
	return ck.Value
}

func (c *call) alive(sess *session) bool {
	return sess != nil && c.now.Sub(sess.lastUsed) < c.s.cfg.sessionTTL
}

// resolveSession picks the session of the request, as SessionManager
// does: OAuth headers, then the bot-password cookie, then the session
// cookie, then remember-me cookies, else a new anonymous session.
func (c *call) resolveSession() *apiErr {
	c.s.sweep(c.now)
	if h := c.r.Header.Get("Authorization"); h != "" && !c.noCredentials {
		if sess, err, ok := c.oauthSession(h); ok {
			if err != nil {
				return err
			}
			c.sess = sess
			sess.lastUsed = c.now
			return nil
		}
	}
	if c.noCredentials {
		c.sess = newSession(kindTransient, c.now)
		return nil
	}
	if id := c.cookieValue(bpSessionCookie); id != "" {
		if sess := c.s.bpSess[id]; c.alive(sess) {
			c.sess = sess
			sess.lastUsed = c.now
			return nil
		}
		delete(c.s.bpSess, id)
		c.clearCookie(bpSessionCookie)
	}
	unknown := false
	if id := c.cookieValue(sessionCookie); id != "" {
		if sess := c.s.sessions[id]; c.alive(sess) {
			c.sess = sess
			sess.lastUsed = c.now
			return nil
		}
		delete(c.s.sessions, id)
		unknown = true
	}
	c.sess = newSession(kindCookie, c.now)
	if uid, tok := c.cookieValue(userIDCookie), c.cookieValue(tokenCookie); uid != "" && tok != "" {
		for _, u := range c.s.users {
			if strconv.Itoa(u.id) == uid && subtle.ConstantTimeCompare([]byte(u.rememberTok), []byte(tok)) == 1 {
				c.sess.user = u
				c.sess.remember = true
				c.persist()
				return nil
			}
		}
	}
	if unknown {
		c.persist()
	}
	return nil
}

// sweep forgets expired sessions now and then, so that a long-running
// server does not keep them all.
func (s *Server) sweep(now time.Time) {
	s.requests++
	if s.requests%256 != 0 {
		return
	}
	for _, m := range []map[string]*session{s.sessions, s.bpSess, s.oauthSes} {
		for id, sess := range m {
			if now.Sub(sess.lastUsed) >= s.cfg.sessionTTL {
				delete(m, id)
			}
		}
	}
}

// logoutSession is ApiLogout for cookie sessions (User::doLogout).
func (c *call) logoutSession() {
	sess := c.sess
	wasUser := sess.user != nil
	delete(c.s.sessions, sess.id)
	c.clearCookie(sessionCookie)
	c.clearCookie(userIDCookie)
	c.clearCookie(tokenCookie)
	if wasUser {
		c.setExpiringCookie(loggedOutCookie, strconv.FormatInt(c.now.Unix(), 10), 24*time.Hour)
	}
	*sess = *newSession(kindCookie, c.now)
}
