//go:build go1.23

package mwauth

import "net/http"

// cookieQuoted reports whether the cookie's value was in double quotes,
// which the standard jar keeps and sends back (Go 1.23 and later).
func cookieQuoted(c *http.Cookie) bool { return c.Quoted }

func setCookieQuoted(c *http.Cookie, q bool) { c.Quoted = q }
