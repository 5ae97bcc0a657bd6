package publish

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// alternate is a <link rel="alternate"> for feed autodiscovery.
type alternate struct{ Type, Title, Href string }

// TypeAttr writes type="…" unescaped: html/template would write "+" as
// &#43;, which is valid HTML but defeats readers that discover feeds by
// matching the raw text. The media types are our own constants.
func (a alternate) TypeAttr() template.HTMLAttr {
	return template.HTMLAttr(`type="` + template.HTMLEscapeString(a.Type) + `"`)
}

type page struct {
	Title      string
	Base       string
	Alternates []alternate
	Sources    bool // the /sources page exists, so link it
	Console    bool // the console is on, so link it
	Editor     bool // a signed-in editor sees this page
	CSRF       string
	Refresh    int // seconds after which the page reloads itself; 0 never
}

func (p *Publisher) newPage(title string) page {
	return page{Title: title, Base: p.base, Sources: p.opt.Sources != nil, Console: p.admin != nil}
}

type topicRow struct {
	*feed.Topic
	Items      int
	LastUpdate time.Time
}

func (p *Publisher) serveIndex(w http.ResponseWriter, r *http.Request) {
	stats, err := p.store.TopicStats(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var rows []topicRow
	for _, t := range *p.topics.Load() {
		s := stats[t.Name]
		rows = append(rows, topicRow{t, s.Items, s.LastUpdate})
	}
	pg := p.newPage("topicfeed")
	pg.Alternates = []alternate{{"text/x-opml", "All topic feeds (OPML)", p.base + "/topics.opml"}}
	p.page(w, r, "index.html", struct {
		page
		Topics []topicRow
	}{pg, rows})
}

func (p *Publisher) serveTopicPage(w http.ResponseWriter, r *http.Request, t *feed.Topic) {
	items, err := p.store.TopicItems(r.Context(), t.Name, t.Limit)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	pg := p.newPage(t.Title)
	var ed *topicEditing
	if s, ok := p.editor(r); ok {
		if ed, err = p.topicEditing(r, t, items); err != nil {
			p.fail(w, r, err)
			return
		}
		pg = p.editorPage(t.Title, s)
		w.Header().Set("Cache-Control", "no-store")
	}
	for _, f := range []struct {
		f    feed.Format
		name string
	}{{feed.RSS, "RSS"}, {feed.Atom, "Atom"}, {feed.JSON, "JSON Feed"}} {
		pg.Alternates = append(pg.Alternates, alternate{f.f.MediaType(), t.Title + " (" + f.name + ")", p.channel(t, f.f).Self})
	}
	p.page(w, r, "topic.html", struct {
		page
		Topic *feed.Topic
		Items []*feed.Item
		Edit  *topicEditing
	}{pg, t, items, ed})
}

func (p *Publisher) serveItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	it, err := p.store.Item(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, "item.html", struct {
		page
		Item *feed.Item
	}{p.newPage(it.Title), it})
}

// activityDays is how far back the /sources sparklines reach.
const activityDays = 14

func (p *Publisher) serveSources(w http.ResponseWriter, r *http.Request) {
	srcs, err := p.opt.Sources.SourceStatuses(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	act, err := p.opt.Sources.SourceActivity(r.Context(), activityDays)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	rows := make([]sourceRow, 0, len(srcs))
	for _, s := range srcs {
		rows = append(rows, sourceRow{s, newSpark(act[s.Name])})
	}
	pg := p.newPage("Sources")
	pg.Refresh = sourcesRefresh
	w.Header().Set("Cache-Control", "no-store")
	p.page(w, r, "sources.html", struct {
		page
		Sources []sourceRow
		Days    int
	}{pg, rows, activityDays})
}

// spark is an inline SVG bar chart of items per day: no script, no image
// request, and it scales with the text.
type spark struct {
	Bars  []sparkBar
	Total int
	Label string // for screen readers
}

type sparkBar struct {
	X, Y, H int
	Title   string
}

const sparkHeight = 20

func newSpark(counts []int) spark {
	if len(counts) == 0 {
		counts = make([]int, activityDays)
	}
	top := 1
	s := spark{}
	for _, c := range counts {
		top = max(top, c)
		s.Total += c
	}
	day := time.Now().UTC().AddDate(0, 0, -len(counts)+1)
	parts := make([]string, len(counts))
	for i, c := range counts {
		h := c * sparkHeight / top
		if c > 0 {
			h = max(h, 2)
		}
		title := fmt.Sprintf("%s: %d", day.AddDate(0, 0, i).Format("2 Jan"), c)
		s.Bars = append(s.Bars, sparkBar{X: i * 5, Y: sparkHeight - h, H: h, Title: title})
		parts[i] = strconv.Itoa(c)
	}
	s.Label = fmt.Sprintf("items per day, oldest first: %s", strings.Join(parts, ", "))
	return s
}

// serveOPML lists every topic feed, to import into a reader at once.
func (p *Publisher) serveOPML(w http.ResponseWriter, r *http.Request) {
	var outs []feed.Outline
	for _, t := range *p.topics.Load() {
		outs = append(outs, feed.Outline{Title: t.Title, Text: t.Title, Type: "rss",
			XMLURL: p.channel(t, feed.RSS).Self, HTMLURL: p.base + "/topics/" + t.Name})
	}
	var buf bytes.Buffer
	if err := feed.WriteOPML(&buf, "topicfeed topics", outs); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/x-opml; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="topics.opml"`)
	buf.WriteTo(w)
}

// page renders into a buffer first so a template error is a clean 500.
func (p *Publisher) page(w http.ResponseWriter, r *http.Request, name string, data any) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	buf.WriteTo(w)
}

// ago says how long ago t was, roughly, for people scanning a table.
func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	case d < 60*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d.Hours()/24))
	case d < 2*365*24*time.Hour:
		return fmt.Sprintf("%d months ago", int(d.Hours()/24/30.4))
	}
	return fmt.Sprintf("%d years ago", int(d.Hours()/24/365.25))
}
