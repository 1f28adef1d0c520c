package web

import (
	"fmt"
	"testing"
	"time"
)

type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time { return f.t }

// Ensure a bucket gives its burst, then one token per interval, and says
// how long to wait.
func TestLimiterRefills(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1000, 0)}
	l := newLimiter(Rate{Burst: 3, Every: 10 * time.Second}, false, clock.now)
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > 10*time.Second {
		t.Fatalf("fourth request: ok %v, wait %v", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another key was refused")
	}
	clock.t = clock.t.Add(10 * time.Second)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("no token after one interval")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("two tokens after one interval")
	}
}

// Ensure refilled buckets are forgotten, and a full table refuses new keys
// instead of growing without bound.
func TestLimiterMemory(t *testing.T) {
	clock := &fakeNow{t: time.Unix(1000, 0)}
	l := newLimiter(Rate{Burst: 1, Every: time.Second}, false, clock.now)
	for i := 0; i < maxKeys; i++ {
		l.allow(fmt.Sprint(i))
	}
	if ok, _ := l.allow("one too many"); ok {
		t.Fatal("a new key was let in past maxKeys")
	}
	if ok, _ := l.allow("7"); ok {
		t.Fatal("a known key with an empty bucket was let in")
	}
	clock.t = clock.t.Add(2 * time.Second)
	if ok, _ := l.allow("newcomer"); !ok {
		t.Fatal("the sweep did not make room")
	}
	if n := len(l.buckets); n != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", n)
	}
}

// Ensure off or unset limits let everything through.
func TestLimiterOff(t *testing.T) {
	for _, l := range []*limiter{
		newLimiter(Rate{Burst: 1, Every: time.Second}, true, time.Now),
		newLimiter(Rate{}, false, time.Now),
	} {
		for i := 0; i < 100; i++ {
			if ok, _ := l.allow("a"); !ok {
				t.Fatal("an off limiter refused")
			}
		}
	}
}
