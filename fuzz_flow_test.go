package mwauth

// fuzz_flow_test.go fuzzes the server's answer to every request of the
// whole flows: a bot-password login, Resume, an edit with a token, a
// two-factor clientlogin and a logout. Whatever the server says, the
// library must succeed or return a typed error, never panic, and never
// put a secret in an error.

import (
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

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
