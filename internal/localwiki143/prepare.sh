#!/usr/bin/env bash
# prepare.sh: build the trixie chroot that mwauth's MediaWiki 1.43 test wiki
# runs in, and install MediaWiki and PHP in it. up.sh runs it first; you can
# also run it alone, in the background, while something else happens
# (scripts/test.sh does that). Idempotent: once $LOCALWIKI_ROOT carries the
# marker, it only checks and returns. Run as root.
#
#   0. debootstrap on the host, from the host's apt, if missing
#   1. debootstrap --variant=minbase trixie $LOCALWIKI_ROOT <archive>  (once)
#   2. apt-get install mediawiki php ... inside the chroot              (once)
#
#   prepare.sh               all of it
#   prepare.sh --host-tools  step 0 only (the host's apt; the rest touches only
#                            the chroot, so it can run beside another host apt-get)
#
# Environment:
#   LOCALWIKI_ROOT      the chroot (/tmp/localwiki143/root)
#   LOCALWIKI_MIRROR    Debian archive for debootstrap (default: the first
#                       non-security archive in the host's apt sources)
#   LOCALWIKI_SKIP_APT  1 = never debootstrap or apt-get: fail if anything is missing
#
# Logs: $LOCALWIKI_ROOT.debootstrap.log and $LOCALWIKI_ROOT.apt.log.
# Progress goes to stderr; nothing to stdout.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"

SUITE=trixie
SKIP_APT=${LOCALWIKI_SKIP_APT:-0}
[[ $SKIP_APT == [01] ]] || die "LOCALWIKI_SKIP_APT must be 0 or 1, not '$SKIP_APT'"
need_root
HOST_ONLY=0
case ${1:-} in
"") ;;
--host-tools) HOST_ONLY=1 ;;
*) die "usage: prepare.sh [--host-tools]" ;;
esac

# mediawiki depends on "apache2 | httpd" and php8.4 on "libapache2-mod-php8.4 |
# php8.4-fpm | php8.4-cgi": micro-httpd (inetd-style; no inetd, so it never
# listens) and php8.4-cgi satisfy both without apache2 or a php-fpm daemon.
PACKAGES=(mediawiki php-cli php8.4-cgi php-sqlite3 php-intl php-mbstring php-xml
  micro-httpd netcat-traditional)

# --- 0. host tools -------------------------------------------------------------------
host_apt() {
  # Wait for the dpkg lock rather than fail, should another apt run.
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}
if ! command -v debootstrap >/dev/null && [[ ! -f $MARKER ]]; then
  ((SKIP_APT == 0)) || die "debootstrap is missing and LOCALWIKI_SKIP_APT=1"
  command -v apt-get >/dev/null || die "debootstrap is missing and there is no apt-get to install it"
  mkdir -p "$(dirname "$ROOT")"
  hostlog=$ROOT.host-apt.log
  say "installing debootstrap on the host (log: $hostlog)"
  host_apt install -y -q --no-install-recommends debootstrap >"$hostlog" 2>&1 ||
    { host_apt update -q >>"$hostlog" 2>&1 && host_apt install -y -q --no-install-recommends debootstrap >>"$hostlog" 2>&1; } ||
    { tail_log "$hostlog"; die "could not install debootstrap (log: $hostlog)"; }
fi
for tool in chroot mount umount mountpoint findmnt flock realpath pgrep; do
  command -v "$tool" >/dev/null || die "$tool is missing on the host"
done
((HOST_ONLY)) && exit 0

mkdir -p "$(dirname "$ROOT")"
# One prepare at a time per chroot (scripts/test.sh starts one in the
# background, and up.sh runs it again).
exec 9>"$ROOT.lock"
if ! flock -n 9; then
  say "another prepare.sh is building $ROOT: waiting for it"
  flock 9
fi

if [[ -f $MARKER ]]; then
  say "chroot $ROOT is ready ($(cat "$MARKER"))"
  exit 0
fi
((SKIP_APT == 0)) || die "no finished chroot at $ROOT and LOCALWIKI_SKIP_APT=1"

command -v debootstrap >/dev/null || die "debootstrap is missing"
[[ -f /usr/share/debootstrap/scripts/$SUITE ]] || die "this debootstrap ($(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null)) does not know $SUITE"

