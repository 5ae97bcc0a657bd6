package publish

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/topicfeed/topicfeed/feed"
)

// Playground bounds: how many matches a draft rule is judged over, how
// many are listed, and how far back the per-day chart reaches.
const (
	playgroundJudged = 500
	playgroundShown  = 30
	playgroundDiffs  = 15
	playgroundDays   = 28
)

// draft is the playground's form: a topic and a rule as typed.
type draft struct {
	Topic          *feed.Topic
	Match, Exclude string
}

// playgroundResult is what a draft rule would do.
type playgroundResult struct {
	Problem  *ruleProblem
	Empty    bool   // no rule typed
	Refused  string // over the search bounds: try again
	Matches  []hit  // newest first
	Total    int    // matches judged (at most playgroundJudged)
	AtLeast  bool   // more matched than were judged
	Since    time.Time
	Chart    dayChart
	Current  int // the rule in force's items over the same span
	Adds     []hit
	Drops    []hit
	AddN     int
	DropN    int
	Same     bool // the draft is the rule in force
	Days     int
	FeedPath string
}

// hit is one item as the playground lists it, matched words marked.
type hit struct {
	Base      string
	Topic     string // for the explain link
	ID        int64
	Title     template.HTML
	Summary   template.HTML
	Published time.Time
	Sources   []string
}

// readDraft takes the form's fields; with no rule field at all the
// topic's rule in force is the draft, so the page opens on it.
func (p *Publisher) readDraft(r *http.Request) (draft, bool) {
	q := r.URL.Query()
	ts := *p.topics.Load()
	d := draft{Topic: p.topic(q.Get("topic"))}
	if d.Topic == nil {
		if q.Get("topic") != "" || len(ts) == 0 {
			return d, false
		}
		d.Topic = ts[0]
	}
	if _, typed := q["rule"]; typed {
		d.Match, d.Exclude = q.Get("rule"), q.Get("exclude")
	} else {
		d.Match, d.Exclude = ruleString(d.Topic.Match), ruleString(d.Topic.Exclude)
	}
	return d, true
}

func ruleString(r *feed.Rule) string {
	if r == nil {
		return ""
	}
	return r.String()
}

// draftResult reads the draft rule a request asks about and tries it;
// false when it has answered the request itself (unknown topic, failure).
func (p *Publisher) draftResult(w http.ResponseWriter, r *http.Request) (draft, playgroundResult, bool) {
	d, ok := p.readDraft(r)
	if !ok {
		http.Error(w, "unknown topic "+strconv.Quote(short(r.URL.Query().Get("topic"), maxNameQuote)), http.StatusNotFound)
		return d, playgroundResult{}, false
	}
	res, err := p.tryRule(r, d)
	if err != nil {
		p.fail(w, r, err)
		return d, res, false
	}
	return d, res, true
}

func (p *Publisher) servePlayground(w http.ResponseWriter, r *http.Request, s session) {
	d, res, ok := p.draftResult(w, r)
	if !ok {
		return
	}
	// The form shows the rule back, but no more of it than a rule may
	// hold: tryRule has already said it is too long.
	d.Match, d.Exclude = short(d.Match, ruleLimits.MaxQuery), short(d.Exclude, ruleLimits.MaxQuery)
	origin, err := p.opt.Console.Rules.TopicRule(r.Context(), d.Topic.Name)
	if err != nil && !errors.Is(err, feed.ErrNotFound) {
		p.fail(w, r, err)
		return
	}
	p.page(w, r, "admin_playground.html", struct {
		page
		Draft  draft
		Topics []*feed.Topic
		Origin RuleOrigin
		Saved  bool
		Result playgroundResult
	}{p.editorPage("Rule playground", s), d, *p.topics.Load(), origin, r.URL.Query().Get("saved") != "", res})
}

