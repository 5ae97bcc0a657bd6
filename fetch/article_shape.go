package fetch

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Chrome recognised by the shape of a line rather than by one site's
// wording: prompts that address the reader and ask for something, cookie
// banners, a label and a colon in front of another story's headline,
// media and promo labels, bare links and postal addresses. A line that
// ends like a sentence may still be chrome when its shape says so, so
// every rule here also requires words that story text seldom combines,
// and quoted speech is never a prompt.

var (
	artYouRe = regexp.MustCompile(`\b(?:you|your|yours|you['’](?:re|ve|ll|d))\b`)
	artWeRe  = regexp.MustCompile(`\b(?:we|our|us)\b`)
	// What a prompt sells: the publication's own newsletter, app,
	// membership or paywall, a tip line, a donation. These make a prompt
	// together with "you" or an imperative.
	artCTARe = regexp.MustCompile(`\b(?:not a subscriber|already a subscriber|subscribers? only|` +
		`premium (?:subscribers?|coverage|content|members?|access|articles?)|newsletters?|inbox|mailing list|` +
		`by e-?mail|free trial|\d+-day (?:free )?trial|continue reading|keep reading|read the full (?:story|article)|` +
		`free articles?|paywall|becom(?:e|ing) a (?:member|subscriber|supporter|patron)|membership|donate|` +
		`make a donation|patreon|chip in|reader-(?:funded|supported)|listener[- ]supported|forward (?:this|it)|` +
		`rate and review|rate us|review us|(?:the|our) [\w ’'-]{0,30}\bapp\b|follow us|join (?:us|our)|` +
		`support (?:us|our|the show|local journalism|independent journalism)|(?:email|tell|contact|write to) us|` +
		`let us know|news ?tips?|your (?:gift|donation|support)|book (?:your|now|today)|early-bird|` +
		`(?:log|sign) in (?:to (?:read|continue|keep|comment)|or (?:subscribe|register|sign up)))\b|` +
		`(?:£|\$|€)\s?\d+(?:[.,]\d\d)? (?:a|per|each) (?:week|month|year)\b`)
	// Words that make a prompt only with an imperative beside them and a
	// sign that the publication is selling: "… depends on subscribers.
	// Become one today.", "Subscribe from £24 a year".
	artCTAWeakRe = regexp.MustCompile(`\b(?:subscrib(?:e|ed|ers?|ing)|subscriptions?|sign(?:ed|ing)?[ -]?up|` +
		`members?|supporters?|donors?|patrons?|log ?in|sign in)\b`)
	// The page speaking of itself and who may read it: a paywall notice.
	artSelfAccessRe = regexp.MustCompile(`\b(?:this|the rest of this|the full) (?:article|story|content|piece|post|` +
		`page|feature|report)\b.{0,40}\b(?:subscri\w+|members? only|premium|paywall|registered users|log ?in|sign in)\b`)
	artSellRe = regexp.MustCompile(`\b(?:our|us|today|now|free|here)\b`)
	// Page feedback widgets: "Was this page helpful?", "Is this page useful?".
	artFeedbackRe = regexp.MustCompile(`^(?:was|is|did you find|do you find|how useful (?:was|is)) this ` +
		`(?:page|article|story|post|information|answer|content)\b.{0,30}\?$`)
	// Imperatives that open a prompt: "Subscribe …", "Download the app …".
	artImperativeRe = regexp.MustCompile(`^(?:subscribe|sign up|join|support|donate|give|become|download|get|` +
		`follow|forward|rate|start|try|register|log in|upgrade|book|tap|click|email|e-mail|call|share|listen|` +
		`watch|visit|chip in|stay|don['’]t miss|never miss|sign in|enjoy|read|discover|explore)\b`)
	// What follows a short question in a prompt: "Have a news tip? Email …".
	artAskRe = regexp.MustCompile(`^(?:get started|sign up|subscribe|join|download|email|e-mail|call|contact|send|` +
		`forward|rate|tell|visit|register|click|tap|book|follow|support|donate|give|become|try)\b`)
	artCookieRe    = regexp.MustCompile(`\bcookies?\b`)
	artCookieWhyRe = regexp.MustCompile(`\b(?:accept\w*|agree\w*|consent\w*|continu(?:e|ing) (?:to use|browsing|on)|` +
		`by (?:continuing|carrying on|using)|manage|settings|preferences|reject\w*|allow\w*|opt(?:-| )?(?:in|out)|` +
		`essential|necessary|policy)\b`)
	artUseCookiesRe   = regexp.MustCompile(`\b(?:we|site|website|page) (?:uses?|sets?|stores?) (?:\w+ ){0,2}cookies\b`)
	artCookiePolicyRe = regexp.MustCompile(`\b(?:our|the) use of cookies\b|\bcookies? (?:policy|settings|preferences|notice|consent)\b`)
	artWebRe          = regexp.MustCompile(`\b(?:site|website|browser|browsing|device|online|web|ads|advert\w*|` +
		`analytics|statistics|consent|personali[sz]\w*|settings|preferences|partners|third[- ]part\w*|tracking)\b`)
	artSiteRe  = regexp.MustCompile(`\b(?:this|our) (?:site|website|page)\b`)
	artSaidRe  = regexp.MustCompile(`\b(?:said|says|say|told|tells|according to|asked|wrote|added)\b`)
	artMediaRe = regexp.MustCompile(`^(?:WATCH|VIDEO|LISTEN|PHOTOS?|GALLERY|PODCAST|LIVE|READ|READ MORE|ALSO READ|READ ALSO|` +
		`RELATED|MORE|SPONSORED|ADVERTISEMENT|PROMOTED|ADVERTORIAL|[A-Z]+ ALERT|ALERT)\s*:\s*\S`)
	artPromoRe = regexp.MustCompile(`^(?:donate(?: now| today)?|give(?: now| today)?|subscribe(?: now| today)?|` +
		`sign up(?: now| today)?|support us|join us|stay in touch|book now|advertisement|sponsored(?: content)?|` +
		`promoted|partner content|paid content|paid post|winter appeal|summer appeal|christmas appeal|` +
		`emergency appeal)\s*(?::|\||–|—)`)
	// A whole line that is nothing but a link.
	artBareURLRe = regexp.MustCompile(`^<?(?:https?://\S+|www\.\S+|[\w-]+(?:\.[\w-]+)+/\S*)>?$`)
	// A postal code closing a comma-separated address: UK, US or a PO box.
	artPostcodeRe = regexp.MustCompile(`(?:\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}|\b[A-Z]{2} \d{5}(?:-\d{4})?|\bP\.?O\.? Box \d+)$`)
	// Words of a label that points away from the story: "Read more from …",
	// "More on this topic", "Related walks", "相关阅读".
	artPointerWords = artWordSet("read|reading|more|also|related|see|watch|listen|video|videos|photos|gallery|" +
		"podcast|further|recommended|suggested|topic|topics|coverage|latest|previously|previous|trending|" +
		"popular|next|miss|elsewhere|stories|articles|releases|posts|links|explore|picks|sponsored|promoted|" +
		"advertisement|live|news|deeper|catch|missed|explainer|archive|top|viewed|shared|commented|watched|" +
		"recent|depth")
)

