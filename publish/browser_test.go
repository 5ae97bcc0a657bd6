package publish_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"golang.org/x/net/html"

	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

const chromiumPath = "/usr/bin/chromium"

// guard bounds each browser step, so a page that never shows what a step
// waits for fails the test instead of hanging it. It is not a speed limit.
const guard = 60 * time.Second

// viewports are the phone and desktop widths the pages must fit, named as
// the screenshots are.
var viewports = []struct {
	name          string
	width, height int64
}{{"phone", 390, 844}, {"wide", 1280, 900}}

// newBrowser starts one headless Chromium for the test and returns a tab
// in it. Every network feature that would reach beyond loopback is off.
func newBrowser(t *testing.T) *tab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium not found (apt-get install chromium; .ci/run installs it)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath), chromedp.NoSandbox, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	t.Cleanup(cancelAlloc) // runs last: stops Chromium and waits for it
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first Do starts the browser and binds it to ctx, so it runs
	// without the step guard.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &tab{t: t, ctx: ctx}
}

// tab is one browser tab and the test that drives it.
type tab struct {
	t   *testing.T
	ctx context.Context
}

// newTab opens another tab in the same browser; with isolated it has a
// browser context of its own (no cookies shared).
func (b *tab) newTab(isolated bool) *tab {
	b.t.Helper()
	var opts []chromedp.ContextOption
	if isolated {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(b.ctx, opts...)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("opening a tab: %v", err)
	}
	return &tab{t: b.t, ctx: ctx}
}

// do runs steps in order, each run bounded by the guard.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, guard)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit runs steps that end in a click which loads a page, and waits for it.
func (b *tab) submit(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, guard)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action that returns a value.
func get[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, guard)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// text is what a person sees in the first element sel matches,
// whitespace collapsed.
func (b *tab) text(sel string) string {
	b.t.Helper()
	all := b.texts(sel)
	if len(all) == 0 {
		b.t.Fatalf("the page has no %s", sel)
	}
	return all[0]
}

// texts is the visible text of every element sel matches, in page order,
// read in one evaluation (a query action's node can go stale while the
// browser refreshes its copy of the DOM).
func (b *tab) texts(sel string) []string {
	b.t.Helper()
	return eval[[]string](b, "reading "+sel, `[...document.querySelectorAll(%q)].map(e => e.innerText.replace(/\s+/g, " ").trim())`, sel)
}

// eval evaluates a JavaScript expression formatted with args in the page.
func eval[T any](b *tab, what, format string, args ...any) T {
	b.t.Helper()
	return get(b, what, chromedp.Evaluate[T](fmt.Sprintf(format, args...)))
}

// typing replaces what a text field holds the way a person does: select
// all, delete, then type s key by key.
func typing(sel, s string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(kb.Backspace),
		chromedp.SendKeys(chromedp.CSS(sel), s))
}

// loaded is the address of the document the tab last loaded: a history
// change by the page's script does not change it, a form's GET does.
func (b *tab) loaded() string {
	b.t.Helper()
	return eval[string](b, "reading the navigation entry", `performance.getEntriesByType("navigation")[0].name`)
}

// fits reports whether the page loaded in the tab scrolls sideways, with
// the widths it compared.
func (b *tab) fits() (ok bool, scrollWidth, innerWidth int) {
	b.t.Helper()
	w := eval[[]int](b, "measuring the page", `[document.documentElement.scrollWidth, window.innerWidth]`)
	return w[0] <= w[1], w[0], w[1]
}