// servePlaygroundResults is the results part alone, for the page's
// script to swap in as the editor types.
func (p *Publisher) servePlaygroundResults(w http.ResponseWriter, r *http.Request, s session) {
	d, res, ok := p.draftResult(w, r)
	if !ok {
		return
	}
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "playground_results", struct {
		page
		Draft  draft
		Result playgroundResult
	}{p.editorPage("", s), d, res}); err != nil {
		p.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(buf.String()))
}

// tryRule judges a draft over the newest matching items: a parse error,
// or the matches, their days, and what changes against the rule in force.
// Runs are bounded like searches: a rate per client and a number at once.
func (p *Publisher) tryRule(r *http.Request, d draft) (playgroundResult, error) {
	res := playgroundResult{Days: playgroundDays, FeedPath: p.base + "/topics/" + d.Topic.Name}
	m, pm := parseDraft("match", d.Match)
	x, px := parseDraft("exclude", d.Exclude)
	switch {
	case pm != nil:
		res.Problem = pm
		return res, nil
	case px != nil:
		res.Problem = px
		return res, nil
	case m == nil && x == nil:
		res.Empty = true
		return res, nil
	}
	res.Same = ruleString(m) == ruleString(d.Topic.Match) && ruleString(x) == ruleString(d.Topic.Exclude)
	combined, err := combine(m, x)
	if err != nil {
		res.Problem = &ruleProblem{Field: "match", Msg: err.Error()}
		return res, nil
	}
	if wait := p.admin.rates.wait(r.RemoteAddr, time.Now()); wait > 0 {
		res.Refused = "Too many previews at once; wait a moment."
		return res, nil
	}
	ctx, cancel := context.WithTimeout(r.Context(), DefaultSearchTimeout)
	defer cancel()
	if err := p.admin.gate.enter(ctx); err != nil {
		res.Refused = err.Error()
		return res, nil
	}
	defer p.admin.gate.leave()
	found, err := p.opt.Console.Search.Search(ctx, combined, playgroundJudged)
	if err != nil {
		if ctx.Err() != nil {
			res.Refused = errTooSlow.Error()
			return res, nil
		}
		return res, err
	}
	current, err := p.opt.Console.Rules.TopicMembers(ctx, d.Topic.Name, playgroundJudged)
	if err != nil && !errors.Is(err, feed.ErrNotFound) {
		return res, err
	}
	// Compare like with like: both lists stop at their limit, so only the
	// span both cover in full is compared.
	var since time.Time
	if len(found) == playgroundJudged {
		since = found[len(found)-1].Published
		res.AtLeast = true
	}
	if len(current) == playgroundJudged && current[len(current)-1].Published.After(since) {
		since = current[len(current)-1].Published
	}
	res.Since = since
	matched := map[int64]bool{}
	var matches []*feed.Item
	for _, it := range found {
		if len(d.Topic.Sources) == 0 || overlap(d.Topic.Sources, it.Sources) {
			matches = append(matches, it)
			matched[it.ID] = true
		}
	}
	res.Total = len(matches)
	held := map[int64]bool{}
	for _, it := range current {
		held[it.ID] = true
		if !it.Published.Before(since) && !matched[it.ID] {
			res.DropN++
			if len(res.Drops) < playgroundDiffs {
				res.Drops = append(res.Drops, p.hitOf(it, d.Topic.Name, d.Topic.Match))
			}
		}
	}
	for _, it := range matches {
		if len(res.Matches) < playgroundShown {
			res.Matches = append(res.Matches, p.hitOf(it, d.Topic.Name, m))
		}
		if !it.Published.Before(since) && !held[it.ID] {
			res.AddN++
			if len(res.Adds) < playgroundDiffs {
				res.Adds = append(res.Adds, p.hitOf(it, d.Topic.Name, m))
			}
		}
	}
	res.Chart, res.Current = newDayChart(matches, current, time.Now(), playgroundDays)
	return res, nil
}

