package publish_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
	"github.com/topicfeed/topicfeed/publish"
	"github.com/topicfeed/topicfeed/store"
)

const consoleToken = "console-test-token"

// rules adapts the store's console rules to publish's types, as serve does.
type rules struct{ *store.DB }

func origin(r store.TopicRule) publish.RuleOrigin {
	o := publish.RuleOrigin{ConfigMatch: r.ConfigMatch, ConfigExclude: r.ConfigExclude, Match: r.ConfigMatch, Exclude: r.ConfigExclude}
	if c := r.Console; c != nil {
		o.Console, o.Match, o.Exclude, o.Saved = true, c.Match, c.Exclude, c.Saved
	}
	return o
}

func (r rules) SaveRule(ctx context.Context, t *feed.Topic) (publish.RuleOrigin, error) {
	tr, err := r.DB.SaveRule(ctx, t)
	return origin(tr), err
}

func (r rules) TopicRule(ctx context.Context, topic string) (publish.RuleOrigin, error) {
	tr, err := r.DB.TopicRule(ctx, topic)
	return origin(tr), err
}

// console is a running publisher with the console on, and a browser-like
// client that keeps cookies and does not follow redirects.
type console struct {
	t      *testing.T
	f      *fixture
	srv    *httptest.Server
	client *http.Client
	csrf   string
	topics [][]*feed.Topic // what TopicsChanged was given
}

func newConsole(t *testing.T) *console {
	t.Helper()
	c := &console{t: t, f: newFixture(t)}
	c.srv = httptest.NewUnstartedServer(nil)
	base := "http://" + c.srv.Listener.Addr().String()
	pub := publish.NewPublisher(c.f.db, c.f.topics, publish.Options{BaseURL: base, Sources: admin{c.f.db},
		Admin: admin{c.f.db}, AdminToken: consoleToken,
		Console: &publish.Console{Rules: rules{c.f.db}, Search: c.f.db, TopicsChanged: func(ts []*feed.Topic) { c.topics = append(c.topics, ts) }}})
	c.srv.Config.Handler = pub.Handler()
	c.srv.Start()
	t.Cleanup(c.srv.Close)
	jar, _ := cookiejar.New(nil)
	c.client = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

func (c *console) do(req *http.Request) (int, string, http.Header) {
	c.t.Helper()
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func (c *console) get(path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.srv.URL+path, nil)
	code, body, _ := c.do(req)
	return code, body
}

// post sends a form as a browser on this site does (with its Origin).
func (c *console) post(path string, form url.Values) (int, string, string) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.srv.URL)
	code, body, h := c.do(req)
	return code, body, h.Get("Location")
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the form and reads the CSRF token off a page.
func (c *console) signIn() {
	c.t.Helper()
	code, _, loc := c.post("/admin/login", url.Values{"token": {consoleToken}, "next": {"/admin"}})
	if code != http.StatusSeeOther || loc != "/admin" {
		c.t.Fatalf("sign-in: %d to %q, want 303 to /admin", code, loc)
	}
	code, body := c.get("/admin")
	m := csrfField.FindStringSubmatch(body)
	if code != 200 || m == nil {
		c.t.Fatalf("console home after sign-in: %d, csrf %v:\n%s", code, m, body)
	}
	c.csrf = m[1]
}

func (c *console) feedTitles(topic string) string {
	c.t.Helper()
	_, body := c.get("/topics/" + topic + ".json")
	var f struct{ Items []struct{ Title string } }
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		c.t.Fatalf("%s.json: %v", topic, err)
	}
	var titles []string
	for _, it := range f.Items {
		titles = append(titles, it.Title)
	}
	return strings.Join(titles, " | ")
}

func TestConsoleOffWithoutToken(t *testing.T) {
	f := newFixture(t)
	h := f.publisher(publish.Options{Admin: admin{f.db}}).Handler()
	for _, path := range []string{"/admin", "/admin/playground?rule=x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "admin_token_file") {
			t.Errorf("GET %s without a token: %d, want 404 saying how to set admin_token_file:\n%s", path, rec.Code, rec.Body)
		}
	}
}

