package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
	"github.com/xuetang-edu/xuetang/internal/session"
	"github.com/xuetang-edu/xuetang/internal/storetest"
)

const rightPassword = "the-right-password"

// signIn returns "ok", "401", "429 <retry>" or the unexpected error.
func signIn(f *fixture, name, pw, ip string) string {
	_, err := f.svc.SignIn(context.Background(), account.Login{Username: name, Password: pw, IP: ip})
	var e *errs.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &e) && e.Key == "error.bad_credentials":
		return "401"
	case errors.As(err, &e) && e.Key == "error.login_throttled":
		return fmt.Sprintf("429 %v", e.RetryAfter)
	}
	return fmt.Sprintf("unexpected %v", err)
}

func TestPairDelayGrowsAfterFiveFailures(t *testing.T) {
	f := newFixture(t)
	f.user(t, "target", rightPassword)
	const stranger = "198.51.100.7"
	for i := 1; i <= account.PairFreeFailures; i++ {
		if got := signIn(f, "target", "guess", stranger); got != "401" {
			t.Fatalf("failure %d: %s", i, got)
		}
	}
	// Each further attempt waits twice as long as the one before, up to the cap.
	for _, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute,
		8 * time.Minute, 15 * time.Minute, 15 * time.Minute} {
		if got := signIn(f, "target", "guess", stranger); got != fmt.Sprintf("429 %v", want) {
			t.Fatalf("during the delay: %s, want 429 %v", got, want)
		}
		// Refused attempts do not lengthen the wait.
		f.clock.Add(want - time.Second)
		if got := signIn(f, "target", "guess", stranger); got != "429 1s" {
			t.Fatalf("a second before the delay ends: %s", got)
		}
		f.clock.Add(time.Second)
		if got := signIn(f, "target", "guess", stranger); got != "401" {
			t.Fatalf("after %v: %s", want, got)
		}
	}
	// The stranger's failures never held up the owner elsewhere.
	if got := signIn(f, "target", rightPassword, "203.0.113.20"); got != "ok" {
		t.Errorf("right password from another address: %s", got)
	}
	// Nor a third party's wrong guess from a third address.
	if got := signIn(f, "target", "typo", "192.0.2.1"); got != "401" {
		t.Errorf("a typo from a third address: %s", got)
	}
}

func TestRightPasswordDuringTheDelayIsRefusedToo(t *testing.T) {
	f := newFixture(t)
	f.user(t, "target", rightPassword)
	for i := 0; i < account.PairFreeFailures; i++ {
		signIn(f, "target", "guess", "198.51.100.7")
	}
	// Otherwise the delay would still answer "right" or "wrong" per guess.
	if got := signIn(f, "target", rightPassword, "198.51.100.7"); !strings.HasPrefix(got, "429") {
		t.Errorf("right password from the throttled pair: %s", got)
	}
}

func TestSuccessClearsThePair(t *testing.T) {
	f := newFixture(t)
	f.user(t, "forgetful", rightPassword)
	for round := 0; round < 3; round++ {
		for i := 0; i < account.PairFreeFailures-1; i++ {
			if got := signIn(f, "forgetful", "typo", "10.0.0.5"); got != "401" {
				t.Fatalf("round %d failure %d: %s", round, i, got)
			}
		}
		if got := signIn(f, "forgetful", rightPassword, "10.0.0.5"); got != "ok" {
			t.Fatalf("round %d: %s", round, got)
		}
	}
}

func TestIPv6ClientsAreGroupedBySlash64(t *testing.T) {
	f := newFixture(t)
	f.user(t, "target", rightPassword)
	for i := 1; i <= account.PairFreeFailures; i++ {
		if got := signIn(f, "target", "guess", fmt.Sprintf("2001:db8:1:2::%x", i)); got != "401" {
			t.Fatalf("failure %d: %s", i, got)
		}
	}
	if got := signIn(f, "target", "guess", "2001:db8:1:2:ffff::1"); !strings.HasPrefix(got, "429") {
		t.Errorf("another address of the same /64: %s", got)
	}
	if got := signIn(f, "target", rightPassword, "2001:db8:1:3::1"); got != "ok" {
		t.Errorf("another /64: %s", got)
	}
}

