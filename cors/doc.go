// Package cors is a CORS policy engine and net/http middleware, exact to
// the WHATWG Fetch standard (https://fetch.spec.whatwg.org/#http-cors-protocol).
//
// A policy is a [Config]. [New] validates it in full and refuses, with an
// error naming every offending field and value, the policies that browsers
// would reject or that attackers could use: the null origin, "*" with
// credentials, unanchored or public-suffix wildcards, insecure origins with
// credentials, forbidden methods and header names. [Middleware.Wrap]
// applies the policy; [Middleware.Evaluate] reports the same decision
// without serving, for logs, tools and tests.
//
// Deployment rules:
//   - Put the middleware outside (before) authentication, rate limiting and
//     routing by method: preflights carry no credentials, and they MUST
//     reach the middleware.
//   - Apply CORS in exactly one layer. A gateway and an application that
//     both set Access-Control-Allow-Origin produce two values, which
//     browsers reject.
//   - CORS is not access control: the middleware never refuses an actual
//     request. It only tells browsers which pages may read the response.
//     A cross-origin form POST still runs the handler: set
//     [Config.ProtectWrites] to refuse unsafe methods from origins the
//     policy does not allow. WebSockets are not subject to CORS at all:
//     check their handshakes with [Middleware.CheckWebSocket].
//   - Caches and CDNs between the server and browsers MUST honour Vary.
//     The middleware sends Vary: Origin on every response whose CORS
//     headers depend on the Origin, CORS request or not.
//
// On the request path the middleware allocates at most one array per
// request (the values of the headers it sets), and nothing when it sets no
// header; hostile inputs (a huge Origin or Access-Control-Request-Headers)
// cost bounded work.
package cors
