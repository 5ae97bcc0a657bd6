// Package fetch gets bytes from remote feeds and local files, politely and
// within limits, and turns them into feed.Items.
package fetch
