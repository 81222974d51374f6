package mwauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
)

// Login logs in with action=login. It is meant for bot passwords
// ("User@BotName" with the password Special:BotPasswords generated);
// main-account passwords work on wikis that still allow it, but accounts
// with two-factor authentication or other interactive steps need
// [Client.ClientLogin].
//
// Login always starts from a fresh session: it forgets the wiki's cookies
// first, because MediaWiki refuses to log in again over a bot-password
// session. It takes two requests: a login token and the login POST (the
// password travels only in the POST body). A NeedToken or WrongToken
// answer is retried once with a fresh token; nothing else is retried,
// since every attempt counts against the wiki's throttle.
//
// A failure is a *[LoginError] matching [ErrLoginFailed] and, by
// MediaWiki's reason code, [ErrWrongCredentials], [ErrThrottled] (with
// the wait in LoginError.Wait) or [ErrInteractionRequired].
//
// The password is used for this login only and not kept: only
// [WithBotPassword] credentials are used to log in again by themselves.
// With [WithSessionFile], the session is written once; if that fails,
// Login returns the user and an error matching [ErrSessionFile].
func (c *Client) Login(ctx context.Context, username, password string) (User, error) {
	u, err := c.login(ctx, username, password)
	return u, opErr("login", err)
}

func (c *Client) login(ctx context.Context, username, password string) (User, error) {
	if c.cfg.oauthMode() {
		return User{}, errOAuthMode
	}
	if err := checkCredentials(username, password); err != nil {
		return User{}, err
	}
	if err := c.lockFlow(ctx); err != nil {
		return User{}, err
	}
	defer c.unlockFlow()
	cr := c.cfg.creds
	byCreds := cr != nil && cr.username == username && string(cr.password) == password
	return c.loginLocked(ctx, username, password, byCreds)
}

// loginLocked runs action=login from a fresh session; the flow lock must
// be held. byCreds says whether these are the WithBotPassword
// credentials.
func (c *Client) loginLocked(ctx context.Context, username, password string, byCreds bool) (User, error) {
	c.sess.change(func(s *session) {
		c.jar.clearFor(c.tr.endpoint)
		s.kind, s.u, s.byCreds, s.loggedOut = sessionNone, User{}, false, false
	})
	u, err := c.loginRequests(ctx, username, password)
	if err != nil {
		var le *LoginError
		if byCreds && errors.As(err, &le) && le.definitive() {
			c.sess.mu.Lock()
			c.sess.reloginRefused = le
			c.sess.mu.Unlock()
		}
		return User{}, err
	}
	c.sess.change(func(s *session) {
		s.kind, s.u, s.asUser, s.byCreds = sessionLogin, u, true, byCreds
		if byCreds {
			s.reloginRefused = nil
		}
	})
	if err := c.saveNow(ctx); err != nil {
		return u, err
	}
	return u, nil
}

// loginRequests sends the login token request and the login POST.
func (c *Client) loginRequests(ctx context.Context, username, password string) (User, error) {
	start := time.Now()
	tok, err := c.fetchToken(ctx, "login")
	if err != nil {
		return User{}, err
	}
	for attempt := 0; ; attempt++ {
		p := url.Values{
			"action":     {"login"},
			"lgname":     {username},
			"lgpassword": {password},
			"lgtoken":    {tok},
		}
		resp, err := c.tr.do(ctx, request{method: http.MethodPost, params: p, rawErrors: true})
		if err != nil {
			return User{}, err
		}
		var l wire.Login
		if err := resp.member("login", &l); err != nil {
			return User{}, err
		}
		le := &LoginError{Result: sanitize(l.Result, 50), action: "login"}
		if l.Reason != nil {
			le.Code, le.Message = sanitize(l.Reason.Code, 100), sanitize(l.Reason.Text, infoLen)
			le.Wait = time.Duration(wire.Duration(l.Reason.Params)) * time.Second
		}
		c.cfg.log.DebugContext(ctx, "mwauth: login step", "action", "login", "result", le.Result,
			"code", le.Code, "requests", c.tr.sent.Load(), "duration", time.Since(start))
		switch l.Result {
		case "Success":
			if l.LgUsername == "" {
				return User{}, protoErr("login Success without lgusername")
			}
			return User{ID: l.LgUserID, Name: l.LgUsername}, nil
		case "NeedToken", "WrongToken":
			if attempt > 0 {
				return User{}, le
			}
			if l.Result == "NeedToken" && l.Token != "" {
				tok = l.Token
			} else {
				if tok, err = c.fetchToken(ctx, "login"); err != nil {
					return User{}, err
				}
			}
			continue
		default:
			return User{}, le
		}
	}
}

// Logout ends the session with action=logout (a POST with a CSRF token),
// then forgets the wiki's cookies and the cached tokens, and removes the
// session file. From then on the Client's calls fail with
// [ErrNotLoggedIn] before any request, and it does not log in again by
// itself, until [Client.Login], a client login or [Client.Resume]
// establishes a session. This holds even when Logout itself fails or its
// context ends: the cookies are then kept, so that Logout can be tried
// again. If the wiki has already forgotten the session, Logout only
// forgets.
func (c *Client) Logout(ctx context.Context) error {
	return opErr("logout", c.logout(ctx))
}

func (c *Client) logout(ctx context.Context) error {
	if c.cfg.oauthMode() {
		return errOAuthMode
	}
	if err := c.lockFlow(ctx); err != nil {
		return err
	}
	defer c.unlockFlow()
	c.sess.mu.Lock()
	if c.actsAsUser(c.sess.viewLocked()) {
		// First, so that nothing logs in again by itself, whatever happens
		// to the request below.
		c.sess.loggedOut = true
	}
	c.sess.mu.Unlock()
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, "csrf")
		if err != nil {
			return err
		}
		if isAnonToken(tok) {
			// The wiki no longer knows the session: nothing to end there.
			break
		}
		p := url.Values{"action": {"logout"}, "token": {tok}}
		if _, err := c.tr.do(ctx, request{method: http.MethodPost, params: p}); err != nil {
			var ae *APIError
			isAPI := errors.As(err, &ae)
			if isAPI && ae.Code == "badtoken" && attempt == 0 {
				// The cached token belongs to a session the wiki forgot: ask
				// again, once. The new token is the anonymous one if the
				// session is gone.
				c.dropToken("csrf", tok)
				continue
			}
			if !isAPI || ae.Code != "notloggedin" {
				return err
			}
		}
		break
	}
	c.sess.change(func(s *session) {
		c.jar.clearFor(c.tr.endpoint)
		s.kind, s.u, s.byCreds = sessionNone, User{}, false
	})
	if err := c.removeFile(ctx); err != nil {
		return fmt.Errorf("logged out, but: %w", err)
	}
	return nil
}
