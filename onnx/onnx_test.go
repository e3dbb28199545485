package onnx

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/nash-gan/nash/tensor"
)

// field is one decoded field of a message.
type field struct {
	num   protowire.Number
	value uint64 // varint and fixed32 fields
	bytes []byte // length-delimited fields
}

// fields decodes the message b, failing on malformed input.
func fields(t *testing.T, b []byte) []field {
	t.Helper()
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		f := field{num: num}
		switch typ {
		case protowire.VarintType:
			f.value, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.value = uint64(v)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d of wire type %d", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		out = append(out, f)
	}
	return out
}

// only returns the fields numbered num.
func only(fs []field, num protowire.Number) []field {
	var out []field
	for _, f := range fs {
		if f.num == num {
			out = append(out, f)
		}
	}
	return out
}

// A model encodes onnx.proto's fields: the IR version and opset, the
// graph's nodes in order with their attributes, the weights as raw
// little-endian bytes, the inputs with a named batch dimension, and the
// metadata in sorted order.
func TestEncode(t *testing.T) {
	g := NewGraph("g")
	x := g.Input(Value{Name: "x", Type: Float, Dims: []Dim{{Param: "batch"}, {Size: 3}}})
	w := g.Weight("fc.weight", tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))
	y := g.Node("Gemm", "fc", []string{x, w}, IntAttr("transB", 1), FloatAttr("alpha", 1), IntsAttr("perm", 1, 0), StringAttr("mode", "a"))
	g.Output(y, Value{Name: "y", Type: Float, Dims: []Dim{{Param: "batch"}, {Size: 2}}})
	m := &Model{Graph: g, Producer: "nash", Doc: "a test", Metadata: map[string]string{"b": "2", "a": "1"}}
	top := fields(t, m.Encode())
	if ir := only(top, modelIRVersion); len(ir) != 1 || ir[0].value != IRVersion {
		t.Fatalf("ir_version %v", ir)
	}
	opset := fields(t, only(top, modelOpset)[0].bytes)
	if v := only(opset, opsetVersion); len(v) != 1 || v[0].value != Opset {
		t.Fatalf("opset %v", opset)
	}
	var keys []string
	for _, e := range only(top, modelMetadataProps) {
		keys = append(keys, string(only(fields(t, e.bytes), entryKey)[0].bytes))
	}
	if strings.Join(keys, ",") != "a,b" {
		t.Fatalf("metadata keys %v", keys)
	}
	graph := fields(t, only(top, modelGraph)[0].bytes)
	var ops []string
	for _, n := range only(graph, graphNode) {
		ops = append(ops, string(only(fields(t, n.bytes), nodeOpType)[0].bytes))
	}
	if strings.Join(ops, ",") != "Gemm,Identity" {
		t.Fatalf("nodes %v", ops)
	}
	gemm := fields(t, only(graph, graphNode)[0].bytes)
	if attrs := only(gemm, nodeAttribute); len(attrs) != 4 {
		t.Fatalf("%d attributes", len(attrs))
	}
	init := fields(t, only(graph, graphInitializer)[0].bytes)
	raw := only(init, tensorRawData)[0].bytes
	if len(raw) != 24 || raw[4] != 0 || raw[7] != 0x40 || string(only(init, tensorName)[0].bytes) != "fc.weight" {
		t.Fatalf("initializer %v", init)
	}
	in := fields(t, only(graph, graphInput)[0].bytes)
	typ := fields(t, only(in, valueType)[0].bytes)
	tt := fields(t, only(typ, typeTensor)[0].bytes)
	dims := only(fields(t, only(tt, tensorShape)[0].bytes), shapeDim)
	if len(dims) != 2 || string(only(fields(t, dims[0].bytes), dimParam)[0].bytes) != "batch" || only(fields(t, dims[1].bytes), dimValue)[0].value != 3 {
		t.Fatalf("input dims %v", dims)
	}
}

// Names are made unique, and a module that cannot be exported is named
// in the error.
func TestNamesAndRefusal(t *testing.T) {
	g := NewGraph("g")
	a, b := g.Int64s("shape", 1), g.Int64s("shape", 2)
	if a != "shape" || b != "shape_1" {
		t.Fatalf("names %q %q", a, b)
	}
	if n := g.Node("Relu", "", []string{a}); n != "Relu" {
		t.Fatalf("node name %q", n)
	}
	if _, err := Export(g, struct{}{}, "net.3", "x"); err == nil || !strings.Contains(err.Error(), "net.3") {
		t.Fatalf("Export = %v, want an error naming net.3", err)
	}
	if Join("", "0") != "0" || Join("net", "0") != "net.0" {
		t.Fatal("Join")
	}
}