// screenshot saves the page at url in each viewport as dir/name-SIZE.png.
func (b *tab) screenshot(dir, name, url string) {
	b.t.Helper()
	for _, v := range viewports {
		b.do("loading "+url, chromedp.EmulateViewport(v.width, v.height), chromedp.Navigate(url))
		png := get(b, "screenshot of "+url, chromedp.CaptureScreenshot())
		if err := os.WriteFile(filepath.Join(dir, name+"-"+v.name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
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
	b := newBrowser(t)
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
			b.do("loading "+tc.path, chromedp.Navigate(srv.URL+tc.path))
			text, hrefs := visible(t, eval[string](b, "reading "+tc.path, `document.documentElement.outerHTML`))
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
	// Screenshots for a person to look at (docs/img holds a set):
	// TOPICFEED_SCREENSHOTS=../docs/img go test ./publish -run Browser
	if dir := os.Getenv("TOPICFEED_SCREENSHOTS"); dir != "" {
		for name, page := range map[string]string{"index": "/", "topics-harbour": "/topics/harbour", "sources": "/sources"} {
			b.screenshot(dir, name, srv.URL+page)
		}
	}
}

// TestBrowserConsole drives the console in headless Chromium as an editor
// does: signs in through the form, types a rule into the playground key by
// key and watches the results follow, saves, sees the topic feed change,
// pins an item on the topic page and undoes it; checks that no page
// scrolls sideways at phone and desktop widths; and, with JavaScript off,
// reads the pages and uses the playground as a plain form.
func TestBrowserConsole(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skip("chromium not found (apt-get install chromium; .ci/run installs it)")
	}
	c := newConsole(t)
	base := c.srv.URL
	b := newBrowser(t)
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Port Pilot Boat Launched" {
		t.Fatalf("feed before: %s", got)
	}

	// Sign in: /admin asks for the token.
	b.do("opening /admin", chromedp.Navigate(base+"/admin"))
	if got := b.text("h1"); got != "Sign in" {
		t.Fatalf("/admin signed out shows %q, want the sign-in form", got)
	}
	b.submit("signing in",
		chromedp.SendKeys(chromedp.ID("token"), consoleToken),
		chromedp.Click(chromedp.CSS("main button.primary")))
	if loc := get(b, "location", chromedp.Location()); loc != base+"/admin" {
		t.Errorf("signed in to %s, want /admin", loc)
	}
	if got := b.text("main"); !strings.Contains(got, "Harbour news") || !strings.Contains(b.text("header"), "Sign out") {
		t.Fatalf("console home after signing in:\n%s", got)
	}

	// The playground: pick the topic, then type.
	b.do("opening the playground", chromedp.Navigate(base+"/admin/playground?topic=all"))
	b.do("picking the topic", chromedp.SendKeys(chromedp.ID("topic"), "h"))
	// follow does what an editor does (typing, clicking Preview) and waits
	// until the playground shows new results for topic harbour and rule:
	// the ones on the page before are marked stale first, and the script
	// puts the query in the address once it has swapped new ones in. It
	// returns what the element sel of the new results shows.
	follow := func(rule, sel string, act chromedp.Action[chromedp.Void]) string {
		t.Helper()
		b.do("marking the results shown", chromedp.Evaluate[chromedp.Void](
			`for (const e of document.querySelectorAll("#results *")) e.stale = true`))
		b.do("editing the rule", act)
		q := "?topic=harbour&rule=" + strings.ReplaceAll(strings.ReplaceAll(rule, " ", "+"), "(", "%28") + "&"
		// One evaluation checks and reads, as the script may swap again
		// (a Preview click also blurs the rule field, which fires change).
		shown := get(b, "waiting for the results of "+rule, chromedp.Poll[string](fmt.Sprintf(
			`(e => location.search.startsWith(%q) && e !== null && !e.stale && e.innerText)(document.querySelector(%q))`, q, sel),
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(guard)))
		return strings.Join(strings.Fields(shown), " ")
	}

	// A rule that does not parse says where.
	if got := follow("harbour AND (port", "#rule-error", typing("#rule", "harbour AND (port")); !strings.Contains(got, "column 13") {
		t.Errorf("parse error shows %q, want its column", got)
	}
	caret := eval[string](b, "reading the caret", `document.querySelector("#rule-error pre.caret").textContent`)
	if lines := strings.Split(caret, "\n"); len(lines) != 2 || lines[0] != "harbour AND (port" || strings.Index(lines[1], "^") != 12 {
		t.Errorf("caret block %q, want the rule with ^ under column 13", caret)
	}

	if got := follow("heatwave OR harbour", "#summary", typing("#rule", "heatwave OR harbour")); !strings.HasPrefix(got, "2 items match · 1 to add, 1 to drop against the rule in force") {
		t.Errorf("summary after typing: %q", got)
	}
	if got := strings.Join(b.texts("#matches > li h2"), " | "); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("matches listed: %s", got)
	}
	if got := strings.Join(b.texts("#matches mark"), " "); got != "Harbour harbour Heatwave" {
		t.Errorf("marked words in the matches: %q, want Harbour harbour Heatwave", got)
	}
	if got := strings.Join(b.texts("#results > h2"), " | "); !strings.Contains(got, "Would add (1)") || !strings.Contains(got, "Would drop (1)") {
		t.Errorf("headings of the results: %s", got)
	}
	// With JavaScript, Preview refreshes the results in place.
	follow("heatwave OR harbour", "#summary", chromedp.Click(chromedp.ID("preview")))
	if got := b.loaded(); got != base+"/admin/playground?topic=all" {
		t.Errorf("Preview with JavaScript loaded %s, want the results swapped in on the same page", got)
	}

	// Save: the feed follows.
	b.submit("saving", chromedp.Click(chromedp.ID("save-button")))
	if got := b.text(".notice"); !strings.HasPrefix(got, "Saved. The topic feed uses this rule now") {
		t.Errorf("after saving the page says %q", got)
	}
	if got := b.text("#origin"); !strings.Contains(got, "from the console, saved") {
		t.Errorf("after saving the rule's origin reads %q", got)
	}
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("feed after saving in the browser: %s", got)
	}

	// The topic page for an editor: pin, then undo.
	heatwave := itemID(t, c.f, "dawn", "d2")
	b.do("opening the topic page", chromedp.Navigate(base+"/topics/harbour"))
	b.submit("pinning", chromedp.Click(chromedp.CSS("#item-"+heatwave+` button[value="pin"]`)))
	if got := strings.Join(b.texts("li.item h2"), " | "); got != "pinned Heatwave Grips the Valley | Harbour Terminal Approved" {
		t.Errorf("topic page after pinning: %s", got)
	}
	if got := b.text("#flash"); !strings.HasPrefix(got, "Pinned “Heatwave Grips the Valley”") {
		t.Errorf("after pinning the page says %q", got)
	}
	if got := c.feedTitles("harbour"); got != "Heatwave Grips the Valley | Harbour Terminal Approved" {
		t.Errorf("feed after pinning: %s", got)
	}
	b.submit("undoing the pin", chromedp.Click(chromedp.CSS("#flash button")))
	if got := strings.Join(b.texts("li.item h2"), " | "); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("topic page after undoing the pin: %s", got)
	}
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("feed after undoing the pin: %s", got)
	}

	// No page scrolls sideways, for a reader or an editor.
	explain := "/admin/items/" + itemID(t, c.f, "dawn", "d1") + "?topic=harbour"
	for _, v := range viewports {
		b.do("setting the viewport", chromedp.EmulateViewport(v.width, v.height))
		for _, path := range []string{"/", "/topics/harbour", "/sources", "/admin", "/admin/playground",
			"/admin/playground?topic=harbour&rule=harbour+AND+%28port", explain} {
			b.do("loading "+path, chromedp.Navigate(base+path))
			if ok, sw, iw := b.fits(); !ok {
				t.Errorf("%s at %dpx scrolls sideways: scrollWidth %d, innerWidth %d", path, v.width, sw, iw)
			}
		}
	}

	// Without JavaScript, in a browser context of its own (no session).
	n := b.newTab(true)
	n.do("turning JavaScript off", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
	n.do("reading the index", chromedp.Navigate(base+"/"))
	if got := strings.Join(n.texts("main h2"), " | "); got != "Harbour news | Everything" {
		t.Errorf("index without JavaScript lists %s", got)
	}
	n.do("reading the topic page", chromedp.Navigate(base+"/topics/harbour"))
	if got := strings.Join(n.texts("li.item h2"), " | "); got != "Harbour Terminal Approved | Heatwave Grips the Valley" {
		t.Errorf("topic page without JavaScript: %s", got)
	}
	if got := n.texts("main button"); len(got) != 0 {
		t.Errorf("a reader without a session sees the editor's buttons %q", got)
	}
	n.do("opening the playground", chromedp.Navigate(base+"/admin/playground?topic=harbour&rule=harbour+OR+port"))
	n.submit("signing in without JavaScript",
		chromedp.SendKeys(chromedp.ID("token"), consoleToken),
		chromedp.Click(chromedp.CSS("main button.primary")))
	if loc := get(n, "location", chromedp.Location()); loc != base+"/admin/playground?topic=harbour&rule=harbour+OR+port" {
		t.Errorf("signing in from the playground led to %s", loc)
	}
	if got := n.text("#summary"); !strings.HasPrefix(got, "2 items match · 1 to add, 1 to drop") {
		t.Errorf("playground rendered without JavaScript: %q", got)
	}
	if got := strings.Join(n.texts("#matches mark"), " "); got != "Harbour harbour Port port" {
		t.Errorf("marked words without JavaScript: %q", got)
	}
	// Preview is the form's submit button: a plain GET to the same page.
	n.do("typing a rule", typing("#rule", "heatwave"))
	n.submit("previewing without JavaScript", chromedp.Click(chromedp.ID("preview")))
	if got := n.loaded(); got != base+"/admin/playground?topic=harbour&rule=heatwave&exclude=" {
		t.Errorf("Preview without JavaScript loaded %s, want a GET of the form", got)
	}
	if got := n.text("#summary"); !strings.HasPrefix(got, "1 items match · 0 to add, 1 to drop") {
		t.Errorf("preview without JavaScript: %q", got)
	}
	if got := strings.Join(n.texts("#matches mark"), " "); got != "Heatwave" {
		t.Errorf("marked words after the preview: %q", got)
	}
	if got := eval[string](n, "reading the save form", `document.querySelector('#save input[name="rule"]').value`); got != "heatwave" {
		t.Errorf("the save form holds %q after the preview, want the previewed rule", got)
	}

	if dir := os.Getenv("TOPICFEED_SCREENSHOTS"); dir != "" {
		for name, page := range map[string]string{"console": "/admin", "playground": "/admin/playground?topic=harbour&rule=heatwave+OR+harbour",
			"playground-error": "/admin/playground?topic=harbour&rule=harbour+AND+%28port", "topic-editor": "/topics/harbour",
			"explain": explain} {
			b.screenshot(dir, name, base+page)
		}
	}
}

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
