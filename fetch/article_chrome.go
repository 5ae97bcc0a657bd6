package fetch

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Site chrome is recognised line by line. The rules look at short lines only
// and mostly at how a line starts, so a story sentence that merely mentions
// "newsletter" or "comments" survives.

// artChromeExact holds whole chrome lines, lower-cased, with trailing
// punctuation and "*" removed.
var artChromeExact = artWordSet(`exit mobile version|skip to content|skip to main content|
skip to navigation|skip to the content|jump to content|back to top|scroll to top|go to top|print|
print this page|print article|menu|main menu|open menu|close menu|search|close|home|advertisement|
advertisements|sponsored|sponsored content|ad|comments|comment|leave a reply|leave a comment|
leave a reply cancel reply|cancel reply|post comment|post a comment|submit comment|add comment|
add a comment|comment on this story|comment on this article|join the conversation|
join the discussion|view comments|show comments|load comments|share|share this|
share this article|share this story|share this post|share article|tweet|email|copy link|related|
related articles|related stories|related posts|more stories|you may also like|recommended|
trending|most read|most popular|latest news|read more|continue reading|toggle navigation|
log in|login|sign in|register|subscribe|subscribe now|sign up|newsletter|tags|previous article|
next article|previous post|next post|loading|name|email address|e-mail|website|follow us|
save my name, email, and website in this browser for the next time i comment|
this article is closed for comments|cookie settings|accept cookies|privacy policy|
terms of use|terms and conditions|contact us|about us`)

