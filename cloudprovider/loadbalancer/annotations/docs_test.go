package annotations

import (
	"bytes"
	"os"
	"testing"
)

const docPath = "../../../docs/annotations.md"

// TestAnnotationsDocIsFresh fails when docs/annotations.md differs from the
// registry. Regenerate with
// UPDATE_DOCS=1 go test ./cloudprovider/loadbalancer/annotations -run TestAnnotationsDocIsFresh
func TestAnnotationsDocIsFresh(t *testing.T) {
	want := RenderMarkdown()
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(docPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (generate it with UPDATE_DOCS=1 go test ./cloudprovider/loadbalancer/annotations -run TestAnnotationsDocIsFresh)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerate it with UPDATE_DOCS=1 go test ./cloudprovider/loadbalancer/annotations -run TestAnnotationsDocIsFresh", docPath)
	}
}
