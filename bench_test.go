package mwauth_test

import (
	"context"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mwauth/mwauth"
	"github.com/mwauth/mwauth/internal/totp"
	"github.com/mwauth/mwauth/mwauthtest"
)

// Benchmarks run against the in-process fake wiki, so they measure the
// client (and the fake), not a network. Numbers are in BENCHMARKS.md.

func BenchmarkBotLogin(b *testing.B) {
	srv := mwauthtest.NewServer(mwauthtest.WithThrottle(1<<30, time.Minute))
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
			b.Fatal(err)
		}
	}
}

// fakeClock is a clock that the benchmark moves forward one TOTP step per
// login, so that the fake wiki's replay guard accepts every code.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

func BenchmarkClientLoginTwoFactor(b *testing.B) {
	clk := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	srv := mwauthtest.NewServer(mwauthtest.WithClock(clk.now), mwauthtest.WithThrottle(1<<30, time.Minute))
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	key, err := totp.DecodeSecret("LOCALWIKI2FATEST")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clk.advance(totp.Period)
		step, err := c.ClientLogin(ctx, mwauth.ClientLoginRequest{
			Fields: map[string]string{"username": "TwoFAUser", "password": "TwoFA-localwiki-pass-1"},
		})
		if err != nil || step.Status != mwauth.StatusUI {
			b.Fatalf("first step: %v %v", step, err)
		}
		step, err = c.ContinueClientLogin(ctx, map[string]string{"OATHToken": totp.CodeAt(key, totp.Step(clk.now()))})
		if err != nil || step.Status != mwauth.StatusPass {
			b.Fatalf("second step: %v %v", step, err)
		}
	}
}

func BenchmarkResume(b *testing.B) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "session.json")
	c, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c2, err := mwauth.New(srv.URL, mwauth.WithSessionFile(path))
		if err != nil {
			b.Fatal(err)
		}
		if me, err := c2.Resume(ctx); err != nil || me.Name != "BotUser" {
			b.Fatalf("resume: %v %v", me, err)
		}
	}
}

func BenchmarkAuthenticatedCall(b *testing.B) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		b.Fatal(err)
	}
	params := url.Values{"action": {"edit"}, "title": {"Sandbox"}, "appendtext": {"x"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := c.PostWithToken(ctx, "", params, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAuthenticatedCallParallel(b *testing.B) {
	srv := mwauthtest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := mwauth.New(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Login(ctx, "BotUser@localbot", "botuserbotpassword0123456789abcd"); err != nil {
		b.Fatal(err)
	}
	params := url.Values{"action": {"query"}, "meta": {"userinfo"}}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Get(ctx, params, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