mirror() {
  if [[ -n ${LOCALWIKI_MIRROR:-} ]]; then
    echo "$LOCALWIKI_MIRROR"
    return
  fi
  local url
  # deb822 sources first, then one-line sources; never the security archive.
  url=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
  [[ -n $url ]] || url=$(awk '$1 == "deb" && $2 !~ /^\[/ && $2 !~ /security/ { print $2; exit }' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1 || true)
  [[ -n $url ]] || die "no Debian archive in /etc/apt; set LOCALWIKI_MIRROR"
  echo "$url"
}

T0=$(clock)

# --- 1. debootstrap (a half-built chroot is started again from scratch) -------------
if [[ ! -f $ROOT/.debootstrap-done ]]; then
  if [[ -e $ROOT ]]; then
    # An interrupted build may have left /proc, /sys or /dev mounted. Never
    # delete a tree with something mounted in it: a bind-mounted /dev would
    # take the host's device nodes with it.
    chroot_busy && die "$ROOT is half built and processes still run in it; stop them, then run prepare.sh again"
    for m in $(chroot_mounts | sort -r); do
      say "unmounting $m (left by an interrupted build)"
      umount "$m" || die "umount $m failed; unmount everything under $ROOT, then delete it"
    done
    [[ -z $(chroot_mounts) ]] || die "$ROOT still has mounts under it ($(chroot_mounts | tr '\n' ' ')); unmount them, then delete $ROOT"
    say "removing the unfinished chroot $ROOT"
    rm -rf --one-file-system "$ROOT"
  fi
  url=$(mirror)
  say "debootstrap --variant=minbase $SUITE $ROOT $url (log: $ROOT.debootstrap.log)"
  t0=$(clock)
  # dpkg in the chroot skips its fsyncs (force-unsafe-io), from debootstrap's
  # own package installs on: the chroot is throwaway, and a build that stops
  # half-way is started again from scratch.
  mkdir -p "$ROOT/etc/dpkg/dpkg.cfg.d"
  printf '# mwauth localwiki143: throwaway chroot\nforce-unsafe-io\n' >"$ROOT/etc/dpkg/dpkg.cfg.d/mwauth-unsafe-io"
  if ! nice -n 10 debootstrap --variant=minbase "$SUITE" "$ROOT" "$url" >"$ROOT.debootstrap.log" 2>&1; then
    tail_log "$ROOT.debootstrap.log"
    die "debootstrap failed (does $url serve $SUITE? log: $ROOT.debootstrap.log)"
  fi
  # No maintainer script in the chroot may start a daemon.
  printf '#!/bin/sh\n# mwauth localwiki143: never start daemons in this chroot\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
  touch "$ROOT/.debootstrap-done"
  say "debootstrap took $(since "$t0")s"
fi

# --- 2. packages in the chroot -------------------------------------------------------
mount_base
aptlog=$ROOT.apt.log
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
chroot_apt() {
  DEBIAN_FRONTEND=noninteractive in_chroot nice -n 10 apt-get -q "$@" >>"$aptlog" 2>&1
}
say "chroot packages: ${PACKAGES[*]} (log: $aptlog)"
t0=$(clock)
: >"$aptlog"
# Finish what an interrupted earlier run left half configured.
DEBIAN_FRONTEND=noninteractive in_chroot dpkg --configure -a >>"$aptlog" 2>&1 || true
# debootstrap leaves the package lists in place; update only if the install fails.
if ! chroot_apt install -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}"; then
  say "chroot packages: install failed, running apt-get update and trying again"
  chroot_apt update || { tail_log "$aptlog"; die "apt-get update in the chroot failed (log: $aptlog)"; }
  chroot_apt install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}" ||
    { tail_log "$aptlog"; die "apt-get install in the chroot failed (log: $aptlog)"; }
fi
chroot_apt clean || true
for p in "${PACKAGES[@]}"; do
  in_chroot dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' ||
    die "package $p is not installed in the chroot after apt-get (log: $aptlog)"
done
in_chroot test -f /usr/share/mediawiki/maintenance/install.php || die "the chroot has no /usr/share/mediawiki/maintenance/install.php"
mw=$(in_chroot dpkg-query -W -f='${Version}' mediawiki)
php=$(in_chroot php -r 'echo PHP_VERSION;')
[[ $mw == *:1.43.* ]] || die "the chroot's mediawiki package is $mw, not 1.43"
say "chroot packages took $(since "$t0")s"
printf 'mediawiki %s, php %s\n' "$mw" "$php" >"$MARKER"
say "chroot ready in $(since "$T0")s: mediawiki $mw, php $php"
