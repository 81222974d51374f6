// Package mwauthtest provides an in-process fake of the MediaWiki Action
// API (api.php) for testing code that logs in to a wiki, in the spirit of
// net/http/httptest. It imitates authentication, not a whole wiki.
//
// Start one per test; it listens on 127.0.0.1 and URL is its api.php:
//
//	srv := mwauthtest.NewServer()
//	defer srv.Close()
//	// point your client at srv.URL
//
// It answers as MediaWiki 1.43 LTS, or as 1.39 with
// WithVersion(MediaWiki139), with a real wiki's shapes in formatversion=1
// and 2 and in every errorformat, and with a real wiki's cookies
// (localwiki_session, localwiki_BPsession, localwikiUserID,
// localwikiUserName, localwikiToken). DefaultAccounts lists its users,
// bot passwords and two-factor secret. What it implements:
//
//   - action=query with meta=tokens, meta=userinfo, meta=authmanagerinfo
//     and meta=siteinfo (general, namespaces, namespacealiases), alone or
//     combined;
//   - action=login: bot passwords, the deprecated main-account login,
//     NeedToken, WrongToken, Failed (wrongpassword, login-throttled,
//     sessionlost) and Aborted;
//   - action=clientlogin: PASS, FAIL, UI (OATHAuth TOTP codes with replay
//     guard and rate limit; recovery codes on 1.43), REDIRECT and RESTART
//     (WithSSO), ConfirmEdit's login captcha, the login throttle and
//     remember-me;
//   - action=logout, action=checktoken, a minimal action=paraminfo, and an
//     action=edit that keeps a tiny page store and refuses what a real wiki
//     refuses to the test accounts (pages that cannot exist, a wrong md5,
//     interface pages without the rights);
//   - assert and assertuser, maxlag (SetLag), read-only mode (SetReadOnly),
//     injected failures (FailNext, FailNextHTTP), and owner-only OAuth
//     consumers (WithOAuth2Token, WithOAuth1) that answer as
//     Extension:OAuth does.
//
// Its configuration is fixed when it is created. Methods such as
// ExpireSessions and SetLag simulate events on a running wiki.
//
// # Time
//
// Every delay the fake imposes follows its clock: login throttles, captcha
// counters, TOTP steps, OAuth timestamps, session expiry and replication
// lag. Give it a Clock with WithClock(clock.Now), and let the code under
// test wait with clock.Sleep: a test then waits out a throttle or a
// Retry-After without sleeping.
//
// # Real clients
//
// Clients written for real wikis run against it unchanged; the project
// checks this with Debian's python3-mwclient and with mwn from npm.
//
// Texts are English only (uselang is ignored). Other actions and the list
// and prop query modules are not implemented: an unknown action gets
// badvalue, as on a real wiki, and list or prop values an
// unrecognizedvalues warning.
package mwauthtest
