package livetest_test

// Conformance cases of the wiki's message formats and of its guards
// against password guessing: ConfirmEdit's login captcha and the login
// throttle. Every case that fails logins resets the wiki's counters
// before and after (tg.resetAfter).

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// assertMessage checks a message of key in format mf: the key itself in
// raw, rendered text otherwise, in the format's markup (OATHAuth's
// oathauth-auth-ui has links on 1.43).
func assertMessage(t *testing.T, tg target, mf mwauth.MessageFormat, key, msg string) {
	t.Helper()
	if mf == mwauth.FormatRaw {
		assert.Equal(t, key, msg, "raw gives the message key")
		return
	}
	assert.NotEmpty(t, msg)
	assert.NotEqual(t, key, msg, "a rendered message, not its key")
	linked := key == "oathauth-auth-ui" && tg.version == mwauthtest.MediaWiki143
	switch mf {
	case mwauth.FormatWikitext:
		assert.NotContains(t, msg, "<a ", "wikitext, not HTML")
		if linked {
			assert.Contains(t, msg, "[https://", "links as wikitext")
		}
	case mwauth.FormatHTML:
		// MediaWiki renders external links too ([https://... label] as
		// <a class="external text" ...>), but mwauthtest renders only
		// internal ones, so this is not checked yet.
		assert.NotContains(t, msg, "[[", "HTML, not wikitext")
	}
}

// messageFormatCases: a FAIL and a UI step in each message format.
func messageFormatCases() []conformanceCase {
	var out []conformanceCase
	for _, mf := range []mwauth.MessageFormat{mwauth.FormatWikitext, mwauth.FormatHTML, mwauth.FormatRaw} {
		out = append(out, conformanceCase{
			name: fmt.Sprintf("clientlogin FAIL in %s format", mf),
			run: func(t *testing.T, ctx context.Context, tg target) {
				tg.resetAfter(t)
				c, rec := tg.client(t)
				step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{MessageFormat: mf, Fields: map[string]string{
					"username": wikitest.Alice, "password": "wrong-" + wikitest.AlicePass}})
				require.NoError(t, err)
				require.Equal(t, mwauth.StatusFail, step.Status)
				assert.Equal(t, string(mf), rec.since(0)[1].Params.Get("loginmessageformat"))
				assert.Equal(t, "wrongpassword", step.MessageCode, "the code whatever the format")
				assertMessage(t, tg, mf, "wrongpassword", step.Message)
				var le *mwauth.LoginError
				require.ErrorAs(t, step.Err(), &le)
				assert.ErrorIs(t, le, mwauth.ErrWrongCredentials)
				assert.Equal(t, "wrongpassword", le.Code)
				assert.NotEmpty(t, le.Message)
			},
		}, conformanceCase{
			name: fmt.Sprintf("clientlogin UI in %s format", mf),
			run: func(t *testing.T, ctx context.Context, tg target) {
				c, rec := tg.client(t)
				ui := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{MessageFormat: mf})
				assert.Equal(t, string(mf), rec.since(0)[1].Params.Get("loginmessageformat"))
				assert.Equal(t, "oathauth-auth-ui", ui.MessageCode, "the code whatever the format")
				assertMessage(t, tg, mf, "oathauth-auth-ui", ui.Message)
				f := findField(ui.Fields(), "OATHToken")
				require.NotNil(t, f)
				if mf == mwauth.FormatRaw {
					assert.Equal(t, "oathauth-auth-token-label", f.Label)
				} else {
					assert.Equal(t, "Two-factor token or recovery code", f.Label)
				}
			},
		})
	}
	out = append(out, conformanceCase{
		name: "clientlogin without a message format gets wikitext",
		run: func(t *testing.T, ctx context.Context, tg target) {
			tg.resetAfter(t)
			msgs := map[mwauth.MessageFormat]string{}
			for _, mf := range []mwauth.MessageFormat{"", mwauth.FormatWikitext} {
				c, rec := tg.client(t)
				step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{MessageFormat: mf, Fields: map[string]string{
					"username": wikitest.Alice, "password": "wrong-" + wikitest.AlicePass}})
				require.NoError(t, err)
				require.Equal(t, mwauth.StatusFail, step.Status)
				_, sent := rec.since(0)[1].Params["loginmessageformat"]
				assert.Equal(t, mf != "", sent, "format %q", mf)
				msgs[mf] = step.Message
			}
			assert.NotEmpty(t, msgs[""])
			assert.Equal(t, msgs[mwauth.FormatWikitext], msgs[""])
		},
	})
	return out
}

// failCaptchaUser makes three failed logins of CaptchaUser, each from a
// new Client, which trips its per-user captcha.
func failCaptchaUser(ctx context.Context, t *testing.T, tg target) {
	t.Helper()
	for i := 0; i < 3; i++ {
		c, _ := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.CaptchaUser, "password": "wrong-" + wikitest.CaptchaPass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
	}
}

