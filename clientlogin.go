package mwauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
)

// Status is the status of a clientlogin step.
type Status string

// The statuses of MediaWiki's AuthManager, as action=clientlogin
// reports them.
const (
	// StatusPass: logged in. Step.User is set.
	StatusPass Status = "PASS"
	// StatusFail: the flow is over and failed. Step.Message and
	// MessageCode are set; Step.Err turns it into a *LoginError.
	StatusFail Status = "FAIL"
	// StatusUI: the wiki needs more input (a two-factor code, a new
	// password). Ask for Step.Fields and continue with
	// [Client.ContinueClientLogin] and [Step.Answer].
	StatusUI Status = "UI"
	// StatusRedirect: send the user's browser to Step.RedirectTarget;
	// when it comes back to the return URL, continue with the parameters
	// it carried (see [RedirectFields]).
	StatusRedirect Status = "REDIRECT"
	// StatusRestart: a third-party login worked but no local account is
	// linked to it. Step.Requests are a fresh login form; start again with
	// [Client.ClientLogin], which then keeps the state the wiki preserved
	// (loginpreservestate) when it allows that.
	StatusRestart Status = "RESTART"
)

// MessageFormat is the format of the wiki's messages in clientlogin steps
// and authmanagerinfo (loginmessageformat, amimessageformat).
type MessageFormat string

// The message formats MediaWiki offers. The empty MessageFormat is the
// wiki's default, wikitext.
const (
	FormatWikitext MessageFormat = "wikitext"
	FormatHTML     MessageFormat = "html"
	// FormatRaw gives message keys (in Message and labels) instead of
	// text, and lets a FAIL carry a throttle wait (LoginError.Wait).
	FormatRaw MessageFormat = "raw"
)

func (f MessageFormat) valid() bool {
	switch f {
	case "", FormatWikitext, FormatHTML, FormatRaw:
		return true
	}
	return false
}

// FieldType is the type of a [Field].
type FieldType string

// The field types of MediaWiki's AuthenticationRequest.
const (
	FieldString      FieldType = "string"
	FieldPassword    FieldType = "password"
	FieldSelect      FieldType = "select"
	FieldMultiselect FieldType = "multiselect"
	FieldCheckbox    FieldType = "checkbox"
	// FieldButton: a button; send any non-empty value to press it.
	FieldButton FieldType = "button"
	// FieldHidden: a value to send back unchanged (a captcha id).
	// [Step.Answer] does it.
	FieldHidden FieldType = "hidden"
	// FieldNull: text to show, such as a captcha question; nothing to
	// send.
	FieldNull FieldType = "null"
)

// ClientLoginRequest starts an action=clientlogin flow. Its Format method
// never prints field values, which include the password.
type ClientLoginRequest struct {
	// ReturnURL is loginreturnurl: an absolute URL that a REDIRECT flow
	// comes back to. MediaWiki requires one even for password logins; if
	// empty, the wiki's index.php (derived from the endpoint) is used.
	ReturnURL string
	// Fields are the answers by field name: "username", "password",
	// "rememberMe", "captchaWord", ... (see [Client.AuthManagerInfo] and
	// [Step.Answer]). Entries with an empty value are not sent: MediaWiki
	// treats a present checkbox or button as true whatever its value.
	// encoding/json (and so slog's JSON handler) skips them.
	Fields map[string]string `json:"-"`
	// Requests limits the flow to these authentication request ids
	// (loginrequests).
	Requests []string
	// MessageFormat is loginmessageformat.
	MessageFormat MessageFormat
}

// Format prints the request without field values, for every verb.
func (r ClientLoginRequest) Format(f fmt.State, _ rune) {
	names := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	fmt.Fprintf(f, "mwauth.ClientLoginRequest{ReturnURL: %q, Fields: [%s] (values redacted)}",
		r.ReturnURL, strings.Join(names, " "))
}

// Step is one answer of the clientlogin state machine, or the login form
// that [Client.AuthManagerInfo] returns. Which fields are set depends on
// Status, as each field's comment says.
//
// Its texts (Message, labels, values) are the wiki's, unchanged: remove
// control characters and escape sequences before showing them on a
// terminal, as cmd/mwlogin does. Errors made from a step ([Step.Err]) are
// cleaned already.
type Step struct {
	// Status says what the caller does next; see the Status constants.
	Status Status
	// User is the account logged in (ID 0: clientlogin does not say it).
	// PASS.
	User User
	// Message is the wiki's explanation, in the requested format. FAIL,
	// UI, RESTART (UI may lack it on newer wikis).
	Message string
	// MessageCode is the machine-readable message key, such as
	// "oathauth-auth-ui" or "wrongpassword". FAIL, UI, RESTART. A UI step
	// that the driver made rather than the wiki ([Client.RunClientLogin])
	// has the code "mwauth-login-form" or "mwauth-captcha", and carries
	// the wiki's own message of the FAIL that led to it, if any.
	MessageCode string
	// Requests are the authentication requests the wiki wants answered,
	// each with its fields. UI, REDIRECT, RESTART.
	Requests []AuthRequest
	// RedirectTarget is where to send the browser: an https URL (or http
	// to loopback); anything else is refused with ErrUnexpectedResponse.
	// REDIRECT.
	RedirectTarget string
	// RedirectData is the provider's data for API clients, raw JSON, if
	// any. REDIRECT.
	RedirectData json.RawMessage

	wait     int64 // a FAIL's throttle wait in seconds (FormatRaw)
	preserve bool  // a RESTART's canpreservestate
}

