package main

import (
	"bytes"
	"io"

	"github.com/spf13/cobra"
)

// execute runs cmd with args and returns its standard output; standard
// error, where progress and timings go, is discarded.
func execute(cmd *cobra.Command, args ...string) (string, error) {
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(io.Discard)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}
