package session

// Key layout for the external tests, which check TTLs and slots of the
// keys themselves.

func RedisSessionKey(prefix, token string) string {
	return (&RedisStore{prefix: prefix}).key(token[:tagLen], HashToken(token))
}

func RedisUserKey(prefix string, uid int64) string {
	return (&RedisStore{prefix: prefix}).userKey(uid)
}

var KeySlot = keySlot
