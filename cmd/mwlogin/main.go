// Command mwlogin logs in to a MediaWiki wiki and keeps the session in a
// file (mode 0600) that a bot built on mwauth resumes with
// mwauth.WithSessionFile.
//
// Usage:
//
//	mwlogin <command> [flags]
//
// The commands are login, status (alias whoami), logout and demo; run
// "mwlogin -h" or "mwlogin <command> -h" for their flags. A username of
// the form User@BotName logs in with a bot password (action=login); any
// other name logs in interactively (action=clientlogin), asking on the
// terminal for whatever the wiki needs: password, two-factor code,
// captcha, or a single sign-on redirect. Scripts pass the password on
// standard input with -password-stdin.
//
// The session file defaults to <config dir>/mwlogin/<host>.json, where
// <config dir> is os.UserConfigDir (for example ~/.config on Linux).
//
// Exit status: 0 on success, 1 on an error, 2 on a usage error, 130 when
// interrupted (Ctrl-C).
//
// "mwlogin demo" starts an embedded test wiki (package mwauthtest) and
// runs a complete two-factor login against it: a demonstration that needs
// no wiki of your own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/mwauth/mwauth"
)

// Exit statuses.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

func main() {
	con := newConsole(os.Stdin, os.Stderr)
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	if con != nil {
		e.asker = con
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		for n := 0; ; n++ {
			<-sig
			// A prompt's read cannot be interrupted: restore the terminal
			// and leave. Otherwise cancel what runs, so that a session file
			// being written is finished; a second Ctrl-C leaves at once.
			if con.interrupt() || n > 0 {
				os.Exit(exitInterrupted)
			}
			cancel(errInterrupted)
		}
	}()
	os.Exit(run(ctx, os.Args[1:], e))
}

// env is what a command reads and writes.
type env struct {
	stdin  io.Reader
	asker  asker // nil when stdin is not a terminal
	stdout io.Writer
	stderr io.Writer
}

var errInterrupted = errors.New("interrupted")

// usageError is a mistake in the command line: exit status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

// errHelp: -h was given; its usage was printed.
var errHelp = errors.New("help requested")

const mainUsage = `Usage: mwlogin <command> [flags]

mwlogin logs in to a MediaWiki wiki and keeps the session in a file
(mode 0600) that a bot built on mwauth resumes with mwauth.WithSessionFile.

Commands:
  login    log in with a bot password, or interactively (two-factor, captcha,
           single sign-on), and save the session
  status   show who the saved session belongs to (alias: whoami)
  logout   end the session and remove its file
  demo     run a two-factor login against an embedded test wiki

Flags:
  -h, -help   show this help
  -version    print the version

Run 'mwlogin <command> -h' for the flags of a command.
`

// run runs the command line args and returns the exit status. Each error
// is printed once, on e.stderr.
func run(ctx context.Context, args []string, e *env) int {
	err := dispatch(ctx, args, e)
	var ue usageError
	switch {
	case err == nil, errors.Is(err, errHelp):
		return exitOK
	case errors.Is(context.Cause(ctx), errInterrupted):
		fmt.Fprintln(e.stderr, "mwlogin: interrupted")
		return exitInterrupted
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "mwlogin: %s\n", clean(ue.Error()))
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "mwlogin: %s\n", clean(explain(err)))
	return exitError
}

// explain puts the common login failures in words, before the error.
func explain(err error) string {
	var le *mwauth.LoginError
	switch {
	case errors.Is(err, mwauth.ErrThrottled) && errors.As(err, &le) && le.Wait > 0:
		return fmt.Sprintf("too many login attempts: wait %s (%v)", le.Wait, err)
	case errors.Is(err, mwauth.ErrThrottled):
		return fmt.Sprintf("too many login attempts: wait a few minutes (%v)", err)
	case errors.Is(err, mwauth.ErrWrongCredentials):
		return fmt.Sprintf("wrong username or password (%v)", err)
	case errors.Is(err, mwauth.ErrInteractionRequired):
		return fmt.Sprintf("this account cannot log in with action=login: use a bot password (User@BotName), or log in on a terminal with your username (%v)", err)
	}
	return err.Error()
}

