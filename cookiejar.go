package mwauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// Limits on what a jar keeps, as browsers have them. They bound the
// session file: the largest jar they allow saves in well under
// maxSessionFile (TestLargestJarFitsSessionFile), so that every file a
// save writes loads again.
const (
	// maxCookiesPerDomain bounds the cookies of one registrable domain
	// (example.org for wiki.example.org); the least recently set go first.
	maxCookiesPerDomain = 50
	// maxCookies bounds the cookies of all domains together.
	maxCookies = 3000
	// maxCookieSize bounds a cookie's name and value together; a larger
	// cookie is ignored, as browsers ignore it.
	maxCookieSize = 4096
	// maxCookiePath bounds a cookie's path; a cookie with a longer one is
	// ignored.
	maxCookiePath = 1024
	// maxCookieHost bounds the host name a cookie comes from.
	maxCookieHost = 255
	// maxJarSaved bounds the saved size of all cookies together, counted
	// as entrySize does; the least recently set go first. Half of
	// maxSessionFile leaves the session file ample room for its own
	// fields.
	maxJarSaved = 512 << 10
	// entryIndent is what json.MarshalIndent can add to a saved cookie:
	// for each of at most 20 lines (its fields, braces and base64
	// objects) a newline, up to 21 bytes of indent and ": ".
	entryIndent = 20 * 24
)

// jar is the Client's [http.CookieJar]. It is built on
// [net/http/cookiejar] with the public suffix list, and it also records
// every cookie that jar holds, so that the session file can hold all of
// them, session cookies included: MediaWiki's session cookie has no
// expiry, and it is what keeps a bot logged in. [jar.snapshot] and
// [buildJar] move that record to and from the session file; a cookie is
// loaded by replaying it into a fresh standard jar from the host that set
// it.
//
// The record mirrors the standard jar's rules (host canonicalisation,
// domain matching, the public suffix list, expiry), so that after a save
// and a load the jar sends exactly the same cookies, in the same order,
// to every URL. It also bounds what it keeps (maxCookiesPerDomain,
// maxCookies, maxCookieSize, maxCookiePath, maxJarSaved) and removes
// what it drops from the standard jar too.
//
// The standard jar reads the wall clock; now must be the wall clock too
// outside of tests, or the two disagree about which cookies expired.
//
// A jar is safe for concurrent use. It has no exported methods besides
// those of http.CookieJar, and it prints nothing of its cookies: every
// field that holds one is behind a pointer.
type jar struct {
	mu  sync.Mutex // guards rec
	rec *jarRecord
	now func() time.Time
}

// jarRecord is the standard jar and the record of what it holds. Every
// field that holds a cookie name or value is a pointer: fmt prints the
// contents of a struct only at the top level, even for a wrong verb.
type jarRecord struct {
	std     *cookiejar.Jar
	idx     *jarIndex
	size    int    // sum of entry sizes
	created uint64 // last creation stamp given out
	used    uint64 // last use stamp given out
	changes uint64
}

type jarIndex struct {
	entries map[entryKey]*jarEntry
	perKey  map[string]int // entries by jar key
}

// entryKey identifies a cookie as the standard jar does: by its jar key
// (the registrable domain of the host that set it) and
// "domain;path;name".
type entryKey struct{ sub, id string }

type jarEntry struct {
	c       savedCookie
	created uint64 // order of creation, kept when the cookie is updated
	used    uint64 // order of the last set, for eviction
	size    int
}

// savedCookie is one cookie of the session file.
type savedCookie struct {
	// Host is the host that set the cookie, as the standard jar files it:
	// no port or trailing dot, punycode, lower case. The cookie is
	// loaded by replaying it from that host.
	Host string `json:"host,omitempty"`
	// URL is the origin of the cookie in files of mwauth v0.1; it is read
	// when Host is empty and never written.
	URL    string  `json:"url,omitempty"`
	Name   jarText `json:"name"`
	Value  jarText `json:"value"`
	Quoted bool    `json:"quoted,omitempty"`
	// Domain is set for domain cookies only, without a leading dot.
	Domain string  `json:"domain,omitempty"`
	Path   jarText `json:"path"`
	// Expires is the expiry in Unix seconds, rounded up; 0 for a session
	// cookie.
	Expires  int64  `json:"expires,omitempty"`
	Secure   bool   `json:"secure,omitempty"`
	HTTPOnly bool   `json:"httponly,omitempty"`
	SameSite string `json:"samesite,omitempty"`
}

// jarVersion is the version of the jar member of the session file.
const jarVersion = 1

