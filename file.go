package mwauth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// maxSessionFile bounds a session file, read or written: a session is a
// few cookies, and the jar's limits keep the largest jar well below it.
const maxSessionFile = 1 << 20

// staleTempAge is how old a temporary file of a save must be before a
// later save removes it where advisory locks do not tell whether its
// writer still runs.
const staleTempAge = time.Minute

// sessionLoadWait is how long New waits for another process's save of
// the session file (a lock held longer is an error matching
// ErrSessionFile and errSessionLocked): a save takes milliseconds, a lock
// held for seconds is a stopped process or a hung file system.
const sessionLoadWait = 10 * time.Second

// errSessionLocked: another process holds the session file's lock.
var errSessionLocked = errors.New("locked by another process")

// fileErr returns an error matching [ErrSessionFile]. Its message holds
// paths and causes, never file contents.
func fileErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrSessionFile}, args...)...)
}

// The session file at path lives with two companions in its directory:
// path+".lock", which holds the advisory lock (on Unix) and is never
// followed if it is a symbolic link, and temporary files named
// "."+base+".tmp"+random while a save runs.
//
// On Unix a reader takes a shared lock and a writer or remover an
// exclusive one; each wait polls, so that it gives up when its context
// ends. Elsewhere (file_other.go) there are no advisory locks and no
// checks of owners or modes: see there.

// readSessionFile reads the session file at path. A missing file gives
// an error matching [fs.ErrNotExist] and creates nothing; every other
// failure matches [ErrSessionFile]: a file or directory that
// [checkSessionPath] refuses, a file larger than maxSessionFile, or a
// lock that another process holds until ctx ends (the error then also
// matches ctx.Err()).
//
// A directory the process cannot write is fine: without a lock file to
// lock, the file is read unlocked and read again if it was replaced
// meanwhile (nobody can replace it there but its owner changing the
// directory's mode).
func readSessionFile(ctx context.Context, path string) ([]byte, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fileErr("%w", err)
	}
	if err := checkSessionPath(path); err != nil {
		return nil, err
	}
	unlock, locked, err := lockSession(ctx, path, false)
	if err != nil {
		return nil, err
	}
	defer unlock()
	for try := 0; ; try++ {
		b, opened, err := readOpened(path)
		if err != nil || locked {
			return b, err
		}
		// Unlocked: the file must still be the one that was read.
		now, err := os.Stat(path)
		if err == nil && os.SameFile(opened, now) && now.Size() == opened.Size() && now.ModTime().Equal(opened.ModTime()) {
			return b, nil
		}
		if try == 2 {
			return nil, fileErr("%s: replaced while being read", path)
		}
	}
}

// readOpened reads the file at path, checking the file it opened.
func readOpened(path string) ([]byte, fs.FileInfo, error) {
	f, err := openForRead(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed (by a logout) since the caller looked.
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fileErr("%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fileErr("%w", err)
	}
	// The checks hold for the file that was opened, not for whatever the
	// path named a moment earlier.
	if !fi.Mode().IsRegular() {
		return nil, nil, fileErr("%s: not a regular file", path)
	}
	if err := checkFileInfo(path, fi); err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSessionFile+1))
	if err != nil {
		return nil, nil, fileErr("%w", err)
	}
	if len(b) > maxSessionFile {
		return nil, nil, fileErr("%s: larger than %d bytes", path, maxSessionFile)
	}
	return b, fi, nil
}

