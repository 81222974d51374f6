package mwauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/mwauth/mwauth/internal/wire"
)

// maxRetryAfter bounds one maxlag wait, whatever Retry-After says.
const maxRetryAfter = time.Minute

// transport sends one api.php request and decodes its answer. It is the
// lowest layer: it knows the session only to tag each request with the
// session's epoch (see epochJar), and it never saves anything.
type transport struct {
	cfg         *options
	hc          *http.Client
	endpoint    *url.URL
	endpointStr string
	jar         *jar
	sess        *session
	// sent counts the requests sent, for the debug log of login steps.
	sent atomic.Int64
}

// request is one api.php call.
type request struct {
	method string
	params url.Values
	// rawErrors asks for machine-readable messages (errorformat=raw),
	// whose parameters carry data such as a throttle's wait.
	rawErrors bool
	// assert and token, if set, are added to params (which are never
	// modified).
	assert, token string
	// out, if set, receives the decoded answer of a call that succeeded.
	out any
}

// response is a decoded api.php answer that is not an error. env is nil
// when the answer went straight into request.out.
type response struct {
	env *wire.Envelope
}

// member decodes the answer's top-level member name into v; a missing or
// malformed member breaks the protocol.
func (r *response) member(name string, v any) error {
	ok, err := r.env.Member(name, v)
	if err != nil {
		return protoErr("%s: %v", name, err)
	}
	if !ok {
		return protoErr("no %s object in the answer", name)
	}
	return nil
}

// transportError is a failed HTTP exchange. It names the method and the
// endpoint without its query, never the parameters.
type transportError struct {
	method   string
	endpoint string
	err      error
}

func (e *transportError) Error() string {
	return e.method + " " + e.endpoint + ": " + strings.TrimPrefix(e.err.Error(), "mwauth: ")
}
func (e *transportError) Unwrap() error { return e.err }

// do sends one api.php request and decodes the answer. API errors become
// *APIError, unusable answers *ResponseError. It retries maxlag errors as
// configured and an OAuth 1.0a nonce collision once; nothing else.
func (t *transport) do(ctx context.Context, r request) (*response, error) {
	nonceRetried := false
	for attempt := 0; ; attempt++ {
		resp, err := t.doOnce(ctx, r)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) {
			return resp, err
		}
		if t.cfg.oauth1 != nil && !nonceRetried && isNonceReused(ae) {
			// A nonce collision is not the caller's fault: sign again with a
			// fresh nonce, once.
			nonceRetried = true
			attempt--
			continue
		}
		if ae.Code == "maxlag" && attempt < t.cfg.maxRetries {
			wait := ae.retryAfter
			if !ae.hasRetryAfter {
				// MediaWiki always sends one; its minimum is 5 s.
				wait = 5 * time.Second
			}
			wait = min(wait, maxRetryAfter)
			t.cfg.log.DebugContext(ctx, "mwauth: maxlag, waiting", "wait", wait, "attempt", attempt+1)
			if err := t.cfg.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		return nil, err
	}
}

// encodeParams encodes params as MediaWiki reads them: a parameter with
// several values is one key whose values are joined with "|", or, when a
// value holds a "|", with U+001F and a leading U+001F. Format parameters
// are pinned and maxlag added. Keys are sorted.
func (t *transport) encodeParams(r request) url.Values {
	params := r.params
	out := make(url.Values, len(params)+4)
	for k, vs := range params {
		switch len(vs) {
		case 0:
		case 1:
			out[k] = vs
		default:
			out[k] = []string{joinMulti(vs)}
		}
	}
	// The pinned values are shared, read-only slices: nothing below
	// modifies a value of out.
	wire.Pin(out)
	switch r.assert {
	case "":
	case string(AssertUser):
		out["assert"] = assertUserValue
	default:
		out["assert"] = []string{r.assert}
	}
	if r.token != "" {
		out["token"] = []string{r.token}
	}
	if r.rawErrors {
		out["errorformat"] = []string{"raw"}
	}
	if t.cfg.maxlag > 0 {
		out["maxlag"] = []string{strconv.Itoa(t.cfg.maxlag)}
	}
	return out
}

// assertUserValue is the shared value of assert=user (see encodeParams).
var assertUserValue = []string{string(AssertUser)}

// joinMulti joins the values of a multi-valued parameter.
func joinMulti(vs []string) string {
	for _, v := range vs {
		if strings.Contains(v, "|") {
			return "\x1f" + strings.Join(vs, "\x1f")
		}
	}
	return strings.Join(vs, "|")
}

