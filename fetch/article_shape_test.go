package fetch

import (
	"strings"
	"testing"
	"time"
)

// TestArticleChromeShapes: lines that are chrome by their shape, in
// wordings no rule names, and story sentences built from the same words
// that must stay. Each line is judged the way ParseArticle judges a line
// between two story paragraphs.
func TestArticleChromeShapes(t *testing.T) {
	chrome := []string{
		"Read more from The Weald Courier: Cranhurst traders launch Christmas lights appeal",
		"More on this topic: Council votes to close Mill Lane depot",
		"**More on this topic:** [Council votes to close Mill Lane depot](/depot)",
		"Also on Riverbend: Ferry fares to rise in April",
		"Read more: Rail passengers face fare rise of 3.6% in March.",
		"Go deeper: Why small firms are switching to free bookkeeping apps",
		"Related topics: Ports | Reefer containers | Fresh produce",
		"WATCH: KRVT 9 Evening News, weeknights at 5, 6 and 10.",
		"Sponsored: Is your cold store ready for the F-gas rules? Download the free guide",
		"*Enjoyed this briefing? Forward it to a colleague, or sign up at briefing.example.*",
		"_Sign up for our free morning briefing and get the news that matters before breakfast._",
		"This site uses cookies to give you the best experience, and by continuing you accept them.",
		"Cookies help us deliver our services. By using our services, you agree to our use of cookies.",
		"You've reached your limit of free articles this month. Subscribe to keep reading.",
		"To continue reading, subscribe to the Fenland Observer from £1.50 a week.",
		"This article is for subscribers only.",
		"Support local journalism. Subscribe to the Ledger for just $5.99 a month.",
		"Have a news tip? Email newsdesk@krvt9.example or call 417-555-0199.",
		"Looking to send a press release? Get started with NewsPulse today.",
		"Download the KRVT 9 News app for breaking news alerts, live video and radar.",
		"Story continues below advertisement",
		"© 2026 Meridian Wire Service. All rights reserved. Republication or redistribution of Meridian content, including by framing or similar means, is expressly prohibited without the prior written consent of Meridian.",
		"Weald Courier Media Ltd, 14 Tanyard Row, Cranhurst TN17 4QP. Registered in England No. 04417721.",
		"The Weekly Sieve, PO Box 4410, Kendal LA9 1ZZ",
		"Was this page helpful?",
		"Download MP3 (54 MB)",
		"Last edited by islandhopper on Tue 24 Nov 2026 9:31 pm, edited 1 time in total.",
		"← The day the chain snapped | A winter kit list that isn't just more gloves →",
		"e-Edition   Obituaries   Classifieds   Legal Notices   Subscribe",
		"【纠错】 责任编辑：王珊",
		"分享到：微信 微博 QQ空间",
		"扫一扫在手机打开当前页",
		"(来源: 鹭岛网)",
		"相关阅读:",
		"点击量：2318",
	}
	story := []string{
		"The bakery sells 4,000 cookies a week, and customers who subscribe to its box scheme get a discount.",
		"We baked 4,000 cookies for the fair and customers loved the experience.",
		"We use cookies from the same recipe my grandmother used, and we sell out every Saturday.",
		"Your browser stores cookies for each site you visit, the researchers found.",
		"Our volunteers signed up 300 households for the scheme in the first week.",
		"You will need to log in to the council portal to pay the charge.",
		"You can sign up for garden waste collections on the council website.",
		"Subscribers to the service will pay £2 more a month from April, the company said.",
		"The new channel will be available to subscribers only.",
		"The council's newsletter, which goes to every household, will be printed on recycled paper.",
		"Members voted 42 to 7 to join the national federation.",
		"Download the GPX file of the route from the link below.",
		"If you are on narrow tyres, stay on the road through Llantood instead; it adds a mile and saves your temper.",
		"“Subscribe to our channel,” he told the crowd, to laughter.",
		"Copyright lawyers say the ruling could change how museums license images.",
		"The plant is powered by solar panels on the roof.",
		"The company updated its privacy policy after the fine.",
		"Read the full report on the regulator's website.",
		"Minister for Rural Communities Maeve Ardagh said:",
		"Ashby Town 2 Fenwick Rovers 1",
		"Referee: Naomi Price. Attendance: 3,126.",
		"Bakery wins fight over business rates on cookie kitchen",
		"据介绍，三处平台分别位于白城沙滩、黄厝和曾厝垵附近。",
	}
	const before, after = "The first paragraph of the story ends here, as paragraphs do.", "The story goes on after it, and ends like a sentence too."
	for _, line := range chrome {
		it, err := ParseArticle("a.md", []byte("# Headline of the story\n\n"+before+"\n\n"+line+"\n\n"+after+"\n"), artModTime)
		if err != nil {
			t.Fatal(err)
		}
		if want := before + "\n\n" + after; it.Text != want {
			t.Errorf("chrome kept: %q\ntext: %q", line, it.Text)
		}
	}
	for _, line := range story {
		it, err := ParseArticle("a.txt", []byte("Headline of the story\n\n"+before+"\n\n"+line+"\n\n"+after+"\n"), artModTime)
		if err != nil {
			t.Fatal(err)
		}
		if want := before + "\n\n" + line + "\n\n" + after; it.Text != want {
			t.Errorf("story line dropped or changed: %q\ntext: %q", line, it.Text)
		}
	}
}