// artReaderPrompt recognises a prompt addressed to the reader: subscribe,
// sign up, log in to keep reading, donate, download the app, send a tip —
// whether or not it ends in a full stop.
func artReaderPrompt(line, low string) bool {
	if utf8.RuneCountInString(line) > 250 || artQuotedSpeech(line, low) {
		return false
	}
	sentences := artSentences(low)
	if len(sentences) > 4 {
		return false
	}
	if !artMaySell(low) {
		// Without a word of the trade only the shapes of a question and
		// an ask, and of a closing "Give now", are left.
		for i := 1; i < len(sentences); i++ {
			if artIsShortQuestion(sentences[i-1]) && artAskRe.MatchString(sentences[i]) {
				return true
			}
		}
		return artClosingAsk(sentences)
	}
	if artSelfAccessRe.MatchString(low) { // "This article is for subscribers only."
		return true
	}
	var ctas []string
	if artHasAny(low, artCTAStems) {
		ctas = artCTARe.FindAllString(low, 3)
	}
	cta := len(ctas) > 0
	if len(ctas) >= 2 && ctas[0] != ctas[1] { // "Subscribers only: to keep reading …, subscribe from £2 a week"
		return true
	}
	weak := artCTAWeakRe.MatchString(low)
	you := artYouRe.MatchString(low)
	if you && (cta || (weak && artSellRe.MatchString(low))) {
		return true
	}
	for i, s := range sentences {
		if artImperativeRe.MatchString(s) && (cta || (weak && artSellRe.MatchString(low))) {
			return true
		}
		if i > 0 && artIsShortQuestion(sentences[i-1]) && artAskRe.MatchString(s) {
			return true
		}
	}
	return artClosingAsk(sentences)
}

