package i18n

import "testing"

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "lru": 3, "练习": 4, "未开始 x": 8, "≈1.0x": 5, "✗ a": 3, "提示 1/5": 8} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestPadCut(t *testing.T) {
	if got := Pad("练习", 6, false); got != "练习  " {
		t.Errorf("Pad left = %q", got)
	}
	if got := Pad("ab", 4, true); got != "  ab" {
		t.Errorf("Pad right = %q", got)
	}
	for _, tc := range []struct {
		s    string
		w    int
		want string
	}{{"练习练习", 5, "练习…"}, {"练习", 4, "练习"}, {"abcdef", 4, "abc…"}, {"abc", 0, "abc"}} {
		if got := Cut(tc.s, tc.w); got != tc.want || Width(got) > max(tc.w, Width(tc.s)) && tc.w > 0 {
			t.Errorf("Cut(%q, %d) = %q, want %q", tc.s, tc.w, got, tc.want)
		}
	}
}

func TestParseAndEnv(t *testing.T) {
	for v, want := range map[string]Lang{"en": English, "zh": Chinese, "zh-CN": Chinese, "zh_TW": Chinese, "en_US": English} {
		if got, err := Parse(v); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := Parse("fr"); err == nil {
		t.Error("Parse(fr): no error")
	}
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "zh_CN.UTF-8")
	if FromEnv() != Chinese {
		t.Error("LANG=zh_CN.UTF-8 is not Chinese")
	}
	t.Setenv("LC_ALL", "C.UTF-8")
	if FromEnv() != English {
		t.Error("LC_ALL=C.UTF-8 must win over LANG")
	}
	if got, _ := Parse(""); got != English {
		t.Error("Parse(\"\") must follow the environment")
	}
	if Chinese.S("passing") != "已通过" || English.S("passing") != "passing" || Chinese.S("no such words") != "no such words" {
		t.Error("S")
	}
}
