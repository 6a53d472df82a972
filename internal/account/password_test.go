package account_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/xuetang-edu/xuetang/internal/account"
	"github.com/xuetang-edu/xuetang/internal/errs"
)

// fast keeps the suite quick; only TestDefaultParams pays for real argon2id.
var fast = account.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32}

var phcRe = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestDefaultParams(t *testing.T) {
	// OWASP Password Storage Cheat Sheet, argon2id: m=19 MiB, t=2, p=1.
	if p := account.DefaultParams; p.Memory != 19*1024 || p.Time != 2 || p.Threads != 1 || p.KeyLen < 32 {
		t.Fatalf("DefaultParams = %+v, below the OWASP minimum", p)
	}
	const pw = "正确的马电池订书钉"
	h, err := account.HashPassword(pw, account.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !phcRe.MatchString(h) {
		t.Errorf("hash %q is not a PHC argon2id string with the default parameters", h)
	}
	if !account.CheckPassword(pw, h) {
		t.Error("the right password does not verify")
	}
	if account.CheckPassword(pw+"!", h) {
		t.Error("a wrong password verifies")
	}
}

func TestHashIsSalted(t *testing.T) {
	a, _ := account.HashPassword("same password", fast)
	b, _ := account.HashPassword("same password", fast)
	if a == b {
		t.Error("two hashes of one password are equal: no random salt")
	}
	if !account.CheckPassword("same password", a) || !account.CheckPassword("same password", b) {
		t.Error("salted hashes do not verify")
	}
}

// The cost is read from each hash, so raising DefaultParams later keeps
// every existing account able to sign in.
func TestCheckUsesTheHashsParameters(t *testing.T) {
	h, _ := account.HashPassword("old-params-password", account.Params{Memory: 32, Time: 3, Threads: 2, KeyLen: 16})
	if !strings.HasPrefix(h, "$argon2id$v=19$m=32,t=3,p=2$") {
		t.Fatalf("hash %q does not record its parameters", h)
	}
	if !account.CheckPassword("old-params-password", h) {
		t.Error("hash with non-default parameters does not verify")
	}
}

func TestCheckRejectsMalformedHashes(t *testing.T) {
	good, _ := account.HashPassword("password123", fast)
	parts := strings.Split(good, "$")
	bad := []string{
		"",
		"password123",
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Join(append(append([]string{}, parts[:4]...), "!!!", parts[5]), "$"),
		strings.Join(append(append([]string{}, parts[:5]...), ""), "$"),
		strings.Join(parts[:5], "$"),
	}
	for _, h := range bad {
		if account.CheckPassword("password123", h) {
			t.Errorf("CheckPassword accepted malformed hash %q", h)
		}
	}
}

func TestPasswordLengthCountsCharacters(t *testing.T) {
	cases := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"8 Chinese characters (24 bytes)", "学而时习之不亦说", true},
		{"7 Chinese characters (21 bytes, over 8 bytes)", "学而时习之不亦", false},
		{"8 ASCII", "kx7-tq2m", true},
		{"7 ASCII", "kx7-tq2", false},
		{"8 emoji", "😀🐼🍜🚲📚🌙🎵🍵", true},
		{"128 Chinese characters (384 bytes)", strings.Repeat("码", 127) + "x", true},
		{"129 characters", strings.Repeat("a", 129), false},
		{"129 Chinese characters", strings.Repeat("码", 129), false},
		{"empty", "", false},
		{"invalid UTF-8", "abcdefgh\xff", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := account.ValidatePassword(tc.pw)
			if tc.ok && err != nil {
				t.Errorf("rejected: %v", err)
			}
			if !tc.ok {
				if err == nil {
					t.Fatal("accepted")
				}
				if !errors.Is(err, errs.ErrInvalid) {
					t.Errorf("err = %v, want errs.Invalid", err)
				}
			}
		})
	}
}

// bcrypt stops at 72 bytes; a hash that ignored the tail of a long
// passphrase would let a prefix sign in.
func TestLongPasswordsAreNeverTruncated(t *testing.T) {
	for _, unit := range []string{"a", "码"} {
		pw := strings.Repeat(unit, 127) + "x"
		if err := account.ValidatePassword(pw); err != nil {
			t.Fatal(err)
		}
		h, err := account.HashPassword(pw, fast)
		if err != nil {
			t.Fatal(err)
		}
		if !account.CheckPassword(pw, h) {
			t.Fatal("128-character password does not verify")
		}
		if account.CheckPassword(strings.Repeat(unit, 127)+"y", h) {
			t.Errorf("%q x128: a password differing only in the last character verifies", unit)
		}
		if account.CheckPassword(strings.Repeat(unit, 127), h) {
			t.Errorf("%q x128: the 127-character prefix verifies", unit)
		}
	}
}

func TestCommonPasswordsAreRefused(t *testing.T) {
	common := []string{
		"password", "PassWord1", "12345678", "qwertyuiop", "1qaz2wsx", "a1b2c3d4", "iloveyou", // zxcvbn list
		"woaini1314", "WoAiNi520", "5201314520", "88888888", "woaizhongguo", // Chinese list
		"zhangwei", "zhangwei1990", "ZhangWei1990", "wangfang88", "lixiaoming2005", "liuyang520",
		"chenjie1314", "ouyangfeng1975", "wang1990", "huanghui00", // pinyin names, generated
		"aaaaaaaa", "学学学学学学学学", "abcdefgh", "87654321", "19900101", "20101231", // runs and dates
	}
	for _, pw := range common {
		err := account.ValidatePassword(pw)
		var e *errs.Error
		if !errors.As(err, &e) || e.Key != "error.password_common" || e.Code != errs.Invalid {
			t.Errorf("%q: err = %v, want invalid/error.password_common", pw, err)
		}
	}
	fine := []string{
		"lina-password-2026", "the-right-password", "学而时习之不亦说乎", "kx7-tq2m",
		"zhangwei1959", "zhangwei2011", "zhangweiqiangmin1990", // outside the generated set
		"wangfang88x", "19900231", "abcdefgi", "correct horse battery staple",
	}
	for _, pw := range fine {
		if err := account.ValidatePassword(pw); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}

// The list is the shipped one, not a handful of words: spot-check its
// length and entries from deep in it.
func TestCommonPasswordListIsTheLongList(t *testing.T) {
	for _, pw := range []string{"trustno1", "starwars", "peternor", "nazarova", "s1s2s3s4", "dunnowho89"} {
		if !account.IsCommonPassword(pw) {
			t.Errorf("%q not on the list", pw)
		}
	}
}