func TestAddressLimitCountsEveryAttempt(t *testing.T) {
	f := newFixture(t)
	f.user(t, "victim", rightPassword)
	const library = "203.0.113.7"
	// One machine hammering one account is soon refused by its pair delay,
	// but the refused attempts still count against the address.
	for i := 1; i <= account.AddressLimit; i++ {
		if got := signIn(f, "target", "guess", library); got != "401" && !strings.HasPrefix(got, "429") {
			t.Fatalf("attempt %d: %s", i, got)
		}
	}
	if got := signIn(f, "victim", rightPassword, library); got != "429 15m0s" {
		t.Errorf("after %d attempts from one address: %s", account.AddressLimit, got)
	}
	if got := signIn(f, "victim", rightPassword, "203.0.113.8"); got != "ok" {
		t.Errorf("another address is blocked too: %s", got)
	}
	f.clock.Add(account.AddressWindow)
	if got := signIn(f, "victim", rightPassword, library); got != "ok" {
		t.Errorf("after the window: %s", got)
	}
}

func TestLibraryBehindOneAddressKeepsSigningIn(t *testing.T) {
	f := newFixture(t)
	const library = "203.0.113.50"
	// A class of 60 arrives; a third mistype once. Every one gets in.
	for i := 0; i < 60; i++ {
		name := fmt.Sprintf("reader%02d", i)
		f.user(t, name, rightPassword)
		if i%3 == 0 {
			if got := signIn(f, name, "typo", library); got != "401" {
				t.Fatalf("%s typo: %s", name, got)
			}
		}
		if got := signIn(f, name, rightPassword, library); got != "ok" {
			t.Fatalf("%s: %s", name, got)
		}
	}
}

func TestAccountCeilingSparesKnownAddresses(t *testing.T) {
	f := newFixture(t)
	f.user(t, "target", rightPassword)
	const home = "192.0.2.10"
	if got := signIn(f, "target", rightPassword, home); got != "ok" {
		t.Fatal(got)
	}
	// A botnet: one guess from each of many addresses.
	for i := 0; i < account.AccountCeiling; i++ {
		ip := fmt.Sprintf("10.%d.%d.1", i/250, i%250)
		if got := signIn(f, "target", "guess", ip); got != "401" {
			t.Fatalf("guess %d: %s", i, got)
		}
	}
	if got := signIn(f, "target", "guess", "172.16.0.1"); !strings.HasPrefix(got, "429") {
		t.Errorf("a new address past the ceiling: %s", got)
	}
	if got := signIn(f, "target", rightPassword, "172.16.0.2"); !strings.HasPrefix(got, "429") {
		t.Errorf("the right password from a new address past the ceiling: %s", got)
	}
	if got := signIn(f, "target", rightPassword, home); got != "ok" {
		t.Errorf("the owner at home: %s", got)
	}
	f.clock.Add(account.AccountWindow)
	if got := signIn(f, "target", rightPassword, "172.16.0.2"); got != "ok" {
		t.Errorf("after the window: %s", got)
	}
}

func TestUnlockLiftsEveryDelay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.user(t, "target", rightPassword)
	for i := 0; i < account.PairFreeFailures; i++ {
		signIn(f, "target", "guess", "198.51.100.7")
	}
	for i := 0; i < account.AccountCeiling; i++ {
		signIn(f, "target", "guess", fmt.Sprintf("10.0.%d.%d", i/250, i%250))
	}
	admin := account.Principal{UserID: 999, Role: account.RoleAdmin}
	if _, err := f.svc.Unlock(ctx, admin, u.ID, "192.0.2.99"); err != nil {
		t.Fatal(err)
	}
	if got := signIn(f, "target", rightPassword, "198.51.100.7"); got != "ok" {
		t.Errorf("the delayed pair after unlock: %s", got)
	}
	if got := signIn(f, "target", rightPassword, "172.16.9.9"); got != "ok" {
		t.Errorf("a new address after unlock: %s", got)
	}
	entries, err := f.st.AuditEntries(ctx, "user.unlock", 10)
	if err != nil || len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != 999 ||
		entries[0].Target != fmt.Sprintf("user:%d", u.ID) || entries[0].IP != "192.0.2.99" {
		t.Errorf("audit = %+v, %v", entries, err)
	}
	learner := account.Principal{UserID: u.ID, Role: account.RoleLearner}
	if _, err := f.svc.Unlock(ctx, learner, u.ID, ""); keyOf(err) != "forbidden/error.forbidden" {
		t.Errorf("a learner unlocking themselves: %v", err)
	}
	if _, err := f.svc.Unlock(ctx, admin, 424242, ""); keyOf(err) != "not_found/error.user_not_found" {
		t.Errorf("unknown id: %v", err)
	}
}

