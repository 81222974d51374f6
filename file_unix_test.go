//go:build unix

package mwauth

import (
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asUnprivileged reports whether the calling test should run its body
// here. Root ignores file modes, so as root it runs the test again in a
// child process as the user nobody, checks that it passed there, and
// reports false.
func asUnprivileged(t *testing.T) bool {
	t.Helper()
	if os.Getuid() != 0 {
		return true
	}
	require.Empty(t, os.Getenv("MWAUTH_UNPRIVILEGED"), "the child still runs as root")
	exe, err := os.Executable()
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", "mwauth-unprivileged")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	child := filepath.Join(dir, "mwauth.test")
	copyFile(t, exe, child)
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(child, "-test.run="+strings.Join(parts, "/"), "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MWAUTH_UNPRIVILEGED=1", "TMPDIR="+os.TempDir())
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "the test as nobody failed:\n%s", out)
	require.Contains(t, string(out), "--- PASS: "+t.Name(), "the test did not run as nobody:\n%s", out)
	return false
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
}

// holdLock takes the advisory lock of the session file at path as
// another process would, until the test ends.
func holdLock(t *testing.T, path string, how int) {
	t.Helper()
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	require.NoError(t, syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB))
	t.Cleanup(func() { f.Close() })
}

// TestLockWaitHonoursContext (issue 11, bug 2): a lock that another
// process holds makes reads, saves and removals give up when their
// context ends, with an error that says so.
func TestLockWaitHonoursContext(t *testing.T) {
	t.Parallel()
	ops := []struct {
		name string
		op   func(ctx context.Context, path string) error
	}{
		{name: "read", op: func(ctx context.Context, path string) error {
			_, err := readSessionFile(ctx, path)
			return err
		}},
		{name: "write", op: func(ctx context.Context, path string) error {
			return writeSessionFile(ctx, path, []byte("{}"))
		}},
		{name: "remove", op: func(ctx context.Context, path string) error {
			return removeSessionFile(ctx, path)
		}},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "session.json")
			require.NoError(t, writeSessionFile(context.Background(), path, []byte(`{"v":1}`)))
			holdLock(t, path, syscall.LOCK_EX)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tt.op(ctx, path) }()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, ErrSessionFile)
				assert.ErrorIs(t, err, errSessionLocked)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			case <-time.After(10 * time.Second):
				t.Fatal("the wait for a held lock ignored the context")
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, `{"v":1}`, string(b), "nothing changed under another's lock")
		})
	}
	t.Run("readers share", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "session.json")
		require.NoError(t, writeSessionFile(context.Background(), path, []byte(`{"v":1}`)))
		holdLock(t, path, syscall.LOCK_SH)
		b, err := readSessionFile(ctxTimeout(t, 10*time.Second), path)
		require.NoError(t, err)
		assert.Equal(t, `{"v":1}`, string(b))
	})
}

// TestLockFileSymlinkRefused (issue 11, bug 3): a planted <file>.lock
// symlink is refused and nothing is created where it points.
func TestLockFileSymlinkRefused(t *testing.T) {
	t.Parallel()
	ops := []struct {
		name string
		op   func(path string) error
	}{
		{name: "read", op: func(path string) error {
			_, err := readSessionFile(context.Background(), path)
			return err
		}},
		{name: "write", op: func(path string) error { return writeSessionFile(context.Background(), path, []byte("{}")) }},
		{name: "remove", op: func(path string) error { return removeSessionFile(context.Background(), path) }},
		{name: "check", op: checkSessionPath},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "session.json")
			require.NoError(t, os.WriteFile(path, []byte("{}"), 0o600))
			target := filepath.Join(dir, "target")
			require.NoError(t, os.Symlink(target, path+".lock"))
			assert.ErrorIs(t, tt.op(path), ErrSessionFile)
			_, err := os.Lstat(target)
			assert.ErrorIs(t, err, fs.ErrNotExist, "a file was created at the symlink's target")
		})
	}
}

