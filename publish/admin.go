package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// RuleOrigin says where a topic's rule in force comes from: the config
// file, or the console (Console set), which wins until the config file's
// own rule for the topic changes.
type RuleOrigin struct {
	ConfigMatch   string    `json:"config_match"`
	ConfigExclude string    `json:"config_exclude"`
	Console       bool      `json:"console"`
	Match         string    `json:"match"` // the rule in force
	Exclude       string    `json:"exclude"`
	Saved         time.Time `json:"saved,omitzero"` // when the console rule was saved
}

// RuleStore keeps the rules saved from the console. SaveRule makes t's
// rule the one in force and recomputes the topic's items; both return
// feed.ErrNotFound for a topic the store does not know.
type RuleStore interface {
	SaveRule(ctx context.Context, t *feed.Topic) (RuleOrigin, error)
	TopicRule(ctx context.Context, topic string) (RuleOrigin, error)
	// TopicMembers lists up to limit items the topic's rule holds, newest
	// first, pins and hides aside.
	TopicMembers(ctx context.Context, topic string, limit int) ([]*feed.Item, error)
}

// Console switches on the operator's console at /admin (with
// Options.AdminToken): the rule playground and curation on the pages.
type Console struct {
	Rules  RuleStore
	Search Searcher // runs the playground's draft rules
	// TopicsChanged, when set, gets the topics in force after a rule is
	// saved, so that new items are classified by it (serve's ingester).
	TopicsChanged func([]*feed.Topic)
}

// adminState is the console's: sessions, and bounds on sign-in attempts
// and on playground searches.
type adminState struct {
	sessions sessions
	logins   *clientRates
	gate     *gate
	rates    *clientRates
	saving   sync.Mutex // one rule save at a time swaps the topic list
}

// registerConsole mounts /admin. Without a token (or a store to save
// rules in) the console is off, and /admin says how to switch it on.
func (p *Publisher) registerConsole(mux *http.ServeMux) {
	c := p.opt.Console
	if p.opt.AdminToken == "" || c == nil || c.Rules == nil || c.Search == nil || p.opt.Admin == nil {
		mux.HandleFunc("/admin", p.serveConsoleOff)
		mux.HandleFunc("/admin/", p.serveConsoleOff)
		return
	}
	if p.admin == nil {
		n := runtime.GOMAXPROCS(0)
		p.admin = &adminState{sessions: sessions{m: map[[32]byte]session{}},
			logins: newClientRates(1, 5, DefaultSearchClients), gate: newGate(n, 8*n),
			rates: newClientRates(DefaultSearchRate, DefaultSearchBurst, DefaultSearchClients)}
	}
	mux.HandleFunc("GET /admin", p.signedIn(p.serveAdminHome))
	mux.HandleFunc("GET /admin/login", func(w http.ResponseWriter, r *http.Request) {
		p.serveLogin(w, r, http.StatusOK, "")
	})
	mux.HandleFunc("POST /admin/login", p.login)
	mux.HandleFunc("POST /admin/logout", p.signedIn(p.logout))
	mux.HandleFunc("GET /admin/playground", p.signedIn(p.servePlayground))
	mux.HandleFunc("GET /admin/playground/results", p.signedIn(p.servePlaygroundResults))
	mux.HandleFunc("POST /admin/rule", p.signedIn(p.formSaveRule))
	mux.HandleFunc("POST /admin/curate", p.signedIn(p.formCurate))
	mux.HandleFunc("GET /admin/items/{id}", p.signedIn(p.serveExplain))
	mux.HandleFunc("POST /admin/items/{id}/split", p.signedIn(p.formSplit))
	mux.HandleFunc("POST /admin/items/{id}/merge", p.signedIn(p.formMerge))
	mux.HandleFunc("POST /admin/items/{id}/unmerge", p.signedIn(p.formUnmerge))
	mux.HandleFunc("/admin/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no console page "+short(r.Method, maxNameQuote)+" "+short(r.URL.Path, 4*maxNameQuote), http.StatusNotFound)
	})
}

// serveConsoleOff explains how to switch the console on; it is never an
// open console.
func (p *Publisher) serveConsoleOff(w http.ResponseWriter, r *http.Request) {
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "admin_off.html", p.newPage("Console")); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(buf.String()))
}

type adminTopic struct {
	*feed.Topic
	Items  int
	Origin RuleOrigin
}

func (p *Publisher) serveAdminHome(w http.ResponseWriter, r *http.Request, s session) {
	stats, err := p.store.TopicStats(r.Context())
	if err != nil {
		p.fail(w, r, err)
		return
	}
	var rows []adminTopic
	for _, t := range *p.topics.Load() {
		o, err := p.opt.Console.Rules.TopicRule(r.Context(), t.Name)
		if err != nil && !errors.Is(err, feed.ErrNotFound) {
			p.fail(w, r, err)
			return
		}
		rows = append(rows, adminTopic{t, stats[t.Name].Items, o})
	}
	p.page(w, r, "admin.html", struct {
		page
		Topics []adminTopic
	}{p.editorPage("Console", s), rows})
}

