#!/usr/bin/env bash
# up.sh: start (or refresh) the throwaway MediaWiki 1.39 that mwauth's
# integration tests log in to. Debian 12 packages, sqlite, `php -S` on
# 127.0.0.1. Safe to run again: it installs only what is missing, re-seeds the
# accounts and keeps a running server unless its settings changed.
#
# stdout gets exactly one line, the api.php URL; everything else goes to stderr:
#   API=$(internal/localwiki/up.sh)
#
# Environment (all optional):
#   LOCALWIKI_PORT      port on 127.0.0.1 (8080)
#   LOCALWIKI_DIR       data dir: LocalSettings.php, data/*.sqlite, logs, pid (/tmp/localwiki)
#   LOCALWIKI_WORKERS   php -S worker processes (4; 1 = one request at a time)
#   LOCALWIKI_FAKESSO   1 = load fakesso.php, a test provider that yields REDIRECT/RESTART (0)
#   LOCALWIKI_DEBUG     1 = MediaWiki debug log in $LOCALWIKI_DIR/debug.log (0)
#   LOCALWIKI_RESET     1 = stop the server and delete the data dir first (0)
#   LOCALWIKI_SKIP_APT  1 = never run apt-get; fail if a package is missing (0)
#   LOCALWIKI_CAPTCHA_IP_ATTEMPTS  failed logins per IP before every login from
#                       that IP needs the captcha (1000000, i.e. off; MediaWiki's default is 3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PORT=${LOCALWIKI_PORT:-8080}
DIR=${LOCALWIKI_DIR:-/tmp/localwiki}
WORKERS=${LOCALWIKI_WORKERS:-4}
FAKESSO=${LOCALWIKI_FAKESSO:-0}
DEBUG=${LOCALWIKI_DEBUG:-0}
RESET=${LOCALWIKI_RESET:-0}
SKIP_APT=${LOCALWIKI_SKIP_APT:-0}
CAPTCHA_IP=${LOCALWIKI_CAPTCHA_IP_ATTEMPTS:-1000000}
MW=/usr/share/mediawiki
SERVER="http://127.0.0.1:$PORT"
API="$SERVER/api.php"
PIDFILE=$DIR/server.pid
CONF=$DIR/LocalSettings.php

say() { printf '[localwiki] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
clock() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f", b - a }'; }
tail_log() { [[ -f $1 ]] && tail -n 25 "$1" >&2; true; }

[[ $PORT =~ ^[0-9]+$ ]] || die "LOCALWIKI_PORT must be a number, not '$PORT'"
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "LOCALWIKI_WORKERS must be a positive number, not '$WORKERS'"
[[ $CAPTCHA_IP =~ ^[0-9]+$ ]] || die "LOCALWIKI_CAPTCHA_IP_ATTEMPTS must be a number"
for flag in FAKESSO DEBUG RESET SKIP_APT; do
  [[ ${!flag} == [01] ]] || die "LOCALWIKI_$flag must be 0 or 1, not '${!flag}'"
done

set -a
# shellcheck source=accounts.env
source "$HERE/accounts.env"
set +a

START=$(clock)

# --- 1. Debian packages -------------------------------------------------------
# mediawiki depends on "apache2 | httpd" and php8.2 on "libapache2-mod-php8.2 |
# php8.2-fpm | php8.2-cgi". Naming micro-httpd (an inetd-style httpd; no inetd
# gets installed, so it never listens) and php8.2-cgi satisfies both, so apt
# installs neither apache2 nor php-fpm. No database server: sqlite only.
PACKAGES=(mediawiki php-cli php8.2-cgi php-sqlite3 php-intl php-mbstring php-xml
  micro-httpd netcat-traditional curl)

POLICY=/usr/sbin/policy-rc.d
OWN_POLICY=0
drop_policy() { if ((OWN_POLICY)); then rm -f "$POLICY"; OWN_POLICY=0; fi; }
trap drop_policy EXIT

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    say "packages: all present"
    return
  fi
  ((SKIP_APT == 0)) || die "missing Debian packages (${missing[*]}) and LOCALWIKI_SKIP_APT=1"
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: this needs Debian 12"
  ((EUID == 0)) || die "missing packages (${missing[*]}); run as root so that apt-get can install them"

  local t0 aptlog
  t0=$(clock)
  aptlog=${TMPDIR:-/tmp}/localwiki-apt.log
  say "packages: installing ${missing[*]} (log: $aptlog)"
  # policy-rc.d exit 101 = "do not start services": no maintainer script may
  # start a daemon while we install. Keep an existing one (container images have it).
  if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# temporary, from mwauth internal/localwiki/up.sh\nexit 101\n' >"$POLICY"
    chmod 755 "$POLICY"
    OWN_POLICY=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confdef
    -o Dpkg::Options::=--force-confold "${missing[@]}")
  if ! "${apt[@]}" >"$aptlog" 2>&1; then
    say "packages: install failed, running apt-get update and trying again"
    apt-get update -q >>"$aptlog" 2>&1 || { tail_log "$aptlog"; die "apt-get update failed (log: $aptlog)"; }
    "${apt[@]}" >>"$aptlog" 2>&1 || { tail_log "$aptlog"; die "apt-get install failed (log: $aptlog)"; }
  fi
  drop_policy
  # Where systemd runs, the micro-httpd package enables a socket unit: switch it off.
  if [[ -d /run/systemd/system ]]; then
    systemctl disable --now micro-httpd.socket >/dev/null 2>&1 || true
  fi
  say "packages: installed in $(since "$t0")s"
}
install_packages
[[ -f $MW/maintenance/install.php ]] || die "$MW/maintenance/install.php not found: is the mediawiki package broken?"
command -v php >/dev/null || die "php not found after installing php-cli"
say "mediawiki $(dpkg-query -W -f='${Version}' mediawiki)"

