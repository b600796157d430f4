package export_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// debianPython is the interpreter with Debian's python3-flask-cors and
// python3-django-cors-headers; the python3 first on PATH may be another
// one (pyenv) without them.
const debianPython = "/usr/bin/python3"

// pythonWith returns debianPython if it can import every module, or skips
// t (fails it under CROSSGATE_E2E=1).
func pythonWith(t *testing.T, pkg string, modules ...string) string {
	t.Helper()
	code := "import " + strings.Join(modules, ", ")
	if out, err := exec.Command(debianPython, "-c", code).CombinedOutput(); err != nil {
		msg := debianPython + " cannot " + code + " (Debian: apt-get install -y " + pkg + "): " + strings.TrimSpace(string(out))
		if os.Getenv("CROSSGATE_E2E") == "1" {
			t.Fatal(msg + "; CROSSGATE_E2E=1 requires it")
		}
		t.Skip(msg)
	}
	return debianPython
}

// flaskApp is the app under test: the export applied, and every path
// answered as the upstream answers it (status, body, headers less its
// Access-Control-* ones: an app that sets none). OPTIONS is left to
// Flask's automatic answer, as in an app whose views do not list it.
const flaskApp = `
import sys, urllib.request, urllib.error
from flask import Flask, request, Response
sys.path.insert(0, sys.argv[1])
from crossgate_cors import init_cors

host, port, upstream = sys.argv[2], int(sys.argv[3]), sys.argv[4]
app = Flask(__name__)
init_cors(app)

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

opener = urllib.request.build_opener(NoRedirect)

@app.route("/", defaults={"path": ""}, methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
@app.route("/<path:path>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def forward(path):
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
    # The target as received (Werkzeug decodes PATH_INFO).
    target = request.environ.get("REQUEST_URI") or request.environ.get("RAW_URI") or request.full_path
    req = urllib.request.Request(upstream + target, method=request.method, headers=headers)
    try:
        up = opener.open(req, timeout=5)
    except urllib.error.HTTPError as e:
        up = e
    resp = Response(up.read(), status=up.status if hasattr(up, "status") else up.code)
    for k, v in up.headers.items():
        if k.lower().startswith("access-control-") or k.lower() in ("content-length", "transfer-encoding", "connection", "date", "server"):
            continue
        resp.headers.add(k, v)
    return resp

app.run(host=host, port=port)
`

func startFlask(t *testing.T, pl *export.Plan, conf string) {
	py := pythonWith(t, "python3-flask python3-flask-cors", "flask", "flask_cors")
	startPython(t, py, pl, conf, "crossgate_cors.py", flaskApp, "flask.log")
}

// startPython runs app (a script taking the directory, host, port and
// upstream as arguments) with py, beside the export conf saved as module
// (compiled first, so that a syntax error in the export is named as such),
// and waits until it listens on pl.Listen.
func startPython(t *testing.T, py string, pl *export.Plan, conf, module, app, logName string) {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, module), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, "-m", "py_compile", filepath.Join(dir, module)).CombinedOutput(); err != nil {
		t.Fatalf("py_compile: %v\n%s", err, out)
	}
	script := filepath.Join(dir, "app.py")
	if err := os.WriteFile(script, []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(pl.Listen, ":")
	exporttest.Process(t, exec.Command(py, script, dir, host, port, pl.Upstream), filepath.Join(dir, logName))
	exporttest.WaitListening(t, pl.Listen)
}

// pathOnly is a policy file without hosts, whose routing Flask-CORS and
// django-cors-headers can say: per-path policies, a subdomain pattern, an
// any-port origin, credentials, max_age 0 and absent.
const pathOnly = `policies:
  - name: app
    match: { paths: [/v1/] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com", "http://localhost:*"]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, X-CSRF-Token]
    expose_headers: [X-Total-Count]
    max_age: 2h
  - name: admin
    match: { paths: [/v1/admin] }
    allow_origins: [https://admin.example.com]
    allow_credentials: true
    allow_methods: [GET, DELETE]
    allow_headers: [Authorization]
    max_age: 0
  - name: public
    match: { paths: [/public/] }
    allow_origins: ["*"]
    expose_headers: [Link]
`

// flaskAccepted are the approximations of Flask-CORS a page cannot see:
// refused preflights answered 200 without Access-Control-Allow-Origin, no
// Vary where the answer does not vary for the page, the path matched as
// Werkzeug gives it (the battery's dot-segment paths still agree, as the
// resources regexes refuse what crossgate would not match).
var flaskAccepted = []string{"answers a refused preflight with 200", "Vary: Origin only", "Werkzeug"}

func TestLiveFlask(t *testing.T) {
	tg, _ := export.Lookup("flask")
	t.Run("public-api.yaml", func(t *testing.T) {
		runBrowser(t, "../../examples/public-api.yaml", nil, tg, startFlask, flaskAccepted, flaskAudit)
	})
	t.Run("path-only", func(t *testing.T) {
		runBrowser(t, "path-only.yaml", []byte(pathOnly), tg, startFlask, flaskAccepted, flaskAudit)
	})
}

// flaskAudit are the audit findings that follow from Flask-CORS's
// approximations, through which no page gets anything the policy does not
// give it (the test fails on any other finding).
var flaskAudit = []exporttest.Allowance{{
	// Preflight answers differ by Access-Control-Request-Method (the
	// refused one has no Access-Control-Allow-Methods) and Flask-CORS
	// names neither request header in Vary: only a cache told to store
	// OPTIONS could mix them up (RFC 9110 §9.3.7), and the browser's
	// preflight cache keys by method and header anyway.
	Name:        "preflights without Vary on Access-Control-Request-Method or -Headers",
	Limit:       "preflights no Vary on Access-Control-Request-Method",
	Class:       audit.VaryPreflightMissing,
	Kind:        audit.Preflight,
	MaxSeverity: audit.Info,
}, {
	// A refused origin's answer has no Vary: Origin: a shared cache may
	// serve it to an allowed origin, whose page then fails (availability,
	// not a read: the stored answer carries no CORS headers).
	Name:        "no Vary: Origin on the answer to a refused origin",
	Limit:       "refused origins and requests without Origin get none",
	Class:       audit.VaryOriginPartial,
	Kind:        audit.Simple,
	MaxSeverity: audit.Low,
}}
