package mwauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/mwauth/mwauth/internal/wire"
)

// Get sends a GET request with params and decodes the JSON answer into
// out (if out is not nil), as [encoding/json.Unmarshal] does. The format
// parameters (format=json, formatversion=2, errorformat=plaintext) are
// added. A parameter with several values is sent the way MediaWiki reads
// several values: "A|B", or with U+001F separators when a value holds a
// "|".
//
// While the Client acts as a user (see [Client]), Get sends assert=user
// (or bot) and, if the wiki has forgotten the session, logs in again once
// with the [WithBotPassword] credentials and retries. API errors are
// [*APIError]s. Never put secrets in the params of a GET: they would be
// in the URL.
func (c *Client) Get(ctx context.Context, params url.Values, out any) error {
	return opErr("get", c.call(ctx, http.MethodGet, params, "", out))
}

// Post is like [Client.Get] but sends params in a POST body.
func (c *Client) Post(ctx context.Context, params url.Values, out any) error {
	return opErr("post", c.call(ctx, http.MethodPost, params, "", out))
}

// PostWithToken is like [Client.Post] and adds a token of type typ
// ("csrf" if typ is empty; "watch", "patrol", "rollback", "userrights",
// or any type the wiki knows) as the "token" parameter.
// The token is cached; on badtoken it is fetched again and the request
// retried once. When the wiki has forgotten the session, the Client logs
// in again as [Client.Get] does, and retries with fresh tokens.
func (c *Client) PostWithToken(ctx context.Context, typ string, params url.Values, out any) error {
	if typ == "" {
		typ = "csrf"
	}
	return opErr("post", c.call(ctx, http.MethodPost, params, typ, out))
}

// actsAsUser reports whether calls must assert a user (see Client).
func (c *Client) actsAsUser(st sessionView) bool {
	return st.asUser || c.cfg.creds != nil || c.cfg.oauthMode() || c.cfg.assertSet
}

func (c *Client) call(ctx context.Context, method string, params url.Values, typ string, out any) error {
	retriedToken, relogged := false, false
	for {
		// While a re-login runs, new requests would only fail against the
		// lost session: wait for it instead.
		if err := c.waitRelogin(ctx); err != nil {
			return err
		}
		st := c.sess.view()
		if st.loggedOut {
			return fmt.Errorf("%w: the Client logged out (Resume or Login to log in again)", ErrNotLoggedIn)
		}
		asUser := c.actsAsUser(st)
		if asUser && st.kind == sessionNone && !c.cfg.oauthMode() && !c.cfg.assertSet {
			// Meant to be a user, but no session yet (or a failed login left
			// none): log in with WithBotPassword, or fail here rather than
			// send an anonymous request.
			if relogged {
				return fmt.Errorf("%w: no session", ErrNotLoggedIn)
			}
			if err := c.reestablish(ctx, st.epoch, errNoSession); err != nil {
				return err
			}
			relogged = true
			continue
		}
		assert := ""
		if asUser && params.Get("assert") == "" && params.Get("assertuser") == "" {
			assert = string(c.cfg.assert)
		}
		var tok string
		var err error
		if typ != "" {
			tok, err = c.token(ctx, typ)
			if err == nil && asUser && isAnonToken(tok) {
				// The wiki hands out the anonymous token: the session is gone.
				c.dropToken(typ, tok)
				err = errSessionGone()
			}
		}
		if err == nil {
			_, err = c.tr.do(ctx, request{method: method, params: params, assert: assert, token: tok, out: out})
		}
		if err == nil {
			if assert == string(AssertBot) && !st.botOK {
				c.sess.mu.Lock()
				if c.sess.epoch == st.epoch {
					c.sess.botOK = true
				}
				c.sess.mu.Unlock()
			}
			if c.persist.path != "" && st.kind != sessionNone && c.jar.changeCount() != c.persist.savedAt.Load() {
				c.saveAfterCall(ctx)
			}
			return nil
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			return err
		}
		if ae.Code == "badtoken" && typ != "" && !retriedToken {
			retriedToken = true
			c.dropToken(typ, tok)
			continue
		}
		if ae.Code == "assertbotfailed" && !st.botOK && !c.sessionIsAnonymous(ctx) {
			// The session lives but the account lacks the bot right:
			// logging in again would not help.
			return err
		}
		if ae.Code == "assertnameduserfailed" && (c.cfg.creds == nil || !c.sessionIsAnonymous(ctx)) {
			// The caller's own assertuser names another account than the
			// live session's: logging in again would not help either.
			return err
		}
		if asUser && !relogged && !c.cfg.oauthMode() && (errors.Is(ae, ErrNotLoggedIn) || ae.Code == "badtoken") {
			if rerr := c.reestablish(ctx, st.epoch, err); rerr != nil {
				return rerr
			}
			relogged, retriedToken = true, false
			continue
		}
		return err
	}
}

