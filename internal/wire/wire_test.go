package wire

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testdata is the fixtures directory of the module root.
const testdata = "../../testdata"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	require.NoError(t, err)
	return b
}

func TestPin(t *testing.T) {
	t.Parallel()
	v := url.Values{"action": {"query"}, "format": {"xml"}, "formatversion": {"1", "2"}, "errorformat": {"bc"}}
	Pin(v)
	assert.Equal(t, []string{"json"}, v["format"])
	assert.Equal(t, []string{"2"}, v["formatversion"])
	assert.Equal(t, []string{"plaintext"}, v["errorformat"])
	assert.Equal(t, "query", v.Get("action"))
}

func TestMessageUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{name: "plaintext", in: `{"code":"badtoken","text":"Invalid CSRF token.","module":"main"}`,
			want: Message{Code: "badtoken", Text: "Invalid CSRF token.", Module: "main"}},
		{name: "formatversion=1", in: `{"code":"badtoken","module":"clientlogin","*":"Invalid CSRF token."}`,
			want: Message{Code: "badtoken", Text: "Invalid CSRF token.", Module: "clientlogin"}},
		{name: "bc info", in: `{"code":"badtoken","info":"Invalid CSRF token.","docref":"See ..."}`,
			want: Message{Code: "badtoken", Text: "Invalid CSRF token."}},
		{name: "html", in: `{"code":"readonly","html":"<b>read-only</b>","module":"main"}`,
			want: Message{Code: "readonly", Text: "<b>read-only</b>", Module: "main"}},
		{name: "raw has no text", in: `{"code":"badtoken","key":"apierror-badtoken","params":[],"module":"main"}`,
			want: Message{Code: "badtoken", Module: "main"}},
		{name: "text wins over info", in: `{"code":"x","info":"info","text":"text"}`,
			want: Message{Code: "x", Text: "text"}},
		{name: "data kept", in: `{"code":"maxlag","text":"lagged","data":{"lag":7},"module":"main"}`,
			want: Message{Code: "maxlag", Text: "lagged", Module: "main", Data: json.RawMessage(`{"lag":7}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var m Message
			require.NoError(t, json.Unmarshal([]byte(tt.in), &m))
			assert.Equal(t, tt.want, m)
		})
	}
	var m Message
	assert.Error(t, json.Unmarshal([]byte(`"badtoken"`), &m))
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		in           string
		wantErr      bool
		wantErrors   []string
		wantWarnings []Message
	}{
		{name: "plain answer", in: `{"batchcomplete":true}`},
		{name: "empty object", in: `{}`},
		{name: "surrounding whitespace", in: " \n{\"batchcomplete\":true}\n "},
		{name: "errors", in: string(readFixture(t, "error_multiple.json")), wantErrors: []string{"missingparam", "badvalue"}},
		{name: "bc error", in: string(readFixture(t, "error_bc_badtoken.json")), wantErrors: []string{"badtoken"}},
		{name: "errors and bc error", in: `{"errors":[{"code":"a"}],"error":{"code":"b","info":"x"}}`, wantErrors: []string{"a", "b"}},
		{name: "warnings list", in: `{"warnings":[{"code":"deprecation","text":"old","module":"login"}]}`,
			wantWarnings: []Message{{Code: "deprecation", Text: "old", Module: "login"}}},
		{name: "fv1 bc warnings", in: string(readFixture(t, "warnings_fv1_bc.json")),
			wantWarnings: []Message{{Module: "main", Text: "Unrecognized parameter: OATHToken."}}},
		{name: "fv2 bc warnings split into lines", in: `{"warnings":{"login":{"warnings":"one\ntwo"}}}`,
			wantWarnings: []Message{{Module: "login", Text: "one"}, {Module: "login", Text: "two"}}},
		{name: "empty warnings list", in: `{"warnings":[]}`, wantWarnings: []Message{}},
		{name: "truncated", in: `{"batchcomplete":true,"query":{`, wantErr: true},
		{name: "trailing garbage", in: `{"batchcomplete":true}x`, wantErr: true},
		{name: "two objects", in: `{}{}`, wantErr: true},
		{name: "array", in: `[]`, wantErr: true},
		{name: "null", in: `null`, wantErr: true},
		{name: "string", in: `"ok"`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
		{name: "errors not a list", in: `{"errors":{"code":"x"}}`, wantErr: true},
		{name: "error not an object", in: `{"error":"badtoken"}`, wantErr: true},
		{name: "warnings neither list nor object", in: `{"warnings":"careful"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := DecodeJSON([]byte(tt.in))
			if tt.wantErr {
				assert.Error(t, err)
				assert.Nil(t, env)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.in, string(env.Raw))
			var codes []string
			for _, e := range env.Errors {
				codes = append(codes, e.Code)
			}
			assert.Equal(t, tt.wantErrors, codes)
			if tt.wantWarnings != nil {
				assert.Equal(t, tt.wantWarnings, env.Warnings)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	t.Parallel()
	const jsonCT = "application/json; charset=utf-8"
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantKind    BodyErrorKind
		wantErrors  int
	}{
		{name: "ok", status: 200, contentType: jsonCT, body: `{"batchcomplete":true}`},
		{name: "+json", status: 200, contentType: "application/problem+json", body: `{}`},
		{name: "upper-case media type", status: 200, contentType: "Application/JSON", body: `{}`},
		{name: "api error with 200", status: 200, contentType: jsonCT, body: `{"errors":[{"code":"badtoken"}]}`, wantErrors: 1},
		{name: "api error with 500", status: 500, contentType: jsonCT, body: `{"errors":[{"code":"internal_api_error_X"}]}`, wantErrors: 1},
		{name: "html 200", status: 200, contentType: "text/html", body: "<html></html>", wantKind: NotJSON},
		{name: "html 502", status: 502, contentType: "text/html", body: "<html>502</html>", wantKind: BadStatus},
		{name: "no content type", status: 200, contentType: "", body: `{}`, wantKind: NotJSON},
		{name: "malformed parameter is still JSON", status: 200, contentType: "application/json; charset", body: `{}`},
		{name: "text/plain", status: 200, contentType: "text/plain", body: `{}`, wantKind: NotJSON},
		{name: "json 503 without errors", status: 503, contentType: jsonCT, body: `{}`, wantKind: BadStatus},
		{name: "bad json", status: 200, contentType: jsonCT, body: `{"a":`, wantKind: BadJSON},
		{name: "bad json with status 500", status: 500, contentType: jsonCT, body: `{"a":`, wantKind: BadJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := Decode(tt.status, tt.contentType, []byte(tt.body))
			if tt.wantKind == 0 {
				require.NoError(t, err)
				assert.Len(t, env.Errors, tt.wantErrors)
				return
			}
			assert.Nil(t, env)
			var be *BodyError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, tt.wantKind, be.Kind)
			assert.Equal(t, tt.status, be.StatusCode)
			assert.Equal(t, tt.contentType, be.ContentType)
			assert.Equal(t, tt.body, be.Snippet)
			assert.NotEmpty(t, be.Error())
			if tt.wantKind == BadJSON {
				assert.Error(t, errors.Unwrap(err))
			}
		})
	}
}

// closeRecorder is a body that records how much was read and whether it
// was closed.
type closeRecorder struct {
	r      io.Reader
	read   int
	closed bool
}

func (c *closeRecorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

func TestReadBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		size     int
		limit    int64
		tooLarge bool
		maxRead  int
	}{
		{name: "small", size: 10, limit: 1024},
		{name: "exactly the limit", size: 1024, limit: 1024},
		{name: "one byte over", size: 1025, limit: 1024, tooLarge: true},
		{name: "far over: reads the limit, drains a little, stops", size: 10 << 20, limit: 1024, tooLarge: true,
			maxRead: 1024 + 1 + 4<<10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := &closeRecorder{r: strings.NewReader(strings.Repeat("x", tt.size))}
			resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
			b, err := ReadBody(resp, tt.limit)
			assert.True(t, body.closed, "the body must be closed")
			if tt.maxRead > 0 {
				assert.LessOrEqual(t, body.read, tt.maxRead, "a huge body must not be read to the end")
			}
			if !tt.tooLarge {
				require.NoError(t, err)
				assert.Len(t, b, tt.size)
				return
			}
			var be *BodyError
			require.ErrorAs(t, err, &be)
			assert.Equal(t, TooLarge, be.Kind)
			assert.Equal(t, tt.limit, be.Limit)
			assert.Equal(t, "application/json", be.ContentType)
			assert.LessOrEqual(t, len(be.Snippet), SnippetLen)
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
func (failingReader) Close() error             { return nil }

func TestReadBodyReadError(t *testing.T) {
	t.Parallel()
	_, err := ReadBody(&http.Response{Body: failingReader{}}, 1024)
	assert.Error(t, err)
	var be *BodyError
	assert.False(t, errors.As(err, &be), "a read error is a transport error, not a bad body")
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short", in: "<html>ok</html>", want: "<html>ok</html>"},
		{name: "control characters", in: "a\x00b\x1bc\rd", want: "a b c d"},
		{name: "newline and tab kept", in: "a\nb\tc", want: "a\nb\tc"},
		{name: "invalid utf-8", in: "a\xffb", want: "a\uFFFDb"},
		{name: "long", in: strings.Repeat("x", 2000), want: strings.Repeat("x", SnippetLen)},
		{name: "cut inside a rune", in: strings.Repeat("x", SnippetLen-1) + "é", want: strings.Repeat("x", SnippetLen-1) + "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, Snippet([]byte(tt.in)))
		})
	}
}

func TestBool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Bool
		wantErr bool
	}{
		{name: "true", in: `true`, want: true},
		{name: "false", in: `false`},
		{name: "null", in: `null`},
		{name: "fv1 empty string is true", in: `""`, want: true},
		{name: "fv1 any string is true", in: `"0"`, want: true},
		{name: "number", in: `1`, wantErr: true},
		{name: "object", in: `{}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b Bool
			err := json.Unmarshal([]byte(tt.in), &b)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, b)
		})
	}
	// fv1 drops false booleans: absent means false.
	var s struct {
		Optional  Bool `json:"optional"`
		Sensitive Bool `json:"sensitive"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"sensitive":""}`), &s))
	assert.False(t, bool(s.Optional))
	assert.True(t, bool(s.Sensitive))
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Text
		wantErr bool
	}{
		{name: "string", in: `"Username"`, want: "Username"},
		{name: "raw message object", in: `{"key":"userlogin-yourname","params":[]}`, want: "userlogin-yourname"},
		{name: "null", in: `null`},
		{name: "number", in: `5`, wantErr: true},
		{name: "bad object", in: `{"key":5}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var x Text
			err := json.Unmarshal([]byte(tt.in), &x)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, x)
		})
	}
}

