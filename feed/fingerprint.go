package feed

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeText returns s in the form fingerprints are computed on: Unicode
// NFKC with case and accent folding (see Fold), quote and dash variants
// unified, punctuation turned into spaces except an apostrophe or hyphen
// between two word characters, invisible format characters (BOM, soft
// hyphen, zero-width space) dropped, and whitespace collapsed to one space.
func NormalizeText(s string) string {
	if !foldIsNoop(s) {
		s = Fold(s)
	}
	return collapse(s)
}

// foldIsNoop reports whether Fold could change s beyond what collapse does
// itself. Fold costs a few microseconds per article; most feed text is
// ASCII plus typographic quotes and dashes, which it leaves alone.
func foldIsNoop(s string) bool {
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if !isFastRune(r) {
			return false
		}
		i += w
	}
	return true
}

// isFastRune lists the non-ASCII runes for which collapse alone gives the
// same result as Fold then collapse (checked by TestNormalizeFastPath).
func isFastRune(r rune) bool {
	switch r {
	case '‘', '’', '‛', '“', '”', '„', '‟', '«', '»', '‹', '›',
		'‐', '‒', '–', '—', '―', '−', '•', '·', '§', '©', '®', '°',
		'\u200b', '\u200c', '\u200d', '\u00ad', '\ufeff':
		return true
	}
	return false
}

type runeClass uint8

const (
	classSpace runeClass = iota
	classWord
	classApostrophe
	classHyphen
	classIgnore
	classNonASCII // only in byteClass
)

// wordLower[c] is c lower-cased if c is an ASCII word byte, else 0.
var wordLower = func() (t [256]byte) {
	for c := range byte(utf8.RuneSelf) {
		if classify(rune(c)) == classWord {
			t[c] = byte(unicode.ToLower(rune(c)))
		}
	}
	return t
}()

func classify(r rune) runeClass {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', 'A' <= r && r <= 'Z':
			return classWord
		case r == '\'', r == '`':
			return classApostrophe
		case r == '-':
			return classHyphen
		}
		return classSpace
	case r == '’', r == '‘', r == '‛', r == 'ʼ', r == '′':
		return classApostrophe
	case r == '‐', r == '‑', r == '‒', r == '–', r == '—', r == '―', r == '−':
		return classHyphen
	case unicode.Is(unicode.Cf, r):
		return classIgnore
	case unicode.IsLetter(r), unicode.IsNumber(r), unicode.IsMark(r):
		return classWord
	}
	return classSpace
}

// byteClass classifies ASCII bytes without a call per byte; bytes of
// multi-byte runes get classNonASCII and are decoded.
var byteClass = func() (t [256]runeClass) {
	for c := range t {
		t[c] = classNonASCII
		if c < utf8.RuneSelf {
			t[c] = classify(rune(c))
		}
	}
	return t
}()

// collapse does the lower-casing, quote/dash unification and punctuation and
// space collapsing of NormalizeText on text that is already folded. Runs of
// ASCII word bytes, most of any text, are copied in one tight loop.
func collapse(s string) string {
	return string(collapseTo(make([]byte, 0, len(s)), s))
}

// collapseTo is collapse appending to buf, for callers that reuse one.
func collapseTo(buf []byte, s string) []byte {
	start := len(buf)
	pendingSpace, prevWord := false, false
	for i := 0; i < len(s); {
		r, w, c := rune(s[i]), 1, byteClass[s[i]]
		if c == classNonASCII {
			r, w = utf8.DecodeRuneInString(s[i:])
			c = classify(r)
		}
		switch {
		case c == classIgnore:
			i += w
			continue
		case (c == classApostrophe || c == classHyphen) && prevWord && nextIsWord(s[i+w:]):
			// kept only inside a word: "don't", "US-China"
			buf = append(buf, "'-"[c-classApostrophe]) // classHyphen follows classApostrophe
			prevWord = false
			i += w
			continue
		case c != classWord:
			pendingSpace = len(buf) > start
			prevWord = false
			i += w
			continue
		}
		if pendingSpace {
			buf = append(buf, ' ')
			pendingSpace = false
		}
		prevWord = true
		if w > 1 {
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
			i += w
			continue
		}
		for ; i < len(s) && wordLower[s[i]] != 0; i++ {
			buf = append(buf, wordLower[s[i]])
		}
	}
	return buf
}

