// Command webredirect logs in through a wiki's single sign-on provider,
// driving action=clientlogin by hand as a web application or a desktop
// tool does: it presses the provider's button, sends the browser to the
// REDIRECT step's target, receives the browser back on a loopback address,
// and continues the login with RedirectFields of that address.
//
//	MW_API=https://wiki.example.org/w/api.php go run .
//
// The provider is the login form's only button, or the one named by
// MW_BUTTON (the field name, such as "fakessologin" on the project's test
// wiki). A UI step after the provider (a two-factor code) is asked on the
// terminal, a sensitive field without echo.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/mwauth/mwauth"
)

// maxSteps bounds the steps taken from the wiki: a login through a
// provider takes two or three.
const maxSteps = 8

func main() {
	log.SetFlags(0)
	api := os.Getenv("MW_API")
	if api == "" {
		log.Fatal("set MW_API to the wiki's api.php URL")
	}
	restoreOnInterrupt(int(os.Stdin.Fd()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := mwauth.New(api, mwauth.WithUserAgent("mwauth-example-webredirect/1.0 (https://github.com/mwauth/mwauth)"))
	if err != nil {
		log.Fatal(err)
	}

	// The login form lists the providers' buttons.
	form, err := c.AuthManagerInfo(ctx, "")
	if err != nil {
		log.Fatal(err)
	}
	button, err := chooseButton(form, os.Getenv("MW_BUTTON"))
	if err != nil {
		log.Fatal(err)
	}

	// The browser comes back to a loopback address that this program
	// serves; the wiki passes it to the provider as the return URL.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	back := make(chan string, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			select {
			case back <- r.URL.String():
				fmt.Fprintln(w, "Back from the provider: you can close this tab and return to the terminal.")
			default:
				http.Error(w, "this login is already being finished", http.StatusConflict)
			}
		})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
		ReturnURL: "http://" + ln.Addr().String() + "/back",
		Fields:    form.Answer(map[string]string{button: "1"}),
	})
	in := bufio.NewReader(os.Stdin)
	for n := 0; ; n++ {
		if err != nil {
			log.Fatal(err)
		}
		if n == maxSteps {
			log.Fatalf("gave up after %d login steps", n)
		}
		switch step.Status {
		case mwauth.StatusPass:
			fmt.Printf("logged in as %s\n", printable(step.User.Name))
			return
		case mwauth.StatusFail:
			log.Fatal(step.Err())
		case mwauth.StatusRestart:
			// The provider knows the person, but no account of this wiki
			// is linked to that identity.
			log.Fatalf("no local account is linked: %s", printable(step.Message))
		case mwauth.StatusRedirect:
			fmt.Printf("Open this address in a browser and log in there:\n  %s\n", printable(step.RedirectTarget))
			var returned string
			select {
			case returned = <-back:
			case <-ctx.Done():
				log.Fatal("the browser did not come back in time")
			}
			// The address carries the provider's answer (a code, a state):
			// those are the fields that continue the login.
			fields, ferr := mwauth.RedirectFields(returned)
			if ferr != nil {
				log.Fatal(ferr)
			}
			step, err = c.ContinueClientLogin(ctx, fields)
		case mwauth.StatusUI:
			// Usually a two-factor code after the provider.
			if msg := printable(step.Message); msg != "" {
				fmt.Println(msg)
			}
			answers, aerr := ask(in, step)
			if aerr != nil {
				log.Fatal(aerr)
			}
			// Answer adds the step's hidden fields.
			step, err = c.ContinueClientLogin(ctx, step.Answer(answers))
		default:
			log.Fatalf("unexpected status %q", step.Status)
		}
	}
}

// chooseButton returns the field name of the provider's button: name if
// given, else the form's only button.
func chooseButton(form *mwauth.Step, name string) (string, error) {
	var buttons []string
	for _, f := range form.Fields() {
		if f.Type == mwauth.FieldButton {
			if f.Name == name {
				return name, nil
			}
			buttons = append(buttons, f.Name)
		}
	}
	switch {
	case len(buttons) == 0:
		return "", fmt.Errorf("the wiki's login form has no single sign-on button")
	case name != "":
		return "", fmt.Errorf("no button %q; the form has %s", name, strings.Join(buttons, ", "))
	case len(buttons) > 1:
		return "", fmt.Errorf("choose a button with MW_BUTTON: %s", strings.Join(buttons, ", "))
	}
	return buttons[0], nil
}

// ask asks for the fields of a UI step on the terminal.
func ask(in *bufio.Reader, s *mwauth.Step) (map[string]string, error) {
	answers := map[string]string{}
	for _, f := range s.Fields() {
		if f.Type == mwauth.FieldHidden || f.Type == mwauth.FieldButton {
			continue
		}
		label := printable(f.Label)
		if f.Type == mwauth.FieldNull {
			fmt.Printf("%s\n  %s\n", label, printable(f.Value))
			continue
		}
		fmt.Print(label + ": ")
		var v string
		if f.Sensitive || f.Type == mwauth.FieldPassword {
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Println()
			if err != nil {
				return nil, err
			}
			v = string(b)
		} else {
			line, err := in.ReadString('\n')
			if err != nil {
				return nil, err
			}
			v = strings.TrimSpace(line)
		}
		if v != "" {
			answers[f.Name] = v
		}
	}
	return answers, nil
}

// restoreOnInterrupt makes Ctrl-C restore the terminal (echo is off while
// term.ReadPassword waits) and exit with status 130.
func restoreOnInterrupt(fd int) {
	state, err := term.GetState(fd)
	if err != nil {
		return // not a terminal: nothing to restore
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

// printable removes control characters and Unicode bidirectional controls
// from text the wiki sent, so that no escape sequence reaches the
// terminal.
func printable(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r):
			return -1
		}
		return r
	}, s))
}
