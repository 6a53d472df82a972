package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LockName is the file in the data dir that `serve` holds locked while it
// runs on the embedded database; restore takes the same lock, so neither
// can start while the other has the data.
const LockName = "xuetang.lock"

// ErrInUse: another process (a running server, another restore) holds the
// data dir.
var ErrInUse = errors.New("the data dir is in use by a running xuetang server")

// Lock takes the data dir's lock, creating the dir if needed. The returned
// function releases it.
func Lock(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, LockName), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, ErrInUse) {
			return nil, fmt.Errorf("%w (%s)", ErrInUse, dataDir)
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	// Closing the file releases the lock; the file itself stays, since
	// removing it would let two processes lock two different inodes.
	return func() { f.Close() }, nil
}
