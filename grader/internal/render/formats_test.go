package render

import (
	"bytes"
	"encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/racereport"
	"github.com/microkata/microkata/grader/internal/result"
)

var update = flag.Bool("update", false, "rewrite the golden files of the report formats (go test ./grader/internal/render -update)")

// hostile is a failure message as a stranger's code could print it: HTML,
// Markdown and CSV syntax, a control character that XML cannot hold.
const hostile = "<script>alert(1)</script> | `x` *y* [z](https://evil.example/) &amp; \x16 =1+1"

// reportRun is a realistic graded submission: katas passing (with
// benchmark ratios faster, even and noisy), failing (visible and hidden
// failures, a real race report, a hostile message, notes), failing on a
// leak alone, not started, build-failed and refused; run notes; a
// submission with warnings.
func reportRun(t *testing.T) *result.Run {
	race, err := os.ReadFile(filepath.Join("..", "racereport", "testdata", "counter.txt"))
	require.NoError(t, err)
	report := strings.Join(racereport.Extract(string(race)), "\n\n") // as the grader keeps it
	run := &result.Run{
		Version: result.Version, Started: time.Date(2026, 7, 11, 14, 2, 3, 0, time.UTC), Duration: 41.73,
		GoVersion: "go1.26.8", Race: true,
		Submission: &result.Submission{Name: "c-0042-takehome.tar.gz",
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Candidate: "c-0042", Sandbox: "bubblewrap",
			Warnings: []string{"the manifest names katas lru, breaker; the submission also has katas/retry (ignored)",
				"katas/lru: test files ignored (lru_test.go, my_test.go): the repository's own tests grade the kata"}},
		Katas: []result.Kata{
			{Name: "tokenbucket", Title: "Token bucket rate limiter", Status: result.Passing, VisiblePassed: 3, VisibleTotal: 3,
				HiddenPassed: 2, HiddenTotal: 2, Score: 100,
				Bench: &result.Bench{NsRatio: 0.91, NsLow: 0.88, NsHigh: 0.95, AllocsRatio: 1, Rounds: 3, Benchmarks: []result.BenchResult{
					{Name: "BenchmarkAllow", LearnerNsOp: 41.2, ReferenceNsOp: 45.3, LearnerAllocs: 0, ReferenceAllocs: 0},
					{Name: "BenchmarkAllowParallel", LearnerNsOp: 118, ReferenceNsOp: 129, LearnerAllocs: 0, ReferenceAllocs: 0}}},
				Tests: []result.Test{
					{Name: "TestAllow", Passed: true, Elapsed: 0.01}, {Name: "TestBurst", Passed: true, Elapsed: 0.02},
					{Name: "TestWait", Passed: true, Elapsed: 0.03},
					{Name: "TestHiddenZeroRate", Hidden: true, Category: "boundary", Passed: true},
					{Name: "TestHiddenDeadlineFailsFast", Hidden: true, Category: "timing", Passed: true, Elapsed: 0.15}}},
			{Name: "lru", Title: "LRU cache", Status: result.Passing, VisiblePassed: 2, VisibleTotal: 2, HiddenPassed: 1, HiddenTotal: 1, Score: 100,
				Bench: &result.Bench{NsRatio: 1.06, NsLow: 0.97, NsHigh: 1.14, AllocsRatio: 1.5, Rounds: 5, Benchmarks: []result.BenchResult{
					{Name: "BenchmarkGet", LearnerNsOp: 22.4, ReferenceNsOp: 21.1, LearnerAllocs: 1, ReferenceAllocs: 0}}},
				Tests: []result.Test{{Name: "TestAddGet", Passed: true}, {Name: "TestEvict", Passed: true},
					{Name: "TestHiddenUpdateExistingKey", Hidden: true, Category: "behaviour", Passed: true}},
				Notes: []string{"your own tests: 2 passed, 1 failed (they never count)"}},
			{Name: "roundrobin", Title: "Round-robin", Status: result.Passing, VisiblePassed: 1, VisibleTotal: 1, HiddenPassed: 1, HiddenTotal: 1, Score: 100,
				Bench: &result.Bench{NsRatio: 2.64, NsLow: 1.4, NsHigh: 3.9, AllocsRatio: 1, Rounds: 12, Noisy: true},
				Tests: []result.Test{{Name: "TestNext", Passed: true}, {Name: "TestHiddenWeights", Hidden: true, Category: "differential", Passed: true}},
				Notes: []string{"benchmarks: the rounds disagreed by more than ±25% after 12 rounds (load average 3.1 on 2 CPUs): the machine was too busy to tell"}},
			{Name: "breaker", Title: "Circuit breaker", Status: result.Failing, VisiblePassed: 1, VisibleTotal: 2, HiddenPassed: 1, HiddenTotal: 4, Score: 33, Race: true,
				Tests: []result.Test{
					{Name: "TestClosedCountsFailures", Passed: true, Elapsed: 0.01},
					{Name: "TestOpenAfterThreshold", Reason: "Execute after 5 failures with MaxFailures 5: state = Closed, want Open", Elapsed: 0.02},
					{Name: "TestHiddenHalfOpenSingleProbe", Hidden: true, Category: "concurrency", Passed: true},
					{Name: "TestHiddenCountsUnderRace", Hidden: true, Category: "concurrency", Reason: "testing.go:1617: race detected during execution of test",
						RaceReport: report, Elapsed: 0.4},
					{Name: "TestHiddenHostileMessage", Hidden: true, Category: "behaviour", Reason: hostile},
					{Name: "TestHiddenSlowRequestOutcomeAtItsEnd", Hidden: true, Category: "timing",
						Reason: "did not run: the test binary exited while TestHiddenHostileMessage ran (exit status 2)\nsecond line", Rerun: true}},
				Notes: []string{"re-ran 1 test(s) one at a time after the binary ended early",
					"katas/breaker/breaker_test.go was edited: the repository's copy was graded"}},
			{Name: "heartbeat", Title: "Heartbeat failure detector", Status: result.Failing, VisiblePassed: 2, VisibleTotal: 2, HiddenPassed: 1, HiddenTotal: 1, Score: 99, Leak: true,
				Tests: []result.Test{{Name: "TestBeat", Passed: true}, {Name: "TestSuspect", Passed: true},
					{Name: "TestHiddenStopEndsGoroutines", Hidden: true, Category: "behaviour", Passed: true}},
				Notes: []string{"leaked goroutine: blocked in time.Sleep called from heartbeat.(*Detector).loop, started by heartbeat.New (a loop that never sees Stop?)"}},
			{Name: "leakybucket", Title: "Leaky bucket pacer", Status: result.NotStarted, VisibleTotal: 2, HiddenTotal: 1,
				Tests: []result.Test{{Name: "TestTake", Reason: "panic: not implemented"}, {Name: "TestTakeAt", Reason: "did not run: the binary panicked in TestTake"},
					{Name: "TestHiddenFirstSlot", Hidden: true, Category: "boundary", Reason: "did not run: the binary panicked in TestTake"}}},
			{Name: "rpcarith", Title: "net/rpc Arith server", Status: result.Failing, VisibleTotal: 2, HiddenTotal: 1, BuildFailed: true,
				BuildOutput: []string{"katas/rpcarith/rpcarith.go:41:9: undefined: ctx", "katas/rpcarith/rpcarith.go:57:2: missing return"},
				Tests: []result.Test{{Name: "TestAdd", Reason: "did not run: build failed"}, {Name: "TestDivideByZero", Reason: "did not run: build failed"},
					{Name: "TestHiddenCallAfterClose", Hidden: true, Category: "behaviour", Reason: "did not run: build failed"}}},
			{Name: "grpcarith", Title: "gRPC Arith service", Status: result.Refused, VisibleTotal: 2, HiddenTotal: 1,
				Tests: []result.Test{{Name: "TestAdd", Reason: "not run: refused"}, {Name: "TestHealth", Reason: "not run: refused"},
					{Name: "TestHiddenShutdown", Hidden: true, Category: "timing", Reason: "not run: refused"}},
				Notes: []string{`katas/grpcarith/server.go:7: import "unsafe" is never allowed`, "katas/grpcarith/server.go:12: //go:linkname is never allowed"}},
		},
		Notes: []string{"the deadline was not hit; 8 katas graded"},
	}
	for _, k := range run.Katas {
		run.Total.Katas++
		if k.Status == result.Passing {
			run.Total.Passing++
		}
		if k.Status == result.NotStarted {
			run.Total.NotStarted++
		}
		run.Total.VisiblePassed += k.VisiblePassed
		run.Total.VisibleTotal += k.VisibleTotal
		run.Total.HiddenPassed += k.HiddenPassed
		run.Total.HiddenTotal += k.HiddenTotal
		run.Total.Score += k.Score
		run.Total.MaxScore += 100
	}
	return run
}

