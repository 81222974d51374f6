// Command fakewiki serves mwauthtest's fake MediaWiki on a loopback
// address, so that programs in other languages (the third-party clients
// of internal/thirdparty) can be run against it.
//
//	go run ./internal/cmd/fakewiki -addr 127.0.0.1:0 -version 1.43
//
// It prints the api.php URL on the first line of standard output once the
// server is listening, and serves until it is interrupted or its standard
// input is closed (so that a parent process that dies takes it along).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mwauth/mwauth/mwauthtest"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("fakewiki: ")
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakewiki", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	version := fs.String("version", string(mwauthtest.MediaWiki143), "MediaWiki version to imitate: 1.39 or 1.43")
	sso := fs.Bool("sso", false, "load the FakeSSO provider (clientlogin REDIRECT and RESTART)")
	watchStdin := fs.Bool("stdin", true, "exit when standard input reaches end of file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v := mwauthtest.Version(*version)
	if v != mwauthtest.MediaWiki139 && v != mwauthtest.MediaWiki143 {
		return fmt.Errorf("-version must be %s or %s, not %q", mwauthtest.MediaWiki139, mwauthtest.MediaWiki143, *version)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		ln.Close()
		return fmt.Errorf("-addr %s is not a loopback address; the fake wiki's accounts are public", *addr)
	}
	opts := []mwauthtest.Option{mwauthtest.WithVersion(v)}
	if *sso {
		opts = append(opts, mwauthtest.WithSSO())
	}
	wiki := mwauthtest.NewUnstartedServer(opts...)
	hs := &http.Server{Handler: wiki.Handler(), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *watchStdin {
		go func() {
			io.Copy(io.Discard, bufio.NewReader(stdin))
			stop()
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "http://%s/api.php\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
