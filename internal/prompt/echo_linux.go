//go:build linux

package prompt

import (
	"syscall"
	"unsafe"
)

// noEcho turns off terminal echo on fd and returns a function that turns
// it back on. It fails when fd is not a terminal.
func noEcho(fd int) (func(), error) {
	if fd < 0 {
		return nil, syscall.ENOTTY
	}
	var old syscall.Termios
	if err := ioctl(fd, syscall.TCGETS, &old); err != nil {
		return nil, err
	}
	t := old
	t.Lflag &^= syscall.ECHO
	t.Lflag |= syscall.ICANON | syscall.ISIG
	if err := ioctl(fd, syscall.TCSETS, &t); err != nil {
		return nil, err
	}
	return func() { _ = ioctl(fd, syscall.TCSETS, &old) }, nil
}

func ioctl(fd int, req uintptr, t *syscall.Termios) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(t)))
	if e != 0 {
		return e
	}
	return nil
}
