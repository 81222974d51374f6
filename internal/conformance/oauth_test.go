package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One case per observed behaviour of the real Extension:OAuth (REL1_39) that a wiki can
// show over HTTP. They run against the fakes, and against a real OAuth wiki
// only when one is configured (see the package doc): the project's test
// wikis have no Extension:OAuth.

var nonceSeq atomic.Int64

func nonce() string { return fmt.Sprintf("conformance%d-%d", time.Now().UnixNano(), nonceSeq.Add(1)) }

const invalidPrefix = "The authorization headers in your request are not valid: "

// signed sends an OAuth 1.0a request: query parameters in the URL, form
// (if not nil) as the body. apiURL may differ from the target's URL.
func signed(t *testing.T, apiURL, method string, query url.Values, rawQuery string, form url.Values,
	cr oauth1.Credentials, n string, ts int64) (map[string]any, *http.Response) {
	t.Helper()
	u := apiURL + "?" + withFormat(query).Encode() + rawQuery
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest(method, u, strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, err = http.NewRequest(method, u, nil)
		require.NoError(t, err)
	}
	require.NoError(t, oauth1.Sign(req, form, cr, n, ts))
	return newClient(t, apiURL).do(req)
}

func bearer(t *testing.T, tg target, header string) *client {
	c := newClient(t, tg.api)
	c.header.Set("Authorization", header)
	return c
}

