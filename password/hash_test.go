package password

import (
	"strings"
	"testing"
)

var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Ensure a hash verifies its own password only, and is a PHC string.
func TestHashVerify(t *testing.T) {
	h, err := Hash("violet kettle under 7 moons")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the default costs", h)
	}
	if ok, err := Verify(h, "violet kettle under 7 moons"); err != nil || !ok {
		t.Fatalf("Verify(right) = %v, %v", ok, err)
	}
	if ok, err := Verify(h, "violet kettle under 7 moon"); err != nil || ok {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
}

// Ensure two hashes of one password differ (fresh salt).
func TestHashSalted(t *testing.T) {
	a, _ := HashWith("same password", cheap)
	b, _ := HashWith("same password", cheap)
	if a == b {
		t.Fatal("two hashes of one password are equal")
	}
}

// Ensure malformed or too costly hashes are errors, never matches.
func TestVerifyMalformed(t *testing.T) {
	good, _ := HashWith("pw", cheap)
	parts := strings.Split(good, "$")
	for name, h := range map[string]string{
		"empty":         "",
		"bcrypt":        "$2b$10$abcdefghijklmnopqrstuuN8c5YxUq4Qm6Wv3b1P0hY0tRGn7tQ4a",
		"argon2i":       strings.Replace(good, "argon2id", "argon2i", 1),
		"version":       strings.Replace(good, "v=19", "v=16", 1),
		"huge memory":   strings.Join([]string{"", parts[1], parts[2], "m=4194304,t=1,p=1", parts[4], parts[5]}, "$"),
		"many passes":   strings.Join([]string{"", parts[1], parts[2], "m=64,t=100,p=1", parts[4], parts[5]}, "$"),
		"short salt":    strings.Join([]string{"", parts[1], parts[2], parts[3], "YWJj", parts[5]}, "$"),
		"bad base64":    strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "!!!"}, "$"),
		"missing parts": "$argon2id$v=19$m=64,t=1,p=1",
	} {
		ok, err := Verify(h, "pw")
		if ok || err == nil {
			t.Errorf("%s: Verify = %v, %v; want an error", name, ok, err)
		}
	}
}

func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("violet kettle under 7 moons"); err != nil {
			b.Fatal(err)
		}
	}
}
