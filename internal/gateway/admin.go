package gateway

import (
	"cmp"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The admin page, on admin_listen only: what the gateway is doing, read
// only. Every value on it is shown as text (html/template on the server,
// textContent in the script), never as markup: origins, hosts and paths
// come from whoever sends requests.

//go:embed admin/*
var adminFiles embed.FS

var adminTemplate = template.Must(template.ParseFS(adminFiles, "admin/page.html"))

// adminPage is the state the admin page shows beyond the gateway's own:
// the last reload.
type adminPage struct {
	mu     sync.Mutex
	last   ReloadStatus
	config string // the policy file, absolute when it can be
}

// ReloadStatus is the outcome of the last load of the policy file.
type ReloadStatus struct {
	Time   time.Time `json:"time"`
	Cause  string    `json:"cause"`  // "start", "signal" or "file change"
	Result string    `json:"result"` // "ok" or "refused"
	Error  string    `json:"error,omitempty"`
}

// noteReload records the outcome of a load of the policy file.
func (p *adminPage) noteReload(cause string, err error) {
	st := ReloadStatus{Time: time.Now().UTC(), Cause: cause, Result: "ok"}
	if err != nil {
		// A hostile file can have thousands of problems: the page shows
		// the first 64 KiB of them.
		st.Result, st.Error = "refused", clip(err.Error(), 64<<10)
	}
	p.mu.Lock()
	p.last = st
	p.mu.Unlock()
}

func (p *adminPage) lastReload() ReloadStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last
}

// AdminState is what the admin page shows, and what GET
// /admin/state.json returns.
type AdminState struct {
	Config     string           `json:"config"`
	LastReload ReloadStatus     `json:"last_reload"`
	Policies   []AdminPolicy    `json:"policies"`
	Counters   []PolicyCounters `json:"counters"`
	Refusals   []AdminRefusal   `json:"refusals"` // the most recent first, at most RingSize
}

// AdminPolicy is a policy in force.
type AdminPolicy struct {
	Name        string   `json:"name"`
	Hosts       []string `json:"hosts"` // empty: any host
	Paths       []string `json:"paths"` // empty: any path
	Origins     []string `json:"origins"`
	Credentials bool     `json:"credentials"`
	Upstream    string   `json:"upstream"` // its password, if any, redacted
}

// PolicyCounters are the requests a policy answered since the start
// (since the policy appeared, for one a reload added).
type PolicyCounters struct {
	Policy     string            `json:"policy"` // "" for the requests no policy matched
	Allowed    uint64            `json:"allowed"`
	Refused    uint64            `json:"refused"`
	Preflights uint64            `json:"preflights"`
	Rejections map[string]uint64 `json:"rejections"` // by reason
}

// AdminRefusal is a refused request with the command line that explains
// it.
type AdminRefusal struct {
	Refusal
	URL     string `json:"url"`
	Explain string `json:"explain"` // a shell command line
}

// mountAdmin adds the admin page to the admin mux. Only GET (and so HEAD)
// is served: nothing on the page can change the gateway.
func (s *Server) mountAdmin(mux *http.ServeMux) {
	s.page.config = s.opts.ConfigPath
	if abs, err := filepath.Abs(s.opts.ConfigPath); err == nil {
		s.page.config = abs
	}
	mux.HandleFunc("GET /admin", s.servePage)
	mux.HandleFunc("GET /admin/state.json", s.serveState)
	mux.HandleFunc("GET /admin/admin.js", serveAsset("admin/admin.js", "text/javascript; charset=utf-8"))
	mux.HandleFunc("GET /admin/admin.css", serveAsset("admin/admin.css", "text/css; charset=utf-8"))
}

