package framework

// Entry points for programs that are not tests (the `make demo` program in
// test/demo): the same process handling and binary lookup the tests use,
// without a testing.TB.

// StartProcess starts bin with args in its own process group, its stdout and
// stderr appended to logPath, and killed (SIGKILL) if the starting program
// dies. The caller must Stop it.
func StartProcess(name, logPath, bin string, args ...string) (*Process, error) {
	return startProcess(name, logPath, bin, args...)
}

// FindBinary returns the binary named by envVar (e.g. "ETCD_BIN"), or
// bin/<name> in CacheDir(), with an error that says how to get it when it is
// missing or not executable.
func FindBinary(envVar, name string) (string, error) {
	return findBinary(envVar, name)
}
