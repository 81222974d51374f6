package mwauth

// driver_test.go: RunClientLogin, the clientlogin driver (driver.go).

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mwauth/mwauth/mwauthtest"
)

// recordingResponder answers every step with answers and records the
// steps it was given.
type recordingResponder struct {
	mu      sync.Mutex
	steps   []*Step
	answers func(s *Step) (map[string]string, error)
}

func (r *recordingResponder) respond(_ context.Context, s *Step) (map[string]string, error) {
	r.mu.Lock()
	r.steps = append(r.steps, s)
	r.mu.Unlock()
	return r.answers(s)
}

func (r *recordingResponder) calls() []*Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Step(nil), r.steps...)
}

func answer(m map[string]string) func(*Step) (map[string]string, error) {
	return func(*Step) (map[string]string, error) { return m, nil }
}

var errStopLogin = errors.New("user closed the prompt")

// amiWithSSO is an authmanagerinfo answer whose form offers the FakeSSO
// button besides the password (the requests of the RESTART fixture).
func amiWithSSO(t testing.TB, f *fakeWiki) reply {
	var r struct {
		ClientLogin struct {
			Requests json.RawMessage `json:"requests"`
		} `json:"clientlogin"`
	}
	require.NoError(t, json.Unmarshal([]byte(fixture(t, "clientlogin_restart.json")), &r))
	return reply{Body: `{"batchcomplete":true,"query":{"authmanagerinfo":{"canauthenticatenow":true,"requests":` +
		string(r.ClientLogin.Requests) + `},"tokens":{"logintoken":"abad1deaabad1deaabad1deaabad1dea00000005+\\"}}}`}
}

func TestRunClientLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		req           ClientLoginRequest
		clientlogin   func(f *fakeWiki) []reply
		amInfo        func(t *testing.T, f *fakeWiki) []reply // default: the password form
		answers       func(*Step) (map[string]string, error)
		wantStatus    Status
		wantErr       []error
		wantAPI       string
		wantCalls     int
		wantPosts     int
		wantInfoCalls int
		check         func(t *testing.T, f *fakeWiki, calls []*Step)
	}{
		{
			name:        "PASS at once",
			req:         passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply { return []reply{f.passOK()} },
			wantStatus:  StatusPass, wantPosts: 1, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Zero(t, f.count("tokens:login"), "the login token came with the form")
			},
		},
		{
			name: "an empty request: the responder answers the form",
			req:  ClientLoginRequest{},
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.passOK()}
			},
			answers:    answer(map[string]string{"username": testUser, "password": testUserPassword}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 1, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, StatusUI, calls[0].Status)
				assert.Equal(t, "mwauth-login-form", calls[0].MessageCode)
				assert.Equal(t, []string{"username", "password", "rememberMe"}, fieldNames(calls[0].Fields()))
				p := f.posts("clientlogin")[0]
				assert.Equal(t, testUser, p.Form.Get("username"))
				assert.Equal(t, testUserPassword, p.Form.Get("password"))
				assert.False(t, p.has("rememberMe"))
			},
		},
		{
			name: "two-factor UI answered",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oathtoken.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"OATHToken": testOTP}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, StatusUI, calls[0].Status)
				assert.Equal(t, "OATHToken", calls[0].Fields()[0].Name)
				p := f.posts("clientlogin")[1]
				assert.Equal(t, "1", p.Form.Get("logincontinue"))
				assert.Equal(t, testOTP, p.Form.Get("OATHToken"))
			},
		},
		{
			name: "wrong code, then the right one",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oathtoken.json"), f.fx("clientlogin_ui_oath_failed.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"OATHToken": testOTP}),
			wantStatus: StatusPass, wantCalls: 2, wantPosts: 3, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, "oathauth-login-failed", calls[1].MessageCode)
			},
		},
		{
			name: "a server that always answers UI hits the step cap",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oath_failed.json")}
			},
			answers:    answer(map[string]string{"OATHToken": "000000"}),
			wantStatus: StatusUI, wantErr: []error{ErrUnexpectedResponse},
			wantCalls: maxSteps, wantPosts: maxSteps + 1, wantInfoCalls: 1,
		},
		{
			name: "hidden fields are echoed",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_domain.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"domain": "corp"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				p := f.posts("clientlogin")[1]
				assert.Equal(t, "corp", p.Form.Get("domain"))
				assert.Equal(t, "4711", p.Form.Get("loginsessionid"))
			},
		},
		{
			name:   "REDIRECT answered with the return URL's parameters",
			req:    ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			amInfo: func(t *testing.T, f *fakeWiki) []reply { return []reply{amiWithSSO(t, f)} },
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.passOK()}
			},
			answers: func(s *Step) (map[string]string, error) {
				return RedirectFields("http://127.0.0.1:8080/w/index.php?title=Special:UserLogin&fakessocode=user%3AAlice")
			},
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, StatusRedirect, calls[0].Status)
				p := f.posts("clientlogin")[1]
				assert.Equal(t, "1", p.Form.Get("logincontinue"))
				assert.Equal(t, "user:Alice", p.Form.Get("fakessocode"))
				assert.False(t, p.has("fakessologin"))
				assert.False(t, p.has("title"))
			},
		},
		{
			name:   "RESTART declined by an error",
			req:    ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			amInfo: func(t *testing.T, f *fakeWiki) []reply { return []reply{amiWithSSO(t, f)} },
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.fx("clientlogin_restart.json")}
			},
			answers: func(s *Step) (map[string]string, error) {
				if s.Status == StatusRestart {
					return nil, errStopLogin
				}
				return map[string]string{"fakessocode": "nouser"}, nil
			},
			wantStatus: StatusRestart, wantErr: []error{errStopLogin}, wantCalls: 2, wantPosts: 2, wantInfoCalls: 1,
		},
		{
			name:   "RESTART answered starts a new flow",
			req:    ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			amInfo: func(t *testing.T, f *fakeWiki) []reply { return []reply{amiWithSSO(t, f)} },
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.fx("clientlogin_restart.json"), f.passOK()}
			},
			answers: func(s *Step) (map[string]string, error) {
				if s.Status == StatusRestart {
					return map[string]string{"username": testUser, "password": testUserPassword}, nil
				}
				return map[string]string{"fakessocode": "nouser"}, nil
			},
			wantStatus: StatusPass, wantCalls: 2, wantPosts: 3, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				p := f.posts("clientlogin")[2]
				assert.False(t, p.has("logincontinue"), "after RESTART the flow begins again")
				assert.True(t, p.has("loginreturnurl"))
				assert.Equal(t, testUser, p.Form.Get("username"))
				assert.False(t, p.has("fakessologin"), "the answers to the fresh form replace the first request's")
				assert.False(t, p.has("loginpreservestate"), "canpreservestate was false")
			},
		},
		{
			name: "responder error stops the flow",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oathtoken.json"), f.passOK()}
			},
			answers:    func(*Step) (map[string]string, error) { return nil, errStopLogin },
			wantStatus: StatusUI, wantErr: []error{errStopLogin}, wantCalls: 1, wantPosts: 1, wantInfoCalls: 1,
		},
		{
			name: "FAIL without a captcha",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantPosts: 1, wantInfoCalls: 2,
		},
		{
			name: "FAIL and authmanagerinfo fails",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo: func(t *testing.T, f *fakeWiki) []reply {
				return []reply{f.fx("authmanagerinfo_login.json"), f.fx("error_readonly.json")}
			},
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantPosts: 1, wantInfoCalls: 2,
		},
		{
			name: "FAIL of an attempt that answered a captcha: no retry",
			req: ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword,
				"captchaWord": "guess"}},
			amInfo: func(t *testing.T, f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_captcha.json")} },
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials}, wantPosts: 1, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, "1134311198057116441", f.posts("clientlogin")[0].Form.Get("captchaId"))
			},
		},
		{
			name:   "a captcha in the form is asked before any attempt",
			req:    passwordLogin(),
			amInfo: func(t *testing.T, f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_captcha.json")} },
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.passOK()}
			},
			answers:    answer(map[string]string{"captchaWord": "Fake wiki"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 1, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, "mwauth-login-form", calls[0].MessageCode)
				assert.NotNil(t, captchaRequest(calls[0].Requests))
				p := f.posts("clientlogin")[0]
				assert.Equal(t, testUserPassword, p.Form.Get("password"), "the request's answers are kept")
				assert.Equal(t, "Fake wiki", p.Form.Get("captchaWord"))
				assert.Equal(t, "1134311198057116441", p.Form.Get("captchaId"))
			},
		},
		{
			name: "captcha: FAIL, authmanagerinfo asks for one, retried once with the answer",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo: func(t *testing.T, f *fakeWiki) []reply {
				return []reply{f.fx("authmanagerinfo_login.json"), f.fx("authmanagerinfo_captcha.json")}
			},
			answers:    answer(map[string]string{"captchaWord": "Fake wiki"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2, wantInfoCalls: 2,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				s := calls[0]
				assert.Equal(t, StatusUI, s.Status)
				assert.Equal(t, "mwauth-captcha", s.MessageCode)
				assert.Equal(t, "Incorrect username or password entered.\nPlease try again.", s.Message, "the FAIL's message")
				require.Len(t, s.Requests, 1)
				assert.Equal(t, "CaptchaAuthenticationRequest", s.Requests[0].ID)
				fields := s.Fields()
				require.Len(t, fields, 3)
				assert.Equal(t, "What is the name of this test wiki?", fields[1].Value)

				info := f.all()[2]
				assert.Equal(t, "login", info.param("amirequestsfor"))
				assert.Contains(t, info.param("meta"), "tokens")

				p := f.posts("clientlogin")[1]
				assertPost(t, p)
				assert.False(t, p.has("logincontinue"), "the captcha retry is a new attempt")
				assert.Equal(t, testUser, p.Form.Get("username"))
				assert.Equal(t, testUserPassword, p.Form.Get("password"))
				assert.Equal(t, "Fake wiki", p.Form.Get("captchaWord"))
				assert.Equal(t, "1134311198057116441", p.Form.Get("captchaId"))
				assert.True(t, strings.HasPrefix(p.Form.Get("logintoken"), "abad1dea"),
					"the retry uses the token that came with authmanagerinfo")
				assert.Zero(t, f.count("tokens:login"))
			},
		},
		{
			name: "captcha answered wrong: no third attempt",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json")}
			},
			amInfo: func(t *testing.T, f *fakeWiki) []reply {
				return []reply{f.fx("authmanagerinfo_login.json"), f.fx("authmanagerinfo_captcha.json")}
			},
			answers:    answer(map[string]string{"captchaWord": "wrong"}),
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantCalls: 1, wantPosts: 2, wantInfoCalls: 2,
		},
		{
			name: "captcha: responder error stops the flow",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo: func(t *testing.T, f *fakeWiki) []reply {
				return []reply{f.fx("authmanagerinfo_login.json"), f.fx("authmanagerinfo_captcha.json")}
			},
			answers:    func(*Step) (map[string]string, error) { return nil, errStopLogin },
			wantStatus: StatusFail, wantErr: []error{errStopLogin}, wantCalls: 1, wantPosts: 1, wantInfoCalls: 2,
		},
		{
			name: "first request fails",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("error_readonly.json")}
			},
			wantAPI: "readonly", wantPosts: 1, wantInfoCalls: 1,
		},
		{
			name:          "the form cannot be fetched",
			req:           passwordLogin(),
			clientlogin:   func(f *fakeWiki) []reply { return []reply{f.passOK()} },
			amInfo:        func(t *testing.T, f *fakeWiki) []reply { return []reply{f.fx("error_readonly.json")} },
			wantAPI:       "readonly",
			wantInfoCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("clientlogin", tt.clientlogin(f)...)
			if tt.amInfo != nil {
				f.on("authmanagerinfo", tt.amInfo(t, f)...)
			} else {
				f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
			}
			answers := tt.answers
			if answers == nil {
				answers = func(s *Step) (map[string]string, error) {
					t.Errorf("responder called unexpectedly with a %s step", s.Status)
					return nil, errStopLogin
				}
			}
			r := &recordingResponder{answers: answers}

			step, err := c.RunClientLogin(ctxTimeout(t, 10*time.Second), tt.req, r.respond)

			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			if tt.wantAPI != "" {
				var ae *APIError
				require.ErrorAs(t, err, &ae)
				assert.Equal(t, tt.wantAPI, ae.Code)
			}
			if len(tt.wantErr) == 0 && tt.wantAPI == "" {
				assert.NoError(t, err)
			}
			if tt.wantStatus != "" {
				require.NotNil(t, step)
				assert.Equal(t, tt.wantStatus, step.Status)
			}
			calls := r.calls()
			assert.Len(t, calls, tt.wantCalls, "responder calls")
			assert.Len(t, f.posts("clientlogin"), tt.wantPosts, "clientlogin POSTs")
			assert.Equal(t, tt.wantInfoCalls, f.count("authmanagerinfo"), "authmanagerinfo requests")
			for _, req := range f.all() {
				assert.NotContains(t, req.URL, "password")
			}
			if tt.wantStatus == StatusPass {
				assert.Equal(t, sessionClientLogin, c.state().kind)
			}
			if tt.check != nil {
				tt.check(t, f, calls)
			}
		})
	}
}

