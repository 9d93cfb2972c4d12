package command

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// Why this exists: the deployment guide's livenessProbe is a plain-HTTP GET
// of 127.0.0.1:10258/healthz, while the framework serves only HTTPS on 10258.
// Rather than move HTTPS to another port (which would break every existing
// scrape config), one TCP listener serves both: a connection whose first byte
// is a TLS handshake record (0x16) goes to the framework's authenticated
// HTTPS server; any other connection goes to a plain-HTTP server that answers
// GET /healthz (by asking the HTTPS server, so the answer
// is the real health) and refuses everything else.

// tlsHandshakeRecord is the first byte of every TLS ClientHello record.
const tlsHandshakeRecord = 0x16

// sniffTimeout bounds how long a new connection may stay silent before it is
// dropped, so idle connections cannot pile up goroutines.
const sniffTimeout = 10 * time.Second

// dualListener splits one listener's connections by protocol.
type dualListener struct {
	inner     net.Listener
	tls       *chanListener
	plain     *chanListener
	closeOnce sync.Once
}

func newDualListener(inner net.Listener) *dualListener {
	d := &dualListener{
		inner: inner,
		tls:   newChanListener(inner.Addr()),
		plain: newChanListener(inner.Addr()),
	}
	d.tls.onClose = d.close
	go d.acceptLoop()
	return d
}

// TLS returns the listener that sees TLS connections only.
func (d *dualListener) TLS() net.Listener { return d.tls }

// Plain returns the listener that sees non-TLS connections only.
func (d *dualListener) Plain() net.Listener { return d.plain }

func (d *dualListener) close() {
	d.closeOnce.Do(func() {
		_ = d.inner.Close()
		d.plain.shutdown()
		d.tls.shutdown()
	})
}

func (d *dualListener) acceptLoop() {
	for {
		conn, err := d.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			d.close()
			return
		}
		go d.route(conn)
	}
}

func (d *dualListener) route(conn net.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(sniffTimeout))
	br := bufio.NewReader(conn)
	first, err := br.Peek(1)
	if err != nil {
		_ = conn.Close()
		return
	}
	_ = conn.SetReadDeadline(time.Time{})
	pc := &peekedConn{Conn: conn, r: br}
	if first[0] == tlsHandshakeRecord {
		d.tls.deliver(pc)
	} else {
		d.plain.deliver(pc)
	}
}

// peekedConn replays the bytes read while sniffing.
type peekedConn struct {
	net.Conn
	r io.Reader
}

func (c *peekedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// chanListener is a net.Listener fed by dualListener.
type chanListener struct {
	addr    net.Addr
	conns   chan net.Conn
	done    chan struct{}
	once    sync.Once
	onClose func()
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chanListener) deliver(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.Close()
	}
}

// Accept implements net.Listener.
func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener. Closing the TLS side closes the port.
func (l *chanListener) Close() error {
	if l.onClose != nil {
		l.onClose()
	}
	l.shutdown()
	return nil
}

func (l *chanListener) shutdown() { l.once.Do(func() { close(l.done) }) }

// Addr implements net.Listener.
func (l *chanListener) Addr() net.Addr { return l.addr }

// healthPaths are the only paths served over plain HTTP: the framework's
// HTTPS server answers /healthz (and /healthz/<check>) only.
var healthPaths = []string{"/healthz"}

func isHealthPath(p string) bool {
	for _, h := range healthPaths {
		if p == h || strings.HasPrefix(p, h+"/") {
			return true
		}
	}
	return false
}

// servePlainHealth answers plain-HTTP health checks by forwarding them to the
// HTTPS server on the same port over loopback. The framework's authorizer
// always allows these paths, and the HTTPS certificate is our own
// (self-signed unless the operator configured one), so verification is
// skipped for this self-call only.
func servePlainHealth(ln net.Listener, addr net.Addr, stopCh <-chan struct{}) {
	target := loopbackTarget(addr)
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // self-call on loopback, see above
		},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead || !isHealthPath(r.URL.Path) {
			http.Error(w, "plain HTTP serves only GET /healthz; use HTTPS", http.StatusForbidden)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, "https://"+target+r.URL.RequestURI(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "health check unavailable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, io.LimitReader(resp.Body, 1<<20))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-stopCh
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		klog.ErrorS(err, "Plain-HTTP health server stopped")
	}
}

// loopbackTarget turns a listen address into one we can dial: a wildcard
// bind address becomes the loopback address of the same family.
func loopbackTarget(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.IsUnspecified() {
		if ip != nil && ip.To4() == nil {
			host = "::1"
		} else {
			host = "127.0.0.1"
		}
	}
	return net.JoinHostPort(host, port)
}
