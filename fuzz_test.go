package mwauth

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
)

// seedBodies are real shapes of api.php answers (scrubbed) plus broken
// ones; they seed every fuzz target that reads server output.
var seedBodies = []string{
	`{"batchcomplete":true,"query":{"tokens":{"logintoken":"0123456789abcdef0123456789abcdef6b0277bf+\\"}}}`,
	`{"login":{"result":"Success","lguserid":1,"lgusername":"Admin"}}`,
	`{"login":{"result":"Failed","reason":{"code":"wrongpassword","text":"Incorrect username or password entered."}}}`,
	`{"login":{"result":"Failed","reason":"Incorrect username or password entered."}}`,
	`{"warnings":[{"code":"deprecation","text":"x","data":{"feature":"main-account-login"},"module":"login"}],"login":{"result":"Success","lguserid":4,"lgusername":"Alice"}}`,
	`{"warnings":{"login":{"*":"a\nb"}},"login":{"result":"NeedToken","token":"t+\\"}}`,
	`{"errors":[{"code":"badtoken","text":"Invalid CSRF token.","module":"clientlogin"}],"docref":"See"}`,
	`{"error":{"code":"maxlag","info":"Waiting","host":"db","lag":5,"type":"db"}}`,
	`{"clientlogin":{"status":"UI","requests":[{"id":"MediaWiki\\Extension\\OATHAuth\\Auth\\TOTPAuthenticationRequest","metadata":{},"required":"required","provider":"Two-factor authentication (OATH).","account":"TwoFAUser","fields":{"OATHToken":{"type":"string","label":"Token","help":"Help","optional":false,"sensitive":false}}}],"message":"Enter","messagecode":"oathauth-auth-ui"}}`,
	`{"clientlogin":{"status":"UI","requests":[{"id":"x","metadata":[],"required":"required","provider":{"key":"k","params":[]},"account":"","fields":[]}],"fields":{"a":{"type":"select","options":{"x":"X","y":"Y"},"optional":""}},"message":{"key":"k","params":[]},"messagecode":"k"}}`,
	`{"clientlogin":{"status":"REDIRECT","redirecttarget":"http://127.0.0.1/idp?state=1","redirectdata":{"state":"1"},"requests":[]}}`,
	`{"clientlogin":{"status":"FAIL","message":"m","messagecode":"wrongpassword","canpreservestate":""}}`,
	`{"clientlogin":{"status":"PASS","username":"Alice"}}`,
	`{"clientlogin":{"status":"ABSTAIN"}}`,
	`{"query":{"authmanagerinfo":{"canauthenticatenow":true,"requests":[{"id":"CaptchaAuthenticationRequest","fields":{"captchaId":{"type":"hidden","value":"123"},"captchaInfo":{"type":"null","value":"Q?"},"captchaWord":{"type":"string"}}}]}}}`,
	`{"login":{"result":"Success"`,
	`<html><body>502 Bad Gateway</body></html>`,
	`{} trailing`,
	`[]`, `null`, ``,
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range seedBodies {
		f.Add([]byte(s), 200, "application/json; charset=utf-8")
	}
	f.Add([]byte("<html>"), 502, "text/html")
	f.Fuzz(func(t *testing.T, body []byte, status int, ct string) {
		env, err := wire.Decode(status, ct, body)
		if err == nil && env == nil {
			t.Fatal("nil envelope without error")
		}
		if err == nil && len(env.Errors) > 0 {
			ae := apiErrorFrom(env.Errors, nil)
			_ = ae.Error()
		}
	})
}

func FuzzClientLoginStep(f *testing.F) {
	for _, s := range seedBodies {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b struct {
			ClientLogin *wire.ClientLoginResult `json:"clientlogin"`
		}
		if json.Unmarshal(body, &b) != nil || b.ClientLogin == nil {
			return
		}
		s, err := stepFrom(b.ClientLogin)
		if err != nil {
			return
		}
		_ = s.Fields()
		_ = s.Answer(map[string]string{"x": "y"})
		_ = s.Err()
		var a struct {
			Query struct {
				AMI *wire.AuthManagerInfo `json:"authmanagerinfo"`
			} `json:"query"`
		}
		_ = json.Unmarshal(body, &a)
	})
}

