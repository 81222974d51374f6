package mwauth

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testClock is a settable clock for newJar.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2026, 11, 22, 5, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var wikiURL = &url.URL{Scheme: "https", Host: "wiki.example.org", Path: "/w/api.php"}

func cookieNames(cs []*http.Cookie) []string {
	names := make([]string, 0, len(cs))
	for _, c := range cs {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

// jarLen counts the live cookies of j.
func jarLen(j *jar) int { return len(j.snapshot()) }

// saveJar is the jar member of a session file as the session writes it.
func saveJar(t testing.TB, j *jar) []byte {
	t.Helper()
	b, err := json.MarshalIndent(jarFile{Version: jarVersion, Cookies: j.snapshot()}, "", "  ")
	require.NoError(t, err)
	return b
}

// loadJar reads what saveJar wrote.
func loadJar(b []byte, now func() time.Time) (*jar, error) {
	var f jarFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrSessionFile)
	}
	return f.build(now)
}

func savedNames(t *testing.T, j *jar) []string {
	t.Helper()
	names := []string{}
	for _, c := range j.snapshot() {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names
}

// TestJarRoundTrip: Save and LoadJar keep session cookies (MediaWiki's
// session cookie has no expiry) and drop expired ones.
func TestJarRoundTrip(t *testing.T) {
	t.Parallel()
	// Cookies() is net/http/cookiejar's, which reads the wall clock, so
	// this test's clock starts at the real time.
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}
	j := newJar(clock.Now)
	j.SetCookies(wikiURL, []*http.Cookie{
		{Name: "wiki_session", Value: "s3ss10n", Path: "/", HttpOnly: true},
		{Name: "wikiUserID", Value: "1", Path: "/", MaxAge: 3600, HttpOnly: true},
		{Name: "wikiToken", Value: "t0k3n", Path: "/", Expires: clock.Now().Add(48 * time.Hour), Secure: true,
			SameSite: http.SameSiteLaxMode},
		{Name: "stale", Value: "old", Path: "/", Expires: clock.Now().Add(-time.Hour)},
	})
	assert.Equal(t, 3, jarLen(j))
	assert.Equal(t, []string{"wikiToken", "wikiUserID", "wiki_session"}, savedNames(t, j))

	saved := saveJar(t, j)

	loaded, err := loadJar(saved, clock.Now)
	require.NoError(t, err)
	assert.Equal(t, 3, jarLen(loaded))
	got := loaded.Cookies(wikiURL)
	assert.Equal(t, []string{"wikiToken", "wikiUserID", "wiki_session"}, cookieNames(got))
	for _, c := range got {
		if c.Name == "wiki_session" {
			assert.Equal(t, "s3ss10n", c.Value)
		}
	}
	assert.Zero(t, loaded.changeCount(), "a freshly loaded jar has no unsaved changes")

	// Ninety minutes later the one-hour cookie is gone, from Save and
	// from a load of the old file alike; the session cookie stays.
	clock.Advance(90 * time.Minute)
	assert.Equal(t, []string{"wikiToken", "wiki_session"}, savedNames(t, j))
	assert.Equal(t, 2, jarLen(j))
	later, err := loadJar(saved, clock.Now)
	require.NoError(t, err)
	assert.Equal(t, []string{"wikiToken", "wiki_session"}, cookieNames(later.Cookies(wikiURL)))
}

