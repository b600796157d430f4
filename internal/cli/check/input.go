package check

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/devtools"
	"github.com/spf13/pflag"
)

// maxInput bounds what is read of a copied request: DevTools' copies are
// a few KiB, a body included.
const maxInput = 8 << 20

// input is the request given as DevTools copied it.
type input struct {
	curl, fetch, har string
}

func (in *input) flags(fl *pflag.FlagSet) {
	fl.StringVar(&in.curl, "curl", "", "the request as DevTools' \"Copy as cURL\" gives it (bash or cmd), or - to read it from standard input")
	fl.StringVar(&in.har, "har", "", "diagnose every cross-origin request of a HAR export offline, from its recorded responses (- reads it from standard input)")
	fl.StringVar(&in.fetch, "fetch", "", "the request as DevTools' \"Copy as fetch\" gives it (or the Node.js flavour), or - to read it from standard input")
}

func (in *input) given() bool { return in.curl != "" || in.fetch != "" || in.har != "" }

// load reads and parses the copied request, if any.
func (in *input) load(stdin io.Reader) (*devtools.Script, error) {
	if in.curl != "" && in.fetch != "" {
		return nil, cmdutil.Usagef("--curl and --fetch: give one copied request")
	}
	flag, src := "--curl", in.curl
	parse := devtools.ParseCurl
	if in.fetch != "" {
		flag, src, parse = "--fetch", in.fetch, devtools.ParseFetch
	}
	if src == "" {
		return nil, nil
	}
	if src == "-" {
		if stdin == nil {
			return nil, cmdutil.Usagef("%s -: no standard input", flag)
		}
		b, err := io.ReadAll(io.LimitReader(stdin, maxInput+1))
		if err != nil {
			return nil, cmdutil.Usagef("%s -: reading standard input: %v", flag, err)
		}
		if len(b) > maxInput {
			return nil, cmdutil.Usagef("%s -: standard input holds more than %d MiB: want one copied request", flag, maxInput>>20)
		}
		src = string(b)
	}
	c, err := parse(src)
	if err != nil {
		return nil, cmdutil.Usagef("%s: %v", flag, err)
	}
	s, err := c.Script()
	if err != nil {
		return nil, cmdutil.Usagef("%s: %v", flag, err)
	}
	return s, nil
}

// flagValues are the flags a copied request fills in when they are not
// given: the flags given beside it win.
type flagValues struct {
	url, method, origin, credentials, mode *string
	headers                                *[]string
}

func (f flagValues) merge(fl *pflag.FlagSet, s *devtools.Script) {
	r := s.Request
	if *f.url == "" {
		*f.url = r.URL
	}
	if !fl.Changed("method") {
		*f.method = r.Method
	}
	if !fl.Changed("origin") {
		*f.origin = r.Origin
	}
	if !fl.Changed("credentials") && r.Credentials != "" {
		*f.credentials = string(r.Credentials)
	} else if fl.Changed("credentials") {
		s.CredentialsInferred = false
		s.Notes = slices.DeleteFunc(s.Notes, func(n string) bool { return strings.HasPrefix(n, "credentials ") })
	}
	if !fl.Changed("mode") && r.Mode != "" {
		*f.mode = string(r.Mode)
	}
	given := map[string]bool{}
	for _, h := range *f.headers {
		name, _, _ := strings.Cut(h, ":")
		given[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
	}
	var hs []string
	for _, name := range sortedKeys(r.Header) {
		if given[name] {
			continue
		}
		for _, v := range r.Header[name] {
			hs = append(hs, name+": "+v)
		}
	}
	*f.headers = append(hs, *f.headers...)
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// staticJar sends the copied request's cookies to its host, and to no
// other: the browser's jar would hold them for that site.
type staticJar struct {
	host    string
	cookies []*http.Cookie
}

func newStaticJar(rawURL, cookie string) (*staticJar, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	cs, err := http.ParseCookie(cookie)
	if err != nil {
		return nil, fmt.Errorf("the copied Cookie header %q: %w", cookie, err)
	}
	if len(cs) == 0 {
		return nil, errors.New("the copied Cookie header holds no cookie")
	}
	return &staticJar{host: strings.ToLower(u.Hostname()), cookies: cs}, nil
}

func (j *staticJar) SetCookies(*url.URL, []*http.Cookie) {}

func (j *staticJar) Cookies(u *url.URL) []*http.Cookie {
	if strings.ToLower(u.Hostname()) != j.host {
		return nil
	}
	return j.cookies
}