// editorPage is a page for a signed-in editor: its forms carry the CSRF
// token and the header offers signing out.
func (p *Publisher) editorPage(title string, s session) page {
	pg := p.newPage(title)
	pg.CSRF = s.csrf
	pg.Editor = true
	return pg
}

// ruleLimits cap a draft or saved rule as search queries are capped, a
// little wider: topic rules list more alternatives than a search.
var ruleLimits = SearchLimits{MaxQuery: 2000, MaxTerms: 128}.withDefaults()

// parseDraft checks and parses one field of a rule ("" is no rule).
func parseDraft(field, src string) (*feed.Rule, *ruleProblem) {
	src = strings.TrimSpace(src)
	if src == "" {
		return nil, nil
	}
	if msg := ruleLimits.checkQuery(src); msg != "" {
		return nil, &ruleProblem{Field: field, Msg: strings.Replace(msg, "q is", field+" is", 1)}
	}
	r, err := feed.ParseRule(src)
	if err != nil {
		pr := &ruleProblem{Field: field, Text: src, Msg: err.Error()}
		var re *feed.RuleError
		if errors.As(err, &re) {
			pr.Msg, pr.Column = re.Msg, re.Column
			pr.Caret = strings.Repeat(" ", max(re.Column-1, 0)) + "^"
		}
		return nil, pr
	}
	return r, nil
}

// ruleProblem is a draft rule that cannot be used, where and why.
type ruleProblem struct {
	Field  string // "match" or "exclude"
	Text   string // the rule as typed, for the caret line under it
	Column int
	Caret  string
	Msg    string
}

func (e *ruleProblem) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s: column %d: %s", e.Field, e.Column, e.Msg)
	}
	return e.Field + ": " + e.Msg
}

// saveRule makes match and exclude the topic's rule in force: stored,
// the topic's items recomputed, the feed caches dropped and the new
// topic list handed on. The admin API and the console's form both save
// through here.
func (p *Publisher) saveRule(ctx context.Context, name, match, exclude string) (RuleOrigin, *feed.Topic, error) {
	t := p.topic(name)
	if t == nil {
		return RuleOrigin{}, nil, fmt.Errorf("topic %q: %w", short(name, maxNameQuote), feed.ErrNotFound)
	}
	m, pm := parseDraft("match", match)
	if pm != nil {
		return RuleOrigin{}, nil, pm
	}
	x, px := parseDraft("exclude", exclude)
	if px != nil {
		return RuleOrigin{}, nil, px
	}
	p.admin.saving.Lock()
	defer p.admin.saving.Unlock()
	next := *t
	next.Match, next.Exclude = m, x
	o, err := p.opt.Console.Rules.SaveRule(ctx, &next)
	if err != nil {
		return RuleOrigin{}, nil, err
	}
	old := *p.topics.Load()
	ts := make([]*feed.Topic, len(old))
	for i, ot := range old {
		ts[i] = ot
		if ot.Name == name {
			ts[i] = &next
		}
	}
	p.SetTopics(ts) // drops every cached feed
	if f := p.opt.Console.TopicsChanged; f != nil {
		f(ts)
	}
	return o, &next, nil
}

// apiRule answers GET /api/topics/{name}/rule: the rule in force and
// where it comes from.
func (p *Publisher) apiRule(w http.ResponseWriter, r *http.Request) {
	t := p.apiTopic(w, r)
	if t == nil {
		return
	}
	if p.opt.Console == nil || p.opt.Console.Rules == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot save rules")
		return
	}
	o, err := p.opt.Console.Rules.TopicRule(r.Context(), t.Name)
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"topic": t.Name, "rule": o})
}

// apiSaveRule answers PUT /api/topics/{name}/rule with
// {"match": RULE, "exclude": RULE}.
func (p *Publisher) apiSaveRule(w http.ResponseWriter, r *http.Request) {
	if p.opt.Console == nil || p.opt.Console.Rules == nil || p.admin == nil {
		writeError(w, http.StatusNotImplemented, "this server cannot save rules")
		return
	}
	var in struct{ Match, Exclude string }
	if !decodeJSON(w, r, &in, false) {
		return
	}
	o, _, err := p.saveRule(r.Context(), r.PathValue("name"), in.Match, in.Exclude)
	var pe *ruleProblem
	if errors.As(err, &pe) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("topic %s: %s", short(r.PathValue("name"), maxNameQuote), pe.Error()))
		return
	}
	if err != nil {
		p.apiFail(w, r, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"topic": r.PathValue("name"), "rule": o})
}