func TestJarDeletion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		delete *http.Cookie
	}{
		{name: "Max-Age<0", delete: &http.Cookie{Name: "wiki_BPsession", Value: "deleted", Path: "/", MaxAge: -1}},
		{name: "expires in 1970, as MediaWiki sends",
			delete: &http.Cookie{Name: "wiki_BPsession", Value: "deleted", Path: "/", Expires: time.Unix(1, 0)}},
		{name: "both", delete: &http.Cookie{Name: "wiki_BPsession", Value: "deleted", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			j := newJar(clock.Now)
			j.SetCookies(wikiURL, []*http.Cookie{
				{Name: "wiki_session", Value: "s", Path: "/"},
				{Name: "wiki_BPsession", Value: "bp", Path: "/"},
			})
			require.Equal(t, 2, jarLen(j))
			n := j.changeCount()
			j.SetCookies(wikiURL, []*http.Cookie{tt.delete})
			assert.Equal(t, 1, jarLen(j))
			assert.Equal(t, []string{"wiki_session"}, cookieNames(j.Cookies(wikiURL)))
			assert.Equal(t, []string{"wiki_session"}, savedNames(t, j))
			assert.Greater(t, j.changeCount(), n, "a deletion is a change to save")
		})
	}
}

func TestJarChangeCount(t *testing.T) {
	t.Parallel()
	j := newJar(newTestClock().Now)
	c := &http.Cookie{Name: "wiki_session", Value: "s", Path: "/"}
	j.SetCookies(wikiURL, []*http.Cookie{c})
	n := j.changeCount()
	j.SetCookies(wikiURL, []*http.Cookie{c})
	assert.Equal(t, n, j.changeCount(), "setting the same cookie again changes nothing")
	j.SetCookies(wikiURL, []*http.Cookie{{Name: "wiki_session", Value: "rotated", Path: "/"}})
	assert.Greater(t, j.changeCount(), n)
	n = j.changeCount()
	j.SetCookies(wikiURL, []*http.Cookie{{Name: "never_set", Value: "x", MaxAge: -1}})
	assert.Equal(t, n, j.changeCount(), "deleting an unknown cookie changes nothing")
	j.clearFor(wikiURL)
	assert.Greater(t, j.changeCount(), n)
	assert.Zero(t, jarLen(j))
	assert.Empty(t, j.Cookies(wikiURL))
}

func TestJarDomains(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		from    string
		cookie  *http.Cookie
		visible []string // URLs that must receive the cookie
		hidden  []string // URLs that must not
		stored  bool
	}{
		{name: "host-only", from: "https://wiki.example.org/w/api.php",
			cookie:  &http.Cookie{Name: "s", Value: "v", Path: "/"},
			visible: []string{"https://wiki.example.org/w/api.php"}, hidden: []string{"https://other.example.org/w/api.php"},
			stored: true},
		{name: "parent domain", from: "https://en.wikipedia.org/w/api.php",
			cookie:  &http.Cookie{Name: "centralauth_User", Value: "v", Path: "/", Domain: ".wikipedia.org"},
			visible: []string{"https://en.wikipedia.org/w/api.php", "https://de.wikipedia.org/w/api.php"},
			hidden:  []string{"https://en.wikipedia.com/w/api.php"}, stored: true},
		{name: "foreign domain", from: "https://wiki.example.org/w/api.php",
			cookie: &http.Cookie{Name: "s", Value: "v", Path: "/", Domain: "evil.example.com"},
			hidden: []string{"https://wiki.example.org/w/api.php", "https://evil.example.com/"}},
		{name: "sibling domain", from: "https://wiki.example.org/w/api.php",
			cookie: &http.Cookie{Name: "s", Value: "v", Path: "/", Domain: "other.example.org"},
			hidden: []string{"https://other.example.org/"}},
		{name: "public suffix", from: "https://wiki.example.org/w/api.php",
			cookie: &http.Cookie{Name: "s", Value: "v", Path: "/", Domain: ".org"},
			hidden: []string{"https://wiki.example.org/w/api.php", "https://evil.org/"}},
		{name: "multi-label public suffix", from: "https://wiki.example.co.uk/w/api.php",
			cookie: &http.Cookie{Name: "s", Value: "v", Path: "/", Domain: "co.uk"},
			hidden: []string{"https://wiki.example.co.uk/w/api.php", "https://evil.co.uk/"}},
		{name: "path scope", from: "https://wiki.example.org/w/api.php",
			cookie:  &http.Cookie{Name: "s", Value: "v", Path: "/w"},
			visible: []string{"https://wiki.example.org/w/api.php"}, hidden: []string{"https://wiki.example.org/rest.php"},
			stored: true},
		{name: "secure cookie", from: "https://wiki.example.org/w/api.php",
			cookie:  &http.Cookie{Name: "s", Value: "v", Path: "/", Secure: true},
			visible: []string{"https://wiki.example.org/w/api.php"}, hidden: []string{"http://wiki.example.org/w/api.php"},
			stored: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newTestClock()
			j := newJar(clock.Now)
			j.SetCookies(mustParse(t, tt.from), []*http.Cookie{tt.cookie})
			for _, u := range tt.visible {
				assert.Equal(t, []string{tt.cookie.Name}, cookieNames(j.Cookies(mustParse(t, u))), u)
			}
			for _, u := range tt.hidden {
				assert.Empty(t, j.Cookies(mustParse(t, u)), u)
			}
			if !tt.stored {
				assert.Zero(t, jarLen(j), "a rejected cookie must not be recorded")
				assert.Empty(t, savedNames(t, j))
				return
			}
			assert.Equal(t, 1, jarLen(j))
			// The saved cookie comes back with the same scope.
			loaded, err := loadJar(saveJar(t, j), clock.Now)
			require.NoError(t, err)
			for _, u := range tt.visible {
				assert.Equal(t, []string{tt.cookie.Name}, cookieNames(loaded.Cookies(mustParse(t, u))), u)
			}
			for _, u := range tt.hidden {
				assert.Empty(t, loaded.Cookies(mustParse(t, u)), u)
			}
		})
	}
}

