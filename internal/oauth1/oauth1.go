// Package oauth1 signs and verifies HTTP requests with OAuth 1.0a
// (RFC 5849) using the HMAC-SHA1 signature method, as MediaWiki's
// OAuth extension expects from owner-only consumers.
//
// The client side is [Sign]; the server side (used by the fake wiki in
// mwauthtest) is [ParseHeader] and [VerifyRequest]. [BaseString] and
// [Signature] expose the two steps of the signature computation so that
// tests can check them against the RFC's worked examples.
//
// Only the Authorization header transport (RFC 5849 section 3.5.1) is
// supported: protocol parameters are written to and read from that header
// alone. Query and body parameters, whatever their names, are simply signed
// as request parameters.
package oauth1

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SignatureMethod is the only signature method this package produces and
// accepts.
const SignatureMethod = "HMAC-SHA1"

// Version is the oauth_version value that [Sign] sends.
const Version = "1.0"

// Errors returned (possibly wrapped with details) by [ParseHeader] and
// [VerifyRequest]; test for them with errors.Is.
var (
	// ErrBadHeader means the Authorization header is absent, is not an
	// OAuth header, is malformed, or names an unsupported signature
	// method or version.
	ErrBadHeader = errors.New("oauth1: bad Authorization header")
	// ErrMissingParam means a required protocol parameter is absent (or,
	// from Sign, a required input is empty).
	ErrMissingParam = errors.New("oauth1: missing parameter")
	// ErrInvalidSignature means the signature does not match the request
	// and secrets.
	ErrInvalidSignature = errors.New("oauth1: invalid signature")
)

// Credentials are the four secrets of an owner-only OAuth 1.0a consumer:
// the consumer key and secret and the access token and its secret.
//
// String, GoString and LogValue never reveal any of the four values, so a
// Credentials can be printed with any fmt verb or logged with log/slog.
// (fmt cannot call these methods on a Credentials stored in an unexported
// struct field; do not print such containers with %v.)
type Credentials struct {
	ConsumerKey    string
	ConsumerSecret string
	Token          string
	TokenSecret    string
}

// redacted describes a credential field without revealing it.
func redacted(s string) string {
	if s == "" {
		return "<empty>"
	}
	return "<redacted>"
}

// String implements fmt.Stringer. It reports only whether each field is
// set, never its value.
func (c Credentials) String() string {
	return "oauth1.Credentials{ConsumerKey:" + redacted(c.ConsumerKey) +
		", ConsumerSecret:" + redacted(c.ConsumerSecret) +
		", Token:" + redacted(c.Token) +
		", TokenSecret:" + redacted(c.TokenSecret) + "}"
}

// GoString implements fmt.GoStringer (the %#v verb) the same way as
// String.
func (c Credentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer, so that logging a Credentials
// records only the redacted form.
func (c Credentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// NewNonce returns a fresh random nonce: 16 bytes from crypto/rand,
// hex-encoded (32 characters, all unreserved).
func NewNonce() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("oauth1: reading random nonce: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// percentEncode encodes s per RFC 5849 section 3.6: the bytes of s
// (UTF-8 for text) are kept when unreserved (ALPHA, DIGIT, '-', '.', '_',
// '~') and written as %XX with uppercase hex digits otherwise.
func percentEncode(s string) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0x0f])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

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

// baseURI builds the base string URI of RFC 5849 section 3.4.1.2:
// lower-case scheme and host, the port only when it is not the scheme's
// default, the path as sent (or "/" when empty), no query or fragment.
func baseURI(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Host)
	port := u.Port()
	if port == "" || (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		// Also drops a bare trailing ':' (an empty port).
		if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
			host = host[:i]
		}
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path
}

