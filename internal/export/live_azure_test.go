package export_test

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/fetch"
	"github.com/crossgate/crossgate/internal/audit"
	"github.com/crossgate/crossgate/internal/export"
	"github.com/crossgate/crossgate/internal/export/exporttest"
	"github.com/crossgate/crossgate/internal/gateway"
	"github.com/crossgate/crossgate/internal/policyfile"
)

// azuriteSetup applies the export's rules to Azurite's Blob service with
// Set Blob Service Properties (through @azure/storage-blob, which signs
// the request with the emulator's well-known account key), and creates a
// public container with one blob.
const azuriteSetup = `'use strict';
const fs = require('fs');
const { BlobServiceClient } = require('@azure/storage-blob');
const [file, port] = process.argv.slice(2);
const conn = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'BlobEndpoint=http://127.0.0.1:' + port + '/devstoreaccount1;';
const rules = JSON.parse(fs.readFileSync(file, 'utf8')).properties.cors.corsRules;
(async () => {
  const svc = BlobServiceClient.fromConnectionString(conn);
  await svc.setProperties({
    cors: rules.map((r) => ({
      allowedOrigins: r.allowedOrigins.join(','),
      allowedMethods: r.allowedMethods.join(','),
      allowedHeaders: r.allowedHeaders.join(','),
      exposedHeaders: r.exposedHeaders.join(','),
      maxAgeInSeconds: r.maxAgeInSeconds,
    })),
  });
  const c = svc.getContainerClient('crossgate');
  await c.create({ access: 'blob' });
  const body = 'hello';
  await c.getBlockBlobClient('blob').upload(body, body.length, {
    metadata: {}, blobHTTPHeaders: { blobContentType: 'text/plain' },
  });
})().catch((e) => { console.error(e); process.exit(1); });
`

// oneBucketPolicy is what a Blob service can say exactly but for Vary:
// listed and subdomain origins with credentials, methods Azure knows,
// headers, an exposed header Azure's responses carry, a max age.
const oneBucketPolicy = `policies:
  - name: assets
    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
    allow_credentials: true
    allow_methods: [GET, PUT, DELETE]
    allow_headers: [Content-Type, X-Ms-Meta-Name]
    expose_headers: [Content-Length, ETag]
    max_age: 10m
`

