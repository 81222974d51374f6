package oauth1

// verify_test.go is the server side of OAuth 1.0a, used only by this
// package's tests to check what Sign produces: it parses an Authorization
// header and verifies a request's signature.

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Errors of ParseHeader and VerifyRequest; test for them with errors.Is.
var (
	// ErrBadHeader means the Authorization header is absent, is not an
	// OAuth header, is malformed, or names an unsupported signature
	// method or version.
	ErrBadHeader = errors.New("oauth1: bad Authorization header")
	// ErrInvalidSignature means the signature does not match the request
	// and secrets.
	ErrInvalidSignature = errors.New("oauth1: invalid signature")
)

// percentDecode reverses percentEncode. Every '%' must start a two-digit
// hex escape; other bytes are taken literally and '+' is not a space.
func percentDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("truncated escape in %q", s)
		}
		hi, ok1 := fromHex(s[i+1])
		lo, ok2 := fromHex(s[i+2])
		if !ok1 || !ok2 {
			return "", fmt.Errorf("invalid escape in %q", s)
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseHeader parses the value of an "Authorization: OAuth ..." header
// (RFC 5849 section 3.5.1) into its parameters, percent-decoded. The
// scheme name is matched case-insensitively; parameters are name="value"
// pairs separated by commas, with optional white space around the commas
// and the '='. realm, when present, is returned like the other parameters.
//
// Errors wrap [ErrBadHeader]: another scheme, no parameters, a syntax
// error, an invalid percent escape or a repeated parameter.
func ParseHeader(h string) (map[string]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadHeader}, args...)...)
	}
	h = strings.TrimLeft(h, " \t")
	end := strings.IndexAny(h, " \t")
	if end < 0 {
		end = len(h)
	}
	if !strings.EqualFold(h[:end], "OAuth") {
		return nil, bad("not an OAuth header")
	}
	s := h[end:]
	i := 0
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	params := make(map[string]string)
	for {
		skipWS()
		if i == len(s) {
			break
		}
		if s[i] == ',' { // empty list element
			i++
			continue
		}
		start := i
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != ',' && s[i] != '"' {
			i++
		}
		rawName := s[start:i]
		if rawName == "" {
			return nil, bad("parameter without a name at offset %d", start)
		}
		skipWS()
		if i == len(s) || s[i] != '=' {
			return nil, bad("parameter %q has no '='", rawName)
		}
		i++
		skipWS()
		if i == len(s) || s[i] != '"' {
			return nil, bad("value of %q is not quoted", rawName)
		}
		i++
		start = i
		for i < len(s) && s[i] != '"' {
			if s[i] < 0x20 || s[i] == 0x7f {
				return nil, bad("control character in value of %q", rawName)
			}
			i++
		}
		if i == len(s) {
			return nil, bad("unterminated value of %q", rawName)
		}
		rawValue := s[start:i]
		i++
		skipWS()
		if i < len(s) && s[i] != ',' {
			return nil, bad("expected ',' after parameter %q", rawName)
		}
		name, err := percentDecode(rawName)
		if err != nil {
			return nil, bad("parameter name: %v", err)
		}
		value, err := percentDecode(rawValue)
		if err != nil {
			return nil, bad("value of %q: %v", name, err)
		}
		if _, dup := params[name]; dup {
			return nil, bad("repeated parameter %q", name)
		}
		params[name] = value
	}
	if len(params) == 0 {
		return nil, bad("no parameters")
	}
	return params, nil
}

// VerifyRequest checks the OAuth 1.0a HMAC-SHA1 signature of a request
// received by a server. form holds the request's form-encoded body
// parameters (for instance r.PostForm after r.ParseForm; nil when the body
// is not form-encoded); they are signed together with the query parameters
// of r.URL and the Authorization header parameters other than realm and
// oauth_signature.
//
// The signed URL is rebuilt from r: r.URL's scheme and host when set
// (client-side or proxy requests), otherwise "https" when r.TLS is set or
// "http" otherwise, and r.Host. This is right for a server that clients
// reach directly, such as an httptest.Server, not behind a rewriting
// reverse proxy.
//
// It returns the decoded Authorization header parameters (including
// oauth_signature and any realm). The caller must still check that
// oauth_consumer_key and oauth_token name the consumer and token whose
// secrets it passed, and check the timestamp and nonce against replays.
//
// Errors wrap [ErrBadHeader] (no or malformed OAuth header, a signature
// method other than HMAC-SHA1, an oauth_version other than 1.0, a
// non-numeric timestamp or an unparsable query string), [ErrMissingParam]
// (oauth_consumer_key, oauth_signature_method, oauth_signature,
// oauth_timestamp or oauth_nonce absent, or oauth_token absent while
// tokenSecret is not empty) or [ErrInvalidSignature].
func VerifyRequest(r *http.Request, form url.Values, consumerSecret, tokenSecret string) (params map[string]string, err error) {
	if r == nil || r.URL == nil {
		return nil, errors.New("oauth1: nil request or URL")
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, fmt.Errorf("%w: no Authorization header", ErrBadHeader)
	}
	params, err = ParseHeader(h)
	if err != nil {
		return nil, err
	}
	required := []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"}
	if tokenSecret != "" {
		required = append(required, "oauth_token")
	}
	for _, k := range required {
		if _, ok := params[k]; !ok {
			return nil, fmt.Errorf("%w: %s", ErrMissingParam, k)
		}
	}
	if m := params["oauth_signature_method"]; m != SignatureMethod {
		return nil, fmt.Errorf("%w: unsupported signature method %q", ErrBadHeader, m)
	}
	if v, ok := params["oauth_version"]; ok && v != Version {
		return nil, fmt.Errorf("%w: unsupported version %q", ErrBadHeader, v)
	}
	if ts := params["oauth_timestamp"]; ts == "" || strings.Trim(ts, "0123456789") != "" {
		return nil, fmt.Errorf("%w: timestamp %q is not a number", ErrBadHeader, ts)
	}

	u := *r.URL
	if u.Scheme == "" {
		u.Scheme = "http"
		if r.TLS != nil {
			u.Scheme = "https"
		}
	}
	if u.Host == "" {
		u.Host = r.Host
	}
	oauth := make(map[string]string, len(params))
	for k, v := range params {
		if k != "realm" && k != "oauth_signature" {
			oauth[k] = v
		}
	}
	all, err := requestParams(&u, form, oauth)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadHeader, err)
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	want := Signature(BaseString(method, &u, all), consumerSecret, tokenSecret)
	if subtle.ConstantTimeCompare([]byte(want), []byte(params["oauth_signature"])) != 1 {
		return nil, ErrInvalidSignature
	}
	return params, nil
}
