package mwauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mwauth/mwauth/internal/wire"
)

// LoginResult is a successful login.
type LoginResult struct {
	// UserID is the wiki's user id of the account.
	UserID int
	// Username is the main account's name: "Example" for a bot password
	// login as "Example@MyBot".
	Username string
	// Warnings are the wiki's warnings about the login, such as the
	// deprecation warning MediaWiki gives for a main-account password
	// through action=login.
	Warnings []Warning
}

// Warning is a warning from the wiki. Warnings are not errors.
type Warning struct {
	// Code is MediaWiki's warning code, such as "deprecation".
	Code string
	// Module is the module that warned ("login", "main", ...).
	Module string
	// Text is the wiki's human-readable text.
	Text string
}

// sessionKind says how the current session was established.
type sessionKind int

const (
	sessionNone        sessionKind = iota
	sessionLogin                   // action=login (bot password or main account)
	sessionClientLogin             // action=clientlogin
)

var kindNames = map[sessionKind]string{sessionNone: "", sessionLogin: "login", sessionClientLogin: "clientlogin"}

type sessionState struct {
	epoch    uint64 // grows on every session change
	kind     sessionKind
	username string
	userID   int
	// botOK: a call with assert=bot succeeded in this session, so a later
	// assertbotfailed means the session was lost, not that the account
	// lacks the bot right.
	botOK bool
}

// credentials are kept for automatic re-login only.
type credentials struct {
	username string
	password secret
}

func (c *Client) state() sessionState {
	c.stMu.Lock()
	defer c.stMu.Unlock()
	return c.st
}

// changeSession moves to a new session: it bumps the epoch, applies
// change to the state and drops the old session's tokens, all in one
// step (lock order tokMu, then stMu), so that no caller can find a token
// of the old session in the cache once the new epoch is visible.
func (c *Client) changeSession(change func(st *sessionState)) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	c.stMu.Lock()
	c.st.epoch++
	c.st.botOK = false
	change(&c.st)
	c.stMu.Unlock()
	clear(c.tokens)
}

// loggedOut forgets who the session belonged to.
func (st *sessionState) loggedOut() {
	st.kind, st.username, st.userID = sessionNone, "", 0
}

// newSession starts a fresh session: it forgets every cookie and token.
// With keepKind the Client still counts as logged in (a re-login is in
// progress, so concurrent calls keep sending asserts).
func (c *Client) newSession(keepKind bool) {
	c.changeSession(func(st *sessionState) {
		// Cleared under stMu, after the epoch moved on: a request of the
		// old session cannot put its cookies back (see epochJar).
		c.jar.clearFor(c.endpoint)
		if !keepKind {
			st.loggedOut()
		}
	})
}

// setLoggedIn records a successful login; tokens from before it are dead.
func (c *Client) setLoggedIn(kind sessionKind, username string, id int) {
	c.changeSession(func(st *sessionState) {
		st.kind, st.username, st.userID = kind, username, id
	})
}

// Login logs in with action=login. It is meant for bot passwords
// ("User@BotName" with the password Special:BotPasswords generated);
// main-account passwords work on wikis that still allow it, with a
// deprecation [Warning], but accounts with two-factor authentication or
// other interactive steps need [Client.ClientLogin].
//
// Login always starts from a fresh session: it discards the jar's cookies
// first, because MediaWiki refuses to log in again over a bot-password
// session. It takes exactly two requests: a login token and the login
// POST (the password travels only in the POST body). A NeedToken or
// WrongToken answer is retried once with a fresh token; nothing else is
// retried, since every attempt counts against the wiki's throttle.
//
// A failure is a *[LoginError] matching [ErrLoginFailed] and, by
// MediaWiki's reason code, [ErrWrongCredentials], [ErrThrottled],
// [ErrInteractionRequired], [ErrSessionLost] or [ErrBadToken].
//
// On success the Client keeps the credentials in memory to log in again
// by itself if the wiki forgets the session (see [WithoutRelogin]).
func (c *Client) Login(ctx context.Context, username, password string) (*LoginResult, error) {
	r, err := c.login(ctx, username, password)
	return r, opErr("login", err)
}

func (c *Client) login(ctx context.Context, username, password string) (*LoginResult, error) {
	if c.oauthMode() {
		return nil, fmt.Errorf("%w: the client uses OAuth", ErrLoginNotAllowed)
	}
	if username == "" || password == "" {
		return nil, errors.New("empty username or password")
	}
	if err := c.lockFlow(ctx); err != nil {
		return nil, err
	}
	defer c.unlockFlow()
	cr := &credentials{username: username, password: secret(password)}
	res, err := c.loginLocked(ctx, cr, false)
	if err != nil {
		return nil, err
	}
	c.creds = cr
	return res, nil
}

