package mwauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
)

// Response is a successful api.php answer.
type Response struct {
	// Raw is the whole JSON body. It may contain tokens; do not log it.
	Raw json.RawMessage
	// Warnings are the wiki's warnings, if any.
	Warnings []Warning
}

// Decode unmarshals the body into v.
func (r *Response) Decode(v any) error { return json.Unmarshal(r.Raw, v) }

// String does not print the body, which may hold tokens.
func (r *Response) String() string {
	return fmt.Sprintf("mwauth.Response{%d bytes, %d warnings}", len(r.Raw), len(r.Warnings))
}

// GoString is like String.
func (r *Response) GoString() string { return r.String() }

// LogValue implements [slog.LogValuer] like String: a handler that
// marshals exported fields (slog.JSONHandler) would log Raw otherwise.
func (r *Response) LogValue() slog.Value { return slog.StringValue(r.String()) }

// UserInfo is who the wiki says the session belongs to.
type UserInfo struct {
	// ID is the user id; 0 when anonymous.
	ID int
	// Name is the user name.
	Name string
	// Anonymous is true when the session is not logged in; Name is then
	// the client's IP address.
	Anonymous bool
}

// Get sends a GET request with params (format parameters are added) and
// returns the decoded answer. Once logged in, it sends assert=user (see
// [WithAssert]) and, if the wiki has forgotten the session, logs in again
// once with the kept bot password and retries. Never put secrets in
// params of a GET: they would be in the URL.
func (c *Client) Get(ctx context.Context, params url.Values) (*Response, error) {
	r, err := c.call(ctx, http.MethodGet, params, "")
	return r, opErr("get", err)
}

// Post is like [Client.Get] but sends params in a POST body.
func (c *Client) Post(ctx context.Context, params url.Values) (*Response, error) {
	r, err := c.call(ctx, http.MethodPost, params, "")
	return r, opErr("post", err)
}

// PostWithToken is like [Client.Post] and adds a token of type t (CSRF if
// t is empty) as the "token" parameter. The token is cached; on badtoken
// it is fetched again and the request retried once. When the wiki has
// forgotten the session, the Client logs in again once (bot-password
// sessions) and retries with fresh tokens; a clientlogin session gives
// [ErrLoginRequired] instead.
func (c *Client) PostWithToken(ctx context.Context, t TokenType, params url.Values) (*Response, error) {
	if t == "" {
		t = TokenCSRF
	}
	r, err := c.call(ctx, http.MethodPost, params, t)
	return r, opErr("post", err)
}

// errSessionGone reports that the wiki hands out the anonymous token:
// the session is gone. A new value each time, so no caller can change
// another's.
func errSessionGone() error {
	return &APIError{Code: "assertuserfailed", Module: "main", Info: "the session is no longer logged in"}
}

func (c *Client) call(ctx context.Context, method string, params url.Values, t TokenType) (*Response, error) {
	retriedToken, relogged := false, false
	for {
		// While a re-login runs, new requests would only fail against the
		// lost session: wait for it instead.
		if err := c.waitRelogin(ctx); err != nil {
			return nil, err
		}
		st := c.state()
		loggedIn := st.kind != sessionNone
		p := make(url.Values, len(params)+2)
		for k, v := range params {
			p[k] = v
		}
		if (loggedIn || c.oauthMode()) && c.assert != "" && p.Get("assert") == "" && p.Get("assertuser") == "" {
			p.Set("assert", c.assert)
		}
		var tok string
		var err error
		if t != "" {
			tok, err = c.token(ctx, t)
			if err == nil && loggedIn && isAnonToken(tok) {
				// The wiki hands out the anonymous token: the session is gone.
				c.dropToken(t, tok)
				err = errSessionGone()
			}
			p.Set("token", tok)
		}
		var resp *response
		if err == nil {
			resp, err = c.do(ctx, request{method: method, params: p})
		}
		if err == nil {
			if p.Get("assert") == "bot" && !st.botOK {
				c.stMu.Lock()
				if c.st.epoch == st.epoch {
					c.st.botOK = true
				}
				c.stMu.Unlock()
			}
			return &Response{Raw: resp.env.Raw, Warnings: warningsOf(resp)}, nil
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			return nil, err
		}
		if ae.Code == "badtoken" && t != "" && !retriedToken {
			retriedToken = true
			c.dropToken(t, tok)
			continue
		}
		if ae.Code == "assertbotfailed" && !st.botOK && !c.sessionIsAnonymous(ctx) {
			// The session lives but the account lacks the bot right:
			// logging in again would not help.
			return nil, err
		}
		if loggedIn && !relogged && (errors.Is(ae, ErrNotLoggedIn) || ae.Code == "badtoken") {
			if rerr := c.reestablish(ctx, st.epoch, err); rerr != nil {
				return nil, rerr
			}
			relogged, retriedToken = true, false
			continue
		}
		return nil, err
	}
}

