// Package fetch models the client half of CORS: what a browser does with a
// cross-origin fetch() or XMLHttpRequest, from the WHATWG Fetch standard
// (https://fetch.spec.whatwg.org/), with Chromium 156's departures from it
// modelled where Chromium departs.
//
// The package answers, for a request a page would make:
//
//   - which request headers a script may set, which are CORS-safelisted and
//     whether a preflight is needed ([Engine.Classify]);
//   - the exact preflight a browser sends ([Plan.PreflightHeader]);
//   - whether the preflight response and the actual response pass, checked in
//     Chromium's order, and if not the DevTools CorsError name, the exact
//     console message, Firefox's reason and a fix ([Engine.CheckPreflight],
//     [Engine.CheckResponse], [Failure]);
//   - how redirects are followed ([Engine.Redirect]), how long a preflight is
//     cached ([PreflightCache]) and which response headers a script can read
//     ([ReadableHeaders]), also after a 304 revalidation ([Revalidated]);
//   - what is refused before anything is sent: a file: page fetching a
//     file: URL, and Chromium's Local Network Access ([Engine.CheckRequest]).
//
// [Client] puts these together over an [http.RoundTripper]: it sends the
// preflight and the actual request as a browser would, follows redirects
// itself, and returns every step in a [Result] that marshals to JSON.
//
// # Engines
//
// [Chromium] (the zero [Engine]) models Chromium 156, including where it
// departs from the standard:
//
//   - Access-Control-Allow-Headers: * without credentials covers
//     Authorization; the request passes with a deprecation warning. The
//     standard makes it a network error.
//   - More request headers are safelisted (intervention, save-data and
//     client hints such as dpr or device-memory).
//   - A preflight response is checked for Access-Control-Allow-Origin before
//     its status, so a 500 without the header reports the missing header.
//
// [Spec] follows the standard strictly. Console messages and error ids are
// Chromium's under both engines: the standard has none.
//
// Nothing here prints or logs; the package imports only the standard library
// and golang.org/x/net.
package fetch
