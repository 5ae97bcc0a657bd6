package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// TestMediaAndCredits: what an entry carries beside its text comes back
// from every read (topic feeds, search, one item), and a merged story
// credits every site that carried it, first copy first: by its feed's
// title, or the source's name for a copy from a plain article file.
func TestMediaAndCredits(t *testing.T) {
	ctx := context.Background()
	db := mustOpenDB(t)
	opt := IngestOptions{Topics: mustTopics(t, db, nil), NearDistance: 18}
	ep := item("ep-12", "https://pod.example.net/ep/12", "Terminal approved", storyA)
	ep.Feed = "https://pod.example.net/feed.rss"
	ep.Site = feed.Site{Name: "Night Pod", URL: "https://pod.example.net/"}
	ep.Author = "Jo Host"
	ep.Authors = []feed.Person{{Name: "Jo Host", Email: "jo@pod.example.net"}}
	ep.Enclosures = []feed.Enclosure{{URL: "https://cdn.pod.example.net/ep12.mp3", Type: "audio/mpeg", Length: 31457280, Duration: 1860}}
	ep.Image, ep.Comments = "https://cdn.pod.example.net/ep12.jpg", "https://pod.example.net/ep/12#comments"
	if r, err := db.Ingest(ctx, "pod", []feed.Item{ep}, opt); err != nil || r.New != 1 {
		t.Fatalf("%+v, %v", r, err)
	}
	// The same story from a folder of article files: no site of its own.
	cp := item("", "https://wires.example.com/terminal", "Terminal approved", storyA)
	if r, err := db.Ingest(ctx, "desk", []feed.Item{cp}, opt); err != nil || r.Merged != 1 {
		t.Fatalf("%+v, %v", r, err)
	}
	wantCredits := []feed.Credit{
		{Site: feed.Site{Name: "Night Pod", URL: "https://pod.example.net/"}, Feed: "https://pod.example.net/feed.rss",
			Link: "https://pod.example.net/ep/12"},
		{Site: feed.Site{Name: "desk"}, Link: "https://wires.example.com/terminal"},
	}
	check := func(how string, it *feed.Item) {
		t.Helper()
		if !reflect.DeepEqual(it.Credits, wantCredits) || !reflect.DeepEqual(it.Sources, []string{"pod", "desk"}) {
			t.Errorf("%s: credits %+v, sources %q", how, it.Credits, it.Sources)
		}
		if !reflect.DeepEqual(it.Enclosures, ep.Enclosures) || !reflect.DeepEqual(it.Authors, ep.Authors) ||
			it.Image != ep.Image || it.Comments != ep.Comments || it.Author != "Jo Host" {
			t.Errorf("%s: media %+v %+v %q %q %q", how, it.Enclosures, it.Authors, it.Image, it.Comments, it.Author)
		}
	}
	items, err := db.TopicItems(ctx, feed.AllTopic, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	check("TopicItems", items[0])
	one, err := db.Item(ctx, items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	check("Item", one)
	found, err := db.Search(ctx, mustRule(t, "terminal"), 10)
	if err != nil || len(found) != 1 {
		t.Fatalf("search: %d items, %v", len(found), err)
	}
	check("Search", found[0])

	// An edit of the entry rewrites its media; the copy from desk stays credited.
	ep.Enclosures[0].Length = 1
	if r, err := db.Ingest(ctx, "pod", []feed.Item{withText(ep, storyA+" Updated.")}, opt); err != nil || r.Updated != 1 {
		t.Fatalf("edit: %+v, %v", r, err)
	}
	if it, _ := db.Item(ctx, one.ID); it.Enclosures[0].Length != 1 {
		t.Errorf("edited enclosure = %+v", it.Enclosures)
	}
	// A split copy starts as a copy of the item, media and all.
	edit, err := db.SplitCopy(ctx, one.ID, "desk", opt.Topics)
	if err != nil {
		t.Fatal(err)
	}
	if it, _ := db.Item(ctx, edit.NewItem); len(it.Enclosures) != 1 || it.Image != ep.Image {
		t.Errorf("split copy's media = %+v %q", it.Enclosures, it.Image)
	}
}

func withText(it feed.Item, text string) feed.Item {
	it.Text, it.Content = text, "<p>"+text+"</p>"
	return it
}