func FuzzLoginReason(f *testing.F) {
	for _, s := range []string{`{"code":"wrongpassword","text":"x"}`, `"plain"`, `{"code":"x","*":"y"}`, `12`, `null`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var r wire.Reason
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		_ = (&LoginError{action: "login", Result: "Failed", Code: r.Code, Message: r.Text}).Error()
	})
}

// FuzzSessionFile: New loads any file content without panicking, and
// either fails with ErrSessionFile or holds a user's session.
func FuzzSessionFile(f *testing.F) {
	const ep = "http://127.0.0.1:8080/api.php"
	f.Add([]byte(`{"version":2,"endpoint":"` + ep + `","kind":"login","username":"Admin","userid":1,"saved":1767225600,"cookies":[{"url":"http://127.0.0.1:8080/","name":"localwiki_BPsession","value":"v","path":"/","httponly":true}]}`))
	f.Add([]byte(`{"version":2,"endpoint":"` + ep + `","kind":"clientlogin","username":"Alice","cookies":[]}`))
	f.Add([]byte(`{"version":2,"endpoint":"x","kind":"weird","cookies":[]}`))
	f.Add([]byte(`{"version":2,"endpoint":"` + ep + `","kind":"login","username":"","cookies":[]}`))
	f.Add([]byte(`{"version":1,"endpoint":"` + ep + `","kind":"login","username":"Admin","jar":{"version":1,"cookies":[]}}`))
	f.Add([]byte(`{"version":2,"endpoint":"` + ep + `","kind":"login","username":"Admin","cookies":[null,{"url":"::","name":""}]}`))
	f.Add([]byte(`{"vers`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "s.json")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := New(ep, WithSessionFile(p))
		if err != nil {
			if !errors.Is(err, ErrSessionFile) {
				t.Fatalf("a bad file gives %v, not ErrSessionFile", err)
			}
			return
		}
		if st := c.state(); st.kind == sessionNone || st.u.Name == "" || !st.asUser {
			t.Fatalf("a loaded file without a user's session: %+v", st)
		}
	})
}

// FuzzFlows fuzzes the server's answer to every request of the
// whole flows: a bot-password login, Resume, an edit with a token, a
// two-factor clientlogin and a logout. Whatever the server says, the
// library must succeed or return a typed error, never panic, and never
// put a secret in an error.

// Secrets of the fuzzed flows: none may appear in an error.
const (
	fuzzPassword = "fuzzbotpassword0123456789abcdefgh"
	fuzzOTP      = "864209"
	fuzzCookie   = "SECRETCOOKIEVALUE4242"
	fuzzUserPass = "fuzz-main-password-77"
)

// fuzzServer answers each request with the next record of data: a status
// byte, a Content-Type byte, a 2-byte length and the body. When data runs
// out it answers {}.
type fuzzServer struct {
	mu   sync.Mutex
	data []byte
}

func (f *fuzzServer) next() (status int, ctype string, body []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.data) < 4 {
		return 200, "application/json", []byte("{}")
	}
	statuses := []int{200, 200, 200, 200, 500, 502, 401, 302, 404, 429}
	ctypes := []string{"application/json; charset=utf-8", "application/json", "text/html", "text/plain", ""}
	status = statuses[int(f.data[0])%len(statuses)]
	ctype = ctypes[int(f.data[1])%len(ctypes)]
	n := int(binary.BigEndian.Uint16(f.data[2:4]))
	f.data = f.data[4:]
	n = min(n, len(f.data))
	body, f.data = f.data[:n], f.data[n:]
	return status, ctype, body
}

