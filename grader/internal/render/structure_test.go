package render

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"

	"github.com/microkata/microkata/grader/internal/result"
)

// parseHTML parses an HTML report back with the HTML5 parser browsers use.
func parseHTML(t *testing.T, page string) *html.Node {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	require.NoError(t, err)
	return doc
}

// elements returns every element of doc, in document order.
func elements(doc *html.Node) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode {
			out = append(out, n)
		}
	}
	return out
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// checkSelfContained fails if the page could load or run anything: a
// script, a stylesheet or icon link, an embedded object, an attribute that
// names a resource (other than a fragment of the page), an event handler,
// or CSS that imports or fetches.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	for _, n := range elements(doc) {
		switch n.Data {
		case "script", "link", "iframe", "object", "embed", "img", "image", "use", "base", "form", "audio", "video", "source", "foreignObject":
			t.Errorf("element <%s> in a self-contained report", n.Data)
		}
		for _, a := range n.Attr {
			key := strings.ToLower(a.Key)
			switch {
			case strings.HasPrefix(key, "on"):
				t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
			case key == "href" || key == "xlink:href":
				assert.True(t, strings.HasPrefix(a.Val, "#"), "<%s href=%q>: only fragments of the page", n.Data, a.Val)
			case key == "src" || key == "srcset" || key == "action" || key == "formaction" || key == "poster" || key == "data" || key == "background":
				t.Errorf("<%s %s=%q>: a resource", n.Data, a.Key, a.Val)
			case key == "style":
				assert.NotContains(t, a.Val, "url(", "<%s style>", n.Data)
			}
		}
		if n.Data == "style" {
			css := textOf(n)
			assert.NotContains(t, css, "url(", "CSS that fetches")
			assert.NotContains(t, css, "@import", "CSS that imports")
			assert.NotContains(t, css, "@font-face", "a web font")
		}
		if n.Data == "meta" {
			if v, _ := attr(n, "http-equiv"); strings.EqualFold(v, "refresh") {
				t.Errorf("a meta refresh")
			}
		}
	}
}

