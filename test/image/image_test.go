// Package image tests the container image `make image` builds without a
// Docker daemon (hack/image): it reads the OCI layout the way a runtime
// does, with the standard library only, so the test does not trust the
// library that wrote it.
package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const (
	testVersion = "v9.9.9-imagetest"
	testCommit  = "abc1234"
	testRef     = "registry.example.com/alicloud/cloud-controller-manager:" + testVersion
	versionPkg  = "github.com/alicloud-ccm/alicloud-ccm/cmd/cloud-controller-manager/command"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations"`
	Platform    *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant"`
	} `json:"platform"`
}

type index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Manifests     []descriptor `json:"manifests"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
	Config       struct {
		Entrypoint []string          `json:"Entrypoint"`
		Cmd        []string          `json:"Cmd"`
		User       string            `json:"User"`
		Labels     map[string]string `json:"Labels"`
	} `json:"config"`
	RootFS struct {
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// run runs a command in dir and returns its combined output.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestImage builds the image for linux/amd64 and linux/arm64 with
// hack/image, unpacks it from the OCI archive, checks the index, the
// configs (entrypoint, user, labels, platforms) and the file systems (a
// non-root passwd entry, CA certificates, no shell), runs the amd64 binary
// from the unpacked file system with --version, and checks that the
// Dockerfile declares the same entrypoint, user and labels.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("runs the linux/amd64 binary; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	root := repoRoot(t)
	tmp := t.TempDir()
	ldflags := fmt.Sprintf("-X %s.gitVersion=%s -X %s.gitCommit=%s", versionPkg, testVersion, versionPkg, testCommit)
	bins := map[string]string{
		"amd64": filepath.Join(tmp, "linux-amd64", "cloud-controller-manager"),
		"arm64": filepath.Join(tmp, "linux-arm64", "cloud-controller-manager"),
	}
	// The real CCM for amd64, with the flags the e2e tests build it with
	// (only the link differs, so it comes out of the build cache); the
	// release build (make image) differs in -trimpath and CGO_ENABLED=0.
	run(t, root, nil, "go", "build", "-ldflags", ldflags, "-o", bins["amd64"], "./cmd/cloud-controller-manager")
	// A small stand-in for arm64 (see testdata/standin).
	run(t, root, []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0"}, "go", "build", "-o", bins["arm64"], "./test/image/testdata/standin")

	out := filepath.Join(tmp, "image")
	build := func(out string) string {
		return run(t, filepath.Join(root, "hack", "image"), nil, "go", "run", ".",
			"-binary", "linux/amd64="+bins["amd64"], "-binary", "linux/arm64="+bins["arm64"],
			"-ref", testRef, "-version", testVersion, "-commit", testCommit, "-created", "1700000000", "-out", out)
	}
	t.Logf("hack/image:\n%s", build(out))

	blobs := readTar(t, filepath.Join(out, "cloud-controller-manager.oci.tar"))
	if string(blobs["oci-layout"]) != `{"imageLayoutVersion": "1.0.0"}` && !strings.Contains(string(blobs["oci-layout"]), `"imageLayoutVersion"`) {
		t.Errorf("oci-layout: %q", blobs["oci-layout"])
	}
	var top index
	mustJSON(t, blobs["index.json"], &top)
	if len(top.Manifests) != 1 || top.Manifests[0].MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("index.json: want one image index, got %+v", top.Manifests)
	}
	if got := top.Manifests[0].Annotations["io.containerd.image.name"]; got != testRef {
		t.Errorf("io.containerd.image.name %q, want %q (ctr import and docker load name the image after it)", got, testRef)
	}
	var idx index
	mustJSON(t, blob(t, blobs, top.Manifests[0]), &idx)
	var platforms []string
	configs := map[string]imageConfig{}
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			t.Fatalf("index entry %s has no platform", d.Digest)
		}
		p := d.Platform.OS + "/" + d.Platform.Architecture
		platforms = append(platforms, p)
		var m manifest
		mustJSON(t, blob(t, blobs, d), &m)
		var cfg imageConfig
		mustJSON(t, blob(t, blobs, m.Config), &cfg)
		configs[d.Platform.Architecture] = cfg
		if cfg.OS+"/"+cfg.Architecture != p {
			t.Errorf("%s: config says %s/%s", p, cfg.OS, cfg.Architecture)
		}
		checkConfig(t, p, cfg)
		fs := unpack(t, blobs, m, cfg)
		checkFiles(t, p, fs)
		bin := fs["cloud-controller-manager"]
		wantMachine := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[d.Platform.Architecture]
		if f, err := elf.NewFile(bytes.NewReader(bin.data)); err != nil || f.Machine != wantMachine {
			t.Errorf("%s: /cloud-controller-manager is not an ELF binary for %v (%v)", p, wantMachine, err)
		}
		if d.Platform.Architecture == "amd64" {
			runVersion(t, fs)
		}
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v, want linux/amd64 and linux/arm64", platforms)
	}

	for _, arch := range []string{"amd64", "arm64"} {
		checkDockerArchive(t, filepath.Join(out, "cloud-controller-manager-linux-"+arch+".docker.tar"))
	}
	checkDockerfile(t, filepath.Join(root, "Dockerfile"), configs["amd64"])

	// Reproducible: a second build writes the same index.
	out2 := filepath.Join(tmp, "image2")
	build(out2)
	a, _ := os.ReadFile(filepath.Join(out, "oci", "index.json"))
	b, _ := os.ReadFile(filepath.Join(out2, "oci", "index.json"))
	if !bytes.Equal(a, b) {
		t.Errorf("two builds of the same binaries differ:\n%s\n%s", a, b)
	}

	var sbom struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name string `json:"name"`
		} `json:"packages"`
	}
	mustJSON(t, readFile(t, filepath.Join(out, "cloud-controller-manager.spdx.json")), &sbom)
	if sbom.SPDXVersion != "SPDX-2.3" || !slices.ContainsFunc(sbom.Packages, func(p struct {
		Name string `json:"name"`
	}) bool {
		return p.Name == "k8s.io/cloud-provider"
	}) {
		t.Errorf("SBOM %s lists %d packages, without k8s.io/cloud-provider", sbom.SPDXVersion, len(sbom.Packages))
	}
}

func checkConfig(t *testing.T, p string, cfg imageConfig) {
	t.Helper()
	if !slices.Equal(cfg.Config.Entrypoint, []string{"/cloud-controller-manager"}) || len(cfg.Config.Cmd) != 0 {
		t.Errorf("%s: entrypoint %q cmd %q", p, cfg.Config.Entrypoint, cfg.Config.Cmd)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", p, cfg.Config.User)
	}
	for k, want := range map[string]string{
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.revision": testCommit,
		"org.opencontainers.image.created":  "2023-11-14T22:13:20Z",
		"org.opencontainers.image.source":   "https://github.com/alicloud-ccm/alicloud-ccm",
	} {
		if got := cfg.Config.Labels[k]; got != want {
			t.Errorf("%s: label %s=%q, want %q", p, k, got, want)
		}
	}
}

type file struct {
	mode     int64
	uid      int
	typeflag byte
	data     []byte
}

// unpack applies the layers in order, checking each layer's digest and its
// uncompressed digest against the config's diff_ids as a runtime does.
func unpack(t *testing.T, blobs map[string][]byte, m manifest, cfg imageConfig) map[string]file {
	t.Helper()
	if len(m.Layers) != len(cfg.RootFS.DiffIDs) {
		t.Fatalf("%d layers, %d diff_ids", len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	fs := map[string]file{}
	for i, l := range m.Layers {
		if l.MediaType != "application/vnd.oci.image.layer.v1.tar+gzip" {
			t.Errorf("layer %d media type %q", i, l.MediaType)
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob(t, blobs, l)))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if got := "sha256:" + sha256Hex(raw); got != cfg.RootFS.DiffIDs[i] {
			t.Errorf("layer %d: uncompressed digest %s, diff_id %s", i, got, cfg.RootFS.DiffIDs[i])
		}
		tr := tar.NewReader(bytes.NewReader(raw))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(tr)
			fs[strings.TrimSuffix(path.Clean(h.Name), "/")] = file{mode: h.Mode, uid: h.Uid, typeflag: h.Typeflag, data: data}
		}
	}
	return fs
}

func checkFiles(t *testing.T, p string, fs map[string]file) {
	t.Helper()
	if f, ok := fs["cloud-controller-manager"]; !ok || f.mode&0o111 == 0 {
		t.Errorf("%s: /cloud-controller-manager missing or not executable", p)
	}
	if !regexp.MustCompile(`(?m)^nonroot:x:65532:65532:`).Match(fs["etc/passwd"].data) {
		t.Errorf("%s: /etc/passwd has no user 65532: %q", p, fs["etc/passwd"].data)
	}
	if !bytes.Contains(fs["etc/ssl/certs/ca-certificates.crt"].data, []byte("-----BEGIN CERTIFICATE-----")) {
		t.Errorf("%s: no CA certificates in /etc/ssl/certs/ca-certificates.crt", p)
	}
	if f := fs["tmp"]; f.typeflag != tar.TypeDir || f.mode&0o1777 != 0o1777 {
		t.Errorf("%s: /tmp is not a sticky world-writable directory", p)
	}
	for name := range fs {
		if name == "bin/sh" || strings.HasSuffix(name, "/sh") || strings.HasSuffix(name, "/bash") || strings.HasSuffix(name, "/busybox") {
			t.Errorf("%s: the image has a shell: /%s", p, name)
		}
	}
}

// runVersion writes the unpacked file system out and runs the binary from it.
func runVersion(t *testing.T, fs map[string]file) {
	t.Helper()
	dir := t.TempDir()
	for name, f := range fs {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if f.typeflag == tar.TypeDir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.data, os.FileMode(f.mode)&0o777); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "cloud-controller-manager"), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("/cloud-controller-manager --version from the unpacked image: %v\n%s", err, out)
	}
	for _, want := range []string{testVersion, testCommit} {
		if !strings.Contains(string(out), want) {
			t.Errorf("--version printed %q, without %q", out, want)
		}
	}
}

func checkDockerArchive(t *testing.T, archive string) {
	t.Helper()
	files := readTar(t, archive)
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	mustJSON(t, files["manifest.json"], &m)
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{testRef}) || len(m[0].Layers) != 2 {
		t.Fatalf("%s manifest.json: %+v", filepath.Base(archive), m)
	}
	for _, f := range append([]string{m[0].Config}, m[0].Layers...) {
		if _, ok := files[f]; !ok {
			t.Errorf("%s: %s listed in manifest.json but absent", filepath.Base(archive), f)
		}
	}
}

// checkDockerfile compares the Dockerfile's final stage with the config.
func checkDockerfile(t *testing.T, path string, cfg imageConfig) {
	t.Helper()
	b := readFile(t, path)
	// Join continuation lines, then keep the last stage.
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	stages := regexp.MustCompile(`(?m)^FROM `).Split(text, -1)
	last := stages[len(stages)-1]
	var entrypoint []string
	var user string
	labels := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(last))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "ENTRYPOINT "):
			mustJSON(t, []byte(strings.TrimPrefix(line, "ENTRYPOINT ")), &entrypoint)
		case strings.HasPrefix(line, "USER "):
			user = strings.TrimSpace(strings.TrimPrefix(line, "USER "))
		case strings.HasPrefix(line, "LABEL "):
			for _, m := range regexp.MustCompile(`([a-z0-9.\-]+)=`).FindAllStringSubmatch(strings.TrimPrefix(line, "LABEL "), -1) {
				labels[m[1]] = true
			}
		}
	}
	if !slices.Equal(entrypoint, cfg.Config.Entrypoint) || user != cfg.Config.User {
		t.Errorf("Dockerfile: ENTRYPOINT %q USER %q; hack/image: %q %q", entrypoint, user, cfg.Config.Entrypoint, cfg.Config.User)
	}
	for k := range cfg.Config.Labels {
		if !labels[k] {
			t.Errorf("the Dockerfile does not set the label %s", k)
		}
	}
	for k := range labels {
		if _, ok := cfg.Config.Labels[k]; !ok {
			t.Errorf("hack/image does not set the Dockerfile's label %s", k)
		}
	}
}

func readTar(t *testing.T, p string) map[string][]byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(readFile(t, p)))
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if h.Typeflag == tar.TypeReg {
			files[h.Name], _ = io.ReadAll(tr)
		}
	}
}

// blob returns a descriptor's blob from the layout, verifying digest and size.
func blob(t *testing.T, blobs map[string][]byte, d descriptor) []byte {
	t.Helper()
	alg, hexDigest, _ := strings.Cut(d.Digest, ":")
	b, ok := blobs["blobs/"+alg+"/"+hexDigest]
	if !ok {
		t.Fatalf("blob %s missing from the layout", d.Digest)
	}
	if sha256Hex(b) != hexDigest || int64(len(b)) != d.Size {
		t.Fatalf("blob %s: content does not match its digest or size", d.Digest)
	}
	return b
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decoding %q: %v", truncate(string(b), 200), err)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
