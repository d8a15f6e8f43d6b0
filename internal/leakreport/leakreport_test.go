package leakreport

import (
	"net"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// acceptLoop is a server loop whose listener nobody closes: the leak the
// summary must explain.
func acceptLoop(l net.Listener, accepted chan<- net.Conn) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		accepted <- c
	}
}

// readConn blocks reading a connection nobody closes.
func readConn(c net.Conn) {
	var b [1]byte
	_, _ = c.Read(b[:])
}

// TestSummaryOfLiveGoleakReport leaks a real accept loop and a real reader,
// asks goleak for its report, and checks the summary names the wait, the
// function of ours that called it, and the likely cause.
func TestSummaryOfLiveGoleakReport(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	accepted := make(chan net.Conn, 1)
	go acceptLoop(l, accepted)
	client, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	server := <-accepted
	go readConn(server)

	report := goleak.Find(ignore)
	require.Error(t, report)

	// Clean up before asserting, so a failed assertion leaks nothing.
	require.NoError(t, client.Close())
	require.NoError(t, l.Close())
	require.NoError(t, goleak.Find(ignore))

	gs := Parse(report.Error())
	require.Len(t, gs, 2, "report:\n%v", report)
	byCaller := map[string]Goroutine{}
	for _, g := range gs {
		assert.Equal(t, "IO wait", g.State)
		assert.NotEmpty(t, g.Frames)
		byCaller[g.CreatedBy] = g
	}
	acc := Summary(t, gs, "acceptLoop")
	assert.Contains(t, acc, "blocked in net.(*TCPListener).Accept [IO wait] called from leakreport.acceptLoop")
	assert.Contains(t, acc, "(a listener that is never closed?)")
	rd := Summary(t, gs, "readConn")
	assert.Contains(t, rd, "blocked in net.(*conn).Read [IO wait] called from leakreport.readConn")
	assert.Contains(t, rd, "started by leakreport.TestSummaryOfLiveGoleakReport")
	assert.Contains(t, rd, "(a connection that is never closed?)")

	all := Summarize(gs, 1)
	assert.True(t, strings.HasPrefix(all, "2 goroutines: blocked in "), all)
	assert.True(t, strings.HasSuffix(all, "; and 1 more"), all)
}

// Summary returns the summary of the goroutine whose frames include fn.
func Summary(t *testing.T, gs []Goroutine, fn string) string {
	t.Helper()
	for _, g := range gs {
		for _, f := range g.Frames {
			if strings.HasSuffix(f, "."+fn) {
				return g.Summary()
			}
		}
	}
	t.Fatalf("no goroutine runs %s in %+v", fn, gs)
	return ""
}

// TestParseRuntimeDump reads the runtime's own format, from runtime.Stack.
func TestParseRuntimeDump(t *testing.T) {
	block := make(chan struct{})
	started := make(chan struct{})
	go func() {
		close(started)
		<-block
	}()
	<-started
	buf := make([]byte, 1<<20)
	dump := string(buf[:runtime.Stack(buf, true)])
	close(block)

	gs := Parse(dump)
	require.NotEmpty(t, gs)
	found := false
	for _, g := range gs {
		if g.State == "chan receive" && g.CreatedBy == "github.com/microkata/microkata/internal/leakreport.TestParseRuntimeDump" {
			found = true
			assert.Equal(t, "blocked in leakreport.TestParseRuntimeDump.func1 [chan receive], started by leakreport.TestParseRuntimeDump", g.Summary())
		}
	}
	assert.True(t, found, "the blocked goroutine is not in %+v", gs)
}

// TestParseSynctestDeadlock reads the dump a synctest deadlock panic printed
// (captured from a real run): the panicking goroutine is outside the bubble,
// the leaked pipe reader inside it.
func TestParseSynctestDeadlock(t *testing.T) {
	data, err := os.ReadFile("testdata/synctest_deadlock.txt")
	require.NoError(t, err)
	gs := Parse(string(data))
	require.Len(t, gs, 2)
	assert.False(t, gs[0].InBubble)
	assert.Equal(t, "running", gs[0].State)
	assert.True(t, gs[1].InBubble)
	assert.Equal(t, "select", gs[1].State)
	assert.Equal(t, []string{"net.(*pipe).read", "net.(*pipe).Read", "example.com/kata/pipeleak.TestSync.func1.1"}, gs[1].Frames)
	assert.Equal(t, "blocked in net.(*pipe).Read [select] called from pipeleak.TestSync.func1.1, started by pipeleak.TestSync.func1 (a connection that is never closed?)", gs[1].Summary())
}

func TestSummarizeEmptyAndOne(t *testing.T) {
	assert.Equal(t, "", Summarize(nil, 3))
	assert.Equal(t, "", Summarize(Parse("no goroutines here\n"), 3))
	one := []Goroutine{{ID: 7, State: "select (no cases)", Frames: []string{"example.com/k.Add.func1"}, CreatedBy: "example.com/k.Add"}}
	assert.Equal(t, "1 goroutine: blocked in k.Add.func1 [select (no cases)], started by k.Add", Summarize(one, 3))
}

