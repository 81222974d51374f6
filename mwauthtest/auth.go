package mwauthtest

import (
	"crypto/rand"
	"crypto/subtle"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mwauth/mwauth/internal/totp"
)

// Request ids, as MediaWiki 1.39 and its extensions name them.
const (
	idPassword   = `MediaWiki\Auth\PasswordAuthenticationRequest`
	idRememberMe = `MediaWiki\Auth\RememberMeAuthenticationRequest`
	idButton     = `MediaWiki\Auth\ButtonAuthenticationRequest`
	idCaptcha    = "CaptchaAuthenticationRequest"
	idTOTP       = `MediaWiki\Extension\OATHAuth\Auth\TOTPAuthenticationRequest`
	idSSOCode    = "LocalWikiFakeSSOCodeRequest"
	ssoButton    = "fakessologin"
)

// fieldInfo is one entry of AuthenticationRequest::getFieldInfo.
type fieldInfo struct {
	name        string
	typ         string
	value       *string
	label, help msg
	optional    bool
	sensitive   bool
}

// authReq is an AuthenticationRequest: its description, and the values
// loaded from a submission.
type authReq struct {
	id       string
	required string // required, optional or primary-required
	metadata obj
	provider msg
	account  msg
	fields   []fieldInfo
	vals     map[string]string
}

func strp(s string) *string { return &s }

func passwordReq() *authReq {
	return &authReq{id: idPassword, required: "primary-required",
		provider: newMsg("authmanager-provider-password"), account: rawMsg(nil),
		fields: []fieldInfo{
			{name: "username", typ: "string", label: newMsg("userlogin-yourname"), help: newMsg("authmanager-username-help")},
			{name: "password", typ: "password", label: newMsg("userlogin-yourpassword"), help: newMsg("authmanager-password-help"), sensitive: true},
		}}
}

func rememberMeReq() *authReq {
	return &authReq{id: idRememberMe, required: "optional",
		provider: rawMsg(idRememberMe), account: rawMsg(idRememberMe),
		fields: []fieldInfo{{name: "rememberMe", typ: "checkbox",
			label:    newMsg("userlogin-remembermypassword", numParam(rememberDays)),
			help:     newMsg("authmanager-userlogin-remembermypassword-help"),
			optional: true}}}
}

func ssoButtonReq() *authReq {
	id := idButton + ":" + ssoButton
	return &authReq{id: id, required: "primary-required",
		provider: rawMsg(idButton), account: rawMsg(id),
		fields: []fieldInfo{{name: ssoButton, typ: "button",
			label: newMsg("localwiki-fakesso-button"), help: newMsg("localwiki-fakesso-button-help")}}}
}

func ssoCodeReq() *authReq {
	return &authReq{id: idSSOCode, required: "required",
		provider: newMsg("localwiki-fakesso-provider"), account: rawMsg("fakesso"),
		fields: []fieldInfo{{name: "fakessocode", typ: "string",
			label: newMsg("localwiki-fakesso-code"), help: newMsg("localwiki-fakesso-code-help")}}}
}

func totpReq(username string) *authReq {
	return &authReq{id: idTOTP, required: "required",
		provider: newMsg("oathauth-describe-provider"), account: rawMsg(username),
		fields: []fieldInfo{{name: "OATHToken", typ: "string",
			label: newMsg("oathauth-auth-token-label"), help: newMsg("oathauth-auth-token-help")}}}
}

// captchaReq creates a new captcha (ConfirmEdit's
// createAuthenticationRequest), stored in the session.
func (c *call) captchaReq() *authReq {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		panic(err)
	}
	id := n.String()
	c.sess.captchas[id] = c.s.cfg.captchaA
	c.persist()
	return &authReq{id: idCaptcha, required: "required",
		metadata: obj{{k: "type", v: "question"}, {k: "mime", v: "text/html"}},
		provider: rawMsg(`MediaWiki\Extension\ConfirmEdit\Auth\CaptchaAuthenticationRequest`),
		account:  rawMsg(idCaptcha),
		fields: []fieldInfo{
			{name: "captchaId", typ: "hidden", value: strp(id), label: newMsg("captcha-id-label"), help: newMsg("captcha-id-help")},
			{name: "captchaInfo", typ: "null", value: strp(c.s.cfg.captchaQ), label: newMsg("questycaptcha-badlogin"), help: newMsg("captcha-info-help")},
			{name: "captchaWord", typ: "string", label: newMsg("captcha-label"), help: newMsg("captcha-help")},
		}}
}

