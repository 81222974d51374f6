#!/usr/bin/env bash
# kill-sessions.sh: delete every session from the test wiki's session store, as
# if all of them had expired on the server. Clients keep their cookies, but the
# wiki no longer knows the session ids in them.
# Sessions are the objectcache rows "<wikiid>:MWSession:<session id>" in
# $LOCALWIKI_DIR/data/wikicache.sqlite ($wgSessionCacheType = CACHE_DB).
# Not affected: "keep me logged in" (rememberMe) logins, whose UserID/Token
# cookies let MediaWiki start a fresh logged-in session.
# LOCALWIKI_DIR: data dir (/tmp/localwiki)
set -euo pipefail
DIR=${LOCALWIKI_DIR:-/tmp/localwiki}
DB=$DIR/data/wikicache.sqlite
[[ -f $DB ]] || { echo "[localwiki] kill-sessions: $DB does not exist (is the wiki set up? LOCALWIKI_DIR=$DIR)" >&2; exit 1; }
exec php -d display_errors=stderr -r '
$db = new PDO("sqlite:" . $argv[1], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$n = $db->exec("DELETE FROM objectcache WHERE keyname LIKE '\''%:MWSession:%'\''");
fwrite(STDERR, "[localwiki] kill-sessions: deleted $n session(s)\n");
' "$DB"
