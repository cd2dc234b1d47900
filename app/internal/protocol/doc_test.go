package protocol_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"chessplatform/app/internal/protocol"
	"chessplatform/app/internal/server"
	"chessplatform/app/internal/store"
	"chessplatform/app/internal/transport/wsdirect"
)

// docPath is the protocol's description, relative to this package.
const docPath = "../../../docs/protocol.md"

// wireConstants lists the message types (T*) and error codes (Code* of type Code) declared in
// the package's source, read from the source so a new one cannot be forgotten here.
func wireConstants(t *testing.T) (types, codes []string) {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					value, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					typ, _ := vs.Type.(*ast.Ident)
					switch {
					case typ != nil && typ.Name == "Code":
						codes = append(codes, value)
					case len(id.Name) > 1 && id.Name[0] == 'T' && 'A' <= id.Name[1] && id.Name[1] <= 'Z':
						types = append(types, value)
					}
				}
			}
		}
	}
	return types, codes
}

// TestProtocolDocNamesEveryMessage keeps docs/protocol.md honest: every message type and error
// code of the package is named there (in backquotes), and so are the limits the server
// enforces, with their current values.
func TestProtocolDocNamesEveryMessage(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading the protocol description: %v", err)
	}
	doc := string(b)
	types, codes := wireConstants(t)
	if len(types) < 20 || len(codes) < 10 {
		t.Fatalf("found %d message types and %d error codes in the source: the scan is broken", len(types), len(codes))
	}
	for _, v := range types {
		if !strings.Contains(doc, "| `"+v+"` |") {
			t.Errorf("docs/protocol.md has no table row for the message type %q", v)
		}
	}
	for _, v := range codes {
		if !strings.Contains(doc, "| `"+v+"` |") {
			t.Errorf("docs/protocol.md has no table row for the error code %q", v)
		}
	}

	// The limits are looked up in the text with line breaks and case ignored.
	flat := strings.ToLower(strings.Join(strings.Fields(doc), " "))
	rate, conns := server.DefaultRateLimit(), server.DefaultConnLimits()
	for _, want := range []string{
		fmt.Sprintf("over %d bytes (`protocol.MaxFrame`)", protocol.MaxFrame),
		fmt.Sprintf("%g messages per second with bursts of %g", rate.Rate, rate.Burst),
		fmt.Sprintf("after %d such rejections within %d s", rate.MaxViolations, int(rate.ViolationWindow/time.Second)),
		fmt.Sprintf("a player may hold %d open connections and a client address %d", conns.PerPlayer, conns.PerAddr),
		fmt.Sprintf("close **%d**", server.CloseTokenExpired),
		server.ReasonTokenExpired,
		strconv.Quote(wsdirect.CodeTooManyConnections),
		fmt.Sprintf("the last %d per game", store.HistorySize),
		fmt.Sprintf("valid %d minutes", int(store.ChallengeTTL/time.Minute)),
		fmt.Sprintf("`l` (optional, 0–%d", protocol.MaxLagMs),
	} {
		if !strings.Contains(flat, strings.ToLower(want)) {
			t.Errorf("docs/protocol.md does not say %q", want)
		}
	}
}
