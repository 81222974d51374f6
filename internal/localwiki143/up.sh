#!/usr/bin/env bash
# up.sh: start (or refresh) the throwaway MediaWiki 1.43 LTS that mwauth's
# integration tests log in to. MediaWiki 1.43 is Debian 13's package and wants
# Debian 13's PHP 8.4, so on a Debian 12 host it runs in a trixie chroot that
# prepare.sh builds once with debootstrap. sqlite, `php -S` on 127.0.0.1 (it
# runs in the chroot but listens on the host's loopback). The same accounts,
# bot passwords, TOTP two-factor user, login captcha and optional FakeSSO
# provider as internal/localwiki (1.39). Run it as root.
#
# Safe to run again: it builds and installs only what is missing, re-seeds the
# accounts and keeps a running server unless its settings changed.
#
# stdout gets exactly one line, the api.php URL; everything else goes to stderr:
#   API=$(internal/localwiki143/up.sh)
#
# Environment (all optional):
#   LOCALWIKI_PORT      port on 127.0.0.1 (8093)
#   LOCALWIKI_DIR       data dir: LocalSettings.php, data/*.sqlite, logs, pid (/tmp/localwiki143/data)
#   LOCALWIKI_ROOT      the trixie chroot (/tmp/localwiki143/root); see prepare.sh
#   LOCALWIKI_MIRROR    Debian archive for debootstrap (from the host's apt sources)
#   LOCALWIKI_WORKERS   php -S worker processes (4; 1 = one request at a time)
#   LOCALWIKI_FAKESSO   1 = load fakesso.php, a test provider that yields REDIRECT/RESTART (0)
#   LOCALWIKI_DEBUG     1 = MediaWiki debug log in $LOCALWIKI_DIR/debug.log (0)
#   LOCALWIKI_RESET     1 = stop the server and empty the data dir first (0)
#   LOCALWIKI_SKIP_APT  1 = never run debootstrap or apt-get; fail if something is missing (0)
#   LOCALWIKI_CAPTCHA_IP_ATTEMPTS  failed logins per IP before every login from
#                       that IP needs the captcha (1000000, i.e. off; MediaWiki's default is 3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh" # DIR, ROOT, MARKER, say, die, mounts

PORT=${LOCALWIKI_PORT:-8093}
WORKERS=${LOCALWIKI_WORKERS:-4}
FAKESSO=${LOCALWIKI_FAKESSO:-0}
DEBUG=${LOCALWIKI_DEBUG:-0}
RESET=${LOCALWIKI_RESET:-0}
CAPTCHA_IP=${LOCALWIKI_CAPTCHA_IP_ATTEMPTS:-1000000}
MW=/usr/share/mediawiki # inside the chroot
SERVER="http://127.0.0.1:$PORT"
API="$SERVER/api.php"
PIDFILE=$DIR/server.pid
CONF=$DIR/LocalSettings.php
TOOLS=$DIR/localwiki143 # copies of seed.php, fakesso.php, fakesso-i18n: the chroot cannot see $HERE

[[ $PORT =~ ^[0-9]+$ ]] || die "LOCALWIKI_PORT must be a number, not '$PORT'"
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || die "LOCALWIKI_WORKERS must be a positive number, not '$WORKERS'"
[[ $CAPTCHA_IP =~ ^[0-9]+$ ]] || die "LOCALWIKI_CAPTCHA_IP_ATTEMPTS must be a number"
for flag in FAKESSO DEBUG RESET; do
  [[ ${!flag} == [01] ]] || die "LOCALWIKI_$flag must be 0 or 1, not '${!flag}'"
done
need_root
command -v curl >/dev/null || die "curl is missing on the host (apt-get install curl)"

set -a
# shellcheck source=accounts.env
source "$HERE/accounts.env"
set +a

START=$(clock)

# --- 1. the chroot with MediaWiki 1.43 (prepare.sh returns at once when it is ready) ---
"$HERE/prepare.sh" || die "prepare.sh could not build the chroot $ROOT"
[[ -f $MARKER ]] || die "prepare.sh finished but $MARKER is missing"

