//go:build !unix

package gotest

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

// killGroup kills the go command; on systems without process groups its
// children are left to exit when their pipes close.
func killGroup(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	return cmd.Process.Kill()
}