func (t *transport) doOnce(ctx context.Context, r request) (*response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	params := t.encodeParams(r)
	action := params.Get("action")
	body := params.Encode()
	var req *http.Request
	var err error
	var form url.Values
	if r.method == http.MethodPost {
		form = params
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, t.endpointStr, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		u := *t.endpoint
		u.RawQuery = body
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	}
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", t.cfg.userAgent)
	req.Header.Set("Accept", "application/json")
	if err := t.authorize(ctx, req, form); err != nil {
		return nil, err
	}
	start := time.Now()
	// The cookies of an answer belong to the session the request was sent
	// in. An answer that arrives after a login or re-login started must
	// not overwrite the new session's cookies, so each request gets a jar
	// view that drops them then.
	hc := *t.hc
	hc.Jar = epochJar{t: t, epoch: t.sess.epochNow()}
	t.sent.Add(1)
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		t.cfg.log.DebugContext(ctx, "mwauth: request failed", "action", action, "method", r.method,
			"duration", time.Since(start))
		return nil, &transportError{method: r.method, endpoint: t.endpointStr, err: err}
	}
	raw, err := wire.ReadBody(resp, wire.MaxBody)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, t.bodyError(ctx, r, action, resp, start, err)
	}
	if resp.StatusCode == http.StatusUnauthorized && t.isBearer() {
		if e := bearerError(resp.Header); e != nil {
			t.logRequest(ctx, r.method, action, resp.StatusCode, start, e.Code)
			return nil, e
		}
	}
	if r.out != nil && !t.cfg.log.Enabled(ctx, slog.LevelDebug) && fastPath(resp, raw) {
		// The common answer: a JSON object with no error in it. Decode it
		// once, into the caller's value.
		if err := json.Unmarshal(raw, r.out); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				return nil, t.bodyError(ctx, r, action, resp, start,
					&wire.BodyError{Kind: wire.BadJSON, StatusCode: resp.StatusCode, Err: err, Snippet: wire.Snippet(raw)})
			}
			// The answer is fine; the caller's value does not fit it.
			return nil, fmt.Errorf("decode the answer: %w", err)
		}
		return &response{}, nil
	}
	env, err := wire.Decode(resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	if err != nil {
		return nil, t.bodyError(ctx, r, action, resp, start, err)
	}
	if len(env.Errors) > 0 {
		ae := apiErrorFrom(env.Errors, resp.Header)
		t.logRequest(ctx, r.method, action, resp.StatusCode, start, ae.Code)
		return nil, ae
	}
	if t.cfg.log.Enabled(ctx, slog.LevelDebug) {
		for _, w := range env.Warnings {
			t.cfg.log.DebugContext(ctx, "mwauth: wiki warning", "action", action, "code", w.Code, "module", w.Module)
		}
		t.logRequest(ctx, r.method, action, resp.StatusCode, start, "")
	}
	if r.out != nil {
		if err := json.Unmarshal(raw, r.out); err != nil {
			return nil, fmt.Errorf("decode the answer: %w", err)
		}
	}
	return &response{env: env}, nil
}

// fastPath reports whether an answer can be decoded straight into the
// caller's value: HTTP 200, JSON, an object, and no "error" anywhere in
// it (an answer that mentions one takes the full path, which finds the
// real errors).
func fastPath(resp *http.Response, raw []byte) bool {
	if resp.StatusCode != http.StatusOK || !isJSONType(resp.Header.Get("Content-Type")) {
		return false
	}
	i := 0
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\n' || raw[i] == '\r' || raw[i] == '\t') {
		i++
	}
	return i < len(raw) && raw[i] == '{' && !bytes.Contains(raw, errorKey)
}

var errorKey = []byte(`"error`)

// isJSONType reports whether a Content-Type is JSON, without allocating
// for the types MediaWiki sends.
func isJSONType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.TrimSpace(mt)
	return strings.EqualFold(mt, "application/json") || strings.HasSuffix(strings.ToLower(mt), "+json")
}

func (t *transport) logRequest(ctx context.Context, method, action string, status int, start time.Time, code string) {
	if !t.cfg.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	args := []any{"action", action, "method", method, "status", status, "duration", time.Since(start)}
	if code != "" {
		args = append(args, "code", code)
	}
	t.cfg.log.DebugContext(ctx, "mwauth: request", args...)
}

