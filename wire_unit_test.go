package mwauth

// wire_unit_test.go checks how the Client turns what api.php (or whatever
// stands in front of it) sends into answers and typed errors.

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const htmlBadGateway = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>502 Bad Gateway</h1><p>The upstream server is not answering.</p><hr><address>nginx</address></body></html>`

func TestDecodingFailures(t *testing.T) {
	t.Parallel()
	html := map[string]string{"Content-Type": "text/html; charset=utf-8"}
	tests := []struct {
		name        string
		opts        []Option
		reply       reply
		wantErr     []error
		notErr      []error
		wantStatus  int
		wantSnippet string // a substring of HTTPError.Snippet; "-" means empty
		wantCause   error  // what HTTPError unwraps to
	}{
		{name: "HTML 502 from a proxy", reply: reply{Status: 502, Header: html, Body: htmlBadGateway},
			wantErr: []error{ErrUnexpectedResponse}, notErr: []error{ErrBodyTooLarge},
			wantStatus: 502, wantSnippet: "<h1>502 Bad Gateway</h1>"},
		{name: "HTML 200 from a captive portal", reply: reply{Header: html, Body: "<html><body>Please log in to the Wi-Fi</body></html>"},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200, wantSnippet: "Wi-Fi"},
		{name: "plain-text 500", reply: reply{Status: 500, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Internal Server Error"},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 500, wantSnippet: "Internal Server Error"},
		{name: "HTML 429", reply: reply{Status: 429, Header: html, Body: "<html>Too Many Requests</html>"},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 429, wantSnippet: "Too Many Requests"},
		{name: "JSON 500 without errors", reply: reply{Status: 500, Body: `{"batchcomplete":true}`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 500},
		{name: "no Content-Type", reply: reply{Header: map[string]string{"Content-Type": ""}, Body: `{"batchcomplete":true}`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "truncated JSON", reply: reply{Body: `{"batchcomplete":true,"query":{"userinfo":{"id":1,"na`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200, wantSnippet: "-", wantCause: io.ErrUnexpectedEOF},
		{name: "empty body", reply: reply{Body: ""},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200, wantSnippet: "-"},
		{name: "trailing garbage", reply: reply{Body: `{"batchcomplete":true}<br />` + "\n<b>Warning</b>: something in PHP"},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "two JSON objects", reply: reply{Body: `{"batchcomplete":true}{"batchcomplete":true}`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "top-level array", reply: reply{Body: `[]`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "top-level null", reply: reply{Body: `null`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "errors is not a list", reply: reply{Body: `{"errors":"badtoken"}`},
			wantErr: []error{ErrUnexpectedResponse}, wantStatus: 200},
		{name: "body over the limit", opts: []Option{WithMaxBody(1024)},
			reply:   reply{Body: `{"batchcomplete":true,"pad":"` + strings.Repeat("x", 2000) + `"}`},
			wantErr: []error{ErrUnexpectedResponse, ErrBodyTooLarge}, wantStatus: 200, wantSnippet: "-"},
		{name: "one byte over the limit", opts: []Option{WithMaxBody(1024)},
			reply:   reply{Body: padJSON(1025)},
			wantErr: []error{ErrUnexpectedResponse, ErrBodyTooLarge}, wantStatus: 200, wantSnippet: "-"},
		{name: "exactly the limit", opts: []Option{WithMaxBody(1024)}, reply: reply{Body: padJSON(1024)}},
		{name: "charset parameter", reply: reply{Header: map[string]string{"Content-Type": "application/json; charset=UTF-8"},
			Body: `{"batchcomplete":true}`}},
		{name: "+json media type", reply: reply{Header: map[string]string{"Content-Type": "application/vnd.api+json"},
			Body: `{"batchcomplete":true}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t, tt.opts...)
			f.on("query", tt.reply)
			resp, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}})
			if len(tt.wantErr) == 0 {
				require.NoError(t, err)
				assert.NotEmpty(t, resp.Raw)
				return
			}
			assert.Nil(t, resp)
			for _, want := range tt.wantErr {
				assert.ErrorIs(t, err, want)
			}
			for _, not := range tt.notErr {
				assert.NotErrorIs(t, err, not)
			}
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.Equal(t, tt.wantStatus, he.StatusCode)
			assert.NotEmpty(t, he.Reason)
			switch tt.wantSnippet {
			case "":
			case "-":
				assert.Empty(t, he.Snippet, "bodies of api.php answers are never kept")
			default:
				assert.Contains(t, he.Snippet, tt.wantSnippet)
				assert.LessOrEqual(t, len(he.Snippet), wire.SnippetLen+3)
			}
			if tt.wantCause != nil {
				assert.ErrorIs(t, err, tt.wantCause)
			}
			assert.Len(t, f.all(), 1, "an unusable answer is not retried")
		})
	}
}

// padJSON returns a JSON object of exactly n bytes.
func padJSON(n int) string {
	const head, tail = `{"pad":"`, `"}`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

func TestHTTPErrorSnippetIsShortAndPrintable(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	body := "<html>\x00\x07\x1b[31m" + strings.Repeat("<p>proxy error</p>", 200) + "</html>"
	f.on("query", reply{Status: 503, Header: map[string]string{"Content-Type": "text/html"}, Body: body})
	_, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}})
	var he *HTTPError
	require.ErrorAs(t, err, &he)
	assert.LessOrEqual(t, len(he.Snippet), wire.SnippetLen+3, "at most 512 bytes of the body")
	assert.NotContains(t, he.Snippet, "\x00")
	assert.NotContains(t, he.Snippet, "\x1b")
	assert.Contains(t, he.Snippet, "proxy error")
	assert.Equal(t, "text/html", he.ContentType)
}

// TestHTTPErrorSnippetNeverHoldsAPIBody: whatever is wrong with an answer
// that looks like api.php's JSON (status, Content-Type), its text may hold
// a token, so HTTPError must not keep it.
func TestHTTPErrorSnippetNeverHoldsAPIBody(t *testing.T) {
	t.Parallel()
	const secretToken = "0123456789abcdef0123456789abcdef6b0277b0"
	body := `{"batchcomplete":true,"query":{"tokens":{"csrftoken":"` + secretToken + `+\\"}}}`
	tests := []struct {
		name  string
		reply reply
	}{
		{name: "JSON with status 500", reply: reply{Status: 500, Body: body}},
		{name: "JSON with status 503 and no errors", reply: reply{Status: 503, Body: body}},
		{name: "JSON labelled text/html", reply: reply{Header: map[string]string{"Content-Type": "text/html"}, Body: body}},
		{name: "JSON labelled text/javascript", reply: reply{Header: map[string]string{"Content-Type": "text/javascript"}, Body: body}},
		{name: "truncated JSON", reply: reply{Body: body[:len(body)-5]}},
		{name: "JSON with trailing garbage", reply: reply{Body: body + "<br>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", tt.reply)
			_, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"siteinfo"}})
			var he *HTTPError
			require.ErrorAs(t, err, &he)
			assert.NotContains(t, he.Snippet, secretToken)
			assert.NotContains(t, err.Error(), secretToken)
		})
	}
}

func TestAPIErrorEnvelope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		reply     func(f *fakeWiki) reply
		wantCode  string
		wantInfo  string
		wantMod   string
		wantData  string // JSON
		wantErr   error
		wantOther []string
	}{
		{name: "plaintext errors with MediaWiki-API-Error header",
			reply:    func(f *fakeWiki) reply { return f.fx("error_badtoken.json").with("MediaWiki-API-Error", "badtoken") },
			wantCode: "badtoken", wantInfo: "Invalid CSRF token.", wantMod: "main", wantErr: ErrBadToken},
		{name: "several errors",
			reply: func(f *fakeWiki) reply {
				return f.fx("error_multiple.json").with("MediaWiki-API-Error", "missingparam, badvalue")
			},
			wantCode: "missingparam", wantInfo: `The "title" parameter must be set.`, wantMod: "edit", wantOther: []string{"badvalue"}},
		{name: "error data",
			reply:    func(f *fakeWiki) reply { return f.fx("error_maxlag.json").with("Retry-After", "7") },
			wantCode: "maxlag", wantInfo: "Waiting for a database server: 7 seconds lagged.", wantMod: "main",
			wantData: `{"host":"db1001","lag":7,"type":"db"}`, wantErr: ErrMaxLag},
		{name: "errorformat=bc error object",
			reply:    func(f *fakeWiki) reply { return f.fx("error_bc_badtoken.json").with("MediaWiki-API-Error", "badtoken") },
			wantCode: "badtoken", wantInfo: "Invalid CSRF token.", wantErr: ErrBadToken},
		{name: "formatversion=1 plaintext errors",
			reply: func(f *fakeWiki) reply {
				return f.fx("error_fv1_plaintext.json").with("MediaWiki-API-Error", "badtoken")
			},
			wantCode: "badtoken", wantInfo: "Invalid CSRF token.", wantMod: "clientlogin", wantErr: ErrBadToken},
		{name: "errors with HTTP 500",
			reply: func(*fakeWiki) reply {
				return reply{Status: 500, Body: `{"errors":[{"code":"internal_api_error_DBQueryError","text":"[abc] Caught exception of type Wikimedia\\Rdbms\\DBQueryError","data":{"errorclass":"Wikimedia\\Rdbms\\DBQueryError"},"module":"main"}]}`}
			},
			wantCode: "internal_api_error_DBQueryError", wantMod: "main", wantData: `{"errorclass":"Wikimedia\\Rdbms\\DBQueryError"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", tt.reply(f))
			_, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}})
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.NotErrorIs(t, err, ErrUnexpectedResponse, "an API error is an answer of the protocol")
			assert.Equal(t, tt.wantCode, ae.Code)
			if tt.wantInfo != "" {
				assert.Equal(t, tt.wantInfo, ae.Info)
			}
			assert.Equal(t, tt.wantMod, ae.Module)
			if tt.wantData != "" {
				assert.JSONEq(t, tt.wantData, string(ae.Data))
			}
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			var others []string
			for _, o := range ae.Others {
				others = append(others, o.Code)
			}
			assert.Equal(t, tt.wantOther, others)
		})
	}
}

func TestWarningsAreNotErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fixture string
		want    []Warning
	}{
		{name: "plaintext", fixture: "clientlogin_fail_notinprogress.json",
			want: []Warning{{Code: "unrecognizedparams", Module: "main", Text: "Unrecognized parameter: OATHToken."}}},
		{name: "formatversion=1 object form", fixture: "warnings_fv1_bc.json",
			want: []Warning{{Module: "main", Text: "Unrecognized parameter: OATHToken."}}},
		{name: "formatversion=2 bc object form, one line each", fixture: "warnings_fv2_bc.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, f := setup(t)
			f.on("query", f.fx(tt.fixture))
			resp, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}})
			require.NoError(t, err)
			if tt.want != nil {
				assert.Equal(t, tt.want, resp.Warnings)
				return
			}
			// Map order is not kept by the BC form: compare as a set.
			require.Len(t, resp.Warnings, 3)
			byModule := map[string][]string{}
			for _, w := range resp.Warnings {
				byModule[w.Module] = append(byModule[w.Module], w.Text)
			}
			assert.Len(t, byModule["main"], 1)
			assert.Equal(t, []string{`Fetching a token via "action=login" is deprecated.`,
				`Use "action=query&meta=tokens&type=login" instead.`}, byModule["login"])
		})
	}
}