// reportBatch is three graded submissions: reportRun's, one passing
// everything whose candidate id is a spreadsheet formula, one refused.
func reportBatch(t *testing.T) *result.Batch {
	a := reportRun(t)
	b := reportRun(t)
	b.Submission = &result.Submission{Name: "b.zip", SHA256: strings.Repeat("ab", 32), Candidate: "=HYPERLINK(\"https://evil.example\")|x", Sandbox: "off"}
	b.Duration = 38.2
	b.Total = result.Total{}
	for i := range b.Katas {
		k := &b.Katas[i]
		k.Status, k.Score, k.Race, k.Leak, k.BuildFailed = result.Passing, 100, false, false, false
		k.VisiblePassed, k.HiddenPassed = k.VisibleTotal, k.HiddenTotal
		k.Bench = &result.Bench{NsRatio: 1.2 + 0.1*float64(i), AllocsRatio: 1}
		b.Total.Katas++
		b.Total.Passing++
		b.Total.Score += 100
		b.Total.MaxScore += 100
	}
	c := &result.Run{Version: result.Version, Started: a.Started.Add(90 * time.Second), Duration: 0.04, GoVersion: "go1.26.8", Race: true,
		Submission: &result.Submission{Name: "c.tar.gz", SHA256: strings.Repeat("cd", 32), Sandbox: "bubblewrap",
			Refused: "archive entry ../../etc/cron.d/x escapes the submission folder (rule: no .. in a path)"}}
	var names []string
	for _, k := range a.Katas {
		names = append(names, k.Name)
	}
	return &result.Batch{Version: result.Version, Started: a.Started, Duration: 80.1, Katas: names, Runs: []result.Run{*a, *b, *c}}
}

