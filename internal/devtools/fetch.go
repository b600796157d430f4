package devtools

import "errors"

// ParseFetch reads a "Copy as fetch" call.
func ParseFetch(s string) (*Copied, error) { return nil, errors.New("not yet") }
