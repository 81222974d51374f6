package mwauth

import (
	"context"
	"net/http"
	"net/url"

	"github.com/mwauth/mwauth/internal/wire"
)

// TokenType names a token type of action=query&meta=tokens. Extensions
// may register more types than the constants below; any name the wiki
// knows works.
type TokenType string

// Token types of MediaWiki core.
const (
	TokenLogin     TokenType = "login"
	TokenCSRF      TokenType = "csrf"
	TokenWatch     TokenType = "watch"
	TokenPatrol    TokenType = "patrol"
	TokenRollback  TokenType = "rollback"
	TokenUserRight TokenType = "userrights"
)

// anonCSRF is the CSRF token every logged-out session gets.
const anonCSRF = `+\`

// tokenCall is one token request shared by every goroutine that asked
// for the same uncached type in the same session (epoch).
type tokenCall struct {
	done  chan struct{}
	epoch uint64 // the session the request was made for
	tok   string
	err   error
}

// Token returns a token of type t for the current session. Tokens are
// cached until the session changes (login, logout, a session lost and
// re-established, a badtoken answer); concurrent callers asking for the
// same uncached type share one request.
//
// A token is a secret of the session: do not log it or put it in a URL.
func (c *Client) Token(ctx context.Context, t TokenType) (string, error) {
	tok, err := c.token(ctx, t)
	return tok, opErr("token", err)
}

func (c *Client) token(ctx context.Context, t TokenType) (string, error) {
	for {
		c.tokMu.Lock()
		if tok, ok := c.tokens[t]; ok {
			c.tokMu.Unlock()
			return tok, nil
		}
		epoch := c.state().epoch
		// A request made for an earlier session is not shared: its answer
		// (the anonymous "+\" after a login, say) would be wrong for
		// this one, and would make the caller take the session for lost.
		if call, ok := c.inflight[t]; ok && call.epoch == epoch {
			c.tokMu.Unlock()
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-call.done:
			}
			if call.err != nil && (call.err == context.Canceled || call.err == context.DeadlineExceeded) {
				// The goroutine that asked first gave up; ask again.
				continue
			}
			if call.err == nil && c.state().epoch != call.epoch {
				// The session changed while the request ran.
				continue
			}
			return call.tok, call.err
		}
		call := &tokenCall{done: make(chan struct{}), epoch: epoch}
		c.inflight[t] = call
		c.tokMu.Unlock()
		c.runTokenCall(ctx, t, call)
		return call.tok, call.err
	}
}

// runTokenCall fetches the token of call and wakes its waiters, whatever
// happens.
func (c *Client) runTokenCall(ctx context.Context, t TokenType, call *tokenCall) {
	defer func() {
		c.tokMu.Lock()
		if c.inflight[t] == call {
			delete(c.inflight, t)
		}
		c.tokMu.Unlock()
		close(call.done)
	}()
	call.tok, call.err = c.fetchToken(ctx, t)
	if call.err == nil {
		c.storeToken(t, call.tok, call.epoch)
	}
}

// fetchToken asks the wiki for one token.
func (c *Client) fetchToken(ctx context.Context, t TokenType) (string, error) {
	p := url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {string(t)}}
	resp, err := c.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return "", err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return "", err
	}
	tok := q.Tokens[string(t)+"token"]
	if tok == "" {
		return "", protoErr("no %s token in the answer", t)
	}
	return tok, nil
}

// storeToken caches tok if the session has not changed since epoch.
func (c *Client) storeToken(t TokenType, tok string, epoch uint64) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.state().epoch == epoch {
		c.tokens[t] = tok
	}
}

// dropToken forgets one cached token if it is still tok.
func (c *Client) dropToken(t TokenType, tok string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tokens[t] == tok {
		delete(c.tokens, t)
	}
}
