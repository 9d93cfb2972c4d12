package config

import (
	"bytes"
	"os"
	"testing"

	"github.com/alicloud-ccm/alicloud-ccm/config/internal/docgen"
)

const docPath = "../docs/cloud-config.md"

// TestCloudConfigDocIsFresh fails when docs/cloud-config.md differs from what
// the code documents. Regenerate with
// UPDATE_DOCS=1 go test ./config/ -run TestCloudConfigDocIsFresh
func TestCloudConfigDocIsFresh(t *testing.T) {
	want, err := docgen.Render(".")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("UPDATE_DOCS") == "1" {
		if err := os.WriteFile(docPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("%v (generate it with UPDATE_DOCS=1 go test ./config/ -run TestCloudConfigDocIsFresh)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: regenerate it with UPDATE_DOCS=1 go test ./config/ -run TestCloudConfigDocIsFresh", docPath)
	}
}