// TestResponseRawIsTheBody: Response.Raw is exactly what the wiki sent.
func TestResponseRawIsTheBody(t *testing.T) {
	t.Parallel()
	c, f := setup(t)
	body := fixture(t, "userinfo_user.json")
	f.on("userinfo", reply{Body: body})
	resp, err := c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "meta": {"userinfo"}})
	require.NoError(t, err)
	assert.Equal(t, body, string(resp.Raw))
	var v struct {
		Query struct {
			UserInfo struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
			} `json:"userinfo"`
		} `json:"query"`
	}
	require.NoError(t, resp.Decode(&v))
	assert.Equal(t, "Admin", v.Query.UserInfo.Name)
	assert.True(t, json.Valid(resp.Raw))
}

// TestTransportError: a wiki that is not there gives an error that names
// the method and endpoint, never the parameters.
func TestTransportError(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	ep := f.endpoint()
	f.srv.Close()
	c, err := New(ep)
	require.NoError(t, err)
	_, err = c.Get(ctxTimeout(t, 10*time.Second), url.Values{"action": {"query"}, "titles": {"Secret page"}})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrUnexpectedResponse)
	assert.Contains(t, err.Error(), http.MethodGet)
	assert.NotContains(t, err.Error(), "Secret")
	assert.NotContains(t, err.Error(), "titles")
}
