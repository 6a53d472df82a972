package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"strconv"
	"time"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Sign-in throttling. The aim is that guessing is slow, and that nobody
// can keep the real user out by failing on purpose.
//
// Failures are limited per (account, client address) pair: the first
// PairFreeFailures attempts go at once; from then on each checked attempt
// holds the pair for PairBaseDelay, doubling per further failure up to
// PairMaxDelay. A stranger's failures therefore delay only the stranger,
// and the right password from another address signs in at once. A
// success clears the pair. The pair's count is kept for PairMemory.
//
// Each address may make AddressLimit attempts per AddressWindow, counting
// every attempt, refused ones too: generous for a library or school whose
// terminals share one address, a brake on spraying one password over many
// accounts.
//
// Across addresses, AccountCeiling failures per AccountWindow close the
// account to addresses it has never signed in from in the last
// KnownAddressFor. Addresses it has signed in from are exempt, so the
// ceiling stops a botnet from guessing without keeping the user out of
// home or their library. Staff can lift every delay of an account at once
// (Service.Unlock).
//
// IPv6 clients are grouped by /64, the block one subscriber usually gets.
const (
	PairFreeFailures = 5
	PairBaseDelay    = 30 * time.Second
	PairMaxDelay     = 15 * time.Minute
	PairMemory       = 24 * time.Hour

	AddressLimit  = 300
	AddressWindow = 15 * time.Minute

	AccountCeiling  = 100
	AccountWindow   = time.Hour
	KnownAddressFor = 30 * 24 * time.Hour

	// An unlock starts a new epoch for the account; the epoch counter
	// must outlive every key built from it.
	epochKeep = 30 * 24 * time.Hour
)

// pairDelay is how long a pair waits after its n-th checked attempt.
func pairDelay(n int) time.Duration {
	steps := n - PairFreeFailures
	if steps < 0 {
		return 0
	}
	if steps >= 16 {
		return PairMaxDelay
	}
	if d := PairBaseDelay << steps; d < PairMaxDelay {
		return d
	}
	return PairMaxDelay
}

// clientAddress is the unit an address limit applies to.
func clientAddress(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip // hashed into keys below, so any length is safe
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// digest bounds keys whatever the input: usernames and addresses are
// hashed, so neither a long name nor a crafted address makes a long key.
func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// loginKeys are the throttle keys of one attempt.
type loginKeys struct {
	addr, pair, gate, account, known string
}

func epochKey(name string) string { return "login:e:" + digest(name) }

func (s *Service) loginKeys(ctx context.Context, name, ip string) (loginKeys, error) {
	epoch, err := s.throttle.Count(ctx, epochKey(name))
	if err != nil {
		return loginKeys{}, err
	}
	e, addr := strconv.Itoa(epoch), clientAddress(ip)
	return loginKeys{
		addr:    "login:a:" + digest(addr),
		pair:    "login:p:" + digest(name, e, addr),
		gate:    "login:g:" + digest(name, e, addr),
		account: "login:u:" + digest(name, e),
		known:   "login:k:" + digest(name, addr),
	}, nil
}

func throttled(wait time.Duration) error {
	if wait < time.Second {
		wait = time.Second
	}
	minutes := int((wait + time.Minute - 1) / time.Minute)
	return errs.New(errs.TooManyRequests, "error.login_throttled").After(wait).With("minutes", minutes)
}

// admit decides whether an attempt may have its password checked. It
// counts the attempt before the check, so a burst of parallel guesses
// cannot all pass a count read before any of them had failed.
func (s *Service) admit(ctx context.Context, k loginKeys, ip string) error {
	th := s.throttle
	if ip != "" {
		n, left, err := th.HitWindow(ctx, k.addr, AddressWindow)
		if err != nil {
			return err
		}
		if n > AddressLimit {
			return throttled(left)
		}
	}
	if n, left, err := th.Peek(ctx, k.gate); err != nil {
		return err
	} else if n > 0 && left > 0 {
		return throttled(left)
	}
	if n, left, err := th.Peek(ctx, k.account); err != nil {
		return err
	} else if n >= AccountCeiling {
		known, err := th.Count(ctx, k.known)
		if err != nil {
			return err
		}
		if known == 0 {
			return throttled(left)
		}
	}
	n, err := th.Hit(ctx, k.pair, PairMemory)
	if err != nil {
		return err
	}
	if n < PairFreeFailures {
		return nil
	}
	// The gate is a lock: of several racing attempts only the one that
	// opens its window is checked, and the next waits until it lapses.
	taken, left, err := th.HitWindow(ctx, k.gate, pairDelay(n))
	if err != nil {
		return err
	}
	if taken > 1 {
		return throttled(left)
	}
	return nil
}

func (s *Service) failed(ctx context.Context, k loginKeys) error {
	if _, err := s.throttle.Hit(ctx, k.account, AccountWindow); err != nil {
		return err
	}
	return errBadCredentials
}

func (s *Service) succeeded(ctx context.Context, k loginKeys) {
	// Best effort: the user is signed in either way, and a counter left
	// behind only lapses later.
	_ = s.throttle.Reset(ctx, k.pair)
	_ = s.throttle.Reset(ctx, k.gate)
	// Reset then Hit restarts the window, so an address in regular use
	// stays known.
	_ = s.throttle.Reset(ctx, k.known)
	_, _ = s.throttle.Hit(ctx, k.known, KnownAddressFor)
}

// unlockThrottle starts a new epoch for the account: every pair's count
// and delay, and the account's ceiling, start again. Known addresses stay.
func (s *Service) unlockThrottle(ctx context.Context, name string) error {
	_, err := s.throttle.Hit(ctx, epochKey(name), epochKeep)
	return err
}