// refusedRun is a submission refused as a whole: no kata ran.
func refusedRun(t *testing.T) *result.Run {
	return &reportBatch(t).Runs[2]
}

// TestGolden renders the realistic run, a refused submission and the batch
// in every format and compares them with testdata/*.golden (go test
// ./grader/internal/render -update rewrites them after a deliberate
// change; read the diff).
func TestGolden(t *testing.T) {
	run := reportRun(t)
	for _, format := range Formats {
		t.Run("report-"+format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, run, format, Options{}))
			golden(t, "report."+format, b.String())
		})
	}
	for _, format := range []string{"text", "markdown", "junit", "html"} {
		t.Run("refused-"+format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Write(&b, refusedRun(t), format, Options{}))
			golden(t, "refused."+format, b.String())
		})
	}
	for _, format := range BatchFormats {
		t.Run("batch-"+format, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, WriteBatch(&b, reportBatch(t), format))
			golden(t, "batch."+format, b.String())
		})
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: go test ./grader/internal/render -update writes it")
	assert.Equal(t, string(want), got, "output differs from %s (if the change is right: go test ./grader/internal/render -update)", path)
}

func TestWriteDispatches(t *testing.T) {
	run := reportRun(t)
	direct := map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return Text(b, run, Options{}) },
		"json":     func(b *bytes.Buffer) error { return JSON(b, run) },
		"markdown": func(b *bytes.Buffer) error { return Markdown(b, run) },
		"junit":    func(b *bytes.Buffer) error { return JUnit(b, run) },
		"csv":      func(b *bytes.Buffer) error { return CSV(b, run) },
		"html":     func(b *bytes.Buffer) error { return HTML(b, run) },
	}
	require.Len(t, direct, len(Formats))
	for _, f := range Formats {
		var want, got bytes.Buffer
		require.NoError(t, direct[f](&want), f)
		require.NoError(t, Write(&got, run, f, Options{}), f)
		assert.Equal(t, want.String(), got.String(), f)
	}
	err := Write(&bytes.Buffer{}, run, "yaml", Options{})
	require.Error(t, err)
	assert.Equal(t, `unknown format "yaml": want one of text, json, markdown, junit, csv, html`, err.Error())

	batch := reportBatch(t)
	for _, f := range BatchFormats {
		var b bytes.Buffer
		require.NoError(t, WriteBatch(&b, batch, f), f)
		assert.NotEmpty(t, b.String(), f)
	}
	err = WriteBatch(&bytes.Buffer{}, batch, "junit")
	require.Error(t, err)
	assert.Equal(t, `unknown batch format "junit": want one of markdown, csv, html, json`, err.Error())
}

