package exportcheck

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// The Any types an export holds, registered so that protojson can
	// resolve their @type and the walk can unpack them.
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Envoy checks an Envoy bootstrap (YAML or JSON) as strictly as the Go
// types allow: protojson refuses unknown fields and unresolvable @types,
// the whole bootstrap passes its protoc-gen-validate rules, and so does
// every message packed in an Any (Bootstrap.ValidateAll does not look
// inside typed_config or typed_per_filter_config: export-targets.md, Envoy).
// Every safe_regex is compiled with Go's regexp (RE2 syntax, as Envoy's
// default engine), which protoc-gen-validate does not do, and the origin
// matchers of every CorsPolicy are checked for the traps Envoy's filter has:
// an empty exact match, and any matcher that accepts the string "*", which
// Envoy reads as "allow every origin" (scanners-gateways.md §4.2).
func Envoy(src []byte) error {
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		return fmt.Errorf("envoy: not YAML: %w", err)
	}
	var b bootstrapv3.Bootstrap
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, &b); err != nil {
		return fmt.Errorf("envoy: bootstrap: %w", err)
	}
	if err := b.ValidateAll(); err != nil {
		return fmt.Errorf("envoy: bootstrap: %w", err)
	}
	w := &envoyWalk{}
	w.walk(b.ProtoReflect(), "bootstrap")
	return errors.Join(w.errs...)
}

type envoyWalk struct {
	errs []error
	// Cors counts the CorsPolicy messages seen, so a test can require
	// that the walk reached them.
	cors int
}

func (w *envoyWalk) errorf(format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("envoy: "+format, args...))
}

// walk visits every message under m, unpacking Any's.
func (w *envoyWalk) walk(m protoreflect.Message, path string) {
	switch msg := m.Interface().(type) {
	case *anypb.Any:
		inner, err := msg.UnmarshalNew()
		if err != nil {
			w.errorf("%s: %v", path, err)
			return
		}
		if v, ok := inner.(interface{ ValidateAll() error }); ok {
			if err := v.ValidateAll(); err != nil {
				w.errorf("%s (%s): %v", path, msg.GetTypeUrl(), err)
			}
		}
		w.walk(inner.ProtoReflect(), path+"<"+string(inner.ProtoReflect().Descriptor().FullName())+">")
		return
	case *matcherv3.RegexMatcher:
		if _, err := regexp.Compile(msg.GetRegex()); err != nil {
			w.errorf("%s.regex %q: %v", path, msg.GetRegex(), err)
		}
	case *corsv3.CorsPolicy:
		w.cors++
		w.checkCors(msg, path)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := path + "." + string(fd.Name())
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				w.walk(l.Get(i).Message(), fmt.Sprintf("%s[%d]", name, i))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				w.walk(mv.Message(), fmt.Sprintf("%s[%q]", name, k.String()))
				return true
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			w.walk(v.Message(), name)
		}
		return true
	})
}

// checkCors refuses the origin matchers that do not mean what they seem.
func (w *envoyWalk) checkCors(c *corsv3.CorsPolicy, path string) {
	for i, sm := range c.GetAllowOriginStringMatch() {
		p := fmt.Sprintf("%s.allow_origin_string_match[%d]", path, i)
		if x, ok := sm.GetMatchPattern().(*matcherv3.StringMatcher_Exact); ok && x.Exact == "" {
			w.errorf("%s: exact \"\" (passes validation, matches no browser origin)", p)
		}
		// A matcher that accepts "*" allows every origin. Said on purpose
		// (exact "*", a "*" policy) it is the approximation of "*" the
		// caps name; with credentials, or by accident in a regex, it is
		// reflect-any.
		if m, err := stringMatches(sm, "*"); err == nil && m {
			switch {
			case c.GetAllowCredentials().GetValue():
				w.errorf("%s: matches the string \"*\", which Envoy's CORS filter reads as any origin, with allow_credentials", p)
			case sm.GetExact() != "*":
				w.errorf("%s: matches the string \"*\", which Envoy's CORS filter reads as any origin", p)
			}
		}
		if sm.GetSafeRegex() == nil && sm.GetExact() == "" {
			// prefix, suffix and contains are plain string operations:
			// prefix "https://a.com" allows https://a.com.evil.net.
			w.errorf("%s: %T is not anchored; use exact or safe_regex", p, sm.GetMatchPattern())
		}
	}
	if c.GetMaxAge() != "" && strings.Trim(c.GetMaxAge(), "0123456789") != "" {
		w.errorf("%s.max_age %q: not a number of seconds", path, c.GetMaxAge())
	}
}

// stringMatches applies sm to s as Envoy's StringMatcher does (safe_regex
// is a full match).
func stringMatches(sm *matcherv3.StringMatcher, s string) (bool, error) {
	fold := func(x string) string {
		if sm.GetIgnoreCase() {
			return strings.ToLower(x)
		}
		return x
	}
	switch m := sm.GetMatchPattern().(type) {
	case *matcherv3.StringMatcher_Exact:
		return fold(m.Exact) == fold(s), nil
	case *matcherv3.StringMatcher_Prefix:
		return strings.HasPrefix(fold(s), fold(m.Prefix)), nil
	case *matcherv3.StringMatcher_Suffix:
		return strings.HasSuffix(fold(s), fold(m.Suffix)), nil
	case *matcherv3.StringMatcher_Contains:
		return strings.Contains(fold(s), fold(m.Contains)), nil
	case *matcherv3.StringMatcher_SafeRegex:
		re, err := regexp.Compile("^(?:" + m.SafeRegex.GetRegex() + ")$")
		if err != nil {
			return false, err
		}
		return re.MatchString(s), nil
	}
	return false, fmt.Errorf("unknown matcher %T", sm.GetMatchPattern())
}

// EnvoyOriginAllowed reports whether the CorsPolicy c allows origin, as
// Envoy's filter decides (cors_filter.cc: a matcher that matches the
// origin, or the string "*").
func EnvoyOriginAllowed(c *corsv3.CorsPolicy, origin string) bool {
	for _, sm := range c.GetAllowOriginStringMatch() {
		if ok, _ := stringMatches(sm, origin); ok {
			return true
		}
		if ok, _ := stringMatches(sm, "*"); ok {
			return true
		}
	}
	return false
}

// EnvoyCorsPolicies returns the CorsPolicy messages of a bootstrap, by the
// path of the Any that holds them.
func EnvoyCorsPolicies(src []byte) (map[string]*corsv3.CorsPolicy, error) {
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		return nil, err
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &b); err != nil {
		return nil, err
	}
	out := make(map[string]*corsv3.CorsPolicy)
	var visit func(m protoreflect.Message, path string)
	visit = func(m protoreflect.Message, path string) {
		if a, ok := m.Interface().(*anypb.Any); ok {
			inner, err := a.UnmarshalNew()
			if err != nil {
				return
			}
			if c, ok := inner.(*corsv3.CorsPolicy); ok {
				out[path] = proto.Clone(c).(*corsv3.CorsPolicy)
			}
			m = inner.ProtoReflect()
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			name := path + "." + string(fd.Name())
			switch {
			case fd.IsList() && fd.Message() != nil:
				for i := 0; i < v.List().Len(); i++ {
					visit(v.List().Get(i).Message(), fmt.Sprintf("%s[%d]", name, i))
				}
			case fd.IsMap() && fd.MapValue().Message() != nil:
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					visit(mv.Message(), fmt.Sprintf("%s[%q]", name, k.String()))
					return true
				})
			case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
				visit(v.Message(), name)
			}
			return true
		})
	}
	visit(b.ProtoReflect(), "bootstrap")
	return out, nil
}
