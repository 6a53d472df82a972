// Package account holds users, passwords, sign-in and the authorization
// rules that say what each role may see.
package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/xuetang-edu/xuetang/internal/errs"
)

// Argon2id parameters from the OWASP Password Storage Cheat Sheet (m=19 MiB,
// t=2, p=1): affordable on a 2-core school server, costly for an attacker.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	KeyLen  uint32
}

// DefaultParams are used for new hashes.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32}

const (
	minPasswordRunes = 8
	maxPasswordRunes = 128
)

// ValidatePassword checks a password being set (at creation or on any
// change): length in characters (not bytes), so a Chinese passphrase counts
// the same as an English one, and not one of the passwords guessing tools
// try first. Nothing is ever truncated.
func ValidatePassword(pw string) error {
	if !utf8.ValidString(pw) {
		return errs.New(errs.Invalid, "error.password_invalid").With("field", "password")
	}
	n := utf8.RuneCountInString(pw)
	if n < minPasswordRunes || n > maxPasswordRunes {
		return errs.New(errs.Invalid, "error.password_length").With("min", minPasswordRunes).With("max", maxPasswordRunes).With("field", "password")
	}
	if IsCommonPassword(pw) {
		return errs.New(errs.Invalid, "error.password_common").With("field", "password")
	}
	return nil
}

// HashPassword returns a PHC string: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword compares in constant time. The parameters come from the hash,
// so raising DefaultParams later keeps old hashes working.
func CheckPassword(pw, encoded string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
