// Package wikitest connects mwauth's integration tests to a real MediaWiki:
// 1.39 from internal/localwiki/up.sh or 1.43 from internal/localwiki143/up.sh
// (scripts/test.sh starts both and runs the tests against each). It is
// imported by tests only.
//
// An integration test is an ordinary test that starts with
//
//	api := wikitest.API(t)
//
// It is skipped when no wiki is configured, except in CI, where a missing
// wiki is an error.
//
// Integration tests of different packages share one wiki while go test runs
// the packages in parallel processes. So that one package's KillSessions,
// ResetCounters or TOTP codes cannot break another package's logins, the
// first API call in a test binary takes an exclusive lock on the wiki that
// the process keeps until it exits: test processes use the wiki one after the
// other, and tests without a wiki are not held up. Inside one package, tests
// that call KillSessions or ResetCounters, or that trip the throttle or the
// captcha, must not run in parallel with other integration tests.
package wikitest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/totp"
)

// Accounts of the test wiki, the same values as internal/localwiki/accounts.env.
// They are throwaway values of a loopback-only wiki, not secrets.
const (
	// Admin is a sysop, bureaucrat and interface-admin.
	Admin     = "Admin"
	AdminPass = "Admin-localwiki-pass-1"
	// AdminBot is Admin's bot password login (all grants), for action=login.
	AdminBot     = "Admin@localbot"
	AdminBotPass = "adminbotpassword0123456789abcdef"

	// BotUser is in group "bot", so assert=bot passes.
	BotUser        = "BotUser"
	BotUserPass    = "BotUser-localwiki-pass-1"
	BotUserBot     = "BotUser@localbot"
	BotUserBotPass = "botuserbotpassword0123456789abcd"

	// Alice is a plain user without groups.
	Alice     = "Alice"
	AlicePass = "Alice-localwiki-pass-1"

	// TwoFAUser has OATHAuth TOTP two-factor authentication with the base32
	// secret TwoFASecret (SHA-1, 6 digits, 30 s); see TOTP.
	TwoFAUser   = "TwoFAUser"
	TwoFAPass   = "TwoFA-localwiki-pass-1"
	TwoFASecret = "LOCALWIKI2FATEST"
	// TwoFABot is TwoFAUser's bot password login: it skips two-factor.
	TwoFABot     = "TwoFAUser@localbot"
	TwoFABotPass = "twofabotpassword0123456789abcdef"

	// CaptchaUser is for tripping the per-user login captcha: after 3 failed
	// logins within 10 minutes, its logins need CaptchaAnswer.
	CaptchaUser = "CaptchaUser"
	CaptchaPass = "Captcha-localwiki-pass-1"

	// ThrottleUser is for tripping the login throttle: 10 attempts per
	// username and IP in 60 s.
	ThrottleUser = "ThrottleUser"
	ThrottlePass = "Throttle-localwiki-pass-1"

	// CaptchaQuestion and CaptchaAnswer are the wiki's QuestyCaptcha.
	CaptchaQuestion = "What is the name of this test wiki?"
	CaptchaAnswer   = "localwiki"
)

// Environment variables read by this package.
const (
	// EnvWiki holds the api.php URL of the test wiki.
	EnvWiki = "MWAUTH_TEST_WIKI"
	// EnvRequire=1 turns a missing wiki into a test failure (as CI does).
	EnvRequire = "MWAUTH_REQUIRE_WIKI"
	// EnvScripts overrides the directory of the localwiki scripts:
	// internal/localwiki (1.39, the default) or internal/localwiki143 (1.43).
	EnvScripts = "MWAUTH_LOCALWIKI_DIR"
	// EnvVersion names the test wiki's release line, "1.39" or "1.43"
	// (see Version). Unset, it is read from the wiki.
	EnvVersion = "MWAUTH_TEST_WIKI_VERSION"
	// envDataDir is the localwiki data dir, as its scripts read it.
	envDataDir = "LOCALWIKI_DIR"
)

// TOTPWindow is how many time steps around the current one OATHAuth
// accepts ($wgOATHAuthWindowRadius).
const TOTPWindow = 4

// API returns the api.php URL of the test wiki, from MWAUTH_TEST_WIKI. Without
// it the test is skipped, or fails when CI or MWAUTH_REQUIRE_WIKI=1 is set.
// The first call in a process waits for the process-wide wiki lock (see the
// package documentation).
func API(t testing.TB) string {
	t.Helper()
	api := os.Getenv(EnvWiki)
	if api == "" {
		if os.Getenv("CI") != "" || os.Getenv(EnvRequire) == "1" {
			t.Fatalf("\n\n*** %s is not set, but this run needs the real test wiki (CI=%q, %s=%q).\n"+
				"*** Run the tests through scripts/test.sh, which starts the wiki and sets %s.\n\n",
				EnvWiki, os.Getenv("CI"), EnvRequire, os.Getenv(EnvRequire), EnvWiki)
		}
		t.Skipf("integration test: no wiki (%s is not set); run scripts/test.sh, or start "+
			"internal/localwiki/up.sh and export %s=<its api.php URL>", EnvWiki, EnvWiki)
	}
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		t.Fatalf("%s=%q is not an absolute http(s) URL of api.php", EnvWiki, api)
	}
	wikiLock.acquire(t, api)
	return api
}

