package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/dist"
)

// onRanks runs f, a command's training, on the group of ranks the process
// was launched in (dist.Open): alone, f's error is the command's; on
// several ranks, f's context carries the group, ranks other than 0 log
// and report nothing (dist.LaunchedRank), and an error stops every rank
// (Abort) at once, so that none waits on a rank that has stopped.
func onRanks(cmd *cobra.Command, f func(ctx context.Context, log io.Writer) error) error {
	comm, err := dist.Open()
	if err != nil {
		return err
	}
	if comm.Size() == 1 {
		return f(cmd.Context(), cmd.ErrOrStderr())
	}
	log := cmd.ErrOrStderr()
	if comm.Rank() != 0 {
		log = io.Discard
	}
	err = f(dist.NewContext(cmd.Context(), comm), log)
	if err == nil {
		return comm.Close()
	}
	if comm.Rank() == 0 {
		fmt.Fprintln(os.Stderr, "nash:", err)
	}
	code := 1
	if errors.Is(err, context.Canceled) {
		code = 130
	}
	comm.Abort(code)
	return err
}
