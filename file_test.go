package mwauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func skipIfNoUnixModes(t *testing.T) {
	t.Helper()
	if permissiveFS() {
		t.Skip("file modes do not express privacy on " + runtime.GOOS)
	}
}

func sampleJar() *jar {
	j := newJar(time.Now)
	j.SetCookies(wikiURL, []*http.Cookie{
		{Name: "wiki_session", Value: "s3ss10n", Path: "/", HttpOnly: true},
		{Name: "wikiUserID", Value: "1", Path: "/", MaxAge: 3600},
	})
	return j
}

// saveJarFile writes j as the jar member of a session file to path.
func saveJarFile(j *jar, path string) error {
	b, err := json.MarshalIndent(jarFile{Version: jarVersion, Cookies: j.snapshot()}, "", "  ")
	if err != nil {
		return err
	}
	return writeSessionFile(context.Background(), path, b)
}

// loadJarFile reads what saveJarFile wrote.
func loadJarFile(path string) (*jar, error) {
	b, err := readSessionFile(context.Background(), path)
	if err != nil {
		return nil, err
	}
	return loadJar(b, time.Now)
}

// strayFiles lists what the directory holds besides the file and its
// lock.
func strayFiles(t *testing.T, dir, base string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if base == "" || e.Name() != base && e.Name() != base+".lock" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestSaveFile(t *testing.T) {
	t.Parallel()
	skipIfNoUnixModes(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "jar.json")
	j := sampleJar()
	require.NoError(t, saveJarFile(j, path))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	assert.Empty(t, strayFiles(t, dir, "jar.json"), "no temporary file may be left")

	loaded, err := loadJarFile(path)
	require.NoError(t, err)
	assert.Equal(t, 2, jarLen(loaded))
	assert.Equal(t, []string{"wikiUserID", "wiki_session"}, cookieNames(loaded.Cookies(wikiURL)))

	// Replacing a file that someone made world-readable gives 0600 again.
	require.NoError(t, os.Chmod(path, 0o644))
	require.NoError(t, saveJarFile(j, path))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
}

func TestSaveFileConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "jar.json")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				j := newJar(time.Now)
				j.SetCookies(wikiURL, []*http.Cookie{{Name: "writer", Value: fmt.Sprintf("g%d-i%d", g, i), Path: "/"}})
				assert.NoError(t, saveJarFile(j, path))
			}
		}(g)
	}
	wg.Wait()
	loaded, err := loadJarFile(path)
	require.NoError(t, err, "the file is always one whole jar")
	assert.Equal(t, 1, jarLen(loaded))
	assert.Empty(t, strayFiles(t, dir, "jar.json"))
}

// TestSaveFileFailureLeavesNoTemp: when the final rename fails, the
// temporary file is removed.
func TestSaveFileFailureLeavesNoTemp(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "jar.json")
	require.NoError(t, os.Mkdir(path, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(path, "keep"), []byte("x"), 0o600))
	assert.Error(t, saveJarFile(sampleJar(), path))
	assert.Empty(t, strayFiles(t, dir, "jar.json"))
}

func TestLoadJarFileModes(t *testing.T) {
	t.Parallel()
	skipIfNoUnixModes(t)
	tests := []struct {
		name    string
		mode    fs.FileMode
		wantErr bool
	}{
		{name: "0600", mode: 0o600},
		{name: "0400", mode: 0o400},
		{name: "0644", mode: 0o644, wantErr: true},
		{name: "0640", mode: 0o640, wantErr: true},
		{name: "0604", mode: 0o604, wantErr: true},
		{name: "0660", mode: 0o660, wantErr: true},
		{name: "0666", mode: 0o666, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "jar.json")
			require.NoError(t, saveJarFile(sampleJar(), path))
			require.NoError(t, os.Chmod(path, tt.mode))
			j, err := loadJarFile(path)
			if tt.wantErr {
				assert.ErrorIs(t, err, ErrSessionFile)
				assert.Nil(t, j)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 2, jarLen(j))
		})
	}
}

func TestLoadJarFileErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := loadJarFile(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, ErrSessionFile)

	_, err = loadJarFile(dir)
	assert.ErrorIs(t, err, ErrSessionFile, "a directory is not a jar")

	garbage := filepath.Join(dir, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("{\"version\":1,\"cookies\":[{"), 0o600))
	_, err = loadJarFile(garbage)
	assert.ErrorIs(t, err, ErrSessionFile)
}