// TestSummarizeGroupsAndCuts: identical goroutines are one clause with a
// count; clauses past max are counted, in goroutines.
func TestSummarizeGroupsAndCuts(t *testing.T) {
	g := func(fn string) Goroutine {
		return Goroutine{State: "select", Frames: []string{"example.com/k." + fn}}
	}
	gs := []Goroutine{g("a"), g("b"), g("a"), g("c"), g("c"), g("d")}
	assert.Equal(t, "6 goroutines: 2× blocked in k.a [select]; blocked in k.b [select]; and 3 more", Summarize(gs, 2))
	assert.Equal(t, "6 goroutines: 2× blocked in k.a [select]; blocked in k.b [select]; 2× blocked in k.c [select]; blocked in k.d [select]", Summarize(gs, 4))
}

func TestFuncName(t *testing.T) {
	for in, want := range map[string]string{
		"net.(*TCPListener).Accept(0xc000)":                    "net.(*TCPListener).Accept",
		"internal/poll.(*pollDesc).waitRead(...)":              "internal/poll.(*pollDesc).waitRead",
		"example.com/k.f({0x1, 0x2}, 0x3)":                     "example.com/k.f",
		"example.com/k.TestX.func1()":                          "example.com/k.TestX.func1",
		"example.com/k.(*S).m-fm":                              "example.com/k.(*S).m-fm",
		"github.com/a/b.(*T[...]).M(0x1)":                      "github.com/a/b.(*T[...]).M",
		"google.golang.org/grpc.(*Server).Serve(0xc0, {0, 0})": "google.golang.org/grpc.(*Server).Serve",
	} {
		assert.Equal(t, want, FuncName(in), in)
	}
}

// TestSummaryNamesCodeUnderTest: a goroutine waiting in a test's fake
// listener is named by the code under test that called it.
func TestSummaryNamesCodeUnderTest(t *testing.T) {
	g := Goroutine{State: "select", Frames: []string{
		"github.com/m/katas/rpcarith_test.(*pipeListener).Accept",
		"net/rpc.(*Server).Accept",
		"github.com/m/katas/rpcarith.Serve.func2",
	}, CreatedBy: "github.com/m/katas/rpcarith.Serve"}
	assert.Equal(t, "blocked in rpcarith_test.(*pipeListener).Accept [select] called from rpcarith.Serve.func2, started by rpcarith.Serve (a listener that is never closed?)", g.Summary())

	onlyTest := Goroutine{State: "chan receive", Frames: []string{"example.com/k_test.TestX.func1"}}
	assert.Equal(t, "blocked in k_test.TestX.func1 [chan receive]", onlyTest.Summary())
}

func TestByBlame(t *testing.T) {
	machinery := Goroutine{ID: 1, Frames: []string{"testing/synctest.testingSynctestTest"}, CreatedBy: "testing/synctest.Test"}
	testOnly := Goroutine{ID: 2, Frames: []string{"example.com/k_test.TestX.func1"}, CreatedBy: "testing/synctest.testingSynctestTest"}
	under := Goroutine{ID: 3, Frames: []string{"net.(*pipe).Read", "example.com/k.Serve"}}
	startedByUnder := Goroutine{ID: 4, Frames: []string{"net.(*pipe).Read"}, CreatedBy: "example.com/k.Serve"}
	ids := func(gs []Goroutine) []int {
		var out []int
		for _, g := range gs {
			out = append(out, g.ID)
		}
		return out
	}
	assert.Equal(t, []int{3, 4, 2}, ids(ByBlame([]Goroutine{machinery, testOnly, under, startedByUnder})))
	assert.Equal(t, []int{1}, ids(ByBlame([]Goroutine{machinery})))
	assert.Empty(t, ByBlame(nil))
}

func TestIsTest(t *testing.T) {
	for fn, want := range map[string]bool{
		"github.com/m/katas/rpcarith_test.(*pipeListener).Accept": true,
		"github.com/m/katas/rpcarith.Serve.func2":                 false,
		"k_test.TestX":                         true,
		"net.(*conn).Read":                     false,
		"github.com/m/katas/x.(*T).test_thing": false,
	} {
		assert.Equal(t, want, IsTest(fn), fn)
	}
}

func TestIsStd(t *testing.T) {
	for fn, want := range map[string]bool{
		"net.(*conn).Read":                       true,
		"internal/poll.runtime_pollWait":         true,
		"testing.tRunner":                        true,
		"google.golang.org/grpc.(*Server).Serve": false,
		"github.com/microkata/microkata/katas/rpcarith.(*Server).Serve": false,
		"example.com/k.f": false,
	} {
		assert.Equal(t, want, IsStd(fn), fn)
	}
}
