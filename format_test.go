package mwauth

// format_test.go proves that no fmt verb and no slog handler prints a
// secret held by a value or a pointer of this package's types.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verbs are every fmt verb that could print a field's content.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%X", "%o", "%b", "%t", "%e", "%g", "%c", "%U", "%10.3v"}

// assertNoSecretPrinted formats v with every verb and logs it with both
// slog handlers, and checks that no secret appears.
func assertNoSecretPrinted(t *testing.T, name string, v any, secrets []string) {
	t.Helper()
	var outs []string
	for _, verb := range verbs {
		outs = append(outs, verb+" "+fmt.Sprintf(verb, v))
	}
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		slog.New(h(&buf)).Info("value", "v", v)
		outs = append(outs, buf.String())
	}
	for _, out := range outs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, "%s: %s", name, out)
		}
	}
}

func TestNoVerbPrintsASecret(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	const oauthToken = "OAUTH2-TOKEN-5e3c9a"
	oc, err := New("https://wiki.example.org/w/api.php", WithOAuth2Token(oauthToken))
	require.NoError(t, err)
	ofn, err := New("https://wiki.example.org/w/api.php", WithOAuth1("ck-1", "CONSUMER-SECRET-77", "at-1", "ACCESS-SECRET-88"))
	require.NoError(t, err)

	f := newFake(t)
	f.on("login", f.loginOK())
	bc, err := New(f.endpoint(), WithUserAgent(testUA), WithBotPassword(testBotUser, testBotPassword))
	require.NoError(t, err)
	_, err = bc.Resume(ctx)
	require.NoError(t, err)
	_, err = bc.token(ctx, "csrf")
	require.NoError(t, err)
	secrets := append([]string{oauthToken, "CONSUMER-SECRET-77", "ACCESS-SECRET-88", testBotPassword}, f.issued()...)
	require.Greater(t, len(secrets), 5, "the fake handed out tokens and cookies")

	req := ClientLoginRequest{Fields: map[string]string{"username": "Alice", "password": testUserPassword,
		"OATHToken": testOTP}}
	secrets = append(secrets, testUserPassword, testOTP)

	values := map[string]any{
		"*Client (OAuth 2)":      oc,
		"Client (OAuth 2)":       *oc,
		"Client (OAuth 1)":       *ofn,
		"*Client (bot password)": bc,
		"Client (bot password)":  *bc,
		"ClientLoginRequest":     req,
		"*ClientLoginRequest":    &req,
		"[]ClientLoginRequest":   []ClientLoginRequest{req},
		"Option":                 WithBotPassword(testBotUser, testBotPassword),
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) { assertNoSecretPrinted(t, name, v, secrets) })
	}
}

func TestErrorsCarryNoSecret(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	f := newFake(t)
	f.on("login", reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"},
		Body: "<html>\x1b[2J\x1b]0;evil\x07Bad gateway</html>"})
	c, err := New(f.endpoint(), WithUserAgent(testUA))
	require.NoError(t, err)
	_, err = c.Login(ctx, testBotUser, testBotPassword)
	require.Error(t, err)
	var re *ResponseError
	require.ErrorAs(t, err, &re)
	assert.NotContains(t, err.Error(), "\x1b")
	assert.NotContains(t, re.Snippet, "\x1b")
	assert.Contains(t, re.Snippet, "Bad gateway")
	for _, s := range append(f.issued(), testBotPassword) {
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), s)
	}
	assert.True(t, strings.HasPrefix(err.Error(), "mwauth: login: "), err.Error())
}

func TestStepErrAndLoginErrorStrings(t *testing.T) {
	s := &Step{Status: StatusFail, MessageCode: "wrongpassword", Message: "Incorrect\x1b[31m password"}
	err := s.Err()
	require.Error(t, err)
	assert.Equal(t, "mwauth: clientlogin: FAIL (wrongpassword): Incorrect password", err.Error())
	assert.ErrorIs(t, err, ErrWrongCredentials)
	assert.NoError(t, (&Step{Status: StatusPass}).Err())
	var le *LoginError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, "wrongpassword", le.Code)
	_ = context.Background
}
