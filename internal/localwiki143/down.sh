#!/usr/bin/env bash
# down.sh: stop the MediaWiki 1.43 test wiki's php -S (the one recorded in
# $LOCALWIKI_DIR/server.pid) and unmount the data dir and, when nothing else
# uses the chroot, /proc (and /dev) from it. The chroot itself stays: it takes
# minutes to build.
#   down.sh            stop the server, keep the data
#   down.sh --purge    also delete the data dir (only if it carries the .localwiki marker)
# To delete the chroot too: run down.sh, check that `findmnt | grep $LOCALWIKI_ROOT`
# prints nothing, then rm -rf --one-file-system $LOCALWIKI_ROOT.
#
# LOCALWIKI_DIR (/tmp/localwiki143/data), LOCALWIKI_ROOT (/tmp/localwiki143/root);
# LOCALWIKI_KEEP_MOUNTS=1 leaves the mounts (up.sh uses it to restart the server).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
PIDFILE=$DIR/server.pid

group_alive() { pgrep -g "$1" >/dev/null 2>&1; }

if [[ ! -f $PIDFILE ]]; then
  say "no $PIDFILE: no server to stop"
else
  pid=$(cat "$PIDFILE")
  # Signal it only if that pid still is a php built-in server on loopback
  # (the pid may have been reused since).
  if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'php .*-S 127\.0\.0\.1:'; then
    # The workers are forks that keep the port open when only the master
    # dies. up.sh used setsid, so pid is the group of master and workers.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      group_alive "$pid" || break
      sleep 0.1
    done
    if group_alive "$pid"; then
      say "server group $pid ignored SIGTERM for 5 s: SIGKILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
      for _ in $(seq 20); do
        group_alive "$pid" || break
        sleep 0.1
      done
    fi
    say "stopped php -S (process group $pid)"
  else
    say "pid $pid is gone or is not our php -S; dropping the stale pid file"
  fi
  rm -f "$PIDFILE"
fi

if [[ ${LOCALWIKI_KEEP_MOUNTS:-0} != 1 && -d $ROOT ]]; then
  umount_all
  say "unmounted $DIR from $ROOT"
fi

if [[ ${1:-} == --purge && -e $DIR ]]; then
  [[ -f $DIR/.localwiki ]] || die "not deleting $DIR: it has no .localwiki marker"
  mountpoint -q "$ROOT$DIR" 2>/dev/null && die "not deleting $DIR: it is still mounted at $ROOT$DIR"
  rm -rf "$DIR"
  say "deleted $DIR"
fi
