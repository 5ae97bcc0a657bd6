package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/topicfeed/topicfeed/feed"
)

// DedupEditor is what the admin API's split and merge change; an
// AdminStore that is one gets the endpoints. Unknown items and copies are
// feed.ErrNotFound; an edit that cannot be done as asked (merging an item
// into itself, splitting off the copy an item was made from) is
// feed.ErrRefused.
// topics are the configured topics, by which touched items are classified.
type DedupEditor interface {
	Copies(ctx context.Context, item int64) ([]feed.Copy, error)
	// SplitCopy moves one copy of item, named by its id or by its source
	// when that source has one copy of the item, into a new item.
	SplitCopy(ctx context.Context, item int64, copy string, topics []*feed.Topic) (feed.DedupEdit, error)
	// MergeItems moves every copy of gone to keep and deletes gone.
	MergeItems(ctx context.Context, keep, gone int64, topics []*feed.Topic) (feed.DedupEdit, error)
}

// dedupEditor is the admin store as a DedupEditor, or answers 501.
func (p *Publisher) dedupEditor(w http.ResponseWriter) DedupEditor {
	ed, ok := p.opt.Admin.(DedupEditor)
	if !ok {
		writeError(w, http.StatusNotImplemented, "this server cannot split or merge items")
	}
	return ed
}

// pathItem is the item id in the path, or answers 400.
func pathItem(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("item id %q must be a positive whole number", short(r.PathValue("id"), maxNameQuote)))
		return 0, false
	}
	return id, true
}

// apiCopies lists an item's copies with the ids a split takes.
func (p *Publisher) apiCopies(w http.ResponseWriter, r *http.Request) {
	ed := p.dedupEditor(w)
	id, ok := pathItem(w, r)
	if ed == nil || !ok {
		return
	}
	cs, err := ed.Copies(r.Context(), id)
	if err != nil {
		p.apiDedupFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"item": id, "copies": nonNil(cs)})
}

// apiSplit splits the copy {"copy": ID} (or {"copy": "SOURCE"}) off the
// item into a new item.
func (p *Publisher) apiSplit(w http.ResponseWriter, r *http.Request) {
	ed := p.dedupEditor(w)
	id, ok := pathItem(w, r)
	if ed == nil || !ok {
		return
	}
	var in struct{ Copy json.RawMessage }
	if !decodeJSON(w, r, &in, false) {
		return
	}
	// A copy is named by its id or, as on the command line, its source.
	var ref string
	var n int64
	if err := json.Unmarshal(in.Copy, &n); err == nil && n > 0 {
		ref = strconv.FormatInt(n, 10)
	} else if err := json.Unmarshal(in.Copy, &ref); err != nil || ref == "" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`copy %s: want {"copy": ID} with a copy id from GET /api/items/%d/copies, or a source name`, orNone(in.Copy), id))
		return
	}
	edit, err := ed.SplitCopy(r.Context(), id, ref, *p.topics.Load())
	if err != nil {
		p.apiDedupFail(w, r, err)
		return
	}
	p.Invalidate()
	respond(w, http.StatusOK, edit)
}

// apiMerge merges the item {"item": ID} into the item in the path.
func (p *Publisher) apiMerge(w http.ResponseWriter, r *http.Request) {
	ed := p.dedupEditor(w)
	id, ok := pathItem(w, r)
	if ed == nil || !ok {
		return
	}
	var in struct{ Item int64 }
	if !decodeJSON(w, r, &in, false) {
		return
	}
	if in.Item <= 0 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(`item %d: want {"item": ID} with the positive id of the item to merge into item %d`, in.Item, id))
		return
	}
	edit, err := ed.MergeItems(r.Context(), id, in.Item, *p.topics.Load())
	if err != nil {
		p.apiDedupFail(w, r, err)
		return
	}
	p.Invalidate()
	respond(w, http.StatusOK, edit)
}

// apiDedupFail answers a refused edit with 400, anything else as apiFail.
func (p *Publisher) apiDedupFail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, feed.ErrRefused) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	p.apiFail(w, r, err)
}

// orNone shows a request's value in an error, briefly.
func orNone(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "(none)"
	}
	if r := []rune(string(raw)); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return string(raw)
}
