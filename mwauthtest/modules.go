package mwauthtest

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// module describes an API module the way ApiMain sees it.
type module struct {
	name       string
	prefix     string // parameter prefix, as paraminfo reports it
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
		"login": {name: "login", prefix: "lg", mustPost: true, write: true, exec: execLogin,
			params: []string{"lgname", "lgpassword", "lgdomain", "lgtoken"}},
		"clientlogin": {name: "clientlogin", prefix: "login", mustPost: true, write: true, tokenType: "login",
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
		"paraminfo": {name: "paraminfo", exec: execParamInfo,
			params: []string{"modules", "helpformat", "querymodules", "mainmodule", "pagesetmodule", "formatmodules"}},
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
		o.add("rights", u.rights(c.sess.restricted(), c.s.cfg.version))
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
	var props, unknown []string
	for _, v := range splitMulti(c.p.val("siprop")) {
		switch v {
		case "general", "namespaces", "namespacealiases":
			props = append(props, v)
		default:
			unknown = append(unknown, v)
		}
	}
	if _, ok := c.p.m["siprop"]; !ok {
		props = []string{"general"}
	}
	for _, k := range []string{"sifilteriw", "sishowalldb", "sinumberingroup", "siinlanguagecode"} {
		c.p.val(k)
	}
	if len(unknown) > 0 {
		c.warn("query+siteinfo", "unrecognizedvalues", newMsg("apiwarn-unrecognizedvalues", "siprop",
			listParam{items: unknown, typ: "comma"}, len(unknown)), nil)
	}
	for _, prop := range props {
		switch prop {
		case "general":
			q.add("general", c.siteGeneral())
		case "namespaces":
			var o obj
			for _, ns := range namespaces {
				var n obj
				n.add("id", ns.id)
				n.add("case", "first-letter")
				n.addContent("name", ns.name)
				n.add("subpages", ns.subpages)
				if ns.id != 0 {
					n.add("canonical", ns.canonical)
				}
				n.add("content", ns.id == 0)
				n.add("nonincludable", false)
				if ns.protection != "" {
					n.add("namespaceprotection", ns.protection)
				}
				o.add(strconv.Itoa(ns.id), n)
			}
			q.add("namespaces", o)
		case "namespacealiases":
			list := []any{}
			for _, a := range namespaceAliases {
				var n obj
				n.add("id", a.id)
				n.addContent("alias", a.alias)
				list = append(list, n)
			}
			q.add("namespacealiases", list)
		}
	}
}

// siteGeneral is siprop=general, as the local test wiki answers it.
func (c *call) siteGeneral() obj {
	server := serverOf(c.apiURL)
	script := strings.TrimSuffix(strings.TrimPrefix(c.apiURL, server), "/api.php")
	generator, php, sqlite := "MediaWiki 1.43.9", "8.4.27", "3.46.1"
	if !c.v143() {
		generator, php, sqlite = "MediaWiki 1.39.17", "8.2.29", "3.40.1"
	}
	var g obj
	g.add("mainpage", "Main Page")
	g.add("base", server+script+"/index.php/Main_Page")
	g.add("sitename", "LocalWiki")
	g.add("mainpageisdomainroot", false)
	g.add("logo", server+script+"/resources/assets/change-your-logo.svg")
	g.add("generator", generator)
	g.add("phpversion", php)
	g.add("phpsapi", "cli-server")
	g.add("dbtype", "sqlite")
	g.add("dbversion", sqlite)
	g.add("langconversion", true)
	g.add("linkconversion", true)
	g.add("titleconversion", true)
	g.add("linkprefixcharset", "")
	g.add("linkprefix", "")
	g.add("linktrail", "/^([a-z]+)(.*)$/sD")
	g.add("legaltitlechars", " %!\"$&'()*,\\-.\\/0-9:;=?@A-Z\\\\^_`a-z~\\x80-\\xFF+")
	g.add("invalidusernamechars", "@:>")
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
	g.add("articlepath", script+"/index.php/$1")
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
	g.add("favicon", server+"/favicon.ico")
	g.add("centralidlookupprovider", "local")
	g.add("allcentralidlookupproviders", []string{"local"})
	g.add("interwikimagic", true)
	g.add("magiclinks", obj{{k: "ISBN", v: false}, {k: "PMID", v: false}, {k: "RFC", v: false}})
	g.add("categorycollation", "uppercase")
	return g
}

// namespace is a namespace of the local test wiki.
type namespace struct {
	id              int
	name, canonical string
	subpages        bool
	protection      string // $wgNamespaceProtection
}

var namespaces = []namespace{
	{id: -2, name: "Media", canonical: "Media"},
	{id: -1, name: "Special", canonical: "Special"},
	{id: 0},
	{id: 1, name: "Talk", canonical: "Talk", subpages: true},
	{id: 2, name: "User", canonical: "User", subpages: true},
	{id: 3, name: "User talk", canonical: "User talk", subpages: true},
	{id: 4, name: "LocalWiki", canonical: "Project", subpages: true},
	{id: 5, name: "LocalWiki talk", canonical: "Project talk", subpages: true},
	{id: 6, name: "File", canonical: "File"},
	{id: 7, name: "File talk", canonical: "File talk", subpages: true},
	{id: 8, name: "MediaWiki", canonical: "MediaWiki", subpages: true, protection: "editinterface"},
	{id: 9, name: "MediaWiki talk", canonical: "MediaWiki talk", subpages: true},
	{id: 10, name: "Template", canonical: "Template", subpages: true},
	{id: 11, name: "Template talk", canonical: "Template talk", subpages: true},
	{id: 12, name: "Help", canonical: "Help", subpages: true},
	{id: 13, name: "Help talk", canonical: "Help talk", subpages: true},
	{id: 14, name: "Category", canonical: "Category"},
	{id: 15, name: "Category talk", canonical: "Category talk", subpages: true},
}

var namespaceAliases = []struct {
	id    int
	alias string
}{{6, "Image"}, {7, "Image talk"}}

const nsMediaWiki = 8

// parseTitle splits a page title into its namespace and the canonical
// full title, the way Title::newFromText does for the titles the fake
// meets. ok is false for an invalid title.
func parseTitle(t string) (ns int, full string, ok bool) {
	t = strings.TrimSpace(strings.ReplaceAll(t, "_", " "))
	for strings.Contains(t, "  ") {
		t = strings.ReplaceAll(t, "  ", " ")
	}
	if t == "" || strings.ContainsAny(t, "#<>[]|{}\n\r\t") {
		return 0, "", false
	}
	if prefix, rest, found := strings.Cut(t, ":"); found {
		prefix = strings.TrimSpace(prefix)
		for _, n := range namespaces {
			names := []string{n.name, n.canonical}
			for _, a := range namespaceAliases {
				if a.id == n.id {
					names = append(names, a.alias)
				}
			}
			for _, name := range names {
				if n.id != 0 && strings.EqualFold(name, prefix) {
					rest = upperFirst(strings.TrimSpace(rest))
					if rest == "" {
						return 0, "", false
					}
					return n.id, n.name + ":" + rest, true
				}
			}
		}
	}
	return 0, upperFirst(t), true
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// contentModel is the default content model of a page.
func contentModel(ns int, title string) string {
	if ns == nsMediaWiki {
		switch {
		case strings.HasSuffix(title, ".js"):
			return "javascript"
		case strings.HasSuffix(title, ".css"):
			return "css"
		case strings.HasSuffix(title, ".json"):
			return "json"
		}
	}
	return "wikitext"
}

// editPermissionErrors is PermissionManager's namespace and site-config
// checks for editing a page: every error, in MediaWiki's order.
func (c *call) editPermissionErrors(ns int, title string) []*apiErr {
	if ns != nsMediaWiki {
		return nil
	}
	has := func(right string) bool {
		return c.sess.user.hasRight(right, c.sess.restricted(), c.s.cfg.version)
	}
	var errs []*apiErr
	if !has("editinterface") {
		errs = append(errs, newErr("edit", "protectednamespace-interface", newMsg("protectednamespace-interface")))
	}
	for _, x := range []struct{ model, right, key string }{
		{"javascript", "editsitejs", "sitejsprotected"},
		{"css", "editsitecss", "sitecssprotected"},
		{"json", "editsitejson", "sitejsonprotected"},
	} {
		if contentModel(ns, title) == x.model && !has(x.right) {
			errs = append(errs, newErr("edit", x.key, newMsg(x.key)))
		}
	}
	return errs
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
		if c.sess.user == nil && c.v143() {
			// 1.43's ApiLogout: nothing to do, and no cookie is touched.
			c.warn("logout", "notloggedin", newMsg("apierror-mustbeloggedin-generic"), nil)
			return nil
		}
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
	if _, _, ok := parseTitle(title); hasTitle && !ok {
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
	ns, title, _ := parseTitle(p.val("title"))
	if pg != nil {
		ns, title, _ = parseTitle(pg.title)
	} else {
		pg = c.s.pages[title]
	}
	if ns < 0 {
		return newErr("edit", "pagecannotexist", newMsg("apierror-pagecannotexist"))
	}
	text, hasText := p.get("text")
	pre, hasPre := p.get("prependtext")
	app, hasApp := p.get("appendtext")
	if !hasText && !hasPre && !hasApp {
		return newErr("edit", "missingparam", newMsg("apierror-missingparam-at-least-one-of",
			listParam{items: []string{"<var>text</var>", "<var>appendtext</var>", "<var>prependtext</var>", "<var>undo</var>"}, typ: "text"}, 4))
	}
	if errs := c.editPermissionErrors(ns, title); len(errs) > 0 {
		errs[0].more = errs[1:]
		return errs[0]
	}
	if sum, ok := p.get("md5"); ok {
		hashed := text
		if !hasText {
			hashed = pre + app
		}
		h := md5.Sum([]byte(hashed))
		if !strings.EqualFold(sum, hex.EncodeToString(h[:])) {
			return newErr("edit", "badmd5", newMsg("apierror-badmd5"))
		}
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
		o.add("contentmodel", contentModel(ns, pg.title))
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
	o.add("contentmodel", contentModel(ns, pg.title))
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
		"MediaWiki "+string(c.s.cfg.version)+" Action API of mwauthtest. It implements action=query "+
		"(meta=tokens, userinfo, authmanagerinfo, siteinfo), login, clientlogin, logout, checktoken, "+
		"edit and paraminfo.</p></body></html>")
	c.result.add("help", h)
	return nil
}

// execParamInfo is a minimal action=paraminfo: for each module of
// "modules" (action modules and query+<meta> submodules the fake has),
// its name, path, group, prefix, whether it must be POSTed, and its
// parameters, the token one with its tokentype. Types, limits and help
// texts are left out.
func execParamInfo(c *call) *apiErr {
	var list []any
	for _, path := range splitMulti(c.p.val("modules")) {
		var o obj
		switch {
		case modules[path] != nil:
			m := modules[path]
			o.add("name", m.name)
			o.add("path", m.name)
			o.add("group", "action")
			o.add("prefix", m.prefix)
			o.add("source", "MediaWiki")
			if m.write {
				o.add("writerights", true)
			}
			if m.mustPost {
				o.add("mustbeposted", true)
			}
			var params []any
			for i, name := range m.params {
				var pp obj
				pp.add("index", i+1)
				pp.add("name", strings.TrimPrefix(name, m.prefix))
				pp.add("type", "string")
				isToken := m.tokenType != "" && name == m.tokenParam
				pp.add("required", isToken)
				if isToken {
					pp.add("sensitive", true)
				}
				pp.add("multi", false)
				if isToken {
					pp.add("tokentype", m.tokenType)
				}
				params = append(params, pp)
			}
			o.add("parameters", params)
		case strings.HasPrefix(path, "query+") && metaModules[strings.TrimPrefix(path, "query+")] != "":
			name := strings.TrimPrefix(path, "query+")
			o.add("name", name)
			o.add("path", path)
			o.add("group", "meta")
			o.add("prefix", metaModules[name])
			o.add("source", "MediaWiki")
			o.add("parameters", []any{})
		default:
			parent, sub := "main", path
			if i := strings.LastIndexByte(path, '+'); i >= 0 {
				parent, sub = path[:i], path[i+1:]
			}
			c.warn("paraminfo", "badmodule", newMsg("apierror-badmodule-badsubmodule", parent, sub), nil)
			continue
		}
		list = append(list, o)
	}
	var o obj
	o.add("helpformat", "none")
	if len(list) > 0 {
		o.add("modules", list)
	}
	c.result.add("paraminfo", o)
	return nil
}

// metaModules are the meta=... submodules of query and their prefixes.
var metaModules = map[string]string{"tokens": "", "userinfo": "ui", "authmanagerinfo": "ami", "siteinfo": "si"}
