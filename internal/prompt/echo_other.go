//go:build !linux

package prompt

import "errors"

// noEcho is unsupported here: secrets are read as plain lines, which the
// terminal may echo. Use Linux, or pass secrets through the environment.
func noEcho(int) (func(), error) { return nil, errors.New("echo control unsupported") }