func (f *fuzzServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, ctype, body := f.next()
	http.SetCookie(w, &http.Cookie{Name: "fuzzwiki_session", Value: fuzzCookie, Path: "/", HttpOnly: true})
	if ctype != "" {
		w.Header().Set("Content-Type", ctype)
	}
	if status == 302 {
		w.Header().Set("Location", "/elsewhere")
	}
	if status == 429 {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// record encodes one answer for the seed corpus.
func record(body string) []byte {
	b := []byte{0, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(len(body)))
	return append(b, body...)
}

func seedFlow(bodies ...string) []byte {
	var out []byte
	for _, b := range bodies {
		out = append(out, record(b)...)
	}
	return out
}

// typedError reports whether err is one a caller can branch on.
func typedError(err error) bool {
	var ae *APIError
	var le *LoginError
	var re *ResponseError
	for _, s := range []error{ErrUnexpectedResponse, ErrLoginFailed, ErrNotLoggedIn, ErrOAuth, ErrSessionFile,
		ErrInvalidArgument, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, s) {
			return true
		}
	}
	return errors.As(err, &ae) || errors.As(err, &le) || errors.As(err, &re)
}

func FuzzFlows(f *testing.F) {
	tokens := `{"batchcomplete":true,"query":{"tokens":{"logintoken":"aaaa+\\","csrftoken":"bbbb+\\"}}}`
	f.Add(seedFlow(tokens, `{"login":{"result":"Success","lguserid":1,"lgusername":"Fuzz"}}`,
		`{"batchcomplete":true,"query":{"userinfo":{"id":1,"name":"Fuzz"},"tokens":{"csrftoken":"cccc+\\"}}}`,
		`{"edit":{"result":"Success"}}`,
		`{"batchcomplete":true,"query":{"authmanagerinfo":{"requests":[]},"tokens":{"logintoken":"dddd+\\"}}}`,
		`{"clientlogin":{"status":"UI","messagecode":"oathauth-auth-ui","requests":[{"id":"TOTPAuthenticationRequest","required":"required","fields":{"OATHToken":{"type":"string","label":"Token","sensitive":true}}}]}}`,
		`{"clientlogin":{"status":"PASS","username":"Fuzz"}}`, tokens, `{}`))
	f.Add(seedFlow(tokens, `{"login":{"result":"Failed","reason":{"code":"login-throttled","key":"login-throttled","params":[{"duration":60}]}}}`))
	f.Add(seedFlow(`<html>502 Bad Gateway</html>`, `{"errors":[{"code":"badtoken","text":"Invalid token","module":"main"}]}`))
	f.Add(seedFlow(tokens, `{"login":{"result":"NeedToken","token":"eeee+\\"}}`, `{"login":{"result":"WrongToken"}}`))
	f.Add(seedFlow(tokens, `{"clientlogin":{"status":"REDIRECT","redirecttarget":"javascript:alert(1)"}}`))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		srv := httptest.NewServer(&fuzzServer{data: data})
		defer srv.Close()
		dir := t.TempDir()
		_ = os.Chmod(dir, 0o700)
		c, err := New(srv.URL+"/w/api.php", WithSessionFile(filepath.Join(dir, "s.json")),
			WithBotPassword("Fuzz@bot", fuzzPassword), WithMaxLag(5, 1))
		if err != nil {
			t.Fatal(err)
		}
		c.cfg.sleep = func(context.Context, time.Duration) error { return nil }
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()

		var errs []error
		_, err = c.Login(ctx, "Fuzz@bot", fuzzPassword)
		errs = append(errs, err)
		_, err = c.Resume(ctx)
		errs = append(errs, err)
		errs = append(errs, c.PostWithToken(ctx, "", url.Values{"action": {"edit"}, "title": {"A"}, "text": {"x"}}, nil))
		step, err := c.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{"username": "Fuzz", "password": fuzzUserPass}},
			func(ctx context.Context, s *Step) (map[string]string, error) {
				return map[string]string{"OATHToken": fuzzOTP, "captchaWord": "x"}, nil
			})
		errs = append(errs, err)
		if step != nil {
			errs = append(errs, step.Err())
		}
		errs = append(errs, c.Logout(ctx))
		for _, err := range errs {
			if err == nil {
				continue
			}
			if !typedError(err) {
				t.Errorf("untyped error: %v", err)
			}
			msg := err.Error()
			for _, s := range []string{fuzzPassword, fuzzOTP, fuzzCookie, fuzzUserPass} {
				if strings.Contains(msg, s) {
					t.Errorf("secret in error %q", msg)
				}
			}
			if !strings.HasPrefix(msg, "mwauth: ") {
				t.Errorf("error without the mwauth prefix: %q", msg)
			}
		}
	})
}

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
