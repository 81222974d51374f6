package wikitest

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/internal/totp"
)

// The Go constants must match the accounts that seed.php creates, on the 1.39
// wiki (internal/localwiki) and on the 1.43 wiki (internal/localwiki143).
func TestConstantsMatchAccountsEnv(t *testing.T) {
	for _, dir := range []string{"localwiki", "localwiki143"} {
		t.Run(dir, func(t *testing.T) { checkAccountsEnv(t, filepath.Join("..", dir, "accounts.env")) })
	}
}

func checkAccountsEnv(t *testing.T, path string) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		require.True(t, ok, "line %q", line)
		if i := strings.Index(value, " #"); i >= 0 {
			value = value[:i]
		}
		env[name] = strings.Trim(strings.TrimSpace(value), "'")
	}
	require.NoError(t, sc.Err())

	bot := func(user, app string) string { return env[user] + "@" + env[app] }
	// A slice, not a map keyed by the wanted values: missing or equal values
	// would collapse the keys of a map and hide mismatches.
	for _, c := range []struct{ want, got string }{
		{env["LW_ADMIN_USER"], Admin},
		{env["LW_ADMIN_PASS"], AdminPass},
		{bot("LW_ADMIN_USER", "LW_ADMIN_BOTAPP"), AdminBot},
		{env["LW_ADMIN_BOTPASS"], AdminBotPass},
		{env["LW_BOT_USER"], BotUser},
		{env["LW_BOT_PASS"], BotUserPass},
		{bot("LW_BOT_USER", "LW_BOT_BOTAPP"), BotUserBot},
		{env["LW_BOT_BOTPASS"], BotUserBotPass},
		{env["LW_USER"], Alice},
		{env["LW_USER_PASS"], AlicePass},
		{env["LW_2FA_USER"], TwoFAUser},
		{env["LW_2FA_PASS"], TwoFAPass},
		{env["LW_2FA_SECRET"], TwoFASecret},
		{bot("LW_2FA_USER", "LW_2FA_BOTAPP"), TwoFABot},
		{env["LW_2FA_BOTPASS"], TwoFABotPass},
		{env["LW_CAPTCHA_USER"], CaptchaUser},
		{env["LW_CAPTCHA_PASS"], CaptchaPass},
		{env["LW_THROTTLE_USER"], ThrottleUser},
		{env["LW_THROTTLE_PASS"], ThrottlePass},
		{env["LW_CAPTCHA_QUESTION"], CaptchaQuestion},
		{env["LW_CAPTCHA_ANSWER"], CaptchaAnswer},
	} {
		require.NotEmpty(t, c.want, "accounts.env lacks the value of %s", c.got)
		assert.Equal(t, c.want, c.got)
	}
}

func TestStepperIsMonotonicWithinWindow(t *testing.T) {
	var s stepper
	const now = 1000
	for i := int64(0); i <= TOTPWindow; i++ {
		step, ok := s.next(now)
		require.True(t, ok)
		assert.Equal(t, now+i, step)
	}
	_, ok := s.next(now)
	assert.False(t, ok, "now+%d is the last accepted step", TOTPWindow)

	step, ok := s.next(now + 1)
	require.True(t, ok, "the clock moved on")
	assert.Equal(t, int64(now+TOTPWindow+1), step)

	step, ok = s.next(now + 100)
	require.True(t, ok)
	assert.Equal(t, int64(now+100), step, "back to the current step once the clock passes the last one")
}

// client is a minimal api.php client for testing the harness itself.
type client struct {
	t   *testing.T
	api string
	hc  *http.Client
}

func newClient(t *testing.T) *client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, api: API(t), hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (c *client) do(method string, params url.Values) map[string]any {
	c.t.Helper()
	params.Set("format", "json")
	params.Set("formatversion", "2")
	var resp *http.Response
	var err error
	if method == http.MethodGet {
		resp, err = c.hc.Get(c.api + "?" + params.Encode())
	} else {
		resp, err = c.hc.PostForm(c.api, params)
	}
	require.NoError(c.t, err)
	defer resp.Body.Close()
	require.Equal(c.t, http.StatusOK, resp.StatusCode)
	var body map[string]any
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&body))
	return body
}

func (c *client) loginToken() string {
	c.t.Helper()
	body := c.do(http.MethodGet, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"login"}})
	tok, _ := body["query"].(map[string]any)["tokens"].(map[string]any)["logintoken"].(string)
	require.NotEmpty(c.t, tok, "%v", body)
	return tok
}

func (c *client) clientLogin(fields url.Values) map[string]any {
	c.t.Helper()
	fields.Set("action", "clientlogin")
	fields.Set("logintoken", c.loginToken())
	body := c.do(http.MethodPost, fields)
	res, ok := body["clientlogin"].(map[string]any)
	require.True(c.t, ok, "%v", body)
	return res
}

