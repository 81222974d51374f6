package mwauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/mwauth/mwauth/internal/wire"
)

func BenchmarkDecodeClientLoginUI(b *testing.B) {
	body := []byte(seedBodies[8])
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		env, err := wire.Decode(200, "application/json; charset=utf-8", body)
		if err != nil {
			b.Fatal(err)
		}
		var r wire.ClientLoginResult
		if _, err := env.Member("clientlogin", &r); err != nil {
			b.Fatal(err)
		}
		if _, err := stepFrom(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionSnapshotRebuild measures what a session file save and
// load cost beyond the file: the jar's snapshot, its JSON, and the jar
// built again from it.
func BenchmarkSessionSnapshotRebuild(b *testing.B) {
	j := newJar(time.Now)
	u, _ := url.Parse("https://wiki.example.org/w/api.php")
	for i := 0; i < 8; i++ {
		j.SetCookies(u, []*http.Cookie{{Name: "c" + strconv.Itoa(i), Value: "0123456789abcdef0123456789abcdef", Path: "/"}})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		data, err := json.Marshal(j.snapshot())
		if err != nil {
			b.Fatal(err)
		}
		var cookies []*savedCookie
		if err := json.Unmarshal(data, &cookies); err != nil {
			b.Fatal(err)
		}
		if _, err := buildJar(cookies, time.Now); err != nil {
			b.Fatal(err)
		}
	}
}

// The floor benchmarks compare one authenticated call through a Client
// with the same call through bare net/http (the floor: a cookie jar, an
// http.Client and encoding/json, written here), against one in-process
// server. Run it with
//
//	go test -run '^$' -bench Floor -benchmem -count 10 .

const floorUserInfo = `{"batchcomplete":true,"query":{"userinfo":{"id":3,"name":"BotUser"}}}`
const floorEdit = `{"edit":{"result":"Success","pageid":1,"title":"Sandbox","contentmodel":"wikitext","oldrevid":1,"newrevid":2,"newtimestamp":"2026-12-02T10:00:00Z"}}`

// floorServer answers like a wiki: userinfo to GETs, an edit to POSTs,
// and a session cookie with every answer.
func floorServer(b *testing.B) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		http.SetCookie(w, &http.Cookie{Name: "wiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true})
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if r.Method == http.MethodPost {
			_, _ = io.WriteString(w, floorEdit)
			return
		}
		_, _ = io.WriteString(w, floorUserInfo)
	}))
	b.Cleanup(srv.Close)
	return srv
}

