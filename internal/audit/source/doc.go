// Package source turns what a reviewer has into audit targets: an OpenAPI
// 3.0 or 3.1 document (YAML or JSON) and a HAR file recorded by a
// browser. Each target carries the requests the real client sends to it,
// so that the audit's preflights ask for the methods and headers a page
// really uses, and (from a HAR) the origins it sends them from.
//
// It comes with no API stability promise.
package source