func TestHTMLReport(t *testing.T) {
	run := reportRun(t)
	var b bytes.Buffer
	require.NoError(t, HTML(&b, run))
	doc := parseHTML(t, b.String())
	checkSelfContained(t, doc)

	byID := map[string]*html.Node{}
	var svgs, tables []*html.Node
	for _, n := range elements(doc) {
		if id, ok := attr(n, "id"); ok {
			assert.NotContains(t, byID, id, "ids are unique")
			byID[id] = n
		}
		switch n.Data {
		case "svg":
			svgs = append(svgs, n)
		case "table":
			tables = append(tables, n)
		}
	}

	// One section per kata, in order, and the summary table links to each.
	var sections []string
	for _, n := range elements(doc) {
		if id, ok := attr(n, "id"); ok && n.Data == "section" && strings.HasPrefix(id, "kata-") {
			sections = append(sections, strings.TrimPrefix(id, "kata-"))
		}
	}
	var names []string
	for _, k := range run.Katas {
		names = append(names, k.Name)
	}
	assert.Equal(t, names, sections, "a <section id=kata-NAME> per kata")

	// The scorecard: a row per kata and a total.
	score := byID["scorecard"]
	require.NotNil(t, score, "the scorecard section")
	var rows [][]string
	for n := range score.Descendants() {
		if n.Type == html.ElementNode && n.Data == "tr" {
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					cells = append(cells, textOf(c))
				}
			}
			rows = append(rows, cells)
		}
	}
	require.Len(t, rows, 1+len(run.Katas)+1, "header, a row per kata, total")
	assert.Equal(t, []string{"Kata", "Status", "Visible", "Hidden", "Race", "Leak", "Bench ns/allocs", "Score"}, rows[0])
	assert.Equal(t, []string{"breaker", "failing", "1/2", "1/4", "yes", "-", "-", "33"}, rows[4])
	assert.Equal(t, []string{"Total", "3/8 passing", "9/16", "6/12", "", "", "", "432/800"}, rows[len(rows)-1])
	for n := range score.Descendants() {
		if href, ok := attr(n, "href"); ok {
			assert.Contains(t, byID, strings.TrimPrefix(href, "#"), "a link to a section that exists")
		}
	}

	// The chart: one bar per passing kata with a ratio, and the 1.0x line.
	require.Len(t, svgs, 1)
	var bars []string
	oneX, oneTick := "", ""
	var ticks []string
	for n := range svgs[0].Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		class, _ := attr(n, "class")
		switch {
		case n.Data == "rect":
			bars = append(bars, class)
		case n.Data == "line" && class == "one":
			oneX, _ = attr(n, "x1")
		case n.Data == "text" && strings.HasSuffix(textOf(n), "x") && n.Parent.Data == "svg":
			ticks = append(ticks, textOf(n))
			if textOf(n) == "1x" {
				oneTick, _ = attr(n, "x")
			}
		}
	}
	assert.Equal(t, oneTick, oneX, "the 1.0x line stands at the 1x tick")
	assert.Equal(t, []string{"faster", "even", "noisy"}, bars, "tokenbucket, lru, roundrobin")
	assert.NotEmpty(t, oneX, "a line at 1.0x")
	assert.Contains(t, ticks, "1x")
	assert.Contains(t, textOf(svgs[0]), "tokenbucket: 0.910x the reference's ns/op (95% interval 0.880–0.950, 3 rounds)")

	// The failing kata's section: its failing tests with their category and
	// message, the race summary, its notes.
	breaker := byID["kata-breaker"]
	require.NotNil(t, breaker)
	text := textOf(breaker)
	for _, want := range []string{
		"TestOpenAfterThreshold", "visible", "state = Closed, want Open",
		"TestHiddenCountsUnderRace", "hidden: concurrency", "read by goroutine 10:\n  race.(*Counter).Inc  katas/race/race.go:33",
		"hidden: behaviour", "katas/breaker/breaker_test.go was edited",
	} {
		assert.Contains(t, text, want)
	}
	assert.NotContains(t, text, "TestClosedCountsFailures", "passing tests are not listed")
	assert.Contains(t, textOf(byID["kata-rpcarith"]), "katas/rpcarith/rpcarith.go:41:9: undefined: ctx")
	assert.Contains(t, textOf(byID["kata-grpcarith"]), `import "unsafe" is never allowed`)
	assert.Contains(t, textOf(byID["kata-heartbeat"]), "a leak")

	// The hostile message is text, whole (its control character shown
	// escaped), and nothing of it became an element.
	assert.Contains(t, text, strings.ReplaceAll(hostile, "\x16", `\x16`))
	for _, n := range elements(doc) {
		assert.NotEqual(t, "script", n.Data)
		if n.Data == "a" {
			href, _ := attr(n, "href")
			assert.NotContains(t, href, "evil")
		}
	}
	assert.GreaterOrEqual(t, len(tables), 3, "the scorecard, a failing kata's tests, a benchmark table")

	header := textOf(doc)
	for _, want := range []string{"c-0042-takehome.tar.gz", run.Submission.SHA256, "c-0042", "on (bubblewrap)", "go1.26.8, race detector on", "41.7s",
		"Warning: the manifest names katas lru, breaker"} {
		assert.Contains(t, header, want)
	}
}

func TestHTMLRefusedAndBatch(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, HTML(&b, refusedRun(t)))
	doc := parseHTML(t, b.String())
	checkSelfContained(t, doc)
	assert.Contains(t, textOf(doc), "Refused: archive entry ../../etc/cron.d/x escapes the submission folder")
	for _, n := range elements(doc) {
		assert.NotEqual(t, "table", n.Data, "no table: no kata ran")
	}

	b.Reset()
	batch := reportBatch(t)
	require.NoError(t, BatchHTML(&b, batch))
	doc = parseHTML(t, b.String())
	checkSelfContained(t, doc)
	var rows [][]string
	for _, n := range elements(doc) {
		if n.Data == "tr" {
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					cells = append(cells, textOf(c))
				}
			}
			rows = append(rows, cells)
		}
	}
	require.Len(t, rows, 4, "a header and a row per submission")
	width := len(rows[0])
	assert.Equal(t, 2+len(batch.Katas)+6, width)
	for _, r := range rows {
		assert.Len(t, r, width)
	}
	assert.Equal(t, []string{"c-0042", "c-0042-takehome.tar.gz", "100", "100", "100", "33", "99", "not started", "0", "refused", "1", "1", "1.37x", "432/800", "41.7s"}, rows[1][:width-1])
	assert.Equal(t, `=HYPERLINK("https://evil.example")|x`, rows[2][0], "text, as it was")
	assert.Equal(t, "c.tar.gz", rows[3][0])
	assert.Equal(t, "refused", rows[3][2])
	assert.Equal(t, "refused: archive entry ../../etc/cron.d/x escapes the submission folder (rule: no .. in a path)", rows[3][width-1])
}

