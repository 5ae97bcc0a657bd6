package publish

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// SourceStatus is a source's health as the /sources page and the admin
// API show it.
type SourceStatus struct {
	Name      string    `json:"name"`
	URL       string    `json:"url,omitempty"`
	Path      string    `json:"path,omitempty"`
	Origin    string    `json:"origin"` // "config" or "api"
	Items     int       `json:"items"`
	LastFetch time.Time `json:"last_fetch,omitzero"`
	NextFetch time.Time `json:"next_fetch,omitzero"`
	Status    int       `json:"status,omitempty"` // last HTTP status
	Error     string    `json:"error,omitempty"`
	Failures  int       `json:"failures,omitempty"`
	Disabled  bool      `json:"disabled,omitempty"`

	SourceDetail // folder scans, error history, polling (admin_sources.go)
}

// SourceReader is what the /sources page reads.
type SourceReader interface {
	SourceStatuses(ctx context.Context) ([]SourceStatus, error)
	// SourceActivity counts each source's items per day over the last
	// days days, oldest first.
	SourceActivity(ctx context.Context, days int) (map[string][]int, error)
}

// Curation is an operator's pin or hide of an item in a topic.
type Curation struct {
	Topic  string    `json:"topic"`
	Item   int64     `json:"item"`
	Action string    `json:"action"` // "pin" or "hide"
	At     time.Time `json:"at"`
}

// Sighting is one copy of an item and why it was joined to it.
type Sighting struct {
	Source string    `json:"source"`
	GUID   string    `json:"guid,omitempty"`
	URL    string    `json:"url,omitempty"`
	Reason string    `json:"reason"`
	Seen   time.Time `json:"seen"`
}

// AdminStore is what the admin API changes. AddSource returns ErrExists
// for a taken name; RemoveSource, Curate and Curations return
// feed.ErrNotFound for an unknown source, topic or item. Curate's action
// "" clears.
type AdminStore interface {
	SourceStatuses(ctx context.Context) ([]SourceStatus, error)
	AddSource(ctx context.Context, s feed.Source) error
	RemoveSource(ctx context.Context, name string) error
	Curate(ctx context.Context, topic string, item int64, action string) error
	Curations(ctx context.Context, topic string) ([]Curation, error)
	Sightings(ctx context.Context, item int64) ([]Sighting, error)
}

// RefreshFunc queues a refresh pass over the named sources (all when
// none) and returns what was queued: feed.ErrNotFound for an unknown source,
// ErrBusy when a pass is already waiting.
type RefreshFunc func(ctx context.Context, sources []string) ([]string, error)

var (
	// ErrExists is returned when adding something whose name is taken.
	ErrExists = errors.New("already exists")
	// ErrBusy is returned when the same work is already queued.
	ErrBusy = errors.New("busy")
)

// sourceName is the config's rule for source names.
var sourceName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// registerAPI mounts the admin API. Without a token the whole of /api/
// is 404, so a probe cannot tell the API exists.
func (p *Publisher) registerAPI(mux *http.ServeMux) {
	if p.opt.AdminToken == "" || p.opt.Admin == nil {
		mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "not found")
		})
		return
	}
	routes := map[string]http.HandlerFunc{
		"GET /api/sources":                          p.apiSources,
		"POST /api/sources":                         p.apiAddSource,
		"DELETE /api/sources/{name}":                p.apiRemoveSource,
		"GET /api/topics":                           p.apiTopics,
		"POST /api/topics/{name}/pin":               p.apiCurate("pin"),
		"POST /api/topics/{name}/hide":              p.apiCurate("hide"),
		"GET /api/topics/{name}/curation":           p.apiCurations,
		"DELETE /api/topics/{name}/curation/{item}": p.apiClearCuration,
		"POST /api/refresh":                         p.apiRefresh,
		"GET /api/items/{id}":                       p.apiItem,
		"GET /api/items/{id}/copies":                p.apiCopies,
		"POST /api/items/{id}/split":                p.apiSplit,
		"POST /api/items/{id}/merge":                p.apiMerge,
		"GET /api/topics/{name}/rule":               p.apiRule,
		"PUT /api/topics/{name}/rule":               p.apiSaveRule,
		"/api/": func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusNotFound, "no endpoint "+short(r.Method, maxNameQuote)+" "+short(r.URL.Path, 4*maxNameQuote))
		},
	}
	for pattern, h := range routes {
		mux.Handle(pattern, p.authorized(h))
	}
}

// authorized checks the bearer token in constant time. Both sides are
// hashed first so the comparison does not even leak the token's length.
func (p *Publisher) authorized(h http.HandlerFunc) http.Handler {
	want := sha256.Sum256([]byte(p.opt.AdminToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		ok := len(auth) > 7 && strings.EqualFold(auth[:7], "Bearer ")
		got := sha256.Sum256([]byte(strings.TrimSpace(auth[min(len(auth), 7):])))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="topicfeed"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

func (p *Publisher) apiSources(w http.ResponseWriter, r *http.Request) {
	srcs, err := p.opt.Admin.SourceStatuses(r.Context())
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"sources": nonNil(srcs)})
}

func (p *Publisher) apiAddSource(w http.ResponseWriter, r *http.Request) {
	var in struct{ Name, URL string }
	if !decodeJSON(w, r, &in, false) {
		return
	}
	u, err := url.Parse(in.URL)
	switch {
	case !sourceName.MatchString(in.Name):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("name %q: use only a-z, 0-9, '.', '_' and '-', starting with a letter or digit", short(in.Name, maxNameQuote)))
		return
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		writeError(w, http.StatusBadRequest, fmt.Sprintf("url %q is not an absolute http(s) URL", short(in.URL, 4*maxNameQuote)))
		return
	}
	if err := p.opt.Admin.AddSource(r.Context(), feed.Source{Name: in.Name, URL: u.String()}); err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusCreated, map[string]any{"source": SourceStatus{Name: in.Name, URL: u.String(), Origin: "api"}})
}

