// Package conformance checks mwauthtest's fake wiki against real MediaWiki
// with raw HTTP (net/http only, no mwauth Client): every case runs against
// the fake in both version modes and, when MWAUTH_TEST_WIKI names a real
// api.php, against that wiki too, with the expectations of its version
// (MWAUTH_TEST_WIKI_VERSION=1.39|1.43, or read from meta=siteinfo). With
// MWAUTH_REQUIRE_WIKI=1 a missing real wiki is a failure.
//
// The OAuth cases run against the fake only, because the project's real
// test wikis have no Extension:OAuth (Debian does not package it). Point
// them at a real OAuth wiki with MWAUTH_TEST_OAUTH_WIKI (its api.php, at
// its canonical $wgServer), MWAUTH_TEST_OAUTH_USER (the consumer's owner),
// MWAUTH_TEST_OAUTH2_TOKEN and MWAUTH_TEST_OAUTH1 (consumer key, consumer
// secret, access token and access secret, separated by colons).
package conformance

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/mwauth/mwauth/mwauthtest"
	"github.com/stretchr/testify/require"
)

// target is a wiki a case runs against.
type target struct {
	name    string
	api     string
	version mwauthtest.Version
	fake    *mwauthtest.Server // nil for a real wiki
	oauth   *oauthCreds        // nil: no OAuth consumer known
}

type oauthCreds struct {
	user   string
	bearer string
	one    oauth1.Credentials
}

// The fake's OAuth consumers (test values, not secrets).
var fakeOAuth = oauthCreds{
	user:   "Admin",
	bearer: "conformance-oauth2-token",
	one: oauth1.Credentials{ConsumerKey: "conformance-ckey", ConsumerSecret: "conformance-csecret",
		Token: "conformance-atoken", TokenSecret: "conformance-asecret"},
}

func fakeTarget(t *testing.T, v mwauthtest.Version) target {
	t.Helper()
	srv := mwauthtest.NewServer(mwauthtest.WithVersion(v),
		mwauthtest.WithOAuth2Token(fakeOAuth.bearer, fakeOAuth.user),
		mwauthtest.WithOAuth1(fakeOAuth.one.ConsumerKey, fakeOAuth.one.ConsumerSecret,
			fakeOAuth.one.Token, fakeOAuth.one.TokenSecret, fakeOAuth.user))
	t.Cleanup(srv.Close)
	creds := fakeOAuth
	return target{name: "fake " + string(v), api: srv.URL, version: v, fake: srv, oauth: &creds}
}

// realTarget returns the wiki of MWAUTH_TEST_WIKI, or false.
func realTarget(t *testing.T) (target, bool) {
	t.Helper()
	api := os.Getenv("MWAUTH_TEST_WIKI")
	if api == "" {
		if os.Getenv("MWAUTH_REQUIRE_WIKI") == "1" {
			t.Fatal("MWAUTH_REQUIRE_WIKI=1 but MWAUTH_TEST_WIKI is not set")
		}
		return target{}, false
	}
	v := mwauthtest.Version(os.Getenv("MWAUTH_TEST_WIKI_VERSION"))
	if v == "" {
		m, _ := newClient(t, api).get(vals("action", "query", "meta", "siteinfo"))
		gen, _ := dig(m, "query", "general", "generator").(string)
		switch {
		case strings.HasPrefix(gen, "MediaWiki 1.39."):
			v = mwauthtest.MediaWiki139
		case strings.HasPrefix(gen, "MediaWiki 1.43."):
			v = mwauthtest.MediaWiki143
		default:
			t.Fatalf("MWAUTH_TEST_WIKI %s runs %q; set MWAUTH_TEST_WIKI_VERSION to 1.39 or 1.43", api, gen)
		}
	}
	if v != mwauthtest.MediaWiki139 && v != mwauthtest.MediaWiki143 {
		t.Fatalf("MWAUTH_TEST_WIKI_VERSION=%q: want 1.39 or 1.43", v)
	}
	return target{name: "real " + string(v), api: api, version: v}, true
}

