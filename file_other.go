//go:build !unix

package mwauth

// permissiveFS reports whether file modes cannot be trusted: on Windows
// they do not express who may read a file.
func permissiveFS() bool { return true }

func lockFile(string) (func(), error)  { return func() {}, nil }
func rlockFile(string) (func(), error) { return func() {}, nil }
func syncDir(string)                   {}
