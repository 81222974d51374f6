package mwauthtest

import (
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Account is a user of the fake wiki.
type Account struct {
	// Name is the user name, for example "Alice". It is normalized like
	// MediaWiki does (underscores become spaces, first letter upper
	// case).
	Name string
	// ID is the user id. Zero means "the next free id" (the largest id
	// so far plus one, in the order the accounts are given).
	ID int
	// Password is the main password (action=clientlogin, and the
	// deprecated main-account action=login).
	Password string
	// Groups are explicit user groups, for example {"bot"} or {"sysop"}.
	// Every account is also in the implicit groups "*", "user" and
	// "autoconfirmed". The "bot" group grants the bot right, so
	// assert=bot passes.
	Groups []string
	// BotPasswords maps an application id to its bot password; log in
	// with action=login as "Name@appid". As in MediaWiki, a password only
	// works as a bot password when it matches ^[0-9a-w]{32,}$; any other
	// value can never log in.
	BotPasswords map[string]string
	// TOTPSecret is a base32 OATHAuth TOTP secret (SHA-1, 6 digits, 30 s).
	// When set, clientlogin asks for an OATHToken after the password
	// (status UI) and main-account action=login answers Aborted.
	TOTPSecret string
	// RecoveryCodes are OATHAuth recovery codes (scratch tokens), each
	// accepted once as an OATHToken by a MediaWiki 1.43 server; a 1.39
	// server refuses them, as Debian's 1.39 build does.
	RecoveryCodes []string
}

// DefaultAccounts returns the accounts of the project's local MediaWiki
// test wiki, with the same names, ids, passwords, groups, bot passwords
// and TOTP secret, so that tests written against the fake also run
// against the real wiki. Ids start at 1 and skip 2, which the real
// installer gives to its "MediaWiki default" system user:
//
//	1 Admin        Admin-localwiki-pass-1    sysop, bureaucrat, interface-admin; Admin@localbot
//	3 BotUser      BotUser-localwiki-pass-1  bot; BotUser@localbot
//	4 Alice        Alice-localwiki-pass-1
//	5 TwoFAUser    TwoFA-localwiki-pass-1    TOTP secret LOCALWIKI2FATEST; TwoFAUser@localbot;
//	                                         recovery codes SCRATCHTOKENAAAA, ...BBBB, ...CCCC
//	6 CaptchaUser  Captcha-localwiki-pass-1
//	7 ThrottleUser Throttle-localwiki-pass-1
//
// The bot passwords (app id "localbot") are
// adminbotpassword0123456789abcdef, botuserbotpassword0123456789abcd and
// twofabotpassword0123456789abcdef.
func DefaultAccounts() []Account {
	return []Account{
		{Name: "Admin", ID: 1, Password: "Admin-localwiki-pass-1",
			Groups:       []string{"sysop", "bureaucrat", "interface-admin"},
			BotPasswords: map[string]string{"localbot": "adminbotpassword0123456789abcdef"}},
		{Name: "BotUser", ID: 3, Password: "BotUser-localwiki-pass-1",
			Groups:       []string{"bot"},
			BotPasswords: map[string]string{"localbot": "botuserbotpassword0123456789abcd"}},
		{Name: "Alice", ID: 4, Password: "Alice-localwiki-pass-1"},
		{Name: "TwoFAUser", ID: 5, Password: "TwoFA-localwiki-pass-1",
			TOTPSecret:    "LOCALWIKI2FATEST",
			RecoveryCodes: []string{"SCRATCHTOKENAAAA", "SCRATCHTOKENBBBB", "SCRATCHTOKENCCCC"},
			BotPasswords:  map[string]string{"localbot": "twofabotpassword0123456789abcdef"}},
		{Name: "CaptchaUser", ID: 6, Password: "Captcha-localwiki-pass-1"},
		{Name: "ThrottleUser", ID: 7, Password: "Throttle-localwiki-pass-1"},
	}
}

// user is the server's copy of an Account.
type user struct {
	id           int
	name         string
	password     string
	groups       []string // explicit, sorted
	botPasswords map[string]string
	totpKey      []byte   // nil: no two-factor
	recovery     []string // unused OATHAuth recovery codes
	rememberTok  string   // value of the <prefix>Token cookie
	editCount    int
}

// canonicalName normalizes a user name like MediaWiki's
// UserNameUtils::getCanonical: underscores to spaces, trimmed, first
// letter upper-cased. It returns "" for names MediaWiki refuses outright.
func canonicalName(name string) string {
	name = strings.TrimSpace(strings.ReplaceAll(name, "_", " "))
	for strings.Contains(name, "  ") {
		name = strings.ReplaceAll(name, "  ", " ")
	}
	if name == "" || strings.ContainsAny(name, "#<>[]|{}\n\r\t") || isIP(name) {
		return ""
	}
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToUpper(r)) + name[size:]
}

var botPasswordRE = regexp.MustCompile(`^[0-9a-w]{32,}$`)

// effectiveGroups returns MediaWiki's getEffectiveGroups order: the
// explicit groups, then the implicit ones.
func (u *user) effectiveGroups() []string {
	if u == nil {
		return []string{"*"}
	}
	g := append([]string(nil), u.groups...)
	return append(g, "*", "user", "autoconfirmed")
}