// Driver-made steps' message codes.
const (
	codeLoginForm = "mwauth-login-form"
	codeCaptcha   = "mwauth-captcha"
)

// Err returns nil unless the step is a FAIL, which it turns into a
// *[LoginError]:
//
//	if err := step.Err(); err != nil { return err }
func (s *Step) Err() error {
	if s == nil || s.Status != StatusFail {
		return nil
	}
	return opErr("clientlogin", &LoginError{action: "clientlogin", Result: string(s.Status),
		Code: sanitize(s.MessageCode, 100), Message: sanitize(s.Message, infoLen),
		Wait: time.Duration(s.wait) * time.Second})
}

// Fields returns the fields to show for this step: every request's fields
// in order, each name once (MediaWiki's field names are one flat
// namespace).
func (s *Step) Fields() []Field {
	var out []Field
	seen := map[string]bool{}
	for _, r := range s.Requests {
		for _, f := range r.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Answer returns the fields to send for this step: the step's hidden
// values (such as a captcha id), which the wiki expects back unchanged,
// then answers by field name on top. Use it with
// [Client.ContinueClientLogin], or as ClientLoginRequest.Fields for the
// form [Client.AuthManagerInfo] returns.
func (s *Step) Answer(answers map[string]string) map[string]string {
	out := make(map[string]string, len(answers)+2)
	if s != nil {
		for _, f := range s.Fields() {
			if f.Type == FieldHidden && f.Value != "" {
				out[f.Name] = f.Value
			}
		}
	}
	for k, v := range answers {
		out[k] = v
	}
	return out
}

// AuthRequest is one authentication request of a step. Match IDs by
// suffix: MediaWiki's ids are PHP class names that change when classes
// move.
type AuthRequest struct {
	// ID names the request, usually a PHP class name such as
	// "MediaWiki\Auth\PasswordAuthenticationRequest".
	ID string
	// Fields are the request's inputs, in the wiki's order.
	Fields []Field

	required string // "required", "primary-required" or "optional"
}

// Field is one input of an authentication request.
type Field struct {
	// Name is the parameter name to answer with, such as "OATHToken".
	Name string
	// Type says how to ask for it.
	Type FieldType
	// Label is the short prompt to show.
	Label string
	// Value is a preset or display value: the captcha question of a
	// FieldNull, the id to send back of a FieldHidden.
	Value string
	// Optional fields may be left empty.
	Optional bool
	// Sensitive fields must not be echoed or logged (passwords, codes).
	Sensitive bool
	// Options are the choices of a select or multiselect field.
	Options []FieldOption
}

// FieldOption is one choice of a select field.
type FieldOption struct {
	// Value is what to send.
	Value string
	// Label is what to show.
	Label string
}

// ClientLogin starts an action=clientlogin flow and returns its first
// step:
//   - PASS: logged in; the Client now holds the session.
//   - FAIL: the attempt is over; Step.Err gives the *LoginError. After a
//     FAIL the wiki may require a captcha: ask [Client.AuthManagerInfo].
//   - UI: answer Step's fields with [Client.ContinueClientLogin].
//   - REDIRECT: send the user to Step.RedirectTarget, then continue with
//     the parameters the return URL received ([RedirectFields]).
//   - RESTART: start again with ClientLogin.
//
// The login token comes from the cache if [Client.AuthManagerInfo]
// fetched it. The flow starts from a fresh session, unless the previous
// step was a RESTART whose state the wiki preserved: then it continues
// with that state (loginpreservestate). All fields go in the POST body. err is for what is not a step:
// transport, protocol and API errors.
func (c *Client) ClientLogin(ctx context.Context, req ClientLoginRequest) (*Step, error) {
	r, err := c.clientLogin(ctx, req)
	return r, opErr("clientlogin", err)
}

func (c *Client) clientLogin(ctx context.Context, req ClientLoginRequest) (*Step, error) {
	if c.cfg.oauthMode() {
		return nil, errOAuthMode
	}
	returnURL := req.ReturnURL
	if returnURL == "" {
		u := *c.tr.endpoint
		u.Path = strings.TrimSuffix(u.Path, "api.php") + "index.php"
		returnURL = u.String()
	}
	if ru, err := url.Parse(returnURL); err != nil || !ru.IsAbs() || ru.Host == "" {
		return nil, invalid("ReturnURL must be an absolute URL")
	}
	if !req.MessageFormat.valid() {
		return nil, invalid("unknown MessageFormat")
	}
	if err := c.lockFlow(ctx); err != nil {
		return nil, err
	}
	defer c.unlockFlow()
	c.sess.mu.Lock()
	preserve := c.sess.preserve
	c.sess.preserve = false
	c.sess.mu.Unlock()
	if st := c.sess.view(); st.kind != sessionNone && !preserve {
		// A logged-in session cannot log in again (MediaWiki refuses it
		// over a bot-password session): start from a fresh one.
		c.sess.change(func(s *session) {
			c.jar.clearFor(c.tr.endpoint)
			s.kind, s.u, s.byCreds = sessionNone, User{}, false
		})
	}
	p := url.Values{"action": {"clientlogin"}, "loginreturnurl": {returnURL}}
	for k, v := range req.Fields {
		if v != "" {
			p.Set(k, v)
		}
	}
	if len(req.Requests) > 0 {
		p["loginrequests"] = req.Requests
	}
	if req.MessageFormat != "" {
		p.Set("loginmessageformat", string(req.MessageFormat))
	}
	if preserve {
		p.Set("loginpreservestate", "1")
	}
	return c.clientLoginPost(ctx, p, false)
}

// ContinueClientLogin continues the flow after a UI or REDIRECT step with
// the answers to its fields (logincontinue): build them with
// [Step.Answer], which adds the step's hidden values, or for a REDIRECT
// with [RedirectFields]. Entries with an empty value are not sent. It
// returns the next step, with the same statuses as [Client.ClientLogin].
// If the wiki lost the session in the middle of the flow, the error (or
// the FAIL step's Err) matches [ErrLoginFailed] (with MessageCode
// "sessionlost" or "authmanager-authn-not-in-progress"): start again.
//
// The flow's state lives in the wiki's session, whose cookie this Client
// holds in memory: continue the flow with the same Client. The session
// file is written only once the flow has passed.
func (c *Client) ContinueClientLogin(ctx context.Context, fields map[string]string) (*Step, error) {
	r, err := c.continueClientLogin(ctx, fields)
	return r, opErr("clientlogin", err)
}

func (c *Client) continueClientLogin(ctx context.Context, fields map[string]string) (*Step, error) {
	if c.cfg.oauthMode() {
		return nil, errOAuthMode
	}
	if err := c.lockFlow(ctx); err != nil {
		return nil, err
	}
	defer c.unlockFlow()
	p := url.Values{"action": {"clientlogin"}, "logincontinue": {"1"}}
	for k, v := range fields {
		if v != "" {
			p.Set(k, v)
		}
	}
	return c.clientLoginPost(ctx, p, true)
}

func (c *Client) clientLoginPost(ctx context.Context, p url.Values, cont bool) (*Step, error) {
	start := time.Now()
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, "login")
		if err != nil {
			return nil, err
		}
		p.Set("logintoken", tok)
		resp, err := c.tr.do(ctx, request{method: http.MethodPost, params: p})
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == "badtoken" {
				c.dropToken("login", tok)
				if cont {
					// The login token is bound to the session; if it no
					// longer validates, the flow's state is gone too.
					return nil, fmt.Errorf("%w: the flow's session is gone: %w", ErrLoginFailed, err)
				}
				if attempt == 0 {
					continue
				}
			}
			return nil, err
		}
		var r wire.ClientLoginResult
		if err := resp.member("clientlogin", &r); err != nil {
			return nil, err
		}
		step, err := stepFrom(&r)
		if err == nil {
			step.preserve = step.Status == StatusRestart && bool(r.CanPreserveState)
		}
		if err != nil {
			return nil, err
		}
		c.cfg.log.DebugContext(ctx, "mwauth: login step", "action", "clientlogin", "status", step.Status,
			"code", sanitize(step.MessageCode, 100), "requests", c.tr.sent.Load(), "duration", time.Since(start))
		if step.Status == StatusFail && p.Get("loginmessageformat") == string(FormatRaw) {
			var m struct {
				Message struct {
					Params json.RawMessage `json:"params"`
				} `json:"message"`
			}
			if resp.member("clientlogin", &m) == nil {
				step.wait = wire.Duration(m.Message.Params)
			}
		}
		c.sess.mu.Lock()
		c.sess.preserve = step.preserve
		c.sess.mu.Unlock()
		if step.Status == StatusPass {
			c.sess.change(func(s *session) {
				s.kind, s.u, s.asUser, s.byCreds, s.loggedOut = sessionClientLogin, step.User, true, false, false
			})
			if err := c.saveNow(ctx); err != nil {
				return step, err
			}
		}
		return step, nil
	}
}

