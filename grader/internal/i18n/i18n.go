// Package i18n gives the grader's own words in English or Chinese, and
// measures text by its display width, so that tables with Chinese words stay
// straight in a terminal (a CJK character takes two columns).
//
// Only the grader's words are translated: test names and the messages that
// tests print stay as they are.
package i18n

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/text/width"
)

// Lang is a language of the grader's output.
type Lang int

// The languages.
const (
	English Lang = iota
	Chinese
)

// Parse reads a --lang value: "en", "zh" (or zh-CN, zh_CN...), or "" and
// "auto" for the environment's language (LC_ALL, then LC_MESSAGES, then
// LANG: a value starting with "zh" is Chinese).
func Parse(v string) (Lang, error) {
	switch l := strings.ToLower(v); {
	case l == "" || l == "auto":
		return FromEnv(), nil
	case l == "en" || strings.HasPrefix(l, "en_") || strings.HasPrefix(l, "en-"):
		return English, nil
	case strings.HasPrefix(l, "zh"):
		return Chinese, nil
	}
	return English, fmt.Errorf("language %q: en or zh", v)
}

// FromEnv is the language the locale variables ask for.
func FromEnv() Lang {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return Chinese
			}
			return English
		}
	}
	return English
}

// S returns s in l: s itself in English, its translation in Chinese (s
// itself when there is none).
func (l Lang) S(s string) string {
	if l == Chinese {
		if t, ok := zh[s]; ok {
			return t
		}
	}
	return s
}

// F is fmt.Sprintf of format in l.
func (l Lang) F(format string, args ...any) string {
	return fmt.Sprintf(l.S(format), args...)
}

// Readme is the file name of a kata README in l.
func (l Lang) Readme() string {
	if l == Chinese {
		return "README.zh-CN.md"
	}
	return "README.md"
}

// Width is the number of terminal columns s takes: two for East Asian wide
// and full-width characters, none for combining marks and zero-width
// characters, one for the rest.
func Width(s string) int {
	n := 0
	for _, r := range s {
		switch p := width.LookupRune(r); {
		case r == '\u200b' || r == '\u200d' || r == '\ufe0f':
		case p.Kind() == width.EastAsianWide || p.Kind() == width.EastAsianFullwidth:
			n += 2
		case r < 0x20:
		default:
			n++
		}
	}
	return n
}

// Pad pads s with spaces to w columns, on the left when right is set.
func Pad(s string, w int, right bool) string {
	pad := strings.Repeat(" ", max(w-Width(s), 0))
	if right {
		return pad + s
	}
	return s + pad
}

// Cut shortens s to w columns, ending it with "…"; w <= 0 keeps it whole.
func Cut(s string, w int) string {
	if w <= 0 || Width(s) <= w {
		return s
	}
	n := 0
	for i, r := range s {
		rw := Width(string(r))
		if n+rw > w-1 {
			return s[:i] + "…"
		}
		n += rw
	}
	return s
}