// artClosingAsk: "… every Friday. Sign up", "… until 31 December. Give now".
func artClosingAsk(sentences []string) bool {
	last := sentences[len(sentences)-1]
	return len(sentences) > 1 && len(strings.Fields(last)) <= 3 && artImperativeRe.MatchString(last) &&
		!artEndsSentence(last)
}

// artCTAStems are substrings of every match of artCTARe, and
// artSellStems of every word a prompt needs: cheap tests before the
// regular expressions.
var (
	artCTAStems = []string{"subscri", "premium", "newsletter", "inbox", "mailing list", "by email", "by e-mail",
		"trial", "continue reading", "keep reading", "full story", "full article", "free article", "paywall",
		"becom", "membership", "donat", "patreon", "chip in", "reader-", "listener", "forward this", "forward it",
		"rate and review", "rate us", "review us", " app", "follow us", "join us", "join our", "support us",
		"support our", "support the show", "support local", "support independent", "email us", "e-mail us",
		"tell us", "contact us", "write to us", "let us know", "news tip", "newstip", "your gift", "your donation",
		"your support", "book your", "book now", "book today", "early-bird", "log in", "sign in", "£", "$", "€"}
	artSellStems = append([]string{"sign", "member", "support", "donor", "patron", "login", "registered users"},
		artCTAStems...)
)

func artMaySell(low string) bool { return artHasAny(low, artSellStems) }

// artIsShortQuestion: "Have a news tip?", "Looking to send a press release?".
func artIsShortQuestion(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasSuffix(s, "?") && len(strings.Fields(s)) <= 8
}

// artQuotedSpeech reports a line that reports what someone said: a prompt
// inside a quote is story.
func artQuotedSpeech(line, low string) bool {
	return strings.ContainsAny(line, "\"“”«»") && artSaidRe.MatchString(low)
}

// artSentences splits text at sentence ends (". ", "? ", "! ").
func artSentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if (s[i] == '.' || s[i] == '?' || s[i] == '!') && i+1 < len(s) && s[i+1] == ' ' && !artIsAbbrev(s[start:i]) {
			out = append(out, strings.TrimSpace(s[start:i+1]))
			start = i + 1
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" || len(out) == 0 {
		out = append(out, rest)
	}
	return out
}

// artStrongAsideRe: labels that only ever point to another story.
var artStrongAsideRe = regexp.MustCompile(`^(?:read more|read also|also read|read next|related|related stories|` +
	`related articles|related reading|see also|more on this(?: story| topic)?|(?:read )?more from [^:|]{1,40}|` +
	`further reading|also on [^:|]{1,40}|recommended(?: reading)?)\s*(?::|\||»|–|—)\s*(.+)$`)

// artStrongAside: "Read more: Rail passengers face fare rise of 3.6% in
// March." — such a label takes its headline even when it ends in a full
// stop, as long as the rest is one short sentence.
func artStrongAside(line, low string) bool {
	m := artStrongAsideRe.FindStringSubmatch(low)
	if m == nil || utf8.RuneCountInString(line) > 200 {
		return false
	}
	return len(artSentences(m[1])) == 1 && len(strings.Fields(m[1])) <= 20 && !artQuotedSpeech(line, low)
}

// artCookieBanner: "We use cookies to give you the best experience on
// our website …". Cookies, someone using them, the web, and a choice.
func artCookieBanner(low string) bool {
	n := utf8.RuneCountInString(low)
	if n > 300 || !strings.Contains(low, "cookie") || !artCookieRe.MatchString(low) {
		return false
	}
	if n <= 60 && strings.HasPrefix(low, "cookies on ") {
		return true
	}
	return (artYouRe.MatchString(low) || artWeRe.MatchString(low) || artSiteRe.MatchString(low)) &&
		(artCookiePolicyRe.MatchString(low) ||
			(artWebRe.MatchString(low) || artCookieWhyRe.MatchString(low)) &&
				(artUseCookiesRe.MatchString(low) || artWebRe.MatchString(low) && artCookieWhyRe.MatchString(low))) &&
		!artQuotedSpeech(low, low)
}

// artMediaLabel: an ALL-CAPS media or promo label and a colon, "WATCH: …",
// "VIDEO: …", "WEATHER ALERT: …", whatever follows.
func artMediaLabel(line string) bool {
	return utf8.RuneCountInString(line) <= 200 && artMediaRe.MatchString(line)
}

