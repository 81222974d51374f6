package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/mwauthtest"
)

// The embedded wiki's two-factor account, the same as on the project's
// local MediaWiki test wiki: throwaway values, not secrets.
const (
	demoUser = "TwoFAUser"
	demoPass = "TwoFA-localwiki-pass-1"
)

// countingTransport counts the HTTP requests of the demo.
type countingTransport struct{ n atomic.Int64 }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// demo runs a two-factor clientlogin against an embedded wiki with the
// same Responder as login, then resumes the saved session in a second
// client and logs out. On a terminal the person answers; otherwise a
// script does, and prints what it answers (secrets masked).
func demo(ctx context.Context, e *env) error {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	dir, err := os.MkdirTemp("", "mwlogin-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "session.json")
	out := e.stdout

	fmt.Fprintf(out, "mwlogin demo: an embedded test wiki (package mwauthtest) listens at\n  %s\n", srv.URL)
	a := e.asker
	if a == nil {
		a = &script{out: out, answers: map[string]func() string{
			"username":  func() string { return demoUser },
			"password":  func() string { return demoPass },
			"OATHToken": func() string { return srv.TOTPCode(demoUser, 0) },
		}}
		fmt.Fprintf(out, "Its account %s has two-factor authentication. Standard input is not a\nterminal, so the demo answers the questions itself.\n\n", demoUser)
	} else {
		fmt.Fprintf(out, "Log in as %s with the password %s: the account has two-factor\nauthentication, and the demo tells you the code when the wiki asks for it.\n\n", demoUser, demoPass)
		a = &hinter{asker: a, out: out, code: func() string { return srv.TOTPCode(demoUser, 0) }}
	}

	fmt.Fprintln(out, "1. An interactive login (action=clientlogin) with an empty request: the wiki's")
	fmt.Fprintln(out, "   login form (meta=authmanagerinfo, which also brings the login token) is")
	fmt.Fprintln(out, "   asked first, then each step the wiki sends.")
	ct := &countingTransport{}
	c, err := mwauth.New(srv.URL, mwauth.WithUserAgent(userAgent()), mwauth.WithSessionFile(path),
		mwauth.WithHTTPClient(&http.Client{Transport: ct, Timeout: 30 * time.Second}))
	if err != nil {
		return err
	}
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, responder(a, out, nil))
	if err != nil {
		return err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   Logged in as %s after %d HTTP requests. Session saved (mode %04o).\n\n",
		clean(step.User.Name), ct.n.Load(), fi.Mode().Perm())

	fmt.Fprintln(out, "2. A second client, the next run of your bot, resumes the saved session:")
	ct2 := &countingTransport{}
	c2, err := mwauth.New(srv.URL, mwauth.WithUserAgent(userAgent()), mwauth.WithSessionFile(path),
		mwauth.WithHTTPClient(&http.Client{Transport: ct2, Timeout: 30 * time.Second}))
	if err != nil {
		return err
	}
	me, err := c2.Resume(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s (user id %d), ready to edit after %d request.\n\n", clean(me.Name), me.ID, ct2.n.Load())

	fmt.Fprintln(out, "3. Log out (action=logout with a CSRF token):")
	if err := c2.Logout(ctx); err != nil {
		return err
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("the session file is still there after logout (%v)", err)
	}
	fmt.Fprintln(out, "   Logged out; session file removed.")
	fmt.Fprintln(out, "\nLog in to a real wiki with: mwlogin login -wiki https://wiki.example.org/w/api.php")
	return nil
}

// script answers the demo's questions by field name and prints each
// question with its answer, masking secrets. Unknown fields are left
// empty.
type script struct {
	out     io.Writer
	answers map[string]func() string
}

func (s *script) ask(prompt string, f mwauth.Field) (string, error) {
	v := ""
	if a := s.answers[f.Name]; a != nil {
		v = a()
	}
	shown := v
	if sensitive(f) {
		shown = "********" // never the secret, nor its length
	}
	fmt.Fprintf(s.out, "%s%s\n", prompt, shown)
	return v, nil
}

// hinter tells the person the embedded wiki's current two-factor code
// before the code is asked.
type hinter struct {
	asker
	out  io.Writer
	code func() string
}

func (h *hinter) ask(prompt string, f mwauth.Field) (string, error) {
	if f.Name == "OATHToken" {
		fmt.Fprintf(h.out, "(The code the account's authenticator app shows now is %s.)\n", h.code())
	}
	return h.asker.ask(prompt, f)
}
