package feed

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// alternate is a <link rel="alternate"> for feed autodiscovery.
type alternate struct{ Type, Title, Href string }

type page struct {
	Title      string
	Base       string
	Alternates []alternate
}

type topicRow struct {
	*Topic
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
	p.page(w, r, "index.html", struct {
		page
		Topics []topicRow
	}{page{Title: "topicfeed", Base: p.base}, rows})
}

func (p *Publisher) serveTopicPage(w http.ResponseWriter, r *http.Request, t *Topic) {
	items, err := p.store.TopicItems(r.Context(), t.Name, t.Limit)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	feedURL := p.base + "/topics/" + t.Name
	pg := page{Title: t.Title, Base: p.base, Alternates: []alternate{
		{"application/rss+xml", t.Title + " (RSS)", feedURL + ".rss"},
		{"application/atom+xml", t.Title + " (Atom)", feedURL + ".atom"},
		{"application/feed+json", t.Title + " (JSON Feed)", feedURL + ".json"},
	}}
	p.page(w, r, "topic.html", struct {
		page
		Topic *Topic
		Items []*Item
	}{pg, t, items})
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
		Item *Item
	}{page{Title: it.Title, Base: p.base}, it})
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
