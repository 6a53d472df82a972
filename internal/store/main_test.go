package store_test

import (
	"fmt"
	"os"
	"testing"
)

// TestMain says, once and without -v, what a run without MySQL leaves out:
// heartbeats.go has no SQLite path, so nothing else would show it untested.
func TestMain(m *testing.M) {
	if os.Getenv("XUETANG_TEST_MYSQL_URL") == "" {
		fmt.Println("store: heartbeats.go (MySQL multi-statement path) and the MySQL suites not exercised: " +
			"set XUETANG_TEST_MYSQL_URL=mysql://root@127.0.0.1:3306/test")
	}
	os.Exit(m.Run())
}
