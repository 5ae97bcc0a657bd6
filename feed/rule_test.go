package feed

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// devsetRules are the match and exclude rules of shared/devset/topics.yaml,
// kept here so the benchmark and fuzz seeds work without the devset.
var devsetRules = []string{
	`Pakistan AND ("United States" OR US OR Washington) NOT cricket`,
	`(China OR Beijing) AND (tariff OR tariffs OR soybeans OR "export controls")`,
	`"climate finance" OR ("loss and damage" AND fund)`,
	`title:tariff OR title:tariffs`,
	`body:"trade deal" AND NOT title:"trade deal"`,
	`Shehbaz`,
	`Müller AND (steel OR automakers)`,
	`bus OR buses OR metro`,
	`IT exports`,
	`WHO AND (polio OR vaccination)`,
}

var goodRules = []struct {
	name, in, want string
}{
	{"devset pakistan-us", devsetRules[0], `Pakistan AND ("United States" OR US OR Washington) AND NOT cricket`},
	{"devset china-trade", devsetRules[1], devsetRules[1]},
	{"devset climate-finance", devsetRules[2], devsetRules[2]},
	{"devset tariff-headlines", devsetRules[3], devsetRules[3]},
	{"devset trade-deals", devsetRules[4], devsetRules[4]},
	{"implicit and", `IT exports`, `IT AND exports`},
	{"and binds tighter than or", `a OR b AND c`, `a OR (b AND c)`},
	{"group then implicit and", `(a OR b) c`, `(a OR b) AND c`},
	{"not binds tighter than and", `NOT a b`, `NOT a AND b`},
	{"leading not", `NOT a`, `NOT a`},
	{"double not", `NOT NOT a`, `NOT NOT a`},
	{"not group", `NOT (a OR b)`, `NOT (a OR b)`},
	{"or not", `a OR NOT b`, `a OR NOT b`},
	{"redundant parens", `((a))`, `a`},
	{"nested and flattens", `a AND (b AND c)`, `a AND b AND c`},
	{"nested or flattens", `(a OR b) OR (c OR d)`, `a OR b OR c OR d`},
	{"field on group", `title:(a OR b)`, `title:a OR title:b`},
	{"inner field wins", `title:(a body:b)`, `title:a AND body:b`},
	{"field on not group", `title:(a NOT b)`, `title:a AND NOT title:b`},
	{"field name case", `Title:x`, `title:x`},
	{"space after field", `title: x`, `title:x`},
	{"every field", `source:Dawn author:"Jane  Doe" category:economy`, `source:Dawn AND author:"Jane Doe" AND category:economy`},
	{"phrase spaces collapse", "\"  loss\n and   damage \"", `"loss and damage"`},
	{"lower-case keywords are terms", `loss and damage`, `loss AND and AND damage`},
	{"hyphenated term", `US-China`, `US-China`},
	{"parens without spaces", `a(b)c`, `a AND b AND c`},
	{"phrase after not", `NOT"x"`, `NOT "x"`},
	{"colon without field", `10:30`, `10:30`},
	{"leading colon", `:x`, `:x`},
	{"multi-line rule", "a\n\tOR\n\tb", `a OR b`},
}

