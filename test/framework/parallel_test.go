package framework

import (
	"flag"
	"testing"
)

// TestParallelTwiceIsFine: a world constructor may call Parallel for a test
// that already called t.Parallel.
func TestParallelTwiceIsFine(t *testing.T) {
	t.Parallel()
	Parallel(t)
}

// TestParallelLeavesSubtestsInOrder: for a subtest Parallel does nothing, so
// the next subtest still runs after it (a parallel subtest would only run
// once the parent's function returned).
func TestParallelLeavesSubtestsInOrder(t *testing.T) {
	var order []string
	for _, name := range []string{"first", "second"} {
		t.Run(name, func(t *testing.T) {
			Parallel(t)
			order = append(order, name)
		})
	}
	if len(order) != 2 || order[0] != "first" || order[1] != "second" {
		t.Fatalf("subtests ran as %v, want [first second] before the parent went on", order)
	}
}

// TestDefaultParallel: the value applies unless the command line gave
// -parallel; nonsense is refused.
func TestDefaultParallel(t *testing.T) {
	f := flag.Lookup("test.parallel")
	old := f.Value.String()
	explicit := false
	flag.Visit(func(v *flag.Flag) { explicit = explicit || v.Name == "test.parallel" })
	t.Cleanup(func() { _ = flag.Set("test.parallel", old) })
	if err := DefaultParallel(0); err == nil {
		t.Error("DefaultParallel(0) accepted")
	}
	if err := DefaultParallel(7); err != nil {
		t.Fatal(err)
	}
	want := "7"
	if explicit {
		want = old
	}
	if got := f.Value.String(); got != want {
		t.Errorf("-test.parallel = %s, want %s (given on the command line: %v)", got, want, explicit)
	}
}
