package config

import (
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// DefaultLimit is how many items a topic feed carries when the config does
// not say.
const DefaultLimit = 50

// NearDuplicateDistance is the configured distance, or the default.
func (c *Config) NearDuplicateDistance() int {
	if c.Dedup.NearDuplicateDistance == nil {
		return DefaultNearDuplicateDistance
	}
	return *c.Dedup.NearDuplicateDistance
}

// FeedTopics compiles the configured topics, adding the built-in topic
// "all" unless the file defines its own. Call it only on a validated config.
func (c *Config) FeedTopics() []*feed.Topic {
	var out []*feed.Topic
	hasAll := false
	for _, t := range c.Topics {
		ft := &feed.Topic{Name: t.Name, Title: t.Title, Description: t.Description, Sources: t.Sources, Limit: t.Limit}
		ft.Match = mustRule(t.Match)
		ft.Exclude = mustRule(t.Exclude)
		if ft.Limit == 0 {
			ft.Limit = DefaultLimit
		}
		if ft.Title == "" {
			ft.Title = t.Name
		}
		hasAll = hasAll || t.Name == feed.AllTopic
		out = append(out, ft)
	}
	if !hasAll {
		out = append(out, &feed.Topic{Name: feed.AllTopic, Title: "All items", Description: "Every item topicfeed has stored", Limit: DefaultLimit})
	}
	return out
}

// FeedSources lists the configured sources with their intervals defaulted.
func (c *Config) FeedSources() []feed.Source {
	out := make([]feed.Source, len(c.Sources))
	for i, s := range c.Sources {
		iv := time.Duration(s.Interval)
		if iv == 0 {
			iv = time.Duration(c.Refresh.Interval)
		}
		out[i] = feed.Source{Name: s.Name, URL: s.URL, Path: s.Path, Interval: iv, FullContent: s.FullContent}
		out[i].Kind = s.Kind
		if sc := s.Scrape; sc != nil {
			out[i].Scrape = &feed.Scrape{Item: sc.Item, Title: sc.Title, Link: sc.Link, Date: sc.Date, Summary: sc.Summary}
		}
	}
	return out
}

func mustRule(src string) *feed.Rule {
	if src == "" {
		return nil
	}
	r, err := feed.ParseRule(src)
	if err != nil {
		panic("config: FeedTopics on an unvalidated config: " + err.Error())
	}
	return r
}
