package render

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/microkata/microkata/grader/internal/result"
)

// HTML writes run as one self-contained HTML file: inline CSS, an inline
// SVG chart of the passing katas' benchmark ratios, the scorecard table and
// a section per kata (id "kata-<name>") with its failing tests and notes.
// It loads nothing: no script, stylesheet, font or image, and a
// Content-Security-Policy that forbids them all. html/template escapes
// every text, so a message such as "<script>" stays text.
func HTML(w io.Writer, run *result.Run) error {
	return pages.ExecuteTemplate(w, "run", htmlRunView(run))
}

// BatchHTML writes the comparison table of a batch as one self-contained
// HTML file, like HTML.
func BatchHTML(w io.Writer, b *result.Batch) error {
	v := htmlBatch{Title: fmt.Sprintf("microkata batch: %d submission(s)", len(b.Runs)), Katas: batchKatas(b), Rows: batchRows(b)}
	v.Facts = append(v.Facts, htmlFact{Name: "grading time", Value: seconds(b.Duration)})
	if !b.Started.IsZero() {
		v.Facts = append(v.Facts, htmlFact{Name: "started", Value: b.Started.UTC().Format("2006-01-02 15:04:05 UTC")})
	}
	if len(b.Runs) > 0 {
		v.Facts = append(v.Facts, htmlFact{Name: "toolchain", Value: b.Runs[0].GoVersion + ", " + raceWord(b.Runs[0].Race), Warn: !b.Runs[0].Race})
	}
	return pages.ExecuteTemplate(w, "batch", v)
}

type (
	htmlRun struct {
		Title    string
		Facts    []htmlFact
		Refused  string
		Warnings []string
		Katas    []htmlKata
		Total    result.Total
		Chart    *htmlChart
		Notes    []string
		Version  int
	}
	htmlFact struct {
		Name, Value string
		Warn        bool
	}
	htmlKata struct {
		result.Kata
		Class, BenchText string
		// Summary says what happened, in the grader's words.
		Summary []string
		Failed  []htmlTest
	}
	htmlTest struct {
		Name, Kind, Reason, Race string
	}
	htmlBatch struct {
		Title string
		Facts []htmlFact
		Katas []string
		Rows  []batchRow
	}
	// htmlChart is a horizontal bar chart of ns/op ratios, laid out here so
	// the template only places what it is given.
	htmlChart struct {
		Width, Height, PlotLeft, PlotRight, AxisY float64
		One                                       float64 // x of the 1.0x line
		Bars                                      []htmlBar
		Ticks                                     []htmlTick
	}
	htmlBar struct {
		Name, Value, Class, Title string
		Y, TextY, Width           float64
		// Low and High are the x of the 95% interval's ends, when known.
		Low, High float64
		Interval  bool
	}
	htmlTick struct {
		X     float64
		Label string
	}
)

func htmlRunView(run *result.Run) htmlRun {
	v := htmlRun{Title: "microkata report", Total: run.Total, Notes: cleanAll(run.Notes), Version: run.Version}
	if s := run.Submission; s != nil {
		v.Title += ": " + clean(submissionLabel(s))
		v.Facts = append(v.Facts, htmlFact{Name: "submission", Value: clean(s.Name)}, htmlFact{Name: "SHA-256", Value: clean(s.SHA256)})
		if s.Candidate != "" {
			v.Facts = append(v.Facts, htmlFact{Name: "candidate", Value: clean(s.Candidate)})
		}
		v.Facts = append(v.Facts, htmlFact{Name: "sandbox", Value: sandboxWord(s), Warn: sandboxWord(s) == "OFF"})
		v.Refused, v.Warnings = cleanLines(s.Refused), cleanAll(s.Warnings)
	}
	v.Facts = append(v.Facts, htmlFact{Name: "toolchain", Value: run.GoVersion + ", " + raceWord(run.Race), Warn: !run.Race},
		htmlFact{Name: "grading time", Value: seconds(run.Duration)})
	if !run.Started.IsZero() {
		v.Facts = append(v.Facts, htmlFact{Name: "started", Value: run.Started.UTC().Format("2006-01-02 15:04:05 UTC")})
	}
	for _, k := range run.Katas {
		k.Notes, k.BuildOutput, k.Imports = cleanAll(k.Notes), cleanAll(k.BuildOutput), cleanAll(k.Imports)
		hk := htmlKata{Kata: k, Class: strings.ReplaceAll(string(k.Status), " ", "-"), BenchText: benchCell(k.Bench)}
		switch {
		case k.Status == result.Passing:
			hk.Summary = []string{"Every visible and hidden test passed, with no data race and no leaked goroutine."}
		case k.Status == result.NotStarted:
			hk.Summary = []string{"Not started: the code still panics \"not implemented\"."}
		case k.Status == result.Refused:
			hk.Summary = []string{"Refused: the submission's code for this kata breaks the grading policy, so it was not built."}
		case k.BuildFailed:
			hk.Summary = []string{"Did not build or run:"}
		default:
			hk.Summary = kataChecks(k)
			for _, t := range failedTests(k) {
				ht := htmlTest{Name: t.Name, Kind: testKind(t), Reason: cleanLines(t.Reason)}
				if t.RaceReport != "" {
					ht.Race = cleanLines(strings.Join(raceSummary(t.RaceReport), "\n"))
				}
				hk.Failed = append(hk.Failed, ht)
			}
		}
		v.Katas = append(v.Katas, hk)
	}
	v.Chart = benchChart(run.Katas)
	return v
}

