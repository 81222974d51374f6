//go:build unix

package livetest_test

import "syscall"

// Session files are refused in a directory that group or others may write
// (see checkSessionPath). t.TempDir creates its directories with the
// process umask, which on some machines (umask 002) leaves them group
// writable: give the tests the usual umask so that their temporary
// directories are private, as a user's own directories are.
func init() { syscall.Umask(0o022) }
