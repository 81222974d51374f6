package mwauth

import (
	"context"
	"fmt"
	"strings"
)

// maxSteps is how many steps RunClientLogin hands to its Responder before
// it gives up. A real login needs two or three.
const maxSteps = 8

// captchaRequestID is ConfirmEdit's request id (not namespaced).
const captchaRequestID = "CaptchaAuthenticationRequest"

// Responder answers one step of [Client.RunClientLogin], in the spirit of
// x/crypto/ssh's KeyboardInteractive: it gets a UI, REDIRECT or RESTART
// step and returns the answers to its fields by name. Show each field's
// Label; never echo a Sensitive one; show FieldNull values
// (a captcha question). Hidden fields are filled in by the driver. For a
// REDIRECT, send the user to Step.RedirectTarget and return
// [RedirectFields] of the URL the browser came back to. Returning an
// error stops the flow with that error.
type Responder func(ctx context.Context, s *Step) (map[string]string, error)

// RunClientLogin drives a whole clientlogin flow to PASS (returned with a
// nil error) or FAIL (returned with its *[LoginError]), handing every
// step that needs an answer to r:
//
//   - It first asks the wiki for its login form ([Client.AuthManagerInfo],
//     which also fetches the login token). If req.Fields do not answer it
//     (an empty request, say), r gets the form as a UI step with
//     MessageCode "mwauth-login-form" — so an empty request and a terminal
//     Responder make a complete interactive login. A captcha that the form
//     lists is asked in that same step, before any attempt is spent.
//   - UI and REDIRECT steps are answered by r and continued.
//   - A captcha is never a UI step of the wiki: a login FAILs and the next
//     attempt must carry captcha fields. When a FAIL leaves a captcha
//     required, r gets it as a UI step with MessageCode "mwauth-captcha"
//     and the FAIL's Message, and the login is tried once more.
//   - At RESTART, r's answers (to the fresh form in Step.Requests) start a
//     new flow, with the state the wiki preserved; to stop, r returns an
//     error.
//
// After 8 steps it fails with [ErrUnexpectedResponse]. A two-factor login
// takes three requests, whether or not req holds the username and
// password.
func (c *Client) RunClientLogin(ctx context.Context, req ClientLoginRequest, r Responder) (*Step, error) {
	step, err := c.runClientLogin(ctx, req, r)
	return step, opErr("clientlogin", err)
}

func (c *Client) runClientLogin(ctx context.Context, req ClientLoginRequest, r Responder) (*Step, error) {
	if r == nil {
		return nil, invalid("nil Responder")
	}
	form, err := c.authManagerInfo(ctx, req.MessageFormat)
	if err != nil {
		return nil, err
	}
	fields := form.Answer(req.Fields)
	steps := 0
	if !answersForm(form.Requests, fields) {
		steps++
		answers, err := r(ctx, form)
		if err != nil {
			return nil, err
		}
		fields = form.Answer(merge(req.Fields, answers))
	}
	captchaTried := captchaRequest(form.Requests) != nil
	start := req
	start.Fields = fields
	step, err := c.clientLogin(ctx, start)
	for {
		if err != nil {
			return step, err
		}
		switch step.Status {
		case StatusPass:
			return step, nil
		case StatusFail:
			if captchaTried {
				return step, step.Err()
			}
			captchaTried = true
			info, ierr := c.authManagerInfo(ctx, req.MessageFormat)
			if ierr != nil {
				if ctx.Err() != nil {
					return step, ctx.Err()
				}
				return step, step.Err()
			}
			cap := captchaRequest(info.Requests)
			if cap == nil {
				return step, step.Err()
			}
			ui := &Step{Status: StatusUI, Message: step.Message, MessageCode: codeCaptcha,
				Requests: []AuthRequest{*cap}}
			steps++
			answers, rerr := r(ctx, ui)
			if rerr != nil {
				return step, rerr
			}
			start.Fields = ui.Answer(merge(start.Fields, answers))
			step, err = c.clientLogin(ctx, start)
			continue
		}
		if steps >= maxSteps {
			return step, fmt.Errorf("%w: gave up after %d login steps", ErrUnexpectedResponse, steps)
		}
		steps++
		answers, rerr := r(ctx, step)
		if rerr != nil {
			return step, rerr
		}
		switch step.Status {
		case StatusUI, StatusRedirect:
			step, err = c.continueClientLogin(ctx, step.Answer(answers))
		case StatusRestart:
			next := req
			next.Fields = step.Answer(answers)
			start = next
			step, err = c.clientLogin(ctx, next)
		}
	}
}

// answersForm reports whether fields answer a login form: every required
// request, and at least one primary request, has a value for each field
// that must be filled in.
func answersForm(reqs []AuthRequest, fields map[string]string) bool {
	primary, primaryOK := false, false
	for _, r := range reqs {
		ok := answered(r, fields)
		switch r.required {
		case "required":
			if !ok {
				return false
			}
		case "primary-required":
			primary = true
			primaryOK = primaryOK || ok
		}
	}
	return !primary || primaryOK
}

// answered reports whether fields fill every field of r that needs a
// value; a request that is only a button counts as answered when the
// button is pressed.
func answered(r AuthRequest, fields map[string]string) bool {
	for _, f := range r.Fields {
		switch f.Type {
		case FieldHidden, FieldNull, FieldCheckbox:
			continue
		case FieldButton:
			if fields[f.Name] == "" {
				return false
			}
			continue
		}
		if f.Optional {
			continue
		}
		if fields[f.Name] == "" {
			return false
		}
	}
	return true
}

// merge returns base with answers on top.
func merge(base, answers map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(answers))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range answers {
		out[k] = v
	}
	return out
}

func captchaRequest(reqs []AuthRequest) *AuthRequest {
	for i := range reqs {
		if strings.HasSuffix(reqs[i].ID, captchaRequestID) {
			return &reqs[i]
		}
	}
	return nil
}
