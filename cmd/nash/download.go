package main

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nash-gan/nash/data"
)

func newDownload() *cobra.Command {
	var out, mirror string
	cmd := &cobra.Command{
		Use:   "download DATASET [--out DIR]",
		Short: "Download a dataset's published files, checked against their SHA-256: " + strings.Join(data.ReleaseNames(), ", "),
		Long: `Download the published files of DATASET into --out (by default a folder named after it), each checked
for its size and SHA-256 before it is kept, so the folder never holds a partial or altered file; files already
there with the right checksum are kept and not fetched again, and a file there that differs stops the download
(remove it first). --mirror fetches the same file names from another URL. Then train with --data DIR.
MNIST needs no download: it is built into nash.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, ok := data.Releases[args[0]]
			if !ok {
				return fmt.Errorf("download: unknown dataset %q (nash downloads %s; mnist is built in)", args[0], strings.Join(data.ReleaseNames(), ", "))
			}
			if out == "" {
				out = r.Name
			}
			client := &http.Client{Timeout: 30 * time.Minute}
			if _, err := data.Download(cmd.Context(), client, r, out, mirror, cmd.OutOrStdout()); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is in %s: nash train --dataset %s --data %s\n", r.Name, out, r.Name, out)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "folder for the files (default: the dataset's name)")
	cmd.Flags().StringVar(&mirror, "mirror", "", "URL of a folder holding the same files (default: the dataset's official one)")
	return cmd
}
