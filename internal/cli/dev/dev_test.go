package dev_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crossgate/crossgate/internal/cli/clitest"
	"github.com/crossgate/crossgate/internal/cli/cmdutil"
	"github.com/crossgate/crossgate/internal/cli/dev"
	"github.com/crossgate/crossgate/internal/cli/lint"
)

func TestNewCmdDev(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cli       string
		wantUsage bool
		wantErr   bool
	}{
		{cli: "--frontend http://localhost:5173 --api /api=http://localhost:8081"},
		{cli: "--frontend http://localhost:5173 --api /api=http://localhost:8081 --api /auth=http://localhost:9000 --listen 127.0.0.1:0 --origin https://app.example.com --write-policy p.yaml"},
		{cli: "--api /api=http://localhost:8081", wantErr: true}, // --frontend is required
		{cli: "--frontend localhost:5173 --api /api=http://localhost:8081", wantUsage: true},
		{cli: "--frontend http://localhost:5173", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api api=http://localhost:8081", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --origin https://App.example.com", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --write-policy p.yaml", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --listen 5000", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --listen 127.0.0.1:abc", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --allowed-host devbox.lan --allowed-host other"},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --allowed-host devbox.lan:5000", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x --listen 127.0.0.1:70000", wantUsage: true},
		{cli: "--frontend http://localhost:5173 --api /api=http://x extra", wantUsage: true},
	} {
		t.Run(tc.cli, func(t *testing.T) {
			t.Parallel()
			got, err := clitest.Parse(t, dev.NewCmdDev, strings.Fields(tc.cli))
			if !clitest.CheckErr(t, err, tc.wantUsage, tc.wantErr) {
				return
			}
			if got.Frontend == nil || len(got.APIs) == 0 {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// Run serves the page and its API on one origin, writes the policy it
// learns, and that policy passes lint.
func TestRun_writePolicy(t *testing.T) {
	t.Parallel()
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") }))
	defer fe.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "origin="+r.Header.Get("Origin")) }))
	defer api.Close()
	file := filepath.Join(t.TempDir(), "crossgate.yaml")
	opts, err := clitest.Parse(t, dev.NewCmdDev, []string{"--frontend", fe.URL, "--api", "/api=" + api.URL,
		"--listen", "127.0.0.1:0", "--origin", "https://app.example.com", "--write-policy", file})
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	opts.IO = cmdutil.IO{Out: &stdout, ErrOut: &stderr}
	addr := make(chan string, 1)
	opts.Ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dev.Run(ctx, opts) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not start")
	}
	req, _ := http.NewRequest("DELETE", base+"/api/items/1", nil)
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Authorization", "Bearer x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "origin=" {
		t.Errorf("the API got %q; want no Origin", b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v (stderr %s)", err, stderr.String())
	}
	pol, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`allow_methods: ["DELETE"]`, `allow_headers: ["authorization"]`, "allow_credentials: true", "protect_writes: true"} {
		if !strings.Contains(string(pol), want) {
			t.Errorf("policy lacks %q:\n%s", want, pol)
		}
	}
	var lintOut bytes.Buffer
	if err := lint.Run(context.Background(), &lint.Options{IO: cmdutil.IO{Out: &lintOut}, File: file}); err != nil {
		t.Errorf("lint: %v\n%s", err, lintOut.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("with --write-policy, standard output is %q; want nothing", stdout.String())
	}
}

// A policy file that cannot be written stops Run at start with an error
// naming it, and leaves no temporary file behind; a directory is never
// replaced.
func TestRun_writePolicyFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "taken")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{target, filepath.Join(dir, "missing", "p.yaml")} {
		opts, err := clitest.Parse(t, dev.NewCmdDev, []string{"--frontend", "http://127.0.0.1:1", "--api", "/api=http://127.0.0.1:1",
			"--listen", "127.0.0.1:0", "--origin", "https://app.example.com", "--write-policy", file})
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		opts.IO = cmdutil.IO{Out: io.Discard, ErrOut: &stderr}
		err = dev.Run(context.Background(), opts)
		if err == nil || !strings.Contains(err.Error(), "--write-policy "+file) {
			t.Errorf("--write-policy %s: Run: %v; want an error naming the file", file, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".crossgate-dev-") {
				t.Errorf("--write-policy %s: left %s behind", file, e.Name())
			}
		}
		if fi, err := os.Stat(target); err != nil || !fi.IsDir() {
			t.Errorf("the directory %s was replaced", target)
		}
	}
}

// Stopping Run closes the WebSockets open through it (the frontend's hot
// reload): http.Server.Shutdown does not track hijacked connections.
func TestRun_stopClosesWebSockets(t *testing.T) {
	t.Parallel()
	fe := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		brw.Flush()
		io.Copy(conn, brw) // echo until the proxy closes
	}))
	defer fe.Close()
	opts, err := clitest.Parse(t, dev.NewCmdDev, []string{"--frontend", fe.URL, "--api", "/api=" + fe.URL, "--listen", "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	opts.IO = cmdutil.IO{Out: io.Discard, ErrOut: io.Discard}
	addr := make(chan string, 1)
	opts.Ready = func(a string) { addr <- a }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- dev.Run(ctx, opts) }()
	conn, err := net.DialTimeout("tcp", <-addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(conn, "GET /@vite/hmr HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	fmt.Fprint(conn, "hi\n")
	if line, err := br.ReadString('\n'); err != nil || line != "hi\n" {
		t.Fatalf("echo %q, %v", line, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := br.ReadByte(); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the WebSocket is still open after Run stopped: %v", err)
	}
}
