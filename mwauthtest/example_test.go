package mwauthtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"

	"github.com/mwauth/mwauth/mwauthtest"
)

// A bot-password login with nothing but net/http: fetch a login token,
// then POST action=login in the same cookie session.
func ExampleNewServer() {
	srv := mwauthtest.NewServer()
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	call := func(method string, p url.Values) map[string]any {
		p.Set("format", "json")
		p.Set("formatversion", "2")
		var resp *http.Response
		var err error
		if method == http.MethodPost {
			resp, err = hc.PostForm(srv.URL, p)
		} else {
			resp, err = hc.Get(srv.URL + "?" + p.Encode())
		}
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
			panic(err)
		}
		return m
	}

	m := call(http.MethodGet, url.Values{"action": {"query"}, "meta": {"tokens"}, "type": {"login"}})
	token := m["query"].(map[string]any)["tokens"].(map[string]any)["logintoken"].(string)
	m = call(http.MethodPost, url.Values{"action": {"login"}, "lgname": {"BotUser@localbot"},
		"lgpassword": {"botuserbotpassword0123456789abcd"}, "lgtoken": {token}})
	fmt.Println(m["login"])

	m = call(http.MethodGet, url.Values{"action": {"query"}, "meta": {"userinfo"}, "assert": {"bot"}})
	fmt.Println(m["query"])
	// Output:
	// map[lguserid:3 lgusername:BotUser result:Success]
	// map[userinfo:map[id:3 name:BotUser]]
}

// Two-factor clientlogin: the password step answers UI and asks for
// OATHToken; TOTPCode gives the current code by the server's clock.
func ExampleServer_TOTPCode() {
	srv := mwauthtest.NewServer()
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	post := func(p url.Values) map[string]any {
		p.Set("format", "json")
		p.Set("formatversion", "2")
		resp, err := hc.PostForm(srv.URL, p)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return m["clientlogin"].(map[string]any)
	}
	resp, _ := hc.Get(srv.URL + "?action=query&meta=tokens&type=login&format=json")
	var tok struct {
		Query struct{ Tokens struct{ Logintoken string } }
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	token := tok.Query.Tokens.Logintoken

	step := post(url.Values{"action": {"clientlogin"}, "logintoken": {token},
		"loginreturnurl": {"http://example.org/"},
		"username":       {"TwoFAUser"}, "password": {"TwoFA-localwiki-pass-1"}})
	fmt.Println(step["status"], step["messagecode"])
	step = post(url.Values{"action": {"clientlogin"}, "logintoken": {token}, "logincontinue": {"1"},
		"OATHToken": {srv.TOTPCode("TwoFAUser", 0)}})
	fmt.Println(step["status"], step["username"])
	// Output:
	// UI oathauth-auth-ui
	// PASS TwoFAUser
}
