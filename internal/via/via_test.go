package via

import (
	"net/http"
	"regexp"
	"testing"
)

func TestNewPseudonym(t *testing.T) {
	a, b := NewPseudonym("crossgate"), NewPseudonym("crossgate")
	if !regexp.MustCompile(`^crossgate-[0-9a-f]{12}$`).MatchString(a) {
		t.Errorf("NewPseudonym = %q; want crossgate- and 12 hex digits", a)
	}
	if a == b {
		t.Errorf("two pseudonyms are both %q", a)
	}
}

func TestFind(t *testing.T) {
	const me = "crossgate-0123456789ab"
	for _, tc := range []struct {
		via    []string
		suffix string
		ok     bool
	}{
		{nil, "", false},
		{[]string{"1.1 " + me}, "", true},
		{[]string{"1.0 fred, 1.1 " + me + " (crossgate)"}, "", true},
		{[]string{"1.0 fred", "2 " + me + ",1.1 p.example.net"}, "", true},
		{[]string{"1.1\t" + me + ".3"}, ".3", true},
		{[]string{"1.1 " + me + "cd"}, "", false},           // a longer pseudonym
		{[]string{"1.1 x" + me}, "", false},                 // another one ending like it
		{[]string{"1.1 crossgate-ffffffffffff"}, "", false}, // another gateway in the chain
		{[]string{"1.1 x" + me + ", 1.1 " + me}, "", true},
	} {
		h := http.Header{"Via": tc.via}
		suffix, ok := Find(h, me)
		if suffix != tc.suffix || ok != tc.ok {
			t.Errorf("Find(%q) = %q, %v; want %q, %v", tc.via, suffix, ok, tc.suffix, tc.ok)
		}
	}
}

func TestAppend(t *testing.T) {
	entry := []string{"1.1 crossgate-0123456789ab"}
	h := http.Header{}
	Append(h, entry)
	if got := h["Via"]; len(got) != 1 || got[0] != entry[0] {
		t.Errorf("Via = %q; want %q", got, entry)
	}
	h = http.Header{"Via": {"1.0 a", "1.1 b"}}
	Append(h, entry)
	if got := h["Via"]; len(got) != 2 || got[0] != "1.0 a" || got[1] != "1.1 b, "+entry[0] {
		t.Errorf("Via = %q; want [1.0 a, 1.1 b, %s]", got, entry[0])
	}
	// The shared entry is never written to: a later Add copies it.
	h = http.Header{}
	Append(h, entry)
	h.Add("Via", "1.1 c")
	if entry[0] != "1.1 crossgate-0123456789ab" {
		t.Errorf("entry changed to %q", entry[0])
	}
}

func TestFindAllocs(t *testing.T) {
	h := http.Header{"Via": {"1.0 fred, 1.1 p.example.net"}}
	if n := testing.AllocsPerRun(100, func() { Find(h, "crossgate-0123456789ab") }); n != 0 {
		t.Errorf("Find: %v allocations; want 0", n)
	}
}