// sessionIsAnonymous asks the wiki, without an assert, whether the
// session is logged out. It tells a lost session from an account without
// the bot right when assert=bot fails before any bot assert succeeded
// (for example on a session loaded from a file). Errors count as "no".
func (c *Client) sessionIsAnonymous(ctx context.Context) bool {
	p := url.Values{"action": {"query"}, "meta": {"userinfo"}}
	resp, err := c.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return false
	}
	var q wire.Query
	if resp.member("query", &q) != nil || q.UserInfo == nil {
		return false
	}
	return q.UserInfo.Anonymous()
}

// reestablish logs in again after the session seen at epoch was lost.
// However many goroutines notice the loss, only the first logs in; the
// others find a newer epoch and retry.
func (c *Client) reestablish(ctx context.Context, epoch uint64, cause error) error {
	if err := c.lockFlow(ctx); err != nil {
		return err
	}
	defer c.unlockFlow()
	st := c.state()
	if st.epoch != epoch {
		if st.kind == sessionNone {
			return fmt.Errorf("%w: %w", ErrLoginRequired, cause)
		}
		return nil
	}
	if st.kind != sessionLogin || c.creds == nil || !c.relogin || c.oauthMode() {
		return fmt.Errorf("%w: %w", ErrLoginRequired, cause)
	}
	c.log.DebugContext(ctx, "mwauth: session lost, logging in again")
	done := make(chan struct{})
	c.stMu.Lock()
	c.reloginWait = done
	c.stMu.Unlock()
	defer func() {
		c.stMu.Lock()
		c.reloginWait = nil
		c.stMu.Unlock()
		close(done)
	}()
	if _, err := c.loginLocked(ctx, c.creds, true); err != nil {
		if ctx.Err() != nil {
			// The caller gave up: that says nothing about whether the
			// session can be re-established, so it is not ErrLoginRequired.
			return ctx.Err()
		}
		if errors.Is(err, ErrLoginFailed) {
			// The wiki refused the kept credentials (revoked, throttled,
			// ...): never try them again by ourselves.
			c.creds = nil
		}
		return fmt.Errorf("%w: re-login: %w", ErrLoginRequired, err)
	}
	return nil
}

// waitRelogin waits until a re-login in progress, if any, has finished.
func (c *Client) waitRelogin(ctx context.Context) error {
	c.stMu.Lock()
	ch := c.reloginWait
	c.stMu.Unlock()
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

// Resume checks the session with one GET that asks who the user is and
// fetches a CSRF token together, so that a process started on a saved
// session is ready to edit after one request. If the session is no longer
// logged in and [WithBotPassword] gave credentials, it logs in (two more
// requests); otherwise it reports the anonymous user and no error.
func (c *Client) Resume(ctx context.Context) (*UserInfo, error) {
	r, err := c.resume(ctx)
	return r, opErr("resume", err)
}

func (c *Client) resume(ctx context.Context) (*UserInfo, error) {
	epoch := c.state().epoch
	p := url.Values{"action": {"query"}, "meta": {"userinfo|tokens"}, "type": {"csrf"}}
	resp, err := c.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return nil, err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return nil, err
	}
	ui := q.UserInfo
	if ui == nil {
		return nil, protoErr("resume: no userinfo")
	}
	if !ui.Anonymous() {
		c.stMu.Lock()
		if c.st.epoch != epoch {
			// A login or logout ran meanwhile: the answer describes a
			// session that is gone, so it must not overwrite the state.
			st := c.st
			c.stMu.Unlock()
			return userInfoOf(st, ""), nil
		}
		if c.st.kind == sessionNone {
			// A session from a jar that carried no metadata.
			c.st.kind = sessionLogin
		}
		c.st.username, c.st.userID = ui.Name, ui.ID
		c.stMu.Unlock()
		if tok := q.Tokens["csrftoken"]; tok != "" && !isAnonToken(tok) {
			c.storeToken(TokenCSRF, tok, epoch)
		}
		return &UserInfo{ID: ui.ID, Name: ui.Name}, nil
	}
	if err := c.lockFlow(ctx); err != nil {
		return nil, err
	}
	defer c.unlockFlow()
	if st := c.state(); st.epoch != epoch {
		// Another flow (a Login, a re-login, a Logout) changed the
		// session while the question was asked: the anonymous answer is
		// about the old one. Logging in now would log in twice, and
		// forgetting the session would undo that flow.
		return userInfoOf(st, ui.Name), nil
	}
	cr := c.creds
	if cr == nil || c.oauthMode() {
		c.stMu.Lock()
		wasKind := c.st.kind
		c.stMu.Unlock()
		if wasKind != sessionNone {
			c.newSession(false)
			c.saveSession(ctx)
		}
		return &UserInfo{Name: ui.Name, Anonymous: true}, nil
	}
	res, err := c.loginLocked(ctx, cr, false)
	if err != nil {
		return nil, err
	}
	return &UserInfo{ID: res.UserID, Name: res.Username}, nil
}