// markCaptcha trips CaptchaUser's captcha and makes one more attempt
// through c, with the right password: it FAILs for want of the captcha,
// and from then on c's session lists the captcha in its login form.
func markCaptcha(ctx context.Context, t *testing.T, tg target, c *mwauth.Client) {
	t.Helper()
	failCaptchaUser(ctx, t, tg)
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
		"username": wikitest.CaptchaUser, "password": wikitest.CaptchaPass}})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusFail, step.Status, "the right password without the captcha")
	require.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials, "MediaWiki says wrongpassword")
}

// captchaResponder answers the driver's login form with CaptchaUser's
// password and its captcha steps with answer; it records the steps.
type captchaResponder struct {
	answer string
	asked  []*mwauth.Step
}

func (r *captchaResponder) respond(_ context.Context, s *mwauth.Step) (map[string]string, error) {
	r.asked = append(r.asked, s)
	out := map[string]string{}
	if s.MessageCode == "mwauth-login-form" {
		out["username"], out["password"] = wikitest.CaptchaUser, wikitest.CaptchaPass
	}
	if info := findField(s.Fields(), "captchaInfo"); info != nil {
		if info.Value != wikitest.CaptchaQuestion {
			return nil, fmt.Errorf("captcha question %q", info.Value)
		}
		out["captchaWord"] = r.answer
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("unexpected step %s %s", s.Status, s.MessageCode)
	}
	return out, nil
}

func (r *captchaResponder) codes() []string {
	var out []string
	for _, s := range r.asked {
		out = append(out, s.MessageCode)
	}
	return out
}

// lastClientLogin is the last clientlogin request rec saw.
func lastClientLogin(rec *recorder) exchange {
	var last exchange
	for _, e := range rec.since(0) {
		if e.Action == "clientlogin" {
			last = e
		}
	}
	return last
}

var captchaCases = []conformanceCase{
	{name: "the captcha is listed in the form after failed logins in the session: wikitext", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		markCaptcha(ctx, t, tg, c)
		form, err := c.AuthManagerInfo(ctx, mwauth.FormatWikitext)
		require.NoError(t, err)
		creq := findRequest(form.Requests, idCaptcha)
		require.NotNil(t, creq)
		id := findField(creq.Fields, "captchaId")
		require.NotNil(t, id)
		assert.Equal(t, mwauth.FieldHidden, id.Type)
		assert.NotEmpty(t, id.Value)
		q := findField(creq.Fields, "captchaInfo")
		require.NotNil(t, q)
		assert.Equal(t, mwauth.FieldNull, q.Type)
		assert.Equal(t, wikitest.CaptchaQuestion, q.Value)
		assert.Contains(t, q.Label, "[[Special:Captcha/help")
		w := findField(creq.Fields, "captchaWord")
		require.NotNil(t, w)
		assert.Equal(t, mwauth.FieldString, w.Type)
		assert.NotNil(t, findRequest(form.Requests, idPassword), "the password request is still there")
		assert.Equal(t, id.Value, form.Answer(nil)["captchaId"], "Answer sends the captcha id back")
	}},
	{name: "the captcha is listed in the form after failed logins in the session: html", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		markCaptcha(ctx, t, tg, c)
		form, err := c.AuthManagerInfo(ctx, mwauth.FormatHTML)
		require.NoError(t, err)
		creq := findRequest(form.Requests, idCaptcha)
		require.NotNil(t, creq)
		q := findField(creq.Fields, "captchaInfo")
		require.NotNil(t, q)
		assert.Contains(t, q.Label, "<a ")
		assert.NotContains(t, q.Label, "[[")
		assert.Equal(t, wikitest.CaptchaQuestion, q.Value)
	}},
	{name: "captcha listed in the form: RunClientLogin from an empty request asks it with the password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		markCaptcha(ctx, t, tg, c)
		n := rec.count()
		r := &captchaResponder{answer: wikitest.CaptchaAnswer}
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, r.respond)
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.CaptchaUser, step.User.Name)
		assert.Equal(t, []string{"mwauth-login-form"}, r.codes(), "one step, before any attempt is spent")
		assert.Equal(t, 2, rec.count()-n, "authmanagerinfo+token, clientlogin: %s", rec.summary(n))
		last := lastClientLogin(rec)
		assert.NotEmpty(t, last.Params.Get("captchaId"), "the hidden captchaId is sent back")
		assert.Equal(t, wikitest.CaptchaAnswer, last.Params.Get("captchaWord"))
	}},
	{name: "captcha after failed logins elsewhere: RunClientLogin from an empty request asks it after the FAIL", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		failCaptchaUser(ctx, t, tg)
		c, rec := tg.client(t)
		r := &captchaResponder{answer: wikitest.CaptchaAnswer}
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, r.respond)
		require.NoError(t, err, "requests: %s", rec.summary(0))
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.CaptchaUser, step.User.Name)
		require.Equal(t, []string{"mwauth-login-form", "mwauth-captcha"}, r.codes())
		assert.Nil(t, findField(r.asked[0].Fields(), "captchaWord"), "a new session's form has no captcha")
		assert.Equal(t, mwauth.StatusUI, r.asked[1].Status)
		assert.NotEmpty(t, r.asked[1].Message, "the FAIL's message comes with the captcha")
		// authmanagerinfo, clientlogin (FAIL), authmanagerinfo, clientlogin.
		assert.Equal(t, 4, rec.count(), "requests: %s", rec.summary(0))
		last := lastClientLogin(rec)
		assert.NotEmpty(t, last.Params.Get("captchaId"))
		assert.Equal(t, wikitest.CaptchaAnswer, last.Params.Get("captchaWord"))
		assert.Equal(t, wikitest.CaptchaPass, last.Params.Get("password"), "the retry carries the password again")
	}},
	{name: "a wrong captcha answer is tried once, and the FAIL returned", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		failCaptchaUser(ctx, t, tg)
		c, rec := tg.client(t)
		r := &captchaResponder{answer: "not " + wikitest.CaptchaAnswer}
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, r.respond)
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		require.NotNil(t, step)
		assert.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, []string{"mwauth-login-form", "mwauth-captcha"}, r.codes())
		n := 0
		for _, e := range rec.since(0) {
			if e.Action == "clientlogin" {
				n++
			}
		}
		assert.Equal(t, 2, n, "no third attempt: %s", rec.summary(0))
	}},
}

