// Package wire pins the request format that mwauth sends to api.php and
// decodes MediaWiki's responses: the error envelope, warnings, and the
// message objects of errorformat=raw. Nothing here is part of the public
// API.
//
// Every request pins formatversion=2 and errorformat=plaintext (or raw),
// yet the decoders also accept the formatversion 1 and errorformat=bc
// shapes ("*" texts, present-means-true booleans, one "error" object):
// a proxy or an old or misconfigured wiki may answer in them, and reading
// them keeps such an answer a typed error instead of a misread success.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Pinned request parameters. formatversion=2 gives real JSON booleans;
// errorformat=plaintext gives every error and warning a machine-readable
// code, and makes action=login's reason an object with a code.
const (
	Format        = "json"
	FormatVersion = "2"
	ErrorFormat   = "plaintext"
)

// MaxBody bounds a response body. An api.php answer of a bot is rarely
// over a few hundred KiB; a larger body is a misbehaving server.
const MaxBody = 8 << 20

// SnippetLen is how much of an unusable body an error keeps.
const SnippetLen = 512

// Pin sets the format parameters on v, overriding anything the caller set.
// The values are shared, read-only slices, so pinning allocates nothing:
// v's values must not be modified afterwards.
func Pin(v url.Values) {
	v["format"], v["formatversion"], v["errorformat"] = pinFormat, pinFormatVersion, pinErrorFormat
}

var (
	pinFormat        = []string{Format}
	pinFormatVersion = []string{FormatVersion}
	pinErrorFormat   = []string{ErrorFormat}
)

// Message is one entry of "errors" or "warnings" in a non-BC errorformat,
// or the BC "error" object.
type Message struct {
	Code   string          `json:"code"`
	Text   string          `json:"text"`
	Module string          `json:"module"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// UnmarshalJSON accepts both "text" (fv2), "*" (fv1) and "info" (BC).
func (m *Message) UnmarshalJSON(b []byte) error {
	var raw struct {
		Code   string          `json:"code"`
		Text   *string         `json:"text"`
		Star   *string         `json:"*"`
		Info   *string         `json:"info"`
		HTML   *string         `json:"html"`
		Module string          `json:"module"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	m.Code, m.Module, m.Data = raw.Code, raw.Module, raw.Data
	for _, s := range []*string{raw.Text, raw.Star, raw.Info, raw.HTML} {
		if s != nil {
			m.Text = *s
			break
		}
	}
	return nil
}

// Envelope is the generic part of every api.php response.
type Envelope struct {
	Errors   []Message
	Warnings []Message
	// Raw is the whole response body.
	Raw json.RawMessage
	// members are the body's top-level members, split once by DecodeJSON
	// so that a module's answer is decoded without parsing the body again.
	members map[string]json.RawMessage
}