func TestConsoleSignIn(t *testing.T) {
	c := newConsole(t)
	if code, body := c.get("/admin"); code != http.StatusUnauthorized || !strings.Contains(body, `name="token"`) {
		t.Fatalf("GET /admin signed out: %d, want 401 with the sign-in form", code)
	}
	if code, body, _ := c.post("/admin/login", url.Values{"token": {"guess"}}); code != http.StatusUnauthorized || !strings.Contains(body, "not the admin token") {
		t.Errorf("wrong token: %d, want 401 saying so", code)
	}
	req, _ := http.NewRequest("POST", c.srv.URL+"/admin/login", strings.NewReader("token="+consoleToken))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	for _, want := range []string{"topicfeed_session=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if code, body := c.get("/admin"); code != 200 || !strings.Contains(body, "Harbour news") || !strings.Contains(body, "rule from the config file") {
		t.Errorf("console home: %d\n%s", code, body)
	}
	// Bearer tokens still work for the API.
	req, _ = http.NewRequest("GET", c.srv.URL+"/api/topics/harbour/rule", nil)
	req.Header.Set("Authorization", "Bearer "+consoleToken)
	if code, body, _ := c.do(req); code != 200 || !strings.Contains(body, `"config_match": "harbour OR port"`) {
		t.Errorf("GET /api/topics/harbour/rule: %d\n%s", code, body)
	}
}

func TestConsoleRefusesForgedPosts(t *testing.T) {
	c := newConsole(t)
	save := url.Values{"topic": {"harbour"}, "rule": {"heatwave"}}
	if code, _, _ := c.post("/admin/rule", save); code != http.StatusUnauthorized {
		t.Errorf("save signed out: %d, want 401", code)
	}
	c.signIn()
	if code, body, _ := c.post("/admin/rule", save); code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Errorf("save without the CSRF token: %d %q, want 403", code, body)
	}
	save.Set("csrf", c.csrf+"x")
	if code, _, _ := c.post("/admin/rule", save); code != http.StatusForbidden {
		t.Errorf("save with a wrong CSRF token: %d, want 403", code)
	}
	save.Set("csrf", c.csrf)
	req, _ := http.NewRequest("POST", c.srv.URL+"/admin/rule", strings.NewReader(save.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if code, _, _ := c.do(req); code != http.StatusForbidden {
		t.Errorf("save from another origin: %d, want 403", code)
	}
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Port Pilot Boat Launched" {
		t.Errorf("a refused save changed the feed: %s", got)
	}
}

func TestPlaygroundPreviewSaveAndRestart(t *testing.T) {
	c := newConsole(t)
	c.signIn()
	code, body := c.get("/admin/playground?topic=harbour&rule=heatwave+OR+harbour")
	if code != 200 {
		t.Fatalf("playground: %d\n%s", code, body)
	}
	for _, want := range []string{">2</span> items match", "1 to add", "1 to drop", "<mark>Heatwave</mark> Grips the Valley",
		"<mark>Harbour</mark> Terminal Approved", "<mark>Port</mark> Pilot Boat Launched", `value="heatwave OR harbour"`} {
		if !strings.Contains(body, want) {
			t.Errorf("playground does not show %q", want)
		}
	}
	if _, frag := c.get("/admin/playground/results?topic=harbour&rule=harbour+AND+(port"); !strings.Contains(frag, "column 13") ||
		!strings.Contains(frag, "harbour AND (port\n            ^") || strings.Contains(frag, "<html") {
		t.Errorf("parse error fragment lacks the position and caret:\n%s", frag)
	}
	code, _, loc := c.post("/admin/rule", url.Values{"csrf": {c.csrf}, "topic": {"harbour"}, "rule": {"heatwave OR harbour"}})
	if code != http.StatusSeeOther || !strings.Contains(loc, "saved=1") {
		t.Fatalf("save: %d to %q", code, loc)
	}
	if got, want := c.feedTitles("harbour"), "Harbour Terminal Approved | Heatwave Grips the Valley"; got != want {
		t.Errorf("feed after save: %s, want %s", got, want)
	}
	if len(c.topics) != 1 || c.topics[0][0].Match.String() != "heatwave OR harbour" {
		t.Errorf("TopicsChanged got %v", c.topics)
	}
	if _, body := c.get("/admin/playground?topic=harbour"); !strings.Contains(body, "from the console, saved") ||
		!strings.Contains(body, "the config file's rule is <code>harbour OR port</code>") {
		t.Errorf("playground does not say the console's rule is in force")
	}

	// A restart: reopen the file and sync the config file's topics.
	path := c.f.db.Path()
	c.srv.Close()
	c.f.db.Close()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fresh := newFixtureTopics(t)
	if err := db.SyncTopics(context.Background(), fresh); err != nil {
		t.Fatal(err)
	}
	items, err := db.TopicItems(context.Background(), "harbour", 50)
	if err != nil || len(items) != 2 || items[1].Title != "Heatwave Grips the Valley" {
		t.Errorf("after a restart the topic holds %v (%v), want the console rule's items", items, err)
	}
}