// tripThrottle fails logins of ThrottleUser through c (clientlogin in
// format mf, or action=login when login is set) until one is throttled,
// and returns the number of attempts and the throttled one's error.
func tripThrottle(ctx context.Context, t *testing.T, c *mwauth.Client, login bool, mf mwauth.MessageFormat) (int, error) {
	t.Helper()
	for attempt := 1; attempt <= 15; attempt++ {
		var err error
		if login {
			_, err = c.Login(ctx, wikitest.ThrottleUser, "wrong-"+wikitest.ThrottlePass)
		} else {
			var step *mwauth.Step
			step, err = c.ClientLogin(ctx, mwauth.ClientLoginRequest{MessageFormat: mf,
				Fields: map[string]string{"username": wikitest.ThrottleUser, "password": "wrong-" + wikitest.ThrottlePass}})
			require.NoError(t, err)
			require.Equal(t, mwauth.StatusFail, step.Status)
			err = step.Err()
		}
		require.ErrorIs(t, err, mwauth.ErrLoginFailed, "attempt %d", attempt)
		if errors.Is(err, mwauth.ErrThrottled) {
			return attempt, err
		}
		require.ErrorIs(t, err, mwauth.ErrWrongCredentials, "attempt %d", attempt)
	}
	t.Fatalf("no login-throttled after 15 attempts")
	return 0, nil
}

var throttleCases = []conformanceCase{
	{name: "clientlogin throttle: the 11th attempt is login-throttled, with the wait in raw format", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		attempts, err := tripThrottle(ctx, t, c, false, mwauth.FormatRaw)
		assert.Equal(t, 11, attempts, "10 attempts are allowed, the 11th is throttled")
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "login-throttled", le.Code)
		assert.NotErrorIs(t, le, mwauth.ErrWrongCredentials)
		assert.Positive(t, le.Wait, "the wiki's wait, with FormatRaw")
	}},
	{name: "action=login throttle: Failed login-throttled, with the wait", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		attempts, err := tripThrottle(ctx, t, c, true, "")
		assert.Equal(t, 11, attempts)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, "login-throttled", le.Code)
		assert.Positive(t, le.Wait, "action=login always gives the wait")
		assert.Equal(t, 2*attempts, rec.count(), "no attempt is retried: %s", rec.summary(0))
	}},
	{name: "a throttled user is refused the right password too, through both modules", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		tripThrottle(ctx, t, c, false, "")
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.ThrottleUser, "password": wikitest.ThrottlePass}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		assert.ErrorIs(t, step.Err(), mwauth.ErrThrottled)
		assert.NotErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
		_, err = c.Login(ctx, wikitest.ThrottleUser, wikitest.ThrottlePass)
		assert.ErrorIs(t, err, mwauth.ErrThrottled)
		assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
	}},
	{name: "the throttle is per user name: another account logs in meanwhile", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		tripThrottle(ctx, t, c, false, "")
		step, err := c.ClientLogin(ctx, alice())
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
		u, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
	}},
	{name: "bot-password logins are throttled apart from main-password logins", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, _ := tg.client(t)
		throttled := false
		for i := 0; i < 15 && !throttled; i++ {
			_, err := c.Login(ctx, wikitest.BotUserBot, "wrongbotpassword0123456789abcdef")
			require.ErrorIs(t, err, mwauth.ErrLoginFailed)
			throttled = errors.Is(err, mwauth.ErrThrottled)
		}
		require.True(t, throttled, "no login-throttled after 15 wrong bot passwords")
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		assert.ErrorIs(t, err, mwauth.ErrThrottled, "the bot password's bucket is full")
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.BotUser, "password": wikitest.BotUserPass}})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status, "the main password's bucket is another: %+v", step)
	}},
}
