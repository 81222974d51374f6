#!/usr/bin/env bash
# scripts/test.sh: the complete check of mwauth, as CI runs it (.ci/run).
#
#   1. starts a real MediaWiki 1.39 on 127.0.0.1 (internal/localwiki/up.sh;
#      on a fresh Debian 12 machine, run as root, it installs the packages),
#      while the trixie chroot for MediaWiki 1.43 builds in the background
#      (internal/localwiki143/prepare.sh: debootstrap + apt, minutes on a fresh machine)
#   2. gofmt, go vet, staticcheck
#   3. the unit tests once: go test -race over every package, without the
#      tests that need a real wiki
#   4. starts the real MediaWiki 1.43 (internal/localwiki143/up.sh)
#   5. the real-wiki suites (integration, conformance against the real wiki,
#      the wikitest checks) against 1.39, then against 1.43: run_live_suites
#   6. the third-party clients, internal/thirdparty/run.sh <api.php>, against
#      each real wiki, when that script exists
#   7. stops the wikis and prints how many tests passed against each version
#
# Needs root (apt-get; the 1.43 wiki runs in a chroot).
#
# Environment:
#   MWAUTH_WIKIS=both      which real wikis: 139, 143 or both (default both)
#   MWAUTH_KEEP_WIKI=1     leave the wikis running afterwards
#   STATICCHECK_VERSION    staticcheck module version (default below)
#   MWAUTH_WIKI139_PORT    port of the 1.39 wiki (default $LOCALWIKI_PORT, else 8080)
#   MWAUTH_WIKI139_DIR     its data dir (default $LOCALWIKI_DIR, else /tmp/localwiki)
#   MWAUTH_WIKI143_PORT    port of the 1.43 wiki (default 8093)
#   MWAUTH_WIKI143_DIR     its data dir (default /tmp/localwiki143/data)
#   MWAUTH_WIKI143_ROOT    its trixie chroot (default /tmp/localwiki143/root; kept
#                          between runs, so only the first run builds it)
#   LOCALWIKI_*            other settings passed on to both up.sh (see their READMEs);
#                          LOCALWIKI_RESET defaults to 1 (fresh wikis every run),
#                          LOCALWIKI_FAKESSO is always 1 (the tests need REDIRECT/RESTART).
# Example, beside someone else's wiki on 8080, only 1.43:
#   MWAUTH_WIKIS=143 MWAUTH_WIKI143_PORT=8193 bash scripts/test.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

STATICCHECK_VERSION=${STATICCHECK_VERSION:-v0.7.0} # staticcheck 2026.1, supports Go 1.26
LOGDIR=${TMPDIR:-/tmp}/mwauth-test-logs
mkdir -p "$LOGDIR"

# The live suites: whole packages that run each case against the fake and
# the real wiki, plus the single real-wiki tests of other packages (they call
# wikitest.API), by name. The unit run leaves out both; run_live_suites runs
# exactly them.
LIVE_PKGS=(./internal/livetest/... ./internal/conformance/...)
LIVE_TESTS='^(TestIntegration|TestSiteinfo|TestTOTPLoginsInARow|TestKillSessions|TestResetCounters|TestExpireSessions)'
LIVE_TEST_PKGS=(./internal/wikitest/... ./cmd/mwlogin/...)
# What counts as a check of the real wiki in the summary: the real-wiki
# conformance cases, the raw-HTTP conformance cases run against the real
# target, and the single real-wiki tests.
REAL_COUNT_RE='^\s*--- PASS: (TestConformanceRealWiki/|Test(VersionDifferences|EditRefusals|OAuth)/real|TestIntegration|TestSiteinfo|TestTOTPLoginsInARow|TestKillSessions|TestResetCounters|TestExpireSessions)'

WIKIS=${MWAUTH_WIKIS:-both}
case $WIKIS in
139) WANT139=1 WANT143=0 ;;
143) WANT139=0 WANT143=1 ;;
both) WANT139=1 WANT143=1 ;;
*)
  echo "MWAUTH_WIKIS must be 139, 143 or both, not '$WIKIS'" >&2
  exit 2
  ;;
