// Package thirdparty holds scripts that drive real third-party MediaWiki
// clients (Debian's python3-mwclient and mwn from npm) against a wiki, and
// this test, which runs them against mwauthtest's fake in both version
// modes. scripts/test.sh runs run.sh against the real wikis too; that is
// what proves the fake.
package thirdparty

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mwauth/mwauth/mwauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireTools skips, or fails under MWAUTH_REQUIRE_WIKI=1, when the
// interpreters the clients need are missing.
func requireTools(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		missing = append(missing, "/usr/bin/python3")
	}
	for _, tool := range []string{"node", "npm", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	if os.Getenv("MWAUTH_REQUIRE_WIKI") == "1" {
		t.Fatalf("MWAUTH_REQUIRE_WIKI=1 but %v not found: the third-party clients cannot run", missing)
	}
	t.Skipf("%v not found (set MWAUTH_REQUIRE_WIKI=1 to make this a failure)", missing)
}

func runScript(t *testing.T, api string, env ...string) (string, error) {
	t.Helper()
	script, err := filepath.Abs("run.sh")
	require.NoError(t, err)
	cmd := exec.Command("bash", script, api)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.String(), err
}

func count(reqs []mwauthtest.Request, action string) int {
	n := 0
	for _, r := range reqs {
		if r.Action == action {
			n++
		}
	}
	return n
}

func TestClientsAgainstFake(t *testing.T) {
	requireTools(t)
	tests := []struct {
		name    string
		version mwauthtest.Version
	}{
		{name: "MediaWiki 1.43", version: mwauthtest.MediaWiki143},
		{name: "MediaWiki 1.39", version: mwauthtest.MediaWiki139},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mwauthtest.NewServer(mwauthtest.WithVersion(tt.version))
			t.Cleanup(srv.Close)
			out, err := runScript(t, srv.URL)
			require.NoError(t, err, "run.sh against the fake %s:\n%s", tt.version, out)
			assert.Contains(t, out, "mwclient: wiki is MediaWiki "+string(tt.version))
			assert.Contains(t, out, "thirdparty: OK")

			reqs := srv.Requests()
			// Each client logs in twice (once after the lost session), edits
			// at least three times (mwclient's refused edit, mwn's retries)
			// and logs out once; mwn's badtoken recovery asks paraminfo.
			assert.GreaterOrEqual(t, count(reqs, "login"), 4)
			assert.GreaterOrEqual(t, count(reqs, "edit"), 6)
			assert.Equal(t, 2, count(reqs, "logout"))
			assert.GreaterOrEqual(t, count(reqs, "paraminfo"), 1)
		})
	}
}

func TestRunFailsLoudly(t *testing.T) {
	requireTools(t)
	srv := mwauthtest.NewServer()
	t.Cleanup(srv.Close)
	out, err := runScript(t, srv.URL, "MWAUTH_THIRDPARTY_PASSWORD=wrongbotpassword0123456789abcdef")
	require.Error(t, err, "a refused login must fail run.sh:\n%s", out)
	assert.Contains(t, out, "FAIL [mwclient")
	assert.Contains(t, out, "FAIL [mwn")
	assert.Contains(t, out, "thirdparty: FAIL: mwclient mwn failed")
	assert.NotContains(t, out, "wrongbotpassword0123456789abcdef", "the password is never printed")
}
