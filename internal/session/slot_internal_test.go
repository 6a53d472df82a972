package session

import "testing"

// The cluster specification's own examples; TestKeySlotMatchesCluster
// checks many more keys against a real cluster when redis-server is here.
func TestKeySlotSpecExamples(t *testing.T) {
	if got := crc16("123456789"); got != 0x31C3 {
		t.Errorf("crc16(123456789) = %#x, want 0x31c3", got)
	}
	same := [][2]string{
		{"{user1000}.following", "{user1000}.followers"},
		{"foo{bar}{zap}", "bar"},
		{"foo{{bar}}zap", "{bar"},
		{"foo{}{bar}", "foo{}{bar}"},
	}
	for _, p := range same {
		if keySlot(p[0]) != keySlot(p[1]) {
			t.Errorf("%q in slot %d, %q in %d; want the same", p[0], keySlot(p[0]), p[1], keySlot(p[1]))
		}
	}
	if keySlot("foo{}{bar}") == keySlot("bar") {
		t.Error(`an empty "{}" made "{bar}" the tag`)
	}
	if s := keySlot(string(make([]byte, 300))); s < 0 || s >= clusterSlots {
		t.Errorf("slot %d out of range", s)
	}
}
