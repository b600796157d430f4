package export_test

import (
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// djangoApp is a one-file Django project: the export's settings,
// CorsMiddleware first, and one view that answers every path as the
// upstream answers it (less its Access-Control-* headers: an app that sets
// none), served by wsgiref.
const djangoApp = `
import sys, urllib.request, urllib.error
sys.path.insert(0, sys.argv[1])
host, port, upstream = sys.argv[2], int(sys.argv[3]), sys.argv[4]

import django
from django.conf import settings
import crossgate_cors_settings as cors

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    LOGGING_CONFIG=None,  # the upstream's 500s are not errors of this app
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["corsheaders"],
    MIDDLEWARE=["corsheaders.middleware.CorsMiddleware"],
    **{k: getattr(cors, k) for k in dir(cors) if k.startswith("CORS_")},
)
django.setup()

from django.http import HttpResponse
from django.urls import re_path

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None

opener = urllib.request.build_opener(NoRedirect)

def forward(request):
    headers = {k[5:].replace("_", "-"): v for k, v in request.META.items() if k.startswith("HTTP_") and k != "HTTP_HOST"}
    req = urllib.request.Request(upstream + request.get_full_path(), method=request.method, headers=headers)
    try:
        up = opener.open(req, timeout=5)
    except urllib.error.HTTPError as e:
        up = e
    resp = HttpResponse(up.read(), status=up.status if hasattr(up, "status") else up.code)
    for k, v in up.headers.items():
        if k.lower().startswith("access-control-") or k.lower() in ("content-length", "transfer-encoding", "connection", "date", "server", "vary"):
            continue
        resp[k] = v
    from django.utils.cache import patch_vary_headers
    if up.headers.get("Vary"):
        patch_vary_headers(resp, [v.strip() for v in up.headers.get("Vary").split(",")])
    return resp

urlpatterns = [re_path(r"", forward)]

from django.core.management import execute_from_command_line
from django.core.wsgi import get_wsgi_application
from django.core.management.base import SystemCheckError
from django.core import checks
errors = [e for e in checks.run_checks() if e.level >= checks.ERROR]
if errors:
    sys.exit("django checks: %s" % errors)
from wsgiref.simple_server import make_server, WSGIRequestHandler

class Quiet(WSGIRequestHandler):
    def log_message(self, *a):
        pass

make_server(host, port, get_wsgi_application(), handler_class=Quiet).serve_forever()
`

func startDjango(t *testing.T, pl *export.Plan, conf string) {
	py := pythonWith(t, "python3-django python3-django-cors-headers", "django", "corsheaders")
	startPython(t, py, pl, conf, "crossgate_cors_settings.py", djangoApp, "django.log")
}

// oneOnPath is a single policy on paths, with what django-cors-headers can
// say: a subdomain pattern, an any-port origin, credentials, a max age.
const oneOnPath = `policies:
  - name: app
    match: { paths: [/v1/, /api] }
    allow_origins: [https://app.example.com, "https://*.preview.example.com", "http://localhost:*"]
    allow_credentials: true
    allow_methods: [GET, POST, PUT, DELETE]
    allow_headers: [Content-Type, X-CSRF-Token]
    expose_headers: [X-Total-Count]
    max_age: 2h
`

// djangoAccepted are the approximations of django-cors-headers a page
// cannot see (see the caps).
var djangoAccepted = []string{"with 200 without Access-Control-Allow-Origin", "Vary: Origin on every response", "not normalised", "to refused origins too"}

func TestLiveDjango(t *testing.T) {
	tg, _ := export.Lookup("django")
	t.Run("public-api.yaml", func(t *testing.T) {
		runBrowser(t, "../../examples/public-api.yaml", nil, tg, startDjango, djangoAccepted, djangoAudit)
	})
	t.Run("one-on-path", func(t *testing.T) {
		runBrowser(t, "one-on-path.yaml", []byte(oneOnPath), tg, startDjango, djangoAccepted, djangoAudit)
	})
}

// djangoAudit are the audit findings that follow from the approximations
// of django-cors-headers: none (Vary: Origin on every response, the full
// method list on every preflight), so the test fails on any finding
// crossgate proxy does not have.
var djangoAudit []exporttest.Allowance
