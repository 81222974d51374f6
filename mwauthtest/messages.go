package mwauthtest

import (
	"html"
	"regexp"
	"strconv"
	"strings"
)

// msg is a MediaWiki message: a key and its parameters. Parameters are
// string, int, nil, durationParam, numParam or listParam.
type msg struct {
	key    string
	params []any
	v143   bool // use the MediaWiki 1.43 text where it differs (messages143)
}

func newMsg(key string, params ...any) msg { return msg{key: key, params: params} }

// rawMsg is a RawMessage('$1', [v]): the text is the parameter itself.
func rawMsg(v any) msg { return msg{key: "$1", params: []any{v}} }

// durationParam is Message::durationParam (seconds).
type durationParam int

// numParam is Message::numParam.
type numParam int

// listParam is Message::listParam with the "comma" or "text" type.
type listParam struct {
	items []string
	typ   string
}

// messages holds the English text (wikitext source, with the <var>,
// <kbd> and <code> markup MediaWiki uses) of every message the fake
// wiki emits. The texts are those of MediaWiki 1.39 and the extensions of
// the local test wiki, checked against the recorded transcripts.
var messages = map[string]string{
	// ApiMain / ParamValidator
	"api-usage-docref":                      "See $1 for API usage.",
	"api-usage-mailinglist-ref":             "Subscribe to the mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes.",
	"apierror-assertuserfailed":             "You are no longer logged in, so the action could not be completed.",
	"apierror-assertanonfailed":             "You are no longer logged out, so the action could not be completed.",
	"apierror-assertbotfailed":              "You do not have the <code>bot</code> right, so the action could not be completed.",
	"apierror-assertnameduserfailed":        "You are no longer logged in as \"$1\", so the action could not be completed.",
	"apierror-mustbeposted":                 "The <var>$1</var> module requires a POST request.",
	"apierror-mustpostparams":               "The following {{PLURAL:$2|parameter was|parameters were}} found in the query string, but must be in the POST body: $1.",
	"paramvalidator-missingparam":           "The <var>$1</var> parameter must be set.",
	"apierror-missingparam-at-least-one-of": "{{PLURAL:$2|The parameter|At least one of the parameters}} $1 is required.",
	"apierror-missingparam-one-of":          "{{PLURAL:$2|The parameter|One of the parameters}} $1 is required.",
	"apierror-badtoken":                     "Invalid CSRF token.",
	"paramvalidator-badvalue-enumnotmulti":  "Unrecognized value for parameter <var>$1</var>: $2.",
	"paramvalidator-notmulti":               "Only one value is allowed for parameter <var>$1</var>.",
	"paramvalidator-badinteger":             "Invalid value \"$2\" for integer parameter <var>$1</var>.",
	"paramvalidator-baduser":                "Invalid value \"$2\" for user parameter <var>$1</var>.",
	"apiwarn-unrecognizedvalues":            "Unrecognized {{PLURAL:$3|value|values}} for parameter <var>$1</var>: $2.",
	"apierror-unrecognizedparams":           "Unrecognized {{PLURAL:$2|parameter|parameters}}: $1.",
	"apierror-badurl":                       "Invalid value \"$2\" for URL parameter <var>$1</var>.",
	"apierror-readonly":                     "The wiki is currently in read-only mode.",
	"apierror-maxlag-generic":               "Waiting for a database server: $1 {{PLURAL:$1|second|seconds}} lagged.",
	"apierror-ratelimited":                  "You've exceeded your rate limit. Please wait some time and try again.",
	"apierror-invalidmethod":                "Invalid HTTP method. Consider using GET or POST.",
	"apierror-missingtitle":                 "The page you specified doesn't exist.",
	"apierror-invalidtitle":                 "Bad title \"$1\".",
	"apierror-articleexists":                "The article you tried to create has been created already.",
	"apierror-nosuchpageid":                 "There is no page with ID $1.",
	"apierror-internal-fake":                "[$1] Caught exception of type $2",
	"apierror-fake-failure":                 "The fake wiki was told to fail this request with \"$1\".",
	"apiwarn-tokens-origin":                 "Tokens may not be obtained when the same-origin policy is not applied.",
	"apiwarn-checktoken-percentencoding":    "Check that symbols such as \"+\" in the token are properly percent-encoded in the URL.",
	"apiwarn-deprecation-login-token":       "Fetching a token via <kbd>action=login</kbd> is deprecated. Use <kbd>action=query&meta=tokens&type=login</kbd> instead.",
	"apiwarn-deprecation-login-botpw":       "Main-account login via <kbd>action=login</kbd> is deprecated and may stop working without warning. To continue login with <kbd>action=login</kbd>, see [[Special:BotPasswords]]. To safely continue using main-account login, see <kbd>action=clientlogin</kbd>.",
	"cannotlogoutnow-text":                  "Logging out is not possible when using $1.",
	"apierror-mustbeloggedin-generic":       "You must be logged in.",
	"apierror-pagecannotexist":              "Namespace doesn't allow actual pages.",
	"apierror-badmd5":                       "The supplied MD5 hash was incorrect.",
	"protectednamespace-interface":          "This page provides interface text for the software on this wiki, and is protected to prevent abuse. To add or change translations for all wikis, please use [https://translatewiki.net/ translatewiki.net], the MediaWiki localisation project.",
	"sitecssprotected":                      "You do not have permission to edit this CSS page because it may affect all visitors.",
	"sitejsonprotected":                     "You do not have permission to edit this JSON page because it may affect all visitors.",
	"sitejsprotected":                       "You do not have permission to edit this JavaScript page because it may affect all visitors.",
	"apierror-badmodule-badsubmodule":       "The module <var>$1</var> does not have a submodule \"$2\".",

	// ApiLogin
	"api-login-fail-aborted":            "Authentication requires user interaction, which is not supported by <kbd>action=login</kbd>. To be able to login with <kbd>action=login</kbd>, see [[Special:BotPasswords]]. To continue using main-account login, see <kbd>[[Special:ApiHelp/clientlogin|action=clientlogin]]</kbd>.",
	"api-login-fail-badsessionprovider": "Cannot log in when using $1.",
	"api-login-fail-sameorigin":         "Cannot log in when the same-origin policy is not applied.",
	"authpage-cannot-login-continue":    "Unable to continue login. Your session most likely timed out.",

	// AuthManager and friends
	"wrongpassword":                                 "Incorrect username or password entered.\nPlease try again.",
	"login-throttled":                               "You have made too many recent login attempts.\nPlease wait $1 before trying again.",
	"noname":                                        "You have not specified a valid username.",
	"authmanager-authn-not-in-progress":             "Authentication is not in progress or session data has been lost. Please start again from the beginning.",
	"authmanager-authn-no-primary":                  "The supplied credentials could not be authenticated.",
	"authmanager-authn-no-local-user":               "The supplied credentials are not associated with any user on this wiki.",
	"authmanager-provider-password":                 "Password-based authentication",
	"userlogin-yourname":                            "Username",
	"authmanager-username-help":                     "Username for authentication.",
	"userlogin-yourpassword":                        "Password",
	"authmanager-password-help":                     "Password for authentication.",
	"userlogin-remembermypassword":                  "Keep me logged in",
	"authmanager-userlogin-remembermypassword-help": "Whether the password should be remembered for longer than the length of the session.",

	// OATHAuth (REL1_39)
	"oathauth-describe-provider": "Two-factor authentication (OATH).",
	"oathauth-auth-token-label":  "Two-factor token or recovery code",
	"oathauth-auth-token-help":   "The one-time password used as the second factor of two-factor authentication.",
	"oathauth-auth-ui":           "Please enter a code from your two-factor authentication application (such as Google Authenticator).",
	"oathauth-login-failed":      "Verification failed.",
	"oathauth-throttled":         "Too many verification attempts! Please wait $1.",

	// ConfirmEdit (QuestyCaptcha)
	"captcha-id-label":       "CAPTCHA ID",
	"captcha-id-help":        "This value should be sent back unchanged.",
	"captcha-info-help":      "Description of the CAPTCHA.",
	"captcha-label":          "CAPTCHA",
	"captcha-help":           "Solution of the CAPTCHA.",
	"questycaptcha-badlogin": "To protect the wiki against automated password cracking, we kindly ask you to answer the question that appears below ([[Special:Captcha/help|more info]]):",

	// The local wiki's test-only FakeSSO provider
	"localwiki-fakesso-provider":    "LocalWiki fake SSO (test only)",
	"localwiki-fakesso-button":      "Log in with FakeSSO",
	"localwiki-fakesso-button-help": "Start a login at the (fake) external identity provider.",
	"localwiki-fakesso-code":        "FakeSSO code",
	"localwiki-fakesso-code-help":   "The code the identity provider handed back: user:NAME, nouser or anything else.",
	"localwiki-fakesso-failed":      "The (fake) identity provider refused the login.",

	// OAuth extension
	"mwoauth-invalid-authorization":              "The authorization headers in your request are not valid: $1",
	"mwoauth-invalid-authorization-invalid-user": "The authorization headers in your request are for a user that does not exist here",
	"mwoauth-invalid-access-token":               "No approved grant was found for that authorization token.",
}

