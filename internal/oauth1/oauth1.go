// Package oauth1 signs and verifies HTTP requests with OAuth 1.0a
// (RFC 5849) using the HMAC-SHA1 signature method, as MediaWiki's
// OAuth extension expects from owner-only consumers.
//
// It is the client side only, [Sign]; [BaseString] and [Signature] expose
// the two steps of the signature computation so that tests can check them
// against the RFC's worked examples. The package's tests verify what Sign
// produces with a server-side verifier of their own (verify_test.go);
// mwauthtest has another, independent one.
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

// ErrMissingParam means a required input of [Sign] is empty.
var ErrMissingParam = errors.New("oauth1: missing parameter")

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