# --- 2. data dir and install.php ----------------------------------------------------
server_running() { [[ -f $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
stop_server() { LOCALWIKI_DIR=$DIR LOCALWIKI_ROOT=$ROOT LOCALWIKI_KEEP_MOUNTS=1 "$HERE/down.sh"; }
empty_dir() { find "$DIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; }

mkdir -p "$DIR"
if ((RESET)) && [[ -n $(ls -A "$DIR") ]]; then
  [[ -f $DIR/.localwiki ]] || die "LOCALWIKI_RESET=1 but $DIR has no .localwiki marker; not deleting it"
  if server_running; then stop_server; fi
  say "LOCALWIKI_RESET=1: emptying $DIR"
  # Empty, not delete: the directory itself is the bind mount's source.
  empty_dir
fi
mount_base
mount_data

T_SETUP=$(clock)
FRESH=0
if [[ ! -f $CONF ]]; then
  if [[ -n $(ls -A "$DIR") ]]; then
    [[ -f $DIR/.localwiki ]] || die "$DIR is not empty and is not ours (no .localwiki marker)"
    server_running && die "$DIR has no LocalSettings.php but a running server; run down.sh"
    say "removing an unfinished install in $DIR"
    empty_dir
  fi
  mkdir -p "$DIR/data" "$DIR/cache"
  touch "$DIR/.localwiki"
  say "install.php: sqlite wiki in $DIR"
  passfile=$DIR/.installpass # inside the data dir, so that php in the chroot can read it
  (umask 077 && printf '%s' "$LW_ADMIN_PASS" >"$passfile")
  # --confpath writes LocalSettings.php into the data dir: nothing under the
  # chroot's /etc, /usr/share or /var/lib/mediawiki changes.
  if ! in_chroot php "$MW/maintenance/install.php" --dbtype sqlite --dbpath "$DIR/data" --dbname localwiki \
    --confpath "$DIR" --server "$SERVER" --scriptpath "" --lang en --skins Vector \
    --passfile "$passfile" LocalWiki "$LW_ADMIN_USER" >"$DIR/install.log" 2>&1; then
    rm -f "$passfile"
    tail_log "$DIR/install.log"
    die "install.php failed (log: $DIR/install.log)"
  fi
  rm -f "$passfile"
  printf '\n// mwauth localwiki143: settings regenerated by up.sh on every run\nrequire_once __DIR__ . "/localwiki-settings.php";\n' >>"$CONF"
  FRESH=1
fi

# --- 3. our settings (rewritten on every run) -------------------------------------
rm -rf "$TOOLS"
mkdir -p "$TOOLS"
cp -r "$HERE/seed.php" "$HERE/fakesso.php" "$HERE/fakesso-i18n" "$TOOLS/"

SSO_LINE="// LOCALWIKI_FAKESSO=0: no fake SSO provider"
((FAKESSO == 1)) && SSO_LINE="require_once '$TOOLS/fakesso.php'; // LOCALWIKI_FAKESSO=1"
DEBUG_LINE="// LOCALWIKI_DEBUG=0: no debug log"
((DEBUG == 1)) && DEBUG_LINE="\$wgDebugLogFile = '$DIR/debug.log';"

# The same settings as internal/localwiki/up.sh (1.39).
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
  say "update.php: extension tables (OATHAuth: oathauth_types, oathauth_devices)"
  in_chroot php "$MW/maintenance/update.php" --quick --conf "$CONF" >"$DIR/update.log" 2>&1 ||
    { tail_log "$DIR/update.log"; die "update.php failed (log: $DIR/update.log)"; }
  touch "$DIR/.updated"
fi

say "seed.php: accounts, bot passwords, TOTP enrolment"
in_chroot php "$TOOLS/seed.php" --conf "$CONF" >"$DIR/seed.log" 2>&1 ||
  { tail_log "$DIR/seed.log"; die "seed.php failed (log: $DIR/seed.log)"; }
say "install/seed took $(since "$T_SETUP")s"

# --- 4. php -S, in the chroot, on the host's loopback ------------------------------
answers() {
  curl -fsS --max-time 5 "$API?action=query&meta=siteinfo&format=json" 2>/dev/null | grep -q '"sitename"'
}
WANT="port=$PORT workers=$WORKERS fakesso=$FAKESSO debug=$DEBUG captchaip=$CAPTCHA_IP root=$ROOT"

if server_running && [[ $(cat "$DIR/server.settings" 2>/dev/null) != "$WANT" ]]; then
  say "server settings changed ($(cat "$DIR/server.settings" 2>/dev/null || echo unknown) -> $WANT): restarting"
  stop_server
fi

if server_running; then
  say "server already running (pid $(cat "$PIDFILE"))"
else
  if curl -s --max-time 2 -o /dev/null "$SERVER/"; then
    die "something else already answers on 127.0.0.1:$PORT; pick another LOCALWIKI_PORT"
  fi
  say "starting php -S 127.0.0.1:$PORT in $ROOT with $WORKERS worker(s); log: $DIR/server.log"
  # php refuses PHP_CLI_SERVER_WORKERS=1, so leave it unset for one worker.
  if ((WORKERS > 1)); then export PHP_CLI_SERVER_WORKERS=$WORKERS; else unset PHP_CLI_SERVER_WORKERS; fi
  # setsid puts the server in a process group of its own (down.sh stops the
  # whole group, workers included). The shell records its pid, then becomes
  # chroot, which becomes php: the recorded pid is php's.
  TMPDIR=/tmp setsid bash -c 'echo $$ >"$1"; exec chroot "$4" php -d display_errors=0 -d log_errors=1 -S "127.0.0.1:$2" -t "$3"' \
    localwiki143 "$PIDFILE" "$PORT" "$MW" "$ROOT" </dev/null >>"$DIR/server.log" 2>&1 &
  printf '%s\n' "$WANT" >"$DIR/server.settings"
  for _ in $(seq 100); do
    [[ -s $PIDFILE ]] && break
    sleep 0.05
  done
fi

deadline=$((SECONDS + 30))
until answers; do
  server_running || { tail_log "$DIR/server.log"; die "php -S exited (log: $DIR/server.log)"; }
  ((SECONDS < deadline)) || { tail_log "$DIR/server.log"; die "api.php did not answer within 30 s"; }
  sleep 0.2
done
generator=$(curl -fsS --max-time 5 "$API?action=query&meta=siteinfo&format=json&formatversion=2" |
  grep -o '"generator":"[^"]*"' || true)
[[ $generator == *'MediaWiki 1.43'* ]] || die "the wiki at $API says $generator, not MediaWiki 1.43"
say "ready in $(since "$START")s: pid $(cat "$PIDFILE"), data $DIR, chroot $ROOT, fakesso=$FAKESSO, $generator"
echo "$API"