// userInfoOf describes the session state st as Resume reports it;
// anonName is the name (the IP address) the wiki gave an anonymous user.
func userInfoOf(st sessionState, anonName string) *UserInfo {
	if st.kind == sessionNone {
		return &UserInfo{Name: anonName, Anonymous: true}
	}
	return &UserInfo{ID: st.userID, Name: st.username}
}

// ---- saved sessions ----

const sessionVersion = 1

type sessionFile struct {
	Version  int     `json:"version"`
	Endpoint string  `json:"endpoint"`
	Kind     string  `json:"kind,omitempty"`
	Username string  `json:"username,omitempty"`
	UserID   int     `json:"userid,omitempty"`
	Saved    string  `json:"saved"`
	Jar      jarFile `json:"jar"`
}

// WithSessionFile keeps the session in the file at path. New loads it if
// it exists; every change of the session (a login, a logout, cookies the
// wiki rotates) saves it again, atomically (a temporary file, fsync,
// rename) with mode 0600 under an advisory lock, so that several
// processes can share it. The file is a credential.
//
// A file that is corrupt, truncated, written for another endpoint, or
// readable by group or others makes New fail with [ErrSessionFile]; it is
// never silently discarded unless [WithFreshSession] is also given.
func WithSessionFile(path string) Option {
	return func(c *settings) error {
		if path == "" {
			return errors.New("WithSessionFile: empty path")
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		c.sessionPath = abs
		return nil
	}
}

// WithFreshSession makes [WithSessionFile] ignore what the file holds and
// start with an empty session, which replaces the file on the next save.
func WithFreshSession() Option {
	return func(c *settings) error {
		c.freshStart = true
		return nil
	}
}

func (c *Client) loadSessionFile() error {
	if c.jar != nil {
		return errors.New("WithJar and WithSessionFile are exclusive")
	}
	if c.freshStart {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), sessionLoadWait)
	defer cancel()
	b, err := readSessionFile(ctx, c.sessionPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	f, err := parseSessionFile(b)
	if err != nil {
		return err
	}
	if f.Endpoint != c.endpointStr {
		return fmt.Errorf("%w: saved for another endpoint", ErrSessionFile)
	}
	j, err := f.Jar.build(time.Now)
	if err != nil {
		return err
	}
	c.jar = j
	c.st.kind, _ = kindByName(f.Kind)
	c.st.username, c.st.userID = f.Username, f.UserID
	return nil
}

// kindByName is the inverse of kindNames.
func kindByName(name string) (sessionKind, bool) {
	for k, n := range kindNames {
		if n == name {
			return k, true
		}
	}
	return sessionNone, false
}

func parseSessionFile(b []byte) (*sessionFile, error) {
	var f sessionFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionFile, err)
	}
	if f.Version != sessionVersion {
		return nil, fmt.Errorf("%w: unsupported version %d", ErrSessionFile, f.Version)
	}
	if _, ok := kindByName(f.Kind); !ok {
		return nil, fmt.Errorf("%w: unknown session kind", ErrSessionFile)
	}
	return &f, nil
}

// saveIfChanged saves the session file if the jar changed since the last
// save.
func (c *Client) saveIfChanged(ctx context.Context) {
	if c.sessionPath == "" {
		return
	}
	c.saveMu.Lock()
	changed := c.jar.changeCount() != c.savedAt
	c.saveMu.Unlock()
	if changed {
		c.saveSession(ctx)
	}
}

// saveSession writes the session file; failures are logged, because the
// request that caused them succeeded.
func (c *Client) saveSession(ctx context.Context) {
	if c.sessionPath == "" {
		return
	}
	if err := c.writeSession(); err != nil {
		c.log.WarnContext(ctx, "mwauth: cannot save session file", "error", err)
	}
}

func (c *Client) writeSession() error {
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	st := c.state()
	n := c.jar.changeCount()
	cookies := c.jar.snapshot()
	f := sessionFile{Version: sessionVersion, Endpoint: c.endpointStr, Kind: kindNames[st.kind],
		Username: st.username, UserID: st.userID, Saved: time.Now().UTC().Format(time.RFC3339),
		Jar: jarFile{Version: jarVersion, Cookies: cookies}}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := writeSessionFile(context.Background(), c.sessionPath, b); err != nil {
		return err
	}
	c.savedAt = n
	return nil
}

func (c *Client) removeSessionFile() error {
	if c.sessionPath == "" {
		return nil
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	if err := removeSessionFile(context.Background(), c.sessionPath); err != nil {
		return err
	}
	c.savedAt = c.jar.changeCount()
	return nil
}