// benchChart lays out one bar per passing kata with a benchmark ratio; nil
// when there is none.
func benchChart(katas []result.Kata) *htmlChart {
	const (
		labelW, plotW, valueW = 140.0, 380.0, 70.0
		rowH, barH, top       = 26.0, 16.0, 8.0
	)
	type point struct {
		k     result.Kata
		ratio float64
	}
	var points []point
	xmax := 2.0
	for _, k := range katas {
		if r, ok := benchRatio(k); ok {
			points = append(points, point{k, r})
			xmax = max(xmax, r, min(k.Bench.NsHigh, 1.5*r)) // a whisker past the axis is cut
		}
	}
	if len(points) == 0 {
		return nil
	}
	step := 0.5
	for xmax/step > 8 {
		step *= 2
	}
	xmax = math.Ceil(xmax*1.05/step) * step
	x := func(r float64) float64 { return labelW + math.Min(r, xmax)/xmax*plotW }
	c := &htmlChart{Width: labelW + plotW + valueW, PlotLeft: labelW, PlotRight: labelW + plotW, One: x(1)}
	for i, p := range points {
		b := p.k.Bench
		y := top + float64(i)*rowH
		bar := htmlBar{Name: p.k.Name, Value: strings.Fields(benchCell(b))[0], Y: y, TextY: y + barH - 3, Width: x(p.ratio) - labelW,
			Title: fmt.Sprintf("%s: %.3fx the reference's ns/op", p.k.Name, p.ratio)}
		switch {
		case b.Noisy:
			bar.Class = "noisy"
		case b.NsHigh > 0 && b.NsLow <= 1 && 1 <= b.NsHigh:
			bar.Class = "even"
		case p.ratio <= 1:
			bar.Class = "faster"
		default:
			bar.Class = "slower"
		}
		if b.NsHigh > 0 {
			bar.Low, bar.High, bar.Interval = x(b.NsLow), x(b.NsHigh), true
			bar.Title += fmt.Sprintf(" (95%% interval %.3f–%.3f, %d rounds)", b.NsLow, b.NsHigh, b.Rounds)
		}
		c.Bars = append(c.Bars, bar)
	}
	c.AxisY = top + float64(len(points))*rowH
	c.Height = c.AxisY + 22
	for t := 0.0; t <= xmax+1e-9; t += step {
		c.Ticks = append(c.Ticks, htmlTick{X: x(t), Label: fmt.Sprintf("%gx", t)})
	}
	return c
}

// pages are the HTML templates; "style" is shared.
var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"f":     func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"plus":  func(a, b float64) float64 { return a + b },
	"num":   num,
	"clean": cleanLines,
}).Parse(htmlTemplates))