// zh holds the Chinese of the grader's words, keyed by the English.
var zh = map[string]string{
	// scorecard
	"microkata scorecard": "microkata 评分卡",
	"race detector on":    "竞态检测开启",
	"race detector OFF":   "竞态检测关闭",
	"KATA":                "练习",
	"STATUS":              "状态",
	"VISIBLE":             "可见",
	"HIDDEN":              "隐藏",
	"RACE":                "竞态",
	"LEAK":                "泄漏",
	"BENCH ns/allocs":     "基准 ns/分配",
	"SCORE":               "得分",
	"TOTAL":               "合计",
	"%d/%d passing":       "%d/%d 通过",
	"not started":         "未开始",
	"failing":             "未通过",
	"passing":             "已通过",
	"refused":             "已拒绝",
	"yes":                 "有",
	"note: ":              "注：",
	"hidden":              "隐藏",
	"start with katas/%s/README.md, then: go test -race ./katas/%s": "从 katas/%s/README.zh-CN.md 开始，然后运行：go test -race ./katas/%s",
	"%s did not build or run:":                                      "%s 未能构建或运行：",
	"... and %d more failing test(s): %s lists them all":            "……另有 %d 个未通过的测试：%s 会全部列出",
	"... (%s shows the whole report)":                               "……（%s 显示完整报告）",
	"submission %s  sha256 %s":                                      "提交 %s  sha256 %s",
	"candidate %s":                                                  "候选人 %s",
	"sandbox %s":                                                    "沙箱 %s",
	// practice
	"microkata practice: %s (%s, %s)":             "microkata 练习：%s（%s，%s）",
	"microkata interview simulation: %s (%s, %s)": "microkata 模拟面试：%s（%s，%s）",
	"%s on the clock":                             "限时 %s",
	"untimed":                                     "不限时",
	"edit %s; every save re-runs the visible tests with -race (watching with %s)": "编辑 %s；每次保存都会用 -race 重新运行可见测试（监视方式：%s）",
	"keys: h hint · g grade now · r re-run · q quit":                              "按键：h 提示 · g 立即评分 · r 重新运行 · q 退出",
	"%s left":                             "剩余 %s",
	"untimed %s":                          "不限时 %s",
	"visible %d/%d":                       "可见 %d/%d",
	"hidden %d/%d":                        "隐藏 %d/%d",
	"last run %.1fs":                      "上次运行 %.1fs",
	"running %s…":                         "正在运行%s…",
	"visible tests":                       "可见测试",
	"every test, hidden ones too":         "全部测试（含隐藏测试）",
	"every test, for the score":           "全部测试（计算得分）",
	"✓ every visible test passes":         "✓ 可见测试全部通过",
	"✓ every test passes":                 "✓ 全部测试通过",
	"✗ does not compile: ":                "✗ 无法编译：",
	"✗ not allowed: ":                     "✗ 不允许：",
	"hint %d of %d":                       "提示 %d/%d",
	"no hints in an interview simulation": "模拟面试不提供提示",
	"this kata has no hints":              "这个练习没有提示",
	"no more hints: you have seen all %d": "没有更多提示了：%d 条提示你都已看过",
	"time is up":                          "时间到",
	"go on untimed? [y/N] ":               "不限时继续吗？[y/N] ",
	"untimed: this attempt does not count as a clean solve": "不限时：这次尝试不算作干净的解答",
	"you quit: recorded as abandoned":                       "你已退出：记录为放弃",
	"stopped (interrupted): recorded as abandoned":          "已中断：记录为放弃",
	"solved in %s": "用时 %s 解出",
	" of %s":       "（限时 %s）",
	", %d hint(s)": "，使用 %d 条提示",
	"; benchmarks against the reference: %.2fx ns/op, %.2fx allocs/op": "；与参考实现的基准对比：ns/op %.2fx，allocs/op %.2fx",
	". Recorded.": "。已记录。",
	"time is up (%s): not solved; recorded as timed out with score %d": "时间到（%s）：未解出；记录为超时，得分 %d",
	"the tests could not run: ":                                        "测试无法运行：",
	"easy":                                                             "简单",
	"medium":                                                           "中等",
	"hard":                                                             "困难",
	// hint command
	"%s has no hints": "%s 没有提示",
	"no more hints: you have seen all %d of %s (the README's Hints section has them all)": "没有更多提示了：%[2]s 的 %[1]d 条提示你都已看过（README 的“提示”一节列出了全部）",
	// list and stats
	"microkata list  %s: %d of %d katas practised, %d due": "microkata 列表  %s：已练习 %d/%d 个练习，%d 个到期",
	"microkata stats  %s":   "microkata 统计  %s",
	"BEST":                  "最佳",
	"ATTEMPTS":              "尝试",
	"LAST PRACTISED":        "上次练习",
	"DUE":                   "到期",
	"MEDIAN":                "中位数",
	"SOLVED":                "解出",
	"HINTS":                 "提示",
	"TREND":                 "趋势",
	"attempted":             "已尝试",
	"solved":                "已解出",
	"history: %s":           "历史记录：%s",
	"not attempted yet: %s": "尚未尝试：%s",
	"streak  %s":            "连续    %s",
	"none yet: solve a kata today to start one":                                               "还没有：今天解出一个练习就开始连续记录",
	"%d day(s) (since %s)":                                                                    "%d 天（自 %s 起）",
	"total   %d attempt(s), %d solved, %s practised":                                          "合计    %d 次尝试，%d 次解出，练习时长 %s",
	"no attempts yet: `grader practice <kata>` starts one":                                    "还没有尝试：`grader practice <kata>` 开始一次",
	"trend: the last %d attempts, oldest first: %c fastest … %c slowest solve, %c not solved": "趋势：最近 %d 次尝试，从旧到新：%c 最快 … %c 最慢的解答，%c 未解出",
	"due: a clean solve (in budget, no hints) doubles the interval: 1, 2, 4 … 64 days (an early one keeps it); other solves: 1 day; timed out or abandoned: now": "到期：一次干净的解答（限时内、不用提示）使间隔翻倍：1、2、4……最多 64 天（提前解答保持间隔）；其他解答：1 天；超时或放弃：立即到期",
	"today":           "今天",
	"yesterday":       "昨天",
	"%d days ago":     "%d 天前",
	"new":             "新",
	"now":             "现在",
	"now (due %s)":    "现在（%s 到期）",
	"tomorrow (%s)":   "明天（%s）",
	"in %d days (%s)": "%d 天后（%s）",
}