// messages143 holds the texts that MediaWiki 1.43.9 and its bundled
// extensions changed, as recorded from a real 1.43 wiki.
var messages143 = map[string]string{
	"oathauth-auth-ui": "Please enter a code from your two-factor authentication application (such as " +
		"[https://www.authy.com/ Authy], [https://freeotp.github.io/ FreeOTP], " +
		"[https://support.google.com/accounts/answer/1066447 Google Authenticator], " +
		"[https://www.microsoft.com/en-us/security/mobile-authenticator-app Microsoft Authenticator] or " +
		"[https://1password.com/ 1Password]).",
	"oathauth-throttled": "Too many attempts! please wait a few minutes",
}

var pluralRE = regexp.MustCompile(`\{\{PLURAL:\$(\d+)\|([^|}]*)\|([^|}]*)\}\}`)

// paramNumber returns the numeric value of a parameter (for PLURAL).
func paramNumber(p any) int {
	switch x := p.(type) {
	case int:
		return x
	case numParam:
		return int(x)
	case durationParam:
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}

// paramText renders a parameter in English.
func paramText(p any) string {
	switch x := p.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case numParam:
		return strconv.Itoa(int(x))
	case durationParam:
		return formatDuration(int(x))
	case listParam:
		if x.typ == "text" {
			return listToText(x.items)
		}
		return strings.Join(x.items, ", ")
	}
	return ""
}

