package mwauthtest

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// param is one request parameter; PHP keeps the last of repeated names.
type param struct {
	value   string
	inQuery bool
}

// params are the request parameters in order of first appearance (the
// query string first, then the body, like PHP's $_GET + $_POST).
type params struct {
	order  []string
	m      map[string]*param
	used   map[string]bool
	pairs  [][2]string // every pair, for OAuth 1 signatures
	nQuery int         // pairs[:nQuery] came from the query string
}

func (p *params) addPair(k, v string, inQuery bool) {
	p.pairs = append(p.pairs, [2]string{k, v})
	if old, ok := p.m[k]; ok {
		old.value = v
		old.inQuery = old.inQuery || inQuery
		return
	}
	p.order = append(p.order, k)
	p.m[k] = &param{value: v, inQuery: inQuery}
}

// get returns a parameter and marks it used.
func (p *params) get(name string) (string, bool) {
	p.used[name] = true
	if x, ok := p.m[name]; ok {
		return x.value, true
	}
	return "", false
}

// val returns a parameter's value or "" and marks it used.
func (p *params) val(name string) string {
	v, _ := p.get(name)
	return v
}

// flag is a PresenceBooleanDef parameter: any value, even "0", is true.
func (p *params) flag(name string) bool {
	_, ok := p.get(name)
	return ok
}

func (p *params) inQuery(name string) bool {
	x, ok := p.m[name]
	return ok && x.inQuery
}

// multi splits a multi-value parameter (| or the \x1f form).
func splitMulti(v string) []string {
	if v == "" {
		return nil
	}
	sep := "|"
	if strings.HasPrefix(v, "\x1f") {
		v, sep = v[1:], "\x1f"
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Split(v, sep) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// parseOrdered parses a query string keeping the order of the pairs.
func parseOrdered(s string, fn func(k, v string)) {
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		fn(k, v)
	}
}

// apiErr is an API error (ApiUsageException).
type apiErr struct {
	code     string
	m        msg
	module   string
	noModule bool // errors raised outside any module (Extension:OAuth's) have no module member
	data     obj
	status   int
	headers  map[string]string
	more     []*apiErr // further errors of the same status (dieStatus with several)
}

func newErr(module, code string, m msg) *apiErr { return &apiErr{code: code, m: m, module: module} }

// warning is an API warning.
type warning struct {
	module string
	code   string
	m      msg
	data   obj
}

// call is the handling of one api.php request.
type call struct {
	s             *Server
	r             *http.Request
	p             *params
	now           time.Time
	ip            string
	apiURL        string
	fv1           bool
	ascii         bool
	errfmt        string // bc, plaintext, wikitext, html, raw, none
	format        string
	callback      string
	noCredentials bool // origin=* or callback: same-origin policy not applied
	sess          *session
	cookies       []*http.Cookie
	warnings      []warning
	result        obj
	headers       map[string]string
}

const maxBody = 8 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "api.php"):
		s.serveAPI(w, r)
	case strings.HasSuffix(r.URL.Path, "/fakesso-idp"):
		s.logRequest(r, nil)
		s.serveIdP(w, r)
	default:
		s.logRequest(r, nil)
		http.NotFound(w, r)
	}
}

func (s *Server) logRequest(r *http.Request, p *params) {
	q, _ := url.ParseQuery(r.URL.RawQuery)
	req := Request{Method: r.Method, Params: url.Values{}, Query: q, Header: r.Header.Clone(), Path: r.URL.Path}
	if p != nil {
		for _, k := range p.order {
			req.Params.Set(k, p.m[k].value)
		}
		req.Action = req.Params.Get("action")
	}
	s.mu.Lock()
	s.log = append(s.log, req)
	s.mu.Unlock()
}