// TestArticleBlockLines: lines with no blank line between them are judged
// one by one; wrapped prose is joined again.
func TestArticleBlockLines(t *testing.T) {
	for _, tc := range []struct{ name, in, text string }{
		{"aside inside a paragraph block.txt",
			"Headline of the story\n\nThe first paragraph ends here.\nRead more from The Courier: Another story entirely\nThe second paragraph follows.\n",
			"The first paragraph ends here.\n\nThe second paragraph follows."},
		{"paywall and footer.txt",
			"Headline of the story\n\nThe story has one paragraph.\nYou have read 3 of your 5 free articles this month. Subscribe to keep reading.\nCourier Media Ltd, 14 Tanyard Row, Cranhurst TN17 4QP\n",
			"The story has one paragraph."},
		{"label and headlines.txt",
			"Headline of the story\n\nThe story ends with this sentence.\nMost read\nCouncil approves Mill Lane car park after row\nTwo hurt as lorry overturns on the A21\nFormer bakery to become a wine bar\n",
			"The story ends with this sentence."},
		{"wrapped prose.txt",
			"Headline of the story\n\nWhen the call came, Alasdair Munro was on his knees in his vegetable patch\nin Oban, lifting the last of the potatoes. It was the Northern Lighthouse\nBoard, and the woman on the phone wanted to know about his oilskins.\n",
			"When the call came, Alasdair Munro was on his knees in his vegetable patch in Oban, lifting the last of the potatoes. It was the Northern Lighthouse Board, and the woman on the phone wanted to know about his oilskins."},
		{"wrapped prose with a label.txt",
			"Headline of the story\n\nThe council will publish its housing report next week, and\nLatest figures: show that 4,000 homes were built in the district last\nyear, the most since 2008.\n",
			"The council will publish its housing report next week, and Latest figures: show that 4,000 homes were built in the district last year, the most since 2008."},
		{"one paragraph per line.txt",
			"Headline of the story\n\nForty-three people wrote to the council objecting, mostly about traffic and the loss of fields used for walking by people from the town.\nCouncillor Martin Greaves, who chairs the committee, said the site had been allocated for housing in the local plan since 2019.\n",
			"Forty-three people wrote to the council objecting, mostly about traffic and the loss of fields used for walking by people from the town.\n\nCouncillor Martin Greaves, who chairs the committee, said the site had been allocated for housing in the local plan since 2019."},
		{"italic wrapped.md",
			"# Headline of the story\n\nThe story has one paragraph.\n\n*If you liked this post, you can get the next one\nby email. It's free, and I only write twice a month.*\n",
			"The story has one paragraph."},
	} {
		it, err := ParseArticle(tc.name, []byte(tc.in), artModTime)
		if err != nil {
			t.Fatal(err)
		}
		if it.Text != tc.text {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, it.Text, tc.text)
		}
	}
}

// TestArticleDateLinesMore: the date formats and metadata lines of the
// corpus, and sentences that only mention a date.
func TestArticleDateLinesMore(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"25/11/2026", "2026-11-25"},
		{"Published 26/11/2026 | Source: Department for Upland Affairs", "2026-11-26"},
		{"Published: 24.11.2026", "2026-11-24"},
		{"11/18/2026 5:45 PM CST", "2026-11-18"},
		{"发布时间: 2026年11月25日 10:12", "2026-11-25"},
		{"发布时间: 2026年11月20日 08:30 来源: 鹭岛网 作者: 郑伟", "2026-11-20"},
		{"2026-11-18 09:40   来源：海峡晨讯   编辑：刘洋", "2026-11-18"},
		{"Tom Alderney, Green Lanes Journal · 24 November 2026", "2026-11-24"},
		{"Nia • October 30, 2026 • 2 Comments", "2026-10-30"},
		{"Episode 112 · 13 November 2026 · 58 min", "2026-11-13"},
		{"The hearing on 25/11/2026 was adjourned until next spring.", ""},
		{"Ministers met in Oslo on 12 May 2025 to discuss tariffs, fishing quotas and the future of the deal", ""},
		{"Tickets for the concert on 12 December 2026 | sold out within an hour of going on sale last week", ""},
	} {
		d, ok := artDateLine(tc.in)
		got := ""
		if ok {
			got = d.Format(time.DateOnly)
		}
		if got != tc.want {
			t.Errorf("artDateLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	// The fixed defects: a Chinese date line is the date, not the title.
	it, err := ParseArticle("a.txt", []byte("发布时间: 2026年11月25日 10:12\n\n环岛路新增三处观海平台 周末起开放\n\n记者从市政园林局获悉，三处观海平台已完成验收。\n"), artModTime)
	if err != nil || it.Title != "环岛路新增三处观海平台 周末起开放" || it.Published.Format(time.DateOnly) != "2026-11-25" {
		t.Errorf("Chinese date line: title %q, date %v, err %v", it.Title, it.Published, err)
	}
	if strings.Contains(it.Text, "发布时间") {
		t.Errorf("date line kept in text: %q", it.Text)
	}
}
