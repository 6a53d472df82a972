package session

import "strings"

// clusterSlots is how many hash slots a Redis Cluster divides keys into.
const clusterSlots = 16384

// keySlot is the Redis Cluster hash slot of a key, per the cluster
// specification: CRC16 (XMODEM) of the key's hash tag, the text between
// the first "{" and the next "}" when that is not empty, else of the whole
// key, modulo 16384. go-redis computes the same but keeps it internal;
// the batched session reads need it to split one MGET by slot.
func keySlot(key string) int {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		if end := strings.IndexByte(key[open+1:], '}'); end > 0 {
			key = key[open+1 : open+1+end]
		}
	}
	return int(crc16(key)) % clusterSlots
}

func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for b := 0; b < 8; b++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
