package mwauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Typed errors ([*APIError], [*LoginError], [*HTTPError])
// match them with [errors.Is] by MediaWiki's own codes, never by English
// text, so callers can branch without inspecting fields:
//
//	if errors.Is(err, mwauth.ErrWrongCredentials) { ... }
var (
	// ErrLoginFailed matches every failed login of either kind
	// (action=login and action=clientlogin): every *LoginError is one.
	ErrLoginFailed = errors.New("mwauth: login failed")

	// ErrWrongCredentials: the wiki refused the username or password
	// (wrongpassword, wrongpasswordempty, nosuchuser, ...). MediaWiki
	// deliberately gives the same answer for a wrong bot password, an
	// unknown bot name and a missing or wrong captcha.
	ErrWrongCredentials = errors.New("mwauth: wrong username or password")

	// ErrThrottled: too many recent login attempts (login-throttled).
	// Retrying makes it worse; wait minutes, not seconds.
	ErrThrottled = errors.New("mwauth: login throttled")

	// ErrInteractionRequired: action=login was aborted because the account
	// needs a step that only action=clientlogin can do (two-factor, a
	// password reset, a captcha UI). Use a bot password or
	// [Client.ClientLogin].
	ErrInteractionRequired = errors.New("mwauth: login requires interaction")

	// ErrLoginNotAllowed: the current session cannot log in at all, for
	// example an OAuth session (api-login-fail-badsessionprovider,
	// userlogin-cannot-login), or the client is in OAuth mode.
	ErrLoginNotAllowed = errors.New("mwauth: this session cannot log in")

	// ErrSessionLost: the wiki no longer knows the session the request
	// belonged to (sessionlost, authmanager-authn-not-in-progress, a
	// badtoken in the middle of a login flow). Start again from the
	// beginning.
	ErrSessionLost = errors.New("mwauth: session lost")

	// ErrBadToken: the wiki refused a token (badtoken, WrongToken) even
	// after the one automatic refresh.
	ErrBadToken = errors.New("mwauth: bad token")

	// ErrNotLoggedIn: an assert failed (assertuserfailed, assertbotfailed,
	// assertnameduserfailed) or the wiki says the user is not logged in.
	ErrNotLoggedIn = errors.New("mwauth: not logged in")

	// ErrLoginRequired: the session was lost and cannot be re-established
	// without a person (it came from clientlogin, or no credentials are
	// kept). Run the interactive login again.
	ErrLoginRequired = errors.New("mwauth: interactive login required")

	// ErrReadOnly: the wiki is in read-only mode (readonly).
	ErrReadOnly = errors.New("mwauth: wiki is read-only")

	// ErrRateLimited: the user hit a rate limit (ratelimited).
	ErrRateLimited = errors.New("mwauth: rate limited")

	// ErrMaxLag: the replication lag stayed above the maxlag the client
	// sent, after the configured retries (maxlag).
	ErrMaxLag = errors.New("mwauth: database lagged")

	// ErrOAuth: the wiki rejected the OAuth credentials
	// (mwoauth-invalid-authorization and related codes, or a 401 with
	// WWW-Authenticate: Bearer error="invalid_token").
	ErrOAuth = errors.New("mwauth: oauth authorization rejected")

	// ErrTooManySteps: [Client.RunClientLogin] gave up after its step cap.
	ErrTooManySteps = errors.New("mwauth: too many login steps")

	// ErrUnexpectedResponse: the server sent something that is not a valid
	// answer of the protocol (an HTML page, truncated JSON, an unknown
	// login result or status, a missing field).
	ErrUnexpectedResponse = errors.New("mwauth: unexpected response")

	// ErrBodyTooLarge: the response body exceeded the size limit. It is
	// also an ErrUnexpectedResponse.
	ErrBodyTooLarge = errors.New("mwauth: response body too large")

	// ErrSessionFile: a saved session file could not be used (corrupt,
	// truncated, unknown version, another wiki's, or readable by group or
	// others).
	ErrSessionFile = errors.New("mwauth: unusable session file")
)

// APIError is an error answer of api.php: MediaWiki's "errors" entry (or
// the "error" object of errorformat=bc). The wiki sends these with HTTP
// 200, so they are not transport errors.
type APIError struct {
	// Code is MediaWiki's error code, such as "badtoken" or
	// "assertuserfailed". Match on it, never on Info.
	Code string
	// Info is the wiki's human-readable text. It never contains request
	// parameters.
	Info string
	// Module is the module that raised it ("main" for asserts and maxlag).
	Module string
	// Data is the error's extra data, if any (raw JSON).
	Data json.RawMessage
	// RetryAfter is the wait the server asked for (maxlag), if any.
	RetryAfter time.Duration
	// Others holds further errors of the same response, if the wiki
	// sent several.
	Others []*APIError

	hasRetryAfter bool
}