// ResetCounters makes the wiki forget login throttles, captcha counters,
// OATHAuth's record of used TOTP steps and rate limits
// (internal/localwiki/reset-counters.sh). Accounts and sessions are kept.
// Since the wiki forgot the used steps, TOTP starts again at the current step.
func ResetCounters(t testing.TB) {
	t.Helper()
	API(t)
	wikiLock.totpMu.Lock()
	defer wikiLock.totpMu.Unlock()
	runScript(t, "reset-counters.sh")
	wikiLock.steps.last = 0
	wikiLock.saveStep(t, 0)
}

// KillSessions deletes every session from the wiki's session store
// (internal/localwiki/kill-sessions.sh): clients keep their cookies, but the
// wiki has forgotten them, as if the sessions had expired. Logins made with
// rememberMe survive through their token cookie.
func KillSessions(t testing.TB) {
	t.Helper()
	API(t)
	runScript(t, "kill-sessions.sh")
}

// ExpireSessions makes every session on the wiki outlive its lifetime: the
// session rows stay in the object cache, but their expiry moves into the
// past, so MediaWiki treats them as expired ($wgObjectCacheSessionExpiry
// elapsed). KillSessions deletes them instead. Clients keep their cookies.
// Like the scripts, it finds the wiki's data through LOCALWIKI_DIR.
func ExpireSessions(t testing.TB) {
	t.Helper()
	API(t)
	dir := os.Getenv(envDataDir)
	if dir == "" {
		dir = "/tmp/localwiki"
	}
	db := filepath.Join(dir, "data", "wikicache.sqlite")
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("wikitest: %v (set %s to the wiki's data dir)", err, envDataDir)
	}
	// exptime is a MediaWiki timestamp (TS_MW) in SqlBagOStuff's sqlite table.
	const php = `$db = new PDO("sqlite:" . $argv[1], null, null,
	[PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$n = $db->exec("UPDATE objectcache SET exptime = '20000101000000' WHERE keyname LIKE '%:MWSession:%'");
echo "expired $n session(s)";`
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "php", "-d", "display_errors=stderr", "-r", php, db).CombinedOutput()
	if err != nil {
		t.Fatalf("wikitest: expiring sessions: %v\n%s", err, out)
	}
	t.Logf("wikitest: %s", strings.TrimSpace(string(out)))
}

// Version returns the release line of the test wiki, such as "1.39" or
// "1.43": MWAUTH_TEST_WIKI_VERSION if set, else what the wiki's siteinfo
// generator says. It fails the test when the variable is set but the wiki
// says otherwise, or when it cannot tell.
func Version(t testing.TB) string {
	t.Helper()
	want := os.Getenv(EnvVersion)
	if want != "" && !releaseRE.MatchString(want) {
		t.Fatalf("wikitest: %s=%q is not a release line such as 1.39", EnvVersion, want)
	}
	api := os.Getenv(EnvWiki)
	if api == "" {
		if want == "" {
			t.Fatalf("wikitest: neither %s nor %s is set", EnvVersion, EnvWiki)
		}
		return want
	}
	got, err := wikiVersion(api)
	if err != nil {
		t.Fatalf("wikitest: release of the wiki at %s: %v", api, err)
	}
	if want != "" && want != got {
		t.Fatalf("wikitest: %s=%s, but the wiki at %s is MediaWiki %s", EnvVersion, want, api, got)
	}
	return got
}

var releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// wikiVersion reads the release line from meta=siteinfo's generator,
// "MediaWiki 1.39.17".
func wikiVersion(api string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q := url.Values{"action": {"query"}, "meta": {"siteinfo"}, "format": {"json"}, "formatversion": {"2"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, api+"?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Query struct {
			General struct {
				Generator string `json:"generator"`
			} `json:"general"`
		} `json:"query"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("siteinfo: %w", err)
	}
	m := generatorRE.FindStringSubmatch(body.Query.General.Generator)
	if m == nil {
		return "", fmt.Errorf("siteinfo generator %q does not name a MediaWiki release", body.Query.General.Generator)
	}
	return m[1], nil
}

var generatorRE = regexp.MustCompile(`^MediaWiki ([0-9]+\.[0-9]+)(\.|$|-)`)

// TOTP returns a valid two-factor code of TwoFAUser that no earlier call (in
// this or an earlier test process on the same wiki) has handed out.
// OATHAuth accepts the steps now-4 … now+4 but refuses a step at or below the
// last one it accepted for the user, so a second two-factor login in the same
// 30 s needs a later step. TOTP hands out max(now, last+1); when that would
// be beyond now+4 it waits for the clock, failing the test if its deadline
// comes first.
func TOTP(t testing.TB) string {
	t.Helper()
	API(t)
	key, err := totp.DecodeSecret(TwoFASecret)
	if err != nil {
		t.Fatalf("wikitest: %v", err)
	}
	// A mutex of its own: a TOTP call waiting for the clock does not hold up API.
	wikiLock.totpMu.Lock()
	defer wikiLock.totpMu.Unlock()
	for {
		now := totp.Step(time.Now())
		if step, ok := wikiLock.steps.next(now); ok {
			wikiLock.saveStep(t, step)
			return totp.CodeAt(key, step)
		}
		wake := time.Unix((now+1)*int64(totp.Period/time.Second), 0)
		if d, ok := deadline(t); ok && wake.After(d) {
			t.Fatalf("wikitest: all TOTP steps up to %d are used; the next one comes at %s, after the test deadline",
				now+TOTPWindow, wake.Format(time.TimeOnly))
		}
		t.Logf("wikitest: TOTP steps up to now+%d are used; waiting %s for the next step",
			TOTPWindow, time.Until(wake).Round(time.Second))
		time.Sleep(time.Until(wake))
	}
}

// stepper hands out strictly increasing TOTP steps within the accepted window.
type stepper struct {
	last int64 // last step handed out; 0 = none
}

// next returns the step to use at time step now, or false when every step
// up to now+TOTPWindow is used.
func (s *stepper) next(now int64) (int64, bool) {
	step := max(now, s.last+1)
	if step > now+TOTPWindow {
		return 0, false
	}
	s.last = step
	return step, true
}

func deadline(t testing.TB) (time.Time, bool) {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		return d.Deadline()
	}
	return time.Time{}, false
}

// processLock is the per-process hold on the wiki. Its file also keeps the
// last TOTP step handed out, so that the next test process starts after it.
type processLock struct {
	mu   sync.Mutex
	api  string
	file *os.File // nil until acquired; never closed (released at exit)

	totpMu sync.Mutex
	steps  stepper // set in acquire, then guarded by totpMu
}

var wikiLock processLock

func (l *processLock) acquire(t testing.TB, api string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		if api != l.api {
			t.Fatalf("wikitest: %s changed from %q to %q within one test process", EnvWiki, l.api, api)
		}
		return
	}
	sum := sha256.Sum256([]byte(api))
	path := filepath.Join(os.TempDir(), "mwauth-wikitest-"+hex.EncodeToString(sum[:6])+".lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatalf("wikitest: wiki lock: %v", err)
	}
	start := time.Now()
	logged := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			t.Fatalf("wikitest: wiki lock %s: %v", path, err)
		}
		if ok {
			break
		}
		if !logged {
			t.Logf("wikitest: another test process is using the wiki; waiting for %s", path)
			logged = true
		}
		if d, ok := deadline(t); ok && time.Until(d) < 5*time.Second {
			f.Close()
			t.Fatalf("wikitest: waited %s for the wiki lock %s held by another test process",
				time.Since(start).Round(time.Second), path)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logged {
		t.Logf("wikitest: got the wiki lock after %s", time.Since(start).Round(time.Second))
	}
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, 0)
	if last, err := strconv.ParseInt(strings.TrimSpace(string(buf[:n])), 10, 64); err == nil {
		// A step beyond the window cannot have been handed out by TOTP
		// (the clock went back?): never wait longer than one window.
		l.steps.last = min(last, totp.Step(time.Now())+TOTPWindow)
	}
	l.file, l.api = f, api
}

// saveStep records step as the last one handed out. l.totpMu is held.
func (l *processLock) saveStep(t testing.TB, step int64) {
	t.Helper()
	s := strconv.FormatInt(step, 10) + "\n"
	if err := l.file.Truncate(0); err != nil {
		t.Fatalf("wikitest: %v", err)
	}
	if _, err := l.file.WriteAt([]byte(s), 0); err != nil {
		t.Fatalf("wikitest: %v", err)
	}
}

// scriptsDir finds internal/localwiki: $MWAUTH_LOCALWIKI_DIR, or next to
// this source file.
func scriptsDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv(EnvScripts); dir != "" {
		return dir
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		t.Fatalf("wikitest: cannot locate internal/localwiki from the source path %q; set %s", file, EnvScripts)
	}
	return filepath.Join(filepath.Dir(file), "..", "localwiki")
}

// runScript runs one of the localwiki scripts. They find the wiki's data
// through LOCALWIKI_DIR (default /tmp/localwiki), inherited from the
// environment, so they only work for a wiki on this machine.
func runScript(t testing.TB, name string) {
	t.Helper()
	path := filepath.Join(scriptsDir(t), name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("wikitest: %v (set %s to the internal/localwiki directory)", err, EnvScripts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", path).CombinedOutput()
	msg := strings.TrimSpace(string(out))
	if err != nil {
		t.Fatalf("wikitest: %s failed: %v\n%s", name, err, msg)
	}
	t.Logf("wikitest: %s", msg)
}
