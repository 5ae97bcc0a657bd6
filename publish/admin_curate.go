package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/topicfeed/topicfeed/feed"
)

// Curation from the pages: pin, hide, split and merge are form posts that
// end in a redirect back to the page with what was done in the query, so
// the page can offer to undo it (and a reload does not repeat it).

// formInt is a positive whole number from a form field, or 0.
func formInt(r *http.Request, name string) int64 {
	n, err := strconv.ParseInt(r.PostFormValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// formCurate pins, hides or clears (action "clear") an item in a topic.
func (p *Publisher) formCurate(w http.ResponseWriter, r *http.Request, _ session) {
	t := p.topic(r.PostFormValue("topic"))
	id := formInt(r, "item")
	action := r.PostFormValue("action")
	switch {
	case t == nil:
		http.Error(w, "unknown topic "+strconv.Quote(short(r.PostFormValue("topic"), maxNameQuote)), http.StatusNotFound)
		return
	case id == 0:
		http.Error(w, "item must be a positive whole number", http.StatusBadRequest)
		return
	case action != "pin" && action != "hide" && action != "clear":
		http.Error(w, "action "+strconv.Quote(short(action, maxNameQuote))+": want pin, hide or clear", http.StatusBadRequest)
		return
	}
	prev, err := p.curationOf(r, t.Name, id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if err := p.opt.Admin.Curate(r.Context(), t.Name, id, strings.TrimPrefix(action, "clear")); err != nil {
		if errors.Is(err, feed.ErrNotFound) {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		p.fail(w, r, err)
		return
	}
	p.Invalidate()
	q := url.Values{"done": {action}, "item": {strconv.FormatInt(id, 10)}, "prev": {orClear(prev)}}
	if r.PostFormValue("undo") != "" {
		q.Set("done", "undo")
	}
	http.Redirect(w, r, p.basePath()+"/topics/"+t.Name+"?"+q.Encode()+"#item-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func orClear(action string) string {
	if action == "" {
		return "clear"
	}
	return action
}

// curationOf is the editor's choice for an item in a topic: "pin",
// "hide" or "".
func (p *Publisher) curationOf(r *http.Request, topic string, id int64) (string, error) {
	cs, err := p.opt.Admin.Curations(r.Context(), topic)
	if err != nil {
		return "", err
	}
	for _, c := range cs {
		if c.Item == id {
			return c.Action, nil
		}
	}
	return "", nil
}

// flash is what the last action did, read back from the redirect's query.
type flash struct {
	Done  string // pin, hide, clear, undo, split, merge, unmerge
	Item  int64
	Prev  string // the state an undo restores
	Title string
	New   int64  // split: the new item
	Gone  int64  // merge: the item merged away
	Moved string // merge: the pins and hides it moved ("pin:TOPIC,…")
	Copy  string // split: the copy moved
	List  string // merge: the copies moved, for an undo
}

func readFlash(r *http.Request) *flash {
	q := r.URL.Query()
	if q.Get("done") == "" {
		return nil
	}
	n := func(k string) int64 { v, _ := strconv.ParseInt(q.Get(k), 10, 64); return v }
	f := &flash{Done: q.Get("done"), Item: n("item"), Prev: q.Get("prev"), New: n("new"), Gone: n("gone"),
		Copy: q.Get("copy"), List: q.Get("copies"), Moved: q.Get("moved")}
	if f.Prev != "pin" && f.Prev != "hide" {
		f.Prev = "clear"
	}
	return f
}

// verdict says why an item is in a topic or not, as `topicfeed explain`
// does: the rule's terms it contains, the exclude terms that drop it, a
// source filter, or an editor's pin or hide.
func verdict(t *feed.Topic, it *feed.Item, curation string) (in bool, why string) {
	doc := feed.ItemDoc(it)
	matched := t.Match == nil || t.Match.Match(doc)
	var reasons []string
	if t.Match != nil && matched {
		reasons = append(reasons, "the rule matched "+strings.Join(t.Match.Explain(doc), ", "))
	}
	switch {
	case curation == "pin":
		return true, strings.Join(append([]string{"pinned by an editor"}, reasons...), "; ")
	case curation == "hide":
		return false, strings.Join(append([]string{"hidden by an editor"}, reasons...), "; ")
	case !matched:
		return false, "the rule " + t.Match.String() + " does not match it"
	case t.Exclude != nil && t.Exclude.Match(doc):
		return false, strings.Join(append(reasons, "excluded by "+strings.Join(t.Exclude.Explain(doc), ", ")), "; ")
	case len(t.Sources) > 0 && !overlap(t.Sources, it.Sources):
		return false, strings.Join(append(reasons, "not from "+strings.Join(t.Sources, ", ")), "; ")
	case len(reasons) == 0:
		return true, "the topic takes every item"
	}
	return true, strings.Join(reasons, "; ")
}

// copyRow is one copy of an item as the explain page lists it.
type copyRow struct {
	feed.Copy
	How string
}

func howJoined(c feed.Copy) string {
	m := c.Editor
	switch {
	case m == nil:
		return joinReason(c.Reason)
	case m.Action == "split":
		return fmt.Sprintf("split off item %d by an editor", m.From)
	case strings.HasPrefix(c.Reason, "editor:"):
		return fmt.Sprintf("merged in from item %d by an editor", m.From)
	}
	return fmt.Sprintf("merged in from item %d by an editor (it had joined that item as: %s)", m.From, joinReason(c.Reason))
}

// joinReason words a sighting's reason for a person; the store's
// reasons ("url: …", "hash: …", "near: …") already say what agreed.
func joinReason(r string) string {
	if r == "new" {
		return "the first copy: the item was made from it"
	}
	return r
}

// serveExplain is the explain page of an item: why it is (or is not) in
// the topic it was reached from, and why its copies were merged, with
// split, merge and undo.
func (p *Publisher) serveExplain(w http.ResponseWriter, r *http.Request, s session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "item id "+strconv.Quote(short(r.PathValue("id"), maxNameQuote))+" must be a positive whole number", http.StatusBadRequest)
		return
	}
	it, err := p.store.Item(r.Context(), id)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	data := struct {
		page
		Item    *feed.Item
		Topic   *feed.Topic
		In      bool
		Why     string
		Copies  []copyRow
		CanEdit bool
		Flash   *flash
	}{page: p.editorPage("Explain: "+it.Title, s), Item: it, Flash: readFlash(r)}
	if t := p.topic(r.URL.Query().Get("topic")); t != nil {
		c, err := p.curationOf(r, t.Name, id)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		data.Topic = t
		data.In, data.Why = verdict(t, it, c)
	}
	if ed, ok := p.opt.Admin.(DedupEditor); ok {
		cs, err := ed.Copies(r.Context(), id)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		for _, c := range cs {
			data.Copies = append(data.Copies, copyRow{c, howJoined(c)})
		}
		data.CanEdit = true
	}
	p.page(w, r, "admin_item.html", data)
}

// explainURL is the explain page of an item after an edit.
func (p *Publisher) explainURL(id int64, topic string, q url.Values) string {
	if topic != "" {
		q.Set("topic", topic)
	}
	return p.basePath() + "/admin/items/" + strconv.FormatInt(id, 10) + "?" + q.Encode()
}

// editor answers 501 when the store cannot split or merge.
func (p *Publisher) formEditor(w http.ResponseWriter) DedupEditor {
	ed, ok := p.opt.Admin.(DedupEditor)
	if !ok {
		http.Error(w, "this server cannot split or merge items", http.StatusNotImplemented)
	}
	return ed
}

func (p *Publisher) editFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, feed.ErrRefused):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, feed.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	default:
		p.fail(w, r, err)
	}
}

