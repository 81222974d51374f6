package mwauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/mwauth/mwauth/internal/wire"
)

// Status is the status of a clientlogin step.
type Status string

// The statuses of MediaWiki's AuthManager, as action=clientlogin
// reports them.
const (
	// StatusPass: logged in. Step.Username is set.
	StatusPass Status = "PASS"
	// StatusFail: the flow is over and failed. Step.Message, MessageCode
	// and CanPreserveState are set; Step.Err turns it into a *LoginError.
	StatusFail Status = "FAIL"
	// StatusUI: the wiki needs more input (a two-factor code, a new
	// password). Show Step.Requests' fields and call
	// ContinueClientLogin with the answers.
	StatusUI Status = "UI"
	// StatusRedirect: send the user's browser to Step.RedirectTarget;
	// when it comes back to the return URL, call ContinueClientLogin with
	// the parameters it carried.
	StatusRedirect Status = "REDIRECT"
	// StatusRestart: a third-party login worked but no local account is
	// linked to it. Step.Requests are a fresh login set; start again with
	// ClientLogin (with PreserveState if CanPreserveState).
	StatusRestart Status = "RESTART"
)

// ClientLoginRequest starts an action=clientlogin flow.
type ClientLoginRequest struct {
	// ReturnURL is loginreturnurl: an absolute URL that a REDIRECT flow
	// comes back to. MediaWiki requires one even for password logins; if
	// empty, the wiki's main page URL (derived from the endpoint) is used.
	ReturnURL string
	// Fields are the authentication fields by name: "username",
	// "password", "rememberMe", "captchaWord", ... (see
	// [Client.AuthManagerInfo]). Entries with an empty value are not sent:
	// MediaWiki treats a present checkbox or button as true whatever its
	// value, so leaving one out is how to say false.
	Fields map[string]string
	// Requests limits the flow to these authentication request ids
	// (loginrequests).
	Requests []string
	// MessageFormat is loginmessageformat: "html", "wikitext" (the
	// wiki's default), "raw" (message keys) or "none".
	MessageFormat string
	// MergeRequestFields asks for one merged field list
	// (loginmergerequestfields), returned in Step.Fields.
	MergeRequestFields bool
	// PreserveState reuses the state a previous FAIL or RESTART left in
	// the session (loginpreservestate).
	PreserveState bool
}

// String never prints field values, which include the password.
func (r ClientLoginRequest) String() string {
	names := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	return fmt.Sprintf("mwauth.ClientLoginRequest{ReturnURL: %q, Fields: [%s] (values redacted)}", r.ReturnURL, strings.Join(names, " "))
}

// GoString is like String.
func (r ClientLoginRequest) GoString() string { return r.String() }

// LogValue implements [slog.LogValuer] like String, so that a handler
// that marshals exported fields (slog.JSONHandler) cannot log the values.
func (r ClientLoginRequest) LogValue() slog.Value { return slog.StringValue(r.String()) }

// Step is one answer of the clientlogin state machine. Which fields are
// set depends on Status, as each field's comment says.
type Step struct {
	// Status says what the caller does next; see the Status constants.
	Status Status
	// Username is the account logged in. PASS.
	Username string
	// Message is the wiki's explanation, in the requested format. FAIL,
	// UI, RESTART (UI may lack it on newer wikis).
	Message string
	// MessageCode is the machine-readable message key, such as
	// "oathauth-auth-ui" or "wrongpassword". FAIL, UI, RESTART.
	MessageCode string
	// CanPreserveState says whether PreserveState can reuse this
	// attempt's state. FAIL, RESTART.
	CanPreserveState bool
	// Requests are the authentication requests the wiki wants answered,
	// each with its fields. UI, REDIRECT, RESTART.
	Requests []AuthRequest
	// Fields is the merged field list when MergeRequestFields was asked.
	// UI, REDIRECT, RESTART.
	Fields []Field
	// RedirectTarget is where to send the browser. REDIRECT.
	RedirectTarget string
	// RedirectData is the provider's data for API clients, raw JSON, if
	// any. REDIRECT.
	RedirectData json.RawMessage
}

