// Package clitest helps test crossgate's subcommands: it parses a command
// line through a command's constructor and hands back the options the run
// function would get.
package clitest

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/spf13/cobra"
)

// Parse runs the command that newCmd builds on args, with a run function
// that only records its options, and returns them with the command's
// error. Output is discarded. It fails t if the command succeeded without
// calling the run function.
func Parse[O any](t testing.TB, newCmd func(cmdutil.IO, func(context.Context, *O) error) *cobra.Command, args []string) (*O, error) {
	t.Helper()
	var got *O
	cmd := newCmd(cmdutil.IO{In: eofReader{}, Out: io.Discard, ErrOut: io.Discard}, func(_ context.Context, o *O) error {
		got = o
		return nil
	})
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	if err == nil && got == nil {
		t.Fatal("run function not called")
	}
	return got, err
}

// CheckErr fails t unless err is what the test wants: a usage error
// (*cmdutil.UsageError) when usage is set, any error when fail is set,
// and none otherwise. It reports whether err is nil, so that the test can
// go on to check the options.
func CheckErr(t testing.TB, err error, usage, fail bool) bool {
	t.Helper()
	var u *cmdutil.UsageError
	switch {
	case usage:
		if !errors.As(err, &u) {
			t.Fatalf("got error %v; want a usage error", err)
		}
	case fail:
		if err == nil {
			t.Fatal("got no error; want one")
		}
	case err != nil:
		t.Fatalf("got error %v; want none", err)
	}
	return err == nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
