package export_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
)

// nodeModules returns the node_modules directory that holds express and
// cors (.ci/run installs them with npm install --prefix DIR and sets
// CROSSGATE_NODE_MODULES=DIR/node_modules), or skips t; under
// CROSSGATE_E2E=1 a missing one fails t.
func nodeModules(t *testing.T, pkgs ...string) string {
	t.Helper()
	exporttest.Binary(t, "node", "nodejs")
	dir := os.Getenv("CROSSGATE_NODE_MODULES")
	missing := ""
	if dir == "" {
		missing = "CROSSGATE_NODE_MODULES is not set"
	} else {
		for _, p := range pkgs {
			if _, err := os.Stat(filepath.Join(dir, p, "package.json")); err != nil {
				missing = p + " is not in " + dir
			}
		}
	}
	if missing != "" {
		msg := missing + " (npm install --prefix DIR " + strings.Join(pkgs, " ") + ", then CROSSGATE_NODE_MODULES=DIR/node_modules)"
		if os.Getenv("CROSSGATE_E2E") == "1" {
			t.Fatal(msg + "; CROSSGATE_E2E=1 requires it")
		}
		t.Skip(msg)
	}
	return dir
}

// expressApp is the app under test: the export mounted first, then a
// handler that answers as the upstream does (its status, body and headers,
// less its own Access-Control-* ones: an app that sets none), with the
// upstream's Vary added to what cors set.
const expressApp = `'use strict';
const express = require('express');
const http = require('http');
const net = require('net');
const [conf, host, port, upstream] = process.argv.slice(2);
const app = express();
const crossgate = require(conf);
crossgate(app);
app.use((req, res) => {
  const u = new URL(upstream);
  const headers = Object.assign({}, req.headers);
  delete headers.connection; delete headers.upgrade; // the upstream speaks no WebSocket
  const out = http.request({ host: u.hostname, port: u.port, method: req.method, path: req.originalUrl, headers }, (up) => {
    for (const [k, v] of Object.entries(up.headers)) {
      if (k.startsWith('access-control-')) continue;
      if (k === 'vary') { res.vary(v); continue; }
      res.setHeader(k, v);
    }
    res.status(up.statusCode);
    up.pipe(res);
  });
  out.on('error', () => res.status(502).end());
  req.pipe(out);
});
const server = app.listen(Number(port), host);
// Handshakes come as 'upgrade' events, not through the middleware: the
// module's checkWebSocket refuses those crossgate refuses; the others are
// answered by the app like any request (the upstream speaks no WebSocket).
server.on('upgrade', (req, socket, head) => {
  if (!crossgate.checkWebSocket(req)) {
    // Refused: the module's middleware answers, as for any request.
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    res.on('finish', () => socket.end());
    app(req, res);
    return;
  }
  // Allowed: tunnel the handshake to the upstream, as a WebSocket
  // server behind the app would take it.
  const u = new URL(upstream);
  const up = net.connect(Number(u.port), u.hostname, () => {
    let head0 = req.method + ' ' + req.url + ' HTTP/1.1\r\n';
    for (let i = 0; i < req.rawHeaders.length; i += 2) head0 += req.rawHeaders[i] + ': ' + req.rawHeaders[i + 1] + '\r\n';
    up.write(head0 + '\r\n');
    if (head && head.length) up.write(head);
    up.pipe(socket);
    socket.pipe(up);
  });
  up.on('error', () => socket.destroy());
  socket.on('error', () => up.destroy());
});
`

func startExpress(t *testing.T, pl *export.Plan, conf string) {
	mods := nodeModules(t, "express", "cors")
	dir := t.TempDir()
	// The module's file name, as its Use comment says.
	mod := filepath.Join(dir, "crossgate-cors.js")
	src, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mod, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("node", "--check", mod).CombinedOutput(); err != nil {
		t.Fatalf("node --check: %v\n%s", err, out)
	}
	app := filepath.Join(dir, "app.js")
	if err := os.WriteFile(app, []byte(expressApp), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(pl.Listen, ":")
	cmd := exec.Command("node", app, mod, host, port, pl.Upstream)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	exporttest.Process(t, cmd, filepath.Join(dir, "node.log"))
	exporttest.WaitListening(t, pl.Listen)
}

// TestLiveExpress runs every example through Express and the npm cors
// package and requires what crossgate proxy answers, case by case.
// The app forwards the raw path (Express does not normalise it), so the
// path the upstream got is not compared; the policy is chosen on the
// normalised path, which the battery's path cases check.
func TestLiveExpress(t *testing.T) {
	tg, _ := export.Lookup("express")
	// And the live tests' feature file: "*" everywhere, private network,
	// a preflight status, both origin wildcards. (keep.yaml is about an
	// upstream's own CORS headers; the app is the origin.)
	for _, file := range append(examples(t), "testdata/live/features.yaml") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			res := exporttest.Run(t, file, tg, startExpress, exporttest.Options{IgnorePath: true})
			exporttest.AuditExport(t, file, res)
		})
	}
}

// wsNoOrigin lets WebSocket handshakes without Origin through, which the
// examples do not.
const wsNoOrigin = `policies:
  - name: ws
    match: { paths: [/ws] }
    allow_origins: [https://app.example.com]
    websocket_allow_no_origin: true
    protect_writes: true
`

func TestLiveExpressWebSocketNoOrigin(t *testing.T) {
	tg, _ := export.Lookup("express")
	file := filepath.Join(t.TempDir(), "ws.yaml")
	if err := os.WriteFile(file, []byte(wsNoOrigin), 0o644); err != nil {
		t.Fatal(err)
	}
	res := exporttest.Run(t, file, tg, startExpress, exporttest.Options{IgnorePath: true})
	exporttest.AuditExport(t, file, res)
}