// nextIsWord reports whether s starts with a word character, looking past
// ignorable format characters.
func nextIsWord(s string) bool {
	for _, r := range s {
		switch classify(r) {
		case classWord:
			return true
		case classIgnore:
			continue
		}
		return false
	}
	return false
}

// Fingerprint identifies an item's text for deduplication: Hash for an
// exact match, SimHash and MinHash for near-duplicates across sources.
type Fingerprint struct {
	Hash    string   // hex SHA-256 of NormalizeText(body); "" when there is no text
	SimHash uint64   // 64-bit SimHash over the word 3-shingles of the normalised body
	MinHash []uint32 // 64 one-permutation MinHash values over the same shingles
	// Words is how many words of distinctive body text the sketches were
	// made from (boilerplate left out; a CJK character counts as a word).
	Words int
	// Lede hashes the first ledeKeyWords words of that text, 0 for shorter
	// text: an excerpt and the full story, or a copy cut short, begin
	// alike while their shingle sets differ in size.
	Lede int64
}

const ledeKeyWords = 20

// NewFingerprint computes the fingerprint of an item from its body alone,
// so that a rewritten headline neither hides an exact copy nor moves a near
// one (measured on the devset: over 1000 hash seeds, body-only shingles keep
// every copy within 12 bits 78% of the time, title+body 64%). A body too
// short to shingle is prefixed with the title, and an empty one is replaced
// by it, so title-only entries do not all share the empty text's hash.
func NewFingerprint(title, body string) Fingerprint {
	return NewFingerprintDistinct(title, body, body)
}

// NewFingerprintDistinct is NewFingerprint with the sketches made from
// distinct, the body without its source's boilerplate; the hash stays
// that of the whole body, so an edit is told from a re-fetch whatever the
// source has learned since.
func NewFingerprintDistinct(title, body, distinct string) Fingerprint {
	nt, nb := NormalizeText(title), NormalizeText(body)
	nd := nb
	if distinct != body {
		nd = NormalizeText(distinct)
	}
	nd = splitCJK(joinDigitSpaces(nd)) // "12,000" normalised is "12 000"
	var f Fingerprint
	switch {
	case nb != "":
		f.Hash = hashText(nb)
	case nt != "":
		f.Hash = hashText(nt)
	default:
		return f
	}
	f.Words = wordCount(nd)
	if firstLineWords(distinct) >= 10 {
		f.Lede = ledeKey(nd) // the usual case: the text opens with its lede
	} else {
		f.Lede = ledeKey(ledeStart(distinct))
	}
	var sk sketcher
	sk.reset()
	if f.Words < shingleWords {
		sk.addText(splitCJK(nt)) // too short for a shingle of its own
	}
	sk.addText(nd)
	f.SimHash, f.MinHash = sk.finish()
	return f
}

// firstLineWords counts the words of text's first line, up to ten, the
// way ledeStart does, without normalising a long paragraph.
func firstLineWords(text string) int {
	line, _, _ := strings.Cut(text, "\n")
	if len(line) > 400 {
		line = line[:400]
	}
	if hasClockTime(line) {
		return 0
	}
	n, inWord := 0, false
	for _, r := range line {
		switch {
		case isCJK(r):
			n++
			inWord = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if !inWord {
				n++
			}
			inWord = true
		default:
			inWord = false
		}
		if n >= 10 {
			return n
		}
	}
	return n
}

// ledeStart is the normalised start of text from its first line of ten
// words or more: bylines, datelines and editors' notes the parser left
// differ between copies that begin alike.
func ledeStart(text string) string {
	for rest := text; rest != ""; {
		line, next, _ := strings.Cut(rest, "\n")
		if n := wordCount(splitCJK(NormalizeText(line))); n >= 10 && !hasClockTime(line) {
			end := len(rest)
			if end > 600 {
				end = 600
				for end < len(rest) && !utf8.RuneStart(rest[end]) {
					end++
				}
			}
			return splitCJK(joinDigitGroups(NormalizeText(rest[:end])))
		}
		rest = next
	}
	return ""
}

