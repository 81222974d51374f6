// Command mwlogin logs in to a MediaWiki wiki and leaves a session file
// (mode 0600) that a bot built on mwauth can reuse with
// mwauth.WithSessionFile.
//
// Usage:
//
//	mwlogin [flags] [login|whoami|logout]
//
// With -wiki naming an api.php URL, "login" logs in with a bot password
// (a username containing "@"; the password comes from $MWLOGIN_PASSWORD
// or a prompt without echo) or interactively through action=clientlogin,
// prompting for every field the wiki asks for: password, two-factor code,
// captcha, or a single sign-on redirect. "whoami" resumes the saved
// session in one request; "logout" ends it and removes the file.
//
// Without -wiki, mwlogin starts an embedded test wiki (package
// mwauthtest) and walks through a complete two-factor login against it,
// printing each step: a demonstration that needs no wiki of your own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/prompt"
)

const userAgent = "mwlogin/" + mwauth.Version + " (https://github.com/mwauth/mwauth)"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], prompt.New(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "mwlogin:", err)
		os.Exit(1)
	}
}

// run is the whole command; p asks the user for what the wiki wants.
func run(ctx context.Context, args []string, p *prompt.Prompter, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("mwlogin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wiki := fs.String("wiki", "", "api.php URL of the wiki (empty: run the demo against an embedded test wiki)")
	session := fs.String("session", "mwlogin-session.json", "session file to write or read")
	user := fs.String("user", "", "username; \"User@BotName\" logs in with a bot password")
	returnURL := fs.String("return-url", "", "loginreturnurl for redirect-based logins (default: the wiki's index.php)")
	insecure := fs.Bool("insecure-http", false, "allow plain http to a host that is not loopback")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mwlogin [flags] [login|whoami|logout]\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if *wiki == "" {
		if fs.NArg() > 0 {
			return errors.New("subcommands need -wiki; run without arguments for the demo")
		}
		return demo(ctx, stdout)
	}
	opts := []mwauth.Option{mwauth.WithUserAgent(userAgent), mwauth.WithSessionFile(*session)}
	if *insecure {
		opts = append(opts, mwauth.WithInsecureHTTP())
	}
	cmd := "login"
	if fs.NArg() > 0 {
		cmd = fs.Arg(0)
	}
	switch cmd {
	case "login":
		// A new login replaces whatever the file held.
		c, err := mwauth.New(*wiki, append(opts, mwauth.WithFreshSession())...)
		if err != nil {
			return err
		}
		return login(ctx, c, p, *user, *returnURL, stdout)
	case "whoami":
		c, err := mwauth.New(*wiki, opts...)
		if err != nil {
			return err
		}
		ui, err := c.Resume(ctx)
		if err != nil {
			return err
		}
		if ui.Anonymous {
			fmt.Fprintln(stdout, "not logged in")
			return nil
		}
		fmt.Fprintf(stdout, "logged in as %s (user id %d)\n", ui.Name, ui.ID)
		return nil
	case "logout":
		c, err := mwauth.New(*wiki, opts...)
		if err != nil {
			return err
		}
		if err := c.Logout(ctx); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "logged out; session file removed")
		return nil
	}
	return fmt.Errorf("unknown subcommand %q", cmd)
}

func login(ctx context.Context, c *mwauth.Client, p *prompt.Prompter, user, returnURL string, stdout io.Writer) error {
	var err error
	if user == "" {
		if user, err = p.Line("Username (User@BotName for a bot password): "); err != nil {
			return err
		}
	}
	if strings.Contains(user, "@") {
		pass := os.Getenv("MWLOGIN_PASSWORD")
		if pass == "" {
			if pass, err = p.Secret("Bot password: "); err != nil {
				return err
			}
		}
		res, err := c.Login(ctx, user, pass)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "logged in as %s (user id %d) with a bot password\n", res.Username, res.UserID)
		return nil
	}
	info, err := c.AuthManagerInfo(ctx, mwauth.AuthInfoRequest{For: "login"})
	if err != nil {
		return err
	}
	fields := map[string]string{"username": user}
	for _, f := range info.AllFields() {
		if f.Name == "username" || f.Type == "hidden" || f.Type == "button" {
			continue
		}
		v, err := p.Field(f)
		if err != nil {
			return err
		}
		if v != "" {
			fields[f.Name] = v
		}
	}
	step, err := c.RunClientLogin(ctx, mwauth.ClientLoginRequest{ReturnURL: returnURL, Fields: fields}, p.Responder())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "logged in as %s\n", step.Username)
	return nil
}

// demoSessionPath returns where the demo writes its session file.
func demoSessionPath() (string, func(), error) {
	dir, err := os.MkdirTemp("", "mwlogin-demo-")
	if err != nil {
		return "", nil, err
	}
	return filepath.Join(dir, "session.json"), func() { os.RemoveAll(dir) }, nil
}