// Guessing tools send attempts in parallel; the limit must hold for a
// burst, not only for attempts made one after another.
func TestPairLimitHoldsUnderConcurrency(t *testing.T) {
	f := newFixture(t)
	f.user(t, "target", rightPassword)
	const attempts = 40
	results := make(chan string, attempts)
	start := make(chan struct{})
	for i := 0; i < attempts; i++ {
		go func() {
			<-start
			results <- signIn(f, "target", fmt.Sprintf("guess-%d", i), "198.51.100.7")
		}()
	}
	close(start)
	checked := 0
	for i := 0; i < attempts; i++ {
		switch got := <-results; {
		case got == "401":
			checked++
		case strings.HasPrefix(got, "429"):
		default:
			t.Errorf("unexpected: %s", got)
		}
	}
	if checked > account.PairFreeFailures {
		t.Errorf("%d of %d parallel guesses were checked; at most %d may be", checked, attempts, account.PairFreeFailures)
	}
}

// keyRecorder records the keys the service hands the throttle.
type keyRecorder struct {
	session.Throttle
	mu   sync.Mutex
	keys []string
}

func (r *keyRecorder) note(k string) {
	r.mu.Lock()
	r.keys = append(r.keys, k)
	r.mu.Unlock()
}
func (r *keyRecorder) Hit(ctx context.Context, k string, w time.Duration) (int, error) {
	r.note(k)
	return r.Throttle.Hit(ctx, k, w)
}
func (r *keyRecorder) Count(ctx context.Context, k string) (int, error) {
	r.note(k)
	return r.Throttle.Count(ctx, k)
}
func (r *keyRecorder) HitWindow(ctx context.Context, k string, w time.Duration) (int, time.Duration, error) {
	r.note(k)
	return r.Throttle.HitWindow(ctx, k, w)
}
func (r *keyRecorder) Peek(ctx context.Context, k string) (int, time.Duration, error) {
	r.note(k)
	return r.Throttle.Peek(ctx, k)
}

func TestLongUsernamesNeverReachTheThrottle(t *testing.T) {
	clk := storetest.NewClock()
	st := storetest.OpenSQLite(t, clk.Now)
	rec := &keyRecorder{Throttle: session.NewSQLThrottle(st)}
	svc := account.NewService(st, session.NewSQL(st, clk.Now), rec, account.Config{Params: fast, Now: clk.Now,
		SessionIdle: time.Hour, SessionMaxAge: time.Hour})
	ctx := context.Background()
	for _, name := range []string{strings.Repeat("a", 900*1024), strings.Repeat("张", 65), " " + strings.Repeat("x", 65)} {
		_, err := svc.SignIn(ctx, account.Login{Username: name, Password: "whatever-it-is", IP: "192.0.2.1"})
		if keyOf(err) != "invalid/error.username_too_long" {
			t.Errorf("%d-byte username: err = %v", len(name), err)
		}
	}
	if len(rec.keys) != 0 {
		t.Errorf("overlong usernames built throttle keys: %d", len(rec.keys))
	}
	// The longest allowed name, and an address no parser accepts, still
	// make short keys.
	_, err := svc.SignIn(ctx, account.Login{Username: strings.Repeat("张", 64), Password: "whatever-it-is", IP: strings.Repeat("f", 4096)})
	if keyOf(err) != "unauthorized/error.bad_credentials" {
		t.Errorf("64-character username: err = %v", err)
	}
	if len(rec.keys) == 0 {
		t.Fatal("no throttle keys recorded")
	}
	for _, k := range rec.keys {
		if len(k) > 48 {
			t.Errorf("throttle key of %d bytes: %q", len(k), k)
		}
	}
}
