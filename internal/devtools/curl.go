package devtools

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// ParseCurl reads one request copied with "Copy as cURL": Chromium's and
// Firefox's bash flavour (single quotes and ANSI-C $'...' quoting, lines
// joined with a backslash) and cmd flavour (^" quoting and ^ escapes, lines
// joined with a caret). The flavour is told from the text. Only the first
// command of a "Copy all as cURL" is read.
func ParseCurl(s string) (*Copied, error) {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	if s == "" {
		return nil, errors.New("empty cURL command")
	}
	var words []string
	var err error
	c := &Copied{}
	if isCmdFlavour(s) {
		c.Format = "curl-cmd"
		words, err = splitCmd(s)
	} else {
		c.Format = "curl-bash"
		words, err = splitBash(s)
	}
	if err != nil {
		return nil, err
	}
	if len(words) == 0 || words[0] != "curl" && !strings.HasSuffix(words[0], "/curl") && words[0] != "curl.exe" {
		return nil, errors.New(`not a cURL command: want one that starts with "curl"`)
	}
	if err := c.readCurlArgs(words[1:]); err != nil {
		return nil, err
	}
	return c, nil
}

// isCmdFlavour reports whether s is written for cmd.exe: DevTools quotes
// every word with ^" there, and ends each continued line with " ^".
func isCmdFlavour(s string) bool {
	return strings.Contains(s, `^"`) || strings.Contains(s, " ^\n") || strings.Contains(s, " ^\r\n")
}

// splitBash splits s into words as bash would, with no expansion: a
// parameter, command, process or arithmetic substitution is an error,
// since nothing is evaluated; so are a tilde and a brace expansion, which
// would make words of what is not in the copy.
func splitBash(s string) ([]string, error) {
	// "Copy all as cURL" joins commands with " ;\n": keep the first.
	if i := strings.Index(s, " ;\ncurl "); i >= 0 {
		s = s[:i]
	}
	// Refused before parsing: the parser takes time superlinear in the
	// nesting of substitutions, which a pasted text may hold by the
	// million.
	if err := refuseSubstitution(s); err != nil {
		return nil, err
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(s), "")
	if err != nil {
		return nil, fmt.Errorf("reading the cURL command as bash: %w", err)
	}
	var refused string
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.ParamExp:
			refused = fmt.Sprintf("the shell variable $%s", n.Param.Value)
		case *syntax.CmdSubst, *syntax.ProcSubst:
			refused = "a command substitution"
		case *syntax.ArithmExp:
			refused = "an arithmetic expansion"
		}
		return refused == ""
	})
	if refused != "" {
		return nil, fmt.Errorf("the cURL command uses %s: give the value itself, nothing is expanded or run", refused)
	}
	if len(f.Stmts) != 1 {
		return nil, fmt.Errorf("reading the cURL command as bash: want one command, got %d", len(f.Stmts))
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || st.Background || st.Coprocess || st.Negated || len(st.Redirs) > 0 || len(call.Assigns) > 0 {
		return nil, fmt.Errorf("reading the cURL command as bash: at %s: want one plain curl command, with no pipe, list, redirection or assignment", st.Pos())
	}
	cfg := &expand.Config{Env: expand.FuncEnviron(func(string) string { return "" })}
	var words []string
	for _, w := range call.Args {
		if lit, ok := w.Parts[0].(*syntax.Lit); ok && strings.HasPrefix(lit.Value, "~") {
			return nil, fmt.Errorf("the cURL command uses a tilde expansion at %s: quote the word, nothing is expanded", w.Pos())
		}
		if n := unquotedBraces(w); n > 64 {
			return nil, fmt.Errorf("the cURL command has %d unquoted braces in the word at %s: quote it", n, w.Pos())
		} else if w2 := (&syntax.Word{Parts: slices.Clone(w.Parts)}); n > 0 && syntax.SplitBraces(w2) && len(expand.Braces(w2)) > 1 {
			return nil, fmt.Errorf("the cURL command uses a brace expansion at %s: quote the word, nothing is expanded", w.Pos())
		}
		fs, err := expand.Fields(cfg, w)
		if err != nil {
			return nil, fmt.Errorf("reading the cURL command as bash: %w", err)
		}
		words = append(words, fs...)
	}
	return words, nil
}

