package mwauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzLoadJar: a saved jar either fails to load with an error or loads,
// and what it saves again loads too and is the same.
func FuzzLoadJar(f *testing.F) {
	f.Add(saveJar(f, newJar(func() time.Time { return time.Unix(1_700_000_000, 0) })))
	f.Add([]byte(`{"version":1,"cookies":[{"url":"http://127.0.0.1:8080/","name":"localwiki_session","value":"v","path":"/","httponly":true}]}`))
	f.Add([]byte(`{"version":1,"cookies":[{"host":"wiki.example.org","name":"a","value":"b","domain":"example.org","path":"/","expires":32503680000,"secure":true,"samesite":"lax"}]}`))
	f.Add([]byte(`{"version":1,"cookies":[{"host":"wiki.example.org","name":"a","value":{"base64":"/w=="},"path":{"base64":"L/8="}}]}`))
	f.Add([]byte(`{"version":2,"cookies":[]}`))
	f.Add([]byte(`{"version":1,"cookies":[null]}`))
	f.Add([]byte(`{"version":1,"cookies":[{"url":"::","name":""}]}`))
	f.Add([]byte(`{"version":1,"cook`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := loadJar(b, time.Now)
		if err != nil {
			return
		}
		saved := saveJar(t, j)
		again, err := loadJar(saved, time.Now)
		if err != nil {
			t.Fatalf("a saved jar does not load again: %v", err)
		}
		if string(saveJar(t, again)) != string(saved) {
			t.Fatal("a saved jar changes when loaded and saved again")
		}
	})
}

// The URLs FuzzJarRoundTrip sets cookies from and compares: hosts with
// ports, capitals, trailing dots, IDN labels, IP addresses, public
// suffixes; paths with invalid UTF-8; schemes the jar ignores.
var (
	fuzzHosts = []string{"wiki.example.org", "WIKI.Example.ORG.", "de.example.org:8443", "example.org",
		"wiki.bücher.example", "xn--bcher-kva.example", "127.0.0.1:8080", "127.0.0.1", "[::1]:8080", "[::1]",
		"localhost", "github.io", "x.github.io", "co.uk", "wiki.example.co.uk", "wiki.example.org.."}
	fuzzPaths   = []string{"", "/", "/w/api.php", "/w/", "/a/b/c", "/%FF/x", "/w/index.php/%E2%82/y"}
	fuzzSchemes = []string{"https", "http", "wss", "ws"}
)

func fuzzURL(t *testing.T, sel, path byte) *url.URL {
	raw := fuzzSchemes[int(sel)%len(fuzzSchemes)] + "://" + fuzzHosts[int(sel)/len(fuzzSchemes)%len(fuzzHosts)] +
		fuzzPaths[int(path)%len(fuzzPaths)]
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("bad fuzz URL %q: %v", raw, err)
	}
	return u
}

// FuzzJarRoundTrip (issue 11, bug 6): after any sequence of Set-Cookie
// headers from any of the URLs above, a save and a load give a jar that
// sends exactly the same cookies (name, value, quoting, order) to every
// URL, and whose record holds only cookies the standard jar holds.
//
// The script is lines: byte 0 picks scheme and host, byte 1 the path,
// the rest is Set-Cookie headers separated by tabs, or "!clear" for
// clearFor. The jar reads the wall clock, as the standard jar does.
func FuzzJarRoundTrip(f *testing.F) {
	for _, seed := range []string{
		"\x00\x02wiki_session=abc; Path=/; HttpOnly\tUserID=1; Max-Age=3600; Path=/\tToken=t; Secure; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
		"\x04\x00d=1; Domain=example.org; Path=/\th=2",
		"\x10\x05p=1\tq=2; Path=/%FF",
		"\x18\x00a=1; Domain=.127.0.0.1\tb=2; Domain=127.0.0.1\tc=3",
		"\x20\x02a=1; Domain=::1\tb=2",
		"\x02\x01w=1; Path=/\n\x03\x01v=1",
		"\x30\x00a=1; Domain=github.io\tb=2; Domain=x.github.io",
		"\x00\x02z=1; Path=/\ty=2; Path=/w\tx=3\n\x00\x02z=rotated; Path=/\n\x00\x02x=gone; Max-Age=-1",
		"\x00\x02q=\"quoted value\"; Path=/\tr=\"\"",
		"\x00\x02a=1; Domain=example.org\n\x08\x02b=2; Domain=example.org\n\x00\x00!clear",
		"\x3c\x00s=1; Domain=example.org\tt=2\n\x00\x02s=old; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, script string) {
		j := newJar(time.Now)
		for _, line := range strings.Split(script, "\n") {
			if len(line) < 2 {
				continue
			}
			u := fuzzURL(t, line[0], line[1])
			if line[2:] == "!clear" {
				j.clearFor(u)
				continue
			}
			resp := &http.Response{Header: http.Header{"Set-Cookie": strings.Split(line[2:], "\t")}}
			j.SetCookies(u, resp.Cookies())
		}
		snap := j.snapshot()
		b, err := json.Marshal(snap)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) || len(b) > maxJarSaved {
			t.Fatalf("saved jar of %d bytes", len(b))
		}
		var back []*savedCookie
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		loaded, err := buildJar(back, time.Now)
		if err != nil {
			t.Fatalf("a saved jar does not load: %v", err)
		}
		if again := loaded.snapshot(); !reflect.DeepEqual(snap, again) {
			t.Fatalf("the record changed across save and load:\n%s", diffRecords(snap, again))
		}
		for _, scheme := range []string{"https", "http"} {
			for _, host := range fuzzHosts {
				for _, p := range []string{"/", "/w/api.php", "/%FF/x", "/a/b/c"} {
					u, err := url.Parse(scheme + "://" + host + p)
					if err != nil {
						t.Fatal(err)
					}
					if want, got := j.Cookies(u), loaded.Cookies(u); !reflect.DeepEqual(want, got) {
						t.Fatalf("%s: sent %s before saving, %s after loading", u, cookieList(want), cookieList(got))
					}
				}
			}
		}
		// Every recorded cookie is one the standard jar holds and sends.
		for _, c := range snap {
			u := &url.URL{Scheme: "https", Host: replayHostport(c.Host), Path: string(c.Path)}
			if c.Domain != "" {
				u.Host = replayHostport(c.Domain)
			}
			found := false
			for _, sent := range j.Cookies(u) {
				found = found || (sent.Name == string(c.Name) && sent.Value == string(c.Value))
			}
			if !found {
				t.Fatalf("the record holds a cookie the standard jar does not send to %s", u)
			}
		}
	})
}

func cookieList(cs []*http.Cookie) string {
	var parts []string
	for _, c := range cs {
		q := ""
		if cookieQuoted(c) {
			q = "(quoted)"
		}
		parts = append(parts, c.Name+"="+c.Value+q)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func diffRecords(a, b []*savedCookie) string {
	x, _ := json.MarshalIndent(a, "", " ")
	y, _ := json.MarshalIndent(b, "", " ")
	return string(x) + "\n---\n" + string(y)
}
