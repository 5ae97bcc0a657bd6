package feed

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestUnitsHashTemplates(t *testing.T) {
	a := Units("Harbour plans", "The harbour plan was approved.\n\nThe post Harbour plans appeared first on Port News.")
	b := Units("Ferry strike", "Ferries stopped at dawn.\n\nThe post Ferry strike appeared first on Port News.")
	if len(a.Units) != 2 || len(b.Units) != 2 {
		t.Fatalf("units: %d and %d, want 2 each", len(a.Units), len(b.Units))
	}
	if a.Units[1].Exact != b.Units[1].Exact {
		t.Error(`"The post TITLE appeared first on …" hashes differently for two titles`)
	}
	if a.Units[0].Exact == b.Units[0].Exact {
		t.Error("two different sentences hash alike")
	}
	v1 := Units("Release notes", "Bug fixes and performance improvements in v1.4.0.")
	v2 := Units("Release notes", "Bug fixes and performance improvements in v1.5.0.")
	if v1.Units[0].Masked != v2.Units[0].Masked || v1.Units[0].Exact == v2.Units[0].Exact {
		t.Error("release notes: Masked should match and Exact differ")
	}
	if a.Paras != 2 || !a.Whole[0] || !a.Whole[1] {
		t.Errorf("paragraphs %d %v, want 2 whole", a.Paras, a.Whole)
	}
}

func TestUnitsOnlyAtTheEdges(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		b.WriteString("Sentence number ")
		b.WriteString(strings.Repeat("x", i+1))
		b.WriteString(" of the story. ")
	}
	st := Units("T", b.String())
	if len(st.Units) != edgeHead+edgeTail {
		t.Fatalf("%d units, want %d", len(st.Units), edgeHead+edgeTail)
	}
	if st.Whole[0] {
		t.Error("a paragraph with middle sentences counts as whole")
	}
}

func TestClassifyDropsOnlyWholeEdgeParagraphs(t *testing.T) {
	text := "Subscribe to our newsletter.\n\nThe council met on Monday. It agreed the budget.\n\nFollow us on social media."
	st := Units("Budget", text)
	boiler := map[uint32]bool{st.Units[0].Exact: true, st.Units[len(st.Units)-1].Exact: true}
	bp := Classify(st, func(e, m uint32) (int, int) {
		if boiler[e] {
			return 5, 5
		}
		return 1, 1
	})
	if !bp.Drop[0] || !bp.Drop[2] || bp.Drop[1] {
		t.Errorf("drop = %v, want paragraphs 0 and 2", bp.Drop)
	}
	gotText, gotHTML := DropParagraphs(text, "<p>Subscribe to our newsletter.</p><p>The council met on Monday. It agreed the budget.</p><p>Follow us on <b>social</b> media.</p>", bp.Drop)
	if gotText != "The council met on Monday. It agreed the budget." {
		t.Errorf("text = %q", gotText)
	}
	if gotHTML != "<p>The council met on Monday. It agreed the budget.</p>" {
		t.Errorf("content = %q", gotHTML)
	}
	distinct := DistinctText(text, st.Units, bp.Skip)
	if strings.Contains(distinct, "Subscribe") || !strings.Contains(distinct, "agreed the budget") {
		t.Errorf("distinct text = %q", distinct)
	}
	// Two stories sharing a sentence (count 2) keep it in their content.
	shared := Classify(st, func(e, m uint32) (int, int) { return 2, 2 })
	if len(shared.Drop) != 0 || shared.Skip == nil {
		t.Errorf("count 2: drop %v skip %v, want fingerprint skip only", shared.Drop, shared.Skip)
	}
}

