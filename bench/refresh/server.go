package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/topicfeed/topicfeed/internal/loopfeed"
)

// The feed server runs in a child process (this program with -serve), so
// the parent's CPU time and peak memory are the refresher's alone.

// serve listens on 127.0.0.2 … 127.0.0.9 (or 127.0.0.1 alone when those
// cannot be bound), prints one "addr http://IP:PORT" line per listener and
// then "ready", and serves /feed/I until killed.
func serve(feeds, items, itemSize int) error {
	h := loopfeed.NewHandler(loopfeed.Feeds(feeds, items, itemSize))
	lns, err := loopfeed.Listen(func(s string) { fmt.Fprintln(os.Stderr, s) })
	if err != nil {
		return err
	}
	addrs, _ := loopfeed.Serve(lns, h)
	for _, a := range addrs {
		fmt.Printf("addr %s\n", a)
	}
	fmt.Println("ready")
	select {}
}

// startServer runs this program as the feed server and returns its base
// URLs and a function that stops it.
func startServer(feeds, items, itemSize int) ([]string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self, "-serve", "-feeds", strconv.Itoa(feeds), "-items", strconv.Itoa(items),
		"-item-size", strconv.Itoa(itemSize))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { cmd.Process.Kill(); cmd.Wait() }
	var addrs []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if a, ok := strings.CutPrefix(line, "addr "); ok {
			addrs = append(addrs, a)
		}
		if line == "ready" {
			return addrs, stop, nil
		}
	}
	stop()
	return nil, nil, fmt.Errorf("feed server exited before it was ready")
}
