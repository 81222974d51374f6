package mwauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/totp"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The examples run against mwauthtest, an in-process fake wiki with the
// same accounts as the project's local test wiki.

func ExampleNew() {
	c, err := mwauth.New("https://en.wikipedia.org/w/api.php",
		mwauth.WithUserAgent("ExampleBot/1.0 (https://example.org/bot; ops@example.org)"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Endpoint())

	// Plain http to a host that is not loopback is refused.
	_, err = mwauth.New("http://wiki.example.org/w/api.php")
	fmt.Println(err != nil)
	// Output:
	// https://en.wikipedia.org/w/api.php
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
	res, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged in as", res.Username)

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
	for _, f := range step.AllFields() {
		fmt.Println("field:", f.Name)
	}

	// The account's authenticator app would show this code.
	code, err := totp.Code("LOCALWIKI2FATEST", time.Now())
	if err != nil {
		log.Fatal(err)
	}
	step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": code})
	if err != nil {
		log.Fatal(err)
	}
	if err := step.Err(); err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.Username)
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
	// every field by its Label, without echo when it is Sensitive.
	responder := func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
		answers := map[string]string{}
		for _, f := range s.AllFields() {
			if f.Name == "OATHToken" {
				code, err := totp.Code("LOCALWIKI2FATEST", time.Now())
				if err != nil {
					return nil, err
				}
				answers[f.Name] = code
			}
		}
		fmt.Println("answering", s.Status, s.MessageCode)
		return answers, nil
	}
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{
		Fields: map[string]string{"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"},
	}, responder)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(step.Status, step.Username)
	// Output:
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
	srv.ResetRequests()
	me, err := c2.Resume(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("resumed as", me.Name, "in", len(srv.Requests()), "request")
	// Output:
	// saved with mode 0600
	// resumed as BotUser in 1 request
}

func ExampleClient_PostWithToken() {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL, mwauth.WithAssert("bot"))
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		log.Fatal(err)
	}
	// The CSRF token is fetched once and cached; assert=bot is added.
	resp, err := c.PostWithToken(ctx, mwauth.TokenCSRF, url.Values{
		"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"Hello"}, "summary": {"example"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Edit struct {
			Result string `json:"result"`
		} `json:"edit"`
	}
	if err := resp.Decode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Edit.Result)
	// Output:
	// Success
}