// formSplit splits the copy named by the form's "copy" off the item.
func (p *Publisher) formSplit(w http.ResponseWriter, r *http.Request, _ session) {
	ed := p.formEditor(w)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	copyID := formInt(r, "copy")
	if ed == nil {
		return
	}
	if id <= 0 || copyID == 0 {
		http.Error(w, "item and copy must be positive whole numbers", http.StatusBadRequest)
		return
	}
	edit, err := ed.SplitCopy(r.Context(), id, strconv.FormatInt(copyID, 10), *p.topics.Load())
	if err != nil {
		p.editFail(w, r, err)
		return
	}
	p.Invalidate()
	http.Redirect(w, r, p.explainURL(id, r.PostFormValue("topic"), url.Values{"done": {"split"},
		"new": {strconv.FormatInt(edit.NewItem, 10)}, "copy": {edit.Source}}), http.StatusSeeOther)
}

// formMerge merges the form's "item" into the item in the path; the
// copies it moves are remembered in the redirect so an undo can split
// them off again.
func (p *Publisher) formMerge(w http.ResponseWriter, r *http.Request, _ session) {
	ed := p.formEditor(w)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	gone := formInt(r, "item")
	if ed == nil {
		return
	}
	if id <= 0 || gone == 0 {
		http.Error(w, "item ids must be positive whole numbers", http.StatusBadRequest)
		return
	}
	cs, err := ed.Copies(r.Context(), gone)
	if err != nil {
		p.editFail(w, r, err)
		return
	}
	moved, err := p.movedCurations(r.Context(), id, gone)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if _, err := ed.MergeItems(r.Context(), id, gone, *p.topics.Load()); err != nil {
		p.editFail(w, r, err)
		return
	}
	p.Invalidate()
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = strconv.FormatInt(c.ID, 10)
	}
	done := "merge"
	if r.PostFormValue("undo") != "" {
		done = "undo"
	}
	http.Redirect(w, r, p.explainURL(id, r.PostFormValue("topic"), url.Values{"done": {done},
		"gone": {strconv.FormatInt(gone, 10)}, "copies": {strings.Join(ids, ",")},
		"moved": {strings.Join(moved, ",")}}), http.StatusSeeOther)
}

