package floors

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The diagram is the first fenced block of docs/ARCHITECTURE.md that has a
// "floor N" row. parseDiagram reads it as follows.
//
//   - Rows of nothing but spaces and '│' are drawing only.
//   - A row is split into fields at runs of two or more spaces (or a tab),
//     once the spaces around every "──" are made single. The first field is
//     the row's label: "floor N", "anywhere" or "beside"; a row without a
//     label continues the section of the row above it.
//   - The fields after the label are the row's entries up to the first field
//     that is not one; that field and the rest of the row are its
//     description. Entries are paths relative to the module (lower-case
//     letters, digits, '_', '-' and '.', separated by '/'). A floor row's
//     entries are packages, or several packages joined by " ── ": in
//     "A ── B" both stand on the row's floor and B is below A within it, so
//     A may import B but B not A. An "anywhere" row's entries are internal
//     packages (paths with an "internal" element), which any package may
//     import. A "beside" row's entries are directories, written with a final
//     '/', whose packages stand outside the floors and are not checked.
//   - So a description must not be a single word that could be an entry of
//     its row: on a floor such a word is read as a package, which the check
//     then reports as placed but not in the module.
//
// Packages of the module are those `go list ./...` reports from the module
// root for the host's GOOS and GOARCH without build tags; nested modules,
// such as tensor/kernels/internal/asmgen, are not part of it.

var (
	floorLabel  = regexp.MustCompile(`^floor (\d+)$`)
	entryPath   = regexp.MustCompile(`^[a-z][a-z0-9_.-]*(/[a-z0-9_.-]+)*/?$`)
	fieldGap    = regexp.MustCompile(`[ \t]{2,}|\t`)
	chainLink   = regexp.MustCompile(`[ \t]*──[ \t]*`)
	drawingOnly = " \t│"
)

// place is where the diagram puts a package: its floor, and its chain (the
// packages joined by "──" with it, or itself alone) with its position in
// that chain, 0 for the leftmost.
type place struct {
	floor, chain, pos int
}

// diagram is the floor diagram: the places of the packages on floors, the
// internal packages any package may import, and the directories beside the
// floors.
type diagram struct {
	places   map[string]place
	anywhere []string
	beside   []string
}

// parseDiagram reads the floor diagram out of doc, the text of
// docs/ARCHITECTURE.md; its errors name the line of doc at fault.
func parseDiagram(doc string) (diagram, error) {
	lines := strings.Split(doc, "\n")
	start, end, err := diagramBlock(lines)
	if err != nil {
		return diagram{}, err
	}
	d := diagram{places: map[string]place{}}
	seen := map[int]bool{}
	section, floor, chain := "", 0, 0
	for i := start; i < end; i++ {
		row := strings.TrimSpace(chainLink.ReplaceAllString(lines[i], " ── "))
		if strings.Trim(row, drawingOnly) == "" {
			continue
		}
		fields := fieldGap.Split(row, -1)
		switch m := floorLabel.FindStringSubmatch(fields[0]); {
		case m != nil:
			floor, _ = strconv.Atoi(m[1])
			if seen[floor] {
				return diagram{}, fmt.Errorf("line %d: floor %d is drawn twice", i+1, floor)
			}
			seen[floor] = true
			section, fields = "floor", fields[1:]
		case fields[0] == "anywhere" || fields[0] == "beside":
			section, fields = fields[0], fields[1:]
		case section == "":
			return diagram{}, fmt.Errorf("line %d: %q is neither a \"floor N\", an \"anywhere\" nor a \"beside\" row, and no row above it is one to continue", i+1, row)
		}
		entries := leadingEntries(section, fields)
		if len(entries) == 0 {
			return diagram{}, fmt.Errorf("line %d: %q names no %s before its description", i+1, row, entryKind[section])
		}
		for _, e := range entries {
			switch section {
			case "floor":
				chain++
				for pos, p := range e {
					if _, dup := d.places[p]; dup {
						return diagram{}, fmt.Errorf("line %d: %s is placed twice", i+1, p)
					}
					d.places[p] = place{floor: floor, chain: chain, pos: pos}
				}
			case "anywhere":
				d.anywhere = append(d.anywhere, e[0])
			default:
				d.beside = append(d.beside, strings.TrimSuffix(e[0], "/"))
			}
		}
	}
	return d, nil
}