// groupRights139 lists the rights of each group in the order MediaWiki
// 1.39 (with OATHAuth and ConfirmEdit) grants them, as the local test
// wiki lists them.
var groupRights139 = map[string][]string{
	"*": {"createaccount", "read", "edit", "createpage", "createtalk", "writeapi",
		"viewmywatchlist", "editmywatchlist", "viewmyprivateinfo", "editmyprivateinfo", "editmyoptions"},
	"user": {"move", "move-subpages", "move-rootuserpages", "move-categorypages", "movefile",
		"read", "edit", "createpage", "createtalk", "writeapi", "viewmywatchlist", "editmywatchlist",
		"viewmyprivateinfo", "editmyprivateinfo", "editmyoptions", "upload", "reupload", "reupload-shared",
		"minoredit", "editmyusercss", "editmyuserjson", "editmyuserjs", "editmyuserjsredirect", "purge",
		"sendemail", "applychangetags", "changetags", "editcontentmodel", "oathauth-enable"},
	"autoconfirmed": {"autoconfirmed", "editsemiprotected"},
	"bot": {"bot", "autoconfirmed", "editsemiprotected", "nominornewtalk", "autopatrol",
		"suppressredirect", "apihighlimits", "writeapi", "skipcaptcha"},
	"bureaucrat":      {"userrights", "noratelimit"},
	"interface-admin": {"editinterface", "editsitecss", "editsitejson", "editsitejs", "editusercss", "edituserjson", "edituserjs"},
	"sysop": {"block", "createaccount", "delete", "bigdelete", "deletedhistory", "deletedtext",
		"undelete", "editinterface", "import", "importupload", "move", "move-subpages",
		"move-rootuserpages", "move-categorypages", "patrol", "autopatrol", "protect",
		"editprotected", "rollback", "upload", "reupload", "reupload-shared", "unwatchedpages",
		"autoconfirmed", "editsemiprotected", "ipblock-exempt", "blockemail", "markbotedits",
		"apihighlimits", "browsearchive", "noratelimit", "movefile", "unblockself",
		"suppressredirect", "mergehistory", "managechangetags", "deletechangetags",
		"oathauth-disable-for-user", "oathauth-verify-user", "oathauth-view-log", "skipcaptcha"},
}

// groupRights143 is groupRights139 as MediaWiki 1.43 changed it: writeapi
// and the user group's purge are gone, the watchlist rights moved from
// "*" to the end of "user", and bureaucrats can rename users.
var groupRights143 = func() map[string][]string {
	m := map[string][]string{}
	for g, rights := range groupRights139 {
		for _, r := range rights {
			if r == "writeapi" || g == "user" && r == "purge" ||
				(g == "*" || g == "user") && (r == "viewmywatchlist" || r == "editmywatchlist") {
				continue
			}
			if g == "user" && r == "oathauth-enable" {
				m[g] = append(m[g], "viewmywatchlist", "editmywatchlist")
			}
			m[g] = append(m[g], r)
		}
	}
	m["bureaucrat"] = append(m["bureaucrat"], "renameuser")
	return m
}()

// notGrantable are rights that no bot-password or OAuth grant carries; a
// session made by either does not have them.
var notGrantable = map[string]bool{
	"userrights": true, "editmyprivateinfo": true, "oathauth-enable": true,
	"unblockself": true, "managechangetags": true, "deletechangetags": true,
	"editmyuserjsredirect": true, "oathauth-disable-for-user": true, "oathauth-view-log": true,
	"renameuser": true,
}

// rights returns the user's rights (anonymous when u is nil) on the
// given version, restricted to grantable rights for sessions made by a
// bot password or an OAuth consumer (restricted).
func (u *user) rights(restricted bool, v Version) []string {
	table := groupRights143
	if v == MediaWiki139 {
		table = groupRights139
	}
	seen := map[string]bool{}
	var out []string
	for _, g := range u.effectiveGroups() {
		for _, r := range table[g] {
			if seen[r] || restricted && notGrantable[r] {
				continue
			}
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

func (u *user) hasRight(right string, restricted bool, v Version) bool {
	for _, r := range u.rights(restricted, v) {
		if r == right {
			return true
		}
	}
	return false
}

func newUsers(accounts []Account) ([]*user, map[string]*user) {
	var list []*user
	byName := map[string]*user{}
	next := 1
	for _, a := range accounts {
		name := canonicalName(a.Name)
		if name == "" {
			panic("mwauthtest: invalid account name " + a.Name)
		}
		if byName[name] != nil {
			panic("mwauthtest: duplicate account " + name)
		}
		id := a.ID
		if id == 0 {
			id = next
		}
		for _, u := range list {
			if u.id == id {
				panic("mwauthtest: duplicate account id for " + name)
			}
		}
		if id >= next {
			next = id + 1
		}
		u := &user{id: id, name: name, password: a.Password, rememberTok: randHex(16)}
		u.groups = append([]string(nil), a.Groups...)
		sort.Strings(u.groups)
		u.botPasswords = map[string]string{}
		for app, pw := range a.BotPasswords {
			u.botPasswords[app] = pw
		}
		if a.TOTPSecret != "" {
			key, err := decodeTOTPSecret(a.TOTPSecret)
			if err != nil {
				panic("mwauthtest: account " + name + ": " + err.Error())
			}
			u.totpKey = key
		}
		u.recovery = append([]string(nil), a.RecoveryCodes...)
		list = append(list, u)
		byName[name] = u
	}
	return list, byName
}
