// Package livetest_test holds mwauth's live suites: the conformance
// cases, which run through the public API against the in-process fake
// (mwauthtest) and against the real MediaWiki that MWAUTH_TEST_WIKI names,
// and the tests that need other processes (sessions shared across
// processes, a process killed while it saves). It is the one entry point
// of the real-wiki checks:
//
//	MWAUTH_TEST_WIKI=http://127.0.0.1:8080/api.php MWAUTH_REQUIRE_WIKI=1 \
//		go test -race -count=1 ./internal/livetest/...
//
// Without MWAUTH_TEST_WIKI only the fake half runs, once as MediaWiki 1.39
// and once as 1.43; with MWAUTH_REQUIRE_WIKI=1 (or CI set) and no wiki,
// the package fails. With a wiki, the fake answers as the wiki's release:
// MWAUTH_TEST_WIKI_VERSION (1.39 or 1.43) if set, which must then match
// the wiki, else the release the wiki's siteinfo names.
package livetest_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/mwauth/mwauth/internal/wikitest"
)

func TestMain(m *testing.M) {
	// The test binary is also the child process of the process tests.
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(runChild(mode))
	}
	if os.Getenv(wikitest.EnvWiki) == "" && (os.Getenv(wikitest.EnvRequire) == "1" || os.Getenv("CI") != "") {
		fmt.Fprintf(os.Stderr, "livetest: %s is not set, but %s=1 or CI asks for the real wiki\n",
			wikitest.EnvWiki, wikitest.EnvRequire)
		os.Exit(1)
	}
	os.Exit(m.Run())
}