// loginRequests is AuthManager::getAuthenticationRequests('login'):
// pre-authentication (captcha), primary and secondary requests, then
// RememberMe. withPre false leaves the pre-authentication ones out, as
// a RESTART does.
func (c *call) loginRequests(withPre bool) []*authReq {
	var reqs []*authReq
	if withPre && c.captchaNeeded() {
		reqs = append(reqs, c.captchaReq())
	}
	reqs = append(reqs, passwordReq())
	if c.s.cfg.sso {
		reqs = append(reqs, ssoButtonReq())
	}
	return append(reqs, rememberMeReq())
}

// captchaNeeded is CaptchaPreAuthenticationProvider::getAuthenticationRequests
// for login.
func (c *call) captchaNeeded() bool {
	if c.s.cfg.captchaUser < 0 && c.s.cfg.captchaIP <= 0 {
		return false
	}
	if c.badLoginIPTriggered() || c.sess.captchaTriggered {
		return true
	}
	name := canonicalName(c.cookieValue(userNameCookie))
	return name != "" && c.badLoginUserTriggered(name)
}

func (c *call) badLoginUserTriggered(name string) bool {
	n := c.s.cfg.captchaUser
	return n >= 0 && name != "" && c.s.count(c.s.badLogin, "user:"+name) >= n
}

func (c *call) badLoginIPTriggered() bool {
	n := c.s.cfg.captchaIP
	return n > 0 && c.s.count(c.s.badLogin, "ip:"+c.ip) >= n
}

// loadRequests is AuthenticationRequest::loadRequestsFromSubmission:
// each request whose required fields are all present is returned with
// its values.
func loadRequests(reqs []*authReq, get func(string) (string, bool)) []*authReq {
	var out []*authReq
next:
	for _, r := range reqs {
		lr := *r
		lr.vals = map[string]string{}
		n := 0
		for _, f := range r.fields {
			if f.typ == "null" {
				continue
			}
			n++
			v, ok := get(f.name)
			if f.typ == "checkbox" || f.typ == "button" {
				if !ok {
					if _, okx := get(f.name + "_x"); okx {
						ok = true
					}
				}
				if ok {
					lr.vals[f.name] = "1"
				} else if !f.optional {
					continue next
				}
				continue
			}
			if !ok || (v == "" && !f.optional) {
				continue next
			}
			lr.vals[f.name] = v
		}
		if n == 0 {
			continue
		}
		out = append(out, &lr)
	}
	return out
}

func findReq(reqs []*authReq, id string) *authReq {
	for _, r := range reqs {
		if r.id == id {
			return r
		}
	}
	return nil
}

// authnState is AuthManager::authnState.
type authnState struct {
	guess        string // guessed user name (canonical)
	remember     bool
	primary      string // "", "password" or "sso"
	user         *user  // after a primary PASS
	oath         string // "", "pending"
	ssoState     string
	returnURL    string
	throttleKey  string
	continueReqs []*authReq
}

// authResult is an AuthenticationResponse.
type authResult struct {
	status         string
	username       string
	m              *msg
	reqs           []*authReq
	redirectTarget string
	redirectData   obj
}

func failResult(m msg) authResult { return authResult{status: "FAIL", m: &m} }

