package fetch

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
)

func TestDiscover(t *testing.T) {
	const page = "https://news.example/section/page.html"
	tests := []struct {
		name, html string
		want       []string
	}{
		{"rss", `<html><head><link rel="alternate" type="application/rss+xml" href="/feed.xml"></head></html>`,
			[]string{"https://news.example/feed.xml"}},
		{"relative to the page", `<link rel="alternate" type="application/atom+xml" href="atom.xml">`,
			[]string{"https://news.example/section/atom.xml"}},
		{"document order, duplicates dropped", `<head>
			<link rel="alternate" type="application/atom+xml" href="/atom">
			<link rel="alternate" type="application/rss+xml" href="/rss">
			<link rel="alternate" type="application/rss+xml" href="https://news.example/atom#top">
			<link rel="alternate" type="application/feed+json" href="/feed.json">
			<link rel="alternate" type="application/json" href="/plain.json"></head>`,
			[]string{"https://news.example/atom", "https://news.example/rss",
				"https://news.example/feed.json", "https://news.example/plain.json"}},
		{"case and several rel tokens", `<LINK REL="Home ALTERNATE" TYPE="Application/RSS+XML; charset=utf-8" HREF=" //cdn.example/f ">`,
			[]string{"https://cdn.example/f"}},
		{"base href, even after the link", `<head><link rel="alternate" type="application/rss+xml" href="rss">
			<base href="https://other.example/dir/"><base href="https://ignored.example/"></head>`,
			[]string{"https://other.example/dir/rss"}},
		{"relative base", `<base href="/b/"><link rel=alternate type=application/rss+xml href=x.rss>`,
			[]string{"https://news.example/b/x.rss"}},
		{"link in body", `<body><p>hi</p><link rel="alternate" type="application/atom+xml" href="/late"></body>`,
			[]string{"https://news.example/late"}},
		{"not feeds", `<head>
			<link rel="stylesheet" type="text/css" href="/s.css">
			<link rel="alternate stylesheet" type="text/css" href="/alt.css">
			<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
			<link rel="feed" type="application/rss+xml" href="/not-alternate">
			<link rel="alternate" type="application/rss+xml">
			<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
			<a rel="alternate" type="application/rss+xml" href="/anchor">feed</a></head>`,
			nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Discover([]byte(tt.html), page)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Discover = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Discover([]byte("<html>"), "http://bad host/"); err == nil {
		t.Error("Discover with an invalid page URL: no error")
	}
}

func TestDiscoverLooksLikeHTML(t *testing.T) {
	tests := []struct {
		contentType, body string
		html              bool
	}{
		{"text/html; charset=utf-8", "<!DOCTYPE html><html><head>", true},
		{"", "\xef\xbb\xbf  <!doctype HTML>\n<html>", true},
		{"application/octet-stream", "<html lang=en>", true},
		{"text/plain", "<!-- generated --><HTML>", true},
		{"text/html", "<p>fragment", true},
		{"application/xhtml+xml", "", true},
		{"text/html", testFeed, false}, // a feed served as HTML is still a feed
		{"text/html", "<?xml version='1.0'?><!-- c --><feed xmlns='http://www.w3.org/2005/Atom'>", false},
		{"text/html", `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">`, false},
		{"text/html", ` {"version": "https://jsonfeed.org/version/1.1"}`, false},
		{"application/rss+xml", testFeed, false},
		{"application/xml", "<!DOCTYPE rss><rss>", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got := looksLikeHTML(tt.contentType, []byte(tt.body)); got != tt.html {
			t.Errorf("looksLikeHTML(%q, %q) = %v, want %v", tt.contentType, tt.body, got, tt.html)
		}
	}
}

func TestFetchAutodiscovery(t *testing.T) {
	srv, log := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/blog/":
			w.Header().Set("ETag", `"page"`)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, `<!doctype html><html><head><title>Blog</title>
				<link rel="alternate" type="application/atom+xml" title="Atom" href="feed.atom">
				<link rel="alternate" type="application/rss+xml" title="RSS" href="/rss"></head><body>…</body></html>`)
		case "/blog/feed.atom":
			w.Header().Set("ETag", `"feed"`)
			w.Header().Set("Content-Type", "application/atom+xml")
			fmt.Fprint(w, testFeed)
		default:
			http.NotFound(w, r)
		}
	})
	res, err := newTestClient(Options{}).Fetch(t.Context(), Request{URL: srv.URL + "/blog/", ETag: `"page"`})
	if err != nil {
		t.Fatal(err)
	}
	want := srv.URL + "/blog/feed.atom"
	if res.URL != want || res.PermanentURL != want || string(res.Body) != testFeed || res.ETag != `"feed"` ||
		res.ContentType != "application/atom+xml" {
		t.Errorf("Fetch = %+v, want the feed at %s", res, want)
	}
	paths, headers := log.snapshot()
	if !slices.Equal(paths, []string{"/blog/", "/blog/feed.atom"}) {
		t.Errorf("server saw %v", paths)
	}
	if len(headers) == 2 && headers[1].Get("If-None-Match") != "" {
		t.Errorf("feed request carried the page's validators: %v", headers[1])
	}
}

func TestFetchAutodiscoveryFailures(t *testing.T) {
	srv, _ := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		switch r.URL.Path {
		case "/nolink":
			fmt.Fprint(w, `<html><head><link rel="stylesheet" href="/s.css"></head></html>`)
		case "/html-link":
			fmt.Fprint(w, `<html><link rel="alternate" type="application/rss+xml" href="/nolink"></html>`)
		case "/gone-link":
			fmt.Fprint(w, `<html><link rel="alternate" type="application/rss+xml" href="/gone"></html>`)
		case "/gone":
			w.WriteHeader(http.StatusGone)
		case "/mislabelled":
			fmt.Fprint(w, testFeed)
		}
	})
	c := newTestClient(Options{})
	tests := []struct {
		path string
		kind Kind
		msg  string
	}{
		{"/nolink", KindPermanent, "GET " + srv.URL + "/nolink: HTML page with no feed link"},
		{"/html-link", KindPermanent, "GET " + srv.URL + "/nolink: feed linked from " + srv.URL + "/html-link is an HTML page"},
		{"/gone-link", KindGone, "GET " + srv.URL + "/gone: 410 Gone"},
	}
	for _, tt := range tests {
		e := fetchErr(t, c, srv.URL+tt.path)
		if e.Kind != tt.kind || e.Error() != tt.msg {
			t.Errorf("%s: error %q kind %v, want %q, %v", tt.path, e, e.Kind, tt.msg, tt.kind)
		}
	}
	res, err := c.Fetch(t.Context(), Request{URL: srv.URL + "/mislabelled"})
	if err != nil || string(res.Body) != testFeed || res.PermanentURL != "" {
		t.Errorf("feed served as text/html: %+v, %v", res, err)
	}
}
