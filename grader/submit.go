package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/microkata/microkata/grader/internal/bundle"
	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
	"github.com/microkata/microkata/grader/internal/imports"
	"github.com/microkata/microkata/grader/internal/overlay"
	"github.com/microkata/microkata/grader/internal/pristine"
	"github.com/microkata/microkata/grader/internal/render"
	"github.com/microkata/microkata/grader/internal/result"
	"github.com/microkata/microkata/grader/internal/sandbox"
	"github.com/microkata/microkata/grader/internal/submission"
)

// Sandbox modes of --sandbox.
const (
	sandboxAuto    = "auto"    // bubblewrap when it works here, else off (said on the report)
	sandboxRequire = "require" // bubblewrap or refuse to grade
	sandboxOff     = "off"
)

// submitOptions are what grading a submission needs beyond grade.Config.
type submitOptions struct {
	cat     *catalog.Catalog
	names   []string // katas asked for; none: the manifest's, else those submitted
	base    grade.Config
	sandbox string
}

// sandboxPrefix returns the command prefix that runs test binaries in the
// sandbox, and the report's word for it; an error when --sandbox=require
// and there is none.
func sandboxPrefix(mode string) ([]string, string, error) {
	if mode == sandboxOff {
		return nil, "off", nil
	}
	bwrap, err := sandbox.Find()
	if err != nil {
		if mode == sandboxRequire {
			return nil, "", err
		}
		return nil, "off (" + err.Error() + ")", nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	return []string{self, "sandbox-exec", bwrap}, "bubblewrap", nil
}

// gradeSubmission grades one submission. gradable is false when the
// submission, or one of its katas, was refused before anything was built.
func gradeSubmission(ctx context.Context, path string, o submitOptions) (run *result.Run, gradable bool, err error) {
	start := time.Now()
	tmp, err := os.MkdirTemp("", "microkata-submission-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(tmp)
	prefix, sandboxWord, err := sandboxPrefix(o.sandbox)
	if err != nil {
		return nil, false, err
	}
	info := &result.Submission{Name: filepath.Base(path), Sandbox: sandboxWord}
	refusedRun := func(why string) *result.Run {
		info.Refused = why
		return &result.Run{Version: result.Version, Started: start, Duration: time.Since(start).Seconds(),
			GoVersion: grade.GoVersion(), Race: o.base.Race, Submission: info}
	}
	sub, err := submission.Open(path, tmp, submission.DefaultLimits)
	if errors.Is(err, submission.ErrRefused) {
		return refusedRun(err.Error()), false, nil
	} else if err != nil {
		return nil, false, err
	}
	info.SHA256, info.Warnings = sub.SHA256, sub.Warnings
	if sub.Manifest != nil {
		info.Candidate = sub.Manifest.Candidate
	}

	// Which katas: those asked for, else the manifest's, else those in it.
	names := o.names
	if len(names) == 0 && sub.Manifest != nil {
		names = sub.Manifest.Katas
	}
	if len(names) == 0 {
		for k := range sub.Katas {
			names = append(names, k)
		}
	}
	katas, err := o.cat.Select(names)
	if err != nil {
		return refusedRun(fmt.Sprintf("the submission names katas this repository does not have: %v", err)), false, nil
	}
	if len(katas) == 0 {
		return refusedRun("the submission holds no kata's code (no katas/<kata>/*.go)"), false, nil
	}
	info.Warnings = append(info.Warnings, manifestWarnings(sub, katas, o.cat.Root)...)
	asked := map[string]bool{}
	for _, k := range katas {
		asked[k.Name] = true
	}
	for k := range sub.Katas {
		if !asked[k] {
			info.Warnings = append(info.Warnings, fmt.Sprintf("katas/%s: not asked for, not graded", k))
		}
	}
	slices.Sort(info.Warnings)

	// The static policy, before anything is built.
	rows := map[string]result.Kata{}
	var graded []*catalog.Kata
	gradable = true
	for _, k := range katas {
		files := sub.Katas[k.Name]
		if len(files) == 0 {
			rows[k.Name] = refusedRow(k, []string{fmt.Sprintf("the submission has no katas/%s/*.go", k.Name)})
			gradable = false
			continue
		}
		vs, err := imports.Policy(k.Name, k.Package, k.Imports, files...)
		if err != nil {
			rows[k.Name] = refusedRow(k, []string{"does not parse: " + err.Error()})
			gradable = false
			continue
		}
		if len(vs) > 0 {
			var why []string
			for _, v := range vs {
				why = append(why, "refused: katas/"+k.Name+"/"+v.String())
			}
			rows[k.Name] = refusedRow(k, why)
			gradable = false
			continue
		}
		graded = append(graded, k)
	}

	run = &result.Run{Version: result.Version, Started: start, GoVersion: grade.GoVersion(), Race: o.base.Race}
	if len(graded) > 0 {
		names := make([]string, len(graded))
		for i, k := range graded {
			names[i] = k.Name
		}
		rec, err := pristine.Load(o.cat.Root, names)
		if err != nil {
			return nil, false, err
		}
		cfg := o.base
		cfg.Katas, cfg.Root, cfg.Pristine, cfg.Exec = graded, o.cat.Root, rec, prefix
		cfg.Code = func(k *catalog.Kata) overlay.Code { return overlay.Code{Files: sub.Katas[k.Name]} }
		if run, err = grade.Grade(ctx, cfg); err != nil {
			return nil, false, err
		}
		for _, row := range run.Katas {
			rows[row.Name] = row
		}
	}
	run.Katas = nil
	for _, k := range katas {
		run.Katas = append(run.Katas, rows[k.Name])
	}
	run.Total = grade.Total(run.Katas)
	run.Duration = time.Since(start).Seconds()
	run.Submission = info
	return run, gradable, nil
}

// refusedRow is the row of a kata whose code was refused: no test ran.
func refusedRow(k *catalog.Kata, why []string) result.Kata {
	row := result.Kata{Name: k.Name, Title: k.Title, Status: result.Refused, Notes: why}
	for _, t := range k.Tests() {
		row.Tests = append(row.Tests, result.Test{Name: t.Name, Hidden: t.Hidden, Category: t.Category,
			Reason: "did not run: the submission's code was refused"})
		if t.Hidden {
			row.HiddenTotal++
		} else {
			row.VisibleTotal++
		}
	}
	return row
}

// manifestWarnings compares a submission's manifest with what is graded
// and with this repository.
func manifestWarnings(sub *submission.Submission, katas []*catalog.Kata, root string) []string {
	m := sub.Manifest
	if m == nil {
		return []string{"no " + submission.ManifestName + ": the katas and the version handed out are unknown"}
	}
	var out []string
	if m.Format != 1 {
		out = append(out, fmt.Sprintf("%s has format %d; this grader reads format 1", submission.ManifestName, m.Format))
	}
	var names []string
	for _, k := range katas {
		names = append(names, k.Name)
	}
	want := slices.Clone(m.Katas)
	slices.Sort(want)
	got := slices.Clone(names)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		out = append(out, fmt.Sprintf("the manifest hands out %s; graded: %s", strings.Join(m.Katas, ", "), strings.Join(names, ", ")))
	}
	if v := bundle.Version(root); m.Version != "" && v != "unknown" && m.Version != v {
		out = append(out, fmt.Sprintf("exported from version %s; graded with %s (a kata's tests may have changed since)", m.Version, v))
	}
	return out
}

// archiveExts are the submission archives --batch picks up.
var archiveExts = []string{".tar.gz", ".tgz", ".zip"}

// gradeBatch grades every submission in dir, one after another, into one
// comparison. A broken or hostile submission is a row with its reason,
// never the end of the batch.
func gradeBatch(ctx context.Context, dir string, o submitOptions, w io.Writer, format string, stderr io.Writer) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	b := &result.Batch{Version: result.Version, Started: time.Now()}
	for _, k := range o.cat.Katas {
		if len(o.names) == 0 || slices.Contains(o.names, k.Name) {
			b.Katas = append(b.Katas, k.Name)
		}
	}
	allPassing := true
	for _, e := range ents {
		name := e.Name()
		isArchive := slices.ContainsFunc(archiveExts, func(ext string) bool { return strings.HasSuffix(name, ext) })
		if strings.HasPrefix(name, ".") || !e.IsDir() && !isArchive {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "grader: grading %s\n", name)
		run, gradable, err := gradeSubmission(ctx, filepath.Join(dir, name), o)
		if err != nil {
			run = &result.Run{Version: result.Version, Started: time.Now(),
				Submission: &result.Submission{Name: name, Refused: "the grader could not grade it: " + err.Error()}}
			gradable = false
		}
		if !gradable || run.Total.Passing != run.Total.Katas || run.Total.Katas == 0 {
			allPassing = false
		}
		b.Runs = append(b.Runs, *run)
	}
	b.Duration = time.Since(b.Started).Seconds()
	if format == "text" {
		format = "markdown" // a comparison table reads well in a terminal too
	}
	if len(b.Runs) == 0 {
		fmt.Fprintf(stderr, "grader: %s holds no submission (folders, .tar.gz, .tgz or .zip files)\n", dir)
		return exitUsage
	}
	if err := render.WriteBatch(w, b, format); err != nil {
		fmt.Fprintf(stderr, "grader: %v\n", err)
		return exitUsage
	}
	if !allPassing {
		return exitFailed
	}
	return exitOK
}