// beginAuth is AuthManager::beginAuthentication.
func (c *call) beginAuth(loaded []*authReq, returnURL string) authResult {
	sess := c.sess
	sess.authn = nil
	guess := ""
	for _, r := range loaded {
		if v := r.vals["username"]; v != "" && guess == "" {
			guess = v
		}
	}
	guessName := canonicalName(guess)

	// ThrottlePreAuthenticationProvider
	throttleKey := ""
	if guess != "" && c.s.cfg.throttleCount > 0 {
		n := guessName
		if n == "" {
			n = guess
		}
		throttleKey = "password:" + n + ":" + c.ip
		if c.s.count(c.s.throttle, throttleKey) >= c.s.cfg.throttleCount {
			res := failResult(newMsg("login-throttled", durationParam(c.s.cfg.throttleWin/time.Second)))
			c.postAuth(guessName, res.status)
			return res
		}
		c.s.incr(c.s.throttle, throttleKey, c.s.cfg.throttleWin)
	}

	// CaptchaPreAuthenticationProvider
	if c.s.cfg.captchaUser >= 0 || c.s.cfg.captchaIP > 0 {
		perUser := c.badLoginUserTriggered(guessName)
		ok := true
		if c.badLoginIPTriggered() || perUser {
			ok = c.verifyCaptcha(loaded)
		}
		if perUser || sess.captchaTriggered {
			sess.captchaTriggered = perUser
		}
		if !ok {
			res := failResult(newMsg("wrongpassword"))
			c.postAuth(guessName, res.status)
			return res
		}
	}

	sess.authn = &authnState{guess: guessName, throttleKey: throttleKey, returnURL: returnURL}
	c.persist()
	return c.continueAuth(loaded)
}

func (c *call) verifyCaptcha(loaded []*authReq) bool {
	r := findReq(loaded, idCaptcha)
	if r == nil {
		return false
	}
	answer, ok := c.sess.captchas[r.vals["captchaId"]]
	if !ok {
		return false
	}
	delete(c.sess.captchas, r.vals["captchaId"])
	return strings.EqualFold(strings.TrimSpace(r.vals["captchaWord"]), strings.TrimSpace(answer))
}

// postAuth runs the providers' postAuthentication: ConfirmEdit's
// bad-login counters and the throttle reset.
func (c *call) postAuth(name, status string) {
	switch status {
	case "FAIL":
		if c.s.cfg.captchaUser >= 0 && name != "" {
			c.s.incr(c.s.badLogin, "user:"+name, captchaUserWindow)
		}
		if c.s.cfg.captchaIP > 0 {
			c.s.incr(c.s.badLogin, "ip:"+c.ip, captchaIPWindow)
		}
	case "PASS", "RESTART":
		if name != "" {
			delete(c.s.badLogin, "user:"+name)
		}
	}
}

