// Package devtools reads what browser developer tools hand a developer:
// a request copied with "Copy as cURL" (bash and cmd flavours, Chromium's
// and Firefox's) or "Copy as fetch" (browser and Node.js), and HAR
// exports. Nothing is run or evaluated: a cURL line is split into words
// with a shell parser that refuses substitutions, and a fetch() call is
// read as the JavaScript literal DevTools writes.
package devtools
