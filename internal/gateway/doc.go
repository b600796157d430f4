// Package gateway is crossgate's CORS gateway: a reverse proxy
// (httputil.ReverseProxy) that applies a policy file's CORS policies, so
// that CORS is handled in exactly one layer.
//
// For each request, [Gateway] finds the policy that matches the request's
// host and normalised path ([policyfile.File.Route]) and:
//   - answers a preflight itself, with the policy's decision, and never
//     forwards it (one that no policy matches gets 403 and no CORS header);
//   - forwards any other request to the policy's upstream, or the default
//     one, with the path the policy was matched on ("/api/../admin" is
//     matched and forwarded as "/admin"), X-Forwarded-For (the client's
//     address; the client's own value is dropped), X-Forwarded-Host and
//     X-Forwarded-Proto, and hop-by-hop headers removed as httputil does;
//     bodies are streamed both ways;
//   - removes the upstream's Access-Control-* response headers (unless the
//     policy sets keep_upstream_cors: then a response that has any keeps
//     them all instead of the policy's), sets the policy's CORS headers on
//     every response, the upstream's errors and the gateway's own 502 and
//     504 included, and adds the policy's Vary elements to the upstream's;
//   - gives the requests that no policy matches no CORS header at all.
//
// The upstream "echo" is built in: it answers every request with a JSON
// description of what it received ([Echo]).
//
// [Server] runs a Gateway: its listener (HTTP/1.1, or HTTPS with HTTP/2),
// the admin listener (/metrics, /healthz, /readyz), reloads of the policy
// file on demand and on change (a file that fails validation is refused,
// with its diagnostics logged, and the policies in force stay; requests in
// flight finish under the policies they started with), and graceful
// shutdown. Access logs are structured (log/slog, JSON or text); metrics
// are listed at [NewMetrics].
package gateway