// continueAuth is AuthManager::continueAuthentication.
func (c *call) continueAuth(reqs []*authReq) authResult {
	sess := c.sess
	st := sess.authn
	if st == nil {
		return failResult(newMsg("authmanager-authn-not-in-progress"))
	}
	fail := func(m msg, name string) authResult {
		res := failResult(m)
		c.postAuth(name, res.status)
		sess.authn = nil
		return res
	}

	switch {
	case st.primary == "":
		// No primary provider picked yet: try them in order
		// (TemporaryPassword, FakeSSO at sort 50, LocalPassword).
		if r := findReq(reqs, idRememberMe); r != nil {
			st.remember = r.vals["rememberMe"] != ""
		}
		if r := findReq(reqs, idPassword); r != nil && st.guess == "" {
			st.guess = canonicalName(r.vals["username"])
		}
		if c.s.cfg.sso && findReq(reqs, idButton+":"+ssoButton) != nil {
			st.primary = "sso"
			st.ssoState = randHex(8)
			// $wgServer/fakesso-idp; a mounted handler keeps its prefix.
			target := strings.TrimSuffix(c.apiURL, "api.php") + "fakesso-idp?state=" + url.QueryEscape(st.ssoState) +
				"&returnto=" + url.QueryEscape(st.returnURL)
			st.continueReqs = []*authReq{ssoCodeReq()}
			return authResult{status: "REDIRECT", redirectTarget: target,
				redirectData: obj{{k: "state", v: st.ssoState}}, reqs: st.continueReqs}
		}
		r := findReq(reqs, idPassword)
		name := ""
		if r != nil {
			name = canonicalName(r.vals["username"])
		}
		if name == "" {
			return fail(newMsg("authmanager-authn-no-primary"), st.guess)
		}
		u := c.s.byName[name]
		if u == nil || u.password == "" || u.password != r.vals["password"] {
			return fail(newMsg("wrongpassword"), st.guess)
		}
		st.primary, st.user = "password", u
	case st.primary == "sso" && st.user == nil:
		r := findReq(reqs, idSSOCode)
		code := ""
		if r != nil {
			code = r.vals["fakessocode"]
		}
		switch {
		case code == "nouser":
			res := authResult{status: "RESTART", reqs: c.loginRequests(false)}
			m := newMsg("authmanager-authn-no-local-user")
			res.m = &m
			*st = authnState{guess: st.guess, remember: st.remember, returnURL: st.returnURL, continueReqs: res.reqs}
			c.postAuth("", "RESTART")
			return res
		case strings.HasPrefix(code, "user:"):
			name := canonicalName(code[len("user:"):])
			if name == "" {
				return fail(newMsg("noname"), st.guess)
			}
			u := c.s.byName[name]
			if u == nil {
				u = c.s.autoCreate(name)
			}
			st.user = u
		default:
			return fail(newMsg("localwiki-fakesso-failed"), st.guess)
		}
	}

	// Secondary providers: OATHAuth.
	u := st.user
	if u.totpKey != nil {
		switch st.oath {
		case "":
			st.oath = "pending"
			st.continueReqs = []*authReq{totpReq(u.name)}
			m := newMsg("oathauth-auth-ui")
			return authResult{status: "UI", m: &m, reqs: st.continueReqs}
		case "pending":
			ui := func(m msg) authResult {
				st.continueReqs = []*authReq{totpReq(u.name)}
				return authResult{status: "UI", m: &m, reqs: st.continueReqs}
			}
			r := findReq(reqs, idTOTP)
			if r == nil {
				return ui(newMsg("oathauth-login-failed"))
			}
			if c.s.count(c.s.badOATH, u.name) >= oathLimit {
				return ui(newMsg("oathauth-throttled", durationParam(oathWindow/time.Second)))
			}
			if !c.verifyTOTP(u, r.vals["OATHToken"]) && !c.useRecoveryCode(u, r.vals["OATHToken"]) {
				c.s.incr(c.s.badOATH, u.name, oathWindow)
				return ui(newMsg("oathauth-login-failed"))
			}
		}
	}

	// PASS
	c.loginAs(u, st.remember)
	if st.throttleKey != "" {
		delete(c.s.throttle, st.throttleKey)
	}
	c.postAuth(u.name, "PASS")
	sess.authn = nil
	return authResult{status: "PASS", username: u.name}
}

// verifyTOTP is OATHAuth's TOTPKey::verify: steps -4..+4 around now,
// whitespace ignored, and never a step at or before the last accepted one.
func (c *call) verifyTOTP(u *user, code string) bool {
	code = strings.Join(strings.Fields(code), "")
	now := totp.Step(c.now)
	last, seen := c.s.oathLast[u.id]
	for w := int64(-oathRadius); w <= oathRadius; w++ {
		step := now + w
		if seen && step <= last {
			continue
		}
		if totp.CodeAt(u.totpKey, step) == code {
			c.s.oathLast[u.id] = step
			return true
		}
	}
	return false
}

// useRecoveryCode accepts and spends one of the user's recovery codes
// (OATHAuth's scratch tokens) on MediaWiki 1.43; the write it causes
// makes MediaWiki pin the client to the primary data centre for a few
// seconds with the UseDC cookie. Debian's 1.39 build never accepts one.
func (c *call) useRecoveryCode(u *user, code string) bool {
	if !c.v143() {
		return false
	}
	code = strings.Join(strings.Fields(code), "")
	for i, rc := range u.recovery {
		if subtle.ConstantTimeCompare([]byte(rc), []byte(code)) == 1 {
			u.recovery = append(u.recovery[:i:i], u.recovery[i+1:]...)
			c.setCookie(&http.Cookie{Name: "UseDC", Value: "master", Expires: c.now.Add(useDCTTL).UTC(),
				MaxAge: int(useDCTTL / time.Second)})
			return true
		}
	}
	return false
}