var badRules = []struct {
	name, in string
	col      int
	msg      string
}{
	{"empty", ``, 1, `empty rule`},
	{"blank", "  \n ", 1, `empty rule`},
	{"dangling and", `a AND`, 6, `expected term or "(" but found end of rule`},
	{"dangling or", `a OR `, 6, `expected term or "(" but found end of rule`},
	{"lone not", `NOT`, 4, `expected term or "(" but found end of rule`},
	{"double operator", `a AND OR b`, 7, `expected term or "(" but found "OR"`},
	{"leading or", `OR a`, 1, `expected term or "(" but found "OR"`},
	{"unclosed paren", `x AND (a OR b`, 7, `unclosed "("`},
	{"extra close paren", `Pakistan AND (US OR x))`, 23, `unexpected ")"`},
	{"close paren first", `) a`, 1, `expected term or "(" but found ")"`},
	{"empty group", `a ()`, 4, `expected term or "(" but found ")"`},
	{"unterminated phrase", `a "loss and`, 3, `unterminated phrase`},
	{"unknown field", `a foo:x`, 3, `unknown field "foo"`},
	{"field on operator", `and:x`, 1, `unknown field "and"`},
	{"field at end", `a title:`, 9, `expected term or "(" but found end of rule`},
	{"field on field", `title:body:x`, 7, `expected term or "(" but found "body:"`},
	{"empty phrase", `a ""`, 3, `empty phrase`},
	{"punctuation phrase", `" - "`, 1, `empty phrase`},
	{"punctuation term", `a !!!`, 3, `term "!!!" has no letters or digits`},
	{"minus for not", `Pakistan -cricket`, 10, `unexpected "-": use NOT to exclude a term`},
	{"wildcard", `tariff*`, 7, `unexpected "*": wildcards are not supported`},
	{"wildcard after accent", `zé*`, 3, `unexpected "*": wildcards are not supported`},
	{"lexical error after syntax error", `a AND AND "b`, 7, `expected term or "(" but found "AND"`},
	{"too deep", strings.Repeat("(", 101) + "a" + strings.Repeat(")", 101), 101, `rule nested too deeply`},
}

func TestParseRuleCanonical(t *testing.T) {
	for _, tc := range goodRules {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRule(tc.in)
			if err != nil {
				t.Fatalf("ParseRule(%q): %v", tc.in, err)
			}
			got := r.String()
			if got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			r2, err := ParseRule(got)
			if err != nil {
				t.Fatalf("re-parse %q: %v", got, err)
			}
			if again := r2.String(); again != got {
				t.Errorf("String() not a fixed point: %q then %q", got, again)
			}
		})
	}
}

func TestParseRuleErrors(t *testing.T) {
	for _, tc := range badRules {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRule(tc.in)
			if err == nil {
				t.Fatalf("ParseRule(%q) = %q, want error", tc.in, r)
			}
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RuleError", err, err)
			}
			if re.Column != tc.col || re.Msg != tc.msg {
				t.Errorf("got column %d %q, want column %d %q", re.Column, re.Msg, tc.col, tc.msg)
			}
		})
	}
}

