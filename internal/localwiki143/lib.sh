# shellcheck shell=bash
# lib.sh: shared by the scripts of this folder (sourced, not run).
#
# Reads LOCALWIKI_DIR and LOCALWIKI_ROOT and sets:
#   DIR   the data dir (LocalSettings.php, data/*.sqlite, logs, pid)
#   ROOT  the trixie chroot the wiki runs in
# and defines say/die/clock/since/tail_log and the chroot helpers.
#
# The data dir is bind-mounted into the chroot at the same path, so every path
# in LocalSettings.php, in the logs and on the php command line means the same
# file inside and outside the chroot.

DIR=${LOCALWIKI_DIR:-/tmp/localwiki143/data}
ROOT=${LOCALWIKI_ROOT:-/tmp/localwiki143/root}
[[ $DIR == /* && $ROOT == /* ]] || {
  printf '[localwiki143] ERROR: LOCALWIKI_DIR and LOCALWIKI_ROOT must be absolute paths\n' >&2
  exit 1
}
# Canonical paths: /proc/<pid>/root shows the canonical chroot path, and
# findmnt shows canonical mount points.
DIR=$(realpath -m "$DIR")
ROOT=$(realpath -m "$ROOT")
[[ $DIR/ == "$ROOT"/* ]] && {
  printf '[localwiki143] ERROR: LOCALWIKI_DIR (%s) must not be inside LOCALWIKI_ROOT (%s)\n' "$DIR" "$ROOT" >&2
  exit 1
}
MARKER=$ROOT/.mwauth-localwiki143 # written when the chroot and its packages are complete

say() { printf '[localwiki143] %s\n' "$*" >&2; }
die() {
  say "ERROR: $*"
  exit 1
}
clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f", b - a }'; }
tail_log() {
  [[ -f $1 ]] && tail -n 25 "$1" >&2
  true
}

need_root() { ((EUID == 0)) || die "run as root: the 1.43 wiki lives in a chroot (chroot, mount)"; }

# TMPDIR=/tmp: the caller's TMPDIR is a host path that need not exist in the chroot
# (MediaWiki then finds no temporary directory and install.php fails).
in_chroot() { TMPDIR=/tmp chroot "$ROOT" "$@"; }

# Mount points under the chroot, one a line.
chroot_mounts() { findmnt -rn -o TARGET | awk -v r="$ROOT/" 'index($0, r) == 1' || true; }

# /proc (php and dpkg want it) and, when debootstrap could not create device
# nodes (it cannot inside some containers), the host's /dev.
mount_base() {
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc" || die "mount proc on $ROOT/proc failed"
  if [[ ! -c $ROOT/dev/null || ! -c $ROOT/dev/urandom ]]; then
    mountpoint -q "$ROOT/dev" || mount --bind /dev "$ROOT/dev" || die "bind-mount /dev on $ROOT/dev failed"
  fi
}

mount_data() {
  [[ -d $DIR ]] || die "data dir $DIR does not exist"
  mkdir -p "$ROOT$DIR"
  mountpoint -q "$ROOT$DIR" || mount --bind "$DIR" "$ROOT$DIR" || die "bind-mount $DIR on $ROOT$DIR failed"
}

# Does a process still run inside the chroot?
chroot_busy() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [[ $r == "$ROOT" ]] && return 0
  done
  return 1
}

# Undo mount_data, then mount_base unless something else still uses the
# chroot (another data dir mounted, or a process running in it).
umount_all() {
  if mountpoint -q "$ROOT$DIR"; then umount "$ROOT$DIR" || die "umount $ROOT$DIR failed"; fi
  if chroot_busy; then
    say "processes still run in $ROOT: leaving /proc mounted"
    return 0
  fi
  local others
  others=$(chroot_mounts | grep -v -x -e "$ROOT/proc" -e "$ROOT/dev" || true)
  if [[ -n $others ]]; then
    say "other mounts remain in $ROOT ($others): leaving /proc mounted"
    return 0
  fi
  if mountpoint -q "$ROOT/dev"; then umount "$ROOT/dev" || die "umount $ROOT/dev failed"; fi
  if mountpoint -q "$ROOT/proc"; then umount "$ROOT/proc" || die "umount $ROOT/proc failed"; fi
}

# Run the php one-liner $1 inside the chroot on the object cache sqlite file,
# mounting the data dir for the duration if the wiki is not up.
cache_sql() {
  local db=$DIR/data/wikicache.sqlite mounted=0 rc=0
  [[ -f $db ]] || die "$db does not exist (is the wiki set up? LOCALWIKI_DIR=$DIR)"
  [[ -f $MARKER ]] || die "no finished chroot at $ROOT (LOCALWIKI_ROOT=$ROOT)"
  if ! mountpoint -q "$ROOT$DIR"; then
    mount_base
    mount_data
    mounted=1
  fi
  in_chroot php -d display_errors=stderr -r "$1" "$db" || rc=$?
  ((mounted)) && umount_all
  return "$rc"
}
