package livetest_test

// The conformance suite runs the same cases, through mwauth's public API,
// against two targets: the in-process fake (mwauthtest), answering as the
// same release, and the real MediaWiki (1.39 or 1.43) that scripts/test.sh
// starts. It keeps the fake from drifting away from the real server: a
// case that passes on one and fails on the other is a bug in the fake (or
// in our understanding of MediaWiki). Each case lives once, in the list of
// its topic (see allCases); a case the fake cannot show is realOnly.

import (
	"context"
	"net/http"
	"os"
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
	// version is the MediaWiki release the wiki is (or imitates).
	version mwauthtest.Version
	// expire makes the wiki forget every session: the sessions are
	// deleted from its store.
	expire func(t *testing.T)
	// ageOut makes every session outlive its lifetime on the wiki: the
	// sessions are still stored, but expired.
	ageOut func(t *testing.T)
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
	// realOnly: mwauthtest does not implement what the case needs (it
	// says why); the case runs against the real wiki only.
	realOnly string
}

// allCases are the cases of every file of the suite.
func allCases() []conformanceCase {
	var all []conformanceCase
	for _, cs := range [][]conformanceCase{loginCases, callCases, clientLoginCases, messageFormatCases(),
		captchaCases, throttleCases, sessionCases, lostSessionCases(), processCases} {
		all = append(all, cs...)
	}
	return all
}

// fakeVersions are the releases the fake answers as: the real wiki's
// (MWAUTH_TEST_WIKI_VERSION, or what the wiki says), so that both halves
// of the suite check the same release; both lines without a real wiki.
func fakeVersions(t *testing.T) []mwauthtest.Version {
	if os.Getenv(wikitest.EnvVersion) == "" && os.Getenv(wikitest.EnvWiki) == "" {
		return []mwauthtest.Version{mwauthtest.MediaWiki139, mwauthtest.MediaWiki143}
	}
	return []mwauthtest.Version{fakeVersion(t, wikitest.Version(t))}
}

// fakeVersion is the fake's release for the wiki's release line v.
func fakeVersion(t *testing.T, v string) mwauthtest.Version {
	t.Helper()
	for _, fv := range []mwauthtest.Version{mwauthtest.MediaWiki139, mwauthtest.MediaWiki143} {
		if string(fv) == v {
			return fv
		}
	}
	t.Fatalf("the test wiki is MediaWiki %s, which mwauthtest does not imitate", v)
	return ""
}

// TestConformanceFake runs every case (but the realOnly ones) against its
// own fake, in parallel, under the release's name:
// TestConformanceFake/1.39/<case>.
func TestConformanceFake(t *testing.T) {
	for _, v := range fakeVersions(t) {
		t.Run(string(v), func(t *testing.T) {
			for _, tc := range allCases() {
				if tc.realOnly != "" {
					continue
				}
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					runFake(t, v, tc)
				})
			}
		})
	}
}

func runFake(t *testing.T, v mwauthtest.Version, tc conformanceCase) {
	clk := &skewClock{}
	srv := mwauthtest.NewServer(mwauthtest.WithVersion(v), mwauthtest.WithSSO(), mwauthtest.WithClock(clk.now))
	t.Cleanup(srv.Close)
	var step int64
	tg := target{
		api:     srv.URL,
		version: srv.Version(),
		expire:  func(*testing.T) { srv.ExpireSessions() },
		// Sessions live an hour (idle) on the fake, as on the local wiki.
		ageOut: func(*testing.T) { clk.advance(2 * time.Hour) },
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
	version := fakeVersion(t, wikitest.Version(t))
	for _, tc := range allCases() {
		t.Run(tc.name, func(t *testing.T) {
			tg := target{api: api, real: true, version: version,
				expire: func(t *testing.T) { wikitest.KillSessions(t) },
				ageOut: func(t *testing.T) { wikitest.ExpireSessions(t) },
				reset:  func(t *testing.T) { wikitest.ResetCounters(t) },
				code:   func(t *testing.T) string { return wikitest.TOTP(t) }}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			tc.run(t, ctx, tg)
		})
	}
}