// TestLiveAzureBlob applies the azure-blob export to Azurite (npm) and
// sends the battery's origins, as simple requests and as preflights, to a
// blob and to crossgate proxy on the same policy: a page must see the
// same. Azurite is the emulator, not Azure (export-targets.md lists where
// it departs from the documentation); the attacks it would let through
// would be bugs of the export as much as of the emulator.
func TestLiveAzureBlob(t *testing.T) {
	mods := nodeModules(t, "azurite", "@azure/storage-blob")
	f, err := policyfile.Parse("assets.yaml", []byte(oneBucketPolicy))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := export.NewPlan(f, export.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := export.Lookup("azure-blob")
	for _, d := range export.Check(pl, tg.Caps) {
		if !strings.Contains(d.Limit, "Vary") {
			t.Fatalf("difference not accepted: %v", d)
		}
	}
	var buf bytes.Buffer
	if err := tg.Render(pl, &buf); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "cors.json")
	if err := os.WriteFile(conf, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	port := exporttest.FreePort(t)
	exporttest.Process(t, exec.Command(filepath.Join(mods, ".bin", "azurite-blob"),
		"--blobHost", "127.0.0.1", "--blobPort", port, "--location", filepath.Join(dir, "data"), "--silent", "--skipApiVersionCheck"),
		filepath.Join(dir, "azurite.log"))
	// Azurite takes seconds to start on a busy machine: wait longer than
	// exporttest.WaitListening does.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Azurite does not listen on %s after 60 s: %v", port, err)
		}
	}
	setup := filepath.Join(dir, "setup.js")
	if err := os.WriteFile(setup, []byte(azuriteSetup), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", setup, conf, port)
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("setting the CORS rules on Azurite: %v\n%s", err, out)
	}

	up := exporttest.NewUpstream(t)
	gw, err := gateway.New(f, gateway.Resolve(f.Proxy, gateway.Overrides{Upstream: up.URL}), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	gsrv := httptest.NewServer(gw)
	t.Cleanup(gsrv.Close)
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	p := pl.Policies[0]
	host := "127.0.0.1:" + port
	target := "/devstoreaccount1/crossgate/blob"
	var cases []exporttest.Case
	origins := append(exporttest.AllowedOrigins(p), exporttest.Attacks(p)...)
	for _, o := range origins {
		_, err := fetch.Chromium.Classify(fetch.Request{Method: "GET", URL: "http://" + host + target, Origin: o})
		if strings.ToLower(o) != o || o != "null" && err != nil {
			// No page has it: browsers serialise origins in lower case,
			// and never with a path. Azurite departs from Azure's
			// documentation on both (it compares case-insensitively, and
			// its "*" spans "/": export-targets.md).
			continue
		}
		cases = append(cases, exporttest.Case{ID: "get-" + o, Name: "GET from " + o, Method: "GET", Host: host, Target: target, Origin: o})
		for _, pf := range []struct {
			method string
			header string
		}{{"PUT", "Content-Type"}, {"DELETE", ""}, {"PATCH", ""}, {"PUT", "X-Not-Allowed"}} {
			r := &fetch.Request{Method: pf.method, URL: "http://" + host + target, Origin: o, Credentials: fetch.Include, Header: http.Header{}}
			if pf.header != "" {
				r.Header.Set(pf.header, "v")
			}
			if _, err := fetch.Chromium.Classify(*r); err != nil {
				continue // not an origin a page can have
			}
			cases = append(cases, exporttest.Case{ID: "pf-" + pf.method + pf.header + o, Name: "preflight " + pf.method + " " + pf.header + " from " + o,
				Method: "OPTIONS", Host: host, Target: target, Origin: o, Preflight: r})
		}
	}
	cases = append(cases, exporttest.Case{ID: "no-origin", Name: "no Origin", Method: "GET", Host: host, Target: target})
	for _, c := range cases {
		want, err := exporttest.Send(client, gsrv.URL, "gw-", c)
		if err != nil {
			t.Fatalf("gateway: %s: %v", c.Name, err)
		}
		got, err := exporttest.Send(client, "http://"+host, "az-", c)
		if err != nil {
			t.Fatalf("azurite: %s: %v", c.Name, err)
		}
		// What a page sees: the verdicts, and for a passing GET the
		// exposed headers (the upstream's and the blob's differ, so
		// compare the verdicts and the cache time only).
		if passes(got.Omit) != passes(want.Omit) || passes(got.Include) != passes(want.Include) ||
			(c.Preflight != nil && got.MaxAge != want.MaxAge) {
			t.Errorf("%s:\n  azurite: %s\n  crossgate proxy: %s", c.Name, got, want)
		}
		if len(got.Duplicates) > 0 {
			t.Errorf("%s: duplicate headers %v", c.Name, got.Duplicates)
		}
	}
	if len(cases) < 20 {
		t.Fatalf("only %d cases", len(cases))
	}
	// crossgate audit --policy on the blob and on crossgate proxy: the
	// same URL (less its port), Azurite's path-style one.
	gaddr := strings.TrimPrefix(gsrv.URL, "http://")
	_, gport, _ := net.SplitHostPort(gaddr)
	exporttest.AuditCompare(t, f,
		exporttest.Audited{Addr: host, URLs: []string{"http://" + host + target}},
		exporttest.Audited{Addr: gaddr, URLs: []string{"http://127.0.0.1:" + gport + target}},
		exporttest.Allowances(t, tg, pl, azureAudit))
	if t.Failed() {
		t.Logf("export:\n%s", buf.String())
	}
}

// azureAudit are the audit findings that follow from the Blob service's
// Vary approximation (the test fails on any other finding): both are
// about caches, and the answers a cache could mix up carry either the
// allowed origin's own grant or no CORS header at all.
var azureAudit = []exporttest.Allowance{{
	// Preflights for PUT and DELETE get Access-Control-Allow-Methods: PUT
	// and DELETE (the method asked) and no Vary: only a cache told to
	// store OPTIONS could mix them up (RFC 9110 §9.3.7), and the
	// browser's preflight cache keys by method anyway.
	Name:        "preflights without Vary",
	Limit:       "none on preflights",
	Class:       audit.VaryPreflightMissing,
	Kind:        audit.Preflight,
	MaxSeverity: audit.Info,
}, {
	// The answer to a request without Origin has no Vary: Origin: a
	// shared cache may serve it to an allowed origin, whose page then
	// fails (availability, not a read).
	Name:        "no Vary: Origin on the answer to a request without Origin",
	Limit:       "none to requests without Origin",
	Class:       audit.VaryOriginPartial,
	Kind:        audit.NoOrigin,
	MaxSeverity: audit.Low,
}}