// readParams parses the query string and a form or multipart body.
func readParams(r *http.Request) *params {
	p := &params{m: map[string]*param{}, used: map[string]bool{}}
	parseOrdered(r.URL.RawQuery, func(k, v string) { p.addPair(k, v, true) })
	p.nQuery = len(p.pairs)
	if r.Method != http.MethodPost || r.Body == nil {
		return p
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/x-www-form-urlencoded":
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
		parseOrdered(string(body), func(k, v string) { p.addPair(k, v, false) })
	case "multipart/form-data":
		r.Header.Set("Content-Type", mime.FormatMediaType(ct, ctParams))
		mr, err := r.MultipartReader()
		if err != nil {
			return p
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				break
			}
			if part.FormName() != "" && part.FileName() == "" {
				v, _ := io.ReadAll(io.LimitReader(part, maxBody))
				p.addPair(part.FormName(), string(v), false)
			}
			part.Close()
		}
	}
	return p
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	p := readParams(r)
	s.logRequest(r, p)

	out := s.handleAPI(r, p)
	for k, vs := range out.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(out.status)
	if r.Method != http.MethodHead {
		w.Write(out.body)
	}
}

// response is a finished answer, written after the lock is released.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (s *Server) handleAPI(r *http.Request, p *params) *response {
	s.mu.Lock()
	defer s.mu.Unlock()

	if s.httpN > 0 {
		s.httpN--
		h := http.Header{}
		h.Set("Content-Type", "text/html; charset=utf-8")
		return &response{status: s.httpCode, header: h, body: []byte(s.httpBody)}
	}

	c := &call{s: s, r: r, p: p, now: s.cfg.now(), headers: map[string]string{}}
	c.ip = clientIP(r)
	c.apiURL = s.apiURL
	if c.apiURL == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		c.apiURL = scheme + "://" + r.Host + r.URL.Path
	}
	return c.respond(c.run())
}

// mainParams are ApiMain's own parameters.
var mainParams = []string{"action", "format", "maxlag", "smaxage", "maxage", "assert", "assertuser",
	"requestid", "servedby", "curtimestamp", "responselanginfo", "origin", "uselang", "variant",
	"errorformat", "errorlang", "errorsuselocal", "formatversion", "utf8", "ascii", "callback"}

