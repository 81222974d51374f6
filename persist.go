package mwauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

const sessionVersion = 2

// sessionFile is the session file's content.
type sessionFile struct {
	Version  int            `json:"version"`
	Endpoint string         `json:"endpoint"`
	Kind     string         `json:"kind"`
	Username string         `json:"username"`
	UserID   int            `json:"userid,omitempty"`
	Saved    int64          `json:"saved"`
	Cookies  []*savedCookie `json:"cookies"`
}

// persister writes the session file. It is called by the layers that
// change the session (login, logout, re-login) and by calls that saw the
// wiki rotate a cookie, never by the transport.
type persister struct {
	path     string
	endpoint string
	// write writes the file: writeSessionFile, or a test's counter.
	write func(ctx context.Context, path string, data []byte) error

	mu      sync.Mutex    // serialises writes
	savedAt atomic.Uint64 // the jar's change count the file holds
	// dirty: a save was skipped because another was running; the running
	// one saves again before it returns.
	dirty atomic.Bool
}

// load reads the session file into the Client (from New). A missing file
// is an empty session.
func (c *Client) load(ctx context.Context) error {
	p := c.persist
	if fi, err := os.Stat(filepath.Dir(p.path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("%w: the directory of the session file does not exist", ErrSessionFile)
	}
	if err := checkSessionPath(p.path); err != nil {
		return err
	}
	b, err := readSessionFile(ctx, p.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var f sessionFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("%w: not a session file", ErrSessionFile)
	}
	kind := sessionNone
	for k, n := range kindNames {
		if n == f.Kind && n != "" {
			kind = sessionKind(k)
		}
	}
	switch {
	case f.Version != sessionVersion:
		return fmt.Errorf("%w: unsupported version %d", ErrSessionFile, f.Version)
	case kind == sessionNone || f.Username == "":
		return fmt.Errorf("%w: no logged-in user in the file", ErrSessionFile)
	case f.Endpoint != p.endpoint:
		return fmt.Errorf("%w: saved for another endpoint", ErrSessionFile)
	}
	j, err := buildJar(f.Cookies, c.cfg.now)
	if err != nil {
		return err
	}
	if cr := c.cfg.creds; cr != nil && !sameUser(cr.username, f.Username) {
		// Another account's session: never act as it. The Client starts
		// without a session and logs in as the WithBotPassword user, whose
		// session then replaces the file.
		return nil
	}
	c.jar = j
	p.savedAt.Store(j.changeCount())
	c.sess.kind = kind
	c.sess.u = User{ID: f.UserID, Name: f.Username}
	c.sess.asUser = true
	c.sess.byCreds = c.cfg.creds != nil && kind == sessionLogin && sameUser(c.cfg.creds.username, f.Username)
	return nil
}

// save writes the session file if the Client has one and holds a user's
// session. It is called after a session change and after calls whose
// answers changed the jar; it never waits for another save: if one runs,
// that one saves again before it returns.
func (c *Client) save(ctx context.Context) error {
	p := c.persist
	if p.path == "" {
		return nil
	}
	for {
		if !p.mu.TryLock() {
			p.dirty.Store(true)
			// The holder checks dirty after it unlocks; if it already has,
			// the lock is free now and this goroutine saves.
			if !p.mu.TryLock() {
				return nil
			}
		}
		p.dirty.Store(false)
		err := c.saveLocked(ctx)
		p.mu.Unlock()
		if err != nil || !p.dirty.Load() {
			return err
		}
	}
}

// saveNow writes the session file and waits for a save in progress; the
// flows that change the session call it, so that their caller learns
// whether the file was written.
func (c *Client) saveNow(ctx context.Context) error {
	p := c.persist
	if p.path == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return c.saveLocked(ctx)
}

func (c *Client) saveLocked(ctx context.Context) error {
	p := c.persist
	c.sess.mu.Lock()
	st := c.sess.viewLocked()
	n := c.jar.changeCount()
	cookies := c.jar.snapshot()
	c.sess.mu.Unlock()
	if n == p.savedAt.Load() {
		return nil
	}
	if st.kind == sessionNone {
		// An anonymous session is never saved; a failed login leaves the
		// file as it was.
		return nil
	}
	f := sessionFile{Version: sessionVersion, Endpoint: p.endpoint, Kind: kindNames[st.kind],
		Username: st.u.Name, UserID: st.u.ID, Saved: c.cfg.now().Unix(), Cookies: cookies}
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSessionFile, err)
	}
	if err := p.write(ctx, p.path, b); err != nil {
		return err
	}
	p.savedAt.Store(n)
	return nil
}

// saveAfterCall saves cookies that the wiki rotated during an ordinary
// call. The call succeeded, so a failure is logged, not returned.
func (c *Client) saveAfterCall(ctx context.Context) {
	if c.persist.path == "" {
		return
	}
	if err := c.save(ctx); err != nil {
		c.cfg.log.WarnContext(ctx, "mwauth: cannot save the session file", "error", err)
	}
}

// removeFile removes the session file (after Logout).
func (c *Client) removeFile(ctx context.Context) error {
	p := c.persist
	if p.path == "" {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := removeSessionFile(ctx, p.path); err != nil {
		return err
	}
	p.savedAt.Store(c.jar.changeCount())
	return nil
}
