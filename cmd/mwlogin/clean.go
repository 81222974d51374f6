package main

import (
	"strings"
	"unicode/utf8"
)

// clean makes text from the wiki (messages, labels, captcha questions,
// redirect targets, user names, error strings) safe to print on a
// terminal: escape sequences (ESC or C1 introduced: CSI, OSC, DCS, SOS, PM,
// APC and two-character ones) and every other control character are
// removed, line breaks and tabs become spaces, Unicode bidirectional
// controls are removed (they can make text read in another order than it
// is), invalid UTF-8 becomes U+FFFD, and the result is trimmed. A hostile
// wiki could otherwise retitle the window, clear the screen, move the
// cursor to overwrite what mwlogin printed, or hide a link.
func clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == 0x1b: // ESC
			i += escLen(s[i:])
		case r >= 0x80 && r <= 0x9f: // C1: some terminals act on these too
			i += c1Len(r, s[i:])
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case isBidiControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return strings.TrimSpace(b.String())
}

// escLen is the length of the rest of an escape sequence whose ESC was
// just read.
func escLen(s string) int {
	if s == "" {
		return 0
	}
	switch c := s[0]; {
	case c == '[': // CSI
		return 1 + csiLen(s[1:])
	case c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_': // OSC, DCS, SOS, PM, APC
		return 1 + stringLen(s[1:])
	case c >= 0x20 && c <= 0x2f: // intermediate bytes, then a final byte
		i := 0
		for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
			i++
		}
		if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
			i++
		}
		return i
	case c >= 0x30 && c <= 0x7e: // a two-character sequence such as ESC c
		return 1
	}
	return 0 // a lone ESC: the next character is kept (and cleaned)
}

// c1Len is the length of the rest of a sequence introduced by the C1
// control r (already read).
func c1Len(r rune, s string) int {
	switch r {
	case 0x9b: // CSI
		return csiLen(s)
	case 0x9d, 0x90, 0x98, 0x9e, 0x9f: // OSC, DCS, SOS, PM, APC
		return stringLen(s)
	}
	return 0
}

// csiLen is the length of a control sequence's parameter and intermediate
// bytes and its final byte. It stops early, before the offending
// character, at anything a control sequence cannot hold.
func csiLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x40 && c <= 0x7e:
			return i + 1
		case c < 0x20 || c > 0x7e:
			return i
		}
	}
	return len(s)
}

// stringLen is the length of a control string (OSC, DCS, ...) up to and
// including its terminator: BEL, ESC \ or the C1 ST. An unterminated
// string runs to the end: all of it would have been swallowed by the
// terminal too.
func stringLen(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x07 || r == 0x9c:
			return i + n
		case r == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // another sequence starts: let the caller see it
		}
		i += n
	}
	return len(s)
}

// isBidiControl reports the Unicode bidirectional formatting characters
// (embeddings, overrides, isolates and marks).
func isBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}