// TestRunClientLoginTwoFactorBudget: an interactive two-factor login
// takes three requests whether or not the request holds the password.
func TestRunClientLoginTwoFactorBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  ClientLoginRequest
	}{
		{name: "password in the request", req: passwordLogin()},
		{name: "empty request", req: ClientLoginRequest{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
			f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.passOK())
			step, err := c.RunClientLogin(ctxTimeout(t, 10*time.Second), tt.req,
				func(_ context.Context, s *Step) (map[string]string, error) {
					if s.MessageCode == "mwauth-login-form" {
						return map[string]string{"username": testUser, "password": testUserPassword}, nil
					}
					return map[string]string{"OATHToken": testOTP}, nil
				})
			require.NoError(t, err)
			assert.Equal(t, StatusPass, step.Status)
			assert.Len(t, f.all(), 3, "authmanagerinfo with the login token, clientlogin, continue")
		})
	}
}

func TestRunClientLoginNilResponder(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	_, err := c.RunClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin(), nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
	assert.Empty(t, f.all())
}

// TestRunClientLoginCanceledByResponder: a context cancelled while the
// responder prompts ends the flow with the context's error, before
// anything more is sent.
func TestRunClientLoginCanceledByResponder(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	f.on("authmanagerinfo", f.fx("authmanagerinfo_login.json"))
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.passOK())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	step, err := c.RunClientLogin(ctx, passwordLogin(), func(ctx context.Context, s *Step) (map[string]string, error) {
		cancel() // the user pressed ^C at the prompt
		return map[string]string{"OATHToken": testOTP}, nil
	})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Nil(t, step)
	assert.Len(t, f.posts("clientlogin"), 1)
	assert.Equal(t, sessionNone, c.state().kind)
}

