package mwauthtest

import (
	"strconv"
	"strings"
	"time"
)

// module describes an API module the way ApiMain sees it.
type module struct {
	name       string
	params     []string
	mustPost   bool
	write      bool   // isWriteMode: fails on a read-only wiki
	tokenType  string // needsToken
	tokenParam string // "token", or "logintoken" for clientlogin
	validate   func(c *call) *apiErr
	exec       func(c *call) *apiErr
}

var modules map[string]*module

func init() {
	modules = map[string]*module{
		"query": {name: "query", exec: execQuery,
			params: []string{"prop", "list", "meta", "indexpageids", "export", "exportnowrap",
				"exportschema", "iwurl", "continue", "rawcontinue", "titles", "pageids", "revids",
				"generator", "redirects", "converttitles"}},
		"login": {name: "login", mustPost: true, write: true, exec: execLogin,
			params: []string{"lgname", "lgpassword", "lgdomain", "lgtoken"}},
		"clientlogin": {name: "clientlogin", mustPost: true, write: true, tokenType: "login",
			tokenParam: "logintoken", validate: validateClientLogin, exec: execClientLogin,
			params: []string{"loginrequests", "loginmessageformat", "loginmergerequestfields",
				"loginpreservestate", "loginreturnurl", "logincontinue", "logintoken"}},
		"logout": {name: "logout", mustPost: true, tokenType: "csrf", tokenParam: "token",
			exec: execLogout, params: []string{"token"}},
		"checktoken": {name: "checktoken", exec: execCheckToken,
			params: []string{"type", "token", "maxtokenage"}},
		"edit": {name: "edit", mustPost: true, write: true, tokenType: "csrf", tokenParam: "token",
			exec: execEdit,
			params: []string{"title", "pageid", "section", "sectiontitle", "text", "summary", "tags",
				"minor", "notminor", "bot", "baserevid", "basetimestamp", "starttimestamp", "recreate",
				"createonly", "nocreate", "watch", "watchlist", "watchlistexpiry", "md5", "prependtext",
				"appendtext", "undo", "undoafter", "redirect", "contentformat", "contentmodel",
				"returnto", "returntoquery", "returntoanchor", "captchaword", "captchaid", "token"}},
		"help": {name: "help", exec: execHelp,
			params: []string{"modules", "submodules", "recursivesubmodules", "wrap", "toc"}},
	}
}

func execQuery(c *call) *apiErr {
	p := c.p
	for _, name := range []string{"prop", "list"} {
		if vals := splitMulti(p.val(name)); len(vals) > 0 {
			c.warn("query", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", name,
				listParam{items: vals, typ: "comma"}, len(vals)), nil)
		}
	}
	if v, ok := p.get("generator"); ok {
		return badValue("query", "generator", v)
	}
	var q obj
	var unknown []string
	for _, m := range splitMulti(p.val("meta")) {
		switch m {
		case "tokens":
			metaTokens(c, &q)
		case "userinfo":
			metaUserInfo(c, &q)
		case "authmanagerinfo":
			if err := metaAuthManagerInfo(c, &q); err != nil {
				return err
			}
		case "siteinfo":
			metaSiteInfo(c, &q)
		default:
			unknown = append(unknown, m)
		}
	}
	if len(unknown) > 0 {
		c.warn("query", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", "meta",
			listParam{items: unknown, typ: "comma"}, len(unknown)), nil)
	}
	c.result.add("batchcomplete", true)
	if len(q) > 0 {
		c.result.add("query", q)
	}
	return nil
}

func metaTokens(c *call, q *obj) {
	types := []string{"csrf"}
	if v, ok := c.p.get("type"); ok {
		types = splitMulti(v)
	}
	var want, unknown []string
	for _, t := range types {
		if t == "*" {
			want = tokenTypeNames
			continue
		}
		if _, ok := tokenTypes[t]; ok {
			want = append(want, t)
		} else {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		c.warn("query+tokens", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", "type",
			listParam{items: unknown, typ: "comma"}, len(unknown)), nil)
	}
	if c.noCredentials {
		c.warn("query+tokens", "tokens-origin", newMsg("apiwarn-tokens-origin"), nil)
		return
	}
	var toks obj
	for _, t := range want {
		if t == "login" || t == "createaccount" {
			c.persist()
		}
		toks.add(t+"token", c.token(t))
	}
	q.add("tokens", toks)
}

