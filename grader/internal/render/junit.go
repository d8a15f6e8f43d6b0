package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/microkata/microkata/grader/internal/result"
)

// The JUnit XML that CI dashboards read (Jenkins' junit plugin, GitLab's
// unit test reports, GitHub test reporters): testsuites > testsuite >
// testcase > failure | error | skipped, with properties and system-out on
// a suite. testsuites has no skipped attribute: Jenkins' schema
// (junit-10.xsd) does not allow one there.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  string          `xml:"system-out,omitempty"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		Skipped   *junitSkipped `xml:"skipped,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
)

// JUnit writes run as JUnit XML: one testsuite per kata (its notes in
// system-out, the run's facts as properties), one testcase per expected
// test (classname "microkata.<kata>"). A failing test has a failure whose
// type is its hidden category or "visible", whose message is the first line
// of its reason and whose text is the whole reason and race report. Every
// test of a kata that did not build, or that was refused, has an error; a
// kata not started has its tests skipped. A kata that fails with every test
// passed (a goroutine leak, a race outside any test, a forbidden import)
// has one more testcase that fails and says why, so a dashboard never
// shows it green. A refused submission is one suite with one error.
func JUnit(w io.Writer, run *result.Run) error {
	name := "microkata"
	if s := run.Submission; s != nil {
		name += " " + submissionLabel(s)
	}
	doc := junitSuites{Name: name, Time: junitTime(run.Duration)}
	timestamp := ""
	if !run.Started.IsZero() {
		timestamp = run.Started.UTC().Format("2006-01-02T15:04:05")
	}
	props := junitProperties(run)
	for _, k := range run.Katas {
		s := junitKata(k)
		s.Timestamp, s.Properties = timestamp, props
		doc.Suites = append(doc.Suites, s)
	}
	if sub := run.Submission; sub != nil && sub.Refused != "" {
		doc.Suites = append(doc.Suites, junitSuite{Name: "submission", Time: junitTime(0), Timestamp: timestamp, Properties: props,
			Cases: []junitCase{{Classname: "microkata.submission", Name: "grade", Time: junitTime(0),
				Error: &junitProblem{Message: "refused: " + firstLine(sub.Refused), Type: "refused",
					Text: sub.Refused + "\nThe submission was not graded: no kata ran."}}}})
	}
	for i := range doc.Suites {
		s := &doc.Suites[i]
		for _, c := range s.Cases {
			s.Tests++
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitKata is one kata's suite, without its counts.
func junitKata(k result.Kata) junitSuite {
	s := junitSuite{Name: k.Name, SystemOut: strings.Join(k.Notes, "\n")}
	class := "microkata." + k.Name
	var problem *junitProblem // every test's error, when the kata never ran
	switch {
	case k.Status == result.Refused:
		problem = &junitProblem{Message: "refused: the submission's code for " + k.Name + " was not built", Type: "refused",
			Text: strings.Join(k.Notes, "\n")}
	case k.BuildFailed:
		problem = &junitProblem{Message: k.Name + " did not build or run", Type: "build", Text: strings.Join(k.BuildOutput, "\n")}
	}
	var elapsed float64
	for _, t := range k.Tests {
		elapsed += t.Elapsed
		c := junitCase{Classname: class, Name: t.Name, Time: junitTime(t.Elapsed)}
		switch {
		case problem != nil:
			c.Error = problem
		case t.Passed:
		case k.Status == result.NotStarted:
			c.Skipped = &junitSkipped{Message: "not started: " + firstLine(t.Reason)}
		default:
			text := t.Reason
			if t.RaceReport != "" {
				text += "\n\n" + t.RaceReport
			}
			c.Failure = &junitProblem{Message: firstLine(t.Reason), Type: strings.TrimPrefix(testKind(t), "hidden: "), Text: text}
		}
		s.Cases = append(s.Cases, c)
	}
	s.Time = junitTime(elapsed)
	if problem != nil {
		if len(k.Tests) == 0 {
			s.Cases = append(s.Cases, junitCase{Classname: class, Name: k.Name, Time: junitTime(0), Error: problem})
		}
		return s
	}
	// Checks of the whole kata that no test carries.
	check := func(name, message, text string) {
		s.Cases = append(s.Cases, junitCase{Classname: class, Name: name, Time: junitTime(0),
			Failure: &junitProblem{Message: message, Type: name, Text: text}})
	}
	if k.Race && !anyRaceReport(k) {
		check("race", "the race detector found a data race", strings.Join(k.Notes, "\n"))
	}
	if k.Leak {
		check("leak", "goroutines were still running after the tests", strings.Join(k.Notes, "\n"))
	}
	if len(k.Imports) > 0 {
		check("imports", "imports that are not allowed", strings.Join(k.Imports, "\n"))
	}
	return s
}

// junitProperties are the run's facts, on every suite.
func junitProperties(run *result.Run) []junitProperty {
	p := []junitProperty{{"go.version", run.GoVersion}, {"race", fmt.Sprint(run.Race)}}
	if s := run.Submission; s != nil {
		p = append(p, junitProperty{"submission.name", s.Name}, junitProperty{"submission.sha256", s.SHA256})
		if s.Candidate != "" {
			p = append(p, junitProperty{"submission.candidate", s.Candidate})
		}
		p = append(p, junitProperty{"submission.sandbox", s.Sandbox})
		for _, w := range s.Warnings {
			p = append(p, junitProperty{"submission.warning", w})
		}
	}
	for _, n := range run.Notes {
		p = append(p, junitProperty{"note", n})
	}
	return p
}

func junitTime(s float64) string {
	return fmt.Sprintf("%.3f", s)
}