esac

W139_PORT=${MWAUTH_WIKI139_PORT:-${LOCALWIKI_PORT:-8080}}
W139_DIR=${MWAUTH_WIKI139_DIR:-${LOCALWIKI_DIR:-/tmp/localwiki}}
W143_PORT=${MWAUTH_WIKI143_PORT:-8093}
W143_DIR=${MWAUTH_WIKI143_DIR:-/tmp/localwiki143/data}
W143_ROOT=${MWAUTH_WIKI143_ROOT:-/tmp/localwiki143/root}
[[ $W139_PORT != "$W143_PORT" ]] || { echo "the 1.39 and 1.43 wikis need different ports (both $W139_PORT)" >&2; exit 2; }
unset LOCALWIKI_PORT LOCALWIKI_DIR LOCALWIKI_ROOT # set per wiki below
export LOCALWIKI_FAKESSO=1
export LOCALWIKI_RESET=${LOCALWIKI_RESET:-1}
# The test processes must not pick up a wiki from the caller's environment.
unset MWAUTH_TEST_WIKI MWAUTH_LOCALWIKI_DIR MWAUTH_TEST_WIKI_VERSION

# Run a command with the environment of one wiki's scripts.
with139() { LOCALWIKI_PORT=$W139_PORT LOCALWIKI_DIR=$W139_DIR "$@"; }
with143() { LOCALWIKI_PORT=$W143_PORT LOCALWIKI_DIR=$W143_DIR LOCALWIKI_ROOT=$W143_ROOT "$@"; }

T0=$SECONDS
TIMES=() # "what: seconds" for the summary
section() { printf '\n======== %s  (%ss)\n' "$*" "$((SECONDS - T0))"; }
fail() {
  printf '\n******** FAILED: %s\n' "$*" >&2
  exit 1
}

