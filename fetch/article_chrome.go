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
		`\bsupport (?:our|independent) (?:reporting|journalism)\b|\byou(?:'re|’re| are) receiving this\b|` +
		`\bsent to you because\b|\ball rights reserved\b|©|^copyright\b(?:\s*(?:©|\(c\)|\d{4})|.{0,60}$)|` +
		`^\(c\) \d{4}|\b(?:view|read) (?:this|it) in your browser\b|^click here\b|^tap here\b`)
	// Only where a line is not a sentence: "Privacy", "Cookie settings".
	artFooterWordRe = regexp.MustCompile(`\b(?:privacy|cookies?|terms|imprint|contact us|about us|advertise)\b`)
	artWelcomeRe    = regexp.MustCompile(`^\W*welcome to\b`)
	// Company, charity and licence footers, whatever their length.
	artLegalRe = regexp.MustCompile(`^(?:©|\(c\) \d{4}|copyright\s*(?:©|\(c\)|\d{4}))|\ball rights reserved\b|` +
		`\bregistered (?:charity|company)\b.{0,60}\d{5}|\bregistered in [a-z ]{2,40}\b(?:no\.?|number)\s*\d|` +
		`\b(?:company|charity) (?:no\.?|number|registration)\s*:?\s*\d|^(?:proudly )?powered by\b|\| powered by\b|` +
		`\b(?:funded|supported) by (?:its|our) readers\b|\bopen government licence\b|^all content is available under\b`)
	// Chinese portal furniture: corrections and editor, share and QR-code
	// prompts, the source in brackets, related-reading labels, font size.
	artZhChromeRe = regexp.MustCompile(`^【纠错】|责任编辑\s*[:：]|^(?:编辑|校对|审核)\s*[:：]\s*\S{1,6}$|^分享到|` +
		`^扫一扫|^[（(]\s*(?:来源|来自|稿源)\s*[:：].{1,30}[)）]$|^(?:来源|稿源)\s*[:：]\s*\S{1,20}$|` +
		`^(?:相关|延伸|推荐|热门|更多)(?:阅读|新闻|链接|推荐|文章|报道)\s*[:：]?$|^字号\s*[:：]|^(?:打印本页|关闭窗口|返回顶部|` +
		`上一篇|下一篇|【打印】|【关闭】)|版权所有|^当前位置\s*[:：]|^您的位置\s*[:：]|icp备|` +
		`^[\[【]\s*(?:打印|关闭|收藏|返回|评论)|^(?:点击|浏览|阅读|访问)(?:量|次数|数)\s*[:：]|^(?:网友评论|我要评论|发表评论)|` +
		`^本文来源|转载请注明|^免责声明|^关注我们|微信公众号|扫码关注|^(?:分享|推荐)给(?:朋友|好友)`)
	// Advertising breaks: "Story continues below advertisement".
	artAdBreakRe = regexp.MustCompile(`^(?:the )?(?:story|article|text|content|report|post) continues (?:below|after|under)\b|` +
		`^continue reading (?:below|after)\b|^advertisement (?:continues|below|feature)\b|^scroll (?:down )?to continue\b`)
	// Pointers to the site's policies, hosting and syndication terms.
	artPolicyRe = regexp.MustCompile(`\b(?:read|see|view|review) (?:our|the site's|the website's) (?:privacy|cookie|terms)|` +
		`\bour (?:privacy|cookie) (?:notice|policy|statement|settings)\b|^(?:this )?(?:site|website) (?:is )?` +
		`(?:hosted|designed|built|maintained|run) by\b|\bcontent may be edited for (?:style|length)\b|` +
		`^(?:story )?source: materials provided by\b`)
	// Forum and blog edit notices: "Last edited by X on …".
	artEditNoticeRe = regexp.MustCompile(`^(?:last )?(?:edited|modified) by \S+.{0,120}$`)
	// "Download MP3 (54 MB)".
	artDownloadRe = regexp.MustCompile(`^download\b.{0,40}\(\s*\d+(?:[.,]\d+)?\s*[kmg]i?b\s*\)$`)
	// "Posted in Kit, How-to | Tagged repairs", "Filed in: News, Wildlife".
	artPostedInRe = regexp.MustCompile(`^(?:posted|filed|published) (?:in|under)\b.{0,150}$|^tagged\b.{0,150}$`)
	// "View original content: https://…": a label and nothing but a link.
	artLabelURLRe  = regexp.MustCompile(`^[^:]{1,40}:\s*(?:https?://|www\.)\S+$`)
	artSocialWords = artWordSet("facebook|twitter|x|whatsapp|linkedin|email|e-mail|reddit|telegram|" +
		"bluesky|instagram|youtube|tiktok|pinterest|mastodon|threads|print")
)

