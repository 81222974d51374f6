package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mwauth/mwauth"
)

// codeLoginForm is the MessageCode of the login form that RunClientLogin
// hands to the Responder before the first attempt.
const codeLoginForm = "mwauth-login-form"

// login logs in and saves the session: with a bot password (a name with
// "@") through action=login, otherwise through action=clientlogin, with
// the password from stdin or every field asked on the terminal.
func login(ctx context.Context, e *env, o *loginFlags) error {
	if o.passwordStdin && o.user == "" {
		return usageError("-password-stdin needs -user")
	}
	if !o.passwordStdin && e.asker == nil {
		return errors.New("standard input is not a terminal: pass the password with -user NAME -password-stdin")
	}
	path, err := o.sessionPath(true)
	if err != nil {
		return err
	}
	c, err := o.client(path)
	if err != nil {
		return err
	}
	user := o.user
	if user == "" {
		fmt.Fprintf(e.stderr, "Logging in to %s.\n", o.host())
		user, err = askValue(e.asker, e.stderr, mwauth.Field{Name: "username", Type: mwauth.FieldString,
			Label: "Username (User@BotName for a bot password)"})
		if err != nil {
			return err
		}
	}
	var me mwauth.User
	var pass string
	if o.passwordStdin {
		if pass, err = readPassword(e.stdin); err != nil {
			return err
		}
	}
	if strings.Contains(user, "@") {
		// A bot password: action=login, two requests.
		if !o.passwordStdin {
			pass, err = askValue(e.asker, e.stderr, mwauth.Field{Name: "password", Type: mwauth.FieldPassword,
				Label: "Bot password for " + clean(user), Sensitive: true})
			if err != nil {
				return err
			}
		}
		if me, err = c.Login(ctx, user, pass); err != nil {
			return err
		}
	} else {
		req := mwauth.ClientLoginRequest{ReturnURL: o.returnURL, Fields: map[string]string{"username": user}}
		r := responder(e.asker, e.stderr, req.Fields)
		if o.passwordStdin {
			req.Fields["password"] = pass
			r = func(_ context.Context, s *mwauth.Step) (map[string]string, error) {
				return nil, fmt.Errorf("the wiki asks for more than a password (%s): log in on a terminal, without -password-stdin",
					clean(s.MessageCode))
			}
		}
		step, err := c.RunClientLogin(ctx, req, r)
		if err != nil {
			return err
		}
		me = step.User
	}
	fmt.Fprintf(e.stdout, "Logged in to %s as %s.\n", o.host(), clean(me.Name))
	fmt.Fprintf(e.stdout, "Session saved to %s; it is a credential: keep it private.\n", path)
	return nil
}

// readPassword reads the password that -password-stdin promises: all of
// standard input, without its final line break.
func readPassword(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, 4097))
	if err != nil {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if len(b) > 4096 {
		return "", errors.New("the password on standard input is longer than 4096 bytes")
	}
	pass := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if pass == "" {
		return "", errors.New("no password on standard input")
	}
	return pass, nil
}

// responder answers RunClientLogin's steps with a: every field by its
// label, sensitive ones without echo, and a REDIRECT by the address the
// browser came back to. Fields in given are not asked again in the login
// form. Everything the wiki wrote goes through clean before it is shown.
func responder(a asker, out io.Writer, given map[string]string) mwauth.Responder {
	return func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if m := clean(s.Message); m != "" {
			fmt.Fprintln(out, m)
		}
		if s.Status == mwauth.StatusRedirect {
			fmt.Fprintf(out, "Open this address in a browser and log in there:\n  %s\n", clean(s.RedirectTarget))
			back, err := askValue(a, out, mwauth.Field{Name: "return", Type: mwauth.FieldString,
				Label: "Then paste the address the browser was sent back to"})
			if err != nil {
				return nil, err
			}
			return mwauth.RedirectFields(back)
		}
		var skip map[string]string
		if s.MessageCode == codeLoginForm {
			skip = given
		}
		return askFields(a, out, s.Fields(), skip)
	}
}

// askFields asks for each field of a step. A button is another way in (a
// single sign-on provider, a "skip" choice), so buttons are offered first:
// pressing one answers the step. Hidden fields are left to Step.Answer.
func askFields(a asker, out io.Writer, fields []mwauth.Field, skip map[string]string) (map[string]string, error) {
	answers := map[string]string{}
	for _, f := range fields {
		if f.Type != mwauth.FieldButton || skip[f.Name] != "" {
			continue
		}
		yes, err := askYesNo(a, f)
		if err != nil {
			return nil, err
		}
		if yes {
			answers[f.Name] = "1"
			return answers, nil
		}
	}
	for _, f := range fields {
		if skip[f.Name] != "" {
			continue
		}
		var v string
		var err error
		switch f.Type {
		case mwauth.FieldHidden, mwauth.FieldButton:
			continue
		case mwauth.FieldNull: // text to show, such as a captcha question
			fmt.Fprintln(out, label(f))
			if q := clean(f.Value); q != "" {
				fmt.Fprintf(out, "  %s\n", q)
			}
			continue
		case mwauth.FieldCheckbox:
			var yes bool
			if yes, err = askYesNo(a, f); yes {
				v = "1"
			}
		default:
			v, err = askValue(a, out, f)
		}
		if err != nil {
			return nil, err
		}
		if v != "" {
			answers[f.Name] = v
		}
	}
	return answers, nil
}

// label is what to call f.
func label(f mwauth.Field) string {
	if l := clean(f.Label); l != "" {
		return l
	}
	return clean(f.Name)
}

func askYesNo(a asker, f mwauth.Field) (bool, error) {
	v, err := a.ask(label(f)+" [y/N]: ", f)
	if err != nil {
		return false, err
	}
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "y" || v == "yes", nil
}

// askValue asks for a text, password or select field, again when a
// required answer is empty or a choice is not one of the options.
func askValue(a asker, out io.Writer, f mwauth.Field) (string, error) {
	for _, o := range f.Options {
		fmt.Fprintf(out, "  %-10s %s\n", clean(o.Value), clean(o.Label))
	}
	prompt := label(f) + ": "
	if f.Optional {
		prompt = label(f) + " (optional): "
	}
	if f.Type == mwauth.FieldMultiselect {
		prompt = label(f) + " (values separated by commas): "
	}
	for try := 1; ; try++ {
		v, err := a.ask(prompt, f)
		if err != nil {
			return "", err
		}
		if !sensitive(f) {
			v = strings.TrimSpace(v)
		}
		if f.Type == mwauth.FieldMultiselect {
			v = joinChoices(v)
		}
		problem := ""
		switch {
		case v == "" && f.Optional:
			return "", nil
		case v == "":
			problem = "An answer is needed."
		case !validChoice(f, v):
			problem = "Choose among the values listed."
		default:
			return v, nil
		}
		if try == 3 {
			return "", fmt.Errorf("no valid answer for %q", label(f))
		}
		fmt.Fprintln(out, problem)
	}
}

// joinChoices turns "a, b" into MediaWiki's multi-value form "a|b".
func joinChoices(v string) string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "|")
}

// validChoice reports whether v is allowed for a select or multiselect
// field; any value is allowed for other fields.
func validChoice(f mwauth.Field, v string) bool {
	if f.Type != mwauth.FieldSelect && f.Type != mwauth.FieldMultiselect || len(f.Options) == 0 {
		return true
	}
	for _, c := range strings.Split(v, "|") {
		ok := false
		for _, o := range f.Options {
			ok = ok || o.Value == c
		}
		if !ok {
			return false
		}
	}
	return true
}
