package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

// TestMain lets the pty tests run this test binary as mwlogin itself.
func TestMain(m *testing.M) {
	if os.Getenv("MWLOGIN_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// result is what one in-process run of mwlogin did.
type result struct {
	code           int
	stdout, stderr string
}

// mwlogin runs the command line args in-process with stdin as standard
// input and a (nil: not a terminal).
func mwlogin(t *testing.T, stdin string, a asker, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), asker: a, stdout: &out, stderr: &errOut}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, args, e)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// errorLines counts the lines of s that report an error.
func errorLines(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "mwlogin: ") {
			n++
		}
	}
	return n
}

// configHome points os.UserConfigDir at a fresh directory and returns it.
func configHome(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir) // Linux and the BSDs
	t.Setenv("HOME", dir)            // macOS: $HOME/Library/Application Support
	cfg, err := os.UserConfigDir()
	require.NoError(t, err)
	return cfg
}

// hostOf is the host (and port) of endpoint.
func hostOf(t *testing.T, endpoint string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	require.NoError(t, err)
	return u.Host
}

// sessionFileFor is where mwlogin keeps the session for endpoint by
// default.
func sessionFileFor(t *testing.T, cfg, endpoint string) string {
	t.Helper()
	return filepath.Join(cfg, "mwlogin", strings.ReplaceAll(hostOf(t, endpoint), ":", "_")+".json")
}

func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{
		{"-h"}, {"-help"}, {"--help"}, {"help"},
		{"login", "-h"}, {"login", "-wiki", "https://wiki.example.org/w/api.php", "--help"},
		{"status", "-h"}, {"whoami", "-h"}, {"logout", "-h"}, {"demo", "-h"}, {"help", "login"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := mwlogin(t, "", nil, args...)
			assert.Equal(t, exitOK, r.code)
			assert.Contains(t, r.stdout, "Usage: mwlogin")
			assert.Empty(t, r.stderr)
		})
	}
	r := mwlogin(t, "", nil, "login", "-h")
	assert.Contains(t, r.stdout, "-password-stdin")
	assert.Contains(t, r.stdout, "-wiki URL")
	r = mwlogin(t, "", nil, "-h")
	for _, cmd := range []string{"login", "status", "whoami", "logout", "demo", "-version"} {
		assert.Contains(t, r.stdout, cmd)
	}
}

func TestUsageErrorsExitTwoAndPrintOnce(t *testing.T) {
	const api = "https://wiki.example.org/w/api.php"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command"},
		{"unknown command", []string{"dance"}, `unknown command "dance"`},
		{"flag before the command", []string{"-wiki", api, "login"}, "flags go after the command"},
		{"unknown flag", []string{"login", "-wiki", api, "-bogus"}, "-bogus"},
		{"missing wiki", []string{"status"}, "-wiki is required"},
		{"not an http URL", []string{"logout", "-wiki", "ftp://wiki.example.org/api.php"}, "not an http or https URL"},
		{"stray argument", []string{"status", "-wiki", api, "extra"}, `unexpected argument "extra"`},
		{"password-stdin without user", []string{"login", "-wiki", api, "-password-stdin"}, "-password-stdin needs -user"},
		{"bad timeout", []string{"login", "-wiki", api, "-timeout", "0s"}, "-timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mwlogin(t, "", nil, tc.args...)
			assert.Equal(t, exitUsage, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, 1, errorLines(r.stderr), "the error is printed once:\n%s", r.stderr)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestVersion(t *testing.T) {
	r := mwlogin(t, "", nil, "-version")
	assert.Equal(t, exitOK, r.code)
	assert.Regexp(t, `^mwlogin \S+ \(go[^,]+, \w+/\w+\)\n$`, r.stdout)
}

// A bot logs in with -password-stdin; status and logout use the session
// file in the config directory.
func TestBotPasswordStdinStatusLogout(t *testing.T) {
	cfg := configHome(t)
	srv := mwauthtest.NewServer()
	defer srv.Close()
	path := sessionFileFor(t, cfg, srv.URL)

	r := mwlogin(t, "botuserbotpassword0123456789abcd\n", nil,
		"login", "-wiki", srv.URL, "-user", "BotUser@localbot", "-password-stdin")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Logged in to "+hostOf(t, srv.URL)+" as BotUser.")
	assert.Contains(t, r.stdout, "Session saved to "+path)
	assert.NotContains(t, r.stdout+r.stderr, "botuserbotpassword")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())

	// A bot built on mwauth uses the same file.
	c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path))
	require.NoError(t, err)
	me, err := c.Resume(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "BotUser", me.Name)

	for _, name := range []string{"status", "whoami"} {
		r = mwlogin(t, "", nil, name, "-wiki", srv.URL)
		require.Equal(t, exitOK, r.code, r.stderr)
		assert.Contains(t, r.stdout, "as BotUser (user id 3)")
	}

	r = mwlogin(t, "", nil, "logout", "-wiki", srv.URL)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Logged out")
	assert.NoFileExists(t, path)

	r = mwlogin(t, "", nil, "status", "-wiki", srv.URL)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "not logged in")
	assert.Equal(t, 1, errorLines(r.stderr))
	r = mwlogin(t, "", nil, "logout", "-wiki", srv.URL)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "not logged in")
}