// jarFile is the jar member of the session file.
type jarFile struct {
	Version int            `json:"version"`
	Cookies []*savedCookie `json:"cookies"`
}

// build checks the version of a saved jar and builds it with [buildJar].
func (f *jarFile) build(now func() time.Time) (*jar, error) {
	if f.Version != jarVersion {
		return nil, fmt.Errorf("%w: unsupported jar version %d", ErrSessionFile, f.Version)
	}
	return buildJar(f.Cookies, now)
}

// jarText is a cookie string saved byte for byte: valid UTF-8 as a JSON
// string, anything else as {"base64": "..."}, since encoding/json would
// replace each invalid byte by U+FFFD. A request path such as /%FF/ gives
// a cookie such a default path.
type jarText string

type jarBytes struct {
	Base64 *string `json:"base64"`
}

func (s jarText) MarshalJSON() ([]byte, error) {
	if utf8.ValidString(string(s)) {
		return json.Marshal(string(s))
	}
	b64 := base64.StdEncoding.EncodeToString([]byte(s))
	return json.Marshal(jarBytes{Base64: &b64})
}

func (s *jarText) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '{' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = jarText(str)
		return nil
	}
	var o jarBytes
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil {
		return err
	}
	if o.Base64 == nil {
		return errors.New("text object without base64")
	}
	raw, err := base64.StdEncoding.DecodeString(*o.Base64)
	if err != nil {
		return err
	}
	*s = jarText(raw)
	return nil
}

// newJar returns an empty jar whose record expires cookies by now.
func newJar(now func() time.Time) *jar {
	return &jar{rec: newJarRecord(), now: now}
}

func newJarRecord() *jarRecord {
	// cookiejar.New never fails with the options given here.
	std, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	return &jarRecord{std: std, idx: &jarIndex{entries: make(map[entryKey]*jarEntry), perKey: make(map[string]int)}}
}

// Cookies implements [http.CookieJar].
func (j *jar) Cookies(u *url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rec.std.Cookies(u)
}

// SetCookies implements [http.CookieJar]. The jar keeps what the standard
// jar keeps, within its limits; a cookie beyond them is not kept at all.
func (j *jar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.setLocked(u, cookies)
}

func (j *jar) setLocked(u *url.URL, cookies []*http.Cookie) {
	if u == nil || (u.Scheme != "http" && u.Scheme != "https") {
		// The standard jar ignores other schemes (ws, wss) too.
		return
	}
	host, ok := replayableHost(u.Host)
	if !ok {
		return
	}
	r := j.rec
	sub := jarKeyOf(host)
	defPath := defaultCookiePath(u.Path)
	now := j.now()
	for _, c := range cookies {
		if c == nil || c.Name == "" || len(c.Name)+len(c.Value) > maxCookieSize {
			continue
		}
		path := c.Path
		if path == "" || path[0] != '/' {
			path = defPath
		}
		if len(path) > maxCookiePath {
			continue
		}
		domain, hostOnly, ok := cookieDomain(host, c.Domain)
		if !ok {
			continue
		}
		key := entryKey{sub: sub, id: domain + ";" + path + ";" + c.Name}
		old := r.idx.entries[key]
		var expires time.Time
		remove := false
		switch {
		case c.MaxAge < 0:
			remove = true
		case c.MaxAge > 0:
			expires = now.Add(time.Duration(c.MaxAge) * time.Second)
		case c.Expires.IsZero():
		case !c.Expires.After(now):
			remove = true
		default:
			expires = c.Expires
		}
		if remove {
			r.std.SetCookies(u, []*http.Cookie{c})
			if old != nil {
				r.forget(key, old)
				r.changes++
			}
			continue
		}
		if old != nil && !old.c.live(now) {
			// The standard jar may not have noticed yet that the old
			// cookie expired, and would then keep its creation time: make
			// it forget the cookie, so that both see a new one.
			r.std.SetCookies(u, []*http.Cookie{{Name: c.Name, Path: path, Domain: c.Domain, MaxAge: -1}})
			r.forget(key, old)
			old = nil
		}
		r.std.SetCookies(u, []*http.Cookie{c})
		e := &jarEntry{c: savedCookie{Host: host, Name: jarText(c.Name), Value: jarText(c.Value), Quoted: cookieQuoted(c),
			Path: jarText(path), Expires: unixCeil(expires), Secure: c.Secure, HTTPOnly: c.HttpOnly,
			SameSite: sameSiteName(c.SameSite)}}
		if !hostOnly {
			e.c.Domain = domain
		}
		r.used++
		e.used = r.used
		if old != nil && old.c == e.c {
			// The same cookie again (a wiki sets its session cookie on every
			// answer): only its recency changes, and its size is known.
			old.used = e.used
			continue
		}
		if old != nil {
			e.created = old.created
			r.changes++
			r.forget(key, old)
		} else {
			r.created++
			e.created = r.created
			r.changes++
		}
		e.size = entrySize(&e.c)
		r.idx.entries[key] = e
		r.idx.perKey[sub]++
		r.size += e.size
		r.enforceLimits(sub, now)
	}
}