// Member decodes the top-level member name ("login", "query", ...) into
// v. It reports false, and leaves v alone, when the body has no such
// member.
func (e *Envelope) Member(name string, v any) (bool, error) {
	raw, ok := e.members[name]
	if !ok || string(raw) == "null" {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// BodyErrorKind says why a body could not be used.
type BodyErrorKind int

// Kinds of unusable bodies.
const (
	NotJSON BodyErrorKind = iota + 1
	BadJSON
	TooLarge
	BadStatus
)

// BodyError reports an HTTP response that is not a usable API answer.
type BodyError struct {
	Kind        BodyErrorKind
	StatusCode  int
	ContentType string
	Snippet     string
	Limit       int64
	Err         error
}

func (e *BodyError) Error() string {
	switch e.Kind {
	case TooLarge:
		return fmt.Sprintf("response body exceeds %d bytes", e.Limit)
	case BadJSON:
		return fmt.Sprintf("malformed JSON (HTTP %d): %v", e.StatusCode, e.Err)
	case BadStatus:
		return fmt.Sprintf("HTTP %d (%s)", e.StatusCode, e.ContentType)
	default:
		return fmt.Sprintf("non-JSON response (HTTP %d, %s)", e.StatusCode, e.ContentType)
	}
}

func (e *BodyError) Unwrap() error { return e.Err }

// ReadBody reads at most limit bytes of resp.Body and fails with TooLarge
// if one byte more arrives. The body is drained a little and closed.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer func() {
		// Drain a few KiB so the connection can be reused, then close.
		_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
		resp.Body.Close()
	}()
	if resp.ContentLength > limit {
		// Refuse before reading: the server announced too much.
		return nil, &BodyError{Kind: TooLarge, StatusCode: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &BodyError{Kind: TooLarge, StatusCode: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Limit: limit, Snippet: Snippet(b)}
	}
	return b, nil
}

// Snippet returns a short printable prefix of b for error messages.
func Snippet(b []byte) string {
	if len(b) > SnippetLen {
		b = b[:SnippetLen]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, s)
}

// Decode checks the status and Content-Type of a response whose body was
// read into b, and decodes the envelope.
func Decode(status int, contentType string, b []byte) (*Envelope, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	isJSON := mt == "application/json" || strings.HasSuffix(mt, "+json")
	if !isJSON {
		kind := NotJSON
		if status != http.StatusOK {
			kind = BadStatus
		}
		return nil, &BodyError{Kind: kind, StatusCode: status, ContentType: contentType, Snippet: Snippet(b)}
	}
	env, err := DecodeJSON(b)
	if err != nil {
		return nil, &BodyError{Kind: BadJSON, StatusCode: status, ContentType: contentType, Snippet: Snippet(b), Err: err}
	}
	if status != http.StatusOK && len(env.Errors) == 0 {
		return nil, &BodyError{Kind: BadStatus, StatusCode: status, ContentType: contentType, Snippet: Snippet(b)}
	}
	return env, nil
}

// DecodeJSON decodes the envelope of a JSON body. The body must be one
// JSON object and nothing else.
func DecodeJSON(b []byte) (*Envelope, error) {
	var top map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&top); err != nil {
		return nil, err
	}
	if top == nil {
		return nil, errors.New("response is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON object")
	}
	env := &Envelope{Raw: b, members: top}
	if raw, ok := top["errors"]; ok {
		if err := json.Unmarshal(raw, &env.Errors); err != nil {
			return nil, fmt.Errorf("errors: %w", err)
		}
	}
	if raw, ok := top["error"]; ok {
		// errorformat=bc: one error object, its data merged in.
		var m Message
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("error: %w", err)
		}
		env.Errors = append(env.Errors, m)
	}
	if raw, ok := top["warnings"]; ok {
		w, err := decodeWarnings(raw)
		if err != nil {
			return nil, fmt.Errorf("warnings: %w", err)
		}
		env.Warnings = w
	}
	return env, nil
}

// decodeWarnings accepts the array form (non-BC errorformat) and the BC
// object form {"module":{"warnings"|"*":"line\nline"}}.
func decodeWarnings(raw json.RawMessage) ([]Message, error) {
	var list []Message
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var obj map[string]map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	for module, m := range obj {
		for _, k := range []string{"warnings", "*"} {
			if s, ok := m[k].(string); ok {
				for _, line := range strings.Split(s, "\n") {
					list = append(list, Message{Module: module, Text: line})
				}
			}
		}
	}
	return list, nil
}

// Bool decodes an API boolean in either formatversion: fv2 sends true and
// false, fv1 sends "" for true and omits false.
type Bool bool

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bool) UnmarshalJSON(p []byte) error {
	switch string(p) {
	case "true":
		*b = true
	case "false", "null":
		*b = false
	default:
		var s string
		if err := json.Unmarshal(p, &s); err != nil {
			// The value is not quoted: a server's bytes stay out of errors.
			return errors.New("bad boolean")
		}
		*b = true // fv1: present means true
	}
	return nil
}

// Text decodes a message that is a string in most message formats and an
// object {"key","params"} with loginmessageformat=raw. Objects are kept as
// their key.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(p []byte) error {
	if len(p) > 0 && p[0] == '{' {
		var o struct {
			Key    string            `json:"key"`
			Params []json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(p, &o); err != nil {
			return err
		}
		*t = Text(o.Key)
		// A raw text, not a message: "$1" on MediaWiki 1.39, "rawmessage"
		// on 1.43, with the text as the first parameter.
		if (o.Key == "$1" || o.Key == "rawmessage") && len(o.Params) > 0 {
			var s string
			if json.Unmarshal(o.Params[0], &s) == nil {
				*t = Text(s)
			} else {
				*t = ""
			}
		}
		return nil
	}
	if string(p) == "null" {
		*t = ""
		return nil
	}
	var s string
	if err := json.Unmarshal(p, &s); err != nil {
		return err
	}
	*t = Text(s)
	return nil
}

