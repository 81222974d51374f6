package oauth1

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hmacSHA1 computes the expected signature independently of Signature:
// the key is written out by hand by the caller, already percent-encoded.
func hmacSHA1(key, base string) string {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte(base))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

func TestPercentEncode(t *testing.T) {
	for in, want := range map[string]string{
		"":                   "",
		"abcXYZ019":          "abcXYZ019",
		"-._~":               "-._~",
		" ":                  "%20",
		"+":                  "%2B",
		"*":                  "%2A",
		"!'()":               "%21%27%28%29",
		"/?#[]@":             "%2F%3F%23%5B%5D%40",
		"%":                  "%25",
		"=&":                 "%3D%26",
		"é":                  "%C3%A9",
		"€":                  "%E2%82%AC",
		"😀":                  "%F0%9F%98%80",
		"\x00\n\x7f\xff":     "%00%0A%7F%FF",
		"Ladies + Gentlemen": "Ladies%20%2B%20Gentlemen",
	} {
		got := percentEncode(in)
		assert.Equal(t, want, got, "encode %q", in)
		back, err := percentDecode(got)
		require.NoError(t, err)
		assert.Equal(t, in, back, "round trip %q", in)
	}
}

func TestPercentDecode(t *testing.T) {
	got, err := percentDecode("a%2fb%2F+c")
	require.NoError(t, err)
	assert.Equal(t, "a/b/+c", got, "lower-case hex accepted, '+' stays '+'")
	for _, bad := range []string{"%", "%2", "%zz", "a%G0", "%%41"} {
		_, err := percentDecode(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// RFC 5849 section 3.4.1.1: the request
//
//	POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b HTTP/1.1
//	Host: example.com
//	Content-Type: application/x-www-form-urlencoded
//	Authorization: OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2",
//	  oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1",
//	  oauth_timestamp="137131201", oauth_nonce="7d8f3e4a",
//	  oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"
//
//	c2&a3=2+q
func rfcSection3Params(t *testing.T) (*url.URL, url.Values) {
	u := mustURL(t, "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b")
	params, err := url.ParseQuery(u.RawQuery)
	require.NoError(t, err)
	body, err := url.ParseQuery("c2&a3=2+q")
	require.NoError(t, err)
	for k, vs := range body {
		params[k] = append(params[k], vs...)
	}
	for k, v := range map[string]string{
		"oauth_consumer_key":     "9djdj82h48djs9d2",
		"oauth_token":            "kkk9d7dh3k39sjv7",
		"oauth_signature_method": "HMAC-SHA1",
		"oauth_timestamp":        "137131201",
		"oauth_nonce":            "7d8f3e4a",
	} {
		params.Set(k, v)
	}
	return u, params
}

func TestRFC5849Section3BaseString(t *testing.T) {
	u, params := rfcSection3Params(t)
	assert.Equal(t,
		"a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2"+
			"&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201"+
			"&oauth_token=kkk9d7dh3k39sjv7",
		normalizeParams(params))

	// The base string as printed in section 3.4.1.1, lines joined.
	want := "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q" +
		"%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_" +
		"key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m" +
		"ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk" +
		"9d7dh3k39sjv7"
	assert.Equal(t, want, BaseString("POST", u, params))
	assert.Equal(t, want, BaseString("post", u, params), "method is upper-cased")

	// oauth_signature is never part of the base string.
	params.Set("oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw=")
	assert.Equal(t, want, BaseString("POST", u, params))
}

// RFC 5849 section 3.4.1.1 through VerifyRequest: the server side must
// rebuild the same base string from the raw request, ignoring realm. The
// RFC does not give the secrets, so the request is signed here with
// made-up ones.
func TestRFC5849Section3VerifyRequest(t *testing.T) {
	u, params := rfcSection3Params(t)
	sig := Signature(BaseString("POST", u, params), "cs", "ts")
	req := httptest.NewRequest(http.MethodPost, "/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
		strings.NewReader("c2&a3=2+q"))
	req.Host = "example.com"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// The RFC's folded header lines, as a server receives them (unfolded).
	req.Header.Set("Authorization", `OAuth realm="Example", `+
		`oauth_consumer_key="9djdj82h48djs9d2", `+
		`oauth_token="kkk9d7dh3k39sjv7", `+
		`oauth_signature_method="HMAC-SHA1", `+
		`oauth_timestamp="137131201", `+
		`oauth_nonce="7d8f3e4a", `+
		`oauth_signature="`+percentEncode(sig)+`"`)
	require.NoError(t, req.ParseForm())
	got, err := VerifyRequest(req, req.PostForm, "cs", "ts")
	require.NoError(t, err)
	assert.Equal(t, "Example", got["realm"])
	assert.Equal(t, sig, got["oauth_signature"])
	assert.Equal(t, "9djdj82h48djs9d2", got["oauth_consumer_key"])
}

// RFC 5849 section 1.2: the signed request for the photo.
func TestRFC5849Section1Example(t *testing.T) {
	u := mustURL(t, "http://photos.example.net/photos?file=vacation.jpg&size=original")
	params := url.Values{
		"file":                   {"vacation.jpg"},
		"size":                   {"original"},
		"oauth_consumer_key":     {"dpf43f3p2l4k3l03"},
		"oauth_token":            {"nnch734d00sl2jdk"},
		"oauth_signature_method": {"HMAC-SHA1"},
		"oauth_timestamp":        {"137131202"},
		"oauth_nonce":            {"chapoH"},
	}
	base := BaseString("GET", u, params)
	assert.Equal(t, "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg"+
		"%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH"+
		"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202"+
		"%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal", base)
	assert.Equal(t, "MdpQcU8iPSUjWoN/UDMsK2sui9I=", Signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"))

	// The RFC's literal request verifies (no oauth_version, with realm).
	req := httptest.NewRequest(http.MethodGet, "http://photos.example.net/photos?file=vacation.jpg&size=original", nil)
	req.Header.Set("Authorization", `OAuth realm="Photos", `+
		`oauth_consumer_key="dpf43f3p2l4k3l03", `+
		`oauth_token="nnch734d00sl2jdk", `+
		`oauth_signature_method="HMAC-SHA1", `+
		`oauth_timestamp="137131202", `+
		`oauth_nonce="chapoH", `+
		`oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"`)
	got, err := VerifyRequest(req, nil, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00")
	require.NoError(t, err)
	assert.Equal(t, "MdpQcU8iPSUjWoN/UDMsK2sui9I=", got["oauth_signature"])
	assert.Equal(t, "Photos", got["realm"])

	_, err = VerifyRequest(req, nil, "kd94hf93k423kf44", "wrong")
	assert.ErrorIs(t, err, ErrInvalidSignature)
}

// Sign on the section 1.2 request: the same as the RFC plus oauth_version,
// checked against a base string and HMAC derived by hand.
func TestSignPhotosRequest(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, "http://photos.example.net/photos?file=vacation.jpg&size=original", nil)
	require.NoError(t, err)
	c := Credentials{"dpf43f3p2l4k3l03", "kd94hf93k423kf44", "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"}
	require.NoError(t, Sign(req, nil, c, "chapoH", 137131202))

	base := "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg" +
		"%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH" +
		"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202" +
		"%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
	sig := hmacSHA1("kd94hf93k423kf44&pfkkdhi9sl3r4s00", base)
	assert.Equal(t, `OAuth oauth_consumer_key="dpf43f3p2l4k3l03", oauth_nonce="chapoH", `+
		`oauth_signature="`+strings.NewReplacer("+", "%2B", "/", "%2F", "=", "%3D").Replace(sig)+`", `+
		`oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131202", `+
		`oauth_token="nnch734d00sl2jdk", oauth_version="1.0"`,
		req.Header.Get("Authorization"))

	got, err := VerifyRequest(req, nil, c.ConsumerSecret, c.TokenSecret)
	require.NoError(t, err)
	assert.Equal(t, sig, got["oauth_signature"])
	assert.Equal(t, "1.0", got["oauth_version"])
}

// Independent vectors: each expected base string is written out by hand
// from the rules of RFC 5849 section 3.4.1, and the expected signature is
// an HMAC-SHA1 computed here with a hand-encoded key.
func TestHandDerivedVectors(t *testing.T) {
	for _, tc := range []struct {
		name, method, url        string
		params                   url.Values
		consumerSecret, tokenSec string
		key                      string // enc(consumerSecret)&enc(tokenSecret), by hand
		base                     string
	}{
		{
			name:   "non-default port, mixed-case scheme and host",
			method: "GET", url: "HTTP://Example.COM:8080/a/B",
			params:         url.Values{"x": {"1"}},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2Fexample.com%3A8080%2Fa%2FB&x%3D1",
		},
		{
			name:   "https default port is dropped",
			method: "POST", url: "https://EXAMPLE.com:443/w/api.php",
			params:         url.Values{"action": {"query"}},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "POST&https%3A%2F%2Fexample.com%2Fw%2Fapi.php&action%3Dquery",
		},
		{
			name:   "http default port is dropped",
			method: "GET", url: "http://example.com:80/",
			params:         url.Values{},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2Fexample.com%2F&",
		},
		{
			name:   "443 is not the default port of http",
			method: "GET", url: "http://example.com:443/x",
			params:         url.Values{},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2Fexample.com%3A443%2Fx&",
		},
		{
			name:   "80 is not the default port of https; empty path becomes /",
			method: "GET", url: "https://example.com:80",
			params:         url.Values{"a": {""}},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&https%3A%2F%2Fexample.com%3A80%2F&a%3D",
		},
		{
			name:   "IPv6 host",
			method: "GET", url: "http://[::1]:8080/p",
			params:         url.Values{},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2F%5B%3A%3A1%5D%3A8080%2Fp&",
		},
		{
			name:   "escaped path kept as sent",
			method: "GET", url: "http://example.com/wiki/A%20B%2FC",
			params:         url.Values{},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2Fexample.com%2Fwiki%2FA%2520B%252FC&",
		},
		{
			name:   "unicode names and values, UTF-8 bytes encoded",
			method: "POST", url: "https://de.wikipedia.org/w/api.php",
			params:         url.Values{"título": {"ñ €"}, "title": {"Ünïcödé/😀"}},
			consumerSecret: "sécret", tokenSec: "tok en", key: "s%C3%A9cret&tok%20en",
			base: "POST&https%3A%2F%2Fde.wikipedia.org%2Fw%2Fapi.php&" +
				// "t%C3%ADtulo" sorts before "title": '%' (0x25) < 'i' (0x69).
				"t%25C3%25ADtulo%3D%25C3%25B1%2520%25E2%2582%25AC%26" +
				"title%3D%25C3%259Cn%25C3%25AFc%25C3%25B6d%25C3%25A9%252F%25F0%259F%2598%2580",
		},
		{
			name:   "repeated keys sorted by encoded value, names by encoded name",
			method: "GET", url: "http://example.com/r",
			params: url.Values{
				"a": {"2", "1", "10", "1"}, "a b": {"x"}, "a-b": {"y"}, "a_b": {"z"}, "Z": {"up"},
			},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			// 'Z'(5A) < 'a'; "a" < "a%20b" < "a-b" < "a_b"; values 1,1,10,2.
			base: "GET&http%3A%2F%2Fexample.com%2Fr&" +
				"Z%3Dup%26a%3D1%26a%3D1%26a%3D10%26a%3D2%26a%2520b%3Dx%26a-b%3Dy%26a_b%3Dz",
		},
		{
			name:   "sort by encoded value, not raw value",
			method: "GET", url: "http://example.com/r",
			// Raw order would be " " < "-" < "~" < "\x7f"; encoded it is
			// "%20" < "%7F" < "-" < "~" since '%' (0x25) < '-' (0x2D).
			params:         url.Values{"v": {"~", "\x7f", "-", " "}},
			consumerSecret: "c", tokenSec: "t", key: "c&t",
			base: "GET&http%3A%2F%2Fexample.com%2Fr&v%3D%2520%26v%3D%257F%26v%3D-%26v%3D~",
		},
		{
			name:   "empty token secret keeps the '&'",
			method: "POST", url: "https://example.org/oauth/initiate",
			params:         url.Values{"oauth_callback": {"oob"}},
			consumerSecret: "c s&x", tokenSec: "", key: "c%20s%26x&",
			base: "POST&https%3A%2F%2Fexample.org%2Foauth%2Finitiate&oauth_callback%3Doob",
		},
		{
			name:   "reserved characters in values and '+' literal",
			method: "GET", url: "http://example.com/",
			params:         url.Values{"q": {"a+b=c&d/e?f"}},
			consumerSecret: "", tokenSec: "", key: "&",
			base: "GET&http%3A%2F%2Fexample.com%2F&q%3Da%252Bb%253Dc%2526d%252Fe%253Ff",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := BaseString(tc.method, mustURL(t, tc.url), tc.params)
			assert.Equal(t, tc.base, base)
			assert.Equal(t, hmacSHA1(tc.key, tc.base), Signature(base, tc.consumerSecret, tc.tokenSec))
		})
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	c := Credentials{ConsumerKey: "ck", ConsumerSecret: "cs/+=", Token: "tk", TokenSecret: "ts ü"}
	form := url.Values{"action": {"edit"}, "text": {"Hello wörld + 100% ~"}, "tags": {"b", "a"}}
	newReq := func() *http.Request {
		req, err := http.NewRequest(http.MethodPost, "https://Wiki.Example.ORG:443/w/api.php?format=json&x=a+b",
			strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req
	}
	req := newReq()
	require.NoError(t, Sign(req, form, c, "n0nce", 1700000000))

	// The signature is that of a hand-derived base string.
	base := "POST&https%3A%2F%2Fwiki.example.org%2Fw%2Fapi.php&" +
		"action%3Dedit%26format%3Djson%26oauth_consumer_key%3Dck%26oauth_nonce%3Dn0nce" +
		"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1700000000" +
		"%26oauth_token%3Dtk%26oauth_version%3D1.0%26tags%3Da%26tags%3Db" +
		"%26text%3DHello%2520w%25C3%25B6rld%2520%252B%2520100%2525%2520~%26x%3Da%2520b"
	got, err := ParseHeader(req.Header.Get("Authorization"))
	require.NoError(t, err)
	assert.Equal(t, hmacSHA1("cs%2F%2B%3D&ts%20%C3%BC", base), got["oauth_signature"])

	params, err := VerifyRequest(req, form, c.ConsumerSecret, c.TokenSecret)
	require.NoError(t, err)
	assert.Equal(t, "ck", params["oauth_consumer_key"])
	assert.Equal(t, "tk", params["oauth_token"])
	assert.Equal(t, "n0nce", params["oauth_nonce"])
	assert.Equal(t, "1700000000", params["oauth_timestamp"])

	// Tampering with a body parameter breaks the signature.
	tampered := url.Values{}
	for k, vs := range form {
		tampered[k] = append([]string(nil), vs...)
	}
	tampered.Set("text", "Hello world")
	_, err = VerifyRequest(req, tampered, c.ConsumerSecret, c.TokenSecret)
	assert.ErrorIs(t, err, ErrInvalidSignature)

	// So do an added body parameter, a lost body, a changed query, method,
	// host, or scheme, and wrong secrets.
	extra := url.Values{"bot": {"1"}}
	for k, vs := range form {
		extra[k] = vs
	}
	_, err = VerifyRequest(req, extra, c.ConsumerSecret, c.TokenSecret)
	assert.ErrorIs(t, err, ErrInvalidSignature)
	_, err = VerifyRequest(req, nil, c.ConsumerSecret, c.TokenSecret)
	assert.ErrorIs(t, err, ErrInvalidSignature)
	for _, mutate := range []func(r *http.Request){
		func(r *http.Request) { r.URL.RawQuery = "format=json&x=a+c" },
		func(r *http.Request) { r.Method = http.MethodPut },
		func(r *http.Request) { r.URL.Host = "other.example.org" },
		func(r *http.Request) { r.URL.Scheme = "http" },
		func(r *http.Request) { r.URL.Path = "/w/index.php" },
	} {
		r := newReq()
		r.Header = req.Header.Clone()
		mutate(r)
		_, err = VerifyRequest(r, form, c.ConsumerSecret, c.TokenSecret)
		assert.ErrorIs(t, err, ErrInvalidSignature)
	}
	_, err = VerifyRequest(req, form, "wrong", c.TokenSecret)
	assert.ErrorIs(t, err, ErrInvalidSignature)
	_, err = VerifyRequest(req, form, c.ConsumerSecret, "")
	assert.ErrorIs(t, err, ErrInvalidSignature)

	// Tampering with a signed header parameter breaks it too.
	h := req.Header.Get("Authorization")
	r := newReq()
	r.Header.Set("Authorization", strings.Replace(h, `oauth_nonce="n0nce"`, `oauth_nonce="other"`, 1))
	_, err = VerifyRequest(r, form, c.ConsumerSecret, c.TokenSecret)
	assert.ErrorIs(t, err, ErrInvalidSignature)
}

// The fake wiki's view: a real server receives the signed request over the
// network and verifies it from r.Host, r.URL and r.PostForm.
func TestSignVerifyOverHTTP(t *testing.T) {
	c := Credentials{ConsumerKey: "key", ConsumerSecret: "csecret", Token: "token", TokenSecret: "tsecret"}
	for _, tlsServer := range []bool{false, true} {
		t.Run(fmt.Sprintf("tls=%v", tlsServer), func(t *testing.T) {
			var verr error
			var got map[string]string
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil {
					verr = err
					return
				}
				got, verr = VerifyRequest(r, r.PostForm, "csecret", "tsecret")
			})
			var srv *httptest.Server
			if tlsServer {
				srv = httptest.NewTLSServer(h)
			} else {
				srv = httptest.NewServer(h)
			}
			defer srv.Close()

			form := url.Values{"action": {"query"}, "meta": {"userinfo"}, "title": {"Ā b+c"}}
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/w/api.php?format=json&q=%E2%9C%93",
				strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			nonce, err := NewNonce()
			require.NoError(t, err)
			require.NoError(t, Sign(req, form, c, nonce, 1700000000))
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			require.NoError(t, verr)
			assert.Equal(t, nonce, got["oauth_nonce"])
			assert.Equal(t, "key", got["oauth_consumer_key"])
		})
	}
}

func TestVerifySchemeFromTLS(t *testing.T) {
	c := Credentials{"k", "cs", "t", "ts"}
	client, err := http.NewRequest(http.MethodGet, "https://example.com/x?a=1", nil)
	require.NoError(t, err)
	require.NoError(t, Sign(client, nil, c, "n", 1))

	// A server-side request has no scheme or host in r.URL.
	srv := httptest.NewRequest(http.MethodGet, "/x?a=1", nil)
	srv.Host = "example.com"
	srv.Header = client.Header.Clone()
	_, err = VerifyRequest(srv, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrInvalidSignature, "plain connection means http")
	srv.TLS = &tls.ConnectionState{}
	_, err = VerifyRequest(srv, nil, "cs", "ts")
	assert.NoError(t, err)
}

func TestSignWithoutToken(t *testing.T) {
	c := Credentials{ConsumerKey: "ck", ConsumerSecret: "cs"}
	req, err := http.NewRequest(http.MethodGet, "http://example.com/", nil)
	require.NoError(t, err)
	require.NoError(t, Sign(req, nil, c, "nn", 5))
	h := req.Header.Get("Authorization")
	assert.NotContains(t, h, "oauth_token")
	base := "GET&http%3A%2F%2Fexample.com%2F&oauth_consumer_key%3Dck%26oauth_nonce%3Dnn" +
		"%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D5%26oauth_version%3D1.0"
	p, err := ParseHeader(h)
	require.NoError(t, err)
	assert.Equal(t, hmacSHA1("cs&", base), p["oauth_signature"])
	_, err = VerifyRequest(req, nil, "cs", "")
	assert.NoError(t, err)
	_, err = VerifyRequest(req, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrMissingParam, "a token secret requires oauth_token")
}

func TestSignErrors(t *testing.T) {
	c := Credentials{"ck", "cs", "tk", "ts"}
	get := func(u string) *http.Request {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		require.NoError(t, err)
		return req
	}
	assert.Error(t, Sign(nil, nil, c, "n", 1))
	assert.Error(t, Sign(&http.Request{}, nil, c, "n", 1))
	assert.Error(t, Sign(get("/relative"), nil, c, "n", 1))
	assert.Error(t, Sign(get("http://example.com/?a=%zz"), nil, c, "n", 1))
	assert.Error(t, Sign(get("http://example.com/"), nil, c, "n", -1))
	assert.ErrorIs(t, Sign(get("http://example.com/"), nil, c, "", 1), ErrMissingParam)
	assert.ErrorIs(t, Sign(get("http://example.com/"), nil, Credentials{}, "n", 1), ErrMissingParam)

	// A request without a header map gets one; an old header is replaced.
	req := &http.Request{Method: "", URL: mustURL(t, "http://example.com/")}
	require.NoError(t, Sign(req, nil, c, "n", 1))
	require.NoError(t, Sign(req, nil, c, "m", 1))
	assert.Len(t, req.Header.Values("Authorization"), 1)
	p, err := VerifyRequest(req, nil, "cs", "ts")
	require.NoError(t, err)
	assert.Equal(t, "m", p["oauth_nonce"])
}

func TestParseHeader(t *testing.T) {
	p, err := ParseHeader("  oauth  realm=\"R\" ,\toauth_nonce = \"a%20b%2Bc\",, " +
		"oauth_x=\"\", %6Fauth_y=\"%e2%82%ac\"  ")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"realm": "R", "oauth_nonce": "a b+c", "oauth_x": "", "oauth_y": "€",
	}, p)

	for _, bad := range []string{
		"",
		"OAuth",
		"OAuth   ",
		"Basic dXNlcjpwYXNz",
		`OAuthx a="b"`,
		`Bearer oauth_token="x"`,
		`OAuth a`,
		`OAuth a=b`,
		`OAuth a="b`,
		`OAuth ="b"`,
		`OAuth a="b" c="d"`,
		`OAuth a="b"x`,
		`OAuth a="%zz"`,
		`OAuth %zz="b"`,
		`OAuth a="b", a="c"`,
		`OAuth a="b", %61="c"`,
		"OAuth a=\"b\nc\"",
		`OAuth a"b="c"`,
	} {
		_, err := ParseHeader(bad)
		assert.ErrorIs(t, err, ErrBadHeader, "%q", bad)
	}
}

func TestVerifyErrors(t *testing.T) {
	c := Credentials{"ck", "cs", "tk", "ts"}
	signed := func() *http.Request {
		req, err := http.NewRequest(http.MethodGet, "http://example.com/?a=1", nil)
		require.NoError(t, err)
		require.NoError(t, Sign(req, nil, c, "n", 42))
		return req
	}
	_, err := VerifyRequest(signed(), nil, "cs", "ts")
	require.NoError(t, err)

	req := signed()
	req.Header.Del("Authorization")
	_, err = VerifyRequest(req, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrBadHeader)

	req = signed()
	req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
	_, err = VerifyRequest(req, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrBadHeader)

	for _, name := range []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature",
		"oauth_timestamp", "oauth_nonce", "oauth_token"} {
		req := signed()
		p, err := ParseHeader(req.Header.Get("Authorization"))
		require.NoError(t, err)
		delete(p, name)
		req.Header.Set("Authorization", buildHeader(p))
		_, err = VerifyRequest(req, nil, "cs", "ts")
		assert.ErrorIs(t, err, ErrMissingParam, name)
		assert.ErrorContains(t, err, name)
	}

	for name, value := range map[string]string{
		"oauth_signature_method": "PLAINTEXT",
		"oauth_version":          "2.0",
		"oauth_timestamp":        "-5",
	} {
		req := signed()
		p, err := ParseHeader(req.Header.Get("Authorization"))
		require.NoError(t, err)
		p[name] = value
		req.Header.Set("Authorization", buildHeader(p))
		_, err = VerifyRequest(req, nil, "cs", "ts")
		assert.ErrorIs(t, err, ErrBadHeader, name)
	}

	req = signed()
	req.URL.RawQuery = "a=%zz"
	_, err = VerifyRequest(req, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrBadHeader)

	req = signed()
	req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"),
		`oauth_signature="`, `oauth_signature="A`, 1))
	_, err = VerifyRequest(req, nil, "cs", "ts")
	assert.ErrorIs(t, err, ErrInvalidSignature)

	_, err = VerifyRequest(nil, nil, "cs", "ts")
	assert.Error(t, err)
}

