package main

import (
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"time"
)

// The SBOM is SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/) listing
// the Go modules linked into the binaries, as recorded in their build
// information (the same data `go version -m` prints), and the Go toolchain.

type spdxDoc struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreation       `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreation struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID           string       `json:"SPDXID"`
	Name             string       `json:"name"`
	VersionInfo      string       `json:"versionInfo"`
	DownloadLocation string       `json:"downloadLocation"`
	FilesAnalyzed    bool         `json:"filesAnalyzed"`
	ExternalRefs     []spdxExtRef `json:"externalRefs,omitempty"`
	PrimaryPurpose   string       `json:"primaryPackagePurpose,omitempty"`
	Comment          string       `json:"comment,omitempty"`
}

type spdxExtRef struct {
	Category string `json:"referenceCategory"`
	Type     string `json:"referenceType"`
	Locator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	Element string `json:"spdxElementId"`
	Type    string `json:"relationshipType"`
	Related string `json:"relatedSpdxElement"`
}

var spdxIDUnsafe = regexp.MustCompile(`[^a-zA-Z0-9.-]+`)

// spdxPackageID is the SPDX identifier of a package (a Go module or the
// Go toolchain) at a version; SPDX IDs allow letters, digits, '.' and '-'.
func spdxPackageID(name, version string) string {
	return "SPDXRef-Package-" + spdxIDUnsafe.ReplaceAllString(name+"-"+version, "-")
}

// writeSBOM writes the SPDX document of the given binaries (their modules,
// de-duplicated) to path.
func writeSBOM(path, version string, created time.Time, binaries platformBinaries) error {
	type mod struct{ path, version, sum string }
	mods := map[string]mod{}
	var goVersion, mainPath string
	for _, b := range binaries {
		bi, err := buildinfo.ReadFile(b.path)
		if err != nil {
			return fmt.Errorf("reading the build information of %s: %w", b.path, err)
		}
		goVersion, mainPath = bi.GoVersion, bi.Main.Path
		for _, d := range bi.Deps {
			if d.Replace != nil {
				d = d.Replace
			}
			mods[d.Path+"@"+d.Version] = mod{d.Path, d.Version, d.Sum}
		}
	}
	mainID := spdxPackageID(mainPath, version)
	doc := spdxDoc{
		SPDXVersion:       "SPDX-2.3",
		DataLicense:       "CC0-1.0",
		SPDXID:            "SPDXRef-DOCUMENT",
		Name:              "cloud-controller-manager-" + version,
		DocumentNamespace: "https://github.com/alicloud-ccm/alicloud-ccm/spdx/cloud-controller-manager-" + version,
		CreationInfo:      spdxCreation{Created: created.Format(time.RFC3339), Creators: []string{"Tool: alicloud-ccm hack/image"}},
		Packages: []spdxPackage{{
			SPDXID: mainID, Name: mainPath, VersionInfo: version, DownloadLocation: "https://github.com/alicloud-ccm/alicloud-ccm",
			PrimaryPurpose: "APPLICATION",
			ExternalRefs:   []spdxExtRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + mainPath + "@" + version}},
		}, {
			SPDXID: spdxPackageID("golang", goVersion), Name: "golang", VersionInfo: strings.TrimPrefix(goVersion, "go"),
			DownloadLocation: "https://go.dev/dl/", Comment: "Go toolchain and standard library the binaries are built with",
		}},
		Relationships: []spdxRelationship{
			{"SPDXRef-DOCUMENT", "DESCRIBES", mainID},
			{mainID, "DEPENDS_ON", spdxPackageID("golang", goVersion)},
		},
	}
	keys := make([]string, 0, len(mods))
	for k := range mods {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m := mods[k]
		id := spdxPackageID(m.path, m.version)
		p := spdxPackage{
			SPDXID: id, Name: m.path, VersionInfo: m.version, DownloadLocation: "https://proxy.golang.org/" + m.path + "/@v/" + m.version + ".zip",
			PrimaryPurpose: "LIBRARY",
			ExternalRefs:   []spdxExtRef{{"PACKAGE-MANAGER", "purl", "pkg:golang/" + m.path + "@" + m.version}},
		}
		if m.sum != "" {
			// The go.sum hash (h1:, base64 SHA-256 of the module tree) has no
			// SPDX checksum algorithm; it is kept as a comment.
			p.Comment = "go.sum " + m.sum
		}
		doc.Packages = append(doc.Packages, p)
		doc.Relationships = append(doc.Relationships, spdxRelationship{mainID, "DEPENDS_ON", id})
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
