package store

import "testing"

func TestIsolationVariable(t *testing.T) {
	for version, want := range map[string]string{
		"8.4.3":                    "transaction_isolation",
		"8.0.36-0ubuntu0.22.04.1":  "transaction_isolation",
		"10.11.19-MariaDB-0+deb12": "tx_isolation",
		"11.0.2-MariaDB":           "tx_isolation",
		"11.1.0-MariaDB":           "transaction_isolation",
		"11.4.2-MariaDB-log":       "transaction_isolation",
		"12.0.1-MariaDB":           "transaction_isolation",
	} {
		if got := isolationVariable(version); got != want {
			t.Errorf("isolationVariable(%q) = %q, want %q", version, got, want)
		}
	}
}
