package devtools

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ParseFetch reads a request copied with "Copy as fetch" or "Copy as
// fetch (Node.js)" (Chromium's, and Firefox's with its leading await):
//
//	fetch("https://api.example/x", {"headers": {...}, "body": "...", "method": "POST", "mode": "cors", "credentials": "include"});
//
// DevTools writes the init object with JSON.stringify; so is it read, as
// a literal, never evaluated. The literal may also be written as a person
// writes it: single-quoted strings, bare keys, trailing commas. Anything
// else (a variable, a call, a template string) is an error naming it.
func ParseFetch(s string) (*Copied, error) {
	p := &jsParser{src: strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))}
	p.skipWord("await")
	if !p.skipWord("fetch") {
		return nil, errors.New(`not a fetch() call: want one that starts with "fetch("`)
	}
	if !p.eat('(') {
		return nil, p.errorf(`want "(" after fetch`)
	}
	u, err := p.value()
	if err != nil {
		return nil, err
	}
	rawURL, ok := u.(string)
	if !ok {
		return nil, errors.New("fetch()'s first argument is not a string: want the URL")
	}
	c := &Copied{Format: "fetch", URL: rawURL}
	var init map[string]any
	var keys []string
	if p.eat(',') && !p.peek(')') {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		o, ok := v.(*jsObject)
		if !ok {
			return nil, errors.New("fetch()'s second argument is not an object literal")
		}
		init, keys = o.m, o.keys
		p.eat(',')
	}
	if !p.eat(')') {
		return nil, p.errorf(`want ")" to close fetch(`)
	}
	// "Copy all as fetch" ends each call with its own ";" and joins them
	// with " ;\n" (Chromium 156: "}); ;\nfetch("): read the first.
	for p.eat(';') {
	}
	if p.skipSpace(); p.pos < len(p.src) {
		if !p.skipWord("fetch") && !p.skipWord("await") {
			return nil, p.errorf("unexpected text after the fetch() call")
		}
	}
	_, hasMode := init["mode"]
	_, hasCredentials := init["credentials"]
	if init != nil && !hasMode && !hasCredentials {
		c.Format = "fetch-node"
	}
	for _, k := range keys {
		v := init[k]
		switch k {
		case "method", "mode", "credentials":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("init.%s is not a string", k)
			}
			switch k {
			case "method":
				c.Method = s
			case "mode":
				c.Mode = s
			case "credentials":
				c.Credentials = s
			}
		case "headers":
			if err := c.readHeaders(v); err != nil {
				return nil, err
			}
		case "body":
			switch b := v.(type) {
			case nil, undefined:
			case string:
				c.Body, c.HasBody = []byte(b), true
			default:
				return nil, errors.New("init.body is not a string: give the body as a string literal")
			}
		case "referrer":
			if s, ok := v.(string); ok && s != "" {
				c.Header = append(c.Header, Field{"Referer", s})
			}
		}
	}
	switch c.Mode {
	case "", "cors", "no-cors", "same-origin":
	case "navigate":
		return nil, errors.New(`init.mode "navigate" cannot be given to fetch()`)
	default:
		return nil, fmt.Errorf("init.mode %q: want cors, no-cors or same-origin", c.Mode)
	}
	switch c.Credentials {
	case "", "omit", "same-origin", "include":
	default:
		return nil, fmt.Errorf("init.credentials %q: want omit, same-origin or include", c.Credentials)
	}
	return c, nil
}

func (c *Copied) readHeaders(v any) error {
	add := func(name string, value any) error {
		s, ok := value.(string)
		if !ok {
			return fmt.Errorf("header %s is not a string", name)
		}
		if strings.EqualFold(name, "cookie") { // fetch (Node.js) carries it
			c.Cookie = joinCookies(c.Cookie, s)
		}
		c.Header = append(c.Header, Field{name, s})
		return nil
	}
	switch h := v.(type) {
	case *jsObject:
		for _, k := range h.keys {
			if err := add(k, h.m[k]); err != nil {
				return err
			}
		}
	case []any:
		for _, pair := range h {
			kv, ok := pair.([]any)
			if !ok || len(kv) != 2 {
				return errors.New("init.headers: want [name, value] pairs")
			}
			name, ok := kv[0].(string)
			if !ok {
				return errors.New("init.headers: a header name is not a string")
			}
			if err := add(name, kv[1]); err != nil {
				return err
			}
		}
	case nil, undefined:
	default:
		return errors.New("init.headers is not an object literal")
	}
	return nil
}

// undefined is JavaScript's undefined, as a value.
type undefined struct{}

// jsObject is an object literal with its keys in order.
type jsObject struct {
	keys []string
	m    map[string]any
}

// jsParser reads the literals of ECMAScript's grammar that DevTools
// writes (https://tc39.es/ecma262/#sec-primary-expression): strings,
// numbers, true, false, null, undefined, arrays and objects.
type jsParser struct {
	src   string
	pos   int
	depth int
}

