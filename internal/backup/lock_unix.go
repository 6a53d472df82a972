//go:build unix

package backup

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive, non-blocking flock. flock belongs to the
// open file, so it also excludes a second open in the same process, and
// the kernel drops it when the process dies, leaving no stale lock.
func lockFile(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return ErrInUse
	}
	return err
}