// artIsChrome reports whether a cleaned line is site chrome.
func artIsChrome(line string) bool {
	n := utf8.RuneCountInString(line)
	if n == 0 || n > 300 {
		return false
	}
	low := strings.ToLower(line)
	if n <= 250 && artIsChromeLow(line, low, n) {
		return true
	}
	// Long footers: "© 2026 Meridian Wire Service. All rights reserved. Republication …".
	return artHasAny(low, artLegalStems) && artLegalRe.MatchString(low)
}

// Substrings that every match of a rule contains: a cheap test that
// spares story lines the regular expressions.
var (
	artCommentStems = []string{"comment", "reply", "email address", "required fields", "logged in"}
	artFollowStems  = []string{"us", "join"}
	artFooterStems  = []string{"subscribe", "preferences", "forward this", "inbox", "reader-", "support",
		"receiving this", "sent to you", "rights reserved", "©", "copyright", "(c)", "browser", "click here", "tap here"}
	artPolicyStems = []string{"privacy", "cookie", "terms", "hosted", "designed", "built", "maintained", "run by",
		"edited for", "materials provided"}
	artLegalStems = []string{"©", "(c)", "copyright", "rights reserved", "registered", "company", "charity",
		"powered by", "readers", "licence", "all content"}
)

// artHasAny reports whether s contains any of the substrings.
func artHasAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func artIsChromeLow(line, low string, n int) bool {
	key := strings.TrimRightFunc(low, func(r rune) bool {
		return r == '.' || r == ':' || r == '*' || r == '!' || r == '…' || unicode.IsSpace(r)
	})
	if artChromeExact[key] {
		return true
	}
	sentence := artEndsSentence(line)
	switch {
	case artHasAny(low, artCommentStems) && artCommentRe.MatchString(low),
		artHasAny(low, artFollowStems) && artFollowRe.MatchString(low),
		strings.Contains(low, "share") && artShareFriendsRe.MatchString(low):
		return true
	case n <= 160 && artHasAny(low, artFooterStems) && artFooterRe.MatchString(low):
		return true
	case n <= 160 && artSubscribeRe.MatchString(low):
		return true
	case n <= 80 && artWelcomeRe.MatchString(low):
		return true
	case artHasCJK(line) && artZhChromeRe.MatchString(line), artEditNoticeRe.MatchString(low):
		return true
	case artCookieBanner(low), artReaderPrompt(line, low), artMediaLabel(line), artPromoLabel(low),
		n <= 80 && artFeedbackRe.MatchString(low):
		return true
	case n <= 120 && artAdBreakRe.MatchString(low), n <= 200 && artHasAny(low, artPolicyStems) && artPolicyRe.MatchString(low):
		return true
	case artStrongAside(line, low):
		return true
	case !strings.HasSuffix(line, "."):
		if artAsideRe.MatchString(low) || artShareRe.MatchString(low) || artAside(line, low) {
			return true
		}
	}
	if sentence {
		return false
	}
	return artIsNav(line) || artIsSocialList(low) || (n <= 80 && len(strings.Fields(low)) <= 6 && artFooterWordRe.MatchString(low)) ||
		artIsBareURL(line) || artIsAddress(line) || artDownloadRe.MatchString(low) ||
		artPostedInRe.MatchString(low) || artLabelURLRe.MatchString(low)
}

// artIsNav recognises menus and breadcrumbs: "Home | World | Business",
// "Home » Pakistan » Lahore", "| Welcome to …".
func artIsNav(line string) bool {
	first, _ := utf8.DecodeRuneInString(line)
	last, _ := utf8.DecodeLastRuneInString(line)
	if strings.ContainsRune("|»›>•·", first) {
		return utf8.RuneCountInString(line) <= 100
	}
	// "← Previous post | Next post →", "« 111: Cast iron …": previous and
	// next links (a French «quotation» is not one).
	if first == '←' || first == '‹' || last == '→' || (first == '«' || last == '»') && !(first == '«' && last == '»') {
		return utf8.RuneCountInString(line) <= 160
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