// rawParam renders a parameter for errorformat=raw / messageformat=raw.
func rawParam(p any) any {
	switch x := p.(type) {
	case durationParam:
		return obj{{k: "duration", v: int(x)}}
	case numParam:
		return obj{{k: "num", v: int(x)}}
	case listParam:
		items := make([]any, len(x.items))
		for i, s := range x.items {
			items[i] = s
		}
		return obj{{k: "list", v: items}, {k: "type", v: x.typ}}
	}
	return p
}

func (m msg) rawParams() []any {
	out := make([]any, len(m.params))
	for i, p := range m.params {
		out[i] = rawParam(p)
	}
	return out
}

// wikitext returns the message as Message::text() would: parameters
// substituted, PLURAL resolved, markup kept. A missing message renders
// as ⧼key⧽, like MediaWiki.
func (m msg) wikitext() string {
	tpl, ok := messages[m.key]
	if t, ok143 := messages143[m.key]; ok143 && m.v143 {
		tpl = t
	}
	if m.key == "$1" {
		tpl, ok = "$1", true
	}
	if !ok {
		return "⧼" + m.key + "⧽"
	}
	tpl = pluralRE.ReplaceAllStringFunc(tpl, func(s string) string {
		sub := pluralRE.FindStringSubmatch(s)
		n, _ := strconv.Atoi(sub[1])
		if n >= 1 && n <= len(m.params) && paramNumber(m.params[n-1]) == 1 {
			return sub[2]
		}
		return sub[3]
	})
	var b strings.Builder
	for i := 0; i < len(tpl); i++ {
		if tpl[i] == '$' && i+1 < len(tpl) && tpl[i+1] >= '1' && tpl[i+1] <= '9' {
			j := i + 1
			for j < len(tpl) && tpl[j] >= '0' && tpl[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(tpl[i+1 : j])
			if n <= len(m.params) {
				b.WriteString(paramText(m.params[n-1]))
				i = j - 1
				continue
			}
		}
		b.WriteByte(tpl[i])
	}
	return b.String()
}

var (
	quoteTagRE = regexp.MustCompile(`</?(?:var|kbd|samp|code)>`)
	anyTagRE   = regexp.MustCompile(`<[^>]*>`)
	linkRE     = regexp.MustCompile(`\[\[([^\]|]+)(?:\|([^\]]*))?\]\]`)
)

// stripMarkup is ApiErrorFormatter::stripMarkup as observed on 1.39:
// quoting tags become double quotes, other tags go, entities are decoded
// and line breaks become spaces.
func stripMarkup(s string) string {
	s = quoteTagRE.ReplaceAllString(s, `"`)
	s = anyTagRE.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.ReplaceAll(s, "\n", " ")
}

// plain is the text used by errorformat=bc/plaintext and the BC login
// reason.
func (m msg) plain() string { return stripMarkup(m.wikitext()) }

// html approximates Message::parse() for the few messages used here:
// internal links become anchors, the rest is kept.
func (m msg) html() string {
	return linkRE.ReplaceAllStringFunc(m.wikitext(), func(s string) string {
		sub := linkRE.FindStringSubmatch(s)
		target, label := sub[1], sub[2]
		if label == "" {
			label = target
		}
		href := "/index.php?title=" + strings.ReplaceAll(target, " ", "_")
		return `<a href="` + html.EscapeString(href) + `" title="` + html.EscapeString(target) + `">` + label + `</a>`
	})
}

// listToText is Language::listToText in English: "a, b and c".
func listToText(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// formatDuration is Language::formatDuration in English.
func formatDuration(secs int) string {
	units := []struct {
		name string
		n    int
	}{
		{"year", 31556952}, {"day", 86400}, {"hour", 3600}, {"minute", 60}, {"second", 1},
	}
	var parts []string
	for _, u := range units {
		if secs >= u.n {
			v := secs / u.n
			secs -= v * u.n
			s := strconv.Itoa(v) + " " + u.name
			if v != 1 {
				s += "s"
			}
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return "0 seconds"
	}
	return listToText(parts)
}
