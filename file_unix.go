//go:build unix

package mwauth

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// haveLocks: advisory locks (flock) serialise saves and loads.
const haveLocks = true

// oNoFollow makes an open fail on a symbolic link.
const oNoFollow = syscall.O_NOFOLLOW

// permissiveFS reports whether file modes cannot be trusted.
func permissiveFS() bool { return false }

// Waits for a lock poll with a growing delay up to lockPollMax.
const (
	lockPollMin = time.Millisecond
	lockPollMax = 50 * time.Millisecond
)

// lockSession takes the advisory lock of the session file at path,
// exclusive or shared, waiting until ctx ends; unlock releases it.
//
// A shared lock that cannot be had because the lock file cannot be
// created (a read-only directory) or opened for writing is taken on a
// read-only descriptor if the file exists, and otherwise not at all:
// locked is then false and the caller must check what it read.
func lockSession(ctx context.Context, path string, exclusive bool) (unlock func(), locked bool, err error) {
	lp := path + ".lock"
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE|oNoFollow|syscall.O_CLOEXEC, 0o600)
		if err != nil && !exclusive && canReadOnly(err) {
			f, err = os.OpenFile(lp, os.O_RDONLY|oNoFollow|syscall.O_CLOEXEC, 0)
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return func() {}, false, nil
			}
		}
		if err != nil {
			if isSymlinkErr(err) {
				return nil, false, fileErr("%s: a symbolic link, refused", lp)
			}
			return nil, false, fileErr("%s: cannot lock: %w", path, err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, false, fileErr("%s: not a regular file", lp)
		}
		if err := flockCtx(ctx, f, how, path); err != nil {
			f.Close()
			return nil, false, err
		}
		// The lock counts only if the lock file is still the one at lp:
		// removeSessionFile unlinks it while holding the lock.
		if cur, err := os.Lstat(lp); err == nil && os.SameFile(fi, cur) {
			return func() { f.Close() }, true, nil
		}
		f.Close()
		if err := ctx.Err(); err != nil {
			return nil, false, fileErr("%s: %w", path, err)
		}
	}
}

// canReadOnly reports whether an open for writing failed for want of
// write access, so that a read-only open may still work.
func canReadOnly(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}

// isSymlinkErr reports whether an open with O_NOFOLLOW met a symbolic
// link: ELOOP, or EMLINK on FreeBSD and NetBSD.
func isSymlinkErr(err error) bool {
	return errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK)
}

// flockCtx takes the lock how on f, polling until ctx ends. Closing f
// releases it.
func flockCtx(ctx context.Context, f *os.File, how int, path string) error {
	delay := lockPollMin
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case !errors.Is(err, syscall.EWOULDBLOCK):
			return fileErr("%s: cannot lock: %w", path, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fileErr("%s: %w: %w", path, errSessionLocked, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, lockPollMax)
	}
}

// openForRead opens a session file without blocking on a FIFO.
func openForRead(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
}

// checkFileInfo refuses a session file of another user or one that group
// or others may read.
func checkFileInfo(path string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fileErr("%s: owned by uid %d, not by the current user (uid %d)", path, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fileErr("%s: mode %04o lets group or others read it (chmod 600)", path, perm)
	}
	return nil
}

// checkDirInfo refuses a directory that group or others may write or
// that belongs to another user than the current one or root.
func checkDirInfo(dir string, fi fs.FileInfo) error {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() && st.Uid != 0 {
		return fileErr("%s: directory owned by uid %d, not by the current user (uid %d) or root", dir, st.Uid, os.Geteuid())
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fileErr("%s: directory mode %04o lets group or others write in it (chmod go-w)", dir, perm)
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