func dispatch(ctx context.Context, args []string, e *env) error {
	top := flag.NewFlagSet("mwlogin", flag.ContinueOnError)
	showVersion := top.Bool("version", false, "")
	if err := parseFlags(top, args, true); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprint(e.stdout, mainUsage)
		}
		return err
	}
	if *showVersion {
		fmt.Fprintln(e.stdout, versionLine())
		return nil
	}
	if top.NArg() == 0 {
		fmt.Fprint(e.stderr, mainUsage)
		return usageError("no command given")
	}
	name, rest := top.Arg(0), top.Args()[1:]
	if name == "help" {
		if len(rest) == 0 {
			fmt.Fprint(e.stdout, mainUsage)
			return nil
		}
		name, rest = rest[0], []string{"-h"}
	}
	cmd := lookup(name)
	if cmd == nil {
		return usageError(fmt.Sprintf("unknown command %q; run 'mwlogin -h' for the commands", name))
	}
	fs := flag.NewFlagSet("mwlogin "+cmd.name, flag.ContinueOnError)
	do := cmd.flags(fs)
	if err := parseFlags(fs, rest, false); err != nil {
		if errors.Is(err, errHelp) {
			fmt.Fprintf(e.stdout, "Usage: mwlogin %s %s\n\n%s\n", cmd.name, cmd.args, cmd.help)
			if hasFlags(fs) {
				fmt.Fprintln(e.stdout, "\nFlags:")
				fs.SetOutput(e.stdout)
				fs.PrintDefaults()
			}
			return err
		}
		return usageError(fmt.Sprintf("%s: %s; run 'mwlogin %s -h' for usage", cmd.name, err, cmd.name))
	}
	return do(ctx, e)
}

// parseFlags parses args into fs without printing anything. It returns
// errHelp for -h, a usageError for anything else wrong, including
// arguments after the flags unless sub says a command follows.
func parseFlags(fs *flag.FlagSet, args []string, sub bool) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		if sub {
			return usageError(err.Error() + "; flags go after the command: mwlogin <command> [flags]")
		}
		return usageError(err.Error())
	}
	if !sub && fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// command is one mwlogin command. flags defines its flags on fs and
// returns the function that runs it once they are parsed.
type command struct {
	name, alias string
	args        string // after the name, in the usage line
	help        string
	flags       func(fs *flag.FlagSet) func(context.Context, *env) error
}

