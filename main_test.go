package mwauth

import (
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMain runs the tests, then fails the binary if a goroutine of this
// module outlived them.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		code = checkGoroutines()
	}
	os.Exit(code)
}

// checkGoroutines reports goroutines that outlive the tests: after idle
// connections are closed, only the runtime's and the testing package's
// own may remain.
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