// newFixtureTopics compiles newFixture's topics afresh, as a restart reads the config.
func newFixtureTopics(t *testing.T) []*feed.Topic {
	r, err := feed.ParseRule("harbour OR port")
	if err != nil {
		t.Fatal(err)
	}
	return []*feed.Topic{{Name: "harbour", Title: "Harbour news", Match: r, Limit: 50}, {Name: feed.AllTopic, Limit: 50}}
}

func TestTopicPageCurationWithUndo(t *testing.T) {
	c := newConsole(t)
	if _, body := c.get("/topics/harbour"); strings.Contains(body, "/admin/curate") {
		t.Fatal("a reader sees curation forms")
	}
	c.signIn()
	_, body := c.get("/topics/harbour")
	if !strings.Contains(body, `value="pin">Pin</button>`) || !strings.Contains(body, "Explain</a>") {
		t.Fatalf("an editor's topic page lacks pin and explain:\n%s", body)
	}
	pilot := itemID(t, c.f, "wires", "w1")
	curate := func(action string, extra ...string) string {
		t.Helper()
		form := url.Values{"csrf": {c.csrf}, "topic": {"harbour"}, "item": {pilot}, "action": {action}}
		if len(extra) > 0 {
			form.Set("undo", "1")
		}
		code, _, loc := c.post("/admin/curate", form)
		if code != http.StatusSeeOther {
			t.Fatalf("%s: %d", action, code)
		}
		_, page := c.get(strings.TrimPrefix(loc, c.srv.URL))
		return page
	}
	page := curate("hide")
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved" {
		t.Errorf("feed after hide: %s", got)
	}
	if !strings.Contains(page, "Hidden “Port Pilot Boat Launched”") || !strings.Contains(page, `name="action" value="clear"><input type="hidden" name="undo"`) {
		t.Errorf("no undo offered after hiding:\n%s", page)
	}
	curate("clear", "undo")
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Port Pilot Boat Launched" {
		t.Errorf("feed after undoing the hide: %s", got)
	}
	curate("pin")
	if got := c.feedTitles("harbour"); got != "Port Pilot Boat Launched | Harbour Terminal Approved" {
		t.Errorf("feed after pin: %s", got)
	}
	curate("clear", "undo")
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved | Port Pilot Boat Launched" {
		t.Errorf("feed after undoing the pin: %s", got)
	}
}

func itemID(t *testing.T, f *fixture, source, guid string) string {
	t.Helper()
	id, err := f.db.ItemForGUID(context.Background(), source, guid)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10)
}

