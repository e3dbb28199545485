package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeText(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lines.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadText(t *testing.T) {
	var lines []string
	for i := range 20 {
		lines = append(lines, strings.Repeat("ab ", i%3+1)+"c")
	}
	lines[9] = "ab zz"
	path := writeText(t, strings.Join(lines, "\n")+"\n\n")
	txt, err := LoadText(path, "word", 0)
	if err != nil {
		t.Fatal(err)
	}
	// Lines 10 and 20 are held out; the longest has 4 words and an end.
	if txt.Train.Dim(0) != 18 || txt.Test.Dim(0) != 2 || txt.Len != 5 || txt.Sep != " " {
		t.Fatalf("train %v, test %v, length %d", txt.Train.Shape(), txt.Test.Shape(), txt.Len)
	}
	if strings.Join(txt.Words, ",") != "<eos>,<unk>,ab,c" {
		t.Fatalf("vocabulary %q", txt.Words)
	}
	// zz, only in a held-out line, is unknown.
	if got := DecodeTokens(txt.Test.Data()[:5], txt.Words, txt.Sep); got != "ab <unk>" {
		t.Fatalf("held-out line %q, want \"ab <unk>\"", got)
	}
	chars, err := LoadText(path, "char", 12)
	if err != nil {
		t.Fatal(err)
	}
	if chars.Len != 12 || DecodeTokens(chars.Train.Data()[:12], chars.Words, chars.Sep) != "ab c" {
		t.Fatalf("char sequences of %d: %q", chars.Len, DecodeTokens(chars.Train.Data()[:12], chars.Words, chars.Sep))
	}
	if got := DecodeTokens([]float32{3, 0, 4}, nil, ""); got != "3 0 4" {
		t.Fatalf("ids decoded as %q", got)
	}
}

func TestLoadTextRefuses(t *testing.T) {
	many := make([]string, 0, 2*MaxVocab)
	for i := range 2 * MaxVocab {
		many = append(many, "w"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
	}
	for _, c := range []struct {
		name, text, tokens string
		maxLen             int
		want               string
	}{
		{"empty", "", "char", 0, "0 non-empty lines"},
		{"blank", "\n\n  \n", "word", 0, "0 non-empty lines"},
		{"binary", "ab\x00c\n", "char", 0, "not a text file"},
		{"not UTF-8", "ab\xffc\n", "char", 0, "not a text file"},
		{"tokens", "ab\n", "byte", 0, `tokens: unknown tokens "byte"`},
		{"too long", strings.Repeat("abcdef\n", 10), "char", 4, "line 1 has 6 tokens, more than max_len 4"},
		{"max_len 1", strings.Repeat("a\n", 10), "char", 1, "max_len: must be between 2 and"},
		{"longer than any sequence", strings.Repeat(strings.Repeat("a", MaxSeqLen)+"\n", 10), "char", 0, "shorten it"},
		{"vocabulary", strings.Join(many, "\n") + "\n", "word", 0, "more than the vocabulary's limit"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadText(writeText(t, c.text), c.tokens, c.maxLen)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}
