#!/usr/bin/python3
"""Drive Debian's python3-mwclient (0.10.x) against a MediaWiki api.php.

Usage: mwclient_drive.py <api-url>

Logs in with a bot password, fetches a CSRF token, edits a page, loses the
session (the session cookies are replaced by ids the wiki does not know, which
is what a client holds after the wiki forgot its session), recovers, edits
again, logs out and checks that it is anonymous. Every step that goes wrong
ends the script with exit status 1 and a line starting "FAIL".

mwclient has no automatic re-login: it raises AssertUserFailedError (or
APIError assertuserfailed) when an edit carries assert=user in a lost session.
The recovery step therefore calls Site.login() again, which re-uses the
credentials mwclient stored, and mwclient's own site_init() drops its cached
tokens. mwclient 0.10.1 has no logout method either, so logout is a plain
Site.post('logout').

The account comes from MWAUTH_THIRDPARTY_USER and MWAUTH_THIRDPARTY_PASSWORD,
by default the public test account of the project's local test wiki. The
password is never printed.
"""
import os
import secrets
import sys
import urllib.parse

import mwclient
from mwclient import errors

STEP = ['start']


def fail(msg):
    print('FAIL [mwclient %s] %s: %s' % (mwclient.__version__, STEP[0], msg), flush=True)
    sys.exit(1)


def step(name):
    STEP[0] = name
    print('mwclient: %s' % name, flush=True)


def forget_session(site):
    """Replace every session cookie value by an id the wiki never issued."""
    n = 0
    for c in site.connection.cookies:
        if c.name.endswith('_session') or c.name.endswith('_BPsession'):
            c.value = secrets.token_hex(16)
            n += 1
    if n == 0:
        fail('no session cookie to forget')


def edit(site, title, text):
    return site.post('edit', title=title, text=text, summary='mwauth third-party check (mwclient)',
                     bot='1', token=site.get_token('csrf'), **{'assert': 'user'})


def main():
    if len(sys.argv) != 2:
        print('usage: mwclient_drive.py <api-url>', file=sys.stderr)
        sys.exit(2)
    api = sys.argv[1]
    user = os.environ.get('MWAUTH_THIRDPARTY_USER', 'BotUser@localbot')
    password = os.environ.get('MWAUTH_THIRDPARTY_PASSWORD', 'botuserbotpassword0123456789abcd')
    want_name = user.split('@', 1)[0]
    u = urllib.parse.urlsplit(api)
    if not u.path.endswith('api.php'):
        fail('the URL must end in api.php: %s' % api)
    path = u.path[:-len('api.php')]

    step('connect (siteinfo with namespaces, userinfo)')
    site = mwclient.Site(u.netloc, path=path, scheme=u.scheme, max_retries=2, retry_timeout=1,
                         clients_useragent='mwauth-thirdparty/1.0 (https://github.com/mwauth/mwauth)')
    if not site.site.get('generator', '').startswith('MediaWiki '):
        fail('no generator in siteinfo: %r' % site.site.get('generator'))
    if 8 not in site.namespaces or site.namespaces[8] != 'MediaWiki':
        fail('namespaces not understood: %r' % site.namespaces)
    print('mwclient: wiki is %s' % site.site['generator'], flush=True)

    step('login with a bot password')
    try:
        site.login(user, password)
    except errors.LoginError as e:
        fail('login refused: %s' % e.args[1:2])
    if not site.logged_in or site.username != want_name:
        fail('after login: logged_in=%r username=%r' % (site.logged_in, site.username))

    step('csrf token')
    token = site.get_token('csrf')
    if not token or token == '+\\':
        fail('no session CSRF token (got the anonymous one)')

    title = 'Mwauth third-party check/mwclient'
    step('edit')
    r = edit(site, title, 'first edit ' + secrets.token_hex(8))
    if r.get('edit', {}).get('result') != 'Success':
        fail('edit answered %r' % r)

    step('lost session: the wiki no longer knows the session cookie')
    forget_session(site)
    try:
        edit(site, title, 'must not be saved ' + secrets.token_hex(8))
        fail('an edit with assert=user succeeded in a lost session')
    except errors.APIError as e:
        if e.code != 'assertuserfailed':
            fail('lost session gave %r, want assertuserfailed' % e.code)

    step('recover: log in again with the stored credentials, then edit')
    site.login()
    if not site.logged_in or site.username != want_name:
        fail('after re-login: logged_in=%r username=%r' % (site.logged_in, site.username))
    r = edit(site, title, 'after the lost session ' + secrets.token_hex(8))
    if r.get('edit', {}).get('result') != 'Success':
        fail('edit after re-login answered %r' % r)

    step('logout')
    r = site.post('logout', token=site.get_token('csrf'))
    if 'error' in r:
        fail('logout answered %r' % r['error'].get('code'))
    info = site.get('query', meta='userinfo')
    if 'anon' not in info['query']['userinfo']:
        fail('still logged in as %r after logout' % info['query']['userinfo'].get('name'))
    print('mwclient: OK', flush=True)


if __name__ == '__main__':
    try:
        main()
    except SystemExit:
        raise
    except errors.APIError as e:
        fail('API error %s' % e.code)
    except Exception as e:  # noqa: BLE001 - any other failure is a failure of this check
        fail('%s: %s' % (type(e).__name__, e))
