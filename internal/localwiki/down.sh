#!/usr/bin/env bash
# down.sh: stop the test wiki's php -S (the one recorded in $LOCALWIKI_DIR/server.pid).
#   down.sh            stop the server, keep the data
#   down.sh --purge    also delete the data dir (only if it carries the .localwiki marker)
# LOCALWIKI_DIR: data dir (/tmp/localwiki)
set -euo pipefail
DIR=${LOCALWIKI_DIR:-/tmp/localwiki}
PIDFILE=$DIR/server.pid
say() { printf '[localwiki] %s\n' "$*" >&2; }

group_alive() { pgrep -g "$1" >/dev/null 2>&1; }

if [[ ! -f $PIDFILE ]]; then
  say "no $PIDFILE: no server to stop"
else
  pid=$(cat "$PIDFILE")
  # Only signal it if that pid still is a php built-in server on loopback
  # (the pid may have been reused since).
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'php .*-S 127\.0\.0\.1:'; then
    # With PHP_CLI_SERVER_WORKERS the workers are forks that keep the port
    # open when only the master dies. up.sh used setsid, so pid is the
    # process group id of master and workers: signal the group.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do group_alive "$pid" || break; sleep 0.1; done
    if group_alive "$pid"; then
      say "server group $pid ignored SIGTERM for 5 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    say "stopped php -S (process group $pid)"
  else
    say "pid $pid is gone or is not our php -S; dropping the stale pid file"
  fi
  rm -f "$PIDFILE"
fi

if [[ ${1:-} == --purge && -e $DIR ]]; then
  [[ -f $DIR/.localwiki ]] || { say "not deleting $DIR: it has no .localwiki marker"; exit 1; }
  rm -rf "$DIR"
  say "deleted $DIR"
fi