// loginLocked runs action=login; the flow lock must be held.
func (c *Client) loginLocked(ctx context.Context, cr *credentials, relogin bool) (*LoginResult, error) {
	c.newSession(relogin)
	ok := false
	defer func() {
		// A failed re-login leaves the Client expecting a session, so that
		// calls keep sending asserts and fail instead of quietly running as
		// an anonymous user.
		if !ok && !relogin {
			c.stMu.Lock()
			c.st.loggedOut()
			c.stMu.Unlock()
		}
		c.saveSession(ctx)
	}()
	tok, err := c.fetchToken(ctx, TokenLogin)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		p := url.Values{
			"action":     {"login"},
			"lgname":     {cr.username},
			"lgpassword": {string(cr.password)},
			"lgtoken":    {tok},
		}
		if c.domain != "" {
			p.Set("lgdomain", c.domain)
		}
		resp, err := c.do(ctx, request{method: http.MethodPost, params: p})
		if err != nil {
			return nil, err
		}
		var l wire.Login
		if err := resp.member("login", &l); err != nil {
			return nil, err
		}
		switch l.Result {
		case "Success":
			if l.LgUsername == "" {
				return nil, protoErr("login: Success without lgusername")
			}
			c.setLoggedIn(sessionLogin, l.LgUsername, l.LgUserID)
			ok = true
			return &LoginResult{UserID: l.LgUserID, Username: l.LgUsername, Warnings: warningsOf(resp)}, nil
		case "NeedToken", "WrongToken":
			if attempt > 0 {
				return nil, &LoginError{Action: "login", Result: l.Result}
			}
			if l.Result == "NeedToken" && l.Token != "" {
				tok = l.Token
			} else if tok, err = c.fetchToken(ctx, TokenLogin); err != nil {
				return nil, err
			}
			continue
		default:
			le := &LoginError{Action: "login", Result: l.Result}
			if l.Reason != nil {
				le.Code, le.Message = l.Reason.Code, l.Reason.Text
			}
			return nil, le
		}
	}
}

func warningsOf(r *response) []Warning {
	if len(r.env.Warnings) == 0 {
		return nil
	}
	out := make([]Warning, len(r.env.Warnings))
	for i, w := range r.env.Warnings {
		out[i] = Warning{Code: w.Code, Module: w.Module, Text: w.Text}
	}
	return out
}

// Logout ends the session with action=logout (a POST with a CSRF token),
// then forgets the cookies, the cached tokens, the kept credentials and
// the saved session file. Afterwards the Client is anonymous and does not
// log in again by itself. If the wiki has already forgotten the session
// (its cached CSRF token gets badtoken and a fresh one is the anonymous
// token), there is nothing to end on the wiki and Logout only forgets.
func (c *Client) Logout(ctx context.Context) error {
	return opErr("logout", c.logout(ctx))
}

func (c *Client) logout(ctx context.Context) error {
	if c.oauthMode() {
		return fmt.Errorf("%w: the client uses OAuth", ErrLoginNotAllowed)
	}
	if err := c.lockFlow(ctx); err != nil {
		return err
	}
	defer c.unlockFlow()
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, TokenCSRF)
		if err != nil {
			return err
		}
		if tok == anonCSRF {
			// The wiki no longer knows the session: nothing to end there.
			break
		}
		p := url.Values{"action": {"logout"}, "token": {tok}}
		if _, err := c.do(ctx, request{method: http.MethodPost, params: p}); err != nil {
			var ae *APIError
			isAPI := errors.As(err, &ae)
			if isAPI && ae.Code == "badtoken" && attempt == 0 {
				// The cached token belongs to a session the wiki forgot
				// (transcript 11, step 17): ask again, once. The new
				// token is the anonymous one if the session is gone.
				c.dropToken(TokenCSRF, tok)
				continue
			}
			if !isAPI || ae.Code != "notloggedin" {
				return err
			}
		}
		break
	}
	c.creds = nil
	c.newSession(false)
	return c.removeSessionFile()
}

// isAnonToken reports whether tok is the logged-out CSRF token.
func isAnonToken(tok string) bool { return strings.TrimSpace(tok) == anonCSRF }