func (t *transport) bodyError(ctx context.Context, r request, action string, resp *http.Response, start time.Time, err error) error {
	var be *wire.BodyError
	if !errors.As(err, &be) {
		return &transportError{method: r.method, endpoint: t.endpointStr, err: err}
	}
	re := &ResponseError{StatusCode: be.StatusCode, reason: sanitize(be.Error(), 200),
		contentType: sanitize(be.ContentType, 100)}
	if be.Kind == wire.TooLarge {
		re.tooLarge = true
	} else if !looksLikeAPIBody(be.Snippet) {
		// An api.php answer may hold a token, whatever is wrong with it (a
		// truncated body, a non-200 status, a wrong Content-Type); an HTML
		// page from a proxy does not. Keep snippets only of the latter.
		re.Snippet = sanitize(be.Snippet, snippetLen)
	}
	t.logRequest(ctx, r.method, action, resp.StatusCode, start, "http")
	return re
}

// looksLikeAPIBody reports whether a snippet looks like it holds (part
// of) a JSON answer, whose text may contain secrets. The JSON need not
// come first: a UTF-8 byte order mark, or PHP notices that a wiki with
// display_errors on prints before the answer, push it further in. A
// token's "+\" suffix gives one away too.
func looksLikeAPIBody(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n\ufeff")
	return strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") ||
		jsonObjectStart.MatchString(s) || strings.Contains(s, `+\`)
}

// jsonObjectStart matches the start of a JSON object with a member.
var jsonObjectStart = regexp.MustCompile(`\{\s*"`)

func apiErrorFrom(msgs []wire.Message, h http.Header) *APIError {
	m := msgs[0]
	e := &APIError{Code: sanitize(m.Code, 100), Info: sanitize(m.Text, infoLen), module: m.Module}
	if ra := h.Get("Retry-After"); ra != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && n >= 0 {
			e.retryAfter = min(time.Duration(min(n, 3600))*time.Second, maxRetryAfter)
			e.hasRetryAfter = true
		}
	}
	return e
}

// isNonceReused reports whether an OAuth error says the nonce was already
// used. Extension:OAuth gives this reason only in prose, inside the
// mwoauth-invalid-authorization message ("... Nonce already used"), so
// this is the one place where the package matches English text.
func isNonceReused(e *APIError) bool {
	return e.Code == "mwoauth-invalid-authorization" && strings.Contains(strings.ToLower(e.Info), "nonce already used")
}

// bearerError reads an RFC 6750 error from a 401. The real
// Extension:OAuth answers a bad token with HTTP 200 and an API error
// instead; this covers proxies and other implementations.
func bearerError(h http.Header) *APIError {
	for _, v := range h.Values("WWW-Authenticate") {
		if strings.HasPrefix(strings.ToLower(v), "bearer") && strings.Contains(v, "invalid_token") {
			return &APIError{Code: "mwoauth-invalid-authorization", Info: "invalid_token"}
		}
	}
	return nil
}

func (t *transport) isBearer() bool { return t.cfg.oauth2 != "" || t.cfg.oauth2Func != nil }

func (t *transport) authorize(ctx context.Context, req *http.Request, form url.Values) error {
	switch {
	case t.cfg.oauth2 != "":
		// The scheme is matched case-sensitively by Extension:OAuth: it
		// must be "Bearer" exactly.
		req.Header.Set("Authorization", "Bearer "+string(t.cfg.oauth2))
	case t.cfg.oauth2Func != nil:
		tok, err := t.cfg.oauth2Func(ctx)
		if err != nil {
			return fmt.Errorf("%w: token func: %w", ErrOAuth, err)
		}
		if tok == "" || hasControl(tok) {
			return fmt.Errorf("%w: token func returned an empty token or a control character", ErrOAuth)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case t.cfg.oauth1 != nil:
		nonce, err := oauth1.NewNonce()
		if err != nil {
			return err
		}
		return oauth1.Sign(req, form, *t.cfg.oauth1, nonce, t.cfg.now().Unix())
	}
	return nil
}

// epochJar is the Client's jar as one request sees it: answers whose
// session was replaced while they were in flight set no cookies.
type epochJar struct {
	t     *transport
	epoch uint64
}

func (j epochJar) Cookies(u *url.URL) []*http.Cookie { return j.t.jar.Cookies(u) }

func (j epochJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.t.sess.mu.Lock()
	defer j.t.sess.mu.Unlock()
	if j.t.sess.epoch == j.epoch {
		j.t.jar.SetCookies(u, cookies)
	}
}