func TestExplainSplitMergeWithUndo(t *testing.T) {
	c := newConsole(t)
	// The same story from a second source joins the first copy.
	dup := story("w9", "Harbour Terminal Approved", "The harbour authority approved a second container terminal after three years of hearings.", 0)
	dup.URL = "https://news.example.org/d1"
	c.f.ingest(t, "wires", dup)
	c.signIn()
	id := itemID(t, c.f, "dawn", "d1")
	_, page := c.get("/admin/items/" + id + "?topic=harbour")
	for _, want := range []string{"In</span>: the rule matched harbour", "the first copy", "wires", "Split off"} {
		if !strings.Contains(page, want) {
			t.Errorf("explain page lacks %q:\n%s", want, page)
		}
	}
	copyID := regexp.MustCompile(`name="copy" value="(\d+)"`).FindStringSubmatch(page)
	if copyID == nil {
		t.Fatal("no copy to split")
	}
	code, _, loc := c.post("/admin/items/"+id+"/split", url.Values{"csrf": {c.csrf}, "copy": {copyID[1]}, "topic": {"harbour"}})
	if code != http.StatusSeeOther {
		t.Fatalf("split: %d", code)
	}
	if got := c.feedTitles("harbour"); strings.Count(got, "Harbour Terminal Approved") != 2 {
		t.Errorf("feed after split: %s, want the split copy as an item of its own", got)
	}
	_, page = c.get(strings.TrimPrefix(loc, c.srv.URL))
	newItem := regexp.MustCompile(`name="item" value="(\d+)"><input type="hidden" name="undo"`).FindStringSubmatch(page)
	if newItem == nil {
		t.Fatalf("no undo after split:\n%s", page)
	}
	if code, _, _ := c.post("/admin/items/"+id+"/merge", url.Values{"csrf": {c.csrf}, "item": {newItem[1]}, "undo": {"1"}}); code != http.StatusSeeOther {
		t.Fatalf("undo split: %d", code)
	}
	if got := c.feedTitles("harbour"); strings.Count(got, "Harbour Terminal Approved") != 1 {
		t.Errorf("feed after undoing the split: %s", got)
	}

	// Merge the pilot-boat item in, then undo it. Its pin moves with the
	// merge and goes back with the undo.
	pilot := itemID(t, c.f, "wires", "w1")
	if err := (admin{c.f.db}).Curate(context.Background(), "harbour", mustInt(t, pilot), "pin"); err != nil {
		t.Fatal(err)
	}
	code, _, loc = c.post("/admin/items/"+id+"/merge", url.Values{"csrf": {c.csrf}, "item": {pilot}})
	if code != http.StatusSeeOther {
		t.Fatalf("merge: %d", code)
	}
	if got := c.feedTitles("harbour"); got != "Harbour Terminal Approved" {
		t.Errorf("feed after merge: %s", got)
	}
	_, page = c.get(strings.TrimPrefix(loc, c.srv.URL))
	copies := regexp.MustCompile(`name="copies" value="([\d,]+)"`).FindStringSubmatch(page)
	if copies == nil {
		t.Fatalf("no undo after merge:\n%s", page)
	}
	moved := regexp.MustCompile(`name="moved" value="([^"]*)"`).FindStringSubmatch(page)
	if moved == nil || moved[1] != "pin:harbour" {
		t.Fatalf("the undo form does not carry the pin the merge moved: %v", moved)
	}
	if code, _, _ := c.post("/admin/items/"+id+"/unmerge", url.Values{"csrf": {c.csrf}, "copies": {copies[1]}, "moved": {moved[1]}}); code != http.StatusSeeOther {
		t.Fatalf("undo merge: %d", code)
	}
	// The copy is an item of its own again; it carries the kept item's
	// text until its source sends it again (the store keeps one text per item).
	if got := itemID(t, c.f, "wires", "w1"); got == id {
		t.Errorf("after undoing the merge the pilot copy is still in item %s", got)
	}
	if got := c.feedTitles("harbour"); strings.Count(got, "|") != 1 {
		t.Errorf("feed after undoing the merge: %s, want two items", got)
	}
	cur, err := (admin{c.f.db}).Curations(context.Background(), "harbour")
	if err != nil {
		t.Fatal(err)
	}
	back := itemID(t, c.f, "wires", "w1")
	if len(cur) != 1 || cur[0].Item != mustInt(t, back) || cur[0].Action != "pin" {
		t.Errorf("curations after undoing the merge: %+v, want item %s pinned again (item %s not)", cur, back, id)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
