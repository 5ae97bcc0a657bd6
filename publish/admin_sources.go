package publish

import (
	"fmt"
	"time"
)

// SourceDetail is what /sources shows beyond the last fetch: a folder
// source's scans, a failing source's error history, how often it is
// polled and why, and full-content and WebSub state. Empty fields are
// not shown.
type SourceDetail struct {
	Scan         *FolderScan    `json:"scan,omitempty"`
	Errors       []FetchFailure `json:"errors,omitempty"` // newest first
	LastItem     time.Time      `json:"last_item,omitzero"`
	PollInterval time.Duration  `json:"poll_interval,omitempty"`
	PollReason   string         `json:"poll_reason,omitempty"`
	PageError    string         `json:"page_error,omitempty"`
	PageFailures int            `json:"page_failures,omitempty"`
	WebSub       string         `json:"websub,omitempty"`
}

// FolderScan is what the watcher last found in a path source's folder.
type FolderScan struct {
	Scanned  time.Time `json:"scanned"`
	Files    int       `json:"files"`
	Changed  time.Time `json:"changed,omitzero"` // the last scan that found new or changed files
	Ingested int       `json:"ingested"`         // files it read
	Added    int       `json:"added"`
	Updated  int       `json:"updated"`
	Merged   int       `json:"merged"`
	Rejected []string  `json:"rejected,omitempty"` // path and reason
}

// FetchFailure is one failed fetch.
type FetchFailure struct {
	At     time.Time `json:"at"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error"`
}

// sourcesRefresh is how often an open /sources page reloads itself.
const sourcesRefresh = 30

// sourceRow is a source as the /sources page shows it.
type sourceRow struct {
	SourceStatus
	Chart spark
}

// Folder reports a path source (scanned, not fetched).
func (s sourceRow) Folder() bool { return s.Path != "" && s.URL == "" }

// Quiet says where a source's items are when none fall in the chart.
func (s sourceRow) Quiet() string {
	if s.Chart.Total > 0 {
		return ""
	}
	if s.LastItem.IsZero() {
		return "no items yet"
	}
	return "last item " + ago(s.LastItem) + " (" + s.LastItem.UTC().Format("2 Jan 2006") + ")"
}

// NextTry says when the source is fetched next: its retry when failing.
func (s sourceRow) NextTry() string {
	if s.NextFetch.IsZero() || s.Disabled {
		return ""
	}
	what := "next fetch "
	if s.Error != "" {
		what = "next retry "
	}
	d := time.Until(s.NextFetch)
	if d <= 0 {
		return what + "due now"
	}
	return what + "in " + duration(d)
}

// Poll says how often the source is polled and why.
func (s sourceRow) Poll() string {
	if s.PollInterval <= 0 {
		return ""
	}
	out := "polled every " + duration(s.PollInterval)
	if s.PollReason != "" {
		out += " (" + s.PollReason + ")"
	}
	return out
}

// duration is d rounded for people.
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
