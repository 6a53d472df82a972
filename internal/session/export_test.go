package session

// Key layout for the external tests, which check TTLs and slots of the
// keys themselves (RedisSessionKey is exported for tools too).

func RedisUserKey(prefix string, uid int64) string {
	return (&RedisStore{prefix: prefix}).userKey(uid)
}

var KeySlot = keySlot
