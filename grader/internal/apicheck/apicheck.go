// Package apicheck compares the exported API of two Go packages by their
// declarations: the committed stub must declare exactly what the reference
// solution exports, so that the learner implements the API the tests and
// the README describe.
//
// It works on syntax (go/ast), not types: each exported declaration is
// printed in a canonical form — parameter and result names dropped,
// unexported struct fields and methods of unexported types left out,
// bodies and comments removed — and the two sets of forms are compared.
package apicheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"sort"
	"strings"
)

// Decls returns the canonical exported declarations of the given files of
// one package, keyed by a name such as "func New", "method (*Limiter).Allow",
// "type Limiter", "const Inf" or "var ErrInvalidLimit".
func Decls(files ...string) (map[string]string, error) {
	fset := token.NewFileSet()
	out := map[string]string{}
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				key := "func " + d.Name.Name
				if d.Recv != nil {
					recv := recvType(d.Recv.List[0].Type)
					if !ast.IsExported(strings.TrimPrefix(recv, "*")) {
						continue
					}
					key = fmt.Sprintf("method (%s).%s", recv, d.Name.Name)
				}
				out[key] = key + strings.TrimPrefix(node(fset, stripNames(d.Type)), "func")
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						if !s.Name.IsExported() {
							continue
						}
						key := "type " + s.Name.Name
						tp := ""
						if s.TypeParams != nil {
							tp = node(fset, s.TypeParams)
						}
						assign := ""
						if s.Assign.IsValid() {
							assign = "= "
						}
						out[key] = key + tp + " " + assign + node(fset, exportedOnly(s.Type))
					case *ast.ValueSpec:
						kind := d.Tok.String()
						for i, n := range s.Names {
							if !n.IsExported() {
								continue
							}
							key := kind + " " + n.Name
							v := key
							if s.Type != nil {
								v += " " + node(fset, s.Type)
							}
							if i < len(s.Values) {
								v += " = " + node(fset, s.Values[i])
							} else if len(s.Values) == 0 && kind == "const" {
								v += " (iota)"
							}
							out[key] = v
						}
					}
				}
			}
		}
	}
	return out, nil
}

// Diff compares the declarations of want (the reference) and got (the
// stub) and describes each difference; nil means they match.
func Diff(want, got map[string]string) []string {
	var diffs []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			diffs = append(diffs, "missing from the stub: "+w)
		case g != w:
			diffs = append(diffs, fmt.Sprintf("differs: reference %s; stub %s", w, g))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, "only in the stub: "+g)
		}
	}
	sort.Strings(diffs)
	return diffs
}

func recvType(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return "*" + recvType(t.X)
	case *ast.IndexExpr:
		return recvType(t.X)
	case *ast.IndexListExpr:
		return recvType(t.X)
	case *ast.Ident:
		return t.Name
	}
	return fmt.Sprintf("%T", e)
}

// stripNames drops parameter and result names, which are not part of a
// function's type.
func stripNames(ft *ast.FuncType) *ast.FuncType {
	c := *ft
	c.Params = unnamed(ft.Params)
	c.Results = unnamed(ft.Results)
	return &c
}

func unnamed(fl *ast.FieldList) *ast.FieldList {
	if fl == nil {
		return nil
	}
	out := &ast.FieldList{}
	for _, f := range fl.List {
		n := max(len(f.Names), 1)
		for range n {
			out.List = append(out.List, &ast.Field{Type: f.Type})
		}
	}
	return out
}

// exportedOnly drops unexported fields of struct types and unexported
// methods of interfaces: the stub may leave them out.
func exportedOnly(e ast.Expr) ast.Expr {
	switch t := e.(type) {
	case *ast.StructType:
		c := *t
		c.Fields = &ast.FieldList{}
		for _, f := range t.Fields.List {
			if len(f.Names) == 0 {
				if ast.IsExported(strings.TrimPrefix(recvType(f.Type), "*")) {
					c.Fields.List = append(c.Fields.List, &ast.Field{Type: f.Type, Tag: f.Tag})
				}
				continue
			}
			for _, n := range f.Names {
				if n.IsExported() {
					c.Fields.List = append(c.Fields.List, &ast.Field{Names: []*ast.Ident{n}, Type: f.Type, Tag: f.Tag})
				}
			}
		}
		return &c
	}
	return e
}

func node(fset *token.FileSet, n any) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
