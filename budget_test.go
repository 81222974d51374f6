package mwauth_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The request budget: each flow must take no more HTTP requests than its
// minimum. A change that adds a round trip fails here.

const (
	budgetBotLogin     = 2 // login token, login POST
	budgetLoginCSRF    = 3 // ... plus one CSRF token
	budgetResume       = 1 // userinfo and CSRF token together
	budgetTwoFactor    = 3 // authmanagerinfo+login token, clientlogin, continue
	budgetRelogin      = 2 // login token, login POST, however many goroutines noticed
	budgetGoroutines   = 50
	budgetBotPassword  = "botuserbotpassword0123456789abcd"
	budgetBotPasswordN = "BotUser@localbot"
)

func budgetClient(t *testing.T, srv *mwauthtest.Server, opts ...mwauth.Option) (*mwauth.Client, *recorder) {
	t.Helper()
	ac := newRecorder()
	c, err := mwauth.New(srv.URL, append([]mwauth.Option{
		mwauth.WithHTTPClient(&http.Client{Transport: ac, Timeout: 30 * time.Second})}, opts...)...)
	require.NoError(t, err)
	return c, ac
}

func TestBudgetBotLoginAndCSRF(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	c, ac := budgetClient(t, srv)
	ctx := context.Background()
	_, err := c.Login(ctx, budgetBotPasswordN, budgetBotPassword)
	require.NoError(t, err)
	assert.EqualValues(t, budgetBotLogin, ac.count(), "bot login")
	_, err = c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	_, err = c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	assert.EqualValues(t, budgetLoginCSRF, ac.count(), "login plus CSRF (cached afterwards)")
}

func TestBudgetResume(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "s.json")
	c, _ := budgetClient(t, srv, mwauth.WithSessionFile(path))
	ctx := context.Background()
	_, err := c.Login(ctx, budgetBotPasswordN, budgetBotPassword)
	require.NoError(t, err)
	c2, ac := budgetClient(t, srv, mwauth.WithSessionFile(path))
	_, err = c2.Resume(ctx)
	require.NoError(t, err)
	_, err = c2.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"B"}, "appendtext": {"x"}})
	require.NoError(t, err)
	assert.EqualValues(t, budgetResume+1, ac.count(), "resume, then the edit with the token it fetched")
}

func TestBudgetTwoFactor(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	c, ac := budgetClient(t, srv)
	ctx := context.Background()
	_, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	require.NoError(t, err)
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: map[string]string{
		"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"}})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusUI, step.Status)
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": srv.TOTPCode("TwoFAUser", 0)})
	require.NoError(t, err)
	require.Equal(t, mwauth.StatusPass, step.Status)
	assert.EqualValues(t, budgetTwoFactor, ac.count())
}

func TestBudgetReloginManyGoroutines(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	c, ac := budgetClient(t, srv, mwauth.WithBotPassword(budgetBotPasswordN, budgetBotPassword))
	ctx := context.Background()
	_, err := c.Login(ctx, budgetBotPasswordN, budgetBotPassword)
	require.NoError(t, err)
	_, err = c.Token(ctx, mwauth.TokenCSRF)
	require.NoError(t, err)
	srv.ExpireSessions()
	before := map[string]int{"GET query": ac.of(http.MethodGet, "query"), "POST login": ac.of(http.MethodPost, "login")}

	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, budgetGoroutines)
	for i := 0; i < budgetGoroutines; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{"action": {"edit"}, "title": {"B"}, "appendtext": {"x"}})
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	logins := ac.of(http.MethodPost, "login") - before["POST login"]
	assert.Equal(t, 1, logins, "exactly one re-login")
	// The re-login itself: one login token and one login POST. The other
	// GET queries are CSRF tokens for the retried calls (shared: one).
	queries := ac.of(http.MethodGet, "query") - before["GET query"]
	assert.Equal(t, budgetRelogin, logins+1, "login token + login")
	assert.LessOrEqual(t, queries, 2, "one login token and one shared CSRF token")
}

// With assert=bot, a session that is already lost when the Client starts
// (loaded from a file) is still re-established: one userinfo probe tells
// the lost session from an account without the bot right.
func TestBotAssertOnLostSavedSession(t *testing.T) {
	t.Parallel()
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.json")
	c, _ := budgetClient(t, srv, mwauth.WithSessionFile(path))
	_, err := c.Login(ctx, budgetBotPasswordN, budgetBotPassword)
	require.NoError(t, err)
	srv.ExpireSessions()

	c2, ac := budgetClient(t, srv, mwauth.WithSessionFile(path), mwauth.WithAssert("bot"),
		mwauth.WithBotPassword(budgetBotPasswordN, budgetBotPassword))
	_, err = c2.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	assert.Equal(t, 1, ac.of(http.MethodPost, "login"), "one re-login")

	// An account that lacks the bot right is not logged in again.
	a, ac2 := budgetClient(t, srv, mwauth.WithAssert("bot"))
	_, err = a.Login(ctx, "Admin@localbot", "adminbotpassword0123456789abcdef")
	require.NoError(t, err)
	_, err = a.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
	assert.ErrorIs(t, err, mwauth.ErrNotLoggedIn)
	assert.Equal(t, 1, ac2.of(http.MethodPost, "login"), "no re-login for a missing bot right")
}
