package mwauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// MaxSteps is how many UI, REDIRECT and RESTART steps
// [Client.RunClientLogin] answers before it gives up with
// [ErrTooManySteps]. A real login needs two or three.
const MaxSteps = 8

// captchaRequestID is ConfirmEdit's request id (not namespaced).
const captchaRequestID = "CaptchaAuthenticationRequest"

// Responder answers one step of [Client.RunClientLogin], in the spirit of
// x/crypto/ssh's KeyboardInteractive: it gets a UI, REDIRECT or RESTART
// step and returns the values of its fields by name. Show each field's
// Label and Help; never echo a Sensitive one. For a REDIRECT, send the
// user to Step.RedirectTarget and return the parameters the return URL
// received. Hidden fields are filled in by the driver. Returning an error
// stops the flow with that error; returning nil answers to a RESTART
// ends the flow.
type Responder func(ctx context.Context, s *Step) (map[string]string, error)

// RunClientLogin drives a whole clientlogin flow: it starts it with req,
// hands every UI and REDIRECT step to r and continues with the answers,
// until PASS (returned with a nil error) or FAIL (returned with its
// *[LoginError]). After [MaxSteps] steps it fails with [ErrTooManySteps].
//
// It also handles the captcha as MediaWiki really asks for it: the
// captcha is never a UI step; a login FAILs, and the next attempt must
// carry captcha fields that [Client.AuthManagerInfo] lists. When a FAIL
// leaves such a captcha required and req did not answer one, the driver
// hands the captcha request to r as a UI step (MessageCode of the FAIL)
// and retries the login once with the answer.
//
// A RESTART step is handed to r too; if r returns answers, the driver
// starts a new flow with them (preserving state when the wiki allows).
func (c *Client) RunClientLogin(ctx context.Context, req ClientLoginRequest, r Responder) (*Step, error) {
	step, err := c.runClientLogin(ctx, req, r)
	return step, opErr("clientlogin", err)
}

func (c *Client) runClientLogin(ctx context.Context, req ClientLoginRequest, r Responder) (*Step, error) {
	if r == nil {
		return nil, errors.New("nil Responder")
	}
	step, err := c.ClientLogin(ctx, req)
	captchaTried := hasCaptchaAnswer(req.Fields)
	for n := 0; ; n++ {
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
			info, ierr := c.AuthManagerInfo(ctx, AuthInfoRequest{For: "login", MessageFormat: req.MessageFormat})
			if ierr != nil && ctx.Err() != nil {
				return step, ctx.Err()
			}
			if ierr != nil {
				return step, step.Err()
			}
			cap := captchaRequest(info.Requests)
			if cap == nil {
				return step, step.Err()
			}
			ui := &Step{Status: StatusUI, Message: step.Message, MessageCode: step.MessageCode,
				Requests: []AuthRequest{*cap}}
			answers, rerr := r(ctx, ui)
			if rerr != nil {
				return step, rerr
			}
			next := req
			next.Fields = mergeAnswers(req.Fields, answers, ui)
			step, err = c.ClientLogin(ctx, next)
			continue
		}
		if n >= MaxSteps {
			return step, fmt.Errorf("%w: gave up after %d steps", ErrTooManySteps, n)
		}
		answers, rerr := r(ctx, step)
		if rerr != nil {
			return step, rerr
		}
		switch step.Status {
		case StatusUI, StatusRedirect:
			step, err = c.ContinueClientLogin(ctx, mergeAnswers(nil, answers, step))
		case StatusRestart:
			if answers == nil {
				return step, &LoginError{Action: "clientlogin", Result: string(step.Status),
					Code: step.MessageCode, Message: step.Message, CanPreserveState: step.CanPreserveState}
			}
			next := req
			next.Fields = mergeAnswers(nil, answers, step)
			next.PreserveState = step.CanPreserveState
			step, err = c.ClientLogin(ctx, next)
		}
	}
}

// mergeAnswers combines base fields, a responder's answers and the
// values of the step's hidden fields (which the responder need not echo).
func mergeAnswers(base, answers map[string]string, s *Step) map[string]string {
	out := make(map[string]string, len(base)+len(answers)+2)
	for k, v := range base {
		out[k] = v
	}
	for _, f := range s.AllFields() {
		if f.Type == "hidden" && f.Value != "" {
			out[f.Name] = f.Value
		}
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

func hasCaptchaAnswer(fields map[string]string) bool {
	return fields["captchaWord"] != ""
}
