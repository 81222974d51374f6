package mwauth

// api_test.go keeps the public surface small: it counts the root
// package's exported identifiers with go/doc, as `go doc -all` shows
// them, and fails when they grow past the budget. Run it with -v to see
// the counts:
//
//	go test -run TestAPISize -v .

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Budgets of the public API (issue "v0.2 core").
const (
	maxExported    = 110 // types, funcs, methods, struct fields, consts, vars
	maxBehavioural = 30  // funcs and methods, without the standard interfaces' methods
)

// interfaceMethods implement standard interfaces (error, errors.Is,
// fmt.Formatter): they are API, but not behaviour of their own.
var interfaceMethods = map[string]bool{"Error": true, "Is": true, "Unwrap": true, "Format": true}

func TestAPISize(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	require.NoError(t, err)
	var files []*ast.File
	for _, p := range pkgs {
		for _, f := range p.Files {
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/mwauth/mwauth")
	require.NoError(t, err)

	counts := map[string]int{}
	var behaviour []string
	values := func(vs []*doc.Value, kind string) {
		for _, v := range vs {
			for _, n := range v.Names {
				if ast.IsExported(n) {
					counts[kind]++
				}
			}
		}
	}
	values(p.Consts, "const")
	values(p.Vars, "var")
	for _, f := range p.Funcs {
		counts["func"]++
		behaviour = append(behaviour, f.Name)
	}
	for _, typ := range p.Types {
		counts["type"]++
		values(typ.Consts, "const")
		values(typ.Vars, "var")
		for _, f := range typ.Funcs {
			counts["func"]++
			behaviour = append(behaviour, f.Name)
		}
		for _, m := range typ.Methods {
			counts["method"]++
			if !interfaceMethods[m.Name] {
				behaviour = append(behaviour, typ.Name+"."+m.Name)
			}
		}
		for _, spec := range typ.Decl.Specs {
			if st, ok := spec.(*ast.TypeSpec).Type.(*ast.StructType); ok {
				for _, field := range st.Fields.List {
					for _, n := range field.Names {
						if n.IsExported() {
							counts["field"]++
						}
					}
				}
			}
		}
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	sort.Strings(behaviour)
	t.Logf("exported identifiers: %d %v", total, counts)
	t.Logf("behavioural funcs and methods: %d %v", len(behaviour), behaviour)
	assert.LessOrEqual(t, total, maxExported, "exported identifiers")
	assert.LessOrEqual(t, len(behaviour), maxBehavioural, "behavioural funcs and methods")
}

// TestOptionIsSealed proves that no function outside the package can be
// an Option, so that nothing can change a Client after New.
func TestOptionIsSealed(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go command")
	}
	goBin, err := exec.LookPath("go")
	require.NoError(t, err)
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	files := map[string]string{
		"go.mod": "module sealcheck\n\ngo 1.22\n\nrequire github.com/mwauth/mwauth v0.0.0\n\nreplace github.com/mwauth/mwauth => " + root + "\n",
		"go.sum": string(sum),
		"main.go": `package main

import "github.com/mwauth/mwauth"

var _ mwauth.Option = func(*mwauth.Client) error { return nil }

func main() {}
`,
	}
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	cmd := exec.Command(goBin, "build", "-mod=mod", "./...")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "a func(*mwauth.Client) error must not be an Option:\n%s", out)
	assert.Contains(t, string(out), "does not implement mwauth.Option", "%s", out)
}