func (p *Publisher) apiRemoveSource(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	srcs, err := p.opt.Admin.SourceStatuses(r.Context())
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	for _, s := range srcs {
		if s.Name == name && s.Origin == "config" {
			writeError(w, http.StatusConflict, "source "+name+" is in the config file; remove it there")
			return
		}
	}
	if err := p.opt.Admin.RemoveSource(r.Context(), name); err != nil {
		p.apiFail(w, r, err)
		return
	}
	p.Invalidate() // its items went with it
	w.WriteHeader(http.StatusNoContent)
}

type apiTopic struct {
	Name        string                 `json:"name"`
	Title       string                 `json:"title"`
	Description string                 `json:"description,omitempty"`
	Items       int                    `json:"items"`
	LastUpdate  time.Time              `json:"last_update,omitzero"`
	Feeds       map[feed.Format]string `json:"feeds"`
}

func (p *Publisher) apiTopics(w http.ResponseWriter, r *http.Request) {
	stats, err := p.store.TopicStats(r.Context())
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	out := []apiTopic{}
	for _, t := range *p.topics.Load() {
		s := stats[t.Name]
		feeds := map[feed.Format]string{}
		for _, f := range []feed.Format{feed.RSS, feed.Atom, feed.JSON} {
			feeds[f] = p.channel(t, f).Self
		}
		out = append(out, apiTopic{t.Name, t.Title, t.Description, s.Items, s.LastUpdate, feeds})
	}
	respond(w, http.StatusOK, map[string]any{"topics": out})
}

// apiCurate pins or hides the item {"item": ID} in the topic.
func (p *Publisher) apiCurate(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := p.apiTopic(w, r)
		if t == nil {
			return
		}
		var in struct{ Item int64 }
		if !decodeJSON(w, r, &in, false) {
			return
		}
		if in.Item <= 0 {
			writeError(w, http.StatusBadRequest, `want {"item": ID} with a positive item id`)
			return
		}
		if err := p.opt.Admin.Curate(r.Context(), t.Name, in.Item, action); err != nil {
			p.apiFail(w, r, err)
			return
		}
		p.Invalidate()
		respond(w, http.StatusOK, Curation{Topic: t.Name, Item: in.Item, Action: action, At: time.Now().UTC()})
	}
}

func (p *Publisher) apiClearCuration(w http.ResponseWriter, r *http.Request) {
	t := p.apiTopic(w, r)
	if t == nil {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("item"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "item id must be a positive whole number")
		return
	}
	if err := p.opt.Admin.Curate(r.Context(), t.Name, id, ""); err != nil {
		p.apiFail(w, r, err)
		return
	}
	p.Invalidate()
	w.WriteHeader(http.StatusNoContent)
}

func (p *Publisher) apiCurations(w http.ResponseWriter, r *http.Request) {
	t := p.apiTopic(w, r)
	if t == nil {
		return
	}
	cs, err := p.opt.Admin.Curations(r.Context(), t.Name)
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"topic": t.Name, "curation": nonNil(cs)})
}

// apiTopic finds the configured topic named in the path, or answers 404.
func (p *Publisher) apiTopic(w http.ResponseWriter, r *http.Request) *feed.Topic {
	t := p.topic(r.PathValue("name"))
	if t == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("topic %q: not found", short(r.PathValue("name"), maxNameQuote)))
	}
	return t
}

func (p *Publisher) apiRefresh(w http.ResponseWriter, r *http.Request) {
	var in struct{ Sources []string }
	if !decodeJSON(w, r, &in, true) {
		return
	}
	if p.opt.Refresh == nil {
		writeError(w, http.StatusServiceUnavailable, "this server does not refresh sources")
		return
	}
	queued, err := p.opt.Refresh(r.Context(), in.Sources)
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusAccepted, map[string]any{"queued": nonNil(queued)})
}

type apiItem struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	URL        string    `json:"url,omitempty"`
	Page       string    `json:"page"`
	Author     string    `json:"author,omitempty"`
	Summary    string    `json:"summary,omitempty"`
	Categories []string  `json:"categories,omitempty"`
	Sources    []string  `json:"sources"`
	Published  time.Time `json:"published"`
	Updated    time.Time `json:"updated"`
}

// apiItem explains an item: the item and every copy merged into it.
func (p *Publisher) apiItem(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusBadRequest, "item id must be a positive whole number")
		return
	}
	it, err := p.store.Item(r.Context(), id)
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	sights, err := p.opt.Admin.Sightings(r.Context(), id)
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"item": apiItem{it.ID, it.Title, it.URL, feed.ItemURL(p.base, it.ID),
		it.Author, feed.Summarize(it, 300), it.Categories, it.Sources, it.Published, it.Updated}, "sightings": nonNil(sights)})
}

// apiFail maps an error to its status; unexpected ones are logged once
// here and reach the client only as "internal error".
func (p *Publisher) apiFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, feed.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrExists), errors.Is(err, ErrBusy):
		writeError(w, http.StatusConflict, err.Error())
	default:
		p.opt.Log.ErrorContext(r.Context(), "api request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

// maxAPIBody caps a request body; every API request is a few fields.
const maxAPIBody = 64 << 10

// decodeJSON reads one JSON object into v, answering 400 itself when it
// cannot. With optional, an empty body leaves v as it is.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, optional bool) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil || (optional && errors.Is(err, io.EOF)) {
		return true
	}
	writeError(w, http.StatusBadRequest, "request body: "+err.Error())
	return false
}

func respond(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	respond(w, code, map[string]string{"error": msg})
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
