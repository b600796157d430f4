package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// checkOrigin returns why o is not the origin of a page as the browser
// serializes it into Origin (HTML, "ASCII serialization of an origin":
// scheme "://" host [":" port], lower case, the scheme's default port
// left out), or nil. No page has any other, so a request from one could
// not be made. The rules are written here rather than taken from the
// server side's origin parser, so that the two halves share no code that
// could hide the same bug.
func checkOrigin(o string) error {
	scheme, rest, ok := strings.Cut(o, "://")
	switch {
	case o == "":
		return errors.New("empty origin")
	case strings.TrimSpace(o) != o:
		return errors.New("leading or trailing whitespace")
	case !ok || scheme == "":
		return errors.New("no scheme: an origin is scheme://host[:port]")
	case strings.ContainsAny(rest, "/?#"):
		i := strings.IndexAny(rest, "/?#")
		what := "a path"
		if rest[i:] == "/" {
			what = "a trailing slash"
		} else if rest[i] != '/' {
			what = "a query or fragment"
		}
		return fmt.Errorf("%s: an origin is scheme://host[:port] and nothing after (did you mean %q?)", what, scheme+"://"+rest[:i])
	case strings.Contains(rest, "@"):
		return errors.New("userinfo: an origin has no user name or password")
	case strings.Contains(rest, "*"):
		return errors.New("a wildcard: a page's origin is one scheme, host and port")
	case strings.ToLower(o) != o:
		return fmt.Errorf("upper case: browsers serialize origins in lower case (did you mean %q?)", strings.ToLower(o))
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return errors.New("malformed host or port")
	}
	if port := u.Port(); port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return fmt.Errorf("invalid port %q: want 1 to 65535", port)
		}
		if scheme == "http" && n == 80 || scheme == "https" && n == 443 {
			return fmt.Errorf("default port %d written out: browsers leave it out of Origin (did you mean %q?)", n, scheme+"://"+u.Host[:len(u.Host)-len(port)-1])
		}
	} else if strings.HasSuffix(rest, ":") {
		return errors.New("an empty port: leave the colon out")
	}
	if want := urlOrigin(u); want != o {
		return fmt.Errorf("not as a browser serializes it (did you mean %q?)", want)
	}
	return nil
}
