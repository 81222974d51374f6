package mwauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The examples run against mwauthtest, an in-process fake wiki with the
// accounts of the project's local test wiki.

func ExampleNew() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()

	c, err := mwauth.New(srv.URL, // such as https://en.wikipedia.org/w/api.php
		mwauth.WithUserAgent("ExampleBot/1.0 (https://example.org/bot; ops@example.org)"))
	if err != nil {
		log.Fatal(err)
	}
	var info struct {
		Query struct {
			General struct {
				SiteName string `json:"sitename"`
			} `json:"general"`
		} `json:"query"`
	}
	err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, &info)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Query.General.SiteName)

	// Plain http to a host that is not loopback is refused.
	_, err = mwauth.New("http://wiki.example.org/w/api.php")
	fmt.Println(errors.Is(err, mwauth.ErrInsecureHTTP))
	// Output:
	// LocalWiki
	// true
}

func ExampleClient_Login() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL, mwauth.WithUserAgent("ExampleBot/1.0 (ops@example.org)"))
	if err != nil {
		log.Fatal(err)
	}

	// A bot password from Special:BotPasswords.
	me, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in as", me.Name, "id", me.ID)

	// A refused password is a typed error carrying the wiki's code.
	_, err = c.Login(ctx, "BotUser@localbot", "wrongpassword0123456789abcdefghi")
	fmt.Println(errors.Is(err, mwauth.ErrWrongCredentials))
	var le *mwauth.LoginError
	if errors.As(err, &le) {
		fmt.Println(le.Result, le.Code)
	}
	// Output:
	// logged in as BotUser id 3
	// true
	// Failed wrongpassword
}

func ExampleClient_Resume() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mwauth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session.json")

	// Each run of a bot: Resume uses the saved session if the wiki still
	// knows it (one request), and logs in with the bot password if not.
	runBot := func() {
		c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path),
			mwauth.WithBotPassword("BotUser@localbot", "botuserbotpassword0123456789abcd"))
		if err != nil {
			log.Fatal(err)
		}
		before := len(srv.Requests())
		me, err := c.Resume(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s, ready to edit after %d request(s)\n", me.Name, len(srv.Requests())-before)
	}
	runBot() // no session yet: logs in (login token, login) and saves it
	runBot() // resumes it: who am I, with a CSRF token
	srv.ExpireSessions()
	runBot() // the wiki forgot the session: finds out, logs in again

	// Without a bot password nor a live session, Resume fails rather than
	// returning an anonymous user.
	c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(filepath.Join(dir, "other.json")))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Resume(ctx)
	fmt.Println(errors.Is(err, mwauth.ErrNotLoggedIn))
	// Output:
	// BotUser, ready to edit after 2 request(s)
	// BotUser, ready to edit after 1 request(s)
	// BotUser, ready to edit after 3 request(s)
	// true
}

func ExampleClient_RunClientLogin() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}

	// The Responder answers each step by field name. A terminal program
	// asks the person instead: each field by its Label, a Sensitive one
	// without echo (see examples/interactive).
	answers := map[string]func() string{
		"username":  func() string { return "TwoFAUser" },
		"password":  func() string { return "TwoFA-localwiki-pass-1" },
		"OATHToken": func() string { return srv.TOTPCode("TwoFAUser", 0) }, // the authenticator app's code
	}
	respond := func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
		out := map[string]string{}
		var asked []string
		for _, f := range s.Fields() {
			if f.Type == mwauth.FieldHidden || f.Type == mwauth.FieldNull {
				continue
			}
			asked = append(asked, f.Name)
			if a := answers[f.Name]; a != nil {
				out[f.Name] = a()
			}
		}
		fmt.Println(s.Status, s.MessageCode, asked)
		return out, nil
	}

	// An empty request: the wiki's login form is the first step.
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, respond)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.User.Name)
	// Output:
	// UI mwauth-login-form [username password rememberMe]
	// UI oathauth-auth-ui [OATHToken]
	// PASS TwoFAUser
}

// A login driven by hand: each step's Status says what to do next. Here a
// single sign-on provider (the fake wiki's FakeSSO) sends the browser
// away and back, then the wiki asks for the account's two-factor code.
func ExampleClient_ContinueClientLogin() {
	srv := mwauthtest.NewServer(mwauthtest.WithSSO())
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	// The browser, for this example: it follows the redirect to the
	// provider, which logs it in as the user its address names and sends
	// it back to the return URL; the address it comes back to is the
	// result.
	browser := func(target string) string {
		hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
		resp, err := hc.Get(target + "&user=TwoFAUser")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header.Get("Location")
	}

	// The login form lists the provider's button; pressing it starts the
	// flow.
	form, err := c.AuthManagerInfo(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		ReturnURL: "https://tool.example.org/login-done",
		Fields:    form.Answer(map[string]string{"fakessologin": "1"}),
	})
	for n := 0; err == nil && n < 8; n++ { // a cap on steps the server drives
		switch step.Status {
		case mwauth.StatusPass:
			fmt.Println("PASS: logged in as", step.User.Name)
			return
		case mwauth.StatusFail:
			fmt.Println("FAIL:", step.Err())
			return
		case mwauth.StatusRedirect:
			fmt.Println("REDIRECT: send the browser to the provider")
			var fields map[string]string
			if fields, err = mwauth.RedirectFields(browser(step.RedirectTarget)); err == nil {
				step, err = c.ContinueClientLogin(ctx, fields)
			}
		case mwauth.StatusUI:
			fmt.Println("UI:", step.MessageCode)
			// Answer adds the step's hidden fields to the answers.
			step, err = c.ContinueClientLogin(ctx, step.Answer(map[string]string{
				"OATHToken": srv.TOTPCode("TwoFAUser", 0),
			}))
		case mwauth.StatusRestart:
			// The provider knows the person but no local account is
			// linked: log in to one, which links it.
			fmt.Println("RESTART:", step.MessageCode)
			step, err = c.ClientLogin(ctx, mwauth.ClientLoginRequest{Fields: step.Answer(map[string]string{
				"username": "Alice", "password": "Alice-localwiki-pass-1",
			})})
		}
	}
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal("too many steps")
	// Output:
	// REDIRECT: send the browser to the provider
	// UI: oathauth-auth-ui
	// PASS: logged in as TwoFAUser
}

func ExampleRedirectFields() {
	// The address the browser came back to, with the provider's answer.
	fields, err := mwauth.RedirectFields("https://tool.example.org/login-done?code=0a1b2c&state=f00d")
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name, fields[name])
	}
	// Output:
	// code 0a1b2c
	// state f00d
}

func ExampleClient_PostWithToken() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL, mwauth.WithAssert(mwauth.AssertBot),
		mwauth.WithBotPassword("BotUser@localbot", "botuserbotpassword0123456789abcd"))
	if err != nil {
		log.Fatal(err)
	}
	// The first call logs in with the bot password; the CSRF token is
	// fetched once and cached; every call carries assert=bot.
	var res struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	err = c.PostWithToken(ctx, "csrf", url.Values{
		"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"Hello"}, "summary": {"example"},
	}, &res)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Edit.Result)
	// Output:
	// Success
}
