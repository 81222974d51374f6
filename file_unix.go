//go:build unix

package mwauth

import (
	"os"
	"syscall"
)

// permissiveFS reports whether file modes cannot be trusted.
func permissiveFS() bool { return false }

// lockFile takes an exclusive advisory lock on path+".lock".
func lockFile(path string) (func(), error) { return flock(path, syscall.LOCK_EX) }

// rlockFile takes a shared advisory lock on path+".lock".
func rlockFile(path string) (func(), error) { return flock(path, syscall.LOCK_SH) }

func flock(path string, how int) (func(), error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
