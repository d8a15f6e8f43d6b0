package verify

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/microkata/microkata/grader/internal/catalog"
	"github.com/microkata/microkata/grader/internal/grade"
)

// CacheDirEnv moves the verify cache (tests use it to start empty).
const CacheDirEnv = "MICROKATA_CACHE_DIR"

// cacheVersion changes when the cached data or the key's recipe changes.
const cacheVersion = "microkata-verify-cache 1"

// DefaultCacheDir is $MICROKATA_CACHE_DIR, else microkata/verify under the
// user's cache folder (os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on
// Linux).
func DefaultCacheDir() (string, error) {
	if d := os.Getenv(CacheDirEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "microkata", "verify"), nil
}

// cache keeps the results of verify jobs that came out as the contract
// wants (the reference and alternates pass, the stub fails, a mutant is
// caught), keyed by a hash of everything the result depends on. Results
// that break the contract are never kept, as go test keeps no failure: a
// mutant that a run did not catch (a race-only mutant on an unlucky run,
// say) runs again next time.
type cache struct {
	dir string
}

type cacheEntry struct {
	Key     string            `json:"key"`
	Outcome grade.OutcomeData `json:"outcome"`
}

func (c *cache) path(key string) string { return filepath.Join(c.dir, key[:2], key+".json") }

func (c *cache) get(key string) (grade.OutcomeData, bool) {
	if c == nil {
		return grade.OutcomeData{}, false
	}
	data, err := os.ReadFile(c.path(key))
	if err != nil {
		return grade.OutcomeData{}, false
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Key != key {
		return grade.OutcomeData{}, false
	}
	return e.Outcome, true
}

func (c *cache) put(key string, d grade.OutcomeData) error {
	if c == nil {
		return nil
	}
	data, err := json.Marshal(cacheEntry{Key: key, Outcome: d})
	if err != nil {
		return err
	}
	p := c.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	// Write and rename: a reader never sees half an entry.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// keyInputs is what every job of a kata depends on besides its own variant.
type keyInputs struct {
	GoVersion string
	Race      bool
	Timeout   string
	Grader    string // the hash of the grader's source: the code that decides a result
}

// kataKey hashes what all jobs of k share: the key inputs, go.mod and
// go.sum, every file under internal/ (the shared test helpers), every file
// of the kata folder but its Markdown (stub, visible tests, generated code,
// a .proto) and the Go files of the solution folder (the reference and the hidden tests). Mutants and
// alternates are not in it: each is in its own job's key.
func kataKey(in keyInputs, k *catalog.Kata) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00go %s\x00race %v\x00timeout %s\x00grader %s\x00", cacheVersion, in.GoVersion, in.Race, in.Timeout, in.Grader)
	files := []string{filepath.Join(k.Root, "go.mod"), filepath.Join(k.Root, "go.sum")}
	for _, dir := range []string{filepath.Join(k.Root, "internal"), k.Dir} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			// Documentation is not in any test binary: a README change
			// does not re-run a kata.
			if d.Type().IsRegular() && !strings.HasSuffix(p, ".md") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
	}
	sols, _ := filepath.Glob(filepath.Join(k.SolutionDir, "*.go"))
	files = append(files, sols...)
	sort.Strings(files)
	for _, f := range files {
		if err := hashFile(h, k.Root, f); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile adds a file's path (from root) and content to h; a missing file
// counts as missing.
func hashFile(h hash.Hash, root, p string) error {
	rel, err := filepath.Rel(root, p)
	if err != nil {
		rel = p
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(h, "%s\x00missing\x00", filepath.ToSlash(rel))
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), fi.Size())
	_, err = io.Copy(h, f)
	return err
}

// jobKey is a job's key: its kata's, its kind and count, and the content
// of the file it puts in place of the reference's (a mutant as applied, an
// alternate).
func jobKey(kataKey, kind string, count int, variant string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00count %d\x00", kataKey, kind, count)
	if variant != "" {
		data, err := os.ReadFile(variant)
		if err != nil {
			return "", err
		}
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// graderHash is the SHA-256 of the grader's own Go source under root
// (grader/, test files and testdata left out): the code that decides a
// job's result. Not the executable's hash: the go command stamps a build
// with the commit it was built at, so every commit — a README's too — would
// look like a new grader.
func graderHash(root string) string {
	h := sha256.New()
	var files []string
	_ = filepath.WalkDir(filepath.Join(root, "grader"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		if err := hashFile(h, root, f); err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// contractHolds reports whether a job's outcome is what the contract wants,
// the only outcomes worth keeping. It asks the same checks the report
// prints, so the cache cannot keep what the report would call a failure.
func contractHolds(j *job) bool {
	switch j.kind {
	case "reference", "alternate":
		return j.outcome.Passed() // passCheck's verdict
	case "stub":
		return stubCheck(j).OK
	case "mutant":
		_, _, caught := catches(j.outcome)
		return caught
	}
	return false
}
