package publish_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

const chromiumPath = "/usr/bin/chromium"

// chromium runs headless Chromium on url with extra flags and returns
// its stdout. Every network feature that would reach beyond loopback is off.
func chromium(t *testing.T, url string, flags ...string) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium not found (apt-get install chromium; .ci/run installs it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir()}, flags...)
	out, err := exec.CommandContext(ctx, chromiumPath, append(args, url)...).Output()
	if err != nil {
		t.Fatalf("chromium %s: %v", url, err)
	}
	return string(out)
}

// visible is the text a person sees: the DOM's text outside head,
// script and style, whitespace collapsed, plus every link's href.
func visible(t *testing.T, dom string) (text string, hrefs []string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(dom))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "head" || n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data + " ")
		}
		if n.Type == html.ElementNode && n.Data == "a" {
			for _, a := range n.Attr {
				if a.Key == "href" {
					hrefs = append(hrefs, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return strings.Join(strings.Fields(b.String()), " "), hrefs
}

// TestBrowserPages renders the pages in headless Chromium and checks what
// a person sees: topic titles, items, and the subscribe links.
func TestBrowserPages(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium not found (apt-get install chromium; .ci/run installs it)")
	}
	f := newFixture(t)
	activity(t, f)
	// The base URL must be known before the handler exists: start after.
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	srv.Config.Handler = publish.NewPublisher(f.db, f.topics, publish.Options{BaseURL: base, Sources: admin{f.db}}).Handler()
	srv.Start()
	defer srv.Close()
	tests := []struct {
		name, path string
		text       []string
		links      []string
	}{
		{"index", "/", []string{"Topics", "Harbour news", "Ships, berths & ferries", "Everything", "2 items", "8 items", "RSS Atom JSON Feed"},
			[]string{"/topics/harbour", "/topics/harbour.rss", "/topics/harbour.atom", "/topics/harbour.json", "/topics.opml"}},
		{"topic", "/topics/harbour", []string{"Harbour news", "Subscribe: RSS Atom JSON Feed", "Harbour Terminal Approved",
			"20 May 2026 · dawn", "Port Pilot Boat Launched", "wires"},
			[]string{"/topics/harbour.rss", "/topics/harbour.atom", "/topics/harbour.json", "https://news.example.org/d1"}},
		{"sources", "/sources", []string{"Sources", "dawn ok · HTTP 200", "orbit", "5 in 14 days",
			"wires failing ×2 · HTTP 503", "503 Service Unavailable"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, hrefs := visible(t, chromium(t, srv.URL+tc.path, "--dump-dom"))
			for _, want := range tc.text {
				if !strings.Contains(text, want) {
					t.Errorf("page does not show %q; it shows:\n%s", want, text)
				}
			}
			all := strings.Join(hrefs, " ")
			for _, want := range tc.links {
				if !strings.Contains(" "+all+" ", " "+strings.Replace(want, "/", srv.URL+"/", 1)+" ") && !strings.Contains(" "+all+" ", " "+want+" ") {
					t.Errorf("no link to %s among %v", want, hrefs)
				}
			}
		})
	}
	if dir := os.Getenv("TOPICFEED_SCREENSHOTS"); dir != "" {
		screenshots(t, srv.URL, dir)
	}
}

// TestBrowserConsole drives the console in headless Chromium as an editor
// does: signs in, types a rule into the playground, sees the results
// follow, saves, and sees the topic feed change; then checks that no page
// scrolls sideways at phone and desktop widths. The Chromium command line
// has no way to type, so a small same-origin probe page (served beside
// the publisher, never by it) does the typing and clicking in an iframe
// and writes what it saw into its own DOM for --dump-dom.
func TestBrowserConsole(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium not found (apt-get install chromium; .ci/run installs it)")
	}
	c := newConsole(t)
	mux := http.NewServeMux()
	mux.Handle("/", c.srv.Config.Handler)
	mux.HandleFunc("GET /probe/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><body><pre id=out></pre><script>const token=%q;\n%s</script></body></html>",
			consoleToken, probes[r.PathValue("name")])
	})
	c.srv.Config.Handler = mux

	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Port Pilot Boat Launched" {
		t.Fatalf("feed before: %s", got)
	}
	out, _ := visible(t, chromium(t, c.srv.URL+"/probe/playground", "--virtual-time-budget=30000", "--dump-dom"))
	for _, want := range []string{"typed: 2 items match · 1 to add, 1 to drop", "saved: Saved. The topic feed uses this rule now",
		"feed: Harbour Terminal Approved | Heatwave Grips the Valley"} {
		if !strings.Contains(out, want) {
			t.Errorf("playground in Chromium: no %q in:\n%s", want, out)
		}
	}
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("feed after saving in the browser: %s", got)
	}

	out, _ = visible(t, chromium(t, c.srv.URL+"/probe/widths", "--virtual-time-budget=30000", "--dump-dom"))
	for _, path := range []string{"/", "/topics/harbour", "/sources", "/admin", "/admin/playground?topic=harbour"} {
		for _, width := range []string{"390", "1280"} {
			if want := "fits " + width + " " + path + " "; !strings.Contains(out+" ", want) {
				t.Errorf("%s at %spx scrolls sideways or was not checked; probe says:\n%s", path, width, out)
			}
		}
	}
	if dir := os.Getenv("TOPICFEED_SCREENSHOTS"); dir != "" {
		for name, page := range map[string]string{"console": "/admin", "playground": "/admin/playground?topic=harbour&rule=heatwave+OR+harbour",
			"playground-error": "/admin/playground?topic=harbour&rule=harbour+AND+(port", "topic-editor": "/topics/harbour",
			"explain": "/admin/items/1?topic=harbour"} {
			for size, wh := range map[string]string{"phone": "390,844", "wide": "1280,900"} {
				file, _ := filepath.Abs(filepath.Join(dir, name+"-"+size+".png"))
				chromium(t, c.srv.URL+"/probe/go#"+page, "--hide-scrollbars", "--window-size="+wh,
					"--virtual-time-budget=10000", "--screenshot="+file)
			}
		}
	}
}

