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
	"strings"
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
		names = append(names, string(c.Name))
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
		{name: "relative path", input: cookie(`"url":"https://wiki.example.org/","name":"s","value":"v","path":"w"`), wantErr: true},
		{name: "domain of another host", input: cookie(`"host":"wiki.example.org","name":"s","value":"v","domain":"example.com","path":"/"`), wantErr: true},
		{name: "host not canonical", input: cookie(`"host":"Wiki.Example.org.","name":"s","value":"v","path":"/"`), wantErr: true},
		{name: "bad samesite", input: cookie(`"host":"wiki.example.org","name":"s","value":"v","path":"/","samesite":"sometimes"`), wantErr: true},
		{name: "bad base64", input: cookie(`"host":"wiki.example.org","name":"s","value":{"base64":"!!"},"path":"/"`), wantErr: true},
		{name: "oversize", input: cookie(`"host":"wiki.example.org","name":"s","value":"` + strings.Repeat("v", maxCookieSize) + `","path":"/"`), wantErr: true},
		// Values a server cannot send but a program can set are kept byte
		// for byte; net/http drops the invalid bytes when it sends them.
		{name: "semicolon in value", input: cookie(`"host":"wiki.example.org","name":"s","value":"v; Domain=evil.org","path":"/"`)},
		{name: "control character in name", input: cookie(`"host":"wiki.example.org","name":"s\n","value":"v","path":"/"`)},
		{name: "v0.1 origin url", input: cookie(`"url":"http://127.0.0.1:8080/","name":"s","value":"v","path":"/"`)},
		{name: "bytes path", input: cookie(`"host":"wiki.example.org","name":"s","value":"v","path":{"base64":"L/8="}`)},
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

// TestJarLoadsV01: a jar saved by mwauth v0.1 (cookies with an origin
// URL, sorted by name) loads, with the same cookies.
func TestJarLoadsV01(t *testing.T) {
	t.Parallel()
	clock := newTestClock()
	old, err := os.ReadFile(filepath.Join("testdata", "jar_golden_v01.json"))
	require.NoError(t, err)
	loaded, err := loadJar(old, clock.Now)
	require.NoError(t, err)
	want := goldenJar(clock.Now)
	assert.ElementsMatch(t, savedNames(t, want), savedNames(t, loaded))
	for _, raw := range []string{"https://wiki.example.org/w/api.php", "https://wiki.example.org/", "https://de.example.org/"} {
		assert.ElementsMatch(t, want.Cookies(mustParse(t, raw)), loaded.Cookies(mustParse(t, raw)), raw)
	}
}

// setHeaders sets cookies on j as an http.Client does: each line is parsed
// as a Set-Cookie header of an answer from rawURL.
func setHeaders(t testing.TB, j *jar, rawURL string, lines ...string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	resp := &http.Response{Header: http.Header{"Set-Cookie": lines}}
	j.SetCookies(u, resp.Cookies())
}