func (p *jsParser) errorf(format string, args ...any) error {
	return fmt.Errorf("reading the fetch() call at offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *jsParser) skipSpace() {
	for p.pos < len(p.src) {
		switch {
		case strings.HasPrefix(p.src[p.pos:], "//"):
			if i := strings.IndexByte(p.src[p.pos:], '\n'); i >= 0 {
				p.pos += i
			} else {
				p.pos = len(p.src)
			}
		case strings.HasPrefix(p.src[p.pos:], "/*"):
			if i := strings.Index(p.src[p.pos+2:], "*/"); i >= 0 {
				p.pos += i + 4
			} else {
				p.pos = len(p.src)
			}
		case strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0:
			p.pos++
		default:
			return
		}
	}
}

func (p *jsParser) peek(b byte) bool {
	p.skipSpace()
	return p.pos < len(p.src) && p.src[p.pos] == b
}

func (p *jsParser) eat(b byte) bool {
	if p.peek(b) {
		p.pos++
		return true
	}
	return false
}

func (p *jsParser) skipWord(w string) bool {
	p.skipSpace()
	if strings.HasPrefix(p.src[p.pos:], w) && !isIdentByte(p.src, p.pos+len(w)) {
		p.pos += len(w)
		return true
	}
	return false
}

func isIdentByte(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	b := s[i]
	return b == '_' || b == '$' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func (p *jsParser) ident() string {
	start := p.pos
	for isIdentByte(p.src, p.pos) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *jsParser) value() (any, error) {
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("unexpected end")
	}
	if p.depth++; p.depth > 32 {
		return nil, p.errorf("literal nested too deep")
	}
	defer func() { p.depth-- }()
	switch ch := p.src[p.pos]; {
	case ch == '"' || ch == '\'':
		return p.str()
	case ch == '{':
		return p.object()
	case ch == '[':
		return p.array()
	case ch == '-' || ch >= '0' && ch <= '9':
		start := p.pos
		p.pos++
		for p.pos < len(p.src) && strings.IndexByte("0123456789.eE+-", p.src[p.pos]) >= 0 {
			p.pos++
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil {
			return nil, p.errorf("bad number %q", p.src[start:p.pos])
		}
		return f, nil
	case ch == '`':
		return nil, p.errorf("a template string is not read (it may hold code): write a plain string")
	}
	start := p.pos
	switch w := p.ident(); w {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	case "undefined", "void":
		if w == "void" {
			p.skipSpace()
			if _, err := p.value(); err != nil {
				return nil, err
			}
		}
		return undefined{}, nil
	case "":
		return nil, p.errorf("unexpected %q", p.src[p.pos:min(p.pos+10, len(p.src))])
	default:
		p.pos = start
		return nil, p.errorf("%q is not a literal: nothing is evaluated, write its value", w)
	}
}

// str reads a string literal (https://tc39.es/ecma262/#sec-literals-string-literals).
func (p *jsParser) str() (string, error) {
	quote := p.src[p.pos]
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.errorf("a string is not closed")
		}
		ch := p.src[p.pos]
		switch {
		case ch == quote:
			p.pos++
			return b.String(), nil
		case ch == '\n' || ch == '\r':
			return "", p.errorf("a line break in a string")
		case ch != '\\':
			b.WriteByte(ch)
			p.pos++
			continue
		}
		p.pos++
		if p.pos >= len(p.src) {
			return "", p.errorf("a string is not closed")
		}
		e := p.src[p.pos]
		p.pos++
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case '0':
			b.WriteByte(0)
		case '\n':
			// A line continuation.
		case 'x':
			r, err := p.hex(2)
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case 'u':
			r, err := p.unicodeEscape()
			if err != nil {
				return "", err
			}
			// A surrogate pair is two escapes.
			if utf16.IsSurrogate(r) && strings.HasPrefix(p.src[p.pos:], `\u`) {
				p.pos += 2
				r2, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, r2)
			}
			if r > utf8.MaxRune || utf16.IsSurrogate(r) {
				r = utf8.RuneError
			}
			b.WriteRune(r)
		default:
			b.WriteByte(e)
		}
	}
}

func (p *jsParser) unicodeEscape() (rune, error) {
	if strings.HasPrefix(p.src[p.pos:], "{") {
		end := strings.IndexByte(p.src[p.pos:], '}')
		if end < 0 {
			return 0, p.errorf(`bad \u{...} escape`)
		}
		n, err := strconv.ParseUint(p.src[p.pos+1:p.pos+end], 16, 32)
		if err != nil {
			return 0, p.errorf(`bad \u{...} escape`)
		}
		p.pos += end + 1
		return rune(n), nil
	}
	return p.hex(4)
}

func (p *jsParser) hex(n int) (rune, error) {
	if p.pos+n > len(p.src) {
		return 0, p.errorf("bad escape")
	}
	v, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
	if err != nil {
		return 0, p.errorf("bad escape %q", p.src[p.pos:p.pos+n])
	}
	p.pos += n
	return rune(v), nil
}

func (p *jsParser) object() (any, error) {
	p.pos++ // {
	o := &jsObject{m: map[string]any{}}
	for {
		if p.eat('}') {
			return o, nil
		}
		p.skipSpace()
		var key string
		if p.pos < len(p.src) && (p.src[p.pos] == '"' || p.src[p.pos] == '\'') {
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			key = k
		} else if key = p.ident(); key == "" {
			return nil, p.errorf("want a property name")
		}
		if !p.eat(':') {
			return nil, p.errorf("want ':' after %q (shorthand properties are variables: write the value)", key)
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if _, dup := o.m[key]; !dup {
			o.keys = append(o.keys, key)
		}
		o.m[key] = v // the last one wins, as in JavaScript
		if !p.eat(',') {
			if !p.eat('}') {
				return nil, p.errorf("want ',' or '}' in an object")
			}
			return o, nil
		}
	}
}

func (p *jsParser) array() (any, error) {
	p.pos++ // [
	var a []any
	for {
		if p.eat(']') {
			return a, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if !p.eat(',') {
			if !p.eat(']') {
				return nil, p.errorf("want ',' or ']' in an array")
			}
			return a, nil
		}
	}
}
