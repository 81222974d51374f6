package mwauth_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The conformance suite runs the same cases against two targets: the
// in-process fake (mwauthtest) and the real MediaWiki 1.39 that
// scripts/test.sh starts. It is what keeps the fake from drifting away
// from the real server: a case that passes on one and fails on the other
// is a bug in the fake (or in our understanding of MediaWiki).

// target is one wiki the conformance cases run against.
type target struct {
	api string
	// expire makes the wiki forget every session.
	expire func(t *testing.T)
	// reset forgets throttles, captcha counters and TOTP replay windows.
	reset func(t *testing.T)
	// code returns a TOTP code for TwoFAUser that was never used.
	code func(t *testing.T) string
}

// client returns a Client on tg that counts its requests.
func (tg target) client(t *testing.T, opts ...mwauth.Option) (*mwauth.Client, *recorder) {
	t.Helper()
	ac := newRecorder()
	opts = append([]mwauth.Option{mwauth.WithHTTPClient(&http.Client{Transport: ac, Timeout: time.Minute}),
		mwauth.WithUserAgent("mwauth-conformance/1.0 (https://github.com/mwauth/mwauth)")}, opts...)
	c, err := mwauth.New(tg.api, opts...)
	require.NoError(t, err)
	return c, ac
}

type conformanceCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, tg target)
}

