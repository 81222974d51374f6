package mwauth_test

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
)

// TestIntegrationLoadWithKilledSessions is the load run of BENCHMARKS.md:
// 1000 authenticated calls from 50 goroutines on one Client while the wiki
// forgets every session twice. Every call must succeed and the Client must
// log in again exactly twice.
func TestIntegrationLoadWithKilledSessions(t *testing.T) {
	api := wikitest.API(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ac := newRecorder()
	c, err := mwauth.New(api, mwauth.WithHTTPClient(&http.Client{Transport: ac, Timeout: time.Minute}),
		mwauth.WithBotPassword(wikitest.BotUserBot, wikitest.BotUserBotPass))
	require.NoError(t, err)
	_, err = c.Login(ctx, wikitest.BotUserBot, wikitest.BotUserBotPass)
	require.NoError(t, err)

	const workers, perWorker = 50, 20
	var done, failed atomic.Int64
	// The sessions are killed after a third and after two thirds of the
	// calls. Workers that get there first wait for the kill (calls already
	// in flight race with it), so that on a slow machine the calls cannot
	// all be over before a kill, which would leave a re-login missing or
	// the killer waiting for it forever.
	thresholds := [2]int64{workers * perWorker / 3, 2 * workers * perWorker / 3}
	killed := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	release := [2]func(){
		sync.OnceFunc(func() { close(killed[0]) }),
		sync.OnceFunc(func() { close(killed[1]) }),
	}
	kill := func(k int, relogins int) {
		defer release[k]()
		for done.Load() < thresholds[k] && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		for ac.of(http.MethodPost, "login") < relogins && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		if ctx.Err() != nil {
			return
		}
		wikitest.KillSessions(t)
	}
	start := time.Now()
	var wg sync.WaitGroup
	killer := make(chan struct{})
	go func() {
		defer close(killer)
		// Even if KillSessions fails the test, no worker waits forever.
		defer release[1]()
		defer release[0]()
		kill(0, 1)
		kill(1, 2)
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				for k := range killed {
					if done.Load() >= thresholds[k] {
						<-killed[k]
					}
				}
				var err error
				if i%4 == 0 {
					// A write-mode call with a cached CSRF-family token.
					_, err = c.PostWithToken(ctx, mwauth.TokenWatch, url.Values{"action": {"watch"}, "titles": {"Main Page"}})
				} else {
					_, err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"userinfo"}})
				}
				if err != nil {
					if failed.Add(1) <= 5 {
						t.Errorf("worker %d call %d: %v", w, i, err)
					}
				}
				done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	<-killer
	elapsed := time.Since(start)
	assert.Zero(t, failed.Load(), "failed calls")
	assert.Equal(t, 3, ac.of(http.MethodPost, "login"), "one login plus exactly two re-logins")
	t.Logf("load run: %d calls from %d goroutines, sessions killed twice, %d failed, %d logins (1 initial + %d re-logins), %d HTTP requests in all, %v (%.0f calls/s)",
		workers*perWorker, workers, failed.Load(), ac.of(http.MethodPost, "login"), ac.of(http.MethodPost, "login")-1,
		ac.count(), elapsed.Round(time.Millisecond), float64(workers*perWorker)/elapsed.Seconds())
}