// autoCreate creates an account for a user that an SSO login brought in.
func (s *Server) autoCreate(name string) *user {
	id := 1
	for _, u := range s.users {
		if u.id >= id {
			id = u.id + 1
		}
	}
	u := &user{id: id, name: name, rememberTok: randHex(16), botPasswords: map[string]string{}}
	s.users = append(s.users, u)
	s.byName[name] = u
	return u
}

func validMessageFormat(v string) bool {
	switch v {
	case "html", "wikitext", "raw", "none":
		return true
	}
	return false
}

// fmtAuthMessage is ApiAuthManagerHelper::formatMessage.
func (c *call) fmtAuthMessage(o *obj, key string, m msg, mf string) {
	m = c.versioned(m)
	switch mf {
	case "wikitext":
		o.add(key, m.wikitext())
	case "html":
		o.add(key, m.html())
	case "raw":
		o.add(key, obj{{k: "key", v: c.rawKey(m)}, {k: "params", v: m.rawParams()}})
	}
}

// formatRequests is ApiAuthManagerHelper::formatRequests.
func (c *call) formatRequests(reqs []*authReq, mf string, merge bool) ([]any, obj) {
	list := []any{}
	for _, r := range reqs {
		o := obj{{k: "id", v: r.id}, {k: "metadata", v: append(obj{}, r.metadata...)}, {k: "required", v: r.required}}
		c.fmtAuthMessage(&o, "provider", r.provider, mf)
		c.fmtAuthMessage(&o, "account", r.account, mf)
		if !merge {
			o.add("fields", c.formatFields(r.fields, mf))
		}
		list = append(list, o)
	}
	if !merge {
		return list, nil
	}
	return list, c.formatFields(mergeFieldInfo(reqs), mf)
}

func (c *call) formatFields(fields []fieldInfo, mf string) obj {
	out := obj{}
	for _, f := range fields {
		o := obj{{k: "type", v: f.typ}}
		if f.value != nil {
			o.add("value", *f.value)
		}
		c.fmtAuthMessage(&o, "label", f.label, mf)
		c.fmtAuthMessage(&o, "help", f.help, mf)
		o.add("optional", f.optional)
		o.add("sensitive", f.sensitive)
		out.add(f.name, o)
	}
	return out
}

// mergeFieldInfo is AuthenticationRequest::mergeFieldInfo.
func mergeFieldInfo(reqs []*authReq) []fieldInfo {
	var shared map[string]bool
	for _, r := range reqs {
		if r.required != "primary-required" {
			continue
		}
		req := map[string]bool{}
		for _, f := range r.fields {
			if !f.optional {
				req[f.name] = true
			}
		}
		if shared == nil {
			shared = req
			continue
		}
		for k := range shared {
			if !req[k] {
				delete(shared, k)
			}
		}
	}
	var merged []fieldInfo
	idx := map[string]int{}
	for _, r := range reqs {
		for _, f := range r.fields {
			if r.required == "optional" || r.required == "primary-required" && !shared[f.name] {
				f.optional = true
			}
			if i, ok := idx[f.name]; ok {
				merged[i].optional = merged[i].optional && f.optional
				merged[i].sensitive = merged[i].sensitive || f.sensitive
				continue
			}
			idx[f.name] = len(merged)
			merged = append(merged, f)
		}
	}
	return merged
}

// formatAuthResponse is ApiAuthManagerHelper::formatAuthenticationResponse.
func (c *call) formatAuthResponse(res authResult, mf string, merge bool) obj {
	o := obj{{k: "status", v: res.status}}
	if res.status == "PASS" && res.username != "" {
		o.add("username", res.username)
	}
	if res.status == "REDIRECT" {
		o.add("redirecttarget", res.redirectTarget)
		if res.redirectData != nil {
			o.add("redirectdata", res.redirectData)
		}
	}
	switch res.status {
	case "REDIRECT", "UI", "RESTART":
		list, fields := c.formatRequests(res.reqs, mf, merge)
		o.add("requests", list)
		if merge {
			o.add("fields", fields)
		}
	}
	switch res.status {
	case "FAIL", "UI", "RESTART":
		c.fmtAuthMessage(&o, "message", *res.m, mf)
		o.add("messagecode", messageCode(*res.m))
	}
	if res.status == "FAIL" || res.status == "RESTART" {
		o.add("canpreservestate", false)
	}
	return o
}

