//go:build unix

package mwauth

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// saveWithFileSizeLimit is the child process of
// TestSaveFailurePartWayKeepsOldFile. With RLIMIT_FSIZE below the size of
// the jar, the write fails part way (EFBIG), as on a full disk.
func saveWithFileSizeLimit(path string) {
	lim := syscall.Rlimit{Cur: 64 << 10, Max: 64 << 10}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, "setrlimit:", err)
		os.Exit(4)
	}
	err := saveJarFile(bigJar(2), path)
	if err == nil {
		fmt.Fprintln(os.Stderr, "save unexpectedly succeeded")
		os.Exit(5)
	}
	fmt.Println(fsizeChildDone, err)
	os.Exit(0)
}

const fsizeChildDone = "mwauth-fsize-child: save failed as expected:"

// TestSaveFailurePartWayKeepsOldFile makes a save fail after part of the
// new content was written and checks that the previous file is intact,
// still loads, and that no temporary file is left behind.
func TestSaveFailurePartWayKeepsOldFile(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	require.NoError(t, saveJarFile(bigJar(1), path))
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(before), 64<<10)

	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), "MWAUTH_FSIZE_CHILD="+path)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "child: %s", out)
	// A zero exit alone could also be a child that ran no save at all.
	require.Contains(t, string(out), fsizeChildDone, "the child did not run the save")

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	j, err := loadJarFile(path)
	require.NoError(t, err)
	assert.Equal(t, bigJarCookies, jarLen(j))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, e.Name(), ".tmp", "temporary file left behind")
	}
}
