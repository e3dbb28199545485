package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nash-gan/nash/classifier"
)

func runClassifier(args ...string) (string, error) { return execute(newClassifier(), args...) }

func TestClassifierTrainRejects(t *testing.T) {
	existing := filepath.Join(t.TempDir(), "w.safetensors")
	if err := os.WriteFile(existing, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"dataset", []string{"train", "--dataset", "cifar10"}, `dataset "cifar10": want mnist, fashion-mnist or printed`},
		{"epochs", []string{"train", "--epochs", "0"}, "epochs 0 out of range"},
		{"shift", []string{"train", "--shift", "20"}, "shift 20 out of range"},
		{"existing output", []string{"train", "--out", existing}, "--out " + existing + " exists; pass --force"},
		{"fashion without data", []string{"train", "--dataset", "fashion-mnist", "--out", existing + ".new"}, `dataset "fashion-mnist" needs a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := runClassifier(tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func TestClassifierInfo(t *testing.T) {
	out, err := runClassifier("info", filepath.Join("..", "..", "classifier", "weights", "mnist.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := classifier.Embedded("mnist")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "trained on mnist") || !strings.Contains(out, m.SHA256) {
		t.Errorf("info: %q, want the embedded weights' hash %s", out, m.SHA256)
	}
}
