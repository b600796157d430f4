package audit

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/crossgate/crossgate/internal/audit"
	"github.com/schollz/progressbar/v3"
)

// progress draws a progress bar on w (standard error, when it is a
// terminal): targets done of total, then the requests sent and the
// findings so far. Redraws are throttled, and the bar is cleared when the
// audit ends, before the report is written.
// progressThrottle is the least time between two redraws.
var progressThrottle = 100 * time.Millisecond

type progress struct {
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	last audit.Progress
}

func newProgress(w io.Writer, total int) *progress {
	return &progress{bar: progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("audit"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("targets"),
		progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(progressThrottle),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionClearOnFinish(),
	)}
}

// update is an audit.Options.OnProgress.
func (p *progress) update(pr audit.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pr == p.last {
		return
	}
	p.last = pr
	p.bar.Describe(fmt.Sprintf("audit: %s sent, %s", count(pr.Requests, "request"), count(pr.Findings, "finding")))
	_ = p.bar.Set(pr.Done)
}

// finish clears the bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	_ = p.bar.Finish()
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
