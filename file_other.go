//go:build !unix

package mwauth

import (
	"context"
	"io/fs"
	"os"
)

// Off Unix (Windows, Plan 9, js, wasip1) the session file has fewer
// safeguards, and the documentation of WithSessionFile must say so:
//
//   - There are no advisory locks. No lock file is created; saves from
//     several processes are not serialised (each is still atomic, a
//     rename of a complete temporary file, so the file is always one
//     whole save, the last one's), and reads never wait. Stale
//     temporary files are removed only when older than staleTempAge.
//   - File modes and owners are not checked: they do not express who may
//     read a file there. Privacy rests on the directory's ACLs, which
//     the caller must set (a user-only directory such as one under
//     %LOCALAPPDATA%).
//   - Temporary files are created with O_EXCL and a random name, but
//     without O_NOFOLLOW, which does not exist there.

// haveLocks: no advisory locks here.
const haveLocks = false

// oNoFollow does not exist here.
const oNoFollow = 0

// permissiveFS reports whether file modes cannot be trusted: off Unix
// they do not express who may read a file.
func permissiveFS() bool { return true }

// lockSession takes no lock: there are none here. It reports locked as
// false, so that readers check that the file did not change while they
// read it.
func lockSession(context.Context, string, bool) (func(), bool, error) { return func() {}, false, nil }

func openForRead(path string) (*os.File, error) { return os.Open(path) }
func checkFileInfo(string, fs.FileInfo) error   { return nil }
func checkDirInfo(string, fs.FileInfo) error    { return nil }
func syncDir(string)                            {}