// enforceLimits evicts the least recently set cookies until the jar is
// within its limits again; sub is the jar key that just grew.
func (r *jarRecord) enforceLimits(sub string, now time.Time) {
	for r.idx.perKey[sub] > maxCookiesPerDomain {
		r.evict(r.leastRecent(func(k entryKey) bool { return k.sub == sub }))
	}
	if len(r.idx.entries) <= maxCookies && r.size <= maxJarSaved {
		return
	}
	for k, e := range r.idx.entries {
		if !e.c.live(now) {
			r.evict(k)
		}
	}
	for len(r.idx.entries) > maxCookies || r.size > maxJarSaved {
		r.evict(r.leastRecent(func(entryKey) bool { return true }))
	}
}

func (r *jarRecord) leastRecent(match func(entryKey) bool) entryKey {
	var best entryKey
	var bestUsed uint64 = math.MaxUint64
	for k, e := range r.idx.entries {
		if e.used < bestUsed && match(k) {
			best, bestUsed = k, e.used
		}
	}
	return best
}

// evict removes a recorded cookie from the standard jar and the record.
func (r *jarRecord) evict(k entryKey) {
	e, ok := r.idx.entries[k]
	if !ok {
		return
	}
	r.std.SetCookies(replayURL(e.c.Host), []*http.Cookie{{Name: string(e.c.Name), Path: string(e.c.Path),
		Domain: e.c.Domain, MaxAge: -1}})
	r.forget(k, e)
	r.changes++
}

// forget removes e from the record only.
func (r *jarRecord) forget(k entryKey, e *jarEntry) {
	delete(r.idx.entries, k)
	r.size -= e.size
	if r.idx.perKey[k.sub]--; r.idx.perKey[k.sub] <= 0 {
		delete(r.idx.perKey, k.sub)
	}
}

// entrySize is what c takes in a session file, indented, at most.
func entrySize(c *savedCookie) int {
	b, err := json.Marshal(c)
	if err != nil {
		return maxJarSaved
	}
	return len(b) + entryIndent
}

// live reports whether the cookie has not expired at now.
func (c *savedCookie) live(now time.Time) bool {
	return c.Expires == 0 || time.Unix(c.Expires, 0).After(now)
}

// unixCeil is t in Unix seconds, rounded up so that a loaded cookie never
// expires before the saved one; 0 for the zero time.
func unixCeil(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// snapshot returns a copy of every live cookie, in the order they were
// created, which is the order buildJar must replay them in.
func (j *jar) snapshot() []*savedCookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	es := make([]*jarEntry, 0, len(j.rec.idx.entries))
	for _, e := range j.rec.idx.entries {
		if e.c.live(now) {
			es = append(es, e)
		}
	}
	sort.Slice(es, func(a, b int) bool { return es[a].created < es[b].created })
	out := make([]*savedCookie, len(es))
	for i, e := range es {
		c := e.c
		out[i] = &c
	}
	return out
}

// buildJar makes the jar that saved cookies describe by replaying them,
// in order, from the hosts that set them, as if the server had just set
// them; the new jar counts as unchanged. Expired cookies are skipped. A
// cookie the jar would not have saved gives an error matching
// [ErrSessionFile]; no error quotes a cookie's value.
func buildJar(cookies []*savedCookie, now func() time.Time) (*jar, error) {
	j := newJar(now)
	t := now()
	for i, c := range cookies {
		hc, host, err := c.replay()
		if err != nil {
			return nil, fmt.Errorf("%w: cookie %d: %v", ErrSessionFile, i, err)
		}
		if !c.live(t) {
			continue
		}
		j.setLocked(replayURL(host), []*http.Cookie{hc})
	}
	j.rec.changes = 0
	return j, nil
}

