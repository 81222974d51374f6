#!/usr/bin/env bash
# reset-counters.sh: make the MediaWiki 1.43 test wiki forget every counter a
# test can trip, without touching accounts or sessions:
#   - login throttles               (global:throttler:*)
#   - bad-login captcha counters     (global:captcha:*)
#   - OATHAuth TOTP replay guard     (*oathauth-totp*: the last accepted time step)
#   - rate limits ($wgRateLimits)    (*:limiter:*)
# The rows live in the sqlite object cache $LOCALWIKI_DIR/data/wikicache.sqlite,
# under the same key names as on 1.39. php runs inside the chroot.
# LOCALWIKI_DIR (/tmp/localwiki143/data), LOCALWIKI_ROOT (/tmp/localwiki143/root)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
need_root
cache_sql '
$db = new PDO("sqlite:" . $argv[1], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$n = $db->exec("DELETE FROM objectcache WHERE keyname LIKE '\''global:throttler:%'\''
  OR keyname LIKE '\''global:captcha:%'\'' OR keyname LIKE '\''%oathauth-totp%'\''
  OR keyname LIKE '\''%:limiter:%'\''");
fwrite(STDERR, "[localwiki143] reset-counters: deleted $n row(s)\n");
'