func TestTextSubmission(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, Text(&b, reportRun(t), Options{}))
	lines := strings.Split(b.String(), "\n")
	require.Greater(t, len(lines), 8)
	assert.Equal(t, []string{
		"microkata scorecard  go1.26.8, race detector on, 41.7s",
		"submission  c-0042-takehome.tar.gz",
		"sha256      9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		"candidate   c-0042",
		"sandbox     on (bubblewrap)",
		"warning: the manifest names katas lru, breaker; the submission also has katas/retry (ignored)",
		"warning: katas/lru: test files ignored (lru_test.go, my_test.go): the repository's own tests grade the kata",
		"",
	}, lines[:8], "the first lines name the submission")
	out := b.String()
	assert.Contains(t, out, "grpcarith    refused ", "a refused kata is a row")
	assert.Contains(t, out, "\n    not built: the submission's code for grpcarith breaks the grading policy:\n"+
		"      katas/grpcarith/server.go:7: import \"unsafe\" is never allowed\n"+
		"      katas/grpcarith/server.go:12: //go:linkname is never allowed\n", "a refused kata's notes under its row")
	assert.NotContains(t, out, "TestHiddenShutdown", "a refused kata's tests never ran: not listed")
	assert.Contains(t, out, "        read by goroutine 10:\n          race.(*Counter).Inc  katas/race/race.go:33\n", "the race summary")

	b.Reset()
	require.NoError(t, Text(&b, refusedRun(t), Options{}))
	assert.Equal(t, "microkata scorecard  go1.26.8, race detector on, 0.0s\n"+
		"submission  c.tar.gz\n"+
		"sha256      "+strings.Repeat("cd", 32)+"\n"+
		"sandbox     on (bubblewrap)\n"+
		"refused: archive entry ../../etc/cron.d/x escapes the submission folder (rule: no .. in a path)\n"+
		"not graded: no kata ran\n", b.String(), "a refused submission: its reason, no table")

	run := reportRun(t)
	run.Submission.Candidate = strings.Repeat("c", 200)
	b.Reset()
	require.NoError(t, Text(&b, run, Options{Width: 60}))
	assert.Contains(t, b.String(), "\ncandidate   "+strings.Repeat("c", 47)+"…\n", "cut at the terminal's width")
	assert.Contains(t, b.String(), "\nsha256      "+run.Submission.SHA256[:47]+"…\n")

	run.Submission.Sandbox = "off"
	b.Reset()
	require.NoError(t, Text(&b, run, Options{Color: true}))
	assert.Contains(t, b.String(), "sandbox     "+yellow+"OFF: the test binaries ran without a sandbox"+reset)
}

func TestCSVReadsBack(t *testing.T) {
	run := reportRun(t)
	var b bytes.Buffer
	require.NoError(t, CSV(&b, run))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+len(run.Katas), "a header and a row per kata")
	assert.Equal(t, []string{"kata", "status", "visible_passed", "visible_total", "hidden_passed", "hidden_total",
		"race", "leak", "ns_ratio", "allocs_ratio", "score"}, rows[0])
	byKata := map[string][]string{}
	for _, r := range rows[1:] {
		require.Len(t, r, len(rows[0]))
		byKata[r[0]] = r
	}
	assert.Equal(t, []string{"tokenbucket", "passing", "3", "3", "2", "2", "false", "false", "0.910", "1.000", "100"}, byKata["tokenbucket"])
	assert.Equal(t, []string{"breaker", "failing", "1", "2", "1", "4", "true", "false", "", "", "33"}, byKata["breaker"])
	assert.Equal(t, []string{"heartbeat", "failing", "2", "2", "1", "1", "false", "true", "", "", "99"}, byKata["heartbeat"])
	assert.Equal(t, []string{"leakybucket", "not started", "0", "2", "0", "1", "false", "false", "", "", "0"}, byKata["leakybucket"])
	assert.Equal(t, "refused", byKata["grpcarith"][1])
}

func TestBatchCSVReadsBack(t *testing.T) {
	batch := reportBatch(t)
	var b bytes.Buffer
	require.NoError(t, BatchCSV(&b, batch))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 4, "a header and a row per submission, the refused one too")
	header := append(append([]string{"candidate", "submission", "sha256"}, batch.Katas...),
		"races", "leaks", "bench_ratio", "score", "max_score", "seconds", "refused", "warnings")
	assert.Equal(t, header, rows[0])
	col := func(row []string, name string) string {
		for i, h := range header {
			if h == name {
				return row[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	a, bb, c := rows[1], rows[2], rows[3]
	assert.Equal(t, "c-0042", col(a, "candidate"))
	assert.Equal(t, "100", col(a, "tokenbucket"))
	assert.Equal(t, "33", col(a, "breaker"))
	assert.Equal(t, "not started", col(a, "leakybucket"))
	assert.Equal(t, "refused", col(a, "grpcarith"))
	assert.Equal(t, "1", col(a, "races"))
	assert.Equal(t, "1", col(a, "leaks"))
	// The geometric mean of 0.91, 1.06 and 2.64: passing katas only.
	assert.Equal(t, "1.366", col(a, "bench_ratio"))
	assert.Equal(t, "432", col(a, "score"))
	assert.Equal(t, "800", col(a, "max_score"))
	assert.Equal(t, "41.7", col(a, "seconds"))
	assert.Contains(t, col(a, "warnings"), "the manifest names katas lru, breaker")

	assert.Equal(t, `'=HYPERLINK("https://evil.example")|x`, col(bb, "candidate"), "a formula is kept text")
	assert.Equal(t, "800", col(bb, "score"))

	assert.Equal(t, "c.tar.gz", col(c, "candidate"), "no candidate id: the file name")
	assert.Equal(t, "refused", col(c, "lru"))
	assert.Equal(t, "", col(c, "score"), "a refused submission has no score")
	assert.Equal(t, "800", col(c, "max_score"))
	assert.Contains(t, col(c, "refused"), "escapes the submission folder")
}