// errSessionGone reports that the wiki hands out the anonymous token:
// the session is gone. A new value each time, so no caller can change
// another's.
func errSessionGone() error {
	return &APIError{Code: "assertuserfailed", Info: "the session is no longer logged in"}
}

// sessionIsAnonymous asks the wiki, without an assert, whether the
// session is logged out. It tells a lost session from an account without
// the bot right when assert=bot fails before any bot assert succeeded
// (for example on a session loaded from a file). Errors count as "no".
func (c *Client) sessionIsAnonymous(ctx context.Context) bool {
	p := url.Values{"action": {"query"}, "meta": {"userinfo"}}
	resp, err := c.tr.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return false
	}
	var q wire.Query
	if resp.member("query", &q) != nil || q.UserInfo == nil {
		return false
	}
	return q.UserInfo.Anonymous()
}

// reestablish logs in again with the WithBotPassword credentials after the
// session seen at epoch was lost (or, with no session yet, for the first
// time). However many goroutines notice the loss, only the first logs in;
// the others find a newer epoch and retry.
func (c *Client) reestablish(ctx context.Context, epoch uint64, cause error) error {
	if err := c.lockFlow(ctx); err != nil {
		return err
	}
	defer c.unlockFlow()
	c.sess.mu.Lock()
	st := c.sess.viewLocked()
	refused := c.sess.reloginRefused
	c.sess.mu.Unlock()
	switch {
	case st.loggedOut:
		return fmt.Errorf("%w: the Client logged out", ErrNotLoggedIn)
	case st.epoch != epoch && st.kind != sessionNone:
		return nil // another goroutine logged in meanwhile
	}
	cr := c.cfg.creds
	switch {
	case cr == nil || c.cfg.oauthMode():
		return fmt.Errorf("%w: %w; no WithBotPassword to log in again with", ErrNotLoggedIn, cause)
	case st.kind != sessionNone && !st.byCreds:
		return fmt.Errorf("%w: %w; the session was not logged in with WithBotPassword", ErrNotLoggedIn, cause)
	case refused != nil:
		return fmt.Errorf("%w: the wiki refused WithBotPassword earlier: %w", ErrNotLoggedIn, refused)
	}
	c.cfg.log.DebugContext(ctx, "mwauth: logging in with WithBotPassword", "cause", causeCode(cause))
	done := make(chan struct{})
	c.sess.mu.Lock()
	c.sess.reloginWait = done
	c.sess.mu.Unlock()
	defer func() {
		c.sess.mu.Lock()
		c.sess.reloginWait = nil
		c.sess.mu.Unlock()
		close(done)
	}()
	if _, err := c.loginLocked(ctx, cr.username, string(cr.password), true); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, ErrSessionFile) {
			return err // logged in; the file could not be written
		}
		return fmt.Errorf("%w: log in again: %w", ErrNotLoggedIn, err)
	}
	return nil
}

// causeCode names why a re-login runs, for the debug log.
func causeCode(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return "nosession"
}

// waitRelogin waits until a re-login in progress, if any, has finished.
func (c *Client) waitRelogin(ctx context.Context) error {
	c.sess.mu.Lock()
	ch := c.sess.reloginWait
	c.sess.mu.Unlock()
	if ch == nil {
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
