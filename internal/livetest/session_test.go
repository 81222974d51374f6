package livetest_test

// Conformance cases of saved sessions, Resume, automatic re-login and
// logout: a Client meant to act as a user never runs anonymously.

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// harmlessWrite is a POST that needs a CSRF token and changes nothing:
// action=checktoken. Sent with PostWithToken it also carries the
// Client's assert, so a lost session fails it as it fails an edit.
func harmlessWrite() url.Values {
	return url.Values{"action": {"checktoken"}, "type": {"csrf"}}
}

// loginWithFile logs a Client with the session file in as user.
func loginWithFile(ctx context.Context, t *testing.T, tg target, file, user, pass string) {
	t.Helper()
	c, _ := tg.client(t, mwauth.WithSessionFile(file))
	_, err := c.Login(ctx, user, pass)
	require.NoError(t, err)
	require.FileExists(t, file)
}

// sessionLoss is one way a wiki loses a Client's session.
type sessionLoss struct {
	name string
	// lose makes the wiki lose the session of the Client whose session
	// file is file.
	lose func(ctx context.Context, t *testing.T, tg target, file string)
}

var sessionLosses = []sessionLoss{
	{"deleted on the wiki", func(_ context.Context, t *testing.T, tg target, _ string) { tg.expire(t) }},
	{"expired on the wiki", func(_ context.Context, t *testing.T, tg target, _ string) { tg.ageOut(t) }},
	{"logged out by another Client", func(ctx context.Context, t *testing.T, tg target, file string) {
		// Another Client (another process of the bot) on the same session file.
		other, _ := tg.client(t, mwauth.WithSessionFile(file))
		require.NoError(t, other.Logout(ctx))
	}},
}

// lostCall is a call that finds the session lost.
type lostCall struct {
	name string
	// prime runs before the loss (to cache a token), if set.
	prime func(ctx context.Context, c *mwauth.Client) error
	call  func(ctx context.Context, c *mwauth.Client) error
	// requests is what the call costs with the re-login.
	requests int
	why      string
}

