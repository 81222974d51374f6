package livetest_test

// Conformance cases of action=clientlogin, RunClientLogin and
// meta=authmanagerinfo. The REDIRECT and RESTART cases need the wiki
// started with LOCALWIKI_FAKESSO=1, as scripts/test.sh does.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// Request ids, matched by suffix as the package documentation advises.
const (
	idPassword  = `\PasswordAuthenticationRequest`
	idTOTP      = `\TOTPAuthenticationRequest`
	idCaptcha   = `CaptchaAuthenticationRequest`
	idFakeSSO   = `LocalWikiFakeSSOCodeRequest`
	idSSOButton = `\ButtonAuthenticationRequest:fakessologin`
)

func findRequest(reqs []mwauth.AuthRequest, suffix string) *mwauth.AuthRequest {
	for i := range reqs {
		if strings.HasSuffix(reqs[i].ID, suffix) {
			return &reqs[i]
		}
	}
	return nil
}

func findField(fields []mwauth.Field, name string) *mwauth.Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// returnURL is Special:UserLogin on the target wiki.
func returnURL(t *testing.T, api string) string {
	t.Helper()
	u, err := url.Parse(api)
	require.NoError(t, err)
	u.Path = strings.TrimSuffix(u.Path, "api.php") + "index.php"
	u.RawQuery = "title=Special:UserLogin"
	return u.String()
}

func alice() mwauth.ClientLoginRequest {
	return mwauth.ClientLoginRequest{Fields: map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass}}
}

// startTwoFactor begins a clientlogin of TwoFAUser and returns its UI step.
func startTwoFactor(ctx context.Context, t *testing.T, c *mwauth.Client, req mwauth.ClientLoginRequest) *mwauth.Step {
	t.Helper()
	req.Fields = map[string]string{"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}
	step, err := c.ClientLogin(ctx, req)
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusUI, step.Status, "step: %+v", step)
	return step
}

// startRedirect begins a FakeSSO clientlogin and returns its REDIRECT step.
func startRedirect(ctx context.Context, t *testing.T, api string, c *mwauth.Client) *mwauth.Step {
	t.Helper()
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: returnURL(t, api),
		Fields: map[string]string{"fakessologin": "1"}})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusRedirect, step.Status, "step: %+v", step)
	return step
}

