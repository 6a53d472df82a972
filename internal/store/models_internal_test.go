package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// A type that gains a TableName method is a model the schema tests must
// check; this finds every one in the package's source.
func TestModelsListsEveryTableName(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var declared []string
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || fn.Name.Name != "TableName" {
				continue
			}
			typ := fn.Recv.List[0].Type
			if st, ok := typ.(*ast.StarExpr); ok {
				typ = st.X
			}
			declared = append(declared, typ.(*ast.Ident).Name)
		}
	}
	if len(declared) == 0 {
		t.Fatal("no TableName methods found: is the test running in the package directory?")
	}
	var listed []string
	for _, m := range Models() {
		listed = append(listed, reflect.TypeOf(m).Elem().Name())
	}
	slices.Sort(declared)
	slices.Sort(listed)
	if !slices.Equal(declared, listed) {
		t.Errorf("types with TableName %v, Models lists %v", declared, listed)
	}
}
