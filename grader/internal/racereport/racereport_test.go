package racereport

import (
	"os"
	"strings"
	"testing"
)

func TestExtractAndSummary(t *testing.T) {
	// A real report of the race fixture (go test -race), twice in a row as
	// the detector prints it, with test output around it.
	data, err := os.ReadFile("testdata/counter.txt")
	if err != nil {
		t.Fatal(err)
	}
	out := "=== RUN   TestCounter\n" + string(data) + "\n" + string(data) + "\n    testing.go:1617: race detected during execution of test\n"
	reports := Extract(out)
	if len(reports) != 2 {
		t.Fatalf("Extract found %d reports, want 2", len(reports))
	}
	for _, r := range reports {
		if !strings.HasPrefix(r, "WARNING: DATA RACE\n") || strings.Contains(r, "==================") || strings.Contains(r, "testing.go:1617") {
			t.Errorf("report is not one whole block:\n%s", r)
		}
	}
	got := strings.Join(Summary(reports[0], nil), "\n")
	want := strings.Join([]string{
		"read by goroutine 10:",
		"  race.(*Counter).Inc  katas/race/race.go:33",
		"previous write by goroutine 11:",
		"  race.(*Counter).Inc  katas/race/race.go:33",
	}, "\n")
	if got != want {
		t.Errorf("Summary =\n%s\nwant\n%s", got, want)
	}
}

func TestSummaryKeepsCreatorsInCodeUnderTest(t *testing.T) {
	report := `WARNING: DATA RACE
Write at 0x00c0000a0010 by goroutine 8:
  example.com/m/katas/rpc.(*Server).track()
      /src/katas/rpc/rpc.go:40 +0x44
  example.com/m/katas/rpc.(*Server).Serve.func1()
      /src/katas/rpc/rpc.go:31 +0x2c

Previous read at 0x00c0000a0010 by main goroutine:
  example.com/m/katas/rpc.(*Server).Count()
      /src/katas/rpc/rpc.go:52 +0x30
  example.com/m/katas/rpc_test.TestServe()
      /src/katas/rpc/zz_hidden_test.go:77 +0x1d0

Goroutine 8 (running) created at:
  example.com/m/katas/rpc.(*Server).Serve()
      /src/katas/rpc/rpc.go:30 +0x1a4
  example.com/m/internal/katatest.Hammer.func1()
      /src/internal/katatest/katatest.go:12 +0x10
`
	got := strings.Join(Summary(report, nil), "\n")
	want := strings.Join([]string{
		"write by goroutine 8:",
		"  rpc.(*Server).track  katas/rpc/rpc.go:40",
		"  rpc.(*Server).Serve.func1  katas/rpc/rpc.go:31",
		"previous read by main goroutine:",
		"  rpc.(*Server).Count  katas/rpc/rpc.go:52",
		"goroutine 8 (running) was started at:",
		"  rpc.(*Server).Serve  katas/rpc/rpc.go:30",
	}, "\n")
	if got != want {
		t.Errorf("Summary =\n%s\nwant\n%s", got, want)
	}
}

func TestExtractNone(t *testing.T) {
	if r := Extract("--- FAIL: TestX\n    x_test.go:3: boom\n"); r != nil {
		t.Errorf("Extract of output without a race = %q", r)
	}
}