func TestSiteinfo(t *testing.T) {
	c := newClient(t)
	body := c.do(http.MethodGet, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
	general, ok := body["query"].(map[string]any)["general"].(map[string]any)
	require.True(t, ok, "%v", body)
	assert.Equal(t, "LocalWiki", general["sitename"])
	assert.Contains(t, general["generator"], "MediaWiki "+Version(t)+".")
}

func TestGeneratorRelease(t *testing.T) {
	for gen, want := range map[string]string{
		"MediaWiki 1.39.17":         "1.39",
		"MediaWiki 1.43.0-wmf.1":    "1.43",
		"MediaWiki 1.43":            "1.43",
		"MediaWiki 1.4.3":           "1.4",
		"MediaWiki 1.390.1":         "1.390",
		"NotMediaWiki 1.39.1":       "",
		"MediaWiki 1.39x":           "",
		"MediaWiki version unknown": "",
	} {
		m := generatorRE.FindStringSubmatch(gen)
		if want == "" {
			assert.Nil(t, m, gen)
			continue
		}
		if assert.NotNil(t, m, gen) {
			assert.Equal(t, want, m[1], gen)
		}
	}
}

// ExpireSessions keeps the session rows but the wiki no longer accepts them.
func TestExpireSessions(t *testing.T) {
	c := newClient(t)
	body := c.do(http.MethodPost, url.Values{
		"action": {"login"}, "lgname": {AdminBot}, "lgpassword": {AdminBotPass}, "lgtoken": {c.loginToken()},
	})
	require.Equal(t, "Success", body["login"].(map[string]any)["result"], "%v", body)
	assertUser := url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}
	body = c.do(http.MethodGet, assertUser)
	require.Nil(t, body["error"], "%v", body)

	ExpireSessions(t)
	body = c.do(http.MethodGet, assertUser)
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "still logged in after ExpireSessions: %v", body)
	assert.Equal(t, "assertuserfailed", e["code"])
}

// Two two-factor logins straight after each other both pass: TOTP never
// hands out a step that OATHAuth has already accepted.
func TestTOTPLoginsInARow(t *testing.T) {
	key, err := totp.DecodeSecret(TwoFASecret)
	require.NoError(t, err)
	ResetCounters(t) // start at the current step: no waiting for the clock
	var prev int64
	for i := 0; i < 3; i++ {
		c := newClient(t)
		res := c.clientLogin(url.Values{
			"username": {TwoFAUser}, "password": {TwoFAPass},
			"loginreturnurl": {"http://127.0.0.1/"},
		})
		require.Equal(t, "UI", res["status"], "%v", res)

		code := TOTP(t)
		step := wikiLock.steps.last
		assert.Greater(t, step, prev, "steps must increase")
		assert.Equal(t, totp.CodeAt(key, step), code)
		now := totp.Step(time.Now())
		assert.LessOrEqual(t, step, now+TOTPWindow)
		assert.GreaterOrEqual(t, step, now-1)
		prev = step

		res = c.clientLogin(url.Values{"logincontinue": {"1"}, "OATHToken": {code}})
		assert.Equal(t, "PASS", res["status"], "login %d: %v", i+1, res)
		assert.Equal(t, TwoFAUser, res["username"])
	}
}

func TestKillSessions(t *testing.T) {
	c := newClient(t)
	body := c.do(http.MethodPost, url.Values{
		"action": {"login"}, "lgname": {AdminBot}, "lgpassword": {AdminBotPass}, "lgtoken": {c.loginToken()},
	})
	require.Equal(t, "Success", body["login"].(map[string]any)["result"], "%v", body)

	assertUser := url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}
	body = c.do(http.MethodGet, assertUser)
	require.Nil(t, body["error"], "%v", body)

	KillSessions(t)
	body = c.do(http.MethodGet, assertUser)
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "still logged in after KillSessions: %v", body)
	assert.Equal(t, "assertuserfailed", e["code"])
}

func TestResetCounters(t *testing.T) {
	// Trip the throttle for ThrottleUser (10 attempts per 60 s), then reset.
	login := func() string {
		c := newClient(t)
		res := c.clientLogin(url.Values{
			"username": {ThrottleUser}, "password": {"wrong-password"}, "loginreturnurl": {"http://127.0.0.1/"},
		})
		require.Equal(t, "FAIL", res["status"], "%v", res)
		code, _ := res["messagecode"].(string)
		return code
	}
	ResetCounters(t)
	throttled := false
	for i := 0; i < 12 && !throttled; i++ {
		throttled = login() == "login-throttled"
	}
	require.True(t, throttled, "12 bad logins did not trip the throttle")
	ResetCounters(t)
	assert.Equal(t, "wrongpassword", login(), "the throttle is still on after ResetCounters")
	ResetCounters(t)
}