var commands = []*command{
	{name: "login", args: "-wiki URL [flags]",
		help: `Logs in and saves the session. A username of the form User@BotName logs in
with a bot password (action=login); any other name logs in interactively
(action=clientlogin), asking for whatever the wiki needs: password,
two-factor code, captcha, or a single sign-on redirect. With -user and
-password-stdin nothing is asked: the password is read from standard input.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) error {
			o := &loginFlags{}
			o.define(fs, 10*time.Minute)
			fs.StringVar(&o.user, "user", "", "`name` to log in as (User@BotName for a bot password); asked if empty")
			fs.BoolVar(&o.passwordStdin, "password-stdin", false, "read the password from standard input (needs -user)")
			fs.StringVar(&o.returnURL, "return-url", "", "`URL` a single sign-on provider sends the browser back to (default: the wiki's index.php)")
			return func(ctx context.Context, e *env) error {
				return withTimeout(ctx, o.timeout, o.check, func(ctx context.Context) error { return login(ctx, e, o) })
			}
		}},
	{name: "status", alias: "whoami", args: "-wiki URL [flags]",
		help: `Shows who the saved session belongs to, asking the wiki (one request).
Exits with status 1 when there is no live session.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) error {
			o := &commonFlags{}
			o.define(fs, time.Minute)
			return func(ctx context.Context, e *env) error {
				return withTimeout(ctx, o.timeout, o.check, func(ctx context.Context) error { return status(ctx, e, o) })
			}
		}},
	{name: "logout", args: "-wiki URL [flags]",
		help: `Ends the session on the wiki (action=logout) and removes the session file.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) error {
			o := &commonFlags{}
			o.define(fs, time.Minute)
			return func(ctx context.Context, e *env) error {
				return withTimeout(ctx, o.timeout, o.check, func(ctx context.Context) error { return logout(ctx, e, o) })
			}
		}},
	{name: "demo", args: "",
		help: `Starts an embedded test wiki (package mwauthtest) and runs a complete
two-factor login against it, then resumes the saved session and logs out.
On a terminal it asks you for each field, as login does (the demo tells you
the answers); otherwise it answers by itself.`,
		flags: func(fs *flag.FlagSet) func(context.Context, *env) error {
			return func(ctx context.Context, e *env) error {
				ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
				defer cancel()
				return demo(ctx, e)
			}
		}},
}

func lookup(name string) *command {
	for _, c := range commands {
		if name == c.name || name == c.alias {
			return c
		}
	}
	return nil
}

func withTimeout(ctx context.Context, d time.Duration, check func() error, f func(context.Context) error) error {
	if err := check(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return f(ctx)
}

// commonFlags are the flags of login, status and logout.
type commonFlags struct {
	wiki     string
	session  string
	insecure bool
	timeout  time.Duration
}

func (o *commonFlags) define(fs *flag.FlagSet, timeout time.Duration) {
	fs.StringVar(&o.wiki, "wiki", "", "the wiki's api.php `URL`, such as https://en.wikipedia.org/w/api.php (required)")
	fs.StringVar(&o.session, "session", "", "session `file` (default: <config dir>/mwlogin/<host>.json)")
	fs.BoolVar(&o.insecure, "insecure-http", false, "allow plain http to a host that is not loopback")
	fs.DurationVar(&o.timeout, "timeout", timeout, "give up after this long")
}

// check validates the flags before anything runs.
func (o *commonFlags) check() error {
	if o.wiki == "" {
		return usageError("-wiki is required: the wiki's api.php URL, such as https://en.wikipedia.org/w/api.php")
	}
	u, err := url.Parse(o.wiki)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return usageError(fmt.Sprintf("-wiki %q is not an http or https URL of the wiki's api.php", o.wiki))
	}
	if o.timeout <= 0 {
		return usageError("-timeout must be positive")
	}
	return nil
}

// host is the wiki's host, for messages.
func (o *commonFlags) host() string {
	u, err := url.Parse(o.wiki)
	if err != nil {
		return clean(o.wiki)
	}
	return clean(u.Host)
}

// sessionPath is -session, or <config dir>/mwlogin/<host>.json. create
// makes the default directory (mode 0700) when it is missing.
func (o *commonFlags) sessionPath(create bool) (string, error) {
	if o.session != "" {
		return o.session, nil
	}
	u, err := url.Parse(o.wiki)
	if err != nil {
		return "", err
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory for the session file (%w): pass -session", err)
	}
	dir = filepath.Join(dir, "mwlogin")
	if create {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("creating the session directory: %w", err)
		}
	}
	return filepath.Join(dir, fileName(u.Host)+".json"), nil
}

// fileName turns a host (with its port) into a file name that is valid on
// every operating system: letters, digits, '.' and '-' are kept, anything
// else (':' before a port, IPv6 brackets) becomes '_'.
func fileName(host string) string {
	b := []byte(strings.ToLower(host))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	s := strings.Trim(string(b), ".")
	if s == "" {
		s = "_"
	}
	return s
}

// client returns a Client for the wiki with the session file at path.
func (o *commonFlags) client(path string) (*mwauth.Client, error) {
	opts := []mwauth.Option{mwauth.WithUserAgent(userAgent()), mwauth.WithSessionFile(path)}
	if o.insecure {
		opts = append(opts, mwauth.WithInsecureHTTP())
	}
	return mwauth.New(o.wiki, opts...)
}

// loginFlags are the flags of login.
type loginFlags struct {
	commonFlags
	user          string
	passwordStdin bool
	returnURL     string
}

func status(ctx context.Context, e *env, o *commonFlags) error {
	path, err := o.sessionPath(false)
	if err != nil {
		return err
	}
	c, err := o.client(path)
	if err != nil {
		return err
	}
	me, err := c.Resume(ctx)
	if errors.Is(err, mwauth.ErrNotLoggedIn) {
		return fmt.Errorf("not logged in to %s; log in with: mwlogin login -wiki %s", o.host(), o.wiki)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as %s (user id %d).\nSession file: %s\n", o.host(), clean(me.Name), me.ID, path)
	return nil
}

func logout(ctx context.Context, e *env, o *commonFlags) error {
	path, err := o.sessionPath(false)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("not logged in to %s: no session file %s", o.host(), path)
	}
	c, err := o.client(path)
	if err != nil {
		return err
	}
	if err := c.Logout(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Logged out of %s; removed %s.\n", o.host(), path)
	return nil
}

// version is the module version mwlogin was built from: a release tag
// when installed with go install ...@version, "devel" in a work tree.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func versionLine() string {
	return fmt.Sprintf("mwlogin %s (%s, %s/%s)", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func userAgent() string {
	return "mwlogin/" + version() + " (https://github.com/mwauth/mwauth)"
}
