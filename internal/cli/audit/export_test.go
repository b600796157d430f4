package audit

import (
	"testing"
	"time"
)

// SetProgressThrottle sets the least time between two redraws of the
// progress bar for the test (so that a fast audit shows its steps).
func SetProgressThrottle(t *testing.T, d time.Duration) {
	old := progressThrottle
	progressThrottle = d
	t.Cleanup(func() { progressThrottle = old })
}
