// Command boardshot saves a screenshot of a page of a running nash board,
// for the README:
//
//	nash board --runs DIR &
//	go run ./scripts/boardshot -url http://127.0.0.1:6006/run/NAME -out board.png
//
// It needs Debian's chromium.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:6006/", "page to capture")
	out := flag.String("out", "board.png", "PNG to write")
	width := flag.Int("width", 1280, "window width")
	height := flag.Int("height", 1200, "window height")
	wait := flag.Duration("wait", 3*time.Second, "time the page gets to draw")
	flag.Parse()
	if err := shoot(*url, *out, *width, *height, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "boardshot:", err)
		os.Exit(1)
	}
}

func shoot(url, out string, width, height int, wait time.Duration) error {
	dir, err := os.MkdirTemp("", "boardshot")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath("chromium"), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(dir), chromedp.WindowSize(width, height))
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return err
	}
	time.Sleep(wait)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return err
	}
	return os.WriteFile(out, png, 0o644)
}
