package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"
)

// robots.txt (RFC 9309) is honoured for article pages only: feeds are
// published to be polled, a site's pages are not always meant for robots.

const (
	robotsTTL      = 24 * time.Hour // RFC 9309 asks for no more than a day
	robotsErrorTTL = time.Hour      // an unreachable robots.txt is asked again sooner
	robotsMaxBody  = 500 << 10      // the RFC's minimum parse limit; the rest is ignored
	robotsAgent    = "topicfeed"    // the product token matched against User-agent lines
)

// ErrRobots is wrapped by Page's error for a page robots.txt disallows.
var ErrRobots = errors.New("disallowed by robots.txt")

// robotsCache holds each host's rules for a Client; its zero value is ready.
type robotsCache struct {
	mu    sync.Mutex
	hosts map[string]*robotsEntry // by scheme://host:port
}

type robotsEntry struct {
	ready   chan struct{} // closed once rules and err are set
	rules   *Robots
	err     error // robots.txt could not be read: every page waits
	expires time.Time
}

// robotsFor returns the rules of u's site, fetching its robots.txt once
// per robotsTTL; concurrent callers share one fetch. The shared fetch runs
// under a context detached from every caller (bounded by the client's
// timeout, and keeping their values), so one caller that gives up does not
// fail the others; each caller stops waiting when its own ctx ends.
func (c *Client) robotsFor(ctx context.Context, u *url.URL) (*Robots, error) {
	key := u.Scheme + "://" + strings.ToLower(u.Host)
	rc := &c.robots
	rc.mu.Lock()
	if rc.hosts == nil {
		rc.hosts = map[string]*robotsEntry{}
	}
	e := rc.hosts[key]
	now := c.now()
	if e != nil {
		select {
		case <-e.ready:
			if now.After(e.expires) {
				e = nil
			}
		default: // being fetched
		}
	}
	if e == nil {
		e = &robotsEntry{ready: make(chan struct{})}
		rc.hosts[key] = e
		go func(ctx context.Context) {
			e.rules, e.err = c.fetchRobots(ctx, key+"/robots.txt")
			e.expires = now.Add(robotsTTL)
			if e.err != nil {
				e.expires = now.Add(robotsErrorTTL)
			}
			close(e.ready)
		}(context.WithoutCancel(ctx))
	}
	rc.mu.Unlock()
	select {
	case <-e.ready:
		return e.rules, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fetchRobots reads a robots.txt. As RFC 9309 says, a 4xx answer (none
// there) allows everything; a server error or no answer allows nothing
// until it is asked again.
func (c *Client) fetchRobots(ctx context.Context, u string) (*Robots, error) {
	res, err := c.get(ctx, Request{URL: u, Accept: "text/plain, */*;q=0.1"})
	if err != nil {
		var fe *Error
		if errors.As(err, &fe) && fe.Status >= 400 && fe.Status < 500 && fe.Status != 429 {
			return &Robots{}, nil
		}
		return nil, err
	}
	return ParseRobots(res.Body[:min(len(res.Body), robotsMaxBody)], robotsAgent), nil
}

// Robots is the part of a robots.txt that applies to one user agent.
type Robots struct {
	rules []robotsRule
}

type robotsRule struct {
	allow   bool
	pattern string // path pattern: * matches any run, a final $ anchors the end
}

// ParseRobots reads the group of a robots.txt that applies to agent (a
// product token, matched whole and case-insensitively), else the "*"
// group. A leading byte order mark and lines it cannot read are skipped,
// as the RFC asks; it never fails.
func ParseRobots(body []byte, agent string) *Robots {
	agent = strings.ToLower(agent)
	body = bytes.TrimPrefix(body, []byte("\uFEFF")) // a UTF-8 byte order mark
	var mine, star []robotsRule
	var foundMine, foundStar bool
	var agents []string // of the group being read
	inRules := false    // a rule line ended the group's User-agent lines
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), robotsMaxBody)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if inRules {
				agents, inRules = nil, false
			}
			agents = append(agents, robotsToken(val))
		case "allow", "disallow":
			inRules = true
			// A rule line, even an empty "Disallow:" (which allows
			// everything), makes its group the one for its agents.
			var rules []robotsRule
			if val != "" {
				rules = []robotsRule{{allow: key == "allow", pattern: val}}
			}
			for _, a := range agents {
				switch {
				case a == "*":
					star, foundStar = append(star, rules...), true
				case a != "" && a == agent:
					mine, foundMine = append(mine, rules...), true
				}
			}
		}
	}
	switch {
	case foundMine:
		return &Robots{rules: mine}
	case foundStar:
		return &Robots{rules: star}
	}
	return &Robots{}
}

// robotsToken is the product token a User-agent line names, lower-cased:
// "*", or its leading letters, "-" and "_" (RFC 9309's identifier), so
// "TopicFeed/1.0" names topicfeed while "t" or "feed" names another agent.
func robotsToken(val string) string {
	if strings.HasPrefix(val, "*") {
		return "*"
	}
	end := strings.IndexFunc(val, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
	})
	if end >= 0 {
		val = val[:end]
	}
	return strings.ToLower(val)
}

// Allowed reports whether the path (with query) may be fetched: the
// longest matching rule decides, Allow winning a tie; no rule allows.
func (r *Robots) Allowed(path string) bool {
	if path == "" {
		path = "/"
	}
	if path == "/robots.txt" {
		return true
	}
	best, allow := -1, true
	for _, rule := range r.rules {
		if !robotsMatch(rule.pattern, path) {
			continue
		}
		if n := len(rule.pattern); n > best || (n == best && rule.allow) {
			best, allow = n, rule.allow
		}
	}
	return allow
}

// robotsMatch matches a robots.txt path pattern against a path from its
// start.
func robotsMatch(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	rest := path[len(parts[0]):]
	for i, p := range parts[1:] {
		last := i == len(parts)-2
		if last && anchored {
			return strings.HasSuffix(rest, p)
		}
		j := strings.Index(rest, p)
		if j < 0 {
			return false
		}
		rest = rest[j+len(p):]
	}
	return !anchored || rest == ""
}