func isNameRune(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// unquotedBraces counts the braces outside quotes in w.
func unquotedBraces(w *syntax.Word) int {
	n := 0
	for _, p := range w.Parts {
		if lit, ok := p.(*syntax.Lit); ok {
			n += strings.Count(lit.Value, "{")
		}
	}
	return n
}

// refuseSubstitution finds the first expansion bash would make of s
// outside single quotes: $name, ${...}, $(...), $((...)), $[...], `...`,
// <(...) and >(...).
func refuseSubstitution(s string) error {
	const (
		plain = iota
		single
		ansi
		double
	)
	state := plain
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch state {
		case single:
			if ch == '\'' {
				state = plain
			}
			continue
		case ansi:
			switch ch {
			case '\\':
				i++
			case '\'':
				state = plain
			}
			continue
		}
		next := byte(0)
		if i+1 < len(s) {
			next = s[i+1]
		}
		what := ""
		switch {
		case ch == '\\':
			i++
		case ch == '\'' && state == plain:
			state = single
		case ch == '"':
			state = map[bool]int{true: double, false: plain}[state == plain]
		case ch == '$' && next == '\'' && state == plain:
			state = ansi
			i++
		case ch == '`':
			what = "a command substitution (`...`)"
		case ch == '$' && next == '(':
			what = "a command substitution ($(...))"
		case ch == '$' && (next == '{' || next == '_' || next >= 'a' && next <= 'z' || next >= 'A' && next <= 'Z' ||
			next >= '0' && next <= '9' || next != 0 && strings.IndexByte("@*#?-$!", next) >= 0):
			name := s[i+1:]
			if end := strings.IndexFunc(name, func(r rune) bool { return !isNameRune(r) }); end > 0 {
				name = name[:end]
			} else if end == 0 {
				name = name[:1]
				if name == "{" {
					name, _, _ = strings.Cut(s[i+2:], "}")
				}
			}
			what = "the shell variable $" + name
		case ch == '$' && next == '[':
			what = "an arithmetic expansion"
		case (ch == '<' || ch == '>') && next == '(' && state == plain:
			what = "a process substitution"
		}
		if what != "" {
			return fmt.Errorf("the cURL command uses %s at offset %d: give the value itself, nothing is expanded or run", what, i)
		}
	}
	return nil
}

// splitCmd splits s into words as cmd.exe then the Microsoft C runtime
// do, in their two passes
// (https://learn.microsoft.com/en-us/cpp/c-language/parsing-c-command-line-arguments):
//
//  1. cmd.exe: outside double quotes, ^ makes the next character literal
//     (^ at the end of a line joins the next line, whose first character
//     it escapes: DevTools writes a newline in a value as ^, newline,
//     newline); a " toggles quoting, in which ^ is literal.
//  2. the C runtime: words end at unquoted spaces and tabs; " toggles
//     quoting and "" inside quotes is one "; 2n backslashes before a "
//     are n backslashes, 2n+1 are n and a literal ".
//
// An unescaped & followed by the end of the line separates commands
// ("Copy all as cURL (cmd)"): the first is read. Chromium leaves & within
// a value unescaped, which cmd.exe would take as a separator too; it is
// read as the character DevTools meant.
func splitCmd(s string) ([]string, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var line strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '^' && !quoted:
			if i+1 >= len(s) {
				continue
			}
			i++
			if s[i] == '\n' {
				// A continued line: its first character is escaped.
				if i+1 < len(s) {
					i++
					line.WriteByte(s[i])
				}
				continue
			}
			line.WriteByte(s[i])
		case ch == '"':
			quoted = !quoted
			line.WriteByte(ch)
		case ch == '&' && !quoted && strings.TrimLeft(s[i+1:], " \t") == "" ||
			ch == '&' && !quoted && strings.HasPrefix(strings.TrimLeft(s[i+1:], " \t"), "\n"):
			i = len(s)
		case ch == '\n' && !quoted:
			i = len(s)
		case ch == '%' && isCmdVariable(s[i+1:]):
			// cmd.exe expands %NAME% even between quotes; DevTools
			// writes a literal % before a name character as %^.
			name, _, _ := strings.Cut(s[i+1:], "%")
			return nil, fmt.Errorf("the cURL command uses the cmd variable %%%s%% at offset %d: give the value itself, nothing is expanded or run", name, i)
		default:
			line.WriteByte(ch)
		}
	}
	return splitCRT(line.String())
}