// probes are the scripts of the probe pages. Each signs in first with a
// same-origin form post, as the sign-in page does. Waits are bounded.
var probes = map[string]string{
	"playground": probeCommon + `
(async () => {
  await signIn();
  const f = await load("/admin/playground?topic=harbour");
  const d = f.contentDocument;
  d.getElementById("rule").value = "heatwave OR harbour";
  d.getElementById("rule").dispatchEvent(new Event("input", {bubbles: true}));
  let summary = "";
  for (let i = 0; i < 100 && !summary.includes("to add"); i++) {
    await sleep(100);
    summary = d.getElementById("summary") ? d.getElementById("summary").textContent : "";
  }
  say("typed: " + summary.replace(/\s+/g, " "));
  const loaded = new Promise(r => f.addEventListener("load", r, {once: true}));
  f.contentDocument.getElementById("save-button").click();
  await loaded;
  const notice = f.contentDocument.querySelector(".notice");
  say("saved: " + (notice ? notice.textContent.replace(/\s+/g, " ") : "no notice"));
  const feed = await (await fetch("/topics/harbour.json")).json();
  say("feed: " + feed.items.map(i => i.title).join(" | "));
})().catch(e => say("error: " + e));`,
	"widths": probeCommon + `
(async () => {
  await signIn();
  for (const path of ["/", "/topics/harbour", "/sources", "/admin", "/admin/playground?topic=harbour"]) {
    for (const w of [390, 1280]) {
      const f = await load(path, w);
      const win = f.contentWindow;
      const sw = win.document.documentElement.scrollWidth;
      say((sw <= win.innerWidth ? "fits " : "scrolls ") + w + " " + path + " (scrollWidth " + sw + ", innerWidth " + win.innerWidth + ")");
      f.remove();
    }
  }
})().catch(e => say("error: " + e));`,
	"go": probeCommon + `
(async () => { await signIn(); location.replace(location.hash.slice(1)); })();`,
}

const probeCommon = `
const out = document.getElementById("out");
const say = s => { out.textContent += s + "\n"; };
const sleep = ms => new Promise(r => setTimeout(r, ms));
async function signIn() {
  await fetch("/admin/login", {method: "POST", body: new URLSearchParams({token: token, next: "/admin"})});
}
function load(path, width) {
  return new Promise(resolve => {
    const f = document.createElement("iframe");
    f.style.width = (width || 1280) + "px";
    f.style.height = "800px";
    f.style.border = "0";
    f.addEventListener("load", () => resolve(f), {once: true});
    f.src = path;
    document.body.appendChild(f);
  });
}`

// activity gives the sources a fetch history and recent items, so the
// /sources page has something to chart.
func activity(t *testing.T, f *fixture) {
	ctx := context.Background()
	now := time.Now()
	f.db.SaveFetchState(ctx, "dawn", &store.FetchState{Status: 200, Fetched: now.Add(-4 * time.Minute)})
	f.db.SaveFetchState(ctx, "wires", &store.FetchState{Status: 503, Failures: 2, Fetched: now.Add(-3 * time.Hour),
		Error: "GET https://wires.example/feed: 503 Service Unavailable"})
	words := []string{"lunar relay satellite", "grid storage battery", "tram line extension", "petrol price cap", "orchard frost warning"}
	for i, w := range words {
		it := story(fmt.Sprintf("o%d", i), "Orbit: "+w, fmt.Sprintf("Report %d on the %s, with figures nobody else has published.", i, w), 0)
		it.Published = now.Add(-time.Duration(i*i) * 12 * time.Hour)
		f.ingest(t, "orbit", it)
	}
	f.db.SaveFetchState(ctx, "orbit", &store.FetchState{Status: 304, Fetched: now.Add(-20 * time.Minute)})
}

// screenshots saves phone and desktop renderings for a person to look at:
// TOPICFEED_SCREENSHOTS=/tmp/shots go test ./publish -run Browser
func screenshots(t *testing.T, base, dir string) {
	for _, page := range []string{"/", "/topics/harbour", "/sources"} {
		for size, wh := range map[string]string{"phone": "390,844", "wide": "1280,900"} {
			name := strings.Trim(strings.ReplaceAll(page, "/", "-"), "-")
			if name == "" {
				name = "index"
			}
			file, _ := filepath.Abs(filepath.Join(dir, name+"-"+size+".png"))
			chromium(t, base+page, "--hide-scrollbars", "--window-size="+wh, "--screenshot="+file)
		}
	}
}