// The JUnit schema as CI tools read it (Jenkins' junit plugin schema,
// GitLab's parser): only what the report must have, to read it back.
type (
	jSuites struct {
		XMLName  xml.Name `xml:"testsuites"`
		Name     *string  `xml:"name,attr"`
		Tests    *int     `xml:"tests,attr"`
		Failures *int     `xml:"failures,attr"`
		Errors   *int     `xml:"errors,attr"`
		Skipped  *int     `xml:"skipped,attr"`
		Time     *string  `xml:"time,attr"`
		Suites   []jSuite `xml:"testsuite"`
		Any      []jAny   `xml:",any"`
	}
	jSuite struct {
		Name       *string `xml:"name,attr"`
		Tests      *int    `xml:"tests,attr"`
		Failures   *int    `xml:"failures,attr"`
		Errors     *int    `xml:"errors,attr"`
		Skipped    *int    `xml:"skipped,attr"`
		Time       *string `xml:"time,attr"`
		Timestamp  *string `xml:"timestamp,attr"`
		Properties []struct {
			Name  *string `xml:"name,attr"`
			Value *string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases     []jCase `xml:"testcase"`
		SystemOut *string `xml:"system-out"`
		SystemErr *string `xml:"system-err"`
		Any       []jAny  `xml:",any"`
	}
	jCase struct {
		Classname *string   `xml:"classname,attr"`
		Name      *string   `xml:"name,attr"`
		Time      *string   `xml:"time,attr"`
		Failure   []jResult `xml:"failure"`
		Error     []jResult `xml:"error"`
		Skipped   []jResult `xml:"skipped"`
		Any       []jAny    `xml:",any"`
	}
	jResult struct {
		Message *string `xml:"message,attr"`
		Type    *string `xml:"type,attr"`
		Text    string  `xml:",chardata"`
	}
	// jAny catches an element the schema does not have.
	jAny struct {
		XMLName xml.Name
	}
)

var (
	xsdDecimal  = regexp.MustCompile(`^\d+(\.\d+)?$`)
	xsdDateTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$`) // the schema's timestamp has no zone
)

// junitSchema is what Jenkins' schema (junit-10.xsd, which its xunit and
// junit plugins read; GitLab and GitHub's reporters read less) allows: for
// each element, its children and its attributes.
var junitSchema = map[string]struct{ children, attrs []string }{
	"":           {[]string{"testsuites"}, nil},
	"testsuites": {[]string{"testsuite"}, []string{"name", "time", "tests", "failures", "disabled", "errors"}},
	"testsuite": {[]string{"testsuite", "properties", "testcase", "system-out", "system-err"},
		[]string{"name", "tests", "failures", "errors", "time", "disabled", "skipped", "skips", "timestamp", "hostname", "id",
			"package", "assertions", "file", "skip", "log", "url"}},
	"properties": {[]string{"property"}, nil},
	"property":   {nil, []string{"name", "value"}},
	"testcase": {[]string{"skipped", "error", "failure", "system-out", "system-err"},
		[]string{"name", "assertions", "time", "timestamp", "classname", "status", "class", "file", "line", "log", "group", "url"}},
	"failure":    {nil, []string{"type", "message"}},
	"error":      {nil, []string{"type", "message"}},
	"skipped":    {nil, []string{"type", "message"}},
	"system-out": {nil, nil},
	"system-err": {nil, nil},
}

// checkJUnitSchema walks the document and fails on an element where the
// schema has none, or an attribute it does not have.
func checkJUnitSchema(t *testing.T, data []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	stack := []string{""}
	for {
		tok, err := dec.Token()
		if err != nil {
			require.ErrorIs(t, err, io.EOF, "well-formed XML")
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			parent := stack[len(stack)-1]
			assert.Contains(t, junitSchema[parent].children, e.Name.Local, "<%s> inside <%s>", e.Name.Local, parent)
			for _, a := range e.Attr {
				assert.Contains(t, junitSchema[e.Name.Local].attrs, a.Name.Local, "attribute %s of <%s>", a.Name.Local, e.Name.Local)
			}
			stack = append(stack, e.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

// readJUnit reads a report back and checks it against the schema: its
// elements and attributes, the required ones, counts that add up.
func readJUnit(t *testing.T, data []byte) jSuites {
	t.Helper()
	checkJUnitSchema(t, data)
	var doc jSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	require.NotNil(t, doc.Name, "testsuites name")
	require.NotNil(t, doc.Tests, "testsuites tests")
	require.NotNil(t, doc.Failures, "testsuites failures")
	require.NotNil(t, doc.Errors, "testsuites errors")
	require.NotNil(t, doc.Time, "testsuites time")
	assert.Regexp(t, xsdDecimal, *doc.Time)
	assert.Empty(t, doc.Any, "no element outside the schema under testsuites")
	var tests, failures, errors int
	for _, s := range doc.Suites {
		require.NotNil(t, s.Name, "testsuite name")
		name := *s.Name
		for _, a := range []*int{s.Tests, s.Failures, s.Errors, s.Skipped} {
			require.NotNil(t, a, "testsuite %s: tests, failures, errors and skipped", name)
		}
		require.NotNil(t, s.Time, "testsuite %s time", name)
		assert.Regexp(t, xsdDecimal, *s.Time, name)
		require.NotNil(t, s.Timestamp, "testsuite %s timestamp", name)
		assert.Regexp(t, xsdDateTime, *s.Timestamp, name)
		assert.Empty(t, s.Any, "testsuite %s: no element outside the schema", name)
		for _, p := range s.Properties {
			assert.True(t, p.Name != nil && p.Value != nil, "testsuite %s: a property has a name and a value", name)
		}
		var f, e, sk int
		for _, c := range s.Cases {
			require.NotNil(t, c.Name, "testsuite %s: testcase name", name)
			require.NotNil(t, c.Classname, "testsuite %s: testcase classname", name)
			require.NotNil(t, c.Time, "testsuite %s: testcase time", name)
			assert.Regexp(t, xsdDecimal, *c.Time)
			assert.Empty(t, c.Any, "testcase %s: no element outside the schema", *c.Name)
			assert.LessOrEqual(t, len(c.Failure)+len(c.Error)+len(c.Skipped), 1, "testcase %s: one outcome at most", *c.Name)
			for _, r := range append(c.Failure, c.Error...) {
				assert.True(t, r.Message != nil && r.Type != nil, "testcase %s: a failure or error has a message and a type", *c.Name)
			}
			f += len(c.Failure)
			e += len(c.Error)
			sk += len(c.Skipped)
		}
		assert.Equal(t, len(s.Cases), *s.Tests, "testsuite %s: tests = testcases", name)
		assert.Equal(t, f, *s.Failures, "testsuite %s: failures", name)
		assert.Equal(t, e, *s.Errors, "testsuite %s: errors", name)
		assert.Equal(t, sk, *s.Skipped, "testsuite %s: skipped", name)
		tests += *s.Tests
		failures += *s.Failures
		errors += *s.Errors
	}
	assert.Equal(t, tests, *doc.Tests, "testsuites tests = the suites' sum")
	assert.Equal(t, failures, *doc.Failures)
	assert.Equal(t, errors, *doc.Errors)
	assert.Nil(t, doc.Skipped, "Jenkins' schema has no skipped on testsuites: the suites have it")
	return doc
}

func TestJUnitReport(t *testing.T) {
	run := reportRun(t)
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, run))
	doc := readJUnit(t, b.Bytes())
	xmllint(t, b.Bytes())

	assert.Equal(t, "microkata c-0042", *doc.Name)
	assert.Equal(t, "41.730", *doc.Time)
	require.Len(t, doc.Suites, len(run.Katas), "a testsuite per kata")
	suites := map[string]jSuite{}
	for i, s := range doc.Suites {
		assert.Equal(t, run.Katas[i].Name, *s.Name)
		assert.Equal(t, "2026-07-11T14:02:03", *s.Timestamp)
		suites[*s.Name] = s
	}
	cases := func(kata string) map[string]jCase {
		out := map[string]jCase{}
		for _, c := range suites[kata].Cases {
			assert.Equal(t, "microkata."+kata, *c.Classname)
			out[*c.Name] = c
		}
		return out
	}

	// Passing: a testcase per expected test, times from the tests.
	tb := cases("tokenbucket")
	assert.Len(t, tb, 5)
	assert.Equal(t, "0.150", *tb["TestHiddenDeadlineFailsFast"].Time)
	assert.Equal(t, "0.210", *suites["tokenbucket"].Time, "a suite's time is its tests' sum")

	// Failing: failures typed by category, the message its first line, the
	// text the whole reason and race report.
	br := cases("breaker")
	assert.Len(t, br, 6)
	assert.Empty(t, br["TestClosedCountsFailures"].Failure)
	f := br["TestOpenAfterThreshold"].Failure
	require.Len(t, f, 1)
	assert.Equal(t, "visible", *f[0].Type)
	assert.Equal(t, "Execute after 5 failures with MaxFailures 5: state = Closed, want Open", *f[0].Message)
	f = br["TestHiddenCountsUnderRace"].Failure
	require.Len(t, f, 1)
	assert.Equal(t, "concurrency", *f[0].Type)
	assert.Contains(t, f[0].Text, "WARNING: DATA RACE\nRead at 0x00c000018d58 by goroutine 10:", "the whole race report")
	assert.Contains(t, f[0].Text, "Goroutine 11 (running) created at:")
	f = br["TestHiddenHostileMessage"].Failure
	require.Len(t, f, 1)
	assert.Equal(t, strings.ReplaceAll(hostile, "\x16", "\uFFFD"), *f[0].Message, "escaped, read back whole (XML cannot hold \\x16)")
	f = br["TestHiddenSlowRequestOutcomeAtItsEnd"].Failure
	require.Len(t, f, 1)
	assert.Equal(t, "timing", *f[0].Type)
	assert.Equal(t, "did not run: the test binary exited while TestHiddenHostileMessage ran (exit status 2)", *f[0].Message, "the first line")
	assert.Equal(t, "did not run: the test binary exited while TestHiddenHostileMessage ran (exit status 2)\nsecond line", f[0].Text, "the whole reason")
	require.NotNil(t, suites["breaker"].SystemOut)
	assert.Equal(t, "re-ran 1 test(s) one at a time after the binary ended early\nkatas/breaker/breaker_test.go was edited: the repository's copy was graded", *suites["breaker"].SystemOut)

	// Every test passed but the kata leaks: one more testcase fails.
	hb := cases("heartbeat")
	assert.Len(t, hb, 4)
	require.Len(t, hb["leak"].Failure, 1)
	assert.Equal(t, "leak", *hb["leak"].Failure[0].Type)
	assert.Contains(t, hb["leak"].Failure[0].Text, "blocked in time.Sleep called from heartbeat.(*Detector).loop")

	// Not started: skipped. Build failed, refused: errors.
	for name, c := range cases("leakybucket") {
		assert.Len(t, c.Skipped, 1, name)
	}
	for name, c := range cases("rpcarith") {
		require.Len(t, c.Error, 1, name)
		assert.Equal(t, "build", *c.Error[0].Type)
		assert.Equal(t, "katas/rpcarith/rpcarith.go:41:9: undefined: ctx\nkatas/rpcarith/rpcarith.go:57:2: missing return", c.Error[0].Text)
	}
	for name, c := range cases("grpcarith") {
		require.Len(t, c.Error, 1, name)
		assert.Equal(t, "refused", *c.Error[0].Type)
		assert.Contains(t, c.Error[0].Text, `import "unsafe" is never allowed`)
	}
	skipped := 0
	for _, s := range doc.Suites {
		skipped += *s.Skipped
	}
	assert.Equal(t, []int{29, 5, 6, 3}, []int{*doc.Tests, *doc.Failures, *doc.Errors, skipped},
		"tests, failures (4 in breaker, the leak), errors (rpcarith, grpcarith), skipped (leakybucket)")

	props := map[string]string{}
	for _, p := range suites["lru"].Properties {
		props[*p.Name] = *p.Value
	}
	assert.Equal(t, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", props["submission.sha256"])
	assert.Equal(t, "bubblewrap", props["submission.sandbox"])
	assert.Equal(t, "go1.26.8", props["go.version"])
}

func TestJUnitRefusedSubmissionIsAnError(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, refusedRun(t)))
	doc := readJUnit(t, b.Bytes())
	xmllint(t, b.Bytes())
	require.Len(t, doc.Suites, 1)
	assert.Equal(t, 1, *doc.Errors, "a dashboard never shows a refused submission green")
	c := doc.Suites[0].Cases[0]
	require.Len(t, c.Error, 1)
	assert.Equal(t, "refused: archive entry ../../etc/cron.d/x escapes the submission folder (rule: no .. in a path)", *c.Error[0].Message)
}

func TestJUnitKataChecks(t *testing.T) {
	// A race reported by no test, a forbidden import, a refused kata
	// without tests: each is a failing or erroring testcase.
	run := &result.Run{GoVersion: "go1.26.8", Started: time.Unix(0, 0), Katas: []result.Kata{
		{Name: "a", Status: result.Failing, Race: true, Imports: []string{`a.go:3: "os/exec" is never allowed`},
			Tests: []result.Test{{Name: "TestA", Passed: true}}},
		{Name: "b", Status: result.Refused, Notes: []string{"b.go:1: func TestMain is not allowed"}},
	}}
	var b bytes.Buffer
	require.NoError(t, JUnit(&b, run))
	doc := readJUnit(t, b.Bytes())
	var got []string
	for _, s := range doc.Suites {
		for _, c := range s.Cases {
			outcome := "pass"
			switch {
			case len(c.Failure) > 0:
				outcome = "failure " + *c.Failure[0].Type + ": " + *c.Failure[0].Message
			case len(c.Error) > 0:
				outcome = "error " + *c.Error[0].Type + ": " + c.Error[0].Text
			}
			got = append(got, *s.Name+"."+*c.Name+" "+outcome)
		}
	}
	assert.Equal(t, []string{
		"a.TestA pass",
		"a.race failure race: the race detector found a data race",
		"a.imports failure imports: imports that are not allowed",
		"b.b error refused: b.go:1: func TestMain is not allowed",
	}, got)
}

// xmllint checks that data is well-formed XML with Debian's xmllint, when
// it is installed.
func xmllint(t *testing.T, data []byte) {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		t.Log("xmllint not installed: well-formedness checked by encoding/xml only")
		return
	}
	f := filepath.Join(t.TempDir(), "report.xml")
	require.NoError(t, os.WriteFile(f, data, 0o644))
	out, err := exec.Command(path, "--noout", f).CombinedOutput()
	assert.NoError(t, err, "xmllint: %s", out)
}

func TestMarkdownReport(t *testing.T) {
	run := reportRun(t)
	var b bytes.Buffer
	require.NoError(t, Markdown(&b, run))
	md := b.String()
	lines := strings.Split(md, "\n")

	// Every table row has as many cells as its header: no pipe in a
	// message splits a cell, no newline ends a row.
	unescaped := regexp.MustCompile(`(^|[^\\])\|`)
	cols := 0
	for i, l := range lines {
		if !strings.HasPrefix(l, "|") {
			cols = 0
			continue
		}
		n := len(unescaped.FindAllString(l, -1))
		if cols == 0 {
			cols = n
		}
		assert.Equal(t, cols, n, "line %d has %d cells, its table %d: %q", i+1, n-1, cols-1, l)
	}

	assert.Contains(t, md, "| `breaker` | failing | 1/2 | 1/4 | yes | - | - | 33 |")
	assert.Contains(t, md, "| `rpcarith` | failing (build) |")
	assert.Contains(t, md, "| **Total** | 3/8 passing | 9/16 | 6/12 | | | | **432/800** |")
	assert.Contains(t, md, "- **SHA-256:** `9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`")
	assert.Contains(t, md, "- **Sandbox:** on (bubblewrap)")
	assert.Contains(t, md, "> **Warning:** the manifest names katas lru, breaker")
	// The hostile message is one code span (its backtick fenced by two),
	// its pipe escaped, its control character shown.
	assert.Contains(t, md, "| `TestHiddenHostileMessage` | hidden: behaviour | ``<script>alert(1)</script> \\| `x` *y* [z](https://evil.example/) &amp; \\x16 =1+1`` |")
	assert.Contains(t, md, "`did not run: the test binary exited while TestHiddenHostileMessage ran (exit status 2)`<br>`second line`")
	assert.Contains(t, md, "Data race in `TestHiddenCountsUnderRace`:\n\n```\nread by goroutine 10:\n  race.(*Counter).Inc  katas/race/race.go:33\n")
	assert.Contains(t, md, "### `heartbeat` (Heartbeat failure detector): failing, 99/100\n\nGoroutines were still running after the tests")
	assert.NotContains(t, md, "### `tokenbucket`", "a passing kata without notes has no section")
	assert.NotContains(t, md, "### `leakybucket`", "nor a kata not started")
	assert.NotContains(t, md, "\n\n\n", "one blank line between blocks")

	run.Submission.Sandbox = "off"
	b.Reset()
	require.NoError(t, Markdown(&b, run))
	assert.Contains(t, b.String(), "- **Sandbox:** **OFF**: the test binaries ran without a sandbox")
}

func TestMarkdownEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words, a file lru_test.go", "plain words, a file lru_test.go"},
		{"<b>bold</b> & &amp; *x* _y_ [l](u) `c` a|b ~~s~~", `\<b>bold\</b> & \&amp; \*x\* \_y\_ \[l\](u) \` + "`c\\`" + ` a\|b \~\~s\~\~`},
		{"# heading", `\# heading`},
		{"- item", `\- item`},
		{"> quote", `\> quote`},
		{"12. ordered", `12\. ordered`},
		{"two\nlines\x1b[2J", `two<br>lines\\x1b\[2J`}, // shown as two<br>lines\x1b[2J
	} {
		assert.Equal(t, tc.want, mdText(tc.in), "%q", tc.in)
	}
	for _, tc := range []struct{ in, want string }{
		{"x", "`x`"},
		{"a `b` c", "``a `b` c``"},
		{"`start", "`` `start ``"},
		{"a ``b`` c", "```a ``b`` c```"},
		{"two\nlines", "`two lines`"},
	} {
		assert.Equal(t, tc.want, mdCode(tc.in), "%q", tc.in)
	}
	assert.Equal(t, "````\na ``` b\n````", mdFence("a ``` b"), "a fence longer than any run of backticks")
}

