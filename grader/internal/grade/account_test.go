package grade

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/gotest"
	"github.com/microkata/microkata/grader/internal/overlay"
)

const pkg = "example.com/k"

// ev writes one go test -json event line for package pkg.
func ev(action, test, output string) string {
	s := `{"Action":"` + action + `","Package":"` + pkg + `"`
	if test != "" {
		s += `,"Test":"` + test + `"`
	}
	if output != "" {
		s += `,"Output":` + quote(output)
	}
	return s + "}\n"
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(s) + `"`
}

func passed(name string) string { return ev("run", name, "") + ev("pass", name, "") }

func parse(t *testing.T, stream string) *gotest.Package {
	t.Helper()
	pkgs, err := gotest.Parse(strings.NewReader(stream))
	require.NoError(t, err)
	return pkgs[pkg]
}

var three = []catalog.Test{{Name: "TestA"}, {Name: "TestB"}, {Name: "TestHiddenC", Hidden: true, Category: "boundary"}}

func okMarker() *overlay.Marker                 { return &overlay.Marker{Token: "t", Code: 0} }
func failMarker() *overlay.Marker               { return &overlay.Marker{Token: "t", Code: 1} }
func noResult() *gotest.Result                  { return &gotest.Result{} }
func outcomeOf(a *accounting, n string) outcome { return *a.tests[n] }

func TestAccountAllPass(t *testing.T) {
	p := parse(t, passed("TestA")+passed("TestB")+passed("TestHiddenC")+ev("pass", "", ""))
	a := account(three, p, noResult(), okMarker(), 1)
	for _, tc := range three {
		assert.True(t, a.tests[tc.Name].passed, tc.Name)
	}
	assert.False(t, a.race || a.leak || a.buildFailed)
}

func TestAccountNoMarkerTrustsNoPass(t *testing.T) {
	// Every test claims to pass, but the binary never completed: the passes
	// may be forged (\x16 framing) or the binary exited early.
	p := parse(t, passed("TestA")+passed("TestB")+passed("TestHiddenC")+ev("pass", "", ""))
	a := account(three, p, noResult(), nil, 1)
	for _, tc := range three {
		o := outcomeOf(a, tc.Name)
		assert.False(t, o.passed, tc.Name)
		assert.True(t, o.needRerun, tc.Name)
	}
}

func TestAccountMarkerMustAgreeWithEvents(t *testing.T) {
	// m.Run returned 1, yet every test reports a pass: forged passes.
	p := parse(t, passed("TestA")+passed("TestB")+passed("TestHiddenC"))
	a := account(three, p, noResult(), failMarker(), 1)
	assert.False(t, a.tests["TestA"].passed)
	assert.True(t, a.tests["TestA"].needRerun)
	assert.Contains(t, strings.Join(a.notes, "\n"), "disagrees")
}

func TestAccountDuplicateEventsAreNotAPass(t *testing.T) {
	// A fake "=== RUN"/"--- PASS" pair printed by the code under test adds
	// a second run and pass to the real ones.
	p := parse(t, passed("TestA")+passed("TestA")+passed("TestB")+passed("TestHiddenC"))
	a := account(three, p, noResult(), okMarker(), 1)
	assert.False(t, a.tests["TestA"].passed)
	assert.Contains(t, a.tests["TestA"].reason, "inconsistent events")
	assert.True(t, a.tests["TestB"].passed)
}

func TestAccountFailBeatsPass(t *testing.T) {
	p := parse(t, ev("run", "TestA", "")+ev("pass", "TestA", "")+ev("fail", "TestA", "")+passed("TestB")+passed("TestHiddenC"))
	a := account(three, p, noResult(), failMarker(), 1)
	assert.False(t, a.tests["TestA"].passed)
	assert.False(t, a.tests["TestA"].needRerun)
}

func TestAccountCount(t *testing.T) {
	p := parse(t, strings.Repeat(passed("TestA")+passed("TestB")+passed("TestHiddenC"), 3))
	assert.True(t, account(three, p, noResult(), okMarker(), 3).tests["TestA"].passed)
	assert.False(t, account(three, p, noResult(), okMarker(), 1).tests["TestA"].passed)
}

