// Package overlay writes the `go test -overlay` files through which the
// grader tests a kata with any code in place of the learner's, without ever
// touching the learner's tree: the hidden tests are added, the learner's
// files replaced by the reference, a mutant or a submission, and a
// grader-owned TestMain records that the test binary ran to completion.
package overlay

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/microkata/microkata/grader/internal/catalog"
)

// Names of the files the overlay adds to a kata folder. They sort after any
// learner or visible test file, so hidden tests run last (tests run in
// file-name order, and a watchdog panic must not stop the visible tests).
const (
	HiddenName = "zz_hidden_test.go"
	MainName   = "zz_microkata_main_test.go"
)

// MarkerDirEnv is the environment variable that tells the grader-owned
// TestMain where to write its completion marker, and MarkerTokenEnv the one
// that gives it the run's nonce to write into it. The TestMain reads both
// and removes them from the environment before the first test runs.
//
// The nonce travels in the environment, not in the TestMain's source: a
// source that differs on every run is a new test package for the go
// command's build cache, so every grade would compile every kata's test
// package (visible and hidden tests, under -race) again, which was half of
// a warm grade's time (14 s against 7 s for sixteen references). Either way
// only code that imports os could read the nonce (from /proc/self/environ
// now, from /proc/self/exe before), and the import check refuses os in a
// kata: such code can never pass.
const (
	MarkerDirEnv   = "MICROKATA_MARKER_DIR"
	MarkerTokenEnv = "MICROKATA_MARKER_TOKEN"
)

// Code says whose code stands in the kata folder.
type Code struct {
	// Files replace the learner's non-test files; nil keeps the learner's.
	Files []string
	// Replace, when set, takes the place of the file named <kata>.go among
	// Files (a mutant or an alternate of the reference).
	Replace string
}

// Learner keeps the learner's own code.
func Learner() Code { return Code{} }

// Reference puts the reference solution in place of the learner's code.
func Reference(k *catalog.Kata) Code { return Code{Files: k.SolutionFiles} }

// Variant puts the reference with path in place of its <kata>.go.
func Variant(k *catalog.Kata, path string) Code {
	return Code{Files: k.SolutionFiles, Replace: path}
}

// Spec is what one overlay adds for one kata.
type Spec struct {
	Kata   *catalog.Kata
	Code   Code
	Hidden bool // add the hidden tests
	Main   bool // add the grader-owned TestMain
	// TestFiles replaces test files of the kata folder: a file name maps
	// to the file that takes its place, or to "" to delete it. The grader
	// uses it to put the repository's pristine visible tests in place of a
	// learner's edited or deleted ones.
	TestFiles map[string]string
}

// Overlay is a set of overlaid katas with its JSON file and marker nonce.
type Overlay struct {
	// Path is the overlay JSON file to pass to -overlay.
	Path string
	// Token is the nonce every TestMain of the overlay writes into its
	// marker; Env passes it to them.
	Token string
}

// Env is the environment a test binary of the overlay needs: the marker
// folder and the nonce.
func (o *Overlay) Env(markerDir string) []string {
	return []string{MarkerDirEnv + "=" + markerDir, MarkerTokenEnv + "=" + o.Token}
}

type jsonFile struct {
	Replace map[string]string
}

