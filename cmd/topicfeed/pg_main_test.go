package main

import (
	"testing"

	"github.com/topicfeed/topicfeed/internal/pgtest"
)

// TestMain stops the throwaway PostgreSQL server tests may start.
func TestMain(m *testing.M) { pgtest.Main(m) }
