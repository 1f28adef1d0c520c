package web

import (
	"math"
	"sync"
	"time"
)

// Rate is a token bucket: Burst requests at once, then one more every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// Limits are the invitation site's rate limits. Off switches them all off
// (for a load benchmark on loopback; never in production); a zero Rate
// switches that one limit off.
type Limits struct {
	Off bool

	// PerAddr limits every page and form per client address (IPv6 per /64).
	PerAddr Rate
	// PerToken limits form submissions per link, whoever sends them: each
	// one may cost an argon2id hash.
	PerToken Rate
	// ResetPerAddr limits "forgot password" requests per client address.
	ResetPerAddr Rate
}

// DefaultLimits are generous for people and tight for scripts. A whole
// office behind one address may open its invitations in the same minute:
// 60 pages at once, then one a second, per address. Each link takes 5
// password submissions at once, then one a minute (each may cost an
// argon2id hash). "Forgot password" takes 5 requests at once, then one
// every 2 minutes, per address. Guessing a 256-bit link is hopeless
// anyway; the limits keep load and logs in bounds.
var DefaultLimits = Limits{
	PerAddr:      Rate{Burst: 60, Every: time.Second},
	PerToken:     Rate{Burst: 5, Every: time.Minute},
	ResetPerAddr: Rate{Burst: 5, Every: 2 * time.Minute},
}

// maxKeys bounds a limiter's memory (about 100 bytes a key). When it is
// full of active keys, new keys are refused until old ones refill: under a
// flood from many addresses the site fails closed for newcomers rather
// than running out of memory.
const maxKeys = 100_000

// limiter keeps one token bucket per key. Buckets that have refilled are
// dropped on a sweep, so memory follows the number of recent clients.
type limiter struct {
	rate Rate
	now  func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// newLimiter returns a limiter for rate, or nil (allow everything) when
// the rate is off or unset.
func newLimiter(rate Rate, off bool, now func() time.Time) *limiter {
	if off || rate.Burst <= 0 || rate.Every <= 0 {
		return nil
	}
	return &limiter{rate: rate, now: now, buckets: make(map[string]*bucket)}
}

// allow takes one token from key's bucket. When none is left it returns
// false and how long until the next one.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.refill() {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxKeys {
			return false, l.rate.Every
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	} else {
		l.fill(b, now)
	}
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) * float64(l.rate.Every))
		return false, wait
	}
	b.tokens--
	return true, 0
}

// refill is how long an empty bucket takes to fill up.
func (l *limiter) refill() time.Duration { return time.Duration(l.rate.Burst) * l.rate.Every }

func (l *limiter) fill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+float64(el)/float64(l.rate.Every))
		b.at = now
	}
}

// sweep drops the buckets that are full again: they carry no memory of
// anything.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.fill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	l.lastSweep = now
}