const htmlTemplates = `
{{- define "head" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
h2 small { font-weight: normal; color: #59636e; }
code, pre, .num, td.name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
pre { background: #f6f8fa; padding: .5rem .75rem; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: .25rem 0; }
table { border-collapse: collapse; margin: .5rem 0; }
th, td { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num, th.num { text-align: right; white-space: nowrap; }
tfoot th { text-align: right; }
tfoot th:first-child { text-align: left; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: 0; }
dl.facts dt { color: #59636e; }
dl.facts dd { margin: 0; word-break: break-all; }
.warn { color: #9a6700; font-weight: bold; }
p.refused, p.warning { padding: .5rem .75rem; border-left: 4px solid; }
p.refused { border-color: #cf222e; background: #ffebe9; }
p.warning { border-color: #9a6700; background: #fff8c5; }
.badge { font-size: .8rem; padding: .1rem .5rem; border-radius: 1rem; color: #fff; vertical-align: middle; }
.passing .badge, td.passing { background: #1a7f37; color: #fff; }
.failing .badge, td.failing { background: #cf222e; color: #fff; }
.not-started .badge, td.not-started { background: #6e7781; color: #fff; }
.refused .badge, td.refused { background: #8250df; color: #fff; }
.score { float: right; font-weight: normal; }
td.message { white-space: pre-wrap; }
tr.refused td { background: #fbefff; }
svg text { font: 12px system-ui, sans-serif; fill: #1f2328; }
svg .faster { fill: #1a7f37; }
svg .even { fill: #6e7781; }
svg .slower { fill: #bc4c00; }
svg .noisy { fill: #afb8c1; }
svg .grid { stroke: #d0d7de; }
svg .one { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 4 3; }
svg .interval { stroke: #1f2328; stroke-width: 1.5; }
footer { margin-top: 3rem; color: #59636e; font-size: .85rem; }
</style>
</head>
{{- end}}

{{- define "facts" -}}
<dl class="facts">
{{- range .}}
<dt>{{.Name}}</dt><dd{{if .Warn}} class="warn"{{end}}>{{.Value}}</dd>
{{- end}}
</dl>
{{- end}}

{{- define "run" -}}
{{template "head" .Title}}
<body>
<header>
<h1>{{.Title}}</h1>
{{template "facts" .Facts}}
{{- with .Refused}}
<p class="refused"><strong>Refused:</strong> {{.}}<br>The submission was not graded: no kata ran.</p>
{{- end}}
{{- range .Warnings}}
<p class="warning"><strong>Warning:</strong> {{.}}</p>
{{- end}}
</header>
<main>
{{- if .Katas}}
<section id="scorecard">
<h2>Scorecard</h2>
<table>
<thead><tr><th>Kata</th><th>Status</th><th class="num">Visible</th><th class="num">Hidden</th><th>Race</th><th>Leak</th><th class="num">Bench ns/allocs</th><th class="num">Score</th></tr></thead>
<tbody>
{{- range .Katas}}
<tr><td class="name"><a href="#kata-{{.Name}}">{{.Name}}</a></td><td class="{{.Class}}">{{.Status}}</td><td class="num">{{.VisiblePassed}}/{{.VisibleTotal}}</td><td class="num">{{.HiddenPassed}}/{{.HiddenTotal}}</td><td>{{if .Race}}yes{{else}}-{{end}}</td><td>{{if .Leak}}yes{{else}}-{{end}}</td><td class="num">{{.BenchText}}</td><td class="num">{{.Score}}</td></tr>
{{- end}}
</tbody>
<tfoot><tr><th>Total</th><th>{{.Total.Passing}}/{{.Total.Katas}} passing</th><th>{{.Total.VisiblePassed}}/{{.Total.VisibleTotal}}</th><th>{{.Total.HiddenPassed}}/{{.Total.HiddenTotal}}</th><th></th><th></th><th></th><th>{{.Total.Score}}/{{.Total.MaxScore}}</th></tr></tfoot>
</table>
</section>
<section id="benchmarks">
<h2>Benchmarks</h2>
{{- with .Chart}}
<p>Learner ns/op divided by the reference's, measured in the same run, per passing kata; below the dashed 1.0x line is faster. A whisker is the 95% interval of the rounds.</p>
<svg width="{{f .Width}}" height="{{f .Height}}" viewBox="0 0 {{f .Width}} {{f .Height}}" role="img" aria-label="benchmark ns/op ratios against the reference">
{{- range .Ticks}}
<line class="grid" x1="{{f .X}}" y1="0" x2="{{f .X}}" y2="{{f $.Chart.AxisY}}"/><text x="{{f .X}}" y="{{f (plus $.Chart.AxisY 16)}}" text-anchor="middle">{{.Label}}</text>
{{- end}}
{{- range .Bars}}
<g><title>{{.Title}}</title><text x="{{f (plus $.Chart.PlotLeft -8)}}" y="{{f .TextY}}" text-anchor="end">{{.Name}}</text><rect class="{{.Class}}" x="{{f $.Chart.PlotLeft}}" y="{{f .Y}}" width="{{f .Width}}" height="16"/>
{{- if .Interval}}<line class="interval" x1="{{f .Low}}" y1="{{f (plus .Y 8)}}" x2="{{f .High}}" y2="{{f (plus .Y 8)}}"/>{{end}}<text x="{{f (plus $.Chart.PlotRight 8)}}" y="{{f .TextY}}">{{.Value}}</text></g>
{{- end}}
<line class="one" x1="{{f .One}}" y1="0" x2="{{f .One}}" y2="{{f .AxisY}}"/>
</svg>
{{- else}}
<p>No benchmark ran: benchmarks run for passing katas only, and not with --no-bench.</p>
{{- end}}
</section>
{{- end}}
{{- range .Katas}}
<section id="kata-{{.Name}}" class="{{.Class}}">
<h2>{{.Name}}{{with .Title}} <small>{{.}}</small>{{end}} <span class="badge">{{.Status}}</span> <span class="score">{{.Score}}/100</span></h2>
{{- range .Summary}}
<p>{{.}}</p>
{{- end}}
{{- if .BuildFailed}}
<pre>{{range .BuildOutput}}{{.}}
{{end}}</pre>
{{- end}}
{{- with .Failed}}
<table>
<thead><tr><th>Failing test</th><th>Category</th><th>Message</th></tr></thead>
<tbody>
{{- range .}}
<tr><td class="name">{{.Name}}</td><td>{{.Kind}}</td><td class="message">{{.Reason}}{{with .Race}}<pre>{{.}}</pre>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}
{{- with .Bench}}{{with .Benchmarks}}
<table>
<thead><tr><th>Benchmark</th><th class="num">ns/op</th><th class="num">reference ns/op</th><th class="num">allocs/op</th><th class="num">reference allocs/op</th></tr></thead>
<tbody>
{{- range .}}
<tr><td class="name">{{.Name}}</td><td class="num">{{num .LearnerNsOp}}</td><td class="num">{{num .ReferenceNsOp}}</td><td class="num">{{num .LearnerAllocs}}</td><td class="num">{{num .ReferenceAllocs}}</td></tr>
{{- end}}
</tbody>
</table>
{{- end}}{{end}}
{{- with .Bench}}{{with .Error}}
<p class="warn">Benchmarks could not be measured: {{.}}</p>
{{- end}}{{end}}
{{- with .Imports}}
<p>Imports not allowed:</p>
<ul>
{{- range .}}
<li><code>{{.}}</code></li>
{{- end}}
</ul>
{{- end}}
{{- with .Notes}}
<ul class="notes">
{{- range .}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</section>
{{- end}}
{{- with .Notes}}
<section id="notes">
<h2>Notes</h2>
<ul>
{{- range .}}
<li>{{.}}</li>
{{- end}}
</ul>
</section>
{{- end}}
</main>
<footer>microkata grader, result model version {{.Version}}.</footer>
</body>
</html>
{{end}}

{{- define "batch" -}}
{{template "head" .Title}}
<body>
<header>
<h1>{{.Title}}</h1>
{{template "facts" .Facts}}
</header>
<main>
<section id="batch">
<h2>Submissions</h2>
<table>
<thead><tr><th>Candidate</th><th>Submission</th>{{range .Katas}}<th class="num">{{.}}</th>{{end}}<th class="num">Races</th><th class="num">Leaks</th><th class="num">Bench</th><th class="num">Total</th><th class="num">Time</th><th>Remarks</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr{{if .Refused}} class="refused"{{end}}><td>{{clean .Candidate}}</td><td class="name" title="SHA-256 {{.SHA256}}">{{clean .Submission}}</td>{{range .Cells}}<td class="num">{{.}}</td>{{end}}<td class="num">{{.CountText .Races}}</td><td class="num">{{.CountText .Leaks}}</td><td class="num">{{.BenchText}}</td><td class="num">{{.TotalText}}</td><td class="num">{{f .Seconds}}s</td><td>{{clean .Remarks}}</td></tr>
{{- end}}
</tbody>
</table>
<p>Per kata: its score out of 100, or its status. Bench: the geometric mean of the passing katas' ns/op ratios against the reference (below 1 is faster).</p>
</section>
</main>
<footer>microkata grader.</footer>
</body>
</html>
{{end}}
`

// num shows a benchmark figure: whole above 100, else with up to two
// decimals.
func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}
