package mwauth

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

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
