package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/mwauth/mwauth"
)

// asker answers one question: a console asks the person at the terminal,
// the demo's script answers by itself.
type asker interface {
	// ask shows prompt and returns the answer to f; it reads without echo
	// when f is sensitive.
	ask(prompt string, f mwauth.Field) (string, error)
}

// sensitive reports whether an answer to f must not be echoed.
func sensitive(f mwauth.Field) bool {
	return f.Sensitive || f.Type == mwauth.FieldPassword
}

// console asks questions on a terminal: prompts go to out, answers come
// from in, secrets are read with echo off (golang.org/x/term, on every
// operating system).
//
// Ctrl-C: x/term leaves signals on while it reads a secret, so Ctrl-C
// raises SIGINT (os.Interrupt on Windows) and the read never returns.
// main's signal handler therefore calls interrupt, which restores the
// terminal as it was when mwlogin started if a prompt is waiting, and
// main exits with status 130.
type console struct {
	in  *os.File
	fd  int
	out io.Writer

	mu       sync.Mutex // guards waiting
	waiting  bool       // a prompt waits for an answer
	original *term.State
}

// newConsole returns a console on in, or nil if in is not a terminal.
func newConsole(in *os.File, out io.Writer) *console {
	fd := int(in.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	st, err := term.GetState(fd)
	if err != nil {
		return nil
	}
	return &console{in: in, fd: fd, out: out, original: st}
}

var errNoAnswer = errors.New("no answer: end of input")

func (c *console) ask(prompt string, f mwauth.Field) (string, error) {
	fmt.Fprint(c.out, prompt)
	c.setWaiting(true)
	defer c.setWaiting(false)
	if !sensitive(f) {
		return readLine(c.in)
	}
	b, err := term.ReadPassword(c.fd)
	fmt.Fprintln(c.out) // the Enter that was not echoed
	if errors.Is(err, io.EOF) && len(b) == 0 {
		return "", errNoAnswer
	}
	return string(b), err
}

func (c *console) setWaiting(w bool) {
	c.mu.Lock()
	c.waiting = w
	c.mu.Unlock()
}

// interrupt handles Ctrl-C. If a prompt is waiting it restores the
// terminal and reports true: the caller exits at once, since the read
// cannot be interrupted. Otherwise it reports false and the caller
// cancels what runs. A nil console never waits.
func (c *console) interrupt() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.waiting {
		return false
	}
	_ = term.Restore(c.fd, c.original)
	fmt.Fprintln(c.out)
	return true
}

// readLine reads one line from r a byte at a time, so that nothing after
// the line is consumed (a later secret is read from the same descriptor).
func readLine(r io.Reader) (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return strings.TrimSuffix(b.String(), "\r"), nil
			}
			b.WriteByte(buf[0])
			if b.Len() > 64<<10 {
				return "", errors.New("answer too long")
			}
		}
		if errors.Is(err, io.EOF) {
			if b.Len() == 0 {
				return "", errNoAnswer
			}
			return strings.TrimSuffix(b.String(), "\r"), nil
		}
		if err != nil {
			return "", err
		}
	}
}