func TestRuleErrorString(t *testing.T) {
	_, err := ParseRule(`Pakistan AND (US OR x))`)
	if got, want := err.Error(), `column 23: unexpected ")"`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestParseRuleDevset parses the devset's own topics.yaml, the rules the
// label checker evaluates.
func TestParseRuleDevset(t *testing.T) {
	data, err := os.ReadFile("../../shared/devset/topics.yaml")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("../shared/devset absent")
	}
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Topics []struct {
			Name    string `yaml:"name"`
			Match   string `yaml:"match"`
			Exclude string `yaml:"exclude"`
		} `yaml:"topics"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Topics) != 10 {
		t.Errorf("got %d topics, want 10", len(cfg.Topics))
	}
	for _, tp := range cfg.Topics {
		for _, src := range []string{tp.Match, tp.Exclude} {
			if src == "" {
				continue
			}
			r, err := ParseRule(src)
			if err != nil {
				t.Errorf("topic %s: %q: %v", tp.Name, src, err)
				continue
			}
			r2, err := ParseRule(r.String())
			if err != nil || r2.String() != r.String() {
				t.Errorf("topic %s: %q does not round-trip (%v)", tp.Name, r.String(), err)
			}
		}
	}
}

func TestRuleExplain(t *testing.T) {
	r := mustParseRule(t, devsetRules[0])
	d := NewDoc("Pakistan and US talk", "Washington said. Pakistan won the cricket.", "", "", nil)
	got := r.Explain(d)
	want := []string{"Pakistan", "US", "Washington", "NOT cricket"}
	if !slices.Equal(got, want) {
		t.Errorf("Explain = %q, want %q", got, want)
	}
	r = mustParseRule(t, `title:(tariff OR tariffs) OR "trade deal"`)
	d = NewDoc("Tariffs rise", "no trade deal yet", "", "", nil)
	got = r.Explain(d)
	want = []string{"title:tariffs", `"trade deal"`}
	if !slices.Equal(got, want) {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

// TestRuleFTSQuery writes the expected queries with {word} for a word's
// any-field term and {field:word} for its term in one field.
func TestRuleFTSQuery(t *testing.T) {
	tests := []struct{ rule, want string }{
		{devsetRules[0], `{pakistan} AND ({united} AND {states} OR {us} OR {washington})`},
		{devsetRules[3], `{title:tariff} OR {title:tariffs}`},
		{devsetRules[4], `{trade} AND {deal}`}, // body: asks the any-field term
		{`Müller AND (steel OR automakers)`, `{muller} AND ({steel} OR {automakers})`},
		{`NOT x`, ``},
		{`a OR NOT b`, ``},
		{`(a OR NOT b) c`, `{c}`},
		{`category:"AND" source:US-China`, `{category:and} AND {source:us} AND {source:china}`},
		{`a OR (b AND c)`, `{a} OR ({b} AND {c})`},
		{"\u20dd", "{\u20dd}"}, // a word of marks only is still a word
	}
	term := regexp.MustCompile(`\{(?:(\w+):)?([^}]+)\}`)
	for _, tc := range tests {
		want := term.ReplaceAllStringFunc(tc.want, func(m string) string {
			g := term.FindStringSubmatch(m)
			var f fieldMask
			if g[1] != "" {
				f, _ = fieldByName(g[1])
			}
			return quotedTerm(termHash(f, wordHash([]byte(g[2]))))
		})
		if got := mustParseRule(t, tc.rule).FTSQuery(); got != want {
			t.Errorf("FTSQuery(%q)\n got %q\nwant %q (%s)", tc.rule, got, want, tc.want)
		}
	}
}

// TestNewDocTerms: the Doc NewDocTerms keeps for a Vocab matches and
// explains every rule of it as NewDoc's does, and its terms are
// SearchTerms. The rules include phrases whose words sit among words
// outside the Vocab, which must not join up.
func TestNewDocTerms(t *testing.T) {
	var rules []*Rule
	for _, src := range devsetRules {
		rules = append(rules, mustParseRule(t, src))
	}
	for _, tc := range matchCases {
		rules = append(rules, mustParseRule(t, tc.rule))
	}
	rules = append(rules, mustParseRule(t, `"United States" AND NOT "States said"`))
	v := NewVocab(rules...)
	docs := []matchDoc{
		{"Tariffs rise", "Tariffs and TARIFFS, Müller said. Shehbāz met the U.S. envoy.", "Dawn", "A. Writer", []string{"Trade war", "Pakistan"}},
		{"", "ﬁnance ＦＵＮＤ x² Ⴀ and \u20dd", "", "", nil},
		{"Only a title", "", "src one", "", []string{"Politics", "Economy"}},
		{"Pakistan and US weigh tariffs as IT exports slow", benchArticle, "Dawn", "Staff reporter", []string{"Business"}},
		{"United", "States said the United Nations States", "", "", nil},
	}
	for _, tc := range matchCases {
		docs = append(docs, tc.doc)
	}
	matched := 0
	for _, c := range docs {
		full := NewDoc(c.title, c.body, c.source, c.author, c.cats)
		kept, terms := NewDocTerms(v, c.title, c.body, c.source, c.author, c.cats)
		// ItemDoc joins the sources with spaces, as the source field is.
		alone := v.ItemDoc(&Item{Title: c.title, Text: c.body, Sources: strings.Fields(c.source), Author: c.author, Categories: c.cats})
		for _, r := range rules {
			if r.Match(alone) != r.Match(full) {
				t.Errorf("%s on %q: Match %v with Vocab.ItemDoc, %v with NewDoc", r, c.title, r.Match(alone), r.Match(full))
			}
			if got, want := r.Match(kept), r.Match(full); got != want {
				t.Errorf("%s on %q: Match %v with the Vocab's Doc, %v with NewDoc", r, c.title, got, want)
			} else if got {
				matched++
			}
			if got, want := r.Explain(kept), r.Explain(full); !slices.Equal(got, want) {
				t.Errorf("%s on %q: Explain %v with the Vocab's Doc, %v with NewDoc", r, c.title, got, want)
			}
		}
		if len(kept.first) >= len(full.first) && len(full.first) > 20 {
			t.Errorf("%q: the Vocab's Doc indexes %d words, NewDoc %d", c.title, len(kept.first), len(full.first))
		}
		a, b := strings.Fields(SearchTerms(c.title, c.body, c.source, c.author, c.cats)), strings.Fields(terms)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) || len(a) == 0 && c.body != "" {
			t.Errorf("%q: SearchTerms %v, NewDocTerms %v", c.title, a, b)
		}
	}
	if matched == 0 {
		t.Error("no rule matched any document")
	}
}

// TestSearchTerms: an item's terms are one per distinct word in any field
// and one per distinct word of each field but the body, as FTSQuery asks.
func TestSearchTerms(t *testing.T) {
	got := strings.Fields(SearchTerms("Tariffs rise", "Tariffs and TARIFFS, Müller said.", "Dawn", "", []string{"Trade war"}))
	want := map[string]bool{}
	for _, w := range []string{"tariffs", "rise", "and", "muller", "said", "dawn", "trade", "war"} {
		want[quotedTerm(termHash(0, wordHash([]byte(w))))] = true
	}
	for f, ws := range map[fieldMask][]string{fieldTitle: {"tariffs", "rise"}, fieldSource: {"dawn"}, fieldCategory: {"trade", "war"}} {
		for _, w := range ws {
			want[quotedTerm(termHash(f, wordHash([]byte(w))))] = true
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d terms, want %d: %v", len(got), len(want), got)
	}
	for _, g := range got {
		if !want[`"`+g+`"`] {
			t.Errorf("unexpected term %s", g)
		}
		if len(g) != termChars {
			t.Errorf("term %q: want %d characters", g, termChars)
		}
	}
}

func mustParseRule(t testing.TB, src string) *Rule {
	t.Helper()
	r, err := ParseRule(src)
	if err != nil {
		t.Fatalf("ParseRule(%q): %v", src, err)
	}
	return r
}

// matchDoc holds the fields of a document for NewDoc.
type matchDoc struct {
	title, body, source, author string
	cats                        []string
}

// matchCases cover the hard cases of shared/devset/README.md, "Topics".
var matchCases = []struct {
	name, rule string
	doc        matchDoc
	want       bool
}{
	{"US is not the pronoun us", `Pakistan AND US`, matchDoc{body: "Pakistan told us so"}, false},
	{"US is not Us", `US`, matchDoc{body: "Us and them."}, false},
	{"US matches US", `Pakistan AND US`, matchDoc{body: "Pakistan and the US met."}, true},
	{"US in US-China", `US AND China`, matchDoc{title: "US-China talks"}, true},
	{"lower-case us matches US", `us`, matchDoc{body: "the US said"}, true},
	{"IT is not it", `IT exports`, matchDoc{body: "It exports grain, and it grows."}, false},
	{"IT exports", `IT exports`, matchDoc{body: "IT exports rose 9%."}, true},
	{"IT with singular export", `IT exports`, matchDoc{body: "IT export growth"}, false},
	{"WHO is not who", `WHO AND (polio OR vaccination)`, matchDoc{body: "Parents who refuse vaccination"}, false},
	{"WHO on polio", `WHO AND (polio OR vaccination)`, matchDoc{body: "The WHO warned about polio."}, true},
	{"WHO without polio", `WHO AND (polio OR vaccination)`, matchDoc{body: "The WHO met."}, false},
	{"NATO is not Nato", `NATO`, matchDoc{body: "Nato allies"}, false},
	{"ALL-CAPS word in a phrase", `"WHO guidance"`, matchDoc{body: "those who guidance"}, false},
	{"Chinese is not China", `China AND tariffs`, matchDoc{body: "Chinese-made goods face tariffs"}, false},
	{"China with Chinese-made", `China AND tariffs`, matchDoc{body: "Chinese-made goods from China face tariffs"}, true},
	{"apostrophe", `Pakistan`, matchDoc{body: "Pakistan’s army and Pakistan's navy"}, true},
	{"bus is not business", `bus`, matchDoc{body: "business in Busan, an omnibus bill, the Metrobus line"}, false},
	{"Bus at sentence start", `bus`, matchDoc{body: "Bus fares rose."}, true},
	{"bus stops", `bus`, matchDoc{body: "new bus stops"}, true},
	{"bus is not buses", `bus`, matchDoc{body: "more buses"}, false},
	{"metro is not metropolitan", `metro`, matchDoc{body: "metropolitan area"}, false},
	{"tariff is not tariffs", `tariff`, matchDoc{body: "tariffs"}, false},
	{"phrase across line break", `"United States"`, matchDoc{body: "the United\nStates said"}, true},
	{"phrase across paragraph and comma", `"climate finance"`, matchDoc{body: "on climate,\n\nfinance"}, true},
	{"phrase words apart", `"climate finance"`, matchDoc{body: "climate talks and finance"}, false},
	{"phrase with and", `"loss and damage" AND fund`, matchDoc{body: "a loss and damage fund"}, true},
	{"fund is not funding", `"loss and damage" AND fund`, matchDoc{body: "loss and damage funding"}, false},
	{"phrase not across title and body", `"rise sharply"`, matchDoc{title: "Tariffs rise", body: "Sharply, said X"}, false},
	{"accent in text", `Shehbaz`, matchDoc{body: "Shehbāz Qaiser"}, true},
	{"accent in rule only", `Shehbāz`, matchDoc{body: "Shehbaz Qaiser"}, true},
	{"other spelling", `Shehbaz`, matchDoc{body: "Shahbaz Qaiser"}, false},
	{"accent in rule", `Müller AND steel`, matchDoc{body: "Muller on steel"}, true},
	{"accent both", `Müller`, matchDoc{body: "MÜLLER"}, true},
	{"NFD text", `Müller`, matchDoc{body: "Mu\u0308ller spoke"}, true},
	{"NFD rule", "Mu\u0308ller", matchDoc{body: "Müller spoke"}, true},
	{"NFKC ligature", `finance`, matchDoc{body: "\ufb01nance"}, true},
	{"title field", `title:tariffs`, matchDoc{title: "Tariffs rise", body: "x"}, true},
	{"title field not body", `title:tariffs`, matchDoc{title: "Trade", body: "tariffs"}, false},
	{"body and not title", `body:"trade deal" AND NOT title:"trade deal"`, matchDoc{title: "Trade deal", body: "the trade deal"}, false},
	{"body only", `body:"trade deal" AND NOT title:"trade deal"`, matchDoc{title: "Talks", body: "a trade deal"}, true},
	{"exclude via NOT", `Pakistan NOT cricket`, matchDoc{body: "Pakistan cricket"}, false},
	{"default field skips source", `Dawn`, matchDoc{source: "Dawn"}, false},
	{"source field", `source:dawn`, matchDoc{source: "The Dawn"}, true},
	{"author field", `author:"Jane Doe"`, matchDoc{author: "By Jane Doe"}, true},
	{"category field", `category:economy`, matchDoc{cats: []string{"Politics", "Economy"}}, true},
	{"phrase not across categories", `category:"politics economy"`, matchDoc{cats: []string{"Politics", "Economy"}}, false},
	{"digits", `G7`, matchDoc{body: "the g7 summit"}, true},
	{"not only", `NOT cricket`, matchDoc{}, true},
}

func TestRuleMatch(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParseRule(t, tc.rule)
			d := NewDoc(tc.doc.title, tc.doc.body, tc.doc.source, tc.doc.author, tc.doc.cats)
			if got := r.Match(d); got != tc.want {
				t.Errorf("%s matching %+v = %v, want %v", r, tc.doc, got, tc.want)
			}
		})
	}
}

func TestRuleMatchAllocs(t *testing.T) {
	rules := make([]*Rule, len(devsetRules))
	for i, src := range devsetRules {
		rules[i] = mustParseRule(t, src)
	}
	d := NewDoc("Pakistan and US talk tariffs", benchArticle, "Dawn", "Staff", []string{"World"})
	allocs := testing.AllocsPerRun(100, func() {
		for _, r := range rules {
			r.Match(d)
		}
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per run of %d rules", allocs, len(rules))
	}
}

func BenchmarkRuleMatch(b *testing.B) {
	rules := make([]*Rule, len(devsetRules))
	for i, src := range devsetRules {
		rules[i] = mustParseRule(b, src)
	}
	d := NewDoc("Pakistan and US weigh tariffs as IT exports slow", benchArticle, "Dawn", "Staff reporter", []string{"Business", "World"})
	n := 0
	for b.Loop() {
		for _, r := range rules {
			r.Match(d)
		}
		n++
	}
	b.ReportMetric(float64(n*len(rules))/b.Elapsed().Seconds(), "rules·items/s")
}

func BenchmarkNewDoc(b *testing.B) {
	b.SetBytes(int64(len(benchArticle)))
	n := 0
	for b.Loop() {
		NewDoc("Pakistan and US weigh tariffs as IT exports slow", benchArticle, "Dawn", "Staff reporter", []string{"Business", "World"})
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "items/s")
}

// benchArticle is an invented news article of about 4 KB.
const benchArticle = `ISLAMABAD: Pakistan and the United States on Tuesday opened a fresh round of
talks on trade and security, with officials from both sides saying they hoped to
settle a long-running dispute over tariffs on textiles and information technology
services before the end of the fiscal year.