// run is ApiMain::executeAction.
func (c *call) run() *apiErr {
	p := c.p
	for _, k := range mainParams {
		p.used[k] = true
	}
	c.format = "jsonfm"
	if v, ok := p.m["format"]; ok {
		c.format = v.value
	}
	fv := "1"
	if v, ok := p.m["formatversion"]; ok {
		fv = v.value
	}
	c.fv1 = fv != "2" && fv != "latest"
	c.ascii = c.fv1
	if _, ok := p.m["utf8"]; ok {
		c.ascii = false
	}
	if _, ok := p.m["ascii"]; ok {
		c.ascii = true
	}
	c.errfmt = "bc"
	if v, ok := p.m["errorformat"]; ok {
		c.errfmt = v.value
	}
	if v, ok := p.m["callback"]; ok {
		c.callback = v.value
		c.noCredentials = true
	}
	if p.val("origin") == "*" {
		c.noCredentials = true
		c.headers["Access-Control-Allow-Origin"] = "*"
		c.headers["MediaWiki-Login-Suppressed"] = "true"
	}
	switch c.errfmt {
	case "bc", "plaintext", "wikitext", "html", "raw", "none":
	default:
		bad := c.errfmt
		c.errfmt = "bc"
		return badValue("main", "errorformat", bad)
	}
	switch fv {
	case "1", "2", "latest":
	default:
		return badValue("main", "formatversion", fv)
	}
	switch c.format {
	case "json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm":
	default:
		bad := c.format
		c.format = "jsonfm"
		return badValue("main", "format", bad)
	}

	if c.s.failN > 0 {
		c.s.failN--
		return c.s.fakeFailure(c.s.failCode)
	}
	switch c.r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		e := newErr("main", "invalidmethod", newMsg("apierror-invalidmethod"))
		e.status = http.StatusMethodNotAllowed
		return e
	}

	if err := c.resolveSession(); err != nil {
		return err
	}

	action, hasAction := p.get("action")
	if !hasAction {
		action = "help"
	}
	mod := modules[action]
	if mod == nil {
		return badValue("main", "action", action)
	}
	if v, ok := p.get("assert"); ok {
		switch v {
		case "anon", "user", "bot":
		default:
			return badValue("main", "assert", v)
		}
	}
	assertUser, hasAssertUser := p.get("assertuser")
	if hasAssertUser && canonicalName(assertUser) == "" {
		return newErr("main", "baduser", newMsg("paramvalidator-baduser", "assertuser", assertUser))
	}
	if v, ok := p.get("maxlag"); ok {
		if _, err := strconv.Atoi(v); err != nil {
			return newErr("main", "badinteger", newMsg("paramvalidator-badinteger", "maxlag", v))
		}
	}
	if v, ok := p.get("requestid"); ok {
		c.result.add("requestid", v)
	}

	// checkAsserts
	u := c.sess.user
	if hasAssertUser && (u == nil || u.name != canonicalName(assertUser)) {
		return newErr("main", "assertnameduserfailed", newMsg("apierror-assertnameduserfailed", assertUser))
	}
	switch p.val("assert") {
	case "anon":
		if u != nil {
			return newErr("main", "assertanonfailed", newMsg("apierror-assertanonfailed"))
		}
	case "user":
		if u == nil {
			return newErr("main", "assertuserfailed", newMsg("apierror-assertuserfailed"))
		}
	case "bot":
		if !u.hasRight("bot", c.sess.restricted(), c.s.cfg.version) {
			return newErr("main", "assertbotfailed", newMsg("apierror-assertbotfailed"))
		}
	}

	// setupModule: module parameters and the token of token modules
	for _, k := range mod.params {
		p.used[k] = true
	}
	if mod.validate != nil {
		if err := mod.validate(c); err != nil {
			return err
		}
	}
	if mod.tokenType != "" {
		name := mod.tokenParam
		tok, ok := p.get(name)
		if !ok || tok == "" {
			return newErr(mod.name, "missingparam", newMsg("paramvalidator-missingparam", name))
		}
		if p.inQuery(name) {
			return newErr(mod.name, "mustpostparams", newMsg("apierror-mustpostparams", name, 1))
		}
		if mod.tokenType == "login" {
			// ApiQueryTokens::getToken persists for login tokens; checking
			// one creates the secret and the session with it.
			c.persist()
		}
		if !c.checkToken(mod.tokenType, tok) {
			return newErr(mod.name, "badtoken", newMsg("apierror-badtoken"))
		}
	}

	// checkExecutePermissions, checkMaxLag, setupExternalResponse
	if mod.write && c.s.readOnly != "" {
		e := newErr("main", "readonly", newMsg("apierror-readonly"))
		e.data = obj{{k: "readonlyreason", v: c.s.readOnly}}
		return e
	}
	if mod.mustPost && c.r.Method != http.MethodPost {
		return newErr("main", "mustbeposted", newMsg("apierror-mustbeposted", mod.name))
	}
	if err := c.checkMaxLag(); err != nil {
		return err
	}

	if err := mod.exec(c); err != nil {
		return err
	}

	// reportUnusedParams
	var unused []string
	for _, k := range p.order {
		if !p.used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		c.warn("main", "unrecognizedparams", newMsg("apierror-unrecognizedparams",
			listParam{items: unused, typ: "comma"}, len(unused)), nil)
	}
	return nil
}

// checkMaxLag is ApiMain::checkMaxLag against the lag of SetLag.
func (c *call) checkMaxLag() *apiErr {
	v, ok := c.p.m["maxlag"]
	if !ok || c.s.lag <= 0 || !c.now.Before(c.s.lagUntil) {
		return nil
	}
	maxLag, _ := strconv.Atoi(v.value)
	lag := int(c.s.lag / time.Second)
	if float64(c.s.lag)/float64(time.Second) <= float64(maxLag) {
		return nil
	}
	e := newErr("main", "maxlag", newMsg("apierror-maxlag-generic", lag))
	e.data = obj{{k: "host", v: "localhost"}, {k: "lag", v: lag}, {k: "type", v: "db"}}
	e.headers = map[string]string{"Retry-After": strconv.Itoa(max(maxLag, 5)), "X-Database-Lag": strconv.Itoa(lag)}
	return e
}