func stepFrom(r *wire.ClientLoginResult) (*Step, error) {
	s := &Step{
		Status:         Status(r.Status),
		User:           User{Name: r.Username},
		Message:        string(r.Message),
		MessageCode:    r.MessageCode,
		RedirectTarget: r.RedirectTarget,
		Requests:       requestsFrom(r.Requests, r.Fields),
	}
	if len(r.RedirectData) > 0 && string(r.RedirectData) != "null" {
		s.RedirectData = r.RedirectData
	}
	switch s.Status {
	case StatusPass:
		if s.User.Name == "" {
			return nil, protoErr("clientlogin PASS without username")
		}
	case StatusFail, StatusUI, StatusRestart:
	case StatusRedirect:
		if !safeRedirectTarget(s.RedirectTarget) {
			return nil, protoErr("clientlogin REDIRECT to a target that is not https")
		}
	default:
		return nil, protoErr("clientlogin: unknown status %q", sanitize(r.Status, 50))
	}
	return s, nil
}

// safeRedirectTarget accepts https URLs, and http ones to loopback.
func safeRedirectTarget(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname()))
}

// requestsFrom converts the wire requests; merged fields (which mwauth
// never asks for, but a wiki may send) go to the first request.
func requestsFrom(in []wire.AuthRequest, merged wire.OrderedFields) []AuthRequest {
	if len(in) == 0 {
		return nil
	}
	out := make([]AuthRequest, len(in))
	for i, r := range in {
		out[i] = AuthRequest{ID: r.ID, required: r.Required, Fields: fieldsFrom(r.Fields)}
	}
	if len(merged) > 0 {
		out[0].Fields = append(out[0].Fields, fieldsFrom(merged)...)
	}
	return out
}

