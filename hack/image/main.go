// Command image builds the cloud-controller-manager container image without
// a container runtime: a multi-platform OCI image assembled from prebuilt
// static binaries on a minimal base made here (CA certificates of the build
// machine, /etc/passwd and /etc/group with the non-root user 65532, no shell,
// no package manager).
//
// It lives in its own Go module so that go-containerregistry stays out of the
// product's go.mod. Outputs, in -out:
//
//	oci/                                   OCI image layout holding the
//	                                       multi-platform index, for
//	                                       `crane push <out>/oci <ref>` and
//	                                       `skopeo copy oci:<out>/oci ...`
//	<name>.oci.tar                         the same layout as one tar, for
//	                                       `ctr import`, `docker load` (25+),
//	                                       `podman load`
//	<name>-<os>-<arch>.docker.tar          one docker-archive per platform,
//	                                       for `docker load` of any version
//	                                       and `crane push <file> <ref>`
//	<name>.spdx.json                       SPDX SBOM: the Go modules linked
//	                                       into the binaries
//
// The image config matches the Dockerfile's: the same entrypoint, user and
// labels. Builds are reproducible: every timestamp is -created (default: the
// commit time, as SOURCE_DATE_EPOCH conventions suggest).
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The runtime identity, as in distroless' "nonroot" images the Dockerfile
// uses, so either image runs under the same Pod securityContext.
const (
	nonrootUID = 65532
	// entrypoint is where the binary is installed; the Dockerfile copies it
	// to the same path.
	entrypoint = "/cloud-controller-manager"
)

// platformBinaries collects repeated -binary os/arch[/variant]=path flags.
type platformBinaries []platformBinary

type platformBinary struct {
	platform v1.Platform
	path     string
}

func (p *platformBinaries) String() string { return fmt.Sprint(*p) }

func (p *platformBinaries) Set(s string) error {
	plat, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("want os/arch=path, got %q", s)
	}
	parts := strings.Split(plat, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("want os/arch[/variant]=path, got %q", s)
	}
	pl := v1.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		pl.Variant = parts[2]
	} else if pl.Architecture == "arm64" {
		// Registries and runtimes describe linux/arm64 as variant v8.
		pl.Variant = "v8"
	}
	*p = append(*p, platformBinary{platform: pl, path: path})
	return nil
}

type options struct {
	binaries    platformBinaries
	ref         string
	version     string
	commit      string
	created     string
	source      string
	caCerts     string
	out         string
	archiveName string
}

func main() {
	var o options
	flag.Var(&o.binaries, "binary", "os/arch[/variant]=path of a static binary (repeat per platform)")
	flag.StringVar(&o.ref, "ref", "ghcr.io/alicloud-ccm/cloud-controller-manager:v0.0.0-dev", "image reference written into the archives")
	flag.StringVar(&o.version, "version", "v0.0.0-dev", "org.opencontainers.image.version label")
	flag.StringVar(&o.commit, "commit", "unknown", "org.opencontainers.image.revision label")
	flag.StringVar(&o.created, "created", "", "creation time: RFC 3339 or Unix seconds (default $SOURCE_DATE_EPOCH, else the Unix epoch)")
	flag.StringVar(&o.source, "source", "https://github.com/alicloud-ccm/alicloud-ccm", "org.opencontainers.image.source label")
	flag.StringVar(&o.caCerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "PEM bundle of CA certificates to install")
	flag.StringVar(&o.out, "out", "bin/image", "output directory")
	flag.StringVar(&o.archiveName, "name", "cloud-controller-manager", "file name prefix of the archives")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func parseCreated(s string) (time.Time, error) {
	if s == "" {
		s = os.Getenv("SOURCE_DATE_EPOCH")
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(secs, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("creation time %q: want RFC 3339 or Unix seconds", s)
	}
	return t.UTC(), nil
}

func run(o options) error {
	if len(o.binaries) == 0 {
		return errors.New("no -binary given")
	}
	created, err := parseCreated(o.created)
	if err != nil {
		return err
	}
	ref, err := name.NewTag(o.ref)
	if err != nil {
		return fmt.Errorf("image reference %q: %w", o.ref, err)
	}
	certs, err := os.ReadFile(o.caCerts)
	if err != nil {
		return fmt.Errorf("reading the CA certificates (set -ca-certs): %w", err)
	}
	if !bytes.Contains(certs, []byte("-----BEGIN CERTIFICATE-----")) {
		return fmt.Errorf("%s holds no PEM certificate", o.caCerts)
	}
	base, err := baseLayer(certs, created)
	if err != nil {
		return err
	}
	labels := imageLabels(o, created)

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range o.binaries {
		img, err := platformImage(b, base, labels, created)
		if err != nil {
			return fmt.Errorf("%s: %w", platformString(b.platform), err)
		}
		plat := b.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &plat},
		})
		docker := filepath.Join(o.out, fmt.Sprintf("%s-%s-%s.docker.tar", o.archiveName, plat.OS, plat.Architecture))
		if err := tarball.WriteToFile(docker, ref, img); err != nil {
			return fmt.Errorf("writing %s: %w", docker, err)
		}
		size, err := imageSize(img)
		if err != nil {
			return err
		}
		fmt.Printf("%-14s %s (%.1f MiB compressed)\n", platformString(plat), docker, float64(size)/(1<<20))
	}

	layoutDir := filepath.Join(o.out, "oci")
	if err := os.RemoveAll(layoutDir); err != nil {
		return err
	}
	lp, err := layout.Write(layoutDir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	// containerd (ctr import, docker load 25+) names the image after
	// io.containerd.image.name; OCI tools use ref.name.
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"io.containerd.image.name":          ref.Name(),
		"org.opencontainers.image.ref.name": ref.TagStr(),
	})); err != nil {
		return fmt.Errorf("writing the OCI layout: %w", err)
	}
	archive := filepath.Join(o.out, o.archiveName+".oci.tar")
	if err := tarDir(layoutDir, archive, created); err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Printf("%-14s %s (%s, index %s)\n", "multi-platform", archive, ref.Name(), d)
	sbom := filepath.Join(o.out, o.archiveName+".spdx.json")
	if err := writeSBOM(sbom, o.version, created, o.binaries); err != nil {
		return err
	}
	fmt.Printf("%-14s %s\n", "SBOM", sbom)
	return nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func imageLabels(o options, created time.Time) map[string]string {
	return map[string]string{
		"org.opencontainers.image.title":       "alicloud-ccm",
		"org.opencontainers.image.description": "Kubernetes cloud-controller-manager for Alibaba Cloud",
		"org.opencontainers.image.source":      o.source,
		"org.opencontainers.image.version":     o.version,
		"org.opencontainers.image.revision":    o.commit,
		"org.opencontainers.image.created":     created.Format(time.RFC3339),
	}
}

