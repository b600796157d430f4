package httplex_test

import (
	"slices"
	"testing"

	"github.com/crossgate/crossgate/internal/httplex"
)

func TestIsToken(t *testing.T) {
	for s, want := range map[string]bool{
		"GET": true, "x-request-id": true, "!#$%&'*+-.^_`|~09azAZ": true,
		"": false, "a b": false, "a,b": false, "a:b": false, "a\x00": false, "é": false, "(a)": false, "a/b": false,
	} {
		if got := httplex.IsToken(s); got != want {
			t.Errorf("IsToken(%q) = %t; want %t", s, got, want)
		}
	}
}

func TestNextElement(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a,b", []string{"a", "b"}},
		{" a , b ", []string{"a", "b"}},
		{"a,,b,", []string{"a", "", "b"}},
		{"\ta\t", []string{"a"}},
		{"", nil},
	} {
		var got []string
		for s := tc.in; s != ""; {
			var e string
			e, s = httplex.NextElement(s)
			got = append(got, e)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("elements of %q: got %q; want %q", tc.in, got, tc.want)
		}
	}
}

func TestHasListElementFold(t *testing.T) {
	for _, tc := range []struct {
		values []string
		name   string
		want   bool
	}{
		{[]string{"Accept-Encoding, origin"}, "Origin", true},
		{[]string{"Accept-Encoding", "ORIGIN"}, "Origin", true},
		{[]string{"Origins"}, "Origin", false},
		{[]string{"X-Origin"}, "Origin", false},
		{nil, "Origin", false},
	} {
		if got := httplex.HasListElementFold(tc.values, tc.name); got != tc.want {
			t.Errorf("HasListElementFold(%q, %q) = %t; want %t", tc.values, tc.name, got, tc.want)
		}
	}
}

func TestToLowerEqualFold(t *testing.T) {
	for _, tc := range []struct{ a, b string }{{"X-A", "x-a"}, {"already", "already"}, {"MiXeD-Case", "mixed-case"}} {
		if got := httplex.ToLower(tc.a); got != tc.b {
			t.Errorf("ToLower(%q) = %q; want %q", tc.a, got, tc.b)
		}
		if !httplex.EqualFold(tc.a, tc.b) {
			t.Errorf("EqualFold(%q, %q) = false", tc.a, tc.b)
		}
	}
	if httplex.EqualFold("a", "ab") || httplex.EqualFold("[", "{") {
		t.Error("EqualFold matched unequal strings")
	}
}

func TestIsUpgrade(t *testing.T) {
	for _, tc := range []struct {
		h    map[string][]string
		want bool
	}{
		{map[string][]string{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}}, true},
		{map[string][]string{"Upgrade": {"websocket"}, "Connection": {"keep-alive", "UPGRADE"}}, true},
		{map[string][]string{"Upgrade": {"websocket"}, "Connection": {"keep-alive, upgrade"}}, true},
		{map[string][]string{"Upgrade": {"websocket"}, "Connection": {"x-upgrade-foo"}}, false},
		{map[string][]string{"Connection": {"upgrade"}}, false},
		{map[string][]string{"Upgrade": {"websocket"}}, false},
	} {
		if got := httplex.IsUpgrade(tc.h); got != tc.want {
			t.Errorf("IsUpgrade(%v) = %v; want %v", tc.h, got, tc.want)
		}
	}
}
