package mwauth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestRunClientLogin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		req           ClientLoginRequest
		clientlogin   func(f *fakeWiki) []reply
		amInfo        func(f *fakeWiki) []reply
		answers       func(*Step) (map[string]string, error)
		wantStatus    Status
		wantErr       []error
		wantCalls     int
		wantPosts     int
		wantInfoCalls int
		check         func(t *testing.T, f *fakeWiki, calls []*Step)
	}{
		{
			name:        "PASS at once",
			req:         passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply { return []reply{f.passOK()} },
			wantStatus:  StatusPass, wantPosts: 1,
		},
		{
			name: "two-factor UI answered",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oathtoken.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"OATHToken": testOTP}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, StatusUI, calls[0].Status)
				assert.Equal(t, "OATHToken", calls[0].AllFields()[0].Name)
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
			wantStatus: StatusPass, wantCalls: 2, wantPosts: 3,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, "oathauth-login-failed", calls[1].MessageCode)
			},
		},
		{
			name: "a server that always answers UI",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_oath_failed.json")}
			},
			answers:    answer(map[string]string{"OATHToken": "000000"}),
			wantStatus: StatusUI, wantErr: []error{ErrTooManySteps},
			wantCalls: MaxSteps, wantPosts: MaxSteps + 1,
		},
		{
			name: "hidden fields are echoed",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_ui_domain.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"domain": "corp"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				p := f.posts("clientlogin")[1]
				assert.Equal(t, "corp", p.Form.Get("domain"))
				assert.Equal(t, "4711", p.Form.Get("loginsessionid"))
			},
		},
		{
			name: "REDIRECT answered with the return URL's parameters",
			req:  ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.passOK()}
			},
			answers:    answer(map[string]string{"fakessocode": "user:Alice"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				assert.Equal(t, StatusRedirect, calls[0].Status)
				p := f.posts("clientlogin")[1]
				assert.Equal(t, "1", p.Form.Get("logincontinue"))
				assert.Equal(t, "user:Alice", p.Form.Get("fakessocode"))
				assert.False(t, p.has("fakessologin"))
			},
		},
		{
			name: "RESTART declined",
			req:  ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.fx("clientlogin_restart.json")}
			},
			answers: func(s *Step) (map[string]string, error) {
				if s.Status == StatusRestart {
					return nil, nil
				}
				return map[string]string{"fakessocode": "nouser"}, nil
			},
			wantStatus: StatusRestart, wantErr: []error{ErrLoginFailed}, wantCalls: 2, wantPosts: 2,
		},
		{
			name: "RESTART answered starts a new flow",
			req:  ClientLoginRequest{Fields: map[string]string{"fakessologin": "1"}},
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_redirect.json"), f.fx("clientlogin_restart.json"), f.passOK()}
			},
			answers: func(s *Step) (map[string]string, error) {
				if s.Status == StatusRestart {
					return map[string]string{"username": testUser, "password": testUserPassword}, nil
				}
				return map[string]string{"fakessocode": "nouser"}, nil
			},
			wantStatus: StatusPass, wantCalls: 2, wantPosts: 3,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				p := f.posts("clientlogin")[2]
				assert.False(t, p.has("logincontinue"), "after RESTART the flow begins again")
				assert.True(t, p.has("loginreturnurl"))
				assert.Equal(t, testUser, p.Form.Get("username"))
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
			wantStatus: StatusUI, wantErr: []error{errStopLogin}, wantCalls: 1, wantPosts: 1,
		},
		{
			name: "FAIL without a captcha",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo:     func(f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_login.json")} },
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantPosts: 1, wantInfoCalls: 1,
		},
		{
			name: "FAIL and authmanagerinfo fails",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo:     func(f *fakeWiki) []reply { return []reply{f.fx("error_readonly.json")} },
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantPosts: 1, wantInfoCalls: 1,
		},
		{
			name: "FAIL of an attempt that answered a captcha",
			req: ClientLoginRequest{Fields: map[string]string{"username": testUser, "password": testUserPassword,
				"captchaId": "1", "captchaWord": "guess"}},
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials}, wantPosts: 1,
		},
		{
			name: "captcha: FAIL, authmanagerinfo asks for one, retried once with the answer",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo:     func(f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_captcha.json")} },
			answers:    answer(map[string]string{"captchaWord": "Fake wiki"}),
			wantStatus: StatusPass, wantCalls: 1, wantPosts: 2, wantInfoCalls: 1,
			check: func(t *testing.T, f *fakeWiki, calls []*Step) {
				s := calls[0]
				assert.Equal(t, StatusUI, s.Status)
				assert.Equal(t, "wrongpassword", s.MessageCode)
				require.Len(t, s.Requests, 1)
				assert.Equal(t, "CaptchaAuthenticationRequest", s.Requests[0].ID)
				fields := s.AllFields()
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
				assert.Equal(t, 1, f.count("tokens:login"))
			},
		},
		{
			name: "captcha answered wrong: no third attempt",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json")}
			},
			amInfo:     func(f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_captcha.json")} },
			answers:    answer(map[string]string{"captchaWord": "wrong"}),
			wantStatus: StatusFail, wantErr: []error{ErrLoginFailed, ErrWrongCredentials},
			wantCalls: 1, wantPosts: 2, wantInfoCalls: 1,
		},
		{
			name: "captcha: responder error stops the flow",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("clientlogin_fail_wrongpassword.json"), f.passOK()}
			},
			amInfo:     func(f *fakeWiki) []reply { return []reply{f.fx("authmanagerinfo_captcha.json")} },
			answers:    func(*Step) (map[string]string, error) { return nil, errStopLogin },
			wantStatus: StatusFail, wantErr: []error{errStopLogin}, wantCalls: 1, wantPosts: 1, wantInfoCalls: 1,
		},
		{
			name: "first request fails",
			req:  passwordLogin(),
			clientlogin: func(f *fakeWiki) []reply {
				return []reply{f.fx("error_readonly.json")}
			},
			wantErr: []error{ErrReadOnly}, wantPosts: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("clientlogin", tt.clientlogin(f)...)
			if tt.amInfo != nil {
				f.on("authmanagerinfo", tt.amInfo(f)...)
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

			if len(tt.wantErr) > 0 {
				for _, want := range tt.wantErr {
					assert.ErrorIs(t, err, want)
				}
			} else {
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

func TestRunClientLoginNilResponder(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	_, err := c.RunClientLogin(ctxTimeout(t, 10*time.Second), passwordLogin(), nil)
	assert.Error(t, err)
	assert.Empty(t, f.all())
}

// TestRunClientLoginCanceledByResponder: a context cancelled while the
// responder prompts ends the flow with the context's error, before
// anything more is sent.
func TestRunClientLoginCanceledByResponder(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
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

func TestMergeAnswers(t *testing.T) {
	t.Parallel()
	step := &Step{Status: StatusUI, Requests: []AuthRequest{{ID: "CaptchaAuthenticationRequest", Fields: []Field{
		{Name: "captchaId", Type: "hidden", Value: "42"},
		{Name: "captchaInfo", Type: "null", Value: "What is 2+2?"},
		{Name: "captchaWord", Type: "string"},
	}}}}
	tests := []struct {
		name    string
		base    map[string]string
		answers map[string]string
		want    map[string]string
	}{
		{name: "hidden echoed, null not sent", answers: map[string]string{"captchaWord": "4"},
			want: map[string]string{"captchaId": "42", "captchaWord": "4"}},
		{name: "base kept", base: map[string]string{"username": testUser, "password": testUserPassword},
			answers: map[string]string{"captchaWord": "4"},
			want:    map[string]string{"username": testUser, "password": testUserPassword, "captchaId": "42", "captchaWord": "4"}},
		{name: "answers win", base: map[string]string{"captchaWord": "old"},
			answers: map[string]string{"captchaWord": "4", "captchaId": "43"},
			want:    map[string]string{"captchaId": "43", "captchaWord": "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := map[string]string{}
			for k, v := range tt.base {
				base[k] = v
			}
			got := mergeAnswers(tt.base, tt.answers, step)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, base, nilToEmpty(tt.base), "the caller's map is not modified")
		})
	}
}

func nilToEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
