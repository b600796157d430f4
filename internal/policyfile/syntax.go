package policyfile

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
	"go.yaml.in/yaml/v3"
)

// The YAML decoder (go.yaml.in/yaml/v3) reports a syntax error with a line
// only, and for the errors it finds after the start of a construct (an
// unclosed "[" or "{", a key indented wrongly) the line of that construct,
// counted from 0: one line too early, sometimes many. goccy/go-yaml's
// parser points at the token where the problem is, with its column:
// syntaxPos asks it where yaml.v3's error is. The message stays
// yaml.v3's, the decoder of record.

var (
	yamlLine      = regexp.MustCompile(`^yaml: line (\d+): `)
	unknownAnchor = regexp.MustCompile(`^unknown anchor '([^']*)' referenced$`)
	tagHandle     = regexp.MustCompile(`![A-Za-z0-9-]+!`)
	lineKey       = regexp.MustCompile(`^[ \t]*(- +)*[A-Za-z_][A-Za-z0-9_-]*:( |$)`)
)

// syntaxError reports an error of the YAML parser at FILE:LINE:COLUMN,
// with the key path when the error is in the value of a key that can be
// told.
func (d *decoder) syntaxError(src []byte, err error) {
	msg := err.Error()
	pos := Pos{File: d.file, Line: 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	switch line, col, ok := badChar(src); {
	case ok:
		// A byte YAML does not allow: yaml.v3 says what, not where.
		pos.Line, pos.Column = line, col
	default:
		if line, col, ok := syntaxPos(src, msg); ok {
			pos.Line, pos.Column = line, col
		} else {
			pos.Line, pos.Column = firstColumn(src, pos.Line)
		}
	}
	d.errorAt(pos, keyPathAt(src, pos.Line, pos.Column), "yaml: %s", msg)
}

// syntaxPos returns where the syntax error of src is, 1-based, as
// goccy/go-yaml sees it, or false if it sees none.
func syntaxPos(src []byte, msg string) (line, col int, ok bool) {
	defer func() {
		if recover() != nil {
			// Only a position is lost: the error is reported anyway.
			line, col, ok = 0, 0, false
		}
	}()
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		// Not a syntax error for goccy/go-yaml's parser: find the alias.
		if i := bytes.Index(src, []byte("*"+m[1])); i >= 0 {
			return lineCol(src, i)
		}
	}
	if msg == "found undefined tag handle" {
		// Not a syntax error for goccy/go-yaml's parser either.
		if loc := tagHandle.FindIndex(src); loc != nil {
			return lineCol(src, loc[0])
		}
	}
	_, err := goccyparser.ParseBytes(src, 0)
	var se *goccy.SyntaxError
	if !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil {
		return 0, 0, false
	}
	p := se.Token.Position
	if p.Line < 1 || p.Column < 1 {
		return 0, 0, false
	}
	return p.Line, p.Column, true
}

// lineCol returns the 1-based line and column (in characters) of the
// byte at offset i of src.
func lineCol(src []byte, i int) (line, col int, ok bool) {
	before := src[:i]
	line = bytes.Count(before, []byte("\n")) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, len([]rune(string(before[start:]))) + 1, true
}

// firstColumn returns line (clamped to the file's lines) and the column
// of its first character that is not a space, or 1.
func firstColumn(src []byte, line int) (int, int) {
	lines := strings.Split(string(src), "\n")
	if line < 1 {
		line = 1
	}
	if line > len(lines) {
		line = len(lines)
	}
	text := lines[line-1]
	trimmed := strings.TrimLeft(text, " \t")
	if trimmed == "" {
		return line, 1
	}
	return line, len([]rune(text[:len(text)-len(trimmed)])) + 1
}

// keyPathAt returns the key path of the value that the position (line,
// col) is in, when that value's key is on the same line: the file up to
// the position is decoded, and the last key before it named. It returns ""
// when the file up to there does not decode, or the last key is on an
// earlier line (then the error may be anywhere between).
func keyPathAt(src []byte, line, col int) string {
	lines := strings.SplitAfter(string(src), "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	cur := []rune(strings.TrimRight(lines[line-1], "\r\n"))
	if col-1 > len(cur) {
		return ""
	}
	before := strings.Join(lines[:line-1], "")
	// The line up to the position, or, if that does not decode (the
	// error may be a few characters after its cause), up to its first
	// "key:".
	var doc yaml.Node
	if yaml.Unmarshal([]byte(before+string(cur[:col-1])), &doc) != nil || len(doc.Content) != 1 {
		m := lineKey.FindStringIndex(string(cur[:col-1]))
		doc = yaml.Node{}
		if m == nil || yaml.Unmarshal([]byte(before+string(cur[:col-1])[:m[1]]), &doc) != nil || len(doc.Content) != 1 {
			return ""
		}
	}
	var best string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Line == line && k.Column < col {
					best = p
				}
				walk(v, p)
			}
		case yaml.SequenceNode:
			for i, e := range n.Content {
				walk(e, path+"["+strconv.Itoa(i)+"]")
			}
		}
	}
	walk(doc.Content[0], "")
	return best
}