// diagramBlock returns the first and past-the-last line of the first fenced
// block of lines that has a "floor N" row.
func diagramBlock(lines []string) (start, end int, err error) {
	start, floors := -1, false
	for i, l := range lines {
		if !strings.HasPrefix(strings.TrimLeft(l, " "), "```") {
			if start >= 0 && floorLabel.MatchString(fieldGap.Split(strings.TrimSpace(l), -1)[0]) {
				floors = true
			}
			continue
		}
		switch {
		case start < 0:
			start = i + 1
		case floors:
			return start, i, nil
		default:
			start = -1
		}
	}
	if floors {
		return 0, 0, fmt.Errorf("line %d: the diagram's fenced block is not closed", start)
	}
	return 0, 0, errors.New("no fenced block with a \"floor N\" row: the floor diagram is missing or its rows no longer start with \"floor N\"")
}

// entryKind names the entries of each section's rows.
var entryKind = map[string]string{"floor": "package", "anywhere": "internal package", "beside": "directory ending in /"}

// leadingEntries returns the entries of a row of section that start fields,
// each split at its "──" links, up to the first field that is not an entry.
func leadingEntries(section string, fields []string) [][]string {
	var out [][]string
	for _, f := range fields {
		parts := strings.Split(f, " ── ")
		if len(parts) > 1 && section != "floor" {
			return out
		}
		for _, p := range parts {
			if !isEntry(section, p) {
				return out
			}
		}
		out = append(out, parts)
	}
	return out
}

// isEntry reports whether s can be an entry of a row of section: a
// package on a floor, an internal package anywhere, a directory beside.
func isEntry(section, s string) bool {
	if !entryPath.MatchString(s) {
		return false
	}
	switch section {
	case "floor":
		return !strings.HasSuffix(s, "/")
	case "anywhere":
		return internal(s)
	default:
		return strings.HasSuffix(s, "/")
	}
}

// internal reports whether path, relative to the module, is an internal
// package: one with an "internal" element.
func internal(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

// isBeside reports whether path is in one of d's directories beside the
// floors.
func (d diagram) isBeside(path string) bool {
	for _, dir := range d.beside {
		if path == dir || strings.HasPrefix(path, dir+"/") {
			return true
		}
	}
	return false
}

// describe names path with its standing on d.
func (d diagram) describe(path string) string {
	if p, ok := d.places[path]; ok {
		return fmt.Sprintf("%s (floor %d)", path, p.floor)
	}
	if internal(path) {
		return path + " (internal)"
	}
	if d.isBeside(path) {
		return path + " (beside the floors)"
	}
	return path + " (not on the diagram)"
}

// allows reports whether a package at from may import one at to: one on a
// lower floor, or one after it in its chain.
func allows(from, to place) bool {
	return to.floor < from.floor || to.floor == from.floor && to.chain == from.chain && to.pos > from.pos
}

// pkg is a package of the module and the packages of the module it imports,
// in its code and in its internal and external test packages, all as paths
// relative to the module.
type pkg struct {
	path                               string
	imports, testImports, xtestImports []string
}

// check returns, sorted, the ways pkgs, the packages of a module, break the
// floors of d:
//
//   - every package but the internal ones and those beside the floors stands
//     on a floor, and every package the diagram names exists;
//   - a package on a floor imports, in its code and in its tests alike, only
//     packages on lower floors, packages after it in its "──" chain and
//     internal packages; a test of a package is held to its package's floor;
//   - an internal package imports only internal packages, since any package
//     may import it: through it a package could otherwise reach one on its
//     own floor or above.
//
// Packages beside the floors are not checked.
func check(d diagram, pkgs []pkg) []string {
	var out []string
	exists := map[string]bool{}
	for _, p := range pkgs {
		exists[p.path] = true
		from, placed := d.places[p.path]
		switch {
		case d.isBeside(p.path):
			continue
		case !placed && !internal(p.path):
			out = append(out, fmt.Sprintf("%s is a package of the module that the diagram does not place", p.path))
			continue
		}
		for _, kind := range []struct {
			where   string
			imports []string
		}{{"", p.imports}, {" in its tests", p.testImports}, {" in its external tests", p.xtestImports}} {
			for _, imp := range kind.imports {
				to, toPlaced := d.places[imp]
				switch {
				case imp == p.path, internal(imp):
					continue
				case placed && toPlaced && allows(from, to):
					continue
				case placed && !toPlaced && !d.isBeside(imp):
					continue // reported as not placed
				}
				out = append(out, fmt.Sprintf("%s imports %s%s", d.describe(p.path), d.describe(imp), kind.where))
			}
		}
	}
	for _, p := range append(slices.Collect(maps.Keys(d.places)), d.anywhere...) {
		if !exists[p] {
			out = append(out, fmt.Sprintf("the diagram places %s, which is not a package of the module", p))
		}
	}
	slices.Sort(out)
	return out
}

// module is the module under test, as go list -m reports it.
type module struct {
	Path, Dir string
}

// goCommand runs the go command with args in dir and returns its standard
// output, failing t with the command's standard error.
func goCommand(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, exit.Stderr)
	}
	if err != nil {
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// packages returns the packages of m with the packages of m each imports.
func packages(t *testing.T, m module) []pkg {
	t.Helper()
	out := goCommand(t, m.Dir, "list", "-json=ImportPath,Dir,Imports,TestImports,XTestImports", "./...")
	var pkgs []pkg
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var l struct {
			ImportPath, Dir                    string
			Imports, TestImports, XTestImports []string
		}
		err := dec.Decode(&l)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("go list's output: %v", err)
		}
		path, ok := relative(m.Path, l.ImportPath)
		if !ok {
			t.Fatalf("go list ./... reports %s, outside module %s", l.ImportPath, m.Path)
		}
		openGoFiles(t, l.Dir)
		pkgs = append(pkgs, pkg{path: path, imports: ofModule(m.Path, l.Imports),
			testImports: ofModule(m.Path, l.TestImports), xtestImports: ofModule(m.Path, l.XTestImports)})
	}
	if len(pkgs) == 0 {
		t.Fatalf("go list ./... reports no package in %s", m.Dir)
	}
	return pkgs
}