# --- 2. data dir and install.php ------------------------------------------------
server_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

if ((RESET)) && [[ -e $DIR ]]; then
  [[ -f $DIR/.localwiki ]] || die "LOCALWIKI_RESET=1 but $DIR has no .localwiki marker; not deleting it"
  if server_running; then LOCALWIKI_DIR=$DIR "$HERE/down.sh"; fi
  say "LOCALWIKI_RESET=1: deleting $DIR"
  rm -rf "$DIR"
fi

T_SETUP=$(clock)
FRESH=0
if [[ ! -f $CONF ]]; then
  if [[ -d $DIR && -n $(ls -A "$DIR") ]]; then
    [[ -f $DIR/.localwiki ]] || die "$DIR is not empty and is not ours (no .localwiki marker)"
    server_running && die "$DIR has no LocalSettings.php but a running server; run down.sh"
    say "removing an unfinished install in $DIR"
    rm -rf "$DIR"
  fi
  mkdir -p "$DIR/data" "$DIR/cache"
  touch "$DIR/.localwiki"
  say "install.php: sqlite wiki in $DIR"
  passfile=$(mktemp)
  printf '%s' "$LW_ADMIN_PASS" >"$passfile"
  # --confpath writes LocalSettings.php into the data dir: nothing under /etc,
  # /usr/share or /var/lib/mediawiki is touched.
  if ! php "$MW/maintenance/install.php" --dbtype sqlite --dbpath "$DIR/data" --dbname localwiki \
    --confpath "$DIR" --server "$SERVER" --scriptpath "" --lang en --skins Vector \
    --passfile "$passfile" LocalWiki "$LW_ADMIN_USER" >"$DIR/install.log" 2>&1; then
    rm -f "$passfile"
    tail_log "$DIR/install.log"
    die "install.php failed (log: $DIR/install.log)"
  fi
  rm -f "$passfile"
  printf '\n// mwauth localwiki: settings regenerated by up.sh on every run\nrequire_once __DIR__ . "/localwiki-settings.php";\n' >>"$CONF"
  FRESH=1
fi

# --- 3. our settings (rewritten on every run) -----------------------------------
SSO_LINE="// LOCALWIKI_FAKESSO=0: no fake SSO provider"
((FAKESSO == 1)) && SSO_LINE="require_once '$HERE/fakesso.php'; // LOCALWIKI_FAKESSO=1"
DEBUG_LINE="// LOCALWIKI_DEBUG=0: no debug log"
((DEBUG == 1)) && DEBUG_LINE="\$wgDebugLogFile = '$DIR/debug.log';"

cat >"$DIR/localwiki-settings.php.tmp" <<PHP
<?php
// Written by $HERE/up.sh; edits are lost on the next run.
\$wgServer = '$SERVER';
\$wgCanonicalServer = '$SERVER';
\$wgScriptPath = '';
\$wgCacheDirectory = '$DIR/cache';
\$wgUploadDirectory = '$DIR/images';
\$wgEnableUploads = false;
\$wgShowExceptionDetails = true;

// Plain http on loopback.
\$wgCookieSecure = false;
\$wgForceHTTPS = false;
\$wgSecureLogin = false;

// No APCu or memcached under php -S. The installer's CACHE_NONE would lose
// throttles, captcha counters and OATHAuth's replay guard between requests:
// keep everything (sessions too) in the sqlite object cache data/wikicache.sqlite.
\$wgMainCacheType = CACHE_DB;
\$wgSessionCacheType = CACHE_DB;
\$wgParserCacheType = CACHE_DB;
\$wgMessageCacheType = CACHE_DB;

\$wgEnableBotPasswords = true;

