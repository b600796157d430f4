package gateway

import (
	"errors"
	"fmt"
	"time"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// The defaults of the proxy section's keys.
const (
	DefaultListen            = "127.0.0.1:8080"
	DefaultAdminListen       = "127.0.0.1:9090"
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 60 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultUpstreamTimeout   = 30 * time.Second
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultMaxHeaderBytes    = 1 << 20
	DefaultLogFormat         = "json"
)

// Overrides are the settings given on the command line. They take
// precedence over the file's proxy section, on every load. Empty fields
// override nothing.
type Overrides struct {
	Listen   string
	Upstream string
}

// Check returns an error naming the flag and the value for each invalid
// override.
func (o Overrides) Check() error {
	var errs []error
	if o.Listen != "" {
		if err := policyfile.CheckListen(o.Listen); err != nil {
			errs = append(errs, fmt.Errorf("--listen: %w", err))
		}
	}
	if o.Upstream != "" {
		if err := policyfile.CheckUpstream(o.Upstream); err != nil {
			errs = append(errs, fmt.Errorf("--upstream: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Settings are the gateway's settings in force: the file's proxy section,
// with the command line's overrides and the defaults filled in.
type Settings struct {
	Listen      string
	AdminListen string // "off" for no admin listener
	Upstream    string // the default upstream; "" if none is set

	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration // a whole request, its body included
	IdleTimeout       time.Duration
	UpstreamTimeout   time.Duration
	ShutdownTimeout   time.Duration
	MaxHeaderBytes    int

	TLSCert, TLSKey string // both or neither

	LogFormat string // "json" or "text"
	AccessLog bool
}

// Resolve returns the settings for the proxy section px under o.
func Resolve(px policyfile.Proxy, o Overrides) Settings {
	s := Settings{
		Listen:            or(o.Listen, px.Listen, DefaultListen),
		AdminListen:       or(px.AdminListen, DefaultAdminListen),
		Upstream:          or(o.Upstream, px.Upstream),
		ReadHeaderTimeout: or(px.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       or(px.ReadTimeout, DefaultReadTimeout),
		IdleTimeout:       or(px.IdleTimeout, DefaultIdleTimeout),
		UpstreamTimeout:   or(px.UpstreamTimeout, DefaultUpstreamTimeout),
		ShutdownTimeout:   or(px.ShutdownTimeout, DefaultShutdownTimeout),
		MaxHeaderBytes:    or(px.MaxHeaderBytes, DefaultMaxHeaderBytes),
		TLSCert:           px.TLSCert,
		TLSKey:            px.TLSKey,
		LogFormat:         or(px.LogFormat, DefaultLogFormat),
		AccessLog:         px.AccessLog == nil || *px.AccessLog,
	}
	return s
}

// or returns the first of vs that is not the zero value.
func or[T comparable](vs ...T) T {
	var zero T
	for _, v := range vs {
		if v != zero {
			return v
		}
	}
	return zero
}

// restartOnly lists the settings that differ between s and t and that
// take effect only when the gateway starts: the listeners, TLS files and
// server limits, and the log format.
func (s Settings) restartOnly(t Settings) []string {
	var keys []string
	add := func(differ bool, key string) {
		if differ {
			keys = append(keys, key)
		}
	}
	add(s.Listen != t.Listen, "listen")
	add(s.AdminListen != t.AdminListen, "admin_listen")
	add(s.ReadHeaderTimeout != t.ReadHeaderTimeout, "read_header_timeout")
	add(s.ReadTimeout != t.ReadTimeout, "read_timeout")
	add(s.IdleTimeout != t.IdleTimeout, "idle_timeout")
	add(s.MaxHeaderBytes != t.MaxHeaderBytes, "max_header_bytes")
	add((s.TLSCert == "") != (t.TLSCert == ""), "tls_cert")
	add(s.LogFormat != t.LogFormat, "log_format")
	return keys
}