// TestWriteSessionFileRefusesOversize (issue 11, bug 5): a save never
// writes what a load would refuse.
func TestWriteSessionFileRefusesOversize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	require.NoError(t, writeSessionFile(context.Background(), path, []byte(`{"old":true}`)))
	err := writeSessionFile(context.Background(), path, make([]byte, maxSessionFile+1))
	assert.ErrorIs(t, err, ErrSessionFile)
	b, err := readSessionFile(context.Background(), path)
	require.NoError(t, err)
	assert.Equal(t, `{"old":true}`, string(b), "the old file is kept")
	// Exactly the limit is fine.
	require.NoError(t, writeSessionFile(context.Background(), path, make([]byte, maxSessionFile)))
	b, err = readSessionFile(context.Background(), path)
	require.NoError(t, err)
	assert.Len(t, b, maxSessionFile)
}

// TestSessionFileErrorsAreTyped: every failure but a missing file matches
// ErrSessionFile, and a missing file matches fs.ErrNotExist only.
func TestSessionFileErrorsAreTyped(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	_, err := readSessionFile(ctx, filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.NotErrorIs(t, err, ErrSessionFile)
	_, err = os.Stat(filepath.Join(dir, "missing.json.lock"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "a missing file creates no lock")

	_, err = readSessionFile(ctx, dir)
	assert.ErrorIs(t, err, ErrSessionFile, "a directory is not a session file")

	err = writeSessionFile(ctx, filepath.Join(dir, "no", "such", "dir.json"), []byte("{}"))
	assert.ErrorIs(t, err, ErrSessionFile)
	assert.NoError(t, removeSessionFile(ctx, filepath.Join(dir, "missing.json")), "removing nothing is fine")
	assert.NoError(t, removeSessionFile(ctx, filepath.Join(dir, "no", "such", "dir.json")))
	assert.Empty(t, strayFiles(t, dir, ""), "nothing was created")
}

// TestRemoveSessionFile: the file and its lock go; other files stay.
func TestRemoveSessionFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	require.NoError(t, writeSessionFile(ctx, path, []byte("{}")))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.json"), nil, 0o600))
	require.NoError(t, removeSessionFile(ctx, path))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "other.json", entries[0].Name())
}

// TestSaveRemovesStaleTemporaryFiles (issue 11, hardening): a save killed
// after creating its temporary file left the whole session in it; the
// next save removes it.
func TestSaveRemovesStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	for _, stale := range []string{".session.json.tmp123456", ".session.json.tmp0123456789abcdef"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, stale), []byte("old session"), 0o600))
	}
	// Not ours: another file's temporary file and a look-alike.
	keep := []string{".other.json.tmp42", "session.json.tmp42"}
	for _, k := range keep {
		require.NoError(t, os.WriteFile(filepath.Join(dir, k), nil, 0o600))
	}
	require.NoError(t, writeSessionFile(ctx, path, []byte("{}")))
	assert.ElementsMatch(t, keep, strayFiles(t, dir, "session.json"))
}

// TestSessionFileConcurrentRemove: saves, loads and removals of one file
// from many goroutines (each with its own lock descriptor, as separate
// processes have) never see half a file, and a removal that unlinks the
// lock file never lets two writers in at once.
func TestSessionFileConcurrentRemove(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "session.json")
	ctx := ctxTimeout(t, 60*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				var err error
				switch g % 3 {
				case 0:
					err = writeSessionFile(ctx, path, []byte(fmt.Sprintf(`{"writer":%d,"i":%d,"pad":%q}`, g, i, strings.Repeat("x", 4096))))
				case 1:
					var b []byte
					b, err = readSessionFile(ctx, path)
					if errors.Is(err, fs.ErrNotExist) {
						err = nil
					} else if err == nil && !json.Valid(b) {
						err = fmt.Errorf("read half a file: %d bytes", len(b))
					}
				case 2:
					err = removeSessionFile(ctx, path)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Empty(t, strayFiles(t, filepath.Dir(path), "session.json"), "no temporary file is left")
}
