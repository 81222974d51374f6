package mwauth_test

// Integration tests of action=clientlogin, RunClientLogin and
// meta=authmanagerinfo against the real test wiki (see integration_test.go).
// The REDIRECT and RESTART tests need the wiki started with
// LOCALWIKI_FAKESSO=1, as scripts/test.sh does.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/totp"
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

// findRequest returns the first request whose id ends with suffix.
func findRequest(reqs []mwauth.AuthRequest, suffix string) *mwauth.AuthRequest {
	for i := range reqs {
		if strings.HasSuffix(reqs[i].ID, suffix) {
			return &reqs[i]
		}
	}
	return nil
}

// findField returns the field called name.
func findField(fields []mwauth.Field, name string) *mwauth.Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// requestIDs lists ids for failure messages.
func requestIDs(reqs []mwauth.AuthRequest) []string {
	var ids []string
	for _, r := range reqs {
		ids = append(ids, r.ID)
	}
	return ids
}

// returnURL is the loginreturnurl the tests send: Special:UserLogin on the
// test wiki.
func returnURL(t *testing.T, api string) string {
	t.Helper()
	u, err := url.Parse(api)
	require.NoError(t, err)
	u.Path = strings.TrimSuffix(u.Path, "api.php") + "index.php"
	u.RawQuery = "title=Special:UserLogin"
	return u.String()
}

// wrongTOTP returns a 6-digit code that is not TwoFAUser's code for any
// time step OATHAuth could accept now.
func wrongTOTP(t *testing.T) string {
	t.Helper()
	key, err := totp.DecodeSecret(wikitest.TwoFASecret)
	require.NoError(t, err)
	now := totp.Step(time.Now())
	valid := map[string]bool{}
	for s := now - 2*wikitest.TOTPWindow; s <= now+2*wikitest.TOTPWindow; s++ {
		valid[totp.CodeAt(key, s)] = true
	}
	for i := 123456; ; i++ {
		code := fmt.Sprintf("%06d", i%1000000)
		if !valid[code] {
			return code
		}
	}
}

// requireFakeSSO fails the test unless the wiki runs the FakeSSO provider.
func requireFakeSSO(ctx context.Context, t *testing.T, api string) {
	t.Helper()
	c := newClient(t, api, newRecorder())
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	require.NotNil(t, findRequest(info.Requests, idSSOButton),
		"the wiki does not offer the FakeSSO button; start it with LOCALWIKI_FAKESSO=1 internal/localwiki/up.sh")
}

// startTwoFactor begins a clientlogin of TwoFAUser and returns its UI step.
func startTwoFactor(ctx context.Context, t *testing.T, c *mwauth.Client, req mwauth.ClientLoginRequest) *mwauth.Step {
	t.Helper()
	if req.Fields == nil {
		req.Fields = map[string]string{}
	}
	req.Fields["username"] = wikitest.TwoFAUser
	req.Fields["password"] = wikitest.TwoFAPass
	step, err := c.ClientLogin(ctx, req)
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusUI, step.Status, "step: %+v", step)
	return step
}

// startRedirect begins a FakeSSO clientlogin and returns its REDIRECT step.
func startRedirect(ctx context.Context, t *testing.T, api string, c *mwauth.Client) *mwauth.Step {
	t.Helper()
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		ReturnURL: returnURL(t, api),
		Fields:    map[string]string{"fakessologin": "1"},
	})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusRedirect, step.Status, "step: %+v", step)
	return step
}

func TestIntegrationClientLoginPass(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass},
	})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
	assert.Equal(t, wikitest.Alice, step.Username)
	assert.NoError(t, step.Err())
	assert.Equal(t, 2, rec.count(), "login token + clientlogin: %s", rec.summary(0))
	ex := rec.since(0)
	require.Len(t, ex, 2)
	assert.Equal(t, http.MethodPost, ex[1].Method)
	assert.Equal(t, "clientlogin", ex[1].Action)
	assert.NotEmpty(t, ex[1].Params.Get("loginreturnurl"), "a default return URL is sent")

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Alice, name)
}

