package mwauth

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors. The typed errors ([*APIError], [*LoginError],
// [*ResponseError]) match them with [errors.Is] by MediaWiki's own codes,
// never by English text:
//
//	if errors.Is(err, mwauth.ErrWrongCredentials) { ... }
var (
	// ErrLoginFailed matches every failed login of either kind: every
	// *LoginError is one.
	ErrLoginFailed = errors.New("mwauth: login failed")

	// ErrWrongCredentials: the wiki refused the username or password
	// (wrongpassword, nosuchuser, ...). MediaWiki deliberately gives the
	// same answer for a wrong bot password, an unknown bot name and a
	// missing or wrong captcha.
	ErrWrongCredentials = errors.New("mwauth: wrong username or password")

	// ErrThrottled: too many recent login attempts (login-throttled).
	// LoginError.Wait says how long the wiki asks to wait.
	ErrThrottled = errors.New("mwauth: login throttled")

	// ErrInteractionRequired: action=login cannot log this account in
	// (two-factor, a password reset, a session that cannot log in): use a
	// bot password or [Client.ClientLogin].
	ErrInteractionRequired = errors.New("mwauth: login requires interaction")

	// ErrNotLoggedIn: the Client acts as a user but holds no live session
	// and cannot log in by itself: an assert failed (assertuserfailed,
	// assertbotfailed, ...) and there is no WithBotPassword to log in
	// again with, the Client logged out, or a saved session expired.
	ErrNotLoggedIn = errors.New("mwauth: not logged in")

	// ErrOAuth: the wiki rejected the OAuth credentials (mwoauth-* codes),
	// or an OAuth Client was asked to log in or out.
	ErrOAuth = errors.New("mwauth: oauth")

	// ErrUnexpectedResponse: the server sent what is not a valid answer
	// of the protocol (an HTML page, truncated JSON, a body over 8 MiB, an
	// unknown login result, an unsafe redirect target), answered with an
	// HTTP redirect the Client refuses to follow (any redirect of a POST,
	// which would lose its body, and any to another host or from https to
	// http), or kept a login going past [Client.RunClientLogin]'s step
	// cap.
	ErrUnexpectedResponse = errors.New("mwauth: unexpected response")

	// ErrSessionFile: the session file could not be read or written
	// (corrupt, another wiki's, readable by others, locked too long, a
	// missing or read-only directory).
	ErrSessionFile = errors.New("mwauth: session file")

	// ErrInsecureHTTP: New refused a plain http endpoint on a host that is
	// not loopback (see [WithInsecureHTTP]).
	ErrInsecureHTTP = errors.New("mwauth: insecure http")

	// ErrInvalidArgument: an option or argument cannot work (an empty
	// value, a control character, options that conflict).
	ErrInvalidArgument = errors.New("mwauth: invalid argument")
)

// Lengths of the wiki's text kept in errors.
const (
	infoLen    = 300
	snippetLen = 300
)

// APIError is an error answer of api.php: MediaWiki's "errors" entry. The
// wiki sends these with HTTP 200.
type APIError struct {
	// Code is MediaWiki's error code, such as "badtoken", "maxlag" or
	// "assertuserfailed". Match on it, never on Info.
	Code string
	// Info is the wiki's text, without control characters, at most 300
	// bytes. It never contains request parameters.
	Info string

	module        string
	retryAfter    time.Duration
	hasRetryAfter bool
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Info == "" {
		return e.Code
	}
	return e.Code + ": " + e.Info
}

// Is maps MediaWiki's codes to this package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotLoggedIn:
		switch e.Code {
		case "assertuserfailed", "assertbotfailed", "assertnameduserfailed", "notloggedin", "mustbeloggedin":
			return true
		}
	case ErrOAuth:
		return strings.HasPrefix(e.Code, "mwoauth-")
	}
	return false
}

// LoginError is a failed login: action=login's Failed, Aborted,
// WrongToken or unknown result, or action=clientlogin's FAIL (see
// [Step.Err]). It matches [ErrLoginFailed] and, by code, the more precise
// sentinels.
type LoginError struct {
	// Result is the wiki's result or status: "Failed", "Aborted",
	// "WrongToken", "FAIL", ...
	Result string
	// Code is the machine-readable reason (action=login's reason code,
	// clientlogin's messagecode), such as "wrongpassword".
	Code string
	// Message is the wiki's text, without control characters; empty for
	// action=login, which mwauth asks for machine-readable reasons.
	Message string
	// Wait is how long the wiki asks to wait before the next attempt (a
	// throttle), 0 when it said nothing. action=login always gives it;
	// clientlogin with MessageFormat FormatRaw.
	Wait time.Duration

	action string
}