func fieldsFrom(in wire.OrderedFields) []Field {
	if len(in) == 0 {
		return nil
	}
	out := make([]Field, len(in))
	for i, f := range in {
		out[i] = Field{Name: f.Name, Type: FieldType(f.Type), Label: string(f.Label),
			Value: valueText(f.Value), Optional: bool(f.Optional), Sensitive: bool(f.Sensitive)}
		for _, o := range f.Options {
			out[i].Options = append(out[i].Options, FieldOption{Value: o.Key, Label: o.Value})
		}
	}
	return out
}

// valueText renders a field's value: strings as they are, anything else
// as its JSON.
func valueText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	return string(raw)
}

// RedirectFields turns the URL that a REDIRECT flow came back to (the
// ReturnURL with the provider's parameters, or just its query) into the
// fields for [Client.ContinueClientLogin].
func RedirectFields(returned string) (map[string]string, error) {
	q := returned
	if u, err := url.Parse(returned); err == nil && (u.Scheme != "" || strings.Contains(returned, "?")) {
		q = u.RawQuery
	}
	vals, err := url.ParseQuery(strings.TrimPrefix(q, "?"))
	if err != nil {
		return nil, opErr("redirectfields", invalid("the return URL's query does not parse"))
	}
	out := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) > 0 && k != "title" {
			out[k] = v[len(v)-1]
		}
	}
	return out, nil
}

// AuthManagerInfo returns the wiki's login form now (meta=authmanagerinfo
// for login): a UI step whose Requests and [Step.Fields] are what a
// [Client.ClientLogin] must answer, captcha included when the wiki asks
// for one. Its MessageCode is "mwauth-login-form". It fetches the login
// token in the same request and caches it, so discovering the form costs
// no extra round trip.
func (c *Client) AuthManagerInfo(ctx context.Context, format MessageFormat) (*Step, error) {
	r, err := c.authManagerInfo(ctx, format)
	return r, opErr("authmanagerinfo", err)
}

func (c *Client) authManagerInfo(ctx context.Context, format MessageFormat) (*Step, error) {
	if !format.valid() {
		return nil, invalid("unknown MessageFormat")
	}
	if c.cfg.oauthMode() {
		return nil, errOAuthMode
	}
	epoch := c.sess.epochNow()
	p := url.Values{"action": {"query"}, "meta": {"authmanagerinfo|tokens"}, "type": {"login"},
		"amirequestsfor": {"login"}}
	if format != "" {
		p.Set("amimessageformat", string(format))
	}
	resp, err := c.tr.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return nil, err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return nil, err
	}
	a := q.AuthManagerInfo
	if a == nil {
		return nil, protoErr("no authmanagerinfo in the answer")
	}
	if tok := q.Tokens["logintoken"]; tok != "" {
		c.storeToken("login", tok, epoch)
	}
	return &Step{Status: StatusUI, MessageCode: codeLoginForm, Requests: requestsFrom(a.Requests, a.Fields)}, nil
}
