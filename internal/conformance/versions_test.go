package conformance

import (
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/mwauth/mwauth/mwauthtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// One case per difference between MediaWiki 1.39 and 1.43 that
// the MediaWiki 1.43 transcripts' README lists; each checks the answer
// of the target's own version.

func TestVersionDifferences(t *testing.T) {
	tests := []struct {
		name     string
		fakeOnly bool
		run      func(t *testing.T, tg target)
	}{
		{name: "siteinfo generator names the version", run: func(t *testing.T, tg target) {
			m, _ := newClient(t, tg.api).get(vals("action", "query", "meta", "siteinfo"))
			gen, _ := dig(m, "query", "general", "generator").(string)
			assert.True(t, strings.HasPrefix(gen, "MediaWiki "+string(tg.version)+"."), "generator %q", gen)
		}},
		{name: "1 logout while anonymous", run: func(t *testing.T, tg target) {
			c := newClient(t, tg.api)
			c.token("login") // the session cookie now exists
			m, resp := c.post(vals("action", "logout", "token", `+\`))
			var sessionCookies []string
			for _, ck := range resp.Cookies() {
				if strings.HasSuffix(ck.Name, "_session") {
					sessionCookies = append(sessionCookies, ck.Name)
					assert.Negative(t, ck.MaxAge, "a deletion")
				}
			}
			assert.Empty(t, errorCodes(m))
			if tg.version == mwauthtest.MediaWiki139 {
				assert.Nil(t, m["warnings"])
				assert.Len(t, sessionCookies, 1, "1.39 deletes the session cookie")
				return
			}
			assert.Equal(t, "notloggedin", dig(m, "warnings", 0, "code"))
			assert.Equal(t, "You must be logged in.", dig(m, "warnings", 0, "text"))
			assert.Equal(t, "logout", dig(m, "warnings", 0, "module"))
			assert.Empty(t, sessionCookies, "1.43 touches no cookie")
		}},
		{name: "2 raw messages", run: func(t *testing.T, tg target) {
			m, _ := newClient(t, tg.api).get(vals("action", "query", "meta", "authmanagerinfo",
				"amirequestsfor", "login", "amimessageformat", "raw"))
			reqs, _ := dig(m, "query", "authmanagerinfo", "requests").([]any)
			require.NotEmpty(t, reqs)
			want := map[mwauthtest.Version]string{mwauthtest.MediaWiki139: "$1", mwauthtest.MediaWiki143: "rawmessage"}[tg.version]
			var found bool
			for _, r := range reqs {
				if dig(r, "id") == `MediaWiki\Auth\RememberMeAuthenticationRequest` {
					found = true
					assert.Equal(t, want, dig(r, "account", "key"))
					assert.Equal(t, []string{`MediaWiki\Auth\RememberMeAuthenticationRequest`}, strs(dig(r, "account", "params")))
				}
			}
			assert.True(t, found, "no RememberMe request in %v", reqs)
		}},
		{name: "3 userinfo rights", run: func(t *testing.T, tg target) {
			anon, _ := newClient(t, tg.api).get(vals("action", "query", "meta", "userinfo", "uiprop", "rights"))
			anonRights := strs(dig(anon, "query", "userinfo", "rights"))
			require.Contains(t, anonRights, "read")
			admin := newClient(t, tg.api)
			admin.botLogin(adminBot, adminBotPass)
			m, _ := admin.get(vals("action", "query", "meta", "userinfo", "uiprop", "rights"))
			adminRights := strs(dig(m, "query", "userinfo", "rights"))
			require.Contains(t, adminRights, "editinterface")
			if tg.version == mwauthtest.MediaWiki139 {
				assert.Contains(t, anonRights, "writeapi")
				assert.Contains(t, anonRights, "viewmywatchlist")
				assert.Contains(t, anonRights, "editmywatchlist")
				assert.Contains(t, adminRights, "writeapi")
				assert.Contains(t, adminRights, "purge")
				return
			}
			assert.NotContains(t, anonRights, "writeapi")
			assert.NotContains(t, anonRights, "viewmywatchlist")
			assert.NotContains(t, anonRights, "editmywatchlist")
			assert.NotContains(t, adminRights, "writeapi")
			assert.NotContains(t, adminRights, "purge")
			assert.Contains(t, adminRights, "viewmywatchlist", "a user keeps the watchlist rights")
		}},
		{name: "4 OATHAuth prompt text", run: func(t *testing.T, tg target) {
			c := newClient(t, tg.api)
			m, _ := c.post(vals("action", "clientlogin", "username", twoFAUser, "password", twoFAPass,
				"loginreturnurl", "http://127.0.0.1/", "logintoken", c.token("login")))
			require.Equal(t, "UI", dig(m, "clientlogin", "status"), "%v", m)
			assert.Equal(t, "oathauth-auth-ui", dig(m, "clientlogin", "messagecode"))
			msg, _ := dig(m, "clientlogin", "message").(string)
			if tg.version == mwauthtest.MediaWiki139 {
				assert.Equal(t, "Please enter a code from your two-factor authentication application (such as Google Authenticator).", msg)
				return
			}
			assert.Contains(t, msg, "[https://freeotp.github.io/ FreeOTP]", "1.43's prompt has wikitext links")
		}},
		{name: "4 OATHAuth throttle text", fakeOnly: true, run: func(t *testing.T, tg target) {
			// Fake only: ten bad codes lock TwoFAUser on the real wiki for a
			// minute, which would break the other suites.
			tg = fakeTarget(t, tg.version) // a fake of its own: the throttle lasts a minute
			c := newClient(t, tg.api)
			m, _ := c.post(vals("action", "clientlogin", "username", twoFAUser, "password", twoFAPass,
				"loginreturnurl", "http://127.0.0.1/", "logintoken", c.token("login")))
			require.Equal(t, "UI", dig(m, "clientlogin", "status"))
			for i := 0; i < 11; i++ {
				m, _ = c.post(vals("action", "clientlogin", "logincontinue", "1", "OATHToken", "000000", "logintoken", c.token("login")))
			}
			assert.Equal(t, "oathauth-throttled", dig(m, "clientlogin", "messagecode"))
			want := map[mwauthtest.Version]string{
				mwauthtest.MediaWiki139: "Too many verification attempts! Please wait 1 minute.",
				mwauthtest.MediaWiki143: "Too many attempts! please wait a few minutes",
			}[tg.version]
			assert.Equal(t, want, dig(m, "clientlogin", "message"))
		}},
		{name: "5 recovery codes", run: func(t *testing.T, tg target) {
			code := "SCRATCHTOKENAAAA"
			if tg.fake == nil && tg.version == mwauthtest.MediaWiki143 {
				// Each code works once; a real wiki gets them back when up.sh re-seeds.
				code = os.Getenv("MWAUTH_CONFORMANCE_RECOVERY_CODE")
				if code == "" {
					t.Skip("set MWAUTH_CONFORMANCE_RECOVERY_CODE to a recovery code of TwoFAUser that may be spent")
				}
			}
			c := newClient(t, tg.api)
			m, _ := c.post(vals("action", "clientlogin", "username", twoFAUser, "password", twoFAPass,
				"loginreturnurl", "http://127.0.0.1/", "logintoken", c.token("login")))
			require.Equal(t, "UI", dig(m, "clientlogin", "status"))
			m, resp := c.post(vals("action", "clientlogin", "logincontinue", "1", "OATHToken", code, "logintoken", c.token("login")))
			if tg.version == mwauthtest.MediaWiki139 {
				assert.Equal(t, "UI", dig(m, "clientlogin", "status"))
				assert.Equal(t, "oathauth-login-failed", dig(m, "clientlogin", "messagecode"))
				return
			}
			assert.Equal(t, "PASS", dig(m, "clientlogin", "status"), "%v", m)
			assert.Contains(t, cookieNames(resp), "UseDC")
		}},
	}
	forEachTarget(t, func(t *testing.T, tg target) {
		for _, tt := range tests {
			if tt.fakeOnly && tg.fake == nil {
				continue // not a check of the real wiki: no subtest at all
			}
			t.Run(tt.name, func(t *testing.T) { tt.run(t, tg) })
		}
	})
}

func cookieNames(resp *http.Response) []string {
	var out []string
	for _, c := range resp.Cookies() {
		out = append(out, c.Name)
	}
	return out
}

// The edits the real wikis refuse, refused the same way.
func TestEditRefusals(t *testing.T) {
	tests := []struct {
		name   string
		params []string
		codes  []string
	}{
		{name: "Special page", params: []string{"title", "Special:Version", "text", "x"}, codes: []string{"pagecannotexist"}},
		{name: "wrong md5", params: []string{"title", "Mwauth conformance", "text", "x", "md5", "00000000000000000000000000000000"},
			codes: []string{"badmd5"}},
		{name: "bot edits MediaWiki:Common.js", params: []string{"title", "mediawiki:Common.js", "text", "x"},
			codes: []string{"protectednamespace-interface", "sitejsprotected"}},
		{name: "bot edits MediaWiki:Common.css", params: []string{"title", "MediaWiki:Common.css", "text", "x"},
			codes: []string{"protectednamespace-interface", "sitecssprotected"}},
	}
	forEachTarget(t, func(t *testing.T, tg target) {
		c := newClient(t, tg.api)
		c.botLogin(botUserBot, botUserBotPass)
		csrf := c.token("csrf")
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := vals(tt.params...)
				p.Set("action", "edit")
				p.Set("token", csrf)
				m, resp := c.post(p)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				assert.Equal(t, tt.codes, errorCodes(m))
				assert.Equal(t, strings.Join(tt.codes, ", "), resp.Header.Get("MediaWiki-API-Error"))
				assert.Equal(t, "edit", dig(m, "errors", 0, "module"))
			})
		}
		t.Run("right md5 of appendtext", func(t *testing.T) {
			m, _ := c.post(vals("action", "edit", "title", "Mwauth conformance", "appendtext", "hi",
				"md5", "49f68a5c8493ec2c0bf489821c21fc3b", "token", csrf))
			assert.Equal(t, "Success", dig(m, "edit", "result"), "%v", m)
		})
	})
}