// isCmdVariable reports whether s, after a %, starts with NAME% for cmd.exe.
func isCmdVariable(s string) bool {
	end := strings.IndexByte(s, '%')
	if end <= 0 {
		return false
	}
	return !strings.ContainsAny(s[:end], " \t\r\n^\"")
}

// splitCRT splits a command line as the Microsoft C runtime does.
func splitCRT(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\\':
			n := 0
			for i < len(s) && s[i] == '\\' {
				n++
				i++
			}
			if i < len(s) && s[i] == '"' {
				w.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					w.WriteByte('"')
				} else {
					quoted = !quoted
				}
			} else {
				// DevTools doubles every backslash, which the C runtime
				// keeps doubled unless a " follows (the misquoting of
				// crbug.com/1242803): read them as DevTools meant.
				w.WriteString(strings.Repeat(`\`, (n+1)/2))
				i--
			}
			inWord = true
		case ch == '"':
			if quoted && i+1 < len(s) && s[i+1] == '"' {
				w.WriteByte('"')
				i++
			} else {
				quoted = !quoted
			}
			inWord = true
		case (ch == ' ' || ch == '\t') && !quoted:
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(ch)
			inWord = true
		}
	}
	if quoted {
		return nil, errors.New("reading the cURL command as cmd: a quoted word is not closed")
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// curl options that take a value and say nothing about the request the
// browser made; they are skipped with their value.
var curlValueOptions = []string{
	"-o", "--output", "-m", "--max-time", "--connect-timeout", "-x", "--proxy", "--cacert", "--capath",
	"-E", "--cert", "--key", "-w", "--write-out", "--resolve", "--connect-to", "--retry", "--limit-rate",
	"-r", "--range", "-c", "--cookie-jar", "--interface", "--max-redirs", "-K", "--config", "--user-agent-file",
}

// curl options without a value that change nothing DevTools recorded.
var curlFlagOptions = []string{
	"--compressed", "-k", "--insecure", "-s", "--silent", "-S", "--show-error", "-v", "--verbose", "-i",
	"--include", "-L", "--location", "--http1.0", "--http1.1", "--http2", "--http2-prior-knowledge", "--http3",
	"-N", "--no-buffer", "--raw", "-f", "--fail", "--path-as-is", "-#", "--progress-bar", "-4", "-6", "--ipv4",
	"--ipv6", "-g", "--globoff", "-G", "--get", "-I", "--head",
}

// readCurlArgs reads curl's options and URL into c.
func (c *Copied) readCurlArgs(args []string) error {
	var data []string
	var ignored []string
	get, head, globoff := false, false, false
	user := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := a, "", false
		// --opt=value is not curl syntax; short options may be glued to
		// their value (-XPOST, -H'a: b').
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 2 && strings.ContainsRune("XHbdueAoFT", rune(a[1])) {
			name, value, hasValue = a[:2], a[2:], true
		}
		takes := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("cURL option %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		switch name {
		case "--url":
			v, err := takes()
			if err != nil {
				return err
			}
			c.URL = v
		case "-X", "--request":
			v, err := takes()
			if err != nil {
				return err
			}
			c.Method = v
		case "-H", "--header":
			v, err := takes()
			if err != nil {
				return err
			}
			n, val, ok := strings.Cut(v, ":")
			if !ok {
				if n, ok := strings.CutSuffix(v, ";"); ok {
					c.Header = append(c.Header, Field{strings.TrimSpace(n), ""})
					continue
				}
				return fmt.Errorf("cURL header %q: want 'Name: value'", v)
			}
			n = strings.TrimSpace(n)
			val = strings.TrimLeft(val, " \t")
			if strings.EqualFold(n, "cookie") {
				c.Cookie = joinCookies(c.Cookie, val)
			}
			c.Header = append(c.Header, Field{n, val})
		case "-b", "--cookie":
			v, err := takes()
			if err != nil {
				return err
			}
			if !strings.Contains(v, "=") {
				return fmt.Errorf("cURL option %s %q reads cookies from a file: give them inline, as name=value; name2=value2", name, v)
			}
			c.Cookie = joinCookies(c.Cookie, v)
		case "-d", "--data", "--data-raw", "--data-binary", "--data-ascii", "--data-urlencode", "--json":
			v, err := takes()
			if err != nil {
				return err
			}
			if strings.HasPrefix(v, "@") && name != "--data-raw" {
				return fmt.Errorf("cURL option %s %q reads the body from a file: give the body inline (--data-raw)", name, v)
			}
			if name == "--data-urlencode" {
				v = urlEncodeData(v)
			}
			if name == "--json" && !c.has("content-type") {
				c.Header = append(c.Header, Field{"Content-Type", "application/json"})
			}
			data = append(data, v)
		case "-F", "--form", "-T", "--upload-file":
			return fmt.Errorf("cURL option %s sends a form or a file, which DevTools does not copy: give the body inline (--data-raw)", name)
		case "-u", "--user":
			v, err := takes()
			if err != nil {
				return err
			}
			user = v
		case "-A", "--user-agent":
			v, err := takes()
			if err != nil {
				return err
			}
			c.Header = append(c.Header, Field{"User-Agent", v})
		case "-e", "--referer":
			v, err := takes()
			if err != nil {
				return err
			}
			c.Header = append(c.Header, Field{"Referer", v})
		case "-G", "--get":
			get = true
		case "-I", "--head":
			head = true
		case "-g", "--globoff":
			globoff = true
		default:
			switch {
			case slices.Contains(curlValueOptions, name):
				if _, err := takes(); err != nil {
					return err
				}
				ignored = append(ignored, name)
			case slices.Contains(curlFlagOptions, name):
			case strings.HasPrefix(a, "--"):
				ignored = append(ignored, a)
			case strings.HasPrefix(a, "-") && len(a) > 1:
				// Glued short flags such as -sSL.
				for _, r := range a[1:] {
					if !slices.Contains(curlFlagOptions, "-"+string(r)) {
						ignored = append(ignored, "-"+string(r))
					}
				}
			case c.URL == "":
				c.URL = a
			default:
				return fmt.Errorf("the cURL command has a second URL %q: give one request", a)
			}
		}
	}
	if c.URL == "" {
		return errors.New("the cURL command has no URL")
	}
	if !globoff {
		// DevTools escapes curl's glob characters in the URL with a
		// backslash, inside the quotes.
		c.URL = strings.NewReplacer(`\[`, "[", `\]`, "]", `\{`, "{", `\}`, "}").Replace(c.URL)
	}
	if !strings.Contains(c.URL, "://") {
		c.URL = "http://" + c.URL // as curl does
	}
	if user != "" {
		c.Header = append(c.Header, Field{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(user))})
	}
	if len(data) > 0 {
		body := strings.Join(data, "&")
		if get {
			sep := "?"
			if strings.Contains(c.URL, "?") {
				sep = "&"
			}
			c.URL += sep + body
		} else {
			c.Body, c.HasBody = []byte(body), true
		}
	}
	switch {
	case c.Method != "":
	case head:
		c.Method = "HEAD"
	case c.HasBody:
		c.Method = "POST"
	}
	if len(ignored) > 0 {
		c.note("cURL options ignored (they do not change what the browser sent): " + strings.Join(ignored, " "))
	}
	return nil
}

func (c *Copied) has(name string) bool {
	_, ok := c.Get(name)
	return ok
}

func joinCookies(a, b string) string {
	b = strings.TrimSpace(b)
	if a == "" {
		return b
	}
	return a + "; " + b
}

// urlEncodeData encodes a --data-urlencode value as curl does: "name=value"
// encodes value, "=value" and "value" encode all of it.
func urlEncodeData(v string) string {
	if name, value, ok := strings.Cut(v, "="); ok {
		if name == "" {
			return url.QueryEscape(value)
		}
		return name + "=" + url.QueryEscape(value)
	}
	return url.QueryEscape(v)
}