// roundTrip saves j as the session file does (through JSON) and builds
// the jar again.
func roundTrip(t testing.TB, j *jar, now func() time.Time) *jar {
	t.Helper()
	b, err := json.MarshalIndent(struct {
		Cookies []*savedCookie `json:"cookies"`
	}{j.snapshot()}, "", "  ")
	require.NoError(t, err)
	var back struct {
		Cookies []*savedCookie `json:"cookies"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	loaded, err := buildJar(back.Cookies, now)
	require.NoError(t, err, "a saved jar must load again: %s", b)
	return loaded
}

// TestJarRoundTripExact (issue 11, bug 6): after a save and a load the jar
// sends exactly the same cookies, in the same order, to every URL.
func TestJarRoundTripExact(t *testing.T) {
	t.Parallel()
	type set struct {
		url   string
		lines []string
	}
	tests := []struct {
		name string
		sets []set
		urls []string
		want map[string][]string // URL -> names sent, before and after
	}{
		{name: "trailing dot host, domain cookie",
			sets: []set{{"https://wiki.example.org./w/api.php", []string{"d=1; Domain=example.org; Path=/", "h=2; Path=/"}}},
			urls: []string{"https://wiki.example.org/w/api.php", "https://wiki.example.org./", "https://other.example.org/"},
			want: map[string][]string{"https://wiki.example.org/w/api.php": {"d", "h"}, "https://wiki.example.org./": {"d", "h"},
				"https://other.example.org/": {"d"}}},
		{name: "IDN host, domain cookie",
			sets: []set{{"https://wiki.bücher.example/w/api.php", []string{"d=1; Domain=xn--bcher-kva.example; Path=/", "h=2; Path=/"}}},
			urls: []string{"https://wiki.bücher.example/w/api.php", "https://wiki.xn--bcher-kva.example/", "https://xn--bcher-kva.example/"},
			want: map[string][]string{"https://wiki.bücher.example/w/api.php": {"d", "h"}, "https://wiki.xn--bcher-kva.example/": {"d", "h"},
				"https://xn--bcher-kva.example/": {"d"}}},
		{name: "IDN host with capitals",
			sets: []set{{"https://WIKI.Bücher.example/", []string{"h=2; Path=/"}}},
			urls: []string{"https://wiki.bücher.example/"},
			want: map[string][]string{"https://wiki.bücher.example/": {"h"}}},
		{name: "IP host keeps only what the standard jar accepted",
			sets: []set{{"http://127.0.0.1:8080/w/api.php", []string{"dot=1; Domain=.127.0.0.1; Path=/", "exact=2; Domain=127.0.0.1; Path=/",
				"other=3; Domain=127.0.0.2; Path=/", "host=4; Path=/"}}},
			urls: []string{"http://127.0.0.1:8080/w/api.php", "http://127.0.0.1/", "http://127.0.0.2/"},
			want: map[string][]string{"http://127.0.0.1:8080/w/api.php": {"exact", "host"}, "http://127.0.0.1/": {"exact", "host"}}},
		{name: "IPv6 host",
			sets: []set{{"http://[::1]:8080/w/api.php", []string{"a=1; Path=/"}}},
			urls: []string{"http://[::1]:8080/w/api.php", "http://[::1]:9/"},
			want: map[string][]string{"http://[::1]:8080/w/api.php": {"a"}, "http://[::1]:9/": {"a"}}},
		{name: "wss and ws origins are ignored as the standard jar ignores them",
			sets: []set{{"wss://wiki.example.org/socket", []string{"w=1; Path=/"}}, {"ws://wiki.example.org/socket", []string{"v=1; Path=/"}}},
			urls: []string{"https://wiki.example.org/", "http://wiki.example.org/"}},
		{name: "invalid UTF-8 in the default path",
			sets: []set{{"https://wiki.example.org/%FF%FE/w/api.php", []string{"p=1"}}},
			urls: []string{"https://wiki.example.org/%FF%FE/w/api.php", "https://wiki.example.org/%EF%BF%BD%EF%BF%BD/w/api.php"},
			want: map[string][]string{"https://wiki.example.org/%FF%FE/w/api.php": {"p"}}},
		{name: "public suffix host may set a host cookie with its own domain",
			sets: []set{{"https://github.io/", []string{"a=1; Domain=github.io; Path=/"}}},
			urls: []string{"https://github.io/", "https://x.github.io/"},
			want: map[string][]string{"https://github.io/": {"a"}}},
		{name: "order: longer paths first, then creation",
			sets: []set{{"https://wiki.example.org/w/api.php", []string{"z=1; Path=/", "y=2; Path=/w", "x=3; Path=/"}},
				{"https://wiki.example.org/w/api.php", []string{"z=rotated; Path=/", "a=4; Path=/"}}},
			urls: []string{"https://wiki.example.org/w/api.php"},
			want: map[string][]string{"https://wiki.example.org/w/api.php": {"y", "z", "x", "a"}}},
		{name: "quoted value",
			sets: []set{{"https://wiki.example.org/", []string{`q="a b"; Path=/`}}},
			urls: []string{"https://wiki.example.org/"},
			want: map[string][]string{"https://wiki.example.org/": {"q"}}},
		{name: "secure cookie set over http",
			sets: []set{{"http://wiki.example.org/", []string{"s=1; Secure; Path=/"}}},
			urls: []string{"https://wiki.example.org/", "http://wiki.example.org/"},
			want: map[string][]string{"https://wiki.example.org/": {"s"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newJar(time.Now)
			for _, s := range tt.sets {
				setHeaders(t, j, s.url, s.lines...)
			}
			loaded := roundTrip(t, j, time.Now)
			for _, raw := range tt.urls {
				u := mustParse(t, raw)
				before := j.Cookies(u)
				var names []string
				for _, c := range before {
					names = append(names, c.Name)
				}
				assert.Equal(t, tt.want[raw], names, "sent to %s before saving", raw)
				assert.Equal(t, before, loaded.Cookies(u), "sent to %s after loading", raw)
			}
			assert.Len(t, loaded.snapshot(), len(j.snapshot()), "the saved record holds what the jar holds")
		})
	}
}

// TestJarRecordsOnlyAccepted: the saved record never holds a cookie the
// standard jar refused, whatever the host.
func TestJarRecordsOnlyAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, url string
		cookie    *http.Cookie
	}{
		{name: "IP host, leading dot domain", url: "http://127.0.0.1:8080/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: ".127.0.0.1"}},
		{name: "IP host, other IP", url: "http://127.0.0.1:8080/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "10.0.0.1"}},
		{name: "IPv6 host, other IP", url: "http://[::1]:8080/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "::2"}},
		{name: "IP host, parent domain", url: "http://10.0.0.1/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "0.0.1"}},
		{name: "non-ASCII domain attribute", url: "https://wiki.bücher.example/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "bücher.example"}},
		{name: "domain with trailing dot", url: "https://wiki.example.org/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "example.org."}},
		{name: "double leading dot", url: "https://wiki.example.org/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "..example.org"}},
		{name: "public suffix", url: "https://wiki.example.org/", cookie: &http.Cookie{Name: "a", Value: "1", Domain: "org"}},
		{name: "empty name", url: "https://wiki.example.org/", cookie: &http.Cookie{Value: "1"}},
		{name: "wss origin", url: "wss://wiki.example.org/", cookie: &http.Cookie{Name: "a", Value: "1"}},
		{name: "ftp origin", url: "ftp://wiki.example.org/", cookie: &http.Cookie{Name: "a", Value: "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newJar(time.Now)
			u := mustParse(t, tt.url)
			j.SetCookies(u, []*http.Cookie{tt.cookie})
			assert.Empty(t, j.snapshot())
			assert.Zero(t, j.changeCount())
			u.Scheme = "https"
			assert.Empty(t, j.Cookies(u), "the standard jar refused it too")
		})
	}
}

// TestJarLimits (issue 11, bug 5): the jar bounds what it keeps as
// browsers do, and what it drops it no longer sends either.
func TestJarLimits(t *testing.T) {
	t.Parallel()
	t.Run("per domain", func(t *testing.T) {
		t.Parallel()
		j := newJar(time.Now)
		for i := 0; i < maxCookiesPerDomain+10; i++ {
			setHeaders(t, j, "https://wiki.example.org/w/api.php", fmt.Sprintf("c%03d=v; Path=/", i))
		}
		// Another site's cookies are not evicted by this one's.
		setHeaders(t, j, "https://other.example.com/", "keep=1; Path=/")
		sent := cookieNames(j.Cookies(wikiURL))
		require.Len(t, sent, maxCookiesPerDomain)
		assert.Equal(t, "c010", sent[0], "the oldest cookies go first")
		assert.Len(t, j.snapshot(), maxCookiesPerDomain+1)
		assert.Len(t, j.Cookies(mustParse(t, "https://other.example.com/")), 1)
		loaded := roundTrip(t, j, time.Now)
		assert.Equal(t, j.Cookies(wikiURL), loaded.Cookies(wikiURL))
	})
	t.Run("recently set survives", func(t *testing.T) {
		t.Parallel()
		j := newJar(time.Now)
		setHeaders(t, j, "https://wiki.example.org/", "wiki_session=s; Path=/")
		for i := 0; i < 2*maxCookiesPerDomain; i++ {
			setHeaders(t, j, "https://wiki.example.org/", fmt.Sprintf("c%03d=v; Path=/", i))
			setHeaders(t, j, "https://wiki.example.org/", "wiki_session=s; Path=/")
		}
		assert.Contains(t, cookieNames(j.Cookies(wikiURL)), "wiki_session")
	})
	t.Run("oversize cookie", func(t *testing.T) {
		t.Parallel()
		j := newJar(time.Now)
		setHeaders(t, j, "https://wiki.example.org/", "big="+strings.Repeat("a", maxCookieSize), "ok="+strings.Repeat("a", maxCookieSize-2))
		assert.Equal(t, []string{"ok"}, cookieNames(j.Cookies(wikiURL)))
		assert.Len(t, j.snapshot(), 1)
	})
	t.Run("total", func(t *testing.T) {
		t.Parallel()
		j := newJar(time.Now)
		for h := 0; h < 400; h++ {
			for i := 0; i < 10; i++ {
				setHeaders(t, j, fmt.Sprintf("https://h%03d.example.org/", h), fmt.Sprintf("c%d=%s; Path=/", i, strings.Repeat("x", 2000)))
			}
		}
		b, err := json.Marshal(j.snapshot())
		require.NoError(t, err)
		assert.Less(t, len(b), maxJarSaved)
		// Every cookie the record dropped is gone from the jar too.
		n := 0
		for h := 0; h < 400; h++ {
			n += len(j.Cookies(mustParse(t, fmt.Sprintf("https://h%03d.example.org/", h))))
		}
		assert.Equal(t, len(j.snapshot()), n)
		assert.Empty(t, j.Cookies(mustParse(t, "https://h000.example.org/")), "the least recently set go first")
		assert.Len(t, j.Cookies(mustParse(t, "https://h399.example.org/")), 10)
	})
}

// TestLargestJarFitsSessionFile (issue 11, bug 5): the largest jar the
// limits allow, of the worst cookies for JSON (every byte escaped), saves
// under maxSessionFile with room for the session file's own fields, so
// that whatever is saved loads again.
func TestLargestJarFitsSessionFile(t *testing.T) {
	t.Parallel()
	j := newJar(time.Now)
	// '<' takes six bytes in JSON (\u003c); a path of invalid UTF-8 is
	// stored in base64. Long host names make each entry bigger still.
	value := strings.Repeat("<", maxCookieSize-len("c000"))
	label := strings.Repeat("a", 60)
	for h := 0; h < 40; h++ {
		host := fmt.Sprintf("%s.%s.%s.h%03d.org", label, label, label, h)
		u := &url.URL{Scheme: "https", Host: host, Path: "/" + strings.Repeat("<", maxCookiePath-2) + "/x"}
		for i := 0; i < maxCookiesPerDomain; i++ {
			j.SetCookies(u, []*http.Cookie{{Name: fmt.Sprintf("c%03d", i), Value: value, Domain: fmt.Sprintf("h%03d.org", h), Secure: true,
				HttpOnly: true, SameSite: http.SameSiteStrictMode, Expires: time.Now().Add(24 * time.Hour)}})
		}
	}
	snap := j.snapshot()
	require.NotEmpty(t, snap)
	// The session file as the lead's session.go writes it: indented, with
	// metadata around the jar, nested a few levels deep.
	type meta struct {
		Version  int    `json:"version"`
		Endpoint string `json:"endpoint"`
		Kind     string `json:"kind"`
		Username string `json:"username"`
		UserID   int    `json:"userid"`
		Saved    string `json:"saved"`
		Jar      struct {
			Version int `json:"version"`
			Nested  struct {
				Cookies []*savedCookie `json:"cookies"`
			} `json:"nested"`
		} `json:"jar"`
	}
	var m meta
	m.Endpoint = "https://" + strings.Repeat("e", 2000) + ".example.org/w/api.php"
	m.Username = strings.Repeat("U", 255)
	m.Jar.Nested.Cookies = snap
	b, err := json.MarshalIndent(m, "", "    ")
	require.NoError(t, err)
	assert.Less(t, len(b), maxSessionFile-64<<10, "the largest jar must leave room for the session metadata")
	require.NoError(t, writeSessionFile(context.Background(), filepath.Join(t.TempDir(), "s.json"), b))
}

// TestJarPrintsNoSecrets: the jar is reachable as an http.Client's Jar;
// whatever verb prints it, no cookie name or value appears.
func TestJarPrintsNoSecrets(t *testing.T) {
	t.Parallel()
	const value = "5ecre7c00k1eva1ue"
	j := newJar(time.Now)
	setHeaders(t, j, "https://wiki.example.org/", "wiki_session="+value+"; Path=/", "wikiToken="+value+"2; Max-Age=3600")
	var cj http.CookieJar = j
	var outputs []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q", "%t"} {
		outputs = append(outputs, fmt.Sprintf(verb, j), fmt.Sprintf(verb, cj), fmt.Sprintf(verb, []*jar{j}),
			fmt.Sprintf(verb, struct{ J http.CookieJar }{j}), fmt.Sprintf(verb, &http.Client{Jar: j}))
	}
	for _, out := range outputs {
		assert.NotContains(t, out, value)
		assert.NotContains(t, out, "wiki_session")
	}
}

// TestJarClearFor: clearFor forgets what the jar would send to one host,
// domain cookies of its parent domains included, and nothing else.
func TestJarClearFor(t *testing.T) {
	t.Parallel()
	j := newJar(time.Now)
	setHeaders(t, j, "https://wiki.example.org./w/api.php", "host=1; Path=/", "scoped=1; Path=/w", "parent=1; Domain=example.org; Path=/")
	setHeaders(t, j, "https://other.example.org/", "sibling=1; Path=/")
	setHeaders(t, j, "https://en.wikipedia.org/", "enwiki=1; Path=/", "central=1; Domain=wikipedia.org; Path=/")
	n := j.changeCount()
	j.clearFor(mustParse(t, "https://WIKI.example.org:443/w/api.php"))
	assert.Greater(t, j.changeCount(), n)
	assert.Empty(t, j.Cookies(mustParse(t, "https://wiki.example.org/w/api.php")))
	assert.Equal(t, []string{"sibling"}, cookieNames(j.Cookies(mustParse(t, "https://other.example.org/"))))
	assert.Equal(t, []string{"central", "enwiki"}, cookieNames(j.Cookies(mustParse(t, "https://en.wikipedia.org/"))))
	assert.Len(t, j.snapshot(), 3)
	n = j.changeCount()
	j.clearFor(mustParse(t, "https://wiki.example.org/"))
	assert.Equal(t, n, j.changeCount(), "clearing nothing changes nothing")
}
