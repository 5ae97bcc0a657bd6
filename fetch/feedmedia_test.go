package fetch

import (
	"context"
	"reflect"
	"testing"

	"github.com/topicfeed/topicfeed/feed"
)

// TestFeedMedia reads each file of testdata/media and checks what an
// entry carries beside its text: authors, categories, enclosures, image,
// comments page and the site it came from, from RSS with podcast and
// media RSS extensions, Atom and JSON Feed alike.
func TestFeedMedia(t *testing.T) {
	type want struct {
		title      string
		url        string
		author     string
		authors    []feed.Person
		categories []string
		enclosures []feed.Enclosure
		image      string
		comments   string
	}
	tests := []struct {
		file  string
		site  feed.Site
		items []want
	}{
		{"podcast.rss", feed.Site{Name: "Night Pod & Friends", URL: "https://pod.example.net/"}, []want{
			{title: "Episode 12: Night trains", url: "https://pod.example.net/ep/12", author: "Jo Host",
				authors:    []feed.Person{{Name: "Jo Host", Email: "jo@pod.example.net"}},
				categories: []string{"Travel", "Rail"}, // " rail " is Rail again
				enclosures: []feed.Enclosure{{URL: "https://cdn.pod.example.net/ep12.mp3", Type: "audio/mpeg", Length: 31457280, Duration: 1860}},
				image:      "https://cdn.pod.example.net/ep12.jpg", comments: "https://pod.example.net/ep/12#comments"},
			// No link: the first enclosure is the link. A file with no
			// type gets one from its name; a length that is no number is 0.
			{title: "Episode 11: Bonus", url: "https://pod.example.net/media/ep11.m4a",
				enclosures: []feed.Enclosure{{URL: "https://pod.example.net/media/ep11.m4a", Type: "audio/mp4"},
					{URL: "https://pod.example.net/media/ep11-transcript.pdf", Type: "application/pdf", Length: 2048}}},
		}},
		{"media-rss.xml", feed.Site{Name: "Harbour Video", URL: "https://video.example.org/"}, []want{
			// media:content in a media:group is the file when there is no
			// <enclosure>; its image is not, and media:thumbnail is the image.
			{title: "Tall ship leaves the quay", url: "https://video.example.org/clips/tall-ship", author: "Ines Vale, Tom Reed",
				authors:    []feed.Person{{Name: "Ines Vale"}, {Name: "Tom Reed"}},
				enclosures: []feed.Enclosure{{URL: "https://cdn.video.example.org/tall-ship.mp4", Type: "video/mp4", Length: 73400320, Duration: 95}},
				image:      "https://cdn.video.example.org/tall-ship-thumb.jpg"},
			{title: "Harbour webcam at noon", url: "https://video.example.org/clips/noon", image: "https://cdn.video.example.org/noon.jpg"},
		}},
		{"entries.atom", feed.Site{Name: "Quay Notes", URL: "https://quay.example/notes/"}, []want{
			{title: "Ferry fares rise in June", url: "https://quay.example/notes/fares", author: "Ines Vale, Tom Reed",
				authors:    []feed.Person{{Name: "Ines Vale", Email: "ines@quay.example"}, {Name: "Tom Reed"}},
				categories: []string{"Ferries", "fares"},
				enclosures: []feed.Enclosure{{URL: "https://quay.example/files/fares-2026.pdf", Type: "application/pdf", Length: 52000}},
				image:      "https://quay.example/img/fares.png", comments: "https://quay.example/notes/fares#comments"},
		}},
		{"attachments.json", feed.Site{Name: "Tide Tables", URL: "https://tides.example.com/"}, []want{
			{title: "Spring tides this weekend", url: "https://tides.example.com/spring-tides", author: "Harbour Office",
				categories: []string{"tides", "safety"},
				enclosures: []feed.Enclosure{{URL: "https://tides.example.com/audio/spring.ogg", Type: "audio/ogg", Length: 4200000, Duration: 240}},
				image:      "https://tides.example.com/img/spring.jpg"},
			{title: "https://tides.example.com/audio/neap.mp3", url: "https://tides.example.com/audio/neap.mp3",
				enclosures: []feed.Enclosure{{URL: "https://tides.example.com/audio/neap.mp3", Type: "audio/mpeg"}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f := ReadFile(context.Background(), "testdata/media/"+tt.file, nil)
			if f.Err != nil {
				t.Fatal(f.Err)
			}
			if len(f.Items) != len(tt.items) {
				t.Fatalf("%d items, want %d", len(f.Items), len(tt.items))
			}
			for i, w := range tt.items {
				it := f.Items[i]
				got := want{it.Title, it.URL, it.Author, it.Authors, it.Categories, it.Enclosures, it.Image, it.Comments}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("item %d:\n got %+v\nwant %+v", i, got, w)
				}
				if it.Site != tt.site {
					t.Errorf("item %d: site %+v, want %+v", i, it.Site, tt.site)
				}
			}
		})
	}
}

// TestFeedImageNamedOnly: an item's image is one its feed names, not the
// first picture of its content, which the content shows anyway (and
// guessing it cost gofeed an HTML parse per item).
func TestFeedImageNamedOnly(t *testing.T) {
	items, err := ParseFeed("img.rss", []byte(rssWith(`<item><title>Pictures</title><link>https://site.example/p</link>`+
		`<description><![CDATA[<p><img src="https://site.example/pixel.gif"> Text.</p>]]></description></item>`)), "")
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Image != "" {
		t.Errorf("image %q taken from the content", items[0].Image)
	}
}
