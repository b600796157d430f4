// Package policyfile reads crossgate's YAML policy file: a list of named CORS
// policies, each with the requests it applies to.
//
// Decoding is strict. Unknown keys, values of the wrong type, duplicate keys,
// YAML aliases and merge keys, and a second YAML document are errors. Every
// problem is reported at once, each as a [Diagnostic] that names the file,
// the line and column, and the key path (policies[1].allow_origins[0]).
// Each policy is then checked by [cors.Validate], and its problems are
// reported against the YAML key or list element they come from.
//
// The file's shape:
//
//	policies:
//	  - name: app                 # required, unique
//	    match:                    # optional: which requests the policy is for
//	      hosts: [api.example.com, "*.api.example.com"]
//	      paths: [/api/]
//	    allow_origins: [https://app.example.com, "https://*.preview.example.com"]
//	    allow_credentials: true
//	    allow_methods: [GET, POST, PUT, PATCH, DELETE]
//	    allow_headers: [Authorization, Content-Type]
//	    expose_headers: [X-Total-Count]
//	    max_age: 2h               # a Go duration; 0 sends Access-Control-Max-Age: 0
//	    allow_private_network: false
//	    preflight_status: 204
//	    dangerously_allow_public_suffix_patterns: false
//	    dangerously_allow_insecure_origins_with_credentials: false
//	    upstream: http://127.0.0.1:9000   # crossgate proxy: this policy's upstream
//	    keep_upstream_cors: false         # crossgate proxy: keep the upstream's Access-Control-* headers
//	    protect_writes: false             # 403 for unsafe methods from origins not allowed (cross-origin writes)
//	    websocket_allow_no_origin: false  # crossgate proxy: WebSocket handshakes without Origin (non-browser clients) may connect
//	proxy:                        # optional: how crossgate proxy serves the file
//	  listen: 127.0.0.1:8080      # host:port
//	  upstream: echo              # the default upstream: "echo" (built in) or an http(s) URL
//	  admin_listen: 127.0.0.1:9090  # /metrics, /healthz, /readyz; "off" for none
//	  read_header_timeout: 10s
//	  read_timeout: 60s           # to read a whole request, its body included
//	  idle_timeout: 2m
//	  upstream_timeout: 30s       # to connect to the upstream and get its response header
//	  shutdown_timeout: 30s       # to drain the requests in flight
//	  max_header_bytes: 1048576
//	  tls_cert: cert.pem          # both or neither; relative to the policy file
//	  tls_key: key.pem
//	  log_format: json            # or text
//	  access_log: true
//
// Every key of the proxy section is optional; [Proxy] holds what the file
// sets, and the gateway fills in its defaults. A gateway matches requests
// with [File.Route], which also returns the normalised path to forward.
//
// It comes with no API stability promise.
package policyfile