func buildHeader(p map[string]string) string {
	parts := make([]string, 0, len(p))
	for k, v := range p {
		parts = append(parts, percentEncode(k)+`="`+percentEncode(v)+`"`)
	}
	return "OAuth " + strings.Join(parts, ", ")
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		n, err := NewNonce()
		require.NoError(t, err)
		assert.Len(t, n, 32)
		assert.Equal(t, n, percentEncode(n), "nonce needs no encoding")
		assert.False(t, seen[n], "repeated nonce")
		seen[n] = true
	}
}

func TestCredentialsRedacted(t *testing.T) {
	c := Credentials{
		ConsumerKey:    "ckey-0123456789abcdef",
		ConsumerSecret: "csecret-fedcba9876543210",
		Token:          "tkey-aaaabbbbccccdddd",
		TokenSecret:    "tsecret-eeeeffff00001111",
	}
	secrets := []string{c.ConsumerKey, c.ConsumerSecret, c.Token, c.TokenSecret}

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("creds", "c", c, "p", &c)
	var jsonLogged bytes.Buffer
	slog.New(slog.NewJSONHandler(&jsonLogged, nil)).Info("creds", "c", c)

	outputs := map[string]string{
		"String":   c.String(),
		"GoString": c.GoString(),
		"%v":       fmt.Sprintf("%v", c),
		"%+v":      fmt.Sprintf("%+v", c),
		"%#v":      fmt.Sprintf("%#v", c),
		//lint:ignore S1025 the point is to check what %s prints
		"%s":       fmt.Sprintf("%s", c),
		"%q":       fmt.Sprintf("%q", c),
		"ptr %v":   fmt.Sprintf("%v", &c),
		"ptr %+v":  fmt.Sprintf("%+v", &c),
		"ptr %#v":  fmt.Sprintf("%#v", &c),
		"nested":   fmt.Sprintf("%+v", struct{ C Credentials }{c}),
		"slice":    fmt.Sprintf("%#v", []Credentials{c}),
		"Println":  fmt.Sprintln(c),
		"slog":     logged.String(),
		"slogJSON": jsonLogged.String(),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, name)
		}
		assert.Contains(t, out, "<redacted>", name)
	}
	assert.Equal(t, "oauth1.Credentials{ConsumerKey:<redacted>, ConsumerSecret:<redacted>, "+
		"Token:<redacted>, TokenSecret:<redacted>}", c.String())
	assert.Equal(t, "oauth1.Credentials{ConsumerKey:<redacted>, ConsumerSecret:<redacted>, "+
		"Token:<empty>, TokenSecret:<empty>}",
		Credentials{ConsumerKey: "k", ConsumerSecret: "s"}.String())
}

func TestErrorsDistinct(t *testing.T) {
	errs := []error{ErrBadHeader, ErrMissingParam, ErrInvalidSignature}
	for i, a := range errs {
		for j, b := range errs {
			assert.Equal(t, i == j, errors.Is(a, b))
		}
	}
}
