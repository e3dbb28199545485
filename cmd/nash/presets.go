package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/train"
)

func newPresets() *cobra.Command {
	return &cobra.Command{
		Use:   "presets",
		Short: "List the named configurations of nash train --preset, with the flags each stands for",
		Long: `List the named configurations of nash train --preset NAME: each is a set of flags, applied under
--config and the flags given on the command line, which override it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var b strings.Builder
			for _, p := range train.Presets {
				flags := p.Flags()
				if flags == "" {
					flags = "(no flags: the defaults)"
				}
				fmt.Fprintf(&b, "%-22s %s\n%22s %s\n", p.Name, p.Help, "", flags)
			}
			_, err := io.WriteString(cmd.OutOrStdout(), b.String())
			return err
		},
	}
}
