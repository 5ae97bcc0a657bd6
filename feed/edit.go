package feed

import (
	"errors"
	"time"
)

// The store makes these and the admin API and `topicfeed explain` show
// them, so they live in the domain both import.

// DedupEdit is an editor's correction of dedup: a copy split off an item
// into an item of its own, or an item merged into another.
type DedupEdit struct {
	Action  string    `json:"action"`             // "split" or "merge"
	Item    int64     `json:"item"`               // split: the item the copy left; merge: the item kept
	Copy    int64     `json:"copy,omitempty"`     // split: the copy split off
	Source  string    `json:"source,omitempty"`   // split: the copy's source
	NewItem int64     `json:"new_item,omitempty"` // split: the item made from the copy
	Merged  int64     `json:"merged,omitempty"`   // merge: the item merged away, now gone
	Copies  int       `json:"copies,omitempty"`   // merge: how many copies moved
	At      time.Time `json:"at"`
}

// Copy is one copy of an item as an editor names it: its id (what a
// split takes), and how it joined the item.
type Copy struct {
	ID     int64     `json:"id"`
	Source string    `json:"source"`
	GUID   string    `json:"guid,omitempty"`
	URL    string    `json:"url,omitempty"`
	Reason string    `json:"reason"`
	Seen   time.Time `json:"seen"`
	// First marks the copy the item was made from, which cannot be split off.
	First bool `json:"first,omitempty"`
	// Editor is the last split or merge that moved the copy, if any.
	Editor *CopyMove `json:"editor,omitempty"`
}

// CopyMove is an editor's split or merge as one copy saw it.
type CopyMove struct {
	Action string    `json:"action"` // "split" or "merge"
	From   int64     `json:"from"`   // the item the copy was in before
	At     time.Time `json:"at"`
}

// ErrRefused is returned for an edit that cannot be done as asked; the
// error's message says why.
var ErrRefused = errors.New("refused")
