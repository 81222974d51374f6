// Package prompt reads answers from a terminal for the example programs
// and the mwlogin command: plain lines, and secrets without echo.
package prompt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/mwauth/mwauth"
)

// Prompter asks questions on Out and reads answers from In.
type Prompter struct {
	In  *bufio.Reader
	Out io.Writer
	// Fd is the terminal's file descriptor for echo control, or -1.
	Fd int
}

// New returns a Prompter on the process's stdin and stderr.
func New() *Prompter {
	return &Prompter{In: bufio.NewReader(os.Stdin), Out: os.Stderr, Fd: int(os.Stdin.Fd())}
}

// Line asks for one line of text.
func (p *Prompter) Line(question string) (string, error) {
	fmt.Fprint(p.Out, question)
	s, err := p.In.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && s != "") {
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// Secret asks for a line without echoing it when the input is a terminal.
func (p *Prompter) Secret(question string) (string, error) {
	restore, err := noEcho(p.Fd)
	if err != nil {
		// Not a terminal: read it as a plain line, still never printed.
		return p.Line(question)
	}
	defer func() {
		restore()
		fmt.Fprintln(p.Out)
	}()
	return p.Line(question)
}

// Responder answers clientlogin steps by asking on the terminal: each
// field by its label and help, sensitive ones without echo; for a
// REDIRECT it prints the target and reads back the URL the browser
// landed on.
func (p *Prompter) Responder() mwauth.Responder {
	return func(ctx context.Context, s *mwauth.Step) (map[string]string, error) {
		if s.Message != "" {
			fmt.Fprintf(p.Out, "\n%s\n", s.Message)
		}
		if s.Status == mwauth.StatusRedirect {
			fmt.Fprintf(p.Out, "Open this address in a browser and log in there:\n  %s\n", s.RedirectTarget)
			back, err := p.Line("Paste the full address the browser was sent back to: ")
			if err != nil {
				return nil, err
			}
			return ReturnParams(back)
		}
		answers := map[string]string{}
		for _, f := range s.AllFields() {
			v, err := p.Field(f)
			if err != nil {
				return nil, err
			}
			if v != "" {
				answers[f.Name] = v
			}
		}
		return answers, nil
	}
}

// Field asks for one field according to its type.
func (p *Prompter) Field(f mwauth.Field) (string, error) {
	label := f.Label
	if label == "" {
		label = f.Name
	}
	switch f.Type {
	case "hidden":
		return "", nil
	case "null":
		if f.Value != "" {
			fmt.Fprintf(p.Out, "%s %s\n", label, f.Value)
		} else {
			fmt.Fprintln(p.Out, label)
		}
		return "", nil
	case "checkbox", "button":
		a, err := p.Line(label + " [y/N]: ")
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a)), "y") {
			return "1", nil
		}
		return "", nil
	}
	if f.Help != "" && f.Help != label {
		fmt.Fprintf(p.Out, "  (%s)\n", f.Help)
	}
	if f.Type == "select" && len(f.Options) > 0 {
		for _, o := range f.Options {
			fmt.Fprintf(p.Out, "  %s: %s\n", o.Value, o.Label)
		}
	}
	q := label + ": "
	if f.Optional {
		q = label + " (optional): "
	}
	if f.Sensitive || f.Type == "password" {
		return p.Secret(q)
	}
	return p.Line(q)
}

// ReturnParams turns the address a REDIRECT flow came back to into the
// fields of the next clientlogin request.
func ReturnParams(address string) (map[string]string, error) {
	u, err := url.Parse(strings.TrimSpace(address))
	if err != nil {
		return nil, fmt.Errorf("not an address: %w", err)
	}
	out := map[string]string{}
	for k, v := range u.Query() {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the address carries no parameters")
	}
	return out, nil
}
