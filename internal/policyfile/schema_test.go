package policyfile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var updateSchema = flag.Bool("update", false, "rewrite schema/crossgate.schema.json")

const schemaFile = "../../schema/crossgate.schema.json"

// The schema's tables hold exactly the keys the decoder knows.
func TestSchema_keys(t *testing.T) {
	for _, tt := range []struct {
		name    string
		table   []schemaKey
		decoder []string
	}{
		{"top level", topSchema, topKeys},
		{"policies[]", policySchema, policyKeys},
		{"match", matchSchema, matchKeys},
		{"proxy", proxySchema, proxyKeys},
	} {
		var keys []string
		for _, k := range tt.table {
			keys = append(keys, k.key)
		}
		if !slices.Equal(keys, tt.decoder) {
			t.Errorf("%s: the schema has the keys\n\t%q\nthe decoder\n\t%q\n(update the tables in schema.go)", tt.name, keys, tt.decoder)
		}
	}
}

// schema/crossgate.schema.json is what JSONSchema generates. After
// changing a key: go test ./internal/policyfile -run Schema -update
func TestSchema_published(t *testing.T) {
	want := JSONSchema()
	if *updateSchema {
		if err := os.WriteFile(schemaFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is out of date: go test ./internal/policyfile -run Schema -update", schemaFile)
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlValue decodes a YAML document into the values JSON Schema knows.
func yamlValue(t *testing.T, src string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(src), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

const modeline = "# yaml-language-server: $schema=../schema/crossgate.schema.json\n"

// Every example carries the modeline and validates against the schema.
func TestSchema_examples(t *testing.T) {
	s := compileSchema(t)
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(src), modeline) {
			t.Errorf("%s: the first line is not %q", f, strings.TrimSpace(modeline))
		}
		if err := s.Validate(yamlValue(t, string(src))); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A file that uses every key validates against the schema and passes
// lint: the schema is no stricter than the decoder.
const everyKey = `policies:
  - name: app
    match: { hosts: [api.example.com, "*.example.org", "[::1]"], paths: [/v1/, /] }
    allow_origins: [https://app.example.com, "https://*.example.net", "http://localhost:*"]
    allow_credentials: true
    allow_methods: [PUT, PATCH]
    allow_headers: [Content-Type]
    expose_headers: [X-Total-Count]
    max_age: 1h30m
    allow_private_network: true
    preflight_status: 200
    dangerously_allow_public_suffix_patterns: false
    dangerously_allow_insecure_origins_with_credentials: false
    upstream: http://127.0.0.1:9000/base
    keep_upstream_cors: true
    protect_writes: true
    websocket_allow_no_origin: true
  - name: public
    allow_origins: ["*"]
    max_age: 0
  - name: nocache
    match: { paths: [/nocache/] }
    allow_origins: ["*"]
    max_age: "0"
    upstream: echo
proxy:
  listen: 127.0.0.1:8080
  upstream: https://backend.internal
  admin_listen: "off"
  read_header_timeout: 10s
  idle_timeout: 2m
  upstream_timeout: 30s
  shutdown_timeout: 1.5s
  max_header_bytes: 65536
  tls_cert: cert.pem
  tls_key: key.pem
  log_format: text
  access_log: false
`

func TestSchema_everyKey(t *testing.T) {
	if err := compileSchema(t).Validate(yamlValue(t, everyKey)); err != nil {
		t.Errorf("schema: %v", err)
	}
	if _, err := Parse("every-key.yaml", []byte(everyKey)); err != nil {
		t.Errorf("lint: %v", err)
	}
	var keys []string
	for _, tab := range [][]schemaKey{topSchema, policySchema, matchSchema, proxySchema} {
		for _, k := range tab {
			if !strings.Contains(everyKey, k.key+":") {
				keys = append(keys, k.key)
			}
		}
	}
	if keys != nil {
		t.Errorf("everyKey lacks %q", keys)
	}
}

// Mistakes an editor should flag as they are typed; lint refuses each too.
func TestSchema_refuses(t *testing.T) {
	s := compileSchema(t)
	const ok = "policies:\n  - name: app\n    allow_origins: [https://app.example.com]\n"
	for name, src := range map[string]string{
		"no policies":          "proxy: {listen: 127.0.0.1:8080}\n",
		"unknown key":          ok + "    allow_origin: [https://x.example]\n",
		"unknown top key":      ok + "policy: []\n",
		"no name":              "policies:\n  - allow_origins: [https://app.example.com]\n",
		"no origins":           "policies:\n  - name: app\n",
		"empty name":           "policies:\n  - name: ''\n    allow_origins: [https://app.example.com]\n",
		"bool as string":       ok + "    allow_credentials: \"yes\"\n",
		"origins not a list":   "policies:\n  - name: app\n    allow_origins: https://app.example.com\n",
		"max_age as seconds":   ok + "    max_age: 600\n",
		"max_age not duration": ok + "    max_age: ten minutes\n",
		"max_age negative":     ok + "    max_age: -1m\n",
		"preflight_status 302": ok + "    preflight_status: 302\n",
		"path without slash":   ok + "    match: {paths: [api]}\n",
		"host with port":       ok + "    match: {hosts: [\"api.example.com:8080\"]}\n",
		"empty hosts":          ok + "    match: {hosts: []}\n",
		"unknown match key":    ok + "    match: {methods: [GET]}\n",
		"upstream not a URL":   ok + "    upstream: backend:9000\n",
		"upstream with query":  ok + "    upstream: http://backend/?a=1\n",
		"log format":           ok + "proxy: {log_format: xml}\n",
		"timeout as number":    ok + "proxy: {idle_timeout: 30}\n",
		"cert without key":     ok + "proxy: {tls_cert: cert.pem}\n",
		"max_header_bytes 0":   ok + "proxy: {max_header_bytes: 0}\n",
	} {
		if err := s.Validate(yamlValue(t, src)); err == nil {
			t.Errorf("%s: the schema accepts\n%s", name, src)
		}
		if _, err := Parse(name+".yaml", []byte(src)); err == nil {
			t.Errorf("%s: lint accepts\n%s", name, src)
		}
	}
	if err := s.Validate(yamlValue(t, ok)); err != nil {
		t.Errorf("the minimal file: %v", err)
	}
}
