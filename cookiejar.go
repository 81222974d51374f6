package mwauth

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// jarVersion is the version of the jar member of the session file.
const jarVersion = 1

// jar is the Client's [http.CookieJar]. It is built on
// [net/http/cookiejar] with the public suffix list, and it also records
// every cookie it accepts, so that the session file can hold all of them,
// session cookies included: MediaWiki's session cookie has no expiry, and
// it is what keeps a bot logged in. [jar.snapshot] and [buildJar] move
// that record to and from the session file.
//
// A jar is safe for concurrent use. It has no exported methods besides
// those of http.CookieJar.
type jar struct {
	mu      sync.Mutex // guards jar, entries and changes
	jar     *cookiejar.Jar
	entries map[string]*savedCookie
	changes uint64
	now     func() time.Time
}

// savedCookie is one cookie as written to disk.
type savedCookie struct {
	URL    string `json:"url"`
	Name   string `json:"name"`
	Value  string `json:"value"`
	Domain string `json:"domain,omitempty"`
	Path   string `json:"path"`
	// Expires is the expiry in Unix seconds; 0 for a session cookie.
	Expires  int64  `json:"expires,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	HTTPOnly bool   `json:"httponly,omitempty"`
	SameSite string `json:"samesite,omitempty"`
}

// live reports whether the cookie has not expired at now.
func (c *savedCookie) live(now time.Time) bool {
	return c.Expires == 0 || c.Expires > now.Unix()
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

type jarFile struct {
	Version int            `json:"version"`
	Cookies []*savedCookie `json:"cookies"`
}

// newJar returns an empty jar whose record expires cookies by now.
func newJar(now func() time.Time) *jar {
	j := &jar{entries: make(map[string]*savedCookie), now: now}
	j.jar = newStdJar()
	return j
}

func newStdJar() *cookiejar.Jar {
	// cookiejar.New never fails with the options given here.
	cj, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	return cj
}

// Cookies implements [http.CookieJar].
func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jar.Cookies(u)
}

// SetCookies implements [http.CookieJar]. Cookies the underlying jar
// would reject (a domain that does not match, a public suffix) are not
// recorded either.
func (j *jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.setLocked(u, cookies)
}

func (j *jar) setLocked(u *url.URL, cookies []*http.Cookie) {
	j.jar.SetCookies(u, cookies)
	now := j.now()
	origin := (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String()
	for _, c := range cookies {
		if c == nil || c.Name == "" {
			continue
		}
		if !j.accepted(u, c) {
			continue
		}
		path := c.Path
		if path == "" || path[0] != '/' {
			path = defaultPath(u.Path)
		}
		domain := strings.TrimPrefix(strings.ToLower(c.Domain), ".")
		scope := domain
		if scope == "" {
			scope = u.Hostname()
		}
		key := c.Name + "\x00" + scope + "\x00" + path
		var expires time.Time
		switch {
		case c.MaxAge < 0:
			expires = now.Add(-time.Second)
		case c.MaxAge > 0:
			expires = now.Add(time.Duration(c.MaxAge) * time.Second)
		case !c.Expires.IsZero():
			expires = c.Expires.UTC()
		}
		if !expires.IsZero() && !expires.After(now) {
			if _, ok := j.entries[key]; ok {
				delete(j.entries, key)
				j.changes++
			}
			continue
		}
		sc := &savedCookie{URL: origin, Name: c.Name, Value: c.Value, Domain: domain, Path: path,
			Expires: unixOrZero(expires), Secure: c.Secure, HTTPOnly: c.HttpOnly, SameSite: sameSiteName(c.SameSite)}
		if old, ok := j.entries[key]; ok && *old == *sc {
			continue
		}
		j.entries[key] = sc
		j.changes++
	}
}

// accepted reports whether the stdlib jar kept a cookie: its domain must
// domain-match the request host and must not be a public suffix. Cookies
// being deleted are always accepted, so that the record forgets them.
func (j *jar) accepted(u *url.URL, c *http.Cookie) bool {
	if c.Domain == "" {
		return true
	}
	host := strings.ToLower(u.Hostname())
	d := strings.TrimPrefix(strings.ToLower(c.Domain), ".")
	if host != d && !strings.HasSuffix(host, "."+d) {
		return false
	}
	if ps := publicsuffix.List.PublicSuffix(d); ps == d && host != d {
		return false
	}
	return true
}

func defaultPath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndex(p, "/")
	if i == 0 {
		return "/"
	}
	return p[:i]
}

func sameSiteName(s http.SameSite) string {
	switch s {
	case http.SameSiteLaxMode:
		return "lax"
	case http.SameSiteStrictMode:
		return "strict"
	case http.SameSiteNoneMode:
		return "none"
	}
	return ""
}

func sameSiteMode(s string) http.SameSite {
	switch s {
	case "lax":
		return http.SameSiteLaxMode
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	return http.SameSiteDefaultMode
}

func (j *jar) snapshotLocked() []*savedCookie {
	now := j.now()
	out := make([]*savedCookie, 0, len(j.entries))
	for _, c := range j.entries {
		if c.live(now) {
			cc := *c
			out = append(out, &cc)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].URL != out[b].URL {
			return out[a].URL < out[b].URL
		}
		if out[a].Name != out[b].Name {
			return out[a].Name < out[b].Name
		}
		return out[a].Path < out[b].Path
	})
	return out
}

// build checks the version of a saved jar and builds it with [buildJar].
func (f *jarFile) build(now func() time.Time) (*jar, error) {
	if f.Version != jarVersion {
		return nil, fmt.Errorf("%w: unsupported jar version %d", ErrSessionFile, f.Version)
	}
	return buildJar(f.Cookies, now)
}

// buildJar makes the jar that saved cookies describe, as if the server
// had just set them; the new jar counts as unchanged. A malformed cookie
// gives an error matching [ErrSessionFile].
func buildJar(cookies []*savedCookie, now func() time.Time) (*jar, error) {
	j := newJar(now)
	if err := j.replay(cookies); err != nil {
		return nil, err
	}
	j.changes = 0
	return j, nil
}

// snapshot returns a copy of every live cookie, in a deterministic order.
func (j *jar) snapshot() []*savedCookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.snapshotLocked()
}

// replay puts saved cookies into the (empty) jar, as if the server had
// just set them.
func (j *jar) replay(cookies []*savedCookie) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	for i, c := range cookies {
		if c == nil {
			return fmt.Errorf("%w: cookie %d is null", ErrSessionFile, i)
		}
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: cookie %d has a bad url", ErrSessionFile, i)
		}
		if c.Name == "" || !validCookieText(c.Name) || !validCookieText(c.Value) {
			return fmt.Errorf("%w: cookie %d is malformed", ErrSessionFile, i)
		}
		if !c.live(now) {
			continue
		}
		hc := &http.Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path,
			Secure: c.Secure, HttpOnly: c.HTTPOnly, SameSite: sameSiteMode(c.SameSite)}
		if c.Expires != 0 {
			hc.Expires = time.Unix(c.Expires, 0)
		}
		j.setLocked(u, []*http.Cookie{hc})
	}
	return nil
}

func validCookieText(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f || s[i] == ';' {
			return false
		}
	}
	return true
}

// clearFor forgets every cookie. The client calls it to start a fresh
// session on u.
func (j *jar) clearFor(u *url.URL) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.entries) > 0 {
		j.changes++
	}
	j.jar = newStdJar()
	j.entries = make(map[string]*savedCookie)
}

// changeCount returns a counter that grows whenever the jar's content
// changes.
func (j *jar) changeCount() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changes
}

const (
	maxCookiesPerDomain = 50
	maxCookieSize       = 4096
	maxCookiePath       = 1024
	maxJarSaved         = 640 << 10
)