// replay checks a saved cookie and returns the cookie and the host to
// set it from.
func (c *savedCookie) replay() (*http.Cookie, string, error) {
	if c == nil {
		return nil, "", errors.New("null")
	}
	host := replayHostport(c.Host)
	if c.Host == "" && c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, "", errors.New("bad url")
		}
		host = u.Host
	}
	canon, ok := replayableHost(host)
	if !ok || (c.Host != "" && canon != c.Host) {
		return nil, "", errors.New("bad host")
	}
	switch {
	case c.Name == "":
		return nil, "", errors.New("no name")
	case len(c.Name)+len(c.Value) > maxCookieSize:
		return nil, "", errors.New("too large")
	case len(c.Path) == 0 || c.Path[0] != '/' || len(c.Path) > maxCookiePath:
		return nil, "", errors.New("bad path")
	case c.Expires < 0:
		return nil, "", errors.New("bad expiry")
	}
	if _, _, ok := cookieDomain(canon, c.Domain); !ok {
		return nil, "", errors.New("domain does not match the host")
	}
	ss, ok := sameSiteMode(c.SameSite)
	if !ok {
		return nil, "", errors.New("bad samesite")
	}
	hc := &http.Cookie{Name: string(c.Name), Value: string(c.Value), Domain: c.Domain, Path: string(c.Path),
		Secure: c.Secure, HttpOnly: c.HTTPOnly, SameSite: ss}
	if c.Expires != 0 {
		hc.Expires = time.Unix(c.Expires, 0)
	}
	setCookieQuoted(hc, c.Quoted)
	return hc, canon, nil
}

// clearFor forgets every cookie the jar would send to u's host, domain
// cookies of its parent domains included, and keeps other hosts'.
func (j *jar) clearFor(u *url.URL) {
	host, ok := replayableHost(u.Host)
	if !ok {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for k, e := range j.rec.idx.entries {
		d := e.c.Domain
		if d == "" {
			if e.c.Host == host {
				j.rec.evict(k)
			}
			continue
		}
		if host == d || hasDotSuffix(host, d) {
			j.rec.evict(k)
		}
	}
}

// changeCount returns a counter that grows whenever the jar's content
// changes: a cookie added, changed (a rotated value) or removed.
func (j *jar) changeCount() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.rec.changes
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

func sameSiteMode(s string) (http.SameSite, bool) {
	switch s {
	case "":
		return http.SameSiteDefaultMode, true
	case "lax":
		return http.SameSiteLaxMode, true
	case "strict":
		return http.SameSiteStrictMode, true
	case "none":
		return http.SameSiteNoneMode, true
	}
	return 0, false
}

// ---- the standard jar's rules ----
//
// The functions below restate how net/http/cookiejar files a cookie
// (RFC 6265 with its own choices for IP addresses, trailing dots and
// IDN hosts), so that the record keys a cookie exactly as the standard
// jar does. FuzzJarRoundTrip checks them against it.

// replayableHost returns the host name the standard jar files the
// cookies of hostport under, if the jar records them: the standard jar's
// own result, limited to maxCookieHost bytes, never empty, and such that
// replayURL of it gives it back.
func replayableHost(hostport string) (string, bool) {
	if len(hostport) > 4*maxCookieHost {
		return "", false
	}
	h, ok := canonicalCookieHost(hostport)
	if !ok || h == "" || len(h) > maxCookieHost {
		return "", false
	}
	if back, ok := canonicalCookieHost(replayHostport(h)); !ok || back != h {
		return "", false
	}
	return h, true
}

// canonicalCookieHost strips the port and one trailing dot, writes IDN
// labels in punycode and lowers the case, as the standard jar does. A
// host that is not printable ASCII then is refused (the standard jar
// would file its cookies under the empty host).
func canonicalCookieHost(h string) (string, bool) {
	if stdHasPort(h) {
		var err error
		if h, _, err = net.SplitHostPort(h); err != nil {
			return "", false
		}
	}
	h = strings.TrimSuffix(h, ".")
	h, err := punycodeHost(h)
	if err != nil {
		return "", false
	}
	return lowerPrintable(h)
}

// stdHasPort is the standard jar's test for a port in a host.
func stdHasPort(h string) bool {
	switch strings.Count(h, ":") {
	case 0:
		return false
	case 1:
		return true
	}
	return h[0] == '[' && strings.Contains(h, "]:")
}

// replayHostport returns a URL host that canonicalCookieHost turns into
// h: h with a trailing dot (which canonicalisation strips, so that a
// host ending in a dot keeps it), in brackets with a port when h holds
// a colon.
func replayHostport(h string) string {
	if stdHasPort(h + ".") {
		return "[" + h + ".]:1"
	}
	return h + "."
}

// replayURL is the URL a saved cookie of host is replayed from.
func replayURL(host string) *url.URL {
	return &url.URL{Scheme: "https", Host: replayHostport(host), Path: "/"}
}

// lowerPrintable lowers s if it is printable ASCII.
func lowerPrintable(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return "", false
		}
	}
	return strings.ToLower(s), true
}

