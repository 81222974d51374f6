// Package totp computes RFC 6238 time-based one-time passwords (SHA-1,
// 6 digits, 30-second steps), the variant that MediaWiki's OATHAuth uses.
// Tests, the fake wiki and the examples use it; the library does not.
package totp

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
)

// Period is the length of one TOTP time step.
const Period = 30 * time.Second

// DecodeSecret decodes a base32 secret as OATHAuth shows it: case and
// spaces are ignored, padding is optional.
func DecodeSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	s = strings.TrimRight(s, "=")
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("totp: bad base32 secret: %w", err)
	}
	return key, nil
}

// Step returns the time step counter of t.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// CodeAt returns the 6-digit code of the given time step (RFC 4226 HOTP
// with the step as counter).
func CodeAt(key []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

// Code returns the code for secret (base32) at time t.
func Code(secret string, t time.Time) (string, error) {
	key, err := DecodeSecret(secret)
	if err != nil {
		return "", err
	}
	return CodeAt(key, Step(t)), nil
}
