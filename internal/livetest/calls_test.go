package livetest_test

// Conformance cases of ordinary calls: multi-valued parameters, tokens
// and API errors.

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// pagesAnswer is the pages of a query with titles.
type pagesAnswer struct {
	Query struct {
		Pages []struct {
			Title   string `json:"title"`
			Missing bool   `json:"missing"`
			Invalid bool   `json:"invalid"`
		} `json:"pages"`
	} `json:"query"`
}

func (p pagesAnswer) titles() map[string]bool {
	out := map[string]bool{}
	for _, pg := range p.Query.Pages {
		out[pg.Title] = pg.Invalid
	}
	return out
}

// editPage is the page the cases edit: no case reads its content.
const editPage = "Mwauth livetest sandbox"

// edit appends a line to editPage with PostWithToken and returns the
// answer's result.
func edit(ctx context.Context, c *mwauth.Client, line string) (string, error) {
	var out struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	err := c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {editPage},
		"appendtext": {"\n" + line}, "summary": {"mwauth livetest"}}, &out)
	return out.Edit.Result, err
}

// csrfFetches counts the CSRF token requests after the first n.
func csrfFetches(rec *recorder, n int, typ string) int {
	k := 0
	for _, e := range rec.since(n) {
		if e.Method == http.MethodGet && e.Params.Get("meta") == "tokens" && e.Params.Get("type") == typ {
			k++
		}
	}
	return k
}

var callCases = []conformanceCase{
	{name: "multi-valued parameters: two meta modules and two token types in one GET", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		var out struct {
			Query struct {
				UserInfo struct{ Name string } `json:"userinfo"`
				Tokens   map[string]string     `json:"tokens"`
			} `json:"query"`
		}
		require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo", "tokens"},
			"type": {"csrf", "watch"}}, &out))
		assert.Equal(t, wikitest.Admin, out.Query.UserInfo.Name)
		assert.NotEmpty(t, out.Query.Tokens["csrftoken"])
		assert.NotEmpty(t, out.Query.Tokens["watchtoken"])
		assert.NotEqual(t, `+\`, out.Query.Tokens["csrftoken"], "a logged-in session's token")
		ex := rec.since(n)
		require.Len(t, ex, 1)
		assert.Equal(t, "userinfo|tokens", ex[0].Params.Get("meta"), "sent as MediaWiki reads several values")
		assert.Equal(t, "csrf|watch", ex[0].Params.Get("type"))
	}},
	{name: "multi-valued parameters: a query for two titles returns both", realOnly: "mwauthtest implements no titles",
		run: func(t *testing.T, ctx context.Context, tg target) {
			c, _ := tg.client(t)
			var out pagesAnswer
			require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "titles": {"Main Page", "Sandbox"}}, &out))
			assert.Equal(t, map[string]bool{"Main Page": false, "Sandbox": false}, out.titles())
		}},
	{name: "multi-valued parameters: a value holding | stays one value", realOnly: "mwauthtest implements no titles",
		run: func(t *testing.T, ctx context.Context, tg target) {
			c, rec := tg.client(t)
			var out pagesAnswer
			require.NoError(t, c.Get(ctx, url.Values{"action": {"query"}, "titles": {"Main Page", "A|B"}}, &out))
			// Sent as "A|B" within U+001F separators: one invalid title, not
			// the two titles A and B.
			assert.Equal(t, map[string]bool{"Main Page": false, "A|B": true}, out.titles())
			assert.Equal(t, "\x1fMain Page\x1fA|B", rec.since(0)[0].Params.Get("titles"))
		}},
	{name: "a CSRF token is fetched once and reused by later writes", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		for i := 0; i < 3; i++ {
			res, err := edit(ctx, c, "token reuse")
			require.NoError(t, err, "edit %d", i)
			assert.Equal(t, "Success", res, "edit %d", i)
		}
		assert.Equal(t, 1, csrfFetches(rec, n, "csrf"), "requests: %s", rec.summary(n))
		assert.Equal(t, 4, rec.count()-n, "one token, three edits: %s", rec.summary(n))
		for _, e := range rec.since(n + 1) {
			assert.Equal(t, "user", e.Params.Get("assert"), "every edit asserts the user")
		}
	}},
	{name: "tokens are cached per type", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		for i := 0; i < 2; i++ {
			for _, typ := range []string{"csrf", "watch"} {
				var out struct {
					CheckToken struct{ Result string } `json:"checktoken"`
				}
				require.NoError(t, c.PostWithToken(ctx, typ, url.Values{"action": {"checktoken"}, "type": {typ}}, &out))
				assert.Equal(t, "valid", out.CheckToken.Result, "a %s token checked as %s", typ, typ)
			}
		}
		assert.Equal(t, 1, csrfFetches(rec, n, "csrf"), "requests: %s", rec.summary(n))
		assert.Equal(t, 1, csrfFetches(rec, n, "watch"), "requests: %s", rec.summary(n))
		assert.Equal(t, 6, rec.count()-n, "two token fetches, four writes: %s", rec.summary(n))
	}},
	{name: "concurrent writes without a cached token share one token request", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		const workers = 20
		errs := make([]error, workers)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				errs[i] = c.PostWithToken(ctx, "", harmlessWrite(), nil)
			}(i)
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			assert.NoError(t, err, "goroutine %d", i)
		}
		assert.Equal(t, 1, csrfFetches(rec, n, "csrf"), "requests: %s", rec.summary(n))
		assert.Equal(t, workers+1, rec.count()-n)
	}},
	{name: "badtoken: the token is fetched again and the write retried once", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t)
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		// The first edit goes out with a token the wiki did not issue.
		// (checktoken would answer "invalid" rather than badtoken.)
		first := -1
		rec.setRewrite(func(k int, form url.Values) {
			if form.Get("action") == "edit" && (first < 0 || first == k) {
				first = k
				form.Set("token", "0123456789abcdef0123456789abcdef+\\")
			}
		})
		res, err := edit(ctx, c, "badtoken")
		require.NoError(t, err, "requests: %s", rec.summary(n))
		assert.Equal(t, "Success", res)
		// token, edit (badtoken), token, edit.
		assert.Equal(t, 2, csrfFetches(rec, n, "csrf"), "requests: %s", rec.summary(n))
		assert.Equal(t, 4, rec.count()-n, "requests: %s", rec.summary(n))
		assert.Zero(t, rec.loginPosts(n), "a live session is not logged in again for a bad token")
	}},
	{name: "an API error is typed with its code and is not a lost session", run: func(t *testing.T, ctx context.Context, tg target) {
		c, rec := tg.client(t, mwauth.WithBotPassword(wikitest.AdminBot, wikitest.AdminBotPass))
		_, err := c.Login(ctx, wikitest.AdminBot, wikitest.AdminBotPass)
		require.NoError(t, err)
		n := rec.count()
		err = c.Get(ctx, url.Values{"action": {"nosuchmodule"}}, nil)
		var ae *mwauth.APIError
		require.ErrorAs(t, err, &ae)
		assert.Equal(t, "badvalue", ae.Code)
		assert.NotEmpty(t, ae.Info)
		assert.NotErrorIs(t, err, mwauth.ErrNotLoggedIn)
		assert.NotErrorIs(t, err, mwauth.ErrUnexpectedResponse)
		assert.Equal(t, 1, rec.count()-n, "no retry, no re-login: %s", rec.summary(n))
	}},
}