var conformanceCases = []conformanceCase{
	{"bot password login takes 2 requests, csrf 1 more", func(t *testing.T, ctx context.Context, tg target) {
		c, ac := tg.client(t)
		res, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, res.Username)
		assert.Equal(t, 1, res.UserID)
		assert.Empty(t, res.Warnings)
		assert.EqualValues(t, 2, ac.count())
		tok, err := c.Token(ctx, mwauth.TokenCSRF)
		require.NoError(t, err)
		assert.NotEqual(t, `+\`, tok)
		assert.EqualValues(t, 3, ac.count())
	}},
	{"wrong bot password", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Login(ctx, wikitest.BotUserBot, "wrongbotpassword0123456789abcdef")
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, "wrongpassword", le.Code)
	}},
	{"malformed bot password is tried as a main password", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Login(ctx, wikitest.BotUserBot, "NOT-a-bot-password-XYZ")
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
	}},
	{"main-account action=login warns deprecation", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		res, err := c.Login(ctx, wikitest.Alice, wikitest.AlicePass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, res.Username)
		codes := map[string]bool{}
		for _, w := range res.Warnings {
			codes[w.Code] = true
		}
		assert.True(t, codes["deprecation"], "warnings: %v", res.Warnings)
	}},
	{"two-factor account through action=login is aborted", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Login(ctx, wikitest.TwoFAUser, wikitest.TwoFAPass)
		assert.ErrorIs(t, err, mwauth.ErrInteractionRequired)
		assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
	}},
	{"two logins in a row on one client", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		res, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, res.Username)
	}},
	{"assert user and bot", func(t *testing.T, ctx context.Context, tg target) {
		q := url.Values{"action": {"query"}, "meta": {"userinfo"}}
		c, _ := tg.client(t, mwauth.WithAssert("bot"))
		_, err := c.Get(ctx, q)
		require.NoError(t, err, "anonymous: no assert is sent")
		_, err = c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		_, err = c.Get(ctx, q)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn, "Admin lacks the bot right")
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertbotfailed", ae.Code)

		b, _ := tg.client(t, mwauth.WithAssert("bot"))
		_, err = b.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		resp, err := b.Get(ctx, q)
		require.NoError(t, err)
		var out struct {
			Query struct {
				UserInfo struct{ Name string } `json:"userinfo"`
			} `json:"query"`
		}
		require.NoError(t, resp.Decode(&out))
		assert.Equal(t, wikitest.BotUser, out.Query.UserInfo.Name)
	}},
	{"anonymous assert=user fails typed", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		tok, err := c.Token(ctx, mwauth.TokenCSRF)
		require.NoError(t, err)
		assert.Equal(t, `+\`, tok)
	}},
	{"clientlogin PASS", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.Alice, "password": wikitest.AlicePass}})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.Username)
		assert.NoError(t, step.Err())
	}},
	{"clientlogin FAIL wrongpassword", func(t *testing.T, ctx context.Context, tg target) {
		tg.reset(t)
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.Alice, "password": "wrong"}})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "wrongpassword", step.MessageCode)
		assert.NotEmpty(t, step.Message)
		assert.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
		tg.reset(t)
	}},
	{"two-factor clientlogin takes 3 requests", func(t *testing.T, ctx context.Context, tg target) {
		c, ac := tg.client(t)
		info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
		require.NoError(t, err)
		assert.True(t, info.CanAuthenticateNow)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status)
		assert.Equal(t, "oathauth-auth-ui", step.MessageCode)
		fields := step.AllFields()
		require.Len(t, fields, 1)
		assert.Equal(t, "OATHToken", fields[0].Name)
		assert.Equal(t, "string", fields[0].Type)
		assert.False(t, fields[0].Sensitive)
		require.Len(t, step.Requests, 1)
		assert.Equal(t, "MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest", step.Requests[0].ID)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": tg.code(t)})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.TwoFAUser, step.Username)
		assert.EqualValues(t, 3, ac.count())
	}},
	{"wrong two-factor code gives UI again", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "000000"})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusUI, step.Status)
		assert.Equal(t, "oathauth-login-failed", step.MessageCode)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": tg.code(t)})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
	}},
	{"continue without a flow", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Token(ctx, mwauth.TokenLogin)
		require.NoError(t, err)
		step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "123456"})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "authmanager-authn-not-in-progress", step.MessageCode)
		assert.ErrorIs(t, step.Err(), mwauth.ErrSessionLost)
	}},
	{"session lost in the middle of a flow", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status)
		tg.expire(t)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": tg.code(t)})
		if err == nil {
			// Some servers answer FAIL instead of badtoken.
			err = step.Err()
		}
		assert.ErrorIs(t, err, mwauth.ErrSessionLost)
	}},
	{"message formats", func(t *testing.T, ctx context.Context, tg target) {
		tg.reset(t)
		for _, mf := range []string{"html", "wikitext", "raw", "none"} {
			c, _ := tg.client(t)
			step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{MessageFormat: mf, Fields: map[string]string{
				"username": wikitest.Alice, "password": "wrong"}})
			require.NoError(t, err, mf)
			assert.Equal(t, "wrongpassword", step.MessageCode, mf)
			switch mf {
			case "none":
				assert.Empty(t, step.Message, mf)
			case "raw":
				assert.Equal(t, "wrongpassword", step.Message, "raw gives the message key")
			default:
				assert.NotEmpty(t, step.Message, mf)
			}
		}
		tg.reset(t)
	}},
	{"merged request fields", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{MergeRequestFields: true, Fields: map[string]string{
			"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status)
		require.NotEmpty(t, step.Fields)
		assert.Equal(t, "OATHToken", step.Fields[0].Name)
		assert.Empty(t, step.Requests[0].Fields, "fields move to the top level")
	}},
	{"authmanagerinfo lists the password fields", func(t *testing.T, ctx context.Context, tg target) {
		c, ac := tg.client(t)
		info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login", MergeRequestFields: true,
			SecuritySensitiveOperation: "ChangeEmail"})
		require.NoError(t, err)
		byName := map[string]mwauth.Field{}
		for _, f := range info.AllFields() {
			byName[f.Name] = f
		}
		require.Contains(t, byName, "username")
		require.Contains(t, byName, "password")
		assert.True(t, byName["password"].Sensitive)
		assert.Equal(t, "password", byName["password"].Type)
		assert.Equal(t, "reauth", info.SecuritySensitiveStatus, "anonymous users must re-authenticate")
		// The login token came in the same request.
		_, err = c.Token(ctx, mwauth.TokenLogin)
		require.NoError(t, err)
		assert.EqualValues(t, 1, ac.count())
	}},
	{"redirect flow", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: "http://127.0.0.1:9/back",
			Fields: map[string]string{"fakessologin": "1"}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusRedirect, step.Status)
		u, err := url.Parse(step.RedirectTarget)
		require.NoError(t, err)
		assert.Equal(t, "/fakesso-idp", u.Path)
		assert.Equal(t, "http://127.0.0.1:9/back", u.Query().Get("returnto"))
		assert.NotEmpty(t, step.RedirectData)
		require.NotEmpty(t, step.AllFields())
		assert.Equal(t, "fakessocode", step.AllFields()[0].Name)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "user:" + wikitest.Alice})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.Username)
	}},
	{"restart and failure from the redirect provider", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		start := mwauth.ClientLoginRequest{ReturnURL: "http://127.0.0.1:9/back", Fields: map[string]string{"fakessologin": "1"}}
		step, err := c.ClientLogin(ctx, start)
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusRedirect, step.Status)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "nouser"})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusRestart, step.Status)
		assert.Equal(t, "authmanager-authn-no-local-user", step.MessageCode)
		assert.NotEmpty(t, step.Requests)

		step, err = c.ClientLogin(ctx, start)
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusRedirect, step.Status)
		step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "bogus"})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "localwiki-fakesso-failed", step.MessageCode)
		assert.ErrorIs(t, step.Err(), mwauth.ErrLoginFailed)
	}},
	{"clientlogin over a bot-password session", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.Alice, "password": wikitest.AlicePass}})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status, "%s %s", step.Status, step.MessageCode)
	}},
	{"logout ends the session", func(t *testing.T, ctx context.Context, tg target) {
		c, ac := tg.client(t)
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		require.NoError(t, c.Logout(ctx))
		logins := ac.of(http.MethodPost, "login")
		_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}})
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.Equal(t, logins, ac.of(http.MethodPost, "login"), "no re-login after logout")
	}},
	{"lost session is re-established once", func(t *testing.T, ctx context.Context, tg target) {
		c, ac := tg.client(t)
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		_, err = c.Token(ctx, mwauth.TokenCSRF)
		require.NoError(t, err)
		tg.expire(t)
		before := ac.count()
		_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
		require.NoError(t, err)
		// failed call + login token + login + retried call
		assert.EqualValues(t, 4, ac.count()-before)
		assert.Equal(t, 2, ac.of(http.MethodPost, "login"))
	}},
	{"clientlogin session cannot re-login unattended", func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.Alice, "password": wikitest.AlicePass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		tg.expire(t)
		_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
		assert.ErrorIs(t, err, mwauth.ErrLoginRequired)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
	}},
	{"captcha after bad logins, answered through the driver", func(t *testing.T, ctx context.Context, tg target) {
		tg.reset(t)
		defer tg.reset(t)
		for i := 0; i < 3; i++ {
			c, _ := tg.client(t)
			step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
				"username": wikitest.CaptchaUser, "password": "wrong"}})
			require.NoError(t, err)
			require.Equal(t, mwauth.StatusFail, step.Status)
		}
		c, _ := tg.client(t)
		var asked []string
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.CaptchaUser, "password": wikitest.CaptchaPass}},
			func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
				for _, f := range s.AllFields() {
					asked = append(asked, f.Name)
					if f.Name == "captchaInfo" {
						assert.Equal(t, "null", f.Type)
						assert.Contains(t, f.Value, "name of this test wiki")
					}
				}
				return map[string]string{"captchaWord": wikitest.CaptchaAnswer}, nil
			})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Contains(t, asked, "captchaWord")
		assert.Contains(t, asked, "captchaInfo", "the captcha question was shown")
	}},
	{"login throttle", func(t *testing.T, ctx context.Context, tg target) {
		tg.reset(t)
		defer tg.reset(t)
		var last *mwauth.Step
		for i := 0; i < 12; i++ {
			c, _ := tg.client(t)
			step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
				"username": wikitest.ThrottleUser, "password": "wrong"}})
			require.NoError(t, err)
			last = step
			if step.MessageCode == "login-throttled" {
				break
			}
		}
		require.NotNil(t, last)
		assert.ErrorIs(t, last.Err(), mwauth.ErrThrottled)
	}},
	{"resume takes one request", func(t *testing.T, ctx context.Context, tg target) {
		path := t.TempDir() + "/session.json"
		c, _ := tg.client(t, mwauth.WithSessionFile(path))
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		c2, ac := tg.client(t, mwauth.WithSessionFile(path))
		me, err := c2.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, me.Name)
		assert.False(t, me.Anonymous)
		assert.EqualValues(t, 1, ac.count())
		tok, err := c2.Token(ctx, mwauth.TokenCSRF)
		require.NoError(t, err)
		assert.NotEqual(t, `+\`, tok)
		assert.EqualValues(t, 1, ac.count(), "the CSRF token came with the resume")
	}},
}

func TestConformanceFake(t *testing.T) {
	for _, tc := range conformanceCases {
		tc := tc
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := mwauthtest.NewServer(mwauthtest.WithSSO())
			t.Cleanup(srv.Close)
			step := int64(0)
			tg := target{
				api:    srv.URL,
				expire: func(*testing.T) { srv.ExpireSessions() },
				reset:  func(*testing.T) {},
				code: func(*testing.T) string {
					// A later step each time, like a person waiting for the
					// next code; the fake accepts up to 4 steps ahead.
					step++
					return srv.TOTPCode(wikitest.TwoFAUser, int(step))
				},
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tc.run(t, ctx, tg)
		})
	}
}

func TestConformanceRealWiki(t *testing.T) {
	api := wikitest.API(t)
	for _, tc := range conformanceCases {
		t.Run(tc.name, func(t *testing.T) {
			tg := target{api: api,
				expire: func(t *testing.T) { wikitest.KillSessions(t) },
				reset:  func(t *testing.T) { wikitest.ResetCounters(t) },
				code:   func(t *testing.T) string { return wikitest.TOTP(t) }}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			tc.run(t, ctx, tg)
		})
	}
}
