// The page's logic: read the model's metadata (with protobufjs and the ONNX project's onnx.proto), preprocess a
// dropped image exactly as the metadata says (resize to the input size, replicate gray to the channels, scale to
// [0, 1], normalise by mean and std), run it with onnxruntime-web, show the probabilities per class.
/* global ort, protobuf */
const $ = (id) => document.getElementById(id);
ort.env.wasm.wasmPaths = new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url).href;
ort.env.wasm.numThreads = 1; // threads need cross-origin isolation, which a plain static server does not give

let model = null;

/** The metadata_props of an ONNX file as an object; the JSON-valued ones (input, classes) parsed. */
async function metadataOf(bytes) {
  const root = await protobuf.load(new URL('../../vendor/onnx/onnx.proto', import.meta.url).href);
  const proto = root.lookupType('onnx.ModelProto').decode(bytes);
  const meta = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
  for (const key of ['input', 'classes', 'storage']) if (meta[key]) meta[key] = JSON.parse(meta[key]);
  return meta;
}

async function loadModel(bytes) {
  const meta = await metadataOf(bytes);
  if (!meta.input) throw new Error('this ONNX file has no input description in its metadata: export it from a checkpoint (ttl-torch export)');
  model = { session: await ort.InferenceSession.create(bytes), meta };
  $('status').textContent = `Model ${meta.model}, k = ${meta.k}, ${meta.input.size} px, classes ${(meta.classes ?? []).join(', ')}. Drop an image.`;
  document.body.dataset.model = 'ready';
}

/** The image as the network's input: [1, C, size, size] float32, preprocessed as the metadata says. */
async function preprocess(file) {
  const { size, channels, mean, std } = model.meta.input;
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  // Drawn at the network's size; an image already that size is copied pixel for pixel.
  context.drawImage(bitmap, 0, 0, size, size);
  const rgba = context.getImageData(0, 0, size, size).data;
  // A model trained on gray images sees one channel replicated: a gray image's R = G = B is that channel (a colour
  // image gets its Rec. 709 luma, close to but not exactly the native decoder's conversion).
  const gray = model.meta.storage?.kind === 'gray';
  const x = new Float32Array(channels * size * size);
  for (let c = 0; c < channels; c++)
    for (let i = 0; i < size * size; i++) {
      const [r, g, b] = [rgba[4 * i], rgba[4 * i + 1], rgba[4 * i + 2]];
      const v = gray ? 0.2126 * r + 0.7152 * g + 0.0722 * b : [r, g, b][c];
      x[c * size * size + i] = (v / 255 - mean[c]) / std[c];
    }
  return new ort.Tensor('float32', x, [1, channels, size, size]);
}

async function classify(file) {
  if (!model) throw new Error('load a model first');
  const out = await model.session.run({ image: await preprocess(file) });
  const probabilities = [...out.probabilities.data];
  const best = probabilities.indexOf(Math.max(...probabilities));
  const names = model.meta.classes ?? probabilities.map((_, i) => String(i));
  $('label').textContent = `${file.name}: ${names[best]}`;
  $('probabilities').innerHTML = '<tr><th>class</th><th>probability</th></tr>' +
    probabilities.map((p, i) => `<tr><td>${names[i]}</td><td class="p">${p.toFixed(6)}</td></tr>`).join('');
  document.body.dataset.result = JSON.stringify({ name: file.name, label: best, probabilities });
}

const report = (e) => {
  $('status').textContent = `Error: ${e.message}`;
  document.body.dataset.error = e.message;
};
$('model').addEventListener('change', (e) => e.target.files[0]?.arrayBuffer().then((b) => loadModel(new Uint8Array(b))).catch(report));
$('image').addEventListener('change', (e) => e.target.files[0] && classify(e.target.files[0]).catch(report));
const drop = $('drop');
drop.addEventListener('dragover', (e) => (e.preventDefault(), drop.classList.add('over')));
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  if (e.dataTransfer.files[0]) classify(e.dataTransfer.files[0]).catch(report);
});
const url = new URLSearchParams(location.search).get('model');
if (url) fetch(url).then((r) => r.arrayBuffer()).then((b) => loadModel(new Uint8Array(b))).catch(report);