// writeSessionFile replaces the session file at path with data: a
// temporary file created beside it (mode 0600, a random name, never
// through a symbolic link), fsync, rename, fsync of the directory. A
// crash leaves the old file or the new one, never half of one; the next
// save removes the temporary files a killed save left. Every failure
// matches [ErrSessionFile]: data larger than maxSessionFile (nothing is
// written that a load would refuse), a path [checkSessionPath] refuses,
// a directory the process cannot write (the error also matches
// [fs.ErrPermission]), or a lock another process holds until ctx ends.
func writeSessionFile(ctx context.Context, path string, data []byte) (err error) {
	if len(data) > maxSessionFile {
		return fileErr("%s: not saved: %d bytes is more than the %d a session file may hold", path, len(data), maxSessionFile)
	}
	// The file's own mode and owner do not matter: it is replaced by one
	// with mode 0600 of the current user.
	if err := checkSessionDir(filepath.Dir(path)); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return fileErr("%s: not a regular file", path)
	}
	if err := checkLockPath(path); err != nil {
		return err
	}
	unlock, _, err := lockSession(ctx, path, true)
	if err != nil {
		return err
	}
	defer unlock()
	dir, base := filepath.Split(path)
	removeStaleTemps(dir, base)
	tmp, err := createTemp(dir, base)
	if err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	// The mode is set on the file itself: the umask must not take away
	// the owner's access, and nothing else may be given.
	if err = tmp.Chmod(0o600); err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fileErr("%s: cannot save: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// removeSessionFile removes the session file at path, its lock file and
// temporary files a killed save left. Nothing to remove is fine; a lock
// another process holds until ctx ends is an error matching
// [ErrSessionFile], and so is a directory [checkSessionPath] refuses.
func removeSessionFile(ctx context.Context, path string) error {
	_, errFile := os.Lstat(path)
	_, errLock := os.Lstat(path + ".lock")
	if errors.Is(errFile, fs.ErrNotExist) && errors.Is(errLock, fs.ErrNotExist) {
		return nil
	}
	if err := checkSessionDir(filepath.Dir(path)); err != nil {
		return err
	}
	unlock, _, err := lockSession(ctx, path, true)
	if err != nil {
		return err
	}
	defer unlock()
	dir, base := filepath.Split(path)
	removeStaleTemps(dir, base)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fileErr("%w", err)
	}
	// Removed while locked: a process that opened the old lock file and
	// gets its lock after us sees that the path no longer names it, and
	// starts again (lockSession).
	if err := os.Remove(path + ".lock"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fileErr("%w", err)
	}
	return nil
}

// checkSessionPath makes the checks New makes before loading the session
// file at path, and saves and loads make again: its directory exists, is
// not writable by group or others and belongs to the current user or
// root; the file, if there is one, is a regular file of the current user
// that group and others cannot read; the lock file, if there is one, is
// not a symbolic link. A file in a directory others can write could be
// replaced or read through a planted lock file; a file another user owns
// is not this user's session. Every failure matches [ErrSessionFile]. It
// creates nothing.
func checkSessionPath(path string) error {
	if err := checkSessionDir(filepath.Dir(path)); err != nil {
		return err
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fileErr("%w", err)
	case !fi.Mode().IsRegular():
		return fileErr("%s: not a regular file", path)
	default:
		if err := checkFileInfo(path, fi); err != nil {
			return err
		}
	}
	return checkLockPath(path)
}

// checkLockPath refuses a lock file that is a symbolic link or not a
// regular file.
func checkLockPath(path string) error {
	li, err := os.Lstat(path + ".lock")
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fileErr("%w", err)
	case li.Mode()&fs.ModeSymlink != 0:
		return fileErr("%s.lock: a symbolic link, refused", path)
	case !li.Mode().IsRegular():
		return fileErr("%s.lock: not a regular file", path)
	}
	return nil
}

// checkSessionDir checks the directory of a session file.
func checkSessionDir(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fileErr("directory: %w", err)
	}
	if !fi.IsDir() {
		return fileErr("%s: not a directory", dir)
	}
	return checkDirInfo(dir, fi)
}

// tempPrefix is the name prefix of the temporary files of saves of the
// session file base; mwauth v0.1 used the same.
func tempPrefix(base string) string { return "." + base + ".tmp" }

// createTemp creates a new temporary file for a save, with mode 0600 and
// a random name, refusing to follow a symbolic link or reuse a file.
func createTemp(dir, base string) (*os.File, error) {
	var rnd [8]byte
	for try := 0; ; try++ {
		if _, err := rand.Read(rnd[:]); err != nil {
			return nil, err
		}
		name := filepath.Join(dir, tempPrefix(base)+hex.EncodeToString(rnd[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
		if err == nil || !errors.Is(err, fs.ErrExist) || try == 9 {
			return f, err
		}
	}
}

// removeStaleTemps removes the temporary files of earlier saves of base
// that were killed before they renamed them: they hold a whole session.
// With advisory locks the caller holds the exclusive lock, so no save is
// running and every such file is stale; without them only files older
// than staleTempAge are.
func removeStaleTemps(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := tempPrefix(base)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) || e.IsDir() {
			continue
		}
		if !haveLocks {
			fi, err := e.Info()
			if err != nil || time.Since(fi.ModTime()) < staleTempAge {
				continue
			}
		}
		_ = os.Remove(filepath.Join(dir, e.Name()))
	}
}