// movedCurations are the pins and hides a merge of gone into keep moves
// onto keep ("pin:TOPIC"): gone's, in the topics where keep has none. The
// undo of the merge gives them back.
func (p *Publisher) movedCurations(ctx context.Context, keep, gone int64) ([]string, error) {
	var moved []string
	for _, t := range *p.topics.Load() {
		cs, err := p.opt.Admin.Curations(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		var onKeep, onGone string
		for _, c := range cs {
			switch c.Item {
			case keep:
				onKeep = c.Action
			case gone:
				onGone = c.Action
			}
		}
		if onGone != "" && onKeep == "" {
			moved = append(moved, onGone+":"+t.Name)
		}
	}
	return moved, nil
}

// maxUnmerge bounds the copies one undo of a merge splits off.
const maxUnmerge = 100

// formUnmerge undoes a merge: the copies it moved are split off into one
// item again (the first split makes it, the rest are merged into it).
func (p *Publisher) formUnmerge(w http.ResponseWriter, r *http.Request, _ session) {
	ed := p.formEditor(w)
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if ed == nil {
		return
	}
	var copies []string
	for c := range strings.SplitSeq(r.PostFormValue("copies"), ",") {
		if n, err := strconv.ParseInt(c, 10, 64); err == nil && n > 0 {
			copies = append(copies, strconv.FormatInt(n, 10))
		}
	}
	if id <= 0 || len(copies) == 0 || len(copies) > maxUnmerge {
		http.Error(w, fmt.Sprintf("copies: want 1 to %d copy ids separated by commas", maxUnmerge), http.StatusBadRequest)
		return
	}
	topics := *p.topics.Load()
	var back int64
	for _, c := range copies {
		edit, err := ed.SplitCopy(r.Context(), id, c, topics)
		if err == nil && back != 0 {
			_, err = ed.MergeItems(r.Context(), back, edit.NewItem, topics)
		} else if err == nil {
			back = edit.NewItem
		}
		if err != nil {
			p.Invalidate()
			p.editFail(w, r, err)
			return
		}
	}
	// The pins and hides the merge moved go back to the item they were on.
	for m := range strings.SplitSeq(r.PostFormValue("moved"), ",") {
		action, topic, ok := strings.Cut(m, ":")
		if !ok || (action != "pin" && action != "hide") || p.topic(topic) == nil || back == 0 {
			continue
		}
		err := p.opt.Admin.Curate(r.Context(), topic, id, "")
		if err == nil {
			err = p.opt.Admin.Curate(r.Context(), topic, back, action)
		}
		if err != nil {
			p.Invalidate()
			p.editFail(w, r, err)
			return
		}
	}
	p.Invalidate()
	http.Redirect(w, r, p.explainURL(id, r.PostFormValue("topic"), url.Values{"done": {"unmerge"},
		"new": {strconv.FormatInt(back, 10)}}), http.StatusSeeOther)
}

// topicEditing is what a signed-in editor sees on a topic page beyond a
// reader: which items are pinned, the hidden ones (to unhide), and the
// last action with its undo.
type topicEditing struct {
	Pinned map[int64]bool
	Hidden []*feed.Item
	Flash  *flash
}

// maxHiddenShown bounds the hidden items listed on a topic page.
const maxHiddenShown = 50

func (p *Publisher) topicEditing(r *http.Request, t *feed.Topic, items []*feed.Item) (*topicEditing, error) {
	cs, err := p.opt.Admin.Curations(r.Context(), t.Name)
	if err != nil {
		return nil, err
	}
	ed := &topicEditing{Pinned: map[int64]bool{}, Flash: readFlash(r)}
	for _, c := range cs {
		switch {
		case c.Action == "pin":
			ed.Pinned[c.Item] = true
		case c.Action == "hide" && len(ed.Hidden) < maxHiddenShown:
			it, err := p.store.Item(r.Context(), c.Item)
			if errors.Is(err, feed.ErrNotFound) {
				continue // pruned since
			}
			if err != nil {
				return nil, err
			}
			ed.Hidden = append(ed.Hidden, it)
		}
	}
	if f := ed.Flash; f != nil && f.Item > 0 {
		if it, err := p.store.Item(r.Context(), f.Item); err == nil {
			f.Title = it.Title
		}
	}
	return ed, nil
}
