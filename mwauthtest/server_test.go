package mwauthtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/oauth1"
	"github.com/mwauth/mwauth/internal/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultAccounts(t *testing.T) {
	t.Parallel()
	accts := DefaultAccounts()
	want := map[string]int{"Admin": 1, "BotUser": 3, "Alice": 4, "TwoFAUser": 5, "CaptchaUser": 6, "ThrottleUser": 7}
	require.Len(t, accts, len(want))
	for _, a := range accts {
		assert.Equal(t, want[a.Name], a.ID, a.Name)
		for app, pw := range a.BotPasswords {
			assert.Equal(t, "localbot", app)
			assert.Regexp(t, `^[0-9a-w]{32,}$`, pw, "a bot password MediaWiki accepts as one")
		}
	}
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	for _, a := range accts {
		if a.TOTPSecret != "" {
			continue
		}
		m := c.login(a.Name, a.Password)
		assert.Equal(t, "Success", dig(m, "login", "result"), a.Name)
		assert.EqualValues(t, a.ID, dig(m, "login", "lguserid"), a.Name)
	}
}

func TestWithAccounts(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithAccounts(
		Account{Name: "zed_the_bot", Password: "Pw-1", Groups: []string{"bot"},
			BotPasswords: map[string]string{"app": "0123456789abcdef0123456789abcdef", "weak": "NOT-A-BOT-PASSWORD-but-long-enough"}},
		Account{Name: "Yves", ID: 10, Password: "Pw-2"},
		Account{Name: "Xena", Password: "Pw-3"},
	))
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)

	m := c.login("Zed the bot@app", "0123456789abcdef0123456789abcdef")
	assert.Equal(t, "Success", dig(m, "login", "result"))
	assert.EqualValues(t, 1, dig(m, "login", "lguserid"))
	assert.Equal(t, "Zed the bot", dig(m, "login", "lgusername"), "names are normalized")
	m, _ = c.get(vals("action", "query", "meta", "userinfo", "assert", "bot", "uiprop", "groups"))
	assert.Equal(t, []any{"bot", "*", "user", "autoconfirmed"}, dig(m, "query", "userinfo", "groups"))

	// A "bot password" that MediaWiki would not accept as one never works.
	c2 := newTClient(t, srv)
	m = c2.login("Zed the bot@weak", "NOT-A-BOT-PASSWORD-but-long-enough")
	assert.Equal(t, "Failed", dig(m, "login", "result"))

	c3 := newTClient(t, srv)
	m = c3.login("Xena", "Pw-3")
	assert.EqualValues(t, 11, dig(m, "login", "lguserid"), "next id after the largest so far")
}