The two-day meeting in Islamabad, the first since Washington raised duties on a
range of imports last spring, brought together commerce ministry officials,
central bank staff and representatives of the country’s export associations.
Finance Minister Shehbāz Qaiser told reporters that the government wanted "a
predictable framework" rather than a one-off concession.

"Our IT exports have grown every quarter for three years, and it would be a
mistake to put that at risk," Qaiser said. "We are asking the US side to treat
software services the way it treats other services, not as goods at a border."

Exporters say the stakes are high. Pakistan’s software and call-centre industry
earned about $3.2 billion last year, most of it from clients in North America and
Europe. Industry groups warn that new reporting rules could add weeks to payment
cycles and push smaller firms out of the market altogether.

A US embassy spokesperson said the delegation would also raise market access for
American farm goods, including soybeans and tree nuts, and intellectual property
enforcement. China, which has become Pakistan’s largest trading partner, was not
mentioned in the joint statement, although several participants said Beijing’s
export controls on rare earths had come up during a working lunch.

Analysts in Karachi were cautious. "Both governments need a headline, but the
detail matters more than the handshake," said an economist at a local brokerage,
who asked not to be named because she advises clients on both sides of the
deal. She noted that earlier rounds had ended with promises of a trade deal that
never materialised, and that businesses had learnt to wait for the fine print.

