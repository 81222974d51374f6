package mwauth

// review_test.go holds the regression tests of a code review: each test
// failed before the fix named in its comment.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// waitUntil polls cond until it holds or d passes, and reports whether it
// held.
func waitUntil(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return cond()
}

// TestReviewStaleTokenCallCausesNoRelogin: a token request still in
// flight from before a login must not be shared with callers of the new
// session. Before the fix, an edit made right after Login waited for that
// old request, got the anonymous "+\" token, took the session for lost
// and logged in a second time.
func TestReviewStaleTokenCallCausesNoRelogin(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	anon := fixture(t, "tokens_csrf_anon.json")
	good := fixture(t, "tokens_csrf.json")
	release := make(chan struct{})
	var n atomic.Int32
	f.set("tokens:csrf", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			<-release
			f.write(w, r, reply{Body: anon})
			return
		}
		f.write(w, r, reply{Body: good})
	}})
	f.on("login", f.loginOK())
	f.on("edit", f.fx("edit_success.json"))
	ctx := ctxTimeout(t, 10*time.Second)

	firstDone := make(chan error, 1)
	go func() {
		_, err := c.Token(ctx, TokenCSRF)
		firstDone <- err
	}()
	require.True(t, waitUntil(5*time.Second, func() bool { return f.count("tokens:csrf") == 1 }))

	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)

	editDone := make(chan error, 1)
	go func() {
		_, err := c.PostWithToken(ctx, TokenCSRF, editParams())
		editDone <- err
	}()
	// Fixed: the edit asks for a token of its own session at once. Before
	// the fix it waited on the old request; give it time to do so.
	waitUntil(300*time.Millisecond, func() bool { return f.count("tokens:csrf") >= 2 })
	close(release)
	require.NoError(t, <-firstDone)
	require.NoError(t, <-editDone)
	assert.Len(t, f.posts("login"), 1, "an old session's token must not trigger a re-login")
}

// TestReviewResumeRacingLogin: Resume whose userinfo answer (anonymous)
// belongs to a session that a concurrent Login replaced must not log in
// again, nor forget the new session.
func TestReviewResumeRacingLogin(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	anon := fixture(t, "userinfo_anon.json")
	arrived := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	f.on("userinfo", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-release
		f.write(w, r, reply{Body: anon})
	}})
	f.on("login", f.loginOK())
	ctx := ctxTimeout(t, 10*time.Second)

	type result struct {
		ui  *UserInfo
		err error
	}
	done := make(chan result, 1)
	go func() {
		ui, err := c.Resume(ctx)
		done <- result{ui, err}
	}()
	<-arrived
	_, err := c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)
	close(release)
	res := <-done
	require.NoError(t, res.err)
	assert.False(t, res.ui.Anonymous)
	assert.Equal(t, "Admin", res.ui.Name)
	assert.Len(t, f.posts("login"), 1, "Resume must not log in over a login that happened meanwhile")
	assert.Equal(t, sessionLogin, c.state().kind)
}

// TestReviewFlowLockHonoursContext: a goroutine waiting for another login
// flow to end must give up when its own context ends. Before the fix it
// waited for the other flow, however long.
func TestReviewFlowLockHonoursContext(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	f.on("login", hang())
	loginCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	loginDone := make(chan struct{})
	go func() {
		defer close(loginDone)
		_, _ = c.Login(loginCtx, testBotUser, testBotPassword)
	}()
	require.True(t, waitUntil(5*time.Second, func() bool { return f.count("login") == 1 }))

	tests := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{name: "logout", call: c.Logout},
		{name: "continueclientlogin", call: func(ctx context.Context) error {
			_, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
			return err
		}},
	}
	for _, tt := range tests {
		ctx, stop := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		err := tt.call(ctx)
		stop()
		assert.ErrorIs(t, err, context.DeadlineExceeded, tt.name)
		assert.Less(t, time.Since(start), 2*time.Second, "%s waited past its context", tt.name)
	}
	cancel()
	<-loginDone
}

