package session

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// RedisStore keeps each session as a key whose TTL is the sooner of the idle
// timeout and the absolute expiry, plus a per-user set of session ids so a
// password change or an admin can revoke them all.
//
// The client may be one server, a Sentinel-managed primary or a Redis
// Cluster. On a cluster a transaction or multi-key command must stay in one
// hash slot, so a user's set and all of that user's sessions carry the same
// hash tag, derived from the user id. Get has only the cookie token to go
// on, so the token itself starts with that tag (see Create).
type RedisStore struct {
	rdb    redis.UniversalClient
	prefix string
	now    func() time.Time
	reads  *readBatch
}

// NewRedis wraps a client. prefix namespaces keys (tests use a random one).
func NewRedis(rdb redis.UniversalClient, prefix string, now func() time.Time) *RedisStore {
	if now == nil {
		now = time.Now
	}
	s := &RedisStore{rdb: rdb, prefix: prefix, now: now}
	s.reads = &readBatch{fetch: s.mget}
	return s
}

func (s *RedisStore) mget(ctx context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if _, ok := s.rdb.(*redis.ClusterClient); !ok {
		vals, err := s.rdb.MGet(ctx, keys...).Result()
		if err != nil {
			return nil, err
		}
		return out, fill(out, vals, nil)
	}
	// A cluster refuses an MGET whose keys span hash slots: one MGET per
	// slot, all in one pipeline, which go-redis sends as one round trip
	// per node, the nodes in parallel.
	bySlot := map[int][]int{} // slot -> indexes into keys
	for i, k := range keys {
		slot := keySlot(k)
		bySlot[slot] = append(bySlot[slot], i)
	}
	cmds := make([]*redis.SliceCmd, 0, len(bySlot))
	idx := make([][]int, 0, len(bySlot))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, is := range bySlot {
			ks := make([]string, len(is))
			for j, i := range is {
				ks[j] = keys[i]
			}
			cmds = append(cmds, p.MGet(ctx, ks...))
			idx = append(idx, is)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for j, cmd := range cmds {
		if err := fill(out, cmd.Val(), idx[j]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fill puts MGET's values into out, at idx[i] for the i-th value (at i
// when idx is nil); a missing key stays nil.
func fill(out [][]byte, vals []any, idx []int) error {
	want := len(out)
	if idx != nil {
		want = len(idx)
	}
	if len(vals) != want {
		return fmt.Errorf("redis: MGET of %d keys answered %d values", want, len(vals))
	}
	for i, v := range vals {
		at := i
		if idx != nil {
			at = idx[i]
		}
		if str, ok := v.(string); ok {
			out[at] = []byte(str)
		}
	}
	return nil
}

type redisSession struct {
	UserID    int64  `json:"u"`
	CSRF      string `json:"c"`
	Shared    bool   `json:"s,omitempty"`
	Idle      int64  `json:"i"`
	CreatedAt int64  `json:"ca"`
	LastSeen  int64  `json:"ls"`
	ExpiresAt int64  `json:"ea"`
}

// tagLen is how many leading characters of a token are its user's hash
// tag: 4 base64 characters, 24 bits, enough to spread users over all 16384
// slots, leaving 39 random characters (234 bits) of the 43.
const tagLen = 4

// userTag is the hash tag a user's keys share. It is a hash of the id, not
// the id, so a cookie does not spell out whose it is.
func userTag(uid int64) string {
	sum := sha256.Sum256([]byte("xuetang session tag " + strconv.FormatInt(uid, 10)))
	return base64.RawURLEncoding.EncodeToString(sum[:3])
}

func (s *RedisStore) key(tag, id string) string { return s.prefix + "sess:{" + tag + "}:" + id }

// RedisSessionKey is the key of the session a cookie token names, for tools
// that read sessions straight from Redis (bench/baseline).
func RedisSessionKey(prefix, token string) string {
	tag := token
	if len(tag) > tagLen {
		tag = tag[:tagLen]
	}
	return (&RedisStore{prefix: prefix}).key(tag, HashToken(token))
}

func (s *RedisStore) userKey(uid int64) string {
	return s.prefix + "usess:{" + userTag(uid) + "}:" + strconv.FormatInt(uid, 10)
}
func unavailable(err error) error { return errs.Wrap(errs.Unavailable, "error.unavailable", err) }
func ttl(sess Session, now time.Time) time.Duration {
	t := sess.LastSeen.Add(sess.Idle).Sub(now)
	if a := sess.ExpiresAt.Sub(now); a < t {
		t = a
	}
	return t
}

func (s *RedisStore) Create(ctx context.Context, userID int64, o Options) (string, Session, error) {
	now := s.now().UTC().Truncate(time.Millisecond)
	// The token leads with the user's tag so Get finds the key in one read;
	// the rest is random (234 bits) and only its hash is stored.
	token := userTag(userID) + NewToken()[tagLen:]
	sess := Session{
		ID: HashToken(token), UserID: userID, CSRFToken: NewToken(), Shared: o.Shared, Idle: o.Idle,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(o.MaxAge),
	}
	if err := s.save(ctx, sess, now, true); err != nil {
		return "", Session{}, err
	}
	return token, sess, nil
}

func (s *RedisStore) save(ctx context.Context, sess Session, now time.Time, isNew bool) error {
	b, _ := json.Marshal(redisSession{
		UserID: sess.UserID, CSRF: sess.CSRFToken, Shared: sess.Shared, Idle: int64(sess.Idle / time.Millisecond),
		CreatedAt: sess.CreatedAt.UnixMilli(), LastSeen: sess.LastSeen.UnixMilli(), ExpiresAt: sess.ExpiresAt.UnixMilli(),
	})
	var refreshed *redis.BoolCmd
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if !isNew {
			// XX: only refresh a key that still exists. A request that read
			// the session just before sign-out must not write it back.
			refreshed = p.SetXX(ctx, s.key(userTag(sess.UserID), sess.ID), b, ttl(sess, now))
			return nil
		}
		p.Set(ctx, s.key(userTag(sess.UserID), sess.ID), b, ttl(sess, now))
		uk := s.userKey(sess.UserID)
		p.SAdd(ctx, uk, sess.ID)
		// The set lives as long as the longest session could.
		p.ExpireGT(ctx, uk, sess.ExpiresAt.Sub(now))
		p.ExpireNX(ctx, uk, sess.ExpiresAt.Sub(now))
		return nil
	})
	if refreshed != nil && errors.Is(refreshed.Err(), redis.Nil) {
		return errNoSession // signed out meanwhile
	}
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *RedisStore) Get(ctx context.Context, token string) (Session, error) {
	if !validToken(token) {
		return Session{}, errNoSession
	}
	id := HashToken(token)
	b, err := s.reads.get(ctx, s.key(token[:tagLen], id))
	if err != nil {
		return Session{}, unavailable(err)
	}
	if b == nil {
		return Session{}, errNoSession
	}
	var rs redisSession
	if err := json.Unmarshal(b, &rs); err != nil {
		return Session{}, errNoSession
	}
	sess := Session{
		ID: id, UserID: rs.UserID, CSRFToken: rs.CSRF, Shared: rs.Shared, Idle: time.Duration(rs.Idle) * time.Millisecond,
		CreatedAt: time.UnixMilli(rs.CreatedAt).UTC(), LastSeen: time.UnixMilli(rs.LastSeen).UTC(), ExpiresAt: time.UnixMilli(rs.ExpiresAt).UTC(),
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	// Redis TTLs handle expiry on their own; this check covers clock-driven
	// tests and keys written by an instance with a longer idle setting.
	if expired(sess, now) {
		_ = s.delete(ctx, id, sess.UserID)
		return Session{}, errNoSession
	}
	if now.Sub(sess.LastSeen) >= touchEvery || sess.Idle <= 2*touchEvery {
		sess.LastSeen = now
		if err := s.save(ctx, sess, now, false); err != nil {
			return Session{}, err
		}
	}
	return sess, nil
}

func (s *RedisStore) delete(ctx context.Context, id string, userID int64) error {
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.key(userTag(userID), id))
		p.SRem(ctx, s.userKey(userID), id)
		return nil
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *RedisStore) Delete(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	id := HashToken(token)
	b, err := s.rdb.Get(ctx, s.key(token[:tagLen], id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return unavailable(err)
	}
	var rs redisSession
	_ = json.Unmarshal(b, &rs)
	return s.delete(ctx, id, rs.UserID)
}

func (s *RedisStore) DeleteUser(ctx context.Context, userID int64) error {
	uk := s.userKey(userID)
	ids, err := s.rdb.SMembers(ctx, uk).Result()
	if err != nil {
		return unavailable(err)
	}
	keys := make([]string, 0, len(ids)+1)
	for _, id := range ids {
		keys = append(keys, s.key(userTag(userID), id))
	}
	keys = append(keys, uk)
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func (s *RedisStore) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// RedisThrottle counts with INCR + PEXPIRE NX, atomic across instances.
// Every transaction touches one counter key, so on a cluster it never
// crosses a hash slot and the counters spread over all of them.
type RedisThrottle struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisThrottle wraps a client.
func NewRedisThrottle(rdb redis.UniversalClient, prefix string) *RedisThrottle {
	return &RedisThrottle{rdb: rdb, prefix: prefix}
}

func (t *RedisThrottle) Hit(ctx context.Context, key string, window time.Duration) (int, error) {
	k := t.prefix + "thr:" + key
	var incr *redis.IntCmd
	_, err := t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		p.ExpireNX(ctx, k, window)
		return nil
	})
	if err != nil {
		return 0, unavailable(err)
	}
	return int(incr.Val()), nil
}

func (t *RedisThrottle) Count(ctx context.Context, key string) (int, error) {
	n, err := t.rdb.Get(ctx, t.prefix+"thr:"+key).Int()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}

func (t *RedisThrottle) Reset(ctx context.Context, key string) error {
	if err := t.rdb.Del(ctx, t.prefix+"thr:"+key).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

func (t *RedisThrottle) HitWindow(ctx context.Context, key string, window time.Duration) (int, time.Duration, error) {
	k := t.prefix + "thr:" + key
	var incr *redis.IntCmd
	var pttl *redis.DurationCmd
	_, err := t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, k)
		// go-redis's ExpireNX rounds to whole seconds; lock holds need milliseconds.
		p.Do(ctx, "PEXPIRE", k, window.Milliseconds(), "NX")
		pttl = p.PTTL(ctx, k)
		return nil
	})
	if err != nil {
		return 0, 0, unavailable(err)
	}
	return int(incr.Val()), positive(pttl.Val()), nil
}

func (t *RedisThrottle) Peek(ctx context.Context, key string) (int, time.Duration, error) {
	k := t.prefix + "thr:" + key
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := t.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get = p.Get(ctx, k)
		pttl = p.PTTL(ctx, k)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, unavailable(err)
	}
	n, err := get.Int()
	if err != nil {
		return 0, 0, unavailable(err)
	}
	return n, positive(pttl.Val()), nil
}

// positive maps PTTL's -1 (no expiry) and -2 (no key) to zero.
func positive(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}
