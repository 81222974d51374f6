// Package mwauth authenticates Go programs to MediaWiki's Action API
// (api.php): bot passwords, interactive logins with two-factor codes,
// captchas and third-party redirects, sessions that survive restarts, and
// OAuth owner-only consumers.
//
// A [Client] wraps an *http.Client and a persistent cookie [Jar] for one
// wiki and one account:
//
//	c, err := mwauth.New("https://wiki.example.org/w/api.php",
//		mwauth.WithUserAgent("ExampleBot/1.0 (https://example.org; ops@example.org)"))
//	if err != nil { ... }
//	res, err := c.Login(ctx, "Example@ExampleBot", botPassword)
//
// # Bot passwords
//
// Bots should log in with a bot password made at Special:BotPasswords
// ("User@BotName" and a generated 32-character password), through
// [Client.Login], which uses action=login. It takes two requests (a
// login token, then the login POST); a CSRF token for edits takes one
// more, through [Client.Token] or implicitly through
// [Client.PostWithToken]. Main-account passwords still work with
// action=login on many wikis but the wiki warns that this is deprecated
// (see [LoginResult.Warnings]), and accounts with two-factor
// authentication fail with [ErrInteractionRequired].
//
// # Interactive login
//
// People log in with their main password through action=clientlogin,
// which MediaWiki runs as a state machine. [Client.ClientLogin] starts it
// and [Client.ContinueClientLogin] continues it; each returns a [Step]
// whose [Status] is PASS, FAIL, UI, REDIRECT or RESTART. A UI step lists
// [AuthRequest]s with [Field]s to ask for: show each field's Label and
// Help, never echo a Sensitive one, and continue with the answers.
// [Client.AuthManagerInfo] tells which fields a login needs before the
// first attempt (and fetches the login token in the same request).
// [Client.RunClientLogin] drives a whole flow through a [Responder]
// callback, with a step cap.
//
// # Two-factor and redirects
//
// With OATHAuth, a correct password gives a UI step with the field
// "OATHToken"; answer it with the current code. A wrong code gives UI
// again with MessageCode "oathauth-login-failed"; a code can be used only
// once. A captcha (ConfirmEdit) is never a UI step: after some failed
// logins the next login simply fails until it carries the captcha fields
// that AuthManagerInfo lists; RunClientLogin notices this and asks the
// Responder. A REDIRECT step (single sign-on providers) names a
// RedirectTarget to open in a browser; when the browser comes back to the
// ReturnURL, continue with the parameters it received. Because the flow's
// state lives in the session cookie, a process that saved its Jar can
// continue after a restart.
//
// # Sessions and persistence
//
// [WithSessionFile] keeps the session in a file (mode 0600, written
// atomically under an advisory lock), loaded by [New] and saved on every
// change. [Client.Resume] checks a loaded session and fetches a CSRF token
// in one request, and logs in again with the [WithBotPassword]
// credentials if the session expired. Once logged in, [Client.Get],
// [Client.Post] and [Client.PostWithToken] send assert=user (see
// [WithAssert]), so a lost session is noticed instead of silently acting
// as an anonymous user; a bot-password session is then re-established
// once, by one goroutine, and the call retried. A clientlogin session
// cannot be re-established without a person: that gives
// [ErrLoginRequired]. [Client.Logout] ends the session and removes the
// file. [Jar.Save] and [LoadJar] move a session by hand.
//
// # OAuth
//
// MediaWiki recommends owner-only OAuth consumers to bots. Use
// [WithOAuth2Token] for an OAuth 2.0 access token, or [WithOAuth1] for an
// OAuth 1.0a consumer (requests are signed with HMAC-SHA1). To refresh
// OAuth 2.0 tokens, pass an *http.Client from golang.org/x/oauth2 to
// [WithHTTPClient]. An OAuth session needs no login and no cookies; Login
// and ClientLogin fail with [ErrLoginNotAllowed].
//
// # Errors
//
// Errors carry MediaWiki's own codes. [*APIError] is an api.php error
// (badtoken, assertuserfailed, readonly, ...); [*LoginError] a failed
// login, with action=login's reason code or clientlogin's message code;
// [*HTTPError] an answer that is not api.php's (an HTML page from a
// proxy, truncated JSON, an oversize body). Match them with [errors.Is]
// against the sentinels ([ErrWrongCredentials], [ErrThrottled],
// [ErrSessionLost], [ErrNotLoggedIn], ...) or with [errors.As] for
// details. No decision is made on English text, with one documented
// exception (an OAuth nonce collision). Error strings start with
// "mwauth: <operation>:". The only automatic retries are: a token refresh
// after badtoken (once), a login token refresh after NeedToken or
// WrongToken (once), maxlag waits when [WithMaxLag] is set, an OAuth 1.0a
// nonce collision (once) and the single re-login after a lost session.
// A failed login is never retried, since every attempt counts against
// the wiki's throttle.
//
// # Concurrency
//
// A Client is safe for concurrent use once New returns, and its
// configuration never changes. Ordinary calls run in parallel and share
// cached tokens; concurrent requests for the same uncached token share
// one request. Logins, logout and re-login are serialised: use one Client
// per account and run one login flow at a time. A Jar is safe for
// concurrent use.
//
// # Security
//
// Passwords, bot passwords, tokens, two-factor codes and cookie values
// never appear in a log line, an error string, a URL or the %v, %+v and
// %#v output of this package's types. Secrets travel only in POST bodies
// (or the Authorization header for OAuth). Logging is off unless
// [WithLogger] is given, and then records only action, method, status,
// duration and codes. Plain http is refused except on loopback unless
// [WithInsecureHTTP] is given. Redirects of POST requests and to other
// hosts are refused ([ErrRedirect]). Response bodies are read through a
// size limit ([WithMaxBody]). A saved session or jar file is a credential:
// it is written with mode 0600 and a file that others can read is refused.
package mwauth