func metaUserInfo(c *call, q *obj) {
	props := map[string]bool{}
	var unknown []string
	known := map[string]bool{"blockinfo": true, "hasmsg": true, "groups": true, "groupmemberships": true,
		"implicitgroups": true, "rights": true, "changeablegroups": true, "options": true,
		"editcount": true, "ratelimits": true, "theoreticalratelimits": true, "email": true,
		"realname": true, "acceptlang": true, "registrationdate": true, "unreadcount": true,
		"centralids": true, "latestcontrib": true, "cancreateaccount": true, "registration": true,
		"preferencestoken": true}
	for _, v := range splitMulti(c.p.val("uiprop")) {
		if v == "*" {
			for k := range known {
				props[k] = true
			}
			continue
		}
		if known[v] {
			props[v] = true
		} else {
			unknown = append(unknown, v)
		}
	}
	c.p.val("uiattachedwiki")
	if len(unknown) > 0 {
		c.warn("query+userinfo", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", "uiprop",
			listParam{items: unknown, typ: "comma"}, len(unknown)), nil)
	}
	u := c.sess.user
	bp := c.sess.kind == kindBotPassword
	var o obj
	if u == nil {
		o.add("id", 0)
		o.add("name", c.ip)
		o.add("anon", true)
	} else {
		o.add("id", u.id)
		o.add("name", u.name)
	}
	if props["hasmsg"] {
		o.add("messages", false)
	}
	if props["groups"] {
		o.add("groups", u.effectiveGroups())
	}
	if props["groupmemberships"] {
		gm := []any{}
		if u != nil {
			for _, g := range u.groups {
				gm = append(gm, obj{{k: "group", v: g}, {k: "expiry", v: "infinity"}})
			}
		}
		o.add("groupmemberships", gm)
	}
	if props["implicitgroups"] {
		if u == nil {
			o.add("implicitgroups", []string{"*"})
		} else {
			o.add("implicitgroups", []string{"*", "user", "autoconfirmed"})
		}
	}
	if props["rights"] {
		o.add("rights", u.rights(bp))
	}
	if props["changeablegroups"] {
		o.add("changeablegroups", obj{{k: "add", v: []any{}}, {k: "remove", v: []any{}},
			{k: "add-self", v: []any{}}, {k: "remove-self", v: []any{}}})
	}
	if props["options"] {
		o.add("options", obj{{k: "language", v: "en"}})
	}
	if props["editcount"] {
		n := 0
		if u != nil {
			n = u.editCount
		}
		o.add("editcount", n)
	}
	if props["ratelimits"] {
		o.add("ratelimits", obj{})
	}
	if props["email"] && u != nil {
		o.add("email", "")
	}
	if props["realname"] {
		o.add("realname", "")
	}
	if props["acceptlang"] {
		o.add("acceptlang", []any{})
	}
	if props["registrationdate"] && u != nil {
		o.add("registrationdate", "2026-11-22T05:00:00Z")
	}
	if props["unreadcount"] {
		o.add("unreadcount", 0)
	}
	if props["centralids"] {
		id := 0
		if u != nil {
			id = u.id
		}
		o.add("centralids", obj{{k: "local", v: id}})
		o.add("attachedlocal", obj{{k: "local", v: u != nil}})
	}
	if props["cancreateaccount"] {
		o.add("cancreateaccount", true)
	}
	q.add("userinfo", o)
}

