package mwauth

// driver_form_test.go runs RunClientLogin from an empty request against
// mwauthtest: the driver asks for the login form, the captcha the form
// lists, and the two-factor code, spending no failed attempt.

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/mwauthtest"
)

// scripted is a Responder that answers by field name and records the
// steps it saw.
type scripted struct {
	answers func(s *Step) map[string]string
	steps   []*Step
}

func (r *scripted) respond(_ context.Context, s *Step) (map[string]string, error) {
	r.steps = append(r.steps, s)
	out := map[string]string{}
	for _, f := range s.Fields() {
		if f.Type == FieldHidden || f.Type == FieldNull {
			continue
		}
		if v, ok := r.answers(s)[f.Name]; ok {
			out[f.Name] = v
		}
	}
	return out, nil
}

func TestRunClientLoginFromAnEmptyRequest(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv)
	r := &scripted{answers: func(s *Step) map[string]string {
		return map[string]string{"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1",
			"OATHToken": srv.TOTPCode("TwoFAUser", 0)}
	}}
	step, err := c.RunClientLogin(ctx, ClientLoginRequest{}, r.respond)
	require.NoError(t, err)
	assert.Equal(t, StatusPass, step.Status)
	assert.Equal(t, "TwoFAUser", step.User.Name)
	require.Len(t, r.steps, 2)
	assert.Equal(t, "mwauth-login-form", r.steps[0].MessageCode)
	assert.Equal(t, "oathauth-auth-ui", r.steps[1].MessageCode)
	assert.Len(t, srv.Requests(), 3, "authmanagerinfo with the token, clientlogin, continue")
	assert.Equal(t, 1, countAction(srv.Requests(), "clientlogin")-1, "one attempt, one continue")
}

func TestRunClientLoginWithCredentialsAsksOnlyForTheCode(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t)
	c := newAt(t, srv)
	r := &scripted{answers: func(*Step) map[string]string {
		return map[string]string{"OATHToken": srv.TOTPCode("TwoFAUser", 0)}
	}}
	step, err := c.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{
		"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"}}, r.respond)
	require.NoError(t, err)
	assert.Equal(t, StatusPass, step.Status)
	require.Len(t, r.steps, 1)
	assert.Equal(t, "oathauth-auth-ui", r.steps[0].MessageCode)
	assert.Len(t, srv.Requests(), 3)
}

func TestRunClientLoginAsksTheListedCaptchaFirst(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t, mwauthtest.WithCaptchaPerIP(1))
	// One failed login from this IP: from now on every login needs the
	// captcha, and authmanagerinfo lists it up front.
	other := newAt(t, srv)
	_, err := other.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{
		"username": "Alice", "password": "wrong"}}, func(context.Context, *Step) (map[string]string, error) {
		return nil, nil
	})
	require.ErrorIs(t, err, ErrWrongCredentials)

	c := newAt(t, srv)
	n := len(srv.Requests())
	r := &scripted{answers: func(*Step) map[string]string {
		return map[string]string{"username": "Alice", "password": "Alice-localwiki-pass-1", "captchaWord": "localwiki"}
	}}
	step, err := c.RunClientLogin(ctx, ClientLoginRequest{}, r.respond)
	require.NoError(t, err)
	assert.Equal(t, StatusPass, step.Status)
	require.Len(t, r.steps, 1, "the captcha is asked with the form")
	names := map[string]bool{}
	for _, f := range r.steps[0].Fields() {
		names[f.Name] = true
	}
	assert.True(t, names["captchaWord"] && names["username"] && names["password"], "%v", names)
	assert.Equal(t, 1, countAction(since(srv, n), "clientlogin"), "no failed attempt spent")
}

func TestRunClientLoginCaptchaAfterAFailIsMarkedAsTheDrivers(t *testing.T) {
	ctx := ctxTimeout(t, 10*time.Second)
	srv := wiki(t, mwauthtest.WithCaptcha("What is the name of this test wiki?", "localwiki", 0))
	c := newAt(t, srv)
	r := &scripted{answers: func(*Step) map[string]string { return map[string]string{"captchaWord": "localwiki"} }}
	step, err := c.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{
		"username": "Alice", "password": "Alice-localwiki-pass-1"}}, r.respond)
	require.NoError(t, err)
	assert.Equal(t, StatusPass, step.Status)
	require.NotEmpty(t, r.steps)
	last := r.steps[len(r.steps)-1]
	assert.Contains(t, []string{"mwauth-captcha", "mwauth-login-form"}, last.MessageCode)
}