func TestLoadJarErrors(t *testing.T) {
	t.Parallel()
	cookie := func(fields string) string {
		return `{"version":1,"cookies":[{` + fields + `}]}`
	}
	tests := []struct {
		name    string
		input   string
		wantErr bool
	}{
		{name: "empty input", input: "", wantErr: true},
		{name: "garbage", input: "this is not a jar", wantErr: true},
		{name: "truncated", input: `{"version":1,"cookies":[{"url":"https://wiki.example.org/","na`, wantErr: true},
		{name: "json array", input: `[]`, wantErr: true},
		{name: "null", input: `null`, wantErr: true},
		{name: "no version", input: `{"cookies":[]}`, wantErr: true},
		{name: "unknown version", input: `{"version":2,"cookies":[]}`, wantErr: true},
		{name: "unknown field", input: `{"version":1,"cookies":[],"owner":"x"}`, wantErr: true},
		{name: "null cookie", input: `{"version":1,"cookies":[null]}`, wantErr: true},
		{name: "bad url", input: cookie(`"url":"::","name":"s","value":"v","path":"/"`), wantErr: true},
		{name: "ftp url", input: cookie(`"url":"ftp://wiki.example.org/","name":"s","value":"v","path":"/"`), wantErr: true},
		{name: "url without host", input: cookie(`"url":"https:///","name":"s","value":"v","path":"/"`), wantErr: true},
		{name: "empty name", input: cookie(`"url":"https://wiki.example.org/","name":"","value":"v","path":"/"`), wantErr: true},
		{name: "semicolon in value", input: cookie(`"url":"https://wiki.example.org/","name":"s","value":"v; Domain=evil.org","path":"/"`), wantErr: true},
		{name: "control character in name", input: cookie(`"url":"https://wiki.example.org/","name":"s\n","value":"v","path":"/"`), wantErr: true},
		{name: "bad expiry", input: cookie(`"url":"https://wiki.example.org/","name":"s","value":"v","path":"/","expires":"soon"`), wantErr: true},
		{name: "trailing garbage", input: `{"version":1,"cookies":[]}garbage`, wantErr: true},
		{name: "two documents", input: `{"version":1,"cookies":[]}{"version":1,"cookies":[]}`, wantErr: true},
		{name: "empty jar", input: `{"version":1,"cookies":[]}`},
		{name: "no cookies key", input: `{"version":1}`},
		{name: "trailing newline", input: "{\"version\":1,\"cookies\":[]}\n"},
		{name: "one cookie", input: cookie(`"url":"https://wiki.example.org/","name":"s","value":"v","path":"/"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j, err := loadJar([]byte(tt.input), time.Now)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrSessionFile)
				assert.Nil(t, j)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, j)
		})
	}
}

func TestJarConcurrent(t *testing.T) {
	t.Parallel()
	j := newJar(time.Now)
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				name := fmt.Sprintf("c%d", g%4)
				j.SetCookies(wikiURL, []*http.Cookie{{Name: name, Value: fmt.Sprintf("v%d-%d", g, i), Path: "/"}})
				_ = j.Cookies(wikiURL)
				_ = jarLen(j)
				_ = j.changeCount()
				if i%10 == 0 {
					_ = j.snapshot()
				}
				if i%25 == 0 {
					j.SetCookies(wikiURL, []*http.Cookie{{Name: name, MaxAge: -1}})
				}
			}
		}(g)
	}
	wg.Wait()
	assert.LessOrEqual(t, jarLen(j), 4)
	assert.Len(t, j.Cookies(wikiURL), jarLen(j))
}

// goldenJar is a jar with every kind of cookie, at a fixed time.
func goldenJar(now func() time.Time) *jar {
	j := newJar(now)
	j.SetCookies(&url.URL{Scheme: "https", Host: "wiki.example.org", Path: "/w/api.php"}, []*http.Cookie{
		{Name: "examplewiki_session", Value: "golden-session-value", Path: "/", HttpOnly: true},
		{Name: "examplewikiUserID", Value: "1", Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true},
		{Name: "examplewikiToken", Value: "golden-token-value", Path: "/", Secure: true, HttpOnly: true,
			Expires: time.Date(2027, 5, 21, 5, 3, 48, 0, time.UTC), SameSite: http.SameSiteLaxMode},
		{Name: "centralauth_User", Value: "Admin", Domain: ".example.org", Path: "/", SameSite: http.SameSiteNoneMode, Secure: true},
		{Name: "scoped", Value: "x", Path: "/w", SameSite: http.SameSiteStrictMode},
		{Name: "gone", Value: "x", Path: "/", Expires: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)},
	})
	return j
}

// TestJarGolden pins the saved format. Regenerate testdata/jar_golden.json
// with: go test -run TestJarGolden -update .
func TestJarGolden(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	saved := saveJar(t, goldenJar(clock.Now))
	path := filepath.Join("testdata", "jar_golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, saved, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create the golden file")
	assert.Equal(t, string(want), string(saved), "the saved format changed; if on purpose, rerun with -update")

	// Loading the golden file and saving again gives the same bytes.
	loaded, err := loadJar(want, clock.Now)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(saveJar(t, loaded)))
}

// TestJarKeepsClientSession: the jar of a logged-in Client, saved and
// loaded into a new Client, carries the session.
func TestJarKeepsClientSession(t *testing.T) {
	t.Parallel()
	c, f := loggedIn(t)
	j, err := loadJar(saveJar(t, c.jar), time.Now)
	require.NoError(t, err)
	c2, err := New(f.endpoint(), WithJar(j))
	require.NoError(t, err)
	f.on("query", f.fx("edit_success.json"))
	_, err = c2.Get(context.Background(), url.Values{"action": {"query"}, "meta": {"siteinfo"}})
	require.NoError(t, err)
	r := f.last(t)
	want := c.Jar().Cookies(mustParse(t, f.endpoint()))
	require.NotEmpty(t, want)
	for _, ck := range want {
		assert.Equal(t, ck.Value, r.Cookies[ck.Name], "cookie %s", ck.Name)
	}
}
