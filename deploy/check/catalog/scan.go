package catalog

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// promPath is the import path of client_golang's registration API.
const promPath = "github.com/prometheus/client_golang/prometheus"

// optsKinds maps the option structs of client_golang to the kind they build.
var optsKinds = map[string]Kind{
	"CounterOpts":   KindCounter,
	"GaugeOpts":     KindGauge,
	"HistogramOpts": KindHistogram,
	"SummaryOpts":   KindSummary,
	"UntypedOpts":   KindUntyped,
	"Opts":          KindUnknown,
}

// ScanMetrics parses the Go files under each root, tests and testdata left out, and
// returns the metrics they register through client_golang. It fails when a file does
// not parse or when a metric name is not a constant expression (ErrNotConstant).
func ScanMetrics(roots ...string) (*Catalog, error) {
	c := New()
	err := eachPackage(roots, func(fset *token.FileSet, files []*ast.File) error {
		consts := packageConsts(files)
		for _, f := range files {
			prom := importName(f, promPath)
			if prom == "" {
				continue
			}
			if err := scanFile(fset, f, prom, consts, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// envName is a whole AVATAR_* variable name; a prefix such as "AVATAR_" alone is not.
var envName = regexp.MustCompile(`^AVATAR_[A-Z0-9_]*[A-Z0-9]$`)

// ScanEnv parses the Go files under each root, tests and testdata left out, and returns
// every AVATAR_* variable name they spell out as a string literal, with the file:line
// of its first use.
func ScanEnv(roots ...string) (map[string]string, error) {
	names := map[string]string{}
	err := eachPackage(roots, func(fset *token.FileSet, files []*ast.File) error {
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(lit.Value)
				if err != nil || !envName.MatchString(s) {
					return true
				}
				if _, seen := names[s]; !seen {
					names[s] = fset.Position(lit.Pos()).String()
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// eachPackage calls fn with the parsed non-test Go files of every directory under the
// roots, directory by directory, skipping testdata, vendor, node_modules and hidden
// directories.
func eachPackage(roots []string, fn func(*token.FileSet, []*ast.File) error) error {
	fset := token.NewFileSet()
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			name := d.Name()
			if path != root && (name == "testdata" || name == "vendor" || name == "node_modules" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			files, err := parseDir(fset, path)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return nil
			}
			return fn(fset, files)
		})
		if err != nil {
			return fmt.Errorf("scan %s: %w", root, err)
		}
	}
	return nil
}

// parseDir parses the non-test .go files directly in dir.
func parseDir(fset *token.FileSet, dir string) ([]*ast.File, error) {
	entries, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	slices.Sort(entries)
	var files []*ast.File
	for _, path := range entries {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// importName returns the name under which f imports path, or "" when it does not.
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil || p != path {
			continue
		}
		if imp.Name != nil {
			if imp.Name.Name == "_" || imp.Name.Name == "." {
				return ""
			}
			return imp.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

// packageConsts returns the expressions of the package-level constants of files, by
// name, for the names that have one (iota-style implicit repetitions have none).
func packageConsts(files []*ast.File) map[string]ast.Expr {
	consts := map[string]ast.Expr{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						consts[name.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	return consts
}

// scanFile adds to c the metrics f registers, f importing client_golang as prom.
func scanFile(fset *token.FileSet, f *ast.File, prom string, consts map[string]ast.Expr, c *Catalog) error {
	var firstErr error
	fail := func(pos token.Pos, err error) {
		if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", fset.Position(pos), err)
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		if firstErr != nil {
			return false
		}
		switch n := n.(type) {
		case *ast.CompositeLit:
			kind, ok := promSelector(n.Type, prom, optsKinds)
			if !ok {
				return true
			}
			name, err := optsName(n, consts)
			if err != nil {
				fail(n.Pos(), err)
				return false
			}
			if err := c.Add(Metric{Name: name, Kind: kind, Origin: fset.Position(n.Pos()).String()}); err != nil {
				fail(n.Pos(), err)
			}
		case *ast.CallExpr:
			if _, ok := promSelector(n.Fun, prom, map[string]Kind{"NewDesc": KindUnknown}); !ok || len(n.Args) == 0 {
				return true
			}
			name, err := descName(n.Args[0], prom, consts)
			if err != nil {
				fail(n.Pos(), err)
				return false
			}
			if err := c.Add(Metric{Name: name, Kind: KindUnknown, Origin: fset.Position(n.Pos()).String()}); err != nil {
				fail(n.Pos(), err)
			}
		}
		return true
	})
	return firstErr
}

// promSelector reports whether e is prom.X for an X in names, and X's kind.
func promSelector(e ast.Expr, prom string, names map[string]Kind) (Kind, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return 0, false
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok || x.Name != prom {
		return 0, false
	}
	kind, ok := names[sel.Sel.Name]
	return kind, ok
}

// optsName evaluates the Namespace, Subsystem and Name fields of an options literal.
func optsName(lit *ast.CompositeLit, consts map[string]ast.Expr) (string, error) {
	var parts [3]string
	seen := false
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return "", fmt.Errorf("%w: options without field names", ErrNotConstant)
		}
		key, ok := kv.Key.(*ast.Ident)
		if !ok {
			continue
		}
		i := slices.Index([]string{"Namespace", "Subsystem", "Name"}, key.Name)
		if i < 0 {
			continue
		}
		v, err := constString(kv.Value, consts, 0)
		if err != nil {
			return "", fmt.Errorf("%s: %w", key.Name, err)
		}
		parts[i] = v
		seen = seen || i == 2
	}
	if !seen || parts[2] == "" {
		return "", fmt.Errorf("%w: options without a Name", ErrNotConstant)
	}
	return buildFQName(parts[0], parts[1], parts[2]), nil
}

// descName evaluates the first argument of prometheus.NewDesc: a constant expression or
// a prometheus.BuildFQName call of constant expressions.
func descName(e ast.Expr, prom string, consts map[string]ast.Expr) (string, error) {
	if call, ok := e.(*ast.CallExpr); ok {
		if _, ok := promSelector(call.Fun, prom, map[string]Kind{"BuildFQName": KindUnknown}); ok && len(call.Args) == 3 {
			var parts [3]string
			for i, a := range call.Args {
				v, err := constString(a, consts, 0)
				if err != nil {
					return "", err
				}
				parts[i] = v
			}
			if parts[2] == "" {
				return "", fmt.Errorf("%w: BuildFQName without a name", ErrNotConstant)
			}
			return buildFQName(parts[0], parts[1], parts[2]), nil
		}
	}
	name, err := constString(e, consts, 0)
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", fmt.Errorf("%w: empty name", ErrNotConstant)
	}
	return name, nil
}

// constString evaluates a string constant expression: literals, the package's own
// constants, parentheses and +.
func constString(e ast.Expr, consts map[string]ast.Expr, depth int) (string, error) {
	if depth > 16 {
		return "", fmt.Errorf("%w: constants nest too deep", ErrNotConstant)
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			s, err := strconv.Unquote(e.Value)
			if err != nil {
				return "", fmt.Errorf("%w: %s: %w", ErrNotConstant, e.Value, err)
			}
			return s, nil
		}
	case *ast.Ident:
		if v, ok := consts[e.Name]; ok {
			return constString(v, consts, depth+1)
		}
		return "", fmt.Errorf("%w: %s is not a string constant of this package", ErrNotConstant, e.Name)
	case *ast.ParenExpr:
		return constString(e.X, consts, depth+1)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			l, err := constString(e.X, consts, depth+1)
			if err != nil {
				return "", err
			}
			r, err := constString(e.Y, consts, depth+1)
			if err != nil {
				return "", err
			}
			return l + r, nil
		}
	}
	return "", fmt.Errorf("%w: %T", ErrNotConstant, e)
}

// buildFQName joins the non-empty parts with "_", as prometheus.BuildFQName does.
func buildFQName(namespace, subsystem, name string) string {
	var parts []string
	for _, p := range []string{namespace, subsystem, name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}
