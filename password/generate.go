package password

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// GeneratedLength is the length of a generated password: 20 characters of
// a 57-letter alphabet, about 116 bits.
const GeneratedLength = 20

// unambiguous leaves out letters read alike: 0 O o, 1 l I.
const unambiguous = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"

// Generate returns a strong random password from crypto/rand, of
// characters nobody mistakes for one another when reading it aloud.
func Generate() (string, error) {
	b := make([]byte, GeneratedLength)
	max := big.NewInt(int64(len(unambiguous)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("generate password: %w", err)
		}
		b[i] = unambiguous[n.Int64()]
	}
	return string(b), nil
}
