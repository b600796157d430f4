// Package audit probes URLs for the CORS misconfigurations an attacker's
// page can use, and grades each finding by what that page can read, per
// the browser model of package fetch: a read with the user's cookies
// (high) beats a read without (medium), which beats no read at all.
//
// # Probes
//
// For each target, origins are derived from its host and its registrable
// domain (golang.org/x/net/publicsuffix): reflection of a foreign origin,
// null, post-domain and pre-domain matches on both names (with and without
// a dot), substrings, each dot unescaped, special characters after the
// host (literal and percent-encoded), public hosting sites, names that
// start with localhost under the attacker's domain (on the target's scheme
// and on http://), any subdomain, the http:// twin of an https:// target
// and another port. Each origin is tried on a simple GET and on the
// preflight of a JSON PUT, exactly as the fetch model builds it, in a
// thorough audit ([Options.Thorough], and always in conformance mode).
// Then: a
// Private Network Access preflight (Access-Control-Request-Private-Network:
// true) from the attacker's origin, CR/LF in Origin and in
// Access-Control-Request-Headers, a request without Origin, a made-up
// method and header on preflights from a trusted origin, and a URL that
// answers with an error. Preflights from one origin that get different
// answers show whether the answer depends on the Access-Control-Request-*
// headers. There is no baseline request that could stop the audit.
//
// By default the audit is adaptive (adaptive.go says how): a first round
// shows the server's origin logic, and the rest of the battery is sent
// only where an answer could hide a finding. Over the project's lab it
// finds the classes of the thorough battery, at the same severities, with
// a fifth of the requests.
//
// Probes use GET and OPTIONS only, never a body, and follow redirects only
// within the target's origin. Of each response, at most Chromium's 256 KiB
// of header is read and 64 lines of it kept (bound.go); the body is
// discarded.
//
// # Classes
//
// A finding's class is a stable kebab-case id:
//
//	origin-reflected             high / medium   any origin is allowed (reflected)
//	null-origin                  high / medium   the null origin is allowed
//	post-domain                  high / medium   https://host.evil.example, https://hostevil.example
//	pre-domain                   high / medium   https://evilhost, https://evildomain
//	substring                    high / medium   origins contained in an allowed origin
//	unescaped-dot                high / medium   https://wwwxexample.com
//	special-char                 high / medium   https://host_.evil.example, https://host`.evil.example, ...
//	third-party-origin           high / medium   codepen, jsfiddle, github.io, S3, netlify, vercel ...
//	localhost-prefix             high / medium   https://localhost.crossgate-audit.evil.example, and on http://
//	any-subdomain                medium / low    https://evil.host
//	insecure-origin              medium / low    http:// trusted by https://
//	any-port                     medium / low    https://host:1337
//	wildcard-origin              low (medium on internal targets: loopback, private, localhost, or Options.Exposure)
//	wildcard-credentials         low             "*" with credentials: browsers refuse it
//	invalid-allow-origin         low             a malformed or repeated Access-Control-Allow-Origin
//	crlf-injection               medium          CR/LF written into the response headers
//	crlf-allowed-origin          medium          <allowed origin>%0d%0aX-...: decoded and written into the response headers
//	vary-origin-missing          low             a reflected Access-Control-Allow-Origin without Vary: Origin
//	vary-origin-partial          low             Vary: Origin on allowed responses only, not on refused or no-Origin ones
//	vary-preflight-missing       info            a preflight answer that depends on Access-Control-Request-*, no Vary naming them
//	allow-origin-without-origin  info            Access-Control-Allow-Origin on a request without Origin
//	wildcard-without-origin      low             "*" and no Vary: Origin without Origin, while requests with one are checked
//	preflight-any-method         low             Access-Control-Request-Method echoed
//	preflight-any-header         low             Access-Control-Request-Headers echoed
//	private-network-allowed      low (medium on internal targets, as wildcard-origin)
//	                                             Access-Control-Allow-Private-Network: true for a foreign origin
//	preflight-redirected         info            preflights answered with a redirect
//	preflight-auth-required      info            preflights answered with 401 or 407
//	preflight-failed             info            preflights that allow the origin but fail on their status
//	cors-missing-on-error        info            error responses without CORS headers
//	policy-allowed-refused       low             conformance: the policy allows it, the browser refuses
//	policy-exceeded              medium / low    conformance: the browser allows more than the policy
//
// Where a class has two severities, the first is for a credentialed read
// (or a preflight that lets credentialed requests through), the second for
// an uncredentialed one. private-network-allowed is low although it opens
// a private network to a public page: Chromium 156 no longer sends
// Access-Control-Request-Private-Network (Local Network Access, which
// replaced Private Network Access, asks the user instead), so only older
// browsers honour the answer. vary-preflight-missing is info: responses to
// OPTIONS are not cacheable (RFC 9110, section 9.3.7), so only a cache
// configured to store them anyway serves one preflight's answer to another
// request. When a foreign origin is reflected, the narrower
// origin classes it implies are not reported. Each finding lists, besides
// its probe origin, the other origins of its class that got through.
//
// # Conformance
//
// With a policy file, each probe's response is compared with what the
// policy's own middleware ([cors.Middleware.Evaluate]) would answer, both
// graded by the fetch model: a probe the browser allows beyond the policy
// is a finding (with its class, or policy-exceeded), and every origin,
// method and header the policy allows is probed and must work.
//
// It comes with no API stability promise.
package audit