func TestBatchMarkdown(t *testing.T) {
	batch := reportBatch(t)
	var b bytes.Buffer
	require.NoError(t, BatchMarkdown(&b, batch))
	var rows []string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "| ") {
			rows = append(rows, l)
		}
	}
	require.Len(t, rows, 4, "a header and a row per submission: %s", b.String())
	assert.Equal(t, "| `c-0042` | `c-0042-takehome.tar.gz` | 100 | 100 | 100 | 33 | 99 | not started | 0 | refused | 1 | 1 | 1.37x | 432/800 | 41.7s | "+
		"the manifest names katas lru, breaker; the submission also has katas/retry (ignored); katas/lru: test files ignored (lru_test.go, my_test.go): the repository's own tests grade the kata |", rows[1])
	assert.True(t, strings.HasPrefix(rows[2], "| `=HYPERLINK(\"https://evil.example\")\\|x` | `b.zip` | 100 |"), rows[2])
	assert.Equal(t, "| `c.tar.gz` | `c.tar.gz` | refused | refused | refused | refused | refused | refused | refused | refused | - | - | - | refused | 0.0s | "+
		"refused: archive entry ../../etc/cron.d/x escapes the submission folder (rule: no .. in a path) |", rows[3])
}

func TestCleanControlCharacters(t *testing.T) {
	assert.Equal(t, "tab\tstays", clean("tab\tstays"))
	assert.Equal(t, `a\nb\r\x1b[31m\x00\u202e\x85`, clean("a\nb\r\x1b[31m\x00\u202e\u0085"))
	assert.Equal(t, "bad \uFFFD byte", clean("bad \xff byte"))

	// The text scorecard never writes a control character a message holds.
	run := reportRun(t)
	run.Katas[3].Tests[4].Reason = "\x1b[2J\x1b[Hlru passing 100\rfake"
	var b bytes.Buffer
	require.NoError(t, Text(&b, run, Options{}))
	assert.NotContains(t, b.String(), "\x1b")
	assert.NotContains(t, b.String(), "\r")
	assert.Contains(t, b.String(), `✗ TestHiddenHostileMessage [hidden: behaviour]: \x1b[2J\x1b[Hlru passing 100\rfake`)
}

func TestNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.5: "0.5", 41.234: "41.23", 99.999: "100", 118.4: "118", 12345.6: "12346", 1: "1"} {
		assert.Equal(t, want, num(v), strconv.FormatFloat(v, 'g', -1, 64))
	}
}