// TestErrorsPlaintext covers the errors the SDK sees with its pinned
// format=json&formatversion=2&errorformat=plaintext.
func TestErrorsPlaintext(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	tests := []struct {
		name      string
		method    string
		params    url.Values
		code      string
		module    string
		text      string
		withToken string // form key that gets a fresh login token
	}{
		{name: "unknown action", method: "GET", params: vals("action", "frobnicate"), code: "badvalue", module: "main",
			text: `Unrecognized value for parameter "action": frobnicate.`},
		{name: "bad assert value", method: "GET", params: vals("action", "query", "assert", "admin"), code: "badvalue", module: "main"},
		{name: "assert user", method: "GET", params: vals("action", "query", "meta", "userinfo", "assert", "user"), code: "assertuserfailed", module: "main"},
		{name: "assert anon passes", method: "GET", params: vals("action", "query", "meta", "userinfo", "assert", "anon")},
		{name: "assertuser", method: "GET", params: vals("action", "query", "assertuser", "Alice"), code: "assertnameduserfailed", module: "main",
			text: `You are no longer logged in as "Alice", so the action could not be completed.`},
		{name: "assertuser ip", method: "GET", params: vals("action", "query", "assertuser", "127.0.0.1"), code: "baduser", module: "main"},
		{name: "login GET", method: "GET", params: vals("action", "login", "lgname", "Alice"), code: "mustbeposted", module: "main",
			text: `The "login" module requires a POST request.`},
		{name: "logout GET with token", method: "GET", params: vals("action", "logout", "token", `+\`), code: "mustpostparams", module: "logout"},
		{name: "logout without token", method: "POST", params: vals("action", "logout"), code: "missingparam", module: "logout",
			text: `The "token" parameter must be set.`},
		{name: "logout empty token", method: "POST", params: vals("action", "logout", "token", ""), code: "missingparam", module: "logout"},
		{name: "clientlogin bad token", method: "POST", params: vals("action", "clientlogin", "loginreturnurl", "http://x/", "logintoken", `bogus+\`),
			code: "badtoken", module: "clientlogin", text: "Invalid CSRF token."},
		{name: "clientlogin bad messageformat", method: "POST", params: vals("action", "clientlogin", "loginmessageformat", "plaintext"),
			code: "badvalue", module: "clientlogin"},
		{name: "clientlogin relative return url", method: "POST", params: vals("action", "clientlogin", "loginreturnurl", "//example.org/"),
			withToken: "logintoken", code: "badurl_loginreturnurl", module: "clientlogin",
			text: `Invalid value "//example.org/" for URL parameter "loginreturnurl".`},
		{name: "clientlogin neither returnurl nor continue", method: "POST", params: vals("action", "clientlogin"), withToken: "logintoken",
			code: "missingparam", module: "clientlogin",
			text: `At least one of the parameters "logincontinue" and "loginreturnurl" is required.`},
		{name: "clientlogin password in URL", method: "POST", params: vals("action", "clientlogin", "loginreturnurl", "http://x/", "password", "x"),
			withToken: "logintoken", code: "mustpostparams", module: "clientlogin",
			text: "The following parameter was found in the query string, but must be in the POST body: password."},
		{name: "login password in URL", method: "POST", params: vals("action", "login", "lgname", "Alice", "lgpassword", "x"),
			code: "mustpostparams", module: "login"},
		{name: "bad formatversion", method: "GET", params: vals("action", "query", "formatversion", "3"), code: "badvalue", module: "main"},
		{name: "bad errorformat", method: "GET", params: vals("action", "query", "errorformat", "fancy"), code: "badvalue", module: "main"},
		{name: "bad maxlag", method: "GET", params: vals("action", "query", "maxlag", "soon"), code: "badinteger", module: "main"},
		{name: "checktoken without type", method: "GET", params: vals("action", "checktoken", "token", `+\`), code: "missingparam", module: "checktoken"},
		{name: "edit without title", method: "POST", params: vals("action", "edit", "token", `+\`, "text", "x"), code: "missingparam", module: "edit"},
		{name: "edit GET", method: "GET", params: vals("action", "edit", "title", "X", "text", "x"), code: "missingparam", module: "edit"},
	}
	for _, tt := range tests {
		tt := tt
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newTClient(t, srv)
			var m map[string]any
			var resp *http.Response
			switch {
			case tt.name == "clientlogin password in URL" || tt.name == "login password in URL":
				// Secret in the query string, the rest in the body.
				secret := "password"
				if tt.params.Get("lgpassword") != "" {
					secret = "lgpassword"
				}
				body := c.with(tt.params)
				body.Del(secret)
				if tt.withToken != "" {
					body.Set(tt.withToken, c.token("login"))
				}
				r, err := c.hc.PostForm(srv.URL+"?"+secret+"=x", body)
				require.NoError(t, err)
				m, resp = decode(t, r), r
			case tt.method == "GET":
				m, resp = c.get(tt.params)
			default:
				p := tt.params
				if tt.withToken != "" {
					p.Set(tt.withToken, c.token("login"))
				}
				m, resp = c.post(p)
			}
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			assert.Equal(t, tt.code, resp.Header.Get("MediaWiki-API-Error"))
			if tt.code == "" {
				assert.Nil(t, m["errors"])
				return
			}
			assert.Equal(t, tt.code, errCode(m))
			if strings.HasPrefix(tt.name, "bad formatversion") || strings.HasPrefix(tt.name, "bad errorformat") {
				return // reported before the error format is known
			}
			assert.Equal(t, tt.module, dig(m, "errors", 0, "module"))
			if tt.text != "" {
				assert.Equal(t, tt.text, dig(m, "errors", 0, "text"))
			}
			assert.Contains(t, m["docref"], "See "+srv.URL+" for API usage.")
		})
	}
}

func TestUnrecognizedParamsAndValues(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	m, _ := c.get(vals("action", "query", "meta", "tokens|bogusmeta", "type", "csrf|bogustype", "uiprop", "groups", "foo", "bar"))
	assert.Equal(t, `+\`, dig(m, "query", "tokens", "csrftoken"))
	var got []string
	for _, w := range m["warnings"].([]any) {
		w := w.(map[string]any)
		got = append(got, w["module"].(string)+":"+w["code"].(string)+":"+w["text"].(string))
	}
	assert.ElementsMatch(t, []string{
		`query+tokens:unrecognizedvalues:Unrecognized value for parameter "type": bogustype.`,
		`query:unrecognizedvalues:Unrecognized value for parameter "meta": bogusmeta.`,
		`main:unrecognizedparams:Unrecognized parameters: foo, uiprop.`,
	}, got)
}

func TestTokens(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	m, resp := c.get(vals("action", "query", "meta", "tokens", "type", "*"))
	toks := dig(m, "query", "tokens").(map[string]any)
	assert.Len(t, toks, 7)
	for _, typ := range []string{"csrf", "watch", "patrol", "rollback", "userrights"} {
		assert.Equal(t, `+\`, toks[typ+"token"], "anonymous %s token", typ)
	}
	for _, typ := range []string{"login", "createaccount"} {
		assert.Regexp(t, `^[0-9a-f]{40}\+\\$`, toks[typ+"token"])
	}
	assert.Equal(t, "localwiki_session", cookieNames(resp), "a login token persists the session")

	// csrf alone does not start a session.
	c2 := newTClient(t, srv)
	_, resp = c2.get(vals("action", "query", "meta", "tokens"))
	assert.Empty(t, cookieNames(resp))

	// checktoken
	login := c.token("login")
	m, _ = c.get(vals("action", "checktoken", "type", "login", "token", login))
	assert.Equal(t, "valid", dig(m, "checktoken", "result"))
	assert.NotEmpty(t, dig(m, "checktoken", "generated"))
	m, _ = c.get(vals("action", "checktoken", "type", "csrf", "token", login))
	assert.Equal(t, "invalid", dig(m, "checktoken", "result"))
	m, _ = c.get(vals("action", "checktoken", "type", "csrf", "token", `+ \`))
	assert.Equal(t, "invalid", dig(m, "checktoken", "result"))
	assert.Equal(t, "checktoken-percentencoding", dig(m, "warnings", 0, "code"))

	// origin=* strips credentials and withholds tokens.
	m, resp = c.get(vals("action", "query", "meta", "tokens|userinfo", "type", "login", "origin", "*"))
	assert.Nil(t, dig(m, "query", "tokens"))
	assert.Equal(t, "tokens-origin", dig(m, "warnings", 0, "code"))
	assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"))
	m, _ = c.post(vals("action", "login", "lgname", "Alice", "lgpassword", "x", "origin", "*"))
	assert.Equal(t, "Aborted", dig(m, "login", "result"))
	assert.Equal(t, "api-login-fail-sameorigin", dig(m, "login", "reason", "code"))
}

func TestTokensResetOnLoginAndLogout(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	before := c.token("login")
	m := c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	require.Equal(t, "PASS", dig(m, "clientlogin", "status"))
	m, _ = c.get(vals("action", "checktoken", "type", "login", "token", before))
	assert.Equal(t, "invalid", dig(m, "checktoken", "result"), "login rotates the session and its tokens")

	csrf := c.token("csrf")
	require.NotEqual(t, `+\`, csrf)
	m, _ = c.get(vals("action", "checktoken", "type", "csrf", "token", csrf))
	assert.Equal(t, "valid", dig(m, "checktoken", "result"))

	m, resp := c.post(vals("action", "logout", "token", csrf))
	assert.Equal(t, map[string]any{}, m)
	assert.Equal(t, "localwiki_session(deleted),localwikiUserID(deleted),localwikiLoggedOut", cookieNames(resp))
	assert.Equal(t, "127.0.0.1", c.whoami())
	assert.Equal(t, `+\`, c.token("csrf"))
	m, _ = c.post(vals("action", "logout", "token", csrf))
	assert.Equal(t, "badtoken", errCode(m))
}

func TestTwoFactorReplayGuardAndWindow(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	srv := NewServer(WithClock(clk.Now))
	t.Cleanup(srv.Close)
	key, err := totp.DecodeSecret("LOCALWIKI2FATEST")
	require.NoError(t, err)
	step := totp.Step(clk.Now())
	code := func(off int64) string { return totp.CodeAt(key, step+off) }
	assert.Equal(t, code(0), srv.TOTPCode("TwoFAUser", 0))
	assert.Equal(t, "", srv.TOTPCode("Alice", 0))

	try := func(codes ...string) []string {
		c := newTClient(t, srv)
		m := c.clientLogin("username", "TwoFAUser", "password", "TwoFA-localwiki-pass-1")
		require.Equal(t, "UI", dig(m, "clientlogin", "status"))
		require.Equal(t, "oathauth-auth-ui", dig(m, "clientlogin", "messagecode"))
		require.Equal(t, idTOTP, dig(m, "clientlogin", "requests", 0, "id"))
		var out []string
		for _, cd := range codes {
			m = c.continueLogin("OATHToken", cd)
			st := dig(m, "clientlogin", "status").(string)
			if st == "UI" {
				st += " " + dig(m, "clientlogin", "messagecode").(string)
			}
			out = append(out, st)
		}
		return out
	}
	assert.Equal(t, []string{"UI oathauth-login-failed", "PASS"}, try(code(5), code(0)), "only steps -4..+4 count")
	assert.Equal(t, []string{"UI oathauth-login-failed", "UI oathauth-login-failed", "PASS"},
		try(code(0), code(-1), " "+code(1)[:3]+" "+code(1)[3:]+" "),
		"a used step and earlier ones are refused; white space is ignored")
	assert.Equal(t, []string{"PASS"}, try(code(4)))
	assert.Equal(t, []string{"UI oathauth-login-failed"}, try(code(4)))
	clk.Add(3 * time.Minute) // now is step+6: the window is step+2..step+10
	assert.Equal(t, []string{"UI oathauth-login-failed", "UI oathauth-login-failed", "PASS"}, try(code(1), code(11), code(6)))

	// action=login with the main password: Aborted; bot passwords skip 2FA.
	c := newTClient(t, srv)
	m := c.login("TwoFAUser", "TwoFA-localwiki-pass-1")
	assert.Equal(t, "Aborted", dig(m, "login", "result"))
	assert.Equal(t, "api-login-fail-aborted", dig(m, "login", "reason", "code"))
	m = c.login("TwoFAUser@localbot", "twofabotpassword0123456789abcdef")
	assert.Equal(t, "Success", dig(m, "login", "result"))
}

func TestOATHRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version Version
		text    string
	}{
		{name: "1.39", version: MediaWiki139, text: "Too many verification attempts! Please wait 1 minute."},
		{name: "1.43", version: MediaWiki143, text: "Too many attempts! please wait a few minutes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clk := NewClock(time.Date(2026, 11, 22, 5, 3, 49, 0, time.UTC))
			srv := NewServer(WithClock(clk.Now), WithVersion(tt.version))
			t.Cleanup(srv.Close)
			c := newTClient(t, srv)
			m := c.clientLogin("username", "TwoFAUser", "password", "TwoFA-localwiki-pass-1")
			require.Equal(t, "UI", dig(m, "clientlogin", "status"))
			for i := 0; i < 10; i++ {
				m = c.continueLogin("OATHToken", "000000")
				require.Equal(t, "oathauth-login-failed", dig(m, "clientlogin", "messagecode"))
			}
			m = c.continueLogin("OATHToken", srv.TOTPCode("TwoFAUser", 0))
			assert.Equal(t, "oathauth-throttled", dig(m, "clientlogin", "messagecode"))
			assert.Equal(t, tt.text, dig(m, "clientlogin", "message"))
			require.NoError(t, clk.Sleep(context.Background(), 61*time.Second), "the throttle is waited out on the fake clock")
			m = c.continueLogin("OATHToken", srv.TOTPCode("TwoFAUser", 0))
			assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
		})
	}
}

func TestThrottleOption(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	srv := NewServer(WithClock(clk.Now), WithThrottle(2, 5*time.Minute), WithCaptcha("", "", -1))
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	for i := 0; i < 2; i++ {
		m := c.clientLogin("username", "Alice", "password", "wrong")
		require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))
	}
	m := c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "login-throttled", dig(m, "clientlogin", "messagecode"))
	assert.Equal(t, "You have made too many recent login attempts.\nPlease wait 5 minutes before trying again.", dig(m, "clientlogin", "message"))
	m = c.login("Alice", "Alice-localwiki-pass-1")
	assert.Equal(t, map[string]any{"code": "login-throttled",
		"text": "You have made too many recent login attempts. Please wait 5 minutes before trying again."}, dig(m, "login", "reason"))

	// Bot passwords have their own bucket, per main account name.
	for i := 0; i < 2; i++ {
		m = c.login("Admin@localbot", "0000000000000000000000000000000w")
		require.Equal(t, "wrongpassword", dig(m, "login", "reason", "code"))
	}
	m = c.login("Admin@localbot", "adminbotpassword0123456789abcdef")
	assert.Equal(t, "login-throttled", dig(m, "login", "reason", "code"))
	c2 := newTClient(t, srv)
	m = c2.login("BotUser@localbot", "botuserbotpassword0123456789abcd")
	assert.Equal(t, "Success", dig(m, "login", "result"))

	clk.Add(5 * time.Minute)
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))

	// WithThrottle(0, ...) turns it off.
	srv2 := NewServer(WithThrottle(0, 0), WithCaptcha("", "", -1))
	t.Cleanup(srv2.Close)
	c3 := newTClient(t, srv2)
	for i := 0; i < 20; i++ {
		m = c3.clientLogin("username", "Alice", "password", "wrong")
		require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))
	}
}

func TestCaptchaOption(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithCaptcha("Capital of France?", "Paris", 1))
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	m := c.clientLogin("username", "Alice", "password", "wrong")
	require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))
	// The next attempt fails whatever the password, and marks the session.
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))

	m, _ = c.get(vals("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login", "amimergerequestfields", "1"))
	assert.Equal(t, idCaptcha, dig(m, "query", "authmanagerinfo", "requests", 0, "id"))
	assert.Equal(t, "Capital of France?", dig(m, "query", "authmanagerinfo", "fields", "captchaInfo", "value"))
	id := dig(m, "query", "authmanagerinfo", "fields", "captchaId", "value").(string)

	// A captcha id is single-use: a wrong answer burns it.
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "captchaId", id, "captchaWord", "Lyon")
	require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "captchaId", id, "captchaWord", "Paris")
	require.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))

	m, _ = c.get(vals("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login", "amimergerequestfields", "1"))
	id = dig(m, "query", "authmanagerinfo", "fields", "captchaId", "value").(string)
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "captchaId", id, "captchaWord", " pARIS ")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"), "answers are case-insensitive")

	// The PASS reset the counter.
	c2 := newTClient(t, srv)
	m = c2.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))

	// Off.
	srv2 := NewServer(WithCaptcha("q", "a", -1))
	t.Cleanup(srv2.Close)
	c3 := newTClient(t, srv2)
	for i := 0; i < 5; i++ {
		c3.clientLogin("username", "CaptchaUser", "password", "wrong")
	}
	m = c3.clientLogin("username", "CaptchaUser", "password", "Captcha-localwiki-pass-1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
}

func TestSessionTTLAndRememberMe(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	srv := NewServer(WithClock(clk.Now), WithSessionTTL(10*time.Minute))
	t.Cleanup(srv.Close)

	short := newTClient(t, srv)
	m := short.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	require.Equal(t, "PASS", dig(m, "clientlogin", "status"))
	remembered := newTClient(t, srv)
	m = remembered.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "rememberMe", "0")
	require.Equal(t, "PASS", dig(m, "clientlogin", "status"), "rememberMe is a presence boolean")
	bot := newTClient(t, srv)
	require.Equal(t, "Success", dig(bot.login("BotUser@localbot", "botuserbotpassword0123456789abcd"), "login", "result"))

	clk.Add(9 * time.Minute)
	assert.Equal(t, "Alice", short.whoami(), "use renews the session")
	clk.Add(9 * time.Minute)
	assert.Equal(t, "Alice", short.whoami())
	clk.Add(11 * time.Minute)
	m, resp := short.get(vals("action", "query", "meta", "userinfo", "assert", "user"))
	assert.Equal(t, "assertuserfailed", errCode(m))
	assert.Equal(t, "localwiki_session", cookieNames(resp), "a new session replaces the unknown one")
	assert.Equal(t, "Alice", remembered.whoami(), "remember-me cookies outlive the session")
	m, _ = bot.get(vals("action", "query", "meta", "userinfo", "assert", "user"))
	assert.Equal(t, "assertuserfailed", errCode(m), "bot-password sessions have no remember-me")

	// ExpireSessions: the same for everybody at once.
	main := newTClient(t, srv)
	require.Equal(t, "Success", dig(main.login("Admin", "Admin-localwiki-pass-1"), "login", "result"))
	require.NotNil(t, dig(main.login("Admin", "Admin-localwiki-pass-1"), "warnings"))
	pending := newTClient(t, srv)
	require.Equal(t, "UI", dig(pending.clientLogin("username", "TwoFAUser", "password", "TwoFA-localwiki-pass-1"), "clientlogin", "status"))
	oldTok := pending.token("login")
	srv.ExpireSessions()
	assert.Equal(t, "Admin", main.whoami(), "action=login always remembers")
	m, _ = pending.post(vals("action", "clientlogin", "logincontinue", "1", "OATHToken", "123456", "logintoken", oldTok))
	assert.Equal(t, "badtoken", errCode(m))
	m = pending.continueLogin("OATHToken", "123456")
	assert.Equal(t, "authmanager-authn-not-in-progress", dig(m, "clientlogin", "messagecode"))
}

func TestBotPasswordSessions(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	// The other form: lgname=User, lgpassword=AppId@password.
	m := c.login("BotUser", "localbot@botuserbotpassword0123456789abcd")
	require.Equal(t, "Success", dig(m, "login", "result"))
	assert.Nil(t, m["warnings"], "no deprecation warning for bot passwords")
	m, _ = c.get(vals("action", "query", "meta", "authmanagerinfo", "amisecuritysensitiveoperation", "ChangeEmail"))
	assert.Equal(t, false, dig(m, "query", "authmanagerinfo", "canauthenticatenow"))
	assert.Equal(t, "ok", dig(m, "query", "authmanagerinfo", "securitysensitiveoperationstatus"))
	m, _ = c.get(vals("action", "query", "meta", "userinfo", "uiprop", "rights"))
	rights := fmt.Sprint(dig(m, "query", "userinfo", "rights"))
	assert.Contains(t, rights, "bot")
	assert.NotContains(t, rights, "editmyprivateinfo", "rights are limited to grants")

	m = c.login("Admin@localbot", "adminbotpassword0123456789abcdef")
	assert.Equal(t, "Aborted", dig(m, "login", "result"))
	assert.Equal(t, map[string]any{"code": "api-login-fail-badsessionprovider",
		"text": `Cannot log in when using MediaWiki\Session\BotPasswordSessionProvider sessions.`}, dig(m, "login", "reason"))
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "userlogin-cannot-login", dig(m, "clientlogin", "messagecode"))

	// Edit with the CSRF token, then log out.
	csrf := c.token("csrf")
	m, _ = c.post(vals("action", "edit", "title", "Sandbox", "text", "Hello", "assert", "bot", "token", csrf))
	assert.Equal(t, "Success", dig(m, "edit", "result"))
	assert.Equal(t, true, dig(m, "edit", "new"))
	m, resp := c.post(vals("action", "logout", "token", csrf))
	assert.Equal(t, map[string]any{}, m)
	assert.Equal(t, "localwiki_BPsession(deleted)", cookieNames(resp))
	assert.Equal(t, "127.0.0.1", c.whoami())
}

func TestEdit(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	require.Equal(t, "PASS", dig(c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1"), "clientlogin", "status"))
	csrf := c.token("csrf")
	m, _ := c.post(vals("action", "edit", "title", "my_page", "text", "A", "token", csrf))
	require.Equal(t, "Success", dig(m, "edit", "result"))
	assert.Equal(t, "My page", dig(m, "edit", "title"))
	assert.EqualValues(t, 0, dig(m, "edit", "oldrevid"))
	pageID := dig(m, "edit", "pageid")
	m, _ = c.post(vals("action", "edit", "title", "My page", "appendtext", "B", "token", csrf))
	assert.EqualValues(t, 1, dig(m, "edit", "oldrevid"))
	assert.EqualValues(t, 2, dig(m, "edit", "newrevid"))
	assert.Equal(t, pageID, dig(m, "edit", "pageid"))
	m, _ = c.post(vals("action", "edit", "pageid", fmt.Sprint(pageID), "text", "AB", "token", csrf))
	assert.Equal(t, true, dig(m, "edit", "nochange"))
	m, _ = c.post(vals("action", "edit", "title", "Other", "text", "x", "nocreate", "1", "token", csrf))
	assert.Equal(t, "missingtitle", errCode(m))
	m, _ = c.post(vals("action", "edit", "title", "Other", "text", "x", "token", `+\`))
	assert.Equal(t, "badtoken", errCode(m))
	m, _ = c.get(vals("action", "query", "meta", "userinfo", "uiprop", "editcount"))
	assert.EqualValues(t, 2, dig(m, "query", "userinfo", "editcount"))

	// Anonymous edits use the +\ token.
	anon := newTClient(t, srv)
	m, _ = anon.post(vals("action", "edit", "title", "Anon", "text", "x", "token", `+\`))
	assert.Equal(t, "Success", dig(m, "edit", "result"))
	m, _ = anon.post(vals("action", "edit", "title", "Anon", "text", "y", "token", `+\`, "assert", "user"))
	assert.Equal(t, "assertuserfailed", errCode(m))
}

func TestReadOnlyAndFailNext(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	srv.SetReadOnly("Upgrading the database")
	m, _ := c.post(vals("action", "login", "lgname", "Alice", "lgpassword", "x"))
	assert.Equal(t, "readonly", errCode(m))
	assert.Equal(t, map[string]any{"readonlyreason": "Upgrading the database"}, dig(m, "errors", 0, "data"))
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "readonly", errCode(m))
	assert.Equal(t, "127.0.0.1", c.whoami(), "reads still work")
	srv.SetReadOnly("")
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))

	srv.FailNext(2, "maxlag")
	for i := 0; i < 2; i++ {
		m, resp := c.get(vals("action", "query", "meta", "userinfo", "maxlag", "5"))
		assert.Equal(t, "maxlag", errCode(m))
		assert.Equal(t, "maxlag", resp.Header.Get("MediaWiki-API-Error"))
		assert.Equal(t, "5", resp.Header.Get("Retry-After"))
		assert.Equal(t, "5", resp.Header.Get("X-Database-Lag"))
		assert.EqualValues(t, 5, dig(m, "errors", 0, "data", "lag"))
	}
	assert.Equal(t, "Alice", c.whoami())

	srv.FailNext(1, "ratelimited")
	m, _ = c.get(vals("action", "query"))
	assert.Equal(t, "You've exceeded your rate limit. Please wait some time and try again.", dig(m, "errors", 0, "text"))
	srv.FailNext(1, "something-else")
	m, _ = c.get(vals("action", "query"))
	assert.Equal(t, "something-else", errCode(m))

	srv.FailNextHTTP(1, http.StatusBadGateway, "<html><body>502 Bad Gateway</body></html>")
	resp, err := c.hc.Get(srv.URL + "?action=query&format=json")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.Contains(t, string(body), "502 Bad Gateway")
	assert.Equal(t, "Alice", c.whoami())

	// Unknown HTTP method.
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"?action=query&format=json", nil)
	resp, err = c.hc.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "invalidmethod", resp.Header.Get("MediaWiki-API-Error"))
}

func TestRequestsLog(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	c.login("Admin@localbot", "adminbotpassword0123456789abcdef")
	reqs := srv.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "GET", reqs[0].Method)
	assert.Equal(t, "query", reqs[0].Action)
	assert.Equal(t, "tokens", reqs[0].Params.Get("meta"))
	assert.Equal(t, "tokens", reqs[0].Query.Get("meta"))
	assert.Equal(t, "/api.php", reqs[0].Path)
	assert.Equal(t, "POST", reqs[1].Method)
	assert.Equal(t, "login", reqs[1].Action)
	assert.Equal(t, "adminbotpassword0123456789abcdef", reqs[1].Params.Get("lgpassword"))
	assert.Empty(t, reqs[1].Query, "the secret was in the body")
	assert.Equal(t, "application/x-www-form-urlencoded", reqs[1].Header.Get("Content-Type"))
	c.whoami()
	reqs = srv.Requests()[len(reqs):]
	require.Len(t, reqs, 1, "a later phase is the slice after the earlier length")
	assert.Equal(t, "userinfo", reqs[0].Params.Get("meta"))
}

func TestSSOFlowThroughIdP(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSSO())
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	ret := "http://127.0.0.1/return?x=1"
	m, _ := c.post(vals("action", "clientlogin", "loginreturnurl", ret, "logintoken", c.token("login"), ssoButton, "1"))
	require.Equal(t, "REDIRECT", dig(m, "clientlogin", "status"))
	target := dig(m, "clientlogin", "redirecttarget").(string)
	state := dig(m, "clientlogin", "redirectdata", "state").(string)
	assert.Equal(t, strings.TrimSuffix(srv.URL, "/api.php")+"/fakesso-idp?state="+state+"&returnto="+url.QueryEscape(ret), target)

	// The browser part: the identity provider sends the user back.
	resp, err := c.hc.Get(target + "&user=New_user")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	assert.Equal(t, "1", back.Query().Get("x"))
	assert.Equal(t, state, back.Query().Get("state"))
	m = c.continueLogin("fakessocode", back.Query().Get("fakessocode"))
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
	assert.Equal(t, "New user", dig(m, "clientlogin", "username"), "the account is created")
	m, _ = c.get(vals("action", "query", "meta", "userinfo"))
	assert.EqualValues(t, 8, dig(m, "query", "userinfo", "id"))

	// The identity provider's page without a user is a form.
	resp, err = c.hc.Get(target)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(body), "FakeSSO identity provider")

	// A two-factor account still needs its code after SSO.
	c2 := newTClient(t, srv)
	m, _ = c2.post(vals("action", "clientlogin", "loginreturnurl", ret, "logintoken", c2.token("login"), ssoButton, "1"))
	require.Equal(t, "REDIRECT", dig(m, "clientlogin", "status"))
	m = c2.continueLogin("fakessocode", "user:TwoFAUser")
	assert.Equal(t, "UI", dig(m, "clientlogin", "status"))
}

func TestClientLoginOptions(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithSSO())
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)

	// loginrequests limits the requests (and so the accepted fields).
	m := c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "loginrequests", idRememberMe)
	assert.Equal(t, "authmanager-authn-no-primary", dig(m, "clientlogin", "messagecode"))
	assert.Equal(t, "unrecognizedparams", dig(m, "warnings", 0, "code"))

	// loginmessageformat=raw and none.
	m = c.clientLogin("username", "Alice", "password", "x", "loginmessageformat", "raw")
	assert.Equal(t, map[string]any{"key": "wrongpassword", "params": []any{}}, dig(m, "clientlogin", "message"))
	m = c.clientLogin("username", "Alice", "password", "x", "loginmessageformat", "none")
	assert.Nil(t, dig(m, "clientlogin", "message"))
	assert.Equal(t, "wrongpassword", dig(m, "clientlogin", "messagecode"))

	// html renders links.
	m, _ = c.get(vals("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login", "amimessageformat", "html"))
	assert.Equal(t, "Keep me logged in", dig(m, "query", "authmanagerinfo", "requests", 2, "fields", "rememberMe", "label"))

	// merged fields with SSO: username and password become optional.
	m, _ = c.get(vals("action", "query", "meta", "authmanagerinfo", "amirequestsfor", "login", "amimergerequestfields", "1"))
	assert.Equal(t, true, dig(m, "query", "authmanagerinfo", "fields", "username", "optional"))
	assert.Equal(t, true, dig(m, "query", "authmanagerinfo", "fields", "password", "sensitive"))

	// RESTART keeps the flow: logincontinue with a password passes.
	m, _ = c.post(vals("action", "clientlogin", "loginreturnurl", "http://x/", "logintoken", c.token("login"), ssoButton, "1"))
	require.Equal(t, "REDIRECT", dig(m, "clientlogin", "status"))
	m = c.continueLogin("fakessocode", "nouser")
	require.Equal(t, "RESTART", dig(m, "clientlogin", "status"))
	assert.Equal(t, false, dig(m, "clientlogin", "canpreservestate"))
	m = c.continueLogin("username", "Alice", "password", "Alice-localwiki-pass-1", "rememberMe", "1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
}

func TestOAuth2(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithOAuth2Token("good-token", "BotUser"), WithOAuth2Token("ghost-token", "Nobody"))
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	bearer := func(tok string) *tclient {
		cc := newTClient(t, srv)
		cc.hc.Transport = headerTransport{"Authorization", "Bearer " + tok}
		return cc
	}
	b := bearer("good-token")
	assert.Equal(t, "BotUser", b.whoami())
	m, _ := b.get(vals("action", "query", "meta", "userinfo", "assert", "bot"))
	assert.Nil(t, m["errors"])
	csrf := b.token("csrf")
	require.NotEqual(t, `+\`, csrf)
	m, _ = b.post(vals("action", "edit", "title", "OAuth", "text", "x", "token", csrf))
	assert.Equal(t, "Success", dig(m, "edit", "result"), "the CSRF token stays valid across requests")
	m = b.login("Alice", "Alice-localwiki-pass-1")
	assert.Equal(t, "api-login-fail-badsessionprovider", dig(m, "login", "reason", "code"))
	m = b.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "userlogin-cannot-login", dig(m, "clientlogin", "messagecode"))
	m, _ = b.post(vals("action", "logout", "token", csrf))
	assert.Equal(t, "cannotlogout", errCode(m))

	bad := bearer("bad-token")
	m, resp := bad.get(vals("action", "query", "meta", "userinfo"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "mwoauth-invalid-authorization", errCode(m))
	assert.Equal(t, "mwoauth-invalid-authorization", resp.Header.Get("MediaWiki-API-Error"))
	assert.Empty(t, resp.Header.Values("WWW-Authenticate"), "the real extension answers in ApiBeforeMain, not as a resource server")
	assert.NotContains(t, dig(m, "errors", 0), "module")
	assert.Equal(t, "The authorization headers in your request are not valid: Invalid access token", dig(m, "errors", 0, "text"))
	lower := newTClient(t, srv)
	lower.hc.Transport = headerTransport{"Authorization", "bearer good-token"}
	assert.Equal(t, "127.0.0.1", lower.whoami(), "a scheme in lower case is not OAuth: the request runs anonymously")
	m, _ = bearer("ghost-token").get(vals("action", "query"))
	assert.Equal(t, "mwoauth-invalid-authorization-invalid-user", errCode(m))

	assert.Equal(t, "127.0.0.1", c.whoami(), "no header, no OAuth")
}

type headerTransport struct{ k, v string }

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(h.k, h.v)
	return http.DefaultTransport.RoundTrip(r)
}

func TestOAuth1(t *testing.T) {
	t.Parallel()
	clk := newFakeClock()
	srv := NewServer(WithClock(clk.Now), WithOAuth1("ckey", "csecret", "atoken", "asecret", "Alice"))
	t.Cleanup(srv.Close)
	creds := oauth1.Credentials{ConsumerKey: "ckey", ConsumerSecret: "csecret", Token: "atoken", TokenSecret: "asecret"}
	hc := &http.Client{}
	n := 0
	send := func(method string, query, form url.Values, cr oauth1.Credentials, nonce string, ts int64, tamper func(*http.Request)) map[string]any {
		t.Helper()
		query = (&tclient{fmt: url.Values{"format": {"json"}, "formatversion": {"2"}, "errorformat": {"plaintext"}}}).with(query)
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, srv.URL+"?"+query.Encode(), body)
		require.NoError(t, err)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if nonce == "" {
			n++
			nonce = fmt.Sprintf("nonce%d", n)
		}
		require.NoError(t, oauth1.Sign(req, form, cr, nonce, ts))
		if tamper != nil {
			tamper(req)
		}
		resp, err := hc.Do(req)
		require.NoError(t, err)
		return decode(t, resp)
	}
	now := clk.Now().Unix()
	m := send("GET", vals("action", "query", "meta", "userinfo|tokens", "type", "csrf"), nil, creds, "", now, nil)
	assert.Equal(t, "Alice", dig(m, "query", "userinfo", "name"))
	csrf := dig(m, "query", "tokens", "csrftoken").(string)

	m = send("POST", vals("action", "edit"), vals("title", "Signed", "text", "body params are signed", "token", csrf), creds, "", now, nil)
	assert.Equal(t, "Success", dig(m, "edit", "result"))

	text := func(m map[string]any) string { s, _ := dig(m, "errors", 0, "text").(string); return s }
	m = send("POST", vals("action", "edit"), vals("title", "Signed", "text", "x", "token", csrf), creds, "", now, func(r *http.Request) {
		r.Body = io.NopCloser(strings.NewReader(vals("title", "Signed", "text", "tampered", "token", csrf).Encode()))
		r.ContentLength = -1
	})
	assert.Equal(t, "mwoauth-invalid-authorization", errCode(m))
	assert.Equal(t, "The authorization headers in your request are not valid: Invalid signature", text(m))

	m = send("GET", vals("action", "query"), nil, creds, "fixed-nonce", now, nil)
	assert.Nil(t, m["errors"])
	m = send("GET", vals("action", "query"), nil, creds, "fixed-nonce", now, nil)
	assert.Equal(t, "The authorization headers in your request are not valid: Nonce already used: fixed-nonce", text(m))

	m = send("GET", vals("action", "query"), nil, creds, "", now-301, nil)
	assert.Equal(t, fmt.Sprintf("The authorization headers in your request are not valid: Expired timestamp, yours %d, ours %d", now-301, now), text(m))
	m = send("GET", vals("action", "query"), nil, creds, "", now+300, nil)
	assert.Nil(t, m["errors"], "300 s of skew is fine")

	wrong := creds
	wrong.TokenSecret = "other"
	m = send("GET", vals("action", "query"), nil, wrong, "", now, nil)
	assert.Equal(t, "The authorization headers in your request are not valid: Invalid signature", text(m))
	wrong = creds
	wrong.ConsumerKey = "nope"
	m = send("GET", vals("action", "query"), nil, wrong, "", now, nil)
	assert.Equal(t, "The authorization headers in your request are not valid: Invalid consumer", text(m))
	wrong = creds
	wrong.Token = "nope"
	m = send("GET", vals("action", "query"), nil, wrong, "", now, nil)
	assert.Equal(t, "The authorization headers in your request are not valid: No approved grant was found for that authorization token.", text(m))
}

func TestMountedHandler(t *testing.T) {
	t.Parallel()
	srv := NewUnstartedServer()
	t.Cleanup(srv.Close) // closing a server that never started is fine
	mux := http.NewServeMux()
	mux.Handle("/w/", srv.Handler())
	ts := httptest.NewServer(mux)
	defer ts.Close()
	assert.Empty(t, srv.URL)
	c := newTClient(t, srv)
	c.base = ts.URL + "/w/api.php"
	m, _ := c.get(vals("action", "query", "meta", "userinfo", "assert", "user"))
	assert.Contains(t, m["docref"], "See "+ts.URL+"/w/api.php for API usage.", "the wiki takes its URL from the request")
	m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
	assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
	resp, err := http.Get(ts.URL + "/w/index.php")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestStartTLS(t *testing.T) {
	t.Parallel()
	srv := NewUnstartedServer()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	require.True(t, strings.HasPrefix(srv.URL, "https://"))
	resp, err := srv.Client().Get(srv.URL + "?action=query&meta=tokens&type=login&format=json")
	require.NoError(t, err)
	resp.Body.Close()
	require.Len(t, resp.Cookies(), 1)
	assert.True(t, resp.Cookies()[0].Secure)
}

func TestFormats(t *testing.T) {
	t.Parallel()
	srv := NewServer()
	t.Cleanup(srv.Close)
	get := func(q string) (string, *http.Response) {
		resp, err := http.Get(srv.URL + "?" + q)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp
	}
	body, resp := get("action=query&meta=userinfo")
	assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"), "the default format is jsonfm")
	assert.Contains(t, body, "&#34;batchcomplete&#34;")
	body, resp = get("action=query&meta=userinfo&format=json&callback=cb")
	assert.Equal(t, "text/javascript; charset=utf-8", resp.Header.Get("Content-Type"))
	assert.True(t, strings.HasPrefix(body, "/**/cb({"))
	body, _ = get("action=query&meta=userinfo&format=json&requestid=r1&formatversion=2")
	assert.Equal(t, `{"requestid":"r1","batchcomplete":true,"query":{"userinfo":{"id":0,"name":"127.0.0.1","anon":true}}}`, body)
	body, _ = get("action=query&meta=userinfo&format=json&requestid=r1&assert=user&formatversion=2&errorformat=raw")
	assert.True(t, strings.HasPrefix(body, `{"errors":[{"code":"assertuserfailed","key":"apierror-assertuserfailed","params":[],"module":"main"}],"docref":`), body)
	assert.True(t, strings.HasSuffix(body, `,"requestid":"r1"}`), body)
	body, _ = get("action=query&meta=userinfo&format=json&assert=user&formatversion=2&errorformat=none")
	assert.True(t, strings.HasPrefix(body, `{"errors":[{"code":"assertuserfailed","module":"main"}]`), body)
	body, _ = get("action=query&meta=userinfo&format=json&assert=bot&formatversion=2&errorformat=html")
	assert.Contains(t, body, `"html":"You do not have the <code>bot</code> right`)
	body, _ = get("action=query&meta=userinfo&format=json&assert=bot&formatversion=2&errorformat=wikitext")
	assert.Contains(t, body, `"text":"You do not have the <code>bot</code> right`)
	body, _ = get("format=json&formatversion=2")
	assert.Contains(t, body, `"help":{"mime":"text/html"`)
}

func TestJSONEncoder(t *testing.T) {
	t.Parallel()
	v := obj{{k: "t", v: true}, {k: "f", v: false}, {k: "s", v: "é⧼\u2028\U0001F600\"\\/<&\n\x01"}, {k: "n", v: nil},
		{k: "e", v: obj{}}, {k: "a", v: []any{}}, {k: "text", v: "c", content: true}, {k: "i", v: 7}}
	assert.Equal(t, `{"t":true,"f":false,"s":"é⧼\u2028😀\"\\/<&\n\u0001","n":null,"e":{},"a":[],"text":"c","i":7}`,
		string(encodeJSON(v, false, false)))
	assert.Equal(t, `{"t":"","s":"\u00e9\u29fc\u2028\ud83d\ude00\"\\/<&\n\u0001","n":null,"e":{},"a":[],"i":7,"*":"c"}`,
		string(encodeJSON(v, true, true)))
}

func TestMessages(t *testing.T) {
	t.Parallel()
	for secs, want := range map[int]string{0: "0 seconds", 1: "1 second", 60: "1 minute", 90: "1 minute and 30 seconds",
		300: "5 minutes", 3600: "1 hour", 3661: "1 hour, 1 minute and 1 second", 172800: "2 days"} {
		assert.Equal(t, want, formatDuration(secs), secs)
	}
	assert.Equal(t, "The following parameter was found in the query string, but must be in the POST body: a.",
		newMsg("apierror-mustpostparams", "a", 1).plain())
	assert.Equal(t, "The following parameters were found in the query string, but must be in the POST body: a, b.",
		newMsg("apierror-mustpostparams", "a, b", 2).plain())
	assert.Equal(t, "⧼no-such-message⧽", newMsg("no-such-message").wikitext())
	assert.Equal(t, `To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below (<a href="/index.php?title=Special:Captcha/help" title="Special:Captcha/help">more info</a>):`,
		newMsg("questycaptcha-badlogin").html())
	assert.Equal(t, []any{obj{{k: "duration", v: 60}}}, newMsg("login-throttled", durationParam(60)).rawParams())
}

func TestConcurrentClients(t *testing.T) {
	t.Parallel()
	srv := NewServer(WithThrottle(1000, time.Minute))
	t.Cleanup(srv.Close)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := newTClient(t, srv)
			var m map[string]any
			if i%2 == 0 {
				m = c.login("BotUser@localbot", "botuserbotpassword0123456789abcd")
				assert.Equal(t, "Success", dig(m, "login", "result"))
			} else {
				m = c.clientLogin("username", "Alice", "password", "Alice-localwiki-pass-1")
				assert.Equal(t, "PASS", dig(m, "clientlogin", "status"))
			}
			m, _ = c.post(vals("action", "edit", "title", fmt.Sprintf("Page %d", i), "text", "x", "assert", "user", "token", c.token("csrf")))
			assert.Equal(t, "Success", dig(m, "edit", "result"))
			_ = srv.Requests()
		}(i)
	}
	wg.Wait()
	assert.Len(t, srv.Requests(), 16*4)
}

func TestLagFollowsTheClock(t *testing.T) {
	t.Parallel()
	clk := NewClock(time.Date(2026, 11, 22, 5, 3, 49, 0, time.UTC))
	srv := NewServer(WithClock(clk.Now))
	t.Cleanup(srv.Close)
	c := newTClient(t, srv)
	srv.SetLag(7*time.Second, 8*time.Second)

	m, resp := c.get(vals("action", "query", "meta", "userinfo", "maxlag", "5"))
	require.Equal(t, "maxlag", errCode(m))
	assert.Equal(t, "5", resp.Header.Get("Retry-After"))
	assert.Equal(t, "7", resp.Header.Get("X-Database-Lag"))
	m, resp = c.get(vals("action", "query", "maxlag", "6"))
	require.Equal(t, "maxlag", errCode(m))
	assert.Equal(t, "6", resp.Header.Get("Retry-After"), "Retry-After is the request's maxlag, at least 5")
	m, _ = c.get(vals("action", "query", "meta", "userinfo"))
	assert.Nil(t, m["errors"], "no maxlag parameter, no check")
	m, _ = c.get(vals("action", "query", "maxlag", "7"))
	assert.Nil(t, m["errors"], "lag not above maxlag")

	require.NoError(t, clk.Sleep(context.Background(), 5*time.Second))
	m, _ = c.get(vals("action", "query", "maxlag", "5"))
	require.Equal(t, "maxlag", errCode(m), "still lagged after 5 s of 8")
	require.NoError(t, clk.Sleep(context.Background(), 5*time.Second))
	m, _ = c.get(vals("action", "query", "maxlag", "5"))
	assert.Nil(t, m["errors"], "the lag is over on the fake clock; nothing slept for real")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	before := clk.Now()
	assert.ErrorIs(t, clk.Sleep(ctx, time.Hour), context.Canceled)
	assert.Equal(t, before, clk.Now(), "a cancelled wait does not move the clock")
}