var clientLoginCases = []conformanceCase{
	{name: "clientlogin PASS takes 2 requests, then calls assert the user", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		step, err := c.ClientLogin(ctx, alice())
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
		assert.Equal(t, wikitest.Alice, step.User.Name)
		assert.NoError(t, step.Err())
		ex := rec.since(0)
		require.Len(t, ex, 2, "login token + clientlogin: %s", rec.summary(0))
		assert.Equal(t, "clientlogin", ex[1].Action)
		assert.NotEmpty(t, ex[1].Params.Get("loginreturnurl"), "a default return URL is sent")
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, name)
		assert.Equal(t, "user", rec.since(2)[0].Params.Get("assert"))
	}},
	{name: "clientlogin FAIL wrongpassword leaves an anonymous client", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": wikitest.Alice, "password": "not-" + wikitest.AlicePass}})
		require.NoError(t, err, "a FAIL is a step, not an error")
		require.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "wrongpassword", step.MessageCode)
		assert.NotEmpty(t, step.Message)
		serr := step.Err()
		assert.ErrorIs(t, serr, mwauth.ErrWrongCredentials)
		assert.ErrorIs(t, serr, mwauth.ErrLoginFailed)
		var le *mwauth.LoginError
		require.ErrorAs(t, serr, &le)
		assert.Equal(t, "FAIL", le.Result)
		assert.Equal(t, 2, rec.count())
		var w whoami
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w))
		assert.True(t, w.Query.UserInfo.Anon)
	}},
	{name: "two-factor clientlogin takes 3 requests", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		// AuthManagerInfo fetches the login token with the form.
		form, err := c.AuthManagerInfo(ctx, "")
		require.NoError(t, err)
		require.NotNil(t, findRequest(form.Requests, idPassword))
		step := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
		assert.Equal(t, "oathauth-auth-ui", step.MessageCode)
		assert.NotEmpty(t, step.Message)
		req := findRequest(step.Requests, idTOTP)
		require.NotNil(t, req)
		f := findField(req.Fields, "OATHToken")
		require.NotNil(t, f)
		assert.Equal(t, mwauth.FieldString, f.Type)
		assert.NotEmpty(t, f.Label)
		assert.False(t, f.Sensitive)
		assert.Equal(t, []mwauth.Field{*f}, step.Fields())
		step, err = c.ContinueClientLogin(ctx, step.Answer(map[string]string{"OATHToken": tg.code(t)}))
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
		assert.Equal(t, wikitest.TwoFAUser, step.User.Name)
		assert.Equal(t, 3, rec.count(), "authmanagerinfo+token, clientlogin, logincontinue: %s", rec.summary(0))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.TwoFAUser, name)
	}},
	{name: "two-factor RunClientLogin from an empty request takes 3 requests", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		var asked []string
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
			asked = append(asked, s.MessageCode)
			if s.MessageCode == "mwauth-login-form" {
				require.NotNil(t, findField(s.Fields(), "password"))
				return map[string]string{"username": wikitest.TwoFAUser, "password": wikitest.TwoFAPass}, nil
			}
			return map[string]string{"OATHToken": tg.code(t)}, nil
		})
		require.NoError(t, err, "requests: %s", rec.summary(0))
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, []string{"mwauth-login-form", "oathauth-auth-ui"}, asked)
		assert.Equal(t, 3, rec.count(), "requests: %s", rec.summary(0))
	}},
	{name: "wrong two-factor code gives UI again", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t) // the badoath rate limit
		c, _ := tg.client(t)
		startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
		step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "000000"})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status)
		assert.Equal(t, "oathauth-login-failed", step.MessageCode)
		assert.NotNil(t, findRequest(step.Requests, idTOTP))
		assert.NoError(t, step.Err())
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": tg.code(t)})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
	}},
	{name: "continue without a flow", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "123456"})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "authmanager-authn-not-in-progress", step.MessageCode)
		assert.ErrorIs(t, step.Err(), mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
		assert.Equal(t, 2, rec.count(), "login token + logincontinue: %s", rec.summary(0))
	}},
	{name: "session lost in the middle of a flow", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
		tg.expire(t)
		n := rec.count()
		step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": tg.code(t)})
		if err == nil {
			err = step.Err() // a FAIL instead of badtoken
		}
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		assert.Equal(t, 1, rec.count()-n, "no retry: the flow cannot be recovered")
		step = startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
		assert.Equal(t, "oathauth-auth-ui", step.MessageCode, "starting again works")
	}},
	{name: "clientlogin over a bot-password session", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		step, err := c.ClientLogin(ctx, alice())
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "not userlogin-cannot-login: %+v", step)
		assert.Equal(t, 2, rec.count()-n, "a fresh login token and the clientlogin: %s", rec.summary(n))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, name)
	}},
	{name: "authmanagerinfo gives the form and the login token in one request", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t) // no captcha from an earlier case
		c, rec := tg.client(t)
		form, err := c.AuthManagerInfo(ctx, "")
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusUI, form.Status)
		assert.Equal(t, "mwauth-login-form", form.MessageCode)
		preq := findRequest(form.Requests, idPassword)
		require.NotNil(t, preq)
		user := findField(preq.Fields, "username")
		require.NotNil(t, user)
		assert.Equal(t, mwauth.FieldString, user.Type)
		assert.False(t, user.Sensitive)
		assert.NotEmpty(t, user.Label)
		pass := findField(preq.Fields, "password")
		require.NotNil(t, pass)
		assert.Equal(t, mwauth.FieldPassword, pass.Type)
		assert.True(t, pass.Sensitive)
		assert.Nil(t, findRequest(form.Requests, idCaptcha), "no captcha before any failure")
		assert.NotNil(t, findRequest(form.Requests, idSSOButton), "the FakeSSO button")
		ex := rec.since(0)
		require.Len(t, ex, 1)
		assert.Equal(t, "authmanagerinfo|tokens", ex[0].Params.Get("meta"))
		// The form's answer is a login that needs no token request.
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: form.Answer(alice().Fields)})
		require.NoError(t, err)
		assert.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, 2, rec.count(), "the clientlogin uses the form's token: %s", rec.summary(0))
	}},
	{name: "authmanagerinfo in raw format gives message keys as labels", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		form, err := c.AuthManagerInfo(ctx, mwauth.FormatRaw)
		require.NoError(t, err)
		assert.Equal(t, "raw", rec.since(0)[0].Params.Get("amimessageformat"))
		preq := findRequest(form.Requests, idPassword)
		require.NotNil(t, preq)
		user := findField(preq.Fields, "username")
		require.NotNil(t, user)
		assert.Equal(t, "userlogin-yourname", user.Label)
		pass := findField(preq.Fields, "password")
		require.NotNil(t, pass)
		assert.Equal(t, "userlogin-yourpassword", pass.Label)
	}},
	{name: "clientlogin of an unknown user FAILs as a wrong password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
			"username": "NoSuchUser Livetest", "password": "some-password-1"}})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "wrongpassword", step.MessageCode, "MediaWiki does not say that the user is unknown")
		assert.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
		assert.Equal(t, 2, rec.count())
	}},
	{name: "a two-factor code is accepted once: a replayed code gives UI again", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t) // the badoath rate limit
		first, _ := tg.client(t)
		startTwoFactor(ctx, t, first, mwauth.ClientLoginRequest{})
		code := tg.code(t)
		step, err := first.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)

		second, rec := tg.client(t)
		startTwoFactor(ctx, t, second, mwauth.ClientLoginRequest{})
		step, err = second.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusUI, step.Status, "the replayed code is refused: %+v", step)
		assert.Equal(t, "oathauth-login-failed", step.MessageCode)
		step, err = second.ContinueClientLogin(ctx, step.Answer(map[string]string{"OATHToken": tg.code(t)}))
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "a later code passes: %+v", step)
		assert.Equal(t, 4, rec.count(), "token, clientlogin, two continues: %s", rec.summary(0))
	}},
	{name: "REDIRECT by hand: RedirectFields of the URL the browser came back to, then PASS", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		step := startRedirect(ctx, t, tg.api, c)
		target, err := url.Parse(step.RedirectTarget)
		require.NoError(t, err)
		assert.True(t, target.IsAbs())
		assert.Equal(t, "/fakesso-idp", target.Path)
		assert.Equal(t, returnURL(t, tg.api), target.Query().Get("returnto"))
		var data struct {
			State string `json:"state"`
		}
		require.NoError(t, json.Unmarshal(step.RedirectData, &data))
		assert.NotEmpty(t, data.State)
		assert.Equal(t, target.Query().Get("state"), data.State)
		req := findRequest(step.Requests, idFakeSSO)
		require.NotNil(t, req)
		assert.NotNil(t, findField(req.Fields, "fakessocode"))
		assert.NoError(t, step.Err())
		// The browser comes back to the return URL with the provider's
		// parameters added, as an identity provider sends it back.
		back := returnURL(t, tg.api) + "&" + url.Values{"fakessocode": {"user:" + wikitest.Alice}, "state": {data.State}}.Encode()
		fields, err := mwauth.RedirectFields(back)
		require.NoError(t, err)
		assert.Equal(t, map[string]string{"fakessocode": "user:" + wikitest.Alice, "state": data.State}, fields,
			"the provider's parameters, without the return URL's own title")
		step, err = c.ContinueClientLogin(ctx, step.Answer(fields))
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
		assert.Equal(t, wikitest.Alice, step.User.Name)
		assert.Equal(t, 3, rec.count(), "token, clientlogin, logincontinue: %s", rec.summary(0))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, name)
	}},
	{name: "RESTART by hand without a linked account, then a password login with Step.Answer", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		startRedirect(ctx, t, tg.api, c)
		step, err := c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "nouser"})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusRestart, step.Status, "step: %+v", step)
		assert.Equal(t, "authmanager-authn-no-local-user", step.MessageCode)
		assert.NotEmpty(t, step.Message)
		assert.NoError(t, step.Err(), "RESTART is not a FAIL")
		preq := findRequest(step.Requests, idPassword)
		require.NotNil(t, preq, "the requests are a fresh login form")
		assert.NotNil(t, findField(preq.Fields, "username"))
		assert.NotNil(t, findRequest(step.Requests, idSSOButton))
		// MediaWiki 1.39 preserves state only for account creation from a
		// third-party login; FakeSSO offers none, so nothing is preserved
		// and the next ClientLogin starts plainly.
		n := rec.count()
		step, err = c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: step.Answer(alice().Fields)})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.User.Name)
		ex := rec.since(n)
		require.NotEmpty(t, ex)
		assert.Empty(t, ex[len(ex)-1].Params.Get("loginpreservestate"))
	}},
	{name: "the redirect provider refuses", run: func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		startRedirect(ctx, t, tg.api, c)
		step, err := c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "refused-by-idp"})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status, "step: %+v", step)
		assert.Equal(t, "localwiki-fakesso-failed", step.MessageCode)
		assert.ErrorIs(t, step.Err(), mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
		// The flow is over: continuing again finds nothing in progress.
		step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "user:" + wikitest.Alice})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		assert.Equal(t, "authmanager-authn-not-in-progress", step.MessageCode)
	}},
	{name: "RunClientLogin through a redirect", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		var seen []mwauth.Status
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: returnURL(t, tg.api),
			Fields: map[string]string{"fakessologin": "1"}},
			func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
				seen = append(seen, s.Status)
				if s.Status != mwauth.StatusRedirect || s.RedirectTarget == "" {
					return nil, fmt.Errorf("unexpected step %+v", s)
				}
				return map[string]string{"fakessocode": "user:" + wikitest.Alice}, nil
			})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, []mwauth.Status{mwauth.StatusRedirect}, seen)
		assert.Equal(t, 3, rec.count(), "authmanagerinfo+token, clientlogin, logincontinue: %s", rec.summary(0))
	}},
	{name: "RunClientLogin through a redirect and a restart", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		var seen []mwauth.Status
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: returnURL(t, tg.api),
			Fields: map[string]string{"fakessologin": "1"}},
			func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
				seen = append(seen, s.Status)
				switch s.Status {
				case mwauth.StatusRedirect:
					return map[string]string{"fakessocode": "nouser"}, nil
				case mwauth.StatusRestart:
					return map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass}, nil
				}
				return nil, fmt.Errorf("unexpected step %+v", s)
			})
		require.NoError(t, err, "requests: %s", rec.summary(0))
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.User.Name)
		assert.Equal(t, []mwauth.Status{mwauth.StatusRedirect, mwauth.StatusRestart}, seen)
	}},
	{name: "a responder error stops RunClientLogin", run: func(t *testing.T, ctx context.Context, tg target) {
		c, _ := tg.client(t)
		stop := errors.New("user cancelled")
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: returnURL(t, tg.api),
			Fields: map[string]string{"fakessologin": "1"}},
			func(context.Context, *mwauth.Step) (map[string]string, error) { return nil, stop })
		assert.ErrorIs(t, err, stop)
		require.NotNil(t, step)
		assert.Equal(t, mwauth.StatusRedirect, step.Status)
	}},
	{name: "a clientlogin session cannot be logged in again unattended", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		step, err := c.ClientLogin(ctx, alice())
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		tg.expire(t)
		n := rec.count()
		err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.Zero(t, rec.loginPosts(n), "never another account's login in its place")
	}},
}
