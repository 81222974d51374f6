package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExamplesBuildWhenCopied copies each example, as a user would, into
// a new module in a temporary directory outside the repository, whose
// go.mod has nothing but a replace of github.com/mwauth/mwauth by this
// repository, and builds it. An example that imports one of the module's
// internal packages, or a package the module does not require, fails to
// build there ("use of internal package ... not allowed").
//
// The build runs with GOFLAGS=-mod=mod, so the go command fills in the
// requirements itself. The repository's go.sum is copied alongside, so
// that no checksum has to be fetched: the build needs nothing but the
// module cache that building the repository filled.
func TestExamplesBuildWhenCopied(t *testing.T) {
	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	goBin := goCommand(t)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	require.NoError(t, err)
	goVersion := goDirective(t, filepath.Join(repo, "go.mod"))

	entries, err := os.ReadDir(".")
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	// A new example is built too; these three must stay.
	require.Subset(t, names, []string{"botpassword", "interactive", "webredirect"})

	for _, name := range names {
		name := name
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			require.False(t, strings.HasPrefix(dir, repo+string(filepath.Separator)), "the copy must be outside the repository")
			copied := copyGoFiles(t, name, dir)
			require.NotEmpty(t, copied, "no Go files in examples/%s", name)
			gomod := "module example.com/" + name + "\n\ngo " + goVersion + "\n\n" +
				"replace github.com/mwauth/mwauth => " + filepath.ToSlash(repo) + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

			bin := filepath.Join(dir, name+".bin")
			cmd := exec.Command(goBin, "build", "-o", bin, ".")
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "go build of the copied examples/%s:\n%s", name, out)
			assert.FileExists(t, bin)
		})
	}
}

// copyGoFiles copies the example's non-test Go files into dir.
func copyGoFiles(t *testing.T, example, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(example, "*.go"))
	require.NoError(t, err)
	var copied []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644))
		copied = append(copied, f)
	}
	return copied
}

// goCommand is the go command: go test puts its own GOROOT/bin first in
// the PATH of the tests it runs.
func goCommand(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	require.NoError(t, err, "no go command to build the examples with")
	return p
}

// goDirective is the go version that go.mod states.
func goDirective(t *testing.T, gomod string) string {
	t.Helper()
	b, err := os.ReadFile(gomod)
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return v
		}
	}
	require.Fail(t, "no go directive in "+gomod)
	return ""
}