// adminHeaders are set on every admin response: no framing, no caching,
// scripts and styles from the admin listener only, nothing inline.
func adminHeaders(h http.Header, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func serveAsset(name, contentType string) http.HandlerFunc {
	b, err := adminFiles.ReadFile(name)
	if err != nil {
		panic(err) // embedded above
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		adminHeaders(w.Header(), contentType)
		w.Write(b)
	}
}

func (s *Server) servePage(w http.ResponseWriter, _ *http.Request) {
	adminHeaders(w.Header(), "text/html; charset=utf-8")
	adminTemplate.Execute(w, s.AdminState())
}

func (s *Server) serveState(w http.ResponseWriter, _ *http.Request) {
	adminHeaders(w.Header(), "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(s.AdminState())
}

// AdminState returns what the admin page shows now.
func (s *Server) AdminState() AdminState {
	cur := s.gw.cur.Load()
	st := AdminState{Config: s.page.config, LastReload: s.page.lastReload()}
	for _, p := range cur.file.Policies {
		ap := AdminPolicy{
			Name:        p.Name,
			Hosts:       nonNil(p.Hosts),
			Paths:       nonNil(p.Paths),
			Origins:     nonNil(p.Config.AllowOrigins),
			Credentials: p.Config.AllowCredentials,
		}
		if rt := cur.routes[p]; rt != nil {
			ap.Upstream = redact(rt.upstream)
		}
		st.Policies = append(st.Policies, ap)
	}
	st.Counters = countersByPolicy(s.reg)
	for _, rf := range s.gw.recent.recent(0) {
		u := rf.Scheme + "://" + rf.Host + rf.Path
		st.Refusals = append(st.Refusals, AdminRefusal{Refusal: rf, URL: u, Explain: explainCommand(st.Config, rf, u)})
	}
	if st.Refusals == nil {
		st.Refusals = []AdminRefusal{}
	}
	return st
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// redact hides the password of an upstream URL.
func redact(upstream string) string {
	u, err := url.Parse(upstream)
	if err != nil || u.User == nil {
		return upstream
	}
	return u.Redacted()
}

// countersByPolicy sums the gateway's request counters by policy.
func countersByPolicy(g prometheus.Gatherer) []PolicyCounters {
	mfs, err := g.Gather()
	if err != nil && mfs == nil {
		return []PolicyCounters{}
	}
	by := make(map[string]*PolicyCounters)
	get := func(m *dto.Metric) (*PolicyCounters, map[string]string) {
		labels := make(map[string]string, len(m.GetLabel()))
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		pc := by[labels["policy"]]
		if pc == nil {
			pc = &PolicyCounters{Policy: labels["policy"], Rejections: map[string]uint64{}}
			by[pc.Policy] = pc
		}
		return pc, labels
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			n := uint64(m.GetCounter().GetValue())
			switch mf.GetName() {
			case "crossgate_requests_total":
				pc, l := get(m)
				if l["decision"] == "allowed" {
					pc.Allowed += n
				} else {
					pc.Refused += n
				}
			case "crossgate_preflights_total":
				pc, _ := get(m)
				pc.Preflights += n
			case "crossgate_cors_rejections_total":
				pc, l := get(m)
				if n > 0 {
					pc.Rejections[l["reason"]] += n
				}
			}
		}
	}
	out := make([]PolicyCounters, 0, len(by))
	for _, pc := range by {
		out = append(out, *pc)
	}
	slices.SortFunc(out, func(a, b PolicyCounters) int { return cmp.Compare(a.Policy, b.Policy) })
	return out
}

// explainCommand returns the `crossgate explain` command line that
// reproduces the refusal: the same method, origin, URL and, for a
// preflight, the same Access-Control-Request-* headers as received.
func explainCommand(config string, rf Refusal, u string) string {
	args := []string{"crossgate", "explain", "--config", config}
	if rf.Method != http.MethodGet {
		args = append(args, "--method", rf.Method)
	}
	args = append(args, "--origin", rf.Origin)
	if rf.ACRM != "" {
		args = append(args, "--header", "Access-Control-Request-Method: "+rf.ACRM)
	}
	if rf.ACRH != "" {
		args = append(args, "--header", "Access-Control-Request-Headers: "+rf.ACRH)
	}
	args = append(args, u)
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell: as is when it holds only
// characters no shell reads specially, in single quotes otherwise, and
// in bash's $'...' with \xNN escapes when it holds control characters or
// bytes that are not UTF-8 (which a terminal would not show as they are).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@%+,") == "" {
		return s
	}
	plain := utf8.ValidString(s)
	for _, c := range []byte(s) {
		if c < 0x20 || c == 0x7f {
			plain = false
		}
	}
	if plain {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for _, c := range []byte(s) {
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