// relative returns importPath relative to module path mod ("." for the
// module's root) and whether it is in the module.
func relative(mod, importPath string) (string, bool) {
	if importPath == mod {
		return ".", true
	}
	rest, ok := strings.CutPrefix(importPath, mod+"/")
	return rest, ok
}

// ofModule returns the import paths of module mod among imports, relative
// to it.
func ofModule(mod string, imports []string) []string {
	var out []string
	for _, imp := range imports {
		if rel, ok := relative(mod, imp); ok {
			out = append(out, rel)
		}
	}
	return out
}

// openGoFiles opens dir and every Go file in it. go test caches a test's
// result until a file the test itself opened changes; go list reads the
// sources in another process, so without this an import added later would
// not run the test again.
func openGoFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".go") {
			f, err := os.Open(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// Every import of every package of the module, tests included, keeps to the
// floors of docs/ARCHITECTURE.md.
func TestFloors(t *testing.T) {
	var m module
	if err := json.Unmarshal(goCommand(t, ".", "list", "-m", "-json"), &m); err != nil {
		t.Fatalf("go list -m -json: %v", err)
	}
	doc, err := os.ReadFile(filepath.Join(m.Dir, "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := parseDiagram(string(doc))
	if err != nil {
		t.Fatalf("docs/ARCHITECTURE.md: the floor diagram: %v", err)
	}
	if v := check(d, packages(t, m)); len(v) > 0 {
		t.Errorf("the module breaks the floors of docs/ARCHITECTURE.md, where a package imports only packages on "+
			"lower floors, those after it in its ── chain and internal packages, an internal package imports only "+
			"internal packages, and every other package stands on a floor or beside them:\n\t%s", strings.Join(v, "\n\t"))
	}
}

// fixture is a small diagram in the form of docs/ARCHITECTURE.md's.
const fixture = "# Title\n\n```go\nfmt.Println()\n```\n\n" + "```\n" +
	" floor 3   gan                   the step\n" +
	"             │\n" +
	" floor 2   nn        optim       layers; optimisers\n" +
	"             │\n" +
	" floor 0   tensor  ── tensor/kernels      tensors; GEMM\n" +
	"\n" +
	" anywhere  internal/atomicfile   write and rename\n" +
	"           internal/gradcheck    finite differences\n" +
	" beside    scripts/              manual tools\n" +
	"```\n\nText.\n"

// The fixture's diagram is read whole: floors, chains, anywhere and beside.
func TestParseDiagram(t *testing.T) {
	d, err := parseDiagram(fixture)
	if err != nil {
		t.Fatal(err)
	}
	want := diagram{
		places: map[string]place{
			"gan": {3, 1, 0}, "nn": {2, 2, 0}, "optim": {2, 3, 0}, "tensor": {0, 4, 0}, "tensor/kernels": {0, 4, 1},
		},
		anywhere: []string{"internal/atomicfile", "internal/gradcheck"},
		beside:   []string{"scripts"},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("parseDiagram = %+v, want %+v", d, want)
	}
}

// A diagram that cannot be read is refused with the line at fault.
func TestParseDiagramErrors(t *testing.T) {
	block := func(rows ...string) string { return "```\n" + strings.Join(rows, "\n") + "\n```\n" }
	for _, c := range []struct {
		name, doc, want string
	}{
		{"no diagram", "# Architecture\n\nNo floors.\n", "no fenced block"},
		{"no floor rows", block(" tensor   float32 tensors"), "no fenced block"},
		{"unclosed block", "```\n floor 0   tensor   tensors\n", "line 1: the diagram's fenced block is not closed"},
		{"row before any label", block(" tensor   tensors", " floor 0   nn   layers"), `line 2: "tensor   tensors" is neither`},
		{"floor without packages", block(" floor 1   the differentiation", " floor 0   tensor"), `line 2: "floor 1   the differentiation" names no package`},
		{"floor twice", block(" floor 0   tensor", " floor 0   nn"), "line 3: floor 0 is drawn twice"},
		{"package twice", block(" floor 1   nn", " floor 0   tensor ── nn"), "line 3: nn is placed twice"},
		{"directory on a floor", block(" floor 0   tensor/"), `line 2: "floor 0   tensor/" names no package`},
		{"chain anywhere", block(" floor 0   tensor", " anywhere  internal/a ── internal/b"), `line 3: "anywhere  internal/a ── internal/b" names no internal package`},
		{"anywhere not internal", block(" floor 0   tensor", " anywhere  atomicfile   rename"), `line 3: "anywhere  atomicfile   rename" names no internal package`},
		{"beside not a directory", block(" floor 0   tensor", " beside    scripts   tools"), `line 3: "beside    scripts   tools" names no directory ending in /`},
		{"label only", block(" floor 0"), `line 2: "floor 0" names no package`},
	} {
		_, err := parseDiagram(c.doc)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: parseDiagram error = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

// check names each break of the fixture's floors, with the packages and
// their floors, and accepts a tree that keeps to them.
func TestCheck(t *testing.T) {
	d, err := parseDiagram(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// tree returns the fixture's packages, importing nothing, with the
	// packages in changed replacing or joining them.
	tree := func(changed ...pkg) []pkg {
		var out []pkg
		for _, path := range []string{"gan", "nn", "optim", "tensor", "tensor/kernels", "internal/atomicfile", "internal/gradcheck"} {
			if !slices.ContainsFunc(changed, func(p pkg) bool { return p.path == path }) {
				out = append(out, pkg{path: path})
			}
		}
		return append(out, changed...)
	}
	for _, c := range []struct {
		name string
		pkgs []pkg
		want []string
	}{
		{"lower floors, the chain and internal packages", tree(
			pkg{path: "gan", imports: []string{"nn", "optim", "tensor", "tensor/kernels", "internal/atomicfile"},
				testImports: []string{"internal/gradcheck"}, xtestImports: []string{"gan", "nn"}},
			pkg{path: "tensor", imports: []string{"tensor/kernels"}},
			pkg{path: "tensor/kernels", imports: []string{"tensor/kernels/internal/blas"}},
			pkg{path: "tensor/kernels/internal/blas"},
			pkg{path: "internal/gradcheck", imports: []string{"internal/atomicfile"}},
		), nil},
		{"beside the floors, not checked", tree(pkg{path: "scripts/tool", imports: []string{"gan", "nn"}}), nil},
		{"a floor above", tree(pkg{path: "nn", imports: []string{"gan"}}), []string{"nn (floor 2) imports gan (floor 3)"}},
		{"a floor above in tests", tree(pkg{path: "nn", testImports: []string{"gan"}, xtestImports: []string{"gan"}}),
			[]string{"nn (floor 2) imports gan (floor 3) in its external tests", "nn (floor 2) imports gan (floor 3) in its tests"}},
		{"the same floor", tree(pkg{path: "nn", imports: []string{"optim"}}), []string{"nn (floor 2) imports optim (floor 2)"}},
		{"up the chain", tree(pkg{path: "tensor/kernels", imports: []string{"tensor"}}),
			[]string{"tensor/kernels (floor 0) imports tensor (floor 0)"}},
		{"internal importing a floor", tree(pkg{path: "internal/gradcheck", testImports: []string{"tensor"}}),
			[]string{"internal/gradcheck (internal) imports tensor (floor 0) in its tests"}},
		{"importing a tool beside the floors", tree(pkg{path: "gan", imports: []string{"scripts/tool"}}, pkg{path: "scripts/tool"}),
			[]string{"gan (floor 3) imports scripts/tool (beside the floors)"}},
		{"not placed", tree(pkg{path: "metrics", imports: []string{"gan"}}, pkg{path: "gan", imports: []string{"metrics"}}),
			[]string{"metrics is a package of the module that the diagram does not place"}},
		{"placed but absent", tree()[1:], []string{"the diagram places gan, which is not a package of the module"}},
		{"anywhere but absent", tree()[:6], []string{"the diagram places internal/gradcheck, which is not a package of the module"}},
	} {
		if got := check(d, c.pkgs); !slices.Equal(got, c.want) {
			t.Errorf("%s: check = %q, want %q", c.name, got, c.want)
		}
	}
}
