package data

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nash-gan/nash/tensor"
)

// The special tokens of a text corpus: EOS ends every sequence and pads it
// to its length (and is the generator's start token), Unknown stands for a
// token of the held-out lines that the training lines do not have.
const (
	EOS     = 0
	Unknown = 1
)

// MaxVocab bounds the vocabulary of token sequences, special tokens
// included.
const MaxVocab = 50_000

// MaxSeqLen bounds the length of a token sequence, end token included.
const MaxSeqLen = 256

// MaxTextBytes bounds the size of a text corpus read into memory.
const MaxTextBytes = 256 << 20

// TextHeldOut is the share of a corpus's lines held out for evaluation:
// every TextHeldOut-th line.
const TextHeldOut = 10

// Text is a corpus of lines, one sequence each, as token ids.
type Text struct {
	// Train and Test are the training and held-out sequences [N, Len]:
	// token ids (integral values), each line followed by EOS and padded
	// with EOS.
	Train, Test *tensor.Tensor
	// Words are the tokens by id: "<eos>", "<unk>", then the training
	// lines' tokens by falling frequency (ties in byte order).
	Words []string
	// Sep joins the tokens of a line: "" for characters, " " for words.
	Sep string
	// Len is the length of every sequence.
	Len int
}

// LoadText reads the corpus at path, one sequence per non-empty line,
// split into tokens by tokens ("char" or "word"), and holds out every
// TextHeldOut-th line. maxLen is the length of every sequence, end token
// included; 0 fits the longest line. Errors name the file (and the line).
func LoadText(path, tokens string, maxLen int) (*Text, error) {
	var split func(string) []string
	sep := ""
	switch tokens {
	case "char":
		split = func(s string) []string { return strings.Split(s, "") }
	case "word":
		split, sep = strings.Fields, " "
	default:
		return nil, fmt.Errorf("tokens: unknown tokens %q (want char or word)", tokens)
	}
	if maxLen < 0 || maxLen == 1 || maxLen > MaxSeqLen {
		return nil, fmt.Errorf("max_len: must be between 2 and %d (0: the longest line), got %d", MaxSeqLen, maxLen)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxTextBytes {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a text corpus may have", path, st.Size(), MaxTextBytes)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return nil, fmt.Errorf("%s: not a text file (a NUL byte at offset %d)", path, i)
	}
	if !utf8.Valid(raw) {
		return nil, fmt.Errorf("%s: not a text file (not valid UTF-8)", path)
	}
	var train, test [][]string
	var trainLine, testLine []int
	longest, longestLine := 0, 0
	for i, line := range strings.Split(string(raw), "\n") {
		toks := split(strings.TrimRight(line, "\r"))
		if len(toks) == 0 {
			continue
		}
		if len(toks) > longest {
			longest, longestLine = len(toks), i+1
		}
		if (len(train)+len(test))%TextHeldOut == TextHeldOut-1 {
			test, testLine = append(test, toks), append(testLine, i+1)
		} else {
			train, trainLine = append(train, toks), append(trainLine, i+1)
		}
	}
	if len(train) == 0 || len(test) == 0 {
		return nil, fmt.Errorf("%s: %d non-empty lines, want at least %d (one in %d is held out)", path, len(train)+len(test), TextHeldOut, TextHeldOut)
	}
	switch {
	case maxLen == 0 && longest+1 > MaxSeqLen:
		return nil, fmt.Errorf("%s: line %d has %d tokens, more than the %d a sequence may have: shorten it (lines are not truncated)", path, longestLine, longest, MaxSeqLen-1)
	case maxLen == 0:
		maxLen = longest + 1
	case longest+1 > maxLen:
		return nil, fmt.Errorf("%s: line %d has %d tokens, more than max_len %d allows with its end token (lines are not truncated)", path, longestLine, longest, maxLen)
	}
	counts := map[string]int{}
	for _, l := range train {
		for _, t := range l {
			counts[t]++
		}
	}
	if len(counts)+2 > MaxVocab {
		return nil, fmt.Errorf("%s: %d distinct %ss, more than the vocabulary's limit of %d", path, len(counts), tokens, MaxVocab-2)
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int { return cmp.Or(counts[b]-counts[a], strings.Compare(a, b)) })
	words = append([]string{"<eos>", "<unk>"}, words...)
	ids := make(map[string]int, len(words))
	for i, w := range words {
		ids[w] = i
	}
	return &Text{Train: encode(train, ids, maxLen), Test: encode(test, ids, maxLen), Words: words, Sep: sep, Len: maxLen}, nil
}

// encode returns the lines as ids [len(lines), n], each followed by EOS
// and padded with it; tokens not in ids are Unknown.
func encode(lines [][]string, ids map[string]int, n int) *tensor.Tensor {
	out := tensor.New(len(lines), n)
	for i, l := range lines {
		for j, t := range l {
			id, ok := ids[t]
			if !ok {
				id = Unknown
			}
			out.Data()[i*n+j] = float32(id)
		}
	}
	return out
}

// DecodeTokens returns the sequence ids as text: the tokens up to the
// first EOS joined by sep, by their words; with no words, the ids
// themselves separated by spaces (the oracle's sequences, which have no
// end token: all of them).
func DecodeTokens(ids []float32, words []string, sep string) string {
	var b strings.Builder
	for i, v := range ids {
		id := int(v)
		if words == nil {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(strconv.Itoa(id))
			continue
		}
		if id == EOS {
			break
		}
		if i > 0 {
			b.WriteString(sep)
		}
		if id < 0 || id >= len(words) {
			b.WriteString("<unk>")
		} else {
			b.WriteString(words[id])
		}
	}
	return b.String()
}

// SequencesText returns the first n sequences of x [N, …] (each of the
// same number of tokens) as text, one a line, each decoded by
// DecodeTokens.
func SequencesText(x *tensor.Tensor, words []string, sep string, n int) string {
	var b strings.Builder
	t := x.Len() / x.Dim(0)
	for i := range min(n, x.Dim(0)) {
		b.WriteString(DecodeTokens(x.Data()[i*t:(i+1)*t], words, sep))
		b.WriteByte('\n')
	}
	return b.String()
}