// artPromoLabel: "Donate now: …", "Sponsored: …", "Stay in touch: …".
func artPromoLabel(low string) bool {
	return utf8.RuneCountInString(low) <= 250 && artPromoRe.MatchString(low)
}

// artAside recognises a label that points to other stories, a separator
// and a headline: "Read more from The Weald Courier: Cranhurst traders
// launch …", "More on this topic: …", "Related topics: Ports | …".
func artAside(line, low string) bool {
	if utf8.RuneCountInString(line) > 220 || artEndsFullStop(line) {
		return false
	}
	i, size := artLabelEnd(low)
	if i <= 0 {
		return false
	}
	label, rest := low[:i], strings.TrimSpace(low[i+size:])
	if !artIsPointerLabel(label, 8) || rest == "" {
		return false
	}
	return artWordCount(rest) >= 2
}

// artLabelEnd finds the separator after a label in the first 80 bytes:
// a colon, or a bar, guillemet or dash between spaces.
func artLabelEnd(s string) (int, int) {
	best, size := -1, 0
	for _, sep := range []string{":", "：", " | ", " » ", " — ", " – ", " -- ", " > "} {
		if i := strings.Index(s, sep); i > 0 && i < 80 && (best < 0 || i < best) {
			best, size = i, len(sep)
		}
	}
	return best, size
}

// artIsPointerLabel reports a short label (at most max words, no digits,
// no sentence inside) with a word that points away from the story.
func artIsPointerLabel(label string, max int) bool {
	label = strings.TrimSpace(strings.Trim(strings.TrimSpace(label), ":：*_"))
	if label == "" || strings.IndexFunc(label, unicode.IsDigit) >= 0 || strings.ContainsAny(label, ".!?,;") {
		return false
	}
	if artHasCJK(label) {
		return artZhPointerRe.MatchString(label) && utf8.RuneCountInString(label) <= 8
	}
	words := strings.Fields(strings.ToLower(label))
	if len(words) == 0 || len(words) > max {
		return false
	}
	for _, w := range words {
		if artPointerWords[strings.Trim(w, "'’\"“”()")] {
			return true
		}
	}
	return false
}

var artZhPointerRe = regexp.MustCompile(`相关|阅读|推荐|热门|热点|更多|延伸|新闻|排行`)

func artHasCJK(s string) bool { return strings.IndexFunc(s, artIsCJK) >= 0 }

// artEndsFullStop reports text ending in a full stop, inside closing
// quotes or brackets or not, but not in an ellipsis.
func artEndsFullStop(s string) bool {
	s = strings.TrimRight(s, "\"'”’)]» ")
	return (strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "...")) || strings.HasSuffix(s, "。")
}

// artIsBareURL: a line that is only a link, "longformquarterly.example/join".
func artIsBareURL(line string) bool {
	return !strings.ContainsRune(line, ' ') && artBareURLRe.MatchString(line) &&
		strings.IndexFunc(line, unicode.IsLetter) >= 0
}

// artIsAddress: "Green Lanes Journal, Unit 4, The Old Dairy, Church
// Stretton SY6 6AA", alone or as the first field of a footer row.
func artIsAddress(line string) bool {
	if utf8.RuneCountInString(line) > 200 {
		return false
	}
	for _, seg := range artFooterSepRe.Split(line, -1) {
		if artIsAddressPart(strings.TrimSpace(seg)) {
			return true
		}
	}
	return false
}

var artFooterSepRe = regexp.MustCompile(` (?:·|\||•) `)

func artIsAddressPart(line string) bool {
	if utf8.RuneCountInString(line) > 140 || !strings.ContainsAny(line, "0123456789") || !artPostcodeRe.MatchString(line) {
		return false
	}
	parts := strings.Split(line, ",")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if len(strings.Fields(p)) > 6 {
			return false
		}
	}
	return true
}

// artEmphPrompt: a whole line in emphasis that speaks to the reader or
// asks for something — "*If you liked this post, you can get the next one
// by email.*" — however it ends.
func artEmphPrompt(line string) bool {
	low := strings.ToLower(line)
	if utf8.RuneCountInString(line) > 400 || artQuotedSpeech(line, low) {
		return false
	}
	return artYouRe.MatchString(low) || artCTARe.MatchString(low) || artCTAWeakRe.MatchString(low)
}
