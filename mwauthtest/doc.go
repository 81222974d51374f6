// Package mwauthtest provides an in-process fake of the MediaWiki 1.39
// Action API (api.php) for testing code that logs in to a wiki, in the
// spirit of net/http/httptest.
//
// Start one per test; it listens on 127.0.0.1 and URL is its api.php:
//
//	srv := mwauthtest.NewServer()
//	defer srv.Close()
//	c, _ := mwauth.New(srv.URL)
//
// Its answers have the shapes a real MediaWiki 1.39.17 gives (recorded
// from the project's local test wiki, whose accounts DefaultAccounts
// reproduces), in formatversion=1 and 2 and in every errorformat
// (bc, plaintext, wikitext, html, raw, none), with the same cookies
// (localwiki_session, localwiki_BPsession, localwikiUserID,
// localwikiUserName, localwikiToken):
//
//   - action=query with meta=tokens (all core token types; anonymous
//     CSRF-family tokens are "+\"), meta=userinfo, meta=authmanagerinfo
//     and meta=siteinfo, alone or combined;
//   - action=login: bot passwords (separate BPsession, immutable), the
//     deprecated main-account login, NeedToken, WrongToken, Failed
//     (wrongpassword, login-throttled, sessionlost), Aborted (two-factor
//     accounts, bot-password or OAuth sessions);
//   - action=clientlogin: PASS, FAIL, UI (OATHAuth TOTP with replay guard
//     and rate limit), REDIRECT and RESTART (WithSSO), ConfirmEdit's login
//     captcha, the login throttle, remember-me, loginrequests,
//     loginmessageformat and loginmergerequestfields;
//   - action=logout, action=checktoken and a minimal action=edit (for an
//     "authenticated call" with a CSRF token);
//   - assert, assertuser, read-only mode (SetReadOnly), OAuth 1.0a and
//     OAuth 2 owner-only consumers (AddOAuth1, AddOAuth2Token), and
//     injected failures (FailNext, FailNextHTTP);
//   - the checks MediaWiki makes before a module runs, in its order:
//     parameter values, asserts, tokens (missingparam, mustpostparams,
//     badtoken), read-only, mustbeposted. API errors are HTTP 200 with a
//     MediaWiki-API-Error header.
//
// Time comes from WithClock, so throttles, TOTP steps and session expiry
// can be tested without sleeping; ExpireSessions simulates the server
// forgetting every session. Requests records what the server received.
//
// Texts are English only (uselang is ignored). Other actions, list and
// prop modules are not implemented: unknown actions get badvalue, like an
// unknown module on a real wiki, and list/prop values an
// "unrecognizedvalues" warning.
package mwauthtest