func TestReason(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Reason
		wantErr bool
	}{
		{name: "plaintext object", in: `{"code":"wrongpassword","text":"Incorrect."}`, want: Reason{Code: "wrongpassword", Text: "Incorrect."}},
		{name: "fv1 object", in: `{"code":"wrongpassword","*":"Incorrect."}`, want: Reason{Code: "wrongpassword", Text: "Incorrect."}},
		{name: "raw object", in: `{"code":"wrongpassword","key":"wrongpassword","params":[]}`,
			want: Reason{Code: "wrongpassword", Params: json.RawMessage(`[]`)}},
		{name: "raw throttle", in: `{"code":"login-throttled","key":"login-throttled","params":[{"duration":60}]}`,
			want: Reason{Code: "login-throttled", Params: json.RawMessage(`[{"duration":60}]`)}},
		{name: "bc string", in: `"Incorrect username or password entered. Please try again."`,
			want: Reason{Text: "Incorrect username or password entered. Please try again."}},
		{name: "number", in: `3`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r Reason
			err := json.Unmarshal([]byte(tt.in), &r)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, r)
		})
	}
}

func TestOrderedFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantNames []string
		wantErr   bool
	}{
		{name: "order kept", in: `{"zeta":{"type":"string"},"alpha":{"type":"password","sensitive":true},"mid":{"type":"checkbox"}}`,
			wantNames: []string{"zeta", "alpha", "mid"}},
		{name: "PHP empty array", in: `[]`},
		{name: "empty object", in: `{}`},
		{name: "null", in: `null`},
		{name: "non-empty array", in: `[{"type":"string"}]`, wantErr: true},
		{name: "string", in: `"fields"`, wantErr: true},
		{name: "bad field", in: `{"a":{"optional":7}}`, wantErr: true},
		{name: "truncated", in: `{"a":{"type":"string"}`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var o OrderedFields
			err := json.Unmarshal([]byte(tt.in), &o)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			var names []string
			for _, f := range o {
				names = append(names, f.Name)
			}
			assert.Equal(t, tt.wantNames, names)
		})
	}
}

