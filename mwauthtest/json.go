package mwauthtest

import (
	"strconv"
	"unicode/utf8"
)

// The API result is built as an ordered tree of these values and encoded
// with MediaWiki's formatversion rules at the end:
//
//   - obj: an ordered JSON object (PHP keeps insertion order, Go maps do
//     not). Members flagged content are ApiResult "content" values: in
//     formatversion=1 they are renamed "*" and moved to the end.
//   - []any: a JSON array.
//   - string, int, int64, bool, nil: scalars. In formatversion=1 a true
//     object member becomes "" and a false one is dropped (ApiResult's BC
//     boolean transform).

// kv is one member of an obj.
type kv struct {
	k       string
	v       any
	content bool
}

// obj is an ordered JSON object.
type obj []kv

// add appends a member.
func (o *obj) add(k string, v any) { *o = append(*o, kv{k: k, v: v}) }

// addContent appends a content member ("*" in formatversion=1).
func (o *obj) addContent(k string, v any) { *o = append(*o, kv{k: k, v: v, content: true}) }

// encoder writes PHP-compatible JSON.
type encoder struct {
	buf   []byte
	fv1   bool // formatversion=1 transforms
	ascii bool // escape non-ASCII as \uXXXX (fv1 default, or ascii=1)
}

func encodeJSON(v any, fv1, ascii bool) []byte {
	e := &encoder{fv1: fv1, ascii: ascii}
	e.value(v)
	return e.buf
}

func (e *encoder) value(v any) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case string:
		e.str(x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case obj:
		e.object(x)
	case []any:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.value(el)
		}
		e.buf = append(e.buf, ']')
	case []string:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(el)
		}
		e.buf = append(e.buf, ']')
	default:
		panic("mwauthtest: cannot encode value of this type")
	}
}

func (e *encoder) object(o obj) {
	e.buf = append(e.buf, '{')
	first := true
	member := func(k string, v any) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.str(k)
		e.buf = append(e.buf, ':')
		e.value(v)
	}
	var content []kv
	for _, m := range o {
		v := m.v
		if e.fv1 {
			if m.content {
				content = append(content, m)
				continue
			}
			if b, ok := v.(bool); ok {
				if !b {
					continue
				}
				v = ""
			}
		}
		member(m.k, v)
	}
	for _, m := range content {
		member("*", m.v)
	}
	e.buf = append(e.buf, '}')
}

// str writes a JSON string the way PHP's json_encode does with
// JSON_UNESCAPED_SLASHES (and JSON_UNESCAPED_UNICODE unless ascii).
func (e *encoder) str(s string) {
	const hex = "0123456789abcdef"
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				e.buf = append(e.buf, '\\', '"')
			case '\\':
				e.buf = append(e.buf, '\\', '\\')
			case '\n':
				e.buf = append(e.buf, '\\', 'n')
			case '\r':
				e.buf = append(e.buf, '\\', 'r')
			case '\t':
				e.buf = append(e.buf, '\\', 't')
			case '\b':
				e.buf = append(e.buf, '\\', 'b')
			case '\f':
				e.buf = append(e.buf, '\\', 'f')
			default:
				if c < 0x20 {
					e.buf = append(e.buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				} else {
					e.buf = append(e.buf, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// PHP refuses invalid UTF-8; MediaWiki sanitizes first.
			r = '\ufffd'
		}
		if !e.ascii && r != '\u2028' && r != '\u2029' {
			e.buf = utf8.AppendRune(e.buf, r)
			i += size
			continue
		}
		u := func(x rune) {
			e.buf = append(e.buf, '\\', 'u', hex[x>>12&0xf], hex[x>>8&0xf], hex[x>>4&0xf], hex[x&0xf])
		}
		if r >= 0x10000 {
			r -= 0x10000
			u(0xd800 + (r>>10)&0x3ff)
			u(0xdc00 + r&0x3ff)
		} else {
			u(r)
		}
		i += size
	}
	e.buf = append(e.buf, '"')
}
