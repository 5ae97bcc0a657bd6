package fetch

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const artMonthRe = `(january|february|march|april|may|june|july|august|september|october|november|` +
	`december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`

var (
	artISODateRe = regexp.MustCompile(`(?:^|[^\d])(\d{4})-(\d{2})-(\d{2})(?:$|[^\d])`)
	artISOTimeRe = regexp.MustCompile(`^[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*(Z|[+-]\d{2}:?\d{2})?`)
	artDMYRe     = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + artMonthRe + `\.?,?\s+(\d{4})\b`)
	artMDYRe     = regexp.MustCompile(`(?i)\b` + artMonthRe + `\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	artSlashRe   = regexp.MustCompile(`\b(\d{4})/(\d{1,2})/(\d{1,2})\b`)
	// "25/11/2026", "24.11.2026", "11/18/2026": day first unless that cannot be.
	artNumDateRe = regexp.MustCompile(`(?:^|[^\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:$|[^\d/-])`)
	// "2026年11月25日" (Chinese, Japanese) and "2026년 11월 25일" (Korean).
	artCJKDateRe = regexp.MustCompile(`(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]`)
	artClockRe   = regexp.MustCompile(`(?i)\b(\d{1,2})[:.](\d{2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?`)
	artZoneRe    = regexp.MustCompile(`^\s*\(?(UTC|GMT|[A-Z]{2,5})(?:([+-])(\d{1,2})(?::?(\d{2}))?)?\b`)
	// Words that may stand beside a date on a date line.
	artDateWords = artWordSet("published|updated|posted|last|on|at|date|dated|created|modified|first|" +
		"edited|released|issued|the|am|pm|monday|tuesday|wednesday|thursday|friday|saturday|sunday|" +
		"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|utc|gmt|time|and|of")
)

var artMonths = map[string]time.Month{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
	"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// artZones maps common abbreviations to offsets in minutes. Ambiguous ones
// take their most common news reading; the calendar day is what matters.
var artZones = map[string]int{"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 60, "WEST": 60, "CET": 60,
	"CEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "GST": 240, "PKT": 300, "IST": 330, "NPT": 345,
	"ICT": 420, "WIB": 420, "HKT": 480, "SGT": 480, "PHT": 480, "AWST": 480, "JST": 540,
	"KST": 540, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780, "EST": -300, "EDT": -240,
	"CST": -360, "CDT": -300, "MST": -420, "MDT": -360, "PST": -480, "PDT": -420, "BRT": -180, "ART": -180}

// artDateMatch is one calendar date found in text.
type artDateMatch struct {
	start, end int
	t          time.Time
	iso        bool // written as YYYY-MM-DD, so an ISO time may follow
}

// artFindDate returns the earliest calendar date in s, with the time of day
// when one follows it, else at noon UTC so no time zone shifts the day.
func artFindDate(s string) (artDateMatch, bool) {
	var best artDateMatch
	found := false
	if !artHasYear(s) { // every form below spells the year in four digits
		return best, false
	}
	try := func(m []int, y, mo, d int) {
		if m == nil || (found && m[0] >= best.start) {
			return
		}
		t, ok := artMakeDate(y, time.Month(mo), d)
		if !ok {
			return
		}
		iso := m[1]-m[0] == 10 && s[m[0]+4] == '-'
		best, found = artDateMatch{start: m[0], end: m[1], t: t, iso: iso}, true
	}
	if m := artISODateRe.FindStringSubmatchIndex(s); m != nil {
		try([]int{m[2], m[7]}, artAtoi(s[m[2]:m[3]]), artAtoi(s[m[4]:m[5]]), artAtoi(s[m[6]:m[7]]))
	}
	if m := artDMYRe.FindStringSubmatchIndex(s); m != nil {
		try(m, artAtoi(s[m[6]:m[7]]), int(artMonths[strings.ToLower(s[m[4]:m[4]+3])]), artAtoi(s[m[2]:m[3]]))
	}
	if m := artMDYRe.FindStringSubmatchIndex(s); m != nil {
		try(m, artAtoi(s[m[6]:m[7]]), int(artMonths[strings.ToLower(s[m[2]:m[2]+3])]), artAtoi(s[m[4]:m[5]]))
	}
	if m := artSlashRe.FindStringSubmatchIndex(s); m != nil {
		try(m, artAtoi(s[m[2]:m[3]]), artAtoi(s[m[4]:m[5]]), artAtoi(s[m[6]:m[7]]))
	}
	if m := artNumDateRe.FindStringSubmatchIndex(s); m != nil {
		a, b := artAtoi(s[m[2]:m[3]]), artAtoi(s[m[4]:m[5]])
		if a <= 12 && b > 12 { // month first, as in the US: 11/18/2026
			a, b = b, a
		}
		try([]int{m[2], m[7]}, artAtoi(s[m[6]:m[7]]), b, a)
	}
	if m := artCJKDateRe.FindStringSubmatchIndex(s); m != nil {
		try(m, artAtoi(s[m[2]:m[3]]), artAtoi(s[m[4]:m[5]]), artAtoi(s[m[6]:m[7]]))
	}
	if found {
		best = artAddTime(s, best)
	}
	return best, found
}

// artHasYear reports four digits in a row.
func artHasYear(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if artIsDigit(s[i]) {
			if run++; run == 4 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func artMakeDate(y int, mo time.Month, d int) (time.Time, bool) {
	if y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, mo, d, 12, 0, 0, 0, time.UTC)
	if t.Day() != d { // 31 April and the like
		return time.Time{}, false
	}
	return t, true
}

// artAddTime applies a time of day (and zone) written right after the date:
// "T10:30:00+05:00", "09:15 PKT", "at 4:15 pm".
func artAddTime(s string, m artDateMatch) artDateMatch {
	rest := s[m.end:]
	y, mo, d := m.t.Date()
	if iso := artISOTimeRe.FindStringSubmatchIndex(rest); iso != nil && m.iso {
		loc := time.UTC
		if iso[8] >= 0 {
			loc = artOffsetZone(rest[iso[8]:iso[9]])
		} else if z, ok := artZoneAt(rest[iso[1]:]); ok {
			loc = z
		}
		sec := 0
		if iso[6] >= 0 {
			sec = artAtoi(rest[iso[6]:iso[7]])
		}
		m.t = time.Date(y, mo, d, artAtoi(rest[iso[2]:iso[3]]), artAtoi(rest[iso[4]:iso[5]]), sec, 0, loc)
		return m
	}
	c := artClockRe.FindStringSubmatchIndex(rest)
	if c == nil || c[0] > 16 {
		return m
	}
	h, mi := artAtoi(rest[c[2]:c[3]]), artAtoi(rest[c[4]:c[5]])
	if c[8] >= 0 {
		pm := strings.HasPrefix(strings.ToLower(rest[c[8]:c[9]]), "p")
		h = h % 12
		if pm {
			h += 12
		}
	}
	if h > 23 || mi > 59 {
		return m
	}
	loc, ok := artZoneAt(rest[c[1]:])
	if !ok {
		loc = time.UTC
	}
	m.t = time.Date(y, mo, d, h, mi, 0, 0, loc)
	return m
}

// artZoneAt reads a zone abbreviation at the start of s: "PKT", "(CET)", "GMT+2".
func artZoneAt(s string) (*time.Location, bool) {
	z := artZoneRe.FindStringSubmatch(s)
	if z == nil {
		return nil, false
	}
	off, ok := artZones[z[1]]
	if !ok {
		return nil, false
	}
	if z[2] != "" {
		sign := map[string]int{"+": 1, "-": -1}[z[2]]
		off += sign * (artAtoi(z[3])*60 + artAtoi(z[4]))
	}
	return time.FixedZone(z[0][strings.IndexFunc(z[0], unicode.IsLetter):], off*60), true
}

// artOffsetZone turns "Z", "+05:00" or "-0300" into a fixed zone.
func artOffsetZone(z string) *time.Location {
	if z == "" || z == "Z" {
		return time.UTC
	}
	z = strings.ReplaceAll(z, ":", "")
	off := artAtoi(z[1:3])*3600 + artAtoi(z[3:5])*60
	if z[0] == '-' {
		off = -off
	}
	return time.FixedZone("", off)
}

// artDateLine reports whether line is a date line ("Published: 14 February
// 2024, 09:15 PKT", "Saturday 11 May 2024") rather than a sentence that
// happens to contain a date, and returns the date. A line of metadata
// fields with a date among them counts too: "Tom Alderney, Green Lanes
// Journal · 24 November 2026", "Published 26/11/2026 | Source: …",
// "发布时间: 2026年11月25日 10:12 来源: 鹭岛网".
func artDateLine(line string) (time.Time, bool) {
	n := utf8.RuneCountInString(line)
	if n > 160 {
		return time.Time{}, false
	}
	m, ok := artFindDate(line)
	if !ok {
		return time.Time{}, false
	}
	if n <= 100 && artDateOnly(line, m) {
		return m.t, true
	}
	if artEndsSentence(line) && !artEndsSentence(line[:m.end]) {
		return time.Time{}, false
	}
	segs := artMetaSegments(line)
	if len(segs) < 2 {
		return time.Time{}, false
	}
	dated := false
	for _, seg := range segs {
		if d, ok := artFindDate(seg); ok && artDateOnly(seg, d) {
			dated = true
			continue
		}
		if !artMetaField(seg) {
			return time.Time{}, false
		}
	}
	return m.t, dated
}

// artDateOnly: the date and at most a few other words ("Published", a
// weekday, a time and zone) make up the line.
func artDateOnly(line string, m artDateMatch) bool {
	rest := line[:m.start] + " " + line[m.end:]
	rest = artClockRe.ReplaceAllString(rest, " ")
	words := 0
	for _, w := range strings.Fields(rest) {
		w = strings.TrimFunc(w, artNotWordRune)
		if w != "" && !artDateWords[strings.ToLower(w)] && !artIsZone(w) {
			words++
		}
	}
	// A sentence that happens to hold a date is story text, not a date line.
	limit := 4
	if artEndsSentence(line) {
		limit = 1
	}
	return words <= limit
}

var (
	artMetaSepRe  = regexp.MustCompile(` (?:\||·|•|—|–|~|/) `)
	artUnitWordRe = regexp.MustCompile(`^\d[\d,.]*\s+(?i:min|mins|minutes?|minute read|min read|hours?|` +
		`comments?|replies|views|words|pages?|photos|mb|kb)\b`)
)

// artMetaSegments splits a metadata line at separators and before every
// field label after the first word.
func artMetaSegments(line string) []string {
	var segs []string
	for _, part := range artMetaSepRe.Split(line, -1) {
		var cur []string
		for i, f := range strings.Fields(part) {
			if i > 0 && len(cur) > 0 && (strings.HasSuffix(f, ":") || strings.HasSuffix(f, "：")) && !artIsDigit(f[0]) {
				segs = append(segs, strings.Join(cur, " "))
				cur = cur[:0]
			}
			cur = append(cur, f)
		}
		if len(cur) > 0 {
			segs = append(segs, strings.Join(cur, " "))
		}
	}
	return segs
}

// artMetaField reports a short field of a metadata line: "Source:
// Department for Upland Affairs", a name or outlet in capitals, "58 min",
// "2 Comments", a short CJK value.
func artMetaField(seg string) bool {
	seg = strings.Trim(strings.TrimSpace(seg), ",;·*_()[]")
	if seg == "" {
		return true
	}
	if artEndsFullStop(seg) && !artIsAbbrev(strings.TrimSuffix(seg, ".")) {
		return false
	}
	if artHasCJK(seg) {
		return utf8.RuneCountInString(seg) <= 16
	}
	words := strings.Fields(seg)
	if len(words) > 7 {
		return false
	}
	if artUnitWordRe.MatchString(seg) {
		return true
	}
	if label, value, ok := strings.Cut(seg, ":"); ok && len(strings.Fields(label)) <= 3 {
		words = strings.Fields(value)
		if len(words) > 6 {
			return false
		}
	}
	for _, w := range words {
		w = strings.Trim(w, ",;:()'’\"“”")
		r, _ := utf8.DecodeRuneInString(w)
		if w != "" && !unicode.IsUpper(r) && !unicode.IsDigit(r) && !artNameWords[strings.ToLower(w)] &&
			!artSmallWords[strings.ToLower(w)] {
			return false
		}
	}
	return true
}

func artIsZone(w string) bool {
	_, ok := artZones[w]
	return ok
}

func artNotWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r)
}

func artAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
