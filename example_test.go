package mwauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The examples run against mwauthtest, an in-process fake wiki with the
// accounts of its DefaultAccounts.

func ExampleNew() {
	c, err := mwauth.New("https://en.wikipedia.org/w/api.php",
		mwauth.WithUserAgent("ExampleBot/1.0 (https://example.org/bot; ops@example.org)"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c != nil)

	// Plain http to a host that is not loopback is refused.
	_, err = mwauth.New("http://wiki.example.org/w/api.php")
	fmt.Println(errors.Is(err, mwauth.ErrInsecureHTTP))
	// Output:
	// true
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
	me, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in as", me.Name)

	// A wrong password is a typed error.
	_, err = c.Login(ctx, "BotUser@localbot", "wrongpassword0123456789abcdefghi")
	fmt.Println(errors.Is(err, mwauth.ErrWrongCredentials))
	var le *mwauth.LoginError
	if errors.As(err, &le) {
		fmt.Println(le.Result, le.Code)
	}
	// Output:
	// logged in as BotUser
	// true
	// Failed wrongpassword
}

func ExampleClient_ClientLogin() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.MessageCode)
	for _, f := range step.Fields() {
		fmt.Println("field:", f.Name)
	}

	// The account's authenticator app would show this code.
	code := srv.TOTPCode("TwoFAUser", 0)
	step, err = c.ContinueClientLogin(ctx, step.Answer(map[string]string{"OATHToken": code}))
	if err != nil {
		log.Fatal(err)
	}
	if err := step.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.User.Name)
	// Output:
	// UI oathauth-auth-ui
	// field: OATHToken
	// PASS TwoFAUser
}

func ExampleClient_RunClientLogin() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	// A Responder answers each step; a terminal program would prompt for
	// every field by its Label, without echo when it is Sensitive. Here it
	// stands for a person who knows the password and has the
	// authenticator app.
	person := map[string]string{
		"username":  "TwoFAUser",
		"password":  "TwoFA-localwiki-pass-1",
		"OATHToken": srv.TOTPCode("TwoFAUser", 0),
	}
	responder := func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
		answers := map[string]string{}
		for _, f := range s.Fields() {
			if v, ok := person[f.Name]; ok {
				answers[f.Name] = v
			}
		}
		fmt.Println("answering", s.Status, s.MessageCode)
		return answers, nil
	}
	// An empty request: the login form goes to the Responder too.
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, responder)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.User.Name)
	// Output:
	// answering UI mwauth-login-form
	// answering UI oathauth-auth-ui
	// PASS TwoFAUser
}

func ExampleWithSessionFile() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "mwauth-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session.json")

	// First run: log in; the session is saved to the file.
	c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		log.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saved with mode %04o\n", fi.Mode().Perm())

	// Next run: resume in one request, ready to edit.
	c2, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path),
		mwauth.WithBotPassword("BotUser@localbot", "botuserbotpassword0123456789abcd"))
	if err != nil {
		log.Fatal(err)
	}
	before := len(srv.Requests())
	me, err := c2.Resume(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resumed as", me.Name, "in", len(srv.Requests())-before, "request")
	// Output:
	// saved with mode 0600
	// resumed as BotUser in 1 request
}

func ExampleClient_PostWithToken() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL, mwauth.WithAssert(mwauth.AssertBot))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		log.Fatal(err)
	}
	// The CSRF token is fetched once and cached; assert=bot is added.
	var out struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	err = c.PostWithToken(ctx, "csrf", url.Values{
		"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"Hello"}, "summary": {"example"},
	}, &out)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Edit.Result)
	// Output:
	// Success
}
