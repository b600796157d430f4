// Package corserr holds the typed errors that [cors.New] and
// [cors.Validate] return for a policy that is refused or questionable.
//
// Most callers only print the joined error. This package is for those who
// need more: a policy file linter that points at the offending line, or a
// multi-tenant service that turns each problem into its own message.
//
// [cors.New]: https://pkg.go.dev/github.com/crossgate/crossgate/cors#New
// [cors.Validate]: https://pkg.go.dev/github.com/crossgate/crossgate/cors#Validate
package corserr

import (
	"errors"
	"fmt"
	"iter"
	"strconv"
)

// Reason classifies a problem.
type Reason string

// The reasons an error may carry.
const (
	// Missing: a required value is absent (Value is then "").
	Missing Reason = "missing"
	// Invalid: the value is not well formed (not a token, not an origin...).
	Invalid Reason = "invalid"
	// Prohibited: the value is well formed but unsafe or meaningless for
	// CORS (the null origin, a forbidden method or header name...).
	Prohibited Reason = "prohibited"
	// Incompatible: the value conflicts with another field (a wildcard
	// together with credentials...).
	Incompatible Reason = "incompatible"
	// Duplicate: the value appears twice in a list, or is already covered
	// by another entry of the list.
	Duplicate Reason = "duplicate"
	// Ineffective: the value is accepted but does not do what it seems to
	// (a max age above what browsers honour...). Only warnings carry it.
	Ineffective Reason = "ineffective"
)

// Error is one problem in a policy. It names the field, the position in the
// field's list (or -1 for a field that is not a list), the value as the user
// wrote it, and why it is refused.
type Error struct {
	Field  string // the Config field, such as "AllowOrigins"
	Index  int    // the position in Field's list, or -1
	Value  string
	Reason Reason
	Detail string // a sentence for people: why, and what to write instead
}

// Path returns the field and index, as in "AllowOrigins[2]".
func (e *Error) Path() string {
	if e.Index < 0 {
		return e.Field
	}
	return e.Field + "[" + strconv.Itoa(e.Index) + "]"
}

func (e *Error) Error() string {
	if e.Reason == Missing {
		return fmt.Sprintf("cors: %s: missing: %s", e.Path(), e.Detail)
	}
	if e.Detail == "" {
		return fmt.Sprintf("cors: %s: %s value %q", e.Path(), e.Reason, e.Value)
	}
	return fmt.Sprintf("cors: %s: %s value %q: %s", e.Path(), e.Reason, e.Value, e.Detail)
}

// All yields every *Error in err's tree, in order: err itself, or the
// errors joined by [errors.Join], at any depth.
func All(err error) iter.Seq[*Error] {
	return func(yield func(*Error) bool) {
		walk(err, yield)
	}
}

func walk(err error, yield func(*Error) bool) bool {
	if err == nil {
		return true
	}
	if e, ok := err.(*Error); ok {
		return yield(e)
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if !walk(e, yield) {
				return false
			}
		}
		return true
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), yield)
	}
	var e *Error
	if errors.As(err, &e) {
		return yield(e)
	}
	return true
}
