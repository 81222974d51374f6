package mwauthtest

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// oauth1Cred is a registered owner-only OAuth 1.0a consumer.
type oauth1Cred struct {
	consumerSecret string
	token          string
	tokenSecret    string
	user           string
}

// oauthSession authenticates a request that carries an OAuth
// Authorization header (Extension:OAuth's session provider). ok is false
// when the header is not an OAuth one: the scheme is matched
// case-sensitively at the start of the header, so "bearer x" is not
// OAuth and the request runs anonymously, as on a real wiki.
func (c *call) oauthSession(h string) (sess *session, err *apiErr, ok bool) {
	invalid := func(why string) *apiErr {
		e := newErr("main", "mwoauth-invalid-authorization", newMsg("mwoauth-invalid-authorization", why))
		e.noModule = true // the check runs in ApiBeforeMain, outside any module
		return e
	}
	var key, username string
	switch {
	case strings.HasPrefix(h, "Bearer "):
		tok := strings.TrimSpace(h[len("Bearer "):])
		name, known := c.s.cfg.oauth2[tok]
		if !known {
			return nil, invalid("Invalid access token"), true
		}
		key, username = "2:"+tok, name
	case strings.HasPrefix(h, "OAuth "):
		name, tok, why := c.verifyOAuth1(h)
		if why != "" {
			return nil, invalid(why), true
		}
		key, username = "1:"+tok, name
	default:
		return nil, nil, false
	}
	u := c.s.byName[canonicalName(username)]
	if u == nil {
		e := newErr("main", "mwoauth-invalid-authorization-invalid-user",
			newMsg("mwoauth-invalid-authorization-invalid-user"))
		e.noModule = true
		return nil, e, true
	}
	sess = c.s.oauthSes[key]
	if !c.alive(sess) || sess.user != u {
		sess = newSession(kindOAuth, c.now)
		sess.user = u
		sess.persisted = true
		c.s.oauthSes[key] = sess
	}
	return sess, nil, true
}

// parseOAuthHeader parses an "Authorization: OAuth k="v", ..." header.
func parseOAuthHeader(h string) (map[string]string, bool) {
	_, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	out := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, found := strings.Cut(part, "=")
		if !found {
			return nil, false
		}
		v = strings.TrimSpace(v)
		if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, false
		}
		k, err1 := url.PathUnescape(strings.TrimSpace(k))
		v, err2 := url.PathUnescape(v[1 : len(v)-1])
		if err1 != nil || err2 != nil {
			return nil, false
		}
		out[k] = v
	}
	return out, true
}

// oauthEncode is RFC 5849 percent-encoding.
func oauthEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '.' || ch == '_' || ch == '~' {
			b.WriteByte(ch)
		} else {
			fmt.Fprintf(&b, "%%%02X", ch)
		}
	}
	return b.String()
}

