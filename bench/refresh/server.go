package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/internal/synth"
)

// The feed server runs in a child process (this program with -serve), so
// the parent's CPU time and peak memory are the refresher's alone.

// serve listens on 127.0.0.2 … 127.0.0.9 (or 127.0.0.1 alone when those
// cannot be bound), prints one "addr http://IP:PORT" line per listener and
// then "ready", and serves /feed/I until killed.
func serve(feeds, items int) error {
	bodies := makeFeeds(feeds, items)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/feed/"))
		if err != nil || i < 0 || i >= len(bodies) {
			http.NotFound(w, r)
			return
		}
		etag := fmt.Sprintf(`"f%d-v1"`, i)
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(bodies[i])))
		w.Write(bodies[i])
	})
	lns := listenAll()
	for _, ln := range lns {
		fmt.Printf("addr http://%s\n", ln.Addr())
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
	}
	fmt.Println("ready")
	select {}
}

// listenAll binds one listener per loopback address, so the refresher's
// per-host limit applies as it would across eight real sites.
func listenAll() []net.Listener {
	var lns []net.Listener
	for i := 2; i <= 9; i++ {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.%d:0", i))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			fmt.Fprintf(os.Stderr, "cannot bind 127.0.0.%d (%v); serving every feed from 127.0.0.1\n", i, err)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			return []net.Listener{ln}
		}
		lns = append(lns, ln)
	}
	return lns
}

// startServer runs this program as the feed server and returns its base
// URLs and a function that stops it.
func startServer(feeds, items int) ([]string, func(), error) {
	self, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(self, "-serve", "-feeds", strconv.Itoa(feeds), "-items", strconv.Itoa(items))
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

// makeFeeds renders every feed once, in parallel, before any is served.
func makeFeeds(feeds, items int) [][]byte {
	bodies := make([][]byte, feeds)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				bodies[i] = makeFeed(i, items)
			}
		})
	}
	for i := range feeds {
		next <- i
	}
	close(next)
	wg.Wait()
	return bodies
}

// vocabulary mixes made-up words (so no two articles share much text and
// dedup keeps them apart) with a few real ones the topics match.
var vocabulary = append(synth.Words(1, 2, 8000), "harbour", "election", "council", "railway", "drought", "minister")

// makeFeed renders feed i: an RSS 2.0 document of items articles, each
// 1–3 KB of HTML paragraphs with a guid, link, date and category.
func makeFeed(i, items int) []byte {
	r := rand.New(rand.NewPCG(uint64(i), 99))
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench feed %d</title><link>https://site%d.example/</link>
<description>Synthetic feed %d</description>
`, i, i, i)
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for j := range items {
		fmt.Fprintf(&b, "<item><guid isPermaLink=\"false\">bench-%d-%d</guid><title>%s</title>"+
			"<link>https://site%d.example/story/%d</link><pubDate>%s</pubDate><category>%s</category>"+
			"<description><![CDATA[%s]]></description></item>\n",
			i, j, sentence(r, 6+r.IntN(6)), i, j, base.Add(time.Duration(i*items+j)*time.Minute).Format(time.RFC1123Z),
			vocabulary[r.IntN(len(vocabulary))], article(r, 1000+r.IntN(2000)))
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// article is about size bytes of <p> paragraphs, one with a link.
func article(r *rand.Rand, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString("<p>")
		for range 3 + r.IntN(4) {
			b.WriteString(sentence(r, 8+r.IntN(12)))
			b.WriteString(". ")
		}
		if r.IntN(3) == 0 {
			fmt.Fprintf(&b, `<a href="/related/%d">%s</a>.`, r.IntN(1e6), sentence(r, 3))
		}
		b.WriteString("</p>\n")
	}
	return b.String()
}