func TestEvidenceHelpers(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"Episode 12: bees", "Episode 13: boats", true},
		{"v1.4.0", "v1.5.0", true},
		{"Pakistan Beat New Zealand by 19 Runs in Florida Opener", "Pakistan Edge New Zealand as Spinners Seal Lauderhill T20 Opener", false},
		{"China and Brazil Sign Soybean Trade Deal Worth $12 Billion", "China, Brazil sign $12bn soybean trade deal", false},
		{"Morning briefing: 3 March", "Morning briefing: 4 March", true},
		{"Council approves budget", "Council approves 2027 budget", false},
	} {
		if got := TitleNumbersConflict(c.a, c.b); got != c.want {
			t.Errorf("TitleNumbersConflict(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
	lede := "Councillor Bernard Ashworth has resigned as leader of Fenwick District Council, days after a leaked email."
	wrapped := "Council leader quits\n\nCouncillor Bernard Ashworth has resigned as leader of Fenwick\nDistrict Council, days after a leaked email."
	if !LedeSimilar(lede, wrapped, "Council leader quits") {
		t.Error("a hard-wrapped copy's lede is not similar")
	}
	if LedeSimilar("This week we talk about keeping bees on a city roof. Support the show.",
		"This week we talk about restoring an old sailing boat. Support the show.") {
		t.Error("two episodes' ledes are similar")
	}
	keys := KeyTokens("Ashford beat Brackley 3-1 at Mill Lane on a cold and windy Saturday. The crowd of 9,000 cheered every one of the goals.\n\nBy Sam Reed")
	for _, k := range []string{"brackley", "3", "1", "mill", "lane", "9000"} {
		if !keys[k] {
			t.Errorf("KeyTokens lacks %q: %v", k, keys)
		}
	}
	if keys["the"] {
		t.Error("a sentence's first word is a key token")
	}
	if keys["sam"] || keys["reed"] {
		t.Error("a short byline line gives key tokens")
	}
}

func TestFingerprintCJK(t *testing.T) {
	a := NewFingerprint("地铁", "杭州市发展和改革委员会昨日发布公告，拟对地铁票价结构进行调整，并将于下月十日召开价格听证会。")
	if a.Words < 25 {
		t.Errorf("CJK words = %d, want a word per character", a.Words)
	}
	b := NewFingerprint("地铁", "杭州市发展和改革委员会昨日发布公告,拟对地铁票价结构进行调整,并将于下月十日召开价格听证会.")
	if ok, why := Similar(a, b, 18); !ok {
		t.Errorf("CJK copy with other punctuation: %s", why)
	}
}

func FuzzUnits(f *testing.F) {
	f.Add("T", "One. Two!\n\nThree? Four…")
	f.Add("", "中文。句子！")
	f.Add("x", "\n\n\n")
	f.Add("n", "12,000 homes and 12 000 more, 1 234 567 or 2024 100.")
	f.Fuzz(func(t *testing.T, title, text string) {
		st := Units(title, text)
		prev := 0
		for _, u := range st.Units {
			if u.Start < prev || u.End < u.Start || u.End > len(text) || u.Para >= st.Paras {
				t.Fatalf("unit %+v out of order or range (text %d bytes, %d paras)", u, len(text), st.Paras)
			}
			prev = u.End
		}
		skip := make([]bool, len(st.Units))
		for i := range skip {
			skip[i] = i%2 == 0
		}
		d := DistinctText(text, st.Units, skip)
		if utf8.ValidString(text) && !utf8.ValidString(d) {
			t.Fatalf("DistinctText broke UTF-8: %q", d)
		}
		if n := NormalizeText(text); joinDigitSpaces(n) != joinDigitGroups(n) {
			t.Fatalf("joinDigitSpaces(%q) = %q, joinDigitGroups %q", n, joinDigitSpaces(n), joinDigitGroups(n))
		}
		bp := Classify(st, func(e, m uint32) (int, int) { return int(e % 4), int(m % 4) })
		for p := range bp.Drop {
			if p < 0 || p >= st.Paras {
				t.Fatalf("drop paragraph %d of %d", p, st.Paras)
			}
		}
	})
}
