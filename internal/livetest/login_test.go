package livetest_test

// Conformance cases of action=login and of the asserts.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// corruptLoginToken rewrites the lgtoken of login POSTs (the n-th POST
// when only is >= 0) so that its HMAC no longer matches.
func corruptLoginToken(only int) func(n int, form url.Values) {
	return func(n int, form url.Values) {
		if form.Get("action") != "login" || (only >= 0 && n != only) {
			return
		}
		b := []byte(form.Get("lgtoken"))
		if len(b) == 0 {
			return
		}
		if b[0] == 'a' {
			b[0] = 'b'
		} else {
			b[0] = 'a'
		}
		form.Set("lgtoken", string(b))
	}
}

// dropLoginToken removes the lgtoken of login POSTs (the n-th POST when
// only is >= 0).
func dropLoginToken(only int) func(n int, form url.Values) {
	return func(n int, form url.Values) {
		if form.Get("action") == "login" && (only < 0 || n == only) {
			form.Del("lgtoken")
		}
	}
}

var loginCases = []conformanceCase{
	{name: "bot password login takes 2 requests, a CSRF token 1 more", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		u, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name, "lgusername is the main account")
		assert.Positive(t, u.ID)
		ex := rec.since(0)
		require.Len(t, ex, 2, "login token + login POST: %s", rec.summary(0))
		assert.Equal(t, http.MethodGet, ex[0].Method)
		assert.Equal(t, "login", ex[0].Params.Get("type"))
		assert.Equal(t, http.MethodPost, ex[1].Method)
		assert.Equal(t, "login", ex[1].Action)

		var out struct {
			CheckToken struct{ Result string } `json:"checktoken"`
		}
		require.NoError(t, c.PostWithToken(ctx, "", harmlessWrite(), &out))
		assert.Equal(t, "valid", out.CheckToken.Result, "a logged-in session's CSRF token")
		ex = rec.since(2)
		require.Len(t, ex, 2, "the CSRF token costs one request: %s", rec.summary(0))
		assert.Equal(t, "csrf", ex[0].Params.Get("type"))
		assert.Equal(t, "user", ex[1].Params.Get("assert"))
	}},
	{name: "wrong bot password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		// A well-formed bot password (^[0-9a-w]{32,}$) that is wrong.
		_, err := c.Login(ctx, wikitest.AdminBot, "wrongbotpassword0123456789abcdef")
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, err, mwauth.ErrThrottled)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, "wrongpassword", le.Code)
		assert.NotContains(t, err.Error(), "wrongbotpassword", "the password never appears in an error")
		assert.Equal(t, 2, rec.count(), "a failed login is not retried: %s", rec.summary(0))
	}},
	{name: "unknown bot name is Failed wrongpassword, like a wrong password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.Admin+"@nosuchbot", wikitest.AdminBotPass)
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		assert.NotErrorIs(t, err, mwauth.ErrInteractionRequired)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, "wrongpassword", le.Code, "MediaWiki does not say that the bot name is unknown")
		assert.Equal(t, 2, rec.count())
	}},
	{name: "unknown user is Failed wrongpassword, like a wrong password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		_, err := c.Login(ctx, "NoSuchUser Livetest", "some-password-1")
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, "wrongpassword", le.Code, "MediaWiki does not say that the user is unknown")
		assert.Zero(t, le.Wait)
		assert.Equal(t, 2, rec.count())
		var w whoami
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w))
		assert.True(t, w.Query.UserInfo.Anon, "a failed login leaves an anonymous client, which still reads")
	}},
	{name: "malformed bot password is tried as a main password", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t)
		// Uppercase letters: not a bot password to MediaWiki, which tries a
		// main-account login for "Admin@localbot" instead.
		pass := strings.ToUpper(wikitest.AdminBotPass[:1]) + wikitest.AdminBotPass[1:]
		_, err := c.Login(ctx, wikitest.AdminBot, pass)
		assert.ErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Failed", le.Result)
		assert.Equal(t, 2, rec.count())
	}},
	{name: "main-account action=login still works", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		u, err := c.Login(ctx, wikitest.Alice, wikitest.AlicePass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, u.Name)
		assert.Positive(t, u.ID)
		assert.Equal(t, 2, rec.count())
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, name)
	}},
	{name: "two-factor account through action=login is Aborted", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithSessionFile(sessionFile(t)))
		_, err := c.Login(ctx, wikitest.TwoFAUser, wikitest.TwoFAPass)
		assert.ErrorIs(t, err, mwauth.ErrInteractionRequired)
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "Aborted", le.Result)
		assert.NotEmpty(t, le.Code)
		assert.Equal(t, 2, rec.count(), "Aborted is not retried: %s", rec.summary(0))
		// No session was established: the Client does not act as a user.
		var w whoami
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w))
		assert.True(t, w.Query.UserInfo.Anon)
	}},
	{name: "a two-factor account's bot password skips two-factor", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		u, err := c.Login(ctx, wikitest.TwoFABot, wikitest.TwoFABotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.TwoFAUser, u.Name)
		assert.Equal(t, 2, rec.count())
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.TwoFAUser, name)
	}},
	{name: "NeedToken: a login without a token is retried once with the token it gives", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		rec.setRewrite(dropLoginToken(0))
		u, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err, "requests: %s", rec.summary(0))
		assert.Equal(t, wikitest.Admin, u.Name)
		// token, login (NeedToken with a token), login (Success): no second
		// token request, since NeedToken carries one.
		ex := rec.since(0)
		require.Len(t, ex, 3, "requests: %s", rec.summary(0))
		assert.Equal(t, http.MethodGet, ex[0].Method)
		assert.Equal(t, "login", ex[1].Action)
		assert.Equal(t, "login", ex[2].Action)
		assert.Empty(t, ex[1].Params.Get("lgtoken"), "the rewrite took it away")
		assert.NotEmpty(t, ex[2].Params.Get("lgtoken"))
	}},
	{name: "NeedToken twice fails after one retry", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		rec.setRewrite(dropLoginToken(-1))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "NeedToken", le.Result)
		assert.Equal(t, 2, rec.loginPosts(0), "exactly one retry: %s", rec.summary(0))
		assert.Equal(t, 3, rec.count(), "requests: %s", rec.summary(0))
	}},
	{name: "WrongToken is retried once with a fresh token", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		rec.setRewrite(corruptLoginToken(0))
		u, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err, "requests: %s", rec.summary(0))
		assert.Equal(t, wikitest.Admin, u.Name)
		ex := rec.since(0)
		var kinds []string
		for _, e := range ex {
			kinds = append(kinds, e.Method+" "+e.Action)
		}
		// token, login (WrongToken), token again, login (Success).
		assert.Equal(t, []string{"GET query", "POST login", "GET query", "POST login"}, kinds)
		require.Len(t, ex, 4)
		assert.NotEqual(t, ex[1].Params.Get("lgtoken"), ex[3].Params.Get("lgtoken"), "the retry uses a fresh token")
	}},
	{name: "WrongToken twice fails after one retry", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		rec.setRewrite(corruptLoginToken(-1))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		assert.NotErrorIs(t, err, mwauth.ErrWrongCredentials)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, "WrongToken", le.Result)
		assert.Equal(t, 4, rec.count(), "exactly one retry: %s", rec.summary(0))
	}},
	{name: "anonymous assert=user fails typed", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}, nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertuserfailed", ae.Code)
		assert.Equal(t, 1, rec.count())
	}},
	{name: "a Client never given a user reads anonymously, without assert", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		var w whoami
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w))
		assert.True(t, w.Query.UserInfo.Anon)
		assert.Empty(t, rec.since(0)[0].Params.Get("assert"))
	}},
	{name: "WithAssert without credentials: the first call fails on the wiki, no login", run: func(t *testing.T, ctx context.Context, tg target) {
		// For clients whose credentials the Client cannot see: it acts as a
		// user from the first call, and an anonymous session fails it.
		c, rec := tg.client(t, mwauth.WithAssert(mwauth.AssertUser))
		_, err := userInfo(ctx, c)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertuserfailed", ae.Code)
		ex := rec.since(0)
		require.Len(t, ex, 1, "requests: %s", rec.summary(0))
		assert.Equal(t, "user", ex[0].Params.Get("assert"))
	}},
	{name: "assertuser: the session's own name passes, another fails typed", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		n := rec.count()
		q := func(user string) url.Values {
			return url.Values{"action": {"query"}, "meta": {"userinfo"}, "assertuser": {user}}
		}
		var w whoami
		require.NoError(t, c.Get(ctx, q(wikitest.BotUser), &w))
		assert.Equal(t, wikitest.BotUser, w.Query.UserInfo.Name)
		err = c.Get(ctx, q(wikitest.Alice), nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertnameduserfailed", ae.Code)
		ex := rec.since(n)
		require.Len(t, ex, 2, "requests: %s", rec.summary(n))
		for _, e := range ex {
			assert.Empty(t, e.Params.Get("assert"), "assertuser replaces the Client's assert")
		}
	}},
	{name: "after a login every call asserts the user", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, name)
		ex := rec.since(n)
		require.Len(t, ex, 1)
		assert.Equal(t, "user", ex[0].Params.Get("assert"))
	}},
	{name: "assert=bot: an account without the bot right is not logged in again", run: func(t *testing.T, ctx context.Context, tg target) {
		// With WithBotPassword, so that the Client could log in again.
		c, rec := tg.client(t, mwauth.WithAssert(mwauth.AssertBot), mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		_, err = userInfo(ctx, c)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn, "Admin is a sysop without the bot right")
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "assertbotfailed", ae.Code)
		assert.Zero(t, rec.loginPosts(n), "no re-login for a missing bot right: %s", rec.summary(n))
		// The session itself is fine: an explicit assert=user passes.
		assert.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}, nil))
	}},
	{name: "assert=bot passes for a bot", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithAssert(mwauth.AssertBot))
		u, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, u.Name)
		n := rec.count()
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, name)
		ex := rec.since(n)
		require.Len(t, ex, 1)
		assert.Equal(t, "bot", ex[0].Params.Get("assert"))
	}},
	{name: "two logins in a row on one client", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		// MediaWiki answers Aborted (badsessionprovider) to a login sent over
		// a bot-password session; the Client must start a fresh session.
		n := rec.count()
		u, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err, "the second login must not be Aborted")
		assert.Equal(t, wikitest.BotUser, u.Name)
		assert.Equal(t, 2, rec.count()-n, "the second login costs two requests too: %s", rec.summary(n))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, name, "the session now belongs to the second account")
		_, err = c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err, "and the same account again")
	}},
}
