package mwauth

import (
	"testing"
	"time"
)

// FuzzLoadJar: a saved jar either fails to load with an error or loads,
// and what it saves again loads too.
func FuzzLoadJar(f *testing.F) {
	f.Add(saveJar(f, newJar(func() time.Time { return time.Unix(1_700_000_000, 0) })))
	f.Add([]byte(`{"version":1,"cookies":[{"url":"http://127.0.0.1:8080/","name":"localwiki_session","value":"v","path":"/","httponly":true}]}`))
	f.Add([]byte(`{"version":1,"cookies":[{"url":"https://wiki.example.org/","name":"a","value":"b","domain":"example.org","path":"/","expires":"2999-01-01T00:00:00Z","secure":true,"samesite":"lax"}]}`))
	f.Add([]byte(`{"version":2,"cookies":[]}`))
	f.Add([]byte(`{"version":1,"cookies":[null]}`))
	f.Add([]byte(`{"version":1,"cookies":[{"url":"::","name":""}]}`))
	f.Add([]byte(`{"version":1,"cook`))
	f.Fuzz(func(t *testing.T, b []byte) {
		j, err := loadJar(b, time.Now)
		if err != nil {
			return
		}
		if _, err := loadJar(saveJar(t, j), time.Now); err != nil {
			t.Fatalf("a saved jar does not load again: %v", err)
		}
	})
}