func artWordSet(list string) map[string]bool {
	m := make(map[string]bool)
	for _, s := range strings.Split(list, "|") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

var (
	// "Read More: …", "Also on Riverbend: …", "READ ALSO | …": links to other stories.
	artAsideRe = regexp.MustCompile(`^(?:read more|read also|also read|must read|read next|read|` +
		`related|related reading|related stories|related articles|related news|see also|also see|` +
		`also on [^:|]{1,40}|more from [^:|]{1,40}|more on this(?: story)?|recommended|suggested|` +
		`you may also like|watch|listen|also watch|don't miss|don’t miss|more)\s*(?::|\||»|–|—|-{1,2}|>)\s*\S`)
	artShareRe = regexp.MustCompile(`^share\b(?:\s*(?::|\||·|$)|\s+(?:on|this|the latest|via|it|` +
		`article|story|post|by|with|to)\b)`)
	artShareFriendsRe = regexp.MustCompile(`\bshare (?:it|this(?: story| article)?) with (?:your )?` +
		`(?:friends|family|colleagues)\b`)
	artFollowRe = regexp.MustCompile(`^(?:follow|like|find|connect with) us\b|^join (?:us|our)\b.{0,80}` +
		`\b(?:channel|group|community|newsletter|telegram|whatsapp|facebook|instagram|youtube|twitter|discord)\b`)
	artCommentRe = regexp.MustCompile(`^leave a (?:reply|comment)\b|^your email address will not be published|` +
		`required fields are marked|^comments?\s*\(\d+\)$|^\d+\s+comments?$|` +
		`^comments? (?:are|is) (?:closed|disabled|off)\b|^(?:view|show|load|read|see) (?:all )?(?:\d+ )?comments?$|` +
		`^you must be logged in to post a comment|^this (?:article|story) is closed for comments`)
	artSubscribeRe = regexp.MustCompile(`^(?:subscribe|sign up|signup|newsletter)\b|` +
		`^get (?:the|our) .{0,60}\b(?:newsletter|digest|briefing|bulletin)\b`)
	artFooterRe = regexp.MustCompile(`\bunsubscribe\b|\bmanage (?:your )?preferences\b|` +
		`\bforward this (?:e-?mail|newsletter)\b|\bin your inbox\b|\breader-(?:funded|supported)\b|` +
		`\bsupport (?:our|independent) (?:reporting|journalism)\b|\ball rights reserved\b|©|^copyright\b|` +
		`^\(c\) \d{4}|\b(?:view|read) (?:this|it) in your browser\b|^click here\b|^tap here\b`)
	// Only where a line is not a sentence: "Privacy", "Cookie settings".
	artFooterWordRe = regexp.MustCompile(`\b(?:privacy|cookies?|terms|imprint|contact us|about us|advertise)\b`)
	artWelcomeRe    = regexp.MustCompile(`^\W*welcome to\b`)
	artSocialWords  = artWordSet("facebook|twitter|x|whatsapp|linkedin|email|e-mail|reddit|telegram|" +
		"bluesky|instagram|youtube|tiktok|pinterest|mastodon|threads|print")
)

// artIsChrome reports whether a cleaned line is site chrome.
func artIsChrome(line string) bool {
	n := utf8.RuneCountInString(line)
	if n == 0 || n > 250 {
		return false
	}
	low := strings.ToLower(line)
	key := strings.TrimRightFunc(low, func(r rune) bool {
		return r == '.' || r == ':' || r == '*' || r == '!' || r == '…' || unicode.IsSpace(r)
	})
	if artChromeExact[key] {
		return true
	}
	sentence := artEndsSentence(line)
	switch {
	case artCommentRe.MatchString(low), artFollowRe.MatchString(low), artShareFriendsRe.MatchString(low):
		return true
	case n <= 160 && artFooterRe.MatchString(low):
		return true
	case n <= 160 && artSubscribeRe.MatchString(low):
		return true
	case n <= 80 && artWelcomeRe.MatchString(low):
		return true
	case !strings.HasSuffix(line, "."):
		if artAsideRe.MatchString(low) || artShareRe.MatchString(low) {
			return true
		}
	}
	if sentence {
		return false
	}
	return artIsNav(line) || artIsSocialList(low) || (n <= 80 && artFooterWordRe.MatchString(low))
}

// artIsNav recognises menus and breadcrumbs: "Home | World | Business",
// "Home » Pakistan » Lahore", "| Welcome to …".
func artIsNav(line string) bool {
	if first, _ := utf8.DecodeRuneInString(line); strings.ContainsRune("|»›>•·", first) {
		return utf8.RuneCountInString(line) <= 100
	}
	// "/" and ">" only with spaces around, so URLs and paths are not menus.
	for _, sep := range []string{"|", "·", "•", "»", "›", " > ", " / "} {
		if strings.Count(line, sep) < 2 {
			continue
		}
		if artNavSegments(strings.Split(line, sep)) {
			return true
		}
	}
	return false
}

// artNavSegments reports whether at least three non-empty parts are all
// short labels with a letter in them.
func artNavSegments(segs []string) bool {
	n := 0
	for _, seg := range segs {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		n++
		if len(strings.Fields(seg)) > 5 || utf8.RuneCountInString(seg) > 40 ||
			strings.HasSuffix(seg, ".") || strings.IndexFunc(seg, unicode.IsLetter) < 0 {
			return false
		}
	}
	return n >= 3
}

// artIsSocialList recognises a bare row of share targets: "Facebook X WhatsApp".
func artIsSocialList(low string) bool {
	words := strings.FieldsFunc(low, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-'
	})
	social, other := 0, 0
	for _, w := range words {
		if artSocialWords[w] {
			social++
		} else {
			other++
		}
	}
	return social >= 2 && other <= 2 && social > other
}

// artEndsSentence reports whether s ends like a sentence: a full stop,
// question or exclamation mark, possibly inside closing quotes or brackets.
func artEndsSentence(s string) bool {
	s = strings.TrimRight(s, "\"'”’)]» ")
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '.' || r == '!' || r == '?' || r == '…' || r == '。' || r == '！' || r == '？'
}

// artIsRule reports a separator line such as "---", "***" or "= = =".
func artIsRule(line string) bool {
	line = strings.ReplaceAll(line, " ", "")
	if len(line) < 3 {
		return false
	}
	for _, r := range line {
		if !strings.ContainsRune("-*_=~#", r) || r != rune(line[0]) {
			return false
		}
	}
	return true
}
