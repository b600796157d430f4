package gateway

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/crossgate/crossgate/internal/httplex"
)

// upgrades are the upgraded connections (WebSockets and others) that the
// gateway's reverse proxies are splicing. Once httputil.ReverseProxy has
// hijacked the client's connection for a 101, net/http no longer tracks
// it: http.Server.Shutdown neither waits for it nor closes it ("Shutdown
// does not attempt to close nor wait for hijacked connections such as
// WebSockets", its documentation says). The gateway counts them, and can
// cut them: ReverseProxy closes the upstream's side when the request's
// context ends, and then the client's.
type upgrades struct {
	open   atomic.Int64
	cut    context.Context // done once cutUpgrades is called
	cancel context.CancelFunc
}

func (u *upgrades) init() { u.cut, u.cancel = context.WithCancel(context.Background()) }

// forwardUpgrade has p serve the upgrade request r, counted as open until
// the proxy is done with it, and with a context that cutUpgrades ends.
func (g *Gateway) forwardUpgrade(t *sharedTransport, p http.Handler, w http.ResponseWriter, r *http.Request) {
	g.upgrades.open.Add(1)
	defer g.upgrades.open.Add(-1)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(g.upgrades.cut, cancel)
	defer stop()
	forward(t, p, w, r.WithContext(ctx))
}

// drainUpgrades waits until no upgraded connection is open or ctx is done;
// then it closes those still open, and returns how many there were.
func (g *Gateway) drainUpgrades(ctx context.Context) int64 {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for g.upgrades.open.Load() > 0 {
		select {
		case <-tick.C:
			continue
		case <-ctx.Done():
		}
		n := g.upgrades.open.Load()
		g.upgrades.cancel()
		// Closing both sides takes the proxies no time; do not wait
		// for them forever all the same.
		for i := 0; i < 100 && g.upgrades.open.Load() > 0; i++ {
			<-tick.C
		}
		return n
	}
	return 0
}

// dropH2CUpgrade removes an upgrade to h2c from the outgoing request, which
// then goes as a plain HTTP/1.1 request (a server may ignore Upgrade, RFC
// 9110 §7.8). h2c is hop-by-hop (its HTTP2-Settings is a connection
// header, removed already), RFC 9113 §3.1 deprecates it, and an upstream
// that switched would take the client's connection past the gateway's
// routing and policies (h2c smuggling). If the upstream answers 101 all
// the same, ReverseProxy refuses it: the request it sent asked for no
// upgrade.
func dropH2CUpgrade(out *http.Request) {
	if httplex.HasListElementFold(out.Header["Upgrade"], "h2c") {
		out.Header.Del("Upgrade")
		out.Header.Del("Connection")
	}
}