func TestAccountCulprits(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		res          *gotest.Result
		want         string
	}{
		{"panic in a goroutine", "panic: worker died\n\ngoroutine 7 [running]:\n", noResult(), "crashed during this test: panic: worker died"},
		{"timeout", "panic: test timed out after 5s\n\trunning tests:\n", noResult(), "timed out: test timed out after 5s"},
		{"watchdog", "panic: katatest: watchdog: TestB still running after 10s of real time: a lock held across a sleep\n", noResult(), "katatest: watchdog: TestB still running"},
		{"fatal error", "fatal error: all goroutines are asleep - deadlock!\n", noResult(), "fatal error: all goroutines are asleep"},
		{"os.Exit", "", noResult(), "exited during this test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parse(t, passed("TestA")+ev("run", "TestB", "")+ev("output", "TestB", tc.output))
			a := account(three, p, tc.res, nil, 1)
			b := a.tests["TestB"]
			assert.False(t, b.passed)
			assert.False(t, b.needRerun, "the test the binary died in is not re-run")
			assert.Contains(t, b.reason, tc.want)
			assert.True(t, a.tests["TestA"].needRerun, "a pass from a binary that died is checked again")
			assert.True(t, a.tests["TestHiddenC"].needRerun, "a test that never ran is re-run")
			assert.Contains(t, a.tests["TestHiddenC"].reason, "did not run")
			assert.True(t, a.ranAny)
		})
	}
}

func TestAccountBuildFailure(t *testing.T) {
	p := parse(t, `{"ImportPath":"example.com/k [example.com/k.test]","Action":"build-output","Output":"./k.go:1: bad\n"}
{"ImportPath":"example.com/k [example.com/k.test]","Action":"build-fail"}
{"Action":"fail","Package":"example.com/k","FailedBuild":"example.com/k [example.com/k.test]"}
`)
	a := account(three, p, noResult(), nil, 1)
	assert.True(t, a.buildFailed)
	assert.Equal(t, []string{"./k.go:1: bad"}, a.buildOutput)
	for _, tc := range three {
		assert.False(t, a.tests[tc.Name].passed)
		assert.False(t, a.tests[tc.Name].needRerun)
		assert.Contains(t, a.tests[tc.Name].reason, "did not compile")
	}
}

func TestAccountNoPackage(t *testing.T) {
	a := account(three, nil, &gotest.Result{Stderr: "go: -race requires cgo\n"}, nil, 1)
	assert.True(t, a.buildFailed)
	assert.Contains(t, a.tests["TestA"].reason, "-race requires cgo")
}

func TestAccountExitBeforeTests(t *testing.T) {
	p := parse(t, ev("start", "", "")+ev("pass", "", ""))
	a := account(three, p, noResult(), nil, 1)
	assert.False(t, a.ranAny, "no re-run when nothing ran: the binary exits before any test")
	assert.Contains(t, a.tests["TestA"].reason, "before running any test")
}

func TestAccountRaceLeakAndStub(t *testing.T) {
	p := parse(t, ev("run", "TestA", "")+ev("output", "TestA", "==================\nWARNING: DATA RACE\nWrite at 0x00c\n")+
		ev("output", "TestA", "    testing.go:1712: race detected during execution of test\n")+ev("fail", "TestA", "")+
		ev("run", "TestB", "")+ev("output", "TestB", "panic: not implemented [recovered, repanicked]\n")+ev("fail", "TestB", ""))
	a := account(three, p, noResult(), &overlay.Marker{Token: "t", Code: 1, Leak: "found unexpected goroutines:\n[Goroutine 9 in state chan receive]"}, 1)
	assert.True(t, a.race)
	assert.True(t, a.leak)
	assert.True(t, a.notImplemented)
	assert.Equal(t, "data race detected during the test", a.tests["TestA"].reason)
	assert.Equal(t, "panicked: not implemented", a.tests["TestB"].reason)
}

