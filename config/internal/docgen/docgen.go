// Package docgen renders docs/cloud-config.md from the source of package
// config: the Global struct's fields (json, default and ignored tags, doc
// comments) and the package documentation of config/credentials.
package docgen

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// Render returns the Markdown document. configDir is the directory of
// package config.
func Render(configDir string) ([]byte, error) {
	fields, err := globalFields(filepath.Join(configDir, "config.go"))
	if err != nil {
		return nil, err
	}
	credDoc, err := packageDoc(filepath.Join(configDir, "credentials", "credentials.go"))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("## Fields\n\n| Field | Type | Default | Description |\n|---|---|---|---|\n")
	for _, f := range fields {
		if f.ignored == "" {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.name, f.typ, code(f.def), cell(f.doc))
		}
	}
	b.WriteString("\n## Accepted but ignored\n\nThese fields of the official CCM's (kubernetes/cloud-provider-alibaba-cloud) cloud-config are accepted so existing files keep working; " +
		"setting one produces a warning that says what to use instead.\n\n| Field | Type | Meaning in the official CCM | Instead |\n|---|---|---|---|\n")
	for _, f := range fields {
		if f.ignored != "" {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.name, f.typ, cell(f.doc), cell(f.ignored))
		}
	}
	b.WriteString("\n## Credentials\n\n")
	b.Write(credDoc)
	b.WriteString(footer)
	return b.Bytes(), nil
}

const header = `# cloud-config reference

<!-- Generated from config/config.go and config/credentials by the test TestCloudConfigDocIsFresh. DO NOT EDIT.
     Regenerate: UPDATE_DOCS=1 go test ./config/ -run TestCloudConfigDocIsFresh -->

The file passed with ` + "`--cloud-config`" + ` is JSON or YAML with one top-level object, ` + "`Global`" + `.
The deployment guide's ` + "`configmap-ccm.sh`" + ` writes this minimal file:

` + "```json" + `
{"Global": {"accessKeyID": "<base64>", "accessKeySecret": "<base64>", "region": "cn-hangzhou"}}
` + "```" + `

The same in YAML, on an ECS control plane with an attached RAM role (region, VPC, zone and
vSwitch then come from the instance metadata service):

` + "```yaml" + `
Global:
  clusterID: my-cluster
  routeTableIDs: vtb-aaa,vtb-bbb
` + "```" + `

Field names are matched case-insensitively (as the official CCM does), with a warning when the
spelling differs. Unknown fields produce a warning naming them. Every invalid value is reported at
start-up, all at once, naming the field and the value (never the value of a secret).

`

const footer = `
## Metadata service

` + "`region`" + ` and ` + "`vpcid`" + ` are required. When one of them is empty the CCM reads it from the ECS
instance metadata service (` + "`metadataEndpoint`" + `); values in the file always win. A control plane
that does not run on ECS gets, after about 5 seconds, an error naming the field to set, e.g.
` + "`Global.region is not set and the ECS metadata service is unreachable (...): set Global.region`" + `.
` + "`zoneid`" + ` and ` + "`vswitchid`" + ` are filled the same way when possible; failing that is a warning.
`

type fieldDoc struct {
	name, typ, def, ignored, doc string
}

func globalFields(path string) ([]fieldDoc, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	var st *ast.StructType
	ast.Inspect(f, func(n ast.Node) bool {
		if ts, ok := n.(*ast.TypeSpec); ok && ts.Name.Name == "Global" {
			st, _ = ts.Type.(*ast.StructType)
		}
		return st == nil
	})
	if st == nil {
		return nil, errors.New("type Global struct not found in " + path)
	}
	var out []fieldDoc
	for _, fl := range st.Fields.List {
		if fl.Tag == nil || len(fl.Names) != 1 {
			return nil, fmt.Errorf("Global field at %s: want one name and a tag", fset.Position(fl.Pos()))
		}
		raw, err := strconv.Unquote(fl.Tag.Value)
		if err != nil {
			return nil, fmt.Errorf("tag of %s: %w", fl.Names[0].Name, err)
		}
		tag := reflect.StructTag(raw)
		name, _, _ := strings.Cut(tag.Get("json"), ",")
		doc := strings.Join(strings.Fields(fl.Doc.Text()), " ")
		if doc == "" {
			return nil, fmt.Errorf("Global.%s has no doc comment", fl.Names[0].Name)
		}
		out = append(out, fieldDoc{name: name, typ: typeName(fl.Type), def: tag.Get("default"), ignored: tag.Get("ignored"), doc: doc})
	}
	return out, nil
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		switch t.Name {
		case "Secret":
			return "string, base64"
		case "int", "int64":
			return "integer"
		case "float64":
			return "number"
		case "bool":
			return "boolean"
		}
		return t.Name
	case *ast.MapType:
		return "object of " + typeName(t.Value)
	}
	return fmt.Sprintf("%T", e)
}

func packageDoc(path string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if f.Doc == nil {
		return nil, errors.New("no package documentation in " + path)
	}
	// The first paragraph introduces the Go package; the document is for
	// users, so it starts with the order and says "the CCM" for "New".
	_, text, _ := strings.Cut(f.Doc.Text(), "\n\n")
	text = strings.NewReplacer("New picks", "The CCM uses", "New's error", "the start-up error").Replace(text)
	d := new(comment.Parser).Parse(text)
	return (&comment.Printer{HeadingLevel: 3}).Markdown(d), nil
}

func code(s string) string {
	if s == "" {
		return ""
	}
	return "`" + s + "`"
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