// joinDigitSpaces is joinDigitGroups for normalised text, where a space
// is the only separator left: it visits spaces, not every byte.
func joinDigitSpaces(nd string) string {
	if !strings.ContainsAny(nd, "0123456789") {
		return nd
	}
	var b []byte
	last := 0
	for i := strings.IndexByte(nd, ' '); i >= 0; {
		if i > 0 && isDigit(nd[i-1]) && threeDigits(nd[i+1:]) {
			if b == nil {
				b = make([]byte, 0, len(nd))
			}
			b = append(b, nd[last:i]...)
			last = i + 1
		}
		j := strings.IndexByte(nd[i+1:], ' ')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if b == nil {
		return nd
	}
	return string(append(b, nd[last:]...))
}

// ledeKey hashes the first ledeKeyWords words of normalised text.
func ledeKey(nd string) int64 {
	if wordCount(nd) < ledeKeyWords {
		return 0
	}
	end, n := len(nd), 0
	for i := 0; i < len(nd); i++ {
		if nd[i] == ' ' {
			if n++; n == ledeKeyWords {
				end = i
				break
			}
		}
	}
	h := uint64(fnvOffset) ^ 0x6c656465
	for i := 0; i < end; i++ {
		h = (h ^ uint64(nd[i])) * fnvPrime
	}
	return int64(mix64(h) | 1)
}

// Containment is the share of the word 3-shingles of small that are
// also in large: 1 for an excerpt of large, whatever large's length.
func Containment(small, large string) float64 {
	set := func(s string) map[uint64]bool {
		w := strings.Fields(splitCJK(joinDigitGroups(NormalizeText(s))))
		out := make(map[uint64]bool, len(w))
		for i := 0; i+shingleWords <= len(w); i++ {
			h := uint64(fnvOffset)
			for _, x := range w[i : i+shingleWords] {
				for j := 0; j < len(x); j++ {
					h = (h ^ uint64(x[j])) * fnvPrime
				}
				h = (h ^ ' ') * fnvPrime
			}
			out[h] = true
		}
		return out
	}
	a, b := set(small), set(large)
	if len(a) == 0 {
		return 0
	}
	n := 0
	for h := range a {
		if b[h] {
			n++
		}
	}
	return float64(n) / float64(len(a))
}

// splitCJK spaces out the characters of Chinese, Japanese and Korean
// text, which writes no spaces between words: each character is a word
// to the shingles, or a whole paragraph would be one.
func splitCJK(s string) string {
	i := 0
	for i < len(s) && s[i] < 0xe1 {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	b.WriteString(s[:i])
	prevCJK := false
	for _, r := range s[i:] {
		cjk := isCJK(r)
		if cjk || prevCJK {
			if b.Len() > 0 && r != ' ' && !strings.HasSuffix(b.String(), " ") {
				b.WriteByte(' ')
			}
		}
		b.WriteRune(r)
		prevCJK = cjk
	}
	return b.String()
}

func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func wordCount(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, " ") + 1
}

func hashText(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Hamming returns the number of differing bits of two SimHashes.
func Hamming(a, b uint64) int {
	return bits.OnesCount64(a ^ b)
}

// Jaccard estimates the Jaccard similarity of the shingle sets of a and b.
func Jaccard(a, b Fingerprint) float64 { return jaccard(a, b) }

// jaccard estimates the Jaccard similarity of the two fingerprints' shingle
// sets: the fraction of equal MinHash values. It is 0 if either is empty.
func jaccard(a, b Fingerprint) float64 {
	if len(a.MinHash) == 0 || len(a.MinHash) != len(b.MinHash) {
		return 0
	}
	n := 0
	for i, v := range a.MinHash {
		if v == b.MinHash[i] {
			n++
		}
	}
	return float64(n) / float64(len(a.MinHash))
}

// minJaccard is Similar's estimated Jaccard threshold. Copies on the devset
// are at 0.77-1.00 and distinct stories on the same subject at most 0.04;
// with 64 values the estimate's error is about ±0.05, so 0.5 leaves a wide
// margin on both sides.
const minJaccard = 0.5

// Similar is the confirm step for a candidate pair: the same text hash, or
// a SimHash distance of at most maxDistance and an estimated Jaccard of at
// least minJaccard. maxDistance <= 0 turns near-duplicate matching off.
// why explains the decision in one line.
func Similar(a, b Fingerprint, maxDistance int) (ok bool, why string) {
	if a.Hash != "" && a.Hash == b.Hash {
		return true, "same text hash"
	}
	if maxDistance <= 0 {
		return false, "different text hash, near-duplicate matching off"
	}
	d, j := Hamming(a.SimHash, b.SimHash), jaccard(a, b)
	dOK, jOK := d <= maxDistance, j >= minJaccard
	why = fmt.Sprintf("simhash distance %d %s %d, jaccard %.2f %s %.2f",
		d, pick(dOK, "<=", ">"), maxDistance, j, pick(jOK, ">=", "<"), minJaccard)
	return dOK && jOK, why
}

// MarshalMinHash encodes MinHash as 4 little-endian bytes per value.
func (f Fingerprint) MarshalMinHash() []byte {
	b := make([]byte, 0, 4*len(f.MinHash))
	for _, v := range f.MinHash {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

// UnmarshalMinHash decodes a MarshalMinHash blob.
func UnmarshalMinHash(b []byte) ([]uint32, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("minhash blob: length %d is not a multiple of 4", len(b))
	}
	if len(b) == 0 {
		return nil, nil
	}
	v := make([]uint32, len(b)/4)
	for i := range v {
		v[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return v, nil
}

func pick(cond bool, yes, no string) string {
	if cond {
		return yes
	}
	return no
}

const (
	shingleWords = 3  // words per shingle
	minHashK     = 64 // MinHash values; a power of two, see sketcher.add
	bandRows     = 4  // MinHash values per LSH band: 16 bands
)

// sketcher computes SimHash and MinHash over the word 3-shingles of
// normalised text in one pass, without building shingle strings: each word
// is hashed once and a shingle's hash combines its words' hashes.
//
// MinHash is one-permutation hashing (Li, Owen and Zhang 2012): the top 6
// bits of a shingle's hash pick one of 64 bins, each bin keeps the least
// low 32 bits, and empty bins are filled by optimal densification
// (Shrivastava 2017). It estimates Jaccard like 64 independent hash
// functions would, at the cost of one hash per shingle instead of 64.
type sketcher struct {
	words  [shingleWords - 1]uint64 // hashes of the previous words
	nwords int
	n      int         // shingles counted
	batch  [255]uint64 // shingle hashes not yet counted, see flush
	nbatch int
	counts [64]int32 // per-bit counts of 1s
	mins   [minHashK]uint32
	filled uint64 // bit i set when bin i holds a value
}

func (s *sketcher) reset() { *s = sketcher{} }

// addText adds the words of NormalizeText output; several texts form one
// word stream, so shingles run across the title/body boundary. A word is
// hashed 8 bytes at a time; shingleHash mixes thoroughly, so the word hash
// only has to keep distinct words apart.
func (s *sketcher) addText(t string) {
	for i := 0; i < len(t); {
		if t[i] == ' ' {
			i++
			continue
		}
		h, acc, k := uint64(fnvOffset), uint64(0), 0
		for ; i < len(t) && t[i] != ' '; i++ {
			acc |= uint64(t[i]) << (8 * k)
			if k++; k == 8 {
				h = (h ^ acc) * fnvPrime
				h ^= h >> 29
				acc, k = 0, 0
			}
		}
		h = (h ^ acc ^ uint64(k)<<59) * fnvPrime
		h ^= h >> 32
		if s.nwords >= shingleWords-1 {
			s.add(shingleHash(s.words[0], s.words[1], h))
		}
		s.words[0], s.words[1] = s.words[1], h
		s.nwords++
	}
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func shingleHash(a, b, c uint64) uint64 {
	return mix64(a*0x9e3779b97f4a7c15 ^ bits.RotateLeft64(b, 23)*0xc2b2ae3d27d4eb4f ^ bits.RotateLeft64(c, 47))
}

// mix64 is the MurmurHash3 finaliser: every input bit affects every output
// bit, which SimHash needs since it uses all 64 bits independently.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// spread[b] has byte i set to bit i of b: adding spread[byte j of h] to a
// lane counts 8 bits of h at once.
var spread = func() (t [256]uint64) {
	for b := range t {
		for i := range 8 {
			t[b] |= uint64(b>>i&1) << (8 * i)
		}
	}
	return t
}()

func (s *sketcher) add(h uint64) {
	s.batch[s.nbatch] = h
	if s.nbatch++; s.nbatch == len(s.batch) {
		s.flush()
	}
}

// flush counts the batched hashes into SimHash bit counts and MinHash bins.
// Lanes live in registers and a batch of at most 255 cannot overflow their
// bytes.
func (s *sketcher) flush() {
	var l0, l1, l2, l3, l4, l5, l6, l7 uint64
	for _, h := range s.batch[:s.nbatch] {
		l0 += spread[byte(h)]
		l1 += spread[byte(h>>8)]
		l2 += spread[byte(h>>16)]
		l3 += spread[byte(h>>24)]
		l4 += spread[byte(h>>32)]
		l5 += spread[byte(h>>40)]
		l6 += spread[byte(h>>48)]
		l7 += spread[byte(h>>56)]
		bin, v := h>>58, uint32(h) // 58 = 64 - log2(minHashK)
		if s.filled&(1<<bin) == 0 || v < s.mins[bin] {
			s.mins[bin] = v
			s.filled |= 1 << bin
		}
	}
	for j, l := range [8]uint64{l0, l1, l2, l3, l4, l5, l6, l7} {
		for i := range 8 {
			s.counts[8*j+i] += int32(l >> (8 * i) & 0xff)
		}
	}
	s.n += s.nbatch
	s.nbatch = 0
}

// finish returns the SimHash and MinHash; text of one or two words is one
// shingle, and no words gives zero values.
func (s *sketcher) finish() (uint64, []uint32) {
	switch {
	case s.nwords == 0:
		return 0, nil
	case s.nwords == 1:
		s.add(mix64(s.words[1]))
	case s.nwords == 2:
		s.add(shingleHash(0, s.words[0], s.words[1]))
	}
	s.flush()
	var sim uint64
	for b, c := range s.counts {
		if 2*int(c) > s.n {
			sim |= 1 << b
		}
	}
	s.densify()
	return sim, append([]uint32(nil), s.mins[:]...)
}

// densify fills each empty bin from a non-empty one chosen by a hash of the
// bin's index, the same choice for every text, so two texts agree on a
// filled bin with the probability they agree on a real one.
func (s *sketcher) densify() {
	orig := s.filled
	for i := range uint64(minHashK) {
		if orig&(1<<i) != 0 {
			continue
		}
		for try := uint64(1); ; try++ {
			j := mix64(i<<32|try) % minHashK
			if try > 1000 { // no luck; fall back to the next filled bin
				j = uint64(bits.TrailingZeros64(bits.RotateLeft64(orig, -int(i)))+int(i)) % minHashK
			}
			if orig&(1<<j) != 0 {
				s.mins[i] = s.mins[j]
				break
			}
		}
	}
}

// BandKeys returns the LSH keys of the MinHash: one per band of bandRows
// values, hashed with the band's index. Two fingerprints share a key with
// probability 1-(1-J^4)^16 for Jaccard J: 0.999 at J=0.77, 0.64 at 0.5,
// 0.0016 at 0.1 and 4e-5 at 0.04.
func (f Fingerprint) BandKeys() []int64 {
	n := len(f.MinHash) / bandRows
	if n == 0 {
		return nil
	}
	keys := make([]int64, n)
	for band := range n {
		h := uint64(fnvOffset) ^ uint64(band)
		for _, v := range f.MinHash[band*bandRows : (band+1)*bandRows] {
			h = (h ^ uint64(v)) * fnvPrime
		}
		keys[band] = int64(mix64(h))
	}
	return keys
}
