// Runs an ONNX model with onnxruntime-node: node ort.cjs MODEL IN.json OUT.json.
// IN.json is a list of feeds, each {name: {dims, data, type}}; OUT.json the
// list of their outputs, each {name: {dims, data}}. Used by infer's export
// tests as the oracle (NODE_PATH points at the folder holding
// onnxruntime-node).
const fs = require("fs");
const ort = require("onnxruntime-node");

async function main() {
  const [model, input, output] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const results = [];
  for (const feed of JSON.parse(fs.readFileSync(input, "utf8"))) {
    const feeds = {};
    for (const [name, t] of Object.entries(feed)) {
      const data = t.type === "int64" ? BigInt64Array.from(t.data.map(BigInt)) : Float32Array.from(t.data);
      feeds[name] = new ort.Tensor(t.type, data, t.dims);
    }
    const out = await session.run(feeds);
    const res = {};
    for (const [name, t] of Object.entries(out)) {
      res[name] = { dims: Array.from(t.dims), data: Array.from(t.data) };
    }
    results.push(res);
  }
  fs.writeFileSync(output, JSON.stringify(results));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