// normalizeParams builds the normalized parameter string of RFC 5849
// section 3.4.1.3.2: every name and value percent-encoded, pairs sorted by
// encoded name and then encoded value, joined as name=value with '&'.
// Repeated names keep all their values; oauth_signature is left out.
func normalizeParams(params url.Values) string {
	type pair struct{ k, v string }
	var pairs []pair
	for k, vs := range params {
		if k == "oauth_signature" {
			continue
		}
		ek := percentEncode(k)
		for _, v := range vs {
			pairs = append(pairs, pair{ek, percentEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// BaseString returns the signature base string of RFC 5849 section 3.4.1:
// the upper-cased method, the base string URI of u and the normalized
// parameters, each percent-encoded and joined with '&'.
//
// params must be the complete parameter set: the query parameters, the
// form-encoded body parameters and the oauth_* protocol parameters (without
// realm). The query and fragment of u are ignored; only its scheme, host,
// port and path are used. An oauth_signature entry in params is skipped.
func BaseString(method string, u *url.URL, params url.Values) string {
	return percentEncode(strings.ToUpper(method)) + "&" +
		percentEncode(baseURI(u)) + "&" +
		percentEncode(normalizeParams(params))
}

// Signature returns the HMAC-SHA1 signature of base (RFC 5849 section
// 3.4.2), base64-encoded. The key is the percent-encoded consumer secret
// and the percent-encoded token secret joined with '&'; the token secret
// may be empty.
func Signature(base, consumerSecret, tokenSecret string) string {
	key := percentEncode(consumerSecret) + "&" + percentEncode(tokenSecret)
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// requestParams collects the query parameters of u, the body parameters
// form and the protocol parameters oauth into one set.
func requestParams(u *url.URL, form url.Values, oauth map[string]string) (url.Values, error) {
	params, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("oauth1: parsing query string: %w", err)
	}
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	for k, v := range oauth {
		params[k] = append(params[k], v)
	}
	return params, nil
}

// Sign signs req with c and sets its "Authorization: OAuth ..." header.
//
// form holds the application/x-www-form-urlencoded body parameters, which
// must be exactly what the body carries (nil for GET requests and for
// bodies of other types). They are signed together with the query
// parameters of req.URL (RFC 5849 section 3.4.1.3). nonce and timestamp
// (seconds since the Unix epoch) are supplied by the caller; use
// [NewNonce] and time.Now().Unix() outside tests.
//
// The header carries oauth_consumer_key, oauth_token (left out when
// c.Token is empty), oauth_signature_method=HMAC-SHA1, oauth_timestamp,
// oauth_nonce, oauth_version=1.0 and oauth_signature. Sign fails when
// req.URL is not absolute, its query cannot be parsed, the consumer key or
// nonce is empty, or the timestamp is negative.
func Sign(req *http.Request, form url.Values, c Credentials, nonce string, timestamp int64) error {
	if req == nil || req.URL == nil {
		return errors.New("oauth1: nil request or URL")
	}
	if req.URL.Scheme == "" || req.URL.Host == "" {
		return fmt.Errorf("oauth1: request URL %q is not absolute", req.URL.Redacted())
	}
	if c.ConsumerKey == "" {
		return fmt.Errorf("%w: consumer key", ErrMissingParam)
	}
	if nonce == "" {
		return fmt.Errorf("%w: nonce", ErrMissingParam)
	}
	if timestamp < 0 {
		return fmt.Errorf("oauth1: negative timestamp %d", timestamp)
	}
	oauth := map[string]string{
		"oauth_consumer_key":     c.ConsumerKey,
		"oauth_signature_method": SignatureMethod,
		"oauth_timestamp":        strconv.FormatInt(timestamp, 10),
		"oauth_nonce":            nonce,
		"oauth_version":          Version,
	}
	if c.Token != "" {
		oauth["oauth_token"] = c.Token
	}
	params, err := requestParams(req.URL, form, oauth)
	if err != nil {
		return err
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	oauth["oauth_signature"] = Signature(BaseString(method, req.URL, params), c.ConsumerSecret, c.TokenSecret)

	names := make([]string, 0, len(oauth))
	for k := range oauth {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("OAuth ")
	for i, k := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(percentEncode(k))
		b.WriteString(`="`)
		b.WriteString(percentEncode(oauth[k]))
		b.WriteByte('"')
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	req.Header.Set("Authorization", b.String())
	return nil
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