func TestAssertionMessages(t *testing.T) {
	for _, tc := range []struct{ name, out, want string }{
		{"t.Errorf", "=== RUN   TestA\n    a_test.go:12: Add(2, 3) = -1, want 5\n--- FAIL: TestA (0.00s)\n", "Add(2, 3) = -1, want 5"},
		{"testify", "=== RUN   TestA\n    a_test.go:12: \n        \tError Trace:\t/x/a_test.go:12\n        \tError:      \tNot equal: \n        \t            \texpected: 5\n        \t            \tactual  : -1\n        \tTest:       \tTestA\n        \tMessages:   \tAdd(2, 3)\n", "Add(2, 3): Not equal: expected: 5 actual  : -1"},
		{"testify without messages", "    a_test.go:9: \n        \tError Trace:\t/x/a_test.go:9\n        \tError:      \tShould be true\n        \tTest:       \tTestA\n", "Should be true"},
		{"nothing", "=== RUN   TestA\n--- FAIL: TestA (0.00s)\n", ""},
		{"require.NoError", "    a_test.go:7: \n        \tError Trace:\t/x/a_test.go:7\n        \tError:      \tReceived unexpected error:\n        \t            \topen /nope: no such file or directory\n        \t            \tsecond line\n        \tTest:       \tTestA\n        \tMessages:   \tload config\n",
			"load config: Received unexpected error: open /nope: no such file or directory"},
		// The output of a real run: a goleak report through require.NoError.
		{"require.NoError of a goleak report", "    zz_hidden_test.go:613: \n        \tError Trace:\t/tmp/sc/katas/rpcarith/zz_hidden_test.go:613\n        \tError:      \tReceived unexpected error:\n        \t            \tfound unexpected goroutines:\n        \t            \t[Goroutine 10 in state chan receive, with github.com/microkata/microkata/katas/rpcarith.Serve.func1 on top of the stack:\n        \t            \tgithub.com/microkata/microkata/katas/rpcarith.Serve.func1()\n        \t            \t\t/tmp/sc/katas/rpcarith/rpcarith.go:121 +0x35\n        \t            \tcreated by github.com/microkata/microkata/katas/rpcarith.Serve in goroutine 9\n        \t            \t\t/tmp/sc/katas/rpcarith/rpcarith.go:120 +0xae\n        \t            \t]\n        \tTest:       \tTestHiddenServeAcceptError\n        \tMessages:   \tgoroutines Serve started are still running after it returned\n",
			"goroutines Serve started are still running after it returned: Received unexpected error: 1 goroutine: blocked in rpcarith.Serve.func1 [chan receive], started by rpcarith.Serve"},
		{"messages belong to their own assertion", "    a_test.go:438: \n        \tError Trace:\t/x/a_test.go:438\n        \tError:      \tExpected error with \"context deadline exceeded\" in chain but got nil.\n        \tTest:       \tTestA\n    a_test.go:439: \n        \tError Trace:\t/x/a_test.go:439\n        \tError:      \tNot equal: \n        \tMessages:   \tWait returned after\n", `Expected error with "context deadline exceeded" in chain but got nil.`},
		// A real assert.NotPanics failure: the panic value, not the function's address.
		{"assert.NotPanics", "    np_test.go:3: \n        \tError Trace:\t/x/np_test.go:3\n        \tError:      \tfunc (assert.PanicTestFunc)(0x59e760) should not panic\n        \t            \t\tPanic value:\tindex out of range [3] with length 3\n        \t            \t\tPanic stack:\tgoroutine 21 [running]:\n        \t            \truntime/debug.Stack()\n        \t            \t\t/usr/local/go/src/runtime/debug/stack.go:26 +0x5e\n        \t            \tgithub.com/stretchr/testify/assert.didPanic.func1()\n        \t            \t\t/mod/github.com/stretchr/testify@v1.12.1/assert/assertions.go:1287 +0x67\n        \t            \tpanic({0x6040a0?, 0x66d870?})\n        \t            \t\t/usr/local/go/src/runtime/panic.go:860 +0x13a\n        \t            \tnp.TestX.func1()\n        \t            \t\t/x/np_test.go:3 +0x25\n        \t            \tgithub.com/stretchr/testify/assert.didPanic(0x8559e0?)\n        \t            \t\t/mod/github.com/stretchr/testify@v1.12.1/assert/assertions.go:1292 +0x70\n        \t            \tgithub.com/stretchr/testify/assert.NotPanics({0x66ed60, 0xf16eb9a4908}, 0x66b870, {0xf16eb939750, 0x1, 0x1})\n        \t            \t\t/mod/github.com/stretchr/testify@v1.12.1/assert/assertions.go:1369 +0x7e\n        \t            \tnp.TestX(0xf16eb9a4908?)\n        \t            \t\t/x/np_test.go:3 +0x49\n        \t            \ttesting.tRunner(0xf16eb9a4908, 0x66b7c8)\n        \t            \t\t/usr/local/go/src/testing/testing.go:2036 +0xea\n        \t            \tcreated by testing.(*T).Run in goroutine 1\n        \t            \t\t/usr/local/go/src/testing/testing.go:2101 +0x4c5\n        \tTest:       \tTestX\n        \tMessages:   \tResize(3)\n",
			"Resize(3): panicked: index out of range [3] with length 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, assertion(tc.out))
		})
	}
}

// An assertion before a panic (a synctest deadlock after a failed require,
// say) comes first: it is what the learner must fix.
func TestFailureMessageAssertionBeforePanic(t *testing.T) {
	out := "    a_test.go:12: \n        \tError Trace:\t/x/a_test.go:12\n        \tError:      \tNot equal: \n        \t            \texpected: 5\n        \t            \tactual  : -1\n        \tMessages:   \tTake() at +1s\n" +
		"panic: deadlock: main bubble goroutine has exited but blocked goroutines remain [recovered]\n"
	p := parse(t, ev("run", "TestA", "")+ev("output", "TestA", out)+ev("fail", "TestA", ""))
	got := failureMessage(p.TopLevel("TestA"), p)
	assert.Equal(t, "Take() at +1s: Not equal: expected: 5 actual  : -1; then panicked: deadlock: main bubble goroutine has exited but blocked goroutines remain", got)
}

