package mwauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// maxSessionFile bounds what is read from a session file.
const maxSessionFile = 1 << 20

// readSessionFile reads the session file at path under a shared
// advisory lock. A missing file gives an error matching os.ErrNotExist;
// every other failure matches [ErrSessionFile].
func readSessionFile(ctx context.Context, path string) ([]byte, error) {
	return readPrivateFile(path)
}

// writeSessionFile replaces the session file at path with data,
// atomically.
func writeSessionFile(ctx context.Context, path string, data []byte) error {
	return writeFileAtomic(path, data)
}

// removeSessionFile removes the session file at path; a missing file is
// fine.
func removeSessionFile(ctx context.Context, path string) error {
	unlock, err := lockFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// checkSessionPath checks, before New loads it, that the session file
// at path may be trusted.
func checkSessionPath(path string) error { return nil }

// writeFileAtomic replaces path with data under an advisory lock.
func writeFileAtomic(path string, data []byte) (err error) {
	unlock, err := lockFile(path)
	if err != nil {
		return err
	}
	defer unlock()
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// readPrivateFile reads path under a shared advisory lock, refusing a
// file that group or others may read.
func readPrivateFile(path string) ([]byte, error) {
	// A missing file is reported before the lock file is created.
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	// Under the shared lock no writer of this package renames the file,
	// so the path names one file from here on.
	unlock, err := rlockFile(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Stat before opening, so that a FIFO or device is refused instead of
	// blocking the open.
	pre, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !pre.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: not a regular file", ErrSessionFile)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The mode is checked on the file that was opened, not on whatever
	// the path named a moment earlier.
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(pre, fi) || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: replaced while being opened", ErrSessionFile)
	}
	if fi.Mode().Perm()&0o077 != 0 && !permissiveFS() {
		return nil, fmt.Errorf("%w: mode %04o lets group or others read it (chmod 600)", ErrSessionFile, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSessionFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxSessionFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrSessionFile, maxSessionFile)
	}
	return b, nil
}

// errSessionLocked: another process holds the session file's lock.
var errSessionLocked = errors.New("locked by another process")
