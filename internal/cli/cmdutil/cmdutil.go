// Package cmdutil holds what crossgate's subcommands share: their IO and
// the errors that carry an exit code.
package cmdutil

import (
	"fmt"
	"io"
	"strings"

	"github.com/crossgate/crossgate/internal/httplex"

	"github.com/spf13/cobra"
)

// The exit codes of every crossgate command.
const (
	ExitOK = 0
	// ExitFail: the command ran and its answer is negative (an invalid
	// policy file for lint, a refused request for explain).
	ExitFail = 1
	// ExitUsage: the command could not run as asked (bad flags or
	// arguments, an unreadable file).
	ExitUsage = 2
)

// IO is where a command reads and writes. Results go to Out, errors and
// diagnostics about the command itself to ErrOut.
type IO struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// ExitError ends a command with Code. Err, when not nil, is printed to
// ErrOut; a nil Err means the command has already said why.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is a mistake in the command line. The command exits with
// ExitUsage after printing the error and a pointer to --help.
type UsageError struct {
	Err error
}

func (e *UsageError) Error() string { return e.Err.Error() }

func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a *UsageError with the formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// ExactArgs is cobra.ExactArgs with a usage error that says what the
// arguments are.
func ExactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return Usagef("missing %s", what)
		case len(args) > n:
			return Usagef("too many arguments: want %s, got %q", what, args)
		}
		return nil
	}
}

// ParseHeader parses the value of a header flag, "Name: value": a header
// name (a token), a colon, and a value whose surrounding whitespace is
// dropped. A value with a control character (RFC 9110 §5.5) is refused: it
// cannot be sent. Errors name the flag and are usage errors.
func ParseHeader(flag, s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", Usagef("invalid %s %q: want 'Name: value'", flag, s)
	}
	if !httplex.IsToken(name) {
		return "", "", Usagef("invalid %s %q: %q is not a header name", flag, s, name)
	}
	value = httplex.TrimOWS(value)
	if strings.ContainsFunc(value, IsControl) {
		return "", "", Usagef("invalid %s %q: the value holds a control character, which cannot be sent", flag, s)
	}
	return name, value, nil
}

// IsControl reports whether r may not appear in a header value (RFC 9110
// §5.5): a control character other than HTAB.
func IsControl(r rune) bool {
	return r < 0x20 && r != '\t' || r == 0x7f
}