// verifyOAuth1 checks an OAuth 1.0a HMAC-SHA1 request the way the OAuth
// extension's OAuthServer does: consumer, token, timestamp, nonce, then
// the signature. It returns the user name and access token, or why the
// request is refused.
func (c *call) verifyOAuth1(h string) (username, token, why string) {
	hp, ok := parseOAuthHeader(h)
	if !ok {
		return "", "", "Invalid Authorization header"
	}
	if v, ok := hp["oauth_version"]; ok && v != "1.0" {
		return "", "", fmt.Sprintf("OAuth version '%s' not supported", v)
	}
	cred, ok := c.s.cfg.oauth1[hp["oauth_consumer_key"]]
	if !ok {
		return "", "", "Invalid consumer"
	}
	if hp["oauth_token"] != cred.token {
		return "", "", newMsg("mwoauth-invalid-access-token").plain()
	}
	if m := hp["oauth_signature_method"]; m != "HMAC-SHA1" {
		return "", "", fmt.Sprintf("Signature method '%s' not supported try one of the following: HMAC-SHA1", m)
	}
	tsStr, ok := hp["oauth_timestamp"]
	if !ok {
		return "", "", "Missing timestamp parameter. The parameter is required"
	}
	ts, _ := strconv.ParseInt(tsStr, 10, 64)
	now := c.now.Unix()
	if ts < now-oauthSkew || ts > now+oauthSkew {
		return "", "", fmt.Sprintf("Expired timestamp, yours %d, ours %d", ts, now)
	}
	nonce, ok := hp["oauth_nonce"]
	if !ok {
		return "", "", "Missing nonce parameter. The parameter is required"
	}
	for k, exp := range c.s.nonces {
		if !c.now.Before(exp) {
			delete(c.s.nonces, k)
		}
	}
	nk := hp["oauth_consumer_key"] + "\x00" + cred.token + "\x00" + nonce
	if _, used := c.s.nonces[nk]; used {
		return "", "", "Nonce already used: " + nonce
	}
	c.s.nonces[nk] = time.Unix(ts+oauthSkew, 0)

	// Signature base string: the query string as PHP's $_GET holds it
	// (one value per name, the last one), the form body pair by pair,
	// and the oauth_* header parameters.
	var pairs [][2]string
	last := map[string]int{}
	for _, kv := range c.p.pairs[:c.p.nQuery] {
		if i, seen := last[kv[0]]; seen {
			pairs[i][1] = kv[1]
			continue
		}
		last[kv[0]] = len(pairs)
		pairs = append(pairs, kv)
	}
	if ct, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		pairs = append(pairs, c.p.pairs[c.p.nQuery:]...)
	}
	for k, v := range hp {
		if k != "realm" && k != "oauth_signature" {
			pairs = append(pairs, [2]string{k, v})
		}
	}
	enc := make([]string, len(pairs))
	for i, kv := range pairs {
		enc[i] = oauthEncode(kv[0]) + "=" + oauthEncode(kv[1])
	}
	sort.Slice(enc, func(i, j int) bool {
		ki, vi, _ := strings.Cut(enc[i], "=")
		kj, vj, _ := strings.Cut(enc[j], "=")
		if ki != kj {
			return ki < kj
		}
		return vi < vj
	})
	// The URI is $wgServer plus the request path, whatever Host the
	// client used.
	base := strings.ToUpper(c.r.Method) + "&" + oauthEncode(c.canonicalServer()+c.r.URL.EscapedPath()) +
		"&" + oauthEncode(strings.Join(enc, "&"))
	mac := hmac.New(sha1.New, []byte(oauthEncode(cred.consumerSecret)+"&"+oauthEncode(cred.tokenSecret)))
	mac.Write([]byte(base))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(hp["oauth_signature"])) != 1 {
		return "", "", "Invalid signature"
	}
	return cred.user, cred.token, ""
}

// serveIdP is the FakeSSO identity provider page.
func (s *Server) serveIdP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state, returnTo := q.Get("state"), q.Get("returnto")
	code := q.Get("code")
	if u := q.Get("user"); u != "" {
		code = "user:" + u
	}
	if code != "" && returnTo != "" {
		target, err := url.Parse(returnTo)
		if err == nil {
			tq := target.Query()
			tq.Set("fakessocode", code)
			tq.Set("state", state)
			target.RawQuery = tq.Encode()
			http.Redirect(w, r, target.String(), http.StatusFound)
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>FakeSSO</title></head><body>"+
		"<h1>FakeSSO identity provider (test only)</h1>"+
		"<form method=\"get\"><input type=\"hidden\" name=\"state\" value=\"%s\">"+
		"<input type=\"hidden\" name=\"returnto\" value=\"%s\">"+
		"<label>User <input name=\"user\"></label> <button>Log in</button></form></body></html>",
		html.EscapeString(state), html.EscapeString(returnTo))
}

// canonicalServer is $wgServer: the scheme and host of the URL the server
// was started on, or, for a mounted Handler, of the request.
func (c *call) canonicalServer() string {
	server := serverOf(c.apiURL)
	scheme, host, _ := strings.Cut(server, "://")
	host = strings.ToLower(host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}