// versioned marks a message for the server's version's texts.
func (c *call) versioned(m msg) msg {
	m.v143 = c.v143()
	return m
}

// v143 reports whether the server answers as MediaWiki 1.43.
func (c *call) v143() bool { return c.s.cfg.version == MediaWiki143 }

// rawKey is the key of a message in the raw formats: a RawMessage is
// "$1" in 1.39 and "rawmessage" in 1.43.
func (c *call) rawKey(m msg) string {
	if m.key == "$1" && c.v143() {
		return "rawmessage"
	}
	return m.key
}

func badValue(module, name, value string) *apiErr {
	return newErr(module, "badvalue", newMsg("paramvalidator-badvalue-enumnotmulti", name, value))
}

// warn adds a warning.
func (c *call) warn(module, code string, m msg, data obj) {
	c.warnings = append(c.warnings, warning{module: module, code: code, m: m, data: data})
}

// addDeprecation is ApiBase::addDeprecation.
func (c *call) addDeprecation(module string, m msg, feature string) {
	c.warn(module, "deprecation", m, obj{{k: "feature", v: feature}})
	for _, w := range c.warnings {
		if w.code == "deprecation-help" {
			return
		}
	}
	c.warn("main", "deprecation-help", newMsg("api-usage-mailinglist-ref"), nil)
}

// fmtMessage formats a message for the non-BC error formats (errors,
// warnings and the action=login reason).
func (c *call) fmtMessage(code string, m msg, data obj) obj {
	m = c.versioned(m)
	o := obj{{k: "code", v: code}}
	switch c.errfmt {
	case "plaintext":
		o.addContent("text", m.plain())
	case "wikitext":
		o.addContent("text", m.wikitext())
	case "html":
		o.addContent("html", m.html())
	case "raw":
		o.add("key", c.rawKey(m))
		o.add("params", m.rawParams())
	}
	if data != nil {
		o.add("data", data)
	}
	return o
}

// messageCode is ApiMessage::create($msg)->getApiCode().
func messageCode(m msg) string {
	switch m.key {
	case "noname":
		return "invaliduser"
	case "authpage-cannot-login-continue":
		return "sessionlost"
	}
	return strings.TrimPrefix(strings.TrimPrefix(m.key, "apierror-"), "apiwarn-")
}

func (c *call) docref() string {
	return newMsg("api-usage-docref", c.apiURL).wikitext() + " " + newMsg("api-usage-mailinglist-ref").wikitext()
}

// warningsValue renders the collected warnings.
func (c *call) warningsValue() any {
	if c.errfmt != "bc" {
		var out []any
		for _, w := range c.warnings {
			o := c.fmtMessage(w.code, w.m, w.data)
			o.add("module", w.module)
			out = append(out, o)
		}
		return out
	}
	// BC: one entry per module, texts joined with newlines; each addition
	// moves its module to the top (ApiResult::ADD_ON_TOP).
	texts := map[string]string{}
	var order []string
	for _, w := range c.warnings {
		mod := w.module[strings.LastIndex(w.module, "+")+1:]
		if t, ok := texts[mod]; ok {
			texts[mod] = t + "\n" + w.m.plain()
		} else {
			texts[mod] = w.m.plain()
		}
		for i, m := range order {
			if m == mod {
				order = append(order[:i], order[i+1:]...)
				break
			}
		}
		order = append([]string{mod}, order...)
	}
	var o obj
	for _, m := range order {
		var inner obj
		inner.addContent("warnings", texts[m])
		o.add(m, inner)
	}
	return o
}