// Error implements error.
func (e *LoginError) Error() string {
	s := e.Result
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Is maps the reason code to this package's sentinels.
func (e *LoginError) Is(target error) bool {
	switch target {
	case ErrLoginFailed:
		return true
	case ErrWrongCredentials:
		switch e.Code {
		case "wrongpassword", "wrongpasswordempty", "nosuchuser", "invaliduser", "noname",
			"authmanager-authn-no-primary", "botpasswords-not-exist", "botpasswords-invalid-name":
			return true
		}
	case ErrThrottled:
		return e.Code == "login-throttled"
	case ErrInteractionRequired:
		switch e.Code {
		case "api-login-fail-aborted", "api-login-fail-aborted-nobotpw", "api-login-fail-badsessionprovider",
			"userlogin-cannot-login", "api-login-fail-sameorigin":
			return true
		}
	case ErrUnexpectedResponse:
		// A result no MediaWiki since 1.27 sends (old servers said
		// "Throttled", "WrongPass", ...): not the protocol spoken here.
		if e.action == "login" {
			switch e.Result {
			case "Success", "NeedToken", "WrongToken", "Failed", "Aborted":
				return false
			}
			return true
		}
	}
	return false
}

// definitive reports whether the wiki refused the credentials for good,
// so that trying them again by itself would be wrong. A throttle is not.
func (e *LoginError) definitive() bool {
	return e.Result == "Aborted" || errors.Is(e, ErrWrongCredentials) || errors.Is(e, ErrInteractionRequired)
}

// ResponseError is an answer that is not a usable api.php answer: a
// non-JSON body (an HTML error page from a proxy), a non-200 status,
// truncated or malformed JSON, or a body over 8 MiB. It matches
// [ErrUnexpectedResponse].
type ResponseError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Snippet is at most 300 bytes of the body, without control
	// characters, when it is not an api.php answer (which may hold a
	// token); empty otherwise.
	Snippet string

	reason      string
	contentType string
	tooLarge    bool
}

// Error implements error.
func (e *ResponseError) Error() string {
	return fmt.Sprintf("http %d: %s", e.StatusCode, e.reason)
}

// Is reports whether target is ErrUnexpectedResponse.
func (e *ResponseError) Is(target error) bool { return target == ErrUnexpectedResponse }

// protocolError is an answer that breaks the protocol (an unknown status,
// a missing field). It matches ErrUnexpectedResponse.
type protocolError struct{ msg string }

func (e *protocolError) Error() string        { return "unexpected response: " + e.msg }
func (e *protocolError) Is(target error) bool { return target == ErrUnexpectedResponse }

func protoErr(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// invalid is an ErrInvalidArgument with a reason.
func invalid(reason string) error { return fmt.Errorf("%w: %s", ErrInvalidArgument, reason) }

// opError prefixes an operation's error once: "mwauth: login: <cause>".
type opError struct {
	op  string
	err error
}

// Error prefixes the cause once: a cause that is itself one of this
// package's sentinels (which start with "mwauth: ") loses that prefix.
func (e *opError) Error() string {
	return "mwauth: " + e.op + ": " + strings.TrimPrefix(e.err.Error(), "mwauth: ")
}
func (e *opError) Unwrap() error { return e.err }

// opErr prefixes the error of an exported operation, once; nil stays
// nil.
func opErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var oe *opError
	if errors.As(err, &oe) {
		return err
	}
	return &opError{op: op, err: err}
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if isControl(r) {
			return true
		}
	}
	return false
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f)
}

// sanitize makes text from the wiki safe for an error string or a
// terminal: escape sequences and control characters are removed (line
// breaks and tabs become spaces), as are Unicode bidirectional overrides,
// invalid UTF-8 becomes U+FFFD, and the result is cut to at most max
// bytes.
func sanitize(s string, max int) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean && len(s) <= max {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b || r == 0x9b:
			i += n + escapeLen(s[i+n:], r == 0x1b)
			continue
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case isControl(r) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		default:
			b.WriteRune(r)
		}
		i += n
	}
	out := strings.TrimSpace(b.String())
	if len(out) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		out = out[:cut] + "…"
	}
	return out
}

// escapeLen is the length of the rest of an escape sequence after ESC
// (esc) or a C1 CSI: a CSI "[...final", an OSC "]...BEL or ST", or one
// character.
func escapeLen(s string, esc bool) int {
	if esc {
		if s == "" {
			return 0
		}
		switch s[0] {
		case '[':
			return 1 + csiLen(s[1:])
		case ']', 'P', '_', '^':
			for i := 1; i < len(s); i++ {
				if s[i] == 0x07 {
					return i + 1
				}
				if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
					return i + 2
				}
			}
			return len(s)
		}
		return 1
	}
	return csiLen(s)
}

// csiLen is the length of a CSI sequence's parameters and final byte.
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x40 && s[i] <= 0x7e {
			return i + 1
		}
		if s[i] < 0x20 || s[i] > 0x3f && s[i] < 0x40 {
			return i
		}
	}
	return len(s)
}
