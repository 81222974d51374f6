package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/internal/prompt"
	"github.com/mwauth/mwauth/internal/wikitest"
	"github.com/mwauth/mwauth/mwauthtest"
)

func TestDemoShowsTwoFactorLogin(t *testing.T) {
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, nil, nil, &out, &errOut), errOut.String())
	s := out.String()
	for _, want := range []string{
		"status UI, message code oathauth-auth-ui",
		"the wiki asks for OATHToken",
		"status PASS: logged in as TwoFAUser after 3 HTTP requests",
		"(mode 0600)",
		"ready to edit after 1 request",
		"session file gone",
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, demoPass)
}

func TestBotPasswordLoginWhoamiLogout(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	session := filepath.Join(t.TempDir(), "s.json")
	t.Setenv("MWLOGIN_PASSWORD", "botuserbotpassword0123456789abcd")
	var out, errOut bytes.Buffer
	args := []string{"-wiki", srv.URL, "-session", session, "-user", "BotUser@localbot"}
	require.NoError(t, run(ctx, append(args, "login"), nil, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "logged in as BotUser")

	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", srv.URL, "-session", session, "whoami"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "logged in as BotUser")

	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", srv.URL, "-session", session, "logout"}, nil, &out, &errOut))
	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", srv.URL, "-session", session, "whoami"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "not logged in")
}

func TestBadUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"whoami"}, nil, &out, &errOut)
	require.Error(t, err)
	err = run(context.Background(), []string{"-wiki", "http://127.0.0.1:1/api.php", "dance"}, nil, &out, &errOut)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "dance"))
}

// An interactive clientlogin with two-factor, answered on a scripted
// terminal: password, remember-me, then the code.
func TestInteractiveTwoFactorLogin(t *testing.T) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	session := filepath.Join(t.TempDir(), "s.json")
	input := demoPass + "\n" + "n\n" + srv.TOTPCode(demoUser, 0) + "\n"
	var asked bytes.Buffer
	p := &prompt.Prompter{In: bufio.NewReader(strings.NewReader(input)), Out: &asked, Fd: -1}
	var out, errOut bytes.Buffer
	err := run(ctx, []string{"-wiki", srv.URL, "-session", session, "-user", demoUser, "login"}, p, &out, &errOut)
	require.NoError(t, err, errOut.String())
	assert.Contains(t, out.String(), "logged in as "+demoUser)
	assert.Contains(t, asked.String(), "Password")
	assert.Contains(t, asked.String(), "Two-factor")
	assert.NotContains(t, asked.String(), demoPass)
	assert.NotContains(t, out.String()+errOut.String(), demoPass)

	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", srv.URL, "-session", session, "whoami"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "logged in as "+demoUser)
}

// The same command against the real MediaWiki 1.39 of scripts/test.sh.
func TestIntegrationMwloginRealWiki(t *testing.T) {
	api := wikitest.API(t)
	ctx := context.Background()
	session := filepath.Join(t.TempDir(), "s.json")
	t.Setenv("MWLOGIN_PASSWORD", wikitest.BotUserBotPass)
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"-wiki", api, "-session", session, "-user", wikitest.BotUserBot, "login"}, nil, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "logged in as "+wikitest.BotUser)
	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", api, "-session", session, "whoami"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "logged in as "+wikitest.BotUser)
	require.NoError(t, run(ctx, []string{"-wiki", api, "-session", session, "logout"}, nil, &out, &errOut))

	// Interactive two-factor login, answered on a scripted terminal.
	input := wikitest.TwoFAPass + "\n" + "n\n" + wikitest.TOTP(t) + "\n"
	p := &prompt.Prompter{In: bufio.NewReader(strings.NewReader(input)), Out: io.Discard, Fd: -1}
	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", api, "-session", session, "-user", wikitest.TwoFAUser, "login"}, p, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "logged in as "+wikitest.TwoFAUser)
	out.Reset()
	require.NoError(t, run(ctx, []string{"-wiki", api, "-session", session, "whoami"}, nil, &out, &errOut))
	assert.Contains(t, out.String(), "logged in as "+wikitest.TwoFAUser)
}
