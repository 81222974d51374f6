//go:build !go1.23

package mwauth

import "net/http"

// cookieQuoted: before Go 1.23 http.Cookie does not say whether a value
// was quoted, and the standard jar does not keep it.
func cookieQuoted(*http.Cookie) bool { return false }

func setCookieQuoted(*http.Cookie, bool) {}