STARTED139=0 STARTED143=0 PREPARE_PID=
SUMMARY=()
finish() {
  local rc=$?
  if [[ -n $PREPARE_PID ]] && kill -0 "$PREPARE_PID" 2>/dev/null; then
    echo "stopping the background chroot build (process group $PREPARE_PID)"
    kill -TERM -- "-$PREPARE_PID" 2>/dev/null || true
    wait "$PREPARE_PID" 2>/dev/null || true
    STARTED143=1 # down.sh unmounts what it mounted; the next prepare.sh finishes or redoes the build
  fi
  local label dir
  for label in 139 143; do
    if [[ $label == 139 ]]; then ((STARTED139)) || continue; dir=$W139_DIR; else ((STARTED143)) || continue; dir=$W143_DIR; fi
    if ((rc != 0)) && [[ -f $dir/server.log ]]; then
      printf '\n-------- MediaWiki %s: PHP errors and warnings in %s (last 20):\n' "${label:0:1}.${label:1}" "$dir/server.log"
      grep -E 'PHP (Fatal|Warning|Parse|Notice)|Exception' "$dir/server.log" | tail -n 20 || true
    fi
  done
  if [[ ${MWAUTH_KEEP_WIKI:-0} == 1 ]]; then
    ((STARTED139)) && printf '\nMWAUTH_KEEP_WIKI=1: MediaWiki 1.39 keeps running on port %s (stop: LOCALWIKI_DIR=%s internal/localwiki/down.sh)\n' "$W139_PORT" "$W139_DIR"
    ((STARTED143)) && printf 'MWAUTH_KEEP_WIKI=1: MediaWiki 1.43 keeps running on port %s (stop: LOCALWIKI_DIR=%s LOCALWIKI_ROOT=%s internal/localwiki143/down.sh)\n' "$W143_PORT" "$W143_DIR" "$W143_ROOT"
  else
    if ((STARTED139)); then with139 bash internal/localwiki/down.sh || true; fi
    if ((STARTED143)); then with143 bash internal/localwiki143/down.sh || true; fi
  fi
  if ((${#TIMES[@]})); then
    printf '\n======== timings\n'
    printf '  %s\n' "${TIMES[@]}"
  fi
  if ((${#SUMMARY[@]})); then
    printf '\n======== summary\n'
    printf '  %s\n' "${SUMMARY[@]}"
  fi
  if ((rc == 0)); then
    printf '\n======== ALL CHECKS PASSED in %ss\n' "$((SECONDS - T0))"
  else
    printf '\n******** scripts/test.sh FAILED (exit %s) after %ss\n' "$rc" "$((SECONDS - T0))" >&2
  fi
}
trap finish EXIT

# ---------------------------------------------------------------------------------
section "tools"
command -v go >/dev/null || fail "go is not on PATH: install Go (go.mod: $(grep -m1 '^go ' go.mod))"
go version
((WANT143 == 0 || EUID == 0)) || fail "run as root: the 1.43 wiki runs in a chroot (or MWAUTH_WIKIS=139)"
# go test -race needs cgo, i.e. a C compiler and the C library headers.
if ! command -v gcc >/dev/null || [[ ! -e /usr/include/stdlib.h ]]; then
  command -v apt-get >/dev/null || fail "go test -race needs gcc and libc6-dev; install them"
  echo "installing gcc and libc6-dev for the race detector"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null; } ||
    fail "could not install gcc and libc6-dev"
fi
[[ $(go env CGO_ENABLED) == 1 ]] || fail "CGO_ENABLED is not 1, but go test -race needs cgo"
echo "wikis: $WIKIS"

# ---------------------------------------------------------------------------------
if ((WANT143)); then
  section "MediaWiki 1.43 chroot: build in the background (internal/localwiki143/prepare.sh, $W143_ROOT)"
  # The host's apt part (debootstrap itself) first, so that it never holds the
  # dpkg lock while the 1.39 wiki installs its packages.
  with143 bash internal/localwiki143/prepare.sh --host-tools || fail "internal/localwiki143/prepare.sh --host-tools"
  PREPARE_LOG=$LOGDIR/prepare-143.log
  # setsid: its own process group (whose id is $!), so that finish can stop all
  # of it. Not through with143: $! would be a subshell outside that group.
  LOCALWIKI_DIR=$W143_DIR LOCALWIKI_ROOT=$W143_ROOT setsid bash internal/localwiki143/prepare.sh >"$PREPARE_LOG" 2>&1 &
  PREPARE_PID=$!
  echo "pid $PREPARE_PID, log $PREPARE_LOG"
fi

if ((WANT139)); then
  section "MediaWiki 1.39 (internal/localwiki/up.sh, port $W139_PORT, data $W139_DIR)"
  STARTED139=1 # from here on, stop whatever up.sh may have started
  t=$SECONDS
  API139=$(with139 bash internal/localwiki/up.sh) || fail "internal/localwiki/up.sh could not start the 1.39 wiki"
  TIMES+=("MediaWiki 1.39 up: $((SECONDS - t))s")
  [[ $API139 == http*://*api.php ]] || fail "up.sh printed '$API139' instead of an api.php URL"
  echo "MediaWiki 1.39: $API139"
fi

# ---------------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------------
count() { grep -cE "$1" "$2" || true; }

# go_test <log> <args...>: go test -race -v into <log>; on failure show what failed.
go_test() {
  local log=$1
  shift
  echo "go test -race -count=1 -v $*  (log: $log)"
  if ! go test -race -count=1 -v "$@" >"$log" 2>&1; then
    grep -E '^(ok|FAIL|\?) ' "$log" || true
    printf '\n-------- failing tests:\n'
    grep -E -B2 -A12 '^\s*--- FAIL' "$log" | tail -n 150 || true
    grep -E '^(FAIL|panic:)|^\[setup failed\]|build failed' "$log" | tail -n 20 || true
    return 1
  fi
  grep -E '^(ok|FAIL|\?) ' "$log"
}

section "unit tests: go test -race ./... without the real-wiki tests"
UNIT_LOG=$LOGDIR/unit.log
# MWAUTH_REQUIRE_WIKI=1 without MWAUTH_TEST_WIKI: a real-wiki test that
# LIVE_TESTS does not name fails here instead of skipping.
t=$SECONDS
mapfile -t UNIT_PKGS < <(go list ./... | grep -v -E '/internal/(livetest|conformance)$')
MWAUTH_REQUIRE_WIKI=1 go_test "$UNIT_LOG" -timeout 30m -skip "$LIVE_TESTS" "${UNIT_PKGS[@]}" || fail "unit tests"
TIMES+=("unit tests: $((SECONDS - t))s")
unit_passed=$(count '^\s*--- PASS' "$UNIT_LOG")
unit_skipped=$(count '^\s*--- SKIP' "$UNIT_LOG")
echo "unit tests: $unit_passed passed, $unit_skipped skipped; examples run: $(count '^--- PASS: Example' "$UNIT_LOG")"
if ((unit_skipped)); then
  grep -E -A2 '^\s*--- SKIP' "$UNIT_LOG" | sed 's/^/  /'
  fail "$unit_skipped unit test(s) skipped; no test may skip here"
fi
SUMMARY+=("unit tests (fakes, fixtures, fuzz seeds): $unit_passed passed")

# ---------------------------------------------------------------------------------
# run_live_suites <label> <api.php URL> <localwiki scripts dir>
#
# THE ONE PLACE that runs the real-wiki suites against one wiki. The caller
# has exported the wiki's LOCALWIKI_DIR (and LOCALWIKI_ROOT), which the
# wiki's reset-counters.sh and kill-sessions.sh read.
#   MWAUTH_TEST_WIKI          the wiki's api.php (internal/wikitest.API)
#   MWAUTH_REQUIRE_WIKI=1     a test without a wiki fails rather than skips
#   MWAUTH_LOCALWIKI_DIR      the scripts dir (wikitest.ResetCounters/KillSessions)
#   MWAUTH_TEST_WIKI_VERSION  1.39 or 1.43, which TestSiteinfo checks against the wiki
# To repoint it when the live suites move (own package or build tag): change
# the go test arguments below, and LIVE_TESTS at the top.
LIVE_PASSED=0
run_live_suites() {
  local label=$1 api=$2 scripts=$3
  local log=$LOGDIR/live-$label.log
  local version="${label:0:1}.${label:1}"
  section "real-wiki suites against MediaWiki $version ($api)"
  local t=$SECONDS
  # Each run re-seeds the wiki (LOCALWIKI_RESET=1), so TwoFAUser's first
  # recovery code may be spent (MediaWiki 1.43; 1.39 refuses them anyway).
  local env=(MWAUTH_TEST_WIKI="$api" MWAUTH_REQUIRE_WIKI=1 MWAUTH_LOCALWIKI_DIR="$scripts"
    MWAUTH_TEST_WIKI_VERSION="$version" MWAUTH_CONFORMANCE_RECOVERY_CODE=SCRATCHTOKENAAAA)
  (export "${env[@]}" && go_test "$log" -timeout 30m "${LIVE_PKGS[@]}") ||
    fail "real-wiki suites against MediaWiki $version"
  (export "${env[@]}" && go_test "$log.single" -timeout 30m -run "$LIVE_TESTS" "${LIVE_TEST_PKGS[@]}") ||
    fail "real-wiki tests against MediaWiki $version"
  cat "$log.single" >>"$log"
  TIMES+=("real-wiki suites against MediaWiki $version: $((SECONDS - t))s")
  LIVE_PASSED=$(count "$REAL_COUNT_RE" "$log")
  local skipped
  skipped=$(count '^\s*--- SKIP' "$log")
  if ((skipped)); then
    grep -E -A2 '^\s*--- SKIP' "$log" | sed 's/^/  /'
    fail "$skipped real-wiki test(s) skipped against MediaWiki $version"
  fi
  ((LIVE_PASSED > 0)) || fail "no real-wiki test ran against MediaWiki $version"
  echo "MediaWiki $version: $LIVE_PASSED real-wiki checks passed ($(count '^\s*--- PASS' "$log") tests and subtests in all, fake halves included)"
}

# run_thirdparty <label> <api.php URL>: the third-party clients (mwclient, mwn)
# against one real wiki, if internal/thirdparty/run.sh exists.
THIRDPARTY=internal/thirdparty/run.sh
run_thirdparty() {
  local label=$1 api=$2
  local version="${label:0:1}.${label:1}"
  if [[ ! -e $THIRDPARTY ]]; then
    echo "third-party clients: skipped against MediaWiki $version ($THIRDPARTY does not exist yet)"
    THIRDPARTY_RESULT="skipped ($THIRDPARTY does not exist)"
    return
  fi
  [[ -x $THIRDPARTY ]] || fail "$THIRDPARTY exists but is not executable"
  section "third-party clients against MediaWiki $version ($THIRDPARTY $api)"
  local t=$SECONDS log=$LOGDIR/thirdparty-$label.log
  if ! MWAUTH_TEST_WIKI=$api MWAUTH_REQUIRE_WIKI=1 MWAUTH_TEST_WIKI_VERSION=$version \
    "$THIRDPARTY" "$api" 2>&1 | tee "$log"; then
    fail "third-party clients against MediaWiki $version (log: $log)"
  fi
  TIMES+=("third-party clients against MediaWiki $version: $((SECONDS - t))s")
  THIRDPARTY_RESULT="passed"
}

# live_wiki <label> <api> <scripts dir>: everything that runs against one real wiki.
live_wiki() {
  local label=$1 api=$2 scripts=$3
  local version="${label:0:1}.${label:1}"
  run_live_suites "$label" "$api" "$scripts"
  THIRDPARTY_RESULT=
  run_thirdparty "$label" "$api"
  SUMMARY+=("MediaWiki $version: $LIVE_PASSED real-wiki tests and subtests passed; third-party clients: $THIRDPARTY_RESULT")
}

# The wiki's scripts (reset-counters.sh, kill-sessions.sh) read LOCALWIKI_DIR
# and LOCALWIKI_ROOT from the environment that with139/with143 set.
# 1.39 first: the 1.43 chroot may still be building in the background.
if ((WANT139)); then with139 live_wiki 139 "$API139" "$ROOT/internal/localwiki"; fi

# ---------------------------------------------------------------------------------
if ((WANT143)); then
  section "MediaWiki 1.43 chroot: waiting for the background build (log: $PREPARE_LOG)"
  t=$SECONDS
  if ! wait "$PREPARE_PID"; then
    PREPARE_PID=
    tail -n 30 "$PREPARE_LOG" >&2
    fail "internal/localwiki143/prepare.sh could not build the 1.43 chroot (log: $PREPARE_LOG)"
  fi
  PREPARE_PID=
  grep -E '^\[localwiki143\] (debootstrap|chroot|removing)' "$PREPARE_LOG" || true
  built=$(grep -o 'chroot ready in [0-9.]*s' "$PREPARE_LOG" | grep -o '[0-9.]*s$' || true)
  TIMES+=("MediaWiki 1.43 chroot build (in the background): ${built:-none, already built}; waited for it: $((SECONDS - t))s")

  section "MediaWiki 1.43 (internal/localwiki143/up.sh, port $W143_PORT, data $W143_DIR, chroot $W143_ROOT)"
  STARTED143=1
  t=$SECONDS
  API143=$(with143 bash internal/localwiki143/up.sh) || fail "internal/localwiki143/up.sh could not start the 1.43 wiki"
  TIMES+=("MediaWiki 1.43 up: $((SECONDS - t))s")
  [[ $API143 == http*://*api.php ]] || fail "up.sh printed '$API143' instead of an api.php URL"
  echo "MediaWiki 1.43: $API143"

  with143 live_wiki 143 "$API143" "$ROOT/internal/localwiki143"
fi
exit 0