func metaAuthManagerInfo(c *call, q *obj) *apiErr {
	p := c.p
	const mod = "query+authmanagerinfo"
	sso, hasSSO := p.get("amisecuritysensitiveoperation")
	reqFor, hasFor := p.get("amirequestsfor")
	if hasFor {
		switch reqFor {
		case "login", "login-continue", "create", "create-continue", "link", "link-continue",
			"change", "remove", "unlink":
		default:
			return badValue(mod, "amirequestsfor", reqFor)
		}
	}
	merge := p.flag("amimergerequestfields")
	mf := "wikitext"
	if v, ok := p.get("amimessageformat"); ok {
		if !validMessageFormat(v) {
			return badValue(mod, "amimessageformat", v)
		}
		mf = v
	}
	var o obj
	o.add("canauthenticatenow", c.sess.canSetUser())
	o.add("cancreateaccounts", true)
	o.add("canlinkaccounts", false)
	if hasSSO && sso != "" {
		o.add("securitysensitiveoperationstatus", c.securityStatus())
	}
	if hasFor {
		o.add("haspreservedstate", false)
		o.add("hasprimarypreservedstate", false)
		o.add("preservedusername", "")
		var reqs []*authReq
		switch reqFor {
		case "login":
			reqs = c.loginRequests(true)
		case "login-continue":
			if c.sess.authn != nil {
				reqs = c.sess.authn.continueReqs
			}
		}
		list, fields := c.formatRequests(reqs, mf, merge)
		o.add("requests", list)
		if merge {
			o.add("fields", fields)
		}
	}
	q.add("authmanagerinfo", o)
	return nil
}

// securityStatus is AuthManager::securitySensitiveOperationStatus with
// $wgReauthenticateTime 300 s.
func (c *call) securityStatus() string {
	switch {
	case !c.sess.canSetUser():
		return "ok"
	case c.sess.user == nil:
		return "reauth"
	case c.now.Sub(c.sess.lastAuth) > 300*time.Second:
		return "reauth"
	}
	return "ok"
}

func metaSiteInfo(c *call, q *obj) {
	var unknown []string
	for _, v := range splitMulti(c.p.val("siprop")) {
		if v != "general" {
			unknown = append(unknown, v)
		}
	}
	for _, k := range []string{"sifilteriw", "sishowalldb", "sinumberingroup", "siinlanguagecode"} {
		c.p.val(k)
	}
	if len(unknown) > 0 {
		c.warn("query+siteinfo", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", "siprop",
			listParam{items: unknown, typ: "comma"}, len(unknown)), nil)
	}
	server := serverOf(c.apiURL)
	script := strings.TrimSuffix(strings.TrimPrefix(c.apiURL, server), "/api.php")
	var g obj
	g.add("mainpage", "Main Page")
	g.add("base", server+script+"/index.php?title=Main_Page")
	g.add("sitename", "LocalWiki")
	g.add("mainpageisdomainroot", false)
	g.add("logo", server+script+"/resources/assets/change-your-logo.svg")
	g.add("generator", "MediaWiki 1.39.17")
	g.add("phpversion", "8.2.29")
	g.add("phpsapi", "cli-server")
	g.add("dbtype", "sqlite")
	g.add("dbversion", "3.40.1")
	g.add("langconversion", true)
	g.add("linkconversion", true)
	g.add("titleconversion", true)
	g.add("linkprefixcharset", "")
	g.add("linkprefix", "")
	g.add("linktrail", "/^([a-z]+)(.*)$/sD")
	g.add("legaltitlechars", " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+")
	g.add("invalidusernamechars", "@:>=")
	g.add("case", "first-letter")
	g.add("lang", "en")
	g.add("fallback", []any{})
	g.add("rtl", false)
	g.add("fallback8bitEncoding", "windows-1252")
	g.add("readonly", c.s.readOnly != "")
	if c.s.readOnly != "" {
		g.add("readonlyreason", c.s.readOnly)
	}
	g.add("writeapi", true)
	g.add("maxarticlesize", 2097152)
	g.add("timezone", "UTC")
	g.add("timeoffset", 0)
	g.add("articlepath", script+"/index.php?title=$1")
	g.add("scriptpath", script)
	g.add("script", script+"/index.php")
	g.add("variantarticlepath", false)
	g.add("server", server)
	g.add("servername", hostOf(server))
	g.add("wikiid", "localwiki")
	g.add("time", c.now.UTC().Format("2006-01-02T15:04:05Z"))
	g.add("misermode", false)
	g.add("uploadsenabled", false)
	g.add("maxuploadsize", 104857600)
	g.add("minuploadchunksize", 1024)
	g.add("thumblimits", []any{120, 150, 180, 200, 250, 300})
	g.add("imagelimits", []any{})
	g.add("favicon", server+"/favicon.ico")
	g.add("centralidlookupprovider", "local")
	g.add("allcentralidlookupproviders", []string{"local"})
	g.add("interwikimagic", true)
	g.add("magiclinks", obj{{k: "ISBN", v: false}, {k: "PMID", v: false}, {k: "RFC", v: false}})
	g.add("categorycollation", "uppercase")
	g.add("citeresponsivereferences", true)
	q.add("general", g)
}

