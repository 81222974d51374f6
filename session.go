package mwauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/mwauth/mwauth/internal/wire"
)

// User is who a session belongs to.
type User struct {
	// ID is the wiki's user id. It is 0 when the wiki did not say, as
	// after a clientlogin PASS.
	ID int
	// Name is the main account's name: "Example" for a bot password login
	// as "Example@MyBot".
	Name string
}

// sessionKind says how the current session was established.
type sessionKind int

const (
	sessionNone        sessionKind = iota
	sessionLogin                   // action=login (bot password or main account)
	sessionClientLogin             // action=clientlogin
)

var kindNames = [...]string{sessionNone: "", sessionLogin: "login", sessionClientLogin: "clientlogin"}

// session is the Client's session state, guarded by mu: who is logged in,
// the epoch that every session change moves on, the tokens of the current
// epoch, the token requests in flight and the re-login in progress.
//
// Lock order: the Client's flow lock, then mu, then the jar's own lock.
// Nothing that waits for I/O runs while mu is held.
type session struct {
	mu sync.Mutex

	epoch uint64 // grows on every session change
	kind  sessionKind
	u     User
	// asUser: the Client is meant to act as a user (see Client), so calls
	// assert and never run anonymously.
	asUser bool
	// loggedOut: Logout ran; calls fail until a session is established.
	loggedOut bool
	// byCreds: the session was logged in with the WithBotPassword
	// credentials, so it may be logged in again with them.
	byCreds bool
	// reloginRefused: the wiki refused the WithBotPassword credentials for
	// good (a wrong password, a revoked bot password); automatic re-login
	// stops until a login succeeds.
	reloginRefused error
	// botOK: a call with assert=bot succeeded in this session, so a later
	// assertbotfailed means the session was lost, not that the account
	// lacks the bot right.
	botOK bool
	// preserve: the last clientlogin step was a RESTART whose state the
	// wiki preserved; the next ClientLogin continues with it.
	preserve bool

	tokens   map[string]string
	inflight map[string]*tokenCall
	// reloginWait is closed when the re-login in progress ends; nil when
	// none runs.
	reloginWait chan struct{}
}

// sessionView is a copy of the session's state at one moment.
type sessionView struct {
	epoch     uint64
	kind      sessionKind
	u         User
	asUser    bool
	loggedOut bool
	byCreds   bool
	botOK     bool
}

func newSession() *session {
	return &session{tokens: make(map[string]string), inflight: make(map[string]*tokenCall)}
}

func (s *session) view() sessionView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.viewLocked()
}

func (s *session) viewLocked() sessionView {
	return sessionView{epoch: s.epoch, kind: s.kind, u: s.u, asUser: s.asUser,
		loggedOut: s.loggedOut, byCreds: s.byCreds, botOK: s.botOK}
}

func (s *session) epochNow() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

func (s *session) user() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.u
}

// change moves to a new session in one step: it bumps the epoch, forgets
// the old session's tokens and applies fn, so that no caller can find a
// token of the old session once the new epoch is visible. fn runs under
// mu; clearing the jar there means that no request of the old session
// can put its cookies back (see epochJar).
func (s *session) change(fn func(s *session)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch++
	s.botOK = false
	clear(s.tokens)
	fn(s)
}

// Resume makes sure the Client holds a live session of its user and
// returns who that is, ready to edit:
//   - with a saved session of the user, it asks the wiki who the session
//     belongs to and fetches a CSRF token in the same GET: one request;
//   - when the wiki no longer knows the session, or there is none, or it
//     belongs to another user than the [WithBotPassword] one, it logs in
//     with WithBotPassword (two more requests);
//   - without WithBotPassword it fails with an error matching
//     [ErrNotLoggedIn] instead of returning an anonymous user.
//
// After [Client.Logout], Resume is how a Client with WithBotPassword logs
// in again. With OAuth, Resume asks who the token's user is.
func (c *Client) Resume(ctx context.Context) (User, error) {
	u, err := c.resume(ctx)
	return u, opErr("resume", err)
}

func (c *Client) resume(ctx context.Context) (User, error) {
	st := c.sess.view()
	if st.kind == sessionNone && !c.cfg.oauthMode() {
		// Nothing to check: log in, or say why not.
		return c.resumeLogin(ctx, st.epoch, errNoSession)
	}
	p := url.Values{"action": {"query"}, "meta": {"userinfo|tokens"}, "type": {"csrf"}}
	resp, err := c.tr.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return User{}, err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return User{}, err
	}
	ui := q.UserInfo
	if ui == nil {
		return User{}, protoErr("no userinfo in the answer")
	}
	if ui.Anonymous() {
		if c.cfg.oauthMode() {
			return User{}, fmt.Errorf("%w: the wiki treats the OAuth request as anonymous", ErrOAuth)
		}
		return c.resumeLogin(ctx, st.epoch, errSessionExpired)
	}
	u := User{ID: ui.ID, Name: ui.Name}
	if cr := c.cfg.creds; cr != nil && !sameUser(cr.username, u.Name) {
		return c.resumeLogin(ctx, st.epoch, errOtherUser)
	}
	c.sess.mu.Lock()
	if c.sess.epoch != st.epoch {
		// A login or logout ran meanwhile: the answer describes a session
		// that is gone.
		c.sess.mu.Unlock()
		return c.resume(ctx)
	}
	if c.sess.kind == sessionNone {
		c.sess.kind = sessionLogin
	}
	c.sess.u = u
	c.sess.asUser, c.sess.loggedOut = true, false
	c.sess.mu.Unlock()
	if tok := q.Tokens["csrftoken"]; tok != "" && !isAnonToken(tok) {
		c.storeToken("csrf", tok, st.epoch)
	}
	return u, nil
}

var (
	errNoSession      = errors.New("no saved session")
	errSessionExpired = errors.New("the wiki no longer knows the saved session")
	errOtherUser      = errors.New("the saved session belongs to another user than WithBotPassword's")
)

// resumeLogin logs in with the WithBotPassword credentials for Resume,
// unless another flow changed the session since epoch.
func (c *Client) resumeLogin(ctx context.Context, epoch uint64, why error) (User, error) {
	cr := c.cfg.creds
	if cr == nil {
		return User{}, fmt.Errorf("%w: %w, and no WithBotPassword to log in with", ErrNotLoggedIn, why)
	}
	if err := c.lockFlow(ctx); err != nil {
		return User{}, err
	}
	defer c.unlockFlow()
	if st := c.sess.view(); st.epoch != epoch && st.kind != sessionNone && st.byCreds {
		// Another flow logged in with the same credentials meanwhile.
		return st.u, nil
	}
	return c.loginLocked(ctx, cr.username, string(cr.password), true)
}

// sameUser reports whether a bot password's user name ("Example@Bot")
// names the account name the wiki reports. MediaWiki capitalises the
// first letter and treats underscores as spaces.
func sameUser(botName, name string) bool {
	main, _, _ := strings.Cut(botName, "@")
	return normName(main) == normName(name)
}

func normName(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "_", " "))
	if s == "" {
		return s
	}
	r := []rune(s)
	r[0] = []rune(strings.ToUpper(string(r[0])))[0]
	return string(r)
}
