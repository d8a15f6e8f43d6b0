package main

import (
	"context"
	"fmt"
	"io"
)

// runList prints every kata with its practice status (placeholder: being
// written).
func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "grader: list is not written yet")
	return exitUsage
}

// runStats prints practice statistics (placeholder: being written).
func runStats(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "grader: stats is not written yet")
	return exitUsage
}