func validateClientLogin(c *call) *apiErr {
	if v, ok := c.p.get("loginmessageformat"); ok && !validMessageFormat(v) {
		return badValue("clientlogin", "loginmessageformat", v)
	}
	return nil
}

// execClientLogin is ApiClientLogin::execute.
func execClientLogin(c *call) *apiErr {
	p := c.p
	cont := p.flag("logincontinue")
	returnURL, hasReturn := p.get("loginreturnurl")
	if !cont && !hasReturn {
		return newErr("clientlogin", "missingparam", newMsg("apierror-missingparam-at-least-one-of",
			listParam{items: []string{"<var>logincontinue</var>", "<var>loginreturnurl</var>"}, typ: "text"}, 2))
	}
	if hasReturn {
		if u, err := url.Parse(returnURL); err != nil || u.Scheme == "" {
			return newErr("clientlogin", "badurl_loginreturnurl", newMsg("apierror-badurl", "loginreturnurl", returnURL))
		}
	}
	mf := "wikitext"
	if v, ok := p.get("loginmessageformat"); ok {
		mf = v
	}
	merge := p.flag("loginmergerequestfields")
	p.flag("loginpreservestate")

	if !c.sess.canSetUser() {
		c.result.add("clientlogin", c.formatAuthResponse(failResult(newMsg("userlogin-cannot-login")), mf, merge))
		return nil
	}

	var reqs []*authReq
	if cont {
		if c.sess.authn != nil {
			reqs = c.sess.authn.continueReqs
		}
	} else {
		reqs = c.loginRequests(true)
	}
	if v, ok := p.get("loginrequests"); ok {
		want := map[string]bool{}
		for _, id := range splitMulti(v) {
			want[id] = true
		}
		var kept []*authReq
		for _, r := range reqs {
			if want[r.id] {
				kept = append(kept, r)
			}
		}
		reqs = kept
	}
	// ApiAuthManagerHelper::loadAuthenticationRequests: the fields of the
	// offered requests are parameters; sensitive ones must be POSTed.
	var sensitive []string
	seen := map[string]bool{}
	for _, r := range reqs {
		for _, f := range r.fields {
			p.used[f.name] = true
			if f.sensitive && !seen[f.name] && p.inQuery(f.name) {
				sensitive = append(sensitive, f.name)
			}
			seen[f.name] = true
		}
	}
	if len(sensitive) > 0 {
		return newErr("clientlogin", "mustpostparams", newMsg("apierror-mustpostparams",
			strings.Join(sensitive, ", "), len(sensitive)))
	}
	loaded := loadRequests(reqs, p.get)

	var res authResult
	if cont {
		res = c.continueAuth(loaded)
	} else {
		res = c.beginAuth(loaded, returnURL)
	}
	c.result.add("clientlogin", c.formatAuthResponse(res, mf, merge))
	return nil
}

// canonicalizeBotLogin is BotPassword::canonicalizeLoginData.
func canonicalizeBotLogin(name, password string) (string, string, bool) {
	if len(password) >= 32 && botPasswordRE.MatchString(password) {
		if strings.Contains(name, "@") {
			return name, password, true
		}
		return "", "", false
	}
	if len(password) > 32 && strings.Contains(password, "@") {
		i := strings.LastIndex(password, "@")
		app, pw := password[:i], password[i+1:]
		if botPasswordRE.MatchString(pw) {
			return name + "@" + app, pw, true
		}
	}
	return "", "", false
}

