package livetest_test

// The conformance suite runs the same cases, through mwauth's public API,
// against two targets: the in-process fake (mwauthtest) and the real
// MediaWiki 1.39 that scripts/test.sh starts. It keeps the fake from
// drifting away from the real server: a case that passes on one and fails
// on the other is a bug in the fake (or in our understanding of
// MediaWiki). Each case lives here once.

import (
	"context"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// userAgent names the live suites to the wiki.
const userAgent = "mwauth-livetest/0 (https://github.com/mwauth/mwauth)"

// target is one wiki the conformance cases run against.
type target struct {
	api  string
	real bool
	// expire makes the wiki forget every session.
	expire func(t *testing.T)
	// reset forgets throttles, captcha counters and TOTP replay windows.
	reset func(t *testing.T)
	// code returns a TOTP code for TwoFAUser that was never used.
	code func(t *testing.T) string
}

// client returns a Client on tg whose requests go through a new recorder.
func (tg target) client(t *testing.T, opts ...mwauth.Option) (*mwauth.Client, *recorder) {
	t.Helper()
	rec := newRecorder()
	return tg.clientWith(t, rec, opts...), rec
}

// clientWith returns a Client on tg whose requests go through rec.
func (tg target) clientWith(t *testing.T, rec *recorder, opts ...mwauth.Option) *mwauth.Client {
	t.Helper()
	opts = append([]mwauth.Option{mwauth.WithHTTPClient(&http.Client{Transport: rec, Timeout: time.Minute}),
		mwauth.WithUserAgent(userAgent)}, opts...)
	c, err := mwauth.New(tg.api, opts...)
	require.NoError(t, err)
	return c
}

// resetAfter makes the wiki forget throttles and captcha counters when
// the case ends, so that a case with failed logins does not put a
// captcha or a throttle on the next one.
func (tg target) resetAfter(t *testing.T) {
	t.Helper()
	tg.reset(t)
	t.Cleanup(func() { tg.reset(t) })
}

// sessionFile is a session file path of the case.
func sessionFile(t *testing.T) string { return filepath.Join(t.TempDir(), "session.json") }

type conformanceCase struct {
	name string
	run  func(t *testing.T, ctx context.Context, tg target)
}

// allCases are the cases of every file of the suite.
func allCases() []conformanceCase {
	var all []conformanceCase
	for _, cs := range [][]conformanceCase{loginCases, clientLoginCases, sessionCases, processCases} {
		all = append(all, cs...)
	}
	return all
}

func TestConformanceFake(t *testing.T) {
	for _, tc := range allCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			clk := &skewClock{}
			srv := mwauthtest.NewServer(mwauthtest.WithSSO(), mwauthtest.WithClock(clk.now))
			t.Cleanup(srv.Close)
			var step int64
			tg := target{
				api:    srv.URL,
				expire: func(*testing.T) { srv.ExpireSessions() },
				// Throttles last a minute and captcha counters ten: the
				// fake's clock moves past both, without a sleep.
				reset: func(*testing.T) { clk.advance(11 * time.Minute) },
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

// skewClock is the real clock moved forward by what advance added.
type skewClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *skewClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *skewClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// TestConformanceRealWiki runs the cases one after the other: they share
// the wiki's accounts, throttles, captcha counters, TOTP steps and
// session store.
func TestConformanceRealWiki(t *testing.T) {
	api := wikitest.API(t)
	for _, tc := range allCases() {
		t.Run(tc.name, func(t *testing.T) {
			tg := target{api: api, real: true,
				expire: func(t *testing.T) { wikitest.KillSessions(t) },
				reset:  func(t *testing.T) { wikitest.ResetCounters(t) },
				code:   func(t *testing.T) string { return wikitest.TOTP(t) }}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			tc.run(t, ctx, tg)
		})
	}
}
