package render

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/microkata/microkata/grader/internal/result"
)

// CSVHeader is the header row of CSV.
var CSVHeader = []string{"kata", "status", "visible_passed", "visible_total", "hidden_passed", "hidden_total",
	"race", "leak", "ns_ratio", "allocs_ratio", "score"}

// CSV writes one row per kata under CSVHeader: counts as integers, race
// and leak as true or false, the benchmark ratios with three decimals
// (empty when no benchmark ran).
func CSV(w io.Writer, run *result.Run) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, k := range run.Katas {
		ns, allocs := "", ""
		if b := k.Bench; b != nil && b.Error == "" {
			ns, allocs = ratio3(b.NsRatio), ratio3(b.AllocsRatio)
		}
		if err := cw.Write([]string{csvSafe(k.Name), string(k.Status),
			fmt.Sprint(k.VisiblePassed), fmt.Sprint(k.VisibleTotal), fmt.Sprint(k.HiddenPassed), fmt.Sprint(k.HiddenTotal),
			fmt.Sprint(k.Race), fmt.Sprint(k.Leak), ns, allocs, fmt.Sprint(k.Score)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func ratio3(r float64) string {
	return fmt.Sprintf("%.3f", r)
}

// csvSafe keeps a text cell from being read as a formula by a spreadsheet
// (OWASP's CSV injection advice): one that starts with =, +, -, @, a tab or
// a carriage return gets a leading apostrophe. Candidate ids and reasons
// come from a stranger's archive.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
