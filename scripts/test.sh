#!/usr/bin/env bash
# scripts/test.sh: the complete check of mwauth, as CI runs it (.ci/run).
#
#   1. starts a real MediaWiki 1.39 on 127.0.0.1 (internal/localwiki/up.sh;
#      on a fresh Debian 12 machine, run as root, it installs the packages)
#   2. gofmt, go vet, staticcheck
#   3. go test -race over every package: unit tests, fuzz seed corpora and the
#      integration tests against the wiki (MWAUTH_TEST_WIKI, MWAUTH_REQUIRE_WIKI=1)
#   4. stops the wiki again
#
# Environment:
#   MWAUTH_KEEP_WIKI=1     leave the wiki running afterwards
#   STATICCHECK_VERSION    staticcheck module version (default below)
#   LOCALWIKI_*            passed on to up.sh (see internal/localwiki/README.md);
#                          LOCALWIKI_RESET defaults to 1 (fresh wiki every run),
#                          LOCALWIKI_FAKESSO is always 1 (the tests need REDIRECT/RESTART).
#                          Use another LOCALWIKI_PORT/LOCALWIKI_DIR to keep a wiki of
#                          your own on 8080 untouched.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.7.0} # staticcheck 2026.1, supports Go 1.26
GO_TEST_LOG=${TMPDIR:-/tmp}/mwauth-go-test.log

export LOCALWIKI_FAKESSO=1
export LOCALWIKI_RESET=${LOCALWIKI_RESET:-1}
export LOCALWIKI_PORT=${LOCALWIKI_PORT:-8080}
export LOCALWIKI_DIR=${LOCALWIKI_DIR:-/tmp/localwiki} # the tests' reset/kill scripts read it too
export MWAUTH_LOCALWIKI_DIR=$ROOT/internal/localwiki

T0=$SECONDS
section() { printf '\n======== %s  (%ss)\n' "$*" "$((SECONDS - T0))"; }
fail() {
  printf '\n******** FAILED: %s\n' "$*" >&2
  exit 1
}

WIKI_STARTED=0
finish() {
  local rc=$?
  if ((WIKI_STARTED)); then
    if ((rc != 0)) && [[ -f $LOCALWIKI_DIR/server.log ]]; then
      printf '\n-------- PHP errors and warnings in %s (last 20):\n' "$LOCALWIKI_DIR/server.log"
      grep -E 'PHP (Fatal|Warning|Parse|Notice)|Exception' "$LOCALWIKI_DIR/server.log" | tail -n 20 || true
    fi
    if [[ ${MWAUTH_KEEP_WIKI:-0} == 1 ]]; then
      printf '\nMWAUTH_KEEP_WIKI=1: the wiki keeps running at %s (stop it: internal/localwiki/down.sh)\n' "$MWAUTH_TEST_WIKI"
    else
      bash internal/localwiki/down.sh || true
    fi
  fi
  if ((rc == 0)); then
    printf '\n======== ALL CHECKS PASSED in %ss\n' "$((SECONDS - T0))"
  else
    printf '\n******** scripts/test.sh FAILED (exit %s) after %ss\n' "$rc" "$((SECONDS - T0))" >&2
  fi
}
trap finish EXIT

section "tools"
command -v go >/dev/null || fail "go is not on PATH: install Go (go.mod: $(grep -m1 '^go ' go.mod))"
go version
# go test -race needs cgo, i.e. a C compiler and the C library headers.
if ! command -v gcc >/dev/null || [[ ! -e /usr/include/stdlib.h ]]; then
  ((EUID == 0)) && command -v apt-get >/dev/null ||
    fail "go test -race needs gcc and libc6-dev; install them (or run this as root on Debian)"
  echo "installing gcc and libc6-dev for the race detector"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null; } ||
    fail "could not install gcc and libc6-dev"
fi
[[ $(go env CGO_ENABLED) == 1 ]] || fail "CGO_ENABLED is not 1, but go test -race needs cgo"

section "test wiki (internal/localwiki/up.sh, port $LOCALWIKI_PORT, data $LOCALWIKI_DIR)"
WIKI_STARTED=1 # from here on, stop whatever up.sh may have started
API=$(bash internal/localwiki/up.sh) || fail "internal/localwiki/up.sh could not start the wiki"
[[ $API == http*://*api.php ]] || fail "up.sh printed '$API' instead of an api.php URL"
export MWAUTH_TEST_WIKI=$API MWAUTH_REQUIRE_WIKI=1
echo "MWAUTH_TEST_WIKI=$MWAUTH_TEST_WIKI"
curl -fsS --max-time 10 "$API?action=query&meta=authmanagerinfo&amirequestsfor=login&format=json" |
  grep -q 'ButtonAuthenticationRequest:fakessologin' || fail "the wiki does not offer the fakesso login (LOCALWIKI_FAKESSO)"

section "gofmt -l ."
unformatted=$(gofmt -l .)
[[ -z $unformatted ]] || fail "gofmt: these files need gofmt -w:"$'\n'"$unformatted"
echo "ok"

section "go vet ./..."
go vet ./... || fail "go vet"
echo "ok"

section "staticcheck $STATICCHECK_VERSION"
STATICCHECK=$(go env GOPATH)/bin/staticcheck
if ! "$STATICCHECK" -version 2>/dev/null | grep -qF "($STATICCHECK_VERSION)"; then
  echo "go install honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION" || fail "installing staticcheck"
fi
"$STATICCHECK" -version
"$STATICCHECK" ./... || fail "staticcheck"
echo "ok"

section "go test -race -count=1 -timeout 30m ./...  (output also in $GO_TEST_LOG)"
# Integration tests of different packages take turns on the wiki through a lock
# in internal/wikitest, so -p 1 is not needed.
# -v so that the log can be counted; only the package lines are shown here.
if ! go test -race -count=1 -timeout 30m -v ./... >"$GO_TEST_LOG" 2>&1; then
  grep -E '^(ok|FAIL|\?) ' "$GO_TEST_LOG" || true
  printf '\n-------- failing tests:\n'
  grep -E -B2 -A12 '^\s*--- FAIL' "$GO_TEST_LOG" | tail -n 120 || true
  grep -E '^(FAIL|panic:)' "$GO_TEST_LOG" | tail -n 20 || true
  fail "go test"
fi
grep -E '^(ok|FAIL|\?) ' "$GO_TEST_LOG"

section "test counts"
count() { grep -cE "$1" "$GO_TEST_LOG" || true; }
passed=$(count '^\s*--- PASS')
failed=$(count '^\s*--- FAIL')
skipped=$(count '^\s*--- SKIP')
real=$(count '^\s*--- PASS: (TestIntegration|TestConformanceRealWiki|TestSiteinfo|TestTOTPLoginsInARow|TestKillSessions|TestResetCounters)')
echo "tests and subtests against the real MediaWiki 1.39 at $MWAUTH_TEST_WIKI: $real passed"
echo "examples run: $(count '^--- PASS: Example')"
grep -E '^\s*--- SKIP' "$GO_TEST_LOG" | sed 's/^/  skipped: /' || true
((real > 0)) || fail "no integration test ran against the real wiki"
echo "go test: $passed passed, $failed failed, $skipped skipped"