func TestOrderedStrings(t *testing.T) {
	t.Parallel()
	var o OrderedStrings
	require.NoError(t, json.Unmarshal([]byte(`{"corp":"Corporate LDAP","lab":{"key":"lab-label","params":[]},"aaa":"First?"}`), &o))
	assert.Equal(t, OrderedStrings{{Key: "corp", Value: "Corporate LDAP"}, {Key: "lab", Value: "lab-label"}, {Key: "aaa", Value: "First?"}}, o)
	assert.Error(t, json.Unmarshal([]byte(`{"a":1}`), &o))
}

// TestFixturesDecode: every recorded answer of testdata/ decodes, and the
// login and clientlogin ones into their shapes.
func TestFixturesDecode(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join(testdata, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, p := range paths {
		name := filepath.Base(p)
		if name == "jar_golden.json" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := readFixture(t, name)
			env, err := Decode(http.StatusOK, "application/json; charset=utf-8", b)
			require.NoError(t, err)
			switch {
			case strings.HasPrefix(name, "error_"):
				assert.NotEmpty(t, env.Errors)
				for _, e := range env.Errors {
					assert.NotEmpty(t, e.Code)
				}
			case strings.HasPrefix(name, "warnings_"):
				assert.NotEmpty(t, env.Warnings)
				assert.Empty(t, env.Errors)
			default:
				assert.Empty(t, env.Errors)
			}
			switch {
			case strings.HasPrefix(name, "login_"):
				var l Login
				ok, err := env.Member("login", &l)
				require.NoError(t, err)
				require.True(t, ok)
				assert.NotEmpty(t, l.Result)
			case strings.HasPrefix(name, "clientlogin_"):
				var c ClientLoginResult
				ok, err := env.Member("clientlogin", &c)
				require.NoError(t, err)
				require.True(t, ok)
				assert.NotEmpty(t, c.Status)
			case strings.HasPrefix(name, "authmanagerinfo_"), strings.HasPrefix(name, "tokens_"), strings.HasPrefix(name, "userinfo_"):
				var q Query
				ok, err := env.Member("query", &q)
				require.NoError(t, err)
				require.True(t, ok)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	paths, _ := filepath.Glob(filepath.Join(testdata, "*.json"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"warnings":{"main":{"*":"a\nb"}},"error":{"code":"x"}}`))
	f.Add([]byte(`{"clientlogin":{"status":"UI","requests":[{"fields":[]}],"fields":{"a":{"options":{"k":"v"}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := DecodeJSON(b)
		if err == nil && env == nil {
			t.Fatal("nil envelope without error")
		}
		if err == nil {
			var c ClientLoginResult
			_, _ = env.Member("clientlogin", &c)
			var q Query
			_, _ = env.Member("query", &q)
			var l Login
			_, _ = env.Member("login", &l)
		}
		_ = Snippet(b)
	})
}

func TestDuration(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{name: "throttle", in: `[{"duration":60}]`, want: 60},
		{name: "among others", in: `["x",{"num":3},{"duration":300}]`, want: 300},
		{name: "none", in: `[]`},
		{name: "negative", in: `[{"duration":-5}]`},
		{name: "not a list", in: `{"duration":60}`},
		{name: "empty", in: ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Duration(json.RawMessage(tt.in)))
		})
	}
}

func TestTextRawMessage(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "message key", in: `{"key":"userlogin-yourname","params":[]}`, want: "userlogin-yourname"},
		{name: "1.39 raw text", in: `{"key":"$1","params":["TwoFAUser"]}`, want: "TwoFAUser"},
		{name: "1.43 raw text", in: `{"key":"rawmessage","params":["TwoFAUser"]}`, want: "TwoFAUser"},
		{name: "raw text of nothing", in: `{"key":"rawmessage","params":[null]}`, want: ""},
		{name: "string", in: `"Username"`, want: "Username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Text
			require.NoError(t, json.Unmarshal([]byte(tt.in), &got))
			assert.Equal(t, tt.want, string(got))
		})
	}
}
