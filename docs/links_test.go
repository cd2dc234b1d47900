// Package docs_test keeps the repository's Markdown self-contained: every relative link of
// every .md file resolves to a file inside the repository (and, for a link into a Markdown
// file, to a heading that exists), and no document points at material a clone does not have.
package docs_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var (
	// [text](target "title") and ![alt](target); the target has no spaces.
	inlineLink = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	// [label]: target
	refLink = regexp.MustCompile(`^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)`)
	// A scheme (https:, mailto:) makes a link external.
	scheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	// Inline code spans are not links.
	codeSpan = regexp.MustCompile("`+[^`]*`+")
	// Explicit HTML anchors: <a name="x"> or id="x".
	htmlAnchor = regexp.MustCompile(`(?:name|id)="([^"]+)"`)
	// Mentions of the design material outside the repository.
	outside = regexp.MustCompile(`(?:\.\./)+shared/|\bshared/(?:design|reference)/`)
)

// skipDirs are not part of the repository's documents (dependencies, builds, run output).
var skipDirs = map[string]bool{"node_modules": true, "bin": true, "dist": true, "artifacts": true}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", root, err)
	}
	return root
}

// markdownFiles lists the .md files of the repository, relative to root.
func markdownFiles(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || skipDirs[d.Name()]) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") {
			rel, _ := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d Markdown files under %s: the walk is broken", len(files), root)
	}
	return files
}

// link is one link target found in a document.
type link struct {
	line   int
	target string
}

// scan returns the links of a Markdown document and the lines that mention material outside
// the repository, ignoring fenced code blocks and code spans for links (not for mentions).
func scan(doc []byte) (links []link, mentions []int) {
	s := bufio.NewScanner(bytes.NewReader(doc))
	s.Buffer(make([]byte, 1<<20), 1<<20)
	fence := ""
	for n := 1; s.Scan(); n++ {
		line := s.Text()
		if outside.MatchString(line) {
			mentions = append(mentions, n)
		}
		trimmed := strings.TrimSpace(line)
		if f := fenceOf(trimmed); f != "" {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(trimmed, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		text := codeSpan.ReplaceAllString(line, "")
		for _, m := range inlineLink.FindAllStringSubmatch(text, -1) {
			links = append(links, link{n, m[1]})
		}
		if m := refLink.FindStringSubmatch(text); m != nil {
			links = append(links, link{n, m[1]})
		}
	}
	return links, mentions
}

func fenceOf(trimmed string) string {
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(trimmed, f) {
			return f
		}
	}
	return ""
}

// anchors returns the heading anchors of a Markdown document as GitHub generates them, plus
// explicit HTML anchors.
func anchors(doc []byte) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(string(doc), "\n") {
		trimmed := strings.TrimSpace(line)
		if f := fenceOf(trimmed); f != "" {
			if fence == "" {
				fence = f
			} else if strings.HasPrefix(trimmed, fence) {
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		if !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimSpace(strings.TrimLeft(line, "#"))
		slug := slugify(text)
		if k := seen[slug]; k > 0 {
			out[fmt.Sprintf("%s-%d", slug, k)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// slugify is GitHub's heading anchor: lower case, code marks and punctuation dropped, spaces
// turned into hyphens.
func slugify(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkLink reports what is wrong with a link of the document at file (relative to root), or "".
func checkLink(root, file, target string) string {
	if scheme.MatchString(target) || strings.HasPrefix(target, "//") {
		return "" // external: not checked here
	}
	path, frag, _ := strings.Cut(target, "#")
	path, _, _ = strings.Cut(path, "?")
	if p, err := url.PathUnescape(path); err == nil {
		path = p
	}
	var abs string
	switch {
	case path == "":
		abs = filepath.Join(root, file)
	case strings.HasPrefix(path, "/"):
		abs = filepath.Join(root, path) // GitHub resolves a leading / at the repository root
	default:
		abs = filepath.Join(root, filepath.Dir(file), path)
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "points outside the repository"
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "no such file in the repository: " + filepath.ToSlash(rel)
	}
	if frag == "" || info.IsDir() || !strings.HasSuffix(abs, ".md") {
		return ""
	}
	doc, err := os.ReadFile(abs)
	if err != nil {
		return err.Error()
	}
	if !anchors(doc)[frag] {
		return fmt.Sprintf("%s has no heading with anchor #%s", filepath.ToSlash(rel), frag)
	}
	return ""
}

// TestMarkdownLinksStayInRepository: a clone of the repository has everything its documents
// link to.
func TestMarkdownLinksStayInRepository(t *testing.T) {
	root := repoRoot(t)
	checked := 0
	for _, file := range markdownFiles(t, root) {
		doc, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		links, mentions := scan(doc)
		for _, l := range links {
			checked++
			if problem := checkLink(root, file, l.target); problem != "" {
				t.Errorf("%s:%d: link %q: %s", file, l.line, l.target, problem)
			}
		}
		for _, n := range mentions {
			t.Errorf("%s:%d: refers to shared/... material outside the repository; bring the facts into docs/", file, n)
		}
	}
	if checked == 0 {
		t.Fatal("no links found at all: the scanner is broken")
	}
}

// TestLinkChecker: the checker itself catches what it must (so the test above cannot pass
// vacuously).
func TestLinkChecker(t *testing.T) {
	root := t.TempDir()
	doc := []byte("# Title\n\nSee [a](../shared/design/protocol.md), [b](docs/protocol.md), [c](https://example.com),\n" +
		"[d](missing.md), [e](docs/protocol.md#no-such-heading), [f](#title), `[g](nowhere.md)`\n\n" +
		"```\n[h](nowhere.md)\n```\n[i]: ../outside.md\n")
	for name, text := range map[string][]byte{"README.md": doc, "docs/protocol.md": []byte("# Protocol\n")} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links, mentions := scan(doc)
	got := map[string]string{}
	for _, l := range links {
		got[l.target] = checkLink(root, "README.md", l.target)
	}
	want := map[string]string{
		"../shared/design/protocol.md":     "points outside the repository",
		"docs/protocol.md":                 "",
		"https://example.com":              "",
		"missing.md":                       "no such file in the repository: missing.md",
		"docs/protocol.md#no-such-heading": "docs/protocol.md has no heading with anchor #no-such-heading",
		"#title":                           "",
		"../outside.md":                    "points outside the repository",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("checkLink results:\n got %v\nwant %v", got, want)
	}
	if len(mentions) != 1 || mentions[0] != 3 {
		t.Errorf("mentions of shared/ material: got lines %v, want [3]", mentions)
	}
	if s := slugify("Refusing a connection (connection caps)"); s != "refusing-a-connection-connection-caps" {
		t.Errorf("slugify: got %q", s)
	}
	if s := slugify("`@connections` (backend → client)"); s != "connections-backend--client" {
		t.Errorf("slugify: got %q", s)
	}
}
