package mwauth

import (
	"bufio"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bigJarCookies is how many cookies bigJar sets: bigJarHosts sites with
// as many as the jar keeps per domain.
const (
	bigJarHosts   = 10
	bigJarCookies = bigJarHosts * maxCookiesPerDomain
)

// bigJarURL is the URL of the i-th site of bigJar.
func bigJarURL(i int) *url.URL {
	return &url.URL{Scheme: "http", Host: fmt.Sprintf("wiki%02d.example:8080", i), Path: "/api.php"}
}

// bigJar returns a jar whose saved form is large enough (about 300 KiB)
// that a save takes a while, with cookie values that say which round
// wrote them.
func bigJar(round int) *jar {
	j := newJar(time.Now)
	val := fmt.Sprintf("round%08d", round)
	pad := strings.Repeat("p", 400)
	for h := 0; h < bigJarHosts; h++ {
		for i := 0; i < maxCookiesPerDomain; i++ {
			j.SetCookies(bigJarURL(h), []*http.Cookie{{Name: "c" + strconv.Itoa(i), Value: val + "x" + strconv.Itoa(i) + pad, Path: "/"}})
		}
	}
	return j
}

// TestMain runs the child processes of the crash tests when asked to by
// their environment, and the tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv("MWAUTH_SAVE_LOOP"); path != "" {
		saveLoop(path)
	}
	if path := os.Getenv("MWAUTH_FSIZE_CHILD"); path != "" {
		saveWithFileSizeLimit(path)
	}
	code := m.Run()
	if code == 0 {
		code = checkGoroutines()
	}
	os.Exit(code)
}

// checkGoroutines fails the test binary if goroutines outlive the tests:
// after idle connections are closed, only the runtime's and the testing
// package's own may remain.
func checkGoroutines() int {
	deadline := time.Now().Add(10 * time.Second)
	for {
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		sharedTransport().(*http.Transport).CloseIdleConnections()
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		leaked := 0
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "github.com/mwauth/mwauth") && !strings.Contains(g, "checkGoroutines") &&
				!strings.Contains(g, "testing.(*M).") {
				leaked++
			}
		}
		if leaked == 0 {
			return 0
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "%d goroutines of this module outlived the tests:\n%s\n", leaked, stacks)
			return 1
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// saveLoop is the child process of TestSessionFileSurvivesKill: it saves
// the same file again and again until it is killed.
func saveLoop(path string) {
	for round := 1; ; round++ {
		if err := saveJarFile(bigJar(round), path); err != nil {
			fmt.Fprintln(os.Stderr, "save:", err)
			os.Exit(3)
		}
		if round == 1 {
			// Tell the parent that saves are under way.
			fmt.Println(saveLoopReady)
		}
	}
}

const saveLoopReady = "mwauth-save-loop: first save done"

// jarRounds returns the rounds (see bigJar) that wrote the cookies of j.
func jarRounds(j *jar) map[string]int {
	rounds := map[string]int{}
	for h := 0; h < bigJarHosts; h++ {
		for _, c := range j.Cookies(bigJarURL(h)) {
			r, _, _ := strings.Cut(c.Value, "x")
			rounds[r]++
		}
	}
	return rounds
}

// TestSessionFileSurvivesKill kills a process in the middle of saving,
// many times, and checks that the file left behind always loads whole.
func TestSessionFileSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "session.json")
	require.NoError(t, saveJarFile(bigJar(0), path))
	exe, err := os.Executable()
	require.NoError(t, err)
	for i := 0; i < 8; i++ {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), "MWAUTH_SAVE_LOOP="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// Wait until the child is saving (starting it may take long on a
		// busy machine), so that the kill cannot come before the first save.
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		if strings.TrimSpace(line) != saveLoopReady {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("kill %d: the child did not start saving: %q, stderr: %s", i, line, stderr.String())
		}
		// Kill at different points of the save loop.
		time.Sleep(time.Duration(37*i) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL), "stderr: %s", stderr.String())
		err = cmd.Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "kill %d: stderr: %s", i, stderr.String())
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL,
			"kill %d: the child ended otherwise (%v), stderr: %s", i, err, stderr.String())

		j, err := loadJarFile(path)
		require.NoError(t, err, "kill %d left a file that does not load", i)
		assert.Equal(t, bigJarCookies, jarLen(j), "kill %d left a partial jar", i)
		rounds := jarRounds(j)
		assert.Len(t, rounds, 1, "kill %d left a jar mixed from several saves", i)
		assert.NotContains(t, rounds, fmt.Sprintf("round%08d", 0), "kill %d: the child's saves never reached the file", i)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	}
}