// Err returns nil unless the step is a FAIL, which it turns into a
// *[LoginError]:
//
//	if err := step.Err(); err != nil { return err }
func (s *Step) Err() error {
	if s == nil || s.Status != StatusFail {
		return nil
	}
	return &LoginError{Action: "clientlogin", Result: string(s.Status), Code: s.MessageCode,
		Message: s.Message, CanPreserveState: s.CanPreserveState}
}

// AllFields returns the fields to show for this step: the merged list if
// the wiki sent one, otherwise every request's fields in order, each name
// once (MediaWiki's field names are one flat namespace).
func (s *Step) AllFields() []Field {
	if len(s.Fields) > 0 {
		return s.Fields
	}
	return flattenFields(s.Requests)
}

func flattenFields(reqs []AuthRequest) []Field {
	var out []Field
	seen := map[string]bool{}
	for _, r := range reqs {
		for _, f := range r.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// AuthRequest is one authentication request of a step or of
// [Client.AuthManagerInfo]. Match IDs by suffix: MediaWiki's ids are PHP
// class names that change when classes move.
type AuthRequest struct {
	// ID names the request, usually a PHP class name such as
	// "MediaWiki\Auth\PasswordAuthenticationRequest".
	ID string
	// Required is "required", "primary-required" or "optional".
	Required string
	// Provider describes who asks, such as "Two-factor authentication
	// (OATH).", in the requested message format.
	Provider string
	// Account is the account the request is about, if any.
	Account string
	// Metadata is the request's metadata, raw JSON (a captcha's type, for
	// example).
	Metadata json.RawMessage
	// Fields are the request's inputs, in the server's order. Empty when
	// MergeRequestFields moved them to Step.Fields.
	Fields []Field
}

// Field is one input of an authentication request.
type Field struct {
	// Name is the parameter name to answer with, such as "OATHToken".
	Name string
	// Type is "string", "password", "select", "multiselect", "checkbox",
	// "button", "hidden" or "null" (display only).
	Type string
	// Label is the short prompt to show.
	Label string
	// Help is a longer explanation.
	Help string
	// Value is a preset or display value: the captcha question of a
	// "null" field, the id to echo back of a "hidden" one.
	Value string
	// Optional fields may be left empty.
	Optional bool
	// Sensitive fields must not be echoed or logged (passwords).
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
//     the parameters the return URL received.
//   - RESTART: start again with ClientLogin.
//
// The login token comes from the cache if [Client.AuthManagerInfo]
// fetched it. If the Client holds a bot-password session, which cannot
// log in again, ClientLogin first starts a fresh session. All fields go
// in the POST body. err is for what is not a step: transport, protocol
// and API errors.
func (c *Client) ClientLogin(ctx context.Context, req ClientLoginRequest) (*Step, error) {
	r, err := c.clientLogin(ctx, req)
	return r, opErr("clientlogin", err)
}

func (c *Client) clientLogin(ctx context.Context, req ClientLoginRequest) (*Step, error) {
	if c.oauthMode() {
		return nil, fmt.Errorf("%w: the client uses OAuth", ErrLoginNotAllowed)
	}
	returnURL := req.ReturnURL
	if returnURL == "" {
		u := *c.endpoint
		u.Path = strings.TrimSuffix(u.Path, "api.php") + "index.php"
		returnURL = u.String()
	}
	if ru, err := url.Parse(returnURL); err != nil || !ru.IsAbs() || ru.Host == "" {
		return nil, errors.New("ReturnURL must be an absolute URL")
	}
	switch req.MessageFormat {
	case "", "html", "wikitext", "raw", "none":
	default:
		return nil, fmt.Errorf("unknown MessageFormat %q", req.MessageFormat)
	}
	if err := c.lockFlow(ctx); err != nil {
		return nil, err
	}
	defer c.unlockFlow()
	fresh := false
	if st := c.state(); st.kind == sessionLogin && !req.PreserveState {
		c.newSession(false)
		fresh = true
	}
	p := url.Values{"action": {"clientlogin"}, "loginreturnurl": {returnURL}}
	for k, v := range req.Fields {
		if v != "" {
			p.Set(k, v)
		}
	}
	if len(req.Requests) > 0 {
		p.Set("loginrequests", strings.Join(req.Requests, "|"))
	}
	if req.MessageFormat != "" {
		p.Set("loginmessageformat", req.MessageFormat)
	}
	if req.MergeRequestFields {
		p.Set("loginmergerequestfields", "1")
	}
	if req.PreserveState {
		p.Set("loginpreservestate", "1")
	}
	step, err := c.clientLoginPost(ctx, p, false)
	if err == nil && step.Status == StatusFail && step.MessageCode == "userlogin-cannot-login" && !fresh && !req.PreserveState {
		// The jar held a session that cannot log in again (a bot-password
		// session loaded from a file, say). The wiki refused before trying
		// the credentials, so nothing counted against the throttle: start
		// from a fresh session, once.
		c.newSession(false)
		step, err = c.clientLoginPost(ctx, p, false)
	}
	return step, err
}

// ContinueClientLogin continues the flow after a UI or REDIRECT step with
// the answers to its fields (logincontinue). Entries with an empty value
// are not sent. It returns the next step, with the same statuses as
// [Client.ClientLogin]. If the wiki lost the session in the middle of the
// flow, the error (or the FAIL step's Err) matches [ErrSessionLost]:
// start again with ClientLogin.
//
// The flow's state lives in the session cookie, so a process that saved
// the [Jar] (or uses [WithSessionFile]) can continue a REDIRECT flow after
// a restart, for as long as the wiki keeps the session.
func (c *Client) ContinueClientLogin(ctx context.Context, fields map[string]string) (*Step, error) {
	r, err := c.continueClientLogin(ctx, fields)
	return r, opErr("clientlogin", err)
}

func (c *Client) continueClientLogin(ctx context.Context, fields map[string]string) (*Step, error) {
	if c.oauthMode() {
		return nil, fmt.Errorf("%w: the client uses OAuth", ErrLoginNotAllowed)
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
	for attempt := 0; ; attempt++ {
		tok, err := c.token(ctx, TokenLogin)
		if err != nil {
			return nil, err
		}
		p.Set("logintoken", tok)
		resp, err := c.do(ctx, request{method: http.MethodPost, params: p})
		if err != nil {
			var ae *APIError
			if errors.As(err, &ae) && ae.Code == "badtoken" {
				c.dropToken(TokenLogin, tok)
				if cont {
					// The login token is bound to the session; if it no
					// longer validates, the flow's state is gone too.
					return nil, fmt.Errorf("%w: %w", ErrSessionLost, err)
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
		if err != nil {
			return nil, err
		}
		if step.Status == StatusPass {
			c.creds = nil
			c.setLoggedIn(sessionClientLogin, step.Username, 0)
			c.saveSession(ctx)
		}
		return step, nil
	}
}

func stepFrom(r *wire.ClientLoginResult) (*Step, error) {
	s := &Step{
		Status:           Status(r.Status),
		Username:         r.Username,
		Message:          string(r.Message),
		MessageCode:      r.MessageCode,
		CanPreserveState: bool(r.CanPreserveState),
		RedirectTarget:   r.RedirectTarget,
		Requests:         requestsFrom(r.Requests),
		Fields:           fieldsFrom(r.Fields),
	}
	if len(r.RedirectData) > 0 && string(r.RedirectData) != "null" {
		s.RedirectData = r.RedirectData
	}
	switch s.Status {
	case StatusPass:
		if s.Username == "" {
			return nil, protoErr("clientlogin: PASS without username")
		}
	case StatusFail, StatusUI, StatusRestart:
	case StatusRedirect:
		if s.RedirectTarget == "" {
			return nil, protoErr("clientlogin: REDIRECT without redirecttarget")
		}
	default:
		return nil, protoErr("clientlogin: unknown status %q", wire.Snippet([]byte(r.Status)))
	}
	return s, nil
}

func requestsFrom(in []wire.AuthRequest) []AuthRequest {
	if len(in) == 0 {
		return nil
	}
	out := make([]AuthRequest, len(in))
	for i, r := range in {
		out[i] = AuthRequest{ID: r.ID, Required: r.Required, Provider: string(r.Provider),
			Account: string(r.Account), Metadata: r.Metadata, Fields: fieldsFrom(r.Fields)}
	}
	return out
}

func fieldsFrom(in wire.OrderedFields) []Field {
	if len(in) == 0 {
		return nil
	}
	out := make([]Field, len(in))
	for i, f := range in {
		out[i] = Field{Name: f.Name, Type: f.Type, Label: string(f.Label), Help: string(f.Help),
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

// AuthInfoRequest asks [Client.AuthManagerInfo] what the wiki needs.
type AuthInfoRequest struct {
	// For is amirequestsfor: "login" (the fields a login needs now,
	// captcha included), "login-continue" (those of the pending step), or
	// empty for only the capability flags.
	For string
	// MergeRequestFields asks for one merged field list.
	MergeRequestFields bool
	// MessageFormat: "html", "wikitext", "raw" or "none".
	MessageFormat string
	// SecuritySensitiveOperation, if set, asks whether that operation
	// (for example "ChangeEmail") may run now without re-authenticating.
	SecuritySensitiveOperation string
}

// AuthInfo is meta=authmanagerinfo's answer.
type AuthInfo struct {
	// CanAuthenticateNow is false when the session cannot log in (an
	// OAuth or bot-password session).
	CanAuthenticateNow bool
	// CanCreateAccounts and CanLinkAccounts report the wiki's
	// capabilities for this session.
	CanCreateAccounts bool
	CanLinkAccounts   bool
	// SecuritySensitiveStatus is "ok", "reauth" or "fail" when
	// SecuritySensitiveOperation was asked.
	SecuritySensitiveStatus string
	// HasPreservedState, HasPrimaryPreservedState and PreservedUsername
	// describe state a FAIL or RESTART left for PreserveState.
	HasPreservedState        bool
	HasPrimaryPreservedState bool
	PreservedUsername        string
	// Requests are the authentication requests of the asked stage.
	Requests []AuthRequest
	// Fields is the merged field list when MergeRequestFields was asked.
	Fields []Field
}

// AllFields returns the merged fields if present, otherwise every
// request's fields, each name once.
func (a *AuthInfo) AllFields() []Field {
	if len(a.Fields) > 0 {
		return a.Fields
	}
	return flattenFields(a.Requests)
}

// AuthManagerInfo asks the wiki which authentication requests and fields
// a login needs (meta=authmanagerinfo), so a program can build its form
// before the first clientlogin. For "login" it fetches the login token in
// the same request and caches it, so discovering the fields costs no
// extra round trip.
func (c *Client) AuthManagerInfo(ctx context.Context, req AuthInfoRequest) (*AuthInfo, error) {
	r, err := c.authManagerInfo(ctx, req)
	return r, opErr("authmanagerinfo", err)
}

func (c *Client) authManagerInfo(ctx context.Context, req AuthInfoRequest) (*AuthInfo, error) {
	switch req.For {
	case "", "login", "login-continue":
	default:
		return nil, fmt.Errorf("unsupported For %q", req.For)
	}
	epoch := c.state().epoch
	p := url.Values{"action": {"query"}, "meta": {"authmanagerinfo"}}
	withToken := req.For == "login" && !c.oauthMode()
	if withToken {
		p.Set("meta", "authmanagerinfo|tokens")
		p.Set("type", "login")
	}
	if req.For != "" {
		p.Set("amirequestsfor", req.For)
	}
	if req.MergeRequestFields {
		p.Set("amimergerequestfields", "1")
	}
	if req.MessageFormat != "" {
		p.Set("amimessageformat", req.MessageFormat)
	}
	if req.SecuritySensitiveOperation != "" {
		p.Set("amisecuritysensitiveoperation", req.SecuritySensitiveOperation)
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, params: p})
	if err != nil {
		return nil, err
	}
	var q wire.Query
	if err := resp.member("query", &q); err != nil {
		return nil, err
	}
	a := q.AuthManagerInfo
	if a == nil {
		return nil, protoErr("authmanagerinfo: no authmanagerinfo object")
	}
	if tok := q.Tokens["logintoken"]; withToken && tok != "" {
		c.storeToken(TokenLogin, tok, epoch)
	}
	return &AuthInfo{
		CanAuthenticateNow:       bool(a.CanAuthenticateNow),
		CanCreateAccounts:        bool(a.CanCreateAccounts),
		CanLinkAccounts:          bool(a.CanLinkAccounts),
		SecuritySensitiveStatus:  a.SecuritySensitiveStatus,
		HasPreservedState:        bool(a.HasPreservedState),
		HasPrimaryPreservedState: bool(a.HasPrimaryPreservedState),
		PreservedUsername:        a.PreservedUsername,
		Requests:                 requestsFrom(a.Requests),
		Fields:                   fieldsFrom(a.Fields),
	}, nil
}
