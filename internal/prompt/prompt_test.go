package prompt

import (
	"bufio"
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth"
)

func scripted(input string) (*Prompter, *bytes.Buffer) {
	var out bytes.Buffer
	return &Prompter{In: bufio.NewReader(strings.NewReader(input)), Out: &out, Fd: -1}, &out
}

func TestResponderAnswersFieldsByType(t *testing.T) {
	p, out := scripted("123456\ny\nsecret-value\n")
	step := &mwauth.Step{Status: mwauth.StatusUI, Message: "Enter the code", Requests: []mwauth.AuthRequest{{
		Fields: []mwauth.Field{
			{Name: "captchaId", Type: "hidden", Value: "77"},
			{Name: "captchaInfo", Type: "null", Label: "Question:", Value: "What is 2+2?"},
			{Name: "OATHToken", Type: "string", Label: "Code", Help: "From your app"},
			{Name: "rememberMe", Type: "checkbox", Label: "Remember me"},
			{Name: "password", Type: "password", Label: "Password", Sensitive: true},
		},
	}}}
	got, err := p.Responder()(context.Background(), step)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"OATHToken": "123456", "rememberMe": "1", "password": "secret-value"}, got)
	assert.Contains(t, out.String(), "What is 2+2?")
	assert.Contains(t, out.String(), "From your app")
	assert.NotContains(t, out.String(), "secret-value", "a sensitive answer is never echoed by us")
}

func TestResponderRedirect(t *testing.T) {
	p, out := scripted("http://127.0.0.1:9/back?fakessocode=user:Alice&state=x\n")
	got, err := p.Responder()(context.Background(), &mwauth.Step{Status: mwauth.StatusRedirect,
		RedirectTarget: "http://idp.example/login?state=x"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"fakessocode": "user:Alice", "state": "x"}, got)
	assert.Contains(t, out.String(), "http://idp.example/login?state=x")
}

func TestReturnParamsErrors(t *testing.T) {
	_, err := ReturnParams("http://127.0.0.1/back")
	assert.Error(t, err)
	_, err = ReturnParams("%zz")
	assert.Error(t, err)
}

func TestLineEOF(t *testing.T) {
	p, _ := scripted("")
	_, err := p.Line("x: ")
	assert.Error(t, err)
	p, _ = scripted("last")
	s, err := p.Line("x: ")
	require.NoError(t, err)
	assert.Equal(t, "last", s)
}
