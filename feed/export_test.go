package feed

// The golden items and channel, for the tests of package feed_test,
// which read feeds with fetch and the store.
var (
	GoldenItems   = goldenItems
	GoldenChannel = goldenChannel
)