func TestIntegrationClientLoginWrongPassword(t *testing.T) {
	api := wikitest.API(t)
	resetCountersAfter(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.Alice, "password": "not-" + wikitest.AlicePass},
	})
	require.NoError(t, err, "a FAIL is a step, not an error")
	require.Equal(t, mwauth.StatusFail, step.Status)
	assert.Equal(t, "wrongpassword", step.MessageCode)
	assert.NotEmpty(t, step.Message)
	serr := step.Err()
	require.Error(t, serr)
	assert.ErrorIs(t, serr, mwauth.ErrWrongCredentials)
	assert.ErrorIs(t, serr, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, serr, mwauth.ErrSessionLost)
	var le *mwauth.LoginError
	require.ErrorAs(t, serr, &le)
	assert.Equal(t, "clientlogin", le.Action)
	assert.Equal(t, "FAIL", le.Result)
	assert.Equal(t, 2, rec.count())

	// Still anonymous: nothing is asserted, and the wiki says so.
	resp, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	var body struct {
		Query struct {
			UserInfo struct {
				Anon bool `json:"anon"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, resp.Decode(&body))
	assert.True(t, body.Query.UserInfo.Anon)
}

func TestIntegrationClientLoginTwoFactor(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	// AuthManagerInfo fetches the login token with the field list, so the
	// whole two-factor login takes three requests.
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	require.NotNil(t, findRequest(info.Requests, idPassword))

	step := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
	assert.Equal(t, "oathauth-auth-ui", step.MessageCode)
	assert.NotEmpty(t, step.Message)
	assert.NoError(t, step.Err())
	req := findRequest(step.Requests, idTOTP)
	require.NotNil(t, req, "requests: %v", requestIDs(step.Requests))
	f := findField(req.Fields, "OATHToken")
	require.NotNil(t, f)
	assert.Equal(t, "string", f.Type)
	assert.NotEmpty(t, f.Label)
	assert.NotNil(t, findField(step.AllFields(), "OATHToken"))

	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": wikitest.TOTP(t)})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
	assert.Equal(t, wikitest.TwoFAUser, step.Username)
	assert.Equal(t, 3, rec.count(), "authmanagerinfo+token, clientlogin, logincontinue: %s", rec.summary(0))

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.TwoFAUser, name)
}

func TestIntegrationClientLoginTwoFactorWrongCode(t *testing.T) {
	api := wikitest.API(t)
	resetCountersAfter(t) // the badoath rate limit
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": wrongTOTP(t)})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusUI, step.Status, "a wrong code gives the UI again: %+v", step)
	assert.Equal(t, "oathauth-login-failed", step.MessageCode)
	assert.NotNil(t, findRequest(step.Requests, idTOTP))
	assert.NoError(t, step.Err())

	// The flow goes on: the right code now passes.
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": wikitest.TOTP(t)})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
	assert.Equal(t, wikitest.TwoFAUser, step.Username)
}

func TestIntegrationClientLoginCaptcha(t *testing.T) {
	api := wikitest.API(t)
	wikitest.ResetCounters(t)
	resetCountersAfter(t)
	ctx := testContext(t)

	// Three failed logins trip ConfirmEdit's per-user captcha.
	bad := newClient(t, api, newRecorder())
	for i := 0; i < 3; i++ {
		step, err := bad.ClientLogin(ctx, mwauth.ClientLoginRequest{
			Fields: map[string]string{"username": wikitest.CaptchaUser, "password": "wrong-" + wikitest.CaptchaPass},
		})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		require.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)
	}

	rec := newRecorder()
	c := newClient(t, api, rec)
	var asked []*mwauth.Step
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.CaptchaUser, "password": wikitest.CaptchaPass},
	}, func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
		asked = append(asked, s)
		if s.Status != mwauth.StatusUI {
			return nil, fmt.Errorf("unexpected %s step", s.Status)
		}
		info := findField(s.AllFields(), "captchaInfo")
		if info == nil || info.Value != wikitest.CaptchaQuestion {
			return nil, fmt.Errorf("no captcha question in %+v", s.AllFields())
		}
		return map[string]string{"captchaWord": wikitest.CaptchaAnswer}, nil
	})
	require.NoError(t, err, "requests: %s", rec.summary(0))
	require.Equal(t, mwauth.StatusPass, step.Status)
	assert.Equal(t, wikitest.CaptchaUser, step.Username)

	require.Len(t, asked, 1, "the responder answers the captcha once")
	ui := asked[0]
	assert.Equal(t, mwauth.StatusUI, ui.Status)
	assert.Equal(t, "wrongpassword", ui.MessageCode, "the wiki FAILs the captcha-less attempt as wrongpassword")
	creq := findRequest(ui.Requests, idCaptcha)
	require.NotNil(t, creq, "requests: %v", requestIDs(ui.Requests))
	if f := findField(creq.Fields, "captchaId"); assert.NotNil(t, f) {
		assert.Equal(t, "hidden", f.Type)
		assert.NotEmpty(t, f.Value)
	}
	if f := findField(creq.Fields, "captchaWord"); assert.NotNil(t, f) {
		assert.Equal(t, "string", f.Type)
	}

	// The driver sent the hidden captchaId back with the answer.
	var last exchange
	for _, e := range rec.since(0) {
		if e.Action == "clientlogin" {
			last = e
		}
	}
	assert.NotEmpty(t, last.Params.Get("captchaId"))
	assert.Equal(t, wikitest.CaptchaAnswer, last.Params.Get("captchaWord"))
	t.Logf("captcha login: %d requests: %s", rec.count(), rec.summary(0))

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.CaptchaUser, name)
}

func TestIntegrationClientLoginThrottled(t *testing.T) {
	api := wikitest.API(t)
	wikitest.ResetCounters(t)
	resetCountersAfter(t)
	ctx := testContext(t)
	c := newClient(t, api, newRecorder())

	// The test wiki allows 10 attempts per user and IP in 60 s.
	var throttled *mwauth.Step
	attempts := 0
	for attempts < 15 && throttled == nil {
		attempts++
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
			Fields: map[string]string{"username": wikitest.ThrottleUser, "password": "wrong-" + wikitest.ThrottlePass},
		})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
		if step.MessageCode == "login-throttled" {
			throttled = step
			break
		}
		require.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials, "attempt %d", attempts)
	}
	require.NotNil(t, throttled, "no login-throttled after %d attempts", attempts)
	t.Logf("throttled at attempt %d", attempts)
	assert.Equal(t, 11, attempts, "10 attempts are allowed, the 11th is throttled")
	err := throttled.Err()
	assert.ErrorIs(t, err, mwauth.ErrThrottled)
	assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)

	// The right password is throttled too, through either module.
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.ThrottleUser, "password": wikitest.ThrottlePass},
	})
	require.NoError(t, err)
	assert.ErrorIs(t, step.Err(), mwauth.ErrThrottled)
	_, err = c.Login(ctx, wikitest.ThrottleUser, wikitest.ThrottlePass)
	assert.ErrorIs(t, err, mwauth.ErrThrottled)
}

func TestIntegrationClientLoginRedirect(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	requireFakeSSO(ctx, t, api)
	rec := newRecorder()
	c := newClient(t, api, rec)

	step := startRedirect(ctx, t, api, c)
	target, err := url.Parse(step.RedirectTarget)
	require.NoError(t, err)
	assert.True(t, target.IsAbs())
	assert.Equal(t, "/fakesso-idp", target.Path)
	assert.Equal(t, returnURL(t, api), target.Query().Get("returnto"))
	require.NotEmpty(t, step.RedirectData)
	var data struct {
		State string `json:"state"`
	}
	require.NoError(t, json.Unmarshal(step.RedirectData, &data))
	assert.NotEmpty(t, data.State)
	assert.Equal(t, target.Query().Get("state"), data.State)
	req := findRequest(step.Requests, idFakeSSO)
	require.NotNil(t, req, "requests: %v", requestIDs(step.Requests))
	assert.NotNil(t, findField(req.Fields, "fakessocode"))
	assert.NoError(t, step.Err())

	step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "user:" + wikitest.Alice})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
	assert.Equal(t, wikitest.Alice, step.Username)
	assert.Equal(t, 3, rec.count(), "token, clientlogin, logincontinue: %s", rec.summary(0))

	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Alice, name)
}

func TestIntegrationClientLoginRestart(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	requireFakeSSO(ctx, t, api)
	c := newClient(t, api, newRecorder())

	startRedirect(ctx, t, api, c)
	step, err := c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "nouser"})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusRestart, step.Status, "step: %+v", step)
	assert.Equal(t, "authmanager-authn-no-local-user", step.MessageCode)
	assert.NotEmpty(t, step.Message)
	assert.NoError(t, step.Err(), "RESTART is not a FAIL")
	// The requests are a fresh login set.
	preq := findRequest(step.Requests, idPassword)
	require.NotNil(t, preq, "requests: %v", requestIDs(step.Requests))
	assert.NotNil(t, findField(preq.Fields, "username"))
	assert.NotNil(t, findRequest(step.Requests, idSSOButton))
}

func TestIntegrationClientLoginPreserveStateAfterRestart(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	requireFakeSSO(ctx, t, api)
	rec := newRecorder()
	c := newClient(t, api, rec)

	startRedirect(ctx, t, api, c)
	step, err := c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "nouser"})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusRestart, step.Status)
	// MediaWiki 1.39 preserves state only for account creation from a
	// third-party login (CreateFromLoginAuthenticationRequest); FakeSSO
	// offers no account creation, so the wiki says there is nothing to
	// preserve.
	assert.False(t, step.CanPreserveState, "the wiki's canpreservestate")
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	assert.False(t, info.HasPreservedState)
	assert.False(t, info.HasPrimaryPreservedState)
	assert.Empty(t, info.PreservedUsername)

	// Asking to preserve anyway is harmless: the password login passes.
	n := rec.count()
	step, err = c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		PreserveState: true,
		Fields:        map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass},
	})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "step: %+v", step)
	assert.Equal(t, wikitest.Alice, step.Username)
	ex := rec.since(n)
	require.NotEmpty(t, ex)
	assert.Equal(t, "1", ex[len(ex)-1].Params.Get("loginpreservestate"))
}

func TestIntegrationClientLoginRedirectFail(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	requireFakeSSO(ctx, t, api)
	c := newClient(t, api, newRecorder())

	startRedirect(ctx, t, api, c)
	step, err := c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "refused-by-idp"})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusFail, step.Status, "step: %+v", step)
	assert.Equal(t, "localwiki-fakesso-failed", step.MessageCode)
	serr := step.Err()
	assert.ErrorIs(t, serr, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, serr, mwauth.ErrWrongCredentials)
	assert.NotErrorIs(t, serr, mwauth.ErrSessionLost)
	var le *mwauth.LoginError
	require.ErrorAs(t, serr, &le)
	assert.Equal(t, "localwiki-fakesso-failed", le.Code)

	// The flow is over: continuing again finds nothing in progress.
	step, err = c.ContinueClientLogin(ctx, map[string]string{"fakessocode": "user:" + wikitest.Alice})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusFail, step.Status)
	assert.ErrorIs(t, step.Err(), mwauth.ErrSessionLost)
}

func TestIntegrationRunClientLoginRedirect(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	requireFakeSSO(ctx, t, api)

	t.Run("redirect", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec)
		var seen []mwauth.Status
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{
			ReturnURL: returnURL(t, api),
			Fields:    map[string]string{"fakessologin": "1"},
		}, func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
			seen = append(seen, s.Status)
			if s.Status != mwauth.StatusRedirect || s.RedirectTarget == "" {
				return nil, fmt.Errorf("unexpected step %+v", s)
			}
			// A real program sends the browser to RedirectTarget and
			// returns what the return URL received.
			return map[string]string{"fakessocode": "user:" + wikitest.Alice}, nil
		})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.Username)
		assert.Equal(t, []mwauth.Status{mwauth.StatusRedirect}, seen)
		assert.Equal(t, 3, rec.count(), "token, clientlogin, logincontinue: %s", rec.summary(0))
	})

	t.Run("redirect then restart", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec)
		var seen []mwauth.Status
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{
			ReturnURL: returnURL(t, api),
			Fields:    map[string]string{"fakessologin": "1"},
		}, func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
			seen = append(seen, s.Status)
			switch s.Status {
			case mwauth.StatusRedirect:
				return map[string]string{"fakessocode": "nouser"}, nil
			case mwauth.StatusRestart:
				// No linked account: fall back to a password login.
				return map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass}, nil
			}
			return nil, fmt.Errorf("unexpected step %+v", s)
		})
		require.NoError(t, err, "requests: %s", rec.summary(0))
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, wikitest.Alice, step.Username)
		assert.Equal(t, []mwauth.Status{mwauth.StatusRedirect, mwauth.StatusRestart}, seen)
	})

	t.Run("responder error stops the flow", func(t *testing.T) {
		c := newClient(t, api, newRecorder())
		stop := fmt.Errorf("user cancelled")
		step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{
			ReturnURL: returnURL(t, api),
			Fields:    map[string]string{"fakessologin": "1"},
		}, func(context.Context, *mwauth.Step) (map[string]string, error) { return nil, stop })
		assert.ErrorIs(t, err, stop)
		require.NotNil(t, step)
		assert.Equal(t, mwauth.StatusRedirect, step.Status)
	})
}

func TestIntegrationClientLoginSessionLostMidFlow(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
	wikitest.KillSessions(t)

	n := rec.count()
	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": wikitest.TOTP(t)})
	require.Error(t, err, "step: %+v", step)
	assert.ErrorIs(t, err, mwauth.ErrSessionLost)
	t.Logf("continue after the session was killed: %s", rec.summary(n))
	assert.Equal(t, 1, rec.count()-n, "no retry: the flow cannot be recovered")

	// Starting again works.
	step = startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
	assert.Equal(t, "oathauth-auth-ui", step.MessageCode)
}

func TestIntegrationClientLoginContinueWithoutFlow(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": "123456"})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusFail, step.Status, "step: %+v", step)
	assert.Equal(t, "authmanager-authn-not-in-progress", step.MessageCode)
	serr := step.Err()
	assert.ErrorIs(t, serr, mwauth.ErrSessionLost)
	assert.ErrorIs(t, serr, mwauth.ErrLoginFailed)
	assert.NotErrorIs(t, serr, mwauth.ErrWrongCredentials)
	assert.Equal(t, 2, rec.count(), "login token + logincontinue: %s", rec.summary(0))
}

func TestIntegrationClientLoginMessageFormats(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)

	for _, format := range []string{"html", "wikitext", "raw", "none"} {
		t.Run(format, func(t *testing.T) {
			rec := newRecorder()
			c := newClient(t, api, rec)
			step := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{MessageFormat: format})
			ex := rec.since(0)
			require.NotEmpty(t, ex)
			assert.Equal(t, format, ex[len(ex)-1].Params.Get("loginmessageformat"))

			assert.Equal(t, "oathauth-auth-ui", step.MessageCode, "the message code is always set")
			switch format {
			case "none":
				assert.Empty(t, step.Message)
			case "raw":
				// The raw message is {key, params}; the Step keeps the key.
				assert.Equal(t, "oathauth-auth-ui", step.Message)
			default:
				assert.NotEmpty(t, step.Message)
				assert.NotEqual(t, step.MessageCode, step.Message, "a rendered message, not its key")
			}
			f := findField(step.AllFields(), "OATHToken")
			require.NotNil(t, f)
			if format != "none" {
				assert.NotEmpty(t, f.Label, "field labels follow the message format")
			}
		})
	}
}

func TestIntegrationClientLoginMergeRequestFields(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)

	t.Run("UI", func(t *testing.T) {
		rec := newRecorder()
		c := newClient(t, api, rec)
		step := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{MergeRequestFields: true})
		ex := rec.since(0)
		assert.Equal(t, "1", ex[len(ex)-1].Params.Get("loginmergerequestfields"))
		require.NotEmpty(t, step.Fields, "merged fields")
		f := findField(step.Fields, "OATHToken")
		require.NotNil(t, f)
		assert.Equal(t, "string", f.Type)
		assert.Equal(t, step.Fields, step.AllFields())
	})

	t.Run("without", func(t *testing.T) {
		c := newClient(t, api, newRecorder())
		step := startTwoFactor(ctx, t, c, mwauth.ClientLoginRequest{})
		assert.Empty(t, step.Fields)
		assert.NotNil(t, findField(step.AllFields(), "OATHToken"), "AllFields flattens the requests")
	})
}

func TestIntegrationClientLoginOverBotPasswordSession(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
	require.NoError(t, err)
	name, err := userInfo(ctx, t, c)
	require.NoError(t, err)
	require.Equal(t, wikitest.Admin, name)

	n := rec.count()
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass},
	})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status, "not userlogin-cannot-login: %+v", step)
	assert.Equal(t, wikitest.Alice, step.Username)
	assert.Equal(t, 2, rec.count()-n, "a fresh login token and the clientlogin: %s", rec.summary(n))

	name, err = userInfo(ctx, t, c)
	require.NoError(t, err)
	assert.Equal(t, wikitest.Alice, name)
}

func TestIntegrationAuthManagerInfoLogin(t *testing.T) {
	api := wikitest.API(t)
	wikitest.ResetCounters(t)
	resetCountersAfter(t)
	ctx := testContext(t)
	rec := newRecorder()
	c := newClient(t, api, rec)

	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	assert.True(t, info.CanAuthenticateNow)
	preq := findRequest(info.Requests, idPassword)
	require.NotNil(t, preq, "requests: %v", requestIDs(info.Requests))
	assert.Equal(t, "primary-required", preq.Required)
	user := findField(preq.Fields, "username")
	require.NotNil(t, user)
	assert.Equal(t, "string", user.Type)
	assert.False(t, user.Sensitive)
	pass := findField(preq.Fields, "password")
	require.NotNil(t, pass)
	assert.Equal(t, "password", pass.Type)
	assert.True(t, pass.Sensitive)
	assert.Nil(t, findRequest(info.Requests, idCaptcha), "no captcha before any failure")
	assert.Equal(t, 1, rec.count())

	// The login token came with it: ClientLogin needs no token request.
	n := rec.count()
	for i := 0; i < 3; i++ {
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
			Fields: map[string]string{"username": wikitest.CaptchaUser, "password": "wrong-" + wikitest.CaptchaPass},
		})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusFail, step.Status)
	}
	assert.Equal(t, 3, rec.count()-n, "three clientlogin POSTs with the cached token: %s", rec.summary(n))

	// The counter is tripped; the next attempt, even with the right
	// password, FAILs (deliberately as wrongpassword) and puts the captcha
	// in the session's login requests.
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": wikitest.CaptchaUser, "password": wikitest.CaptchaPass},
	})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusFail, step.Status)
	assert.ErrorIs(t, step.Err(), mwauth.ErrWrongCredentials)

	for _, format := range []string{"wikitext", "html"} {
		info, err = c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login", MessageFormat: format})
		require.NoError(t, err)
		creq := findRequest(info.Requests, idCaptcha)
		require.NotNil(t, creq, "requests: %v", requestIDs(info.Requests))
		assert.Equal(t, "required", creq.Required)
		var meta struct {
			Type string `json:"type"`
		}
		require.NoError(t, json.Unmarshal(creq.Metadata, &meta))
		assert.Equal(t, "question", meta.Type)
		id := findField(creq.Fields, "captchaId")
		require.NotNil(t, id)
		assert.Equal(t, "hidden", id.Type)
		assert.NotEmpty(t, id.Value)
		q := findField(creq.Fields, "captchaInfo")
		require.NotNil(t, q)
		assert.Equal(t, "null", q.Type)
		assert.Equal(t, wikitest.CaptchaQuestion, q.Value)
		// The label links to Special:Captcha/help: wikitext or HTML.
		switch format {
		case "wikitext":
			assert.Contains(t, q.Label, "[[Special:Captcha/help")
		case "html":
			assert.Contains(t, q.Label, "<a ")
		}
		assert.NotNil(t, findField(creq.Fields, "captchaWord"))
		assert.NotNil(t, findRequest(info.Requests, idPassword), "the password request is still there")
	}

	// Merged fields hold the captcha fields and the password fields.
	info, err = c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login", MergeRequestFields: true})
	require.NoError(t, err)
	require.NotEmpty(t, info.Fields)
	for _, name := range []string{"captchaId", "captchaWord", "username", "password"} {
		assert.NotNil(t, findField(info.Fields, name), name)
	}
}

func TestIntegrationAuthManagerInfoSecuritySensitive(t *testing.T) {
	api := wikitest.API(t)
	ctx := testContext(t)
	const op = "ChangeEmail"

	status := func(t *testing.T, c *mwauth.Client) string {
		t.Helper()
		info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{SecuritySensitiveOperation: op})
		require.NoError(t, err)
		return info.SecuritySensitiveStatus
	}

	t.Run("anonymous", func(t *testing.T) {
		c := newClient(t, api, newRecorder())
		assert.Equal(t, "reauth", status(t, c))
	})
	t.Run("fresh clientlogin", func(t *testing.T) {
		c := newClient(t, api, newRecorder())
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
			Fields: map[string]string{"username": wikitest.Alice, "password": wikitest.AlicePass},
		})
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		assert.Equal(t, "ok", status(t, c), "just authenticated")
	})
	t.Run("bot password", func(t *testing.T) {
		c := newClient(t, api, newRecorder())
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{SecuritySensitiveOperation: op})
		require.NoError(t, err)
		assert.False(t, info.CanAuthenticateNow, "a bot-password session is immutable")
		assert.Equal(t, "ok", info.SecuritySensitiveStatus,
			"$wgAllowSecuritySensitiveOperationIfCannotReauthenticate defaults to ok")
	})
}
