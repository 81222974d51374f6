package mwauth_test

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMECodeBlocksCompile extracts every ```go block of README.md and
// builds it, as a reader who copies it would, in a new module in a
// temporary directory outside the repository whose go.mod has only a
// replace of this module. go vet runs on them too.
//
// A block is compiled as one of:
//   - a whole file, when it starts with a package clause;
//   - declarations (functions, types, ...) in package main, when it
//     parses as such; a func main is added if it has none;
//   - otherwise statements, the body of func main.
//
// Imports are added for the packages a block names (context, os, mwauth,
// mwauthtest, ...), found as unresolved identifiers, so the README need
// not show them. Line directives make errors point at README.md's lines.
func TestREADMECodeBlocksCompile(t *testing.T) {
	blocks := readmeGoBlocks(t, "README.md")
	require.NotEmpty(t, blocks, "README.md has no ```go block")

	repo, err := filepath.Abs(".")
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	gomod := "module readmecheck\n\ngo " + readmeGoDirective(t) + "\n\n" +
		"replace github.com/mwauth/mwauth => " + filepath.ToSlash(repo) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	for _, b := range blocks {
		src, err := b.program()
		require.NoError(t, err, "README.md:%d: the block does not parse", b.line)
		pkg := filepath.Join(dir, fmt.Sprintf("line%d", b.line))
		require.NoError(t, os.Mkdir(pkg, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(pkg, "main.go"), []byte(src), 0o644))
	}

	goBin, err := exec.LookPath("go") // go test puts its GOROOT/bin first in PATH
	require.NoError(t, err)
	for _, args := range [][]string{{"build", "-o", os.DevNull, "./..."}, {"vet", "./..."}} {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s of README.md's ```go blocks:\n%s", args[0], out)
	}
}

// readmeBlock is one ```go block: its text and the README line of its
// first line.
type readmeBlock struct {
	line int
	code string
}

func readmeGoBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	indent := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &readmeBlock{line: n + 1}
			indent = line[:strings.Index(line, "```")]
		case cur != nil && trimmed == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.code += strings.TrimPrefix(line, indent) + "\n"
		}
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "%s: a ```go block is not closed", path)
	return blocks
}

// readmeImports are the packages a README block may name without
// importing them.
var readmeImports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "io": "io", "log": "log",
	"os": "os", "strings": "strings", "time": "time", "testing": "testing",
	"http": "net/http", "url": "net/url", "slog": "log/slog", "json": "encoding/json",
	"filepath": "path/filepath", "signal": "os/signal",
	"mwauth": "github.com/mwauth/mwauth", "mwauthtest": "github.com/mwauth/mwauth/mwauthtest",
}

// program returns the block as a file of package main.
func (b readmeBlock) program() (string, error) {
	directive := fmt.Sprintf("//line README.md:%d\n", b.line)
	if strings.HasPrefix(strings.TrimSpace(b.code), "package ") {
		return directive + b.code, nil
	}
	decls := "package main\n\n" + directive + b.code
	stmts := "package main\n\nfunc main() {\n" + directive + b.code + "}\n"
	src := decls
	f, err := parser.ParseFile(token.NewFileSet(), "", decls, 0)
	if err != nil {
		src = stmts
		if f, err = parser.ParseFile(token.NewFileSet(), "", stmts, 0); err != nil {
			return "", err
		}
	} else if f.Scope.Lookup("main") == nil {
		src += "\nfunc main() {}\n"
	}
	var imports []string
	for _, id := range f.Unresolved {
		if p, ok := readmeImports[id.Name]; ok && !readmeContains(imports, p) {
			imports = append(imports, p)
		}
	}
	sort.Strings(imports)
	var head strings.Builder
	head.WriteString("package main\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&head, "\t%q\n", p)
	}
	head.WriteString(")\n")
	return head.String() + strings.TrimPrefix(src, "package main\n"), nil
}

func readmeContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func readmeGoDirective(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			return v
		}
	}
	require.Fail(t, "no go directive in go.mod")
	return ""
}
