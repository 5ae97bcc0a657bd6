package feed

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// devsetDir is the shared labelled set; tests using it skip when absent.
const devsetDir = "../../shared/devset"

type devset struct {
	files  []string
	title  map[string]string
	body   map[string]string // crude plain text: chrome, headline and date lines removed
	groups [][]string
	pairs  [][]string // labelled distinct pairs
}

// loadDevset reads the articles without the article parser (written
// elsewhere): it drops the labelled chrome lines, the headline and date
// lines and, for HTML, the head, scripts and tags.
func loadDevset(t testing.TB) *devset {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(devsetDir, "labels.json"))
	if os.IsNotExist(err) {
		t.Skip("../shared/devset absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	var labels struct {
		Groups   [][]string                 `json:"duplicate_groups"`
		Pairs    [][]string                 `json:"distinct_pairs"`
		Expected map[string]json.RawMessage `json:"expected"`
	}
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatalf("labels.json: %v", err)
	}
	d := &devset{title: map[string]string{}, body: map[string]string{}, groups: labels.Groups, pairs: labels.Pairs}
	for name, msg := range labels.Expected {
		if strings.HasPrefix(name, "_") {
			continue
		}
		var e struct {
			Title  string   `json:"title"`
			Chrome []string `json:"chrome_lines_removed"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			t.Fatalf("labels.json: %s: %v", name, err)
		}
		src, err := os.ReadFile(filepath.Join(devsetDir, "articles", name))
		if err != nil {
			t.Fatal(err)
		}
		d.files = append(d.files, name)
		d.title[name] = e.Title
		d.body[name] = crudeBody(name, string(src), e.Title, e.Chrome)
	}
	slices.Sort(d.files)
	return d
}

var (
	reHead    = regexp.MustCompile(`(?is)<head.*?</head>|<script.*?</script>|<style.*?</style>`)
	reTag     = regexp.MustCompile(`<[^>]*>`)
	reSpace   = regexp.MustCompile(`\s+`)
	reMdHead  = regexp.MustCompile(`^#+\s*`)
	reDate    = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b|(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(st|nd|rd|th)?,?\s+\d{4}\b|\b\d{1,2}(st|nd|rd|th)?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b`)
	squashNFC = func(s string) string { return strings.TrimSpace(reSpace.ReplaceAllString(norm.NFC.String(s), " ")) }
)

func crudeBody(name, src, title string, chrome []string) string {
	src = strings.TrimPrefix(strings.ReplaceAll(src, "\r\n", "\n"), "\ufeff")
	isHTML := strings.HasSuffix(name, ".html")
	if isHTML {
		src = reHead.ReplaceAllString(src, "")
	}
	skip := map[string]bool{}
	for _, c := range chrome {
		skip[squashNFC(c)] = true
	}
	var kept []string
	titleSeen := false
	for line := range strings.SplitSeq(src, "\n") {
		if isHTML {
			line = html.UnescapeString(reTag.ReplaceAllString(line, " "))
		}
		if strings.HasSuffix(name, ".md") {
			line = reMdHead.ReplaceAllString(strings.TrimSpace(line), "")
		}
		s := squashNFC(line)
		switch {
		case s == "" || s == "---" || skip[s]:
			continue
		case !titleSeen && s == squashNFC(title):
			titleSeen = true
			continue
		case len(s) < 80 && reDate.MatchString(s):
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

type pairStat struct {
	a, b     string
	distance int
	jaccard  float64
	similar  bool
	shareKey bool
}

func comparePair(fa, fb Fingerprint, a, b string) pairStat {
	ok, _ := Similar(fa, fb, 12)
	return pairStat{a, b, Hamming(fa.SimHash, fb.SimHash), jaccard(fa, fb), ok, shareKey(fa.BandKeys(), fb.BandKeys())}
}

func (p pairStat) String() string {
	return fmt.Sprintf("%2d %.2f similar=%-5v key=%-5v %s ~ %s", p.distance, p.jaccard, p.similar, p.shareKey, p.a, p.b)
}

func shareKey(a, b []int64) bool {
	for _, k := range a {
		if slices.Contains(b, k) {
			return true
		}
	}
	return false
}

func TestDevsetFingerprints(t *testing.T) {
	d := loadDevset(t)
	fp := map[string]Fingerprint{}
	for _, f := range d.files {
		fp[f] = NewFingerprint(d.title[f], d.body[f])
	}
	same := map[[2]string]bool{}
	for _, g := range d.groups {
		for i, a := range g {
			for _, b := range g[i+1:] {
				same[[2]string{a, b}], same[[2]string{b, a}] = true, true
				p := comparePair(fp[a], fp[b], a, b)
				t.Logf("duplicate %v", p)
				if !p.similar || !p.shareKey {
					t.Errorf("duplicate pair not joined: %v", p)
				}
			}
		}
	}
	for _, pr := range d.pairs {
		t.Logf("distinct  %v", comparePair(fp[pr[0]], fp[pr[1]], pr[0], pr[1]))
	}
	var tp, fpos, fn, tn, candidates int
	closest := pairStat{distance: 65}
	for i, a := range d.files {
		for _, b := range d.files[i+1:] {
			p := comparePair(fp[a], fp[b], a, b)
			if p.shareKey {
				candidates++
			}
			switch dup := same[[2]string{a, b}]; {
			case dup && p.similar:
				tp++
			case dup:
				fn++
			case p.similar:
				fpos++
				t.Errorf("distinct pair joined: %v", p)
			default:
				tn++
				if p.distance < closest.distance {
					closest = p
				}
			}
		}
	}
	t.Logf("pairs %d: tp %d fp %d fn %d tn %d; precision %.2f recall %.2f; band-key candidates %d",
		tp+fpos+fn+tn, tp, fpos, fn, tn, float64(tp)/float64(max(tp+fpos, 1)), float64(tp)/float64(max(tp+fn, 1)), candidates)
	t.Logf("closest non-duplicate: %v", closest)
}

func TestNormalizeText(t *testing.T) {
	tests := []struct{ name, a, b, want string }{
		{"NFD vs NFC", "M\u0075\u0308ller said", "M\u00fcller said", "muller said"},
		{"umlaut vs plain", "Müller", "Muller", "muller"},
		{"macron entity decoded", "Shehbāz Sharif", "Shehbaz Sharif", "shehbaz sharif"},
		{"curly vs straight apostrophe", "Pakistan’s exports", "Pakistan's exports", "pakistan's exports"},
		{"curly vs straight quotes", "“warm and practical”", "\"warm and practical\"", "warm and practical"},
		{"guillemets", "«frank»", "'frank'", "frank"},
		{"dashes", "US–China talks — again", "US-China talks - again", "us-china talks again"},
		{"CRLF", "one\r\ntwo\r\n", "one\ntwo\n", "one two"},
		{"nbsp and thin space", "Follow\u00a0us\u2009now", "Follow us now", "follow us now"},
		{"hard wrap", "agreed to explore\njoint investment", "agreed to explore joint investment", "agreed to explore joint investment"},
		{"BOM and soft hyphen", "\ufeffinter\u00adnational", "international", "international"},
		{"fullwidth (NFKC)", "ＩＴ exports", "IT exports", "it exports"},
		{"ligature (NFKC)", "ﬁnance", "finance", "finance"},
		{"punctuation", "Wait... what?! (yes), 12.5%", "wait what yes 12 5", "wait what yes 12 5"},
		{"edge apostrophes", "'tis the farmers' 'deal'", "tis the farmers deal", "tis the farmers deal"},
		{"edge hyphens", "-- well-known -x y-", "well-known x y", "well-known x y"},
		{"empty", " \n\t ", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := NormalizeText(tt.a), NormalizeText(tt.b)
			if a != tt.want || b != tt.want {
				t.Errorf("NormalizeText(%q) = %q, NormalizeText(%q) = %q, want both %q", tt.a, a, tt.b, b, tt.want)
			}
		})
	}
}

// TestNormalizeFastPath checks that skipping Fold for the runes isFastRune
// lists gives what the full path gives, in and between words.
func TestNormalizeFastPath(t *testing.T) {
	for r := rune(0x80); r <= 0xffff; r++ {
		if !isFastRune(r) {
			continue
		}
		for _, s := range []string{"a" + string(r) + "b", string(r) + "x " + string(r)} {
			if fast, slow := collapse(s), collapse(Fold(s)); fast != slow {
				t.Errorf("%U in %q: fast path %q, Fold path %q", r, s, fast, slow)
			}
		}
	}
}

func readDedupCase(t testing.TB, name string) (title, body string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "dedup", name))
	if err != nil {
		t.Fatal(err)
	}
	title, body, _ = strings.Cut(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n")
	return title, body
}

// TestSimilarDedupCases runs the invented copies in testdata/dedup against
// base.txt: edited copies must be similar, other stories on the same
// subject with the same people must not.
func TestSimilarDedupCases(t *testing.T) {
	fp := func(name string) Fingerprint { return NewFingerprint(readDedupCase(t, name)) }
	tests := []struct {
		a, b string
		want bool
	}{
		{"base.txt", "trimmed.txt", true},
		{"base.txt", "added.txt", true},
		{"base.txt", "typo.txt", true},
		{"base.txt", "headline.txt", true},
		{"trimmed.txt", "added.txt", true},
		{"base.txt", "other.txt", false},
		{"base.txt", "followup.txt", false},
		{"other.txt", "followup.txt", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"~"+tt.b, func(t *testing.T) {
			a, b := fp(tt.a), fp(tt.b)
			got, why := Similar(a, b, 12)
			t.Logf("%s", why)
			if got != tt.want {
				t.Errorf("Similar = %v (%s), want %v", got, why, tt.want)
			}
			if tt.want && !shareKey(a.BandKeys(), b.BandKeys()) {
				t.Errorf("copies share no band key")
			}
		})
	}
}

func TestSimilarExactAndDisabled(t *testing.T) {
	title, body := readDedupCase(t, "base.txt")
	a := NewFingerprint(title, body)
	b := NewFingerprint("Another headline", strings.ReplaceAll(body, "’", "'"))
	if ok, why := Similar(a, b, 0); !ok {
		t.Errorf("same normalised body, distance 0: not similar (%s)", why)
	}
	_, trimmed := readDedupCase(t, "trimmed.txt")
	if ok, why := Similar(a, NewFingerprint(title, trimmed), 0); ok {
		t.Errorf("near-duplicate with maxDistance 0: similar (%s)", why)
	}
	empty := NewFingerprint("", " ")
	if empty.Hash != "" || empty.MinHash != nil || empty.BandKeys() != nil {
		t.Errorf("empty text: got %+v", empty)
	}
	if ok, _ := Similar(empty, empty, 12); ok {
		t.Errorf("two empty texts are similar")
	}
	x, y := NewFingerprint("Storm closes port", ""), NewFingerprint("Minister resigns", "")
	if x.Hash == "" || x.Hash == y.Hash {
		t.Errorf("title-only items: hashes %q and %q", x.Hash, y.Hash)
	}
}

func TestBandKeys(t *testing.T) {
	title, body := readDedupCase(t, "base.txt")
	a, b := NewFingerprint(title, body), NewFingerprint(title, body)
	ka, kb := a.BandKeys(), b.BandKeys()
	if len(ka) != minHashK/bandRows || !slices.Equal(ka, kb) {
		t.Fatalf("identical texts: keys %v and %v", ka, kb)
	}
	// every paragraph trimmed in turn: each copy must stay a candidate
	paras := strings.Split(body, "\n\n")
	for i := range paras {
		rest := slices.Concat(paras[:i], paras[i+1:])
		c := NewFingerprint(title, strings.Join(rest, "\n\n"))
		if !shareKey(ka, c.BandKeys()) {
			t.Errorf("paragraph %d trimmed: no band key shared (jaccard %.2f)", i, jaccard(a, c))
		}
	}
}

func TestMinHashBlob(t *testing.T) {
	title, body := readDedupCase(t, "base.txt")
	f := NewFingerprint(title, body)
	blob := f.MarshalMinHash()
	if len(blob) != 4*minHashK {
		t.Fatalf("blob length %d, want %d", len(blob), 4*minHashK)
	}
	got, err := UnmarshalMinHash(blob)
	if err != nil || !slices.Equal(got, f.MinHash) {
		t.Fatalf("round trip: %v, %v", got, err)
	}
	if _, err := UnmarshalMinHash(blob[:7]); err == nil {
		t.Errorf("7-byte blob: no error")
	}
	if got, err := UnmarshalMinHash(nil); got != nil || err != nil {
		t.Errorf("empty blob: %v, %v", got, err)
	}
}

// TestFingerprintStable pins the values, which are stored: a change to
// normalisation or hashing needs a migration that recomputes them.
func TestFingerprintStable(t *testing.T) {
	f := NewFingerprint("Velmora", "The town of Velmora opened its first electric ferry line on Saturday.")
	const (
		wantHash = "e8ce127dba6a10f6cc4464d6597745af3c03984112a2117b5634d2ee8b1733ac"
		wantSim  = uint64(0x6b88862c221d6863)
		wantMin0 = uint32(3202082927)
		wantKey0 = int64(1383706403018725723)
	)
	if f.Hash != wantHash || f.SimHash != wantSim || f.MinHash[0] != wantMin0 || f.BandKeys()[0] != wantKey0 {
		t.Errorf("got Hash %q SimHash %#x MinHash[0] %d BandKeys[0] %d, want %q %#x %d %d",
			f.Hash, f.SimHash, f.MinHash[0], f.BandKeys()[0], wantHash, wantSim, wantMin0, wantKey0)
	}
}

// BenchmarkFingerprint fingerprints a ~3.5 KB article.
func BenchmarkFingerprint(b *testing.B) {
	title, body := readDedupCase(b, "added.txt")
	for len(body) < 3500 {
		body += "\n\n" + body[:min(len(body), 3500-len(body))]
	}
	b.SetBytes(int64(len(title) + len(body)))
	for b.Loop() {
		NewFingerprint(title, body)
	}
	ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(ns, "ns/item")
	b.ReportMetric(1e9/ns, "items/s")
}