// realOAuthTarget returns the OAuth wiki of MWAUTH_TEST_OAUTH_WIKI, or false.
func realOAuthTarget(t *testing.T) (target, bool) {
	t.Helper()
	api := os.Getenv("MWAUTH_TEST_OAUTH_WIKI")
	if api == "" {
		return target{}, false
	}
	parts := strings.Split(os.Getenv("MWAUTH_TEST_OAUTH1"), ":")
	require.Len(t, parts, 4, "MWAUTH_TEST_OAUTH1 must be key:secret:token:tokensecret")
	creds := &oauthCreds{user: os.Getenv("MWAUTH_TEST_OAUTH_USER"), bearer: os.Getenv("MWAUTH_TEST_OAUTH2_TOKEN"),
		one: oauth1.Credentials{ConsumerKey: parts[0], ConsumerSecret: parts[1], Token: parts[2], TokenSecret: parts[3]}}
	require.NotEmpty(t, creds.user, "MWAUTH_TEST_OAUTH_USER")
	require.NotEmpty(t, creds.bearer, "MWAUTH_TEST_OAUTH2_TOKEN")
	return target{name: "real OAuth wiki", api: api, oauth: creds}, true
}

// forEachTarget runs fn as a subtest against each fake version and the real
// wiki, if one is configured.
func forEachTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	tgs := []target{fakeTarget(t, mwauthtest.MediaWiki143), fakeTarget(t, mwauthtest.MediaWiki139)}
	if real, ok := realTarget(t); ok {
		tgs = append(tgs, real)
	}
	for _, tg := range tgs {
		t.Run(tg.name, func(t *testing.T) { fn(t, tg) })
	}
}

// forEachOAuthTarget is forEachTarget for the OAuth cases.
func forEachOAuthTarget(t *testing.T, fn func(t *testing.T, tg target)) {
	tgs := []target{fakeTarget(t, mwauthtest.MediaWiki143), fakeTarget(t, mwauthtest.MediaWiki139)}
	if real, ok := realOAuthTarget(t); ok {
		tgs = append(tgs, real)
	}
	for _, tg := range tgs {
		t.Run(tg.name, func(t *testing.T) { fn(t, tg) })
	}
}

// client is a cookie-keeping HTTP client that sends the request format the
// project pins.
type client struct {
	t      *testing.T
	api    string
	hc     *http.Client
	header http.Header
}

func newClient(t *testing.T, api string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, api: api, header: http.Header{}, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func vals(pairs ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return v
}

func withFormat(p url.Values) url.Values {
	out := url.Values{"format": {"json"}, "formatversion": {"2"}, "errorformat": {"plaintext"}}
	for k, v := range p {
		out[k] = v
	}
	return out
}

func (c *client) do(req *http.Request) (map[string]any, *http.Response) {
	c.t.Helper()
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := c.hc.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	var m map[string]any
	require.NoError(c.t, json.Unmarshal(b, &m), "%s %s: not JSON: %.300s", req.Method, req.URL.Path, b)
	return m, resp
}

func (c *client) get(p url.Values) (map[string]any, *http.Response) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.api+"?"+withFormat(p).Encode(), nil)
	require.NoError(c.t, err)
	return c.do(req)
}

func (c *client) post(p url.Values) (map[string]any, *http.Response) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.api, strings.NewReader(withFormat(p).Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *client) token(typ string) string {
	c.t.Helper()
	m, _ := c.get(vals("action", "query", "meta", "tokens", "type", typ))
	tok, ok := dig(m, "query", "tokens", typ+"token").(string)
	require.True(c.t, ok, "no %s token: %v", typ, m)
	return tok
}

// botLogin logs in with one of the test wiki's bot passwords.
func (c *client) botLogin(name, password string) {
	c.t.Helper()
	m, _ := c.post(vals("action", "login", "lgname", name, "lgpassword", password, "lgtoken", c.token("login")))
	require.Equal(c.t, "Success", dig(m, "login", "result"), "bot-password login of %s: %v", name, m)
}

// The test wiki's accounts (the same on the fake and the real wikis).
const (
	adminBot       = "Admin@localbot"
	adminBotPass   = "adminbotpassword0123456789abcdef"
	botUserBot     = "BotUser@localbot"
	botUserBotPass = "botuserbotpassword0123456789abcd"
	twoFAUser      = "TwoFAUser"
	twoFAPass      = "TwoFA-localwiki-pass-1"
)

func dig(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func errorCodes(m map[string]any) []string {
	var out []string
	list, _ := m["errors"].([]any)
	for _, e := range list {
		if code, ok := dig(e, "code").(string); ok {
			out = append(out, code)
		}
	}
	return out
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
