package mwauth

// persist_test.go: the session file as a Client reads and writes it.

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sessionFileJSON builds a session file as WithSessionFile writes it.
func sessionFileJSON(t *testing.T, endpoint, kind string, mutate func(m map[string]any)) []byte {
	t.Helper()
	u := mustParse(t, endpoint)
	m := map[string]any{
		"version": sessionVersion, "endpoint": endpoint, "kind": kind, "username": "Admin", "userid": 1,
		"saved": 1795000000,
		"cookies": []map[string]any{
			{"host": u.Hostname(), "name": cookieBPSession, "value": "5e55i0nfr0mf11e", "path": "/", "httponly": true},
		},
	}
	if mutate != nil {
		mutate(m)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func TestWithSessionFileRefusesBadFiles(t *testing.T) {
	t.Parallel()
	skipIfNoUnixModes(t)
	const ep = "http://127.0.0.1:8080/w/api.php"
	tests := []struct {
		name  string
		write func(t *testing.T, path string)
	}{
		{name: "corrupt", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("\x00\x01 not json"), 0o600))
		}},
		{name: "truncated", write: func(t *testing.T, path string) {
			b := sessionFileJSON(t, ep, "login", nil)
			require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o600))
		}},
		{name: "empty", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o600))
		}},
		{name: "another endpoint", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, "http://127.0.0.1:9090/w/api.php", "login", nil), 0o600))
		}},
		{name: "readable by others", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, ep, "login", nil), 0o600))
			require.NoError(t, os.Chmod(path, 0o644))
		}},
		{name: "unknown version", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, ep, "login", func(m map[string]any) { m["version"] = 7 }), 0o600))
		}},
		{name: "no user", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, ep, "login", func(m map[string]any) { m["username"] = "" }), 0o600))
		}},
		{name: "unknown kind", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, ep, "oauth", nil), 0o600))
		}},
		{name: "malformed cookie", write: func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, sessionFileJSON(t, ep, "login", func(m map[string]any) {
				m["cookies"] = []any{map[string]any{"url": "ftp://x/", "name": "a", "value": "b"}}
			}), 0o600))
		}},
		{name: "a directory", write: func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o700))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "session.json")
			tt.write(t, path)

			c, err := New(ep, WithSessionFile(path))
			assert.ErrorIs(t, err, ErrSessionFile, "never silently discarded")
			assert.Nil(t, c)
		})
	}
}

func TestWithSessionFileLoads(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path := filepath.Join(t.TempDir(), "session.json")
	require.NoError(t, os.WriteFile(path, sessionFileJSON(t, f.endpoint(), "login", nil), 0o600))
	c, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	st := c.sess.view()
	assert.Equal(t, sessionLogin, st.kind)
	assert.Equal(t, User{ID: 1, Name: "Admin"}, st.u)

	f.on("query", f.fx("edit_success.json"))
	err = c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	require.NoError(t, err)
	r := f.last(t)
	assert.Equal(t, "5e55i0nfr0mf11e", r.Cookies[cookieBPSession], "the saved session is sent")
	assert.Equal(t, "user", r.param("assert"), "a loaded login session asserts")
}

func TestWithSessionFileMissingIsFine(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "session.json")
	c, err := New("https://wiki.example.org/w/api.php", WithSessionFile(path))
	require.NoError(t, err)
	assert.Zero(t, jarLen(c.jar))
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "New alone writes nothing")
}

// TestSessionFileLifecycle: the file is written (0600, no password) after
// a login, follows cookie changes, is reloaded by the next process and is
// removed by Logout.
func TestSessionFileLifecycle(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	ctx := ctxTimeout(t, 10*time.Second)

	c, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	f.on("login", f.loginOK())
	_, err = c.Login(ctx, testBotUser, testBotPassword)
	require.NoError(t, err)

	b, err := os.ReadFile(path)
	require.NoError(t, err, "the session is saved after login")
	if !permissiveFS() {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm())
	}
	assert.NotContains(t, string(b), testBotPassword, "the file never holds the password")
	var sf sessionFile
	require.NoError(t, json.Unmarshal(b, &sf))
	assert.Equal(t, sessionVersion, sf.Version)
	assert.Equal(t, f.endpoint(), sf.Endpoint)
	assert.Equal(t, "login", sf.Kind)
	assert.Equal(t, "Admin", sf.Username)
	assert.Equal(t, 1, sf.UserID)
	names := map[string]string{}
	for _, ck := range sf.Cookies {
		names[string(ck.Name)] = string(ck.Value)
	}
	assert.NotEmpty(t, names[cookieBPSession])
	assert.Empty(t, strayFiles(t, dir, "session.json"))

	// A cookie the wiki rotates is saved too.
	f.on("query", f.fx("edit_success.json").setting(cookieToken))
	err = c.Get(ctx, url.Values{"action": {"query"}, "meta": {"siteinfo"}}, nil)
	require.NoError(t, err)
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), cookieToken)

	// The next process resumes from the file.
	c2, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	assert.Equal(t, sessionLogin, c2.sess.view().kind)
	assert.Equal(t, jarLen(c.jar), jarLen(c2.jar))

	require.NoError(t, c2.Logout(ctx))
	_, err = os.Stat(path)
	assert.ErrorIs(t, err, fs.ErrNotExist, "Logout removes the session file")
	assert.Empty(t, strayFiles(t, dir, "session.json"))
}

func TestSessionFileClientLogin(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	path := filepath.Join(t.TempDir(), "session.json")
	ctx := ctxTimeout(t, 10*time.Second)
	c, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	f.on("clientlogin", f.fx("clientlogin_ui_oathtoken.json"), f.passOK())
	_, err = c.ClientLogin(ctx, passwordLogin())
	require.NoError(t, err)
	step, err := c.ContinueClientLogin(ctx, map[string]string{"OATHToken": testOTP})
	require.NoError(t, err)
	require.Equal(t, StatusPass, step.Status)

	b, err := os.ReadFile(path)
	require.NoError(t, err)
	for _, secret := range []string{testUserPassword, testOTP} {
		assert.NotContains(t, string(b), secret)
	}
	var sf sessionFile
	require.NoError(t, json.Unmarshal(b, &sf))
	assert.Equal(t, "clientlogin", sf.Kind)
	assert.Equal(t, "Alice", sf.Username)

	// A process that resumes it cannot log in again by itself.
	c2, err := New(f.endpoint(), WithSessionFile(path))
	require.NoError(t, err)
	assert.Equal(t, sessionClientLogin, c2.sess.view().kind)
	f.on("edit", f.fx("error_assertuserfailed.json"))
	err = c2.PostWithToken(ctx, "csrf", editParams(), nil)
	assert.ErrorIs(t, err, ErrNotLoggedIn)
	assert.Empty(t, f.posts("login"))
}

func TestSessionFilePathIsAbsolute(t *testing.T) {
	t.Parallel()
	wd, err := os.Getwd()
	require.NoError(t, err)
	dir := t.TempDir() // 0700, unlike a checkout whose modes depend on the umask
	rel, err := filepath.Rel(wd, filepath.Join(dir, "session.json"))
	require.NoError(t, err)
	require.False(t, filepath.IsAbs(rel))
	c, err := New("https://wiki.example.org/w/api.php", WithSessionFile(rel))
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(c.persist.path))
	assert.Equal(t, filepath.Join(dir, "session.json"), c.persist.path)
}
