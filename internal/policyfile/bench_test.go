package policyfile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crossgate/crossgate/internal/policyfile"
)

// BenchmarkParse measures a policy file with 80,000 origins, valid or
// all refused: it must grow linearly with the file (such a file once took
// 26 s to lint).
func BenchmarkParse(b *testing.B) {
	const n = 80000
	for _, kind := range []string{"valid", "invalid"} {
		var src strings.Builder
		src.WriteString("policies:\n  - name: big\n    allow_origins:\n")
		for i := range n {
			if kind == "valid" {
				fmt.Fprintf(&src, "      - https://%05d.example.com\n", i)
			} else {
				fmt.Fprintf(&src, "      - https://%05d.example.com/\n", i)
			}
		}
		b.Run(fmt.Sprintf("origins=%d/kind=%s", n, kind), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(src.Len()))
			for b.Loop() {
				_, err := policyfile.Parse("big.yaml", []byte(src.String()))
				if (err == nil) != (kind == "valid") {
					b.Fatalf("got error %.200v", err)
				}
			}
		})
	}
}