type floorAnswer struct {
	Query struct {
		UserInfo struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"userinfo"`
	} `json:"query"`
}

type editAnswer struct {
	Edit struct {
		Result   string `json:"result"`
		NewRevID int    `json:"newrevid"`
	} `json:"edit"`
}

// floorClient is what a careful program writes with net/http alone.
type floorClient struct {
	hc       *http.Client
	endpoint string
}

func newFloorClient(endpoint string) *floorClient {
	jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	return &floorClient{hc: &http.Client{Jar: jar, Timeout: time.Minute}, endpoint: endpoint}
}

func (f *floorClient) do(ctx context.Context, method string, params url.Values, out any) error {
	params.Set("format", "json")
	params.Set("formatversion", "2")
	params.Set("errorformat", "plaintext")
	var req *http.Request
	var err error
	if method == http.MethodPost {
		req, err = http.NewRequestWithContext(ctx, method, f.endpoint, strings.NewReader(params.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequestWithContext(ctx, method, f.endpoint+"?"+params.Encode(), nil)
	}
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", testUA)
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// loggedInClient returns a Client for srv that holds a user session, as
// after a login, with a cached CSRF token.
func loggedInClient(b *testing.B, endpoint string) *Client {
	c, err := New(endpoint, WithUserAgent(testUA))
	if err != nil {
		b.Fatal(err)
	}
	c.sess.change(func(s *session) {
		s.kind, s.u, s.asUser = sessionLogin, User{ID: 3, Name: "BotUser"}, true
		s.tokens["csrf"] = "0123456789abcdef0123456789abcdef+\\"
	})
	return c
}

func BenchmarkFloorGet(b *testing.B) {
	srv := floorServer(b)
	ctx := context.Background()
	b.Run("net/http", func(b *testing.B) {
		f := newFloorClient(srv.URL + "/api.php")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var out floorAnswer
			p := url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"user"}}
			if err := f.do(ctx, http.MethodGet, p, &out); err != nil || out.Query.UserInfo.ID != 3 {
				b.Fatal(err)
			}
		}
	})
	b.Run("mwauth", func(b *testing.B) {
		c := loggedInClient(b, srv.URL+"/api.php")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var out floorAnswer
			p := url.Values{"action": {"query"}, "meta": {"userinfo"}}
			if err := c.Get(ctx, p, &out); err != nil || out.Query.UserInfo.ID != 3 {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFloorPostWithToken(b *testing.B) {
	srv := floorServer(b)
	ctx := context.Background()
	const tok = "0123456789abcdef0123456789abcdef+\\"
	b.Run("net/http", func(b *testing.B) {
		f := newFloorClient(srv.URL + "/api.php")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var out editAnswer
			p := url.Values{"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"x"}, "assert": {"user"}, "token": {tok}}
			if err := f.do(ctx, http.MethodPost, p, &out); err != nil || out.Edit.Result != "Success" {
				b.Fatal(err)
			}
		}
	})
	b.Run("mwauth", func(b *testing.B) {
		c := loggedInClient(b, srv.URL+"/api.php")
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var out editAnswer
			p := url.Values{"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"x"}}
			if err := c.PostWithToken(ctx, "csrf", p, &out); err != nil || out.Edit.Result != "Success" {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFloorLoadSession compares loading a saved session (New with
// WithSessionFile) with reading and decoding the same file by hand.
func BenchmarkFloorLoadSession(b *testing.B) {
	srv := floorServer(b)
	dir := b.TempDir()
	_ = os.Chmod(dir, 0o700)
	path := filepath.Join(dir, "s.json")
	endpoint := srv.URL + "/api.php"
	c, err := New(endpoint, WithSessionFile(path))
	if err != nil {
		b.Fatal(err)
	}
	c.sess.change(func(s *session) {
		s.kind, s.u, s.asUser = sessionLogin, User{ID: 3, Name: "BotUser"}, true
	})
	u, _ := url.Parse(endpoint)
	c.jar.SetCookies(u, []*http.Cookie{
		{Name: "wiki_session", Value: "0123456789abcdef0123456789abcdef", Path: "/", HttpOnly: true},
		{Name: "wiki_BPsession", Value: "fedcba9876543210fedcba9876543210", Path: "/", HttpOnly: true},
		{Name: "wikiUserID", Value: "3", Path: "/", HttpOnly: true, MaxAge: 3600},
	})
	if err := c.saveNow(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			var f sessionFile
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
			jar, _ := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
			for _, sc := range f.Cookies {
				jar.SetCookies(u, []*http.Cookie{{Name: string(sc.Name), Value: string(sc.Value), Path: string(sc.Path)}})
			}
		}
	})
	b.Run("mwauth", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := New(endpoint, WithSessionFile(path)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkFloorResume measures a process start on a saved session
// against a real wiki (MWAUTH_TEST_WIKI): New with the session file and
// Resume (one GET of userinfo and a CSRF token), against the same by hand:
// read the file, fill a cookie jar, send the same GET, decode it.
func BenchmarkFloorResume(b *testing.B) {
	api := os.Getenv("MWAUTH_TEST_WIKI")
	if api == "" {
		b.Skip("MWAUTH_TEST_WIKI is not set")
	}
	ctx := context.Background()
	dir := b.TempDir()
	_ = os.Chmod(dir, 0o700)
	path := filepath.Join(dir, "s.json")
	c, err := New(api, WithUserAgent(testUA), WithSessionFile(path))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(api)
	b.Run("by hand", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			data, err := os.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			var f sessionFile
			if err := json.Unmarshal(data, &f); err != nil {
				b.Fatal(err)
			}
			fc := newFloorClient(api)
			for _, sc := range f.Cookies {
				fc.hc.Jar.SetCookies(u, []*http.Cookie{{Name: string(sc.Name), Value: string(sc.Value), Path: string(sc.Path)}})
			}
			var out struct {
				Query struct {
					UserInfo struct {
						ID int `json:"id"`
					} `json:"userinfo"`
					Tokens map[string]string `json:"tokens"`
				} `json:"query"`
			}
			p := url.Values{"action": {"query"}, "meta": {"userinfo|tokens"}, "type": {"csrf"}}
			if err := fc.do(ctx, http.MethodGet, p, &out); err != nil || out.Query.UserInfo.ID == 0 {
				b.Fatal(err, out)
			}
		}
	})
	b.Run("mwauth", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			c, err := New(api, WithUserAgent(testUA), WithSessionFile(path))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Resume(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
