#!/usr/bin/env bash
# kill-sessions.sh: delete every session from the MediaWiki 1.43 test wiki's
# session store, as if all of them had expired on the server. Clients keep
# their cookies, but the wiki no longer knows the session ids in them.
# Sessions are the objectcache rows "<wikiid>:MWSession:<session id>" in
# $LOCALWIKI_DIR/data/wikicache.sqlite ($wgSessionCacheType = CACHE_DB).
# Not affected: "keep me logged in" (rememberMe) logins, whose UserID/Token
# cookies let MediaWiki start a fresh logged-in session. php runs inside the chroot.
# LOCALWIKI_DIR (/tmp/localwiki143/data), LOCALWIKI_ROOT (/tmp/localwiki143/root)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
source "$HERE/lib.sh"
need_root
cache_sql '
$db = new PDO("sqlite:" . $argv[1], null, null, [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_TIMEOUT => 30]);
$n = $db->exec("DELETE FROM objectcache WHERE keyname LIKE '\''%:MWSession:%'\''");
fwrite(STDERR, "[localwiki143] kill-sessions: deleted $n session(s)\n");
'
