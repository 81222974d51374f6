// Command interactive logs a person in to a MediaWiki wiki through
// action=clientlogin, asking on the terminal for whatever the wiki needs:
// username and password, a two-factor code, a captcha, or the address a
// single sign-on provider sent the browser back to.
//
// It starts RunClientLogin with an empty request: the driver fetches the
// wiki's login form and hands it to the Responder as the first step, so
// the program needs to know nothing about the wiki's fields in advance.
//
//	MW_API=https://wiki.example.org/w/api.php go run .
//
// Set MW_SESSION to a file name to keep the session for a later run or a
// bot (mwauth.WithSessionFile). Secrets are read without echo
// (golang.org/x/term, on every operating system), and Ctrl-C at any prompt
// restores the terminal and exits with status 130.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/mwauth/mwauth"
)

func main() {
	log.SetFlags(0)
	api := os.Getenv("MW_API")
	if api == "" {
		log.Fatal("set MW_API to the wiki's api.php URL")
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		log.Fatal("standard input is not a terminal")
	}
	restoreOnInterrupt(fd)

	opts := []mwauth.Option{mwauth.WithUserAgent("mwauth-example-interactive/1.0 (https://github.com/mwauth/mwauth)")}
	if path := os.Getenv("MW_SESSION"); path != "" {
		opts = append(opts, mwauth.WithSessionFile(path))
	}
	c, err := mwauth.New(api, opts...)
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	t := &terminal{in: bufio.NewReader(os.Stdin), fd: fd}
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{}, t.respond)
	var le *mwauth.LoginError
	switch {
	case errors.Is(err, mwauth.ErrThrottled) && errors.As(err, &le):
		log.Fatalf("too many login attempts: wait %s", le.Wait)
	case errors.Is(err, mwauth.ErrWrongCredentials):
		log.Fatal("wrong username or password")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Printf("logged in as %s\n", printable(step.User.Name))
}

// restoreOnInterrupt makes Ctrl-C (and SIGTERM) restore the terminal and
// exit with status 130. term.ReadPassword turns echo off and leaves
// signals on, so without this Ctrl-C at a password prompt would leave the
// terminal without echo.
func restoreOnInterrupt(fd int) {
	state, err := term.GetState(fd)
	if err != nil {
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = term.Restore(fd, state)
		fmt.Fprintln(os.Stderr)
		os.Exit(130)
	}()
}

// terminal asks on stderr and reads answers from stdin.
type terminal struct {
	in *bufio.Reader
	fd int
}

// respond is the mwauth.Responder. It gets the login form first
// (MessageCode "mwauth-login-form"), then the wiki's UI steps (such as a
// two-factor code), a captcha ("mwauth-captcha"), a REDIRECT or a
// RESTART. Hidden fields (a captcha id) are filled in by the driver.
func (t *terminal) respond(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
	if msg := printable(s.Message); msg != "" {
		fmt.Fprintln(os.Stderr, msg)
	}
	if s.Status == mwauth.StatusRedirect {
		fmt.Fprintf(os.Stderr, "Open this address in a browser and log in there:\n  %s\n", printable(s.RedirectTarget))
		back, err := t.line("Then paste the address the browser was sent back to: ")
		if err != nil {
			return nil, err
		}
		return mwauth.RedirectFields(back)
	}
	// A button is another way in, such as a single sign-on provider:
	// offer it before asking for a password.
	for _, f := range s.Fields() {
		if f.Type == mwauth.FieldButton {
			v, err := t.line(printable(f.Label) + "? [y/N]: ")
			if err != nil {
				return nil, err
			}
			if strings.EqualFold(v, "y") {
				return map[string]string{f.Name: "1"}, nil
			}
		}
	}
	answers := map[string]string{}
	for _, f := range s.Fields() {
		label := printable(f.Label)
		if label == "" {
			label = printable(f.Name)
		}
		var v string
		var err error
		switch f.Type {
		case mwauth.FieldHidden, mwauth.FieldButton:
			continue // hidden ones are sent back by the driver
		case mwauth.FieldNull:
			// Text to show: a captcha question, for example.
			fmt.Fprintf(os.Stderr, "%s\n  %s\n", label, printable(f.Value))
			continue
		case mwauth.FieldCheckbox:
			if v, err = t.line(label + " [y/N]: "); err == nil {
				if strings.EqualFold(v, "y") {
					v = "1" // any non-empty value checks the box
				} else {
					v = ""
				}
			}
		default:
			for _, o := range f.Options {
				fmt.Fprintf(os.Stderr, "  %s: %s\n", printable(o.Value), printable(o.Label))
			}
			if f.Sensitive || f.Type == mwauth.FieldPassword {
				v, err = t.secret(label + ": ")
			} else {
				v, err = t.line(label + ": ")
			}
		}
		if err != nil {
			return nil, err
		}
		if v != "" {
			answers[f.Name] = v
		}
	}
	return answers, nil
}

// line reads one line with echo.
func (t *terminal) line(prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	s, err := t.in.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading an answer: %w", err)
	}
	return strings.TrimSpace(s), nil
}

// secret reads one line without echo.
func (t *terminal) secret(prompt string) (string, error) {
	fmt.Fprint(os.Stderr, prompt)
	b, err := term.ReadPassword(t.fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("reading an answer: %w", err)
	}
	return string(b), nil
}

// printable removes control characters and Unicode bidirectional controls
// from text the wiki sent: without its ESC (or C1) introducer no escape
// sequence can act on the terminal. Line breaks become spaces.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