// respond renders the result or the error.
func (c *call) respond(err *apiErr) *response {
	h := http.Header{}
	var top obj
	if len(c.warnings) > 0 {
		top.add("warnings", c.warningsValue())
	}
	status := http.StatusOK
	if err != nil {
		codes := []string{err.code}
		for _, e := range err.more {
			codes = append(codes, e.code)
		}
		h.Set("MediaWiki-API-Error", strings.Join(codes, ", "))
		for k, v := range err.headers {
			h.Set(k, v)
		}
		if err.status != 0 {
			status = err.status
		}
		if c.errfmt == "bc" {
			e := obj{{k: "code", v: err.code}, {k: "info", v: err.m.plain()}}
			e = append(e, err.data...)
			e.addContent("docref", c.docref())
			top.add("error", e)
		} else {
			var list []any
			for _, x := range append([]*apiErr{err}, err.more...) {
				e := c.fmtMessage(x.code, x.m, x.data)
				if !x.noModule {
					e.add("module", x.module)
				}
				list = append(list, e)
			}
			top.add("errors", list)
			top.addContent("docref", c.docref())
		}
		if v, ok := c.p.m["requestid"]; ok {
			top.add("requestid", v.value)
		}
	} else {
		top = append(top, c.result...)
	}
	for k, v := range c.headers {
		h.Set(k, v)
	}
	for _, ck := range c.cookies {
		if v := ck.String(); v != "" {
			h.Add("Set-Cookie", v)
		}
	}
	h.Set("Cache-Control", "private, must-revalidate, max-age=0")
	h.Set("X-Content-Type-Options", "nosniff")

	body := encodeJSON(top, c.fv1, c.ascii)
	switch {
	case c.format == "none":
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = nil
	case c.callback != "":
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		body = append(append([]byte("/**/"+c.callback+"("), body...), ')')
	case c.format != "json":
		// jsonfm and the formats the fake does not implement: MediaWiki's
		// HTML pretty-printer.
		h.Set("Content-Type", "text/html; charset=utf-8")
		var pretty bytes.Buffer
		if json.Indent(&pretty, body, "", "    ") != nil {
			pretty.Reset()
			pretty.Write(body)
		}
		body = []byte("<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\" />\n<title>MediaWiki API result</title>\n</head>\n<body>\n" +
			"<div class=\"api-pretty-header\">This is the HTML representation of the JSON format. HTML is good for debugging, but is unsuitable for application use.</div>\n" +
			"<pre class=\"api-pretty-content\">" + html.EscapeString(pretty.String()) + "</pre>\n</body>\n</html>\n")
	default:
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	return &response{status: status, header: h, body: body}
}

// fakeFailure builds the error of FailNext.
func (s *Server) fakeFailure(code string) *apiErr {
	switch code {
	case "maxlag":
		e := newErr("main", code, newMsg("apierror-maxlag-generic", 5))
		e.data = obj{{k: "host", v: "localhost"}, {k: "lag", v: 5}, {k: "type", v: "db"}}
		e.headers = map[string]string{"Retry-After": "5", "X-Database-Lag": "5"}
		return e
	case "readonly":
		e := newErr("main", code, newMsg("apierror-readonly"))
		reason := s.readOnly
		if reason == "" {
			reason = "The wiki is being tested (mwauthtest.FailNext)."
		}
		e.data = obj{{k: "readonlyreason", v: reason}}
		return e
	case "internal_api_error_DBQueryError":
		id := randHex(12)
		e := newErr("main", code, newMsg("apierror-internal-fake", id, `Wikimedia\Rdbms\DBQueryError`))
		e.data = obj{{k: "errorclass", v: `Wikimedia\Rdbms\DBQueryError`}}
		return e
	}
	if _, ok := messages["apierror-"+code]; ok {
		return newErr("main", code, newMsg("apierror-"+code))
	}
	return newErr("main", code, newMsg("apierror-fake-failure", code))
}

// clientIP returns the client address as MediaWiki prints it
// (IPUtils::sanitizeIP: IPv6 upper-case and without zero compression).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	parts := make([]string, 8)
	for i := 0; i < 8; i++ {
		parts[i] = strings.ToUpper(strconv.FormatUint(uint64(ip[2*i])<<8|uint64(ip[2*i+1]), 16))
	}
	return strings.Join(parts, ":")
}

func isIP(s string) bool { return net.ParseIP(s) != nil }
