package ssh

import (
	"net"
	"sync"
	"time"
)

// failureLimiter counts failed sign-in attempts per client address with a
// token bucket: an address may fail burst times in a row, and earns one
// more attempt every window/burst. An address out of attempts is refused
// before its key is even looked up.
type failureLimiter struct {
	burst int
	every time.Duration // time to earn one attempt back
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*failBucket
}

type failBucket struct {
	tokens float64
	at     time.Time
}

// maxTrackedAddrs bounds the limiter's memory under a scan from many
// addresses: beyond it, addresses that have earned all attempts back are
// forgotten.
const maxTrackedAddrs = 10000

func newFailureLimiter(burst int, window time.Duration) *failureLimiter {
	if burst < 1 {
		burst = 1
	}
	every := window / time.Duration(burst)
	if every <= 0 {
		every = time.Nanosecond
	}
	return &failureLimiter{burst: burst, every: every, now: time.Now, buckets: map[string]*failBucket{}}
}

// refill brings b up to date; the caller holds mu.
func (l *failureLimiter) refill(b *failBucket, now time.Time) {
	earned := float64(now.Sub(b.at)) / float64(l.every)
	b.tokens = min(float64(l.burst), b.tokens+earned)
	b.at = now
}

// allowed reports whether addr may try to sign in now.
func (l *failureLimiter) allowed(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[addr]
	if b == nil {
		return true
	}
	l.refill(b, l.now())
	return b.tokens >= 1
}

// failed takes one attempt from addr.
func (l *failureLimiter) failed(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[addr]
	if b == nil {
		if len(l.buckets) >= maxTrackedAddrs {
			l.forgetRestedLocked(now)
		}
		b = &failBucket{tokens: float64(l.burst), at: now}
		l.buckets[addr] = b
	}
	l.refill(b, now)
	b.tokens = max(0, b.tokens-1)
}

func (l *failureLimiter) forgetRestedLocked(now time.Time) {
	for addr, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.burst) {
			delete(l.buckets, addr)
		}
	}
}

// clientHost is the address a limit applies to: the IP without the port.
func clientHost(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	if host, _, err := net.SplitHostPort(addr.String()); err == nil {
		return host
	}
	return addr.String()
}
