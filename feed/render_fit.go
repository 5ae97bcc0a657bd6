package feed

// fit chooses what of es a feed of at most max bytes carries, for a feed
// that rendered longer. Every item is listed, newest first, as long as
// it fits with its summary and a link to the rest in place of its
// content (shorten); an item that does not fit even so is left out.
// Then items get their whole content back, newest first, while the feed
// still fits. So no single item can push a topic feed past
// refresh.max_body, which readers (and topicfeed itself) refuse to read
// past, and a feed of many long items still lists them all.
//
// An entry's share of the feed is measured by rendering it alone, whole
// and shortened: about three renderings more than a feed that fits, and
// only for one that does not. The measure errs long: in a list, JSON
// separates items with fewer bytes than it wraps one item with.
func fit(f Format, ch Channel, es []*entry, max int) []*entry {
	size := func(es ...*entry) int {
		var c countWriter
		if err := write(&c, f, ch, es); err != nil {
			return max + 1 // unrenderable: never fits
		}
		return c.n
	}
	empty := size() // what every measure of one item includes
	type choice struct {
		e            *entry
		full         string
		whole, short int
	}
	used := empty
	var kept []choice
	for _, e := range es {
		c := choice{e: e, full: e.content, whole: size(e) - empty}
		e.shorten()
		c.short = size(e) - empty
		if used+c.short > max {
			continue
		}
		used += c.short
		kept = append(kept, c)
	}
	out := make([]*entry, len(kept))
	for i, c := range kept {
		if d := c.whole - c.short; d <= 0 || used+d <= max {
			c.e.content = c.full
			used += d
		}
		out[i] = c.e
	}
	// The measure errs long, but should it ever err short, items go
	// from the end until the feed fits.
	for len(out) > 0 && size(out...) > max {
		out = out[:len(out)-1]
	}
	return out
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}
