package mwauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/mwauth/mwauth/internal/wire"
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

// token returns a token of type typ ("csrf", "login", "watch", ... or
// any type an extension registers) for the current session. Tokens are
// cached until the session changes (a login, a logout, a session lost and
// re-established, a badtoken answer); concurrent callers asking for the
// same uncached type share one request.
func (c *Client) token(ctx context.Context, typ string) (string, error) {
	if typ == "" || strings.ContainsAny(typ, "|\x1f") || hasControl(typ) {
		return "", invalid("bad token type")
	}
	s := c.sess
	for {
		s.mu.Lock()
		if tok, ok := s.tokens[typ]; ok {
			s.mu.Unlock()
			return tok, nil
		}
		epoch := s.epoch
		// A request made for an earlier session is not shared: its answer
		// (the anonymous "+\" after a login, say) would be wrong for this
		// one, and would make the caller take the session for lost.
		if call, ok := s.inflight[typ]; ok && call.epoch == epoch {
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-call.done:
			}
			if call.err != nil && (call.err == context.Canceled || call.err == context.DeadlineExceeded) {
				// The goroutine that asked first gave up; ask again.
				continue
			}
			if call.err == nil && s.epochNow() != call.epoch {
				// The session changed while the request ran.
				continue
			}
			return call.tok, call.err
		}
		call := &tokenCall{done: make(chan struct{}), epoch: epoch}
		s.inflight[typ] = call
		s.mu.Unlock()
		c.runTokenCall(ctx, typ, call)
		return call.tok, call.err
	}
}

// runTokenCall fetches the token of call and wakes its waiters, whatever
// happens.
func (c *Client) runTokenCall(ctx context.Context, typ string, call *tokenCall) {
	defer func() {
		c.sess.mu.Lock()
		if c.sess.inflight[typ] == call {
			delete(c.sess.inflight, typ)
		}
		c.sess.mu.Unlock()
		close(call.done)
	}()
	call.tok, call.err = c.fetchToken(ctx, typ)
	if call.err == nil {
		c.storeToken(typ, call.tok, call.epoch)
	}
}

// fetchToken asks the wiki for one token.
func (c *Client) fetchToken(ctx context.Context, typ string) (string, error) {
	p := url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {typ}}
	resp, err := c.tr.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return "", err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return "", err
	}
	tok := q.Tokens[typ+"token"]
	if tok == "" {
		return "", protoErr("no %s token in the answer", sanitize(typ, 50))
	}
	return tok, nil
}

// storeToken caches tok if the session has not changed since epoch.
func (c *Client) storeToken(typ, tok string, epoch uint64) {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	if c.sess.epoch == epoch {
		c.sess.tokens[typ] = tok
	}
}

// dropToken forgets one cached token if it is still tok.
func (c *Client) dropToken(typ, tok string) {
	c.sess.mu.Lock()
	defer c.sess.mu.Unlock()
	if c.sess.tokens[typ] == tok {
		delete(c.sess.tokens, typ)
	}
}

// isAnonToken reports whether tok is the logged-out CSRF token.
func isAnonToken(tok string) bool { return strings.TrimSpace(tok) == anonCSRF }
