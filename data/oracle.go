package data

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
)

// OracleSHA256 is the SHA-256 of the SeqGAN oracle's weights
// (seqgan/oracle.safetensors): the fixed random LSTM whose samples are the
// synthetic benchmark's data (vocabulary 5,000, 20 tokens, embedding and
// hidden size 32), converted unchanged from the SeqGAN release.
const OracleSHA256 = "a56b1b46f6ff2ee908267d411a1f3074de5e82829c38f486a6435d8f28cc04a0"

// The oracle's vocabulary and sequence length.
const (
	OracleVocab = 5000
	OracleLen   = 20
)

//go:embed seqgan/oracle.safetensors
var oracleFile []byte

// Oracle returns the safetensors file of the SeqGAN oracle's weights,
// after checking its SHA-256. Its tensors (row vector times matrix,
// x·W + h·U + b) are embedding [5000, 32], W_i, U_i, W_f, U_f, W_o, U_o,
// W_c, U_c [32, 32], b_i, b_f, b_o, b_c [32], W_out [32, 5000] and b_out
// [5000].
func Oracle() ([]byte, error) { return checkOracle(oracleFile) }

func checkOracle(b []byte) ([]byte, error) {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != OracleSHA256 {
		return nil, fmt.Errorf("data/seqgan/oracle.safetensors: SHA-256 %s, want %s: the oracle file is not SeqGAN's", got, OracleSHA256)
	}
	return b, nil
}
