// Package imports checks the Go files of a kata against what the kata may
// use: the allow-list of its entry in katas/catalog.json, and a short list
// of things no kata may use whatever its list says (unsafe, os/exec,
// syscall, cgo and //go:linkname), because they reach past the Go memory
// model, into other processes, or into the runtime's private functions.
//
// The same check runs on a learner's own grade, where a violation keeps the
// kata from passing but the tests still run, and on a take-home submission,
// which is refused before anything is built.
package imports

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Forbidden are the imports no kata may use, whatever its allow-list says.
var Forbidden = []string{"C", "os/exec", "plugin", "syscall", "unsafe"}

// ErrViolation is matched by the error that Check returns when a file breaks
// the rules.
var ErrViolation = errors.New("import not allowed")

// Violation is one thing a file may not do.
type Violation struct {
	// File is the file's path as given to Check.
	File string
	// Line is the line of the import or directive.
	Line int
	// Import is the import path, or "//go:linkname" for that directive.
	Import string
	// Why says what rule it breaks.
	Why string
}

// String describes v for a learner: the file, the line, the import and the
// rule, e.g. `roundrobin.go:5 imports "os/exec": no kata may run other
// programs; roundrobin may import: sync, sync/atomic`.
func (v Violation) String() string {
	if strings.HasPrefix(v.Import, "func ") || strings.HasPrefix(v.Import, "package ") || v.Import == "//go:embed" {
		return fmt.Sprintf("%s:%d has %s: %s", filepath.Base(v.File), v.Line, v.Import, v.Why)
	}
	if v.Line == 0 {
		return fmt.Sprintf("%s is a %s: %s", filepath.Base(v.File), v.Import, v.Why)
	}
	return fmt.Sprintf("%s:%d imports %q: %s", filepath.Base(v.File), v.Line, v.Import, v.Why)
}

// Check parses the import declarations and comments of files and returns
// every violation of the allow-list allowed and of the Forbidden list, in
// file and line order. kata names the kata in the messages. The error is
// non-nil only when a file cannot be read or parsed.
func Check(kata string, allowed []string, files ...string) ([]Violation, error) {
	var out []Violation
	list := "nothing"
	if len(allowed) > 0 {
		list = strings.Join(allowed, ", ")
	}
	for _, name := range files {
		fset := token.NewFileSet()
		// The whole file, not ImportsOnly: a //go:linkname may come after
		// the first declaration.
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("imports: %w", err)
		}
		for _, spec := range f.Imports {
			path, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return nil, fmt.Errorf("imports: %s: bad import %s", name, spec.Path.Value)
			}
			line := fset.Position(spec.Pos()).Line
			switch {
			case slices.Contains(Forbidden, path):
				out = append(out, Violation{File: name, Line: line, Import: path,
					Why: fmt.Sprintf("%s; %s may import: %s", forbiddenWhy(path), kata, list)})
			case !slices.Contains(allowed, path):
				out = append(out, Violation{File: name, Line: line, Import: path,
					Why: fmt.Sprintf("not on %s's list; it may import: %s", kata, list)})
			}
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.HasPrefix(c.Text, "//go:linkname") {
					out = append(out, Violation{File: name, Line: fset.Position(c.Pos()).Line, Import: "//go:linkname",
						Why: "no kata may reach the runtime's or another package's private functions"})
				}
			}
		}
	}
	return out, nil
}

// foreign are the file name extensions the go command builds besides .go:
// assembly, C and friends, and prebuilt objects. No kata has any, and each
// is a way around the import check.
var foreign = []string{".s", ".S", ".sx", ".c", ".cc", ".cpp", ".cxx", ".h", ".hh", ".hpp", ".hxx",
	".m", ".f", ".F", ".for", ".f90", ".swig", ".swigcxx", ".syso"}

// Foreign returns a violation for every file in dir (not its subfolders)
// that the go command would build or link and that is not Go: assembly, C,
// C++, Objective-C, Fortran, SWIG or a .syso object.
func Foreign(dir string) ([]Violation, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("imports: %w", err)
	}
	var out []Violation
	for _, e := range ents {
		if !e.IsDir() && slices.Contains(foreign, filepath.Ext(e.Name())) {
			out = append(out, Violation{File: filepath.Join(dir, e.Name()), Import: filepath.Ext(e.Name()) + " file",
				Why: "a kata is Go only: the go command would build this file beside the Go code"})
		}
	}
	return out, nil
}

func forbiddenWhy(path string) string {
	switch path {
	case "C":
		return "no kata may use cgo"
	case "os/exec":
		return "no kata may run other programs"
	case "syscall":
		return "no kata may make system calls directly"
	case "plugin":
		return "no kata may load code at run time"
	default:
		return "no kata may step outside Go's type and memory safety"
	}
}

// Err turns violations into one error matching ErrViolation, or nil when
// there are none.
func Err(vs []Violation) error {
	if len(vs) == 0 {
		return nil
	}
	msgs := make([]string, len(vs))
	for i, v := range vs {
		msgs[i] = v.String()
	}
	return fmt.Errorf("%w: %s", ErrViolation, strings.Join(msgs, "; "))
}

// Policy is Check plus what a take-home submission may not do besides
// imports, so that it can be refused before anything is built: a package
// clause other than pkg, //go:embed (it reads files at build time),
// func TestMain (the grader owns it) and init functions (they run before
// any test, where a failure cannot be attributed).
func Policy(kata, pkg string, allowed []string, files ...string) ([]Violation, error) {
	out, err := Check(kata, allowed, files...)
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("imports: %w", err)
		}
		if f.Name.Name != pkg {
			out = append(out, Violation{File: name, Line: fset.Position(f.Name.Pos()).Line, Import: "package " + f.Name.Name,
				Why: fmt.Sprintf("the kata's package is %s", pkg)})
		}
		for _, cg := range f.Comments {
			for _, c := range cg.List {
				if strings.HasPrefix(c.Text, "//go:embed") {
					out = append(out, Violation{File: name, Line: fset.Position(c.Pos()).Line, Import: "//go:embed",
						Why: "a submission may not read files at build time"})
				}
			}
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			switch fn.Name.Name {
			case "TestMain":
				out = append(out, Violation{File: name, Line: fset.Position(fn.Pos()).Line, Import: "func TestMain",
					Why: "the grader owns TestMain"})
			case "init":
				out = append(out, Violation{File: name, Line: fset.Position(fn.Pos()).Line, Import: "func init",
					Why: "a submission may not run code before the tests (init functions)"})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b Violation) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	return out, nil
}