// combine makes one rule of match and exclude ("(m) NOT (x)") so the
// search index narrows by both. Canonical rule text parses back to the
// same rule.
func combine(m, x *feed.Rule) (*feed.Rule, error) {
	var src string
	switch {
	case x == nil:
		return m, nil
	case m == nil:
		src = "NOT (" + x.String() + ")"
	default:
		src = "(" + m.String() + ") NOT (" + x.String() + ")"
	}
	return feed.ParseRule(src)
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func (p *Publisher) hitOf(it *feed.Item, topic string, rule *feed.Rule) hit {
	terms := markTerms(rule, it)
	return hit{Base: p.base, Topic: topic, ID: it.ID, Title: highlight(it.Title, terms.title), Summary: highlight(feed.Summarize(it, 240), terms.body),
		Published: it.Published, Sources: it.Sources}
}

// dayChart is a per-day bar chart of a draft's matches as inline SVG,
// with the rule in force's count each day as a tick.
type dayChart struct {
	Bars     []dayBar
	Width    int
	Label    string
	Max      int
	From, To time.Time
}

type dayBar struct {
	X, Y, H, TickY int
	Title          string
}

const chartHeight = 60

func newDayChart(draft, current []*feed.Item, now time.Time, days int) (dayChart, int) {
	// The chart ends today, or, when nothing matched in its span, on the
	// day of the newest match, so a quiet topic's chart is not blank.
	today := now.UTC().Truncate(24 * time.Hour)
	first := today.AddDate(0, 0, -days+1)
	if len(draft) > 0 && draft[0].Published.Before(first) {
		today = draft[0].Published.UTC().Truncate(24 * time.Hour)
		first = today.AddDate(0, 0, -days+1)
	}
	count := func(items []*feed.Item) ([]int, int) {
		c := make([]int, days)
		n := 0
		for _, it := range items {
			if i := int(it.Published.UTC().Sub(first) / (24 * time.Hour)); !it.Published.Before(first) && i < days {
				c[i]++
				n++
			}
		}
		return c, n
	}
	dc, total := count(draft)
	cc, cur := count(current)
	top := 1
	for i := range days {
		top = max(top, dc[i], cc[i])
	}
	ch := dayChart{Width: days * 10, Max: top, From: first, To: today}
	parts := make([]string, days)
	for i := range days {
		h := dc[i] * chartHeight / top
		if dc[i] > 0 {
			h = max(h, 2)
		}
		day := first.AddDate(0, 0, i).Format("2 Jan")
		ch.Bars = append(ch.Bars, dayBar{X: i * 10, Y: chartHeight - h, H: h, TickY: chartHeight - cc[i]*chartHeight/top,
			Title: fmt.Sprintf("%s: %d with this rule, %d now", day, dc[i], cc[i])})
		parts[i] = strconv.Itoa(dc[i])
	}
	ch.Label = fmt.Sprintf("%d matches from %s to %s (the rule in force: %d); per day, oldest first: %s",
		total, first.Format("2 Jan"), today.Format("2 Jan 2006"), cur, strings.Join(parts, ", "))
	return ch, cur
}

// formSaveRule saves the playground's rule through saveRule, as the admin
// API's PUT /api/topics/{name}/rule does, and goes back to the page.
func (p *Publisher) formSaveRule(w http.ResponseWriter, r *http.Request, s session) {
	name := r.PostFormValue("topic")
	_, _, err := p.saveRule(r.Context(), name, r.PostFormValue("rule"), r.PostFormValue("exclude"))
	var pe *ruleProblem
	switch {
	case errors.As(err, &pe):
		http.Error(w, fmt.Sprintf("topic %s: %s", short(name, maxNameQuote), pe.Error()), http.StatusBadRequest)
		return
	case errors.Is(err, feed.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, p.basePath()+"/admin/playground?"+url.Values{"topic": {name}, "saved": {"1"}}.Encode(), http.StatusSeeOther)
}
