package mwauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/publicsuffix"
)

// jarVersion is the version of the JSON format written by [Jar.Save].
const jarVersion = 1

// maxJarFile bounds what LoadJar reads: a session is a few cookies.
const maxJarFile = 1 << 20

// Jar is an [http.CookieJar] that can be saved and loaded. It is built on
// [net/http/cookiejar] with the public suffix list, and it also records
// every cookie it accepts, so that [Jar.Save] can write all of them,
// session cookies included: MediaWiki's session cookie has no expiry, and
// it is what keeps a bot logged in.
//
// A saved jar is a credential: whoever holds the file holds the session.
// Use [Jar.SaveFile], which writes with mode 0600, and keep it private.
//
// A Jar is safe for concurrent use. Its String, GoString and LogValue
// methods print the number of cookies, never their values.
type Jar struct {
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

// NewJar returns an empty Jar.
func NewJar() *Jar { return newJarAt(time.Now) }

func newJarAt(now func() time.Time) *Jar {
	j := &Jar{entries: make(map[string]*savedCookie), now: now}
	j.jar = newStdJar()
	return j
}

func newStdJar() *cookiejar.Jar {
	// cookiejar.New never fails with the options given here.
	cj, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	return cj
}

// Cookies implements [http.CookieJar].
func (j *Jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.jar.Cookies(u)
}

// SetCookies implements [http.CookieJar]. Cookies the underlying jar
// would reject (a domain that does not match, a public suffix) are not
// recorded either.
func (j *Jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.setLocked(u, cookies)
}

func (j *Jar) setLocked(u *url.URL, cookies []*http.Cookie) {
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
func (j *Jar) accepted(u *url.URL, c *http.Cookie) bool {
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

// Len returns the number of unexpired cookies the jar holds.
func (j *Jar) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	n := 0
	for _, c := range j.entries {
		if c.live(now) {
			n++
		}
	}
	return n
}

// Save writes every unexpired cookie, session cookies included, as
// versioned JSON. The output is a credential.
func (j *Jar) Save(w io.Writer) error {
	b, err := j.marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func (j *Jar) marshal() ([]byte, error) {
	j.mu.Lock()
	f := jarFile{Version: jarVersion, Cookies: j.snapshotLocked()}
	j.mu.Unlock()
	return json.MarshalIndent(f, "", "  ")
}

func (j *Jar) snapshotLocked() []*savedCookie {
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

// LoadJar reads a jar written by [Jar.Save]. Expired cookies are dropped.
// A file that is not a saved jar gives an error matching [ErrSessionFile].
func LoadJar(r io.Reader) (*Jar, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxJarFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJarFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSessionFile, maxJarFile)
	}
	return loadJarBytes(b, time.Now)
}

func loadJarBytes(b []byte, now func() time.Time) (*Jar, error) {
	var f jarFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSessionFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the jar", ErrSessionFile)
	}
	return f.build(now)
}

// build makes the Jar a saved jar describes, as if the server had just
// set its cookies; the new Jar counts as unchanged.
func (f *jarFile) build(now func() time.Time) (*Jar, error) {
	if f.Version != jarVersion {
		return nil, fmt.Errorf("%w: unsupported jar version %d", ErrSessionFile, f.Version)
	}
	j := newJarAt(now)
	if err := j.replay(f.Cookies); err != nil {
		return nil, err
	}
	j.changes = 0
	return j, nil
}

// replay puts saved cookies into the (empty) jar, as if the server had
// just set them.
func (j *Jar) replay(cookies []*savedCookie) error {
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

// clear forgets every cookie. The client calls it to start a fresh
// session.
func (j *Jar) clear() {
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
func (j *Jar) changeCount() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changes
}

// String describes the jar without any cookie name or value.
func (j *Jar) String() string { return fmt.Sprintf("mwauth.Jar{cookies: %d}", j.Len()) }

// GoString is like String, so %#v cannot print values either.
func (j *Jar) GoString() string { return j.String() }

// LogValue implements [slog.LogValuer].
func (j *Jar) LogValue() slog.Value { return slog.IntValue(j.Len()) }