// Write writes the overlay for specs into dir (a private temporary
// directory) and returns it.
func Write(dir string, specs ...Spec) (*Overlay, error) {
	token, err := nonce()
	if err != nil {
		return nil, err
	}
	o := &Overlay{Token: token}
	repl := map[string]string{}
	for _, s := range specs {
		k := s.Kata
		if s.Code.Files != nil {
			for _, f := range k.LearnerFiles {
				repl[f] = "" // deleted unless the replacement has the same name
			}
			for _, f := range s.Code.Files {
				src := f
				if s.Code.Replace != "" && filepath.Base(f) == k.Package+".go" {
					src = s.Code.Replace
				}
				repl[filepath.Join(k.Dir, filepath.Base(f))] = src
			}
			if s.Code.Replace != "" && !hasBase(s.Code.Files, k.Package+".go") {
				return nil, fmt.Errorf("overlay: kata %s: the reference has no %s.go for %s to replace", k.Name, k.Package, filepath.Base(s.Code.Replace))
			}
		}
		for name, src := range s.TestFiles {
			if filepath.Base(name) != name || !strings.HasSuffix(name, "_test.go") {
				return nil, fmt.Errorf("overlay: kata %s: %q is not a test file name", k.Name, name)
			}
			repl[filepath.Join(k.Dir, name)] = src
		}
		if s.Hidden && len(k.Hidden) > 0 {
			repl[filepath.Join(k.Dir, HiddenName)] = filepath.Join(k.SolutionDir, catalog.HiddenFile)
		}
		if s.Main {
			src := filepath.Join(dir, k.Name+"_main_test.go")
			if err := os.WriteFile(src, []byte(MainSource(k.Package+"_test", k.Name)), 0o644); err != nil {
				return nil, err
			}
			repl[filepath.Join(k.Dir, MainName)] = src
		}
	}
	data, err := json.MarshalIndent(jsonFile{Replace: repl}, "", "\t")
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "overlay-*.json")
	if err != nil {
		return nil, err
	}
	o.Path = f.Name()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return nil, err
	}
	return o, f.Close()
}

func hasBase(files []string, base string) bool {
	for _, f := range files {
		if filepath.Base(f) == base {
			return true
		}
	}
	return false
}

func nonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Marker is what the grader-owned TestMain writes after m.Run returns.
type Marker struct {
	Token string `json:"token"`
	Code  int    `json:"code"` // m.Run's result
	Leak  string `json:"leak"` // goleak's report, empty when none
}

// MainSource is the grader-owned TestMain for a kata's external test
// package: it runs the tests, looks for goroutines still running, and
// writes a Marker with $MICROKATA_MARKER_TOKEN into
// $MICROKATA_MARKER_DIR/<kata>.json. A test binary that exits early (os.Exit
// in init or in a test, a crash, a timeout) leaves no marker. A second
// TestMain in the learner's code is a build error. The source is the same
// on every run, so the go command's build cache keeps the compiled test
// package (see MarkerTokenEnv).
func MainSource(pkg, kata string) string {
	return strings.NewReplacer("{{PKG}}", pkg, "{{KATA}}", kata).Replace(`// Code generated by the microkata grader. DO NOT EDIT.

package {{PKG}}

import (
	microkataJSON "encoding/json"
	microkataOS "os"
	microkataPath "path/filepath"
	microkataTesting "testing"

	microkataLeak "go.uber.org/goleak"
)

func TestMain(m *microkataTesting.M) {
	dir, token := microkataOS.Getenv("MICROKATA_MARKER_DIR"), microkataOS.Getenv("MICROKATA_MARKER_TOKEN")
	_ = microkataOS.Unsetenv("MICROKATA_MARKER_DIR")
	_ = microkataOS.Unsetenv("MICROKATA_MARKER_TOKEN")
	ignore := microkataLeak.IgnoreCurrent()
	code := m.Run()
	leak := ""
	if err := microkataLeak.Find(ignore); err != nil {
		leak = err.Error()
	}
	if dir != "" {
		data, _ := microkataJSON.Marshal(map[string]any{"token": token, "code": code, "leak": leak})
		_ = microkataOS.WriteFile(microkataPath.Join(dir, "{{KATA}}.json"), data, 0o644)
	}
	microkataOS.Exit(code)
}
`)
}

// ReadMarker reads kata's marker from dir. It returns nil when the marker
// is missing or does not carry token.
func ReadMarker(dir, kata, token string) *Marker {
	data, err := os.ReadFile(filepath.Join(dir, kata+".json"))
	if err != nil {
		return nil
	}
	var m Marker
	if json.Unmarshal(data, &m) != nil || token == "" || m.Token != token {
		return nil
	}
	return &m
}
