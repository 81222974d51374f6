#!/usr/bin/env bash
# reset-counters.sh: make the test wiki forget every counter a test can trip,
# without touching accounts or sessions:
#   - login throttles               (global:throttler:*)
#   - bad-login captcha counters     (global:captcha:*)
#   - OATHAuth TOTP replay guard     (*oathauth-totp*: the last accepted time step)
#   - rate limits ($wgRateLimits)    (*:limiter:*)
# The rows live in the sqlite object cache, $LOCALWIKI_DIR/data/wikicache.sqlite.
# LOCALWIKI_DIR: data dir (/tmp/localwiki)
set -euo pipefail
DIR=${LOCALWIKI_DIR:-/tmp/localwiki}
DB=$DIR/data/wikicache.sqlite
[[ -f $DB ]] || { echo "[localwiki] reset-counters: $DB does not exist (is the wiki set up? LOCALWIKI_DIR=$DIR)" >&2; exit 1; }
exec php -d display_errors=stderr -r '
$db = new PDO("sqlite:" . $argv[1], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$n = $db->exec("DELETE FROM objectcache WHERE keyname LIKE '\''global:throttler:%'\''
  OR keyname LIKE '\''global:captcha:%'\'' OR keyname LIKE '\''%oathauth-totp%'\''
  OR keyname LIKE '\''%:limiter:%'\''");
fwrite(STDERR, "[localwiki] reset-counters: deleted $n row(s)\n");
' "$DB"