func platformImage(b platformBinary, base v1.Layer, labels map[string]string, created time.Time) (v1.Image, error) {
	bin, err := os.ReadFile(b.path)
	if err != nil {
		return nil, fmt.Errorf("reading the binary: %w", err)
	}
	binLayer, err := layerOf(created, []entry{{name: strings.TrimPrefix(entrypoint, "/"), mode: 0o755, data: bin}})
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Architecture: b.platform.Architecture,
		OS:           b.platform.OS,
		Variant:      b.platform.Variant,
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			Entrypoint: []string{entrypoint},
			User:       fmt.Sprintf("%d:%d", nonrootUID, nonrootUID),
			WorkingDir: "/",
			Labels:     labels,
			// Go finds the bundle at this path by itself; set for other
			// TLS stacks an operator might add in a derived image.
			Env: []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"},
		},
		RootFS: v1.RootFS{Type: "layers"},
	})
	if err != nil {
		return nil, err
	}
	return mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "hack/image: base (CA certificates, passwd, group)", Comment: "alicloud-ccm"}},
		mutate.Addendum{Layer: binLayer, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "hack/image: COPY cloud-controller-manager " + entrypoint, Comment: "alicloud-ccm"}},
	)
}

func imageSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	return total, nil
}

// entry is one file or directory of a layer.
type entry struct {
	name     string
	mode     int64
	dir      bool
	uid, gid int
	data     []byte
}

func baseLayer(certs []byte, created time.Time) (v1.Layer, error) {
	const passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	const group = "root:x:0:\nnonroot:x:65532:\n"
	// Go's resolver reads nsswitch.conf for the order of /etc/hosts and DNS.
	const nsswitch = "hosts: files dns\n"
	return layerOf(created, []entry{
		{name: "etc", dir: true, mode: 0o755},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte(nsswitch)},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/ssl", dir: true, mode: 0o755},
		{name: "etc/ssl/certs", dir: true, mode: 0o755},
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, data: certs},
		{name: "home", dir: true, mode: 0o755},
		{name: "home/nonroot", dir: true, mode: 0o700, uid: nonrootUID, gid: nonrootUID},
		{name: "root", dir: true, mode: 0o700},
		{name: "tmp", dir: true, mode: 0o1777},
	})
}

// layerOf builds a gzip-compressed OCI layer from entries, with fixed times
// and owners so that the digest depends on the content only.
func layerOf(created time.Time, entries []entry) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: created,
			Format:  tar.FormatPAX,
		}
		if e.dir {
			h.Typeflag = tar.TypeDir
			h.Name += "/"
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// tarDir writes the files under dir into a tar archive in a stable order.
func tarDir(dir, archive string, created time.Time) (err error) {
	var files []string
	if err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			files = append(files, p)
		}
		return nil
	}); err != nil {
		return err
	}
	sort.Strings(files)
	f, err := os.Create(archive)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	for _, p := range files {
		fi, err := os.Stat(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: filepath.ToSlash(rel), ModTime: created, Mode: 0o644, Format: tar.FormatPAX}
		if fi.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, h.Name+"/", 0o755
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if err := copyFile(tw, p); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyFile(w io.Writer, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