// TestReviewLogoutAfterSessionExpiry: when the wiki has forgotten the
// session, the cached CSRF token gets badtoken (transcript 11, step 17).
// Before the fix Logout failed, kept credentials and session file, and
// failed the same way on every later try since the token stayed cached.
func TestReviewLogoutAfterSessionExpiry(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	ctx := ctxTimeout(t, 10*time.Second)
	_, err := c.Token(ctx, TokenCSRF)
	require.NoError(t, err)
	f.set("logout", apiErrorReply("badtoken", "Invalid CSRF token."))
	f.set("tokens:csrf", f.fx("tokens_csrf_anon.json"))

	require.NoError(t, c.Logout(ctx))
	assert.Equal(t, sessionNone, c.state().kind)
	assert.Nil(t, c.creds, "Logout forgets the credentials")
	assert.Len(t, f.posts("logout"), 1, "the anonymous token needs no logout POST")
}

// TestReviewReloginCanceledIsNotLoginRequired: a re-login cut short by the
// caller's context is the context's error, not ErrLoginRequired (which
// tells the caller to run an interactive login).
func TestReviewReloginCanceledIsNotLoginRequired(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	f.on("query", f.fx("error_assertuserfailed.json"))
	f.on("login", hang())
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}})
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.NotErrorIs(t, err, ErrLoginRequired)
	assert.NotNil(t, c.creds, "a canceled re-login keeps the credentials")
}

// TestReviewSnippetNeverHoldsTokenAfterPrefix: PHP notices printed before
// the JSON (display_errors on), or a UTF-8 BOM, make an api.php answer
// undecodable; its snippet must still not carry the token.
func TestReviewSnippetNeverHoldsTokenAfterPrefix(t *testing.T) {
	t.Parallel()
	const tok = "0123456789abcdef0123456789abcdef6b0277b0"
	api := `{"batchcomplete":true,"query":{"tokens":{"csrftoken":"` + tok + `+\\"}}}`
	notice := "<br />\n<b>Deprecated</b>: Creation of dynamic property Foo::$bar is deprecated in " +
		"<b>/var/www/w/extensions/Foo/Foo.php</b> on line <b>12</b><br />\n"
	long := strings.Repeat(notice, 4)[:440] // the token is cut by the snippet's end
	tests := []struct {
		name string
		body string
	}{
		{name: "PHP notice before JSON", body: notice + api},
		{name: "long PHP notice cuts the token", body: long + api},
		{name: "UTF-8 BOM before JSON", body: "\ufeff" + api},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("tokens:csrf", reply{Body: tt.body})
			_, err := c.Token(ctxTimeout(t, 10*time.Second), TokenCSRF)
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.ErrorIs(t, err, ErrUnexpectedResponse)
			for _, s := range []string{he.Snippet, fmt.Sprintf("%#v", he), fmt.Sprintf("%+v", err)} {
				assert.NotContains(t, s, tok[:12])
			}
		})
	}
	// An HTML page from a proxy keeps its snippet.
	c, f := setup(t)
	f.on("query", reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"})
	_, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}})
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.Contains(t, he.Snippet, "502 Bad Gateway")
}

// TestReviewLogValueRedacts: types that hold secrets redact in LogValue,
// so that slog's JSON handler (which marshals exported fields) cannot
// print them.
func TestReviewLogValueRedacts(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))

	req := ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword}}
	log.Info("login", "req", req, "reqp", &req)
	assert.NotContains(t, buf.String(), testUserPassword)
	assert.Contains(t, buf.String(), "password", "the field names stay visible")

	c, _ := loggedIn(t)
	resp, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"tokens"}})
	require.NoError(t, err)
	var body struct {
		Query struct {
			Tokens map[string]string `json:"tokens"`
		} `json:"query"`
	}
	require.NoError(t, json.Unmarshal(resp.Raw, &body))
	tok := body.Query.Tokens["csrftoken"]
	require.NotEmpty(t, tok)
	log.Info("answer", "resp", resp)
	assert.NotContains(t, buf.String(), strings.TrimSuffix(tok, `+\`))
}

// TestReviewTransportErrorPrefixedOnce: a refused redirect wraps
// ErrRedirect, whose text starts with "mwauth: " too; the message must
// still carry the prefix once.
func TestReviewTransportErrorPrefixedOnce(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("login", reply{Handle: func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/moved/api.php", http.StatusFound)
	}})
	_, err := c.Login(ctxTimeout(t, 10*time.Second), testBotUser, testBotPassword)
	require.ErrorIs(t, err, ErrRedirect)
	assert.Equal(t, 1, strings.Count(err.Error(), "mwauth:"), "error %q", err)
}
