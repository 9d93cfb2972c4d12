package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Servers are the three in-process servers started by Start.
type Servers struct {
	// Emulator is the running emulator (seed it, set faults, read the audit).
	Emulator *Emulator
	// APIAddr, MetadataAddr and ControlAddr are the bound host:ports.
	APIAddr, MetadataAddr, ControlAddr string
	// APIURL, MetadataURL and ControlURL are "http://" + the addresses.
	APIURL, MetadataURL, ControlURL string

	servers []*http.Server
}

// Start runs the OpenAPI, metadata and control servers of a new emulator on
// the given addresses (":0" or "127.0.0.1:0" picks a free port; "" also means
// 127.0.0.1:0). Close stops them.
func Start(cfg Config, apiAddr, metadataAddr, controlAddr string) (*Servers, error) {
	e := New(cfg)
	s := &Servers{Emulator: e}
	specs := []struct {
		addr string
		h    http.Handler
		out  *string
		url  *string
	}{
		{apiAddr, e.Handler(), &s.APIAddr, &s.APIURL},
		{metadataAddr, e.MetadataHandler(), &s.MetadataAddr, &s.MetadataURL},
		{controlAddr, e.ControlHandler(), &s.ControlAddr, &s.ControlURL},
	}
	for _, sp := range specs {
		addr := sp.addr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("emulator: listen %s: %w", addr, err)
		}
		srv := &http.Server{Handler: sp.h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		*sp.out = ln.Addr().String()
		*sp.url = "http://" + ln.Addr().String()
		go func() { _ = srv.Serve(ln) }()
	}
	return s, nil
}

// Close shuts the servers down, waiting up to 5 seconds for in-flight calls.
func (s *Servers) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range s.servers {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("emulator: shutdown: %w", err))
		}
	}
	return errors.Join(errs...)
}