func TestSessionFlagOverridesConfigDir(t *testing.T) {
	cfg := configHome(t)
	srv := mwauthtest.NewServer()
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "bot.json")
	r := mwlogin(t, "botuserbotpassword0123456789abcd", nil,
		"login", "-wiki", srv.URL, "-session", path, "-user", "BotUser@localbot", "-password-stdin")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.FileExists(t, path)
	assert.NoDirExists(t, filepath.Join(cfg, "mwlogin"))
	r = mwlogin(t, "", nil, "status", "-wiki", srv.URL, "-session", path)
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "BotUser")
}

func TestPasswordStdinMainAccount(t *testing.T) {
	configHome(t)
	srv := mwauthtest.NewServer()
	defer srv.Close()

	r := mwlogin(t, "Alice-localwiki-pass-1\n", nil, "login", "-wiki", srv.URL, "-user", "Alice", "-password-stdin")
	assert.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "as Alice.")

	// Two-factor needs a person: the error says so, once.
	r = mwlogin(t, demoPass+"\n", nil, "login", "-wiki", srv.URL, "-user", demoUser, "-password-stdin")
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "asks for more than a password (oathauth-auth-ui)")
	assert.Equal(t, 1, errorLines(r.stderr), r.stderr)
	assert.NotContains(t, r.stdout+r.stderr, demoPass)
}

func TestLoginErrorsArePrintedOnce(t *testing.T) {
	configHome(t)
	srv := mwauthtest.NewServer()
	defer srv.Close()
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"wrong bot password", "wrongpassword0123456789abcdefghi", []string{"-user", "BotUser@localbot", "-password-stdin"}, "wrong username or password"},
		{"empty stdin", "", []string{"-user", "BotUser@localbot", "-password-stdin"}, "no password on standard input"},
		{"no terminal", "", nil, "standard input is not a terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mwlogin(t, tc.stdin, nil, append([]string{"login", "-wiki", srv.URL}, tc.args...)...)
			assert.Equal(t, exitError, r.code)
			assert.Contains(t, r.stderr, tc.want)
			assert.Equal(t, 1, errorLines(r.stderr), r.stderr)
			assert.NotContains(t, r.stderr, "wrongpassword0123")
		})
	}
}

func TestDemoWithoutTerminal(t *testing.T) {
	r := mwlogin(t, "", nil, "demo")
	require.Equal(t, exitOK, r.code, r.stderr)
	for _, want := range []string{
		"Username: TwoFAUser",
		"Password: ********\n",
		"Two-factor token or recovery code: ",
		"Logged in as TwoFAUser after 3 HTTP requests. Session saved (mode 0600).",
		"TwoFAUser (user id 5), ready to edit after 1 request.",
		"Logged out; session file removed.",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, demoPass)
	assert.Empty(t, r.stderr)
}

// answers is an asker for in-process tests: it answers by field name and
// records the prompts.
type answers struct {
	by      map[string]func() string
	prompts []string
}

func (a *answers) ask(prompt string, f mwauth.Field) (string, error) {
	a.prompts = append(a.prompts, prompt)
	if v := a.by[f.Name]; v != nil {
		return v(), nil
	}
	return "", nil
}

// The captcha that the wiki requires after a failed attempt is asked,
// with its question, and the login goes through.
func TestInteractiveCaptcha(t *testing.T) {
	configHome(t)
	srv := mwauthtest.NewServer(mwauthtest.WithCaptcha("What is 2+2?", "four", 0))
	defer srv.Close()
	a := &answers{by: map[string]func() string{
		"password":    func() string { return "Alice-localwiki-pass-1" },
		"captchaWord": func() string { return "four" },
	}}
	r := mwlogin(t, "", a, "login", "-wiki", srv.URL, "-user", "Alice")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "as Alice.")
	assert.Contains(t, r.stderr, "What is 2+2?")
	assert.Contains(t, a.prompts, "CAPTCHA: ")
	assert.NotContains(t, a.prompts, "Username: ", "-user was given")
}

// A single sign-on login: the provider's button, the address to open, the
// address pasted back.
func TestInteractiveRedirect(t *testing.T) {
	configHome(t)
	srv := mwauthtest.NewServer(mwauthtest.WithSSO())
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	a := &answers{by: map[string]func() string{
		"fakessologin": func() string { return "y" },
		"return": func() string {
			// The browser: it opens the address mwlogin printed; the
			// provider logs it in as Alice and sends it back to the
			// return URL.
			i := strings.Index(stderr.String(), "http://"+hostOf(t, srv.URL)+"/fakesso-idp?")
			require.GreaterOrEqual(t, i, 0, "the provider's address is shown:\n%s", stderr.String())
			target := strings.Fields(stderr.String()[i:])[0]
			hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := hc.Get(target + "&user=Alice")
			require.NoError(t, err)
			resp.Body.Close()
			return resp.Header.Get("Location")
		},
	}}
	e := &env{stdin: strings.NewReader(""), asker: a, stdout: &stdout, stderr: &stderr}
	code := run(context.Background(), []string{"login", "-wiki", srv.URL, "-user", "Alice",
		"-return-url", "https://tool.example.org/back"}, e)
	require.Equal(t, exitOK, code, stderr.String())
	assert.Contains(t, stdout.String(), "as Alice.")
	assert.Contains(t, a.prompts, "Log in with FakeSSO [y/N]: ")
	assert.NotContains(t, a.prompts, "Password: ", "the button replaces the password")
}

