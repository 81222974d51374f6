package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServesUntilStdinCloses(t *testing.T) {
	tests := []struct {
		name, version, generator string
	}{
		{name: "default is 1.43", generator: "MediaWiki 1.43.9"},
		{name: "1.39 on request", version: "1.39", generator: "MediaWiki 1.39.17"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"-addr", "127.0.0.1:0"}
			if tt.version != "" {
				args = append(args, "-version", tt.version)
			}
			stdinR, stdinW := io.Pipe()
			outR, outW := io.Pipe()
			done := make(chan error, 1)
			go func() { done <- run(args, stdinR, outW) }()

			line, err := bufio.NewReader(outR).ReadString('\n')
			require.NoError(t, err)
			api := strings.TrimSpace(line)
			require.Regexp(t, `^http://127\.0\.0\.1:\d+/api\.php$`, api)

			resp, err := http.Get(api + "?action=query&meta=siteinfo&format=json&formatversion=2")
			require.NoError(t, err)
			var m struct {
				Query struct{ General struct{ Generator string } }
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
			resp.Body.Close()
			assert.Equal(t, tt.generator, m.Query.General.Generator)

			stdinW.Close()
			select {
			case err := <-done:
				assert.NoError(t, err)
			case <-time.After(10 * time.Second):
				t.Fatal("fakewiki did not stop when its standard input closed")
			}
		})
	}
}

func TestRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown version", args: []string{"-version", "1.35"}, want: "-version must be 1.39 or 1.43"},
		{name: "not loopback", args: []string{"-addr", "0.0.0.0:0"}, want: "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, strings.NewReader(""), io.Discard)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