// Error implements error.
func (e *APIError) Error() string {
	if e.Info == "" {
		return "api error " + e.Code
	}
	return fmt.Sprintf("api error %s: %s", e.Code, e.Info)
}

// Is maps MediaWiki's codes to this package's sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrBadToken:
		return e.Code == "badtoken" || e.Code == "notoken"
	case ErrNotLoggedIn:
		switch e.Code {
		case "assertuserfailed", "assertbotfailed", "assertnameduserfailed", "notloggedin", "mustbeloggedin":
			return true
		}
	case ErrReadOnly:
		return e.Code == "readonly"
	case ErrRateLimited:
		return e.Code == "ratelimited"
	case ErrMaxLag:
		return e.Code == "maxlag"
	case ErrOAuth:
		return len(e.Code) > len("mwoauth-") && e.Code[:len("mwoauth-")] == "mwoauth-"
	case ErrLoginNotAllowed:
		return e.Code == "cannotlogout"
	}
	return false
}

// LoginError is a failed login: action=login's Failed, Aborted,
// WrongToken or unknown result, or action=clientlogin's FAIL (see
// [Step.Err]). It matches [ErrLoginFailed] and, by code, the more precise
// sentinels.
type LoginError struct {
	// Action is "login" or "clientlogin".
	Action string
	// Result is the wiki's result or status: "Failed", "Aborted",
	// "WrongToken", "FAIL", ...
	Result string
	// Code is the machine-readable reason (action=login's reason code or
	// clientlogin's messagecode), such as "wrongpassword".
	Code string
	// Message is the wiki's human-readable reason.
	Message string
	// CanPreserveState is clientlogin's canpreservestate.
	CanPreserveState bool
}

// Error implements error.
func (e *LoginError) Error() string {
	s := e.Action + " " + e.Result
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
		return e.Code == "api-login-fail-aborted" || e.Code == "api-login-fail-aborted-nobotpw"
	case ErrLoginNotAllowed:
		switch e.Code {
		case "api-login-fail-badsessionprovider", "userlogin-cannot-login", "api-login-fail-sameorigin":
			return true
		}
	case ErrSessionLost:
		switch e.Code {
		case "sessionlost", "authpage-cannot-login-continue", "authmanager-authn-not-in-progress":
			return true
		}
	case ErrBadToken:
		return e.Result == "WrongToken" || e.Result == "NeedToken"
	case ErrUnexpectedResponse:
		// A result no MediaWiki since 1.27 sends (old servers said
		// "Throttled", "WrongPass", ...): a failure, and not the protocol
		// this package speaks.
		if e.Action == "login" {
			switch e.Result {
			case "Success", "NeedToken", "WrongToken", "Failed", "Aborted":
				return false
			}
			return true
		}
	}
	return false
}

// HTTPError is a response that is not a usable api.php answer: a non-JSON
// body (an HTML error page from a proxy), a non-200 status, truncated or
// malformed JSON, or a body over the size limit. It matches
// [ErrUnexpectedResponse], and [ErrBodyTooLarge] when the limit was hit.
type HTTPError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// ContentType is the answer's Content-Type header.
	ContentType string
	// Snippet is at most 512 bytes of the body, with control characters
	// replaced. Bodies of api.php answers are never kept, so no token can
	// leak through it; an HTML error page is.
	Snippet string
	// Reason says what was wrong, in a few words.
	Reason   string
	tooLarge bool
	err      error
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("http %d: %s", e.StatusCode, e.Reason)
}

// Is reports whether target is ErrUnexpectedResponse or, for an oversize
// body, ErrBodyTooLarge.
func (e *HTTPError) Is(target error) bool {
	return target == ErrUnexpectedResponse || (target == ErrBodyTooLarge && e.tooLarge)
}

// Unwrap returns the decoding error, if any.
func (e *HTTPError) Unwrap() error { return e.err }

// protocolError is an answer that breaks the protocol (an unknown status,
// a missing field). It matches ErrUnexpectedResponse.
type protocolError struct{ msg string }

func (e *protocolError) Error() string        { return "unexpected response: " + e.msg }
func (e *protocolError) Is(target error) bool { return target == ErrUnexpectedResponse }

func protoErr(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

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
	if errors.As(err, &oe) && oe.op == op {
		return err
	}
	return &opError{op: op, err: err}
}