func TestOAuth(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, tg target)
	}{
		{name: "1 a bad bearer token is HTTP 200 without WWW-Authenticate", run: func(t *testing.T, tg target) {
			m, resp := bearer(t, tg, "Bearer not-a-token").get(vals("action", "query", "meta", "userinfo"))
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "mwoauth-invalid-authorization", resp.Header.Get("MediaWiki-API-Error"))
			assert.Equal(t, []string{"mwoauth-invalid-authorization"}, errorCodes(m))
			assert.Empty(t, resp.Header.Values("WWW-Authenticate"))
		}},
		{name: "2 OAuth errors have no module, other errors do", run: func(t *testing.T, tg target) {
			m, _ := bearer(t, tg, "Bearer not-a-token").get(vals("action", "query"))
			require.Equal(t, []string{"mwoauth-invalid-authorization"}, errorCodes(m))
			assert.NotContains(t, dig(m, "errors", 0).(map[string]any), "module")
			c := bearer(t, tg, "Bearer "+tg.oauth.bearer)
			m, _ = c.post(vals("action", "logout", "token", c.token("csrf")))
			assert.Equal(t, []string{"cannotlogout"}, errorCodes(m))
			assert.Equal(t, "logout", dig(m, "errors", 0, "module"))
		}},
		{name: "3 error texts, never repeating a credential", run: func(t *testing.T, tg target) {
			now := time.Now().Unix()
			good := tg.oauth.one
			wrongSecret, wrongConsumer, wrongToken := good, good, good
			wrongSecret.TokenSecret = "wrong-secret"
			wrongConsumer.ConsumerKey = "wrong-consumer"
			wrongToken.Token = "wrong-token"
			fixed := nonce()
			for _, c := range []struct {
				name string
				cr   oauth1.Credentials
				n    string
				ts   int64
				want string
			}{
				{name: "signature", cr: wrongSecret, n: nonce(), ts: now, want: "Invalid signature"},
				{name: "consumer", cr: wrongConsumer, n: nonce(), ts: now, want: "Invalid consumer"},
				{name: "token", cr: wrongToken, n: nonce(), ts: now, want: "No approved grant was found for that authorization token."},
				{name: "nonce first use", cr: good, n: fixed, ts: now, want: ""},
				{name: "nonce reused", cr: good, n: fixed, ts: now, want: "Nonce already used: " + fixed},
			} {
				m, _ := signed(t, tg.api, http.MethodGet, vals("action", "query"), "", nil, c.cr, c.n, c.ts)
				text, _ := dig(m, "errors", 0, "text").(string)
				if c.want == "" {
					assert.Empty(t, errorCodes(m), c.name)
					continue
				}
				assert.Equal(t, invalidPrefix+c.want, text, c.name)
				for _, secret := range []string{good.ConsumerSecret, good.TokenSecret, "wrong-secret"} {
					assert.NotContains(t, text, secret, c.name)
				}
			}
			m, _ := bearer(t, tg, "Bearer not-a-token").get(vals("action", "query"))
			assert.Equal(t, invalidPrefix+"Invalid access token", dig(m, "errors", 0, "text"))
		}},
		{name: "4 OAuth 1 signs the canonical server URL", run: func(t *testing.T, tg target) {
			if tg.fake == nil {
				t.Skip("needs a second name for the real wiki's host")
			}
			other := strings.Replace(tg.api, "://127.0.0.1:", "://localhost:", 1)
			require.NotEqual(t, tg.api, other)
			m, _ := signed(t, other, http.MethodGet, vals("action", "query", "meta", "userinfo"), "", nil,
				tg.oauth.one, nonce(), time.Now().Unix())
			assert.Equal(t, invalidPrefix+"Invalid signature", dig(m, "errors", 0, "text"), "signed for localhost, $wgServer is 127.0.0.1")
			m, _ = signed(t, tg.api, http.MethodGet, vals("action", "query", "meta", "userinfo"), "", nil,
				tg.oauth.one, nonce(), time.Now().Unix())
			assert.Equal(t, tg.oauth.user, dig(m, "query", "userinfo", "name"))
			c := newClient(t, other)
			c.header.Set("Authorization", "Bearer "+tg.oauth.bearer)
			m, _ = c.get(vals("action", "query", "meta", "userinfo"))
			assert.Equal(t, tg.oauth.user, dig(m, "query", "userinfo", "name"), "OAuth 2 does not depend on the host name")
		}},
		{name: "5 a GET with a repeated parameter fails, a POST body verifies", run: func(t *testing.T, tg target) {
			now := time.Now().Unix()
			m, _ := signed(t, tg.api, http.MethodGet, vals("action", "query", "titles", "A"), "&titles=B", nil,
				tg.oauth.one, nonce(), now)
			assert.Equal(t, invalidPrefix+"Invalid signature", dig(m, "errors", 0, "text"))
			form := url.Values{"titles": {"A", "B"}}
			m, _ = signed(t, tg.api, http.MethodPost, vals("action", "query", "meta", "userinfo"), "", form,
				tg.oauth.one, nonce(), now)
			assert.Empty(t, errorCodes(m), "%v", m)
			assert.Equal(t, tg.oauth.user, dig(m, "query", "userinfo", "name"))
		}},
		{name: "6 the scheme is case-sensitive: bearer runs anonymously", run: func(t *testing.T, tg target) {
			m, resp := bearer(t, tg, "bearer "+tg.oauth.bearer).get(vals("action", "query", "meta", "userinfo"))
			assert.Empty(t, resp.Header.Get("MediaWiki-API-Error"))
			assert.Equal(t, true, dig(m, "query", "userinfo", "anon"))
			m, _ = bearer(t, tg, "Bearer "+tg.oauth.bearer).get(vals("action", "query", "meta", "userinfo"))
			assert.Equal(t, tg.oauth.user, dig(m, "query", "userinfo", "name"))
		}},
		{name: "7 consumer is checked before token, and a bad signature uses up its nonce", run: func(t *testing.T, tg target) {
			now := time.Now().Unix()
			both := tg.oauth.one
			both.ConsumerKey, both.Token = "wrong-consumer", "wrong-token"
			m, _ := signed(t, tg.api, http.MethodGet, vals("action", "query"), "", nil, both, nonce(), now)
			assert.Equal(t, invalidPrefix+"Invalid consumer", dig(m, "errors", 0, "text"))
			bad := tg.oauth.one
			bad.TokenSecret = "wrong-secret"
			n := nonce()
			m, _ = signed(t, tg.api, http.MethodGet, vals("action", "query"), "", nil, bad, n, now)
			require.Equal(t, invalidPrefix+"Invalid signature", dig(m, "errors", 0, "text"))
			m, _ = signed(t, tg.api, http.MethodGet, vals("action", "query"), "", nil, tg.oauth.one, n, now)
			assert.Equal(t, invalidPrefix+"Nonce already used: "+n, dig(m, "errors", 0, "text"))
		}},
		{name: "8 timestamps within 300 s either way", run: func(t *testing.T, tg target) {
			now := time.Now().Unix()
			for _, c := range []struct {
				ts int64
				ok bool
			}{{now + 290, true}, {now - 290, true}, {now - 301, false}, {now + 400, false}} {
				m, _ := signed(t, tg.api, http.MethodGet, vals("action", "query"), "", nil, tg.oauth.one, nonce(), c.ts)
				if c.ok {
					assert.Empty(t, errorCodes(m), "offset %d", c.ts-now)
					continue
				}
				text, _ := dig(m, "errors", 0, "text").(string)
				assert.True(t, strings.HasPrefix(text, invalidPrefix+"Expired timestamp, yours "+strconv.FormatInt(c.ts, 10)+", ours "),
					"offset %d: %q", c.ts-now, text)
			}
		}},
		{name: "9 no session cookie under OAuth", run: func(t *testing.T, tg target) {
			c := bearer(t, tg, "Bearer "+tg.oauth.bearer)
			csrf := c.token("csrf")
			m, resp := c.post(vals("action", "edit", "title", "Mwauth conformance OAuth", "appendtext", "x", "token", csrf))
			require.Equal(t, "Success", dig(m, "edit", "result"), "%v", m)
			for _, ck := range resp.Cookies() {
				assert.False(t, strings.HasSuffix(ck.Name, "_session") || strings.HasSuffix(ck.Name, "_BPsession"), ck.Name)
			}
		}},
		{name: "10 login flows under OAuth", run: func(t *testing.T, tg target) {
			c := bearer(t, tg, "Bearer "+tg.oauth.bearer)
			m, _ := c.post(vals("action", "login", "lgname", botUserBot, "lgpassword", botUserBotPass, "lgtoken", c.token("login")))
			assert.Equal(t, "Aborted", dig(m, "login", "result"))
			assert.Equal(t, "api-login-fail-badsessionprovider", dig(m, "login", "reason", "code"))
			m, _ = c.post(vals("action", "clientlogin", "username", "Alice", "password", "Alice-localwiki-pass-1",
				"loginreturnurl", "http://127.0.0.1/", "logintoken", c.token("login")))
			assert.Equal(t, "FAIL", dig(m, "clientlogin", "status"))
			assert.Equal(t, "userlogin-cannot-login", dig(m, "clientlogin", "messagecode"))
			m, _ = c.post(vals("action", "logout", "token", c.token("csrf")))
			assert.Equal(t, []string{"cannotlogout"}, errorCodes(m))
		}},
		{name: "11 rights are limited to grants", run: func(t *testing.T, tg target) {
			m, _ := bearer(t, tg, "Bearer "+tg.oauth.bearer).get(vals("action", "query", "meta", "userinfo", "uiprop", "rights|groups"))
			rights := strs(dig(m, "query", "userinfo", "rights"))
			require.Contains(t, rights, "edit")
			if tg.fake != nil {
				require.Contains(t, strs(dig(m, "query", "userinfo", "groups")), "bureaucrat")
				assert.NotContains(t, rights, "userrights", "no grant carries userrights, although the owner has it")
			}
		}},
	}
	forEachOAuthTarget(t, func(t *testing.T, tg target) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.run(t, tg) })
		}
	})
}