func TestFailureMessageNamesSubtest(t *testing.T) {
	p := parse(t, ev("run", "TestA", "")+ev("run", "TestA/burst_zero", "")+
		ev("output", "TestA/burst_zero", "    a_test.go:30: Allow() = true, want false\n")+
		ev("fail", "TestA/burst_zero", "")+ev("fail", "TestA", ""))
	assert.Equal(t, "burst_zero: Allow() = true, want false", failureMessage(p.TopLevel("TestA"), p))
}

func TestAccountRunCutForAnotherPackage(t *testing.T) {
	p := parse(t, passed("TestA")+ev("run", "TestB", ""))
	a := account(three, p, &gotest.Result{Killed: "the output of example.com/other passed the cap of 10 bytes"}, nil, 1)
	assert.True(t, a.tests["TestB"].needRerun, "a test cut short for another package's output is re-run")
	assert.Contains(t, a.tests["TestB"].reason, "the run was cut")

	a = account(three, p, &gotest.Result{Killed: "the grader's deadline ran out"}, nil, 1)
	assert.Contains(t, a.tests["TestB"].reason, "the grader's deadline ran out")
	assert.False(t, a.tests["TestB"].passed)
}

func TestAccountTerminalWithoutRunIsNotARun(t *testing.T) {
	p := parse(t, passed("TestA")+ev("pass", "TestB", "")+passed("TestHiddenC"))
	a := account(three, p, noResult(), okMarker(), 1)
	assert.False(t, a.tests["TestB"].passed)
	assert.True(t, a.tests["TestB"].needRerun)
}

func TestAccountCulpritPanicInSubtest(t *testing.T) {
	p := parse(t, passed("TestA")+ev("run", "TestB", "")+ev("run", "TestB/sub", "")+
		ev("output", "TestB/sub", "panic: katatest: watchdog: TestB still running after 10s of real time: x\n"))
	a := account(three, p, noResult(), nil, 1)
	assert.Contains(t, a.tests["TestB"].reason, "katatest: watchdog: TestB still running")
}

// TestBubbleLeak: a synctest deadlock is explained by the bubble's blocked
// goroutines, the code under test first; other panics get nothing.
func TestBubbleLeak(t *testing.T) {
	dump := "\n\ngoroutine 6 [running]:\ntesting.tRunner.func1()\n\t/go/testing.go:1 +0x1\n" +
		"\ngoroutine 7 [chan receive (durable), synctest bubble 1]:\nexample.com/k_test.TestX.func1()\n\t/x_test.go:1 +0x1\ncreated by testing/synctest.testingSynctestTest in goroutine 6\n\t/go/synctest.go:2 +0x2\n" +
		"\ngoroutine 8 [select (durable), synctest bubble 1]:\nexample.com/k_test.(*pipeListener).Accept(0x1)\n\t/x_test.go:3 +0x3\nexample.com/k.Serve(...)\n\t/k.go:4\ncreated by example.com/k_test.TestX.func1 in goroutine 7\n\t/x_test.go:5 +0x5\n"
	want := "; 2 goroutines: blocked in k_test.(*pipeListener).Accept [select] called from k.Serve, started by k_test.TestX.func1 (a listener that is never closed?); " +
		"blocked in k_test.TestX.func1 [chan receive], started by synctest.testingSynctestTest"
	for _, panicLine := range []string{
		"panic: deadlock: all goroutines in bubble are blocked",
		"panic: deadlock: main bubble goroutine has exited but blocked goroutines remain",
	} {
		assert.Equal(t, want, bubbleLeak(panicLine+dump), panicLine)
	}
	assert.Empty(t, bubbleLeak("panic: boom"+dump))
}

// A package that reported nothing because the grader cut the run for
// another package's sake is run again, not failed as a build failure.
func TestAccountCutBeforeThePackageRan(t *testing.T) {
	a := account(three, nil, &gotest.Result{Killed: "the output of example.com/other passed the cap of 10 bytes"}, nil, 1)
	assert.False(t, a.buildFailed)
	assert.True(t, a.cut)
	for _, n := range []string{"TestA", "TestB", "TestHiddenC"} {
		assert.True(t, a.tests[n].needRerun, n)
		assert.Contains(t, a.tests[n].reason, "the run was cut", n)
	}
}

// The memory limit kills one test binary; its running test says so.
func TestAccountMemoryKill(t *testing.T) {
	p := parse(t, ev("run", "TestA", "")+ev("pass", "TestA", "")+ev("run", "TestB", ""))
	p.ImportPath = "example.com/katas/slidingwindow"
	res := &gotest.Result{MemoryKilled: map[string]string{"slidingwindow.t": "killed: slidingwindow.t used more than 256 MiB of memory, the limit"}}
	a := account(three, p, res, nil, 1)
	assert.Equal(t, "the test binary was killed: slidingwindow.t used more than 256 MiB of memory, the limit during this test", a.tests["TestB"].reason)
}