// Reason is action=login's reason: a string in BC mode, an object with a
// code otherwise.
type Reason struct {
	Code string
	Text string
	// Params are the message's parameters (errorformat=raw only).
	Params json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *Reason) UnmarshalJSON(p []byte) error {
	if len(p) > 0 && p[0] == '{' {
		var m Message
		if err := json.Unmarshal(p, &m); err != nil {
			return err
		}
		var raw struct {
			Key    string          `json:"key"`
			Params json.RawMessage `json:"params"`
		}
		if err := json.Unmarshal(p, &raw); err != nil {
			return err
		}
		r.Code, r.Text, r.Params = m.Code, m.Text, raw.Params
		if r.Code == "" {
			r.Code = raw.Key
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(p, &s); err != nil {
		return err
	}
	r.Text = s
	return nil
}

// Duration finds a {"duration": seconds} parameter among a raw
// message's params (MediaWiki's Message::durationParam), as the throttle
// messages carry the wait; 0 when there is none.
func Duration(params json.RawMessage) int64 {
	var ps []json.RawMessage
	if len(params) == 0 || json.Unmarshal(params, &ps) != nil {
		return 0
	}
	for _, p := range ps {
		var d struct {
			Duration *int64 `json:"duration"`
		}
		if json.Unmarshal(p, &d) == nil && d.Duration != nil && *d.Duration > 0 {
			return *d.Duration
		}
	}
	return 0
}

// Query is the "query" member of the action=query answers mwauth reads.
type Query struct {
	Tokens          map[string]string `json:"tokens"`
	UserInfo        *UserInfo         `json:"userinfo"`
	AuthManagerInfo *AuthManagerInfo  `json:"authmanagerinfo"`
}

// UserInfo is query.userinfo.
type UserInfo struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Anon Bool   `json:"anon"`
}

// Anonymous reports whether the user is logged out.
func (u *UserInfo) Anonymous() bool { return bool(u.Anon) || u.ID == 0 }

// Login is the "login" member of action=login's answer.
type Login struct {
	Result     string  `json:"result"`
	Reason     *Reason `json:"reason"`
	Token      string  `json:"token"`
	LgUserID   int     `json:"lguserid"`
	LgUsername string  `json:"lgusername"`
}

// Field is one field of an authentication request.
type Field struct {
	Type      string          `json:"type"`
	Label     Text            `json:"label"`
	Help      Text            `json:"help"`
	Optional  Bool            `json:"optional"`
	Sensitive Bool            `json:"sensitive"`
	Value     json.RawMessage `json:"value"`
	Options   OrderedStrings  `json:"options"`
}

// AuthRequest is one element of requests[].
type AuthRequest struct {
	ID       string          `json:"id"`
	Metadata json.RawMessage `json:"metadata"`
	Required string          `json:"required"`
	Provider Text            `json:"provider"`
	Account  Text            `json:"account"`
	Fields   OrderedFields   `json:"fields"`
}

// ClientLoginResult is the "clientlogin" member of action=clientlogin's
// answer.
type ClientLoginResult struct {
	Status           string          `json:"status"`
	Username         string          `json:"username"`
	Message          Text            `json:"message"`
	MessageCode      string          `json:"messagecode"`
	CanPreserveState Bool            `json:"canpreservestate"`
	RedirectTarget   string          `json:"redirecttarget"`
	RedirectData     json.RawMessage `json:"redirectdata"`
	Requests         []AuthRequest   `json:"requests"`
	Fields           OrderedFields   `json:"fields"`
}

// AuthManagerInfo is query.authmanagerinfo.
type AuthManagerInfo struct {
	CanAuthenticateNow       Bool          `json:"canauthenticatenow"`
	CanCreateAccounts        Bool          `json:"cancreateaccounts"`
	CanLinkAccounts          Bool          `json:"canlinkaccounts"`
	SecuritySensitiveStatus  string        `json:"securitysensitiveoperationstatus"`
	HasPreservedState        Bool          `json:"haspreservedstate"`
	HasPrimaryPreservedState Bool          `json:"hasprimarypreservedstate"`
	PreservedUsername        string        `json:"preservedusername"`
	Requests                 []AuthRequest `json:"requests"`
	Fields                   OrderedFields `json:"fields"`
}