func TestClean(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "Incorrect username or password.", "Incorrect username or password."},
		{"unicode", "Benutzername für Ünïcödé ✓", "Benutzername für Ünïcödé ✓"},
		{"line breaks and tabs", "one\ntwo\r\nthree\tfour", "one two  three four"},
		{"CSI colour", "\x1b[31mred\x1b[0m text", "red text"},
		{"CSI private", "a\x1b[?25lb", "ab"},
		{"clear screen and home", "\x1b[2J\x1b[Hhi", "hi"},
		{"OSC title, BEL", "\x1b]0;owned\x07after", "after"},
		{"OSC hyperlink, ST", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"},
		{"DCS", "a\x1bPq#0;2;0;0;0\x1b\\b", "ab"},
		{"APC", "a\x1b_secret\x07b", "ab"},
		{"two-character ESC c (reset)", "a\x1bcb", "ab"},
		{"charset ESC ( B", "a\x1b(Bb", "ab"},
		{"lone ESC at the end", "abc\x1b", "abc"},
		{"unterminated OSC", "a\x1b]0;title without end", "a"},
		{"C1 CSI", "a\u009b31mb", "ab"},
		{"C1 OSC with C1 ST", "a\u009d0;t\u009cb", "ab"},
		{"other C0 and DEL", "a\x00b\x07c\x08d\x7fe", "abcde"},
		{"bidi override", "abc\u202edcba\u202c", "abcdcba"},
		{"bidi isolate", "x\u2067y\u2069", "xy"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},
		{"trimmed", "  \x1b[1m  padded \n", "padded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, clean(tc.in))
		})
	}
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{
		"wiki.example.org":      "wiki.example.org",
		"WIKI.Example.org":      "wiki.example.org",
		"127.0.0.1:8080":        "127.0.0.1_8080",
		"[::1]:8080":            "___1__8080",
		"..":                    "_",
		"xn--bcher-kva.example": "xn--bcher-kva.example",
	} {
		assert.Equal(t, want, fileName(in), in)
	}
}

func TestAskValue(t *testing.T) {
	sel := mwauth.Field{Name: "domain", Type: mwauth.FieldSelect, Label: "Domain",
		Options: []mwauth.FieldOption{{Value: "a", Label: "First"}, {Value: "b", Label: "Second"}}}
	multi := sel
	multi.Type = mwauth.FieldMultiselect
	for _, tc := range []struct {
		name    string
		f       mwauth.Field
		replies []string
		want    string
		wantErr bool
	}{
		{"required asked again", mwauth.Field{Name: "x", Label: "X"}, []string{"", " v "}, "v", false},
		{"required gives up", mwauth.Field{Name: "x", Label: "X"}, []string{"", "", ""}, "", true},
		{"optional empty", mwauth.Field{Name: "x", Label: "X", Optional: true}, []string{""}, "", false},
		{"password kept as typed", mwauth.Field{Name: "p", Type: mwauth.FieldPassword, Label: "P"}, []string{" s p "}, " s p ", false},
		{"select", sel, []string{"c", "b"}, "b", false},
		{"multiselect", multi, []string{"a, b"}, "a|b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &replies{list: tc.replies}
			var out bytes.Buffer
			v, err := askValue(s, &out, tc.f)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, v)
		})
	}
}

// replies answers with a list of replies in order.
type replies struct{ list []string }

func (r *replies) ask(string, mwauth.Field) (string, error) {
	if len(r.list) == 0 {
		return "", errNoAnswer
	}
	v := r.list[0]
	r.list = r.list[1:]
	return v, nil
}

// The same commands against the real MediaWiki of scripts/test.sh: a bot
// password from standard input, status, logout.
func TestIntegrationBotPasswordRealWiki(t *testing.T) {
	api := wikitest.API(t)
	configHome(t)
	r := mwlogin(t, wikitest.BotUserBotPass+"\n", nil,
		"login", "-wiki", api, "-user", wikitest.BotUserBot, "-password-stdin")
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "as "+wikitest.BotUser+".")

	r = mwlogin(t, "", nil, "status", "-wiki", api)
	require.Equal(t, exitOK, r.code, r.stderr)
	assert.Contains(t, r.stdout, "as "+wikitest.BotUser+" (user id ")

	r = mwlogin(t, "", nil, "logout", "-wiki", api)
	require.Equal(t, exitOK, r.code, r.stderr)
	r = mwlogin(t, "", nil, "status", "-wiki", api)
	assert.Equal(t, exitError, r.code)
	assert.Contains(t, r.stderr, "not logged in")
}