// serverOf returns the scheme://host[:port] part of an absolute URL.
func serverOf(u string) string {
	i := strings.Index(u, "://")
	if i < 0 {
		return u
	}
	if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
		return u[:i+3+j]
	}
	return u
}

func hostOf(server string) string {
	h := server[strings.Index(server, "://")+3:]
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return h
}

func execLogout(c *call) *apiErr {
	switch c.sess.kind {
	case kindBotPassword:
		delete(c.s.bpSess, c.sess.id)
		c.clearCookie(bpSessionCookie)
	case kindOAuth:
		return newErr("logout", "cannotlogout", newMsg("cannotlogoutnow-text", c.sess.providerName()))
	default:
		c.logoutSession()
	}
	return nil
}

func execCheckToken(c *call) *apiErr {
	typ, ok := c.p.get("type")
	if !ok {
		return newErr("checktoken", "missingparam", newMsg("paramvalidator-missingparam", "type"))
	}
	if _, known := tokenTypes[typ]; !known {
		return badValue("checktoken", "type", typ)
	}
	tok, ok := c.p.get("token")
	if !ok {
		return newErr("checktoken", "missingparam", newMsg("paramvalidator-missingparam", "token"))
	}
	maxAge := -1
	if v, ok := c.p.get("maxtokenage"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return newErr("checktoken", "badinteger", newMsg("paramvalidator-badinteger", "maxtokenage", v))
		}
		maxAge = n
	}
	if strings.HasSuffix(tok, ` \`) {
		c.warn("checktoken", "checktoken-percentencoding", newMsg("apiwarn-checktoken-percentencoding"), nil)
	}
	var o obj
	ts, hasTS := tokenTimestamp(tok)
	switch {
	case !c.checkToken(typ, tok):
		o.add("result", "invalid")
	case maxAge >= 0 && hasTS && c.now.Sub(ts) > time.Duration(maxAge)*time.Second:
		o.add("result", "expired")
	default:
		o.add("result", "valid")
	}
	if hasTS {
		o.add("generated", ts.Format("2006-01-02T15:04:05Z"))
	}
	c.result.add("checktoken", o)
	return nil
}

// page is a page of the fake wiki's tiny page store (action=edit).
type page struct {
	id    int
	title string
	text  string
	rev   int
	ts    time.Time
}

// canonicalTitle normalizes a page title like a user name (the rules
// the fake needs are the same: spaces, first letter, illegal characters).
func canonicalTitle(t string) string {
	if isIP(strings.TrimSpace(t)) {
		return strings.TrimSpace(t)
	}
	return canonicalName(t)
}

// checkEditTarget is ApiEdit's requireOnlyOneParameter(title, pageid).
func checkEditTarget(c *call) *apiErr {
	title, hasTitle := c.p.get("title")
	pageID, hasID := c.p.get("pageid")
	switch {
	case hasTitle && hasID:
		return newErr("edit", "invalidparammix", newMsg("apierror-missingparam-one-of",
			listParam{items: []string{"<var>title</var>", "<var>pageid</var>"}, typ: "text"}, 2))
	case !hasTitle && !hasID:
		return newErr("edit", "missingparam", newMsg("apierror-missingparam-one-of",
			listParam{items: []string{"<var>title</var>", "<var>pageid</var>"}, typ: "text"}, 2))
	}
	if hasTitle && canonicalTitle(title) == "" {
		return newErr("edit", "invalidtitle", newMsg("apierror-invalidtitle", title))
	}
	if hasID {
		if _, err := strconv.Atoi(pageID); err != nil {
			return newErr("edit", "badinteger", newMsg("paramvalidator-badinteger", "pageid", pageID))
		}
	}
	return nil
}

func execEdit(c *call) *apiErr {
	if err := checkEditTarget(c); err != nil {
		return err
	}
	p := c.p
	var pg *page
	if v, ok := p.get("pageid"); ok {
		id, _ := strconv.Atoi(v)
		for _, x := range c.s.pages {
			if x.id == id {
				pg = x
			}
		}
		if pg == nil {
			return newErr("edit", "nosuchpageid", newMsg("apierror-nosuchpageid", v))
		}
	}
	title := canonicalTitle(p.val("title"))
	if pg != nil {
		title = pg.title
	} else {
		pg = c.s.pages[title]
	}
	text, hasText := p.get("text")
	pre, hasPre := p.get("prependtext")
	app, hasApp := p.get("appendtext")
	if !hasText && !hasPre && !hasApp {
		return newErr("edit", "missingparam", newMsg("apierror-missingparam-at-least-one-of",
			listParam{items: []string{"<var>text</var>", "<var>appendtext</var>", "<var>prependtext</var>", "<var>undo</var>"}, typ: "text"}, 4))
	}
	if pg == nil && p.flag("nocreate") {
		return newErr("edit", "missingtitle", newMsg("apierror-missingtitle"))
	}
	if pg != nil && p.flag("createonly") {
		return newErr("edit", "articleexists", newMsg("apierror-articleexists"))
	}
	old := ""
	if pg != nil {
		old = pg.text
	}
	if !hasText {
		text = old
	}
	text = pre + text + app
	var o obj
	if pg != nil && pg.text == text {
		o.add("result", "Success")
		o.add("pageid", pg.id)
		o.add("title", pg.title)
		o.add("contentmodel", "wikitext")
		o.add("nochange", true)
		o.add("watched", false)
		c.result.add("edit", o)
		return nil
	}
	oldRev := 0
	if pg == nil {
		c.s.nextPage++
		pg = &page{id: c.s.nextPage, title: title}
		c.s.pages[title] = pg
		o.add("new", true)
	} else {
		oldRev = pg.rev
	}
	c.s.nextRev++
	pg.rev, pg.text, pg.ts = c.s.nextRev, text, c.now.UTC()
	if c.sess.user != nil {
		c.sess.user.editCount++
	}
	o.add("result", "Success")
	o.add("pageid", pg.id)
	o.add("title", pg.title)
	o.add("contentmodel", "wikitext")
	o.add("oldrevid", oldRev)
	o.add("newrevid", pg.rev)
	o.add("newtimestamp", pg.ts.Format("2006-01-02T15:04:05Z"))
	o.add("watched", false)
	c.result.add("edit", o)
	return nil
}

func execHelp(c *call) *apiErr {
	var h obj
	h.add("mime", "text/html")
	h.add("help", "<!DOCTYPE html><html><body><h1>MediaWiki API help</h1><p>This is the fake "+
		"MediaWiki 1.39 Action API of mwauthtest. It implements action=query (meta=tokens, userinfo, "+
		"authmanagerinfo, siteinfo), login, clientlogin, logout, checktoken and edit.</p></body></html>")
	c.result.add("help", h)
	return nil
}