var lostCalls = []lostCall{
	{name: "Get", call: func(ctx context.Context, c *mwauth.Client) error {
		return c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
	}, requests: 4, why: "the failed call, login token, login, the call again"},
	{name: "Post", call: func(ctx context.Context, c *mwauth.Client) error {
		return c.Post(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
	}, requests: 4, why: "the failed call, login token, login, the call again"},
	{name: "PostWithToken with a cached token",
		prime: func(ctx context.Context, c *mwauth.Client) error {
			return c.PostWithToken(ctx, "", harmlessWrite(), nil)
		},
		call: func(ctx context.Context, c *mwauth.Client) error {
			return c.PostWithToken(ctx, "", harmlessWrite(), nil)
		}, requests: 5, why: "the failed POST, login token, login, a new CSRF token, the POST again"},
}

// lostSessionCases: for each way of losing a session and each kind of
// call, the call logs in again once with WithBotPassword, the new session
// is saved, and the call succeeds as the user.
func lostSessionCases() []conformanceCase {
	var out []conformanceCase
	for _, loss := range sessionLosses {
		for _, lc := range lostCalls {
			out = append(out, conformanceCase{
				name: "a session " + loss.name + " is logged in again once: " + lc.name,
				run: func(t *testing.T, ctx context.Context, tg target) {
					file := sessionFile(t)
					c, rec := tg.client(t, mwauth.WithSessionFile(file),
						mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
					_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
					require.NoError(t, err)
					if lc.prime != nil {
						require.NoError(t, lc.prime(ctx, c))
					}
					before, err := os.ReadFile(file)
					require.NoError(t, err)
					loss.lose(ctx, t, tg, file)
					n := rec.count()
					require.NoError(t, lc.call(ctx, c), "requests: %s", rec.summary(n))
					assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login")
					assert.Equal(t, lc.requests, rec.count()-n, "%s: %s", lc.why, rec.summary(n))
					ex := rec.since(n)
					assert.Equal(t, "user", ex[0].Params.Get("assert"), "the call that found the loss asserted")
					assert.Equal(t, "user", ex[len(ex)-1].Params.Get("assert"), "and so does the retry")
					after, err := os.ReadFile(file)
					require.NoError(t, err, "the re-login is saved")
					assert.NotEqual(t, before, after, "the file holds the new session")
					name, err := userInfo(ctx, c)
					require.NoError(t, err)
					assert.Equal(t, wikitest.Admin, name)
				},
			})
		}
	}
	return out
}

var sessionCases = []conformanceCase{
	{name: "resume takes one request and fetches the CSRF token", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.AdminBot, wikitest.AdminBotPass)
		fi, err := os.Stat(file)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		// A second Client (a restarted bot) on the same file.
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		assert.Positive(t, u.ID)
		assert.Equal(t, 1, rec.count(), "Resume takes one request: %s", rec.summary(0))
		require.NoError(t, c.PostWithToken(ctx, "", harmlessWrite(), nil))
		ex := rec.since(1)
		require.Len(t, ex, 1, "the write is one POST with the token Resume fetched: %s", rec.summary(0))
		assert.Equal(t, http.MethodPost, ex[0].Method)
		assert.Equal(t, "user", ex[0].Params.Get("assert"), "a resumed session is asserted")
		assert.Zero(t, rec.loginPosts(0))
	}},
	{name: "a loaded session asserts its user from the first call", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.BotUserBot, wikitest.BotUserBotPass)
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, name)
		assert.Equal(t, "user", rec.since(0)[0].Params.Get("assert"))
	}},
	{name: "an expired saved session without credentials is an error", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.AdminBot, wikitest.AdminBotPass)
		tg.expire(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c.Resume(ctx)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn, "never an anonymous user")
		assert.Equal(t, mwauth.User{}, u)
		assert.Equal(t, 1, rec.count())
		// Nor does a call run anonymously.
		n := rec.count()
		err = c.PostWithToken(ctx, "", harmlessWrite(), nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		for _, e := range rec.since(n) {
			if e.Method == http.MethodPost {
				assert.Equal(t, "user", e.Params.Get("assert"), "every write asserts: %s", rec.summary(n))
			}
		}
	}},
	{name: "an expired saved session is logged in again with WithBotPassword", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.AdminBot, wikitest.AdminBotPass)
		tg.expire(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file), mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		assert.Equal(t, 1, rec.loginPosts(0))
		assert.Equal(t, 3, rec.count(), "userinfo, login token, login: %s", rec.summary(0))
		// The new session went to the file: the next process resumes it.
		c2, rec2 := tg.client(t, mwauth.WithSessionFile(file))
		u, err = c2.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		assert.Equal(t, 1, rec2.count())
	}},
	{name: "Resume with WithBotPassword replaces another user's saved session", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.BotUserBot, wikitest.BotUserBotPass)
		c, rec := tg.client(t, mwauth.WithSessionFile(file), mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name, "the configured user, not the file's")
		assert.Equal(t, 1, rec.loginPosts(0))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, name, "the wiki agrees")
		c2, _ := tg.client(t, mwauth.WithSessionFile(file))
		u, err = c2.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name, "the file now holds the configured user's session")
	}},
	{name: "WithBotPassword alone: the first call logs in and asserts", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.BotUserBot, wikitest.BotUserBotPass))
		name, err := userInfo(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, wikitest.BotUser, name)
		ex := rec.since(0)
		require.Len(t, ex, 3, "login token, login, the call: %s", rec.summary(0))
		assert.Equal(t, "user", ex[2].Params.Get("assert"))
	}},
	{name: "logout: CSRF token and logout POST, then calls fail locally and the file stays removed", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file), mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		require.FileExists(t, file)
		n := rec.count()
		require.NoError(t, c.Logout(ctx))
		ex := rec.since(n)
		require.Len(t, ex, 2, "CSRF token + logout POST: %s", rec.summary(n))
		assert.Equal(t, "logout", ex[1].Action)
		assert.NoFileExists(t, file, "Logout removes the saved session")

		n = rec.count()
		err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		err = c.Post(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		err = c.PostWithToken(ctx, "", harmlessWrite(), nil)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.Equal(t, n, rec.count(), "no request and no login after Logout: %s", rec.summary(n))
		assert.NoFileExists(t, file, "the file stays removed")
		// The wiki ended the session too: its cookies no longer log in.
		other, _ := tg.client(t, mwauth.WithSessionFile(file))
		var w whoami
		require.NoError(t, other.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w))
		assert.True(t, w.Query.UserInfo.Anon)
	}},
	{name: "Resume after Logout logs in again with WithBotPassword", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file), mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		u, err := c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		require.NoError(t, c.Logout(ctx))
		require.NoFileExists(t, file)
		n := rec.count()
		u, err = c.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Admin, u.Name)
		assert.Equal(t, 2, rec.count()-n, "login token + login: %s", rec.summary(n))
		assert.FileExists(t, file, "the new login is saved")
		n = rec.count()
		require.NoError(t, c.PostWithToken(ctx, "", harmlessWrite(), nil))
		assert.Zero(t, rec.loginPosts(n))
		assert.Equal(t, "user", rec.since(n)[len(rec.since(n))-1].Params.Get("assert"))
	}},
	{name: "Resume after Logout without WithBotPassword fails before any request", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.BotUserBot, wikitest.BotUserBotPass)
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		require.NoError(t, c.Logout(ctx))
		n := rec.count()
		u, err := c.Resume(ctx)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.Equal(t, mwauth.User{}, u)
		assert.Equal(t, n, rec.count(), "requests: %s", rec.summary(n))
		assert.NoFileExists(t, file)
	}},
	{name: "logout while anonymous sends no logout and leaves anonymous reads working", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		require.NoError(t, c.Logout(ctx))
		ex := rec.since(0)
		require.Len(t, ex, 1, "only the CSRF token, which is the anonymous one: %s", rec.summary(0))
		assert.Equal(t, "tokens", ex[0].Params.Get("meta"))
		var w whoami
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}}, &w),
			"a Client never given a user keeps working")
		assert.True(t, w.Query.UserInfo.Anon)
		assert.Empty(t, rec.since(1)[0].Params.Get("assert"))
	}},
	{name: "logout of a session the wiki forgot only forgets", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		tg.expire(t)
		n := rec.count()
		require.NoError(t, c.Logout(ctx))
		ex := rec.since(n)
		require.Len(t, ex, 1, "the anonymous CSRF token shows the loss; no logout POST: %s", rec.summary(n))
		assert.NoFileExists(t, file)
		n = rec.count()
		_, err = userInfo(ctx, c)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.Equal(t, n, rec.count(), "calls fail locally after Logout")
	}},
	{name: "a lost session is logged in again once: PostWithToken without a cached token", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		tg.expire(t)
		n := rec.count()
		require.NoError(t, c.PostWithToken(ctx, "", harmlessWrite(), nil), "requests: %s", rec.summary(n))
		assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login")
		// The CSRF token (the anonymous +\ gives the loss away), login token,
		// login, a new CSRF token, the POST.
		assert.Equal(t, 5, rec.count()-n, "requests: %s", rec.summary(n))
	}},
	{name: "a clientlogin session is saved and resumed by the next Client in one request", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		c, _ := tg.client(t, mwauth.WithSessionFile(file))
		step, err := c.ClientLogin(ctx, alice())
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		require.FileExists(t, file)
		c2, rec := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c2.Resume(ctx)
		require.NoError(t, err, "no WithBotPassword needed for a live session")
		assert.Equal(t, wikitest.Alice, u.Name)
		assert.Positive(t, u.ID, "Resume asks the wiki, which gives the id")
		assert.Equal(t, 1, rec.count())
		require.NoError(t, c2.PostWithToken(ctx, "", harmlessWrite(), nil))
		assert.Equal(t, 2, rec.count(), "the write uses the token Resume fetched: %s", rec.summary(0))
	}},
	{name: "a remember-me session outlives deleted sessions without a login, and its new cookie is saved", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file))
		req := alice()
		req.Fields["rememberMe"] = "1"
		step, err := c.ClientLogin(ctx, req)
		require.NoError(t, err)
		require.Equal(t, mwauth.StatusPass, step.Status)
		before, err := os.ReadFile(file)
		require.NoError(t, err)
		tg.expire(t)
		n := rec.count()
		name, err := userInfo(ctx, c)
		require.NoError(t, err, "the token cookie starts a new session of the user: %s", rec.summary(n))
		assert.Equal(t, wikitest.Alice, name)
		assert.Equal(t, 1, rec.count()-n, "no login: %s", rec.summary(n))
		after, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.NotEqual(t, before, after, "the wiki's new session cookie is saved")
		c2, rec2 := tg.client(t, mwauth.WithSessionFile(file))
		u, err := c2.Resume(ctx)
		require.NoError(t, err)
		assert.Equal(t, wikitest.Alice, u.Name)
		assert.Equal(t, 1, rec2.count())
	}},
	{name: "50 goroutines on a lost session: one re-login of 2 requests", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		tg.expire(t)
		n := rec.count()
		const workers = 50
		errs := make([]error, workers)
		names := make([]string, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				names[i], errs[i] = userInfo(ctx, c)
			}(i)
		}
		close(start)
		wg.Wait()
		for i := range errs {
			assert.NoError(t, errs[i], "goroutine %d", i)
			assert.Equal(t, wikitest.Admin, names[i], "goroutine %d", i)
		}
		assert.Equal(t, 1, rec.loginPosts(n), "exactly one re-login for all goroutines")
		tokens := 0
		for _, e := range rec.since(n) {
			if e.Method == http.MethodGet && e.Params.Get("type") == "login" {
				tokens++
			}
		}
		assert.Equal(t, 1, tokens, "the re-login is a login token and a login POST")
	}},
	{name: "a failed re-login surfaces its cause, and the next call logs in", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		// The wiki forgets the session, and the automatic re-login fails (its
		// login token is corrupted, twice: WrongToken after the one retry).
		tg.expire(t)
		rec.setRewrite(corruptLoginToken(-1))
		n := rec.count()
		_, err = userInfo(ctx, c)
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn, "requests: %s", rec.summary(n))
		assert.ErrorIs(t, err, mwauth.ErrLoginFailed)
		rec.setRewrite(nil)
		// WrongToken is not a refusal of the credentials: the next call tries
		// again, and asserts its user.
		n = rec.count()
		name, err := userInfo(ctx, c)
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, wikitest.Admin, name)
		assert.Equal(t, 1, rec.loginPosts(n))
		for _, e := range rec.since(n) {
			if e.Params.Get("meta") == "userinfo" {
				assert.Equal(t, "user", e.Params.Get("assert"))
			}
		}
	}},
	{name: "a throttled re-login is ErrThrottled with the wait, and the next call tries again", run: func(t *testing.T, ctx context.Context, tg target) {
		tg.resetAfter(t)
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.BotUserBot, wikitest.BotUserBotPass))
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		// Wrong bot passwords from another client trip the throttle of the
		// bot's user name.
		other, _ := tg.client(t)
		for i := 0; i < 11; i++ {
			_, err := other.Login(ctx, wikitest.BotUserBot, "wrongbotpassword0123456789abcdef")
			require.Error(t, err)
			if errors.Is(err, mwauth.ErrThrottled) {
				break
			}
		}
		tg.expire(t)
		n := rec.count()
		_, err = userInfo(ctx, c)
		require.ErrorIs(t, err, mwauth.ErrThrottled, "requests: %s", rec.summary(n))
		assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
		var le *mwauth.LoginError
		require.ErrorAs(t, err, &le)
		assert.Positive(t, le.Wait, "the wiki's wait")
		assert.Equal(t, 1, rec.loginPosts(n))

		tg.reset(t) // the wait is over
		n = rec.count()
		name, err := userInfo(ctx, c)
		require.NoError(t, err, "a throttle does not stop re-login for good: %s", rec.summary(n))
		assert.Equal(t, wikitest.BotUser, name)
		assert.Equal(t, 1, rec.loginPosts(n))
	}},
	{name: "assert=bot on a lost saved session: one probe, one re-login", run: func(t *testing.T, ctx context.Context, tg target) {
		file := sessionFile(t)
		loginWithFile(ctx, t, tg, file, wikitest.BotUserBot, wikitest.BotUserBotPass)
		tg.expire(t)
		c, rec := tg.client(t, mwauth.WithSessionFile(file), mwauth.WithAssert(mwauth.AssertBot),
			mwauth.WithBotPassword(wikitest.BotUserBot, wikitest.BotUserBotPass))
		name, err := userInfo(ctx, c)
		require.NoError(t, err, "requests: %s", rec.summary(0))
		assert.Equal(t, wikitest.BotUser, name)
		assert.Equal(t, 1, rec.loginPosts(0), "one re-login")
	}},
	{name: "load: 50 goroutines, sessions lost twice, exactly two re-logins", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.BotUserBot, wikitest.BotUserBotPass))
		_, err := c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
		require.NoError(t, err)
		// 1000 calls on the fake; 300 on the real wiki, whose php -S
		// answers a few requests at a time (1000 took two minutes there).
		const workers = 50
		perWorker := 20
		if tg.real {
			perWorker = 6
		}
		var done, failed atomic.Int64
		// The sessions are lost after a third and after two thirds of the
		// calls. Workers that get there first wait for the loss, so that the
		// calls cannot all be over before it.
		//
		// A call logs in again at most once, so no call may span both
		// losses: the second waits until the calls that started before the
		// first re-login was answered are over. (With 50 calls queued on a
		// few php workers, a slow call's retry can otherwise outlast a
		// third of the calls.)
		var early atomic.Int64 // calls in flight that started before the re-login's answer
		thresholds := [2]int64{int64(workers * perWorker / 3), int64(2 * workers * perWorker / 3)}
		lost := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
		release := [2]func(){sync.OnceFunc(func() { close(lost[0]) }), sync.OnceFunc(func() { close(lost[1]) })}
		expireAt := func(k, logins int) {
			defer release[k]()
			for done.Load() < thresholds[k] && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			for rec.answeredLogins() < logins && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			for k > 0 && early.Load() > 0 && ctx.Err() == nil {
				time.Sleep(5 * time.Millisecond)
			}
			if ctx.Err() == nil {
				tg.expire(t)
			}
		}
		expirer := make(chan struct{})
		go func() {
			defer close(expirer)
			defer release[1]()
			defer release[0]()
			expireAt(0, 1)
			expireAt(1, 2)
		}()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < perWorker; i++ {
					for k := range lost {
						if done.Load() >= thresholds[k] {
							<-lost[k]
						}
					}
					// Counted first, then checked, so that the expirer
					// cannot miss a call that starts as it looks.
					early.Add(1)
					isEarly := rec.answeredLogins() < 2
					if !isEarly {
						early.Add(-1)
					}
					var err error
					if i%4 == 0 {
						err = c.PostWithToken(ctx, "watch", url.Values{"action": {"checktoken"}, "type": {"watch"}}, nil)
					} else {
						_, err = userInfo(ctx, c)
					}
					if isEarly {
						early.Add(-1)
					}
					if err != nil && failed.Add(1) <= 5 {
						t.Errorf("worker %d call %d: %v", w, i, err)
					}
					done.Add(1)
				}
			}(w)
		}
		wg.Wait()
		<-expirer
		assert.Zero(t, failed.Load(), "failed calls")
		assert.Equal(t, 3, rec.of(http.MethodPost, "login"), "one login plus exactly two re-logins")
	}},
}
