package mwauth

// Temporary bridge to the old jar/file API until the files branch lands.

import (
	"context"
	"errors"
	"net/url"
	"os"
	"time"
)

type jar = Jar

func newJar(now func() time.Time) *jar { return newJarAt(now) }

func (j *Jar) snapshot() []*savedCookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.snapshotLocked()
}

func buildJar(cookies []*savedCookie, now func() time.Time) (*jar, error) {
	f := jarFile{Version: jarVersion, Cookies: cookies}
	return f.build(now)
}

func (j *Jar) clearFor(u *url.URL) { j.clear() }

func readSessionFile(ctx context.Context, path string) ([]byte, error) { return readPrivateFile(path) }

func writeSessionFile(ctx context.Context, path string, data []byte) error {
	if err := writeFileAtomic(path, data); err != nil {
		return errors.Join(ErrSessionFile, err)
	}
	return nil
}

func removeSessionFile(ctx context.Context, path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func checkSessionPath(path string) error { return nil }
