package mwauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/mwauth/mwauth/internal/wire"
)

func BenchmarkDecodeClientLoginUI(b *testing.B) {
	body := []byte(seedBodies[8])
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		env, err := wire.Decode(200, "application/json; charset=utf-8", body)
		if err != nil {
			b.Fatal(err)
		}
		var r wire.ClientLoginResult
		if _, err := env.Member("clientlogin", &r); err != nil {
			b.Fatal(err)
		}
		if _, err := stepFrom(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSessionSnapshotRebuild measures what a session file save and
// load cost beyond the file: the jar's snapshot, its JSON, and the jar
// built again from it.
func BenchmarkSessionSnapshotRebuild(b *testing.B) {
	j := newJar(time.Now)
	u, _ := url.Parse("https://wiki.example.org/w/api.php")
	for i := 0; i < 8; i++ {
		j.SetCookies(u, []*http.Cookie{{Name: "c" + strconv.Itoa(i), Value: "0123456789abcdef0123456789abcdef", Path: "/"}})
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		data, err := json.Marshal(j.snapshot())
		if err != nil {
			b.Fatal(err)
		}
		var cookies []*savedCookie
		if err := json.Unmarshal(data, &cookies); err != nil {
			b.Fatal(err)
		}
		if _, err := buildJar(cookies, time.Now); err != nil {
			b.Fatal(err)
		}
	}
}