// botPasswordLogin is BotPassword::login. surfaced reports a failure
// that ApiLogin shows instead of falling through to a main-account login.
func (c *call) botPasswordLogin(full, password string) (u *user, fail *msg, surfaced bool) {
	i := strings.Index(full, "@")
	name, app := canonicalName(full[:i]), full[i+1:]
	u = c.s.byName[name]
	if u == nil {
		return nil, nil, false
	}
	key := "botpassword:" + u.name + ":" + c.ip
	if c.s.cfg.throttleCount > 0 {
		if c.s.count(c.s.throttle, key) >= c.s.cfg.throttleCount {
			m := newMsg("login-throttled", durationParam(c.s.cfg.throttleWin/time.Second))
			return nil, &m, true
		}
		c.s.incr(c.s.throttle, key, c.s.cfg.throttleWin)
	}
	bp, ok := u.botPasswords[app]
	if !ok || bp != password {
		return nil, nil, false
	}
	delete(c.s.throttle, key)
	sess := newSession(kindBotPassword, c.now)
	sess.user = u
	sess.persisted = true
	c.s.bpSess[sess.id] = sess
	c.setCookie(&http.Cookie{Name: bpSessionCookie, Value: sess.id})
	return u, nil, false
}

// execLogin is ApiLogin::execute.
func execLogin(c *call) *apiErr {
	p := c.p
	var res obj
	reason := func(m msg) any {
		if c.errfmt == "bc" {
			return m.plain()
		}
		return c.fmtMessage(messageCode(m), m, nil)
	}
	if c.noCredentials {
		res.add("result", "Aborted")
		res.add("reason", reason(newMsg("api-login-fail-sameorigin")))
		c.result.add("login", res)
		return nil
	}
	var inQuery []string
	for _, n := range []string{"lgpassword", "lgtoken"} {
		if p.inQuery(n) {
			inQuery = append(inQuery, n)
		}
	}
	if len(inQuery) > 0 {
		return newErr("login", "mustpostparams", newMsg("apierror-mustpostparams", strings.Join(inQuery, ", "), len(inQuery)))
	}
	name, password, tok := p.val("lgname"), p.val("lgpassword"), p.val("lgtoken")
	p.val("lgdomain")

	c.persist()
	if !c.sess.canSetUser() {
		res.add("result", "Aborted")
		res.add("reason", reason(newMsg("api-login-fail-badsessionprovider", c.sess.providerName())))
		c.result.add("login", res)
		return nil
	}

	result := ""
	var failMsg *msg
	var who *user
	sec, isNew := c.sess.secret("login")
	switch {
	case tok == "":
		result = "NeedToken"
	case isNew:
		result = "Failed"
		m := newMsg("authpage-cannot-login-continue")
		failMsg = &m
	case !tokenMatches(sec, "", tok):
		result = "WrongToken"
	}
	if result == "" {
		if full, pw, ok := canonicalizeBotLogin(name, password); ok {
			u, m, surfaced := c.botPasswordLogin(full, pw)
			switch {
			case u != nil:
				result, who = "Success", u
			case surfaced:
				result, failMsg = "Failed", m
			}
		}
	}
	if result == "" {
		data := map[string]string{"username": name, "password": password, "rememberMe": "1"}
		loaded := loadRequests(c.loginRequests(true), func(k string) (string, bool) {
			v, ok := data[k]
			return v, ok
		})
		r := c.beginAuth(loaded, "null:")
		switch r.status {
		case "PASS":
			result, who = "Success", c.sess.user
			c.addDeprecation("login", newMsg("apiwarn-deprecation-login-botpw"), "main-account-login")
		case "FAIL":
			result, failMsg = "Failed", r.m
		default:
			result = "Aborted"
			m := newMsg("api-login-fail-aborted")
			failMsg = &m
		}
	}

	res.add("result", result)
	switch result {
	case "Success":
		res.add("lguserid", who.id)
		res.add("lgusername", who.name)
	case "NeedToken":
		res.add("token", c.token("login"))
		c.addDeprecation("login", newMsg("apiwarn-deprecation-login-token"), "action=login&!lgtoken")
	case "Failed", "Aborted":
		res.add("reason", reason(*failMsg))
	}
	c.result.add("login", res)
	return nil
}
