//go:build !unix

package mwauth

// saveWithFileSizeLimit needs RLIMIT_FSIZE, which only Unix has.
func saveWithFileSizeLimit(string) {}