// TestReadOnlyDirectory (issue 11, bug 4): a session file in a directory
// the process cannot write loads; saving then fails clearly.
func TestReadOnlyDirectory(t *testing.T) {
	t.Parallel()
	if !asUnprivileged(t) {
		return
	}
	tests := []struct {
		name     string
		lockMode fs.FileMode // 0: no lock file
		dirMode  fs.FileMode
	}{
		{name: "no lock file, read-only directory", dirMode: 0o500},
		{name: "read-only lock file, read-only directory", lockMode: 0o400, dirMode: 0o500},
		{name: "read-only lock file", lockMode: 0o400, dirMode: 0o700},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "session.json")
			require.NoError(t, os.WriteFile(path, []byte(`{"v":1}`), 0o600))
			if tt.lockMode != 0 {
				require.NoError(t, os.WriteFile(path+".lock", nil, tt.lockMode))
			}
			require.NoError(t, os.Chmod(dir, tt.dirMode))
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })

			b, err := readSessionFile(ctxTimeout(t, 10*time.Second), path)
			require.NoError(t, err)
			assert.Equal(t, `{"v":1}`, string(b))
			if tt.lockMode == 0 {
				_, err = os.Lstat(path + ".lock")
				assert.ErrorIs(t, err, fs.ErrNotExist)
			}
			if tt.dirMode&0o200 == 0 {
				err = writeSessionFile(ctxTimeout(t, 10*time.Second), path, []byte(`{"v":2}`))
				assert.ErrorIs(t, err, ErrSessionFile)
				assert.ErrorIs(t, err, fs.ErrPermission)
			}
		})
	}
}

// TestCheckSessionPath (issue 11, hardening): New refuses a session file
// that another user owns or a directory that others can write, and
// creates nothing while checking.
func TestCheckSessionPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		setup   func(t *testing.T, dir, path string)
		wantErr bool
		canSave bool // a save replaces the refused file
		root    bool // needs root to set up
	}{
		{name: "no file yet", setup: func(*testing.T, string, string) {}},
		{name: "private file", setup: func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o600))
		}},
		{name: "directory 0750", setup: func(t *testing.T, dir, _ string) { require.NoError(t, os.Chmod(dir, 0o750)) }},
		{name: "directory group-writable", wantErr: true, setup: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.Chmod(dir, 0o770))
		}},
		{name: "directory writable by others", wantErr: true, setup: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.Chmod(dir, 0o707))
		}},
		{name: "sticky world-writable directory", wantErr: true, setup: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.Chmod(dir, 0o777|fs.ModeSticky))
		}},
		{name: "file readable by others", wantErr: true, canSave: true, setup: func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o600))
			require.NoError(t, os.Chmod(path, 0o644))
		}},
		{name: "file is a directory", wantErr: true, setup: func(t *testing.T, _, path string) {
			require.NoError(t, os.Mkdir(path, 0o700))
		}},
		{name: "file owned by another user", wantErr: true, canSave: true, root: true, setup: func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o600))
			require.NoError(t, os.Chown(path, 65534, 65534))
		}},
		{name: "directory owned by another user", wantErr: true, root: true, setup: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.Chown(dir, 65534, 65534))
		}},
		{name: "missing directory", wantErr: true, setup: func(t *testing.T, dir, _ string) {
			require.NoError(t, os.Remove(dir))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.root && os.Getuid() != 0 {
				t.Skip("only root can give a file to another user")
			}
			dir := filepath.Join(t.TempDir(), "d")
			require.NoError(t, os.Mkdir(dir, 0o700))
			path := filepath.Join(dir, "session.json")
			tt.setup(t, dir, path)
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			before := listDir(dir)
			err := checkSessionPath(path)
			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrSessionFile)
			assert.Equal(t, before, listDir(dir), "the check created something")
			// Neither does reading create anything beside a refused file
			// (with no file, reading says so and creates nothing either).
			_, err = readSessionFile(context.Background(), path)
			assert.Error(t, err)
			assert.Equal(t, before, listDir(dir), "a refused file got a lock file beside it")
			err = writeSessionFile(context.Background(), path, []byte("{}"))
			if !tt.canSave {
				assert.ErrorIs(t, err, ErrSessionFile)
				assert.Equal(t, before, listDir(dir), "a refused file got a lock or temporary file beside it")
				return
			}
			// A save replaces the file with a private one of this user.
			require.NoError(t, err)
			assert.NoError(t, checkSessionPath(path))
		})
	}
}

func listDir(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