// Per username+IP, kept separately for password and bot-password logins.
// MediaWiki's default is [ 5 per 300 s, 150 per 2 days ]; tests need a
// throttle they can trip and wait out.
\$wgPasswordAttemptThrottle = [ [ 'count' => 10, 'seconds' => 60 ] ];

wfLoadExtension( 'OATHAuth' );

// QuestyCaptcha on login only: per user after 3 failures in 10 minutes; per IP
// only when LOCALWIKI_CAPTCHA_IP_ATTEMPTS is lowered (all tests share 127.0.0.1).
wfLoadExtensions( [ 'ConfirmEdit', 'ConfirmEdit/QuestyCaptcha' ] );
\$wgCaptchaClass = 'QuestyCaptcha';
\$wgCaptchaQuestions = [ '$LW_CAPTCHA_QUESTION' => '$LW_CAPTCHA_ANSWER' ];
\$wgCaptchaTriggers['edit'] = false;
\$wgCaptchaTriggers['create'] = false;
\$wgCaptchaTriggers['addurl'] = false;
\$wgCaptchaTriggers['createaccount'] = false;
\$wgCaptchaTriggers['badlogin'] = true;
\$wgCaptchaTriggers['badloginperuser'] = true;
\$wgCaptchaBadLoginAttempts = $CAPTCHA_IP;
\$wgCaptchaBadLoginPerUserAttempts = 3;

$SSO_LINE
$DEBUG_LINE
PHP
mv "$DIR/localwiki-settings.php.tmp" "$DIR/localwiki-settings.php"

# MediaWiki reads MW_CONFIG_FILE (php -S inherits it); maintenance scripts get --conf.
export MW_CONFIG_FILE=$CONF MW_INSTALL_PATH=$MW

if ((FRESH)) || [[ ! -f $DIR/.updated ]]; then
  say "update.php: extension tables (OATHAuth)"
  php "$MW/maintenance/update.php" --quick --conf "$CONF" >"$DIR/update.log" 2>&1 \
    || { tail_log "$DIR/update.log"; die "update.php failed (log: $DIR/update.log)"; }
  touch "$DIR/.updated"
fi

say "seed.php: accounts, bot passwords, TOTP enrolment"
php "$HERE/seed.php" --conf "$CONF" >"$DIR/seed.log" 2>&1 \
  || { tail_log "$DIR/seed.log"; die "seed.php failed (log: $DIR/seed.log)"; }
say "install/seed took $(since "$T_SETUP")s"

# --- 4. php -S ------------------------------------------------------------------
answers() {
  curl -fsS --max-time 5 "$API?action=query&meta=siteinfo&format=json" 2>/dev/null | grep -q '"sitename"'
}
WANT="port=$PORT workers=$WORKERS fakesso=$FAKESSO debug=$DEBUG captchaip=$CAPTCHA_IP"

if server_running && [[ $(cat "$DIR/server.settings" 2>/dev/null) != "$WANT" ]]; then
  say "server settings changed ($(cat "$DIR/server.settings" 2>/dev/null || echo unknown) -> $WANT): restarting"
  LOCALWIKI_DIR=$DIR "$HERE/down.sh"
fi

if server_running; then
  say "server already running (pid $(cat "$PIDFILE"))"
else
  if curl -s --max-time 2 -o /dev/null "$SERVER/"; then
    die "something else already answers on 127.0.0.1:$PORT; pick another LOCALWIKI_PORT"
  fi
  say "starting php -S 127.0.0.1:$PORT with $WORKERS worker(s); log: $DIR/server.log"
  # php refuses PHP_CLI_SERVER_WORKERS=1, so leave it unset for one worker.
  if ((WORKERS > 1)); then export PHP_CLI_SERVER_WORKERS=$WORKERS; else unset PHP_CLI_SERVER_WORKERS; fi
  # setsid makes php the leader of a new process group (down.sh stops the
  # whole group, workers included). The shell records its pid and becomes php.
  setsid bash -c 'echo $$ >"$1"; exec php -d display_errors=0 -d log_errors=1 -S "127.0.0.1:$2" -t "$3"' \
    localwiki "$PIDFILE" "$PORT" "$MW" </dev/null >>"$DIR/server.log" 2>&1 &
  printf '%s\n' "$WANT" >"$DIR/server.settings"
  for _ in $(seq 100); do [[ -s $PIDFILE ]] && break; sleep 0.05; done
fi

deadline=$((SECONDS + 30))
until answers; do
  server_running || { tail_log "$DIR/server.log"; die "php -S exited (log: $DIR/server.log)"; }
  ((SECONDS < deadline)) || { tail_log "$DIR/server.log"; die "api.php did not answer within 30 s"; }
  sleep 0.2
done
say "ready in $(since "$START")s: pid $(cat "$PIDFILE"), data in $DIR, fakesso=$FAKESSO"
echo "$API"