The talks come as Pakistan tries to rebuild its foreign exchange reserves under
an International Monetary Fund programme. The fund’s staff have urged the
government to widen the tax base and cut energy subsidies, measures that have
proved unpopular with manufacturers and with urban households already squeezed by
inflation and higher bus fares.

Transport unions in Lahore said on Monday that diesel prices had forced them to
raise fares twice this year, and the provincial government has promised to add
electric buses to the metro network. A pilot route between the airport and the
city centre is due to open in the autumn.

Climate finance was also on the agenda. Officials said Pakistan would press for
faster disbursement from the loss and damage fund agreed at recent climate
conferences, citing the cost of rebuilding after floods that displaced millions
of people. The WHO has separately warned that damaged water systems have raised
the risk of disease, and has supported vaccination drives against polio in the
worst-hit districts.

Business leaders welcomed the resumption of talks but said they wanted clarity
rather than symbolism. "We don’t need another memorandum of understanding," said
the head of a textile exporters’ association in Faisalabad. "We need to know what
duty we will pay on a shipment that leaves Karachi in March."

Cricket fans, meanwhile, will be watching a different contest: the national team
begins a home series against a visiting side next week, and the sports ministry
has asked for extra security at venues in Rawalpindi and Multan.

The commerce secretary is expected to brief parliament's standing committee on
the outcome of the talks on Thursday. A second round is planned in Washington in
the spring, when officials hope to sign a framework agreement covering services,
agriculture and customs procedures.`

// TestMayMatchIsNecessary checks Rule.MayMatch against Match for every
// rule and document of the match tables, and a few with accents,
// compatibility forms and ALL-CAPS words: whatever matches must pass the
// prefilter, and the prefilter must still reject the cases it is for.
func TestMayMatchIsNecessary(t *testing.T) {
	var items []*Item
	for _, tc := range matchCases {
		it := &Item{Title: tc.doc.title, Text: tc.doc.body, Author: tc.doc.author, Categories: tc.doc.cats}
		if tc.doc.source != "" {
			it.Sources = []string{tc.doc.source}
		}
		items = append(items, it)
	}
	items = append(items,
		&Item{Title: "ＵＳ talks", Text: "Shehbāz met the ﬁnance minister in Washington; the U.S. and ÚS."},
		&Item{Title: "IT", Text: "Müller (NFD: Mu\u0308ller) spoke about climate\nfinance with US officials.", Sources: []string{"Dawn", "Reuters"}},
		&Item{Text: benchArticle, Categories: []string{"Business", "World news"}, Author: "Staff Reporter"})
	rules := slices.Clone(devsetRules)
	for _, tc := range matchCases {
		rules = append(rules, tc.rule)
	}
	rejected := 0
	for _, src := range rules {
		r := mustParseRule(t, src)
		for i, it := range items {
			may, match := r.MayMatch(it), r.Match(ItemDoc(it))
			if match && !may {
				t.Errorf("%s matches item %d (%q) but MayMatch says it cannot", r, i, it.Title)
			}
			if !may {
				rejected++
			}
		}
	}
	us := mustParseRule(t, "US")
	if us.MayMatch(&Item{Text: "Pakistan told us so"}) {
		t.Error(`MayMatch(US) passes a text with only "us"`)
	}
	if rejected == 0 {
		t.Error("MayMatch rejected nothing")
	}
}

// BenchmarkSearchTerms: an item's search terms alone; its terms and the
// Doc the devset's rules read, made in one pass (as a new item is
// prepared); and a full Doc, for comparison.
func BenchmarkSearchTerms(b *testing.B) {
	title, cats := "Pakistan and US weigh tariffs as IT exports slow", []string{"Business", "World"}
	var rules []*Rule
	for _, src := range devsetRules {
		rules = append(rules, mustParseRule(b, src))
	}
	v := NewVocab(rules...)
	for _, bc := range []struct {
		name string
		fn   func()
	}{
		{"terms", func() { SearchTerms(title, benchArticle, "Dawn", "Staff reporter", cats) }},
		{"vocab-doc+terms", func() { NewDocTerms(v, title, benchArticle, "Dawn", "Staff reporter", cats) }},
		{"vocab-doc", func() { v.doc(nil, title, benchArticle, "Dawn", "Staff reporter", cats) }},
		{"full-doc", func() { NewDoc(title, benchArticle, "Dawn", "Staff reporter", cats) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(benchArticle)))
			for b.Loop() {
				bc.fn()
			}
		})
	}
}