func TestAnswersForm(t *testing.T) {
	t.Parallel()
	password := AuthRequest{ID: "Password", required: "primary-required", Fields: []Field{
		{Name: "username", Type: FieldString}, {Name: "password", Type: FieldPassword, Sensitive: true}}}
	button := AuthRequest{ID: "Button:sso", required: "primary-required", Fields: []Field{{Name: "sso", Type: FieldButton}}}
	remember := AuthRequest{ID: "RememberMe", required: "optional", Fields: []Field{{Name: "rememberMe", Type: FieldCheckbox, Optional: true}}}
	captcha := AuthRequest{ID: "CaptchaAuthenticationRequest", required: "required", Fields: []Field{
		{Name: "captchaId", Type: FieldHidden, Value: "1"}, {Name: "captchaInfo", Type: FieldNull}, {Name: "captchaWord", Type: FieldString}}}
	tests := []struct {
		name   string
		reqs   []AuthRequest
		fields map[string]string
		want   bool
	}{
		{name: "password answered", reqs: []AuthRequest{password, remember}, fields: map[string]string{"username": "A", "password": "p"}, want: true},
		{name: "password missing", reqs: []AuthRequest{password, remember}, fields: map[string]string{"username": "A"}},
		{name: "empty", reqs: []AuthRequest{password, remember}},
		{name: "one primary is enough: the button", reqs: []AuthRequest{password, button}, fields: map[string]string{"sso": "1"}, want: true},
		{name: "button not pressed", reqs: []AuthRequest{button}, fields: map[string]string{"sso": ""}},
		{name: "captcha required and answered", reqs: []AuthRequest{captcha, password},
			fields: map[string]string{"username": "A", "password": "p", "captchaWord": "x"}, want: true},
		{name: "captcha required, not answered", reqs: []AuthRequest{captcha, password},
			fields: map[string]string{"username": "A", "password": "p"}},
		{name: "no requests", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, answersForm(tt.reqs, tt.fields))
		})
	}
}

// These tests run RunClientLogin from an empty request against
// mwauthtest: the driver asks for the login form, the captcha the form
// lists, and the two-factor code, spending no failed attempt.

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
	srv := wiki(t, mwauthtest.WithCaptcha("What is the name of this test wiki?", "localwiki", 1))
	// One failed login of Alice elsewhere: her next login needs the
	// captcha, but a new session's form does not list it yet.
	_, err := newAt(t, srv).ClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{
		"username": "Alice", "password": "wrong"}})
	require.NoError(t, err)

	c := newAt(t, srv)
	n := len(srv.Requests())
	r := &scripted{answers: func(*Step) map[string]string { return map[string]string{"captchaWord": "localwiki"} }}
	step, err := c.RunClientLogin(ctx, ClientLoginRequest{Fields: map[string]string{
		"username": "Alice", "password": "Alice-localwiki-pass-1"}}, r.respond)
	require.NoError(t, err)
	assert.Equal(t, StatusPass, step.Status)
	require.Len(t, r.steps, 1, "only the captcha is asked")
	assert.Equal(t, "mwauth-captcha", r.steps[0].MessageCode, "the driver's step says so")
	assert.NotEmpty(t, r.steps[0].Message, "with the wiki's message of the FAIL")
	assert.Equal(t, 2, countAction(since(srv, n), "clientlogin"), "the failed attempt, then the one with the captcha")
}
