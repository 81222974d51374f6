// Package mwauth authenticates Go programs to MediaWiki's Action API
// (api.php): bot passwords, interactive logins with two-factor codes,
// captchas and third-party redirects, sessions that survive restarts, and
// OAuth owner-only consumers.
//
// A [Client] talks to one wiki as one account:
//
//	c, err := mwauth.New("https://wiki.example.org/w/api.php",
//		mwauth.WithUserAgent("ExampleBot/1.0 (https://example.org; ops@example.org)"),
//		mwauth.WithSessionFile("examplebot-session.json"),
//		mwauth.WithBotPassword("Example@ExampleBot", botPassword))
//	if err != nil { ... }
//	me, err := c.Resume(ctx) // one request when the saved session lives
//	err = c.PostWithToken(ctx, "csrf", url.Values{"action": {"edit"}, ...}, &out)
//
// # Never silently anonymous
//
// A Client meant to act as a user (given [WithBotPassword] or OAuth
// credentials, holding a saved user session, or logged in) sends
// assert=user (or bot, see [WithAssert]) with every call, so that a
// session the wiki forgot fails on the wiki instead of acting
// anonymously. It then logs in again once with the WithBotPassword
// credentials, by one goroutine, and retries; without them the call fails
// with [ErrNotLoggedIn]. [Client.Resume] fails the same way rather than
// return an anonymous user, and after [Client.Logout] every call fails
// before any request until a session is established again. A Client that
// was never given a user makes anonymous calls.
//
// # Bot passwords
//
// Bots log in with a bot password made at Special:BotPasswords
// ("User@BotName" and a generated 32-character password): through
// [WithBotPassword], which logs in when needed, or [Client.Login] for a
// one-off login (action=login, two requests). Accounts with two-factor
// authentication fail action=login with [ErrInteractionRequired].
//
// # Interactive login
//
// People log in with their main password through action=clientlogin,
// which MediaWiki runs as a state machine. [Client.ClientLogin] starts it
// and [Client.ContinueClientLogin] continues it; each returns a [Step]
// whose [Status] is PASS, FAIL, UI, REDIRECT or RESTART. A UI step lists
// [Field]s to ask for ([Step.Fields]): show each field's Label, never
// echo a Sensitive one, and continue with [Step.Answer], which adds the
// hidden values the wiki expects back. [Client.AuthManagerInfo] returns
// the login form before the first attempt (and fetches the login token in
// the same request). [Client.RunClientLogin] drives a whole flow through
// a [Responder] callback, from an empty request to PASS, with a step cap.
//
// # Two-factor, captchas and redirects
//
// With OATHAuth, a correct password gives a UI step with the field
// "OATHToken"; answer it with the current code. A captcha (ConfirmEdit)
// is never a UI step of the wiki: the login form lists it when the wiki
// wants it, or a login fails and the next attempt must carry it;
// RunClientLogin asks the Responder in both cases. A REDIRECT step names
// a RedirectTarget to open in a browser; when the browser comes back to
// the ReturnURL, continue with [RedirectFields] of the URL it came back
// to, with the same Client: the flow's state lives in the wiki's session,
// whose cookie the Client holds.
//
// # Sessions and persistence
//
// [WithSessionFile] keeps the session in a file, loaded by [New] and
// written once per session change (a login, a re-login; a logout removes
// it) and when the wiki rotates a cookie, atomically with mode 0600. On
// Unix, writers hold an advisory lock and files others could read or
// replace are refused; other systems get neither. A file that cannot be
// written is reported by the operation that changed the session, as
// [ErrSessionFile].
//
// # OAuth
//
// MediaWiki recommends owner-only OAuth consumers to bots. Use
// [WithOAuth2Token] (or [WithOAuth2TokenFunc] for tokens that refresh) or
// [WithOAuth1] (requests are signed with HMAC-SHA1 against the endpoint,
// which must be the wiki's canonical URL). An OAuth Client needs no login
// and keeps no session; Login, ClientLogin and Logout fail with
// [ErrOAuth].
//
// # Errors
//
// Errors carry MediaWiki's own codes. [*APIError] is an api.php error
// (badtoken, assertuserfailed, maxlag, readonly, ...); [*LoginError] a
// failed login, with action=login's reason code or clientlogin's message
// code, and the throttle's wait; [*ResponseError] an answer that is not
// api.php's (an HTML page from a proxy, truncated JSON, an oversize
// body). Match them with [errors.Is] against the sentinels
// ([ErrWrongCredentials], [ErrThrottled], [ErrNotLoggedIn], ...) or with
// [errors.As] for details. No decision is made on English text, with one
// documented exception (an OAuth nonce collision). Error strings start
// with "mwauth: <operation>:"; text from the wiki in them has control
// characters and escape sequences removed. The only automatic retries
// are: a token refresh after badtoken (once), a login token refresh after
// NeedToken or WrongToken (once), maxlag waits when [WithMaxLag] is set
// (each at most a minute), an OAuth 1.0a nonce collision (once) and the
// single re-login after a lost session. A failed login is never retried,
// since every attempt counts against the wiki's throttle.
//
// # Concurrency
//
// A Client is safe for concurrent use, and its configuration never
// changes after New. Ordinary calls run in parallel and share cached
// tokens; concurrent requests for the same uncached token share one
// request. Logins, logout and re-login run one at a time: use one Client
// per account and run one login flow at a time. No ordinary call waits
// for the session file to be written.
//
// # Security
//
// Passwords, bot passwords, tokens, two-factor codes and cookie values
// never appear in a log line, an error string, a URL or the output of any
// fmt verb or slog handler applied to this package's values. Secrets
// travel only in POST bodies (or the Authorization header for OAuth).
// Logging is off unless [WithLogger] is given. Plain http is refused
// except on loopback unless [WithInsecureHTTP] is given. Redirects of
// POST requests and to other hosts are refused. Response bodies are read
// up to 8 MiB. A session file is a credential.
package mwauth