// jarKeyOf is the standard jar's key for host: its registrable domain
// (eTLD+1), or host itself for IP addresses and public suffixes.
func jarKeyOf(host string) string {
	if isIPHost(host) {
		return host
	}
	suffix := publicsuffix.List.PublicSuffix(host)
	if suffix == host {
		return host
	}
	i := len(host) - len(suffix)
	if i <= 0 || host[i-1] != '.' {
		return host
	}
	return host[strings.LastIndex(host[:i-1], ".")+1:]
}

// isIPHost is the standard jar's test for an IP address: a colon or a
// percent sign (never in a host name) counts as one.
func isIPHost(host string) bool {
	return strings.ContainsAny(host, ":%") || net.ParseIP(host) != nil
}

func hasDotSuffix(s, suffix string) bool {
	return len(s) > len(suffix) && s[len(s)-len(suffix)-1] == '.' && s[len(s)-len(suffix):] == suffix
}

// defaultCookiePath is the path a cookie without one gets (RFC 6265
// section 5.1.4).
func defaultCookiePath(p string) string {
	if p == "" || p[0] != '/' {
		return "/"
	}
	i := strings.LastIndex(p, "/")
	if i == 0 {
		return "/"
	}
	return p[:i]
}

// cookieDomain returns the domain the standard jar gives a cookie with
// Domain attribute attr set by host, and whether it is a host cookie; ok
// is false when the standard jar refuses the cookie.
func cookieDomain(host, attr string) (domain string, hostOnly, ok bool) {
	if attr == "" {
		return host, true, true
	}
	if isIPHost(host) {
		// An IP address may name itself, exactly, and the cookie is then
		// a host cookie.
		return host, true, host == attr
	}
	d := strings.TrimPrefix(attr, ".")
	if d == "" || d[0] == '.' {
		return "", false, false
	}
	d, ok = lowerPrintable(d)
	if !ok || d[len(d)-1] == '.' {
		return "", false, false
	}
	if ps := publicsuffix.List.PublicSuffix(d); ps != "" && !hasDotSuffix(d, ps) {
		// A public suffix may only name the host itself.
		return host, true, host == d
	}
	if host != d && !hasDotSuffix(host, d) {
		return "", false, false
	}
	return d, false, true
}

// punycodeHost writes each label of h that is not ASCII as "xn--" and its
// punycode (RFC 3492), without any other IDNA mapping, as the standard
// jar does.
func punycodeHost(h string) (string, error) {
	ascii := true
	for i := 0; i < len(h); i++ {
		if h[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return h, nil
	}
	labels := strings.Split(h, ".")
	for i, l := range labels {
		for k := 0; k < len(l); k++ {
			if l[k] >= utf8.RuneSelf {
				enc, err := punycode(l)
				if err != nil {
					return "", err
				}
				labels[i] = "xn--" + enc
				break
			}
		}
	}
	return strings.Join(labels, "."), nil
}

// Punycode parameters, RFC 3492 section 5.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
)

var errPunycode = errors.New("punycode overflow")

// punycode encodes label (RFC 3492 section 6.3), with int32 arithmetic
// and its overflow checks. Invalid UTF-8 counts as U+FFFD.
func punycode(label string) (string, error) {
	runes := []rune(label)
	out := make([]byte, 0, 2*len(label))
	for _, r := range runes {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
		}
	}
	basic := int32(len(out))
	if basic > 0 {
		out = append(out, '-')
	}
	n, bias, delta, done := int32(pcInitialN), int32(pcInitialBias), int32(0), basic
	for int(done) < len(runes) {
		next := int32(math.MaxInt32)
		for _, r := range runes {
			if r >= n && r < next {
				next = r
			}
		}
		if delta += (next - n) * (done + 1); delta < 0 {
			return "", errPunycode
		}
		n = next
		for _, r := range runes {
			if r < n {
				if delta++; delta < 0 {
					return "", errPunycode
				}
				continue
			}
			if r > n {
				continue
			}
			q := delta
			for k := int32(pcBase); ; k += pcBase {
				t := min(max(k-bias, pcTMin), pcTMax)
				if q < t {
					break
				}
				out = append(out, punycodeDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, punycodeDigit(q))
			bias = punycodeBias(delta, done+1, done == basic)
			delta = 0
			done++
		}
		delta++
		n++
	}
	return string(out), nil
}

func punycodeDigit(d int32) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

// punycodeBias is RFC 3492's bias adaptation (section 6.1).
func punycodeBias(delta, points int32, first bool) int32 {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / points
	k := int32(0)
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}
