#!/usr/bin/env bash
# Run real third-party MediaWiki clients against a wiki:
#   internal/thirdparty/run.sh <api-url>
# Debian's python3-mwclient (mwclient_drive.py) and mwn from npm
# (mwn_drive.js, version pinned by mwn/package-lock.json) each log in with a
# bot password, fetch a CSRF token, edit, survive a lost session, and log out.
# Installs what is missing: python3-mwclient with apt-get (needs root), mwn
# with `npm ci` into internal/thirdparty/mwn/node_modules (npm's cache in
# internal/thirdparty/.npm-cache). Exits non-zero, naming the client, if either
# fails. The account defaults to the local test wiki's BotUser@localbot; set
# MWAUTH_THIRDPARTY_USER and MWAUTH_THIRDPARTY_PASSWORD for another.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "thirdparty: FAIL: $*" >&2; exit 1; }
say() { echo "thirdparty: $*" >&2; }

[[ $# -eq 1 ]] || { echo "usage: $0 <api-url>" >&2; exit 2; }
API=$1
[[ $API == http://* || $API == https://* ]] && [[ $API == */api.php ]] ||
  die "'$API' is not an absolute api.php URL"

# Debian's mwclient lives in Debian's python, whatever python3 is first on PATH.
PY=/usr/bin/python3
[[ -x $PY ]] || die "$PY not found (Debian's python3 package)"
if ! "$PY" -c 'import mwclient' 2>/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "python3-mwclient is not installed and installing it needs root"
  say "installing python3-mwclient with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends python3-mwclient >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends python3-mwclient >&2; } ||
    die "apt-get install python3-mwclient failed"
  "$PY" -c 'import mwclient' || die "python3-mwclient installed but mwclient does not import"
fi

command -v node >/dev/null || die "node not found (mwn needs Node.js)"
command -v npm >/dev/null || die "npm not found"
MWN=$HERE/mwn
want=$(node -p "require('$MWN/package-lock.json').packages['node_modules/mwn'].version")
have=$(node -p "try { require('$MWN/node_modules/mwn/package.json').version } catch (e) { '' }")
if [[ $have != "$want" ]]; then
  say "installing mwn $want with npm ci"
  (cd "$MWN" && npm ci --no-audit --no-fund --cache "$HERE/.npm-cache" >&2) || die "npm ci in $MWN failed"
fi

failed=()
say "mwclient $("$PY" -c 'import mwclient; print(mwclient.__version__)') against $API"
"$PY" "$HERE/mwclient_drive.py" "$API" || failed+=(mwclient)
say "mwn $want against $API"
node "$HERE/mwn_drive.js" "$API" || failed+=(mwn)

if ((${#failed[@]} > 0)); then
  die "${failed[*]} failed against $API"
fi
say "OK: mwclient and mwn passed against $API"
